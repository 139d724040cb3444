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

use std::sync::Arc;

use super::{validate, Job, JobType, Limits, Network, Problems, Request};

/// The compact bytes of a validated request.
pub fn encode(request: &Request) -> Vec<u8> {
    postcard::to_allocvec(request).expect("a request always serialises")
}

/// The compact bytes of a request whose topology is a held revision: without its nodes and
/// links, which the worker takes from the revision ([`decode_on`]).
pub fn encode_without_topology(request: &Request) -> Vec<u8> {
    let bare = Request {
        nodes: Arc::default(),
        links: Arc::default(),
        policies: request.policies.clone(),
        global: request.global.clone(),
        congested_link: request.congested_link.clone(),
    };
    encode(&bare)
}

/// The job of compact bytes: decoded, then its references, uniqueness and sizes checked.
pub fn decode(job_type: JobType, bytes: &[u8], limits: &Limits) -> Result<Job, Problems> {
    decode_on(job_type, bytes, limits, None)
}

/// [`decode`] of a job whose body named a held topology: its compact form carries no nodes
/// and links; `network` (the revision the task records) provides them.
pub fn decode_on(
    job_type: JobType,
    bytes: &[u8],
    limits: &Limits,
    network: Option<&Network>,
) -> Result<Job, Problems> {
    let mut request: Request = postcard::from_bytes(bytes).map_err(|e| {
        let mut problems = Problems::default();
        problems.push("$", format!("not a compact job: {e}"));
        problems
    })?;
    let topology = match network {
        Some(net) => {
            request.nodes = net.nodes.clone();
            request.links = net.links.clone();
            validate::Topology::Held(net)
        }
        None => validate::Topology::Inline,
    };
    let mut problems = Problems::default();
    validate::check(
        job_type,
        &request,
        topology,
        limits,
        &HashSet::new(),
        &mut problems,
    );
    if problems.0.is_empty() {
        Ok(Job { job_type, request })
    } else {
        Err(validate::capped(problems, 0))
    }
}
