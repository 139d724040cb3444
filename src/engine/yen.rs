//! The loopless paths of one leg, lazily, in the contract's order (Yen's algorithm).
//!
//! Yen with Lawler's refinement (spur only from the deviation point of the previous path), whose
//! spur searches are [`Search::best`] calls. Since the order (cost, hops, id sequence) compares a
//! common root and two continuations exactly as it compares the continuations, Yen's argument
//! holds for it unchanged: the k-th path is found exactly, ties included.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use super::search::{link_key, Key, LegGraph, Search};
use super::topology::{LinkIx, NodeIx, Path, Topology};

/// One leg: from a node to a node waypoint, or to a link waypoint's local end followed by the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegSpec {
    /// Where the leg starts.
    pub from: NodeIx,
    /// The node the search ends at (a link waypoint's local end).
    pub to: NodeIx,
    /// The link waypoint appended after `to`, if any.
    pub link: Option<LinkIx>,
}

impl LegSpec {
    /// The node the leg may not visit: a link waypoint's remote end (the leg stays loopless).
    pub fn banned(&self, topo: &Topology) -> Option<NodeIx> {
        self.link.map(|l| topo.re[l as usize])
    }
}

/// A path of a leg with its key and Yen bookkeeping.
#[derive(Debug, Clone)]
pub struct LegPath {
    /// The whole leg, the waypoint link included.
    pub path: Path,
    /// Its key.
    pub key: Key,
    base_len: usize,
    dev: usize,
}

/// The lazily enumerated paths of one leg.
pub struct LegPaths {
    spec: LegSpec,
    h: Vec<Key>,
    found: Vec<LegPath>,
    candidates: BinaryHeap<Reverse<(Key, Vec<u32>, usize)>>,
    store: Vec<Option<LegPath>>,
    seen: HashSet<Vec<LinkIx>>,
}

impl LegPaths {
    /// Starts the enumeration of a leg: one reverse search for the heuristic, one for the first path.
    pub fn new(graph: &LegGraph, spec: LegSpec, search: &mut Search) -> LegPaths {
        let h = graph.distances_to(spec.to);
        let mut leg = LegPaths {
            spec,
            h,
            found: Vec::new(),
            candidates: BinaryHeap::new(),
            store: Vec::new(),
            seen: HashSet::new(),
        };
        let link_ok = spec.link.is_none_or(|l| graph.feas.link_ok(l));
        if link_ok {
            if let Some((base, key)) = search.best(graph, &leg.h, spec.from, spec.to, &[], &[]) {
                leg.seen.insert(base.links.clone());
                let first = leg.finish(graph, base, key, 0);
                leg.found.push(first);
            }
        }
        leg
    }

    /// Whether the leg has a path at all.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// The `k`-th path of the leg (0-based), computing the ones before it as needed.
    pub fn get(&mut self, k: usize, graph: &LegGraph, search: &mut Search) -> Option<&LegPath> {
        while self.found.len() <= k {
            if !self.advance(graph, search) {
                return None;
            }
        }
        self.found.get(k)
    }

    fn finish(&self, graph: &LegGraph, base: Path, key: Key, dev: usize) -> LegPath {
        let base_len = base.links.len();
        let mut path = base;
        let mut key = key;
        if let Some(l) = self.spec.link {
            path.links.push(l);
            path.nodes.push(graph.topo.re[l as usize]);
            key += link_key(graph.metric[l as usize]);
        }
        LegPath {
            path,
            key,
            base_len,
            dev,
        }
    }

    fn advance(&mut self, graph: &LegGraph, search: &mut Search) -> bool {
        let Some(prev) = self.found.last().cloned() else {
            return false;
        };
        let topo = graph.topo;
        let base_nodes = &prev.path.nodes[..=prev.base_len];
        let base_links = &prev.path.links[..prev.base_len];
        let mut root_key: Key = 0;
        for i in 0..base_links.len() {
            if i >= prev.dev {
                let spur = base_nodes[i];
                let blocked_links: Vec<LinkIx> = self
                    .found
                    .iter()
                    .filter(|p| p.base_len > i && p.path.links[..i] == base_links[..i])
                    .map(|p| p.path.links[i])
                    .collect();
                let found = search.best(
                    graph,
                    &self.h,
                    spur,
                    self.spec.to,
                    &base_nodes[..i],
                    &blocked_links,
                );
                if let Some((spur_path, spur_key)) = found {
                    let mut base = Path {
                        nodes: base_nodes[..=i].to_vec(),
                        links: base_links[..i].to_vec(),
                    };
                    base.extend(&spur_path);
                    if self.seen.insert(base.links.clone()) {
                        let cand = self.finish(graph, base, root_key + spur_key, i);
                        let seq = topo.rank_seq(&cand.path);
                        self.candidates
                            .push(Reverse((cand.key, seq, self.store.len())));
                        self.store.push(Some(cand));
                    }
                }
            }
            root_key += link_key(graph.metric[base_links[i] as usize]);
        }
        match self.candidates.pop() {
            Some(Reverse((_, _, ix))) => {
                let next = self.store[ix]
                    .take()
                    .expect("each candidate is popped once");
                self.found.push(next);
                true
            }
            None => false,
        }
    }
}
