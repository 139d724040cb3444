//! pasta: Segment Routing traffic-engineering path computation.
//!
//! The library is the functional core: [`model`] turns a wire body into a validated [`model::Job`],
//! [`engine`] computes its result document. Neither does I/O. The binary (`src/main.rs`) is the
//! imperative shell.

pub mod engine;
pub mod model;

use model::{Job, JobType, Limits, Problems};

/// Parses, validates and computes a wire body in one call, with `time` fixed at 0: the
/// deterministic document that tests compare. Invalid bodies give every problem found.
pub fn compute_value(
    job_type: JobType,
    body: &serde_json::Value,
) -> Result<serde_json::Value, Problems> {
    let job = Job::parse(job_type, body, &Limits::default())?;
    let document = engine::compute(&job, &|| 0.0);
    Ok(serde_json::to_value(&document).expect("a result document always serialises"))
}
