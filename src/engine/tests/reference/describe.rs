//! The result fields of one encoded path for the brute-force reference (contract §3 step 4):
//! `sids`, `segs`, `paths`, `attr` and `attr_worst`, plus the per-SID forwarding paths that the
//! reservation (step 5) charges.

use serde_json::{json, Map, Value};

use super::encode::{Candidate, Encoder, Seg};
use super::input::{Body, Metric};
use super::paths::Path;

/// The most paths a `segs` entry or `paths` lists before it is cut.
const CAP: usize = 1024;

/// An encoded candidate and its expansion.
pub struct Described {
    /// The forwarding paths of each SID, sorted by ids.
    pub per_sid: Vec<Vec<Path>>,
    /// Every end-to-end combination (uncut).
    pub expansion: Vec<Path>,
    /// `{sids, segs, paths, attr, attr_worst}` (+ `segs_total`, `paths_total` when cut).
    pub fields: Map<String, Value>,
}

/// Encodes a candidate and describes the result.
pub fn describe(enc: &Encoder, c: &Candidate) -> Described {
    let body = enc.body;
    let segs = enc.encode(c);
    let per_sid: Vec<Vec<Path>> = segs.iter().map(|s| enc.forwarding(c, s)).collect();
    let mut expansion = vec![Path::single(body.policy.he)];
    for choices in &per_sid {
        expansion = expansion
            .iter()
            .flat_map(|p| choices.iter().map(move |q| p.join(q)))
            .collect();
    }
    let mut fields = Map::new();
    let sids: Vec<Value> = segs.iter().map(|s| sid(body, c, s)).collect();
    fields.insert("sids".into(), sids.into());
    let seg_ids: Vec<Vec<Vec<String>>> = per_sid
        .iter()
        .map(|ps| ps.iter().map(|p| p.ids(body)).collect())
        .collect();
    if seg_ids.iter().any(|s| s.len() > CAP) {
        let totals: Vec<usize> = seg_ids.iter().map(Vec::len).collect();
        fields.insert("segs_total".into(), json!(totals));
    }
    let cut: Vec<Vec<Vec<String>>> = seg_ids.into_iter().map(|s| capped(s, CAP)).collect();
    fields.insert("segs".into(), json!(cut));
    let mut path_ids: Vec<Vec<String>> = expansion.iter().map(|p| p.ids(body)).collect();
    path_ids.sort();
    if path_ids.len() > CAP {
        fields.insert("paths_total".into(), json!(path_ids.len()));
    }
    fields.insert("paths".into(), json!(capped(path_ids, CAP)));
    let (attr, worst) = attributes(body, &expansion);
    fields.insert("attr".into(), attr);
    fields.insert("attr_worst".into(), worst);
    Described {
        per_sid,
        expansion,
        fields,
    }
}

fn capped<T>(mut list: Vec<T>, cap: usize) -> Vec<T> {
    list.truncate(cap);
    list
}

/// A `sids` entry: `{id, ip, sid}` for a node SID, `{id, lo, re, ip, sid}` for an adjacency.
fn sid(body: &Body, c: &Candidate, s: &Seg) -> Value {
    if s.adj {
        let l = &body.links[c.path.links[s.from]];
        json!({"id": l.id, "lo": body.nodes[l.lo].id, "re": body.nodes[l.re].id,
               "ip": l.ip, "sid": l.sid})
    } else {
        let n = &body.nodes[c.path.nodes[s.to]];
        json!({"id": n.id, "ip": n.ip, "sid": n.sid})
    }
}

/// `attr` (best of each metric) and `attr_worst` (worst of each) over the expansion.
fn attributes(body: &Body, expansion: &[Path]) -> (Value, Value) {
    let sums = |m: Metric| expansion.iter().map(move |p| p.sum(body, m));
    let hops = || expansion.iter().map(Path::hops);
    let bottlenecks: Vec<Option<f64>> = expansion.iter().map(|p| p.bottleneck(body)).collect();
    let known = || bottlenecks.iter().flatten().copied();
    let widest = if bottlenecks.iter().any(Option::is_none) {
        -1.0
    } else {
        known().fold(f64::MIN, f64::max)
    };
    let narrowest = known().reduce(f64::min).unwrap_or(-1.0);
    let milli = |x: Option<u64>| x.expect("a non-empty expansion") as f64 / 1000.0;
    let attr = json!({
        "igp": sums(Metric::Igp).min(),
        "te": sums(Metric::Te).min(),
        "delay": milli(sums(Metric::Latency).min()),
        "min_hop": hops().min(),
        "max_min_band": widest,
    });
    let worst = json!({
        "igp": sums(Metric::Igp).max(),
        "te": sums(Metric::Te).max(),
        "delay": milli(sums(Metric::Latency).max()),
        "max_hop": hops().max(),
        "min_band": narrowest,
    });
    (attr, worst)
}

/// The reservation rows of the main result (contract §3 step 5), sorted by link id.
pub fn reservations(body: &Body, main: &Described) -> Value {
    let p = &body.policy;
    let class = p.class.clone().expect("a bod policy has a class");
    let mut charged = vec![0.0; body.links.len()];
    let mut touched = vec![false; body.links.len()];
    if p.bd > 0.0 {
        for paths in &main.per_sid {
            let share = p.bd * body.flow_factor / paths.len() as f64;
            for l in paths.iter().flat_map(|q| &q.links) {
                charged[*l] += share;
                touched[*l] = true;
            }
        }
    }
    let mut links: Vec<usize> = (0..body.links.len()).filter(|l| touched[*l]).collect();
    links.sort_by(|a, b| body.links[*a].id.cmp(&body.links[*b].id));
    let rows: Vec<Value> = links
        .into_iter()
        .map(|l| {
            let before = body.band(l);
            json!({"link": body.links[l].id, "class": class, "before": before,
                   "reserved": charged[l], "after": before - charged[l]})
        })
        .collect();
    rows.into()
}
