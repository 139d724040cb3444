//! The task list and cancel (contract §9) over NATS and HTTP: a PENDING task cancelled is
//! never computed, a final one answers CONFLICT, and a cancel racing a worker leaves each task
//! exactly one outcome.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use pasta::model::JobType;
use serde_json::{json, Value};

use crate::support;
use crate::support::http;
use crate::support::nats::NatsServer;
use crate::support::pasta::{self as harness, Options, Pasta};

fn seed_with_id(id: &str) -> Value {
    let mut body = support::body("seed-example/request.json");
    body["sr_policy"]["id"] = json!(id);
    body
}

async fn list(pasta: &Pasta, query: Value) -> Value {
    let payload = serde_json::to_vec(&query).unwrap();
    pasta
        .request(pasta.names.list_subject(), Default::default(), payload)
        .await
}

async fn cancel(pasta: &Pasta, id: &str, t: &str) -> Value {
    let payload = serde_json::to_vec(&json!({"task_id": id, "type": t})).unwrap();
    pasta
        .request(pasta.names.cancel_subject(), Default::default(), payload)
        .await
}

/// The ids a list answer names, in its order.
fn ids(doc: &Value) -> Vec<String> {
    doc["data"]["tasks"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {doc}"))
        .iter()
        .map(|t| t["task_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Polls the list until `ready` holds of it (the index follows the bucket a moment behind).
async fn list_until(pasta: &Pasta, query: Value, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let doc = list(pasta, query.clone()).await;
        if ready(&doc) {
            return doc;
        }
        assert!(Instant::now() < deadline, "the list never showed it: {doc}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Computations a process started, from its `/metrics`.
async fn computations(port: u16) -> u64 {
    let (_, text) = http::get(port, "/metrics", Duration::from_secs(5))
        .await
        .expect("metrics");
    text.lines()
        .filter(|l| l.starts_with("pasta_worker_bodies_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_task_cancelled_is_never_computed_and_the_list_shows_it() {
    let nats = NatsServer::start();
    // Submission only: the jobs wait in the queue.
    let front = harness::start(
        &nats,
        Options {
            workers: false,
            ..Options::default()
        },
    )
    .await;
    let port = front.http.unwrap().port();
    let mut submitted = Vec::new();
    for i in 0..3 {
        let answer = front
            .submit(JobType::BodPasta, &seed_with_id(&format!("p{i}")), None)
            .await;
        submitted.push(answer["data"]["task_id"].as_str().unwrap().to_owned());
    }
    // Listed newest first, PENDING and queued.
    let doc = list_until(&front, json!({"state": "PENDING"}), |d| ids(d).len() == 3).await;
    let mut newest_first = submitted.clone();
    newest_first.reverse();
    assert_eq!(ids(&doc), newest_first, "{doc}");
    assert!(doc["data"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["stage"] == "queued" && t["type"] == "bod_pasta"));
    // Cancelled: FAILURE CANCELLED, answered with its status document.
    let victim = submitted[1].clone();
    let answer = cancel(&front, &victim, "bod_pasta").await;
    assert_eq!(answer["status"], true, "{answer}");
    assert_eq!(answer["data"]["task_state"], "FAILURE");
    assert_eq!(answer["data"]["error"]["code"], "CANCELLED");
    // Again: it is final now.
    let again = cancel(&front, &victim, "bod_pasta").await;
    assert_eq!(again["info"]["code"], "CONFLICT", "{again}");
    // Another type, an unknown id, no id.
    let other = cancel(&front, &submitted[0], "bod_reopt").await;
    assert_eq!(other["info"]["code"], "TYPE_MISMATCH", "{other}");
    let unknown = cancel(&front, "00000000-0000-4000-8000-000000000000", "bod_pasta").await;
    assert_eq!(unknown["info"]["code"], "NOT_FOUND", "{unknown}");
    let missing = front
        .request(
            front.names.cancel_subject(),
            Default::default(),
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(missing["info"]["code"], "BAD_REQUEST", "{missing}");
    // The list filters by state and type, over NATS and HTTP alike.
    let failed = list_until(&front, json!({"state": "FAILURE"}), |d| {
        ids(d) == [victim.clone()]
    })
    .await;
    assert_eq!(failed["data"]["tasks"][0]["code"], "CANCELLED");
    let (code, body) = http::get(
        port,
        "/api/jobs?state=FAILURE&type=bod_pasta",
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        ids(&serde_json::from_str(&body).unwrap()),
        std::slice::from_ref(&victim)
    );
    let (code, body) = http::get(port, "/api/jobs?type=bod_reopt", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(
        (code, ids(&serde_json::from_str(&body).unwrap()).len()),
        (200, 0),
        "{body}"
    );
    let (code, body) = http::get(port, "/api/jobs?limit=1", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        ids(&serde_json::from_str(&body).unwrap()),
        [submitted[2].clone()]
    );
    for bad in [
        "state=RUNNING",
        "type=nope",
        "limit=0",
        "limit=1001",
        "limit=x",
    ] {
        let (code, body) = http::get(port, &format!("/api/jobs?{bad}"), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(code, 400, "{bad}: {body}");
        let doc: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(doc["info"]["code"], "BAD_REQUEST", "{bad}");
        let field = bad.split('=').next().unwrap();
        assert!(
            doc["info"]["message"].as_str().unwrap().contains(field),
            "{bad}: {doc}"
        );
    }
    // Over NATS, a query that is no object, or a member of the wrong kind, is refused naming
    // it; a null member counts as missing.
    for (query, field) in [
        (b"[1]".to_vec(), "list query"),
        (b"not json".to_vec(), "list query"),
        (br#"{"type": 5}"#.to_vec(), "type"),
        (br#"{"state": ["FAILURE"]}"#.to_vec(), "state"),
        (br#"{"limit": 0}"#.to_vec(), "limit"),
    ] {
        let doc = front
            .request(front.names.list_subject(), Default::default(), query)
            .await;
        assert_eq!(doc["info"]["code"], "BAD_REQUEST", "{doc}");
        assert!(
            doc["info"]["message"].as_str().unwrap().contains(field),
            "{doc}"
        );
    }
    let all = list(&front, json!({"type": null, "limit": null})).await;
    assert_eq!(ids(&all).len(), 3, "{all}");
    // A worker that starts now computes the two others and acks the cancelled one unseen.
    let worker = harness::start(
        &nats,
        Options {
            responder: false,
            prefix: Some(front.names.prefix().to_owned()),
            ..Options::default()
        },
    )
    .await;
    for id in [&submitted[0], &submitted[2]] {
        let doc = front.wait_final(id, "bod_pasta").await;
        assert_eq!(doc["data"]["task_state"], "SUCCESS", "{doc}");
    }
    let js = async_nats::jetstream::new(front.client.clone());
    let consumer_name = front.names.consumer(JobType::BodPasta);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut stream = js.get_stream(front.names.jobs_stream()).await.unwrap();
        let info = stream.info().await.unwrap().clone();
        let mut consumer: async_nats::jetstream::consumer::PullConsumer = js
            .get_consumer_from_stream(&consumer_name, &info.config.name)
            .await
            .unwrap();
        let c = consumer.info().await.unwrap();
        if c.num_pending == 0 && c.num_ack_pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the cancelled job is still queued: {c:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let doc = front.status(&victim, "bod_pasta").await;
    assert_eq!(doc["data"]["error"]["code"], "CANCELLED", "{doc}");
    assert_eq!(
        computations(worker.http.unwrap().port()).await,
        2,
        "the cancelled job was computed"
    );
    // Over HTTP: a final task is a CONFLICT (409).
    let path = format!("/api/jobs/{victim}?type=bod_pasta");
    let (code, _, body) =
        http::send_body("DELETE", port, &path, Bytes::new(), Duration::from_secs(5))
            .await
            .unwrap();
    assert_eq!(code, 409, "{body}");
    worker.stop().await;
    front.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_racing_a_worker_leaves_each_task_one_outcome() {
    let nats = NatsServer::start();
    let pasta = harness::start(&nats, Options::default()).await;
    let port = pasta.http.unwrap().port();
    // Every final event, from the stream (deduplicated by task and state).
    let mut events = pasta
        .client
        .subscribe(format!("{}.events.*.*", pasta.names.prefix()))
        .await
        .unwrap();
    // Each job is cancelled 0 to 75 ms after its submission, while the two workers
    // work through the queue: early ones are computed first, later ones wait, some are
    // computing at that moment (quick ones, and ones lasting past `started_after`).
    let pasta = std::sync::Arc::new(pasta);
    let mut racing = Vec::new();
    for i in 0..40u64 {
        let id = format!("__sleep_{}__", (i % 5) * 10);
        let answer = pasta
            .submit(JobType::BodPasta, &seed_with_id(&id), None)
            .await;
        let task = answer["data"]["task_id"].as_str().unwrap().to_owned();
        let pasta = pasta.clone();
        racing.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis((i % 4) * 25)).await;
            // Half over NATS, half over HTTP.
            let answer = if i % 2 == 0 {
                cancel(&pasta, &task, "bod_pasta").await
            } else {
                let path = format!("/api/jobs/{task}?type=bod_pasta");
                let (_, _, body) =
                    http::send_body("DELETE", port, &path, Bytes::new(), Duration::from_secs(10))
                        .await
                        .unwrap();
                serde_json::from_str(&body).unwrap()
            };
            (task, answer)
        }));
    }
    let mut tasks = Vec::new();
    let mut cancels = Vec::new();
    for r in racing {
        let (task, answer) = r.await.unwrap();
        tasks.push(task);
        cancels.push(answer);
    }
    let mut outcomes = HashMap::new();
    for (id, answer) in tasks.iter().zip(&cancels) {
        let doc = pasta.wait_final(id, "bod_pasta").await;
        let state = doc["data"]["task_state"].as_str().unwrap().to_owned();
        if answer["status"] == true {
            // Cancelled: and it stays so, whatever the worker computed.
            assert_eq!(doc["data"]["error"]["code"], "CANCELLED", "{doc}");
        } else {
            // Too late: the task was final, and not by a cancellation.
            assert_eq!(answer["info"]["code"], "CONFLICT", "{answer}");
            assert_ne!(doc["data"]["error"]["code"], "CANCELLED", "{doc}");
        }
        outcomes.insert(id.clone(), state);
    }
    // One final event per task, naming the outcome its status gives.
    let mut finals: HashMap<String, Vec<String>> = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while finals.len() < tasks.len() || finals.values().any(|v| v.is_empty()) {
        let event = tokio::time::timeout_at(deadline, events.next())
            .await
            .expect("every final event in time")
            .unwrap();
        let event: Value = serde_json::from_slice(&event.payload).unwrap();
        let state = event["task_state"].as_str().unwrap().to_owned();
        if state != "STARTED" {
            finals
                .entry(event["task_id"].as_str().unwrap().to_owned())
                .or_default()
                .push(state);
        }
    }
    for (id, states) in &finals {
        for state in states {
            assert_eq!(
                Some(state),
                outcomes.get(id),
                "task {id}: events {states:?}"
            );
        }
    }
    // Both sides won some races (else the test raced nothing).
    let cancelled = cancels.iter().filter(|a| a["status"] == true).count();
    assert!(cancelled > 0, "no cancel won a race: {cancels:?}");
    assert!(
        cancelled < tasks.len(),
        "every cancel won: nothing raced a worker"
    );
    std::sync::Arc::into_inner(pasta).unwrap().stop().await;
}
