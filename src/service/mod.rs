//! The service layer: submission, status and synchronous computation, shared by the NATS
//! responder and the HTTP bridge (which never import each other).
//!
//! It owns the rules of the contract's §4–§5 that do not depend on a transport: validation before
//! anything is stored, idempotent resubmission by task id, the record created before the job is
//! published, the status document. Storage and queueing go through [`crate::bus::Bus`].

pub mod ack;
pub mod canonical;
pub mod error;
pub mod handoff;
pub mod metrics;
pub mod record;
pub mod run;
pub mod status;

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde_json::value::RawValue;

pub use error::ApiError;

use crate::bus::{Bus, BusError, Created, JobFormat};
use crate::model::json::Json;
use crate::model::{Job, JobType, Limits};
use record::{TaskRecord, TaskState};

/// Submission and status over one bus.
#[derive(Clone)]
pub struct Service {
    /// The bus (shared: a service is cloned for every request and job).
    pub bus: std::sync::Arc<Bus>,
    /// Request size limits.
    pub limits: Limits,
    /// Largest body accepted, in bytes.
    pub max_body: usize,
    /// Time-out of synchronous computations and of one job.
    pub job_timeout: Duration,
    /// Counters for `/metrics`.
    pub metrics: std::sync::Arc<metrics::Metrics>,
    /// Jobs parsed at submission, for this process's workers.
    pub handoff: std::sync::Arc<handoff::Handoff>,
}

/// Now, RFC 3339 UTC with milliseconds.
pub fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// A task id as given by a client: a UUID, in its hyphenated lower-case form.
pub fn task_id(raw: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw.trim())
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| {
            let shown: String = raw.chars().take(64).collect();
            ApiError::BadRequest(format!("task_id {shown:?} is not a UUID"))
        })
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
    /// Validates a body and queues its job; answers the task id.
    pub async fn submit(
        &self,
        job_type: JobType,
        body: Bytes,
        chosen_id: Option<&str>,
    ) -> Result<String, ApiError> {
        let bound =
            self.bus.settings.request_timeout * 3 + self.job_timeout.min(Duration::from_secs(30));
        let outcome = tokio::time::timeout(bound, self.submit_inner(job_type, body, chosen_id))
            .await
            .unwrap_or_else(|_| {
                Err(ApiError::Unavailable(format!(
                    "JetStream did not answer within {bound:?}"
                )))
            });
        match &outcome {
            Ok(_) => self.metrics.submitted(job_type),
            Err(e) => self.metrics.rejected(e.code()),
        }
        outcome
    }

    async fn submit_inner(
        &self,
        job_type: JobType,
        body: Bytes,
        chosen_id: Option<&str>,
    ) -> Result<String, ApiError> {
        let task_id = match chosen_id {
            Some(raw) => task_id(raw)?,
            None => uuid::Uuid::new_v4().hyphenated().to_string(),
        };
        let (body, by_ref) = self.resolve(body).await?;
        let body_len = body.len();
        let (job, digest, compact) = prepare(job_type, &body, &self.limits).await?;
        // The job message carries the compact request when it fits in one (whether the body
        // came inline or uploaded), else the body through the blob store.
        let queued = if compact.len() <= self.bus.settings.inline_limit {
            Queued::Compact(compact)
        } else {
            Queued::Json { body, by_ref }
        };
        let record = TaskRecord::pending(&task_id, job_type.as_str(), &digest, &now());
        let revision = match self.bus.create_record(&record).await? {
            Created::New(rev) => rev,
            Created::Exists(existing, rev) => {
                if existing.job_type != job_type.as_str() || existing.digest != digest {
                    return Err(ApiError::Conflict(format!(
                        "task {task_id} exists with another type or body"
                    )));
                }
                if existing.state == TaskState::Pending {
                    self.publish(job_type, (&existing, rev), queued).await?;
                }
                return Ok(task_id);
            }
        };
        // Left before publishing: a local worker may get the job before the publish ack.
        self.handoff.offer(&task_id, &digest, body_len, job);
        if let Err(e) = self.publish(job_type, (&record, revision), queued).await {
            // Nothing was queued: the record must not read PENDING forever.
            self.handoff.take(&task_id, &digest);
            let _ = self.bus.delete_record(&task_id, revision).await;
            return Err(e);
        }
        Ok(task_id)
    }

    /// Reads a body, or the uploaded blob a `{"$ref": name}` body names.
    async fn resolve(&self, body: Bytes) -> Result<(Bytes, Option<String>), ApiError> {
        if body.len() > self.max_body {
            return Err(ApiError::TooLarge {
                size: body.len(),
                limit: self.max_body,
            });
        }
        if let Some(name) = crate::bus::blob_ref::named_blob(&body) {
            let blob = self.bus.get_blob(&name).await?.ok_or_else(|| {
                ApiError::InvalidBody(crate::model::Problems(vec![crate::model::Problem {
                    path: "$ref".into(),
                    message: format!("no object {name:?} in the blob store"),
                }]))
            })?;
            if blob.len() > self.max_body {
                return Err(ApiError::TooLarge {
                    size: blob.len(),
                    limit: self.max_body,
                });
            }
            return Ok((blob, Some(name)));
        }
        Ok((body, None))
    }

    async fn publish(
        &self,
        job_type: JobType,
        pending: (&TaskRecord, u64),
        queued: Queued,
    ) -> Result<(), ApiError> {
        let task_id = pending.0.task_id.as_str();
        let reference = |name: String| crate::bus::blob_ref::reference(&name);
        let (format, payload) = match queued {
            Queued::Compact(compact) => (JobFormat::Compact, compact),
            Queued::Json {
                by_ref: Some(name), ..
            } => (JobFormat::Json, reference(name)),
            Queued::Json { body, .. } if body.len() > self.bus.settings.inline_limit => {
                let name = format!("body/{task_id}");
                self.bus.put_blob(&name, body).await?;
                (JobFormat::Json, reference(name))
            }
            Queued::Json { body, .. } => (JobFormat::Json, body),
        };
        self.bus
            .publish_job(job_type, pending, format, payload)
            .await?;
        Ok(())
    }

    /// The status document of a task, as JSON text.
    pub async fn status(
        &self,
        raw_id: Option<&str>,
        raw_type: Option<&str>,
    ) -> Result<Box<RawValue>, ApiError> {
        let id = task_id(raw_id.ok_or_else(|| ApiError::BadRequest("task_id is missing".into()))?)?;
        let asked =
            job_type(raw_type.ok_or_else(|| ApiError::BadRequest("type is missing".into()))?)?;
        let (record, _) = self
            .bus
            .get_record(&id)
            .await?
            .ok_or_else(|| ApiError::NotFound(id.clone()))?;
        if record.job_type != asked.as_str() {
            return Err(ApiError::TypeMismatch {
                task_id: id,
                actual: record.job_type,
                asked: asked.as_str().into(),
            });
        }
        let result = match (&record.state, &record.result_ref) {
            (TaskState::Success, Some(name)) => {
                let blob = self.bus.get_blob(name).await?.ok_or_else(|| {
                    ApiError::Internal(format!("result {name} is missing from the blob store"))
                })?;
                let text = serde_json::from_slice::<Box<RawValue>>(&blob)
                    .map_err(|e| ApiError::Internal(format!("result {name}: {e}")))?;
                Some(text)
            }
            _ => None,
        };
        Ok(status::document(&record, result))
    }

    /// Computes a body at once, without the queue (what-if): the SUCCESS result document, as
    /// JSON text.
    pub async fn compute(&self, job_type: JobType, body: Bytes) -> Result<Box<RawValue>, ApiError> {
        if body.len() > self.max_body {
            return Err(ApiError::TooLarge {
                size: body.len(),
                limit: self.max_body,
            });
        }
        let limits = self.limits.clone();
        let work = tokio::task::spawn_blocking(move || {
            let job = parse_job(job_type, &body, &limits)?;
            run::compute(&job).map_err(|e| ApiError::Internal(e.message))
        });
        match tokio::time::timeout(self.job_timeout, work).await {
            Ok(joined) => joined.map_err(|e| ApiError::Internal(e.to_string()))?,
            Err(_) => Err(ApiError::Unavailable(format!(
                "the computation exceeded its time-out of {:?}",
                self.job_timeout
            ))),
        }
    }
}

/// Reads a wire body as JSON, or says why it is not.
fn read_json(body: &[u8]) -> Result<Json<'_>, ApiError> {
    Json::from_slice(body).map_err(|e| {
        ApiError::InvalidBody(crate::model::Problems(vec![crate::model::Problem {
            path: "$".into(),
            message: format!("not JSON: {e}"),
        }]))
    })
}

/// Parses and validates a wire body into its job.
pub fn parse_job(job_type: JobType, body: &[u8], limits: &Limits) -> Result<Job, ApiError> {
    let json = read_json(body)?;
    Job::parse_json(job_type, &json, limits).map_err(ApiError::InvalidBody)
}

/// The digest resubmissions compare, of any body (one that is not JSON counts as `null`).
pub fn digest(job_type: JobType, body: &[u8]) -> String {
    let json = Json::from_slice(body).unwrap_or(Json::Null);
    canonical::digest(job_type.as_str(), &json)
}

/// What a job message carries.
enum Queued {
    /// The request in its compact form ([`crate::model::compact`]).
    Compact(Bytes),
    /// The JSON body (inline, or through the blob store when large), or the uploaded blob it
    /// named.
    Json {
        /// The body.
        body: Bytes,
        /// The blob a `{"$ref": name}` submission named.
        by_ref: Option<String>,
    },
}

/// [`parse_body_off_thread`], and the request's compact form for the job message.
async fn prepare(
    job_type: JobType,
    body: &Bytes,
    limits: &Limits,
) -> Result<(Job, String, Bytes), ApiError> {
    let both = move |body: &[u8], limits: &Limits| {
        let (job, digest) = parse_body(job_type, body, limits)?;
        let compact = Bytes::from(crate::model::compact::encode(&job.request));
        Ok((job, digest, compact))
    };
    if body.len() <= PARSE_INLINE_MAX {
        return both(body, limits);
    }
    let (body, limits) = (body.clone(), limits.clone());
    tokio::task::spawn_blocking(move || both(&body, &limits))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// Bodies up to this size are parsed on the calling task: handing them to the blocking pool
/// would cost more than parsing them (tens of microseconds).
const PARSE_INLINE_MAX: usize = 64 * 1024;

/// [`parse_body`], on the blocking pool when the body is large enough to hold up the runtime.
pub async fn parse_body_off_thread(
    job_type: JobType,
    body: &Bytes,
    limits: &Limits,
) -> Result<(Job, String), ApiError> {
    if body.len() <= PARSE_INLINE_MAX {
        return parse_body(job_type, body, limits);
    }
    let (body, limits) = (body.clone(), limits.clone());
    tokio::task::spawn_blocking(move || parse_body(job_type, &body, &limits))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// Parses and validates a wire body: the job and the digest resubmissions compare.
pub fn parse_body(
    job_type: JobType,
    body: &[u8],
    limits: &Limits,
) -> Result<(Job, String), ApiError> {
    let json = read_json(body)?;
    let digest = canonical::digest(job_type.as_str(), &json);
    let job = Job::parse_json(job_type, &json, limits).map_err(ApiError::InvalidBody)?;
    Ok((job, digest))
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
                Ok(id) => prop_assert!(uuid::Uuid::parse_str(&id).is_ok()),
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

    #[test]
    fn a_uuid_in_upper_case_or_with_spaces_is_normalised() {
        let id = task_id(" 6F1C2A9E-8D4B-4C1A-9E2F-0A1B2C3D4E5F ").unwrap();
        assert_eq!(id, "6f1c2a9e-8d4b-4c1a-9e2f-0a1b2c3d4e5f");
    }
}
