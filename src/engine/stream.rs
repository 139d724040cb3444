//! Whole candidate paths, through every waypoint, lazily, in the contract's order.
//!
//! A candidate is one path per leg, concatenated. Its cost and hops are sums over the legs, and
//! since every path of a leg ends at the same waypoint (and none is a prefix of another), its id
//! sequence compares leg by leg. Hence the order of candidates is the order of leg-index tuples
//! under (total key, legs' sequences), which is monotone in each index: a best-first search over
//! tuples, each with one canonical parent, yields them in order, pulling leg paths from Yen only
//! as far as needed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::feasible::Feasible;
use super::search::{Key, LegGraph, Search};
use super::topology::{LinkIx, NodeIx, Path, Topology};
use super::yen::{LegPaths, LegSpec};

/// Where a waypoint sits on a candidate path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaypointAt {
    /// A node waypoint at this node position.
    Node(usize),
    /// A link waypoint at this link position.
    Link(usize),
}

/// A candidate path with its key and its waypoints' positions.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The path.
    pub path: Path,
    /// `(cost, hops)` key in the policy metric.
    pub key: Key,
    /// The waypoints' positions, in order.
    pub waypoints: Vec<WaypointAt>,
}

/// The graph a policy's candidates are searched in.
#[derive(Clone, Copy)]
pub struct PolicyGraph<'a> {
    /// The topology.
    pub topo: &'a Topology,
    /// The feasible graph.
    pub feas: &'a Feasible,
    /// The policy metric of each link.
    pub metric: &'a [u64],
}

impl<'a> PolicyGraph<'a> {
    fn leg(&self, spec: &LegSpec) -> LegGraph<'a> {
        LegGraph {
            topo: self.topo,
            feas: self.feas,
            metric: self.metric,
            banned: spec.banned(self.topo),
        }
    }
}

/// A heap entry: key, id-rank sequence, leg indices, the axis it was made along.
type Entry = (Key, Vec<u32>, Vec<usize>, usize);

/// The candidates of a policy in order.
pub struct PathStream {
    specs: Vec<LegSpec>,
    legs: Vec<LegPaths>,
    heap: BinaryHeap<Reverse<Entry>>,
}

impl PathStream {
    /// Starts the stream; `Err(i)` when leg `i` has no path at all.
    pub fn new(
        graph: &PolicyGraph,
        specs: Vec<LegSpec>,
        search: &mut Search,
    ) -> Result<PathStream, usize> {
        let mut legs = Vec::with_capacity(specs.len());
        for (i, spec) in specs.iter().enumerate() {
            let leg = LegPaths::new(&graph.leg(spec), *spec, search);
            if leg.is_empty() {
                return Err(i);
            }
            legs.push(leg);
        }
        let mut stream = PathStream {
            specs,
            legs,
            heap: BinaryHeap::new(),
        };
        let start = vec![0; stream.specs.len()];
        stream.push(graph, search, start, 0);
        Ok(stream)
    }

    fn push(&mut self, graph: &PolicyGraph, search: &mut Search, ix: Vec<usize>, axis: usize) {
        if let Some((path, key)) = self.assemble(graph, search, &ix) {
            let seq = graph.topo.rank_seq(&path);
            self.heap.push(Reverse((key, seq, ix, axis)));
        }
    }

    fn assemble(
        &mut self,
        graph: &PolicyGraph,
        search: &mut Search,
        ix: &[usize],
    ) -> Option<(Path, Key)> {
        let mut path: Option<Path> = None;
        let mut key: Key = 0;
        for (m, &k) in ix.iter().enumerate() {
            let lg = graph.leg(&self.specs[m]);
            let leg = self.legs[m].get(k, &lg, search)?;
            key += leg.key;
            match &mut path {
                None => path = Some(leg.path.clone()),
                Some(p) => p.extend(&leg.path),
            }
        }
        path.map(|p| (p, key))
    }

    /// The next candidate, or `None` when every combination has been produced.
    pub fn next(&mut self, graph: &PolicyGraph, search: &mut Search) -> Option<Candidate> {
        let Reverse((key, _, ix, axis)) = self.heap.pop()?;
        for m in axis..ix.len() {
            let mut child = ix.clone();
            child[m] += 1;
            self.push(graph, search, child, m);
        }
        let (path, _) = self.assemble(graph, search, &ix)?;
        let mut waypoints = Vec::with_capacity(self.specs.len().saturating_sub(1));
        let mut pos = 0;
        for (m, &k) in ix.iter().enumerate().take(self.specs.len() - 1) {
            let lg = graph.leg(&self.specs[m]);
            pos += self.legs[m].get(k, &lg, search)?.path.hops();
            waypoints.push(match self.specs[m].link {
                Some(_) => WaypointAt::Link(pos - 1),
                None => WaypointAt::Node(pos),
            });
        }
        Some(Candidate {
            path,
            key,
            waypoints,
        })
    }
}

/// Most least-cost paths listed by [`least_cost`] before it leaves the work to Yen.
const LEAST_COST_CAP: usize = 4096;

/// Every least-cost candidate in order, found directly on the cost-tight DAG of each leg (no
/// Yen): `None` when a leg has no path, zero-cost links make the DAG cyclic, or there are more
/// than [`LEAST_COST_CAP`] such candidates; the caller then reads the [`PathStream`].
pub fn least_cost(graph: &PolicyGraph, specs: &[LegSpec]) -> Option<Vec<Candidate>> {
    let topo = graph.topo;
    let mut per_leg: Vec<Vec<Path>> = Vec::with_capacity(specs.len());
    for spec in specs {
        let lg = graph.leg(spec);
        if spec.link.is_some_and(|l| !graph.feas.link_ok(l)) {
            return None;
        }
        let h = lg.distances_to(spec.to);
        if h[spec.from as usize] == super::search::UNREACHABLE {
            return None;
        }
        let cost = |n: NodeIx| super::search::key_cost(h[n as usize]);
        let ok = |l: LinkIx| {
            let (a, b) = (topo.lo[l as usize], topo.re[l as usize]);
            lg.feas.link_ok(l)
                && Some(b) != lg.banned
                && h[b as usize] != super::search::UNREACHABLE
                && graph.metric[l as usize].checked_add(cost(b)) == Some(cost(a))
        };
        // A zero-cost tight link could close a cycle: leave such legs to Yen.
        let mut paths = Vec::new();
        let mut stack: Vec<(Path, usize)> = vec![(Path::single(spec.from), 0)];
        while let Some((path, _)) = stack.pop() {
            let u = path.last();
            if u == spec.to {
                paths.push(path);
                if paths.len() > LEAST_COST_CAP {
                    return None;
                }
                continue;
            }
            for &l in topo.out_links(u).iter().rev() {
                if ok(l) {
                    if graph.metric[l as usize] == 0 {
                        return None;
                    }
                    let mut next = path.clone();
                    next.links.push(l);
                    next.nodes.push(topo.re[l as usize]);
                    stack.push((next, 0));
                }
            }
        }
        if let Some(l) = spec.link {
            for p in &mut paths {
                p.links.push(l);
                p.nodes.push(topo.re[l as usize]);
            }
        }
        per_leg.push(paths);
    }
    let total = per_leg
        .iter()
        .try_fold(1usize, |acc, p| acc.checked_mul(p.len()))
        .filter(|&n| n <= LEAST_COST_CAP)?;
    let mut out: Vec<(Key, Vec<u32>, Candidate)> = Vec::with_capacity(total);
    let mut ix = vec![0usize; per_leg.len()];
    loop {
        let mut path = per_leg[0][ix[0]].clone();
        let mut waypoints = Vec::with_capacity(per_leg.len() - 1);
        for m in 0..per_leg.len() {
            if m > 0 {
                path.extend(&per_leg[m][ix[m]]);
            }
            if m + 1 < per_leg.len() {
                waypoints.push(match specs[m].link {
                    Some(_) => WaypointAt::Link(path.hops() - 1),
                    None => WaypointAt::Node(path.hops()),
                });
            }
        }
        let key = path
            .links
            .iter()
            .map(|&l| super::search::link_key(graph.metric[l as usize]))
            .sum();
        let seq = topo.rank_seq(&path);
        out.push((
            key,
            seq,
            Candidate {
                path,
                key,
                waypoints,
            },
        ));
        let mut d = per_leg.len();
        loop {
            if d == 0 {
                out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
                return Some(out.into_iter().map(|(_, _, c)| c).collect());
            }
            d -= 1;
            ix[d] += 1;
            if ix[d] < per_leg[d].len() {
                break;
            }
            ix[d] = 0;
        }
    }
}
