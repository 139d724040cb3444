//! The loopless paths of one leg, lazily, in the contract's order (Yen's algorithm).
//!
//! Yen with Lawler's refinement (spur only from the deviation point of the previous path), whose
//! spur searches are [`Search::best`] calls. Since the order (cost, hops, id sequence) compares a
//! common root and two continuations exactly as it compares the continuations, Yen's argument
//! holds for it unchanged: the k-th path is found exactly, ties included.
//!
//! Spur searches are lazy where that pays: a spur whose best path the cheap
//! [`Search::bounded`] does not settle waits among the candidates under a lower bound of its key
//! (the bound plus one: its key is above the bound), and is searched in full only if that bound
//! comes first. Since the search is a function of the spur's root and blocked links, fixed when
//! the spur is made, the candidates are the same whenever it is searched; only the searches that
//! could not matter are skipped.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use super::search::{link_key, Bounded, Key, LegGraph, Search};
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

/// A spur not searched yet: off found path `parent` at its node `at`, with these links blocked.
#[derive(Debug, Clone)]
struct Spur {
    parent: usize,
    at: usize,
    blocked_links: Vec<LinkIx>,
    root_key: Key,
}

/// A candidate: a path, or a spur that may give one.
#[derive(Debug, Clone)]
enum Candidate {
    Path(LegPath),
    Spur(Spur),
}

/// The lazily enumerated paths of one leg.
pub struct LegPaths {
    spec: LegSpec,
    h: Vec<Key>,
    found: Vec<LegPath>,
    /// Candidates by (key, rank sequence) or, for a spur, (its lower bound, empty).
    candidates: BinaryHeap<Reverse<(Key, Vec<u32>, usize)>>,
    store: Vec<Option<Candidate>>,
    seen: HashSet<Vec<LinkIx>, foldhash::fast::RandomState>,
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
            seen: HashSet::default(),
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
        let Some(prev) = self.found.last() else {
            return false;
        };
        let parent = self.found.len() - 1;
        let (dev, base_len) = (prev.dev, prev.base_len);
        let mut root_key: Key = 0;
        for i in 0..base_len {
            if i >= dev {
                let prev = &self.found[parent];
                let base_links = &prev.path.links[..base_len];
                let blocked_links: Vec<LinkIx> = self
                    .found
                    .iter()
                    .filter(|p| p.base_len > i && p.path.links[..i] == base_links[..i])
                    .map(|p| p.path.links[i])
                    .collect();
                let spur = Spur {
                    parent,
                    at: i,
                    blocked_links,
                    root_key,
                };
                match self.search(graph, search, &spur, true) {
                    Bounded::Found((spur_path, spur_key)) => {
                        self.add(graph, &spur, spur_path, spur_key);
                    }
                    Bounded::None => {}
                    Bounded::Above(bound) => {
                        let waypoint = self
                            .spec
                            .link
                            .map_or(0, |l| link_key(graph.metric[l as usize]));
                        let lower = root_key + bound + 1 + waypoint;
                        self.candidates
                            .push(Reverse((lower, Vec::new(), self.store.len())));
                        self.store.push(Some(Candidate::Spur(spur)));
                    }
                }
            }
            let link = self.found[parent].path.links[i];
            root_key += link_key(graph.metric[link as usize]);
        }
        while let Some(Reverse((_, _, ix))) = self.candidates.pop() {
            match self.store[ix]
                .take()
                .expect("each candidate is popped once")
            {
                Candidate::Path(next) => {
                    self.found.push(next);
                    return true;
                }
                Candidate::Spur(spur) => {
                    if let Bounded::Found((spur_path, spur_key)) =
                        self.search(graph, search, &spur, false)
                    {
                        self.add(graph, &spur, spur_path, spur_key);
                    }
                }
            }
        }
        false
    }

    /// Searches a spur: cheaply ([`Search::bounded`], `quick`) or in full ([`Search::best`],
    /// which never answers [`Bounded::Above`]).
    fn search(&self, graph: &LegGraph, search: &mut Search, spur: &Spur, quick: bool) -> Bounded {
        let prev = &self.found[spur.parent];
        let (from, root) = (prev.path.nodes[spur.at], &prev.path.nodes[..spur.at]);
        let (to, blocked) = (self.spec.to, &spur.blocked_links);
        if quick {
            search.bounded(graph, &self.h, from, to, root, blocked)
        } else {
            (search.best(graph, &self.h, from, to, root, blocked))
                .map_or(Bounded::None, Bounded::Found)
        }
    }

    /// Adds the path of a searched spur to the candidates, unless it is one already seen.
    fn add(&mut self, graph: &LegGraph, spur: &Spur, spur_path: Path, spur_key: Key) {
        let prev = &self.found[spur.parent];
        let i = spur.at;
        let mut base = Path {
            nodes: prev.path.nodes[..=i].to_vec(),
            links: prev.path.links[..i].to_vec(),
        };
        base.extend(&spur_path);
        if self.seen.insert(base.links.clone()) {
            let cand = self.finish(graph, base, spur.root_key + spur_key, i);
            let seq = graph.topo.rank_seq(&cand.path);
            self.candidates
                .push(Reverse((cand.key, seq, self.store.len())));
            self.store.push(Some(Candidate::Path(cand)));
        }
    }
}
