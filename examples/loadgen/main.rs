//! Load generator over the bus: how many small jobs pasta completes per second end to end, how
//! long one job takes from submission to its SUCCESS event, how fast a status query answers.
//!
//! ```text
//! cargo run --release --example loadgen -- --url nats://127.0.0.1:4222 [--prefix pasta]
//!     [--jobs 20000] [--concurrency 256] [--mode all|throughput|latency|status|floor|ceiling|held|ui]
//!     [--samples 500] [--pause-ms 0] [--queries 5000] [--http 127.0.0.1:8080]
//!     [--time-limit 120] [--storage file|memory]
//! cargo run --release --example loadgen -- --embedded [--workers 2] ...
//! ```
//!
//! Against a running `pasta serve` (`--url`, `--http` for the bridge; credentials from
//! `PASTA_NATS_USER`/`PASTA_NATS_PASSWORD`, `PASTA_NATS_TOKEN` or `PASTA_NATS_CREDS`, as the
//! `pasta` command reads them), or `--embedded`: a
//! nats-server of its own on a free loopback port with a temporary store (`$PASTA_NATS_SERVER`
//! or the project's `.venv/bin/nats-server`, see scripts/setup) and pasta in-process through
//! `pasta::app::run`, so one command measures the whole thing.
//!
//! - `throughput`: `--jobs` copies of the seed example as `nonbod_pasta`, each with its own
//!   `Pasta-Task-Id`, submitted over request-reply by `--concurrency` submitters; completions
//!   counted from `<prefix>.events.nonbod_pasta.{success,failure}`. Jobs/s end to end = jobs /
//!   (last completion event − first submission).
//! - `latency`: one job at a time, `--samples` of them (`--pause-ms` apart; back to back by
//!   default): submission reply, submit → STARTED event and submit → SUCCESS event,
//!   p50/p90/p99.
//! - `status`: `--queries` status queries of one finished task over NATS request-reply and
//!   over HTTP GET (`/api/job/check_status`, one keep-alive connection), p50/p99.
//! - `floor`: what the bus itself costs here, the unit the others are made of (`--pause-ms`
//!   apart too): a core NATS
//!   request-reply to an echo responder (on the requester's connection, and on a second one,
//!   as a service answers a client), one JetStream publish awaited until acked (a temporary
//!   stream, deleted after), one KV read of the task bucket; p50/p99.
//! - `ceiling` (only when asked for): the throughput mode, then the latency mode, against a
//!   skeleton service doing exactly the bus operations of pasta's jobs and nothing else
//!   (`ceiling.rs`): the rate and the round trip the bus allows any implementation of the
//!   contract on this machine. `--storage memory` keeps
//!   the skeleton's streams and bucket in memory: no disk at all, a bound on every storage
//!   setting.
//!
//! One file per mode (`throughput.rs`, `latency.rs`, `status.rs`, `floor.rs`, `ceiling.rs`),
//! `embedded.rs` for `--embedded`, `stats.rs` for CPU time and percentiles; this file reads the
//! arguments, runs the modes asked for and prints the table.
//!
//! Throughput, latency and ceiling also report the CPU time spent per job (Linux `/proc`): this process
//! (the load generator, and pasta when embedded) and the embedded nats-server; with
//! `--embedded`, the messages per job through nats-server too (`messages.rs`). The embedded
//! setup is loopback only; every mode stops after its count or `--time-limit` seconds, whichever
//! comes first.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use async_nats::jetstream::stream::StorageType;
use bytes::Bytes;
use clap::{Parser, ValueEnum};
use pasta::bus::Names;
use pasta::model::JobType;
use serde_json::Value;

mod ceiling;
#[path = "../../benches/support/chromium.rs"]
mod chromium;
mod embedded;
mod floor;
#[path = "../../benches/support/gen.rs"]
mod gen;
mod held;
mod latency;
mod messages;
mod stats;
mod status;
mod throughput;
mod ui;

use embedded::Embedded;
use floor::floor;
use latency::latency;
use stats::Cpu;
use status::status;
use throughput::throughput;

/// The allocator of `pasta` itself (src/main.rs), so that `--embedded` measures what `pasta serve` does.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The job type every mode submits.
const TYPE: JobType = JobType::NonbodPasta;

/// What to measure, against what.
#[derive(Parser, Debug)]
#[command(about = "Load generator for pasta over NATS (and its HTTP bridge)")]
pub(crate) struct Args {
    /// NATS URL of a running pasta (ignored with --embedded).
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    url: String,
    /// pasta's prefix.
    #[arg(long, default_value = "pasta")]
    prefix: String,
    /// Jobs of the throughput mode.
    #[arg(long, default_value_t = 20_000)]
    jobs: usize,
    /// Submissions in flight at once (throughput mode).
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// What to measure.
    #[arg(long, value_enum, default_value_t = Mode::All)]
    mode: Mode,
    /// Jobs of the latency mode (one at a time).
    #[arg(long, default_value_t = 500)]
    samples: usize,
    /// Pause before each job of the latency mode and each operation of the floor mode,
    /// milliseconds (0: back to back; a pause lets the machine go idle in between, and waking
    /// it costs time too).
    #[arg(long, default_value_t = 0)]
    pause_ms: u64,
    /// Queries of the status mode, per transport.
    #[arg(long, default_value_t = 5_000)]
    queries: usize,
    /// The HTTP bridge of a running pasta (ignored with --embedded).
    #[arg(long, default_value = "127.0.0.1:8080")]
    http: String,
    /// Start a nats-server and pasta in-process instead of using a running one.
    #[arg(long)]
    embedded: bool,
    /// The embedded nats-server syncs every write before acknowledging it (the durable
    /// profile, deploy/durable/nats.conf).
    #[arg(long)]
    sync_always: bool,
    /// Worker concurrency of the embedded pasta (default: one per core, as `pasta serve`).
    #[arg(long)]
    workers: Option<usize>,
    /// Upper bound of each mode, seconds.
    #[arg(long, default_value_t = 120)]
    time_limit: u64,
    /// The body to submit (default: the seed example).
    #[arg(long)]
    body: Option<PathBuf>,
    /// Where the ceiling mode's skeleton keeps its streams and bucket. `memory` removes the
    /// disk altogether: the rate it reaches bounds every storage setting from above (pasta
    /// itself always uses file storage).
    #[arg(long, value_enum, default_value_t = Storage::File)]
    storage: Storage,
    /// Routers of the held mode's topology.
    #[arg(long, default_value_t = 1000)]
    nodes: usize,
    /// Changes of the held mode (each followed by a job).
    #[arg(long, default_value_t = 50)]
    changes: usize,
    /// A running `pasta serve` whose memory the held mode reports.
    #[arg(long)]
    pasta_pid: Option<u32>,
}

/// The ceiling skeleton's storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Storage {
    File,
    Memory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    All,
    Throughput,
    Latency,
    Status,
    Floor,
    Ceiling,
    Held,
    Ui,
}

/// One line of the final table.
struct Row {
    mode: &'static str,
    measure: String,
    value: String,
}

fn row(mode: &'static str, measure: impl Into<String>, value: impl Into<String>) -> Row {
    Row {
        mode,
        measure: measure.into(),
        value: value.into(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    // Interrupted, the measurement is dropped, and with it the embedded nats-server child.
    tokio::select! {
        measured = measure(args) => measured,
        signal = interrupted() => bail!("interrupted by {signal}"),
    }
}

/// Waits for SIGINT or SIGTERM; the signal's name.
async fn interrupted() -> &'static str {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

/// Runs the chosen modes and prints the table.
async fn measure(args: Args) -> anyhow::Result<()> {
    let body_path = args.body.clone().unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed-example/request.json")
    });
    let text = std::fs::read(&body_path).with_context(|| body_path.display().to_string())?;
    // Compact, as a controller would send it.
    let body = Bytes::from(serde_json::to_vec(&serde_json::from_slice::<Value>(
        &text,
    )?)?);
    let limit = Duration::from_secs(args.time_limit);

    let embedded = if args.embedded {
        Some(Embedded::start(&args).await?)
    } else {
        None
    };
    let (url, prefix, http) = match &embedded {
        Some(e) => (e.url.clone(), e.prefix.clone(), e.http.to_string()),
        None => (args.url.clone(), args.prefix.clone(), args.http.clone()),
    };
    let names = Names::new(&prefix)?;
    // Credentials as the `pasta` command reads them (none for the embedded server).
    let auth = match &embedded {
        Some(_) => pasta::bus::Auth::default(),
        None => pasta::bus::Auth {
            user: std::env::var("PASTA_NATS_USER").ok(),
            password: std::env::var("PASTA_NATS_PASSWORD").ok(),
            token: std::env::var("PASTA_NATS_TOKEN").ok(),
            creds_file: std::env::var("PASTA_NATS_CREDS").ok(),
            nkey_seed: std::env::var("PASTA_NATS_NKEY").ok(),
            tls_ca: std::env::var("PASTA_NATS_TLS_CA").ok(),
            tls_cert: std::env::var("PASTA_NATS_TLS_CERT").ok(),
            tls_key: std::env::var("PASTA_NATS_TLS_KEY").ok(),
            inbox_prefix: std::env::var("PASTA_NATS_INBOX_PREFIX").ok(),
        },
    };
    let client = pasta::bus::connect(&url, &auth)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    // The service must answer before anything is measured.
    let probe = client
        .request(names.status_subject(), Bytes::from_static(b"{}"))
        .await;
    if probe.is_err() {
        bail!("no pasta service answers on {}", names.status_subject());
    }
    eprintln!(
        "loadgen: {} ({}), prefix {prefix}, body {} bytes",
        url,
        match &embedded {
            Some(e) => format!("embedded, {} workers", e.workers),
            None => "running pasta".into(),
        },
        body.len()
    );

    let server_pid = embedded.as_ref().and_then(|e| e.child.id());
    let mut rows = Vec::new();
    let monitor = embedded.as_ref().map(|e| e.monitor);
    if matches!(args.mode, Mode::All | Mode::Throughput) {
        let cpu = Cpu::now(server_pid);
        let messages = messages_now(monitor).await?;
        let (r, jobs) = throughput(
            "throughput",
            &client,
            &names,
            &body,
            args.jobs,
            args.concurrency,
            limit,
        )
        .await?;
        rows.extend(r);
        rows.extend(cpu.per_job("throughput", jobs));
        if let Some(m) = messages {
            rows.push(m.per_job("throughput", jobs).await?);
        }
    }
    if matches!(args.mode, Mode::All | Mode::Latency) {
        let cpu = Cpu::now(server_pid);
        let messages = messages_now(monitor).await?;
        let pause = Duration::from_millis(args.pause_ms);
        let (r, jobs) = latency(
            "latency",
            &client,
            &names,
            &body,
            args.samples,
            pause,
            limit,
        )
        .await?;
        rows.extend(r);
        rows.extend(cpu.per_job("latency", jobs));
        if let Some(m) = messages {
            rows.push(m.per_job("latency", jobs).await?);
        }
    }
    if matches!(args.mode, Mode::All | Mode::Status) {
        rows.extend(status(&client, &names, &body, &http, args.queries, limit).await?);
    }
    if matches!(args.mode, Mode::Ceiling) {
        // As many jobs in flight as pasta's workers hold.
        let slots =
            embedded.as_ref().map(|e| e.workers).unwrap_or(2) * pasta::task::worker::IO_FACTOR;
        let storage = match args.storage {
            Storage::File => StorageType::File,
            Storage::Memory => StorageType::Memory,
        };
        let (skeleton, mut tasks) =
            ceiling::start(&url, &auth, &prefix, &body, slots, storage).await?;
        let cpu = Cpu::now(server_pid);
        let messages = messages_now(monitor).await?;
        let (r, jobs) = throughput(
            "ceiling",
            &client,
            &skeleton,
            &body,
            args.jobs,
            args.concurrency,
            limit,
        )
        .await?;
        rows.extend(r);
        rows.extend(cpu.per_job("ceiling", jobs));
        if let Some(m) = messages {
            rows.push(m.per_job("ceiling", jobs).await?);
        }
        // One job at a time too: the round trip's floor, beside the latency mode's.
        let pause = Duration::from_millis(args.pause_ms);
        let (r, _) = latency(
            "ceiling",
            &client,
            &skeleton,
            &body,
            args.samples,
            pause,
            limit,
        )
        .await?;
        rows.extend(r);
        tasks.abort_all();
    }
    if matches!(args.mode, Mode::Held) {
        rows.extend(
            held::held(held::Held {
                client: &client,
                names: &names,
                nodes: args.nodes,
                samples: args.samples,
                changes: args.changes,
                jobs: args.jobs,
                concurrency: args.concurrency,
                limit,
                pid: args.pasta_pid,
            })
            .await?,
        );
    }
    if matches!(args.mode, Mode::Ui) {
        rows.extend(
            ui::ui(ui::Ui {
                client: &client,
                names: &names,
                http: &http,
                nodes: args.nodes,
                samples: args.samples,
            })
            .await?,
        );
    }
    if matches!(args.mode, Mode::All | Mode::Floor) {
        let pause = Duration::from_millis(args.pause_ms);
        let other = pasta::bus::connect(&url, &auth).await?;
        rows.extend(floor(&client, &other, &names, args.queries, pause, limit).await?);
    }
    client.flush().await?;
    print_table(&rows);
    if let Some(e) = embedded {
        e.stop().await;
    }
    Ok(())
}

/// The embedded nats-server's message counts now (none without `--embedded`).
async fn messages_now(
    monitor: Option<std::net::SocketAddr>,
) -> anyhow::Result<Option<messages::Messages>> {
    match monitor {
        Some(m) => Ok(Some(messages::Messages::now(m).await?)),
        None => Ok(None),
    }
}

fn print_table(rows: &[Row]) {
    let w = rows
        .iter()
        .map(|r| r.measure.chars().count())
        .max()
        .unwrap_or(0);
    println!("{:<11} {:<w$}  value", "mode", "measure");
    println!("{:<11} {:<w$}  -----", "----", "-------");
    for r in rows {
        println!("{:<11} {:<w$}  {}", r.mode, r.measure, r.value);
    }
}
