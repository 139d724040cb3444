//! Fault tests: things broken on purpose. A computation that panics, one that exceeds its
//! time-out, a job whose deliveries keep dying, a nats-server killed and restarted with jobs
//! queued and running. Each must end with every accepted job final, and the workers serving on.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pasta::model::JobType;
use serde_json::{json, Value};

use crate::support;
use crate::support::nats::NatsServer;
use crate::support::pasta::{self as harness, Options};

fn seed_with_id(id: &str) -> Value {
    let mut body = support::body("seed-example/request.json");
    body["sr_policy"]["id"] = json!(id);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_computation_ends_failure_and_the_worker_serves_the_next_job() {
    let nats = NatsServer::start();
    let pasta = harness::start(&nats, Options::default()).await;
    let bad = pasta
        .submit(JobType::NonbodPasta, &seed_with_id("__panic__"), None)
        .await;
    let bad = bad["data"]["task_id"].as_str().unwrap().to_string();
    let doc = pasta.wait_final(&bad, "nonbod_pasta").await;
    assert_eq!(doc["data"]["task_state"], "FAILURE");
    assert_eq!(doc["data"]["error"]["code"], "PANIC");
    assert!(doc["data"]["info"].as_str().unwrap().contains("__panic__"));
    let good = pasta
        .submit(JobType::NonbodPasta, &seed_with_id("fine"), None)
        .await;
    let good = good["data"]["task_id"].as_str().unwrap().to_string();
    let doc = pasta.wait_final(&good, "nonbod_pasta").await;
    assert_eq!(doc["data"]["task_state"], "SUCCESS");
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_computation_over_its_time_out_ends_failure_timeout() {
    let nats = NatsServer::start();
    let options = Options {
        job_timeout: Duration::from_millis(300),
        ..Options::default()
    };
    let pasta = harness::start(&nats, options).await;
    let slow = pasta
        .submit(JobType::NonbodPasta, &seed_with_id("__sleep_2000__"), None)
        .await;
    let slow = slow["data"]["task_id"].as_str().unwrap().to_string();
    let doc = pasta.wait_final(&slow, "nonbod_pasta").await;
    assert_eq!(doc["data"]["task_state"], "FAILURE");
    assert_eq!(doc["data"]["error"]["code"], "TIMEOUT");
    let quick = pasta
        .submit(JobType::NonbodPasta, &seed_with_id("fine"), None)
        .await;
    let quick = quick["data"]["task_id"].as_str().unwrap().to_string();
    assert_eq!(
        pasta.wait_final(&quick, "nonbod_pasta").await["data"]["task_state"],
        "SUCCESS"
    );
    pasta.stop().await;
}

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn worker(nats: &NatsServer, prefix: &str, max_deliver: u32) -> Process {
    Process(
        Command::new(env!("CARGO_BIN_EXE_pasta"))
            .args(["worker", "--nats-url", &nats.url(), "--prefix", prefix])
            .args(["--ack-wait-secs", "1", "--concurrency", "1"])
            .args(["--max-deliver", &max_deliver.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

async fn wait_running(pasta: &harness::Pasta, id: &str, attempt: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let doc = pasta.status(id, "nonbod_pasta").await;
        if doc["data"]["progress"] == json!({"stage": "running", "attempt": attempt}) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "attempt {attempt} never started: {doc}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_deliveries_keep_dying_is_recorded_as_gave_up_not_left_pending() {
    let nats = NatsServer::start();
    let mut options = Options {
        workers: false,
        http: false,
        ..Options::default()
    };
    options.bus.max_deliver = 3;
    let pasta = harness::start(&nats, options).await;
    let prefix = pasta.names.prefix().to_string();
    let answer = pasta
        .submit(JobType::NonbodPasta, &seed_with_id("__sleep_60000__"), None)
        .await;
    let id = answer["data"]["task_id"].as_str().unwrap().to_string();
    for attempt in 1..=2 {
        let mut w = worker(&nats, &prefix, 3);
        wait_running(&pasta, &id, attempt).await;
        let _ = w.0.kill();
        let _ = w.0.wait();
    }
    let _last = worker(&nats, &prefix, 3);
    let doc = pasta.wait_final(&id, "nonbod_pasta").await;
    assert_eq!(doc["data"]["task_state"], "FAILURE", "{doc}");
    assert_eq!(doc["data"]["error"]["code"], "GAVE_UP");
    assert_eq!(doc["data"]["info"], "gave up after 2 deliveries");
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answered_submission_finishes_after_the_server_is_killed_and_restarted() {
    let mut nats = NatsServer::start();
    let pasta = harness::start(&nats, Options::default()).await;
    let http = pasta.http.unwrap();
    let mut ids = Vec::new();
    for i in 0..20 {
        let id = if i % 4 == 0 {
            "__sleep_500__".to_string()
        } else {
            format!("p{i}")
        };
        let answer = pasta
            .submit(JobType::NonbodPasta, &seed_with_id(&id), None)
            .await;
        assert_eq!(answer["status"], true, "{answer}");
        ids.push(answer["data"]["task_id"].as_str().unwrap().to_string());
    }
    nats.kill();
    // During the outage a status query is answered UNAVAILABLE at once, not left hanging.
    let started = Instant::now();
    let (code, body) = http_get(
        http.port(),
        &format!("/api/job/check_status?task_id={}&type=nonbod_pasta", ids[0]),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "answered in {:?}",
        started.elapsed()
    );
    assert_eq!(code, 503, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["info"]["code"], "UNAVAILABLE");
    let (code, _) = http_get(http.port(), "/healthz").await;
    assert_eq!(code, 503);
    tokio::time::sleep(Duration::from_millis(500)).await;
    nats.restart();
    for id in &ids {
        let doc = pasta.wait_final(id, "nonbod_pasta").await;
        assert_eq!(doc["data"]["task_state"], "SUCCESS", "{id}: {doc}");
    }
    let (code, _) = http_get(http.port(), "/healthz").await;
    assert_eq!(code, 200, "the bridge reconnected by itself");
    pasta.stop().await;
}

/// A GET to the bridge, answered within 15 s.
async fn http_get(port: u16, path: &str) -> (u16, String) {
    support::http::get(port, path, Duration::from_secs(15))
        .await
        .expect("the bridge answers")
}

/// The chunk subjects of the blob store that no object names: what an upload left behind.
async fn orphan_chunks(pasta: &harness::Pasta) -> Vec<String> {
    use futures::StreamExt;
    let js = async_nats::jetstream::new(pasta.client.clone());
    let bucket = format!("{}_blobs", pasta.names.prefix());
    let blobs = js.get_object_store(&bucket).await.unwrap();
    let mut live = std::collections::HashSet::new();
    let mut list = blobs.list().await.unwrap();
    while let Some(info) = list.next().await {
        live.insert(info.unwrap().nuid);
    }
    let stream = js.get_stream(format!("OBJ_{bucket}")).await.unwrap();
    let mut subjects = stream
        .info_with_subjects(format!("$O.{bucket}.C.>"))
        .await
        .unwrap();
    let mut orphans = Vec::new();
    while let Some(entry) = subjects.next().await {
        let (subject, _) = entry.unwrap();
        let nuid = subject.rsplit('.').next().unwrap().to_string();
        if !live.contains(&nuid) {
            orphans.push(subject);
        }
    }
    orphans
}

/// A result too large for one message is stored while it is written; a computation that
/// exceeded its time-out still writes its result when it ends, and what it sent is taken back:
/// no `result/<id>` object, no chunk of one left in the store. A result that succeeds is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_result_of_a_job_past_its_time_out_leaves_nothing_in_the_store() {
    let nats = NatsServer::start();
    let mut options = Options {
        job_timeout: Duration::from_millis(300),
        ..Options::default()
    };
    options.bus.inline_limit = 512;
    let pasta = harness::start(&nats, options).await;
    let js = async_nats::jetstream::new(pasta.client.clone());
    let blobs = js
        .get_object_store(format!("{}_blobs", pasta.names.prefix()))
        .await
        .unwrap();
    let slow = pasta
        .submit(JobType::NonbodPasta, &seed_with_id("__sleep_800__"), None)
        .await;
    let slow = slow["data"]["task_id"].as_str().unwrap().to_string();
    let doc = pasta.wait_final(&slow, "nonbod_pasta").await;
    assert_eq!(doc["data"]["error"]["code"], "TIMEOUT", "{doc}");
    // The computation ends after its time-out, and its result is written then.
    let quick = pasta
        .submit(JobType::NonbodPasta, &seed_with_id("fine"), None)
        .await;
    let quick = quick["data"]["task_id"].as_str().unwrap().to_string();
    let doc = pasta.wait_final(&quick, "nonbod_pasta").await;
    assert_eq!(doc["data"]["task_state"], "SUCCESS", "{doc}");
    assert!(blobs.info(format!("result/{quick}")).await.is_ok());
    // The slow computation ends 800 ms after it started; what it sent is taken back then.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let orphans = orphan_chunks(&pasta).await;
        if orphans.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "left behind: {orphans:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(blobs.info(format!("result/{slow}")).await.is_err());
    pasta.stop().await;
}
