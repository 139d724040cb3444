//! What a segment list does in the network: its forwarding paths, attributes and link shares
//! (contract §3 step 4).
//!
//! A node SID's forwarding paths are the shortest paths of its source's IGP tree that end at the
//! SID's node: a DAG. Everything reported about them is computed on the DAG, never by listing all
//! paths: counts by dynamic programming, attribute bounds by min/max programmes in topological
//! order, and each link's share of the segment as `paths through it / paths`. Only the first 1024
//! paths (in id order) are listed, by a depth-first walk that takes links in id order.

use super::encode::{SegKind, SegmentList};
use super::feasible::Feasible;
use super::igp::{IgpModel, Spt};
use super::topology::{LinkIx, NodeIx, NodeMap, Path, Topology};

/// Most paths listed per segment and per result.
pub const LIST_CAP: usize = 1024;

/// Bounds of the attributes over a set of paths. Bandwidths use `INFINITY` for unlimited.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Least and largest igp.
    pub igp: (u64, u64),
    /// Least and largest te.
    pub te: (u64, u64),
    /// Least and largest delay (thousandths).
    pub delay: (u64, u64),
    /// Least and largest hops.
    pub hops: (u64, u64),
    /// Smallest and largest bottleneck.
    pub band: (f64, f64),
}

impl Bounds {
    const EMPTY: Bounds = Bounds {
        igp: (0, 0),
        te: (0, 0),
        delay: (0, 0),
        hops: (0, 0),
        band: (f64::INFINITY, f64::INFINITY),
    };

    fn link(topo: &Topology, feas: &Feasible, l: LinkIx) -> Bounds {
        let i = l as usize;
        Bounds {
            igp: (topo.igp[i], topo.igp[i]),
            te: (topo.te[i], topo.te[i]),
            delay: (topo.delay[i], topo.delay[i]),
            hops: (1, 1),
            band: (feas.bw[i], feas.bw[i]),
        }
    }

    /// Bounds of a path followed by a link.
    fn then(self, link: Bounds) -> Bounds {
        let add = |a: (u64, u64), b: (u64, u64)| (a.0.saturating_add(b.0), a.1.saturating_add(b.1));
        Bounds {
            igp: add(self.igp, link.igp),
            te: add(self.te, link.te),
            delay: add(self.delay, link.delay),
            hops: add(self.hops, link.hops),
            band: (self.band.0.min(link.band.0), self.band.1.min(link.band.1)),
        }
    }

    /// Bounds over the union of two path sets.
    fn union(self, other: Bounds) -> Bounds {
        let mm = |a: (u64, u64), b: (u64, u64)| (a.0.min(b.0), a.1.max(b.1));
        Bounds {
            igp: mm(self.igp, other.igp),
            te: mm(self.te, other.te),
            delay: mm(self.delay, other.delay),
            hops: mm(self.hops, other.hops),
            band: (self.band.0.min(other.band.0), self.band.1.max(other.band.1)),
        }
    }

    /// Bounds of the concatenations of two independent path sets.
    pub fn concat(self, next: Bounds) -> Bounds {
        self.then(next)
    }
}

/// The expansion of one segment.
#[derive(Debug, Clone)]
pub struct SegExpansion {
    /// Node SID or adjacency.
    pub kind: SegKind,
    /// The SID's element: the end node, or the link.
    pub sid_node: NodeIx,
    /// The adjacency's link.
    pub link: Option<LinkIx>,
    /// Number of forwarding paths (saturating).
    pub count: u128,
    /// The first forwarding paths in id order (at most [`LIST_CAP`]).
    pub paths: Vec<Path>,
    /// Attribute bounds over all forwarding paths.
    pub bounds: Bounds,
    /// Each link's share of the segment's traffic (paths through it / paths), by link.
    pub shares: Vec<(LinkIx, f64)>,
    /// Every node on a forwarding path.
    pub nodes: Vec<NodeIx>,
}

/// The expansion of a whole segment list.
#[derive(Debug, Clone)]
pub struct Expansion {
    /// Per segment.
    pub segs: Vec<SegExpansion>,
    /// End-to-end paths (saturating product).
    pub total: u128,
    /// Attribute bounds over all end-to-end paths.
    pub bounds: Bounds,
}

impl Expansion {
    /// Expands a segment list of a path (`local`: scratch space).
    pub fn new(
        topo: &Topology,
        feas: &Feasible,
        igp: &mut IgpModel,
        local: &mut NodeMap,
        path: &Path,
        list: &SegmentList,
    ) -> Expansion {
        let mut segs = Vec::with_capacity(list.segments.len());
        let mut total: u128 = 1;
        let mut bounds = Bounds::EMPTY;
        for seg in &list.segments {
            let e = match seg.kind {
                SegKind::Adjacency => {
                    let l = path.links[seg.from];
                    SegExpansion {
                        kind: SegKind::Adjacency,
                        sid_node: path.nodes[seg.to],
                        link: Some(l),
                        count: 1,
                        paths: vec![Path {
                            nodes: vec![path.nodes[seg.from], path.nodes[seg.to]],
                            links: vec![l],
                        }],
                        bounds: Bounds::EMPTY.then(Bounds::link(topo, feas, l)),
                        shares: vec![(l, 1.0)],
                        nodes: vec![path.nodes[seg.from], path.nodes[seg.to]],
                    }
                }
                SegKind::Node => {
                    let radius = topo.cost(&topo.igp, &path.slice(seg.from, seg.to));
                    let tree = igp.spt(topo, path.nodes[seg.from], radius);
                    let spt = tree.borrow();
                    node_segment(topo, feas, &spt, path.nodes[seg.to], local)
                }
            };
            total = total.saturating_mul(e.count);
            bounds = bounds.concat(e.bounds);
            segs.push(e);
        }
        Expansion {
            segs,
            total,
            bounds,
        }
    }

    /// The first end-to-end paths in id order (at most [`LIST_CAP`]).
    pub fn paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        let mut ix = vec![0usize; self.segs.len()];
        loop {
            let mut p = self.segs[0].paths[ix[0]].clone();
            for (s, &i) in self.segs.iter().zip(&ix).skip(1) {
                p.extend(&s.paths[i]);
            }
            out.push(p);
            if out.len() == LIST_CAP {
                return out;
            }
            // Odometer: the last segment varies fastest.
            let mut d = self.segs.len();
            loop {
                if d == 0 {
                    return out;
                }
                d -= 1;
                ix[d] += 1;
                if ix[d] < self.segs[d].paths.len() {
                    break;
                }
                ix[d] = 0;
            }
        }
    }

    /// Every link and transit node of the expansion (for disjoint paths).
    pub fn elements(&self) -> (Vec<NodeIx>, Vec<LinkIx>) {
        let mut nodes: Vec<NodeIx> = self
            .segs
            .iter()
            .flat_map(|s| s.nodes.iter().copied())
            .collect();
        let mut links: Vec<LinkIx> = self
            .segs
            .iter()
            .flat_map(|s| s.shares.iter().map(|&(l, _)| l))
            .collect();
        nodes.sort_unstable();
        nodes.dedup();
        links.sort_unstable();
        links.dedup();
        (nodes, links)
    }
}

/// The expansion of a node SID of `v` sent from the tree's source (`local`: scratch space).
fn node_segment(
    topo: &Topology,
    feas: &Feasible,
    spt: &Spt,
    v: NodeIx,
    local: &mut NodeMap,
) -> SegExpansion {
    // The DAG: nodes with a shortest path to v, found backwards along tight links.
    local.clear();
    let mut dag = vec![v];
    local.insert(v, 0);
    let mut k = 0;
    while k < dag.len() {
        let b = dag[k];
        k += 1;
        for &l in topo.in_links(b) {
            let a = topo.lo[l as usize];
            if !local.contains(a) && spt.tight(topo, l) {
                local.insert(a, 0);
                dag.push(a);
            }
        }
    }
    dag.sort_unstable_by_key(|&x| spt.topo_pos[x as usize]);
    for (i, &x) in dag.iter().enumerate() {
        local.insert(x, i as u32);
    }
    let at = |n: NodeIx| local.get(n).expect("a tight predecessor is in the DAG") as usize;
    let tight_in = |b: NodeIx| {
        topo.in_links(b)
            .iter()
            .copied()
            .filter(move |&l| spt.tight(topo, l))
    };
    // Forward bounds and backward counts over the DAG, indexed by topological position.
    let mut fwd: Vec<Bounds> = vec![Bounds::EMPTY; dag.len()];
    for (i, &b) in dag.iter().enumerate().skip(1) {
        let mut acc: Option<Bounds> = None;
        for l in tight_in(b) {
            let fa = fwd[at(topo.lo[l as usize])];
            let x = fa.then(Bounds::link(topo, feas, l));
            acc = Some(acc.map_or(x, |a| a.union(x)));
        }
        fwd[i] = acc.unwrap_or(Bounds::EMPTY);
    }
    let mut to_v = vec![0u128; dag.len()];
    *to_v.last_mut().expect("v is in its DAG") = 1;
    let count = spt.count[v as usize];
    let mut shares = Vec::new();
    for (i, &b) in dag.iter().enumerate().rev() {
        let c = to_v[i];
        for l in tight_in(b) {
            let a = topo.lo[l as usize];
            let ai = at(a);
            to_v[ai] = to_v[ai].saturating_add(c);
            let through = spt.count[a as usize].saturating_mul(c);
            shares.push((l, through as f64 / count as f64));
        }
    }
    shares.sort_unstable_by_key(|&(l, _)| l);
    let bounds = *fwd.last().expect("v is in its DAG");
    let paths = list_paths(topo, spt, local, &dag, v);
    SegExpansion {
        kind: SegKind::Node,
        sid_node: v,
        link: None,
        count,
        paths,
        bounds,
        shares,
        nodes: dag,
    }
}

/// The first [`LIST_CAP`] shortest paths source → `v` in id order: a depth-first walk over the
/// DAG's links in id order (every DAG node reaches `v`, so it never meets a dead end). `local`
/// maps the DAG's nodes to their positions in `dag`.
fn list_paths(topo: &Topology, spt: &Spt, local: &NodeMap, dag: &[NodeIx], v: NodeIx) -> Vec<Path> {
    // The DAG's links out of each node, in id order.
    let mut start = Vec::with_capacity(dag.len() + 1);
    let mut links: Vec<(LinkIx, u32)> = Vec::new();
    for &u in dag {
        start.push(links.len() as u32);
        if u == v {
            continue;
        }
        for &l in topo.out_links(u) {
            if let Some(c) = local.get(topo.re[l as usize]) {
                if spt.tight(topo, l) {
                    links.push((l, c));
                }
            }
        }
    }
    start.push(links.len() as u32);
    let end = local.get(v).expect("v is in its DAG");
    let root = local.get(spt.source).expect("the source is in every DAG");
    let mut path = Path::single(spt.source);
    if root == end {
        return vec![path];
    }
    let mut out = Vec::new();
    // Per depth: the node and the next of its links to follow.
    let mut stack: Vec<(u32, u32)> = vec![(root, start[root as usize])];
    while let Some(top) = stack.last_mut() {
        let (u, next) = *top;
        if next == start[u as usize + 1] {
            stack.pop();
            if path.links.pop().is_some() {
                path.nodes.pop();
            }
            continue;
        }
        top.1 += 1;
        let (l, c) = links[next as usize];
        path.links.push(l);
        path.nodes.push(topo.re[l as usize]);
        if c == end {
            out.push(path.clone());
            if out.len() == LIST_CAP {
                break;
            }
            path.links.pop();
            path.nodes.pop();
        } else {
            stack.push((c, start[c as usize]));
        }
    }
    out
}
