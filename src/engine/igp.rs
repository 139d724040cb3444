//! The IGP forwarding model: where a node SID sends traffic (contract §3 step 3).
//!
//! For a source node, the IGP shortest-path tree on the whole topology (every node and link,
//! SR-capable or not, excluded or not, igp metric): distances, the number of shortest paths to
//! every node, and a topological order of the tight links. It depends on the topology only, so
//! one [`IgpModel`] is shared by every candidate, algorithm entry and policy of a job, and each
//! tree is computed the first time a segment from its source is examined.
//!
//! Zero IGP metrics can make the tight links cyclic; the shortest loopless paths are then not
//! counted by dynamic programming. Nodes behind such a cycle are marked `uncounted`, and no node
//! SID is used to reach them (an adjacency SID always can): a documented limitation.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::rc::Rc;

use super::topology::{LinkIx, NodeIx, Topology};

/// Distance of a node the source does not reach.
pub const FAR: u64 = u64::MAX;

/// The IGP shortest-path tree of one source.
#[derive(Debug)]
pub struct Spt {
    /// The source.
    pub source: NodeIx,
    /// IGP distance of each node (`FAR`: unreachable).
    pub dist: Vec<u64>,
    /// Number of shortest paths to each node (saturating; 0 where unreachable or uncounted).
    pub count: Vec<u128>,
    /// Position of each reached, counted node in a topological order of the tight links.
    pub topo_pos: Vec<u32>,
    /// Nodes reached but behind a zero-cost cycle (counts unknown).
    pub uncounted: Vec<bool>,
}

impl Spt {
    /// Whether link `l` lies on a shortest path from the source to its remote end.
    #[inline]
    pub fn tight(&self, topo: &Topology, l: LinkIx) -> bool {
        let a = self.dist[topo.lo[l as usize] as usize];
        a != FAR
            && a.saturating_add(topo.igp[l as usize]) == self.dist[topo.re[l as usize] as usize]
    }

    /// Whether the shortest paths to `v` are counted (reached and not behind a zero-cost cycle).
    #[inline]
    pub fn counted(&self, v: NodeIx) -> bool {
        self.dist[v as usize] != FAR && !self.uncounted[v as usize]
    }

    fn compute(topo: &Topology, source: NodeIx) -> Spt {
        let n = topo.node_count();
        let mut dist = vec![FAR; n];
        let mut count = vec![0u128; n];
        let mut topo_pos = vec![u32::MAX; n];
        let mut uncounted = vec![false; n];
        let mut order: Vec<NodeIx> = Vec::new();
        let mut heap = BinaryHeap::new();
        dist[source as usize] = 0;
        heap.push(Reverse((0u64, source)));
        while let Some(Reverse((d, u))) = heap.pop() {
            if d != dist[u as usize] || topo_pos[u as usize] != u32::MAX {
                continue;
            }
            topo_pos[u as usize] = order.len() as u32;
            order.push(u);
            for &l in topo.out_links(u) {
                let v = topo.re[l as usize] as usize;
                let nd = d.saturating_add(topo.igp[l as usize]);
                if nd < dist[v] {
                    dist[v] = nd;
                    heap.push(Reverse((nd, v as NodeIx)));
                }
            }
        }
        let mut spt = Spt {
            source,
            dist,
            count: Vec::new(),
            topo_pos: Vec::new(),
            uncounted: Vec::new(),
        };
        if topo.has_zero_igp {
            order = spt.kahn_order(topo, &order);
            topo_pos.iter_mut().for_each(|p| *p = u32::MAX);
            for (i, &v) in order.iter().enumerate() {
                topo_pos[v as usize] = i as u32;
            }
            for v in 0..n {
                uncounted[v] = spt.dist[v] != FAR && topo_pos[v] == u32::MAX;
            }
        }
        count[source as usize] = 1;
        for &v in &order {
            if v == source {
                continue;
            }
            let mut c: u128 = 0;
            for &l in topo.in_links(v) {
                if spt.tight(topo, l) {
                    c = c.saturating_add(count[topo.lo[l as usize] as usize]);
                }
            }
            count[v as usize] = c;
        }
        spt.count = count;
        spt.topo_pos = topo_pos;
        spt.uncounted = uncounted;
        spt
    }

    /// A topological order of the tight links among reached nodes; nodes on or behind a
    /// zero-cost cycle are left out.
    fn kahn_order(&self, topo: &Topology, reached: &[NodeIx]) -> Vec<NodeIx> {
        let mut indegree: HashMap<NodeIx, usize> = HashMap::with_capacity(reached.len());
        for &v in reached {
            let d = topo
                .in_links(v)
                .iter()
                .filter(|&&l| self.tight(topo, l))
                .count();
            indegree.insert(v, d);
        }
        let mut queue: Vec<NodeIx> = vec![self.source];
        let mut order = Vec::with_capacity(reached.len());
        while let Some(u) = queue.pop() {
            if indegree.get(&u).copied().unwrap_or(0) != 0 && u != self.source {
                continue;
            }
            order.push(u);
            for &l in topo.out_links(u) {
                if self.tight(topo, l) {
                    let v = topo.re[l as usize];
                    if let Some(d) = indegree.get_mut(&v) {
                        *d -= 1;
                        if *d == 0 && v != self.source {
                            queue.push(v);
                        }
                    }
                }
            }
        }
        order
    }
}

/// Shortest-path trees by source, computed on demand and shared by a whole job.
pub struct IgpModel {
    trees: HashMap<NodeIx, Rc<Spt>>,
    capacity: usize,
}

impl IgpModel {
    /// An empty model for a topology; it keeps at most about 512 MiB of trees.
    pub fn new(topo: &Topology) -> IgpModel {
        let per_tree = 30 * topo.node_count().max(1);
        IgpModel {
            trees: HashMap::new(),
            capacity: ((512usize << 20) / per_tree).max(64),
        }
    }

    /// The tree of `source`.
    pub fn spt(&mut self, topo: &Topology, source: NodeIx) -> Rc<Spt> {
        if let Some(t) = self.trees.get(&source) {
            return Rc::clone(t);
        }
        if self.trees.len() >= self.capacity {
            self.trees.clear();
        }
        let t = Rc::new(Spt::compute(topo, source));
        self.trees.insert(source, Rc::clone(&t));
        t
    }
}
