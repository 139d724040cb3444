//! Deterministic generator of synthetic pasta request bodies, shared by the `engine` bench
//! (`#[path = "support/gen.rs"] mod gen;`) and `examples/gen_topology.rs`.
//!
//! A topology of `n` nodes: the nodes are placed at random in the unit square (integer coordinates
//! on a 2^24 grid, so every distance comparison is exact), linked by a Euclidean minimum spanning
//! tree over each node's nearest neighbours (then components, if any, joined by their shortest
//! links), plus the shortest remaining nearest-neighbour links until there are `n × degree / 2`
//! undirected links: an average out-degree of `degree` (4), a connected, geometric-like graph.
//! Each undirected link becomes two directed links `L<2e>` (`lo < re`) and `L<2e+1>` (reverse).
//!
//! Per undirected link (both directions alike): `igp` 1–10, `te` 1–100, `delay` 0.100–20.000
//! (three decimals), physical `bd` from {1000, 10000, 40000, 100000}, `affi` bits 0–3 each set
//! with probability 1/8. Per direction: the `Gold` class with `bandwidth_reserve` 20–80 % of `bd`
//! and `bandwidth_available` 0–100 % of that (integers). Node `N<i>`: `sid` 16000 + i, `ip`
//! 10.x.y.z from i + 1. Link `L<j>`: adjacency `sid` 24000 + j (the base moves past the node SIDs
//! when there are more than 8000 nodes, to the next multiple of 1000 above 16000 + n), `ip`
//! 100.64.0.0 + j.
//!
//! Same `(n, seed, degree)` → byte-identical JSON on every machine: the random numbers come from
//! a SplitMix64 written out here (no crate whose algorithm may change), every choice is made in
//! index order with total tie-breaks, no hash map is iterated, the only float in the output
//! (`delay`) is `milli / 1000`, which serde_json prints with at most three decimals.

#![allow(dead_code)]

use serde_json::{json, Value};

/// Side of the coordinate grid: coordinates are in `0..SIDE`.
pub const SIDE: u64 = 1 << 24;

/// Neighbours considered per node when choosing links.
const NEAREST: usize = 6;

/// SplitMix64: a small, fast, portable seeded generator.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0), by multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
}

/// One undirected link, `a < b`, with its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// Smaller node index.
    pub a: usize,
    /// Larger node index.
    pub b: usize,
    /// IGP metric.
    pub igp: u64,
    /// TE metric.
    pub te: u64,
    /// Delay in thousandths.
    pub delay_milli: u64,
    /// Physical bandwidth.
    pub bd: u64,
    /// Affinity bits.
    pub affi: u64,
    /// Gold `(reserve, available)` for `a → b` and `b → a`.
    pub gold: [(u64, u64); 2],
}

/// A generated topology.
#[derive(Debug, Clone)]
pub struct Topology {
    /// Node coordinates, in `0..SIDE`.
    pub pos: Vec<(u64, u64)>,
    /// Undirected links, sorted by `(a, b)`; edge `e` gives links `L<2e>` and `L<2e+1>`.
    pub edges: Vec<Edge>,
}

/// The id of node `i`.
pub fn node_id(i: usize) -> String {
    format!("N{i}")
}

/// The id of directed link `j`.
pub fn link_id(j: usize) -> String {
    format!("L{j}")
}

fn d2(p: (u64, u64), q: (u64, u64)) -> u64 {
    let dx = p.0.abs_diff(q.0);
    let dy = p.1.abs_diff(q.1);
    dx * dx + dy * dy
}

/// Union-find with path halving.
struct Sets(Vec<usize>);

impl Sets {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }

    /// Joins the sets of `a` and `b`; false when they were one already.
    fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        // The smaller root wins: deterministic.
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.0[hi] = lo;
        true
    }
}

/// The `k` nearest other nodes of every node, as `(d2, j)` sorted, by a uniform grid.
fn nearest(pos: &[(u64, u64)], k: usize) -> Vec<Vec<(u64, usize)>> {
    let n = pos.len();
    let g = ((n / 2) as f64).sqrt().max(1.0) as u64;
    let cell = SIDE.div_ceil(g);
    let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); (g * g) as usize];
    let cell_of = |p: (u64, u64)| (p.0 / cell, p.1 / cell);
    for (i, &p) in pos.iter().enumerate() {
        let (cx, cy) = cell_of(p);
        buckets[(cx * g + cy) as usize].push(i);
    }
    let k = k.min(n.saturating_sub(1));
    let mut out = Vec::with_capacity(n);
    for (i, &p) in pos.iter().enumerate() {
        let (cx, cy) = cell_of(p);
        let mut best: Vec<(u64, usize)> = Vec::with_capacity(k + 1);
        let mut r: u64 = 0;
        loop {
            let (x0, x1) = (cx.saturating_sub(r), (cx + r).min(g - 1));
            let (y0, y1) = (cy.saturating_sub(r), (cy + r).min(g - 1));
            for x in x0..=x1 {
                for y in y0..=y1 {
                    if x.abs_diff(cx).max(y.abs_diff(cy)) != r {
                        continue;
                    }
                    for &j in &buckets[(x * g + y) as usize] {
                        if j == i {
                            continue;
                        }
                        let c = (d2(p, pos[j]), j);
                        if best.len() < k || c < best[k - 1] {
                            let at = best.partition_point(|&b| b < c);
                            best.insert(at, c);
                            best.truncate(k);
                        }
                    }
                }
            }
            // Any node in ring r + 1 or beyond is farther than r cells away.
            let reach = r * cell;
            if (best.len() == k && best[k - 1].0 <= reach * reach) || r >= g {
                break;
            }
            r += 1;
        }
        out.push(best);
    }
    out
}

/// The link set: `(a, b)` pairs with `a < b`, sorted.
fn links(pos: &[(u64, u64)], degree: usize) -> Vec<(usize, usize)> {
    let n = pos.len();
    let target = n * degree / 2;
    let mut cands: Vec<(u64, usize, usize)> = nearest(pos, NEAREST)
        .into_iter()
        .enumerate()
        .flat_map(|(i, near)| near.into_iter().map(move |(d, j)| (d, i.min(j), i.max(j))))
        .collect();
    cands.sort_unstable();
    cands.dedup();
    let mut sets = Sets((0..n).collect());
    let mut used = vec![false; cands.len()];
    let mut chosen: Vec<(usize, usize)> = Vec::with_capacity(target.max(n));
    // Minimum spanning forest over the candidates (Kruskal).
    for (c, &(_, a, b)) in cands.iter().enumerate() {
        if sets.union(a, b) {
            used[c] = true;
            chosen.push((a, b));
        }
    }
    // Join what is left apart: the component of the highest root, by its shortest link out.
    loop {
        let roots: Vec<usize> = (0..n).map(|v| sets.find(v)).collect();
        let Some(&r) = roots.iter().filter(|&&r| r != roots[0]).max() else {
            break;
        };
        let mut best: Option<(u64, usize, usize)> = None;
        for a in (0..n).filter(|&a| roots[a] == r) {
            for b in (0..n).filter(|&b| roots[b] != r) {
                let c = (d2(pos[a], pos[b]), a.min(b), a.max(b));
                if best.is_none_or(|x| c < x) {
                    best = Some(c);
                }
            }
        }
        let (_, a, b) = best.expect("another component exists");
        sets.union(a, b);
        chosen.push((a, b));
    }
    // The shortest remaining candidates, up to the target.
    for (c, &(_, a, b)) in cands.iter().enumerate() {
        if chosen.len() >= target {
            break;
        }
        if !used[c] {
            chosen.push((a, b));
        }
    }
    chosen.sort_unstable();
    chosen
}

/// Generates a topology of `n` nodes (n ≥ 2) with average out-degree about `degree`.
pub fn topology(n: usize, seed: u64, degree: usize) -> Topology {
    assert!(n >= 2, "at least two nodes");
    let mut rng = Rng::new(seed);
    let pos: Vec<(u64, u64)> = (0..n).map(|_| (rng.below(SIDE), rng.below(SIDE))).collect();
    let edges = links(&pos, degree)
        .into_iter()
        .map(|(a, b)| {
            let igp = rng.range(1, 10);
            let te = rng.range(1, 100);
            let delay_milli = rng.range(100, 20_000);
            let bd = [1000, 10_000, 40_000, 100_000][rng.below(4) as usize];
            let mut affi = 0;
            for bit in 0..4 {
                if rng.below(8) == 0 {
                    affi |= 1 << bit;
                }
            }
            let mut gold = [(0, 0); 2];
            for g in &mut gold {
                let reserve = bd * rng.range(20, 80) / 100;
                let available = reserve * rng.range(0, 100) / 100;
                *g = (reserve, available);
            }
            Edge {
                a,
                b,
                igp,
                te,
                delay_milli,
                bd,
                affi,
                gold,
            }
        })
        .collect();
    Topology { pos, edges }
}

fn ipv4(x: u32) -> String {
    let [a, b, c, d] = x.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
}

impl Topology {
    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.pos.len()
    }

    /// The base of the adjacency SIDs.
    pub fn adjacency_base(&self) -> u64 {
        let n = self.node_count() as u64;
        if n <= 8000 {
            24_000
        } else {
            (16_000 + n).div_ceil(1000) * 1000
        }
    }

    /// The `nodes` of the body.
    pub fn nodes_json(&self) -> Vec<Value> {
        (0..self.node_count())
            .map(|i| {
                json!({
                    "id": node_id(i),
                    "ip": ipv4((10 << 24) + i as u32 + 1),
                    "sid": 16_000 + i as u64,
                })
            })
            .collect()
    }

    /// The `links` of the body: `L<2e>` is `a → b`, `L<2e+1>` is `b → a`.
    pub fn links_json(&self) -> Vec<Value> {
        let base = self.adjacency_base();
        let mut out = Vec::with_capacity(2 * self.edges.len());
        for (e, edge) in self.edges.iter().enumerate() {
            for (side, (lo, re)) in [(edge.a, edge.b), (edge.b, edge.a)].into_iter().enumerate() {
                let j = 2 * e + side;
                let (reserve, available) = edge.gold[side];
                out.push(json!({
                    "id": link_id(j),
                    "lo": node_id(lo),
                    "re": node_id(re),
                    "ip": ipv4((100 << 24) + (64 << 16) + j as u32),
                    "sid": base + j as u64,
                    "igp": edge.igp,
                    "te": edge.te,
                    "delay": edge.delay_milli as f64 / 1000.0,
                    "bd": edge.bd,
                    "affi": edge.affi,
                    "qos_class": [{
                        "class": "Gold",
                        "bandwidth_reserve": reserve,
                        "bandwidth_available": available,
                    }],
                }));
            }
        }
        out
    }

    /// Two far-apart nodes: the ones nearest the corners (0, 0) and (1, 1).
    pub fn far_pair(&self) -> (usize, usize) {
        let key = |i: &usize| (self.pos[*i].0 + self.pos[*i].1, *i);
        let lo = (0..self.node_count()).min_by_key(key).expect("nodes");
        let hi = (0..self.node_count())
            .max_by_key(|i| (self.pos[*i].0 + self.pos[*i].1, usize::MAX - *i))
            .expect("nodes");
        (lo, hi)
    }

    /// A whole request body with one policy `he → te` (node ids) of class `Gold`, and the
    /// algorithm entries `[{"algo": 0}, {"algo": 1, "top": 10}]`.
    pub fn body(&self, he: &str, te: &str) -> Value {
        json!({
            "nodes": self.nodes_json(),
            "links": self.links_json(),
            "sr_policy": {"id": "P1", "he": he, "te": te, "metric": "igp", "class": "Gold"},
            "global": {"algorithm": [{"algo": 0}, {"algo": 1, "top": 10}]},
        })
    }
}
