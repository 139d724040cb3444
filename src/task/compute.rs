//! Running the engine for a job: the clock, and a panic turned into a `PANIC` failure with its
//! message.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use serde_json::value::RawValue;

use super::{FailureCode, TaskFailure};
use crate::engine::chunked::{ChunkedJson, Output};
use crate::engine::prepared::Prepared;
use crate::engine::Document;
use crate::model::Job;

/// Computes a job's result document, as JSON text; a panic becomes `PANIC` with its message.
pub fn compute(job: &Job) -> Result<Box<RawValue>, TaskFailure> {
    let document = document(job, None)?;
    Ok(serde_json::value::to_raw_value(&document).expect("documents serialise"))
}

/// [`compute`] on the view and trees jobs on the same held topology revision share, when the
/// job names one (the result is the same, byte for byte), written into `out`: whole when it is
/// small, otherwise sent on in pieces as it is written.
pub fn compute_into(
    job: &Job,
    prepared: Option<&Prepared>,
    mut out: ChunkedJson,
) -> Result<Output, TaskFailure> {
    let document = document(job, prepared)?;
    serde_json::to_writer(&mut out, &document).expect("documents serialise");
    Ok(out.finish())
}

/// The result document of a job; a panic becomes `PANIC` with its message.
fn document(job: &Job, prepared: Option<&Prepared>) -> Result<Document, TaskFailure> {
    let epoch = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        #[cfg(any(test, feature = "test-hooks"))]
        panic_hook(job);
        let clock = || epoch.elapsed().as_secs_f64() * 1000.0;
        match prepared {
            Some(p) => p.compute(job, &clock),
            None => crate::engine::compute(job, &clock),
        }
    }));
    outcome.map_err(|panic| {
        let text = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        TaskFailure::new(
            FailureCode::Panic,
            format!("the computation panicked: {text}"),
        )
    })
}

/// Test builds only: a policy whose id is `__panic__` makes the computation panic, and one whose
/// id is `__sleep_<ms>__` makes it sleep, so that fault tests can exercise both paths.
#[cfg(any(test, feature = "test-hooks"))]
fn panic_hook(job: &Job) {
    for p in &job.request.policies {
        if p.id == "__panic__" {
            panic!("test hook: __panic__");
        }
        if let Some(ms) =
            p.id.strip_prefix("__sleep_")
                .and_then(|s| s.strip_suffix("__"))
                .and_then(|s| s.parse::<u64>().ok())
        {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }
}
