//! Load generator over the bus: how many small jobs pasta completes per second end to end, how
//! long one job takes from submission to its SUCCESS event, how fast a status query answers.
//!
//! ```text
//! cargo run --release --example loadgen -- --url nats://127.0.0.1:4222 [--prefix pasta]
//!     [--jobs 20000] [--concurrency 256] [--mode all|throughput|latency|status|floor|ceiling]
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
//!   request-reply to an echo responder, one JetStream publish awaited until acked (a temporary
//!   stream, deleted after), one KV read of the task bucket; p50/p99.
//! - `ceiling` (only when asked for): the throughput mode against a skeleton service doing
//!   exactly the bus operations of pasta's jobs and nothing else (`ceiling.rs`): the rate the
//!   bus allows any implementation of the contract on this machine. `--storage memory` keeps
//!   the skeleton's streams and bucket in memory: no disk at all, a bound on every storage
//!   setting.
//!
//! Throughput, latency and ceiling also report the CPU time spent per job (Linux `/proc`): this process
//! (the load generator, and pasta when embedded) and the embedded nats-server. The embedded
//! setup is loopback only; every mode stops after its count or `--time-limit` seconds, whichever
//! comes first.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use async_nats::jetstream::stream::StorageType;
use async_nats::HeaderMap;
use bytes::Bytes;
use clap::{Parser, ValueEnum};
use futures::StreamExt;
use pasta::app::{self, Parts, Settings};
use pasta::bus::worker::WorkerSettings;
use pasta::bus::{BusSettings, Names, TASK_ID_HEADER};
use pasta::model::{JobType, Limits};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::watch;

mod ceiling;

/// The allocator of `pasta` itself (src/main.rs), so that `--embedded` measures what `pasta serve` does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The job type every mode submits.
const TYPE: JobType = JobType::NonbodPasta;

/// What to measure, against what.
#[derive(Parser, Debug)]
#[command(about = "Load generator for pasta over NATS (and its HTTP bridge)")]
struct Args {
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
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/fixtures/seed-example/request.json")
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
        Some(_) => pasta::config::Auth::default(),
        None => pasta::config::Auth {
            user: std::env::var("PASTA_NATS_USER").ok(),
            password: std::env::var("PASTA_NATS_PASSWORD").ok(),
            token: std::env::var("PASTA_NATS_TOKEN").ok(),
            creds_file: std::env::var("PASTA_NATS_CREDS").ok(),
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
    if matches!(args.mode, Mode::All | Mode::Throughput) {
        let cpu = Cpu::now(server_pid);
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
    }
    if matches!(args.mode, Mode::All | Mode::Latency) {
        let cpu = Cpu::now(server_pid);
        let pause = Duration::from_millis(args.pause_ms);
        let (r, jobs) = latency(&client, &names, &body, args.samples, pause, limit).await?;
        rows.extend(r);
        rows.extend(cpu.per_job("latency", jobs));
    }
    if matches!(args.mode, Mode::All | Mode::Status) {
        rows.extend(status(&client, &names, &body, &http, args.queries, limit).await?);
    }
    if matches!(args.mode, Mode::Ceiling) {
        // As many jobs in flight as pasta's workers hold.
        let slots =
            embedded.as_ref().map(|e| e.workers).unwrap_or(2) * pasta::bus::worker::IO_FACTOR;
        let storage = match args.storage {
            Storage::File => StorageType::File,
            Storage::Memory => StorageType::Memory,
        };
        let (skeleton, mut tasks) =
            ceiling::start(&url, &auth, &prefix, &body, slots, storage).await?;
        let cpu = Cpu::now(server_pid);
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
        tasks.abort_all();
    }
    if matches!(args.mode, Mode::All | Mode::Floor) {
        let pause = Duration::from_millis(args.pause_ms);
        rows.extend(floor(&client, &names, args.queries, pause, limit).await?);
    }
    client.flush().await?;
    print_table(&rows);
    if let Some(e) = embedded {
        e.stop().await;
    }
    Ok(())
}

/// Submits one job with its own task id; the submission answer.
async fn submit(
    client: &async_nats::Client,
    names: &Names,
    body: &Bytes,
    task_id: &str,
) -> anyhow::Result<Value> {
    let mut headers = HeaderMap::new();
    headers.insert(TASK_ID_HEADER, task_id);
    let reply = client
        .request_with_headers(names.submit_subject(TYPE), headers, body.clone())
        .await
        .context("submission")?;
    Ok(serde_json::from_slice(&reply.payload)?)
}

/// The throughput mode: jobs/s end to end under bounded concurrency.
async fn throughput(
    mode: &'static str,
    client: &async_nats::Client,
    names: &Names,
    body: &Bytes,
    jobs: usize,
    concurrency: usize,
    limit: Duration,
) -> anyhow::Result<(Vec<Row>, usize)> {
    eprintln!("{mode}: {jobs} jobs, {concurrency} in flight");
    let ids: Arc<Vec<String>> = Arc::new(
        (0..jobs)
            .map(|_| uuid::Uuid::new_v4().hyphenated().to_string())
            .collect(),
    );
    let mut success = client
        .subscribe(names.event_subject(TYPE, "success"))
        .await?;
    let mut failure = client
        .subscribe(names.event_subject(TYPE, "failure"))
        .await?;
    client.flush().await?;
    let deadline = tokio::time::Instant::now() + limit;
    let start = Instant::now();

    // Completions: only this run's tasks, each counted once (events may be republished).
    let mut waiting: HashSet<String> = ids.iter().cloned().collect();
    let counter = tokio::spawn(async move {
        let (mut ok, mut failed, mut last) = (0usize, 0usize, None);
        while !waiting.is_empty() {
            let msg = tokio::select! {
                m = success.next() => m,
                m = failure.next() => m,
                _ = tokio::time::sleep_until(deadline) => break,
            };
            let Some(msg) = msg else { break };
            let event: Value = serde_json::from_slice(&msg.payload).unwrap_or(Value::Null);
            let Some(id) = event["task_id"].as_str() else {
                continue;
            };
            if waiting.remove(id) {
                if event["task_state"] == "SUCCESS" {
                    ok += 1;
                } else {
                    failed += 1;
                }
                last = Some(Instant::now());
            }
        }
        (ok, failed, last)
    });

    let next = Arc::new(AtomicUsize::new(0));
    let mut submitters = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (client, names, body, ids, next) = (
            client.clone(),
            names.clone(),
            body.clone(),
            ids.clone(),
            next.clone(),
        );
        submitters.spawn(async move {
            let (mut accepted, mut refused, mut first_refusal) = (0usize, 0usize, None);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= ids.len() || tokio::time::Instant::now() >= deadline {
                    break;
                }
                match submit(&client, &names, &body, &ids[i]).await {
                    Ok(answer) if answer["status"] == json!(true) => accepted += 1,
                    Ok(answer) => {
                        refused += 1;
                        first_refusal.get_or_insert(answer["info"].to_string());
                    }
                    Err(e) => {
                        refused += 1;
                        first_refusal.get_or_insert(format!("{e:#}"));
                    }
                }
            }
            (accepted, refused, first_refusal)
        });
    }
    let (mut accepted, mut refused, mut refusal) = (0, 0, None);
    while let Some(done) = submitters.join_next().await {
        let (a, r, f) = done?;
        accepted += a;
        refused += r;
        if refusal.is_none() {
            refusal = f;
        }
    }
    let submitted_in = start.elapsed();
    eprintln!(
        "{mode}: {accepted} submitted in {:.2} s; waiting for completions",
        submitted_in.as_secs_f64()
    );
    if let Some(r) = &refusal {
        eprintln!("{mode}: {refused} refused, first: {r}");
    }
    let (ok, failed, last) = counter.await?;
    let completed = ok + failed;
    let span = last.map(|l| l - start).unwrap_or(start.elapsed());
    let mut rows = vec![
        row(
            mode,
            "jobs submitted / refused",
            format!("{accepted} / {refused}"),
        ),
        row(
            mode,
            "jobs SUCCESS / FAILURE / missing",
            format!("{ok} / {failed} / {}", jobs - completed),
        ),
        row(
            mode,
            "submission rate (accepted)",
            format!(
                "{:.0} jobs/s over {:.2} s",
                accepted as f64 / submitted_in.as_secs_f64(),
                submitted_in.as_secs_f64()
            ),
        ),
        row(
            mode,
            "end to end (submit → SUCCESS event)",
            format!(
                "{:.0} jobs/s over {:.2} s",
                completed as f64 / span.as_secs_f64(),
                span.as_secs_f64()
            ),
        ),
    ];
    if completed < jobs {
        rows.push(row(
            mode,
            "note",
            format!("stopped by --time-limit {} s", limit.as_secs()),
        ));
    }
    Ok((rows, completed))
}

/// The latency mode: one job at a time, submit → SUCCESS event.
async fn latency(
    client: &async_nats::Client,
    names: &Names,
    body: &Bytes,
    samples: usize,
    pause: Duration,
    limit: Duration,
) -> anyhow::Result<(Vec<Row>, usize)> {
    eprintln!("latency: {samples} jobs one at a time, {pause:?} apart");
    let mut events = client
        .subscribe(format!("{}.events.{}.*", names.prefix(), TYPE.as_str()))
        .await?;
    client.flush().await?;
    let deadline = Instant::now() + limit;
    let (mut replies, mut starts, mut ends) = (Vec::new(), Vec::new(), Vec::new());
    let mut ran = 0;
    // A few unmeasured jobs first: connections, consumers and caches warm.
    for i in 0..samples + 20 {
        if Instant::now() >= deadline {
            break;
        }
        let id = uuid::Uuid::new_v4().hyphenated().to_string();
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        let t0 = Instant::now();
        // Events are timed as they arrive, even before the submission's reply.
        let submission = async {
            let answer = submit(client, names, body, &id).await;
            (answer, t0.elapsed())
        };
        let completion = tokio::time::timeout(Duration::from_secs(30), async {
            let mut started = None;
            while let Some(m) = events.next().await {
                let e: Value = serde_json::from_slice(&m.payload).unwrap_or(Value::Null);
                if e["task_id"] != json!(id) {
                    continue;
                }
                if e["task_state"] == "STARTED" {
                    started = Some(t0.elapsed());
                } else {
                    let state = e["task_state"].as_str().unwrap_or("?").to_string();
                    return (state, started, t0.elapsed());
                }
            }
            ("no events".into(), started, t0.elapsed())
        });
        let ((answer, replied), completion) = tokio::join!(submission, completion);
        let answer = answer?;
        if answer["status"] != json!(true) {
            bail!("submission refused: {answer}");
        }
        let (state, started, done) = completion.context("no completion event within 30 s")?;
        if state != "SUCCESS" {
            bail!("task {id} ended {state}");
        }
        ran += 1;
        if i >= 20 {
            replies.push(replied);
            starts.extend(started);
            ends.push(done);
        }
    }
    let qs = [0.5, 0.9, 0.99];
    let rows = vec![
        row("latency", "jobs measured", ends.len().to_string()),
        row(
            "latency",
            "submission reply p50/p90/p99",
            percentiles(&mut replies, &qs),
        ),
        row(
            "latency",
            "submit → STARTED event p50/p90/p99",
            percentiles(&mut starts, &qs),
        ),
        row(
            "latency",
            "submit → SUCCESS event p50/p90/p99",
            percentiles(&mut ends, &qs),
        ),
    ];
    Ok((rows, ran))
}

/// The status mode: query latency of one finished task, over NATS and over HTTP.
async fn status(
    client: &async_nats::Client,
    names: &Names,
    body: &Bytes,
    http: &str,
    queries: usize,
    limit: Duration,
) -> anyhow::Result<Vec<Row>> {
    eprintln!("status: {queries} queries per transport");
    let mut events = client
        .subscribe(names.event_subject(TYPE, "success"))
        .await?;
    client.flush().await?;
    let id = uuid::Uuid::new_v4().hyphenated().to_string();
    let answer = submit(client, names, body, &id).await?;
    if answer["status"] != json!(true) {
        bail!("submission refused: {answer}");
    }
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(m) = events.next().await {
            let e: Value = serde_json::from_slice(&m.payload).unwrap_or(Value::Null);
            if e["task_id"] == json!(id) {
                return;
            }
        }
    })
    .await
    .context("the status task did not finish within 30 s")?;
    let query = Bytes::from(serde_json::to_vec(
        &json!({"task_id": id, "type": TYPE.as_str()}),
    )?);

    let deadline = Instant::now() + limit;
    let mut nats = Vec::with_capacity(queries);
    for i in 0..queries + 100 {
        if Instant::now() >= deadline {
            break;
        }
        let t0 = Instant::now();
        let reply = client
            .request(names.status_subject(), query.clone())
            .await?;
        let took = t0.elapsed();
        check_success(&reply.payload)?;
        if i >= 100 {
            nats.push(took);
        }
    }
    let mut rows = vec![row(
        "status",
        format!("NATS request-reply p50/p99 ({} queries)", nats.len()),
        percentiles(&mut nats, &[0.5, 0.99]),
    )];

    let addr: Option<SocketAddr> = tokio::net::lookup_host(http)
        .await
        .ok()
        .and_then(|mut a| a.next());
    let connection = match addr {
        Some(a) => TcpStream::connect(a).await.ok().map(|s| (a, s)),
        None => None,
    };
    let Some((addr, socket)) = connection else {
        rows.push(row(
            "status",
            "HTTP GET",
            format!("skipped: no bridge at {http}"),
        ));
        return Ok(rows);
    };
    socket.set_nodelay(true)?;
    let mut conn = Http1 {
        stream: BufReader::new(socket),
        host: addr.to_string(),
    };
    let path = format!("/api/job/check_status?task_id={id}&type={}", TYPE.as_str());
    let deadline = Instant::now() + limit;
    let mut over_http = Vec::with_capacity(queries);
    for i in 0..queries + 100 {
        if Instant::now() >= deadline {
            break;
        }
        let t0 = Instant::now();
        let (code, content) = conn.get(&path).await?;
        let took = t0.elapsed();
        if code != 200 {
            bail!("HTTP {code}: {}", String::from_utf8_lossy(&content));
        }
        check_success(&content)?;
        if i >= 100 {
            over_http.push(took);
        }
    }
    rows.push(row(
        "status",
        format!("HTTP GET keep-alive p50/p99 ({} queries)", over_http.len()),
        percentiles(&mut over_http, &[0.5, 0.99]),
    ));
    Ok(rows)
}

/// The floor mode: the latency of the bus operations a job is made of.
async fn floor(
    client: &async_nats::Client,
    names: &Names,
    queries: usize,
    pause: Duration,
    limit: Duration,
) -> anyhow::Result<Vec<Row>> {
    eprintln!("floor: {queries} operations of each kind");
    let echo_subject = format!("_loadgen.echo.{}", uuid::Uuid::new_v4().simple());
    let mut echo = client.subscribe(echo_subject.clone()).await?;
    let responder = client.clone();
    let echoing = tokio::spawn(async move {
        while let Some(m) = echo.next().await {
            if let Some(reply) = m.reply {
                let _ = responder.publish(reply, m.payload).await;
            }
        }
    });
    client.flush().await?;
    let js = async_nats::jetstream::new(client.clone());
    let stream_name = format!("{}_LOADGEN_FLOOR", names.prefix().to_uppercase());
    let stream_subject = format!("{}.loadgen.floor", names.prefix());
    js.get_or_create_stream(async_nats::jetstream::stream::Config {
        name: stream_name.clone(),
        subjects: vec![stream_subject.clone()],
        max_messages: 10_000,
        ..Default::default()
    })
    .await?;
    let kv = js.get_key_value(names.bucket()).await?;
    let key = uuid::Uuid::new_v4().hyphenated().to_string();
    kv.put(&key, Bytes::from_static(b"{}")).await?;
    let payload = Bytes::from(vec![b'x'; 512]);

    let mut rows = Vec::new();
    for what in [
        "core NATS request-reply (echo)",
        "JetStream publish, acked",
        "KV get (task bucket)",
    ] {
        let deadline = Instant::now() + limit;
        let mut took = Vec::with_capacity(queries);
        for i in 0..queries + 100 {
            if Instant::now() >= deadline {
                break;
            }
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            let t0 = Instant::now();
            match what {
                "core NATS request-reply (echo)" => {
                    client
                        .request(echo_subject.clone(), payload.clone())
                        .await?;
                }
                "JetStream publish, acked" => {
                    js.publish(stream_subject.clone(), payload.clone())
                        .await?
                        .await?;
                }
                _ => {
                    kv.entry(&key).await?.context("the key is there")?;
                }
            }
            if i >= 100 {
                took.push(t0.elapsed());
            }
        }
        rows.push(row(
            "floor",
            format!("{what} p50/p99"),
            percentiles(&mut took, &[0.5, 0.99]),
        ));
    }
    echoing.abort();
    let _ = kv.purge(&key).await;
    js.delete_stream(&stream_name).await?;
    Ok(rows)
}

fn check_success(payload: &[u8]) -> anyhow::Result<()> {
    let doc: Value = serde_json::from_slice(payload)?;
    if doc["data"]["task_state"] != "SUCCESS" {
        bail!("unexpected status document: {doc}");
    }
    Ok(())
}

/// CPU time used so far by this process (loadgen, and pasta when embedded) and by the embedded
/// nats-server, from `/proc/<pid>/stat` (Linux; clock ticks of 10 ms).
struct Cpu {
    own: Option<f64>,
    server: Option<(u32, f64)>,
}

impl Cpu {
    fn now(server_pid: Option<u32>) -> Cpu {
        Cpu {
            own: cpu_seconds("self"),
            server: server_pid.and_then(|p| cpu_seconds(&p.to_string()).map(|s| (p, s))),
        }
    }

    /// The CPU milliseconds per job spent since `self`, as a row.
    fn per_job(&self, mode: &'static str, jobs: usize) -> Option<Row> {
        let own = (cpu_seconds("self")? - self.own?) * 1000.0 / jobs.max(1) as f64;
        let server = self.server.and_then(|(pid, before)| {
            Some((cpu_seconds(&pid.to_string())? - before) * 1000.0 / jobs.max(1) as f64)
        });
        let value = match server {
            Some(s) => format!("{own:.2} ms loadgen+pasta + {s:.2} ms nats-server"),
            None => format!("{own:.2} ms loadgen"),
        };
        Some(row(mode, "CPU per job", value))
    }
}

/// utime + stime of a process, seconds.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// `p50 / p90 / …` in milliseconds.
fn percentiles(samples: &mut [Duration], qs: &[f64]) -> String {
    if samples.is_empty() {
        return "no samples".into();
    }
    samples.sort();
    let at = |q: f64| {
        let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
        samples[rank - 1].as_secs_f64() * 1000.0
    };
    let values: Vec<String> = qs.iter().map(|q| format!("{:.3}", at(*q))).collect();
    format!("{} ms", values.join(" / "))
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

/// A plain HTTP/1.1 keep-alive client (GET with Content-Length answers).
struct Http1 {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Http1 {
    async fn get(&mut self, path: &str) -> anyhow::Result<(u16, Vec<u8>)> {
        let head = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.host);
        self.stream.get_mut().write_all(head.as_bytes()).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let code: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .with_context(|| format!("status line {line:?}"))?;
        let mut length = None;
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                bail!("the connection closed");
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = Some(v.trim().parse::<usize>()?);
                }
            }
        }
        let mut content = vec![0; length.context("no Content-Length")?];
        self.stream.read_exact(&mut content).await?;
        Ok((code, content))
    }
}

/// A nats-server child on a free port with a temporary store, and pasta in-process.
struct Embedded {
    url: String,
    prefix: String,
    http: SocketAddr,
    workers: usize,
    child: tokio::process::Child,
    _dir: tempfile::TempDir,
    stop: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Embedded {
    async fn start(args: &Args) -> anyhow::Result<Embedded> {
        let dir = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let conf = dir.path().join("nats.conf");
        std::fs::write(
            &conf,
            format!(
                "listen: 127.0.0.1:{port}\nmax_payload: 8MB\njetstream {{\n  store_dir: {:?}\n{}}}\n",
                dir.path().join("store"),
                if args.sync_always { "  sync_interval: always\n" } else { "" }
            ),
        )?;
        let bin = nats_server();
        let child = tokio::process::Command::new(&bin)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {} (run scripts/setup)", bin.display()))?;
        let url = format!("nats://127.0.0.1:{port}");
        let mut up = false;
        for _ in 0..400 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        if !up {
            bail!("nats-server did not start on port {port}");
        }
        let workers = args
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let settings = Settings {
            names: Names::new(&args.prefix)?,
            bus: BusSettings::default(),
            limits: Limits::default(),
            max_body: 64 << 20,
            job_timeout: Duration::from_secs(300),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let http = listener.local_addr()?;
        let parts = Parts {
            workers: Some(WorkerSettings {
                types: JobType::ALL.to_vec(),
                concurrency: workers,
            }),
            responder: true,
            http: Some((listener, None)),
        };
        let client = pasta::bus::connect(&url, &Default::default()).await?;
        let (stop, shutdown) = watch::channel(false);
        let handle = tokio::spawn(app::run(client, settings, parts, shutdown));
        // Wait until the NATS service answers (it starts after provisioning).
        let probe = async_nats::connect(&url).await?;
        let names = Names::new(&args.prefix)?;
        let mut ready = false;
        for _ in 0..400 {
            let answer = tokio::time::timeout(
                Duration::from_millis(500),
                probe.request(names.status_subject(), Bytes::from_static(b"{}")),
            )
            .await;
            if matches!(answer, Ok(Ok(_))) {
                ready = true;
                break;
            }
            if handle.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        if !ready {
            bail!("the embedded pasta did not come up");
        }
        Ok(Embedded {
            url,
            prefix: args.prefix.clone(),
            http,
            workers,
            child,
            _dir: dir,
            stop,
            handle,
        })
    }

    async fn stop(mut self) {
        let _ = self.stop.send(true);
        match tokio::time::timeout(Duration::from_secs(30), self.handle).await {
            Ok(Ok(Err(e))) => eprintln!("loadgen: the embedded pasta failed: {e:#}"),
            Err(_) => eprintln!("loadgen: the embedded pasta did not stop within 30 s"),
            _ => {}
        }
        let _ = self.child.kill().await;
    }
}

/// `$PASTA_NATS_SERVER`, the project's `.venv/bin/nats-server`, or `nats-server` on the PATH.
fn nats_server() -> PathBuf {
    if let Some(p) = std::env::var_os("PASTA_NATS_SERVER") {
        return PathBuf::from(p);
    }
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/nats-server");
    if local.exists() {
        return local;
    }
    PathBuf::from("nats-server")
}
