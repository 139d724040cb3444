//! Class bandwidth bookkeeping (contract §3 step 5): what a segment list charges, what a former
//! placement gives back.
//!
//! A segment with `n` forwarding paths charges each link `amount × (paths through it) / n`; the
//! shares come from the expansion's DAG counts, so even segments with millions of paths are
//! charged exactly, without listing them.

use super::expand::Expansion;
use super::topology::{LinkIx, Topology};
use crate::model::{Request, SegPath};

/// Which class bandwidth a job reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassField {
    /// `bandwidth_available`.
    Available,
    /// `bandwidth_reserve`.
    Reserve,
}

/// The bandwidth of `class` on every link (0 where the link lacks the class).
pub fn class_bandwidth(request: &Request, class: &str, field: ClassField) -> Vec<f64> {
    request
        .links
        .iter()
        .map(|l| {
            l.class(class).map_or(0.0, |q| match field {
                ClassField::Available => q.bandwidth_available,
                ClassField::Reserve => q.bandwidth_reserve,
            })
        })
        .collect()
}

/// What an expansion charges for `amount`: `(link, charge)` sorted by link id.
pub fn charges(topo: &Topology, exp: &Expansion, amount: f64) -> Vec<(LinkIx, f64)> {
    if amount <= 0.0 {
        return Vec::new();
    }
    let mut per_link: std::collections::BTreeMap<u32, (LinkIx, f64)> = Default::default();
    for seg in &exp.segs {
        for &(l, share) in &seg.shares {
            per_link
                .entry(topo.link_rank[l as usize])
                .or_insert((l, 0.0))
                .1 += amount * share;
        }
    }
    per_link.into_values().collect()
}

/// What a placement given as `segs` ids charged for `amount`, by the same rule: `(link, amount)`
/// sorted by link id, and a warning for every id that names nothing.
pub fn given_back(
    topo: &Topology,
    path: &SegPath,
    amount: f64,
    at: &str,
) -> (Vec<(LinkIx, f64)>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut per_link: std::collections::BTreeMap<u32, (LinkIx, f64)> = Default::default();
    for (s, seg) in path.iter().enumerate() {
        let n = seg.len();
        for (a, alt) in seg.iter().enumerate() {
            for (k, id) in alt.iter().enumerate() {
                if let Some(l) = topo.link(id) {
                    per_link
                        .entry(topo.link_rank[l as usize])
                        .or_insert((l, 0.0))
                        .1 += amount / n as f64;
                } else if topo.node(id).is_none() {
                    warnings.push(format!(
                        "{at}[{s}][{a}][{k}]: {id:?} names no node or link; skipped"
                    ));
                }
            }
        }
    }
    if amount <= 0.0 {
        return (Vec::new(), warnings);
    }
    (per_link.into_values().collect(), warnings)
}
