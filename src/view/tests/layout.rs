//! The layout: deterministic, finite, inside the box; `pos` honoured; components apart.

use super::super::layout::{layout, Layout, SIZE};
use super::{link, node};
use crate::model::topology::Pos;
use crate::model::{Link, Node};

/// Asserts every position is finite and inside the box, and the box within [`SIZE`].
fn inside(l: &Layout, n: usize) {
    assert_eq!(l.xy.len(), n);
    assert!(l.width > 0.0 && l.width <= SIZE && l.height > 0.0 && l.height <= SIZE);
    for &(x, y) in &l.xy {
        assert!(x.is_finite() && y.is_finite());
        assert!((0.0..=l.width).contains(&x), "x {x} outside 0..{}", l.width);
        assert!(
            (0.0..=l.height).contains(&y),
            "y {y} outside 0..{}",
            l.height
        );
    }
}

/// A ring of `n` nodes `{prefix}{i}` with links both ways.
fn ring(prefix: &str, n: usize, nodes: &mut Vec<Node>, links: &mut Vec<Link>) {
    for i in 0..n {
        nodes.push(node(&format!("{prefix}{i}"), 0));
    }
    for i in 0..n {
        let (a, b) = (format!("{prefix}{i}"), format!("{prefix}{}", (i + 1) % n));
        links.push(link(&format!("{a}>{b}"), &a, &b, 0));
        links.push(link(&format!("{b}>{a}"), &b, &a, 0));
    }
}

/// A deterministic random geometric graph: `n` points of a small LCG in the unit square,
/// linked (both ways) when closer than `r`.
fn geometric(n: usize, r: f64) -> (Vec<Node>, Vec<Link>) {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let points: Vec<(f64, f64)> = (0..n).map(|_| (next(), next())).collect();
    let nodes: Vec<Node> = (0..n)
        .map(|i| node(&format!("N{i}"), i as u64 + 1))
        .collect();
    let cells = (1.0 / r).floor() as usize;
    let cell = |p: (f64, f64)| {
        (
            ((p.0 * cells as f64) as usize).min(cells - 1),
            ((p.1 * cells as f64) as usize).min(cells - 1),
        )
    };
    let mut grid = vec![Vec::new(); cells * cells];
    for (i, &p) in points.iter().enumerate() {
        let (cx, cy) = cell(p);
        grid[cy * cells + cx].push(i);
    }
    let mut links = Vec::new();
    for (i, &p) in points.iter().enumerate() {
        let (cx, cy) = cell(p);
        for gy in cy.saturating_sub(1)..=(cy + 1).min(cells - 1) {
            for gx in cx.saturating_sub(1)..=(cx + 1).min(cells - 1) {
                for &j in &grid[gy * cells + gx] {
                    let q = points[j];
                    if j > i && (p.0 - q.0).powi(2) + (p.1 - q.1).powi(2) < r * r {
                        let (a, b) = (format!("N{i}"), format!("N{j}"));
                        links.push(link(&format!("L{}", links.len()), &a, &b, 0));
                        links.push(link(&format!("L{}", links.len()), &b, &a, 0));
                    }
                }
            }
        }
    }
    (nodes, links)
}

#[test]
fn the_layout_is_deterministic_finite_and_inside_the_box() {
    let (mut nodes, mut links) = (Vec::new(), Vec::new());
    ring("R", 12, &mut nodes, &mut links);
    links.push(link("chord", "R0", "R6", 0));
    let a = layout(&nodes, &links, None);
    let b = layout(&nodes, &links, None);
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    inside(&a, nodes.len());
    // Not all on one point: a ring is spread out.
    let (x0, y0) = a.xy[0];
    assert!(a
        .xy
        .iter()
        .any(|&(x, y)| (x - x0).abs() + (y - y0).abs() > 100.0));
    // No two nodes coincide.
    for i in 0..a.xy.len() {
        for j in 0..i {
            let (p, q) = (a.xy[i], a.xy[j]);
            assert!(
                (p.0 - q.0).abs() + (p.1 - q.1).abs() > 1.0,
                "{i} and {j} coincide"
            );
        }
    }
}

#[test]
fn an_empty_or_single_network_lays_out() {
    let empty = layout(&[], &[], None);
    assert!(empty.xy.is_empty() && empty.width > 0.0);
    let one = layout(&[node("A", 1)], &[], None);
    inside(&one, 1);
}

#[test]
fn xy_positions_are_used_as_they_are() {
    let nodes = vec![node("A", 1), node("B", 2), node("C", 3)];
    let links = vec![link("AB", "A", "B", 1), link("BC", "B", "C", 2)];
    let pos = vec![
        Some(Pos::Xy { x: 0.0, y: 0.0 }),
        Some(Pos::Xy { x: 10.0, y: 0.0 }),
        Some(Pos::Xy { x: 0.0, y: 5.0 }),
    ];
    let l = layout(&nodes, &links, Some(&pos));
    inside(&l, 3);
    let (a, b, c) = (l.xy[0], l.xy[1], l.xy[2]);
    assert!((a.1 - b.1).abs() < 1e-9, "same y stays the same y");
    assert!((a.0 - c.0).abs() < 1e-9, "same x stays the same x");
    assert!(b.0 > a.0 && c.1 > a.1, "x to the right, y downward");
    let ratio = (b.0 - a.0) / (c.1 - a.1);
    assert!((ratio - 2.0).abs() < 1e-9, "proportions kept: {ratio}");
}

#[test]
fn lat_lon_positions_are_projected() {
    let nodes = vec![node("Paris", 1), node("London", 2), node("Madrid", 3)];
    let pos = vec![
        Some(Pos::LatLon {
            lat: 48.86,
            lon: 2.35,
        }),
        Some(Pos::LatLon {
            lat: 51.51,
            lon: -0.13,
        }),
        Some(Pos::LatLon {
            lat: 40.42,
            lon: -3.70,
        }),
    ];
    let l = layout(&nodes, &[], Some(&pos));
    inside(&l, 3);
    let (paris, london, madrid) = (l.xy[0], l.xy[1], l.xy[2]);
    assert!(london.0 < paris.0 && madrid.0 < london.0, "west is left");
    assert!(london.1 < paris.1 && paris.1 < madrid.1, "north is up");
}

#[test]
fn nodes_without_a_position_go_near_their_placed_neighbours() {
    let (mut nodes, mut links) = (Vec::new(), Vec::new());
    ring("R", 6, &mut nodes, &mut links);
    nodes.push(node("leaf", 99));
    links.push(link("R0>leaf", "R0", "leaf", 0));
    nodes.push(node("alone", 100));
    let mut pos: Vec<Option<Pos>> = (0..6)
        .map(|i| {
            let a = i as f64 * std::f64::consts::PI / 3.0;
            Some(Pos::Xy {
                x: 100.0 * a.cos(),
                y: 100.0 * a.sin(),
            })
        })
        .collect();
    pos[3] = None; // R3 between R2 and R4
    pos.push(None);
    pos.push(None);
    let l = layout(&nodes, &links, Some(&pos));
    inside(&l, nodes.len());
    let d = |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let mid = ((l.xy[2].0 + l.xy[4].0) / 2.0, (l.xy[2].1 + l.xy[4].1) / 2.0);
    assert!(
        d(l.xy[3], mid) < d(l.xy[2], l.xy[4]) / 2.0,
        "R3 near its neighbours' mean"
    );
    assert!(
        d(l.xy[6], l.xy[0]) < d(l.xy[0], l.xy[3]),
        "the leaf near R0"
    );
    assert_eq!(
        format!("{l:?}"),
        format!("{:?}", layout(&nodes, &links, Some(&pos)))
    );
}

#[test]
fn disconnected_components_do_not_overlap() {
    let (mut nodes, mut links) = (Vec::new(), Vec::new());
    ring("A", 5, &mut nodes, &mut links);
    ring("B", 9, &mut nodes, &mut links);
    ring("C", 3, &mut nodes, &mut links);
    nodes.push(node("lonely", 1));
    let l = layout(&nodes, &links, None);
    inside(&l, nodes.len());
    let boxes: Vec<((f64, f64), (f64, f64))> = ["A", "B", "C", "lonely"]
        .iter()
        .map(|prefix| {
            let points: Vec<(f64, f64)> = nodes
                .iter()
                .zip(&l.xy)
                .filter(|(n, _)| n.id.starts_with(prefix))
                .map(|(_, p)| *p)
                .collect();
            let lo = points
                .iter()
                .fold((f64::MAX, f64::MAX), |a, p| (a.0.min(p.0), a.1.min(p.1)));
            let hi = points
                .iter()
                .fold((f64::MIN, f64::MIN), |a, p| (a.0.max(p.0), a.1.max(p.1)));
            (lo, hi)
        })
        .collect();
    for i in 0..boxes.len() {
        for j in 0..i {
            let (a, b) = (boxes[i], boxes[j]);
            let apart = a.1 .0 < b.0 .0 || b.1 .0 < a.0 .0 || a.1 .1 < b.0 .1 || b.1 .1 < a.0 .1;
            assert!(apart, "components {i} and {j} overlap: {a:?} {b:?}");
        }
    }
}

#[test]
fn ten_thousand_nodes_lay_out() {
    let (nodes, links) = geometric(10_000, 0.014);
    assert!(links.len() > 20_000, "{} links", links.len());
    let l = layout(&nodes, &links, None);
    inside(&l, nodes.len());
    // Linked nodes are drawn closer than nodes at random: the layout follows the graph.
    let d = |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let index = |id: &str| id[1..].parse::<usize>().expect("N<i>");
    let linked: f64 = links
        .iter()
        .map(|k| d(l.xy[index(&k.lo)], l.xy[index(&k.re)]))
        .sum::<f64>()
        / links.len() as f64;
    let random: f64 = (0..5000)
        .map(|i| d(l.xy[i], l.xy[(i * 7919 + 13) % 10_000]))
        .sum::<f64>()
        / 5000.0;
    assert!(linked * 5.0 < random, "linked {linked}, random {random}");
}
