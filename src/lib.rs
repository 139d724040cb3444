//! pasta: Segment Routing traffic-engineering path computation as asynchronous jobs over NATS.
//!
//! The functional core is [`model`] (a wire body becomes a validated [`model::Job`]) and
//! [`engine`] (its result document); neither does I/O. Around it, top down: [`http`]
//! (everything HTTP) and the NATS service call [`service`] (submission, status, synchronous
//! computation); [`task`] is a task's life after submission (records, deliveries, workers,
//! events); [`bus`] is the adapter to NATS below them all. [`app`] wires the parts, [`cli`] is
//! the command line, [`server`] the embedded nats-server, [`config`] the settings and
//! [`metrics`] the counters. `src/main.rs` only parses and dispatches. [`view`] renders the web
//! view's pages from values (pure, like the core).

pub mod app;
pub mod bus;
pub mod cli;
pub mod config;
pub mod engine;
pub mod http;
#[cfg(test)]
mod layers;
pub mod metrics;
pub mod model;
pub mod server;
pub mod service;
pub mod task;
pub mod view;

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
