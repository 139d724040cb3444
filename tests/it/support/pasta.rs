//! pasta started in-process (the real `app::run`) against a test server, and client helpers.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_nats::HeaderMap;
use pasta::app::{self, Parts, Settings};
use pasta::bus::{BusSettings, Names};
use pasta::model::{JobType, Limits};
use pasta::task::delivery::STARTED_AFTER;
use pasta::task::worker::WorkerSettings;
use serde_json::{json, Value};
use tokio::sync::watch;

use super::nats::NatsServer;

/// What to start.
#[derive(Clone)]
pub struct Options {
    /// Run workers.
    pub workers: bool,
    /// Run the NATS service.
    pub responder: bool,
    /// Run the HTTP bridge.
    pub http: bool,
    /// Bus tunables.
    pub bus: BusSettings,
    /// Job time-out.
    pub job_timeout: Duration,
    /// HTTP bearer token.
    pub token: Option<String>,
    /// Prefix (default: unique per start).
    pub prefix: Option<String>,
    /// Credentials of the service's connection and of the test's client.
    pub auth: pasta::bus::Auth,
    /// Server URL(s) instead of the server's own (a cluster's list).
    pub url: Option<String>,
    /// How long a computation runs before its task is written STARTED (zero: always).
    pub started_after: Duration,
    /// Revisions of each held topology kept at least.
    pub topology_revisions: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            workers: true,
            responder: true,
            http: true,
            bus: BusSettings {
                ack_wait: Duration::from_secs(2),
                request_timeout: Duration::from_secs(2),
                ..BusSettings::default()
            },
            job_timeout: Duration::from_secs(20),
            token: None,
            prefix: None,
            auth: Default::default(),
            url: None,
            started_after: STARTED_AFTER,
            topology_revisions: 64,
        }
    }
}

/// A running pasta.
pub struct Pasta {
    /// A client connection of the test.
    pub client: async_nats::Client,
    /// Resource names.
    pub names: Names,
    /// The HTTP bridge's address.
    pub http: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh prefix, so that runs never see each other's resources.
pub fn unique_prefix() -> String {
    format!(
        "t{}x{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// Connects a client to a server.
pub async fn connect(nats: &NatsServer) -> async_nats::Client {
    connect_as(nats, &Default::default()).await
}

/// Connects a client with credentials.
pub async fn connect_as(nats: &NatsServer, auth: &pasta::bus::Auth) -> async_nats::Client {
    pasta::bus::connect(&nats.url(), auth)
        .await
        .expect("connected")
}

/// Starts pasta against `nats`.
pub async fn start(nats: &NatsServer, options: Options) -> Pasta {
    let prefix = options.prefix.clone().unwrap_or_else(unique_prefix);
    let names = Names::new(&prefix).unwrap();
    let settings = Settings {
        names: names.clone(),
        bus: options.bus.clone(),
        limits: Limits::default(),
        max_body: 64 << 20,
        body_memory: 1 << 30,
        admission_wait: Duration::from_secs(10),
        topology_cache: 256 << 20,
        topology_revisions: options.topology_revisions,
        job_timeout: options.job_timeout,
        started_after: options.started_after,
    };
    let (http, listener) = if options.http {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        (Some(l.local_addr().unwrap()), Some(l))
    } else {
        (None, None)
    };
    let parts = Parts {
        workers: options.workers.then(|| WorkerSettings {
            types: JobType::ALL.to_vec(),
            concurrency: 2,
        }),
        responder: options.responder,
        http: listener.map(|l| (l, options.token.clone())),
        metrics: None,
    };
    let url = options.url.clone().unwrap_or_else(|| nats.url());
    let service_client = pasta::bus::connect(&url, &options.auth)
        .await
        .expect("connected");
    // Provision before anyone submits: the same call app::run makes first.
    app::service(service_client.clone(), &settings, &[])
        .await
        .expect("provisioned");
    let (stop, shutdown) = watch::channel(false);
    let handle = tokio::spawn(app::run(service_client, settings, parts, shutdown));
    let client = pasta::bus::connect(&url, &options.auth)
        .await
        .expect("connected");
    if options.responder {
        wait_for_service(&client, &names).await;
    }
    Pasta {
        client,
        names,
        http,
        stop,
        handle,
    }
}

async fn wait_for_service(client: &async_nats::Client, names: &Names) {
    for _ in 0..200 {
        let probe = client
            .request(names.status_subject(), Bytes::from_static(b"{}"))
            .await;
        if probe.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the pasta service did not come up");
}

use bytes::Bytes;

impl Pasta {
    /// Stops every part and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(20), self.handle).await;
    }

    /// Submits over NATS; the answer document.
    pub async fn submit(&self, t: JobType, body: &Value, task_id: Option<&str>) -> Value {
        let mut headers = HeaderMap::new();
        if let Some(id) = task_id {
            headers.insert("Pasta-Task-Id", id);
        }
        self.request(
            self.names.submit_subject(t),
            headers,
            serde_json::to_vec(body).unwrap(),
        )
        .await
    }

    /// Asks the status over NATS.
    pub async fn status(&self, task_id: &str, t: &str) -> Value {
        let q = serde_json::to_vec(&json!({"task_id": task_id, "type": t})).unwrap();
        self.request(self.names.status_subject(), HeaderMap::new(), q)
            .await
    }

    /// A NATS request answered with JSON.
    pub async fn request(&self, subject: String, headers: HeaderMap, payload: Vec<u8>) -> Value {
        let answer = tokio::time::timeout(
            Duration::from_secs(10),
            self.client
                .request_with_headers(subject, headers, payload.into()),
        )
        .await
        .expect("answered in time")
        .expect("answered");
        serde_json::from_slice(&answer.payload).expect("JSON answer")
    }

    /// Polls the status until the task is final; the status document. A query that gets no
    /// answer (a reconnecting responder, a server being restarted) is asked again.
    pub async fn wait_final(&self, task_id: &str, t: &str) -> Value {
        let q = serde_json::to_vec(&json!({"task_id": task_id, "type": t})).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let mut last = Value::Null;
        while std::time::Instant::now() < deadline {
            let answer = tokio::time::timeout(
                Duration::from_secs(2),
                self.client
                    .request(self.names.status_subject(), q.clone().into()),
            )
            .await;
            let Ok(Ok(answer)) = answer else {
                last = json!(format!("no answer: {answer:?}"));
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let doc: Value = serde_json::from_slice(&answer.payload).expect("JSON answer");
            let state = doc["data"]["task_state"].as_str().unwrap_or("");
            if state == "SUCCESS" || state == "FAILURE" {
                return doc;
            }
            last = doc;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("task {task_id} did not finish in 60 s; last status: {last}");
    }
}

/// The service layer against `nats` under a fresh prefix, its resources provisioned, with no
/// worker, responder or bridge running: what the HTTP router is given (tests change its pub
/// fields, e.g. `max_body`, before building a router).
pub async fn service(nats: &NatsServer) -> pasta::service::Service {
    let settings = Settings {
        names: Names::new(&unique_prefix()).unwrap(),
        bus: Options::default().bus,
        limits: Limits::default(),
        max_body: 64 << 20,
        body_memory: 1 << 30,
        admission_wait: Duration::from_secs(10),
        topology_cache: 256 << 20,
        topology_revisions: 64,
        job_timeout: Duration::from_secs(20),
        started_after: STARTED_AFTER,
    };
    app::service(connect(nats).await, &settings, &[])
        .await
        .expect("provisioned")
}
