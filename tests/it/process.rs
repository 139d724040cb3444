//! Tests of the real `pasta` binary as separate processes: `serve` with its embedded nats-server,
//! and a worker killed with SIGKILL in the middle of a job.

use std::io::Read;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use pasta::model::JobType;
use serde_json::{json, Value};

use crate::support;
use crate::support::nats::{free_ports, NatsServer};
use crate::support::pasta::{self as harness, Options};

const PASTA: &str = env!("CARGO_BIN_EXE_pasta");

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill")
        .arg(sig)
        .arg(child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// A GET to the bridge, answered within 5 s.
async fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    support::http::get(port, path, Duration::from_secs(5)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_without_a_url_starts_its_own_nats_server_and_stops_it_on_exit() {
    let dir = tempfile::tempdir().unwrap();
    let ports = free_ports(2);
    let (nats_port, http_port) = (ports[0], ports[1]);
    let conf = dir.path().join("nats.conf");
    std::fs::write(
        &conf,
        format!("listen: 127.0.0.1:{nats_port}\nmax_payload: 8MB\njetstream {{\n}}\n"),
    )
    .unwrap();
    let data = dir.path().join("data");
    let child = Command::new(PASTA)
        .arg("serve")
        .arg("--nats-conf")
        .arg(&conf)
        .arg("--data-dir")
        .arg(&data)
        .arg("--http-addr")
        .arg(format!("127.0.0.1:{http_port}"))
        .env_remove("PASTA_NATS_URL")
        .env("PASTA_NATS_SERVER", support::nats::binary())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut serve = Process(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some((200, body)) = http_get(http_port, "/healthz").await {
            let v: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v, json!({"status": "ok", "nats": "connected"}));
            break;
        }
        assert!(Instant::now() < deadline, "serve did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A job over NATS on the embedded server.
    let client = pasta::bus::connect(
        &format!("nats://127.0.0.1:{nats_port}"),
        &Default::default(),
    )
    .await
    .unwrap();
    let body = support::body("seed-example/request.json");
    let answer = client
        .request(
            "pasta.submit.nonbod_pasta",
            serde_json::to_vec(&body).unwrap().into(),
        )
        .await
        .unwrap();
    let answer: Value = serde_json::from_slice(&answer.payload).unwrap();
    let id = answer["data"]["task_id"].as_str().unwrap().to_string();
    let status_path = format!("/api/job/check_status?task_id={id}&type=nonbod_pasta");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (code, body) = http_get(http_port, &status_path).await.unwrap();
        assert_eq!(code, 200);
        let doc: Value = serde_json::from_str(&body).unwrap();
        if doc["data"]["task_state"] == "SUCCESS" {
            break;
        }
        assert!(Instant::now() < deadline, "job did not finish: {doc}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        data.join("jetstream").exists(),
        "the store lives where serve said"
    );
    drop(client);
    signal(&serve.0, "-INT");
    let deadline = Instant::now() + Duration::from_secs(20);
    while serve.0.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "serve did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut stderr = String::new();
    serve
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("started nats-server"), "{stderr}");
    assert!(
        stderr.contains(&data.display().to_string()) || stderr.contains("data in"),
        "{stderr}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        TcpStream::connect(("127.0.0.1", nats_port)).is_err(),
        "the embedded nats-server stopped with serve"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_a_url_that_does_not_answer_is_an_error_not_a_new_server() {
    let ports = free_ports(2);
    let out = Command::new(PASTA)
        .args([
            "serve",
            "--nats-url",
            &format!("nats://127.0.0.1:{}", ports[0]),
        ])
        .args(["--http-addr", &format!("127.0.0.1:{}", ports[1])])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not answer"), "{stderr}");
}

fn worker(nats: &NatsServer, prefix: &str) -> Process {
    Process(
        Command::new(PASTA)
            .args(["worker", "--nats-url", &nats.url(), "--prefix", prefix])
            .args(["--ack-wait-secs", "1", "--concurrency", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_job_has_its_job_redelivered_and_finished_once() {
    let nats = NatsServer::start();
    let options = Options {
        workers: false,
        http: false,
        ..Options::default()
    };
    let pasta = harness::start(&nats, options).await;
    let prefix = pasta.names.prefix().to_string();
    let mut events = pasta
        .client
        .subscribe(format!("{prefix}.events.nonbod_pasta.*"))
        .await
        .unwrap();
    let mut first = worker(&nats, &prefix);
    let mut body = support::body("seed-example/request.json");
    body["sr_policy"]["id"] = json!("__sleep_2500__");
    let answer = pasta.submit(JobType::NonbodPasta, &body, None).await;
    let id = answer["data"]["task_id"].as_str().unwrap().to_string();
    // Wait until the first worker is computing it, then kill it.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let doc = pasta.status(&id, "nonbod_pasta").await;
        if doc["data"]["progress"]["stage"] == "running" {
            assert_eq!(doc["data"]["info"], "running, attempt 1");
            break;
        }
        assert!(Instant::now() < deadline, "the job never started: {doc}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = first.0.kill();
    let _ = first.0.wait();
    let _second = worker(&nats, &prefix);
    let doc = pasta.wait_final(&id, "nonbod_pasta").await;
    assert_eq!(doc["data"]["task_state"], "SUCCESS", "{doc}");
    // One result, one success event (the started event comes once per attempt).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut success = 0;
    let mut attempts = Vec::new();
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(100), events.next()).await {
        let e: Value = serde_json::from_slice(&m.payload).unwrap();
        if e["task_id"] == json!(id) && e["task_state"] == "SUCCESS" {
            success += 1;
            attempts.push(e["attempt"].clone());
        }
    }
    assert_eq!(success, 1);
    assert_eq!(attempts, [json!(2)], "the second delivery finished it");
    pasta.stop().await;
}

/// `promtool`, from Debian's `prometheus` package (`scripts/setup` installs it).
fn promtool() -> String {
    let path = std::env::var("PASTA_PROMTOOL").unwrap_or_else(|_| "promtool".into());
    let found = Command::new(&path).arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "{path} not found: run scripts/setup (it installs Debian's prometheus package)"
    );
    path
}

/// What `promtool check metrics` says of an exposition: nothing when it follows the naming
/// conventions.
fn promtool_check(exposition: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        said
    } else {
        format!("failed: {said}")
    }
}

/// A part of pasta as its own process, serving `/metrics` on `port`.
fn part(kind: &str, nats: &NatsServer, prefix: &str, port: u16) -> Process {
    Process(
        Command::new(PASTA)
            .args([kind, "--nats-url", &nats.url(), "--prefix", prefix])
            .env("PASTA_METRICS_ADDR", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_and_a_responder_serve_metrics_that_promtool_accepts() {
    let nats = NatsServer::start();
    let prefix = harness::unique_prefix();
    let ports = free_ports(2);
    let _responder = part("responder", &nats, &prefix, ports[0]);
    let _worker = part("worker", &nats, &prefix, ports[1]);
    for port in &ports {
        let deadline = Instant::now() + Duration::from_secs(30);
        while http_get(*port, "/healthz")
            .await
            .is_none_or(|(c, _)| c != 200)
        {
            assert!(Instant::now() < deadline, "no metrics on {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let client = harness::connect(&nats).await;
    let body = serde_json::to_vec(&support::body("seed-example/request.json")).unwrap();
    let submit = format!("{prefix}.submit.nonbod_pasta");
    let answer = client.request(submit, body.into()).await.unwrap();
    let answer: Value = serde_json::from_slice(&answer.payload).unwrap();
    let id = answer["data"]["task_id"]
        .as_str()
        .expect("accepted")
        .to_string();
    let query = serde_json::to_vec(&json!({"task_id": id, "type": "nonbod_pasta"})).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let doc = client
            .request(format!("{prefix}.job.check_status"), query.clone().into())
            .await
            .unwrap();
        let doc: Value = serde_json::from_slice(&doc.payload).unwrap();
        if doc["data"]["task_state"] == "SUCCESS" {
            break;
        }
        assert!(Instant::now() < deadline, "never finished: {doc}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, responder) = http_get(ports[0], "/metrics").await.unwrap();
    assert!(
        responder.contains("pasta_jobs_submitted_total{type=\"nonbod_pasta\"} 1"),
        "{responder}"
    );
    let (_, worker) = http_get(ports[1], "/metrics").await.unwrap();
    for line in [
        "pasta_jobs_finished_total{type=\"nonbod_pasta\",state=\"success\"} 1",
        "pasta_job_compute_seconds_count{type=\"nonbod_pasta\"} 1",
        "pasta_job_queue_wait_seconds_count{type=\"nonbod_pasta\"} 1",
        "pasta_job_latency_seconds_count{type=\"nonbod_pasta\"} 1",
    ] {
        assert!(worker.lines().any(|l| l == line), "{line} in\n{worker}");
    }
    for (who, text) in [("responder", &responder), ("worker", &worker)] {
        let said = promtool_check(text);
        assert!(
            said.trim().is_empty(),
            "promtool on the {who}'s metrics: {said}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_json_log_format_every_log_line_is_a_json_object() {
    use std::io::BufRead;
    let nats = NatsServer::start();
    let mut child = Command::new(PASTA)
        .args(["responder", "--nats-url", &nats.url()])
        .args(["--prefix", &harness::unique_prefix()])
        .env("PASTA_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let child = Process(child);
    let mut read = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !read
        .iter()
        .any(|l: &Value| l["message"] == "NATS service started")
    {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = seen
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no start logged; read {read:?}"));
        let doc: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not a JSON object ({e}): {line}"));
        assert!(
            doc["timestamp"].is_string() && doc["level"].is_string(),
            "{doc}"
        );
        read.push(doc);
    }
    let started = read
        .iter()
        .find(|l| l["message"] == "NATS service started")
        .unwrap();
    assert_eq!(started["level"], "INFO");
    assert!(
        started["service"].is_string(),
        "fields are members: {started}"
    );
    drop(child);
}
