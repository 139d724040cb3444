//! Reads a single-policy JSON request body into plain indexed structs for the brute-force
//! reference, applying the contract's aliases and defaults (§2) by itself: it shares nothing with
//! `crate::model`, so a parser bug cannot hide an engine bug.
//!
//! Supported: nodes `{id, ip, sid}`, links `{id, lo, re, ip, sid, igp, te, delay, bd, affi, srlg,
//! qos_class}`, one policy `{he, te, metric, bd, affi, mask, inc, exc, msd, class, dis}` and
//! `global {algorithm, flow_factor, encoding}`. Flex-algo prefixes, `real_traffic` and the list
//! job types are not. Bodies are assumed valid: a malformed one panics.

use serde_json::Value;

use crate::model::JobType;

/// A request body, indexed: links and waypoints name nodes and links by position.
pub struct Body {
    /// Nodes in input order.
    pub nodes: Vec<Node>,
    /// Directed links in input order.
    pub links: Vec<Link>,
    /// The one policy.
    pub policy: Policy,
    /// The algorithm entries, presets applied.
    pub entries: Vec<Entry>,
    /// Reservation multiplier.
    pub flow_factor: f64,
    /// `encoding: "strict"`.
    pub strict: bool,
    /// A `bod_pasta` job (class bandwidths, reservations).
    pub bod: bool,
}

/// A router.
pub struct Node {
    pub id: String,
    pub ip: Option<String>,
    pub sid: Option<u64>,
}

/// A directed link.
pub struct Link {
    pub id: String,
    pub lo: usize,
    pub re: usize,
    pub ip: Option<String>,
    pub sid: Option<u64>,
    pub igp: u64,
    pub te: u64,
    /// `round(delay × 1000)`.
    pub delay_milli: u64,
    /// Physical bandwidth, -1 for unknown.
    pub bd: f64,
    pub affi: u64,
    pub srlg: Vec<u64>,
    /// `(class, bandwidth_available)` per QoS class entry.
    pub available: Vec<(String, f64)>,
}

/// The policy metric.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Metric {
    Igp,
    Te,
    Latency,
}

/// A node or a link, by position.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Elem {
    Node(usize),
    Link(usize),
}

/// The one SR policy.
pub struct Policy {
    pub he: usize,
    pub te: usize,
    pub metric: Metric,
    pub bd: f64,
    pub affi: u64,
    pub mask: Option<u64>,
    pub inc: Vec<Elem>,
    pub exc: Vec<Elem>,
    pub msd: Option<usize>,
    pub class: Option<String>,
    pub dis: bool,
}

/// How candidates are ranked.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sorter {
    Metric,
    MinHop,
    MaxMinBand,
}

/// One algorithm entry, preset applied.
pub struct Entry {
    pub algo: u64,
    pub sorter: Sorter,
    pub top: usize,
    pub limit: f64,
    pub loose: bool,
}

impl Body {
    /// The step-1 bandwidth `b` of a link: the class's available bandwidth in bod jobs (0 when the
    /// link lacks the class), the physical one otherwise. Negative means unlimited.
    pub fn band(&self, link: usize) -> f64 {
        let l = &self.links[link];
        if !self.bod {
            return l.bd;
        }
        let class = self
            .policy
            .class
            .as_deref()
            .expect("a bod policy has a class");
        l.available
            .iter()
            .find(|(c, _)| c == class)
            .map_or(0.0, |(_, b)| *b)
    }

    /// The node or link with this id.
    fn elem(&self, id: &str) -> Elem {
        if let Some(n) = self.nodes.iter().position(|n| n.id == id) {
            Elem::Node(n)
        } else {
            let l = self.links.iter().position(|l| l.id == id);
            Elem::Link(l.unwrap_or_else(|| panic!("unknown id {id}")))
        }
    }
}

/// The first present, non-null field among `names` (short name first, then aliases).
fn get<'a>(v: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| v.get(*n))
        .filter(|x| !x.is_null())
}

fn text(v: Option<&Value>) -> Option<String> {
    v.map(|x| x.as_str().expect("a string").to_owned())
}

fn number(v: Option<&Value>, default: f64) -> f64 {
    v.map_or(default, |x| x.as_f64().expect("a number"))
}

/// Affinity bits: an integer or a hex string with optional `0x`.
fn bits(v: Option<&Value>) -> Option<u64> {
    v.map(|x| match x.as_str() {
        Some(s) => {
            let hex = s.trim_start_matches("0x").trim_start_matches("0X");
            u64::from_str_radix(hex, 16).expect("hex affinity")
        }
        None => x.as_u64().expect("integer affinity"),
    })
}

/// Reads a `bod_pasta` or `nonbod_pasta` body.
pub fn read(job_type: JobType, v: &Value) -> Body {
    let bod = match job_type {
        JobType::BodPasta => true,
        JobType::NonbodPasta => false,
        other => panic!("the reference computes single policies only, not {other}"),
    };
    let nodes: Vec<Node> = v["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| Node {
            id: text(n.get("id")).expect("node id"),
            ip: text(get(n, &["ip"])),
            sid: get(n, &["sid"]).map(|s| s.as_u64().expect("sid")),
        })
        .collect();
    let node = |id: &str| nodes.iter().position(|n| n.id == id).expect("known node");
    let links = v["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| Link {
            id: text(l.get("id")).expect("link id"),
            lo: node(&text(get(l, &["lo", "local"])).expect("lo")),
            re: node(&text(get(l, &["re", "remote"])).expect("re")),
            ip: text(get(l, &["ip"])),
            sid: get(l, &["sid"]).map(|s| s.as_u64().expect("sid")),
            igp: get(l, &["igp"]).map_or(0, |x| x.as_u64().expect("igp")),
            te: get(l, &["te"]).map_or(0, |x| x.as_u64().expect("te")),
            delay_milli: (number(get(l, &["delay"]), 1000.0) * 1000.0).round() as u64,
            bd: number(get(l, &["bd", "bandwidth"]), -1.0),
            affi: bits(get(l, &["affi", "affinity"])).unwrap_or(0),
            srlg: get(l, &["srlg"]).map_or(vec![], |s| {
                let list = s.as_array().expect("srlg list");
                list.iter().map(|x| x.as_u64().expect("srlg")).collect()
            }),
            available: get(l, &["qos_class"]).map_or(vec![], |q| {
                let list = q.as_array().expect("qos_class list");
                let avail = |c: &Value| number(c.get("bandwidth_available"), 0.0);
                list.iter()
                    .map(|c| (text(c.get("class")).expect("class"), avail(c)))
                    .collect()
            }),
        })
        .collect();
    let mut body = Body {
        nodes,
        links,
        policy: Policy {
            he: 0,
            te: 0,
            metric: Metric::Igp,
            bd: 0.0,
            affi: 0,
            mask: None,
            inc: vec![],
            exc: vec![],
            msd: None,
            class: None,
            dis: false,
        },
        entries: vec![],
        flow_factor: number(v["global"].get("flow_factor"), 1.0),
        strict: v["global"].get("encoding").and_then(Value::as_str) == Some("strict"),
        bod,
    };
    body.policy = policy(&body, &v["sr_policy"]);
    body.entries = entries(&v["global"]);
    body
}

fn policy(body: &Body, v: &Value) -> Policy {
    let v = v.as_array().map_or(v, |list| &list[0]);
    let node = |names: &[&str]| match body.elem(&text(get(v, names)).expect("he/te")) {
        Elem::Node(n) => n,
        Elem::Link(_) => panic!("he/te must be nodes"),
    };
    let elems = |names: &[&str]| {
        get(v, names).map_or(vec![], |list| {
            let list = list.as_array().expect("a list of ids");
            list.iter()
                .map(|x| body.elem(x.as_str().expect("an id")))
                .collect()
        })
    };
    Policy {
        he: node(&["he", "headend"]),
        te: node(&["te", "tailend"]),
        metric: match get(v, &["metric"]).and_then(Value::as_str) {
            None | Some("igp") => Metric::Igp,
            Some("te") => Metric::Te,
            Some("latency" | "delay") => Metric::Latency,
            Some(other) => panic!("unknown metric {other}"),
        },
        bd: number(get(v, &["bd", "bandwidth"]), 0.0),
        affi: bits(get(v, &["affi", "affinity"])).unwrap_or(0),
        mask: bits(get(v, &["mask"])),
        inc: elems(&["inc", "include"]),
        exc: elems(&["exc", "exclude"]),
        msd: get(v, &["msd"]).map(|m| m.as_u64().expect("msd") as usize),
        class: text(get(v, &["class"])),
        dis: get(v, &["dis", "disjoint"]).is_some_and(|d| d.as_bool().expect("dis")),
    }
}

fn entries(global: &Value) -> Vec<Entry> {
    let list = global.get("algorithm").and_then(Value::as_array);
    let list = match list {
        Some(l) if !l.is_empty() => l.clone(),
        _ => vec![serde_json::json!({"algo": 0})],
    };
    list.iter()
        .map(|e| {
            let algo = e.get("algo").and_then(Value::as_u64).unwrap_or(0);
            let sorter = get(e, &["sorter", "sorting"]).and_then(Value::as_str);
            Entry {
                algo,
                sorter: match sorter {
                    None | Some("metric") => Sorter::Metric,
                    Some("min_hop") => Sorter::MinHop,
                    Some("max_min_band") => Sorter::MaxMinBand,
                    Some(other) => panic!("unknown sorter {other}"),
                },
                top: e.get("top").and_then(Value::as_u64).unwrap_or(10) as usize,
                limit: number(e.get("limit"), 0.0),
                loose: get(e, &["loose"]).map_or(algo == 1, |l| l.as_bool().expect("loose")),
            }
        })
        .collect()
}
