//! Why an entry has no path (contract §3 step 6): the code, the constraint, the widest bandwidth.
//!
//! The removal steps of §3 step 1 are replayed in order on the failing leg; the first whose
//! removals leave its ends disconnected is the constraint. The widest bandwidth is the largest
//! bottleneck through every leg with all constraints but bandwidth (a max-min Dijkstra).

use std::collections::BinaryHeap;

use serde_json::{json, Value};

use super::feasible::{Feasible, Step};
use super::select::NoCandidate;
use super::topology::{NodeIx, Topology};
use super::yen::LegSpec;
use crate::model::Policy;

/// The `info` of an item without a path.
pub fn info(
    topo: &Topology,
    feas: &Feasible,
    specs: &[LegSpec],
    policy: &Policy,
    failure: &NoCandidate,
) -> Value {
    match *failure {
        NoCandidate::Unreachable(i) => {
            let leg = &specs[i];
            let constraint = Step::ALL
                .into_iter()
                .find(|&step| !connected(topo, feas, leg, |s| s > step))
                .map(|s| json!(s))
                .unwrap_or_else(|| json!("topology"));
            let widest = specs
                .iter()
                .map(|leg| widest(topo, feas, leg))
                .try_fold(f64::INFINITY, |acc, w| w.map(|w| acc.min(w)));
            let widest = match widest {
                Some(w) if w.is_infinite() => json!(-1),
                Some(w) => json!(w),
                None => Value::Null,
            };
            if i + 1 < specs.len() {
                let waypoint = &policy.inc[i];
                json!({
                    "code": "UNREACHABLE_WAYPOINT",
                    "message": format!("waypoint {waypoint:?} cannot be reached (constraint: {})", constraint.as_str().unwrap_or("topology")),
                    "waypoint": waypoint,
                    "constraint": constraint,
                    "widest_bandwidth": widest,
                })
            } else {
                json!({
                    "code": "NO_PATH",
                    "message": format!("no path from {:?} to {:?} (constraint: {})", policy.he, policy.te, constraint.as_str().unwrap_or("topology")),
                    "constraint": constraint,
                    "widest_bandwidth": widest,
                })
            }
        }
        NoCandidate::MsdExceeded { examined } => json!({
            "code": "MSD_EXCEEDED",
            "message": format!("no path within msd {} among the {examined} best paths", policy.msd.unwrap_or(0)),
            "msd": policy.msd,
            "examined": examined,
        }),
        NoCandidate::Limit { filtered } => json!({
            "code": "LIMIT",
            "message": format!("none of the {filtered} candidates is within the entry's limit"),
            "candidates": filtered,
        }),
    }
}

/// Whether a leg's ends are connected using only elements whose removal step passes `kept`.
fn connected(topo: &Topology, feas: &Feasible, leg: &LegSpec, kept: impl Fn(Step) -> bool) -> bool {
    let banned = leg.banned(topo);
    let node_ok = |n: NodeIx| Some(n) != banned && feas.node_cut[n as usize].is_none_or(&kept);
    if let Some(l) = leg.link {
        if !feas.link_cut[l as usize].is_none_or(&kept) {
            return false;
        }
    }
    if !node_ok(leg.from) || !node_ok(leg.to) {
        return false;
    }
    let mut seen = vec![false; topo.node_count()];
    let mut stack = vec![leg.from];
    seen[leg.from as usize] = true;
    while let Some(u) = stack.pop() {
        if u == leg.to {
            return true;
        }
        for &l in topo.out_links(u) {
            let v = topo.re[l as usize];
            if !seen[v as usize] && node_ok(v) && feas.link_cut[l as usize].is_none_or(&kept) {
                seen[v as usize] = true;
                stack.push(v);
            }
        }
    }
    false
}

/// The largest bottleneck of a leg with every constraint but bandwidth (`None`: no path).
fn widest(topo: &Topology, feas: &Feasible, leg: &LegSpec) -> Option<f64> {
    let kept = |s: Step| s > Step::RealTraffic;
    let banned = leg.banned(topo);
    let node_ok = |n: NodeIx| Some(n) != banned && feas.node_cut[n as usize].is_none_or(kept);
    let link_ok = |l: u32| feas.link_cut[l as usize].is_none_or(kept);
    if leg.link.is_some_and(|l| !link_ok(l)) || !node_ok(leg.from) {
        return None;
    }
    let mut best = vec![f64::NEG_INFINITY; topo.node_count()];
    let mut heap = BinaryHeap::new();
    best[leg.from as usize] = f64::INFINITY;
    heap.push((Band(f64::INFINITY), leg.from));
    while let Some((Band(b), u)) = heap.pop() {
        if b < best[u as usize] {
            continue;
        }
        if u == leg.to {
            let link_bw = leg.link.map_or(f64::INFINITY, |l| feas.bw[l as usize]);
            return Some(b.min(link_bw));
        }
        for &l in topo.out_links(u) {
            let v = topo.re[l as usize];
            if !node_ok(v) || !link_ok(l) {
                continue;
            }
            let nb = b.min(feas.bw[l as usize]);
            if nb > best[v as usize] {
                best[v as usize] = nb;
                heap.push((Band(nb), v));
            }
        }
    }
    None
}

/// A bandwidth ordered totally, for the max-heap of the widest-path search.
struct Band(f64);
impl PartialEq for Band {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Band {}
impl PartialOrd for Band {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Band {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}
