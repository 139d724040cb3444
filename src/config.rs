//! Settings from flags and the environment (every option is both), shared by the subcommands.

use std::time::Duration;

use clap::Args;

use crate::app::Settings;
use crate::bus::{Auth, BusSettings, Names};
use crate::model::Limits;

/// How to reach NATS and name the resources.
#[derive(Debug, Clone, Args)]
pub struct NatsArgs {
    /// NATS URL; `serve` starts its own nats-server when none is given.
    #[arg(long, env = "PASTA_NATS_URL")]
    pub nats_url: Option<String>,
    /// NATS user.
    #[arg(long, env = "PASTA_NATS_USER")]
    pub nats_user: Option<String>,
    /// NATS password.
    #[arg(long, env = "PASTA_NATS_PASSWORD", hide_env_values = true)]
    pub nats_password: Option<String>,
    /// NATS token.
    #[arg(long, env = "PASTA_NATS_TOKEN", hide_env_values = true)]
    pub nats_token: Option<String>,
    /// NATS credentials file.
    #[arg(long, env = "PASTA_NATS_CREDS")]
    pub nats_creds: Option<String>,
    /// NKey seed of the NATS user (the seed itself; see also `--nats-nkey-file`).
    #[arg(long, env = "PASTA_NATS_NKEY", hide_env_values = true)]
    pub nats_nkey: Option<String>,
    /// File holding the NKey seed of the NATS user.
    #[arg(long, env = "PASTA_NATS_NKEY_FILE")]
    pub nats_nkey_file: Option<String>,
    /// CA certificate (PEM) the NATS server's certificate must chain to (TLS required).
    #[arg(long, env = "PASTA_NATS_TLS_CA")]
    pub nats_tls_ca: Option<String>,
    /// Client certificate (PEM) for NATS servers that verify clients.
    #[arg(long, env = "PASTA_NATS_TLS_CERT")]
    pub nats_tls_cert: Option<String>,
    /// Key (PEM) of the client certificate.
    #[arg(long, env = "PASTA_NATS_TLS_KEY")]
    pub nats_tls_key: Option<String>,
    /// Prefix of this connection's reply inboxes (e.g. `_INBOX_pasta_client` with deploy/auth).
    #[arg(long, env = "PASTA_NATS_INBOX_PREFIX")]
    pub nats_inbox_prefix: Option<String>,
    /// Prefix of every subject, stream, bucket and of the NATS service name.
    #[arg(long, env = "PASTA_PREFIX", default_value = "pasta")]
    pub prefix: String,
}

impl NatsArgs {
    /// The credentials.
    pub fn auth(&self) -> anyhow::Result<Auth> {
        let nkey_seed = match (&self.nats_nkey, &self.nats_nkey_file) {
            (Some(seed), _) => Some(seed.clone()),
            (None, Some(file)) => Some(
                std::fs::read_to_string(file)
                    .map_err(|e| anyhow::anyhow!("reading the NKey seed {file}: {e}"))?,
            ),
            (None, None) => None,
        };
        Ok(Auth {
            user: self.nats_user.clone(),
            password: self.nats_password.clone(),
            token: self.nats_token.clone(),
            creds_file: self.nats_creds.clone(),
            nkey_seed,
            tls_ca: self.nats_tls_ca.clone(),
            tls_cert: self.nats_tls_cert.clone(),
            tls_key: self.nats_tls_key.clone(),
            inbox_prefix: self.nats_inbox_prefix.clone(),
        })
    }
}

/// How the service shapes and bounds its work.
#[derive(Debug, Clone, Args)]
pub struct ServiceArgs {
    /// Stream and bucket replicas (3 in a cluster).
    #[arg(long, env = "PASTA_REPLICAS", default_value_t = 1)]
    pub replicas: usize,
    /// Hours task records and results are kept.
    #[arg(long, env = "PASTA_RETENTION_HOURS", default_value_t = 24)]
    pub retention_hours: u64,
    /// Seconds one job may compute.
    #[arg(long, env = "PASTA_JOB_TIMEOUT_SECS", default_value_t = 300)]
    pub job_timeout_secs: u64,
    /// Milliseconds a computation may run before its task is written STARTED and announced;
    /// one that ends sooner goes straight from PENDING to its final state.
    #[arg(long, env = "PASTA_STARTED_AFTER_MS", default_value_t = 20)]
    pub started_after_ms: u64,
    /// Seconds without an ack before a job is redelivered.
    #[arg(long, env = "PASTA_ACK_WAIT_SECS", default_value_t = 30)]
    pub ack_wait_secs: u64,
    /// Deliveries of one job (the last only records GAVE_UP).
    #[arg(long, env = "PASTA_MAX_DELIVER", default_value_t = 10)]
    pub max_deliver: i64,
    /// Most jobs queued.
    #[arg(long, env = "PASTA_QUEUE_MAX", default_value_t = 100_000)]
    pub queue_max: i64,
    /// Largest body accepted, bytes (bodies over 1 MiB travel through the object store).
    #[arg(long, env = "PASTA_MAX_BODY", default_value_t = 64 << 20)]
    pub max_body: usize,
    /// Memory request bodies may take while read and parsed, MiB: each is charged 32 times its
    /// size; beyond the budget HTTP requests wait and NATS requests are refused (UNAVAILABLE).
    #[arg(long, env = "PASTA_BODY_MEMORY_MB", default_value_t = 2048)]
    pub body_memory_mb: usize,
    /// Memory for the held topologies' revisions a process keeps parsed, MiB.
    #[arg(long, env = "PASTA_TOPOLOGY_CACHE_MB", default_value_t = crate::app::TOPOLOGY_CACHE_MB)]
    pub topology_cache_mb: usize,
    /// Revisions of each held topology kept at least (besides those a task refers to).
    #[arg(long, env = "PASTA_TOPOLOGY_REVISIONS", default_value_t = 64)]
    pub topology_revisions: u64,
    /// Milliseconds an HTTP request waits for room in the body budget before 503.
    #[arg(long, env = "PASTA_ADMISSION_WAIT_MS", default_value_t = 10_000)]
    pub admission_wait_ms: u64,
    /// Most nodes of a body.
    #[arg(long, env = "PASTA_MAX_NODES", default_value_t = Limits::default().max_nodes)]
    pub max_nodes: usize,
    /// Most links of a body.
    #[arg(long, env = "PASTA_MAX_LINKS", default_value_t = Limits::default().max_links)]
    pub max_links: usize,
    /// Most policies of a list body.
    #[arg(long, env = "PASTA_MAX_POLICIES", default_value_t = Limits::default().max_policies)]
    pub max_policies: usize,
    /// Most algorithm entries.
    #[arg(long, env = "PASTA_MAX_ALGORITHMS", default_value_t = Limits::default().max_algorithms)]
    pub max_algorithms: usize,
    /// Largest `top`.
    #[arg(long, env = "PASTA_MAX_TOP", default_value_t = Limits::default().max_top)]
    pub max_top: u32,
    /// Most waypoints of a policy.
    #[arg(long, env = "PASTA_MAX_WAYPOINTS", default_value_t = Limits::default().max_waypoints)]
    pub max_waypoints: usize,
    /// Most elements of any other list of a body (exc, srlg, qos_class, prefix, path levels).
    #[arg(long, env = "PASTA_MAX_ITEMS", default_value_t = Limits::default().max_items)]
    pub max_items: usize,
}

impl ServiceArgs {
    /// The settings of the service's parts, under `names`.
    pub fn settings(&self, names: Names) -> Settings {
        Settings {
            names,
            bus: self.bus(),
            limits: self.limits(),
            max_body: self.max_body,
            body_memory: self.body_memory_mb.saturating_mul(1 << 20),
            topology_cache: self.topology_cache_mb.saturating_mul(1 << 20),
            topology_revisions: self.topology_revisions.max(1),
            admission_wait: Duration::from_millis(self.admission_wait_ms),
            job_timeout: Duration::from_secs(self.job_timeout_secs),
            started_after: Duration::from_millis(self.started_after_ms),
        }
    }

    /// The bus settings.
    pub fn bus(&self) -> BusSettings {
        BusSettings {
            replicas: self.replicas,
            retention: Duration::from_secs(self.retention_hours * 3600),
            job_max_age: Duration::from_secs(self.retention_hours * 3600 / 2),
            queue_max_msgs: self.queue_max,
            ack_wait: Duration::from_secs(self.ack_wait_secs.max(1)),
            max_deliver: self.max_deliver.max(2),
            ..BusSettings::default()
        }
    }

    /// The request limits.
    pub fn limits(&self) -> Limits {
        Limits {
            max_nodes: self.max_nodes,
            max_links: self.max_links,
            max_policies: self.max_policies,
            max_algorithms: self.max_algorithms,
            max_top: self.max_top,
            max_waypoints: self.max_waypoints,
            max_items: self.max_items,
        }
    }
}
