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
use super::topology::{walk, LinkIx, NodeIx, Path, Topology};
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
pub const LEAST_COST_CAP: usize = 4096;

/// Every least-cost candidate in order, found directly on the cost-tight DAG of each leg (no
/// Yen): `None` when a leg has no path, zero-cost links make the DAG cyclic, or there are more
/// than [`LEAST_COST_CAP`] such candidates; the caller then reads the [`PathStream`].
pub fn least_cost(graph: &PolicyGraph, specs: &[LegSpec], want: usize) -> Option<Vec<Candidate>> {
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
        // Count first (a zero-cost tight link could close a cycle: such legs go to Yen), so that
        // large sets are never listed.
        if count_tight(topo, spec.from, spec.to, &ok, graph.metric)? > LEAST_COST_CAP as u128 {
            if specs.len() > 1 {
                return None;
            }
            // One leg with a huge least-cost set: its first `want` paths by (hops, ids) directly.
            let mut paths = first_by_hops(topo, spec.from, spec.to, &ok, want);
            if let Some(l) = spec.link {
                for p in &mut paths {
                    p.links.push(l);
                    p.nodes.push(topo.re[l as usize]);
                }
            }
            per_leg.push(paths);
            break;
        }
        let to = spec.to;
        let mut paths = walk(
            topo,
            spec.from,
            usize::MAX,
            |_, l| ok(l),
            |p| p.last() == to,
        );
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
        .filter(|&n| n <= LEAST_COST_CAP.max(want))?;
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

/// The number of paths `from → to` along links passing `ok` (a DAG when every such link costs
/// more than zero); `None` when a zero-cost link is met.
fn count_tight(
    topo: &Topology,
    from: NodeIx,
    to: NodeIx,
    ok: &dyn Fn(LinkIx) -> bool,
    metric: &[u64],
) -> Option<u128> {
    let mut memo: std::collections::HashMap<NodeIx, u128> = std::collections::HashMap::new();
    memo.insert(to, 1);
    // Post-order over the DAG, iteratively.
    let mut stack: Vec<(NodeIx, bool)> = vec![(from, false)];
    while let Some((u, expanded)) = stack.pop() {
        if memo.contains_key(&u) {
            continue;
        }
        let links = topo.out_links(u).iter().copied().filter(|&l| ok(l));
        if expanded {
            let mut c: u128 = 0;
            for l in links {
                c = c.saturating_add(memo.get(&topo.re[l as usize]).copied().unwrap_or(0));
            }
            memo.insert(u, c);
        } else {
            stack.push((u, true));
            for l in links {
                if metric[l as usize] == 0 {
                    return None;
                }
                let v = topo.re[l as usize];
                if !memo.contains_key(&v) {
                    stack.push((v, false));
                }
            }
        }
    }
    memo.get(&from).copied()
}

/// The first `want` paths `from → to` along links passing `ok` (an acyclic set) in order of hops,
/// then ids: for each node the set of hop counts that still reach `to` is known, so a depth-first
/// walk in link id order with an exact hop budget never enters a dead end.
fn first_by_hops(
    topo: &Topology,
    from: NodeIx,
    to: NodeIx,
    ok: &dyn Fn(LinkIx) -> bool,
    want: usize,
) -> Vec<Path> {
    let words = topo.node_count() / 64 + 1;
    let mut hops: std::collections::HashMap<NodeIx, Vec<u64>> = std::collections::HashMap::new();
    let mut at_to = vec![0u64; words];
    at_to[0] = 1;
    hops.insert(to, at_to);
    let mut stack: Vec<(NodeIx, bool)> = vec![(from, false)];
    while let Some((u, expanded)) = stack.pop() {
        if hops.contains_key(&u) {
            continue;
        }
        let links: Vec<LinkIx> = topo
            .out_links(u)
            .iter()
            .copied()
            .filter(|&l| ok(l))
            .collect();
        if expanded {
            let mut set = vec![0u64; words];
            for l in links {
                if let Some(next) = hops.get(&topo.re[l as usize]) {
                    // set |= next << 1
                    let mut carry = 0u64;
                    for (w, &x) in set.iter_mut().zip(next.iter()) {
                        *w |= (x << 1) | carry;
                        carry = x >> 63;
                    }
                }
            }
            hops.insert(u, set);
        } else {
            stack.push((u, true));
            for l in links {
                let v = topo.re[l as usize];
                if !hops.contains_key(&v) {
                    stack.push((v, false));
                }
            }
        }
    }
    let has = |n: NodeIx, h: usize| {
        hops.get(&n)
            .is_some_and(|set| set.get(h / 64).is_some_and(|w| w >> (h % 64) & 1 == 1))
    };
    let mut out = Vec::new();
    for total in 0..words * 64 {
        if out.len() >= want {
            break;
        }
        if !has(from, total) {
            continue;
        }
        let accept = |p: &Path, l: LinkIx| ok(l) && has(topo.re[l as usize], total - p.hops() - 1);
        let found = walk(topo, from, want - out.len(), accept, |p| p.hops() == total);
        out.extend(found);
    }
    out
}
