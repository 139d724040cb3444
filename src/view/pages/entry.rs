//! The result of each algorithm entry as text and tables: one `<section class="entry"
//! data-entry="<e>">` per item, the first one shown.

use std::fmt::Write as _;

use serde_json::Value;

use super::super::decorate::ROWS;
use super::super::html::{bandwidth, esc, esc_into, fact, num, percent, value};
use super::super::result::{list, ok, sids, text};
use super::request::more;
use crate::model::Request;

/// Paths listed per expansion, at most.
const PATHS_SHOWN: usize = 16;

/// The opening of an entry's section and its heading.
fn open(out: &mut String, e: usize, item: &Value, outcome: &str) {
    let _ = writeln!(
        out,
        "<section class=\"entry\" data-entry=\"{e}\"{}>",
        if e == 0 { "" } else { " hidden" }
    );
    let _ = writeln!(
        out,
        "<h3>Entry {} (algo {}): {}</h3>",
        e + 1,
        esc(&value(item.get("algo_type").unwrap_or(&Value::Null))),
        esc(outcome)
    );
}

/// The label of an entry in the selector.
pub fn option_label(e: usize, item: &Value) -> String {
    let algo = value(item.get("algo_type").unwrap_or(&Value::Null));
    let outcome = if ok(item) {
        "ok".to_string()
    } else {
        let code = text(item.get("info").unwrap_or(&Value::Null), "code");
        if code.is_empty() {
            "failed".to_string()
        } else {
            code.to_string()
        }
    };
    format!("entry {} · algo {algo} · {outcome}", e + 1)
}

/// One single-policy item.
pub fn single(out: &mut String, e: usize, item: &Value) {
    if !ok(item) {
        open(out, e, item, "no path");
        failure(out, item.get("info").unwrap_or(&Value::Null));
        released(out, item);
        out.push_str("</section>\n");
        return;
    }
    open(out, e, item, "path found");
    let data = item.get("data").unwrap_or(&Value::Null);
    encoded(out, data, "");
    disjoint(out, data);
    alternatives(out, data);
    reservations(out, list(item.get("reservations")), "Reservations");
    released(out, item);
    out.push_str("</section>\n");
}

/// Why there is no path (an item's or a policy's `info`).
pub fn failure(out: &mut String, info: &Value) {
    out.push_str("<table class=\"facts failure\">\n");
    for key in [
        "code",
        "message",
        "constraint",
        "waypoint",
        "link",
        "msd",
        "examined",
        "candidates",
    ] {
        if let Some(v) = info.get(key) {
            fact(out, key, &value(v));
        }
    }
    if let Some(w) = info.get("widest_bandwidth") {
        fact(out, "widest bandwidth", &bandwidth(w));
    }
    if let Some(links) = info.get("links") {
        let names: Vec<String> = list(Some(links)).iter().map(value).collect();
        fact(out, "links", &names.join(", "));
    }
    out.push_str("</table>\n");
}

/// SIDs, attributes and paths of an expansion (`prefix` "d_" for the disjoint one).
fn encoded(out: &mut String, data: &Value, prefix: &str) {
    let get = |k: &str| data.get(format!("{prefix}{k}"));
    out.push_str("<table class=\"grid sids\"><thead><tr><th>#</th><th>SID</th><th>kind</th><th>element</th><th>address</th></tr></thead><tbody>\n");
    for (k, s) in sids(get("sids")).iter().enumerate() {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>",
            k + 1,
            esc(&s.label),
            if s.adjacency { "adjacency" } else { "node" }
        );
        esc_into(out, s.id);
        out.push_str("</td><td>");
        esc_into(out, s.ip.unwrap_or(""));
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody></table>\n");
    attributes(out, get("attr"), get("attr_worst"));
    let paths = list(get("paths"));
    let total = get("paths_total")
        .and_then(Value::as_u64)
        .unwrap_or(paths.len() as u64);
    let _ = writeln!(
        out,
        "<p class=\"note\">{total} path(s){}</p>",
        if total > 1 { " (ECMP)" } else { "" }
    );
    path_list(out, paths);
}

/// Best and worst attributes.
fn attributes(out: &mut String, attr: Option<&Value>, worst: Option<&Value>) {
    let (Some(attr), worst) = (attr, worst) else {
        return;
    };
    if attr.as_object().is_none_or(|o| o.is_empty()) {
        return;
    }
    out.push_str("<table class=\"grid attr\"><thead><tr><th></th><th>igp</th><th>te</th><th>delay</th><th>hops</th><th>bottleneck</th></tr></thead><tbody>\n");
    let row = |out: &mut String, label: &str, v: &Value, hops: &str, band: &str| {
        let g = |k: &str| v.get(k).map(value).unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><th>{label}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&g("igp")),
            esc(&g("te")),
            esc(&g("delay")),
            esc(&g(hops)),
            esc(&v.get(band).map(bandwidth).unwrap_or_default())
        );
    };
    row(out, "best", attr, "min_hop", "max_min_band");
    if let Some(w) = worst.filter(|w| w.as_object().is_some_and(|o| !o.is_empty())) {
        row(out, "worst", w, "max_hop", "min_band");
    }
    out.push_str("</tbody></table>\n");
}

/// A list of paths, nodes in bold and links small, at most [`PATHS_SHOWN`].
fn path_list(out: &mut String, paths: &[Value]) {
    if paths.is_empty() {
        return;
    }
    out.push_str("<ol class=\"paths\">\n");
    for path in paths.iter().take(PATHS_SHOWN) {
        out.push_str("<li>");
        for (k, id) in list(Some(path)).iter().enumerate() {
            let id = id.as_str().unwrap_or("");
            if k % 2 == 0 {
                out.push_str("<b>");
                esc_into(out, id);
                out.push_str("</b> ");
            } else {
                out.push_str("<small>");
                esc_into(out, id);
                out.push_str("</small> ");
            }
        }
        out.push_str("</li>\n");
    }
    if paths.len() > PATHS_SHOWN {
        let _ = writeln!(
            out,
            "<li class=\"more\">… and {} more</li>",
            paths.len() - PATHS_SHOWN
        );
    }
    out.push_str("</ol>\n");
}

/// The disjoint path, when the policy asked for one.
fn disjoint(out: &mut String, data: &Value) {
    let Some(mode) = data.get("d_mode") else {
        return;
    };
    out.push_str("<h4>Disjoint path</h4>\n");
    let mode = value(mode);
    let meaning = match mode.as_str() {
        "node" => "node-disjoint: every transit node and link of the main path avoided",
        "link" => "link-disjoint: only the main path's links avoided",
        _ => "none: no disjoint path exists",
    };
    let _ = writeln!(out, "<p class=\"note\">{}</p>", esc(meaning));
    if mode != "none" {
        encoded(out, data, "d_");
    }
}

/// The alternatives (`other`), each selectable by a button.
fn alternatives(out: &mut String, data: &Value) {
    let other = list(data.get("other"));
    if other.is_empty() {
        return;
    }
    out.push_str("<h4>Alternatives</h4>\n<ol class=\"alts\">\n");
    for (j, alt) in other.iter().enumerate() {
        let labels: Vec<String> = sids(alt.get("sids"))
            .iter()
            .map(|s| format!("{} ({})", s.id, s.label))
            .collect();
        let attr = alt.get("attr").unwrap_or(&Value::Null);
        let metric = |k: &str| attr.get(k).map(value).unwrap_or_default();
        let _ = writeln!(
            out,
            "<li><button type=\"button\" class=\"alt-btn\" data-alt=\"{j}\" aria-pressed=\"false\">show</button> {} · igp {} · te {} · delay {} · {} path(s)</li>",
            esc(&labels.join(", ")),
            esc(&metric("igp")),
            esc(&metric("te")),
            esc(&metric("delay")),
            list(alt.get("paths")).len()
        );
    }
    out.push_str("</ol>\n");
}

/// Reservation rows: link, class, before, reserved, after.
fn reservations(out: &mut String, rows: &[Value], title: &str) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h4>{}</h4>", esc(title));
    out.push_str("<table class=\"grid\"><thead><tr><th>link</th><th>class</th><th>before</th><th>reserved</th><th>after</th></tr></thead><tbody>\n");
    for r in rows.iter().take(ROWS) {
        out.push_str("<tr><td>");
        esc_into(out, text(r, "link"));
        out.push_str("</td><td>");
        esc_into(out, text(r, "class"));
        for k in ["before", "reserved", "after"] {
            out.push_str("</td><td>");
            esc_into(out, &r.get(k).map(value).unwrap_or_default());
        }
        out.push_str("</td></tr>\n");
    }
    more(out, rows.len(), 5);
    out.push_str("</tbody></table>\n");
}

/// What a `bod_modified` former placement gave back.
fn released(out: &mut String, item: &Value) {
    let rows = list(item.get("released"));
    if rows.is_empty() {
        return;
    }
    out.push_str("<h4>Released first</h4>\n<table class=\"grid\"><thead><tr><th>link</th><th>class</th><th>amount</th></tr></thead><tbody>\n");
    for r in rows.iter().take(ROWS) {
        out.push_str("<tr><td>");
        esc_into(out, text(r, "link"));
        out.push_str("</td><td>");
        esc_into(out, text(r, "class"));
        out.push_str("</td><td>");
        esc_into(out, &r.get("amount").map(value).unwrap_or_default());
        out.push_str("</td></tr>\n");
    }
    more(out, rows.len(), 3);
    out.push_str("</tbody></table>\n");
}

/// One list item: its status, summary, the policies (moved, placed, unplaced, with reasons;
/// rows selectable) and utilisation tables.
pub fn list_item(out: &mut String, e: usize, item: &Value, request: Option<&Request>) {
    let outcome = if ok(item) {
        "every policy placed, every listed link relieved"
    } else {
        "not complete"
    };
    open(out, e, item, outcome);
    let info = item.get("info").unwrap_or(&Value::Null);
    if info.as_object().is_some_and(|o| !o.is_empty()) {
        failure(out, info);
    }
    let summary = item.get("summary").unwrap_or(&Value::Null);
    out.push_str("<table class=\"facts\">\n");
    for key in ["placed", "unplaced"] {
        if let Some(v) = summary.get(key) {
            fact(out, key, &value(v));
        }
    }
    for key in ["relieved", "unrelieved"] {
        if let Some(v) = summary.get(key) {
            let names: Vec<String> = list(Some(v)).iter().map(value).collect();
            fact(out, key, &names.join(", "));
        }
    }
    out.push_str("</table>\n");
    let rows = list(item.get("data"));
    out.push_str("<h4>Policies</h4>\n<p class=\"note\">Click a row to draw its new path (and its current one, dashed).</p>\n");
    out.push_str("<table class=\"grid policies\"><thead><tr><th>id</th><th>result</th><th>ends</th><th>SIDs</th><th>reserved</th><th>reason</th></tr></thead><tbody>\n");
    for (k, entry) in rows.iter().take(ROWS).enumerate() {
        let id = text(entry, "id");
        let placed = ok(entry);
        let moved = entry.get("moved_from").and_then(Value::as_str);
        let (result, class) = match (placed, moved) {
            (true, Some(_)) => ("moved", "moved"),
            (true, None) => ("placed", "placed"),
            (false, _) => ("unplaced", "unplaced"),
        };
        let _ = write!(
            out,
            "<tr data-policy=\"{k}\" class=\"{class}\" tabindex=\"0\"><td>{}</td><td>{result}</td><td>",
            esc(id)
        );
        if let Some(p) = request.and_then(|r| r.policies.iter().find(|p| p.id == id)) {
            esc_into(out, &format!("{} → {}", p.he, p.te));
        }
        out.push_str("</td><td>");
        let data = entry.get("data").unwrap_or(&Value::Null);
        let labels: Vec<String> = sids(data.get("sids"))
            .iter()
            .map(|s| format!("{} ({})", s.id, s.label))
            .collect();
        esc_into(out, &labels.join(", "));
        out.push_str("</td><td>");
        let reserved: f64 = list(entry.get("reservations"))
            .iter()
            .filter_map(|r| r.get("reserved").and_then(Value::as_f64))
            .sum();
        if entry.get("reservations").is_some() {
            out.push_str(&num(reserved));
        }
        out.push_str("</td><td>");
        if let Some(link) = moved {
            out.push_str("moved off ");
            esc_into(out, link);
        } else if !placed {
            let info = entry.get("info").unwrap_or(&Value::Null);
            let mut reason = format!("{}: {}", text(info, "code"), text(info, "message"));
            if let Some(c) = info.get("constraint") {
                let _ = write!(reason, " (constraint {}", value(c));
                if let Some(w) = info.get("widest_bandwidth") {
                    let _ = write!(reason, ", widest bandwidth {}", bandwidth(w));
                }
                reason.push(')');
            }
            esc_into(out, &reason);
        }
        out.push_str("</td></tr>\n");
    }
    more(out, rows.len(), 6);
    if rows.is_empty() {
        out.push_str("<tr><td colspan=\"6\">no policy moved</td></tr>\n");
    }
    out.push_str("</tbody></table>\n");
    changes(out, summary);
    out.push_str("</section>\n");
}

/// `bod_congest_reopt`'s utilisation changes and `bod_reopt`'s most utilised links.
fn changes(out: &mut String, summary: &Value) {
    let utilisation = list(summary.get("utilisation"));
    if !utilisation.is_empty() {
        out.push_str("<h4>Utilisation changes</h4>\n<table class=\"grid\"><thead><tr><th>link</th><th>before</th><th>after</th></tr></thead><tbody>\n");
        for u in utilisation.iter().take(ROWS) {
            let share = |k: &str| {
                u.get(k)
                    .and_then(Value::as_f64)
                    .map_or_else(|| "unknown".to_string(), percent)
            };
            out.push_str("<tr><td>");
            esc_into(out, text(u, "link"));
            let _ = writeln!(
                out,
                "</td><td>{}</td><td>{}</td></tr>",
                share("before"),
                share("after")
            );
        }
        more(out, utilisation.len(), 3);
        out.push_str("</tbody></table>\n");
    }
    let links = list(summary.get("links"));
    if !links.is_empty() {
        out.push_str("<h4>Most utilised links</h4>\n<table class=\"grid\"><thead><tr><th>link</th><th>class</th><th>capacity</th><th>reserved</th><th>utilisation</th></tr></thead><tbody>\n");
        for l in links {
            out.push_str("<tr><td>");
            esc_into(out, text(l, "link"));
            out.push_str("</td><td>");
            esc_into(out, text(l, "class"));
            let _ = writeln!(
                out,
                "</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&l.get("capacity").map(value).unwrap_or_default()),
                esc(&l.get("reserved").map(value).unwrap_or_default()),
                l.get("utilisation")
                    .and_then(Value::as_f64)
                    .map(percent)
                    .unwrap_or_default()
            );
        }
        out.push_str("</tbody></table>\n");
    }
}
