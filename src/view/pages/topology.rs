//! A held topology's page (`GET /ui/topology/<name>`): the network drawn, its counts and its
//! revision history; and the remainder of a large one
//! (`GET /ui/topology/<name>/rest.svg?revision=<r>`).

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::super::focus::{nodes_only, BIG};
use super::super::html::{esc, esc_into, fact, json_script, page, url_part, Page};
use super::super::layout::Layout;
use super::super::svg::Scene;
use super::super::RevisionInfo;
use super::{drawing_controls, VIEW_JS};
use crate::model::topology::Network;

/// Ops listed per revision, at most.
const OPS_SHOWN: usize = 20;

/// The page of a held topology at `revision`, with its history (as given, e.g. newest
/// first). The elements the ops of `revision` name are marked `changed` by the page script.
pub fn topology_page(
    name: &str,
    revision: u64,
    network: &Network,
    layout: &Layout,
    history: &[RevisionInfo],
) -> String {
    let mut body = String::new();
    body.push_str("<h1>Topology <code>");
    esc_into(&mut body, name);
    body.push_str("</code></h1>\n<table class=\"facts\">\n");
    fact(&mut body, "revision", &revision.to_string());
    fact(&mut body, "nodes", &network.nodes.len().to_string());
    fact(&mut body, "links", &network.links.len().to_string());
    let placed = network.pos.iter().filter(|p| p.is_some()).count();
    fact(
        &mut body,
        "positions",
        &format!("{placed} of {} nodes have a pos", network.nodes.len()),
    );
    body.push_str("</table>\n<section class=\"drawing\">\n");
    drawing_controls(&mut body);
    let scene = Scene::new(&network.nodes, &network.links, layout);
    let label = format!("topology {name} revision {revision}");
    if network.nodes.len() <= BIG {
        body.push_str(&scene.svg(None, &label));
    } else {
        let part = nodes_only(network.nodes.len(), network.links.len());
        let rest = format!(
            "/ui/topology/{}/rest.svg?revision={revision}",
            url_part(name)
        );
        body.push_str(&scene.svg(Some((&part.nodes, &part.links, &rest)), &label));
    }
    body.push_str("</section>\n");
    let mut changed: Vec<Value> = Vec::new();
    history_table(&mut body, name, revision, history, &mut changed);
    body.push_str(&json_script(
        "view-data",
        &json!({"kind": "topology", "entries": [], "pol": [], "changed": changed}),
    ));
    page(&Page {
        title: &format!("Topology {name} r{revision} · pasta"),
        head: "",
        style: "",
        body: &body,
        script: VIEW_JS,
    })
}

/// The remainder of a large topology's page: every link, as an SVG fragment
/// (`<g xmlns="http://www.w3.org/2000/svg" id="rest-part">…</g>`); empty for a network the
/// page draws whole.
pub fn topology_rest_svg(network: &Network, layout: &Layout) -> String {
    let scene = Scene::new(&network.nodes, &network.links, layout);
    if network.nodes.len() <= BIG {
        let all_n = vec![true; network.nodes.len()];
        let all_l = vec![true; network.links.len()];
        return scene.rest(&all_n, &all_l);
    }
    let part = nodes_only(network.nodes.len(), network.links.len());
    scene.rest(&part.nodes, &part.links)
}

/// The revision history; collects into `changed` the ids the current revision's ops name.
fn history_table(
    out: &mut String,
    name: &str,
    revision: u64,
    history: &[RevisionInfo],
    changed: &mut Vec<Value>,
) {
    out.push_str("<section class=\"history\"><h2>History</h2>\n");
    if history.is_empty() {
        out.push_str("<p class=\"note\">No history kept.</p></section>\n");
        return;
    }
    out.push_str("<table class=\"grid\"><thead><tr><th>revision</th><th>at</th><th>kind</th><th>what it did</th></tr></thead><tbody>\n");
    for r in history {
        let current = r.revision == revision;
        let _ = write!(
            out,
            "<tr{}><td>",
            if current { " class=\"current\"" } else { "" }
        );
        if r.kind == "delete" {
            let _ = write!(out, "{}", r.revision);
        } else {
            let _ = write!(
                out,
                "<a href=\"/ui/topology/{}?revision={1}\">{1}</a>",
                esc(&url_part(name)),
                r.revision
            );
        }
        out.push_str("</td><td>");
        esc_into(out, &r.at);
        out.push_str("</td><td>");
        esc_into(out, &r.kind);
        out.push_str("</td><td><ul class=\"ops\">");
        for (op, id) in r.ops.iter().take(OPS_SHOWN) {
            out.push_str("<li><code>");
            esc_into(out, op);
            if !id.is_empty() {
                out.push(' ');
                esc_into(out, id);
            }
            out.push_str("</code></li>");
            if current && !id.is_empty() {
                changed.push(Value::String(id.clone()));
            }
        }
        if r.ops.len() > OPS_SHOWN {
            let _ = write!(out, "<li>… and {} more</li>", r.ops.len() - OPS_SHOWN);
        }
        if current {
            for (_, id) in r.ops.iter().skip(OPS_SHOWN) {
                if !id.is_empty() {
                    changed.push(Value::String(id.clone()));
                }
            }
        }
        out.push_str("</ul></td></tr>\n");
    }
    out.push_str("</tbody></table></section>\n");
}
