//! The README's Python client example (`examples/python/client.py`, nats-py) run against a real
//! nats-server and pasta: it must submit, see its completion event and print a SUCCESS status
//! document. The interpreter is `$PASTA_PYTHON` (set by scripts/test) or the project's `.venv`;
//! when it or nats-py is missing the test fails and says to run scripts/setup.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use pasta::model::JobType;
use serde_json::Value;
use tokio::process::Command;

use crate::support::nats::NatsServer;
use crate::support::pasta::{self as harness, Options};
use crate::support::{body, timeless};

/// The interpreter: `$PASTA_PYTHON`, else `<repo>/.venv/bin/python`.
pub fn python() -> PathBuf {
    crate::support::python::interpreter()
}

/// Fails, never skips, when the example cannot run here.
pub async fn require_nats_py(python: &Path) {
    crate::support::python::require(python, &["-c", "import nats"], "nats-py").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_example_submits_waits_for_its_event_and_prints_a_success_document() {
    let python = python();
    require_nats_py(&python).await;
    let nats = NatsServer::start();
    let pasta = harness::start(
        &nats,
        Options {
            http: false,
            ..Options::default()
        },
    )
    .await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python/client.py");
    let run = Command::new(&python)
        .arg(&script)
        .args(["--url", &nats.url(), "--prefix", pasta.names.prefix()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the example finished in time")
        .expect("the example ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    let doc: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is the status document ({e}):\n{stdout}"));
    assert_eq!(doc["status"], true, "{doc}");
    assert_eq!(doc["data"]["task_state"], "SUCCESS", "{doc}");
    let id = doc["data"]["task_id"].as_str().expect("a task id");
    assert!(
        uuid::Uuid::parse_str(id).is_ok(),
        "the client chose a UUID: {id}"
    );
    // It waited for its own completion event, not by polling.
    assert!(
        stderr.contains(".events.nonbod_pasta.success: SUCCESS"),
        "{stderr}"
    );
    let expected =
        pasta::compute_value(JobType::NonbodPasta, &body("seed-example/request.json")).unwrap();
    assert_eq!(timeless(&doc["data"]["data"]), timeless(&expected));
    // The task is the service's own: the same document over NATS from Rust.
    let again = pasta.status(id, "nonbod_pasta").await;
    assert_eq!(again["data"]["task_state"], "SUCCESS");
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_raw_requests_answer_as_the_readme_says() {
    let python = python();
    require_nats_py(&python).await;
    let nats = NatsServer::start();
    let pasta = harness::start(
        &nats,
        Options {
            prefix: Some("pasta".into()),
            http: false,
            ..Options::default()
        },
    )
    .await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python/readme_requests.py");
    let run = Command::new(&python)
        .arg(&script)
        .args(["--url", &nats.url()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("finished in time")
        .expect("ran");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let answers: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 5, "{answers:?}");
    let id = "0b7c6a1e-5f0e-4c57-9d0e-3f1d2a4b5c6d";
    assert_eq!(answers[0]["payload"]["data"]["task_id"], id);
    assert_eq!(answers[1]["payload"]["data"]["task_id"], id);
    let error = &answers[2];
    assert_eq!(error["payload"]["info"]["code"], "INVALID_BODY");
    assert_eq!(error["headers"]["Nats-Service-Error-Code"], "400");
    assert_eq!(
        error["headers"]["Nats-Service-Error"],
        "INVALID_BODY: 3 problem(s) in the body"
    );
    assert_eq!(
        answers[3]["payload"]["type"],
        "io.nats.micro.v1.ping_response"
    );
    let stats = &answers[4]["payload"];
    assert_eq!(stats["type"], "io.nats.micro.v1.stats_response");
    let submit = stats["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "submit_nonbod_pasta")
        .unwrap();
    assert_eq!(submit["num_errors"], 1, "{stats}");
    pasta.stop().await;
}
