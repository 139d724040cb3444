//! Soak run: mixed jobs through real worker processes that are SIGKILLed and respawned at random,
//! then a check that every answered job finished SUCCESS with the right result, and a look at the
//! memory of one worker that is never killed.
//!
//! ```text
//! cargo build --release --bin pasta
//! cargo run --release --example soak -- [--jobs 3000] [--minutes 3] [--workers 3]
//!     [--concurrency 16] [--seed 24301] [--burst] [--drain-secs 120] [--log-dir DIR]
//! ```
//!
//! What it starts, all on loopback, all removed at the end (also on failure or panic: every child
//! is killed by a guard's `Drop`):
//!
//! - a nats-server (`$PASTA_NATS_SERVER`, else the project's `.venv/bin/nats-server`, see
//!   scripts/setup, else `nats-server` on the PATH) on a free port, its store in a temporary
//!   directory;
//! - the NATS service (submit and status) in-process, through `pasta::app::run` with
//!   `Parts { workers: None, responder: true, http: None }`;
//! - one long-lived worker process (`anchor`) that is never killed: its VmRSS is read from
//!   `/proc/<pid>/status` every second;
//! - `--workers` worker processes (`churn-N`) that are SIGKILLed, one at a time, every 1–5 s
//!   (chosen by a xorshift generator seeded with `--seed`) and respawned at once.
//!
//! Every worker is the release binary (`target/release/pasta`, or `--pasta-bin`/`$PASTA_BIN`),
//! started as `pasta worker --nats-url … --prefix … --ack-wait-secs 2 --concurrency 1`; build it
//! first (`cargo run --example` does not build the binary; a binary older than `src/` is
//! reported). Worker logs go to a temporary directory (or `--log-dir`, kept).
//!
//! `--jobs` jobs are submitted over NATS request-reply (`<prefix>.submit.<type>`) by
//! `--concurrency` submitters, cycling through every fixture body in `tests/fixtures`: the
//! seed example as `nonbod_pasta` and `bod_pasta`, each `contract-examples/*/request.json` with
//! its `type`, and every `bod_reopt` example also as `nonbod_reopt`. Each job has its own
//! `Pasta-Task-Id`; a submission answered `UNAVAILABLE` (or not answered) is retried with the same
//! id. Submissions are paced evenly over 90 % of `--minutes` (`--burst`: as fast as the
//! submitters go); at `--minutes` submitting stops. Then the status of every answered task is
//! polled until all are final or `--drain-secs` have passed.
//!
//! Paced at the defaults (about 17 jobs/s of millisecond jobs) the workers are idle nearly all the
//! time, so a kill seldom catches a job in flight: that run checks endurance and memory. To have
//! the kills land on jobs (redeliveries after the 2 s ack wait, `attempt > 1`), keep the workers
//! busy: `--burst`, e.g. `--jobs 30000 --burst`. The summary counts the redelivered tasks.
//!
//! Checks (the exit status is non-zero when one fails):
//! - every task whose submission was answered ends SUCCESS (none FAILURE, PENDING or NOT_FOUND);
//! - its result equals `pasta::compute_value(type, body)`, every `time` field removed;
//! - no submission was refused other than with `UNAVAILABLE`;
//! - no worker exited except by the soak's own SIGKILL, and the service is still running;
//! - the anchor's memory is flat: the last VmRSS sample is within 20 % of the sample taken after
//!   the first 20 % of the run.
//!
//! For a failed task the summary lists its id, type, fixture, state, the attempts seen in the
//! completion events and every worker log line naming it. Processes started by this program are
//! killed when it ends; if the program itself is SIGKILLed, its children are left behind.
//!
//! Here: the arguments and the run itself. `processes.rs` starts and kills the processes,
//! `cases.rs` reads the fixtures and compares results, `jobs.rs` submits, listens and drains,
//! `report.rs` prints the summary and decides the verdicts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use pasta::bus::Names;
use serde_json::Value;
use tokio::sync::watch;

use crate::cases::load_cases;
use crate::jobs::{drain, listen_events, start_service, submit_all, wait_for_service, Seen, Task};
use crate::processes::{
    lock, pasta_binary, read_logs, spawn_killer, spawn_sampler, start_nats, Fleet, FleetGuard,
};

mod cases;
mod jobs;
mod processes;
mod report;

/// Kill interval bounds, milliseconds.
pub(crate) const KILL_EVERY_MS: (u64, u64) = (1_000, 5_000);
/// Ack wait of every worker, seconds (a killed worker's job is redelivered after it).
pub(crate) const ACK_WAIT_SECS: u64 = 2;
/// Fraction of the run after which the reference memory sample is taken.
pub(crate) const WARM_UP: f64 = 0.2;
/// Longest wait for one request-reply.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Status queries in flight at once while draining.
pub(crate) const STATUS_CONCURRENCY: usize = 32;
/// Failed tasks described in full.
pub(crate) const SHOW_FAILURES: usize = 20;

/// A bounded soak run of pasta with worker processes killed at random.
#[derive(Parser, Debug)]
#[command(about = "Soak run: mixed jobs, worker processes SIGKILLed and respawned, checks")]
pub(crate) struct Args {
    /// Jobs submitted.
    #[arg(long, default_value_t = 3000)]
    pub(crate) jobs: usize,
    /// Upper bound of the submission phase, minutes (submissions are paced over 90 % of it).
    #[arg(long, default_value_t = 3.0)]
    pub(crate) minutes: f64,
    /// Worker processes that are killed and respawned (besides the long-lived one).
    #[arg(long, default_value_t = 3)]
    pub(crate) workers: usize,
    /// Submissions in flight at once.
    #[arg(long, default_value_t = 16)]
    pub(crate) concurrency: usize,
    /// Seed of the kill schedule.
    #[arg(long, default_value_t = 24301)]
    pub(crate) seed: u64,
    /// Submit as fast as the submitters go instead of pacing over the run.
    #[arg(long)]
    pub(crate) burst: bool,
    /// Longest wait for unfinished tasks after submitting stops, seconds.
    #[arg(long, default_value_t = 120)]
    pub(crate) drain_secs: u64,
    /// Allowed growth of the long-lived worker's VmRSS after warm-up, percent.
    #[arg(long, default_value_t = 20.0)]
    pub(crate) rss_tolerance: f64,
    /// The pasta binary (default: target/release/pasta of this repository).
    #[arg(long, env = "PASTA_BIN")]
    pub(crate) pasta_bin: Option<PathBuf>,
    /// The fixtures directory (default: tests/fixtures of this repository).
    #[arg(long)]
    pub(crate) fixtures: Option<PathBuf>,
    /// Keep the worker logs in `<DIR>/soak<pid>/` instead of a temporary directory.
    #[arg(long)]
    pub(crate) log_dir: Option<PathBuf>,
}

/// xorshift64*, seeded through splitmix64 (any seed, including 0, gives a good state).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `lo..=hi` (the modulo bias is irrelevant here).
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match soak(args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Everything the run observed, for the verdicts.
pub(crate) struct Observed {
    pub(crate) tasks: Vec<Task>,
    /// The last status document of every answered task (by index in `tasks`).
    pub(crate) docs: HashMap<usize, Value>,
    pub(crate) seen: HashMap<String, Seen>,
    /// Anchor VmRSS samples: seconds since the start, KiB.
    pub(crate) samples: Vec<(f64, u64)>,
    pub(crate) run_time: Duration,
    pub(crate) submitted_in: Duration,
    pub(crate) drained_in: Duration,
    pub(crate) kills: usize,
    pub(crate) spawned: usize,
    pub(crate) unexpected: Vec<String>,
    pub(crate) service_alive: bool,
    pub(crate) service_stopped: String,
    pub(crate) interrupted: bool,
    /// Worker logs: file name, text.
    pub(crate) logs: Vec<(String, String)>,
}

/// The whole run; `Ok(false)` when a check failed.
async fn soak(args: Args) -> anyhow::Result<bool> {
    if args.jobs == 0 || args.minutes <= 0.0 {
        bail!("--jobs and --minutes must be positive");
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = pasta_binary(&args, repo)?;
    let fixtures = args
        .fixtures
        .clone()
        .unwrap_or_else(|| repo.join("tests/fixtures"));
    let cases = Arc::new(load_cases(&fixtures)?);

    // Dropped in reverse order: workers, then nats-server, then the directory.
    let dir = tempfile::Builder::new().prefix("pasta-soak").tempdir()?;
    let prefix = format!("soak{}", std::process::id());
    let logs = match &args.log_dir {
        Some(d) => d.join(&prefix),
        None => dir.path().join("logs"),
    };
    std::fs::create_dir_all(&logs)?;
    let (mut nats, url) = start_nats(dir.path())?;
    let names = Names::new(&prefix)?;
    let (stop_service, mut service) = start_service(&url, &names).await?;
    let client = async_nats::ConnectOptions::new()
        .name("pasta-soak")
        .connect(&url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    wait_for_service(&client, &names).await?;
    let seen: Arc<Mutex<HashMap<String, Seen>>> = Arc::default();
    let listener = listen_events(&client, &prefix, seen.clone()).await?;

    let fleet = Arc::new(Mutex::new(Fleet {
        bin: bin.clone(),
        url: url.clone(),
        prefix: prefix.clone(),
        logs: logs.clone(),
        anchor: None,
        churn: Vec::new(),
        spawned: 0,
        kills: 0,
        unexpected: Vec::new(),
        closed: false,
    }));
    let _fleet_guard = FleetGuard(fleet.clone());
    let anchor_pid = lock(&fleet).start(args.workers)?;
    eprintln!(
        "soak: nats-server {url}, prefix {prefix}, anchor worker pid {anchor_pid} + {} churn \
         workers ({}), {} fixture cases, logs in {}",
        args.workers,
        bin.display(),
        cases.len(),
        logs.display()
    );
    let run_start = Instant::now();
    let (stop_tx, stop_rx) = watch::channel(false);
    let samples: Arc<Mutex<Vec<(f64, u64)>>> = Arc::default();
    let sampler = spawn_sampler(
        anchor_pid,
        fleet.clone(),
        samples.clone(),
        run_start,
        stop_rx.clone(),
    );
    let killer = spawn_killer(fleet.clone(), args.seed, args.workers, stop_rx);
    let interrupted = on_ctrl_c();

    let (tasks, submitted_in) = submit_all(&client, &names, &cases, &args, &interrupted).await?;
    eprintln!(
        "soak: {} submissions in {:.1} s; waiting for the tasks to finish (at most {} s)",
        tasks.len(),
        submitted_in.as_secs_f64(),
        args.drain_secs
    );
    let drain_start = Instant::now();
    let bound = Duration::from_secs(args.drain_secs);
    let docs = drain(&client, &names, &cases, &tasks, bound, &interrupted).await;
    let drained_in = drain_start.elapsed();
    let run_time = run_start.elapsed();

    // Stop the churn and the sampler, then the workers, the service and the server.
    let _ = stop_tx.send(true);
    let _ = killer.await;
    let _ = sampler.await;
    let service_alive = !service.is_finished();
    let (kills, spawned, unexpected) = {
        let mut f = lock(&fleet);
        let _ = f.reap();
        f.shutdown();
        (f.kills, f.spawned, f.unexpected.clone())
    };
    // Let the last completion events arrive.
    tokio::time::sleep(Duration::from_millis(200)).await;
    listener.abort();
    let _ = stop_service.send(true);
    let service_stopped = match tokio::time::timeout(Duration::from_secs(20), &mut service).await {
        Ok(Ok(Ok(()))) => "stopped cleanly".to_string(),
        Ok(Ok(Err(e))) => format!("ended with an error: {e:#}"),
        Ok(Err(e)) => format!("panicked: {e}"),
        Err(_) => {
            service.abort();
            "did not stop within 20 s".to_string()
        }
    };
    drop(client);
    nats.kill();

    let observed = Observed {
        tasks,
        docs,
        seen: lock(&seen).clone(),
        samples: lock(&samples).clone(),
        run_time,
        submitted_in,
        drained_in,
        kills,
        spawned,
        unexpected,
        service_alive,
        service_stopped,
        interrupted: interrupted.load(Ordering::SeqCst),
        logs: read_logs(&logs),
    };
    let passed = report::report(&args, &cases, &observed);
    if args.log_dir.is_none() && !passed {
        println!(
            "(the worker logs are removed with the temporary directory; pass --log-dir to keep \
             them)"
        );
    }
    drop(nats);
    drop(dir);
    Ok(passed)
}

/// A flag set by Ctrl-C: submitting and draining stop, the summary is still printed.
fn on_ctrl_c() -> Arc<AtomicBool> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("soak: interrupted; stopping");
            flag.store(true, Ordering::SeqCst);
        }
    });
    interrupted
}
