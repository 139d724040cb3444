//! The path engine: from a validated [`Job`] to its result document (contract §3).
//!
//! Pure and deterministic: no I/O, no clock (the caller passes one for the `time` fields), no
//! randomness, no global state. Its graph types and indices never leave this module.
//!
//! The pipeline for one policy: [`feasible`] (step 1) → [`stream`] of candidates in order, built
//! from [`yen`] per leg over [`search`] (step 2) → [`select`] (`top`, `sorter`, `limit`, `msd`) →
//! [`encode`] against the shared [`igp`] model (step 3) → [`expand`] and [`render`] (step 4) →
//! [`reserve`] (step 5), or [`diagnose`] (step 6). [`single`] runs the single-policy job types.

use crate::model::{Job, JobType};

pub mod chunked;
pub mod congest;
pub mod diagnose;
pub mod echo;
pub mod encode;
pub mod expand;
pub mod feasible;
pub mod igp;
pub mod policy;
pub mod prepared;
pub mod render;
pub mod reopt;
pub mod reserve;
pub mod result;
pub mod search;
pub mod select;
pub mod single;
pub mod stream;
pub mod topology;
pub mod yen;

#[cfg(test)]
mod tests;

pub use result::Document;

/// Computes the result document of a job. `now_ms` reads a monotonic clock in milliseconds; it is
/// used only for the `time` fields.
pub fn compute(job: &Job, now_ms: &dyn Fn() -> f64) -> Document {
    let topo = topology::Topology::new(&job.request);
    let mut ctx = policy::Ctx::new(&topo, &job.request);
    run(&mut ctx, job, now_ms)
}

/// Runs a job in a context (its topology view and IGP model).
fn run(ctx: &mut policy::Ctx, job: &Job, now_ms: &dyn Fn() -> f64) -> Document {
    let ctx = &mut *ctx;
    match job.job_type {
        JobType::BodPasta | JobType::NonbodPasta | JobType::BodModified => {
            single::compute(ctx, job, now_ms)
        }
        JobType::BodReopt => reopt::bod(ctx, now_ms),
        JobType::NonbodReopt => reopt::nonbod(ctx, now_ms),
        JobType::BodCongestReopt => congest::compute(ctx, now_ms),
    }
}
