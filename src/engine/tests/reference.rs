//! A brute-force reference of the single-policy computation (contract §3 steps 1–5) for
//! `nonbod_pasta` and `bod_pasta`, working on the JSON body, written to be obviously right rather
//! than fast: every simple path by depth-first search, every leg combination, every segment list.
//! Meant for graphs of a handful of nodes; the property tests compare the engine with it.
//!
//! The settled interpretations it implements are spelled out where they apply; see
//! `Search` for the candidate pipeline and `encode` for the segment rules.

mod describe;
mod encode;
mod input;
mod paths;

use serde_json::{json, Map, Value};

use crate::model::JobType;
use describe::{describe, reservations, Described};
use encode::{Candidate, Encoder, Waypoint};
use input::{Body, Elem, Entry, Metric, Sorter};
use paths::{path_order, simple_paths, wider_first, Feasible, Igp, Path};

/// The result document `{"info": {}, "data": [item per algorithm entry]}` of a `bod_pasta` or
/// `nonbod_pasta` body, holding only the fields the reference decides: per item `algo_type`,
/// `status`, `info.code` on failure, and `data` (`sids`, `segs`, `paths`, `attr`, `attr_worst`,
/// `other`, the `d_*` fields when `dis`), and `reservations` in bod jobs.
pub fn compute(job_type: JobType, body: &Value) -> Value {
    let body = input::read(job_type, body);
    let igp = Igp::new(&body);
    let search = Search::new(&body, &igp, &body.policy.exc);
    let items: Vec<Value> = body
        .entries
        .iter()
        .map(|e| item(&body, &igp, &search, e))
        .collect();
    let mut document = Map::new();
    document.insert("info".into(), json!({}));
    document.insert("data".into(), Value::Array(items));
    Value::Object(document)
}

/// The item of one algorithm entry.
fn item(body: &Body, igp: &Igp, search: &Search, entry: &Entry) -> Value {
    let solution = match search.solve(entry) {
        Ok(s) => s,
        Err(code) => {
            return json!({"algo_type": entry.algo, "status": false, "info": {"code": code},
                          "data": {}})
        }
    };
    let mut data = solution.main.fields.clone();
    data.insert("other".into(), others(&solution.other));
    if body.policy.dis {
        data.extend(disjoint(body, igp, entry, &solution.main));
    }
    let mut item = Map::new();
    item.insert("algo_type".into(), entry.algo.into());
    item.insert("status".into(), true.into());
    item.insert("info".into(), json!({}));
    item.insert("data".into(), Value::Object(data));
    if body.bod {
        item.insert("reservations".into(), reservations(body, &solution.main));
    }
    Value::Object(item)
}

fn others(other: &[Described]) -> Value {
    other
        .iter()
        .map(|d| Value::Object(d.fields.clone()))
        .collect()
}

/// The main result and the `other` ones of one computation.
struct Solution {
    main: Described,
    other: Vec<Described>,
}

/// What every algorithm entry shares under one set of exclusions: the feasible graph (step 1)
/// and every candidate path within `msd`, in path order — or why there is none.
struct Search<'a> {
    body: &'a Body,
    igp: &'a Igp,
    feasible: Feasible,
    all: Result<Vec<Candidate>, &'static str>,
}

impl<'a> Search<'a> {
    fn new(body: &'a Body, igp: &'a Igp, exc: &[Elem]) -> Search<'a> {
        let p = &body.policy;
        let feasible = Feasible::new(body, exc);
        let all = candidates(body, &feasible).and_then(|mut all| {
            all.sort_by_cached_key(|c| path_order(body, p.metric, &c.path));
            if let Some(msd) = p.msd {
                let enc = Encoder {
                    body,
                    igp,
                    feasible: &feasible,
                };
                all.retain(|c| enc.fits(c, msd));
                if all.is_empty() {
                    return Err("MSD_EXCEEDED");
                }
            }
            Ok(all)
        });
        Search {
            body,
            igp,
            feasible,
            all,
        }
    }

    /// Steps 2–4 for one entry: pool, `top`, `sorter`, `limit`, encodings.
    fn solve(&self, entry: &Entry) -> Result<Solution, &'static str> {
        let body = self.body;
        let p = &body.policy;
        let all = self.all.clone()?;
        let cost = |c: &Candidate| c.path.sum(body, p.metric);
        let least = cost(&all[0]);
        let pool: Vec<Candidate> = if entry.loose {
            all
        } else {
            all.into_iter().filter(|c| cost(c) == least).collect()
        };
        let mut ranked: Vec<Candidate> = match entry.top {
            0 => pool,
            top => pool.into_iter().take(top).collect(),
        };
        match entry.sorter {
            Sorter::Metric => ranked.sort_by_key(cost),
            Sorter::MinHop => ranked.sort_by_key(|c| c.path.hops()),
            Sorter::MaxMinBand => {
                ranked.sort_by(|a, b| wider_first(a.path.bottleneck(body), b.path.bottleneck(body)))
            }
        }
        if entry.limit != 0.0 {
            ranked.retain(|c| within_limit(body, entry, &c.path));
            if ranked.is_empty() {
                return Err("LIMIT");
            }
        }
        let enc = Encoder {
            body,
            igp: self.igp,
            feasible: &self.feasible,
        };
        let main = describe(&enc, &ranked[0]);
        let mut covered: Vec<Vec<String>> = main.expansion.iter().map(|q| q.ids(body)).collect();
        let mut other = vec![];
        for c in &ranked[1..] {
            if !covered.contains(&c.path.ids(body)) {
                let d = describe(&enc, c);
                covered.extend(d.expansion.iter().map(|q| q.ids(body)));
                other.push(d);
            }
        }
        Ok(Solution { main, other })
    }
}

/// Whether a candidate's sorter key passes the entry's `limit`.
fn within_limit(body: &Body, entry: &Entry, path: &Path) -> bool {
    match entry.sorter {
        Sorter::Metric => {
            let cost = path.sum(body, body.policy.metric) as f64;
            let cost = match body.policy.metric {
                Metric::Latency => cost / 1000.0,
                Metric::Igp | Metric::Te => cost,
            };
            cost <= entry.limit
        }
        Sorter::MinHop => path.hops() as f64 <= entry.limit,
        Sorter::MaxMinBand => path.bottleneck(body).is_none_or(|b| b >= entry.limit),
    }
}

/// Every candidate path: one simple path per leg (headend → each waypoint → tailend) in the
/// feasible graph, in every combination. A link waypoint's leg is a simple path to its `lo` that
/// avoids its `re`, then the link. Fails with `UNREACHABLE_WAYPOINT` when a leg to a waypoint has
/// no path, else `NO_PATH` when the last leg has none.
fn candidates(body: &Body, feasible: &Feasible) -> Result<Vec<Candidate>, &'static str> {
    let p = &body.policy;
    let node_ok = |n: usize| feasible.node[n];
    let link_ok = |l: usize| feasible.link[l];
    let mut start = p.he;
    let mut legs: Vec<(Vec<Path>, Option<Elem>)> = vec![];
    for w in &p.inc {
        let leg = match *w {
            Elem::Node(v) => {
                let leg = simple_paths(body, start, v, &node_ok, &link_ok);
                start = v;
                leg
            }
            Elem::Link(l) => {
                let (lo, re) = (body.links[l].lo, body.links[l].re);
                let before_re = |n: usize| n != re && feasible.node[n];
                let to_lo = simple_paths(body, start, lo, &before_re, &link_ok);
                let link = Path {
                    nodes: vec![lo, re],
                    links: vec![l],
                };
                start = re;
                match feasible.link[l] {
                    true => to_lo.iter().map(|q| q.join(&link)).collect(),
                    false => vec![],
                }
            }
        };
        legs.push((leg, Some(*w)));
    }
    legs.push((simple_paths(body, start, p.te, &node_ok, &link_ok), None));
    if legs.iter().any(|(leg, w)| leg.is_empty() && w.is_some()) {
        return Err("UNREACHABLE_WAYPOINT");
    }
    if legs.iter().any(|(leg, _)| leg.is_empty()) {
        return Err("NO_PATH");
    }
    let mut all = vec![Candidate {
        path: Path::single(p.he),
        waypoints: vec![],
    }];
    for (leg, w) in &legs {
        let mut next = vec![];
        for c in &all {
            for q in leg {
                let path = c.path.join(q);
                let mut waypoints = c.waypoints.clone();
                match w {
                    Some(Elem::Node(_)) => waypoints.push(Waypoint::Node(path.hops())),
                    Some(Elem::Link(_)) => waypoints.push(Waypoint::Link(path.hops() - 1)),
                    None => {}
                }
                next.push(Candidate { path, waypoints });
            }
        }
        all = next;
    }
    Ok(all)
}

/// The `d_*` fields: the best path with the main expansion's transit nodes and links (and links
/// sharing an SRLG with them) excluded too, or with only those links if that finds nothing.
fn disjoint(body: &Body, igp: &Igp, entry: &Entry, main: &Described) -> Map<String, Value> {
    let p = &body.policy;
    let mut links: Vec<usize> = main
        .expansion
        .iter()
        .flat_map(|q| q.links.clone())
        .collect();
    let srlg: Vec<u64> = links
        .iter()
        .flat_map(|l| body.links[*l].srlg.clone())
        .collect();
    let sharing = (0..body.links.len()).filter(|l| {
        let groups = &body.links[*l].srlg;
        groups.iter().any(|g| srlg.contains(g))
    });
    links.extend(sharing);
    let mut only_links = p.exc.clone();
    only_links.extend(links.into_iter().map(Elem::Link));
    let mut with_nodes = only_links.clone();
    let transit = main.expansion.iter().flat_map(|q| q.nodes.clone());
    with_nodes.extend(transit.filter(|n| *n != p.he && *n != p.te).map(Elem::Node));
    let found = Search::new(body, igp, &with_nodes)
        .solve(entry)
        .or_else(|_| Search::new(body, igp, &only_links).solve(entry));
    let mut d = Map::new();
    match found {
        Ok(s) => {
            for key in ["sids", "segs", "paths", "attr"] {
                d.insert(format!("d_{key}"), s.main.fields[key].clone());
            }
            d.insert("d_other".into(), others(&s.other));
        }
        Err(_) => {
            for key in ["d_sids", "d_segs", "d_paths", "d_other"] {
                d.insert(key.into(), json!([]));
            }
            d.insert("d_attr".into(), json!({}));
        }
    }
    d
}
