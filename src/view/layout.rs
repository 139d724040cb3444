//! Where nodes are drawn: a node's `pos` where given, otherwise a deterministic layout.
//!
//! Without any `pos`, each connected component is laid out by pivot MDS (Brandes & Pich 2006)
//! on hop distances, with pivots chosen max-min from the component's smallest node index;
//! small components are then refined by a few sweeps of stress majorization. Components are
//! packed side by side, largest first. With some `pos`, `{x, y}` is used as is (y downward)
//! and `{lat, lon}` is projected (Web Mercator); a node without one is placed at the mean of
//! its already placed neighbours (breadth first from the placed nodes), and components
//! without any position are laid out as above beside the positioned ones.
//!
//! Everything is arithmetic in a fixed order over indices: the same network gives the same
//! bytes. The result is normalised to a drawing box at most [`SIZE`] wide and high.

use std::collections::{HashMap, VecDeque};

use crate::model::topology::Pos;
use crate::model::{Link, Node};

/// The largest side of the drawing box, in drawing units.
pub const SIZE: f64 = 1000.0;
/// The empty border inside the box.
const MARGIN: f64 = 40.0;
/// The smallest side of the box (a single node, a line of nodes).
const MIN_SIDE: f64 = 200.0;
/// Pivots of the MDS.
const PIVOTS: usize = 40;
/// Components up to this size are refined by stress majorization (all pairs of hop distances).
const REFINE_MAX: usize = 1000;

/// A connected component: its nodes (sorted indices) and their positions.
type Component = (Vec<usize>, Vec<(f64, f64)>);

/// Node positions in drawing units, by node index (the network's order).
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// `(x, y)` of each node, y downward, inside `0..=width` × `0..=height`.
    pub xy: Vec<(f64, f64)>,
    /// Width of the drawing box (at most [`SIZE`]).
    pub width: f64,
    /// Height of the drawing box (at most [`SIZE`]).
    pub height: f64,
}

/// Lays out a network: `pos` (by node index, as in a held topology) where given, otherwise
/// the deterministic layout of the module's description.
pub fn layout(nodes: &[Node], links: &[Link], pos: Option<&[Option<Pos>]>) -> Layout {
    let adj = adjacency(nodes, links);
    let fixed: Vec<Option<(f64, f64)>> = (0..nodes.len())
        .map(|i| pos.and_then(|p| p.get(i).copied().flatten()).map(project))
        .collect();
    let xy = if fixed.iter().any(Option::is_some) {
        with_positions(&adj, fixed)
    } else {
        let all: Vec<usize> = (0..nodes.len()).collect();
        free(&adj, &all, nodes.len())
    };
    normalise(xy)
}

/// The undirected neighbours of each node, sorted, without repeats or self-loops.
pub(crate) fn adjacency(nodes: &[Node], links: &[Link]) -> Vec<Vec<u32>> {
    let index: HashMap<&str, u32> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i as u32))
        .collect();
    let mut adj = vec![Vec::new(); nodes.len()];
    for link in links {
        if let (Some(&a), Some(&b)) = (index.get(link.lo.as_str()), index.get(link.re.as_str())) {
            if a != b {
                adj[a as usize].push(b);
                adj[b as usize].push(a);
            }
        }
    }
    for list in &mut adj {
        list.sort_unstable();
        list.dedup();
    }
    adj
}

/// A position in the plane: `{x, y}` as is, `{lat, lon}` by Web Mercator in degree units.
fn project(pos: Pos) -> (f64, f64) {
    match pos {
        Pos::Xy { x, y } => (x, y),
        Pos::LatLon { lat, lon } => {
            let phi = lat.clamp(-85.05, 85.05).to_radians();
            let y = (std::f64::consts::FRAC_PI_4 + phi / 2.0)
                .tan()
                .ln()
                .to_degrees();
            (lon, -y)
        }
    }
}

/// Fills in the nodes without a position: breadth first from the placed ones, each at the
/// mean of its placed neighbours (slightly off it, so siblings do not coincide); components
/// without any placed node are laid out freely and put to the right.
fn with_positions(adj: &[Vec<u32>], fixed: Vec<Option<(f64, f64)>>) -> Vec<(f64, f64)> {
    let n = fixed.len();
    let placed: Vec<(f64, f64)> = fixed.iter().flatten().copied().collect();
    let (lo, hi) = bounds(&placed);
    let diagonal = ((hi.0 - lo.0).powi(2) + (hi.1 - lo.1).powi(2)).sqrt();
    let spacing = if diagonal > 0.0 {
        diagonal / (placed.len() as f64).sqrt().max(1.0) * 0.35
    } else {
        1.0
    };
    let mut xy = fixed;
    let mut layer = vec![u32::MAX; n];
    let mut queue = VecDeque::new();
    for i in 0..n {
        if xy[i].is_some() {
            layer[i] = 0;
            queue.push_back(i);
        }
    }
    while let Some(v) = queue.pop_front() {
        if xy[v].is_none() {
            // Mean of the neighbours of an earlier layer (all placed by now).
            let (mut sx, mut sy, mut k) = (0.0, 0.0, 0.0);
            for &u in &adj[v] {
                if layer[u as usize] < layer[v] {
                    if let Some((x, y)) = xy[u as usize] {
                        sx += x;
                        sy += y;
                        k += 1.0;
                    }
                }
            }
            let angle = v as f64 * 2.399_963_229_728_653; // the golden angle
            xy[v] = Some((
                sx / k + spacing * angle.cos(),
                sy / k + spacing * angle.sin(),
            ));
        }
        for &u in &adj[v] {
            let u = u as usize;
            if layer[u] == u32::MAX {
                layer[u] = layer[v] + 1;
                queue.push_back(u);
            }
        }
    }
    let rest: Vec<usize> = (0..n).filter(|&i| xy[i].is_none()).collect();
    if !rest.is_empty() {
        let (lo, hi) = bounds(&xy.iter().flatten().copied().collect::<Vec<_>>());
        let free_xy = free(adj, &rest, n);
        let (flo, _) = bounds(&rest.iter().map(|&i| free_xy[i]).collect::<Vec<_>>());
        for &i in &rest {
            let (x, y) = free_xy[i];
            xy[i] = Some((
                hi.0 + 2.0 * spacing + (x - flo.0) * spacing,
                lo.1 + (y - flo.1) * spacing,
            ));
        }
    }
    xy.into_iter()
        .map(|p| p.expect("every node placed"))
        .collect()
}

/// Lays out the nodes `subset` (sorted indices) from the graph alone, in hop units: each
/// component by pivot MDS, components packed in rows. Indices outside `subset` are `(0, 0)`.
fn free(adj: &[Vec<u32>], subset: &[usize], n: usize) -> Vec<(f64, f64)> {
    let mut xy = vec![(0.0, 0.0); n];
    let mut seen = vec![false; n];
    let mut local = vec![u32::MAX; n];
    let mut components: Vec<Component> = Vec::new();
    for &start in subset {
        if seen[start] {
            continue;
        }
        let mut comp = vec![start];
        seen[start] = true;
        let mut head = 0;
        while head < comp.len() {
            let v = comp[head];
            head += 1;
            for &u in &adj[v] {
                if !seen[u as usize] {
                    seen[u as usize] = true;
                    comp.push(u as usize);
                }
            }
        }
        comp.sort_unstable();
        let coords = component(adj, &comp, &mut local);
        components.push((comp, coords));
    }
    // Largest first, ties by smallest index (the order found).
    components.sort_by_key(|(comp, _)| std::cmp::Reverse(comp.len()));
    pack(&mut components);
    for (comp, coords) in components {
        for (k, &v) in comp.iter().enumerate() {
            xy[v] = coords[k];
        }
    }
    xy
}

/// Places the components (moved in place) in rows, left to right, without overlaps: each
/// occupies its bounding box plus one unit on every side.
fn pack(components: &mut [Component]) {
    let boxes: Vec<((f64, f64), (f64, f64))> = components.iter().map(|(_, c)| bounds(c)).collect();
    let area: f64 = boxes
        .iter()
        .map(|(lo, hi)| (hi.0 - lo.0 + 2.0) * (hi.1 - lo.1 + 2.0))
        .sum();
    let widest = boxes
        .iter()
        .map(|(lo, hi)| hi.0 - lo.0 + 2.0)
        .fold(0.0, f64::max);
    let row_width = widest.max(area.sqrt() * 1.2);
    let (mut x, mut y, mut row_height) = (0.0, 0.0, 0.0_f64);
    for ((_, coords), (lo, hi)) in components.iter_mut().zip(&boxes) {
        let (w, h) = (hi.0 - lo.0 + 2.0, hi.1 - lo.1 + 2.0);
        if x > 0.0 && x + w > row_width {
            x = 0.0;
            y += row_height;
            row_height = 0.0;
        }
        for p in coords.iter_mut() {
            *p = (p.0 - lo.0 + x + 1.0, p.1 - lo.1 + y + 1.0);
        }
        x += w;
        row_height = row_height.max(h);
    }
}

/// One connected component (`comp`, sorted indices) in hop units: mean edge length 1.
/// `local` is scratch of the graph's size (left as `u32::MAX` everywhere afterwards).
fn component(adj: &[Vec<u32>], comp: &[usize], local: &mut [u32]) -> Vec<(f64, f64)> {
    let size = comp.len();
    if size == 1 {
        return vec![(0.0, 0.0)];
    }
    if size == 2 {
        return vec![(0.0, 0.0), (1.0, 0.0)];
    }
    for (k, &v) in comp.iter().enumerate() {
        local[v] = k as u32;
    }
    let ladj: Vec<Vec<u32>> = comp
        .iter()
        .map(|&v| adj[v].iter().map(|&u| local[u as usize]).collect())
        .collect();
    for &v in comp {
        local[v] = u32::MAX;
    }
    let mut xy = pivot_mds(&ladj);
    if size <= REFINE_MAX {
        let sweeps = if size <= 300 { 40 } else { 12 };
        stress(&ladj, &mut xy, sweeps);
    }
    unit_edges(&ladj, &mut xy);
    xy
}

/// Hop distances from `source` (`u32::MAX` when unreachable) into `dist`.
fn bfs(adj: &[Vec<u32>], source: usize, dist: &mut [u32], queue: &mut Vec<u32>) {
    dist.fill(u32::MAX);
    queue.clear();
    dist[source] = 0;
    queue.push(source as u32);
    let mut head = 0;
    while head < queue.len() {
        let v = queue[head] as usize;
        head += 1;
        for &u in &adj[v] {
            if dist[u as usize] == u32::MAX {
                dist[u as usize] = dist[v] + 1;
                queue.push(u);
            }
        }
    }
}

/// Pivot MDS of a connected graph (at least three nodes).
fn pivot_mds(adj: &[Vec<u32>]) -> Vec<(f64, f64)> {
    let n = adj.len();
    let k = PIVOTS.min(n);
    // c[i * k + j]: squared distance of node i to pivot j, then double-centred.
    let mut c = vec![0.0f64; n * k];
    let mut nearest = vec![u32::MAX; n];
    let mut dist = vec![0u32; n];
    let mut queue = Vec::with_capacity(n);
    let mut pivot = 0usize;
    for j in 0..k {
        bfs(adj, pivot, &mut dist, &mut queue);
        for i in 0..n {
            let d = f64::from(dist[i]);
            c[i * k + j] = d * d;
            nearest[i] = nearest[i].min(dist[i]);
        }
        // The next pivot: farthest from every pivot so far, smallest index on ties.
        let mut best = 0;
        for i in 1..n {
            if nearest[i] > nearest[best] {
                best = i;
            }
        }
        pivot = best;
    }
    let mut col = vec![0.0; k];
    let mut grand = 0.0;
    let mut row = vec![0.0; n];
    for i in 0..n {
        for j in 0..k {
            let v = c[i * k + j];
            row[i] += v;
            col[j] += v;
            grand += v;
        }
    }
    for r in &mut row {
        *r /= k as f64;
    }
    for v in &mut col {
        *v /= n as f64;
    }
    grand /= (n * k) as f64;
    for i in 0..n {
        for j in 0..k {
            c[i * k + j] = -0.5 * (c[i * k + j] - row[i] - col[j] + grand);
        }
    }
    // M = Cᵀ C, k × k.
    let mut m = vec![0.0; k * k];
    for i in 0..n {
        let r = &c[i * k..(i + 1) * k];
        for a in 0..k {
            let ra = r[a];
            if ra == 0.0 {
                continue;
            }
            for b in a..k {
                m[a * k + b] += ra * r[b];
            }
        }
    }
    for a in 0..k {
        for b in 0..a {
            m[a * k + b] = m[b * k + a];
        }
    }
    let v1 = power(&m, k, None);
    let v2 = power(&m, k, Some(&v1));
    (0..n)
        .map(|i| {
            let r = &c[i * k..(i + 1) * k];
            let x: f64 = r.iter().zip(&v1).map(|(a, b)| a * b).sum();
            let y: f64 = r.iter().zip(&v2).map(|(a, b)| a * b).sum();
            (x, y)
        })
        .collect()
}

/// The dominant eigenvector of the symmetric `m` (k × k), orthogonal to `against` if given,
/// by power iteration from a fixed start.
fn power(m: &[f64], k: usize, against: Option<&[f64]>) -> Vec<f64> {
    let mut v: Vec<f64> = (0..k)
        .map(|a| 1.0 + ((a * 7 + if against.is_some() { 3 } else { 0 }) % 11) as f64)
        .collect();
    let mut next = vec![0.0; k];
    for _ in 0..200 {
        if let Some(u) = against {
            let dot: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
            for (x, y) in v.iter_mut().zip(u) {
                *x -= dot * y;
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            break;
        }
        for x in &mut v {
            *x /= norm;
        }
        for a in 0..k {
            next[a] = (0..k).map(|b| m[a * k + b] * v[b]).sum();
        }
        std::mem::swap(&mut v, &mut next);
    }
    if let Some(u) = against {
        let dot: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
        for (x, y) in v.iter_mut().zip(u) {
            *x -= dot * y;
        }
    }
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        for x in &mut v {
            *x /= norm;
        }
    } else {
        v.fill(0.0);
    }
    v
}

/// Sweeps of stress majorization (weights d⁻², Gauss–Seidel in index order) on all pairs of
/// hop distances, after scaling the start to mean edge length 1.
fn stress(adj: &[Vec<u32>], xy: &mut [(f64, f64)], sweeps: usize) {
    let n = adj.len();
    unit_edges(adj, xy);
    // A start where every node sits on one point (or on one line) is given a second dimension.
    for (i, p) in xy.iter_mut().enumerate() {
        let angle = i as f64 * 2.399_963_229_728_653;
        p.0 += 0.01 * angle.cos();
        p.1 += 0.01 * angle.sin();
    }
    let mut d = vec![0u32; n * n];
    let mut queue = Vec::with_capacity(n);
    for s in 0..n {
        bfs(adj, s, &mut d[s * n..(s + 1) * n], &mut queue);
    }
    for _ in 0..sweeps {
        for i in 0..n {
            let (xi, yi) = xy[i];
            let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.0);
            for j in 0..n {
                if j == i {
                    continue;
                }
                let dij = f64::from(d[i * n + j]);
                let w = 1.0 / (dij * dij);
                let (xj, yj) = xy[j];
                let (dx, dy) = (xi - xj, yi - yj);
                let len = (dx * dx + dy * dy).sqrt();
                let (ox, oy) = if len > 1e-9 {
                    (dij * dx / len, dij * dy / len)
                } else {
                    (0.0, 0.0)
                };
                sx += w * (xj + ox);
                sy += w * (yj + oy);
                sw += w;
            }
            if sw > 0.0 {
                xy[i] = (sx / sw, sy / sw);
            }
        }
    }
}

/// Scales `xy` about the origin so that the mean edge length is 1.
fn unit_edges(adj: &[Vec<u32>], xy: &mut [(f64, f64)]) {
    let (mut total, mut count) = (0.0, 0usize);
    for (v, list) in adj.iter().enumerate() {
        for &u in list {
            if (u as usize) > v {
                let (a, b) = (xy[v], xy[u as usize]);
                total += ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
                count += 1;
            }
        }
    }
    if count > 0 && total > 0.0 && total.is_finite() {
        let scale = count as f64 / total;
        for p in xy.iter_mut() {
            *p = (p.0 * scale, p.1 * scale);
        }
    }
}

/// The bounding box `(min, max)` of points (`((0, 0), (0, 0))` for none).
fn bounds(points: &[(f64, f64)]) -> ((f64, f64), (f64, f64)) {
    if points.is_empty() {
        return ((0.0, 0.0), (0.0, 0.0));
    }
    let mut lo = (f64::INFINITY, f64::INFINITY);
    let mut hi = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for &(x, y) in points {
        lo = (lo.0.min(x), lo.1.min(y));
        hi = (hi.0.max(x), hi.1.max(y));
    }
    (lo, hi)
}

/// Fits the points into the drawing box, keeping their proportions.
fn normalise(xy: Vec<(f64, f64)>) -> Layout {
    let xy: Vec<(f64, f64)> = xy
        .into_iter()
        .map(|(x, y)| {
            (
                if x.is_finite() { x } else { 0.0 },
                if y.is_finite() { y } else { 0.0 },
            )
        })
        .collect();
    let (lo, hi) = bounds(&xy);
    let (w, h) = (hi.0 - lo.0, hi.1 - lo.1);
    let extent = w.max(h);
    let scale = if extent > 0.0 {
        (SIZE - 2.0 * MARGIN) / extent
    } else {
        1.0
    };
    let width = (w * scale + 2.0 * MARGIN).max(MIN_SIDE);
    let height = (h * scale + 2.0 * MARGIN).max(MIN_SIDE);
    let (ox, oy) = ((width - w * scale) / 2.0, (height - h * scale) / 2.0);
    let xy = xy
        .into_iter()
        .map(|(x, y)| ((x - lo.0) * scale + ox, (y - lo.1) * scale + oy))
        .collect();
    Layout { xy, width, height }
}
