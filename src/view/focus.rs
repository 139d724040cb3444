//! Large networks: which part a page draws itself, and which it leaves to the remainder the
//! page script fetches.
//!
//! Above [`BIG`] nodes a task page carries only the neighbourhood of what it shows (the nodes
//! within two hops of the drawn paths, at most [`FOCUS_MAX`] of them, and the links among
//! them); a topology page carries every node and no link. Everything else is the remainder.

/// Networks with more nodes than this are drawn in two parts.
pub const BIG: usize = 3000;
/// The most nodes a neighbourhood holds.
pub const FOCUS_MAX: usize = 2500;

/// The part a page draws: which nodes and which links (by index).
pub struct Part {
    /// Nodes drawn in the page.
    pub nodes: Vec<bool>,
    /// Links drawn in the page.
    pub links: Vec<bool>,
}

/// The nodes within two hops of `seeds` (breadth first, in seed order, neighbours by index,
/// stopping at [`FOCUS_MAX`]) and the links whose two ends are among them.
pub fn neighbourhood(adj: &[Vec<u32>], ends: &[Option<(usize, usize)>], seeds: &[usize]) -> Part {
    let n = adj.len();
    let mut nodes = vec![false; n];
    let mut count = 0;
    let mut frontier = Vec::new();
    for &s in seeds {
        if s < n && !nodes[s] && count < FOCUS_MAX {
            nodes[s] = true;
            count += 1;
            frontier.push(s);
        }
    }
    for _ in 0..2 {
        let mut next = Vec::new();
        for &v in &frontier {
            for &u in &adj[v] {
                let u = u as usize;
                if !nodes[u] && count < FOCUS_MAX {
                    nodes[u] = true;
                    count += 1;
                    next.push(u);
                }
            }
        }
        frontier = next;
    }
    let links = ends
        .iter()
        .map(|e| e.is_some_and(|(a, b)| nodes[a] && nodes[b]))
        .collect();
    Part { nodes, links }
}

/// Every node, no link: the part of a large topology page.
pub fn nodes_only(nodes: usize, links: usize) -> Part {
    Part {
        nodes: vec![true; nodes],
        links: vec![false; links],
    }
}
