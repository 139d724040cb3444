//! The `pasta` command: parses the command line, starts tracing, and dispatches to
//! [`pasta::cli`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pasta::cli::{self, HttpArgs, MetricsArgs, WorkerArgs};
use pasta::config::{NatsArgs, ServiceArgs};

/// jemalloc: a small job allocates a hundred short-lived blocks, many freed by another thread
/// than the one that allocated them, where glibc malloc spent about a third of the CPU and
/// mimalloc a quarter (PERFORMANCE.md, "Throughput: what changed it, and what was tried"). Its
/// options are built in: `.cargo/config.toml`.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
        #[command(flatten)]
        metrics: MetricsArgs,
    },
    /// The NATS service (submit and status endpoints) only.
    Responder {
        #[command(flatten)]
        nats: NatsArgs,
        #[command(flatten)]
        service: ServiceArgs,
        #[command(flatten)]
        metrics: MetricsArgs,
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
    /// Lists recent tasks, most recently submitted first (operators: it needs the right to
    /// `pasta.job.list`).
    Jobs {
        /// Only tasks of this job type.
        #[arg(long = "type")]
        job_type: Option<String>,
        /// Only tasks in this state: PENDING, SUCCESS or FAILURE.
        #[arg(long)]
        state: Option<String>,
        /// At most this many (1 to 1000; 50 when not given).
        #[arg(long)]
        limit: Option<u32>,
        #[command(flatten)]
        nats: NatsArgs,
    },
    /// Cancels a PENDING task (exit 0 when cancelled, 1 otherwise: a final task is a CONFLICT).
    Cancel {
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
    /// Held topologies: put, change, get, list, delete (exit 0 when done, 2 for an invalid
    /// topology or change, 1 otherwise).
    Topology {
        #[command(subcommand)]
        op: TopologyCommand,
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

/// What `pasta topology` does.
#[derive(Subcommand)]
enum TopologyCommand {
    /// Creates or replaces a topology from a `{nodes, links}` file.
    Put {
        /// The topology's name.
        name: String,
        /// The document, or `-` for standard input.
        file: String,
        /// Applied only if the head is this revision (0: only if the name is new).
        #[arg(long)]
        expect: Option<u64>,
    },
    /// Applies a change document (`{"changes": [...]}`).
    Change {
        /// The topology's name.
        name: String,
        /// The change document, or `-` for standard input.
        file: String,
        /// Applied only if the head is this revision.
        #[arg(long)]
        expect: Option<u64>,
    },
    /// Prints a kept revision (the head by default).
    Get {
        /// The topology's name.
        name: String,
        /// The revision.
        #[arg(long)]
        revision: Option<u64>,
    },
    /// Lists the topologies.
    List,
    /// Deletes a topology.
    Delete {
        /// The topology's name.
        name: String,
        /// Deleted only if the head is this revision.
        #[arg(long)]
        expect: Option<u64>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "pasta=info,warn".into()),
        )
        .with_writer(std::io::stderr);
    // `PASTA_LOG_FORMAT=json`: one JSON object per line (time, level, target, fields, spans),
    // for log pipelines; anything else, text for people.
    match std::env::var("PASTA_LOG_FORMAT").as_deref() {
        Ok("json") => logs.json().flatten_event(true).init(),
        _ => logs.init(),
    }
    if let Command::Compute {
        job_type,
        file,
        pretty,
    } = &cli.command
    {
        return cli::compute::compute(job_type, file, *pretty);
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
            let options = (&http, &workers);
            cli::parts::serve(&nats, &service, options, (&nats_conf, &data_dir)).await
        }
        Command::Worker {
            nats,
            service,
            workers,
            metrics,
        } => cli::parts::worker(&nats, &service, &workers, &metrics).await,
        Command::Responder {
            nats,
            service,
            metrics,
        } => cli::parts::responder(&nats, &service, &metrics).await,
        Command::Http {
            nats,
            service,
            http,
        } => cli::parts::http(&nats, &service, &http).await,
        Command::Submit {
            job_type,
            file,
            wait,
            task_id,
            nats,
        } => cli::client::submit(&job_type, &file, wait, task_id.as_deref(), &nats).await,
        Command::Status {
            task_id,
            job_type,
            nats,
        } => cli::client::status(&task_id, &job_type, &nats).await,
        Command::Jobs {
            job_type,
            state,
            limit,
            nats,
        } => {
            let query = cli::client::ListQuery {
                job_type: job_type.as_deref(),
                state: state.as_deref(),
                limit,
            };
            cli::client::jobs(query, &nats).await
        }
        Command::Cancel {
            task_id,
            job_type,
            nats,
        } => cli::client::cancel(&task_id, &job_type, &nats).await,
        Command::Watch { nats } => cli::client::watch(&nats).await,
        Command::Topology { op, nats } => {
            let (op, name, file, revision, expect) = match op {
                TopologyCommand::Put { name, file, expect } => {
                    ("put", Some(name), Some(file), None, expect)
                }
                TopologyCommand::Change { name, file, expect } => {
                    ("change", Some(name), Some(file), None, expect)
                }
                TopologyCommand::Get { name, revision } => {
                    ("get", Some(name), None, revision, None)
                }
                TopologyCommand::List => ("list", None, None, None, None),
                TopologyCommand::Delete { name, expect } => {
                    ("delete", Some(name), None, None, expect)
                }
            };
            let request = cli::client::TopologyRequest {
                op,
                name: name.as_deref(),
                file: file.as_deref(),
                revision,
                expect,
            };
            cli::client::topology(request, &nats).await
        }
        Command::Compute { .. } => unreachable!("handled without a runtime"),
    }
}
