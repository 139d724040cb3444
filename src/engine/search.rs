//! Best paths in a leg's graph under the contract's order: cost, then hops, then id sequence.
//!
//! Costs are `(cost, hops)` pairs packed in a `u128` (`cost << 32 | hops`), so that adding and
//! comparing keys adds and compares the pairs lexicographically. Every link adds at least one
//! hop, so the graph of tight links is acyclic even with zero metrics. The id tie-break is taken
//! exactly: among the optimal paths, the one whose id sequence is smallest is found greedily on
//! the tight subgraph, choosing at each node the link with the smallest id that still reaches the
//! target optimally.
//!
//! [`Search::best`] is A* with the exact distances to the target in the unrestricted leg graph as
//! its heuristic (consistent, so each node settles once); Yen's spur searches, which only remove
//! elements, then explore little beyond the path they deviate from. Before it, a depth-first walk
//! along the links tight under the heuristic answers whenever some path attains the heuristic's
//! bound (most spur searches): on graphs with many equal-cost paths it visits the path and not
//! the whole set of tied nodes the A* would settle.
//!
//! [`Costs`] settles least costs forward from a leg's start only as far as the cost of its end:
//! the cost-tight DAG of the leg's least-cost paths. [`RadixHeap`] is the priority queue of the
//! integer-cost Dijkstras ([`Costs`], the IGP trees).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::feasible::Feasible;
use super::topology::{LinkIx, NodeIx, NodeMap, Path, Topology};

/// A packed `(cost, hops)` pair.
pub type Key = u128;

/// No path.
pub const UNREACHABLE: Key = u128::MAX;

/// The key of one link of cost `cost`.
#[inline]
pub fn link_key(cost: u64) -> Key {
    ((cost as u128) << 32) | 1
}

/// The cost part of a key.
#[inline]
pub fn key_cost(key: Key) -> u64 {
    (key >> 32) as u64
}

/// The graph one leg is searched in: the policy's feasible graph, its metric, and the node a link
/// waypoint's leg may not visit (the link's remote end).
#[derive(Clone, Copy)]
pub struct LegGraph<'a> {
    /// The topology.
    pub topo: &'a Topology,
    /// The policy's feasible graph.
    pub feas: &'a Feasible,
    /// The policy metric of each link.
    pub metric: &'a [u64],
    /// A node the leg may not visit.
    pub banned: Option<NodeIx>,
}

impl LegGraph<'_> {
    /// Whether the leg may visit `n`.
    #[inline]
    pub fn node_ok(&self, n: NodeIx) -> bool {
        self.feas.node_ok(n) && Some(n) != self.banned
    }

    /// Exact keys from every node to `target` (`UNREACHABLE` where none): the A* heuristic.
    pub fn distances_to(&self, target: NodeIx) -> Vec<Key> {
        let mut dist = vec![UNREACHABLE; self.topo.node_count()];
        if !self.node_ok(target) {
            return dist;
        }
        let mut heap = BinaryHeap::new();
        dist[target as usize] = 0;
        heap.push(Reverse((0u128, target)));
        while let Some(Reverse((d, v))) = heap.pop() {
            if d != dist[v as usize] {
                continue;
            }
            for &l in self.topo.in_links(v) {
                let u = self.topo.lo[l as usize];
                if !self.feas.link_ok(l) || !self.node_ok(u) {
                    continue;
                }
                let nd = d + link_key(self.metric[l as usize]);
                if nd < dist[u as usize] {
                    dist[u as usize] = nd;
                    heap.push(Reverse((nd, u)));
                }
            }
        }
        dist
    }
}

/// Scratch space for searches, reused across calls (stamps avoid clearing arrays).
pub struct Search {
    g: Vec<Key>,
    seen: Vec<u32>,
    settled: Vec<u32>,
    good: Vec<u32>,
    dead: Vec<u32>,
    blocked_node: Vec<u32>,
    blocked_link: Vec<u32>,
    stamp: u32,
    heap: BinaryHeap<Reverse<(Key, NodeIx)>>,
    order: Vec<NodeIx>,
    stack: Vec<NodeIx>,
    /// Least costs from one node (the least-cost DAG of a leg).
    pub costs: Costs,
    /// Scratch map for DAG builders.
    pub local: NodeMap,
}

impl Search {
    /// Scratch space for a topology.
    pub fn new(topo: &Topology) -> Search {
        let n = topo.node_count();
        Search {
            g: vec![0; n],
            seen: vec![0; n],
            settled: vec![0; n],
            good: vec![0; n],
            dead: vec![0; n],
            blocked_node: vec![0; n],
            blocked_link: vec![0; topo.link_count()],
            stamp: 0,
            heap: BinaryHeap::new(),
            order: Vec::new(),
            stack: Vec::new(),
            costs: Costs::new(n),
            local: NodeMap::new(n),
        }
    }

    fn next_stamp(&mut self) -> u32 {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            for v in [
                &mut self.seen,
                &mut self.settled,
                &mut self.good,
                &mut self.dead,
                &mut self.blocked_node,
                &mut self.blocked_link,
            ] {
                v.iter_mut().for_each(|x| *x = 0);
            }
            self.stamp = 1;
        }
        self.stamp
    }

    /// The best path `from → to` in `leg` avoiding `blocked_nodes` and `blocked_links`, with
    /// `h` = `leg.distances_to(to)`. Returns the path and its key.
    pub fn best(
        &mut self,
        leg: &LegGraph,
        h: &[Key],
        from: NodeIx,
        to: NodeIx,
        blocked_nodes: &[NodeIx],
        blocked_links: &[LinkIx],
    ) -> Option<(Path, Key)> {
        match self.bounded(leg, h, from, to, blocked_nodes, blocked_links) {
            Bounded::Found(found) => Some(found),
            Bounded::None => None,
            Bounded::Above(_) => self.settle(leg, h, from, to, self.stamp),
        }
    }

    /// What [`Search::best`] can say cheaply: the best path when it attains the heuristic's
    /// bound, no path, or that the best key is above the bound (found by [`Search::best`]).
    pub fn bounded(
        &mut self,
        leg: &LegGraph,
        h: &[Key],
        from: NodeIx,
        to: NodeIx,
        blocked_nodes: &[NodeIx],
        blocked_links: &[LinkIx],
    ) -> Bounded {
        if h[from as usize] == UNREACHABLE {
            return Bounded::None;
        }
        let s = self.next_stamp();
        for &n in blocked_nodes {
            self.blocked_node[n as usize] = s;
        }
        for &l in blocked_links {
            self.blocked_link[l as usize] = s;
        }
        if self.blocked_node[from as usize] == s {
            return Bounded::None;
        }
        self.along_heuristic(leg, h, from, to, s)
    }

    /// The A* of [`Search::best`], with the blocked elements stamped `s`.
    fn settle(
        &mut self,
        leg: &LegGraph,
        h: &[Key],
        from: NodeIx,
        to: NodeIx,
        s: u32,
    ) -> Option<(Path, Key)> {
        let topo = leg.topo;
        self.heap.clear();
        self.order.clear();
        self.g[from as usize] = 0;
        self.seen[from as usize] = s;
        self.heap.push(Reverse((h[from as usize], from)));
        let mut best = UNREACHABLE;
        while let Some(Reverse((f, u))) = self.heap.pop() {
            if f > best {
                break;
            }
            let ui = u as usize;
            if self.settled[ui] == s || f != self.g[ui] + h[ui] {
                continue;
            }
            self.settled[ui] = s;
            self.order.push(u);
            if u == to {
                best = f;
                continue;
            }
            let gu = self.g[ui];
            for &l in topo.out_links(u) {
                let v = topo.re[l as usize];
                let vi = v as usize;
                if self.blocked_link[l as usize] == s
                    || self.blocked_node[vi] == s
                    || !leg.feas.link_ok(l)
                    || !leg.node_ok(v)
                    || h[vi] == UNREACHABLE
                    || self.settled[vi] == s
                {
                    continue;
                }
                let ng = gu + link_key(leg.metric[l as usize]);
                if self.seen[vi] != s || ng < self.g[vi] {
                    self.seen[vi] = s;
                    self.g[vi] = ng;
                    self.heap.push(Reverse((ng + h[vi], v)));
                }
            }
        }
        if best == UNREACHABLE {
            return None;
        }
        // Nodes that reach `to` along tight links.
        let tight = |this: &Search, l: LinkIx| {
            let (a, b) = (topo.lo[l as usize] as usize, topo.re[l as usize] as usize);
            this.settled[a] == s
                && this.settled[b] == s
                && this.blocked_link[l as usize] != s
                && leg.feas.link_ok(l)
                && this.g[a] + link_key(leg.metric[l as usize]) == this.g[b]
        };
        self.good[to as usize] = s;
        self.stack.clear();
        self.stack.push(to);
        while let Some(v) = self.stack.pop() {
            for &l in topo.in_links(v) {
                let u = topo.lo[l as usize];
                if self.good[u as usize] != s && tight(self, l) {
                    self.good[u as usize] = s;
                    self.stack.push(u);
                }
            }
        }
        let mut path = Path::single(from);
        let mut u = from;
        while u != to {
            let next = topo
                .out_links(u)
                .iter()
                .copied()
                .find(|&l| self.good[topo.re[l as usize] as usize] == s && tight(self, l))
                .expect("a tight link continues every good node");
            u = topo.re[next as usize];
            path.nodes.push(u);
            path.links.push(next);
        }
        Some((path, self.g[to as usize]))
    }

    /// The fast case of [`Search::best`]: when some path attains the heuristic's bound (the least
    /// `link + h` over the allowed first links), the best path is the first one, in link id order,
    /// of the paths whose every link is tight under `h` (`key(l) + h[v] == h[u]`, the first link
    /// against the bound). A path's key is at least the bound, and equals it exactly when it is
    /// such a path, so the depth-first walk below (tight links in id order, nodes found not to
    /// reach `to` remembered as dead) finds the same path as the full search, visiting little
    /// more than the path when the blocked elements leave it alone. Tight links strictly lower
    /// `h` (every link adds a hop), so the walk never meets a node twice on one branch.
    fn along_heuristic(
        &mut self,
        leg: &LegGraph,
        h: &[Key],
        from: NodeIx,
        to: NodeIx,
        s: u32,
    ) -> Bounded {
        if from == to {
            return Bounded::Found((Path::single(from), 0));
        }
        let topo = leg.topo;
        let allowed = |this: &Search, l: LinkIx| {
            let v = topo.re[l as usize] as usize;
            this.blocked_link[l as usize] != s
                && this.blocked_node[v] != s
                && this.dead[v] != s
                && h[v] != UNREACHABLE
                && leg.feas.link_ok(l)
                && leg.node_ok(v as NodeIx)
        };
        let bound = topo
            .out_links(from)
            .iter()
            .filter(|&&l| allowed(self, l))
            .map(|&l| link_key(leg.metric[l as usize]) + h[topo.re[l as usize] as usize])
            .min();
        let Some(bound) = bound else {
            return Bounded::None;
        };
        // The walk: the path so far, and per node on it the position of the next link to try.
        let mut path = Path::single(from);
        let mut next: Vec<usize> = vec![0];
        let mut need = vec![bound];
        while let Some(&u) = path.nodes.last() {
            let depth = path.nodes.len() - 1;
            let links = topo.out_links(u);
            let want = need[depth];
            let step = links[next[depth]..].iter().position(|&l| {
                let v = topo.re[l as usize] as usize;
                allowed(self, l) && link_key(leg.metric[l as usize]) + h[v] == want
            });
            match step {
                Some(at) => {
                    let l = links[next[depth] + at];
                    next[depth] += at + 1;
                    let v = topo.re[l as usize];
                    path.nodes.push(v);
                    path.links.push(l);
                    if v == to {
                        return Bounded::Found((path, bound));
                    }
                    next.push(0);
                    need.push(h[v as usize]);
                }
                None => {
                    self.dead[u as usize] = s;
                    path.nodes.pop();
                    path.links.pop();
                    next.pop();
                    need.pop();
                }
            }
        }
        Bounded::Above(bound)
    }
}

/// What [`Search::bounded`] learnt of a best path.
#[derive(Debug)]
pub enum Bounded {
    /// The best path and its key.
    Found((Path, Key)),
    /// There is no path.
    None,
    /// The best key, if any path exists, is above this bound: only [`Search::best`] tells.
    Above(Key),
}

/// Least costs from one node of a leg graph in the policy metric (no hops), settled in order of
/// cost up to the cost of a target: what the least-cost DAG of a leg needs. Scratch space reused
/// across calls (stamps avoid clearing arrays).
pub struct Costs {
    cost: Vec<u64>,
    seen: Vec<u32>,
    settled: Vec<u32>,
    stamp: u32,
    heap: RadixHeap,
}

impl Costs {
    /// Scratch space for `n` nodes.
    pub fn new(n: usize) -> Costs {
        Costs {
            cost: vec![0; n],
            seen: vec![0; n],
            settled: vec![0; n],
            stamp: 0,
            heap: RadixHeap::default(),
        }
    }

    /// Settles every node of `leg` whose least cost from `from` is at most that of `to` (ties
    /// included, so that zero-cost links into the target are seen). Returns the cost of `to`, or
    /// `None` when `leg` does not connect them.
    pub fn run(&mut self, leg: &LegGraph, from: NodeIx, to: NodeIx) -> Option<u64> {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.seen.iter_mut().for_each(|x| *x = 0);
            self.settled.iter_mut().for_each(|x| *x = 0);
            self.stamp = 1;
        }
        let s = self.stamp;
        self.heap.clear();
        if !leg.node_ok(from) {
            return None;
        }
        let topo = leg.topo;
        let mut bound: Option<u64> = None;
        self.cost[from as usize] = 0;
        self.seen[from as usize] = s;
        self.heap.push(0, from);
        while let Some((d, u)) = self.heap.pop() {
            if bound.is_some_and(|b| d > b) {
                break;
            }
            let ui = u as usize;
            if self.settled[ui] == s || d != self.cost[ui] {
                continue;
            }
            self.settled[ui] = s;
            if u == to {
                bound = Some(d);
            }
            for &l in topo.out_links(u) {
                let v = topo.re[l as usize];
                let vi = v as usize;
                if self.settled[vi] == s || !leg.feas.link_ok(l) || !leg.node_ok(v) {
                    continue;
                }
                let nd = d.saturating_add(leg.metric[l as usize]);
                if self.seen[vi] != s || nd < self.cost[vi] {
                    self.seen[vi] = s;
                    self.cost[vi] = nd;
                    self.heap.push(nd, v);
                }
            }
        }
        bound
    }

    /// The least cost of a node settled by the last [`Costs::run`].
    #[inline]
    pub fn settled(&self, n: NodeIx) -> Option<u64> {
        (self.settled[n as usize] == self.stamp).then(|| self.cost[n as usize])
    }
}

/// A monotone priority queue of `(cost, node)` for Dijkstra over integer costs (a radix heap):
/// every key pushed must be at least the last key popped or peeked. Entries of equal cost come
/// out in no particular order (no result depends on it).
#[derive(Debug)]
pub struct RadixHeap {
    buckets: Vec<Vec<(u64, NodeIx)>>,
    last: u64,
    len: usize,
}

impl Default for RadixHeap {
    fn default() -> RadixHeap {
        RadixHeap {
            buckets: (0..65).map(|_| Vec::new()).collect(),
            last: 0,
            len: 0,
        }
    }
}

impl RadixHeap {
    #[inline]
    fn bucket(&self, key: u64) -> usize {
        (64 - (key ^ self.last).leading_zeros()) as usize
    }

    /// Adds an entry (`key` at least the last key popped or peeked).
    #[inline]
    pub fn push(&mut self, key: u64, node: NodeIx) {
        debug_assert!(key >= self.last, "radix heaps are monotone");
        let b = self.bucket(key);
        self.buckets[b].push((key, node));
        self.len += 1;
    }

    /// The least key, if any.
    #[inline]
    pub fn peek_key(&mut self) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        self.refill();
        Some(self.last)
    }

    /// Removes an entry of the least key.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, NodeIx)> {
        if self.len == 0 {
            return None;
        }
        self.refill();
        self.len -= 1;
        self.buckets[0].pop()
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.buckets.iter_mut().for_each(Vec::clear);
        self.last = 0;
        self.len = 0;
    }

    /// Makes bucket 0 hold the entries of the least key.
    fn refill(&mut self) {
        if !self.buckets[0].is_empty() {
            return;
        }
        let i = (1..self.buckets.len())
            .find(|&i| !self.buckets[i].is_empty())
            .expect("a non-empty heap has a non-empty bucket");
        let mut moved = std::mem::take(&mut self.buckets[i]);
        self.last = moved.iter().map(|e| e.0).min().expect("non-empty");
        for &(key, node) in &moved {
            let b = self.bucket(key);
            self.buckets[b].push((key, node));
        }
        moved.clear();
        self.buckets[i] = moved;
    }
}
