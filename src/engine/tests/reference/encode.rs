//! Segment lists for the brute-force reference (contract §3 step 3): every way to cut a candidate
//! path into node-SID and adjacency-SID segments, the encoding chosen among them by the contract's
//! order, and its expansion (the forwarding paths of each SID and their end-to-end combinations).

use std::cmp::Reverse;

use super::input::Body;
use super::paths::{Feasible, Igp, Path};

/// Where a waypoint sits on a candidate path: the node position of a node waypoint's leg end, or
/// the position of a link waypoint's link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waypoint {
    Node(usize),
    Link(usize),
}

/// A candidate path with its waypoint occurrences, in waypoint order.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub path: Path,
    pub waypoints: Vec<Waypoint>,
}

/// One SID: from node position `from` to `to`; an adjacency SID has `to == from + 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seg {
    pub from: usize,
    pub to: usize,
    pub adj: bool,
}

/// What a node SID may follow: the feasible graph of the computation and the IGP table.
pub struct Encoder<'a> {
    pub body: &'a Body,
    pub igp: &'a Igp,
    pub feasible: &'a Feasible,
}

impl Encoder<'_> {
    /// Whether a node SID of `path[j]` sent at `path[i]` is allowed.
    fn node_sid_ok(&self, c: &Candidate, i: usize, j: usize) -> bool {
        let (u, v) = (c.path.nodes[i], c.path.nodes[j]);
        let shortest = self.igp.shortest(u, v);
        let part = c.path.slice(i, j);
        if !shortest.contains(&part) {
            return false;
        }
        if self.body.strict {
            return shortest.len() == 1;
        }
        // Element positions (node k → 2k, link k → 2k + 1) of the waypoints strictly inside.
        let inside: Vec<(usize, bool)> = c
            .waypoints
            .iter()
            .filter_map(|w| match *w {
                Waypoint::Node(p) if i < p && p < j => Some((c.path.nodes[p], true)),
                Waypoint::Link(k) if i <= k && k < j => Some((c.path.links[k], false)),
                _ => None,
            })
            .collect();
        shortest.iter().all(|q| {
            let at = |(e, node): &(usize, bool)| {
                if *node {
                    q.nodes.iter().position(|n| n == e).map(|k| 2 * k)
                } else {
                    q.links.iter().position(|l| l == e).map(|k| 2 * k + 1)
                }
            };
            let positions: Option<Vec<usize>> = inside.iter().map(at).collect();
            let in_order = positions.is_some_and(|p| p.windows(2).all(|w| w[0] <= w[1]));
            self.feasible.holds(q) && in_order
        })
    }

    /// Which node SIDs are allowed: `ok[i][j]` for a node SID of `path[j]` sent at `path[i]`.
    fn node_sids(&self, c: &Candidate) -> Vec<Vec<bool>> {
        let n = c.path.nodes.len();
        (0..n)
            .map(|i| (0..n).map(|j| i < j && self.node_sid_ok(c, i, j)).collect())
            .collect()
    }

    /// Every segment list of the candidate with exactly `k` SIDs.
    fn lists(c: &Candidate, ok: &[Vec<bool>], k: usize) -> Vec<Vec<Seg>> {
        let mut out = vec![];
        cut(ok, c.path.hops(), 0, k, &mut vec![], &mut out);
        out
    }

    /// Whether some segment list of the candidate has at most `max` SIDs.
    pub fn fits(&self, c: &Candidate, max: usize) -> bool {
        let ok = self.node_sids(c);
        (1..=max).any(|k| !Self::lists(c, &ok, k).is_empty())
    }

    /// The encoding: fewest SIDs, then the most expanded paths, then at the first differing
    /// segment a node SID before an adjacency SID, then the earlier end.
    pub fn encode(&self, c: &Candidate) -> Vec<Seg> {
        let ok = self.node_sids(c);
        let fewest = (1..)
            .map(|k| Self::lists(c, &ok, k))
            .find(|lists| !lists.is_empty())
            .expect("adjacencies always encode");
        let key = |l: &Vec<Seg>| {
            let order: Vec<(bool, usize)> = l.iter().map(|s| (s.adj, s.to)).collect();
            (Reverse(self.expansion_count(c, l)), order)
        };
        fewest
            .into_iter()
            .min_by_key(key)
            .expect("at least one list")
    }

    fn expansion_count(&self, c: &Candidate, list: &[Seg]) -> u128 {
        list.iter()
            .map(|s| self.forwarding(c, s).len() as u128)
            .product()
    }

    /// The paths forwarding takes for one SID, sorted by ids.
    pub fn forwarding(&self, c: &Candidate, s: &Seg) -> Vec<Path> {
        if s.adj {
            vec![c.path.slice(s.from, s.to)]
        } else {
            self.igp
                .shortest(c.path.nodes[s.from], c.path.nodes[s.to])
                .to_vec()
        }
    }
}

/// Appends to `out` every way to finish cutting positions `at..=end` with exactly `left` SIDs.
fn cut(
    ok: &[Vec<bool>],
    end: usize,
    at: usize,
    left: usize,
    list: &mut Vec<Seg>,
    out: &mut Vec<Vec<Seg>>,
) {
    if at == end || left == 0 {
        if at == end && left == 0 {
            out.push(list.clone());
        }
        return;
    }
    let mut options: Vec<Seg> = (at + 1..=end)
        .filter(|j| ok[at][*j])
        .map(|to| Seg {
            from: at,
            to,
            adj: false,
        })
        .collect();
    options.push(Seg {
        from: at,
        to: at + 1,
        adj: true,
    });
    for s in options {
        list.push(s);
        cut(ok, end, s.to, left - 1, list, out);
        list.pop();
    }
}
