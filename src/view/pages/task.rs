//! The task page (`GET /ui/task/<task_id>`) and its remainder for large networks
//! (`GET /ui/task/<task_id>/rest.svg`).

use std::fmt::Write as _;

use serde_json::Value;

use super::super::decorate::{task_scene, Decorated};
use super::super::focus::{neighbourhood, BIG};
use super::super::html::{esc, esc_into, fact, json_script, num, page, url_part, Page};
use super::super::layout::{adjacency, layout, Layout};
use super::super::load::BANDS;
use super::super::result::{is_list_item, items, list};
use super::super::svg::Scene;
use super::super::TaskInfo;
use super::{drawing_controls, entry, request, VIEW_JS};
use crate::model::{JobType, Request};

/// The task page: the task's state, its request in short, and for SUCCESS the result drawn
/// on the topology and listed per algorithm entry (see the module [`crate::view`]).
pub fn task_page(
    task: &TaskInfo,
    request: Option<&Request>,
    layout: Option<&Layout>,
    result: Option<&Value>,
) -> String {
    let job_type = JobType::parse(&task.job_type);
    let success = task.state == "SUCCESS";
    let result = result.filter(|_| success);
    let mut body = String::new();
    body.push_str("<h1>Task <code>");
    esc_into(&mut body, &task.task_id);
    body.push_str("</code></h1>\n");
    facts(&mut body, task);
    let mut head = String::new();
    match task.state.as_str() {
        "PENDING" | "STARTED" => {
            head.push_str("<meta http-equiv=\"refresh\" content=\"2\">\n");
            let stage = if task.state == "STARTED" {
                "running"
            } else {
                "waiting for a worker"
            };
            let _ = writeln!(
                body,
                "<p class=\"banner pending\">Not finished yet ({stage}): this page reloads every 2 seconds.</p>"
            );
        }
        "FAILURE" => {
            let (code, message) = task
                .error
                .clone()
                .unwrap_or_else(|| ("UNKNOWN".to_string(), "no reason recorded".to_string()));
            let _ = writeln!(
                body,
                "<div class=\"banner failure\"><b>{}</b> {}</div>",
                esc(&code),
                esc(&message)
            );
        }
        _ => {}
    }
    if success && result.is_none() {
        body.push_str("<p class=\"banner\">The result is no longer available.</p>\n");
    }
    let mut style = String::new();
    let mut data = serde_json::json!({"kind": "none", "entries": [], "pol": []});
    if let Some(result) = result {
        let warnings = list(result.get("info").and_then(|i| i.get("warnings")));
        if !warnings.is_empty() {
            body.push_str("<ul class=\"warnings\">\n");
            for w in warnings {
                body.push_str("<li>");
                esc_into(&mut body, w.as_str().unwrap_or(""));
                body.push_str("</li>\n");
            }
            body.push_str("</ul>\n");
        }
        let entries = items(result);
        body.push_str("<p class=\"select\"><label>Algorithm entry <select id=\"entry\">");
        for (e, item) in entries.iter().enumerate() {
            let _ = write!(
                body,
                "<option value=\"{e}\">{}</option>",
                esc(&entry::option_label(e, item))
            );
        }
        body.push_str("</select></label></p>\n");
    }
    let list_job = job_type.map_or_else(
        || result.is_some_and(|r| items(r).first().is_some_and(is_list_item)),
        JobType::is_list,
    );
    if let Some(req) = request {
        let owned;
        let layout = match layout {
            Some(l) => l,
            None => {
                owned = layout_of(req);
                &owned
            }
        };
        let decorated = task_scene(job_type, req, layout, result);
        style.push_str(&decorated.style);
        data = decorated.data.clone();
        body.push_str("<section class=\"drawing\">\n");
        drawing_controls(&mut body);
        if result.is_some() {
            legend(&mut body, list_job);
        }
        let rest = format!("/ui/task/{}/rest.svg", url_part(&task.task_id));
        body.push_str(&draw(&decorated, &rest, &format!("task {}", task.task_id)));
        body.push_str("</section>\n");
    }
    if let Some(result) = result {
        for (e, item) in items(result).iter().enumerate() {
            if is_list_item(item) {
                entry::list_item(&mut body, e, item, request);
            } else {
                entry::single(&mut body, e, item);
            }
        }
    }
    match request {
        Some(req) => body.push_str(&request::summary(job_type, req)),
        None => body.push_str(
            "<section class=\"request\"><h2>Request</h2><p class=\"note\">The request was not kept.</p></section>\n",
        ),
    }
    body.push_str(&json_script("view-data", &data));
    page(&Page {
        title: &format!("Task {} · pasta", task.task_id),
        head: &head,
        style: &style,
        body: &body,
        script: VIEW_JS,
    })
}

/// The remainder of a large network's task page: the nodes and links the page left out, as
/// an SVG fragment (`<g xmlns="http://www.w3.org/2000/svg" id="rest-part">…</g>`), with the
/// same classes the page would have given them. Empty (`<g …></g>`) for a network drawn
/// whole. Arguments as for [`task_page`].
pub fn task_rest_svg(
    task: &TaskInfo,
    request: &Request,
    layout: Option<&Layout>,
    result: Option<&Value>,
) -> String {
    let job_type = JobType::parse(&task.job_type);
    let result = result.filter(|_| task.state == "SUCCESS");
    let owned;
    let layout = match layout {
        Some(l) => l,
        None => {
            owned = layout_of(request);
            &owned
        }
    };
    let decorated = task_scene(job_type, request, layout, result);
    rest_of(&decorated.scene, &decorated.seeds)
}

/// The layout of a request's network (no positions).
fn layout_of(request: &Request) -> Layout {
    layout(&request.nodes, &request.links, None)
}

/// The scene as SVG: whole, or its neighbourhood with a remainder URL when large.
fn draw(decorated: &Decorated<'_>, rest: &str, label: &str) -> String {
    let scene = &decorated.scene;
    if scene.nodes.len() <= BIG {
        return scene.svg(None, label);
    }
    let adj = adjacency(scene.nodes, scene.links);
    let part = neighbourhood(&adj, scene.all_ends(), &decorated.seeds);
    scene.svg(Some((&part.nodes, &part.links, rest)), label)
}

/// The remainder of a scene's neighbourhood drawing (empty when drawn whole).
fn rest_of(scene: &Scene<'_>, seeds: &[usize]) -> String {
    if scene.nodes.len() <= BIG {
        let all_n = vec![true; scene.nodes.len()];
        let all_l = vec![true; scene.links.len()];
        return scene.rest(&all_n, &all_l);
    }
    let adj = adjacency(scene.nodes, scene.links);
    let part = neighbourhood(&adj, scene.all_ends(), seeds);
    scene.rest(&part.nodes, &part.links)
}

/// The task's facts.
fn facts(out: &mut String, task: &TaskInfo) {
    out.push_str("<table class=\"facts task\">\n");
    fact(out, "type", &task.job_type);
    let _ = writeln!(
        out,
        "<tr><th>state</th><td><span class=\"state s-{}\">{}</span></td></tr>",
        esc(&task.state.to_ascii_lowercase()),
        esc(&task.state)
    );
    fact(out, "attempt", &task.attempt.to_string());
    fact(out, "submitted", &task.submitted_at);
    if let Some(at) = &task.started_at {
        fact(out, "started", at);
    }
    if let Some(at) = &task.finished_at {
        fact(out, "finished", at);
    }
    if let Some(ms) = task.time_ms {
        fact(out, "computation time", &format!("{} ms", num(ms)));
    }
    if let Some((name, revision)) = &task.topology {
        let _ = writeln!(
            out,
            "<tr><th>topology</th><td><a href=\"/ui/topology/{}?revision={revision}\">{} revision {revision}</a></td></tr>",
            esc(&url_part(name)),
            esc(name)
        );
    }
    out.push_str("</table>\n");
}

/// The key of the drawing: path classes, or utilisation bands with the before/after toggle.
fn legend(out: &mut String, list_job: bool) {
    out.push_str("<div class=\"legend\">");
    if list_job {
        out.push_str("<span class=\"toggle\" id=\"util\"><label><input type=\"radio\" name=\"util\" value=\"a\" checked> after</label> <label><input type=\"radio\" name=\"util\" value=\"b\"> before</label></span> ");
        for (b, (_, label)) in BANDS.iter().enumerate() {
            let _ = write!(
                out,
                "<span class=\"key\"><i class=\"sw b{b}\"></i>{}</span> ",
                esc(label)
            );
        }
        out.push_str("<span class=\"key\"><i class=\"sw bn\"></i>unknown</span>");
    } else {
        out.push_str("<span class=\"key\"><i class=\"sw k-path\"></i>path (every ECMP branch)</span> <span class=\"key\"><i class=\"sw k-dis\"></i>disjoint path</span> <span class=\"key\"><i class=\"sw k-alt\"></i>alternative</span> <span class=\"key\"><i class=\"dot k-sid\"></i>SID</span> <span class=\"key\"><i class=\"dot k-end\"></i>ends</span>");
    }
    out.push_str("</div>\n");
}
