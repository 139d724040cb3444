//! A task's result on its network: the classes of every node and link, the data the page
//! script switches between algorithm entries with, and the seeds of a large network's
//! neighbourhood. The task page and its remainder both draw from this, so they agree.
//!
//! Classes, per algorithm entry `e` (0-based) of a single-policy job: `p{e}` on the links of
//! its paths (every ECMP branch), `d{e}` on the disjoint path's, `a{e}` on links with an
//! adjacency SID, `o{e}_{j}` on the links of alternative `j` of `other`. The entry shown
//! first (0) also has the classes the page shows: `path`, `path-disjoint`, `adj-sid`, and
//! `sid` with a SID label on nodes carrying a node SID. Everywhere: `end` on the policy's
//! ends, `wp` on waypoints, `exc` on excluded elements, `path-old` on a `bod_modified`
//! policy's former path. List jobs: `u{e}a{b}` and `u{e}b{b}`, the utilisation band `b`
//! (see [`super::load::BANDS`]) after and before entry `e`, shown through the `<svg>`'s
//! `data-u` (`"0a"` at first), and `congested` on the links to relieve.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::layout::Layout;
use super::load::{band, list_kind, utilisation};
use super::result::{
    is_list_item, items, list, ok, path_links, path_nodes, seg_path_links, sids, text,
};
use super::svg::Scene;
use crate::model::{JobType, Request};

/// Policy rows a list job's page shows (and highlights) per entry, at most.
pub const ROWS: usize = 300;

/// A task's scene with what the page script needs.
pub struct Decorated<'a> {
    /// The classes on the network.
    pub scene: Scene<'a>,
    /// Node indices whose neighbourhood a large network's page draws.
    pub seeds: Vec<usize>,
    /// The script's data: `{"kind", "entries": [{"sids": [[node, label]]}], "pol": [[[new
    /// links], [old links]] per row] per entry}`.
    pub data: Value,
    /// CSS rules the scene needs (utilisation bands per entry).
    pub style: String,
}

/// Decorates a task's network with its result (`None`: only the request's ends and
/// constraints).
pub fn task_scene<'a>(
    job_type: Option<JobType>,
    request: &'a Request,
    layout: &'a Layout,
    result: Option<&Value>,
) -> Decorated<'a> {
    let mut d = Decorated {
        scene: Scene::new(&request.nodes, &request.links, layout),
        seeds: Vec::new(),
        data: json!({"kind": "none", "entries": [], "pol": []}),
        style: String::new(),
    };
    constraints(&mut d, job_type, request);
    if let Some(result) = result {
        let list_job = job_type.map_or_else(
            || items(result).first().is_some_and(is_list_item),
            JobType::is_list,
        );
        if list_job {
            list_items(&mut d, list_kind(job_type, result), request, result);
        } else {
            single_items(&mut d, result);
        }
    }
    d
}

impl Decorated<'_> {
    /// Adds a class to the links named.
    fn links(&mut self, ids: &[&str], class: &str) {
        for id in ids {
            if let Some(i) = self.scene.link(id) {
                self.scene.class_link(i, class);
            }
        }
    }

    /// Adds nodes (by id) to the seeds.
    fn seed(&mut self, ids: &[&str]) {
        for id in ids {
            if let Some(i) = self.scene.node(id) {
                self.seeds.push(i);
            }
        }
    }

    /// A node or link id: `class` on whichever it names.
    fn element(&mut self, id: &str, class: &str) {
        if let Some(i) = self.scene.node(id) {
            self.scene.class_node(i, class);
        } else if let Some(i) = self.scene.link(id) {
            self.scene.class_link(i, class);
        }
    }
}

/// The policy's ends, waypoints and exclusions (single-policy jobs), and a former path.
fn constraints(d: &mut Decorated<'_>, job_type: Option<JobType>, request: &Request) {
    if job_type.is_some_and(JobType::is_list) || request.policies.len() != 1 {
        for id in &request.congested_link {
            d.element(id, "congested");
            if let Some((a, b)) = d.scene.link(id).and_then(|i| d.scene.ends(i)) {
                d.seeds.push(a);
                d.seeds.push(b);
            }
        }
        return;
    }
    let p = &request.policies[0];
    d.element(&p.he, "end");
    d.element(&p.te, "end");
    d.seed(&[p.he.as_str(), p.te.as_str()]);
    for id in &p.inc {
        d.element(id, "wp");
    }
    for id in &p.exc {
        d.element(id, "exc");
    }
    if let Some(former) = &p.former {
        let old = seg_path_links(&former.path);
        d.links(&old, "path-old");
    }
}

/// Single-policy items: paths, disjoint paths, SIDs and alternatives per entry.
fn single_items(d: &mut Decorated<'_>, result: &Value) {
    let mut entries = Vec::new();
    for (e, item) in items(result).iter().enumerate() {
        let mut node_sids = Vec::new();
        if ok(item) {
            let data = item.get("data").unwrap_or(&Value::Null);
            let paths = list(data.get("paths"));
            let d_paths = list(data.get("d_paths"));
            let main = path_links(paths);
            d.links(&main, &format!("p{e}"));
            let disjoint = path_links(d_paths);
            d.links(&disjoint, &format!("d{e}"));
            let s = sids(data.get("sids"));
            let adj: Vec<&str> = s.iter().filter(|s| s.adjacency).map(|s| s.id).collect();
            d.links(&adj, &format!("a{e}"));
            if e == 0 {
                d.links(&main, "path");
                d.links(&disjoint, "path-disjoint");
                d.links(&adj, "adj-sid");
            }
            for sid in s.iter().filter(|s| !s.adjacency) {
                node_sids.push(json!([sid.id, sid.label]));
                if e == 0 {
                    if let Some(i) = d.scene.node(sid.id) {
                        d.scene.class_node(i, "sid");
                        d.scene.sid_label(i, &sid.label);
                    }
                }
            }
            for (j, alt) in list(data.get("other")).iter().enumerate() {
                let links = path_links(list(alt.get("paths")));
                d.links(&links, &format!("o{e}_{j}"));
            }
            let nodes = path_nodes(paths);
            d.seed(&nodes);
            let nodes = path_nodes(d_paths);
            d.seed(&nodes);
        }
        entries.push(json!({"sids": node_sids}));
    }
    d.data = json!({"kind": "single", "entries": entries, "pol": []});
}

/// List items: utilisation bands before and after, and each shown policy's new and old path.
fn list_items(d: &mut Decorated<'_>, kind: JobType, request: &Request, result: &Value) {
    let mut entries = Vec::new();
    let mut pol = Vec::new();
    for (e, item) in items(result).iter().enumerate() {
        let u = utilisation(kind, request, item);
        for (i, (before, after)) in u.before.iter().zip(&u.after).enumerate() {
            if let Some(b) = band(*after) {
                d.scene.class_link(i, &format!("u{e}a{b}"));
            }
            if let Some(b) = band(*before) {
                d.scene.class_link(i, &format!("u{e}b{b}"));
            }
        }
        for b in 0..super::load::BANDS.len() {
            let _ = writeln!(
                d.style,
                "#net[data-u=\"{e}a\"] .u{e}a{b},#net[data-u=\"{e}b\"] .u{e}b{b}{{stroke:var(--b{b})}}"
            );
        }
        let mut rows = Vec::new();
        for entry in list(item.get("data")).iter().take(ROWS) {
            let data = entry.get("data").unwrap_or(&Value::Null);
            let paths = list(data.get("paths"));
            let new = path_links(paths);
            let nodes = path_nodes(paths);
            d.seed(&nodes);
            let id = text(entry, "id");
            let old: Vec<&str> = request
                .policies
                .iter()
                .find(|p| p.id == id)
                .and_then(|p| p.path.as_ref())
                .map(seg_path_links)
                .unwrap_or_default();
            rows.push(json!([new, old]));
        }
        pol.push(Value::Array(rows));
        entries.push(json!({"sids": []}));
    }
    d.scene.svg_attrs.push_str(" data-u=\"0a\"");
    d.data = json!({"kind": "list", "entries": entries, "pol": pol});
}
