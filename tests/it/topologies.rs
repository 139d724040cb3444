//! Held topologies (contract §8) against a real nats-server and the whole service: put,
//! change (atomic, every problem listed), get of any kept revision, list, delete, optimistic
//! concurrency, the changed events, jobs by reference over NATS and HTTP (the result equal to
//! the same body inline), and retention of the revisions tasks refer to.

use std::time::Duration;

use async_nats::HeaderMap;
use futures::StreamExt;
use pasta::model::JobType;
use serde_json::{json, Value};

use crate::support::nats::NatsServer;
use crate::support::pasta::{self as harness, Options, Pasta};
use crate::support::{body, timeless};

/// The seed example's body (a bod_pasta body), and its topology alone.
fn seed() -> (Value, Value) {
    let body = body("seed-example/request.json");
    let topology = json!({"nodes": body["nodes"], "links": body["links"]});
    (body, topology)
}

/// A body naming a held topology instead of carrying one.
fn by_reference(body: &Value, reference: Value) -> Value {
    let mut b = body.as_object().unwrap().clone();
    b.remove("nodes");
    b.remove("links");
    b.insert("topology".into(), reference);
    Value::Object(b)
}

async fn op(p: &Pasta, op: &str, name: Option<&str>, body: Value, expected: Option<u64>) -> Value {
    let mut subject = format!("{}.topology.{op}", p.names.prefix());
    if let Some(name) = name {
        subject = format!("{subject}.{name}");
    }
    let mut headers = HeaderMap::new();
    if let Some(r) = expected {
        headers.insert("Pasta-Expected-Revision", r.to_string().as_str());
    }
    p.request(subject, headers, serde_json::to_vec(&body).unwrap())
        .await
}

async fn get(p: &Pasta, name: &str, revision: Option<u64>) -> Value {
    let q = match revision {
        Some(r) => json!({"name": name, "revision": r}),
        None => json!({"name": name}),
    };
    op(p, "get", None, q, None).await
}

/// Submits over NATS and waits for the final status.
async fn run(p: &Pasta, t: JobType, body: &Value) -> Value {
    let submitted = p.submit(t, body, None).await;
    assert_eq!(submitted["status"], true, "{submitted}");
    let id = submitted["data"]["task_id"].as_str().unwrap().to_owned();
    p.wait_final(&id, t.as_str()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topology_is_put_changed_read_listed_used_by_jobs_and_deleted_over_nats() {
    let nats = NatsServer::start();
    let p = harness::start(&nats, Options::default()).await;
    let mut events = p
        .client
        .subscribe(format!("{}.topology.core.changed", p.names.prefix()))
        .await
        .unwrap();
    let (seed_body, topology) = seed();

    // Put: revision 1.
    let put = op(&p, "put", Some("core"), topology.clone(), Some(0)).await;
    assert_eq!(
        put,
        json!({"status": true, "info": [], "data": {"name": "core", "revision": 1}})
    );
    // A second create with expected revision 0 is a conflict naming the head.
    let again = op(&p, "put", Some("core"), topology.clone(), Some(0)).await;
    assert_eq!(again["info"]["code"], "CONFLICT", "{again}");
    assert!(again["info"]["message"]
        .as_str()
        .unwrap()
        .contains("revision 1"));

    // A change: one link's metric.
    let link = topology["links"][0]["id"].as_str().unwrap().to_owned();
    let change = json!({"changes": [{"op": "patch_link", "id": link, "set": {"igp": 77}}]});
    let changed = op(&p, "change", Some("core"), change, Some(1)).await;
    assert_eq!(
        changed["data"],
        json!({"name": "core", "revision": 2, "applied": 1, "removed_links": []})
    );
    // An invalid change: every problem listed at its op, nothing applied.
    let bad = json!({"changes": [
        {"op": "upsert_link", "link": {"id": "X1", "lo": "nowhere", "re": "P1"}},
        {"op": "remove_node", "id": "ghost"},
        {"op": "patch_link", "id": link, "set": {"igp": -1}},
    ]});
    let refused = op(&p, "change", Some("core"), bad, None).await;
    assert_eq!(refused["info"]["code"], "INVALID_BODY", "{refused}");
    let paths: Vec<&str> = refused["info"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["changes[1].id", "changes[2].set.igp"], "{refused}");
    let dangling = json!({"changes": [
        {"op": "upsert_link", "link": {"id": "X1", "lo": "nowhere", "re": "P1"}}
    ]});
    let refused = op(&p, "change", Some("core"), dangling, None).await;
    assert_eq!(
        refused["info"]["problems"][0]["path"], "changes[0].link.lo",
        "{refused}"
    );

    // Get: the head, and revision 1 as it was.
    let head = get(&p, "core", None).await;
    assert_eq!(head["data"]["revision"], 2);
    assert_eq!(head["data"]["links"][0]["igp"], 77);
    let first = get(&p, "core", Some(1)).await;
    assert_eq!(first["data"]["revision"], 1);
    assert_eq!(
        first["data"]["links"][0]["igp"],
        topology["links"][0]["igp"]
    );
    // Revision 1's snapshot (written while it was rendered) is its wire form, as get shows it.
    let js = async_nats::jetstream::new(p.client.clone());
    let records = js.get_key_value(p.names.topology_bucket()).await.unwrap();
    let rev1: Value =
        serde_json::from_slice(&records.get("rev.core.1").await.unwrap().unwrap()).unwrap();
    let snapshots = js
        .get_object_store(p.names.topology_snapshots())
        .await
        .unwrap();
    let mut object = snapshots
        .get(rev1["snapshot"]["object"].as_str().unwrap())
        .await
        .unwrap();
    let mut text = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut object, &mut text)
        .await
        .unwrap();
    assert_eq!(rev1["snapshot"]["size"], text.len());
    assert_eq!(
        serde_json::from_slice::<Value>(&text).unwrap(),
        json!({"nodes": first["data"]["nodes"], "links": first["data"]["links"]})
    );
    let listed = op(&p, "list", None, json!({}), None).await;
    let listed = &listed["data"];
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["name"], "core");
    assert_eq!(listed[0]["revision"], 2);
    assert_eq!(
        listed[0]["links"],
        topology["links"].as_array().unwrap().len()
    );

    // Jobs by reference: the head, then revision 1; each equals the same body inline.
    for (reference, revision) in [
        (json!({"name": "core"}), 2),
        (json!({"name": "core", "revision": 1}), 1),
    ] {
        let doc = run(&p, JobType::BodPasta, &by_reference(&seed_body, reference)).await;
        assert_eq!(doc["data"]["task_state"], "SUCCESS", "{doc}");
        assert_eq!(
            doc["data"]["topology"],
            json!({"name": "core", "revision": revision})
        );
        let held = get(&p, "core", Some(revision)).await;
        let mut inline = seed_body.clone();
        inline["nodes"] = held["data"]["nodes"].clone();
        inline["links"] = held["data"]["links"].clone();
        let direct = run(&p, JobType::BodPasta, &inline).await;
        assert_eq!(direct["data"]["topology"], Value::Null);
        assert_eq!(
            timeless(&doc["data"]["data"]),
            timeless(&direct["data"]["data"])
        );
    }
    // An unknown name and a revision never made are invalid bodies at `topology`.
    for reference in [
        json!({"name": "nope"}),
        json!({"name": "core", "revision": 9}),
    ] {
        let refused = p
            .submit(
                JobType::BodPasta,
                &by_reference(&seed_body, reference),
                None,
            )
            .await;
        assert_eq!(refused["info"]["code"], "INVALID_BODY", "{refused}");
        assert_eq!(
            refused["info"]["problems"][0]["path"], "topology",
            "{refused}"
        );
    }

    // Delete: gone from get and list; its kept revisions still serve the jobs naming them.
    let deleted = op(&p, "delete", Some("core"), json!({}), Some(2)).await;
    assert_eq!(deleted["data"], json!({"name": "core"}));
    assert_eq!(get(&p, "core", None).await["info"]["code"], "NOT_FOUND");
    let listed = op(&p, "list", None, json!({}), None).await;
    assert_eq!(listed["data"], json!([]));
    let doc = run(
        &p,
        JobType::NonbodPasta,
        &by_reference(&seed_body, json!({"name": "core", "revision": 2})),
    )
    .await;
    assert_eq!(doc["data"]["task_state"], "SUCCESS", "{doc}");
    // Put again: the numbering goes on, so a revision names one network for ever.
    let put = op(&p, "put", Some("core"), topology.clone(), None).await;
    assert_eq!(put["data"]["revision"], 4);

    // One changed event per accepted write, in order, with what it did.
    let mut seen = vec![];
    for _ in 0..4 {
        let msg = tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .expect("an event")
            .unwrap();
        let e: Value = serde_json::from_slice(&msg.payload).unwrap();
        assert_eq!(e["name"], "core");
        seen.push((
            e["revision"].as_u64().unwrap(),
            e["ops"][0]["op"].as_str().unwrap().to_owned(),
        ));
    }
    assert_eq!(
        seen,
        [
            (1, "put".into()),
            (2, "patch_link".into()),
            (3, "delete".into()),
            (4, "put".into())
        ]
    );
    // The events are kept in PASTA_EVENTS, each once.
    let mut stream = js.get_stream(p.names.events_stream()).await.unwrap();
    let info = stream.info().await.unwrap();
    assert!(info.state.messages >= 4);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_last_revisions_and_those_tasks_refer_to_are_kept() {
    let nats = NatsServer::start();
    let p = harness::start(
        &nats,
        Options {
            topology_revisions: 3,
            ..Options::default()
        },
    )
    .await;
    let (seed_body, topology) = seed();
    op(&p, "put", Some("net"), topology.clone(), None).await;
    let link = topology["links"][0]["id"].as_str().unwrap().to_owned();
    let change =
        |igp: u64| json!({"changes": [{"op": "patch_link", "id": link, "set": {"igp": igp}}]});
    op(&p, "change", Some("net"), change(5), None).await;
    // A task refers to revision 2.
    let doc = run(
        &p,
        JobType::NonbodPasta,
        &by_reference(&seed_body, json!({"name": "net"})),
    )
    .await;
    assert_eq!(doc["data"]["topology"]["revision"], 2);
    for igp in 6..12 {
        op(&p, "change", Some("net"), change(igp), None).await;
    }
    // Head 8: 6, 7, 8 are the last three; 2 is pinned by the task, with 1, the snapshot it
    // is built from. When the run of changes below the oldest kept grew longer than three
    // (revision 5 or 6), that revision became a snapshot and 3 and 4 went (in the background,
    // after a write).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut gone = true;
        for r in 3..=4 {
            gone &= get(&p, "net", Some(r)).await["info"]["code"] == "NOT_FOUND";
        }
        if gone {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "old revisions were not removed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pinned = get(&p, "net", Some(2)).await;
    assert_eq!(pinned["data"]["links"][0]["igp"], 5, "{pinned}");
    // (Whether 5 stays depends on which write's sweep cut the run: at head 7, at 5; after
    // head 8, at 6. The last three stay either way.)
    for r in 6..=8 {
        assert_eq!(get(&p, "net", Some(r)).await["data"]["revision"], r);
    }
    // A job naming a revision no longer kept is an invalid body.
    let refused = p
        .submit(
            JobType::NonbodPasta,
            &by_reference(&seed_body, json!({"name": "net", "revision": 4})),
            None,
        )
        .await;
    assert_eq!(
        refused["info"]["problems"][0]["path"], "topology",
        "{refused}"
    );
    p.stop().await;
}

/// `pasta topology put|change|get|list|delete` against a running service, as a person uses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_keeps_a_topology() {
    let nats = NatsServer::start();
    let p = harness::start(&nats, Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (_, topology) = seed();
    let doc = dir.path().join("core.json");
    std::fs::write(&doc, serde_json::to_vec(&topology).unwrap()).unwrap();
    let link = topology["links"][0]["id"].as_str().unwrap();
    let change = dir.path().join("change.json");
    let change_doc = json!({"changes": [{"op": "patch_link", "id": link, "set": {"te": 9}}]});
    std::fs::write(&change, serde_json::to_vec(&change_doc).unwrap()).unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        br#"{"changes": [{"op": "remove_link", "id": "ghost"}]}"#,
    )
    .unwrap();
    let pasta = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pasta"))
            .args(["topology"])
            .args(args)
            .env("PASTA_NATS_URL", nats.url())
            .env("PASTA_PREFIX", p.names.prefix())
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.code(), doc)
    };
    let doc_path = doc.to_str().unwrap();
    let (code, put) = pasta(&["put", "core", doc_path, "--expect", "0"]);
    assert_eq!(
        (code, &put["data"]["revision"]),
        (Some(0), &json!(1)),
        "{put}"
    );
    let (code, changed) = pasta(&["change", "core", change.to_str().unwrap()]);
    assert_eq!(
        (code, &changed["data"]["revision"]),
        (Some(0), &json!(2)),
        "{changed}"
    );
    let (code, refused) = pasta(&["change", "core", bad.to_str().unwrap()]);
    assert_eq!(
        (code, &refused["info"]["code"]),
        (Some(2), &json!("INVALID_BODY"))
    );
    let (code, stale) = pasta(&["put", "core", doc_path, "--expect", "1"]);
    assert_eq!(
        (code, &stale["info"]["code"]),
        (Some(1), &json!("CONFLICT"))
    );
    let (_, got) = pasta(&["get", "core", "--revision", "1"]);
    assert_eq!(got["data"]["links"][0]["te"], topology["links"][0]["te"]);
    let (_, got) = pasta(&["get", "core"]);
    assert_eq!(got["data"]["links"][0]["te"], 9);
    let (_, listed) = pasta(&["list"]);
    assert_eq!(listed["data"][0]["revision"], 2, "{listed}");
    let (code, _) = pasta(&["delete", "core"]);
    assert_eq!(code, Some(0));
    let (code, gone) = pasta(&["get", "core"]);
    assert_eq!(
        (code, &gone["info"]["code"]),
        (Some(1), &json!("NOT_FOUND"))
    );
    p.stop().await;
}

/// One HTTP exchange with the bridge: status code and JSON answer.
async fn http(
    p: &Pasta,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, Value) {
    use http_body_util::BodyExt;
    let addr = p.http.expect("the bridge runs");
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .header("content-type", "application/json");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let bytes = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    let request = request
        .body(http_body_util::Full::new(bytes::Bytes::from(bytes)))
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .expect("answered in time")
        .expect("answered");
    let code = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (code, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// Every job type by reference over HTTP, synchronous and asynchronous: the same result as the
/// body inline; the topology routes with their status codes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_type_names_a_held_topology_over_http() {
    let nats = NatsServer::start();
    let p = harness::start(&nats, Options::default()).await;
    let examples = [
        (JobType::BodPasta, "reservation-ecmp-split"),
        (JobType::NonbodPasta, "strict-encoding"),
        (JobType::BodModified, "modified-releases-first"),
        (JobType::BodReopt, "reopt-order-and-capacity"),
        (JobType::NonbodReopt, "reopt-order-and-capacity"),
        (JobType::BodCongestReopt, "congestion-relief"),
    ];
    for (t, example) in examples {
        let inline = body(&format!("contract-examples/{example}/request.json"));
        let name = format!("net-{}", t.as_str().replace('_', "-"));
        let topology = json!({"nodes": inline["nodes"], "links": inline["links"]});
        let (code, put) = http(
            &p,
            "PUT",
            &format!("/api/topologies/{name}"),
            &[],
            Some(&topology),
        )
        .await;
        assert_eq!((code, &put["data"]["revision"]), (200, &json!(1)), "{put}");
        let by_ref = by_reference(&inline, json!({"name": name}));
        let compute = format!("/api/compute/{}", t.as_str());
        let (c1, direct) = http(&p, "POST", &compute, &[], Some(&inline)).await;
        let (c2, named) = http(&p, "POST", &compute, &[], Some(&by_ref)).await;
        assert_eq!((c1, c2), (200, 200), "{t}: {named}");
        assert_eq!(timeless(&direct["data"]), timeless(&named["data"]), "{t}");
        // Asynchronous: the task records the revision, and its result is the same.
        let (code, submitted) = http(
            &p,
            "POST",
            &format!("/api/jobs/{}", t.as_str()),
            &[],
            Some(&by_ref),
        )
        .await;
        assert_eq!(code, 200, "{t}: {submitted}");
        let id = submitted["data"]["task_id"].as_str().unwrap().to_owned();
        let done = p.wait_final(&id, t.as_str()).await;
        assert_eq!(done["data"]["task_state"], "SUCCESS", "{t}: {done}");
        assert_eq!(
            done["data"]["topology"],
            json!({"name": name, "revision": 1})
        );
        assert_eq!(
            timeless(&done["data"]["data"]),
            timeless(&direct["data"]),
            "{t}"
        );
    }
    // The routes' codes.
    let path = "/api/topologies/net-bod-pasta";
    let (code, stale) = http(
        &p,
        "DELETE",
        path,
        &[("Pasta-Expected-Revision", "5")],
        None,
    )
    .await;
    assert_eq!((code, &stale["info"]["code"]), (409, &json!("CONFLICT")));
    let bad = json!({"changes": [{"op": "remove_link", "id": "ghost"}]});
    let (code, refused) = http(&p, "PATCH", path, &[], Some(&bad)).await;
    assert_eq!(
        (code, &refused["info"]["problems"][0]["path"]),
        (400, &json!("changes[0].id"))
    );
    let (code, named) = http(&p, "PUT", "/api/topologies/changed", &[], Some(&json!({}))).await;
    assert_eq!((code, &named["info"]["code"]), (400, &json!("BAD_REQUEST")));
    let (code, listed) = http(&p, "GET", "/api/topologies", &[], None).await;
    assert_eq!((code, listed["data"].as_array().unwrap().len()), (200, 6));
    let (code, _) = http(
        &p,
        "DELETE",
        path,
        &[("Pasta-Expected-Revision", "1")],
        None,
    )
    .await;
    assert_eq!(code, 200);
    let (code, gone) = http(&p, "GET", path, &[], None).await;
    assert_eq!((code, &gone["info"]["code"]), (404, &json!("NOT_FOUND")));
    let (code, kept) = http(&p, "GET", &format!("{path}?revision=1"), &[], None).await;
    assert_eq!((code, &kept["data"]["revision"]), (200, &json!(1)));
    p.stop().await;
}

/// A controller that puts the same network again (a periodic full sync) makes a new revision,
/// but no second copy of the network: the process that put it and another that reads the
/// revision from the store each hold both revisions as one network. A put of another network
/// shares nothing, and each revision reads back as it was put.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_network_put_again_is_held_once() {
    let nats = NatsServer::start();
    let service = harness::service(&nats).await;
    let put = |doc: Value| {
        let service = &service;
        async move {
            let bytes = bytes::Bytes::from(serde_json::to_vec(&doc).unwrap());
            let ticket = service.admit(bytes.len()).await.unwrap();
            service
                .topology_put("sync", ticket.body(bytes), None)
                .await
                .unwrap()
        }
    };
    let (_, topology) = seed();
    let mut other = topology.clone();
    other["links"][0]["igp"] = json!(77);
    assert_eq!(put(topology.clone()).await["revision"], 1);
    assert_eq!(put(topology.clone()).await["revision"], 2);
    assert_eq!(put(other.clone()).await["revision"], 3);
    let held = &service.tasks.held;
    assert!(
        held.shared("sync", 1, 2),
        "the putting process holds two copies"
    );
    assert!(!held.shared("sync", 2, 3));

    // Another process: revision 1 read from its snapshot, then revision 2 shares it.
    let reader = pasta::task::held::Held::new(
        service.tasks.bus.clone(),
        service.tasks.limits.clone(),
        256 << 20,
    );
    let one = reader.network("sync", 1).await.unwrap();
    let two = reader.network("sync", 2).await.unwrap();
    let three = reader.network("sync", 3).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&one, &two), "a second copy was read");
    assert!(reader.shared("sync", 1, 2));
    assert!(!std::sync::Arc::ptr_eq(&two, &three));
    let igp = |net: &pasta::model::Network| net.links[0].igp;
    assert_eq!((igp(&two), igp(&three)), (igp(&one), 77));
}
