//! The `pasta` command: parse the command line, start tracing, connect, run the chosen part.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use pasta::app::{self, Parts, Settings};
use pasta::bus::{self, client, worker::WorkerSettings, Names};
use pasta::config::{NatsArgs, ServiceArgs};
use pasta::model::{Job, JobType, Limits};
use pasta::server::{self, EmbeddedServer};
use tokio::sync::watch;

/// mimalloc: a small job allocates thousands of short-lived blocks across threads, where glibc
/// malloc spent about a third of the CPU (README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Segment Routing traffic-engineering path computation as asynchronous jobs over NATS.
#[derive(Parser)]
#[command(name = "pasta", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole service in one process: workers, the NATS service, the HTTP bridge. Starts its own
    /// nats-server (nats.conf) when no NATS URL is configured.
    Serve {
        #[command(flatten)]
        nats: NatsArgs,
        #[command(flatten)]
        service: ServiceArgs,
        #[command(flatten)]
        http: HttpArgs,
        #[command(flatten)]
        workers: WorkerArgs,
        /// nats.conf of the embedded server.
        #[arg(long, env = "PASTA_NATS_CONF", default_value = "nats.conf")]
        nats_conf: PathBuf,
        /// Where the embedded server keeps its data.
        #[arg(long, env = "PASTA_DATA_DIR", default_value = ".pasta/nats")]
        data_dir: PathBuf,
    },
    /// Compute workers only.
    Worker {
        #[command(flatten)]
        nats: NatsArgs,
        #[command(flatten)]
        service: ServiceArgs,
        #[command(flatten)]
        workers: WorkerArgs,
    },
    /// The NATS service (submit and status endpoints) only.
    Responder {
        #[command(flatten)]
        nats: NatsArgs,
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// The HTTP bridge only.
    Http {
        #[command(flatten)]
        nats: NatsArgs,
        #[command(flatten)]
        service: ServiceArgs,
        #[command(flatten)]
        http: HttpArgs,
    },
    /// Submits a job over NATS; with --wait, shows progress then the result (exit 0 SUCCESS,
    /// 1 FAILURE, 2 invalid body).
    Submit {
        /// Job type.
        job_type: String,
        /// Body file, or `-` for standard input.
        file: String,
        /// Wait for the result.
        #[arg(long)]
        wait: bool,
        /// A client-chosen task id (UUID) making a retried submission idempotent.
        #[arg(long)]
        task_id: Option<String>,
        #[command(flatten)]
        nats: NatsArgs,
    },
    /// Prints the status document of a task.
    Status {
        /// The task id.
        task_id: String,
        /// Its job type.
        #[arg(long = "type")]
        job_type: String,
        #[command(flatten)]
        nats: NatsArgs,
    },
    /// Prints completion events as they come.
    Watch {
        #[command(flatten)]
        nats: NatsArgs,
    },
    /// Computes a job offline, without NATS, and prints the result document.
    Compute {
        /// Job type: bod_pasta, nonbod_pasta, bod_modified, bod_reopt, nonbod_reopt, bod_congest_reopt.
        job_type: String,
        /// Request body file, or `-` for standard input.
        file: String,
        /// Pretty-print the document.
        #[arg(long)]
        pretty: bool,
    },
}

#[derive(Debug, Clone, clap::Args)]
struct HttpArgs {
    /// Address of the HTTP bridge.
    #[arg(long, env = "PASTA_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    http_addr: String,
    /// Bearer token the HTTP bridge requires (none: open).
    #[arg(long, env = "PASTA_HTTP_TOKEN", hide_env_values = true)]
    http_token: Option<String>,
}

#[derive(Debug, Clone, clap::Args)]
struct WorkerArgs {
    /// Job types to serve (comma-separated; default all).
    #[arg(long, value_delimiter = ',')]
    types: Vec<String>,
    /// Jobs computed at once (default: one per core).
    #[arg(long, env = "PASTA_CONCURRENCY")]
    concurrency: Option<usize>,
}

impl WorkerArgs {
    fn settings(&self) -> anyhow::Result<WorkerSettings> {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "pasta=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Command::Compute {
        job_type,
        file,
        pretty,
    } = &cli.command
    {
        return compute(job_type, file, *pretty);
    }
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pasta: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve {
            nats,
            service,
            http,
            workers,
            nats_conf,
            data_dir,
        } => {
            let mut embedded = None;
            let url = match &nats.nats_url {
                Some(url) => url.clone(),
                None => {
                    let text = std::fs::read_to_string(&nats_conf)
                        .map_err(|e| anyhow::anyhow!("reading {}: {e}", nats_conf.display()))?;
                    let port = server::config_port(&text);
                    let s = EmbeddedServer::start(&nats_conf, &data_dir, port).await?;
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
            };
            let outcome = serve(&nats, &service, &url, parts).await;
            if let Some(s) = embedded {
                s.stop().await;
            }
            outcome
        }
        Command::Worker {
            nats,
            service,
            workers,
        } => {
            let parts = Parts {
                workers: Some(workers.settings()?),
                responder: false,
                http: None,
            };
            serve(&nats, &service, &url(&nats)?, parts).await
        }
        Command::Responder { nats, service } => {
            let parts = Parts {
                workers: None,
                responder: true,
                http: None,
            };
            serve(&nats, &service, &url(&nats)?, parts).await
        }
        Command::Http {
            nats,
            service,
            http,
        } => {
            let listener = tokio::net::TcpListener::bind(&http.http_addr).await?;
            let parts = Parts {
                workers: None,
                responder: false,
                http: Some((listener, http.http_token.clone())),
            };
            serve(&nats, &service, &url(&nats)?, parts).await
        }
        Command::Submit {
            job_type,
            file,
            wait,
            task_id,
            nats,
        } => submit(&job_type, &file, wait, task_id.as_deref(), &nats).await,
        Command::Status {
            task_id,
            job_type,
            nats,
        } => {
            let c = bus::connect(&url(&nats)?, &nats.auth()).await?;
            let doc = client::status(&c, &Names::new(&nats.prefix)?, &task_id, &job_type).await?;
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(if doc["status"] == serde_json::json!(true) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Watch { nats } => {
            let c = bus::connect(&url(&nats)?, &nats.auth()).await?;
            client::watch(&c, &Names::new(&nats.prefix)?).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Compute { .. } => unreachable!("handled without a runtime"),
    }
}

fn url(nats: &NatsArgs) -> anyhow::Result<String> {
    Ok(nats
        .nats_url
        .clone()
        .unwrap_or_else(|| "nats://127.0.0.1:4222".into()))
}

async fn serve(
    nats: &NatsArgs,
    service: &ServiceArgs,
    url: &str,
    parts: Parts,
) -> anyhow::Result<ExitCode> {
    let client = bus::connect(url, &nats.auth()).await?;
    let settings = Settings {
        names: Names::new(&nats.prefix)?,
        bus: service.bus(),
        limits: service.limits(),
        max_body: service.max_body,
        job_timeout: Duration::from_secs(service.job_timeout_secs),
    };
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

async fn submit(
    job_type: &str,
    file: &str,
    wait: bool,
    task_id: Option<&str>,
    nats: &NatsArgs,
) -> anyhow::Result<ExitCode> {
    let t =
        JobType::parse(job_type).ok_or_else(|| anyhow::anyhow!("unknown job type {job_type:?}"))?;
    let body = read(file)?;
    let c = bus::connect(&url(nats)?, &nats.auth()).await?;
    let names = Names::new(&nats.prefix)?;
    if !wait {
        let answer = client::submit(&c, &names, t, body.into(), task_id).await?;
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(exit_of_submission(&answer));
    }
    let started = Instant::now();
    let ending = client::submit_and_wait(&c, &names, t, body.into(), task_id, |text| {
        eprintln!("[{:>6.2}s] {text}", started.elapsed().as_secs_f64());
    })
    .await?;
    match ending {
        client::Ending::Refused(doc) => {
            eprintln!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(exit_of_submission(&doc))
        }
        client::Ending::Finished(doc) => {
            let state = doc["data"]["task_state"].as_str().unwrap_or("?");
            eprintln!("[{:>6.2}s] {state}", started.elapsed().as_secs_f64());
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(if state == "SUCCESS" {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn exit_of_submission(answer: &serde_json::Value) -> ExitCode {
    if answer["status"] == serde_json::json!(true) {
        ExitCode::SUCCESS
    } else if answer["info"]["code"] == "INVALID_BODY" {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}

/// `pasta compute`: exit 0 with the document, 2 with the problems of an invalid body.
fn compute(job_type: &str, file: &str, pretty: bool) -> ExitCode {
    let Some(job_type) = JobType::parse(job_type) else {
        eprintln!("$type: unknown job type {job_type:?}");
        return ExitCode::from(2);
    };
    let text = match read(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::from(2);
        }
    };
    let body: serde_json::Value = match serde_json::from_slice(&text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("$: not JSON: {e}");
            return ExitCode::from(2);
        }
    };
    let job = match Job::parse(job_type, &body, &Limits::default()) {
        Ok(job) => job,
        Err(problems) => {
            eprintln!("{problems}");
            return ExitCode::from(2);
        }
    };
    let epoch = Instant::now();
    let document = pasta::engine::compute(&job, &|| epoch.elapsed().as_secs_f64() * 1000.0);
    let out = if pretty {
        serde_json::to_string_pretty(&document)
    } else {
        serde_json::to_string(&document)
    };
    let mut stdout = std::io::stdout().lock();
    let written = writeln!(
        stdout,
        "{}",
        out.expect("a result document always serialises")
    );
    if written.is_err() {
        // A closed pipe (`| head`) is not an error of the computation.
        return ExitCode::SUCCESS;
    }
    ExitCode::SUCCESS
}

fn read(file: &str) -> std::io::Result<Vec<u8>> {
    if file == "-" {
        let mut s = Vec::new();
        std::io::stdin().read_to_end(&mut s)?;
        Ok(s)
    } else {
        std::fs::read(file)
    }
}
