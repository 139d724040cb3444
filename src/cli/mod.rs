//! The command line's work, one module per kind of command: [`parts`] runs the service's parts
//! (`serve`, `worker`, `responder`, `http`), [`client`] is the client for people (`submit`,
//! `status`, `watch`), [`compute`] the offline computation. `src/main.rs` parses the command
//! line and calls these.

pub mod client;
pub mod compute;
pub mod parts;

use std::io::Read;

use clap::Args;

use crate::config::NatsArgs;
use crate::model::JobType;
use crate::task::worker::WorkerSettings;

/// Options of the HTTP bridge.
#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Address of the HTTP bridge.
    #[arg(long, env = "PASTA_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    pub http_addr: String,
    /// Bearer token the HTTP bridge requires (none: open).
    #[arg(long, env = "PASTA_HTTP_TOKEN", hide_env_values = true)]
    pub http_token: Option<String>,
}

/// Where a process without the bridge serves `/metrics`.
#[derive(Debug, Clone, Args)]
pub struct MetricsArgs {
    /// Address to serve `/metrics` on (none: not served).
    #[arg(long, env = "PASTA_METRICS_ADDR")]
    pub metrics_addr: Option<String>,
}

impl MetricsArgs {
    /// The listener of `/metrics`, when an address is given.
    pub async fn listener(&self) -> anyhow::Result<Option<tokio::net::TcpListener>> {
        let Some(addr) = &self.metrics_addr else {
            return Ok(None);
        };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("binding {addr}: {e}"))?;
        Ok(Some(listener))
    }
}

/// Options of the workers.
#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// Job types to serve (comma-separated; default all).
    #[arg(long, value_delimiter = ',')]
    pub types: Vec<String>,
    /// Jobs computed at once (default: one per core).
    #[arg(long, env = "PASTA_CONCURRENCY")]
    pub concurrency: Option<usize>,
}

impl WorkerArgs {
    /// The worker settings these options name.
    pub fn settings(&self) -> anyhow::Result<WorkerSettings> {
        let types = if self.types.is_empty() {
            JobType::ALL.to_vec()
        } else {
            self.types
                .iter()
                .map(|t| JobType::parse(t).ok_or_else(|| anyhow::anyhow!("unknown job type {t:?}")))
                .collect::<anyhow::Result<_>>()?
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(WorkerSettings {
            types,
            concurrency: self.concurrency.unwrap_or(cores),
        })
    }
}

/// The NATS URL configured, or the local default.
pub fn url(nats: &NatsArgs) -> String {
    nats.nats_url
        .clone()
        .unwrap_or_else(|| "nats://127.0.0.1:4222".into())
}

/// A body file's bytes, or standard input's for `-`.
pub fn read(file: &str) -> std::io::Result<Vec<u8>> {
    if file == "-" {
        let mut s = Vec::new();
        std::io::stdin().read_to_end(&mut s)?;
        Ok(s)
    } else {
        std::fs::read(file)
    }
}
