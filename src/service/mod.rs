//! The service layer: submission, status and synchronous computation, shared by the NATS
//! responder and the HTTP bridge (which never import each other).
//!
//! It owns the rules of the contract's §4–§5 that do not depend on a transport: validation before
//! anything is stored, idempotent resubmission by task id, the record created before the job is
//! published, the status document. The task's life after submission is [`crate::task`]'s;
//! storage and queueing go through [`crate::bus`].

pub mod admission;
pub mod answer;
pub mod error;
pub mod jobs;
pub mod status;
pub mod submit;
pub mod topology;
pub mod view;

use std::sync::Arc;

use bytes::Bytes;
use serde_json::value::RawValue;

pub use crate::bus::responder::EXPECTED_REVISION_HEADER;
pub use crate::bus::TASK_ID_HEADER;
/// The `Content-Type` of [`Service::metrics_text`].
pub use crate::metrics::CONTENT_TYPE as METRICS_CONTENT_TYPE;
pub use admission::{Admission, Admitted, Ticket};
pub use error::ApiError;

use crate::bus::BusError;
use crate::model::{self, Job, JobType, Limits};
use crate::task::recent::Recent;
use crate::task::replica::Replica;
use crate::task::{self, TaskId, Tasks};

/// Submission and status over one bus.
#[derive(Clone)]
pub struct Service {
    /// The task lifecycle's handles (the bus, limits, metrics, hand-off).
    pub tasks: Tasks,
    /// Largest body accepted, in bytes.
    pub max_body: usize,
    /// The final records a watch has seen, when this process answers statuses.
    pub replica: Option<Arc<Replica>>,
    /// The recent tasks the same watch has seen, when this process answers statuses.
    pub recent: Option<Arc<Recent>>,
    /// The memory budget bodies are admitted against.
    pub admission: Admission,
    /// Revisions of each held topology kept at least.
    pub topology_revisions: u64,
}

/// A task id as given by a client.
pub fn task_id(raw: &str) -> Result<TaskId, ApiError> {
    TaskId::parse(raw).map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// A job type as given by a client.
pub fn job_type(raw: &str) -> Result<JobType, ApiError> {
    JobType::parse(raw).ok_or_else(|| {
        let shown: String = raw.chars().take(64).collect();
        ApiError::BadRequest(format!(
            "type {shown:?} is not one of bod_pasta, nonbod_pasta, bod_modified, bod_reopt, nonbod_reopt, bod_congest_reopt"
        ))
    })
}

impl From<BusError> for ApiError {
    fn from(e: BusError) -> Self {
        match e {
            BusError::QueueFull => ApiError::Unavailable("the job queue is full".into()),
            BusError::Unavailable(m) => ApiError::Unavailable(m),
            BusError::Corrupt(m) => ApiError::Internal(m),
        }
    }
}

impl Service {
    /// Every completion event (`started`, `success`, `failure` of every type) from now on, as
    /// published: what the web view's task list follows.
    pub async fn follow_events(
        &self,
    ) -> Result<impl futures::Stream<Item = Bytes> + Send + Unpin + 'static, ApiError> {
        use futures::StreamExt;
        let (_, events) = self.tasks.bus.follow_events("*", None).await?;
        Ok(events.map(|(payload, _)| payload))
    }

    /// Computes a body at once, without the queue (what-if): the SUCCESS result document, as
    /// JSON text. The body may be `{"$ref": "body/<uuid>"}`, an upload, as for submission.
    pub async fn compute(
        &self,
        job_type: JobType,
        body: Admitted,
    ) -> Result<Box<RawValue>, ApiError> {
        // An uploaded body may be named as for submission (and stays for further what-ifs).
        let (body, _) = self.resolve(body).await?;
        let limits = self.tasks.limits.clone();
        // A body naming a held topology: its revision, read (or taken from the cache) first.
        let names_one = body.bytes.windows(10).any(|w| w == b"\"topology\"");
        let reference = off_thread(&body.bytes, &limits, move |body, limits| {
            if !names_one {
                return Ok(None);
            }
            let json = model::body::read_json(body, limits).map_err(ApiError::InvalidBody)?;
            model::topology::reference(&json).map_err(ApiError::InvalidBody)
        })
        .await?;
        let held = match reference {
            Some(r) => Some(self.resolve_topology(&r, false).await?.1),
            None => None,
        };
        let work = tokio::task::spawn_blocking(move || {
            let job = match held {
                None => model::body::parse(job_type, &body.bytes, &limits),
                Some(net) => model::body::read_json(&body.bytes, &limits)
                    .and_then(|json| Job::parse_on(job_type, &json, &limits, &net)),
            }
            .map_err(ApiError::InvalidBody)?;
            task::compute::compute(&job).map_err(|failure| ApiError::Internal(failure.message))
        });
        let timeout = self.tasks.job_timeout;
        match tokio::time::timeout(timeout, work).await {
            Ok(joined) => joined.map_err(|e| ApiError::Internal(e.to_string()))?,
            Err(_) => Err(ApiError::Unavailable(format!(
                "the computation exceeded its time-out of {timeout:?}"
            ))),
        }
    }

    /// The charge of a body of `len` bytes against the body budget, waiting for room up to
    /// the admission wait.
    pub async fn admit(&self, len: usize) -> Result<Ticket, ApiError> {
        let admitted = self.admission.admit(len).await;
        if let Err(e) = &admitted {
            self.tasks.metrics.rejected(e.code());
        }
        admitted
    }

    /// The charge of a body of `len` bytes if the body budget has room now.
    pub fn try_admit(&self, len: usize) -> Result<Ticket, ApiError> {
        let admitted = self.admission.try_admit(len);
        if let Err(e) = &admitted {
            self.tasks.metrics.rejected(e.code());
        }
        admitted
    }

    /// Whether the connection to NATS is up.
    pub fn connected(&self) -> bool {
        self.tasks.bus.connected()
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics_text(&self) -> String {
        let depth = self.tasks.bus.queue_depth().await;
        self.tasks.metrics.render(depth)
    }

    /// Refuses a body larger than the service accepts.
    fn check_size(&self, size: usize) -> Result<(), ApiError> {
        if size > self.max_body {
            return Err(ApiError::TooLarge {
                size,
                limit: self.max_body,
            });
        }
        Ok(())
    }
}

/// Bodies up to this size are parsed on the calling task: handing them to the blocking pool
/// would cost more than parsing them (tens of microseconds).
const PARSE_INLINE_MAX: usize = 64 * 1024;

/// Runs `work` on a body: on the calling task when the body is small, on the blocking pool when
/// it is large enough to hold up the runtime.
async fn off_thread<T, F>(body: &Bytes, limits: &Limits, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&[u8], &Limits) -> Result<T, ApiError> + Send + 'static,
{
    if body.len() <= PARSE_INLINE_MAX {
        return work(body, limits);
    }
    let (body, limits) = (body.clone(), limits.clone());
    tokio::task::spawn_blocking(move || work(&body, &limits))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// Parses and validates a wire body: the job and the digest resubmissions compare.
pub fn parse_body(
    job_type: JobType,
    body: &[u8],
    limits: &Limits,
) -> Result<(Job, String), ApiError> {
    model::body::parse_with_digest(job_type, body, limits).map_err(ApiError::InvalidBody)
}

#[cfg(test)]
mod tests {
    mod schema;

    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_task_id_text_is_a_uuid_or_a_bad_request_naming_it(raw in ".{0,300}") {
            match task_id(&raw) {
                Ok(id) => prop_assert!(uuid::Uuid::parse_str(id.as_str()).is_ok()),
                Err(ApiError::BadRequest(m)) => prop_assert!(m.contains("task_id") && m.len() < 1024),
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }

        #[test]
        fn kv_unsafe_and_oversized_task_ids_are_refused(
            raw in prop::sample::select(vec!["*", ">", "..", "a.b", "$KV", " ", ""]),
            pad in 0usize..5000,
        ) {
            let text = format!("{raw}{}", "x".repeat(pad));
            prop_assert!(matches!(task_id(&text), Err(ApiError::BadRequest(_))));
        }

        #[test]
        fn arbitrary_bytes_as_a_body_give_a_job_or_an_invalid_body_never_a_panic(
            bytes in prop::collection::vec(any::<u8>(), 0..2048),
            t in prop::sample::select(JobType::ALL.to_vec()),
        ) {
            match parse_body(t, &bytes, &Limits::default()) {
                Ok(_) => {}
                Err(ApiError::InvalidBody(problems)) => prop_assert!(!problems.0.is_empty()),
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }

        #[test]
        fn any_type_text_is_a_job_type_or_a_bad_request(raw in ".{0,100}") {
            match job_type(&raw) {
                Ok(t) => prop_assert_eq!(t.as_str(), raw.as_str()),
                Err(ApiError::BadRequest(m)) => prop_assert!(m.contains("type")),
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}
