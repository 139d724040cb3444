//! The bridge's OpenAPI document (`GET /openapi.json`, `pasta::http::openapi`) against the real
//! bridge on a real nats-server: every operation of its table is routed (never 404 or 405, and
//! no method beyond the table's), the token is asked for exactly where the document says, every
//! body example is accepted where it is offered and a task submitted on an original route has
//! the type the table says, and schemathesis fuzzes the running bridge against the document it
//! serves (no server error; every answer of a documented status, content type, headers and
//! schema; 405 with `Allow` for any other method). The web view's event stream never ends: it is
//! checked to answer at once and go on, and left out of the fuzzing.
//!
//! schemathesis runs from `$PASTA_PYTHON`'s venv (scripts/setup installs it, pinned); when it is
//! missing the test fails and says to run scripts/setup.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use pasta::http::openapi::{self, Job, Kind, Operation, OPERATIONS};
use pasta::http::{router, AppState};
use pasta::model::JobType;
use serde_json::Value;
use tokio::process::Command;
use tower::ServiceExt;

use crate::support::nats::NatsServer;
use crate::support::pasta::{self as harness, Options};

/// The seed of schemathesis' generation: the same cases every run.
const SEED: &str = "20250117";

/// Test cases per operation in the fuzzing phase (the coverage phase has its own bound).
const MAX_EXAMPLES: &str = "20";

/// The checks schemathesis leaves out of `all`: the request schemas cannot say everything the
/// service checks (that ids name existing nodes, which body shape a job type takes), so a body
/// they admit may be refused (`positive_data_acceptance`), and the service ignores some members
/// a job type does not read where the schema is strict (`negative_data_rejection`).
const UNCHECKED: &str = "positive_data_acceptance,negative_data_rejection";

/// The phases run: `examples` sends the document's example bodies, `stateful` follows the link
/// from a submission to the status of its task.
const PHASES: &str = "examples,coverage,fuzzing,stateful";

fn python() -> PathBuf {
    crate::support::python::interpreter()
}

/// Fails, never skips, when schemathesis cannot run here.
async fn require_schemathesis(python: &Path) {
    let probe = ["-m", "schemathesis.cli", "--version"];
    crate::support::python::require(python, &probe, "schemathesis").await;
}

/// The token of the guarded bridges.
const TOKEN: &str = "s3cret";

/// The concrete path of an operation: the job type parameter (`{type}`, `{type_or_id}`) as a
/// real job type (which a cancel refuses as a task id, BAD_REQUEST, not NOT_FOUND), the login
/// with the right token (which a bridge without one takes too).
fn concrete(path: &str) -> String {
    let mut path = match openapi::type_parameter(path) {
        Some(name) => path.replace(&format!("{{{name}}}"), "nonbod_pasta"),
        None => path.to_owned(),
    };
    if path == "/ui/login" {
        path.push_str(&format!("?token={TOKEN}"));
    }
    path
}

/// Whether an answer is a stream of server-sent events, which never ends: its body is not read.
fn streams(response: &axum::response::Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// One request through the router, no socket: the status and the body (empty for an event
/// stream, which never ends).
async fn call(
    app: &Router,
    method: &Method,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, Vec<u8>) {
    let mut request = Request::builder().method(method.clone()).uri(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = if method == Method::GET {
        Body::empty()
    } else {
        Body::from("{}")
    };
    let response = app
        .clone()
        .oneshot(request.body(body).expect("a request"))
        .await
        .expect("routers are infallible");
    let status = response.status();
    if streams(&response) {
        return (status, Vec::new());
    }
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    (status, body.to_vec())
}

/// The method of an operation.
fn method(op: &Operation) -> Method {
    Method::from_bytes(op.method.to_uppercase().as_bytes()).expect("an HTTP method")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_routed_and_nothing_else_is() {
    let nats = NatsServer::start();
    let service = harness::service(&nats).await;
    let open = router(AppState::new(service.clone(), None));
    for op in OPERATIONS {
        let (status, body) = call(&open, &method(op), &concrete(op.path), None).await;
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{} {} is documented but the router answers {status}: {}",
            op.method,
            op.path,
            String::from_utf8_lossy(&body)
        );
    }
    // The event stream answers at once, with the media type documented, and goes on.
    for op in OPERATIONS.iter().filter(|op| op.kind == Kind::Events) {
        let request = Request::get(op.path)
            .body(Body::empty())
            .expect("a request");
        let response = tokio::time::timeout(Duration::from_secs(10), open.clone().oneshot(request))
            .await
            .expect("the stream answers at once")
            .expect("routers are infallible");
        assert_eq!(response.status(), StatusCode::OK, "{}", op.path);
        assert!(streams(&response), "{} is an event stream", op.path);
        let mut body = response.into_body();
        // Nothing yet (or an event), never the end.
        match tokio::time::timeout(Duration::from_millis(300), body.frame()).await {
            Err(_) | Ok(Some(Ok(_))) => {}
            Ok(ended) => panic!("{} ended: {ended:?}", op.path),
        }
    }
    for path in OPERATIONS.iter().map(|op| op.path) {
        for other in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
        ] {
            let documented = OPERATIONS
                .iter()
                .any(|op| op.path == path && method(op) == other);
            if !documented {
                let (status, _) = call(&open, &other, &concrete(path), None).await;
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{other} {path} is not documented"
                );
            }
        }
    }
    let (status, served) = call(&open, &Method::GET, "/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    let served: Value = serde_json::from_slice(&served).expect("the document is JSON");
    assert_eq!(served, openapi::document().expect("the document builds"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_needed_exactly_where_the_document_says() {
    let nats = NatsServer::start();
    let service = harness::service(&nats).await;
    let guarded = router(AppState::new(service, Some(TOKEN.into())));
    let document = openapi::document().expect("the document builds");
    for op in OPERATIONS {
        let path = concrete(op.path);
        let (status, _) = call(&guarded, &method(op), &path, None).await;
        let public = document["paths"][op.path][op.method]["security"] == serde_json::json!([]);
        assert_eq!(public, op.kind.public(), "{op:?}");
        assert_eq!(
            status == StatusCode::UNAUTHORIZED,
            !public,
            "{} {path} without a token: {status}",
            op.method
        );
        if !public {
            let (status, _) = call(&guarded, &method(op), &path, Some(TOKEN)).await;
            assert_ne!(
                status,
                StatusCode::UNAUTHORIZED,
                "{} {path} with the token",
                op.method
            );
        }
    }
    assert!(OPERATIONS
        .iter()
        .any(|op| op.kind == Kind::OpenApi && op.kind.public()));
    // The login is public, but checks the token it is given: 401 for another.
    for (path, expected) in [
        (format!("/ui/login?token={TOKEN}"), StatusCode::SEE_OTHER),
        ("/ui/login?token=wrong".to_owned(), StatusCode::UNAUTHORIZED),
        ("/ui/login".to_owned(), StatusCode::UNAUTHORIZED),
        ("/ui".to_owned(), StatusCode::PERMANENT_REDIRECT),
    ] {
        let (status, _) = call(&guarded, &Method::GET, &path, None).await;
        assert_eq!(status, expected, "{path}");
    }
}

/// `op`'s path for job type `t`, and a request of its method with `body`.
fn request(op: &Operation, t: JobType, body: &Value) -> Request<Body> {
    let path = match openapi::type_parameter(op.path) {
        Some(name) => op.path.replace(&format!("{{{name}}}"), t.as_str()),
        None => op.path.to_owned(),
    };
    let bytes = serde_json::to_vec(body).expect("JSON");
    Request::builder()
        .method(method(op))
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(bytes))
        .expect("a request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_is_accepted_where_it_is_offered_and_tasks_have_the_documented_type() {
    let nats = NatsServer::start();
    let service = harness::service(&nats).await;
    let app = router(AppState::new(service, None));
    for op in OPERATIONS.iter().filter(|op| op.job != Job::None) {
        for name in op.job.examples() {
            let body = openapi::example(name).expect("a named example");
            let fits = openapi::EXAMPLES
                .iter()
                .find(|(n, _)| *n == name)
                .expect("listed")
                .1;
            let t = *fits
                .iter()
                .find(|t| op.job.types().contains(t))
                .expect("a type");
            let response = app
                .clone()
                .oneshot(request(op, t, &body))
                .await
                .expect("infallible");
            let status = response.status();
            let answer = response
                .into_body()
                .collect()
                .await
                .expect("a body")
                .to_bytes();
            let answer: Value = serde_json::from_slice(&answer).expect("JSON");
            assert_eq!(
                status,
                StatusCode::OK,
                "{} {} with {name}: {answer}",
                op.method,
                op.path
            );
            let Job::Is(t) = op.job else { continue };
            if op.kind != Kind::Submit {
                continue;
            }
            let id = answer["data"]["task_id"].as_str().expect("a task id");
            let uri = format!("/api/job/check_status?task_id={id}&type={}", t.as_str());
            let (status, doc) = call(&app, &Method::GET, &uri, None).await;
            let doc = String::from_utf8_lossy(&doc);
            assert_eq!(
                status,
                StatusCode::OK,
                "{} {} submits {}: {doc}",
                op.method,
                op.path,
                t.as_str()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_failure_against_the_served_document() {
    let python = python();
    require_schemathesis(&python).await;
    let nats = NatsServer::start();
    let pasta = harness::start(
        &nats,
        Options {
            http: true,
            ..Options::default()
        },
    )
    .await;
    let address = pasta.http.expect("the bridge listens");
    let url = format!("http://{address}/openapi.json");
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let started = Instant::now();
    // The event stream never ends, so no request of it would: it is tested apart (above).
    let endless: Vec<&str> = OPERATIONS
        .iter()
        .filter(|op| op.kind == Kind::Events)
        .flat_map(|op| ["--exclude-path", op.path])
        .collect();
    let run = Command::new(&python)
        .args(["-m", "schemathesis.cli", "run", &url])
        .args(&endless)
        .args(["--checks", "all", "--exclude-checks", UNCHECKED])
        .args([
            "--seed",
            SEED,
            "--max-examples",
            MAX_EXAMPLES,
            "--phases",
            PHASES,
        ])
        // One worker: schemathesis' workers are threads, and CPython 3.11 before 3.11.8 fails
        // `ast.parse` run by two threads at once ("AST constructor recursion depth mismatch").
        .args(["--workers", "1", "--request-timeout", "30"])
        .args(["--generation-database", "none", "--no-color"])
        .current_dir(scratch.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(240), run)
        .await
        .expect("schemathesis finished in time")
        .expect("schemathesis ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!(
        "schemathesis ({:.1?}):\n{stdout}\n{stderr}",
        started.elapsed()
    );
    assert!(
        output.status.success(),
        "schemathesis found failures (exit {:?}):\n{stdout}\n{stderr}",
        output.status
    );
    // Every operation but the one serving the document schemathesis loaded (which it does not
    // count) and the endless event stream (excluded).
    let counted = OPERATIONS
        .iter()
        .filter(|op| op.kind != Kind::OpenApi)
        .count();
    let fuzzed = OPERATIONS
        .iter()
        .filter(|op| op.kind != Kind::OpenApi && op.kind != Kind::Events)
        .count();
    for line in [
        format!("Selected: {fuzzed}/{counted}"),
        format!("Tested: {fuzzed}"),
    ] {
        assert!(
            stdout.contains(&line),
            "every operation was tested ({line}):\n{stdout}"
        );
    }
    pasta.stop().await;
}
