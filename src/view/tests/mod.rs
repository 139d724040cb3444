//! Tests of the web view: layout, drawing, pages, escaping.

mod layout;
mod pages;
mod task;

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

use super::TaskInfo;
use crate::model::{Job, JobType, Limits, Link, Node};

/// A fixture under `tests/fixtures/`.
fn fixture(path: &str) -> Value {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    let text = std::fs::read_to_string(&file).expect("a fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

/// A body parsed as a job of a type.
fn job(job_type: JobType, body: &Value) -> Job {
    Job::parse(job_type, body, &Limits::default()).expect("a valid body")
}

/// A task in a state.
fn task(job_type: &str, state: &str) -> TaskInfo {
    TaskInfo {
        task_id: "0b7c6a1e-5f0e-4c57-9d0e-3f1d2a4b5c6d".to_string(),
        job_type: job_type.to_string(),
        state: state.to_string(),
        attempt: 1,
        submitted_at: "2026-12-06T10:00:00Z".to_string(),
        started_at: None,
        finished_at: Some("2026-12-06T10:00:01Z".to_string()),
        time_ms: Some(1.25),
        error: None,
        topology: None,
    }
}

/// Undoes [`super::html::esc`].
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The value of an attribute in one tag's text.
fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    let end = tag[at..].find('"')?;
    Some(tag[at..at + end].to_string())
}

/// Every element carrying `name="…"`: its value (unescaped) and its classes.
fn elements(html: &str, name: &str) -> Vec<(String, BTreeSet<String>)> {
    let needle = format!(" {name}=\"");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = html[from..].find(&needle) {
        let at = from + at;
        let start = html[..at].rfind('<').expect("a tag start");
        let end = at + html[at..].find('>').expect("a tag end");
        let tag = &html[start..end];
        let value = attr(tag, name).expect("the attribute");
        let classes = attr(tag, "class")
            .map(|c| c.split(' ').map(str::to_string).collect())
            .unwrap_or_default();
        out.push((unescape(&value), classes));
        from = end;
    }
    out
}

/// The ids of the elements carrying `name` that have `class`.
fn with_class(html: &str, name: &str, class: &str) -> BTreeSet<String> {
    elements(html, name)
        .into_iter()
        .filter(|(_, c)| c.contains(class))
        .map(|(id, _)| id)
        .collect()
}

/// A node with a SID.
fn node(id: &str, sid: u64) -> Node {
    Node {
        id: id.to_string(),
        ip: None,
        sid: Some(sid),
        prefix: Vec::new(),
    }
}

/// A link with an adjacency SID, metric 1, bandwidth 100.
fn link(id: &str, lo: &str, re: &str, sid: u64) -> Link {
    Link {
        id: id.to_string(),
        lo: lo.to_string(),
        re: re.to_string(),
        ip: None,
        sid: Some(sid),
        igp: 1,
        te: 1,
        delay: 1.0,
        delay_milli: 1000,
        bd: 100.0,
        affi: 0,
        srlg: Vec::new(),
        traffic_flow: None,
        qos_class: Vec::new().into(),
    }
}

/// The link ids of the paths (ids alternating node, link, node) of a list.
fn links_of(paths: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for path in paths.as_array().expect("paths") {
        for (k, id) in path.as_array().expect("a path").iter().enumerate() {
            if k % 2 == 1 {
                out.insert(id.as_str().expect("an id").to_string());
            }
        }
    }
    out
}

/// Every external reference of a page: `http(s)://` other than the SVG namespace, `src=`,
/// `<link`.
fn external(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in html.match_indices("http") {
        let rest = &html[at..];
        if (rest.starts_with("http://") || rest.starts_with("https://"))
            && !rest.starts_with("http://www.w3.org/2000/svg")
        {
            out.push(rest.chars().take(60).collect());
        }
    }
    for needle in [" src=\"", "<link ", "@import"] {
        if html.contains(needle) {
            out.push(needle.to_string());
        }
    }
    out
}
