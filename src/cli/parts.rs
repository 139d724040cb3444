//! `pasta serve`, `worker`, `responder`, `http`: the service's parts, run until SIGINT or
//! SIGTERM, over one connection.

use std::path::Path;
use std::process::ExitCode;

use tokio::sync::watch;

use super::{url, HttpArgs, MetricsArgs, WorkerArgs};
use crate::app::{self, Parts};
use crate::bus::{self, Names};
use crate::config::{NatsArgs, ServiceArgs};
use crate::server::{self, EmbeddedServer};

/// `pasta serve`: every part in one process; without a NATS URL, with its own nats-server.
pub async fn serve(
    nats: &NatsArgs,
    service: &ServiceArgs,
    (http, workers): (&HttpArgs, &WorkerArgs),
    (nats_conf, data_dir): (&Path, &Path),
) -> anyhow::Result<ExitCode> {
    let mut embedded = None;
    let url = match &nats.nats_url {
        Some(url) => url.clone(),
        None => {
            let text = std::fs::read_to_string(nats_conf)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", nats_conf.display()))?;
            let port = server::config_port(&text);
            let s = EmbeddedServer::start(nats_conf, data_dir, port).await?;
            eprintln!(
                "pasta: started nats-server at {} (config {}, data in {})",
                s.url,
                nats_conf.display(),
                std::fs::canonicalize(&s.store_dir)
                    .unwrap_or(s.store_dir.clone())
                    .display()
            );
            let url = s.url.clone();
            embedded = Some(s);
            url
        }
    };
    let listener = tokio::net::TcpListener::bind(&http.http_addr)
        .await
        .map_err(|e| anyhow::anyhow!("binding {}: {e}", http.http_addr))?;
    let parts = Parts {
        workers: Some(workers.settings()?),
        responder: true,
        http: Some((listener, http.http_token.clone())),
        metrics: None,
    };
    let outcome = run(nats, service, &url, parts).await;
    if let Some(s) = embedded {
        s.stop().await;
    }
    outcome
}

/// `pasta worker`: compute workers only.
pub async fn worker(
    nats: &NatsArgs,
    service: &ServiceArgs,
    workers: &WorkerArgs,
    metrics: &MetricsArgs,
) -> anyhow::Result<ExitCode> {
    let parts = Parts {
        workers: Some(workers.settings()?),
        responder: false,
        http: None,
        metrics: metrics.listener().await?,
    };
    run(nats, service, &url(nats), parts).await
}

/// `pasta responder`: the NATS service only.
pub async fn responder(
    nats: &NatsArgs,
    service: &ServiceArgs,
    metrics: &MetricsArgs,
) -> anyhow::Result<ExitCode> {
    let parts = Parts {
        workers: None,
        responder: true,
        http: None,
        metrics: metrics.listener().await?,
    };
    run(nats, service, &url(nats), parts).await
}

/// `pasta http`: the HTTP bridge only.
pub async fn http(
    nats: &NatsArgs,
    service: &ServiceArgs,
    http: &HttpArgs,
) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(&http.http_addr)
        .await
        .map_err(|e| anyhow::anyhow!("binding {}: {e}", http.http_addr))?;
    let parts = Parts {
        workers: None,
        responder: false,
        http: Some((listener, http.http_token.clone())),
        metrics: None,
    };
    run(nats, service, &url(nats), parts).await
}

/// Connects, then runs `parts` until SIGINT or SIGTERM.
async fn run(
    nats: &NatsArgs,
    service: &ServiceArgs,
    url: &str,
    parts: Parts,
) -> anyhow::Result<ExitCode> {
    let client = bus::connect(url, &nats.auth()?).await?;
    let settings = service.settings(Names::new(&nats.prefix)?);
    let (stop, shutdown) = watch::channel(false);
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        eprintln!("pasta: stopping (finishing the jobs in progress)");
        let _ = stop.send(true);
    });
    app::run(client, settings, parts, shutdown).await?;
    Ok(ExitCode::SUCCESS)
}
