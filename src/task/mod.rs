//! The life of a task, in one place.
//!
//! ```text
//!   submission ──create──▶ PENDING ──CAS──▶ STARTED ──CAS──▶ SUCCESS | FAILURE
//!                             │                                  ▲
//!                             └──────────────CAS─────────────────┘
//!      (a job published straight gets its record from its first delivery: `delivery::adopt`)
//! ```
//!
//! A task is a [`TaskRecord`] in the KV bucket, keyed by its [`TaskId`]; every transition is a
//! method of the record (written once, in [`record`]) stored by compare-and-set ([`store`]), so
//! a redelivered job never writes a second result. A FAILURE carries a [`TaskFailure`] with its
//! [`FailureCode`]. [`delivery`] takes one delivered job message through the transitions, top to
//! bottom; [`worker`] pulls the messages and shares the compute slots ([`slots`]); [`events`]
//! announces each state on `PASTA_EVENTS`; [`ack`] decides, from what happened, how the message
//! is settled; [`compute`] runs the engine; [`handoff`] keeps the jobs submission parsed for a
//! worker of the same process; [`replica`] keeps the final records a watch sees, for status
//! answers without a bus round trip.
//!
//! The bus is the adapter below: this module calls its operations (records are bytes to it);
//! nothing in `bus` imports this module or the service layer above.

pub mod ack;
pub mod cancel;
pub mod compute;
pub mod delivery;
pub mod events;
pub mod failure;
pub mod handoff;
pub mod held;
pub mod id;
pub mod recent;
pub mod record;
pub mod replica;
pub mod slots;
pub mod spill;
pub mod store;
pub mod worker;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use failure::{FailureCode, TaskFailure};
pub use id::{NotATaskId, TaskId};
pub use record::{ResultBlob, TaskRecord, TaskState};

use crate::bus::Bus;
use crate::metrics::Metrics;
use crate::model::Limits;

/// What the lifecycle needs of its process: the bus, the request limits, the job time-out, the
/// metrics and the hand-off of parsed jobs. Cloned for every request and job (the parts are
/// shared).
#[derive(Clone)]
pub struct Tasks {
    /// The bus.
    pub bus: Arc<Bus>,
    /// Request size limits.
    pub limits: Limits,
    /// Time-out of one computation.
    pub job_timeout: Duration,
    /// How long a computation may run before its task is announced STARTED: one that ends
    /// sooner goes straight from PENDING to its final state.
    pub started_after: Duration,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Jobs parsed at submission, for this process's workers.
    pub handoff: Arc<handoff::Handoff>,
    /// The held topologies' revisions this process has read.
    pub held: Arc<held::Held>,
    /// The tasks this process has heard cancelled (fed while it runs workers).
    pub cancelled: Arc<cancel::Cancelled>,
}

/// Now, RFC 3339 UTC with milliseconds.
pub fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}
