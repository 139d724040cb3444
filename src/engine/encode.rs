//! Minimal segment lists (contract §3 step 3).
//!
//! For a candidate path `P`, a node SID of `P[j]` may cover `P[i..j]` when that stretch is an IGP
//! shortest path and, under `ecmp`, every IGP shortest path `P[i] → P[j]` is feasible and passes
//! the waypoints inside the stretch (under `strict`, when it is the only one). Both properties are
//! prefix-closed in `j` and inherited from `i` by `i + 1`, so the valid ends from `i` form an
//! interval `(i, J[i]]` with `J` non-decreasing: a two-pointer sweep finds every `J[i]` with one
//! shortest-path tree per position and a linear number of validity checks.
//!
//! The encoding is then a dynamic programme from the tail: fewest SIDs, then most expanded
//! paths, then at the first differing segment a node SID before an adjacency, then the earlier
//! end. Two options with the same first segment share their best suffix, so comparing options at
//! a position needs only (SIDs, paths, kind, end).

use std::collections::HashMap;

use super::feasible::Feasible;
use super::igp::{IgpModel, Spt, FAR};
use super::stream::{Candidate, WaypointAt};
use super::topology::{NodeIx, Path, Topology};
use crate::model::Encoding;

/// Kind of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SegKind {
    /// A node SID of the segment's end, following the IGP shortest paths.
    Node,
    /// The adjacency SID of one link.
    Adjacency,
}

/// One segment of a candidate path: node positions `from < to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Node SID or adjacency.
    pub kind: SegKind,
    /// Start position on the path.
    pub from: usize,
    /// End position on the path.
    pub to: usize,
}

/// The encoding of a candidate: its segments and the number of end-to-end paths they expand to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentList {
    /// Segments in push order.
    pub segments: Vec<Segment>,
    /// Expanded end-to-end paths (saturating).
    pub paths: u128,
}

/// What one encoding run knows: the candidate, its IGP prefix costs, and the checks made so far
/// per source position.
struct Run<'c> {
    cand: &'c Candidate,
    pre: Vec<u64>,
    probes: HashMap<usize, Probe>,
}

/// The checks made from one source position: valid up to `valid_upto`, invalid from
/// `invalid_from`; nodes marked with `stamp` have a verified feasible DAG.
struct Probe {
    stamp: u32,
    valid_upto: usize,
    invalid_from: usize,
}

/// Encodes candidate paths of one policy.
pub struct Encoder<'a> {
    topo: &'a Topology,
    feas: &'a Feasible,
    encoding: Encoding,
    mark: Vec<u32>,
    stamp: u32,
    stack: Vec<NodeIx>,
    dag: Vec<NodeIx>,
    cnt_to: Vec<u128>,
}

impl<'a> Encoder<'a> {
    /// An encoder for a policy's feasible graph.
    pub fn new(topo: &'a Topology, feas: &'a Feasible, encoding: Encoding) -> Encoder<'a> {
        Encoder {
            topo,
            feas,
            encoding,
            mark: vec![0; topo.node_count()],
            stamp: 0,
            stack: Vec::new(),
            dag: Vec::new(),
            cnt_to: vec![0; topo.node_count()],
        }
    }

    fn next_stamp(&mut self) -> u32 {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.stamp = 1;
        }
        self.stamp
    }

    /// The minimal segment list of a candidate.
    ///
    /// With `ends[i]` the farthest position one SID reaches from `i` (non-decreasing in `i`),
    /// the fewest SIDs `s` come from the greedy layers `e[t + 1] = ends[e[t]]`; the positions
    /// from which the tail is `b` SIDs away form a suffix starting at `β[b]`, found by binary
    /// search inside layer `s − b`. The positions on some list of `s` SIDs are then the
    /// intervals `[β[s − t], e[t]]`, and the tie-break programme runs over those only. Validity
    /// checks are memoised per source and use the monotonicity in both `i` and `j`; trees are
    /// only grown as far as a check needs.
    pub fn encode(&mut self, igp: &mut IgpModel, cand: &Candidate) -> SegmentList {
        let path = &cand.path;
        let k = path.links.len();
        let mut pre = Vec::with_capacity(k + 1);
        pre.push(0u64);
        for &l in &path.links {
            pre.push(
                pre.last()
                    .unwrap()
                    .saturating_add(self.topo.igp[l as usize]),
            );
        }
        let mut run = Run {
            cand,
            pre,
            probes: HashMap::new(),
        };
        // Greedy layers from the head.
        let mut e = vec![0usize];
        while *e.last().unwrap() < k {
            let i = *e.last().unwrap();
            let reach = self.reach(igp, &mut run, i, i + 1, k);
            e.push(reach.max(i + 1));
        }
        let s = e.len() - 1;
        // beta[b]: the first position from which the tail is at most b SIDs away.
        let mut beta = vec![k; s + 1];
        for b in 1..s {
            let target = beta[b - 1];
            let (mut lo, mut hi) = (e[s - b - 1] + 1, e[s - b]);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if mid + 1 >= target || self.check(igp, &mut run, mid, target) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            beta[b] = lo;
        }
        beta[s] = 0;
        let region = |t: usize| (beta[s - t], e[t]);
        // Tie-break programme from the tail: most paths, node before adjacency, earlier end.
        let mut best: HashMap<usize, (u128, Option<Segment>)> = HashMap::from([(k, (1, None))]);
        for t in (0..s).rev() {
            let (a, b) = region(t);
            let (na, nb) = region(t + 1);
            for i in a..=b {
                let mut choice: Option<(u128, Segment)> = None;
                let lo = na.max(i + 1);
                if lo <= nb && self.check(igp, &mut run, i, lo) {
                    let last = self.reach(igp, &mut run, i, lo, nb);
                    let tree = igp.spt(self.topo, path.nodes[i], run.pre[last] - run.pre[i]);
                    let spt = tree.borrow();
                    for j in lo..=last {
                        let count = spt.count[path.nodes[j] as usize].saturating_mul(best[&j].0);
                        let seg = Segment {
                            kind: SegKind::Node,
                            from: i,
                            to: j,
                        };
                        if choice.is_none_or(|c| better((count, seg), c)) {
                            choice = Some((count, seg));
                        }
                    }
                }
                if (na..=nb).contains(&(i + 1)) {
                    let seg = Segment {
                        kind: SegKind::Adjacency,
                        from: i,
                        to: i + 1,
                    };
                    let option = (best[&(i + 1)].0, seg);
                    if choice.is_none_or(|c| better(option, c)) {
                        choice = Some(option);
                    }
                }
                let (count, seg) = choice.expect("a position on a best list continues");
                best.insert(i, (count, Some(seg)));
            }
        }
        let mut segments = Vec::with_capacity(s);
        let mut i = 0;
        while let Some(seg) = best[&i].1 {
            segments.push(seg);
            i = seg.to;
        }
        SegmentList {
            segments,
            paths: best[&0].0,
        }
    }

    /// The last `j` in `[lo, hi]` such that a node SID may cover `P[i..j]`, given that it may for
    /// `lo - 1` (`lo - 1` when not even `lo`).
    fn reach(
        &mut self,
        igp: &mut IgpModel,
        run: &mut Run,
        i: usize,
        lo: usize,
        hi: usize,
    ) -> usize {
        let mut j = lo - 1;
        while j < hi && self.check(igp, run, i, j + 1) {
            j += 1;
        }
        j
    }

    /// Whether a node SID of `P[j]` may cover `P[i..j]` (memoised; monotone in both ends).
    fn check(&mut self, igp: &mut IgpModel, run: &mut Run, i: usize, j: usize) -> bool {
        // valid(i', j) for i' < i implies valid(i, j); invalid(i', j) for i < i' < j implies
        // invalid(i, j); valid(i, j) implies valid(i, j') for j' < j.
        for (&i2, p) in &run.probes {
            if i2 <= i && p.valid_upto >= j {
                return true;
            }
            if i2 >= i && i2 < j && p.invalid_from <= j {
                return false;
            }
        }
        let k = run.cand.path.links.len();
        let stamp = match run.probes.get(&i) {
            Some(p) => p.stamp,
            None => {
                let stamp = self.next_stamp();
                let probe = Probe {
                    stamp,
                    valid_upto: i,
                    invalid_from: k + 1,
                };
                run.probes.insert(i, probe);
                stamp
            }
        };
        let v = run.cand.path.nodes[j];
        let tree = igp.spt_until(
            self.topo,
            run.cand.path.nodes[i],
            v,
            run.pre[j] - run.pre[i],
        );
        let ok = self.valid(&tree.borrow(), run.cand, &run.pre, i, j, stamp);
        let fresh = if ok { None } else { Some(self.next_stamp()) };
        let probe = run.probes.get_mut(&i).expect("inserted above");
        match fresh {
            None => probe.valid_upto = j,
            Some(stamp) => {
                probe.invalid_from = j;
                probe.stamp = stamp;
            }
        }
        ok
    }

    /// Whether a node SID of `P[j]` may cover `P[i..j]`; nodes marked with `stamp` are verified.
    fn valid(
        &mut self,
        spt: &Spt,
        cand: &Candidate,
        pre: &[u64],
        i: usize,
        j: usize,
        stamp: u32,
    ) -> bool {
        let path = &cand.path;
        let v = path.nodes[j];
        if !spt.counted(v) || pre[j] - pre[i] != spt.dist[v as usize] {
            return false;
        }
        if self.topo.has_zero_igp && !simple(&path.nodes[i..=j]) {
            return false;
        }
        match self.encoding {
            Encoding::Strict => spt.count[v as usize] == 1,
            Encoding::Ecmp => {
                self.feasible_dag(spt, v, stamp) && self.passes_waypoints(spt, cand, i, j)
            }
        }
    }

    /// Whether every node and link on every shortest path from the tree's source to `v` is
    /// feasible. Nodes marked with `stamp` were verified by an earlier call for the same source.
    fn feasible_dag(&mut self, spt: &Spt, v: NodeIx, stamp: u32) -> bool {
        if self.mark[v as usize] == stamp {
            return true;
        }
        self.mark[v as usize] = stamp;
        self.stack.clear();
        self.stack.push(v);
        while let Some(b) = self.stack.pop() {
            if !self.feas.node_ok(b) {
                return false;
            }
            for &l in self.topo.in_links(b) {
                if !spt.tight(self.topo, l) {
                    continue;
                }
                if !self.feas.link_ok(l) {
                    return false;
                }
                let a = self.topo.lo[l as usize];
                if self.mark[a as usize] != stamp {
                    self.mark[a as usize] = stamp;
                    self.stack.push(a);
                }
            }
        }
        true
    }

    /// Whether every shortest path `P[i] → P[j]` passes the waypoints strictly inside `P[i..j]`.
    fn passes_waypoints(&mut self, spt: &Spt, cand: &Candidate, i: usize, j: usize) -> bool {
        let inside: Vec<WaypointAt> = cand
            .waypoints
            .iter()
            .copied()
            .filter(|w| match *w {
                WaypointAt::Node(p) => i < p && p < j,
                WaypointAt::Link(m) => i <= m && m < j,
            })
            .collect();
        if inside.is_empty() {
            return true;
        }
        let v = cand.path.nodes[j];
        self.count_to(spt, v);
        let total = spt.count[v as usize];
        let ok = inside.iter().all(|w| {
            let through = match *w {
                WaypointAt::Node(p) => {
                    let n = cand.path.nodes[p] as usize;
                    spt.count[n].checked_mul(self.cnt_to[n])
                }
                WaypointAt::Link(m) => {
                    let l = cand.path.links[m] as usize;
                    let (a, b) = (self.topo.lo[l] as usize, self.topo.re[l] as usize);
                    spt.count[a].checked_mul(self.cnt_to[b])
                }
            };
            total != u128::MAX && through == Some(total)
        });
        for &n in &self.dag {
            self.cnt_to[n as usize] = 0;
        }
        ok
    }

    /// Fills `cnt_to[n]` with the number of shortest paths `n → v` inside the tree's DAG, for
    /// every node of the DAG (listed in `self.dag`).
    fn count_to(&mut self, spt: &Spt, v: NodeIx) {
        self.dag.clear();
        self.dag.push(v);
        self.cnt_to[v as usize] = 1;
        let mut k = 0;
        while k < self.dag.len() {
            let b = self.dag[k];
            k += 1;
            for &l in self.topo.in_links(b) {
                let a = self.topo.lo[l as usize];
                if spt.tight(self.topo, l) && self.cnt_to[a as usize] == 0 {
                    self.cnt_to[a as usize] = u128::MAX; // discovered; counted below
                    self.dag.push(a);
                }
            }
        }
        self.dag
            .sort_by_key(|&n| std::cmp::Reverse(spt.topo_pos[n as usize]));
        for &n in &self.dag {
            if n != v {
                self.cnt_to[n as usize] = 0;
            }
        }
        for idx in 0..self.dag.len() {
            let b = self.dag[idx];
            let c = self.cnt_to[b as usize];
            for &l in self.topo.in_links(b) {
                if spt.tight(self.topo, l) {
                    let a = self.topo.lo[l as usize] as usize;
                    self.cnt_to[a] = self.cnt_to[a].saturating_add(c);
                }
            }
        }
    }
}

/// Whether option `a` (paths, first segment) beats option `b` among lists of as many SIDs.
fn better(a: (u128, Segment), b: (u128, Segment)) -> bool {
    (std::cmp::Reverse(a.0), a.1.kind, a.1.to) < (std::cmp::Reverse(b.0), b.1.kind, b.1.to)
}

fn simple(nodes: &[NodeIx]) -> bool {
    let mut seen: Vec<NodeIx> = nodes.to_vec();
    seen.sort_unstable();
    seen.windows(2).all(|w| w[0] != w[1])
}

/// Whether a path is among the expansions of `list` on `cand`: the test `other` uses.
pub fn covers(
    topo: &Topology,
    igp: &mut IgpModel,
    cand: &Candidate,
    list: &SegmentList,
    q: &Path,
) -> bool {
    let p = &cand.path;
    let mut pos = 0usize;
    for seg in &list.segments {
        let (u, v) = (p.nodes[seg.from], p.nodes[seg.to]);
        if q.nodes.get(pos) != Some(&u) {
            return false;
        }
        match seg.kind {
            SegKind::Adjacency => {
                if q.links.get(pos) != Some(&p.links[seg.from]) {
                    return false;
                }
                pos += 1;
            }
            SegKind::Node => {
                let Some(end) = q.nodes[pos + 1..].iter().position(|&n| n == v) else {
                    return false;
                };
                let end = pos + 1 + end;
                let cost: u64 = q.links[pos..end]
                    .iter()
                    .map(|&l| topo.igp[l as usize])
                    .sum();
                let dist = igp.spt(topo, u, cost).borrow().dist[v as usize];
                if dist == FAR || cost != dist || !simple(&q.nodes[pos..=end]) {
                    return false;
                }
                pos = end;
            }
        }
    }
    pos == q.links.len()
}
