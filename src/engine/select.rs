//! Candidates of one algorithm entry (contract §3 step 2): the pool, `top`, `sorter`, `limit`.
//!
//! The pool is read from the ordered [`PathStream`] only as far as needed: up to `top` paths of
//! the least cost (`loose: false`) or of any cost (`loose: true`). The least-cost set is read
//! straight from the cost-tight DAGs instead ([`least_cost`]), and so is a loose pool whenever
//! the least-cost set alone fills it. With `msd`, paths whose encoding needs more SIDs are
//! skipped while reading, so the pool holds only encodable paths; since such paths may be
//! rare, reading stops after [`EXAMINE_CAP`] paths.

use super::encode::{Encoder, SegmentList};
use super::igp::IgpModel;
use super::search::{key_cost, Search};
use super::stream::{least_cost, Candidate, PathStream, PolicyGraph};
use super::yen::LegSpec;
use crate::model::{AlgorithmEntry, Metric, Sorter};

/// Most paths read from the stream when `msd` filters them.
pub const EXAMINE_CAP: usize = 2_000;
/// Most candidates of a `top: 0` least-cost set.
pub const POOL_CAP: usize = 1_000;

/// Why an entry has no candidate.
#[derive(Debug, Clone, PartialEq)]
pub enum NoCandidate {
    /// Leg `i` has no path in the feasible graph.
    Unreachable(usize),
    /// Paths exist, none within `msd` (among the first `examined`).
    MsdExceeded {
        /// Paths read.
        examined: usize,
    },
    /// Candidates exist, none within `limit`.
    Limit {
        /// How many were filtered out.
        filtered: usize,
    },
}

/// A candidate with its encoding when it was computed while reading the pool.
pub type Ranked = (Candidate, Option<SegmentList>);

/// The ranked candidates of an entry.
#[allow(clippy::too_many_arguments)]
pub fn candidates(
    graph: &PolicyGraph,
    specs: Vec<LegSpec>,
    entry: &AlgorithmEntry,
    metric: Metric,
    msd: Option<u32>,
    encoder: &mut Encoder,
    igp: &mut IgpModel,
    search: &mut Search,
) -> Result<Vec<Ranked>, NoCandidate> {
    let cap = if entry.top == 0 {
        POOL_CAP
    } else {
        entry.top as usize
    };
    let mut pool: Vec<Ranked> = Vec::new();
    let mut examined = 0;
    // The least-cost set straight from the cost-tight DAGs when no msd filters it. It is a
    // loose pool too when it has `top` paths or more: every other path costs more, so the
    // first `top` paths of any cost are its first `top`, and no Yen search is needed.
    let direct = msd
        .is_none()
        .then(|| least_cost(graph, &specs, cap, igp, search))
        .flatten()
        .filter(|all| !entry.loose || all.len() >= cap);
    let mut stream = match direct {
        Some(all) => {
            pool = all.into_iter().take(cap).map(|c| (c, None)).collect();
            None
        }
        None => Some(PathStream::new(graph, specs, search).map_err(NoCandidate::Unreachable)?),
    };
    while let Some(cand) = stream.as_mut().and_then(|s| s.next(graph, search)) {
        if !entry.loose {
            if let Some((first, _)) = pool.first() {
                if key_cost(cand.key) > key_cost(first.key) {
                    break;
                }
            }
        }
        examined += 1;
        let list = match msd {
            Some(m) => {
                let list = encoder.encode(igp, &cand);
                if list.segments.len() > m as usize {
                    if examined >= EXAMINE_CAP {
                        break;
                    }
                    continue;
                }
                Some(list)
            }
            None => None,
        };
        pool.push((cand, list));
        if pool.len() >= cap {
            break;
        }
    }
    if pool.is_empty() {
        return Err(NoCandidate::MsdExceeded { examined });
    }
    let bottleneck = |c: &Candidate| {
        c.path
            .links
            .iter()
            .map(|&l| graph.feas.bw[l as usize])
            .fold(f64::INFINITY, f64::min)
    };
    match entry.sorter {
        Sorter::Metric => pool.sort_by_key(|(c, _)| key_cost(c.key)),
        Sorter::MinHop => pool.sort_by_key(|(c, _)| c.path.hops()),
        Sorter::MaxMinBand => {
            pool.sort_by(|(a, _), (b, _)| bottleneck(b).total_cmp(&bottleneck(a)))
        }
    }
    if entry.limit > 0.0 {
        let before = pool.len();
        let limit = entry.limit;
        pool.retain(|(c, _)| match entry.sorter {
            Sorter::Metric => {
                let cost = key_cost(c.key) as f64;
                let cost = if metric == Metric::Latency {
                    cost / 1000.0
                } else {
                    cost
                };
                cost <= limit
            }
            Sorter::MinHop => c.path.hops() as f64 <= limit,
            Sorter::MaxMinBand => bottleneck(c) >= limit,
        });
        if pool.is_empty() {
            return Err(NoCandidate::Limit { filtered: before });
        }
    }
    Ok(pool)
}
