//! The IGP forwarding model: where a node SID sends traffic (contract §3 step 3).
//!
//! For a source node, the IGP shortest-path tree on the whole topology (every node and link,
//! SR-capable or not, excluded or not, igp metric): distances, the number of shortest paths to
//! every node, and a topological order of the tight links. It depends on the topology only, so
//! one [`IgpModel`] is shared by every candidate, algorithm entry and policy of a job.
//!
//! Trees grow lazily: [`Spt::ensure`] settles nodes up to a radius and the Dijkstra resumes from
//! where it stopped the next time a larger radius is asked for. A segment `P[i..j]` only needs
//! the ball of radius `igp(P[i..j])` around `P[i]`, so most trees stay small. With positive
//! metrics a node's count is final when it settles (all its tight predecessors are closer).
//!
//! Zero IGP metrics can make the tight links cyclic; such topologies get whole trees with a
//! topological sort, and the shortest loopless paths to nodes on or behind a zero-cost cycle are
//! not counted: those nodes are `uncounted`, and no node SID is used to reach them (an adjacency
//! SID always can). A documented limitation.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::search::RadixHeap;
use super::topology::{LinkIx, NodeIx, Topology};

/// Distance of a node not settled (unreachable, or beyond the radius settled so far).
pub const FAR: u64 = u64::MAX;

/// The IGP shortest-path tree of one source, settled up to some radius.
#[derive(Debug)]
pub struct Spt {
    /// The source.
    pub source: NodeIx,
    /// IGP distance of each settled node (`FAR` otherwise).
    pub dist: Vec<u64>,
    /// Number of shortest paths to each settled node (saturating; 0 where uncounted; a partial
    /// sum for nodes not settled yet).
    pub count: Vec<u128>,
    /// Settling order (a topological order of the tight links); `u32::MAX` if not settled.
    pub topo_pos: Vec<u32>,
    /// Nodes on or behind a zero-cost cycle (counts unknown).
    pub uncounted: Vec<bool>,
    tentative: Vec<u64>,
    heap: RadixHeap,
    settled: u32,
    complete: bool,
}

/// A shared, growable tree.
pub type SharedSpt = Rc<RefCell<Spt>>;

impl Spt {
    fn new(topo: &Topology, source: NodeIx) -> Spt {
        let n = topo.node_count();
        let mut spt = Spt {
            source,
            dist: vec![FAR; n],
            count: vec![0; n],
            topo_pos: vec![u32::MAX; n],
            uncounted: vec![false; n],
            tentative: vec![FAR; n],
            heap: RadixHeap::default(),
            settled: 0,
            complete: false,
        };
        spt.tentative[source as usize] = 0;
        spt.heap.push(0, source);
        if topo.has_zero_igp {
            spt.ensure(topo, FAR);
            spt.recount_with_cycles(topo);
        }
        spt
    }

    /// Whether link `l` lies on a loopless shortest path from the source to its remote end (both
    /// ends settled; a link back into the source never does, even at zero cost).
    #[inline]
    pub fn tight(&self, topo: &Topology, l: LinkIx) -> bool {
        let re = topo.re[l as usize];
        let a = self.dist[topo.lo[l as usize] as usize];
        let b = self.dist[re as usize];
        a != FAR && b != FAR && a.saturating_add(topo.igp[l as usize]) == b && re != self.source
    }

    /// Whether the shortest paths to a settled `v` are counted.
    #[inline]
    pub fn counted(&self, v: NodeIx) -> bool {
        self.dist[v as usize] != FAR && !self.uncounted[v as usize]
    }

    /// Settles every node at distance `radius` or less.
    ///
    /// With positive metrics a node's count is the sum of its tight predecessors' counts, all
    /// settled before it: each settled node adds its count forward along its tight links.
    pub fn ensure(&mut self, topo: &Topology, radius: u64) {
        if self.complete {
            return;
        }
        let forward_counts = !topo.has_zero_igp;
        while let Some(d) = self.heap.peek_key() {
            if d > radius {
                return;
            }
            let (_, u) = self.heap.pop().expect("peeked");
            let ui = u as usize;
            if d != self.tentative[ui] || self.dist[ui] != FAR {
                continue;
            }
            self.dist[ui] = d;
            self.topo_pos[ui] = self.settled;
            self.settled += 1;
            if u == self.source {
                self.count[ui] = 1;
            }
            let c = self.count[ui];
            for &l in topo.out_links(u) {
                let v = topo.re[l as usize] as usize;
                let nd = d.saturating_add(topo.igp[l as usize]);
                if nd < self.tentative[v] {
                    self.tentative[v] = nd;
                    if forward_counts {
                        self.count[v] = c;
                    }
                    self.heap.push(nd, v as NodeIx);
                } else if forward_counts && nd == self.tentative[v] && self.dist[v] == FAR {
                    self.count[v] = self.count[v].saturating_add(c);
                }
            }
        }
        self.complete = true;
    }

    /// Settles nodes until `v` is settled (and every node as close), at most to `radius`.
    pub fn ensure_until(&mut self, topo: &Topology, v: NodeIx, radius: u64) {
        let mut radius = radius;
        if self.dist[v as usize] != FAR {
            radius = radius.min(self.dist[v as usize]);
        }
        while !self.complete {
            let Some(d) = self.heap.peek_key() else {
                break;
            };
            if d > radius {
                break;
            }
            self.ensure(topo, d);
            if self.dist[v as usize] != FAR {
                radius = radius.min(self.dist[v as usize]);
            }
        }
    }

    /// Zero-metric topologies: a topological order of the tight links (Kahn), counts along it,
    /// and every node the order leaves out marked uncounted.
    fn recount_with_cycles(&mut self, topo: &Topology) {
        let n = topo.node_count();
        let mut indegree = vec![0usize; n];
        for v in 0..n as NodeIx {
            if self.dist[v as usize] != FAR && v != self.source {
                indegree[v as usize] = topo
                    .in_links(v)
                    .iter()
                    .filter(|&&l| self.tight(topo, l))
                    .count();
            }
        }
        let mut order = Vec::new();
        let mut queue = vec![self.source];
        while let Some(u) = queue.pop() {
            order.push(u);
            for &l in topo.out_links(u) {
                let v = topo.re[l as usize];
                if self.tight(topo, l) {
                    indegree[v as usize] -= 1;
                    if indegree[v as usize] == 0 {
                        queue.push(v);
                    }
                }
            }
        }
        self.topo_pos.iter_mut().for_each(|p| *p = u32::MAX);
        for (i, &v) in order.iter().enumerate() {
            self.topo_pos[v as usize] = i as u32;
        }
        self.count.iter_mut().for_each(|c| *c = 0);
        self.count[self.source as usize] = 1;
        for &v in order.iter().skip(1) {
            let mut c: u128 = 0;
            for &l in topo.in_links(v) {
                if self.tight(topo, l) {
                    c = c.saturating_add(self.count[topo.lo[l as usize] as usize]);
                }
            }
            self.count[v as usize] = c;
        }
        for v in 0..n {
            self.uncounted[v] = self.dist[v] != FAR && self.topo_pos[v] == u32::MAX;
        }
    }
}

/// Whether a tree grown on `old` is the tree `new` gives (settled part, counts and the state
/// it resumes from), when the two topologies have the same structure.
///
/// The rule: a tree stays exact unless a link whose IGP metric changed leaves a node the tree
/// has settled. Distances, counts and tentative distances only ever came from links leaving
/// settled nodes; a link leaving an unsettled node is read for the first time when that node
/// settles, by then with its new metric. Topologies with zero metrics (whose trees are grown
/// whole, with a topological recount) keep nothing when a metric changes.
pub fn still_exact(tree: &Spt, old: &Topology, new: &Topology, changed: &[LinkIx]) -> bool {
    if !old.same_structure(new) {
        return false;
    }
    if changed.is_empty() {
        return true;
    }
    if old.has_zero_igp || new.has_zero_igp {
        return false;
    }
    changed
        .iter()
        .all(|&l| tree.dist[new.lo[l as usize] as usize] == FAR)
}

/// Shortest-path trees by source, computed on demand and shared by a whole job.
pub struct IgpModel {
    trees: HashMap<NodeIx, SharedSpt>,
    capacity: usize,
}

impl IgpModel {
    /// An empty model for a topology; it keeps at most about 512 MiB of trees.
    pub fn new(topo: &Topology) -> IgpModel {
        let per_tree = 48 * topo.node_count().max(1);
        IgpModel {
            trees: HashMap::new(),
            capacity: ((512usize << 20) / per_tree).max(64),
        }
    }

    /// The tree of `source`, settled until `v` is (and every node as close), at most to `radius`.
    pub fn spt_until(
        &mut self,
        topo: &Topology,
        source: NodeIx,
        v: NodeIx,
        radius: u64,
    ) -> SharedSpt {
        let tree = self.tree(topo, source);
        tree.borrow_mut().ensure_until(topo, v, radius);
        tree
    }

    /// The tree of `source`, settled at least to `radius`.
    pub fn spt(&mut self, topo: &Topology, source: NodeIx, radius: u64) -> SharedSpt {
        let tree = self.tree(topo, source);
        tree.borrow_mut().ensure(topo, radius);
        tree
    }

    /// A model that starts from trees an earlier job grew on the same topology (or on one the
    /// trees are still exact for, see [`still_exact`]).
    pub fn with_trees(topo: &Topology, trees: Vec<Spt>) -> IgpModel {
        let mut model = IgpModel::new(topo);
        for t in trees.into_iter().take(model.capacity) {
            model.trees.insert(t.source, Rc::new(RefCell::new(t)));
        }
        model
    }

    /// The trees grown, to keep for later jobs (none is shared any more once the job is done).
    pub fn into_trees(self) -> Vec<Spt> {
        let mut trees: Vec<Spt> = self
            .trees
            .into_values()
            .filter_map(|t| Rc::try_unwrap(t).ok().map(RefCell::into_inner))
            .collect();
        trees.sort_by_key(|t| t.source);
        trees
    }

    fn tree(&mut self, topo: &Topology, source: NodeIx) -> SharedSpt {
        let tree = match self.trees.get(&source) {
            Some(t) => Rc::clone(t),
            None => {
                if self.trees.len() >= self.capacity {
                    self.trees.clear();
                }
                let t = Rc::new(RefCell::new(Spt::new(topo, source)));
                self.trees.insert(source, Rc::clone(&t));
                t
            }
        };
        tree
    }
}
