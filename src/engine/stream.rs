//! Whole candidate paths, through every waypoint, lazily, in the contract's order.
//!
//! A candidate is one path per leg, concatenated. Its cost and hops are sums over the legs, and
//! since every path of a leg ends at the same waypoint (and none is a prefix of another), its id
//! sequence compares leg by leg. Hence the order of candidates is the order of leg-index tuples
//! under (total key, legs' sequences), which is monotone in each index: a best-first search over
//! tuples, each with one canonical parent, yields them in order, pulling leg paths from Yen only
//! as far as needed.
//!
//! Least-cost sets (`loose: false`) need no Yen: [`least_cost`] reads the first candidates of
//! each total hop count, in id order, straight from the legs' cost-tight DAGs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::feasible::Feasible;
use super::igp::{IgpModel, FAR};
use super::search::{link_key, Key, LegGraph, Search};
use super::topology::{LinkIx, NodeIx, NodeMap, Path, Topology};
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
    /// Whether that metric is the IGP metric (least-cost DAGs may then come from the IGP trees).
    pub igp_metric: bool,
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

/// The first `want` least-cost candidates in order, read directly from the cost-tight DAG of
/// each leg (no Yen). `None` when a leg has no path or a zero-cost link lies on a least-cost path
/// (the tight links could then be cyclic); the caller then reads the [`PathStream`].
///
/// Each leg's DAG is found by a forward search from the leg's start settled up to the cost of its
/// end ([`super::search::Costs`]), or, when the policy metric is igp and the whole topology is
/// feasible, read from the job's IGP tree of the leg's start (which the encoder needs anyway).
/// Every DAG node knows the set of hop counts of its paths to the leg's end, and the sets of the
/// remaining legs are summed, so a depth-first walk in link id order with an exact hop budget
/// lists the candidates of each total hop count in id order without entering a dead end: the
/// cost is the DAGs plus the paths listed, however many least-cost paths there are.
pub fn least_cost(
    graph: &PolicyGraph,
    specs: &[LegSpec],
    want: usize,
    igp: &mut IgpModel,
    search: &mut Search,
) -> Option<Vec<Candidate>> {
    let topo = graph.topo;
    let mut dags: Vec<LegDag> = Vec::with_capacity(specs.len());
    for spec in specs {
        if spec.link.is_some_and(|l| !graph.feas.link_ok(l)) {
            return None;
        }
        let shared = graph.igp_metric
            && graph.feas.whole()
            && !topo.has_zero_igp
            && spec.banned(topo).is_none();
        let dag = if shared {
            let tree = igp.spt_until(topo, spec.from, spec.to, FAR);
            let spt = tree.borrow();
            if spt.dist[spec.to as usize] == FAR {
                return None;
            }
            LegDag::new(
                topo,
                graph.metric,
                spec,
                |l| spt.tight(topo, l),
                |n| spt.dist[n as usize],
                &mut search.local,
            )?
        } else {
            let lg = graph.leg(spec);
            let costs = &mut search.costs;
            costs.run(&lg, spec.from, spec.to)?;
            let costs = &*costs;
            let tight = |l: LinkIx| {
                let (a, b) = (topo.lo[l as usize], topo.re[l as usize]);
                lg.feas.link_ok(l)
                    && lg.node_ok(b)
                    && match (costs.settled(a), costs.settled(b)) {
                        (Some(ca), Some(cb)) => {
                            ca.checked_add(graph.metric[l as usize]) == Some(cb)
                        }
                        _ => false,
                    }
            };
            LegDag::new(
                topo,
                graph.metric,
                spec,
                tight,
                |n| costs.settled(n).unwrap_or(u64::MAX),
                &mut search.local,
            )?
        };
        dags.push(dag);
    }
    Some(walk_legs(topo, graph.metric, &dags, want))
}

/// The least-cost DAG of one leg, with dense local indices in decreasing order of cost from the
/// leg's start (so a node's successors come before it), its links in id order, and per node the
/// set of hop counts of its paths to the leg's end (a bit set offset by the least count).
struct LegDag {
    nodes: Vec<NodeIx>,
    child_start: Vec<u32>,
    child_link: Vec<LinkIx>,
    child_node: Vec<u32>,
    min_hops: Vec<u32>,
    bits_start: Vec<u32>,
    bits: Vec<u64>,
    root: u32,
    end: u32,
    link: Option<LinkIx>,
}

impl LegDag {
    /// The DAG of the links on least-cost paths `spec.from → spec.to`, given the test of a tight
    /// link (both ends settled, cost-tight, usable) and each settled node's cost from the start.
    /// `None` when a tight link costs zero.
    fn new(
        topo: &Topology,
        metric: &[u64],
        spec: &LegSpec,
        tight: impl Fn(LinkIx) -> bool,
        cost: impl Fn(NodeIx) -> u64,
        local: &mut NodeMap,
    ) -> Option<LegDag> {
        local.clear();
        if spec.from == spec.to {
            return Some(LegDag {
                nodes: vec![spec.to],
                child_start: vec![0, 0],
                child_link: Vec::new(),
                child_node: Vec::new(),
                min_hops: vec![0],
                bits_start: vec![0, 1],
                bits: vec![1],
                root: 0,
                end: 0,
                link: spec.link,
            });
        }
        // Nodes that reach the end along tight links (all of them are reached from the start).
        let mut nodes = vec![spec.to];
        local.insert(spec.to, 0);
        let mut k = 0;
        while k < nodes.len() {
            let b = nodes[k];
            k += 1;
            for &l in topo.in_links(b) {
                if !tight(l) {
                    continue;
                }
                if metric[l as usize] == 0 {
                    return None;
                }
                let a = topo.lo[l as usize];
                if !local.contains(a) {
                    local.insert(a, 0);
                    nodes.push(a);
                }
            }
        }
        nodes.sort_unstable_by_key(|&n| (std::cmp::Reverse(cost(n)), n));
        for (i, &n) in nodes.iter().enumerate() {
            local.insert(n, i as u32);
        }
        let mut child_start = Vec::with_capacity(nodes.len() + 1);
        let mut child_link = Vec::new();
        let mut child_node = Vec::new();
        for &u in &nodes {
            child_start.push(child_link.len() as u32);
            for &l in topo.out_links(u) {
                if let Some(c) = local.get(topo.re[l as usize]) {
                    if tight(l) {
                        child_link.push(l);
                        child_node.push(c);
                    }
                }
            }
        }
        child_start.push(child_link.len() as u32);
        // Hop sets, successors first.
        let n = nodes.len();
        let mut min_hops = vec![0u32; n];
        let mut bits_start = Vec::with_capacity(n + 1);
        let mut bits: Vec<u64> = Vec::with_capacity(n);
        for u in 0..n {
            bits_start.push(bits.len() as u32);
            let kids = child_start[u] as usize..child_start[u + 1] as usize;
            if kids.is_empty() {
                // The end (every other DAG node has a tight link onwards).
                bits.push(1);
                continue;
            }
            let (mut lo, mut hi) = (u32::MAX, 0u32);
            for &c in &child_node[kids.clone()] {
                let c = c as usize;
                let words = bits_start[c + 1] - bits_start[c];
                lo = lo.min(min_hops[c] + 1);
                hi = hi.max(min_hops[c] + 1 + 64 * words);
            }
            min_hops[u] = lo;
            let at = bits.len();
            bits.resize(at + ((hi - lo) as usize).div_ceil(64), 0);
            let (done, mine) = bits.split_at_mut(at);
            for &c in &child_node[kids] {
                let c = c as usize;
                let src = &done[bits_start[c] as usize..bits_start[c + 1] as usize];
                or_shifted(mine, src, (min_hops[c] + 1 - lo) as usize);
            }
            // Trim high words left empty by the rough upper bound.
            while bits.len() > at + 1 && bits.last() == Some(&0) {
                bits.pop();
            }
        }
        bits_start.push(bits.len() as u32);
        let root = local.get(spec.from).expect("the start reaches the end");
        let end = local.get(spec.to).expect("the end is in its DAG");
        Some(LegDag {
            nodes,
            child_start,
            child_link,
            child_node,
            min_hops,
            bits_start,
            bits,
            root,
            end,
            link: spec.link,
        })
    }

    /// Whether local node `u` has a path of exactly `h` links to the leg's end.
    #[inline]
    fn has(&self, u: u32, h: usize) -> bool {
        let u = u as usize;
        let min = self.min_hops[u] as usize;
        if h < min {
            return false;
        }
        let b = h - min;
        let w = self.bits_start[u] as usize + b / 64;
        w < self.bits_start[u + 1] as usize && (self.bits[w] >> (b % 64)) & 1 == 1
    }

    /// The hop counts of local node `u`'s paths to the leg's end, ascending.
    fn hop_counts(&self, u: u32) -> impl Iterator<Item = usize> + '_ {
        let u = u as usize;
        let min = self.min_hops[u] as usize;
        let words = &self.bits[self.bits_start[u] as usize..self.bits_start[u + 1] as usize];
        words.iter().enumerate().flat_map(move |(i, &w)| {
            (0..64)
                .filter(move |b| (w >> b) & 1 == 1)
                .map(move |b| min + 64 * i + b)
        })
    }

    /// The hop counts of the whole leg (the waypoint link included) as a bit set from 0.
    fn leg_set(&self) -> Vec<u64> {
        let extra = usize::from(self.link.is_some());
        let mut set = Vec::new();
        for h in self.hop_counts(self.root) {
            let h = h + extra;
            if set.len() <= h / 64 {
                set.resize(h / 64 + 1, 0);
            }
            set[h / 64] |= 1 << (h % 64);
        }
        set
    }
}

/// `dst |= src << shift` over bit sets stored as words (bits past `dst`'s end are dropped).
fn or_shifted(dst: &mut [u64], src: &[u64], shift: usize) {
    let (w, b) = (shift / 64, shift % 64);
    for (i, &x) in src.iter().enumerate() {
        if x == 0 {
            continue;
        }
        if let Some(d) = dst.get_mut(i + w) {
            *d |= x << b;
        }
        if b > 0 {
            if let Some(d) = dst.get_mut(i + w + 1) {
                *d |= x >> (64 - b);
            }
        }
    }
}

/// Whether bit `h` of a bit set is set.
#[inline]
fn bit(set: &[u64], h: usize) -> bool {
    set.get(h / 64).is_some_and(|w| (w >> (h % 64)) & 1 == 1)
}

/// The sum sets of the legs: `suffix[m]` holds the hop counts of legs `m..` together.
fn suffix_sets(dags: &[LegDag]) -> Vec<Vec<u64>> {
    let mut suffix = vec![vec![1u64]; dags.len() + 1];
    for m in (0..dags.len()).rev() {
        let leg = dags[m].leg_set();
        let next = &suffix[m + 1];
        let mut set = vec![0u64; leg.len() + next.len()];
        for (i, &w) in leg.iter().enumerate() {
            for b in (0..64).filter(|b| (w >> b) & 1 == 1) {
                or_shifted(&mut set, next, 64 * i + b);
            }
        }
        while set.len() > 1 && set.last() == Some(&0) {
            set.pop();
        }
        suffix[m] = set;
    }
    suffix
}

/// One level of the walk: leg `m` at local node `u`, the next child to try, and what entering it
/// pushed (links onto the path, waypoint positions).
struct Frame {
    m: usize,
    u: u32,
    next: u32,
    pushed: usize,
    waypoints: usize,
}

/// The walk's state for one total hop count.
struct Walker<'w> {
    topo: &'w Topology,
    metric: &'w [u64],
    dags: &'w [LegDag],
    suffix: &'w [Vec<u64>],
    path: Path,
    waypoints: Vec<WaypointAt>,
    frames: Vec<Frame>,
    left: usize,
}

impl Walker<'_> {
    fn push_link(&mut self, l: LinkIx) {
        self.path.links.push(l);
        self.path.nodes.push(self.topo.re[l as usize]);
        self.left -= 1;
    }

    fn undo(&mut self, pushed: usize, waypoints: usize) {
        for _ in 0..pushed {
            self.path.links.pop();
            self.path.nodes.pop();
        }
        self.left += pushed;
        self.waypoints.truncate(self.waypoints.len() - waypoints);
    }

    /// Whether leg `m`'s local node `c`, with `left` links still to take, can complete.
    #[inline]
    fn can(&self, m: usize, c: u32, left: usize) -> bool {
        let dag = &self.dags[m];
        let extra = usize::from(dag.link.is_some());
        if m + 1 == self.dags.len() {
            return left >= extra && dag.has(c, left - extra);
        }
        let rest = &self.suffix[m + 1];
        dag.hop_counts(c)
            .take_while(|&a| a + extra <= left)
            .any(|a| bit(rest, left - a - extra))
    }

    /// Enters leg `m` at local node `u` after `pushed` links were pushed for it; completes legs
    /// that end there, and the candidate when the last one does (returned).
    fn enter(&mut self, m: usize, u: u32, pushed: usize) -> Option<Candidate> {
        let (mut m, mut u, mut pushed, mut waypoints) = (m, u, pushed, 0);
        while u == self.dags[m].end {
            if let Some(l) = self.dags[m].link {
                self.push_link(l);
                pushed += 1;
            }
            if m + 1 == self.dags.len() {
                debug_assert_eq!(self.left, 0);
                let key = self
                    .path
                    .links
                    .iter()
                    .map(|&l| link_key(self.metric[l as usize]))
                    .sum();
                let cand = Candidate {
                    path: self.path.clone(),
                    key,
                    waypoints: self.waypoints.clone(),
                };
                self.undo(pushed, waypoints);
                return Some(cand);
            }
            let hops = self.path.hops();
            self.waypoints.push(match self.dags[m].link {
                Some(_) => WaypointAt::Link(hops - 1),
                None => WaypointAt::Node(hops),
            });
            waypoints += 1;
            m += 1;
            u = self.dags[m].root;
        }
        self.frames.push(Frame {
            m,
            u,
            next: self.dags[m].child_start[u as usize],
            pushed,
            waypoints,
        });
        None
    }
}

/// The first `want` candidates through the legs' DAGs, by total hops then ids.
fn walk_legs(topo: &Topology, metric: &[u64], dags: &[LegDag], want: usize) -> Vec<Candidate> {
    let suffix = suffix_sets(dags);
    let totals: Vec<usize> = (0..64 * suffix[0].len())
        .filter(|&h| bit(&suffix[0], h))
        .collect();
    let first = dags[0].nodes[dags[0].root as usize];
    let mut out = Vec::new();
    for total in totals {
        if out.len() >= want {
            break;
        }
        let mut w = Walker {
            topo,
            metric,
            dags,
            suffix: &suffix,
            path: Path::single(first),
            waypoints: Vec::new(),
            frames: Vec::new(),
            left: total,
        };
        out.extend(w.enter(0, dags[0].root, 0));
        while out.len() < want {
            let Some(f) = w.frames.last() else {
                break;
            };
            let (m, u, from) = (f.m, f.u, f.next);
            let dag = &dags[m];
            let end = dag.child_start[u as usize + 1];
            let found = match w.left.checked_sub(1) {
                Some(left) => (from..end).find(|&k| w.can(m, dag.child_node[k as usize], left)),
                None => None,
            };
            match found {
                Some(k) => {
                    w.frames.last_mut().expect("a frame").next = k + 1;
                    w.push_link(dag.child_link[k as usize]);
                    out.extend(w.enter(m, dag.child_node[k as usize], 1));
                }
                None => {
                    let f = w.frames.pop().expect("a frame");
                    w.undo(f.pushed, f.waypoints);
                }
            }
        }
    }
    out
}
