//! Independent oracles for the list jobs (contract §3, re-optimisation), built on the
//! single-policy job: each policy of a list is computed as a `bod_pasta` job of its own
//! ([`Singles`]), on a copy of the request whose class `bandwidth_available` is the capacity the
//! oracle tracks and whose `exc` carries the exclusions the list job adds.
//!
//! The list logic (ordering, capacity and traffic bookkeeping, subset choice) is written here
//! from the contract, sharing no code with `engine::reopt` or `engine::congest`; the
//! single-policy engine it leans on is held to its own brute-force reference by `props`.
//!
//! - [`placement`]: `bod_reopt`, sequential placement of the sorted policies of each class.
//! - [`relief`]: `bod_congest_reopt`, every subset of the movable policies of each link.

pub mod placement;
pub mod relief;

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::model::{Job, JobType, Limits, Request};

/// The links of a body, by position, with what the list jobs read.
pub struct LinkTable {
    /// Ids.
    pub ids: Vec<String>,
    /// Position of each id.
    pub index: HashMap<String, usize>,
    /// Physical bandwidth (-1: unknown).
    pub bd: Vec<f64>,
    /// Measured traffic (0 when absent).
    pub traffic: Vec<f64>,
    /// Per class: `(bandwidth_reserve, bandwidth_available)`.
    pub classes: Vec<BTreeMap<String, (f64, f64)>>,
}

impl LinkTable {
    /// Reads the links of a body.
    pub fn new(body: &Value) -> LinkTable {
        let links = body["links"].as_array().expect("links");
        let mut table = LinkTable {
            ids: Vec::new(),
            index: HashMap::new(),
            bd: Vec::new(),
            traffic: Vec::new(),
            classes: Vec::new(),
        };
        for (l, link) in links.iter().enumerate() {
            let id = link["id"].as_str().expect("an id").to_owned();
            table.index.insert(id.clone(), l);
            table.ids.push(id);
            table.bd.push(link["bd"].as_f64().unwrap_or(-1.0));
            table
                .traffic
                .push(link["traffic_flow"].as_f64().unwrap_or(0.0));
            let classes = link["qos_class"].as_array().cloned().unwrap_or_default();
            table.classes.push(
                classes
                    .iter()
                    .map(|q| {
                        let class = q["class"].as_str().expect("a class").to_owned();
                        let reserve = q["bandwidth_reserve"].as_f64().unwrap_or(0.0);
                        let available = q["bandwidth_available"].as_f64().unwrap_or(0.0);
                        (class, (reserve, available))
                    })
                    .collect(),
            );
        }
        table
    }

    /// Number of links.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// A class's `bandwidth_reserve` (`reserve`) or `bandwidth_available` on every link, 0 where
    /// the link lacks the class.
    pub fn class_bandwidth(&self, class: &str, reserve: bool) -> Vec<f64> {
        self.classes
            .iter()
            .map(|c| {
                c.get(class)
                    .map_or(0.0, |(r, a)| if reserve { *r } else { *a })
            })
            .collect()
    }

    /// Whether link `l` carries `class`.
    pub fn has_class(&self, l: usize, class: &str) -> bool {
        self.classes[l].contains_key(class)
    }
}

/// The share of each link in a placement shaped like `segs` (segments → paths → ids): over its
/// segments, the number of the segment's paths through the link (counting repeats) divided by
/// the segment's number of paths. Ids that name no link are nodes.
pub fn shares(segs: &Value, table: &LinkTable) -> BTreeMap<usize, f64> {
    let mut out: BTreeMap<usize, f64> = BTreeMap::new();
    for seg in segs.as_array().expect("segments") {
        let paths = seg.as_array().expect("paths");
        let n = paths.len() as f64;
        for path in paths {
            for id in path.as_array().expect("ids") {
                if let Some(&l) = table.index.get(id.as_str().expect("an id")) {
                    *out.entry(l).or_default() += 1.0 / n;
                }
            }
        }
    }
    out
}

/// `shares` times `amount`, on the links kept by `keep`.
pub fn scaled(
    shares: &BTreeMap<usize, f64>,
    amount: f64,
    keep: impl Fn(usize) -> bool,
) -> BTreeMap<usize, f64> {
    if amount <= 0.0 {
        return BTreeMap::new();
    }
    shares
        .iter()
        .filter(|(l, _)| keep(**l))
        .map(|(l, s)| (*l, amount * s))
        .collect()
}

/// A number field of a policy, 0 when absent.
pub fn number(policy: &Value, key: &str) -> f64 {
    policy[key].as_f64().unwrap_or(0.0)
}

/// The class of a policy.
pub fn class_of(policy: &Value) -> String {
    policy["class"].as_str().unwrap_or_default().to_owned()
}

/// A list body parsed once, to compute its policies one at a time as `bod_pasta` jobs.
pub struct Singles {
    request: Request,
}

impl Singles {
    /// Parses a valid list body.
    pub fn new(job_type: JobType, body: &Value) -> Singles {
        let job = Job::parse(job_type, body, &Limits::default())
            .unwrap_or_else(|e| panic!("the body is rejected: {e}\n{body}"));
        Singles {
            request: job.request,
        }
    }

    /// Number of algorithm entries (presets applied: at least one).
    pub fn entries(&self) -> usize {
        self.request.global.algorithm.len()
    }

    /// The `algo` of entry `k`.
    pub fn algo(&self, k: usize) -> u8 {
        self.request.global.algorithm[k].algo
    }

    /// The one item of a `bod_pasta` job computing policy `i` alone under entry `k`, where its
    /// class's `bandwidth_available` is `avail` (held as is, even below 0, which no body can
    /// carry) and `extra` ids are added to its `exc`.
    pub fn run(&self, i: usize, k: usize, avail: &[f64], extra: &[String]) -> Value {
        let r = &self.request;
        let mut policy = r.policies[i].clone();
        policy.exc.extend(extra.iter().cloned());
        policy.path = None;
        let class = policy.class.clone().unwrap_or_default();
        let mut links = (*r.links).clone();
        for (l, link) in links.iter_mut().enumerate() {
            let mut classes = link.qos_class.to_vec();
            for q in classes.iter_mut().filter(|q| q.class == class) {
                q.bandwidth_available = avail[l];
            }
            link.qos_class = classes.into();
        }
        let mut global = r.global.clone();
        global.algorithm = vec![r.global.algorithm[k]];
        let request = Request {
            nodes: r.nodes.clone(),
            links: links.into(),
            policies: vec![policy],
            global,
            congested_link: Vec::new(),
        };
        let job = Job {
            job_type: JobType::BodPasta,
            request,
        };
        let document = crate::engine::compute(&job, &|| 0.0);
        let mut document = serde_json::to_value(&document).expect("a document serialises");
        document["data"][0].take()
    }
}
