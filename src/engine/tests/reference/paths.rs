//! Paths for the brute-force reference: the step-1 feasible graph, every simple path between two
//! nodes by depth-first search, and the IGP shortest paths of every pair of nodes on the whole
//! topology (all simple paths, those of least igp sum). Exhaustive on purpose: no Dijkstra.

use std::cmp::Ordering;

use super::input::{Body, Elem, Metric};

/// A walk: `nodes.len() == links.len() + 1`, `links[k]` goes from `nodes[k]` to `nodes[k + 1]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub nodes: Vec<usize>,
    pub links: Vec<usize>,
}

impl Path {
    /// The path of one node and no link.
    pub fn single(node: usize) -> Path {
        Path {
            nodes: vec![node],
            links: vec![],
        }
    }

    /// This path followed by `other`, which starts where this one ends.
    pub fn join(&self, other: &Path) -> Path {
        assert_eq!(self.nodes.last(), other.nodes.first());
        let mut joined = self.clone();
        joined.nodes.extend_from_slice(&other.nodes[1..]);
        joined.links.extend_from_slice(&other.links);
        joined
    }

    /// The part from node position `i` to node position `j`.
    pub fn slice(&self, i: usize, j: usize) -> Path {
        Path {
            nodes: self.nodes[i..=j].to_vec(),
            links: self.links[i..j].to_vec(),
        }
    }

    /// Ids alternating node, link, node.
    pub fn ids(&self, body: &Body) -> Vec<String> {
        let mut ids = vec![body.nodes[self.nodes[0]].id.clone()];
        for (l, n) in self.links.iter().zip(&self.nodes[1..]) {
            ids.push(body.links[*l].id.clone());
            ids.push(body.nodes[*n].id.clone());
        }
        ids
    }

    /// Number of links.
    pub fn hops(&self) -> usize {
        self.links.len()
    }

    /// Sum of a link metric.
    pub fn sum(&self, body: &Body, metric: Metric) -> u64 {
        let one = |l: &usize| {
            let link = &body.links[*l];
            match metric {
                Metric::Igp => link.igp,
                Metric::Te => link.te,
                Metric::Latency => link.delay_milli,
            }
        };
        self.links.iter().map(one).sum()
    }

    /// The smallest link bandwidth `b`; `None` when every link is unlimited.
    pub fn bottleneck(&self, body: &Body) -> Option<f64> {
        let known = self
            .links
            .iter()
            .map(|l| body.band(*l))
            .filter(|b| *b >= 0.0);
        known.fold(None, |min, b| Some(min.map_or(b, |m: f64| m.min(b))))
    }
}

/// The key of the contract's path order: cost in `metric`, then hops, then the id sequence.
pub fn path_order(body: &Body, metric: Metric, path: &Path) -> (u64, usize, Vec<String>) {
    (path.sum(body, metric), path.hops(), path.ids(body))
}

/// Bandwidth order for `max_min_band`: wider first, unlimited before any number.
pub fn wider_first(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => y.partial_cmp(&x).expect("no NaN"),
    }
}

/// Which nodes and links survive step 1.
pub struct Feasible {
    pub node: Vec<bool>,
    pub link: Vec<bool>,
}

impl Feasible {
    /// Step 1 of contract §3 with these exclusions.
    pub fn new(body: &Body, exc: &[Elem]) -> Feasible {
        let p = &body.policy;
        let node: Vec<bool> = (0..body.nodes.len())
            .map(|n| body.nodes[n].sid.is_some() && !exc.contains(&Elem::Node(n)))
            .collect();
        let link = (0..body.links.len())
            .map(|l| {
                let link = &body.links[l];
                let b = body.band(l);
                let bandwidth_ok = p.bd <= 0.0 || (!body.bod && b == -1.0) || b >= p.bd;
                let affinity_ok = p.mask.is_none_or(|m| link.affi & m == p.affi & m);
                link.sid.is_some()
                    && !exc.contains(&Elem::Link(l))
                    && node[link.lo]
                    && node[link.re]
                    && bandwidth_ok
                    && affinity_ok
            })
            .collect();
        Feasible { node, link }
    }

    /// Whether every node and link of `path` is feasible.
    pub fn holds(&self, path: &Path) -> bool {
        path.nodes.iter().all(|n| self.node[*n]) && path.links.iter().all(|l| self.link[*l])
    }
}

/// Every simple path `from → to` through nodes and links that pass the filters (the one-node
/// path when `from == to`), in no particular order.
pub fn simple_paths(
    body: &Body,
    from: usize,
    to: usize,
    node_ok: &dyn Fn(usize) -> bool,
    link_ok: &dyn Fn(usize) -> bool,
) -> Vec<Path> {
    let mut all = walks(body, from, node_ok, link_ok);
    all.retain(|p| p.nodes.last() == Some(&to));
    all
}

/// Every simple path starting at `from` (the one-node path included) through nodes and links
/// that pass the filters: a depth-first search recording each prefix.
fn walks(
    body: &Body,
    from: usize,
    node_ok: &dyn Fn(usize) -> bool,
    link_ok: &dyn Fn(usize) -> bool,
) -> Vec<Path> {
    let mut out = vec![];
    if node_ok(from) {
        extend(body, node_ok, link_ok, &mut Path::single(from), &mut out);
    }
    out
}

fn extend(
    body: &Body,
    node_ok: &dyn Fn(usize) -> bool,
    link_ok: &dyn Fn(usize) -> bool,
    walk: &mut Path,
    out: &mut Vec<Path>,
) {
    out.push(walk.clone());
    let at = *walk.nodes.last().expect("never empty");
    for (l, link) in body.links.iter().enumerate() {
        if link.lo == at && link_ok(l) && node_ok(link.re) && !walk.nodes.contains(&link.re) {
            walk.nodes.push(link.re);
            walk.links.push(l);
            extend(body, node_ok, link_ok, walk, out);
            walk.nodes.pop();
            walk.links.pop();
        }
    }
}

/// The IGP shortest paths of every ordered pair of distinct nodes, whole topology.
pub struct Igp {
    table: Vec<Vec<Vec<Path>>>,
}

impl Igp {
    /// Enumerates every simple path from every node on the whole topology and keeps, per
    /// destination, those of least igp sum, sorted by ids.
    pub fn new(body: &Body) -> Igp {
        let n = body.nodes.len();
        let mut table = vec![vec![vec![]; n]; n];
        for (u, row) in table.iter_mut().enumerate() {
            for p in walks(body, u, &|_| true, &|_| true) {
                let v = *p.nodes.last().expect("never empty");
                if v != u {
                    row[v].push(p);
                }
            }
            for paths in row.iter_mut() {
                let least = paths.iter().map(|p| p.sum(body, Metric::Igp)).min();
                paths.retain(|p| Some(p.sum(body, Metric::Igp)) == least);
                paths.sort_by_cached_key(|p| p.ids(body));
            }
        }
        Igp { table }
    }

    /// The IGP shortest paths `u → v` (empty when `u == v` or unreachable), sorted by ids.
    pub fn shortest(&self, u: usize, v: usize) -> &[Path] {
        &self.table[u][v]
    }
}
