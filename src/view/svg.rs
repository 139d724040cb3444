//! The network as SVG: one element per node (`data-node="<id>"`) and per link
//! (`data-link="<id>"`), with the classes the pages give them.
//!
//! A link is directed (`lo` → `re`) and drawn offset to its right-hand side, so the two
//! directions of a pair, and parallel links (further out, one step each), are apart. The
//! drawing has three layers: `#rest` (empty; a large network's remainder is inserted there by
//! the page script), `#links` and `#nodes`, plus an empty `#labels` the script fills when it
//! draws labels itself. Coordinates are rounded to one decimal; styling is by CSS classes.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::html::{coord, esc, esc_into, num};
use super::layout::Layout;
use crate::model::{Link, Node};

/// Networks up to this many nodes have their labels (node ids) in the markup; above it the
/// page script draws the labels of the nodes in view once zoomed in.
pub const INLINE_LABELS: usize = 300;

/// A network to draw, with per-element classes and extra markup.
pub struct Scene<'a> {
    /// The nodes, in network order.
    pub nodes: &'a [Node],
    /// The links, in network order.
    pub links: &'a [Link],
    /// Where the nodes are.
    pub layout: &'a Layout,
    /// Extra classes of each node (space separated, safe tokens).
    pub node_class: Vec<String>,
    /// Extra markup inside each node's element (already safe), e.g. a SID label.
    pub node_extra: Vec<String>,
    /// Extra classes of each link.
    pub link_class: Vec<String>,
    /// Extra attributes of the `<svg>` element (already safe), e.g. ` data-u="0a"`.
    pub svg_attrs: String,
    /// The node index of each link's ends (`None` when an end is unknown).
    ends: Vec<Option<(usize, usize)>>,
    /// Each link's rank among the links of the same ordered pair (0 for the first).
    rank: Vec<u32>,
    /// The node radius.
    radius: f64,
    /// Index of each node id.
    node_index: HashMap<&'a str, usize>,
    /// Index of each link id.
    link_index: HashMap<&'a str, usize>,
}

impl<'a> Scene<'a> {
    /// A scene without classes. `layout` must have one position per node.
    pub fn new(nodes: &'a [Node], links: &'a [Link], layout: &'a Layout) -> Scene<'a> {
        let node_index: HashMap<&str, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), i))
            .collect();
        let link_index: HashMap<&str, usize> = links
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.as_str(), i))
            .collect();
        let ends: Vec<Option<(usize, usize)>> = links
            .iter()
            .map(|l| {
                let a = *node_index.get(l.lo.as_str())?;
                let b = *node_index.get(l.re.as_str())?;
                (a < layout.xy.len() && b < layout.xy.len()).then_some((a, b))
            })
            .collect();
        let mut seen: HashMap<(usize, usize), u32> = HashMap::new();
        let rank = ends
            .iter()
            .map(|e| match e {
                Some(pair) => {
                    let k = seen.entry(*pair).or_insert(0);
                    *k += 1;
                    *k - 1
                }
                None => 0,
            })
            .collect();
        let radius = radius(layout, &ends, nodes.len());
        Scene {
            nodes,
            links,
            layout,
            node_class: vec![String::new(); nodes.len()],
            node_extra: vec![String::new(); nodes.len()],
            link_class: vec![String::new(); links.len()],
            svg_attrs: String::new(),
            ends,
            rank,
            radius,
            node_index,
            link_index,
        }
    }

    /// The index of a node id.
    pub fn node(&self, id: &str) -> Option<usize> {
        self.node_index.get(id).copied()
    }

    /// The index of a link id.
    pub fn link(&self, id: &str) -> Option<usize> {
        self.link_index.get(id).copied()
    }

    /// The node indices of a link's ends.
    pub fn ends(&self, link: usize) -> Option<(usize, usize)> {
        self.ends.get(link).copied().flatten()
    }

    /// The node indices of every link's ends, by link index.
    pub fn all_ends(&self) -> &[Option<(usize, usize)>] {
        &self.ends
    }

    /// The node radius, in drawing units.
    pub fn radius(&self) -> f64 {
        self.radius
    }

    /// Adds a class to a node (once).
    pub fn class_node(&mut self, i: usize, class: &str) {
        add_class(&mut self.node_class[i], class);
    }

    /// Adds a class to a link (once).
    pub fn class_link(&mut self, i: usize, class: &str) {
        add_class(&mut self.link_class[i], class);
    }

    /// A SID label above a node (the text escaped here).
    pub fn sid_label(&mut self, i: usize, label: &str) {
        let (x, y) = self.layout.xy[i];
        let out = &mut self.node_extra[i];
        out.push_str("<text class=\"sidl\" x=\"");
        coord(out, x);
        out.push_str("\" y=\"");
        coord(out, y - self.radius * 1.8);
        out.push_str("\">");
        esc_into(out, label);
        out.push_str("</text>");
    }

    /// The whole `<svg>` element. With `part`, only the nodes and links it marks are drawn,
    /// and the page script fetches the others from `rest_url` into `#rest`.
    pub fn svg(&self, part: Option<(&[bool], &[bool], &str)>, label: &str) -> String {
        let (w, h) = (self.layout.width, self.layout.height);
        let mut out = String::with_capacity(128 + self.nodes.len() * 80 + self.links.len() * 110);
        out.push_str(
            "<svg id=\"net\" class=\"net\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ",
        );
        coord(&mut out, w);
        out.push(' ');
        coord(&mut out, h);
        let labels = if self.nodes.len() <= INLINE_LABELS {
            "inline"
        } else {
            "script"
        };
        let _ = write!(
            out,
            "\" role=\"img\" aria-label=\"{}\" data-labels=\"{labels}\" data-r=\"",
            esc(label)
        );
        coord(&mut out, self.radius);
        out.push_str("\" font-size=\"");
        coord(&mut out, self.radius * 2.4);
        out.push('"');
        out.push_str(&self.svg_attrs);
        if let Some((_, _, url)) = part {
            let _ = write!(out, " data-rest=\"{}\"", esc(url));
        }
        out.push_str(">\n<defs><marker id=\"arr\" markerUnits=\"userSpaceOnUse\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"");
        coord(&mut out, self.radius * 2.2);
        out.push_str("\" markerHeight=\"");
        coord(&mut out, self.radius * 2.2);
        out.push_str("\" orient=\"auto\"><path d=\"M0 0L10 5L0 10z\"/></marker></defs>\n");
        out.push_str("<g id=\"rest\"></g>\n<g id=\"links\">\n");
        let (nodes_in, links_in) = match part {
            Some((n, l, _)) => (Some(n), Some(l)),
            None => (None, None),
        };
        self.links_into(&mut out, |i| links_in.is_none_or(|m| m[i]));
        out.push_str("</g>\n<g id=\"nodes\">\n");
        self.nodes_into(&mut out, |i| nodes_in.is_none_or(|m| m[i]));
        out.push_str("</g>\n<g id=\"labels\"></g>\n</svg>\n");
        out
    }

    /// The remainder of a partial drawing: the nodes and links `part` does not mark, as one
    /// SVG document `<g xmlns=… id="rest-part">` (links first, then nodes).
    pub fn rest(&self, nodes_in: &[bool], links_in: &[bool]) -> String {
        let mut out = String::with_capacity(self.nodes.len() * 80 + self.links.len() * 110);
        out.push_str("<g xmlns=\"http://www.w3.org/2000/svg\" id=\"rest-part\">\n");
        self.links_into(&mut out, |i| !links_in[i]);
        self.nodes_into(&mut out, |i| !nodes_in[i]);
        out.push_str("</g>\n");
        out
    }

    /// The link elements for which `keep` holds, in link order.
    fn links_into(&self, out: &mut String, keep: impl Fn(usize) -> bool) {
        let detail = self.links.len() <= 5000;
        let r = self.radius;
        for (i, link) in self.links.iter().enumerate() {
            if !keep(i) {
                continue;
            }
            let Some((a, b)) = self.ends[i] else {
                continue;
            };
            out.push_str("<path data-link=\"");
            esc_into(out, &link.id);
            out.push('"');
            if !self.link_class[i].is_empty() {
                let _ = write!(out, " class=\"{}\"", self.link_class[i]);
            }
            out.push_str(" d=\"");
            let (p, q) = (self.layout.xy[a], self.layout.xy[b]);
            let step = r * 0.55;
            let offset = step * (1.0 + 1.6 * f64::from(self.rank[i]));
            if a == b {
                // A self-loop: a small loop above the node, larger for each further one.
                let s = r * (2.5 + 1.5 * f64::from(self.rank[i]));
                out.push('M');
                coord(out, p.0);
                out.push(' ');
                coord(out, p.1);
                out.push('C');
                coord(out, p.0 - s);
                out.push(' ');
                coord(out, p.1 - 1.6 * s);
                out.push(' ');
                coord(out, p.0 + s);
                out.push(' ');
                coord(out, p.1 - 1.6 * s);
                out.push(' ');
                coord(out, p.0);
                out.push(' ');
                coord(out, p.1);
            } else {
                let (dx, dy) = (q.0 - p.0, q.1 - p.1);
                let len = (dx * dx + dy * dy).sqrt();
                let (ux, uy) = if len > 0.0 {
                    (dx / len, dy / len)
                } else {
                    (1.0, 0.0)
                };
                // Right-hand side of the direction, y downward.
                let (nx, ny) = (-uy, ux);
                let cut = if len > 3.0 * r { r } else { 0.0 };
                out.push('M');
                coord(out, p.0 + nx * offset + ux * cut);
                out.push(' ');
                coord(out, p.1 + ny * offset + uy * cut);
                out.push('L');
                coord(out, q.0 + nx * offset - ux * cut);
                out.push(' ');
                coord(out, q.1 + ny * offset - uy * cut);
            }
            out.push_str("\"><title>");
            esc_into(out, &link.id);
            out.push_str(": ");
            esc_into(out, &link.lo);
            out.push_str(" → ");
            esc_into(out, &link.re);
            if detail {
                let _ = write!(out, ", igp {}, te {}", link.igp, link.te);
                if link.bd >= 0.0 {
                    let _ = write!(out, ", bd {}", num(link.bd));
                }
                if let Some(sid) = link.sid {
                    let _ = write!(out, ", sid {sid}");
                }
            }
            out.push_str("</title></path>\n");
        }
    }

    /// The node elements for which `keep` holds, in node order.
    fn nodes_into(&self, out: &mut String, keep: impl Fn(usize) -> bool) {
        let inline = self.nodes.len() <= INLINE_LABELS;
        let r = self.radius;
        for (i, node) in self.nodes.iter().enumerate() {
            if !keep(i) {
                continue;
            }
            let (x, y) = self.layout.xy[i];
            out.push_str("<g data-node=\"");
            esc_into(out, &node.id);
            out.push('"');
            if !self.node_class[i].is_empty() {
                let _ = write!(out, " class=\"{}\"", self.node_class[i]);
            }
            out.push_str("><circle cx=\"");
            coord(out, x);
            out.push_str("\" cy=\"");
            coord(out, y);
            out.push_str("\" r=\"");
            coord(out, r);
            out.push_str("\"/>");
            if inline {
                out.push_str("<text class=\"lbl\" x=\"");
                coord(out, x);
                out.push_str("\" y=\"");
                coord(out, y + r * 2.6);
                out.push_str("\">");
                esc_into(out, &node.id);
                out.push_str("</text>");
            }
            out.push_str(&self.node_extra[i]);
            out.push_str("<title>");
            esc_into(out, &node.id);
            if let Some(sid) = node.sid {
                let _ = write!(out, ", sid {sid}");
            }
            if let Some(ip) = &node.ip {
                out.push_str(", ");
                esc_into(out, ip);
            }
            out.push_str("</title></g>\n");
        }
    }
}

/// Adds `class` to a space-separated list unless it is there.
fn add_class(list: &mut String, class: &str) {
    if list.split(' ').any(|c| c == class) {
        return;
    }
    if !list.is_empty() {
        list.push(' ');
    }
    list.push_str(class);
}

/// The node radius: a quarter of the median link length, bounded by what the node count
/// allows, between 0.8 and 10 units.
fn radius(layout: &Layout, ends: &[Option<(usize, usize)>], nodes: usize) -> f64 {
    let by_count = 0.15 * (layout.width.max(layout.height)) / (nodes.max(1) as f64).sqrt();
    let mut lengths: Vec<f64> = ends
        .iter()
        .flatten()
        .filter(|(a, b)| a != b)
        .map(|&(a, b)| {
            let (p, q) = (layout.xy[a], layout.xy[b]);
            ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt()
        })
        .filter(|l| *l > 0.0)
        .collect();
    let r = if lengths.is_empty() {
        by_count
    } else {
        let mid = lengths.len() / 2;
        let (_, median, _) = lengths.select_nth_unstable_by(mid, f64::total_cmp);
        by_count.min(*median * 0.25)
    };
    r.clamp(0.8, 10.0)
}
