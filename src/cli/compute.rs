//! `pasta compute`: the computation offline, no NATS.

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use super::read;
use crate::model::{JobType, Limits};

/// Prints the result document of a body: exit 0 with the document, 2 with the problems of an
/// invalid body on standard error.
pub fn compute(job_type: &str, file: &str, pretty: bool) -> ExitCode {
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
    let job = match crate::model::body::parse(job_type, &text, &Limits::default()) {
        Ok(job) => job,
        Err(problems) => {
            eprintln!("{problems}");
            return ExitCode::from(2);
        }
    };
    let epoch = Instant::now();
    let document = crate::engine::compute(&job, &|| epoch.elapsed().as_secs_f64() * 1000.0);
    let out = if pretty {
        serde_json::to_string_pretty(&document)
    } else {
        serde_json::to_string(&document)
    };
    let out = out.expect("a result document always serialises");
    // A closed pipe (`| head`) is not an error of the computation.
    let _ = writeln!(std::io::stdout().lock(), "{out}");
    ExitCode::SUCCESS
}
