//! Wiring: the parts of the service started over one connection, stopped by one signal.
//!
//! `run` receives a connected client, an optional bound listener and a shutdown signal, so tests
//! pass their own server and port 0.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::info;

use crate::bus::{self, Bus, BusSettings, Names};
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::model::{JobType, Limits};
use crate::service::{Admission, Service};
use crate::task::handoff::Handoff;
use crate::task::held::Held;
use crate::task::replica::Replica;
use crate::task::worker::{self, WorkerSettings};
use crate::task::Tasks;

/// Which parts to run in this process.
pub struct Parts {
    /// Compute workers.
    pub workers: Option<WorkerSettings>,
    /// The NATS service (submit and status endpoints).
    pub responder: bool,
    /// The HTTP bridge on this listener, with an optional bearer token.
    pub http: Option<(tokio::net::TcpListener, Option<String>)>,
    /// `/metrics` alone on this listener (for processes without the bridge).
    pub metrics: Option<tokio::net::TcpListener>,
}

/// Service-wide settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Resource names.
    pub names: Names,
    /// Bus tunables.
    pub bus: BusSettings,
    /// Request limits.
    pub limits: Limits,
    /// Largest body, bytes.
    pub max_body: usize,
    /// Memory bodies may take while read and parsed, bytes (see [`crate::service::admission`]).
    pub body_memory: usize,
    /// How long an HTTP request waits for room in that budget.
    pub admission_wait: Duration,
    /// Memory for parsed revisions of held topologies, bytes.
    pub topology_cache: usize,
    /// Revisions of each held topology kept at least.
    pub topology_revisions: u64,
    /// Time-out of one job.
    pub job_timeout: Duration,
    /// How long a computation may run before its task is written STARTED.
    pub started_after: Duration,
}

/// Memory for the held topology revisions a process keeps parsed, MiB, unless configured
/// (`PASTA_TOPOLOGY_CACHE_MB`).
pub const TOPOLOGY_CACHE_MB: usize = 128;

impl Settings {
    /// The defaults of every setting, under `names`: what `pasta serve` runs with when nothing
    /// is configured.
    pub fn defaults(names: Names) -> Settings {
        Settings {
            names,
            bus: BusSettings::default(),
            limits: Limits::default(),
            max_body: 64 << 20,
            body_memory: 2 << 30,
            topology_cache: TOPOLOGY_CACHE_MB << 20,
            topology_revisions: 64,
            admission_wait: Duration::from_secs(10),
            job_timeout: Duration::from_secs(300),
            started_after: crate::task::delivery::STARTED_AFTER,
        }
    }
}

/// Opens the bus (provisioning it) and builds the service layer.
/// `local_types`: the job types this process's workers serve (their jobs are handed over parsed,
/// see [`crate::task::handoff`]).
pub async fn service(
    client: async_nats::Client,
    settings: &Settings,
    local_types: &[JobType],
) -> anyhow::Result<Service> {
    let bus = Arc::new(Bus::open(client, settings.names.clone(), settings.bus.clone()).await?);
    let held = Held::new(
        bus.clone(),
        settings.limits.clone(),
        settings.topology_cache,
    );
    let tasks = Tasks {
        bus,
        held: Arc::new(held),
        limits: settings.limits.clone(),
        job_timeout: settings.job_timeout,
        started_after: settings.started_after,
        metrics: Arc::new(Metrics::default()),
        handoff: Arc::new(Handoff::new(local_types)),
        cancelled: Arc::default(),
    };
    Ok(Service {
        tasks,
        max_body: settings.max_body,
        replica: None,
        recent: None,
        admission: Admission::new(settings.body_memory, settings.admission_wait),
        topology_revisions: settings.topology_revisions,
    })
}

/// Runs the parts until `shutdown` turns true, then waits for each to finish its work and
/// drains the connection.
pub async fn run(
    client: async_nats::Client,
    settings: Settings,
    parts: Parts,
    mut outer: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let local_types = parts.workers.as_ref().map(|w| w.types.clone());
    let mut service = service(
        client.clone(),
        &settings,
        local_types.as_deref().unwrap_or_default(),
    )
    .await?;
    // One signal fanned out: the caller's, or the failure of any part.
    let (stop, shutdown) = watch::channel(false);
    let stop = Arc::new(stop);
    if parts.responder || parts.http.is_some() {
        // Status answers for finished tasks from memory (`task::replica`).
        let (replica, recent) = Replica::follow(service.tasks.bus.clone(), shutdown.clone());
        service.replica = Some(replica);
        service.recent = Some(recent);
    }
    let forward = stop.clone();
    tokio::spawn(async move {
        let _ = outer.wait_for(|s| *s).await;
        let _ = forward.send(true);
    });
    let mut tasks: JoinSet<anyhow::Result<()>> = JoinSet::new();
    if let Some(w) = parts.workers {
        info!(types = ?w.types, concurrency = w.concurrency, "workers started");
        tasks.spawn(worker::run(service.tasks.clone(), w, shutdown.clone()));
    }
    if parts.responder {
        let (ready, registered) = tokio::sync::oneshot::channel();
        let (answering, shutdown) = (service.clone(), shutdown.clone());
        tasks.spawn(async move {
            let bus = answering.tasks.bus.clone();
            let handler = move |request| {
                let service = answering.clone();
                async move { service.answer(request).await }
            };
            bus::responder::run(&bus, handler, shutdown, ready).await
        });
        // The bridge's /healthz must not say ok before a NATS client can submit. A responder
        // that fails to start drops `ready`; its error comes out of the join below.
        if registered.await.is_ok() {
            info!(service = settings.names.prefix(), "NATS service started");
        }
    }
    if let Some((listener, token)) = parts.http {
        info!(addr = %listener.local_addr()?, "HTTP bridge listening");
        let state = AppState::new(service.clone(), token);
        tasks.spawn(http::run(state, listener, shutdown.clone()));
    }
    if let Some(listener) = parts.metrics {
        info!(addr = %listener.local_addr()?, "metrics served");
        tasks.spawn(http::run_metrics(
            service.clone(),
            listener,
            shutdown.clone(),
        ));
    }
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        let outcome = joined.map_err(anyhow::Error::from).and_then(|r| r);
        if let Err(e) = outcome {
            let _ = stop.send(true);
            first_error.get_or_insert(e);
        }
    }
    let _ = client.drain().await;
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
