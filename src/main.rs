//! The `pasta` command: parse the command line, start tracing, run the chosen part.

use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use pasta::model::{Job, JobType, Limits};

/// Segment Routing traffic-engineering path computation.
#[derive(Parser)]
#[command(name = "pasta", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Compute {
            job_type,
            file,
            pretty,
        } => compute(&job_type, &file, pretty),
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
    let body: serde_json::Value = match serde_json::from_str(&text) {
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
    println!("{}", out.expect("a result document always serialises"));
    ExitCode::SUCCESS
}

fn read(file: &str) -> std::io::Result<String> {
    if file == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        Ok(s)
    } else {
        std::fs::read_to_string(file)
    }
}
