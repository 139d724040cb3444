//! The topology as the engine sees it: dense indices, metric arrays, sorted adjacency.
//!
//! Built once per job from the validated request, or once per held topology revision and
//! shared by its jobs (a revision that changes only attributes shares its predecessor's
//! [`Structure`]). Node and link ids become `u32` indices; every
//! id also gets its rank in byte order, so that comparing two paths by their id sequences is a
//! comparison of rank sequences. Adjacency lists are sorted by link rank, so walking them in
//! order visits links in id order (the tie-break of every path order in the contract).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use crate::model::{Metric, Node, Request};

/// Index of a node.
pub type NodeIx = u32;
/// Index of a link.
pub type LinkIx = u32;

/// A path: `nodes.len() == links.len() + 1`; `links[i]` goes from `nodes[i]` to `nodes[i + 1]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    /// Nodes in order.
    pub nodes: Vec<NodeIx>,
    /// Links in order.
    pub links: Vec<LinkIx>,
}

impl Path {
    /// The one-node path.
    pub fn single(node: NodeIx) -> Path {
        Path {
            nodes: vec![node],
            links: Vec::new(),
        }
    }

    /// Number of links.
    pub fn hops(&self) -> usize {
        self.links.len()
    }

    /// The last node.
    pub fn last(&self) -> NodeIx {
        *self.nodes.last().expect("a path has a node")
    }

    /// The part between node positions `from` and `to`.
    pub fn slice(&self, from: usize, to: usize) -> Path {
        Path {
            nodes: self.nodes[from..=to].to_vec(),
            links: self.links[from..to].to_vec(),
        }
    }

    /// Appends `other`, which must start where `self` ends.
    pub fn extend(&mut self, other: &Path) {
        debug_assert_eq!(self.last(), other.nodes[0]);
        self.nodes.extend_from_slice(&other.nodes[1..]);
        self.links.extend_from_slice(&other.links);
    }
}

/// The engine's read-only view of a request's topology: its [`Structure`] (shared by every
/// revision of a held topology with the same nodes and links) and the per-link attributes.
#[derive(Debug, Clone)]
pub struct Topology {
    structure: Arc<Structure>,
    /// IGP metric of each link.
    pub igp: Vec<u64>,
    /// TE metric of each link.
    pub te: Vec<u64>,
    /// Delay of each link, in thousandths.
    pub delay: Vec<u64>,
    /// Whether some link has IGP metric 0 (zero-cost cycles need care).
    pub has_zero_igp: bool,
    /// Whether each node has a node SID (flex-algo policies look at prefix SIDs instead).
    pub node_sr: Vec<bool>,
    /// Whether each link has an adjacency SID.
    pub link_sr: Vec<bool>,
    /// Affinity bits of each link.
    pub affi: Vec<u64>,
}

/// What does not change when only attributes do: ids, their ranks, link ends, adjacency.
#[derive(Debug)]
pub struct Structure {
    /// Node ids.
    pub node_id: Vec<String>,
    /// Link ids.
    pub link_id: Vec<String>,
    /// Rank of each node id in byte order.
    pub node_rank: Vec<u32>,
    /// Rank of each link id in byte order.
    pub link_rank: Vec<u32>,
    /// Local node of each link.
    pub lo: Vec<NodeIx>,
    /// Remote node of each link.
    pub re: Vec<NodeIx>,
    out_start: Vec<u32>,
    out_links: Vec<LinkIx>,
    in_start: Vec<u32>,
    in_links: Vec<LinkIx>,
    node_ix: HashMap<String, NodeIx>,
    link_ix: HashMap<String, LinkIx>,
    quoted: OnceLock<QuotedIds>,
}

/// The ids of a [`Structure`] as JSON strings: each quoted and escaped exactly as serde_json
/// writes it, so that a result can write an id that occurs in many paths without escaping it
/// again each time.
#[derive(Debug)]
pub struct QuotedIds {
    /// Per node, its id as a JSON string.
    pub node: Vec<Box<str>>,
    /// Per link, its id as a JSON string.
    pub link: Vec<Box<str>>,
    /// Per link, the step of a path along it as JSON text: its local node's id, its own, each
    /// followed by a comma (a path is these, then its last node's id).
    pub hop: Vec<Box<str>>,
}

impl QuotedIds {
    fn of(structure: &Structure) -> QuotedIds {
        // Written by serde_json itself, so that the escaping is its own; through one buffer, so
        // that each id costs one allocation of its exact size.
        let mut buf = Vec::new();
        let mut quote = |id: &String| -> Box<str> {
            buf.clear();
            serde_json::to_writer(&mut buf, id).expect("a string serialises");
            std::str::from_utf8(&buf).expect("JSON is UTF-8").into()
        };
        let node: Vec<Box<str>> = structure.node_id.iter().map(&mut quote).collect();
        let link: Vec<Box<str>> = structure.link_id.iter().map(&mut quote).collect();
        let mut step = String::new();
        let hop = link
            .iter()
            .zip(&structure.lo)
            .map(|(l, &lo)| {
                step.clear();
                step.push_str(&node[lo as usize]);
                step.push(',');
                step.push_str(l);
                step.push(',');
                step.as_str().into()
            })
            .collect();
        QuotedIds { node, link, hop }
    }
}

impl std::ops::Deref for Topology {
    type Target = Structure;

    fn deref(&self) -> &Structure {
        &self.structure
    }
}

impl Structure {
    /// The structure of a request's nodes and links.
    fn new(request: &Request) -> Structure {
        let node_id: Vec<String> = request.nodes.iter().map(|n| n.id.clone()).collect();
        let link_id: Vec<String> = request.links.iter().map(|l| l.id.clone()).collect();
        let node_ix: HashMap<String, NodeIx> = node_id
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i as NodeIx))
            .collect();
        let link_ix: HashMap<String, LinkIx> = link_id
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i as LinkIx))
            .collect();
        let lo: Vec<NodeIx> = request.links.iter().map(|l| node_ix[&l.lo]).collect();
        let re: Vec<NodeIx> = request.links.iter().map(|l| node_ix[&l.re]).collect();
        let node_rank = ranks(&node_id);
        let link_rank = ranks(&link_id);
        let n = node_id.len();
        let (out_start, out_links) = adjacency(n, &lo, &link_rank);
        let (in_start, in_links) = adjacency(n, &re, &link_rank);
        Structure {
            node_id,
            link_id,
            node_rank,
            link_rank,
            lo,
            re,
            out_start,
            out_links,
            in_start,
            in_links,
            node_ix,
            link_ix,
            quoted: OnceLock::new(),
        }
    }

    /// Whether a request has exactly these nodes and links (ids, order and ends).
    fn describes(&self, request: &Request) -> bool {
        request.nodes.len() == self.node_id.len()
            && request.links.len() == self.link_id.len()
            && request
                .nodes
                .iter()
                .zip(&self.node_id)
                .all(|(n, id)| n.id == *id)
            && request.links.iter().enumerate().all(|(i, l)| {
                l.id == self.link_id[i]
                    && l.lo == self.node_id[self.lo[i] as usize]
                    && l.re == self.node_id[self.re[i] as usize]
            })
    }
}

impl Topology {
    /// The metric array of a policy metric.
    pub fn metric(&self, metric: Metric) -> &[u64] {
        match metric {
            Metric::Igp => &self.igp,
            Metric::Te => &self.te,
            Metric::Latency => &self.delay,
        }
    }

    /// Builds the view of a validated request (ends of links are known nodes).
    pub fn new(request: &Request) -> Topology {
        Topology::on(Arc::new(Structure::new(request)), request)
    }

    /// The view of a request whose nodes and links may be those of `self` with other
    /// attributes: the structure is shared when they are (the attributes are read again).
    pub fn update(&self, request: &Request) -> Topology {
        if self.structure.describes(request) {
            Topology::on(self.structure.clone(), request)
        } else {
            Topology::new(request)
        }
    }

    /// The shared structure (its id tables name the paths of a result).
    pub fn structure(&self) -> Arc<Structure> {
        self.structure.clone()
    }

    /// Whether two views share their structure.
    pub fn same_structure(&self, other: &Topology) -> bool {
        Arc::ptr_eq(&self.structure, &other.structure)
    }

    fn on(structure: Arc<Structure>, request: &Request) -> Topology {
        Topology {
            structure,
            igp: request.links.iter().map(|l| l.igp).collect(),
            te: request.links.iter().map(|l| l.te).collect(),
            delay: request.links.iter().map(|l| l.delay_milli).collect(),
            has_zero_igp: request.links.iter().any(|l| l.igp == 0),
            node_sr: request.nodes.iter().map(|n| n.sid.is_some()).collect(),
            link_sr: request.links.iter().map(|l| l.sid.is_some()).collect(),
            affi: request.links.iter().map(|l| l.affi).collect(),
        }
    }
}

impl Structure {
    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.node_id.len()
    }

    /// Number of links.
    pub fn link_count(&self) -> usize {
        self.link_id.len()
    }

    /// The index of a node id.
    pub fn node(&self, id: &str) -> Option<NodeIx> {
        self.node_ix.get(id).copied()
    }

    /// The index of a link id.
    pub fn link(&self, id: &str) -> Option<LinkIx> {
        self.link_ix.get(id).copied()
    }

    /// Links leaving `node`, in link id order.
    pub fn out_links(&self, node: NodeIx) -> &[LinkIx] {
        let n = node as usize;
        &self.out_links[self.out_start[n] as usize..self.out_start[n + 1] as usize]
    }

    /// Links entering `node`, in link id order.
    pub fn in_links(&self, node: NodeIx) -> &[LinkIx] {
        let n = node as usize;
        &self.in_links[self.in_start[n] as usize..self.in_start[n + 1] as usize]
    }

    /// The rank sequence of a path (node, link, node, …): comparing two of these compares the
    /// paths by their id sequences.
    pub fn rank_seq(&self, path: &Path) -> Vec<u32> {
        let mut seq = Vec::with_capacity(path.nodes.len() + path.links.len());
        for (i, &n) in path.nodes.iter().enumerate() {
            seq.push(self.node_rank[n as usize]);
            if let Some(&l) = path.links.get(i) {
                seq.push(self.link_rank[l as usize]);
            }
        }
        seq
    }

    /// The ids of a path, alternating node and link.
    pub fn ids(&self, path: &Path) -> Vec<String> {
        let mut ids = Vec::with_capacity(path.nodes.len() + path.links.len());
        for (i, &n) in path.nodes.iter().enumerate() {
            ids.push(self.node_id[n as usize].clone());
            if let Some(&l) = path.links.get(i) {
                ids.push(self.link_id[l as usize].clone());
            }
        }
        ids
    }

    /// Every id as a JSON string, for writing `uses` ids: made on the first call that writes at
    /// least as many ids as the table holds (fewer cost less escaped one by one than quoting
    /// every id of a large topology), then kept for every later call. `None` while not made.
    pub fn quoted_ids(&self, uses: usize) -> Option<&QuotedIds> {
        if let Some(quoted) = self.quoted.get() {
            return Some(quoted);
        }
        (uses >= self.node_count() + self.link_count())
            .then(|| self.quoted.get_or_init(|| QuotedIds::of(self)))
    }

    /// Sum of a metric over a path's links.
    pub fn cost(&self, metric: &[u64], path: &Path) -> u64 {
        path.links.iter().map(|&l| metric[l as usize]).sum()
    }
}

/// A map from nodes to `u32` values that is emptied in O(1): each entry is stamped with the
/// epoch it was written in, and [`NodeMap::clear`] moves to the next epoch. Scratch space for
/// searches over parts of a large topology, allocated once per job.
#[derive(Debug, Clone)]
pub struct NodeMap {
    epoch: Vec<u32>,
    value: Vec<u32>,
    now: u32,
}

impl NodeMap {
    /// An empty map over `n` nodes.
    pub fn new(n: usize) -> NodeMap {
        NodeMap {
            epoch: vec![0; n],
            value: vec![0; n],
            now: 1,
        }
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.now = self.now.wrapping_add(1);
        if self.now == 0 {
            self.epoch.iter_mut().for_each(|e| *e = 0);
            self.now = 1;
        }
    }

    /// The value of `n`, if any.
    #[inline]
    pub fn get(&self, n: NodeIx) -> Option<u32> {
        (self.epoch[n as usize] == self.now).then(|| self.value[n as usize])
    }

    /// Whether `n` has a value.
    #[inline]
    pub fn contains(&self, n: NodeIx) -> bool {
        self.epoch[n as usize] == self.now
    }

    /// Sets the value of `n`.
    #[inline]
    pub fn insert(&mut self, n: NodeIx, v: u32) {
        self.epoch[n as usize] = self.now;
        self.value[n as usize] = v;
    }
}

/// The SID a policy pushes for a node: `(sid, ip)`. With a flex-algo number, the node's prefix
/// SID of that algorithm (for algorithm 0 the plain node SID stands in when no prefix is given).
pub fn node_sid(node: &Node, algorithm: Option<u32>) -> Option<(u64, Option<String>)> {
    match algorithm {
        None => node.sid.map(|s| (s, node.ip.clone())),
        Some(a) => node
            .prefix
            .iter()
            .find(|p| p.algorithm == a && p.sid.is_some_and(|s| s != 0))
            .map(|p| (p.sid.unwrap_or_default(), p.prefix.clone()))
            .or_else(|| {
                (a == 0)
                    .then(|| node.sid.map(|s| (s, node.ip.clone())))
                    .flatten()
            }),
    }
}

fn ranks(ids: &[String]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by(|&a, &b| ids[a].cmp(&ids[b]));
    let mut rank = vec![0u32; ids.len()];
    for (r, i) in order.into_iter().enumerate() {
        rank[i] = r as u32;
    }
    rank
}

fn adjacency(n: usize, end: &[NodeIx], link_rank: &[u32]) -> (Vec<u32>, Vec<LinkIx>) {
    let mut start = vec![0u32; n + 1];
    for &e in end {
        start[e as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut links: Vec<LinkIx> = (0..end.len() as LinkIx).collect();
    links.sort_by_key(|&l| (end[l as usize], link_rank[l as usize]));
    (start, links)
}
