//! The web view (contract §9) in a real headless Chromium against the real bridge: the seed
//! example's paths drawn on its network, a congestion relief coloured by utilisation, a held
//! topology after a change with its history, the task list following completions live and
//! cancelling a PENDING task, and the token. Screenshots go to `$PASTA_SCREENSHOT_DIR` when it
//! is set (that is how `docs/screenshots/` is made), else to a temporary folder.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};

use crate::support::browser::Browser;
use crate::support::nats::NatsServer;
use crate::support::pasta::{self as harness, Options, Pasta};
use crate::support::{self, http};

const WAIT: Duration = Duration::from_secs(20);

/// Where a screenshot named `name` goes.
fn shot(name: &str, scratch: &tempfile::TempDir) -> PathBuf {
    match std::env::var_os("PASTA_SCREENSHOT_DIR") {
        Some(dir) => PathBuf::from(dir).join(name),
        None => scratch.path().join(name),
    }
}

/// Submits over HTTP and waits for the task to end: its id.
async fn run(pasta: &Pasta, t: &str, body: &Value) -> String {
    let port = pasta.http.unwrap().port();
    let bytes = Bytes::from(serde_json::to_vec(body).unwrap());
    let (code, _, answer) = http::post(port, &format!("/api/jobs/{t}"), bytes, WAIT)
        .await
        .unwrap();
    assert_eq!(code, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    let id = answer["data"]["task_id"].as_str().unwrap().to_owned();
    let doc = pasta.wait_final(&id, t).await;
    assert_eq!(doc["data"]["task_state"], "SUCCESS", "{doc}");
    id
}

/// The link ids of a path written as `[node, link, node, …]`.
fn links_of(path: &Value) -> Vec<String> {
    path.as_array()
        .unwrap()
        .iter()
        .skip(1)
        .step_by(2)
        .map(|l| l.as_str().unwrap().to_owned())
        .collect()
}

fn set(items: Vec<String>) -> BTreeSet<String> {
    items.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_examples_paths_are_drawn_on_its_network() {
    let nats = NatsServer::start();
    let pasta = harness::start(&nats, Options::default()).await;
    let request = support::body("seed-example/request.json");
    let expected = support::body("seed-example/expected.json");
    let id = run(&pasta, "bod_pasta", &request).await;
    let browser = Browser::start().await;
    let url = format!("http://{}/ui/task/{id}", pasta.http.unwrap());
    let took = browser.goto_and_wait(&url, "svg [data-node]", WAIT).await;
    println!("seed task page drawn in {took:?}");
    // Every node and link of the request is an element.
    let ids = |key: &str| -> BTreeSet<String> {
        request[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        set(browser.attr_all("[data-node]", "data-node").await),
        ids("nodes")
    );
    assert_eq!(
        set(browser.attr_all("[data-link]", "data-link").await),
        ids("links")
    );
    // Entry 1: the links of its paths, every ECMP branch, carry `path`; its SIDs are marked.
    for (entry, item) in expected["data"].as_array().unwrap().iter().enumerate() {
        if entry > 0 {
            browser
                .execute(
                    "const s = document.getElementById('entry'); s.value = arguments[0]; \
                     s.dispatchEvent(new Event('change'));",
                    vec![json!(entry.to_string())],
                )
                .await;
        }
        let paths = item["data"]["paths"].as_array().unwrap();
        let want: BTreeSet<String> = paths.iter().flat_map(links_of).collect();
        let drawn = set(browser.attr_all("[data-link].path", "data-link").await);
        assert_eq!(drawn, want, "entry {entry}: the links drawn as the path");
        let sids: BTreeSet<String> = item["data"]["sids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect();
        let marked = set(browser.attr_all("[data-node].sid", "data-node").await);
        assert!(
            marked.is_superset(&sids),
            "entry {entry}: SIDs {sids:?}, marked {marked:?}"
        );
        if entry == 1 {
            // Two ECMP branches from P4: both drawn.
            assert_eq!(paths.len(), 2);
            assert!(drawn.contains("P4:30045") && drawn.contains("P4:30046"));
        }
    }
    let scratch = tempfile::tempdir().unwrap();
    browser
        .execute(
            "const s = document.getElementById('entry'); s.value = '1'; \
             s.dispatchEvent(new Event('change'));",
            vec![],
        )
        .await;
    let png = browser.screenshot(&shot("task-seed.png", &scratch)).await;
    assert_eq!(&png[..4], b"\x89PNG");
    browser.close().await;
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_congestion_relief_colours_each_link_before_and_after_and_lists_the_moves() {
    let nats = NatsServer::start();
    let pasta = harness::start(&nats, Options::default()).await;
    let dir = "contract-examples/congestion-relief";
    let request = support::body(&format!("{dir}/request.json"));
    let id = run(&pasta, "bod_congest_reopt", &request).await;
    let browser = Browser::start().await;
    let url = format!("http://{}/ui/task/{id}", pasta.http.unwrap());
    browser.goto_and_wait(&url, "svg [data-link]", WAIT).await;
    let links = request["links"].as_array().unwrap().len();
    assert_eq!(browser.count("[data-link]").await, links);
    // Every link is in one utilisation band after the job and one before it.
    let after = browser.count("[data-link][class*='u0a']").await;
    let before = browser.count("[data-link][class*='u0b']").await;
    assert_eq!((after, before), (links, links));
    // The congested links are marked, and relieved: a lower band after than before.
    let band = |classes: &str, when: char| -> usize {
        classes
            .split_whitespace()
            .find_map(|c| c.strip_prefix(&format!("u0{when}")))
            .and_then(|b| b.parse().ok())
            .unwrap_or_else(|| panic!("no band in {classes:?}"))
    };
    for congested in request["congested_link"].as_array().unwrap() {
        let css = format!("[data-link=\"{}\"]", congested.as_str().unwrap());
        let classes = browser.attr(&css, "class").await.unwrap_or_default();
        assert!(classes.contains("congested"), "{css}: {classes}");
        assert!(
            band(&classes, 'a') < band(&classes, 'b'),
            "{css} is not relieved: {classes}"
        );
    }
    // The moved policies are listed, with the link they moved off.
    let page = browser.source().await;
    for (policy, from) in [("C4", "R1-1"), ("C7", "R6-10")] {
        let row = browser
            .execute(
                "return [...document.querySelectorAll('tr.moved')]\
                 .map(r => r.textContent).find(t => t.includes(arguments[0])) || '';",
                vec![json!(policy)],
            )
            .await;
        let row = row.as_str().unwrap_or_default();
        assert!(row.contains(from), "{policy} moved off {from}: row {row:?}");
    }
    assert!(page.contains("R1-1") && page.contains("R6-10"));
    // The switch shows the utilisation before.
    browser.click("#util input[value='b']").await;
    let shown = browser.attr("#net", "data-u").await;
    assert_eq!(shown.as_deref(), Some("0b"));
    browser.click("#util input[value='a']").await;
    assert_eq!(browser.attr("#net", "data-u").await.as_deref(), Some("0a"));
    let scratch = tempfile::tempdir().unwrap();
    browser
        .screenshot(&shot("task-congestion.png", &scratch))
        .await;
    browser.close().await;
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_topology_is_drawn_after_a_change_with_its_history() {
    let nats = NatsServer::start();
    let pasta = harness::start(&nats, Options::default()).await;
    let http_addr = pasta.http.unwrap();
    let seed = support::body("seed-example/request.json");
    let mut topology = json!({"nodes": seed["nodes"], "links": seed["links"]});
    // Positions given for every node: the drawing must use them.
    for (i, node) in topology["nodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        node["pos"] = json!({"x": (i % 3) as f64 * 100.0, "y": (i / 3) as f64 * 100.0});
    }
    let put = serde_json::to_vec(&topology).unwrap();
    let (code, _, answer) = http::send_body(
        "PUT",
        http_addr.port(),
        "/api/topologies/core",
        Bytes::from(put),
        WAIT,
    )
    .await
    .unwrap();
    assert_eq!(code, 200, "{answer}");
    let change = json!({"changes": [{"op": "patch_link", "id": "P1:30012", "set": {"igp": 50}}]});
    let (code, _, answer) = http::send_body(
        "PATCH",
        http_addr.port(),
        "/api/topologies/core",
        Bytes::from(serde_json::to_vec(&change).unwrap()),
        WAIT,
    )
    .await
    .unwrap();
    assert_eq!(code, 200, "{answer}");
    let browser = Browser::start().await;
    let url = format!("http://{http_addr}/ui/topology/core");
    browser.goto_and_wait(&url, "svg [data-node]", WAIT).await;
    assert_eq!(
        browser.count("[data-node]").await,
        seed["nodes"].as_array().unwrap().len()
    );
    assert_eq!(
        browser.count("[data-link]").await,
        seed["links"].as_array().unwrap().len()
    );
    // The history: revision 2 changed P1:30012, revision 1 put the whole network.
    let history = browser.text(".history").await;
    assert!(history.contains("patch_link"), "{history}");
    assert!(history.contains("P1:30012"), "{history}");
    assert!(history.contains("put"), "{history}");
    // Placed by `pos`: P1 (0, 0) is left of P2 (100, 0) and above P4 (0, 100).
    let centre = |id: &str| {
        format!(
            "const r = document.querySelector('[data-node=\"{id}\"]').getBoundingClientRect(); \
             return [r.x + r.width / 2, r.y + r.height / 2];"
        )
    };
    let at = |v: Value| (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
    let p1 = at(browser.execute(&centre("P1"), vec![]).await);
    let p2 = at(browser.execute(&centre("P2"), vec![]).await);
    let p4 = at(browser.execute(&centre("P4"), vec![]).await);
    assert!(p1.0 < p2.0 && (p1.1 - p2.1).abs() < 1.0, "{p1:?} {p2:?}");
    assert!(p1.1 < p4.1 && (p1.0 - p4.0).abs() < 1.0, "{p1:?} {p4:?}");
    let scratch = tempfile::tempdir().unwrap();
    browser.screenshot(&shot("topology.png", &scratch)).await;
    browser.close().await;
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_task_list_follows_completions_live_and_cancels_a_pending_task() {
    let nats = NatsServer::start();
    // The bridge, with a token, and no workers: submitted jobs stay PENDING until a worker
    // starts.
    let front = harness::start(
        &nats,
        Options {
            workers: false,
            token: Some("s3cret".into()),
            ..Options::default()
        },
    )
    .await;
    let http_addr = front.http.unwrap();
    let submit = |id: &str| {
        let mut body = support::body("seed-example/request.json");
        body["sr_policy"]["id"] = json!(id);
        body
    };
    let mut ids = Vec::new();
    for p in ["a", "b"] {
        let answer = front
            .submit(pasta::model::JobType::BodPasta, &submit(p), None)
            .await;
        ids.push(answer["data"]["task_id"].as_str().unwrap().to_owned());
    }
    let browser = Browser::start().await;
    // Without the token: a page saying so.
    browser.goto(&format!("http://{http_addr}/ui/")).await;
    assert!(browser.source().await.contains("/ui/login?token="));
    // A wrong token is refused; the right one is kept in a cookie and leads to the list.
    browser
        .goto(&format!("http://{http_addr}/ui/login?token=wrong"))
        .await;
    assert!(browser.source().await.contains("not the bridge"));
    browser
        .goto_and_wait(
            &format!("http://{http_addr}/ui/login?token=s3cret"),
            &format!("tr[data-task=\"{}\"]", ids[1]),
            WAIT,
        )
        .await;
    let at = browser.url().await;
    assert!(at.contains("/ui/"), "{at}");
    for id in &ids {
        let css = format!("tr[data-task=\"{id}\"]");
        assert_eq!(
            browser.attr(&css, "data-state").await.as_deref(),
            Some("PENDING")
        );
    }
    // Cancel the first from the page.
    browser
        .click(&format!("tr[data-task=\"{}\"] button.cancel", ids[0]))
        .await;
    browser
        .wait_for(
            &format!("tr[data-task=\"{}\"][data-state=\"FAILURE\"]", ids[0]),
            WAIT,
        )
        .await;
    let doc = front.status(&ids[0], "bod_pasta").await;
    assert_eq!(doc["data"]["error"]["code"], "CANCELLED", "{doc}");
    // A worker starts: the other task's completion reaches the page live, and a task
    // submitted now appears without a reload.
    let worker = harness::start(
        &nats,
        Options {
            responder: false,
            http: false,
            prefix: Some(front.names.prefix().to_owned()),
            ..Options::default()
        },
    )
    .await;
    browser
        .wait_for(
            &format!("tr[data-task=\"{}\"][data-state=\"SUCCESS\"]", ids[1]),
            WAIT,
        )
        .await;
    let answer = front
        .submit(pasta::model::JobType::BodPasta, &submit("c"), None)
        .await;
    let late = answer["data"]["task_id"].as_str().unwrap().to_owned();
    browser
        .wait_for(
            &format!("tr[data-task=\"{late}\"][data-state=\"SUCCESS\"]"),
            WAIT,
        )
        .await;
    // The filter by state shows only the failed one.
    browser
        .execute(
            "const s = document.getElementById('filter-state'); s.value = 'FAILURE'; \
             s.dispatchEvent(new Event('change'));",
            vec![],
        )
        .await;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let shown = browser.attr_all("tr[data-task]", "data-task").await;
        if shown == [ids[0].clone()] {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "filtered: {shown:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let scratch = tempfile::tempdir().unwrap();
    browser
        .execute(
            "const s = document.getElementById('filter-state'); s.value = ''; \
             s.dispatchEvent(new Event('change'));",
            vec![],
        )
        .await;
    browser
        .wait_for(&format!("tr[data-task=\"{late}\"]"), WAIT)
        .await;
    browser.screenshot(&shot("tasks.png", &scratch)).await;
    browser.close().await;
    worker.stop().await;
    front.stop().await;
}
