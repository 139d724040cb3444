//! Integration tests of the service against a real nats-server: every job type end to end over
//! NATS and HTTP, events, idempotent resubmission, the error documents, jobs published straight
//! to the stream, large bodies through the object store.

use std::time::Duration;

use futures::StreamExt;
use pasta::model::JobType;
use serde_json::{json, Value};

use crate::support;
use crate::support::nats::NatsServer;
use crate::support::pasta::{self as harness, Options};
use crate::support::{body, timeless};

/// Every fixture with its job type.
fn cases() -> Vec<(JobType, Value)> {
    let mut out = vec![
        (JobType::NonbodPasta, body("seed-example/request.json")),
        (JobType::BodPasta, body("seed-example/request.json")),
    ];
    let dir = support::fixtures().join("contract-examples");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    for n in names {
        let t = std::fs::read_to_string(dir.join(&n).join("type")).unwrap();
        let t = JobType::parse(t.trim()).unwrap();
        out.push((t, body(&format!("contract-examples/{n}/request.json"))));
    }
    // No fixture is a nonbod_reopt: the bod_reopt one serves, without classes mattering.
    out.push((
        JobType::NonbodReopt,
        body("contract-examples/reopt-order-and-capacity/request.json"),
    ));
    out
}

/// A pasta that submits and answers status only: no workers, no bridge.
async fn front_only(nats: &NatsServer) -> harness::Pasta {
    let options = Options {
        workers: false,
        http: false,
        ..Options::default()
    };
    harness::start(nats, options).await
}

/// Workers (and a bridge, for `/metrics`) in another instance on `of`'s prefix, with no NATS
/// service: nothing is handed over from `of`'s submissions.
async fn workers_of(nats: &NatsServer, of: &harness::Pasta) -> harness::Pasta {
    let options = Options {
        responder: false,
        prefix: Some(of.names.prefix().to_string()),
        ..Options::default()
    };
    harness::start(nats, options).await
}

/// The `/metrics` text of a pasta running its HTTP bridge.
async fn metrics_of(pasta: &harness::Pasta) -> String {
    let port = pasta.http.expect("the bridge runs").port();
    let (_, metrics) = support::http::get(port, "/metrics", Duration::from_secs(5))
        .await
        .expect("/metrics answers");
    metrics
}

/// Asserts that `/metrics` counts `n` computations whose job came from `source`; the metrics.
async fn bodies_counted(pasta: &harness::Pasta, source: &str, n: usize) -> String {
    let metrics = metrics_of(pasta).await;
    let line = format!("pasta_worker_bodies_total{{source=\"{source}\"}} {n}");
    assert!(
        metrics.lines().any(|l| l == line),
        "{line:?} missing from:\n{metrics}"
    );
    metrics
}

/// Publishes a `nonbod_pasta` job straight to its subject, bypassing submission; waits for the ack.
async fn publish_straight(
    pasta: &harness::Pasta,
    headers: async_nats::HeaderMap,
    payload: Vec<u8>,
) {
    async_nats::jetstream::new(pasta.client.clone())
        .publish_with_headers(
            pasta.names.job_subject(JobType::NonbodPasta),
            headers,
            payload.into(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_type_runs_end_to_end_over_nats_with_the_result_of_pasta_compute() {
    let nats = NatsServer::start();
    let pasta = harness::start(&nats, Options::default()).await;
    let seen: std::collections::BTreeSet<_> = cases().iter().map(|(t, _)| *t).collect();
    assert_eq!(seen.len(), 6, "the fixtures cover the six job types");
    for (t, body) in cases() {
        let answer = pasta.submit(t, &body, None).await;
        assert_eq!(answer["status"], true, "{t}: {answer}");
        let id = answer["data"]["task_id"].as_str().unwrap().to_string();
        let doc = pasta.wait_final(&id, t.as_str()).await;
        assert_eq!(doc["data"]["task_state"], "SUCCESS", "{t}: {doc}");
        assert_eq!(doc["data"]["task_status"], "SUCCESS");
        let expected = pasta::compute_value(t, &body).unwrap();
        assert_eq!(timeless(&doc["data"]["data"]), timeless(&expected), "{t}");
    }
    // Each worker computed the job its submission parsed (service::handoff), not a second parse.
    let metrics = bodies_counted(&pasta, "submission", cases().len()).await;
    assert!(!metrics.contains("source=\"compact\""), "{metrics}");
    assert!(!metrics.contains("source=\"json\""), "{metrics}");
    pasta.stop().await;
}

/// A computation that ends within `PASTA_STARTED_AFTER_MS` goes straight from PENDING to its
/// final record: no STARTED record, no `started` event; one that lasts longer is announced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_computation_goes_straight_to_its_final_state_and_a_long_one_is_announced() {
    let nats = NatsServer::start();
    let options = Options {
        started_after: Duration::from_millis(200),
        ..Options::default()
    };
    let pasta = harness::start(&nats, options).await;
    let mut live = pasta
        .client
        .subscribe(format!("{}.events.nonbod_pasta.*", pasta.names.prefix()))
        .await
        .unwrap();
    let short = body("seed-example/request.json");
    let mut long = short.clone();
    long["sr_policy"]["id"] = json!("__sleep_600__");
    let mut states = std::collections::HashMap::<String, Vec<String>>::new();
    let mut ids = Vec::new();
    for b in [&short, &long] {
        let answer = pasta.submit(JobType::NonbodPasta, b, None).await;
        ids.push(answer["data"]["task_id"].as_str().unwrap().to_string());
    }
    while ids.iter().any(|id| {
        states
            .get(id)
            .is_none_or(|s| s.last().map(String::as_str) != Some("SUCCESS"))
    }) {
        let m = tokio::time::timeout(Duration::from_secs(20), live.next())
            .await
            .expect("an event in time")
            .unwrap();
        let e: Value = serde_json::from_slice(&m.payload).unwrap();
        let id = e["task_id"].as_str().unwrap().to_string();
        states
            .entry(id)
            .or_default()
            .push(e["task_state"].as_str().unwrap().to_string());
    }
    assert_eq!(states[&ids[0]], ["SUCCESS"], "the short job");
    assert_eq!(states[&ids[1]], ["STARTED", "SUCCESS"], "the long job");
    for id in &ids {
        let doc = pasta.status(id, "nonbod_pasta").await;
        assert_eq!(doc["data"]["task_state"], "SUCCESS");
    }
    let metrics = metrics_of(&pasta).await;
    assert!(
        metrics.contains("pasta_jobs_straight_to_final_total 1\n"),
        "{metrics}"
    );
    pasta.stop().await;
}

/// A finished task's status is answered from the replica of final records, and equals what a
/// read of the bucket gives; a task still queued is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_of_a_finished_task_comes_from_memory_and_equals_a_read() {
    let nats = NatsServer::start();
    let pasta = harness::start(&nats, Options::default()).await;
    let answer = pasta
        .submit(
            JobType::NonbodPasta,
            &body("seed-example/request.json"),
            None,
        )
        .await;
    let id = answer["data"]["task_id"].as_str().unwrap().to_string();
    let done = pasta.wait_final(&id, "nonbod_pasta").await;
    // The watch may trail the final write by a moment: ask until memory answers.
    let mut from_memory = false;
    for _ in 0..100 {
        let doc = pasta.status(&id, "nonbod_pasta").await;
        assert_eq!(doc, done, "every answer equals the read");
        let metrics = metrics_of(&pasta).await;
        if metrics.contains("pasta_status_answers_total{source=\"replica\"}") {
            from_memory = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(from_memory, "no status answered from the replica");
    // Another type is still a mismatch, and an unknown task still NOT_FOUND.
    let other = pasta.status(&id, "bod_pasta").await;
    assert_eq!(other["info"]["code"], "TYPE_MISMATCH");
    let unknown = pasta
        .status("00000000-0000-4000-8000-00000000ffff", "nonbod_pasta")
        .await;
    assert_eq!(unknown["info"]["code"], "NOT_FOUND");
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_events_are_published_and_kept_in_the_events_stream() {
    let nats = NatsServer::start();
    // Every task announced STARTED, however short its computation.
    let options = Options {
        started_after: Duration::ZERO,
        ..Options::default()
    };
    let pasta = harness::start(&nats, options).await;
    let mut live = pasta
        .client
        .subscribe(format!("{}.events.nonbod_pasta.*", pasta.names.prefix()))
        .await
        .unwrap();
    let answer = pasta
        .submit(
            JobType::NonbodPasta,
            &body("seed-example/request.json"),
            None,
        )
        .await;
    let id = answer["data"]["task_id"].as_str().unwrap().to_string();
    let mut states = Vec::new();
    while states.last().map(String::as_str) != Some("SUCCESS") {
        let m = tokio::time::timeout(Duration::from_secs(10), live.next())
            .await
            .expect("an event in time")
            .unwrap();
        let e: Value = serde_json::from_slice(&m.payload).unwrap();
        assert_eq!(e["task_id"], json!(id));
        assert_eq!(e["type"], "nonbod_pasta");
        assert!(e["at"].as_str().unwrap().ends_with('Z'));
        if e["task_state"] == "SUCCESS" {
            assert!(e["time_ms"].is_number());
            assert!(m.subject.ends_with(".success"));
        }
        states.push(e["task_state"].as_str().unwrap().to_string());
    }
    assert_eq!(states, ["STARTED", "SUCCESS"]);
    // A controller that was down catches up from the stream.
    let js = async_nats::jetstream::new(pasta.client.clone());
    let stream = js.get_stream(pasta.names.events_stream()).await.unwrap();
    let consumer: async_nats::jetstream::consumer::PullConsumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            durable_name: Some("controller".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut kept = consumer
        .fetch()
        .max_messages(10)
        .expires(Duration::from_secs(1))
        .messages()
        .await
        .unwrap();
    let mut subjects = Vec::new();
    while let Some(Ok(m)) = kept.next().await {
        subjects.push(m.subject.to_string());
        m.ack().await.unwrap();
    }
    let prefix = pasta.names.prefix().to_string();
    assert_eq!(
        subjects,
        [
            format!("{prefix}.events.nonbod_pasta.started"),
            format!("{prefix}.events.nonbod_pasta.success")
        ]
    );
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resubmitting_a_task_id_answers_the_same_task_and_another_body_is_a_conflict() {
    let nats = NatsServer::start();
    let pasta = harness::start(&nats, Options::default()).await;
    let id = "6f1c2a9e-8d4b-4c1a-9e2f-0a1b2c3d4e5f";
    let seed = body("seed-example/request.json");
    let first = pasta.submit(JobType::NonbodPasta, &seed, Some(id)).await;
    assert_eq!(first["data"]["task_id"], id);
    pasta.wait_final(id, "nonbod_pasta").await;
    let again = pasta.submit(JobType::NonbodPasta, &seed, Some(id)).await;
    assert_eq!(again, first);
    // The same job written otherwise (an alias, `0.0` for `0`) is the same submission.
    let mut same = seed.clone();
    let policy = same["sr_policy"].as_object_mut().unwrap();
    let headend = policy.remove("headend").unwrap();
    policy.insert("he".into(), headend);
    policy.insert("bandwidth".into(), json!(0.0));
    let rewritten = pasta.submit(JobType::NonbodPasta, &same, Some(id)).await;
    assert_eq!(rewritten, first, "{rewritten}");
    let mut other = seed.clone();
    other["sr_policy"]["tailend"] = json!("P6");
    let conflict = pasta.submit(JobType::NonbodPasta, &other, Some(id)).await;
    assert_eq!(conflict["status"], false);
    assert_eq!(conflict["info"]["code"], "CONFLICT");
    let other_type = pasta.submit(JobType::BodPasta, &seed, Some(id)).await;
    assert_eq!(other_type["info"]["code"], "CONFLICT");
    let bad_id = pasta.submit(JobType::NonbodPasta, &seed, Some("*")).await;
    assert_eq!(bad_id["info"]["code"], "BAD_REQUEST");
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_answers_not_found_bad_request_and_type_mismatch() {
    let nats = NatsServer::start();
    let pasta = harness::start(&nats, Options::default()).await;
    let unknown = pasta
        .status("0b6f6f3e-1111-4222-8333-444455556666", "bod_pasta")
        .await;
    assert_eq!(unknown["status"], false);
    assert_eq!(unknown["info"]["code"], "NOT_FOUND");
    assert_eq!(unknown["data"], json!({}));
    for (id, t) in [
        ("not-a-uuid", "bod_pasta"),
        ("0b6f6f3e-1111-4222-8333-444455556666", "nope"),
    ] {
        let doc = pasta.status(id, t).await;
        assert_eq!(doc["info"]["code"], "BAD_REQUEST", "{id} {t}");
    }
    let missing = pasta
        .request(
            pasta.names.status_subject(),
            Default::default(),
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(missing["info"]["code"], "BAD_REQUEST");
    let answer = pasta
        .submit(
            JobType::NonbodPasta,
            &body("seed-example/request.json"),
            None,
        )
        .await;
    let id = answer["data"]["task_id"].as_str().unwrap();
    pasta.wait_final(id, "nonbod_pasta").await;
    let mismatch = pasta.status(id, "bod_pasta").await;
    assert_eq!(mismatch["info"]["code"], "TYPE_MISMATCH");
    pasta.stop().await;
}

fn fine_doc(msg: &async_nats::Message) -> Value {
    serde_json::from_slice(&msg.payload).unwrap()
}

/// The NATS service follows the micro protocol (ADR-32): discoverable with `$SRV.PING`, `INFO`
/// and `STATS`; an error reply carries `Nats-Service-Error` and `Nats-Service-Error-Code`
/// besides its document, an answer neither; `$SRV.STATS` counts requests and errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_errors_carry_the_micro_headers_and_are_counted_in_stats() {
    let nats = NatsServer::start();
    let pasta = front_only(&nats).await;
    let prefix = pasta.names.prefix().to_string();
    let ask = |subject: String, payload: &'static [u8]| {
        let client = pasta.client.clone();
        async move { client.request(subject, payload.into()).await.unwrap() }
    };
    let ping = ask(format!("$SRV.PING.{prefix}"), b"").await;
    let ping: Value = serde_json::from_slice(&ping.payload).unwrap();
    assert_eq!(ping["type"], "io.nats.micro.v1.ping_response");
    assert_eq!(ping["name"], prefix.as_str());
    let id = ping["id"].as_str().unwrap().to_string();

    let invalid = ask(pasta.names.submit_subject(JobType::NonbodPasta), b"{}").await;
    let headers = invalid.headers.clone().expect("an error reply has headers");
    assert_eq!(
        headers.get("Nats-Service-Error-Code").unwrap().as_str(),
        "400"
    );
    let described = headers
        .get("Nats-Service-Error")
        .unwrap()
        .as_str()
        .to_string();
    assert!(described.starts_with("INVALID_BODY: "), "{described}");
    let doc: Value = serde_json::from_slice(&invalid.payload).unwrap();
    assert_eq!(
        doc["info"]["code"], "INVALID_BODY",
        "the document is still there"
    );
    let unknown = ask(
        pasta.names.status_subject(),
        br#"{"task_id": "0b6f6f3e-1111-4222-8333-444455556666", "type": "bod_pasta"}"#,
    )
    .await;
    let headers = unknown.headers.clone().unwrap();
    assert_eq!(
        headers.get("Nats-Service-Error-Code").unwrap().as_str(),
        "404"
    );
    let seed = serde_json::to_vec(&body("seed-example/request.json")).unwrap();
    let fine = pasta
        .client
        .request(
            pasta.names.submit_subject(JobType::NonbodPasta),
            seed.into(),
        )
        .await
        .unwrap();
    assert!(fine
        .headers
        .as_ref()
        .is_none_or(|h| h.get("Nats-Service-Error").is_none()));

    let info = ask(format!("$SRV.INFO.{prefix}.{id}"), b"").await;
    let info: Value = serde_json::from_slice(&info.payload).unwrap();
    assert_eq!(info["type"], "io.nats.micro.v1.info_response");
    // submit_<type> for each type, check_status, list, cancel, and topology_<op> for the
    // five operations.
    let names: Vec<&str> = info["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), JobType::ALL.len() + 3 + 5, "{names:?}");
    for name in ["check_status", "list", "cancel", "topology_get"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let stats = ask(format!("$SRV.STATS.{prefix}"), b"").await;
    let stats: Value = serde_json::from_slice(&stats.payload).unwrap();
    assert_eq!(stats["type"], "io.nats.micro.v1.stats_response");
    let counts = |stats: &Value, name: &str| {
        let e = stats["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("endpoint {name} in {stats}"))
            .clone();
        let n = |k: &str| e[k].as_u64().unwrap();
        (n("num_requests"), n("num_errors"), e["last_error"].clone())
    };
    let (requests, errors, last) = counts(&stats, "submit_nonbod_pasta");
    assert_eq!((requests, errors), (2, 1), "{stats}");
    assert!(
        last.as_str().unwrap().starts_with("400:INVALID_BODY"),
        "{last}"
    );
    // Status requests so far (the harness asks one to know the service is up) are all errors;
    // one more that is not counts as a request only.
    let (requests, errors, _) = counts(&stats, "check_status");
    assert_eq!(requests, errors);
    let id = fine_doc(&fine)["data"]["task_id"]
        .as_str()
        .unwrap()
        .to_string();
    let query = serde_json::to_vec(&json!({"task_id": id, "type": "nonbod_pasta"})).unwrap();
    let known = pasta
        .client
        .request(pasta.names.status_subject(), query.into())
        .await
        .unwrap();
    assert!(known
        .headers
        .as_ref()
        .is_none_or(|h| h.get("Nats-Service-Error").is_none()));
    let after = ask(format!("$SRV.STATS.{prefix}"), b"").await;
    let after: Value = serde_json::from_slice(&after.payload).unwrap();
    let (more, still, _) = counts(&after, "check_status");
    assert_eq!((more, still), (requests + 1, errors), "{after}");
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_body_is_refused_with_every_problem_and_nothing_is_queued() {
    let nats = NatsServer::start();
    let pasta = harness::start(&nats, Options::default()).await;
    let mut bad = body("seed-example/request.json");
    bad["sr_policy"]["headend"] = json!("P9");
    bad["global"]["flow_factor"] = json!(-1);
    let answer = pasta.submit(JobType::BodPasta, &bad, None).await;
    assert_eq!(answer["status"], false);
    assert_eq!(answer["info"]["code"], "INVALID_BODY");
    let paths: Vec<&str> = answer["info"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"sr_policy.headend"), "{paths:?}");
    assert!(paths.contains(&"global.flow_factor"), "{paths:?}");
    let not_json = pasta
        .request(
            pasta.names.submit_subject(JobType::BodPasta),
            Default::default(),
            b"{".to_vec(),
        )
        .await;
    assert_eq!(not_json["info"]["code"], "INVALID_BODY");
    let js = async_nats::jetstream::new(pasta.client.clone());
    let mut stream = js.get_stream(pasta.names.jobs_stream()).await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 0);
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_published_straight_to_its_subject_is_validated_and_processed() {
    let nats = NatsServer::start();
    let pasta = harness::start(&nats, Options::default()).await;
    let good = "1a2b3c4d-0000-4000-8000-00000000000a";
    let bad = "1a2b3c4d-0000-4000-8000-00000000000b";
    let referenced = "1a2b3c4d-0000-4000-8000-00000000000d";
    let seed = serde_json::to_vec(&body("seed-example/request.json")).unwrap();
    // A body may wait in the blob store, named by reference.
    let blobs = async_nats::jetstream::new(pasta.client.clone())
        .get_object_store(pasta.names.blobs())
        .await
        .unwrap();
    let mut reader = std::io::Cursor::new(seed.clone());
    blobs.put("upload/straight", &mut reader).await.unwrap();
    for (id, payload) in [
        (good, seed),
        (bad, br#"{"nodes": [], "links": 3}"#.to_vec()),
        (referenced, br#"{"$ref": "upload/straight"}"#.to_vec()),
    ] {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", id);
        publish_straight(&pasta, headers, payload).await;
    }
    let ok = pasta.wait_final(good, "nonbod_pasta").await;
    assert_eq!(ok["data"]["task_state"], "SUCCESS");
    let by_ref = pasta.wait_final(referenced, "nonbod_pasta").await;
    assert_eq!(
        timeless(&by_ref["data"]["data"]),
        timeless(&ok["data"]["data"]),
        "{by_ref}"
    );
    let failed = pasta.wait_final(bad, "nonbod_pasta").await;
    assert_eq!(failed["data"]["task_state"], "FAILURE");
    assert_eq!(failed["data"]["error"]["code"], "INVALID_BODY");
    assert!(failed["data"]["info"].as_str().unwrap().contains("links"));
    pasta.stop().await;
}

/// Submission publishes the compact request (`Pasta-Format: 2`): a worker in another process,
/// with no hand-off from the submission, decodes it and computes the same result as
/// `pasta compute`, for every job type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_of_another_process_computes_the_compact_job_submission_published() {
    let nats = NatsServer::start();
    let front = front_only(&nats).await;
    let back = workers_of(&nats, &front).await;
    for (t, body) in cases() {
        let answer = front.submit(t, &body, None).await;
        let id = answer["data"]["task_id"].as_str().unwrap().to_string();
        let doc = front.wait_final(&id, t.as_str()).await;
        assert_eq!(doc["data"]["task_state"], "SUCCESS", "{t}: {doc}");
        let expected = pasta::compute_value(t, &body).unwrap();
        assert_eq!(timeless(&doc["data"]["data"]), timeless(&expected), "{t}");
    }
    bodies_counted(&back, "compact", cases().len()).await;
    back.stop().await;
    front.stop().await;
}

/// A worker process busy with long computations fetches only what its compute slots will start
/// soon, so that another worker process gets the rest instead of idling while they queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_busy_with_long_jobs_leaves_the_queue_to_another() {
    let nats = NatsServer::start();
    let busy = harness::start(
        &nats,
        Options {
            http: false,
            ..Options::default()
        },
    )
    .await;
    let mut slow = body("seed-example/request.json");
    slow["sr_policy"]["id"] = json!("__sleep_1000__");
    let submit_all = |n: usize| {
        let (busy, slow) = (&busy, &slow);
        async move {
            let mut ids = Vec::new();
            for _ in 0..n {
                let answer = busy.submit(JobType::NonbodPasta, slow, None).await;
                ids.push(answer["data"]["task_id"].as_str().unwrap().to_string());
            }
            ids
        }
    };
    // The first worker learns how long its computations take.
    for id in submit_all(2).await {
        busy.wait_final(&id, "nonbod_pasta").await;
    }
    let other = workers_of(&nats, &busy).await;
    let ids = submit_all(8).await;
    for id in &ids {
        let doc = busy.wait_final(id, "nonbod_pasta").await;
        assert_eq!(doc["data"]["task_state"], "SUCCESS", "{doc}");
    }
    // The first holds at most its two computations and two more; the other takes the rest.
    let metrics = metrics_of(&other).await;
    let computed: u64 = metrics
        .lines()
        .filter(|l| l.starts_with("pasta_worker_bodies_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert!(
        computed >= 4,
        "the other worker computed {computed} of 8:\n{metrics}"
    );
    other.stop().await;
    busy.stop().await;
}

/// A compact job is checked like a JSON one: bytes that do not decode, and a request whose
/// references do not hold, end FAILURE INVALID_BODY. A format this version does not know is
/// left for another worker, and the last delivery records GAVE_UP, naming the format, even
/// for a job that has no record yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_jobs_are_checked_and_an_unknown_format_is_left_then_given_up() {
    let nats = NatsServer::start();
    let mut options = Options::default();
    options.bus.max_deliver = 2;
    let pasta = harness::start(&nats, options).await;
    let seed = serde_json::to_vec(&body("seed-example/request.json")).unwrap();
    let job = pasta::model::body::parse(
        JobType::NonbodPasta,
        &seed,
        &pasta::model::Limits::default(),
    )
    .unwrap();
    let mut broken = job.request.clone();
    broken.policies[0].he = "nowhere".into();
    let good = "1a2b3c4d-0000-4000-8000-0000000000c1";
    let garbage = "1a2b3c4d-0000-4000-8000-0000000000c2";
    let dangling = "1a2b3c4d-0000-4000-8000-0000000000c3";
    let future = "1a2b3c4d-0000-4000-8000-0000000000c4";
    for (id, format, payload) in [
        (good, "2", pasta::model::compact::encode(&job.request)),
        (
            garbage,
            "2",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff".to_vec(),
        ),
        (dangling, "2", pasta::model::compact::encode(&broken)),
        // A newer format, here bytes that are neither JSON nor this version's compact form,
        // published straight: no record exists when the last delivery gives up.
        (future, "99", b"\x00\x01 a format of the future".to_vec()),
    ] {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", id);
        headers.insert(pasta::bus::jobs::FORMAT_HEADER, format);
        publish_straight(&pasta, headers, payload).await;
    }
    let ok = pasta.wait_final(good, "nonbod_pasta").await;
    assert_eq!(ok["data"]["task_state"], "SUCCESS", "{ok}");
    let expected = pasta::compute_value(JobType::NonbodPasta, &body("seed-example/request.json"));
    assert_eq!(timeless(&ok["data"]["data"]), timeless(&expected.unwrap()));
    for (id, says) in [(garbage, "not a compact job"), (dangling, "nowhere")] {
        let failed = pasta.wait_final(id, "nonbod_pasta").await;
        assert_eq!(failed["data"]["task_state"], "FAILURE", "{failed}");
        assert_eq!(failed["data"]["error"]["code"], "INVALID_BODY", "{failed}");
        let info = failed["data"]["info"].as_str().unwrap();
        assert!(info.contains(says), "{info}");
    }
    let gave_up = pasta.wait_final(future, "nonbod_pasta").await;
    assert_eq!(gave_up["data"]["task_state"], "FAILURE", "{gave_up}");
    assert_eq!(gave_up["data"]["error"]["code"], "GAVE_UP", "{gave_up}");
    let info = gave_up["data"]["info"].as_str().unwrap();
    assert_eq!(
        info,
        "gave up after 1 deliveries: job format 99 is unknown to the workers that took it"
    );
    pasta.stop().await;
}

/// A job message's headers describe its PENDING record so that a worker can skip reading it; a
/// message whose description is wrong (here: no such record at all) is still validated, recorded
/// and computed, by the redelivery that reads the record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_headers_describe_a_record_that_is_not_there_still_completes() {
    let nats = NatsServer::start();
    let pasta = harness::start(&nats, Options::default()).await;
    let id = "1a2b3c4d-0000-4000-8000-00000000000c";
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", id);
    headers.insert(pasta::bus::jobs::REVISION_HEADER, "77");
    headers.insert(pasta::bus::jobs::DIGEST_HEADER, "not-the-digest");
    headers.insert(
        pasta::bus::jobs::SUBMITTED_HEADER,
        "2026-01-01T00:00:00.000Z",
    );
    let seed = body("seed-example/request.json");
    publish_straight(&pasta, headers, serde_json::to_vec(&seed).unwrap()).await;
    let doc = pasta.wait_final(id, "nonbod_pasta").await;
    assert_eq!(doc["data"]["task_state"], "SUCCESS");
    let expected = pasta::compute_value(JobType::NonbodPasta, &seed).unwrap();
    assert_eq!(timeless(&doc["data"]["data"]), timeless(&expected));
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_and_results_larger_than_one_message_travel_through_the_object_store() {
    let nats = NatsServer::start();
    let mut options = Options::default();
    options.bus.inline_limit = 512;
    let pasta = harness::start(&nats, options).await;
    let seed = body("seed-example/request.json");
    let answer = pasta.submit(JobType::NonbodPasta, &seed, None).await;
    let id = answer["data"]["task_id"].as_str().unwrap().to_string();
    let doc = pasta.wait_final(&id, "nonbod_pasta").await;
    assert_eq!(doc["data"]["task_state"], "SUCCESS");
    let expected = pasta::compute_value(JobType::NonbodPasta, &seed).unwrap();
    assert_eq!(timeless(&doc["data"]["data"]), timeless(&expected));
    // The body went by reference, the result too.
    let js = async_nats::jetstream::new(pasta.client.clone());
    let blobs = js
        .get_object_store(format!("{}_blobs", pasta.names.prefix()))
        .await
        .unwrap();
    assert!(blobs.get(format!("job/{id}")).await.is_ok());
    assert!(blobs.get(format!("result/{id}")).await.is_ok());
    // A client may upload a body itself as body/<uuid> and submit a reference to it; the
    // upload is removed once the job is accepted, so it cannot be named again.
    let upload = format!("body/{}", uuid::Uuid::new_v4());
    let mut reader = std::io::Cursor::new(serde_json::to_vec(&seed).unwrap());
    blobs.put(upload.as_str(), &mut reader).await.unwrap();
    let by_ref = pasta
        .submit(JobType::NonbodPasta, &json!({ "$ref": upload }), None)
        .await;
    let id2 = by_ref["data"]["task_id"].as_str().unwrap().to_string();
    let doc2 = pasta.wait_final(&id2, "nonbod_pasta").await;
    assert_eq!(timeless(&doc2["data"]["data"]), timeless(&expected));
    assert!(
        blobs.get(upload.as_str()).await.is_err(),
        "the upload stayed"
    );
    let again = pasta
        .submit(JobType::NonbodPasta, &json!({ "$ref": upload }), None)
        .await;
    assert_eq!(again["info"]["code"], "INVALID_BODY", "{again}");
    // Only uploads can be named: not the service's own objects, not any other name.
    for name in [
        format!("job/{id}"),
        format!("result/{id}"),
        "upload/seed".into(),
    ] {
        let refused = pasta
            .submit(JobType::NonbodPasta, &json!({ "$ref": name }), None)
            .await;
        assert_eq!(refused["info"]["code"], "INVALID_BODY", "{name}: {refused}");
        assert_eq!(refused["info"]["problems"][0]["path"], "$ref", "{refused}");
    }
    pasta.stop().await;
}

/// The bytes of job messages a worker process holds are bounded by its budget (one message of
/// the server's largest size per pull loop and two per compute slot), however many large jobs
/// queue: here 30 jobs of 1.5 MB published straight behind a server whose messages are at most
/// 2 MB, where 64 jobs in flight per compute slot would otherwise hold all 45 MB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_holds_no_more_message_bytes_than_its_budget() {
    let nats = NatsServer::with_config("max_payload: 2MB");
    let front = front_only(&nats).await;
    assert_eq!(front.client.server_info().max_payload, 2 << 20);
    let mut large = body("seed-example/request.json");
    large["sr_policy"]["id"] = json!("__sleep_50__");
    large["padding"] = json!("x".repeat(1_500_000));
    let payload = serde_json::to_vec(&large).unwrap();
    let ids: Vec<String> = (0..30)
        .map(|i| format!("1a2b3c4d-0000-4000-8000-0000000b{i:04}"))
        .collect();
    for id in &ids {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", id.as_str());
        publish_straight(&front, headers, payload.clone()).await;
    }
    let back = workers_of(&nats, &front).await;
    for id in &ids {
        let doc = front.wait_final(id, "nonbod_pasta").await;
        assert_eq!(doc["data"]["task_state"], "SUCCESS", "{doc}");
    }
    let metrics = metrics_of(&back).await;
    let gauge = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} in /metrics:\n{metrics}"))
    };
    // The harness's workers: six job types, two compute slots.
    let budget = (6 + 2 * 2) * ((2 << 20) + (16 << 10)) as u64;
    let peak = gauge("pasta_worker_held_peak_bytes");
    assert!(peak <= budget, "held {peak} bytes at once, budget {budget}");
    assert!(peak >= 2 * 1_500_000, "the gauge counts: {peak}");
    // Every delivery ends soon after its final record (its ack comes after).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut metrics = metrics;
    while !metrics.lines().any(|l| l == "pasta_worker_held_bytes 0") {
        assert!(
            std::time::Instant::now() < deadline,
            "messages still held:\n{metrics}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        metrics = metrics_of(&back).await;
    }
    back.stop().await;
    front.stop().await;
}

/// For every task, its `started` event is stored in `PASTA_EVENTS` before its final event, so a
/// controller replaying the stream never sees a task go back to running. Under load: 1,000 jobs
/// submitted 64 at a time to the harness's two workers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_started_event_is_stored_before_its_final_event() {
    let nats = NatsServer::start();
    // Every task announced STARTED, however short its computation.
    let options = Options {
        started_after: Duration::ZERO,
        ..Options::default()
    };
    let pasta = harness::start(&nats, options).await;
    let seed = body("seed-example/request.json");
    let jobs = 1_000;
    let answers = futures::stream::iter(0..jobs)
        .map(|_| pasta.submit(JobType::NonbodPasta, &seed, None))
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await;
    let ids: Vec<String> = answers
        .iter()
        .map(|a| a["data"]["task_id"].as_str().expect("accepted").to_string())
        .collect();
    for id in &ids {
        pasta.wait_final(id, "nonbod_pasta").await;
    }
    // Every event in stream order: the sequence of each task's started and final events.
    let js = async_nats::jetstream::new(pasta.client.clone());
    let stream = js.get_stream(pasta.names.events_stream()).await.unwrap();
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let mut order: std::collections::HashMap<String, (Option<u64>, Option<u64>)> =
        Default::default();
    for _ in 0..2 * jobs {
        let msg = tokio::time::timeout(Duration::from_secs(10), messages.next())
            .await
            .expect("every event is stored")
            .unwrap()
            .unwrap();
        let seq = msg.info().unwrap().stream_sequence;
        let event: Value = serde_json::from_slice(&msg.payload).unwrap();
        let id = event["task_id"].as_str().unwrap().to_string();
        let entry = order.entry(id).or_default();
        match event["task_state"].as_str().unwrap() {
            "STARTED" => entry.0 = Some(seq),
            _ => entry.1 = Some(seq),
        }
    }
    for id in &ids {
        match order.get(id) {
            Some((Some(started), Some(done))) => assert!(
                started < done,
                "task {id}: started event at {started}, final at {done}"
            ),
            other => panic!("task {id}: events {other:?}"),
        }
    }
    pasta.stop().await;
}

/// The compression of an object store's stream.
async fn compression_of(
    js: &async_nats::jetstream::Context,
    bucket: &str,
) -> Option<async_nats::jetstream::stream::Compression> {
    let mut stream = js.get_stream(format!("OBJ_{bucket}")).await.unwrap();
    stream.info().await.unwrap().config.compression.clone()
}

/// The object stores' streams compress their blocks (S2), and a store an earlier version made
/// without compression compresses once the service has started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_object_stores_compress_and_an_uncompressed_one_is_changed_at_start() {
    use async_nats::jetstream::{object_store, stream::Compression};
    let nats = NatsServer::start();
    let prefix = harness::unique_prefix();
    let names = pasta::bus::Names::new(&prefix).unwrap();
    let js = async_nats::jetstream::new(harness::connect(&nats).await);
    js.create_object_store(object_store::Config {
        bucket: names.blobs(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_ne!(
        compression_of(&js, &names.blobs()).await,
        Some(Compression::S2)
    );
    let pasta = harness::start(
        &nats,
        Options {
            prefix: Some(prefix),
            ..Options::default()
        },
    )
    .await;
    for bucket in [names.blobs(), names.topology_snapshots()] {
        assert_eq!(
            compression_of(&js, &bucket).await,
            Some(Compression::S2),
            "{bucket}"
        );
    }
    pasta.stop().await;
}
