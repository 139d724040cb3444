//! The request model: the validated, defaulted types a job is made of.
//!
//! Owns the wire body's meaning: field names and aliases, defaults, algorithm presets, and every
//! validation rule of the contract (§2). The wire body becomes these types once, at the edge
//! ([`Job::parse`]); everything after that (the engine, the service) takes `&Job` and never
//! re-checks a field. This module does no I/O and knows nothing of NATS or HTTP.

pub mod body;
pub mod canonical;
pub mod compact;
mod job;
pub mod json;
mod limits;
pub(crate) mod parse;
mod problems;
mod request;
#[cfg(test)]
mod tests;
pub mod topology;
pub(crate) mod validate;

pub use job::{Job, JobType};
pub use limits::Limits;
pub use problems::{Problem, Problems};
pub use request::{
    AlgorithmEntry, Encoding, Former, Global, Link, Metric, Node, Policy, Prefix, QosClass,
    ReoptMode, Request, SegPath, Sorter, Sorting,
};
pub use topology::Network;
