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
//! `--concurrency` submitters, cycling through every fixture body in `../shared/fixtures`: the
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

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context};
use async_nats::HeaderMap;
use bytes::Bytes;
use clap::Parser;
use futures::StreamExt;
use pasta::app::{self, Parts, Settings};
use pasta::bus::{BusSettings, Names, TASK_ID_HEADER};
use pasta::model::{JobType, Limits};
use serde_json::{json, Value};
use tokio::sync::watch;

/// Kill interval bounds, milliseconds.
const KILL_EVERY_MS: (u64, u64) = (1_000, 5_000);
/// Ack wait of every worker, seconds (a killed worker's job is redelivered after it).
const ACK_WAIT_SECS: u64 = 2;
/// Fraction of the run after which the reference memory sample is taken.
const WARM_UP: f64 = 0.2;
/// Longest wait for one request-reply.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Status queries in flight at once while draining.
const STATUS_CONCURRENCY: usize = 32;
/// Failed tasks described in full.
const SHOW_FAILURES: usize = 20;

/// A bounded soak run of pasta with worker processes killed at random.
#[derive(Parser, Debug)]
#[command(about = "Soak run: mixed jobs, worker processes SIGKILLed and respawned, checks")]
struct Args {
    /// Jobs submitted.
    #[arg(long, default_value_t = 3000)]
    jobs: usize,
    /// Upper bound of the submission phase, minutes (submissions are paced over 90 % of it).
    #[arg(long, default_value_t = 3.0)]
    minutes: f64,
    /// Worker processes that are killed and respawned (besides the long-lived one).
    #[arg(long, default_value_t = 3)]
    workers: usize,
    /// Submissions in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seed of the kill schedule.
    #[arg(long, default_value_t = 24301)]
    seed: u64,
    /// Submit as fast as the submitters go instead of pacing over the run.
    #[arg(long)]
    burst: bool,
    /// Longest wait for unfinished tasks after submitting stops, seconds.
    #[arg(long, default_value_t = 120)]
    drain_secs: u64,
    /// Allowed growth of the long-lived worker's VmRSS after warm-up, percent.
    #[arg(long, default_value_t = 20.0)]
    rss_tolerance: f64,
    /// The pasta binary (default: target/release/pasta of this repository).
    #[arg(long, env = "PASTA_BIN")]
    pasta_bin: Option<PathBuf>,
    /// The fixtures directory (default: ../shared/fixtures beside the repository).
    #[arg(long)]
    fixtures: Option<PathBuf>,
    /// Keep the worker logs in `<DIR>/soak<pid>/` instead of a temporary directory.
    #[arg(long)]
    log_dir: Option<PathBuf>,
}

// ---------------------------------------------------------------------------------------------
// Small utilities

/// xorshift64*, seeded through splitmix64 (any seed, including 0, gives a good state).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `lo..=hi` (the modulo bias is irrelevant here).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// A document with every `time` field removed (the one field that is not deterministic).
fn timeless(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "time")
                .map(|(k, v)| (k.clone(), timeless(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(timeless).collect()),
        other => other.clone(),
    }
}

/// The JSON pointer of the first difference between two documents, with both sides (shortened).
fn first_difference(got: &Value, want: &Value, at: &str) -> Option<String> {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                match g.get(k) {
                    Some(gv) => {
                        if let Some(d) = first_difference(gv, wv, &format!("{at}/{k}")) {
                            return Some(d);
                        }
                    }
                    None => return Some(format!("{at}/{k}: missing, want {}", short(wv))),
                }
            }
            g.keys()
                .find(|k| !w.contains_key(*k))
                .map(|k| format!("{at}/{k}: unexpected {}", short(&g[k])))
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => g
            .iter()
            .zip(w)
            .enumerate()
            .find_map(|(i, (gv, wv))| first_difference(gv, wv, &format!("{at}/{i}"))),
        _ if got == want => None,
        _ => Some(format!("{at}: got {}, want {}", short(got), short(want))),
    }
}

fn short(v: &Value) -> String {
    truncate(&v.to_string(), 160)
}

fn truncate(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_string(),
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The newest modification time of a file under `dir`.
fn newest_under(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let t = if path.is_dir() {
            newest_under(&path)
        } else {
            entry.metadata().and_then(|m| m.modified()).ok()
        };
        newest = newest.max(t);
    }
    newest
}

/// VmRSS of a process, KiB.
fn vm_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

// ---------------------------------------------------------------------------------------------
// Processes

/// A child process killed (SIGKILL) and reaped when dropped.
struct Guard {
    child: Child,
    label: String,
}

impl Guard {
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The nats-server of the run.
fn start_nats(dir: &Path) -> anyhow::Result<(Guard, String)> {
    let port = free_port()?;
    let conf = dir.join("nats.conf");
    std::fs::write(
        &conf,
        format!(
            "listen: 127.0.0.1:{port}\nmax_payload: 8MB\njetstream {{\n  store_dir: {:?}\n}}\n",
            dir.join("store")
        ),
    )?;
    let bin = pasta::server::binary_in(Path::new(env!("CARGO_MANIFEST_DIR")));
    let child = Command::new(&bin)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(File::create(dir.join("nats-server.log"))?)
        .spawn()
        .with_context(|| format!("starting {} (run scripts/setup)", bin.display()))?;
    let guard = Guard {
        child,
        label: "nats-server".into(),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("nats-server did not start on port {port}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((guard, format!("nats://127.0.0.1:{port}")))
}

/// The worker processes: one long-lived, the others killed and respawned.
struct Fleet {
    bin: PathBuf,
    url: String,
    prefix: String,
    logs: PathBuf,
    anchor: Option<Guard>,
    churn: Vec<Option<Guard>>,
    spawned: usize,
    kills: usize,
    /// Exits the soak did not cause: label, status.
    unexpected: Vec<String>,
    /// Shut down: nothing is started any more.
    closed: bool,
}

impl Fleet {
    fn spawn(&mut self, label: String) -> anyhow::Result<Guard> {
        if self.closed {
            bail!("the fleet is shut down");
        }
        self.spawned += 1;
        let log = self.logs.join(format!("{:04}-{label}.log", self.spawned));
        let mut command = Command::new(&self.bin);
        // Only the flags given here: no PASTA_* setting of the caller's environment applies.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("PASTA_") {
                command.env_remove(k);
            }
        }
        let child = command
            .args(["worker", "--nats-url", &self.url, "--prefix", &self.prefix])
            .args(["--ack-wait-secs", &ACK_WAIT_SECS.to_string()])
            .args(["--concurrency", "1"])
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log)?)
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        Ok(Guard { child, label })
    }

    fn start(&mut self, churn: usize) -> anyhow::Result<u32> {
        let anchor = self.spawn("anchor".into())?;
        let pid = anchor.child.id();
        self.anchor = Some(anchor);
        for i in 0..churn {
            let g = self.spawn(format!("churn-{i}"))?;
            self.churn.push(Some(g));
        }
        Ok(pid)
    }

    /// SIGKILLs churn worker `i` and starts a new one in its place.
    fn kill_and_respawn(&mut self, i: usize) -> anyhow::Result<()> {
        if self.closed {
            return Ok(());
        }
        if let Some(mut g) = self.churn[i].take() {
            g.kill();
            self.kills += 1;
        }
        self.churn[i] = Some(self.spawn(format!("churn-{i}"))?);
        Ok(())
    }

    /// Records (and replaces) workers that exited by themselves.
    fn reap(&mut self) -> anyhow::Result<()> {
        if self.closed {
            return Ok(());
        }
        if let Some(g) = self.anchor.as_mut() {
            if let Ok(Some(status)) = g.child.try_wait() {
                self.unexpected
                    .push(format!("{} exited: {status}", g.label));
                self.anchor = None;
            }
        }
        for i in 0..self.churn.len() {
            let exited = match self.churn[i].as_mut() {
                Some(g) => match g.child.try_wait() {
                    Ok(Some(status)) => Some(format!("{} exited: {status}", g.label)),
                    _ => None,
                },
                None => None,
            };
            if let Some(e) = exited {
                self.unexpected.push(e);
                self.churn[i] = Some(self.spawn(format!("churn-{i}"))?);
            }
        }
        Ok(())
    }

    fn shutdown(&mut self) {
        self.closed = true;
        for g in self.churn.iter_mut().filter_map(Option::take) {
            drop(g);
        }
        self.anchor.take();
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Shuts the fleet down when the run ends by any path (the killer and sampler tasks hold the
/// fleet too, and would otherwise keep it alive until the runtime stops).
struct FleetGuard(Arc<Mutex<Fleet>>);

impl Drop for FleetGuard {
    fn drop(&mut self) {
        lock(&self.0).shutdown();
    }
}

/// Locks a mutex, even one poisoned by a panicking holder (the data stays usable here).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/// One fixture body under one job type, with its expected result.
struct Case {
    name: String,
    job_type: JobType,
    body: Bytes,
    expected: Value,
}

fn load_cases(dir: &Path) -> anyhow::Result<Vec<Case>> {
    let read = |path: &Path| -> anyhow::Result<Value> {
        let text = std::fs::read(path).with_context(|| path.display().to_string())?;
        serde_json::from_slice(&text).with_context(|| path.display().to_string())
    };
    let mut sources = Vec::new();
    let seed = dir.join("seed-example/request.json");
    let seed_body = read(&seed)?;
    sources.push((
        "seed-example".to_string(),
        JobType::NonbodPasta,
        seed_body.clone(),
    ));
    sources.push(("seed-example".to_string(), JobType::BodPasta, seed_body));
    let examples = dir.join("contract-examples");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&examples)
        .with_context(|| examples.display().to_string())?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("request.json").exists() && p.join("type").exists())
        .collect();
    folders.sort();
    for folder in folders {
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let raw = std::fs::read_to_string(folder.join("type"))?;
        let t = JobType::parse(raw.trim())
            .with_context(|| format!("{}: unknown type {raw:?}", folder.display()))?;
        let body = read(&folder.join("request.json"))?;
        if t == JobType::BodReopt {
            sources.push((name.clone(), JobType::NonbodReopt, body.clone()));
        }
        sources.push((name, t, body));
    }
    sources
        .into_iter()
        .map(|(name, job_type, body)| {
            let expected = pasta::compute_value(job_type, &body)
                .map_err(|p| anyhow::anyhow!("{name} as {job_type:?} is invalid: {p:?}"))?;
            Ok(Case {
                name,
                job_type,
                // Compact, as a controller would send it.
                body: Bytes::from(serde_json::to_vec(&body)?),
                expected: timeless(&expected),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Submission and status

/// What became of one submission.
#[derive(Debug)]
enum Submission {
    /// Answered with this task id (retries: UNAVAILABLE answers, missing replies).
    Answered { unavailable: u32, no_reply: u32 },
    /// Refused with another error: the answer.
    Refused(Value),
    /// Never answered before submitting stopped.
    Unanswered { unavailable: u32, no_reply: u32 },
}

struct Task {
    id: String,
    case: usize,
    outcome: Submission,
}

async fn request(
    client: &async_nats::Client,
    subject: String,
    headers: HeaderMap,
    payload: Bytes,
) -> anyhow::Result<Value> {
    let reply = tokio::time::timeout(
        REQUEST_TIMEOUT,
        client.request_with_headers(subject, headers, payload),
    )
    .await
    .context("no reply in time")??;
    Ok(serde_json::from_slice(&reply.payload)?)
}

/// Submits one job until it is answered (UNAVAILABLE and missing replies retried with the same
/// id) or `stop_at` passes.
async fn submit_one(
    client: &async_nats::Client,
    names: &Names,
    case: &Case,
    id: &str,
    stop_at: tokio::time::Instant,
) -> Submission {
    let (mut unavailable, mut no_reply) = (0, 0);
    let mut backoff = Duration::from_millis(100);
    loop {
        let mut headers = HeaderMap::new();
        headers.insert(TASK_ID_HEADER, id);
        let subject = names.submit_subject(case.job_type);
        match request(client, subject, headers, case.body.clone()).await {
            Ok(answer) if answer["status"] == json!(true) => {
                if answer["data"]["task_id"] != json!(id) {
                    return Submission::Refused(json!({"wrong task id in answer": answer}));
                }
                return Submission::Answered {
                    unavailable,
                    no_reply,
                };
            }
            Ok(answer) if answer["info"]["code"] == "UNAVAILABLE" => unavailable += 1,
            Ok(answer) => return Submission::Refused(answer),
            Err(_) => no_reply += 1,
        }
        if tokio::time::Instant::now() + backoff > stop_at {
            return Submission::Unanswered {
                unavailable,
                no_reply,
            };
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

async fn status(
    client: &async_nats::Client,
    names: &Names,
    id: &str,
    t: JobType,
) -> anyhow::Result<Value> {
    let q = serde_json::to_vec(&json!({"task_id": id, "type": t.as_str()}))?;
    request(client, names.status_subject(), HeaderMap::new(), q.into()).await
}

fn is_final(doc: &Value) -> bool {
    matches!(
        doc["data"]["task_state"].as_str(),
        Some("SUCCESS" | "FAILURE")
    )
}

/// What the completion events said about one task.
#[derive(Default, Debug, Clone)]
struct Seen {
    started: u32,
    max_attempt: u64,
    finals: u32,
}

// ---------------------------------------------------------------------------------------------
// The run

/// One line of the summary table.
struct Row(String, String);

fn row(k: impl Into<String>, v: impl Into<String>) -> Row {
    Row(k.into(), v.into())
}

fn print_table(title: &str, rows: &[Row]) {
    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    println!("\n{title}");
    println!("{}", "-".repeat(width + 40));
    for Row(k, v) in rows {
        println!("{k:<width$}  {v}");
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
struct Observed {
    tasks: Vec<Task>,
    /// The last status document of every answered task (by index in `tasks`).
    docs: HashMap<usize, Value>,
    seen: HashMap<String, Seen>,
    /// Anchor VmRSS samples: seconds since the start, KiB.
    samples: Vec<(f64, u64)>,
    run_time: Duration,
    submitted_in: Duration,
    drained_in: Duration,
    kills: usize,
    spawned: usize,
    unexpected: Vec<String>,
    service_alive: bool,
    service_stopped: String,
    interrupted: bool,
    /// Worker logs: file name, text.
    logs: Vec<(String, String)>,
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
        .unwrap_or_else(|| repo.join("../shared/fixtures"));
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
    let passed = report(&args, &cases, &observed);
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

/// The worker binary; a missing one is an error, one older than `src/` a warning.
fn pasta_binary(args: &Args, repo: &Path) -> anyhow::Result<PathBuf> {
    let bin = args
        .pasta_bin
        .clone()
        .unwrap_or_else(|| repo.join("target/release/pasta"));
    if !bin.exists() {
        bail!(
            "{} does not exist: build it first with `cargo build --release --bin pasta` \
             (or pass --pasta-bin)",
            bin.display()
        );
    }
    if let (Ok(built), Some(src)) = (
        std::fs::metadata(&bin).and_then(|m| m.modified()),
        newest_under(&repo.join("src")),
    ) {
        if src > built {
            eprintln!(
                "soak: warning: {} is older than src/ (run `cargo build --release --bin pasta`)",
                bin.display()
            );
        }
    }
    Ok(bin)
}

/// Provisions the bus and starts the NATS service in-process, with the bus settings the
/// workers' flags give; its stop signal and handle.
async fn start_service(
    url: &str,
    names: &Names,
) -> anyhow::Result<(
    watch::Sender<bool>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
)> {
    let settings = Settings {
        names: names.clone(),
        bus: BusSettings {
            ack_wait: Duration::from_secs(ACK_WAIT_SECS),
            ..BusSettings::default()
        },
        limits: Limits::default(),
        max_body: 64 << 20,
        job_timeout: Duration::from_secs(300),
    };
    let client = pasta::bus::connect(url, &Default::default()).await?;
    app::service(client.clone(), &settings, &[])
        .await
        .context("provisioning")?;
    let (stop, shutdown) = watch::channel(false);
    let parts = Parts {
        workers: None,
        responder: true,
        http: None,
    };
    Ok((
        stop,
        tokio::spawn(app::run(client, settings, parts, shutdown)),
    ))
}

async fn wait_for_service(client: &async_nats::Client, names: &Names) -> anyhow::Result<()> {
    for _ in 0..250 {
        let probe = request(
            client,
            names.status_subject(),
            HeaderMap::new(),
            "{}".into(),
        );
        if probe.await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("the NATS service did not come up")
}

/// Counts the completion events of every task (attempts, STARTED and final events).
async fn listen_events(
    client: &async_nats::Client,
    prefix: &str,
    seen: Arc<Mutex<HashMap<String, Seen>>>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut events = client.subscribe(format!("{prefix}.events.>")).await?;
    client.flush().await?;
    Ok(tokio::spawn(async move {
        while let Some(msg) = events.next().await {
            let Ok(e) = serde_json::from_slice::<Value>(&msg.payload) else {
                continue;
            };
            let Some(id) = e["task_id"].as_str() else {
                continue;
            };
            let mut seen = lock(&seen);
            let s = seen.entry(id.to_string()).or_default();
            s.max_attempt = s.max_attempt.max(e["attempt"].as_u64().unwrap_or(0));
            match e["task_state"].as_str() {
                Some("STARTED") => s.started += 1,
                _ => s.finals += 1,
            }
        }
    }))
}

/// Every second: the anchor's VmRSS, and workers that died by themselves recorded and replaced.
fn spawn_sampler(
    anchor_pid: u32,
    fleet: Arc<Mutex<Fleet>>,
    samples: Arc<Mutex<Vec<(f64, u64)>>>,
    run_start: Instant,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                _ = tick.tick() => {}
            }
            if let Some(kib) = vm_rss_kib(anchor_pid) {
                lock(&samples).push((run_start.elapsed().as_secs_f64(), kib));
            }
            if let Err(e) = lock(&fleet).reap() {
                eprintln!("soak: respawning failed: {e:#}");
            }
        }
    })
}

/// Every 1–5 s (seeded), one churn worker SIGKILLed and respawned.
fn spawn_killer(
    fleet: Arc<Mutex<Fleet>>,
    seed: u64,
    churn: usize,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if churn == 0 {
            return;
        }
        let mut rng = Rng::new(seed);
        loop {
            let wait = Duration::from_millis(rng.range(KILL_EVERY_MS.0, KILL_EVERY_MS.1));
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                _ = tokio::time::sleep(wait) => {}
            }
            let i = rng.range(0, churn as u64 - 1) as usize;
            if let Err(e) = lock(&fleet).kill_and_respawn(i) {
                eprintln!("soak: respawning failed: {e:#}");
            }
        }
    })
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

/// Submits the jobs (paced or in a burst) until all are submitted or `--minutes` is up.
async fn submit_all(
    client: &async_nats::Client,
    names: &Names,
    cases: &Arc<Vec<Case>>,
    args: &Args,
    interrupted: &Arc<AtomicBool>,
) -> anyhow::Result<(Vec<Task>, Duration)> {
    let minutes = Duration::from_secs_f64(args.minutes * 60.0);
    let start = tokio::time::Instant::now();
    let stop_at = start + minutes;
    let interval = if args.burst {
        Duration::ZERO
    } else {
        minutes.mul_f64(0.9).div_f64(args.jobs as f64)
    };
    eprintln!(
        "soak: submitting {} jobs ({} in flight at most, {}), for at most {:.1} min",
        args.jobs,
        args.concurrency,
        if args.burst {
            "burst".to_string()
        } else {
            format!("one every {:.0} ms", interval.as_secs_f64() * 1000.0)
        },
        args.minutes
    );
    let next = Arc::new(AtomicUsize::new(0));
    let mut submitters = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency.max(1) {
        let (client, names, cases, next, interrupted) = (
            client.clone(),
            names.clone(),
            cases.clone(),
            next.clone(),
            interrupted.clone(),
        );
        let jobs = args.jobs;
        submitters.spawn(async move {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= jobs {
                    break;
                }
                let at = start + interval.mul_f64(i as f64);
                if at >= stop_at {
                    break;
                }
                tokio::time::sleep_until(at).await;
                if tokio::time::Instant::now() >= stop_at || interrupted.load(Ordering::SeqCst) {
                    break;
                }
                let case = i % cases.len();
                let id = uuid::Uuid::new_v4().hyphenated().to_string();
                let outcome = submit_one(&client, &names, &cases[case], &id, stop_at).await;
                done.push(Task { id, case, outcome });
                if i % 500 == 499 {
                    eprintln!("soak: {} submitted", i + 1);
                }
            }
            done
        });
    }
    let mut tasks = Vec::new();
    while let Some(done) = submitters.join_next().await {
        tasks.extend(done?);
    }
    Ok((tasks, start.elapsed()))
}

/// Polls every answered task until all are final or `bound` passes; the last status document
/// of each.
async fn drain(
    client: &async_nats::Client,
    names: &Names,
    cases: &[Case],
    tasks: &[Task],
    bound: Duration,
    interrupted: &AtomicBool,
) -> HashMap<usize, Value> {
    let mut docs = HashMap::new();
    let mut open: Vec<usize> = (0..tasks.len())
        .filter(|&i| matches!(tasks[i].outcome, Submission::Answered { .. }))
        .collect();
    let stop_at = Instant::now() + bound;
    loop {
        let polled: Vec<(usize, anyhow::Result<Value>)> = futures::stream::iter(open.clone())
            .map(|i| async move {
                let t = &tasks[i];
                (
                    i,
                    status(client, names, &t.id, cases[t.case].job_type).await,
                )
            })
            .buffer_unordered(STATUS_CONCURRENCY)
            .collect()
            .await;
        open.clear();
        for (i, doc) in polled {
            let doc = doc.unwrap_or_else(|e| json!({"status": false, "soak": format!("{e:#}")}));
            if !is_final(&doc) {
                open.push(i);
            }
            docs.insert(i, doc);
        }
        if open.is_empty() || Instant::now() >= stop_at || interrupted.load(Ordering::SeqCst) {
            return docs;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Every worker log of the run, sorted by start.
fn read_logs(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "log"));
    files.sort();
    files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            (
                name.into_owned(),
                std::fs::read_to_string(p).unwrap_or_default(),
            )
        })
        .collect()
}

/// The state of a task as the summary counts it: `SUCCESS`, `FAILURE <code>`,
/// `PENDING (<stage>)` or `error <code>`.
fn state_of(doc: &Value) -> String {
    let data = &doc["data"];
    match data["task_state"].as_str() {
        Some("SUCCESS") => "SUCCESS".to_string(),
        Some("FAILURE") => format!("FAILURE {}", data["error"]["code"].as_str().unwrap_or("?")),
        Some("PENDING") => format!(
            "PENDING ({})",
            data["progress"]["stage"].as_str().unwrap_or("?")
        ),
        _ => format!(
            "error {}",
            doc["info"]["code"]
                .as_str()
                .or(doc["soak"].as_str())
                .unwrap_or("?")
        ),
    }
}

/// The memory verdict: passed, and the words.
fn memory_verdict(samples: &[(f64, u64)], total: f64, tolerance: f64) -> (bool, String) {
    let reference = samples.iter().find(|(t, _)| *t >= total * WARM_UP);
    match (reference, samples.last()) {
        _ if samples.len() < 10 => (true, "too few samples to judge".to_string()),
        (Some(&(_, r)), Some(&(_, l))) => {
            let change = (l as f64 - r as f64) / r as f64 * 100.0;
            if change.abs() <= tolerance {
                (true, format!("flat ({change:+.1} % since warm-up)"))
            } else if change < 0.0 {
                (true, format!("shrank ({change:+.1} % since warm-up)"))
            } else {
                (false, format!("GREW {change:+.1} % since warm-up"))
            }
        }
        _ => (true, "no sample after warm-up".to_string()),
    }
}

/// Prints the summary table and the evidence of every failure; whether every check passed.
fn report(args: &Args, cases: &[Case], o: &Observed) -> bool {
    let answered: Vec<usize> = (0..o.tasks.len())
        .filter(|&i| matches!(o.tasks[i].outcome, Submission::Answered { .. }))
        .collect();

    // Results.
    let mut states: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_case = vec![(0usize, 0usize); cases.len()];
    let mut bad: Vec<(usize, String)> = Vec::new();
    let mut wrong = 0;
    for &i in &answered {
        let t = &o.tasks[i];
        let doc = &o.docs[&i];
        let state = state_of(doc);
        *states.entry(state.clone()).or_default() += 1;
        per_case[t.case].0 += 1;
        if state != "SUCCESS" {
            bad.push((i, format!("{state}: {}", short(&doc["data"]["info"]))));
            continue;
        }
        let got = timeless(&doc["data"]["data"]);
        match first_difference(&got, &cases[t.case].expected, "") {
            None => per_case[t.case].1 += 1,
            Some(d) => {
                wrong += 1;
                bad.push((i, format!("SUCCESS with a wrong result at {d}")));
            }
        }
    }

    // Submissions.
    let (mut unavailable, mut no_reply, mut unanswered) = (0, 0, 0);
    let mut refused = Vec::new();
    for t in &o.tasks {
        match &t.outcome {
            Submission::Answered {
                unavailable: u,
                no_reply: n,
            } => (unavailable, no_reply) = (unavailable + u, no_reply + n),
            Submission::Unanswered {
                unavailable: u,
                no_reply: n,
            } => {
                (unavailable, no_reply) = (unavailable + u, no_reply + n);
                unanswered += 1;
            }
            Submission::Refused(answer) => refused.push((&t.id, answer)),
        }
    }

    // Deliveries, from the events.
    let seen_of = |i: &usize| o.seen.get(&o.tasks[*i].id);
    let redelivered = answered
        .iter()
        .filter(|i| seen_of(i).is_some_and(|s| s.max_attempt > 1))
        .count();
    let started_twice = answered
        .iter()
        .filter(|i| seen_of(i).is_some_and(|s| s.started > 1))
        .count();
    let max_attempt = answered
        .iter()
        .filter_map(|i| seen_of(i).map(|s| s.max_attempt))
        .max()
        .unwrap_or(0);
    let no_final_event = answered
        .iter()
        .filter(|i| seen_of(i).is_none_or(|s| s.finals == 0))
        .count();

    // Memory.
    let total = o.run_time.as_secs_f64();
    let (memory_ok, memory) = memory_verdict(&o.samples, total, args.rss_tolerance);
    let reference = o.samples.iter().find(|(t, _)| *t >= total * WARM_UP);
    let peak = o.samples.iter().max_by_key(|(_, k)| *k);
    let sample = |s: Option<&(f64, u64)>| {
        s.map(|(t, k)| format!("{} at {t:.0} s", mib(*k)))
            .unwrap_or_else(|| "-".into())
    };

    // Worker warnings, by message (without the timestamp, span and error fields).
    let mut warnings: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, text) in &o.logs {
        for line in text.lines() {
            if line.contains(" WARN ") || line.contains(" ERROR ") {
                let message = line.split_once(": ").map_or(line, |(_, m)| m);
                let message = message.split(" error=").next().unwrap_or(message);
                *warnings.entry(message).or_default() += 1;
            }
        }
    }

    let mut rows = vec![
        row(
            "run",
            format!(
                "{:.1} s (submitting {:.1} s, draining {:.1} s), {}, seed {}",
                total,
                o.submitted_in.as_secs_f64(),
                o.drained_in.as_secs_f64(),
                if args.burst { "burst" } else { "paced" },
                args.seed
            ),
        ),
        row(
            "workers",
            format!(
                "1 long-lived + {} churn: {} SIGKILLs, {} processes started, {} unexpected exits",
                args.workers,
                o.kills,
                o.spawned,
                o.unexpected.len()
            ),
        ),
        row(
            "jobs submitted / planned",
            format!("{} / {}", o.tasks.len(), args.jobs),
        ),
        row(
            "submissions answered",
            format!(
                "{} (retried: {unavailable} after UNAVAILABLE, {no_reply} after no reply)",
                answered.len()
            ),
        ),
        row(
            "submissions refused / unanswered",
            format!("{} / {unanswered}", refused.len()),
        ),
    ];
    for (state, n) in &states {
        rows.push(row(format!("tasks {state}"), n.to_string()));
    }
    let right: usize = per_case.iter().map(|c| c.1).sum();
    rows.push(row(
        "SUCCESS with the expected result",
        format!("{right} (wrong: {wrong})"),
    ));
    rows.push(row(
        "tasks redelivered (attempt > 1)",
        format!(
            "{redelivered}, {started_twice} of them STARTED twice (highest attempt \
             {max_attempt}); {no_final_event} without a final event seen"
        ),
    ));
    if redelivered == 0 && o.kills > 0 {
        rows.push(row(
            "  note",
            "no kill caught a job in flight (idle workers): --burst or more --jobs keep them busy",
        ));
    }
    for (c, (n, ok)) in cases.iter().zip(&per_case) {
        rows.push(row(
            format!("  {} as {}", c.name, c.job_type.as_str()),
            format!("{ok} / {n} right"),
        ));
    }
    rows.push(row(
        "anchor VmRSS first / after warm-up",
        format!("{} / {}", sample(o.samples.first()), sample(reference)),
    ));
    rows.push(row(
        "anchor VmRSS peak / last",
        format!("{} / {}", sample(peak), sample(o.samples.last())),
    ));
    rows.push(row(
        "anchor memory",
        format!("{memory} over {} samples", o.samples.len()),
    ));
    rows.push(row(
        "NATS service (in-process)",
        format!(
            "{} at the end, {}",
            if o.service_alive {
                "running"
            } else {
                "NOT running"
            },
            o.service_stopped
        ),
    ));
    rows.push(row(
        "worker log warnings",
        format!("{} lines", warnings.values().sum::<usize>()),
    ));
    let mut by_count: Vec<(&&str, &usize)> = warnings.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1));
    for (message, n) in by_count.iter().take(8) {
        rows.push(row(format!("  ×{n}"), truncate(message, 160)));
    }

    let checks = [
        (
            "every answered task SUCCESS",
            bad.len() == wrong,
            format!("{} not SUCCESS", bad.len() - wrong),
        ),
        (
            "every result equals compute_value",
            wrong == 0,
            format!("{wrong} wrong"),
        ),
        (
            "no submission refused",
            refused.is_empty(),
            format!("{} refused", refused.len()),
        ),
        (
            "workers died only by SIGKILL",
            o.unexpected.is_empty(),
            o.unexpected.join("; "),
        ),
        (
            "the NATS service kept running",
            o.service_alive,
            o.service_stopped.clone(),
        ),
        ("anchor memory flat", memory_ok, memory.clone()),
        ("not interrupted", !o.interrupted, "Ctrl-C".to_string()),
    ];
    for (name, ok, why) in &checks {
        let verdict = if *ok {
            "PASS".to_string()
        } else {
            format!("FAIL ({why})")
        };
        rows.push(row(format!("check: {name}"), verdict));
    }
    print_table("pasta soak summary", &rows);

    // Evidence.
    if !bad.is_empty() {
        let shown = bad.len().min(SHOW_FAILURES);
        println!("\nfailed tasks ({shown} shown of {}):", bad.len());
        for (i, why) in bad.iter().take(SHOW_FAILURES) {
            let t = &o.tasks[*i];
            let c = &cases[t.case];
            println!(
                "- {} {} ({}): {why}; events: {:?}",
                t.id,
                c.job_type.as_str(),
                c.name,
                o.seen.get(&t.id)
            );
            for (name, text) in &o.logs {
                for line in text.lines().filter(|l| l.contains(&t.id)) {
                    println!("    {name}: {line}");
                }
            }
        }
    }
    for (id, answer) in refused.iter().take(SHOW_FAILURES) {
        println!("refused {id}: {answer}");
    }
    checks.iter().all(|c| c.1)
}
