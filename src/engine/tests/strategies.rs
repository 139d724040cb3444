//! proptest strategies for small, valid single-policy bodies: 3–7 nodes (some not SR-capable),
//! directed links with parallels and both directions, igp 1–3 (never 0), small te, half-unit
//! delays, physical and per-class bandwidths (-1 unknown), affinities under a mask, SRLGs, 0–2
//! waypoints and exclusions (nodes or links), msd, `dis`, both encodings, 1–3 algorithm entries.
//!
//! A [`Spec`] is plain numbers that shrink towards the simplest case (fewer nodes and links, no
//! waypoint, SR everywhere, metric igp, no constraint); [`Spec::body`] maps it to a JSON body.
//! Indices wrap (`% n`), so a shrunk node list never leaves a dangling reference and every body is
//! valid: `he != te`, unique ids and SIDs, every id it names exists.

use proptest::collection::vec;
use proptest::option::weighted as maybe;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

use crate::model::JobType;

/// Node ids; their byte order differs from their input order on purpose.
const NAMES: [&str; 7] = ["R4", "A", "R10", "b", "R1", "Z", "C"];
/// Physical link bandwidths (-1: unknown).
const PHYSICAL: [f64; 5] = [100.0, 50.0, 20.0, 10.0, -1.0];
/// Class available bandwidths.
const AVAILABLE: [f64; 5] = [100.0, 50.0, 25.5, 10.0, 0.0];
/// Requested bandwidths.
const REQUESTED: [f64; 5] = [0.0, 10.0, 20.0, 25.5, 50.0];
/// `flow_factor` values.
const FLOW: [f64; 4] = [1.0, 1.5, 2.0, 0.5];
/// The one QoS class of bod bodies.
const CLASS: &str = "Gold";

/// A node: SR-capable unless `non_sr` (ignored for the headend and the tailend).
#[derive(Clone, Debug)]
pub struct NodeSpec {
    non_sr: bool,
    no_ip: bool,
}

/// A link `a → b` (indices wrap), and its reverse when `reverse`. The first links of a body
/// span its nodes, both ways.
#[derive(Clone, Debug)]
pub struct LinkSpec {
    a: u8,
    b: u8,
    reverse: bool,
    non_sr: bool,
    no_ip: bool,
    igp: u64,
    te: u64,
    half_delay: u8,
    physical: usize,
    no_class: bool,
    available: usize,
    affi: u64,
    srlg: Option<u64>,
}

/// The policy; `inc` and `exc` index the links when their flag is set, else the nodes
/// (wrapping).
#[derive(Clone, Debug)]
pub struct PolicySpec {
    he: u8,
    te: u8,
    metric: usize,
    bd: usize,
    affi: u64,
    mask: Option<u64>,
    inc: Vec<(bool, u16)>,
    exc: Vec<(bool, u16)>,
    msd: Option<u64>,
    dis: bool,
}

/// An algorithm entry; `None` fields are left to the preset.
#[derive(Clone, Debug)]
pub struct EntrySpec {
    algo: u8,
    sorter: Option<usize>,
    top: Option<u64>,
    limit: Option<u8>,
    loose: Option<bool>,
}

/// A whole body.
#[derive(Clone, Debug)]
pub struct Spec {
    bod: bool,
    nodes: Vec<NodeSpec>,
    links: Vec<LinkSpec>,
    policy: PolicySpec,
    entries: Vec<EntrySpec>,
    flow: usize,
    encoding: Option<bool>,
    long_names: bool,
    hex: bool,
}

/// `usual` two times in three (and when shrinking), a value of `other` otherwise.
fn rare<T: Clone + std::fmt::Debug + 'static>(
    other: impl Strategy<Value = T> + 'static,
    usual: T,
) -> BoxedStrategy<T> {
    prop_oneof![2 => Just(usual), 1 => other].boxed()
}

fn node() -> impl Strategy<Value = NodeSpec> {
    (prop::bool::weighted(0.07), prop::bool::weighted(0.2))
        .prop_map(|(non_sr, no_ip)| NodeSpec { non_sr, no_ip })
}

fn link() -> impl Strategy<Value = LinkSpec> {
    let ends = (any::<u8>(), any::<u8>(), prop::bool::weighted(0.85));
    let sr = (prop::bool::weighted(0.07), prop::bool::weighted(0.2));
    let metrics = (rare(2..=3u64, 1), 1..=3u64, 1..=6u8);
    let band = (
        0..PHYSICAL.len(),
        prop::bool::weighted(0.1),
        0..AVAILABLE.len(),
    );
    let tags = (rare(0..4u64, 0), maybe(0.2, 1..=3u64));
    (ends, sr, metrics, band, tags).prop_map(
        |((a, b, reverse), (non_sr, no_ip), (igp, te, half_delay), band, (affi, srlg))| LinkSpec {
            a,
            b,
            reverse,
            non_sr,
            no_ip,
            igp,
            te,
            half_delay,
            physical: band.0,
            no_class: band.1,
            available: band.2,
            affi,
            srlg,
        },
    )
}

fn policy() -> impl Strategy<Value = PolicySpec> {
    let ends = (any::<u8>(), any::<u8>(), 0..3usize);
    let constraints = (
        rare(1..REQUESTED.len(), 0),
        rare(1..4u64, 0),
        maybe(0.2, 1..4u64),
    );
    let elem = || (prop::bool::weighted(0.5), any::<u16>());
    let lists = (
        rare(vec(elem(), 1..=2), vec![]),
        rare(vec(elem(), 1..=2), vec![]),
    );
    let extras = (maybe(0.25, 1..=4u64), prop::bool::weighted(0.15));
    (ends, constraints, lists, extras).prop_map(
        |((he, te, metric), (bd, affi, mask), (inc, exc), (msd, dis))| PolicySpec {
            he,
            te,
            metric,
            bd,
            affi,
            mask,
            inc,
            exc,
            msd,
            dis,
        },
    )
}

fn entry() -> impl Strategy<Value = EntrySpec> {
    let fields = (
        maybe(0.7, 0..3usize),
        maybe(0.7, 0..=5u64),
        maybe(0.2, 0..8u8),
    );
    (0..2u8, fields, maybe(0.5, any::<bool>())).prop_map(|(algo, (sorter, top, limit), loose)| {
        EntrySpec {
            algo,
            sorter,
            top,
            limit,
            loose,
        }
    })
}

/// Small valid single-policy bodies of both job types.
pub fn spec() -> impl Strategy<Value = Spec> {
    let graph = (vec(node(), 3..=7), vec(link(), 3..=12), policy());
    let global = (
        vec(entry(), 1..=3),
        0..FLOW.len(),
        maybe(0.6, any::<bool>()),
    );
    let style = (
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.3),
    );
    (graph, global, style).prop_map(
        |((nodes, links, policy), (entries, flow, encoding), (bod, long_names, hex))| Spec {
            bod,
            nodes,
            links,
            policy,
            entries,
            flow,
            encoding,
            long_names,
            hex,
        },
    )
}

impl Spec {
    /// The job type and the JSON body.
    pub fn body(&self) -> (JobType, Value) {
        let n = self.nodes.len();
        let nodes: Vec<Value> = (0..n).map(|i| self.node(i)).collect();
        let mut links = vec![];
        for (k, l) in self.links.iter().enumerate() {
            // The first links make a spanning tree (node k + 1 to an earlier node, both ways),
            // the others join any two nodes.
            let (lo, re) = if k + 1 < n {
                (k + 1, l.a as usize % (k + 1))
            } else {
                let lo = l.a as usize % n;
                (lo, (lo + 1 + l.b as usize % (n - 1)) % n)
            };
            links.push(self.link(k, lo, re, 0));
            if l.reverse || k + 1 < n {
                links.push(self.link(k, re, lo, 1));
            }
        }
        let link_ids: Vec<String> = links
            .iter()
            .map(|l| l["id"].as_str().expect("an id").to_owned())
            .collect();
        // Assembled by moves: `json!` would serialise the values over again.
        let body = object([
            ("nodes", Value::Array(nodes)),
            ("links", Value::Array(links)),
            ("sr_policy", self.sr_policy(&link_ids)),
            ("global", self.global()),
        ]);
        let job_type = match self.bod {
            true => JobType::BodPasta,
            false => JobType::NonbodPasta,
        };
        (job_type, body)
    }

    /// Link spec `k` as the link `from → to`; `side` 1 for the reverse of a pair.
    fn link(&self, k: usize, from: usize, to: usize, side: usize) -> Value {
        let l = &self.links[k];
        let (lo_key, re_key, bd_key, affi_key) = match self.long_names {
            true => ("local", "remote", "bandwidth", "affinity"),
            false => ("lo", "re", "bd", "affi"),
        };
        let mut link = Map::new();
        let id = format!("{}-{}.{k}", NAMES[from], NAMES[to]);
        link.insert("id".into(), Value::from(id));
        link.insert(lo_key.into(), Value::from(NAMES[from]));
        link.insert(re_key.into(), Value::from(NAMES[to]));
        if !l.no_ip {
            let ip = format!("192.168.{k}.{}", side + 1);
            link.insert("ip".into(), Value::from(ip));
        }
        if !l.non_sr {
            link.insert("sid".into(), Value::from(24000 + 2 * k + side));
        }
        link.insert("igp".into(), Value::from(l.igp));
        link.insert("te".into(), Value::from(l.te));
        link.insert("delay".into(), Value::from(f64::from(l.half_delay) / 2.0));
        link.insert(bd_key.into(), Value::from(PHYSICAL[l.physical]));
        link.insert(affi_key.into(), self.bits(l.affi));
        if let Some(g) = l.srlg {
            link.insert("srlg".into(), json!([g]));
        }
        if !l.no_class {
            let b = AVAILABLE[l.available];
            let class = json!({"class": CLASS, "bandwidth_reserve": 100.0,
                               "bandwidth_available": b});
            link.insert("qos_class".into(), json!([class]));
        }
        Value::Object(link)
    }

    /// The headend and tailend node positions (distinct).
    fn ends(&self) -> (usize, usize) {
        let n = self.nodes.len();
        let he = self.policy.he as usize % n;
        (he, (he + 1 + self.policy.te as usize % (n - 1)) % n)
    }

    fn node(&self, i: usize) -> Value {
        let mut node = json!({"id": NAMES[i]});
        if !self.nodes[i].no_ip {
            node["ip"] = json!(format!("10.0.0.{i}"));
        }
        let (he, te) = self.ends();
        if !self.nodes[i].non_sr || i == he || i == te {
            node["sid"] = json!(16000 + i);
        }
        node
    }

    /// Affinity bits, as an integer or a hex string.
    fn bits(&self, bits: u64) -> Value {
        match self.hex {
            true => json!(format!("0x{bits:x}")),
            false => json!(bits),
        }
    }

    fn sr_policy(&self, links: &[String]) -> Value {
        let p = &self.policy;
        let n = self.nodes.len();
        let (he, te) = self.ends();
        let pick = |(link, k): &(bool, u16)| match link {
            true => links[*k as usize % links.len()].clone(),
            false => NAMES[*k as usize % n].to_owned(),
        };
        // An excluded headend or tailend is a dull case: kept, but rare.
        let avoid = |(link, k): &(bool, u16)| match (link, *k as usize % n) {
            (false, i) if (i == he || i == te) && k % 8 != 0 => {
                let others: Vec<usize> = (0..n).filter(|i| *i != he && *i != te).collect();
                NAMES[others[*k as usize % others.len()]].to_owned()
            }
            _ => pick(&(*link, *k)),
        };
        let mut exc: Vec<String> = p.exc.iter().map(avoid).collect();
        exc.dedup();
        let mut policy = Map::new();
        let long = self.long_names;
        policy.insert(if long { "headend" } else { "he" }.into(), json!(NAMES[he]));
        policy.insert(if long { "tailend" } else { "te" }.into(), json!(NAMES[te]));
        let metric = ["igp", "te", "latency"][p.metric];
        policy.insert("metric".into(), json!(metric));
        policy.insert(
            if long { "bandwidth" } else { "bd" }.into(),
            json!(REQUESTED[p.bd]),
        );
        if let Some(mask) = p.mask {
            policy.insert("mask".into(), self.bits(mask));
            policy.insert(
                if long { "affinity" } else { "affi" }.into(),
                self.bits(p.affi),
            );
        }
        if !p.inc.is_empty() {
            let inc: Vec<String> = p.inc.iter().map(pick).collect();
            policy.insert(if long { "include" } else { "inc" }.into(), json!(inc));
        }
        if !exc.is_empty() {
            policy.insert(if long { "exclude" } else { "exc" }.into(), json!(exc));
        }
        if let Some(msd) = p.msd {
            policy.insert("msd".into(), json!(msd));
        }
        if p.dis {
            policy.insert(if long { "disjoint" } else { "dis" }.into(), json!(true));
        }
        if self.bod {
            policy.insert("class".into(), json!(CLASS));
        }
        Value::Object(policy)
    }

    fn global(&self) -> Value {
        let metric = self.policy.metric;
        let entries: Vec<Value> = self.entries.iter().map(|e| e.json(metric)).collect();
        let mut global = object([
            ("algorithm", Value::Array(entries)),
            ("flow_factor", Value::from(FLOW[self.flow])),
        ]);
        if let Some(strict) = self.encoding {
            global["encoding"] = json!(if strict { "strict" } else { "ecmp" });
        }
        global
    }
}

/// A JSON object of these fields, moved in.
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

impl EntrySpec {
    /// The entry as JSON; `top` is raised to 1 when the entry is loose, as validation requires.
    fn json(&self, metric: usize) -> Value {
        let mut entry = json!({"algo": self.algo});
        let sorter = self.sorter.unwrap_or(0);
        if let Some(s) = self.sorter {
            entry["sorter"] = json!(["metric", "min_hop", "max_min_band"][s]);
        }
        let loose = self.loose.unwrap_or(self.algo == 1);
        if let Some(top) = self.top {
            entry["top"] = json!(if loose { top.max(1) } else { top });
        }
        if let Some(l) = self.loose {
            entry["loose"] = json!(l);
        }
        if let Some(raw) = self.limit {
            let raw = u64::from(raw);
            entry["limit"] = match (sorter, metric) {
                (0, 2) => json!((raw + 1) as f64 / 2.0),
                (0, _) => json!(raw + 1),
                (1, _) => json!(raw % 4 + 1),
                _ => json!([10.0, 20.0, 25.5, 50.0][raw as usize % 4]),
            };
        }
        entry
    }
}
