//! pasta: Segment Routing traffic-engineering path computation as asynchronous jobs over NATS.
//!
//! The functional core is [`model`] (a wire body becomes a validated [`model::Job`]) and
//! [`engine`] (its result document); neither does I/O. Around it: [`service`] (submission, status,
//! the task record's rules), [`bus`] (everything NATS), [`http`] (everything HTTP), [`app`]
//! (wiring), [`server`] (the embedded nats-server) and [`config`]. `src/main.rs` is the shell.

pub mod app;
pub mod bus;
pub mod config;
pub mod engine;
pub mod http;
pub mod model;
pub mod server;
pub mod service;

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
