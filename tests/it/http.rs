//! Tests of the HTTP bridge (contract §6): every route driven through `pasta::http::router`
//! without a socket, against the service layer on a real nats-server (no worker runs, so queued
//! tasks stay PENDING), and one job end to end through a real socket with an HTTP/1.1 client
//! (hyper) over one keep-alive connection.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use pasta::http::{router, AppState};
use pasta::model::JobType;
use pasta::service::Service;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tower::ServiceExt;

use crate::support;
use crate::support::nats::NatsServer;
use crate::support::pasta::{self as harness, Options};
use crate::support::{body, timeless};

/// A contract example's body and its job type.
fn example(name: &str) -> (JobType, Value) {
    let t = std::fs::read_to_string(
        support::fixtures()
            .join("contract-examples")
            .join(name)
            .join("type"),
    )
    .expect("the example has a type file");
    let t = JobType::parse(t.trim()).expect("a known job type");
    (t, body(&format!("contract-examples/{name}/request.json")))
}

/// A body for each job type.
fn body_of(t: JobType) -> Value {
    match t {
        JobType::BodPasta => example("reservation-ecmp-split").1,
        JobType::NonbodPasta => example("strict-encoding").1,
        JobType::BodModified => example("modified-releases-first").1,
        JobType::BodReopt | JobType::NonbodReopt => example("reopt-order-and-capacity").1,
        JobType::BodCongestReopt => example("congestion-relief").1,
    }
}

/// The router over a service, with an optional token.
fn app(service: &Service, token: Option<&str>) -> Router {
    router(AppState::new(service.clone(), token.map(str::to_string)))
}

/// An answer: status, content type, body.
struct Answer {
    status: StatusCode,
    content_type: String,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "a JSON answer ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// One request through the router, no socket.
async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Body,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = app
        .clone()
        .oneshot(request.body(body).expect("a request"))
        .await
        .expect("routers are infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a readable body")
        .to_bytes();
    Answer {
        status,
        content_type,
        body,
    }
}

/// Sends a JSON body.
async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> Answer {
    let bytes = serde_json::to_vec(body).unwrap();
    call(app, method, uri, headers, Body::from(bytes)).await
}

/// `GET uri`, no body.
async fn get(app: &Router, uri: &str) -> Answer {
    call(app, Method::GET, uri, &[], Body::empty()).await
}

/// The status document of a task asked as type `t`.
async fn status_of(app: &Router, task_id: &str, t: &str) -> Answer {
    get(
        app,
        &format!("/api/job/check_status?task_id={task_id}&type={t}"),
    )
    .await
}

/// Asserts the contract's error shape with `code` and HTTP `status`; the document.
fn assert_error(answer: &Answer, status: StatusCode, code: &str) -> Value {
    let doc = answer.json();
    assert_eq!(answer.status, status, "{doc}");
    assert_eq!(doc["status"], false, "{doc}");
    assert_eq!(doc["info"]["code"], code, "{doc}");
    assert!(doc["info"]["message"].is_string(), "{doc}");
    assert_eq!(doc["data"], json!({}), "{doc}");
    doc
}

/// Asserts a submission answer; the task id.
fn submitted(answer: &Answer) -> String {
    let doc = answer.json();
    assert_eq!(answer.status, StatusCode::OK, "{doc}");
    assert_eq!(doc["status"], true, "{doc}");
    assert_eq!(doc["info"], json!([]), "{doc}");
    let id = doc["data"]["task_id"]
        .as_str()
        .expect("a task id")
        .to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id} is a UUID");
    assert_eq!(doc["data"].as_object().unwrap().len(), 1, "{doc}");
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_asynchronous_route_queues_a_pending_task_of_its_type() {
    let nats = NatsServer::start();
    let service = harness::service(&nats).await;
    let app = app(&service, None);
    let mut routes: Vec<(Method, String, Value, JobType)> = JobType::ALL
        .into_iter()
        .map(|t| (Method::POST, format!("/api/jobs/{t}"), body_of(t), t))
        .collect();
    let (congest, congest_body) = example("congestion-relief");
    assert_eq!(congest, JobType::BodCongestReopt);
    let (reopt, reopt_body) = example("reopt-order-and-capacity");
    assert_eq!(reopt, JobType::BodReopt);
    assert!(reopt_body.get("congested_link").is_none());
    for (method, route, body, t) in [
        (
            Method::POST,
            "/api/pasta/async_bod_pasta",
            body_of(JobType::BodPasta),
            JobType::BodPasta,
        ),
        (
            Method::PUT,
            "/api/pasta/async_bod_pasta",
            body_of(JobType::BodModified),
            JobType::BodModified,
        ),
        (
            Method::POST,
            "/api/pasta/async_nonbod_pasta",
            body_of(JobType::NonbodPasta),
            JobType::NonbodPasta,
        ),
        (
            Method::POST,
            "/api/pasta/async_non_pasta",
            body_of(JobType::NonbodPasta),
            JobType::NonbodPasta,
        ),
        (
            Method::POST,
            "/api/reopt/async_bod_reoptimize",
            reopt_body.clone(),
            JobType::BodReopt,
        ),
        (
            Method::POST,
            "/api/reopt/async_bod_reoptimize",
            congest_body,
            JobType::BodCongestReopt,
        ),
        (
            Method::POST,
            "/api/reopt/async_nonbod_reoptimize",
            reopt_body,
            JobType::NonbodReopt,
        ),
    ] {
        routes.push((method, route.to_string(), body, t));
    }
    let mut ids = std::collections::BTreeSet::new();
    for (method, route, body, t) in &routes {
        let answer = send(&app, method.clone(), route, &[], body).await;
        let id = submitted(&answer);
        assert!(
            ids.insert(id.clone()),
            "{method} {route}: a new task each time"
        );
        let status = status_of(&app, &id, t.as_str()).await;
        let doc = status.json();
        assert_eq!(status.status, StatusCode::OK, "{method} {route}: {doc}");
        assert_eq!(doc["status"], true);
        assert_eq!(doc["data"]["task_id"], json!(id));
        assert_eq!(
            doc["data"]["task_state"], "PENDING",
            "{method} {route}: no worker runs"
        );
        assert_eq!(doc["data"]["task_status"], "PENDING");
        assert_eq!(doc["data"]["progress"]["stage"], "queued");
        // Asked as any other type, the task is a mismatch: its record holds exactly `t`.
        let other = if *t == JobType::NonbodPasta {
            JobType::BodPasta
        } else {
            JobType::NonbodPasta
        };
        let mismatch = status_of(&app, &id, other.as_str()).await;
        assert_error(&mismatch, StatusCode::BAD_REQUEST, "TYPE_MISMATCH");
    }
    assert_eq!(
        service.tasks.bus.queue_depth().await,
        Some(routes.len() as u64),
        "every submission queued exactly one job"
    );
}

/// The synchronous routes take an uploaded body by reference, as submission does, and refuse
/// a reference to anything but an upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synchronous_route_computes_an_uploaded_body_named_by_reference() {
    let nats = NatsServer::start();
    let service = harness::service(&nats).await;
    let app = app(&service, None);
    let seed = body_of(JobType::NonbodPasta);
    let upload = format!("body/{}", uuid::Uuid::new_v4());
    service
        .tasks
        .bus
        .put_blob(&upload, serde_json::to_vec(&seed).unwrap().into())
        .await
        .unwrap();
    let reference = json!({ "$ref": upload });
    let computed = send(
        &app,
        Method::POST,
        "/api/compute/nonbod_pasta",
        &[],
        &reference,
    )
    .await;
    assert_eq!(computed.status, StatusCode::OK);
    let expected = pasta::compute_value(JobType::NonbodPasta, &seed).unwrap();
    assert_eq!(timeless(&computed.json()["data"]), timeless(&expected));
    let other = json!({"$ref": "job/6f1c2a9e-8d4b-4c1a-9e2f-0a1b2c3d4e5f"});
    let refused = send(&app, Method::POST, "/api/compute/nonbod_pasta", &[], &other).await;
    assert_error(&refused, StatusCode::BAD_REQUEST, "INVALID_BODY");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_synchronous_route_answers_the_result_of_pasta_compute_and_queues_nothing() {
    let nats = NatsServer::start();
    let service = harness::service(&nats).await;
    let app = app(&service, None);
    let (congest, congest_body) = example("congestion-relief");
    assert_eq!(congest, JobType::BodCongestReopt);
    // (method, route, body, the type it must run as, a type it could be confused with)
    let mut routes: Vec<(Method, String, Value, JobType, Option<JobType>)> = JobType::ALL
        .into_iter()
        .map(|t| {
            (
                Method::POST,
                format!("/api/compute/{t}"),
                body_of(t),
                t,
                None,
            )
        })
        .collect();
    for (method, route, body, t, other) in [
        (
            Method::POST,
            "/api/pasta/bod_pasta",
            body_of(JobType::BodPasta),
            JobType::BodPasta,
            JobType::NonbodPasta,
        ),
        (
            Method::PUT,
            "/api/pasta/bod_pasta",
            body_of(JobType::BodModified),
            JobType::BodModified,
            JobType::BodPasta,
        ),
        (
            Method::POST,
            "/api/pasta/nonbod_pasta",
            body_of(JobType::BodPasta),
            JobType::NonbodPasta,
            JobType::BodPasta,
        ),
        (
            Method::POST,
            "/api/reopt/bod_reoptimize",
            body_of(JobType::BodReopt),
            JobType::BodReopt,
            JobType::NonbodReopt,
        ),
        (
            Method::POST,
            "/api/reopt/bod_reoptimize",
            congest_body,
            JobType::BodCongestReopt,
            JobType::BodReopt,
        ),
        (
            Method::POST,
            "/api/reopt/nonbod_reoptimize",
            body_of(JobType::BodReopt),
            JobType::NonbodReopt,
            JobType::BodReopt,
        ),
        (
            Method::POST,
            "/api/reopt/pasta_reoptimize",
            body_of(JobType::BodReopt),
            JobType::NonbodReopt,
            JobType::BodReopt,
        ),
    ] {
        routes.push((method, route.to_string(), body, t, Some(other)));
    }
    for (method, route, body, t, other) in &routes {
        let expected = timeless(&pasta::compute_value(*t, body).expect("a valid fixture"));
        if let Some(other) = other {
            // The fixture tells the two types apart, so a route running the wrong one fails.
            let confused = pasta::compute_value(*other, body)
                .map(|v| timeless(&v))
                .ok();
            assert_ne!(
                confused.as_ref(),
                Some(&expected),
                "{route}: {t} vs {other}"
            );
        }
        let answer = send(&app, method.clone(), route, &[], body).await;
        let doc = answer.json();
        assert_eq!(answer.status, StatusCode::OK, "{method} {route}: {doc}");
        assert!(answer.content_type.starts_with("application/json"));
        assert_eq!(doc["status"], true, "{method} {route}");
        assert_eq!(doc["info"], json!([]), "{method} {route}");
        assert_eq!(
            timeless(&doc["data"]),
            expected,
            "{method} {route} runs {t}"
        );
    }
    assert_eq!(
        service.tasks.bus.queue_depth().await,
        Some(0),
        "nothing queued"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_answers_404_for_an_unknown_task_and_400_for_a_bad_query() {
    let nats = NatsServer::start();
    let service = harness::service(&nats).await;
    let app = app(&service, None);
    let unknown = "0b6f6f3e-1111-4222-8333-444455556666";
    let doc = assert_error(
        &status_of(&app, unknown, "bod_pasta").await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    );
    assert!(doc["info"]["message"].as_str().unwrap().contains(unknown));
    for query in [
        "type=bod_pasta".to_string(),
        format!("task_id={unknown}"),
        "task_id=not-a-uuid&type=bod_pasta".to_string(),
        format!("task_id={unknown}&type=nope"),
        String::new(),
    ] {
        let answer = get(&app, &format!("/api/job/check_status?{query}")).await;
        let doc = assert_error(&answer, StatusCode::BAD_REQUEST, "BAD_REQUEST");
        assert!(
            !doc["info"]["message"].as_str().unwrap().is_empty(),
            "{query}"
        );
    }
    let missing = get(&app, "/api/job/check_status?type=bod_pasta")
        .await
        .json();
    assert!(missing["info"]["message"]
        .as_str()
        .unwrap()
        .contains("task_id"));
    let missing = get(&app, &format!("/api/job/check_status?task_id={unknown}"))
        .await
        .json();
    assert!(missing["info"]["message"]
        .as_str()
        .unwrap()
        .contains("type"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_of_a_task_asked_as_another_type_is_a_type_mismatch() {
    let nats = NatsServer::start();
    let service = harness::service(&nats).await;
    let app = app(&service, None);
    let id = submitted(
        &send(
            &app,
            Method::POST,
            "/api/jobs/nonbod_pasta",
            &[],
            &body("seed-example/request.json"),
        )
        .await,
    );
    let doc = assert_error(
        &status_of(&app, &id, "bod_pasta").await,
        StatusCode::BAD_REQUEST,
        "TYPE_MISMATCH",
    );
    let message = doc["info"]["message"].as_str().unwrap();
    assert!(
        message.contains("nonbod_pasta") && message.contains("bod_pasta"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_body_or_unknown_type_is_refused_with_400_and_nothing_is_queued() {
    let nats = NatsServer::start();
    let service = harness::service(&nats).await;
    let app = app(&service, None);
    let mut bad = body("seed-example/request.json");
    bad["sr_policy"]["headend"] = json!("P9");
    bad["global"]["flow_factor"] = json!(-1);
    for (method, route) in [
        (Method::POST, "/api/jobs/bod_pasta"),
        (Method::POST, "/api/pasta/async_bod_pasta"),
        (Method::POST, "/api/compute/bod_pasta"),
        (Method::POST, "/api/pasta/bod_pasta"),
    ] {
        let answer = send(&app, method, route, &[], &bad).await;
        let doc = assert_error(&answer, StatusCode::BAD_REQUEST, "INVALID_BODY");
        let paths: Vec<&str> = doc["info"]["problems"]
            .as_array()
            .expect("problems listed")
            .iter()
            .map(|p| {
                assert!(p["message"].is_string(), "{p}");
                p["path"].as_str().unwrap()
            })
            .collect();
        assert!(paths.contains(&"sr_policy.headend"), "{route}: {paths:?}");
        assert!(paths.contains(&"global.flow_factor"), "{route}: {paths:?}");
    }
    let not_json = call(
        &app,
        Method::POST,
        "/api/jobs/bod_pasta",
        &[],
        Body::from("{"),
    )
    .await;
    assert_error(&not_json, StatusCode::BAD_REQUEST, "INVALID_BODY");
    for route in ["/api/jobs/nope", "/api/compute/nope"] {
        let answer = send(
            &app,
            Method::POST,
            route,
            &[],
            &body("seed-example/request.json"),
        )
        .await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    }
    assert_eq!(
        service.tasks.bus.queue_depth().await,
        Some(0),
        "nothing queued"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_id_header_reused_with_another_body_is_a_409_conflict() {
    let nats = NatsServer::start();
    let service = harness::service(&nats).await;
    let app = app(&service, None);
    let id = "6f1c2a9e-8d4b-4c1a-9e2f-0a1b2c3d4e5f";
    let seed = body("seed-example/request.json");
    let header = [("Pasta-Task-Id", id)];
    let first = send(&app, Method::POST, "/api/jobs/nonbod_pasta", &header, &seed).await;
    assert_eq!(submitted(&first), id, "the client's id is the task's");
    let again = send(
        &app,
        Method::POST,
        "/api/pasta/async_nonbod_pasta",
        &header,
        &seed,
    )
    .await;
    assert_eq!(submitted(&again), id, "the same body answers the same task");
    let mut other = seed.clone();
    other["sr_policy"]["tailend"] = json!("P6");
    let conflict = send(
        &app,
        Method::POST,
        "/api/jobs/nonbod_pasta",
        &header,
        &other,
    )
    .await;
    assert_error(&conflict, StatusCode::CONFLICT, "CONFLICT");
    let other_type = send(&app, Method::POST, "/api/jobs/bod_pasta", &header, &seed).await;
    assert_error(&other_type, StatusCode::CONFLICT, "CONFLICT");
    let bad_id = send(
        &app,
        Method::POST,
        "/api/jobs/nonbod_pasta",
        &[("Pasta-Task-Id", "*")],
        &seed,
    )
    .await;
    assert_error(&bad_id, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    let status = status_of(&app, id, "nonbod_pasta").await.json();
    assert_eq!(status["data"]["task_state"], "PENDING");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_one_byte_over_the_limit_is_413_too_large() {
    let nats = NatsServer::start();
    let mut service = harness::service(&nats).await;
    let seed = serde_json::to_vec(&body("seed-example/request.json")).unwrap();
    service.max_body = seed.len() - 1;
    let small = app(&service, None);
    service.max_body = seed.len();
    let exact = app(&service, None);
    for route in [
        "/api/jobs/nonbod_pasta",
        "/api/pasta/async_nonbod_pasta",
        "/api/compute/nonbod_pasta",
        "/api/pasta/nonbod_pasta",
    ] {
        let refused = call(&small, Method::POST, route, &[], Body::from(seed.clone())).await;
        let doc = assert_error(&refused, StatusCode::PAYLOAD_TOO_LARGE, "TOO_LARGE");
        let limit = (seed.len() - 1).to_string();
        assert!(
            doc["info"]["message"].as_str().unwrap().contains(&limit),
            "{doc}"
        );
        let accepted = call(&exact, Method::POST, route, &[], Body::from(seed.clone())).await;
        assert_eq!(
            accepted.status,
            StatusCode::OK,
            "{route}: at the limit is accepted"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_guards_every_route_but_healthz() {
    let nats = NatsServer::start();
    let service = harness::service(&nats).await;
    let app = app(&service, Some("s3cret"));
    let seed = body("seed-example/request.json");
    for headers in [
        vec![],
        vec![("Authorization", "Bearer wrong")],
        vec![("Authorization", "s3cret")],
        vec![("Authorization", "Basic s3cret")],
    ] {
        for route in [
            "/api/jobs/nonbod_pasta",
            "/api/compute/nonbod_pasta",
            "/api/pasta/async_bod_pasta",
        ] {
            let answer = send(&app, Method::POST, route, &headers, &seed).await;
            assert_error(&answer, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
        }
        let status = call(
            &app,
            Method::GET,
            "/api/job/check_status?task_id=x&type=y",
            &headers,
            Body::empty(),
        )
        .await;
        assert_error(&status, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
        let metrics = call(&app, Method::GET, "/metrics", &headers, Body::empty()).await;
        assert_eq!(metrics.status, StatusCode::UNAUTHORIZED, "{headers:?}");
    }
    assert_eq!(
        service.tasks.bus.queue_depth().await,
        Some(0),
        "nothing queued unauthorised"
    );
    let good = [("Authorization", "Bearer s3cret")];
    let id = submitted(&send(&app, Method::POST, "/api/jobs/nonbod_pasta", &good, &seed).await);
    let status = call(
        &app,
        Method::GET,
        &format!("/api/job/check_status?task_id={id}&type=nonbod_pasta"),
        &good,
        Body::empty(),
    )
    .await;
    assert_eq!(status.status, StatusCode::OK);
    let computed = send(
        &app,
        Method::POST,
        "/api/compute/nonbod_pasta",
        &good,
        &seed,
    )
    .await;
    assert_eq!(computed.status, StatusCode::OK);
    let metrics = call(&app, Method::GET, "/metrics", &good, Body::empty()).await;
    assert_eq!(metrics.status, StatusCode::OK);
    // The scheme is case-insensitive; the token is not.
    for (value, expected) in [
        ("bearer s3cret", StatusCode::OK),
        ("BEARER s3cret", StatusCode::OK),
        ("Bearer S3CRET", StatusCode::UNAUTHORIZED),
    ] {
        let headers = [("Authorization", value)];
        let metrics = call(&app, Method::GET, "/metrics", &headers, Body::empty()).await;
        assert_eq!(metrics.status, expected, "{value}");
    }
    let health = get(&app, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK, "healthz needs no token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_reports_the_nats_connection() {
    let nats = NatsServer::start();
    let service = harness::service(&nats).await;
    let answer = get(&app(&service, None), "/healthz").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json(), json!({"status": "ok", "nats": "connected"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_submissions_and_rejections_in_prometheus_text() {
    let nats = NatsServer::start();
    let service = harness::service(&nats).await;
    let app = app(&service, None);
    let seed = body("seed-example/request.json");
    for _ in 0..2 {
        submitted(&send(&app, Method::POST, "/api/jobs/nonbod_pasta", &[], &seed).await);
    }
    let answer = send(
        &app,
        Method::POST,
        "/api/jobs/bod_pasta",
        &[],
        &json!({"nodes": 3}),
    )
    .await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "INVALID_BODY");
    let metrics = get(&app, "/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.content_type.starts_with("text/plain"),
        "{}",
        metrics.content_type
    );
    let text = String::from_utf8(metrics.body.to_vec()).expect("text");
    for line in [
        "# TYPE pasta_jobs_submitted_total counter",
        "pasta_jobs_submitted_total{type=\"nonbod_pasta\"} 2",
        "pasta_submissions_rejected_total{code=\"INVALID_BODY\"} 1",
        "pasta_queue_depth 2",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line:?} missing from:\n{text}"
        );
    }
    assert!(
        !text.contains("type=\"bod_pasta\"} "),
        "a refused body is not a submission:\n{text}"
    );
}

/// One keep-alive HTTP/1.1 connection to the bridge, through hyper's connection-level client:
/// every request goes over this one connection, so a bridge that closed it fails the next one.
struct Http1 {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Http1 {
    async fn connect(addr: SocketAddr) -> Http1 {
        let stream = TcpStream::connect(addr)
            .await
            .expect("the bridge accepts connections");
        stream.set_nodelay(true).unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("an HTTP/1.1 connection");
        tokio::spawn(connection);
        Http1 {
            sender,
            host: addr.to_string(),
        }
    }

    /// Sends one request and reads its answer: status code and JSON body.
    async fn send(&mut self, method: Method, path: &str, body: &[u8]) -> (u16, Value) {
        tokio::time::timeout(Duration::from_secs(10), self.exchange(method, path, body))
            .await
            .expect("an answer in time")
    }

    async fn exchange(&mut self, method: Method, path: &str, body: &[u8]) -> (u16, Value) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, &self.host)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::copy_from_slice(body)))
            .expect("a request");
        self.sender
            .ready()
            .await
            .expect("the connection is still open");
        let response = self.sender.send_request(request).await.expect("an answer");
        let code = response.status().as_u16();
        let content = response
            .into_body()
            .collect()
            .await
            .expect("a readable body")
            .to_bytes();
        (code, serde_json::from_slice(&content).expect("a JSON body"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_posted_over_a_real_socket_runs_to_success() {
    let nats = NatsServer::start();
    let pasta = harness::start(
        &nats,
        Options {
            responder: false,
            ..Options::default()
        },
    )
    .await;
    let addr = pasta.http.expect("the bridge listens");
    let seed = body("seed-example/request.json");
    let mut http = Http1::connect(addr).await;
    let (code, answer) = http
        .send(
            Method::POST,
            "/api/pasta/async_nonbod_pasta",
            &serde_json::to_vec(&seed).unwrap(),
        )
        .await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["status"], true);
    let id = answer["data"]["task_id"]
        .as_str()
        .expect("a task id")
        .to_string();
    let path = format!("/api/job/check_status?task_id={id}&type=nonbod_pasta");
    let mut doc = Value::Null;
    for _ in 0..500 {
        // The same connection throughout: the bridge keeps it alive.
        let (code, d) = http.send(Method::GET, &path, b"").await;
        assert_eq!(code, 200, "{d}");
        doc = d;
        if doc["data"]["task_state"] != "PENDING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(doc["data"]["task_state"], "SUCCESS", "{doc}");
    assert_eq!(doc["data"]["task_id"], json!(id));
    let expected = pasta::compute_value(JobType::NonbodPasta, &seed).unwrap();
    assert_eq!(timeless(&doc["data"]["data"]), timeless(&expected));
    let (code, health) = http.send(Method::GET, "/healthz", b"").await;
    assert_eq!(
        (code, health),
        (200, json!({"status": "ok", "nats": "connected"}))
    );
    drop(http);
    pasta.stop().await;
}
