//! The list page, the topology page, the message page, and escaping.

use serde_json::json;

use super::super::layout::layout;
use super::super::{message_page, tasks_page, topology_page, topology_rest_svg, RevisionInfo};
use super::{elements, external, job, task, with_class};
use crate::model::topology::Network;
use crate::model::{JobType, Limits};

#[test]
fn the_task_list_is_a_shell_for_its_script() {
    let html = tasks_page(&["bod_pasta", "nonbod_reopt", "x<y"]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("<title>Recent tasks · pasta</title>"));
    assert!(html.contains("<select id=\"filter-type\">"));
    assert!(html.contains("<option value=\"nonbod_reopt\">nonbod_reopt</option>"));
    assert!(html.contains("<option value=\"x&lt;y\">x&lt;y</option>"));
    assert!(html.contains("<select id=\"filter-state\">"));
    for state in ["PENDING", "SUCCESS", "FAILURE"] {
        assert!(html.contains(&format!("<option value=\"{state}\">")));
    }
    for needle in [
        "'/api/jobs?'",
        "new EventSource('/ui/events')",
        "addEventListener('task'",
        "method: 'DELETE'",
        "'/ui/task/'",
        "'data-task'",
        "'data-state'",
    ] {
        assert!(html.contains(needle), "the script uses {needle}");
    }
    assert!(html.contains("<tbody id=\"tasks\"></tbody>"));
    assert_eq!(external(&html), Vec::<String>::new());
}

/// A small held topology with positions on some nodes.
fn network() -> Network {
    let doc = json!({
        "nodes": [
            {"id": "P1", "sid": 1, "pos": {"x": 0, "y": 0}},
            {"id": "P2", "sid": 2, "pos": {"x": 100, "y": 0}},
            {"id": "P3", "sid": 3}
        ],
        "links": [
            {"id": "P1:30012", "lo": "P1", "re": "P2", "sid": 30012},
            {"id": "P2:30021", "lo": "P2", "re": "P1", "sid": 30021},
            {"id": "P2:30023", "lo": "P2", "re": "P3", "sid": 30023},
            {"id": "P2:30023b", "lo": "P2", "re": "P3", "sid": 30024}
        ]
    });
    Network::from_slice(doc.to_string().as_bytes(), &Limits::default()).expect("a topology")
}

#[test]
fn a_topology_is_drawn_with_its_history() {
    let net = network();
    let l = layout(&net.nodes, &net.links, Some(&net.pos));
    let history = vec![
        RevisionInfo {
            revision: 2,
            at: "2026-12-06T10:00:01Z".to_string(),
            kind: "change".to_string(),
            ops: vec![("link_update".to_string(), "P1:30012".to_string())],
        },
        RevisionInfo {
            revision: 1,
            at: "2026-12-06T10:00:00Z".to_string(),
            kind: "put".to_string(),
            ops: vec![("put".to_string(), String::new())],
        },
    ];
    let html = topology_page("core", 2, &net, &l, &history);
    assert!(html.contains("<title>Topology core r2 · pasta</title>"));
    assert_eq!(elements(&html, "data-node").len(), 3);
    assert_eq!(elements(&html, "data-link").len(), 4);
    assert!(html.contains("<code>link_update P1:30012</code>"));
    assert!(html.contains("<tr class=\"current\">"));
    assert!(html.contains(r#""changed":["P1:30012"]"#));
    assert!(html.contains("<a href=\"/ui/topology/core?revision=1\">1</a>"));
    assert_eq!(external(&html), Vec::<String>::new());
    // Parallel links get distinct offsets: their drawings differ.
    let d = |id: &str| {
        let at = html.find(&format!("data-link=\"{id}\"")).expect("drawn");
        let tag = &html[at..at + html[at..].find('>').expect("end")];
        super::attr(tag, "d").expect("a d")
    };
    assert_ne!(d("P2:30023"), d("P2:30023b"));
    assert_ne!(d("P1:30012"), d("P2:30021"));
    // Small: no remainder.
    assert!(!html.contains("data-rest="));
    assert!(elements(&topology_rest_svg(&net, &l), "data-link").is_empty());
    assert_eq!(html, topology_page("core", 2, &net, &l, &history));
}

#[test]
fn a_large_topology_page_has_every_node_and_fetches_the_links() {
    let n = 3100;
    let nodes: Vec<_> = (0..n)
        .map(|i| json!({"id": format!("N{i}"), "sid": i + 1}))
        .collect();
    let links: Vec<_> = (0..n - 1)
        .map(|i| json!({"id": format!("L{i}"), "lo": format!("N{i}"), "re": format!("N{}", i + 1)}))
        .collect();
    let doc = json!({"nodes": nodes, "links": links});
    let net = Network::from_slice(doc.to_string().as_bytes(), &Limits::default()).expect("valid");
    let l = layout(&net.nodes, &net.links, Some(&net.pos));
    let html = topology_page("big-one", 7, &net, &l, &[]);
    assert_eq!(elements(&html, "data-node").len(), n);
    assert!(elements(&html, "data-link").is_empty());
    assert!(html.contains(" data-rest=\"/ui/topology/big-one/rest.svg?revision=7\""));
    let rest = topology_rest_svg(&net, &l);
    assert_eq!(elements(&rest, "data-link").len(), n - 1);
    assert!(elements(&rest, "data-node").is_empty());
}

#[test]
fn ids_and_texts_are_escaped_everywhere() {
    let body = json!({
        "nodes": [
            {"id": "a<b", "sid": 1},
            {"id": "\"q\"", "sid": 2},
            {"id": "x&y", "sid": 3}
        ],
        "links": [
            {"id": "l<1>\"&'", "lo": "a<b", "re": "\"q\"", "sid": 11},
            {"id": "l2", "lo": "\"q\"", "re": "x&y", "sid": 12}
        ],
        "sr_policy": {"id": "<script>alert(1)</script>", "he": "a<b", "te": "x&y"}
    });
    let j = job(JobType::NonbodPasta, &body);
    let result = crate::compute_value(JobType::NonbodPasta, &body).expect("computes");
    let mut t = task("nonbod_pasta", "SUCCESS");
    t.task_id = "<id \"1\" & 2>".to_string();
    t.topology = Some(("co<re".to_string(), 3));
    let html = super::super::task_page(&t, Some(&j.request), None, Some(&result));
    for raw in [
        "a<b",
        "\"q\"",
        "x&y",
        "l<1>",
        "<script>alert",
        "<id ",
        "co<re",
    ] {
        assert!(!html.contains(raw), "{raw} unescaped");
    }
    assert!(html.contains("data-node=\"a&lt;b\""));
    assert!(html.contains("data-node=\"&quot;q&quot;\""));
    assert!(html.contains("data-node=\"x&amp;y\""));
    assert!(html.contains("data-link=\"l&lt;1&gt;&quot;&amp;&#39;\""));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("data-rest") || html.contains("/ui/topology/co%3Cre?revision=3"));
    // The ids read back as they were, and the path is drawn.
    let ids: Vec<String> = elements(&html, "data-node")
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(ids, ["a<b", "\"q\"", "x&y"]);
    assert_eq!(with_class(&html, "data-link", "path").len(), 2);
    // JSON in the page cannot close its script.
    let data = &html[html.find("id=\"view-data\">").expect("data")..];
    let data = &data[..data.find("</script>").expect("closed")];
    assert!(!data[15..].contains('<'));

    let html = message_page("Not <found>", "no task \"x\" & <y>");
    assert!(html.contains("<title>Not &lt;found&gt; · pasta</title>"));
    assert!(html.contains("no task &quot;x&quot; &amp; &lt;y&gt;"));

    let net = Network::from_slice(
        json!({"nodes": body["nodes"], "links": body["links"]})
            .to_string()
            .as_bytes(),
        &Limits::default(),
    )
    .expect("valid");
    let l = layout(&net.nodes, &net.links, None);
    let history = [RevisionInfo {
        revision: 1,
        at: "<now>".to_string(),
        kind: "change".to_string(),
        ops: vec![("patch_node".to_string(), "a<b".to_string())],
    }];
    let html = topology_page("n<ame", 1, &net, &l, &history);
    for raw in ["a<b", "n<ame", "<now>"] {
        assert!(!html.contains(raw), "{raw} unescaped");
    }
    assert!(html.contains(r#""changed":["a\u003cb"]"#));
}
