//! The task page: paths, SIDs, alternatives, utilisation, failures, large networks.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::super::{task_page, task_rest_svg};
use super::{elements, external, fixture, job, links_of, task, with_class};
use crate::model::JobType;

/// The seed example as `bod_pasta`: its request and expected result.
fn seed() -> (crate::model::Job, Value) {
    let request = fixture("seed-example/request.json");
    (
        job(JobType::BodPasta, &request),
        fixture("seed-example/expected.json"),
    )
}

#[test]
fn the_seed_example_draws_every_element_once_and_entry_0s_path() {
    let (job, expected) = seed();
    let html = task_page(
        &task("bod_pasta", "SUCCESS"),
        Some(&job.request),
        None,
        Some(&expected),
    );
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("<title>Task 0b7c6a1e-5f0e-4c57-9d0e-3f1d2a4b5c6d · pasta</title>"));
    assert_eq!(external(&html), Vec::<String>::new());

    let nodes: Vec<String> = elements(&html, "data-node")
        .into_iter()
        .map(|e| e.0)
        .collect();
    let want: Vec<String> = job.request.nodes.iter().map(|n| n.id.clone()).collect();
    assert_eq!(nodes, want, "one element per node, in order");
    let links: Vec<String> = elements(&html, "data-link")
        .into_iter()
        .map(|e| e.0)
        .collect();
    let want: Vec<String> = job.request.links.iter().map(|l| l.id.clone()).collect();
    assert_eq!(links, want, "one element per link, in order");

    let entry0 = &expected["data"][0]["data"];
    assert_eq!(
        with_class(&html, "data-link", "path"),
        links_of(&entry0["paths"])
    );
    assert_eq!(
        with_class(&html, "data-link", "path"),
        BTreeSet::from(["P1:30012".to_string(), "P2:30023".to_string()])
    );
    assert_eq!(
        with_class(&html, "data-node", "sid"),
        BTreeSet::from(["P3".to_string()])
    );
    assert!(html.contains("<text class=\"sidl\""));
    assert!(html.contains(">60003</text>"));
    assert!(with_class(&html, "data-link", "path-disjoint").is_empty());
    assert_eq!(
        with_class(&html, "data-node", "end"),
        BTreeSet::from(["P1".to_string(), "P3".to_string()])
    );

    // Entry 1 (two ECMP branches) and its alternative are ready for the script.
    let entry1 = &expected["data"][1]["data"];
    assert_eq!(
        with_class(&html, "data-link", "p1"),
        links_of(&entry1["paths"])
    );
    assert_eq!(with_class(&html, "data-link", "p1").len(), 5);
    assert_eq!(
        with_class(&html, "data-link", "o1_0"),
        links_of(&entry1["other"][0]["paths"])
    );
    assert!(html.contains("data-alt=\"0\""));
    assert!(html.contains("<select id=\"entry\">"));
    assert!(
        html.contains(r#"[["P4","60004"],["P3","60003"]]"#),
        "entry 1's SIDs for the script"
    );

    // The same input gives the same bytes.
    let again = task_page(
        &task("bod_pasta", "SUCCESS"),
        Some(&job.request),
        None,
        Some(&expected),
    );
    assert_eq!(html, again);
    // Drawn whole: no remainder.
    assert!(!html.contains("data-rest="));
    assert!(elements(
        &task_rest_svg(
            &task("bod_pasta", "SUCCESS"),
            &job.request,
            None,
            Some(&expected)
        ),
        "data-node"
    )
    .is_empty());
}

#[test]
fn reservations_and_a_disjoint_path_are_shown() {
    let body = fixture("contract-examples/reservation-ecmp-split/request.json");
    let mut body = body;
    body["sr_policy"]["dis"] = json!(true);
    let j = job(JobType::BodPasta, &body);
    let result = crate::compute_value(JobType::BodPasta, &body).expect("computes");
    let html = task_page(
        &task("bod_pasta", "SUCCESS"),
        Some(&j.request),
        None,
        Some(&result),
    );
    let item = &result["data"][0];
    assert_eq!(
        with_class(&html, "data-link", "path"),
        links_of(&item["data"]["paths"])
    );
    assert_eq!(
        with_class(&html, "data-link", "path-disjoint"),
        links_of(&item["data"]["d_paths"])
    );
    assert!(html.contains("<h4>Reservations</h4>"));
    for row in item["reservations"].as_array().expect("reservations") {
        let link = row["link"].as_str().expect("a link");
        assert!(
            html.contains(&format!("<tr><td>{link}</td>")),
            "{link} in the table"
        );
    }
    assert!(html.contains("<h4>Disjoint path</h4>"));
}

#[test]
fn no_path_shows_the_blocking_constraint_and_the_widest_bandwidth() {
    let body = fixture("contract-examples/no-path-bandwidth/request.json");
    let j = job(JobType::BodPasta, &body);
    let result = crate::compute_value(JobType::BodPasta, &body).expect("computes");
    let html = task_page(
        &task("bod_pasta", "SUCCESS"),
        Some(&j.request),
        None,
        Some(&result),
    );
    assert!(html.contains("<tr><th>code</th><td>NO_PATH</td></tr>"));
    assert!(html.contains("<tr><th>constraint</th><td>bandwidth</td></tr>"));
    assert!(html.contains("<tr><th>widest bandwidth</th><td>10</td></tr>"));
    assert!(with_class(&html, "data-link", "path").is_empty());
    assert!(html.contains("entry 1 · algo 0 · NO_PATH"));
}

#[test]
fn congestion_relief_colours_links_before_and_after_and_lists_the_moves() {
    let body = fixture("contract-examples/congestion-relief/request.json");
    let j = job(JobType::BodCongestReopt, &body);
    let result = crate::compute_value(JobType::BodCongestReopt, &body).expect("computes");
    let html = task_page(
        &task("bod_congest_reopt", "SUCCESS"),
        Some(&j.request),
        None,
        Some(&result),
    );
    let links = elements(&html, "data-link");
    assert_eq!(links.len(), j.request.links.len());
    // R1-1: 17 of 18.04 before (band 4, 80–100 %), at most the 70 % target after.
    let r1 = &links.iter().find(|(id, _)| id == "R1-1").expect("R1-1").1;
    assert!(r1.contains("u0b4"), "{r1:?}");
    assert!(
        ["u0a1", "u0a2"].iter().any(|c| r1.contains(*c)),
        "relieved: {r1:?}"
    );
    assert!(r1.contains("congested"));
    // Every link with traffic and bandwidth has both bands; the summary's changes agree.
    for (link, (_, classes)) in j.request.links.iter().zip(&links) {
        if link.traffic_flow.is_some() && link.bd > 0.0 {
            let before =
                super::super::load::band(link.traffic_flow.map(|t| t / link.bd)).expect("a band");
            assert!(
                classes.contains(&format!("u0b{before}")),
                "{}: {classes:?}",
                link.id
            );
            assert!(classes.iter().any(|c| c.starts_with("u0a")), "{}", link.id);
        }
    }
    for u in result["data"][0]["summary"]["utilisation"]
        .as_array()
        .expect("changes")
    {
        let id = u["link"].as_str().expect("a link");
        let after = super::super::load::band(u["after"].as_f64()).expect("a band");
        let classes = &links.iter().find(|(l, _)| l == id).expect("drawn").1;
        assert!(
            classes.contains(&format!("u0a{after}")),
            "{id}: {classes:?}"
        );
    }
    assert!(html.contains(" data-u=\"0a\""));
    assert!(html.contains("#net[data-u=\"0b\"] .u0b4{stroke:var(--b4)}"));
    assert!(html.contains("value=\"a\" checked> after"));
    assert!(html.contains("value=\"b\"> before"));
    // The moved policies, with where they were moved from.
    let rows = elements(&html, "data-policy");
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|(_, c)| c.contains("moved")));
    assert!(html.contains("<td>C4</td><td>moved</td>"));
    assert!(html.contains("moved off R1-1"));
    assert!(html.contains("<td>C7</td><td>moved</td>"));
    assert!(html.contains("moved off R6-10"));
    assert!(html.contains("<h4>Utilisation changes</h4>"));
}

#[test]
fn reoptimisation_lists_placed_and_unplaced_policies_with_reasons() {
    let mut body = fixture("contract-examples/reopt-order-and-capacity/request.json");
    // A fourth policy that cannot fit anywhere.
    body["sr_policy"]
        .as_array_mut()
        .expect("a list")
        .push(json!({"id": "huge", "he": "A", "te": "D", "bd": 500, "class": "Gold"}));
    let j = job(JobType::BodReopt, &body);
    let result = crate::compute_value(JobType::BodReopt, &body).expect("computes");
    let html = task_page(
        &task("bod_reopt", "SUCCESS"),
        Some(&j.request),
        None,
        Some(&result),
    );
    let rows = elements(&html, "data-policy");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows.iter().filter(|(_, c)| c.contains("placed")).count(), 3);
    assert_eq!(
        rows.iter().filter(|(_, c)| c.contains("unplaced")).count(),
        1
    );
    assert!(html.contains("NO_PATH: "), "the reason");
    assert!(html.contains("(constraint bandwidth"));
    // Reserved after: A-B carries big's 50.
    let ab = &elements(&html, "data-link")
        .into_iter()
        .find(|(id, _)| id == "A-B")
        .expect("A-B")
        .1;
    assert!(ab.iter().any(|c| c.starts_with("u0a")), "{ab:?}");
    assert!(ab.iter().any(|c| c.starts_with("u0b")), "{ab:?}");
    // The script can draw each row's path.
    // (huge first: bandwidth_desc; it has no path.)
    assert!(html.contains(r#""pol":[[[[],[]],[["A-B","B-D"],[]],[["A-C","C-D"],[]]"#));
}

#[test]
fn failure_pending_and_a_request_not_kept() {
    let mut t = task("nonbod_pasta", "FAILURE");
    t.error = Some((
        "TIMEOUT".to_string(),
        "the computation exceeded <300s>".to_string(),
    ));
    let html = task_page(&t, None, None, None);
    assert!(html.contains("<b>TIMEOUT</b> the computation exceeded &lt;300s&gt;"));
    assert!(html.contains("The request was not kept."));
    assert!(!html.contains("<svg id=\"net\""));

    let (job, _) = seed();
    let html = task_page(
        &task("bod_pasta", "PENDING"),
        Some(&job.request),
        None,
        None,
    );
    assert!(html.contains("<meta http-equiv=\"refresh\" content=\"2\">"));
    assert!(html.contains("Not finished yet"));
    assert_eq!(elements(&html, "data-node").len(), 6);
    assert!(with_class(&html, "data-link", "path").is_empty());
}

#[test]
fn a_large_network_is_drawn_in_two_parts_that_make_the_whole() {
    // A 70 × 50 grid, links both ways.
    let (w, h) = (70usize, 50usize);
    let mut nodes = Vec::new();
    let mut links = Vec::new();
    let id = |x: usize, y: usize| format!("n{x}.{y}");
    for y in 0..h {
        for x in 0..w {
            nodes.push(json!({"id": id(x, y), "sid": 1 + y * w + x}));
        }
    }
    let mut add = |a: String, b: String| {
        let n = links.len();
        links.push(json!({"id": format!("l{n}"), "lo": a, "re": b, "sid": 100_000 + n, "bd": 10}));
    };
    for y in 0..h {
        for x in 0..w {
            if x + 1 < w {
                add(id(x, y), id(x + 1, y));
                add(id(x + 1, y), id(x, y));
            }
            if y + 1 < h {
                add(id(x, y), id(x, y + 1));
                add(id(x, y + 1), id(x, y));
            }
        }
    }
    let body =
        json!({"nodes": nodes, "links": links, "sr_policy": {"he": id(0, 0), "te": id(3, 0)}});
    let j = job(JobType::NonbodPasta, &body);
    // The path along the top row, written as the engine would.
    let link_of = |a: &str, b: &str| {
        j.request
            .links
            .iter()
            .find(|l| l.lo == a && l.re == b)
            .expect("a link")
            .id
            .clone()
    };
    let mut path = vec![json!(id(0, 0))];
    for x in 0..3 {
        path.push(json!(link_of(&id(x, 0), &id(x + 1, 0))));
        path.push(json!(id(x + 1, 0)));
    }
    let result = json!({"info": {}, "data": [{"algo_type": 0, "status": true, "info": {}, "data": {
        "sids": [{"id": id(3, 0), "ip": null, "sid": 4}],
        "segs": [[path.clone()]], "paths": [path],
        "attr": {"igp": 3, "te": 3, "delay": 3.0, "min_hop": 3, "max_min_band": 10},
        "attr_worst": {"igp": 3, "te": 3, "delay": 3.0, "max_hop": 3, "min_band": 10},
        "other": [], "time": 0.1}}]});
    let t = task("nonbod_pasta", "SUCCESS");
    let page = task_page(&t, Some(&j.request), None, Some(&result));
    let rest = task_rest_svg(&t, &j.request, None, Some(&result));
    assert!(page.contains(" data-rest=\"/ui/task/0b7c6a1e-5f0e-4c57-9d0e-3f1d2a4b5c6d/rest.svg\""));
    assert!(rest.starts_with("<g xmlns=\"http://www.w3.org/2000/svg\" id=\"rest-part\">"));
    let page_nodes = elements(&page, "data-node");
    let rest_nodes = elements(&rest, "data-node");
    assert!(
        page_nodes.len() < 100,
        "{} nodes in the page",
        page_nodes.len()
    );
    let mut all: Vec<String> = page_nodes
        .iter()
        .chain(&rest_nodes)
        .map(|e| e.0.clone())
        .collect();
    all.sort();
    let mut want: Vec<String> = j.request.nodes.iter().map(|n| n.id.clone()).collect();
    want.sort();
    assert_eq!(all, want, "every node once");
    let page_links = elements(&page, "data-link");
    let mut all: Vec<String> = page_links
        .iter()
        .chain(&elements(&rest, "data-link"))
        .map(|e| e.0.clone())
        .collect();
    all.sort();
    let mut want: Vec<String> = j.request.links.iter().map(|l| l.id.clone()).collect();
    want.sort();
    assert_eq!(all, want, "every link once");
    // The path and its ends are in the page; labels are the script's at this size.
    assert_eq!(with_class(&page, "data-link", "path").len(), 3);
    assert!(with_class(&rest, "data-link", "path").is_empty());
    assert!(page.contains("data-labels=\"script\""));
    assert_eq!(page, task_page(&t, Some(&j.request), None, Some(&result)));
}
