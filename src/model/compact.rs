//! The compact form of a validated request: what a job message carries from submission to the
//! workers, so that a worker decodes the request instead of reading and validating the JSON body
//! a second time (under a backlog, that second reading was a fifth of a small job's CPU).
//!
//! The form is postcard over the derived serde of the [`Request`] types. It is not
//! self-describing: the bus names it by a format number (`Pasta-Format`), and the test
//! `the_compact_layout_is_pinned` fails on any change of the layout, so that a change comes with
//! a new number and a worker never misreads a job written by another version.
//!
//! Decoding checks the cross-references again (`model::validate`): the engine relies on them,
//! and that must not rest on whoever could publish on a job subject.

use std::collections::HashSet;

use super::{validate, Job, JobType, Limits, Problems, Request};

/// The compact bytes of a validated request.
pub fn encode(request: &Request) -> Vec<u8> {
    postcard::to_allocvec(request).expect("a request always serialises")
}

/// The job of compact bytes: decoded, then its references, uniqueness and sizes checked.
pub fn decode(job_type: JobType, bytes: &[u8], limits: &Limits) -> Result<Job, Problems> {
    let request: Request = postcard::from_bytes(bytes).map_err(|e| {
        let mut problems = Problems::default();
        problems.push("$", format!("not a compact job: {e}"));
        problems
    })?;
    let mut problems = Problems::default();
    validate::check(job_type, &request, limits, &HashSet::new(), &mut problems);
    if problems.0.is_empty() {
        Ok(Job { job_type, request })
    } else {
        Err(validate::capped(problems, 0))
    }
}
