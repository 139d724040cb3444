//! Submission (contract §4): the body read (inline or uploaded), validated, its task's PENDING
//! record created, then its job published. A resubmitted task id with the same type and body
//! answers the same task (publishing again while it is PENDING); with another, `CONFLICT`. A
//! publish that fails removes the record, so nothing reads PENDING forever.
//!
//! A body uploaded to the blob store is named `body/<uuid>` by its client and submitted as
//! `{"$ref": "body/<uuid>"}`; no other object may be named (the service keeps the large bodies of
//! accepted jobs as `job/<task_id>`, which a reference cannot reach), and the upload is removed
//! once its job is accepted, so no other submission can compute on it.

use std::time::Duration;

use bytes::Bytes;

use super::{off_thread, Admitted, ApiError, Service};
use crate::bus::{blob_ref, JobFormat, Pending};
use crate::model::topology::Reference;
use crate::model::{self, compact, Job, JobType, Problem, Problems};
use crate::task::store::{self, Create};
use crate::task::{now, TaskId, TaskRecord, TaskState};

/// What a job message carries.
enum Queued {
    /// The request in its compact form ([`crate::model::compact`]).
    Compact(Bytes),
    /// The JSON body, inline, or through the blob store (`job/<task_id>`) when large.
    Json(Bytes),
}

/// Whether an object name is a client's upload: `body/<uuid>`.
fn is_upload(name: &str) -> bool {
    name.strip_prefix("body/")
        .is_some_and(|id| uuid::Uuid::try_parse(id).is_ok())
}

impl Service {
    /// Validates a body and queues its job; answers the task id.
    pub async fn submit(
        &self,
        job_type: JobType,
        body: Admitted,
        chosen_id: Option<&str>,
    ) -> Result<TaskId, ApiError> {
        let settings = &self.tasks.bus.settings;
        let bound =
            settings.request_timeout * 3 + self.tasks.job_timeout.min(Duration::from_secs(30));
        let outcome = tokio::time::timeout(bound, self.queue(job_type, body, chosen_id))
            .await
            .unwrap_or_else(|_| {
                Err(ApiError::Unavailable(format!(
                    "JetStream did not answer within {bound:?}"
                )))
            });
        match &outcome {
            Ok(_) => self.tasks.metrics.submitted(job_type),
            Err(e) => self.tasks.metrics.rejected(e.code()),
        }
        outcome
    }

    async fn queue(
        &self,
        job_type: JobType,
        body: Admitted,
        chosen_id: Option<&str>,
    ) -> Result<TaskId, ApiError> {
        let task_id = match chosen_id {
            Some(raw) => super::task_id(raw)?,
            None => TaskId::new(),
        };
        let (admitted, by_ref) = self.resolve(body).await?;
        let body = admitted.bytes.clone();
        let body_len = body.len();
        let limits = &self.tasks.limits;
        let (job, digest, compact, topology) = match prepare(job_type, &body, limits).await? {
            Prepared::Inline(job, digest, compact) => (job, digest, compact, None),
            Prepared::Held(reference) => {
                let (pinned, net) = self.resolve_topology(&reference, true).await?;
                let on = pinned.clone();
                let (job, digest, compact) = off_thread(&body, limits, move |body, limits| {
                    let json =
                        model::body::read_json(body, limits).map_err(ApiError::InvalidBody)?;
                    let job = Job::parse_on(job_type, &json, limits, &net)
                        .map_err(ApiError::InvalidBody)?;
                    let compact = Bytes::from(compact::encode_without_topology(&job.request));
                    let digest = model::body::held_compact_digest(job_type, &compact, &on);
                    Ok((job, digest, compact))
                })
                .await?;
                (job, digest, compact, Some(pinned))
            }
        };
        // The record keeps the compact request for the web view when it is small.
        let record = TaskRecord::pending(&task_id, job_type.as_str(), &digest, &now())
            .on(topology)
            .keeping(&compact);
        // The job message carries the compact request when it fits in one (whether the body
        // came inline or uploaded), else the body through the blob store.
        let queued = if compact.len() <= self.tasks.bus.settings.inline_limit {
            Queued::Compact(compact)
        } else {
            Queued::Json(body)
        };
        let bus = &self.tasks.bus;
        let revision = match store::create(bus, &record).await? {
            Create::New(revision) => revision,
            Create::Exists(existing, revision) => {
                if existing.job_type != job_type.as_str() || existing.digest != digest {
                    return Err(ApiError::Conflict(format!(
                        "task {task_id} exists with another type or body"
                    )));
                }
                if existing.state == TaskState::Pending {
                    self.publish(job_type, (&existing, revision), queued)
                        .await?;
                }
                self.remove_upload(by_ref).await;
                return Ok(task_id);
            }
        };
        // Left before publishing: a local worker may get the job before the publish ack.
        self.tasks.handoff.offer(&task_id, &digest, body_len, job);
        if let Err(e) = self.publish(job_type, (&record, revision), queued).await {
            // Nothing was queued: the record must not read PENDING forever.
            self.tasks.handoff.take(&task_id, &digest);
            let _ = store::remove(bus, &task_id, revision).await;
            return Err(e);
        }
        self.remove_upload(by_ref).await;
        Ok(task_id)
    }

    /// Reads a body, or the uploaded blob a `{"$ref": name}` body names (admitted against the
    /// body budget by its size before it is read).
    pub(super) async fn resolve(
        &self,
        body: Admitted,
    ) -> Result<(Admitted, Option<String>), ApiError> {
        self.check_size(body.bytes.len())?;
        let Some(name) = blob_ref::named_blob(&body.bytes) else {
            return Ok((body, None));
        };
        drop(body);
        if !is_upload(&name) {
            return Err(ApiError::InvalidBody(Problems(vec![Problem {
                path: "$ref".into(),
                message: format!(
                    "{name:?} is not an uploaded body: a reference names body/<uuid>, the object the client uploaded"
                ),
            }])));
        }
        let missing = || {
            ApiError::InvalidBody(Problems(vec![Problem {
                path: "$ref".into(),
                message: format!("no object {name:?} in the blob store"),
            }]))
        };
        let size = self.tasks.bus.blob_size(&name).await?.ok_or_else(missing)?;
        self.check_size(size)?;
        // Not `self.admit`: a refusal here is counted once, by `submit`.
        let ticket = self.admission.admit(size).await?;
        let blob = self.tasks.bus.get_blob(&name).await?.ok_or_else(missing)?;
        self.check_size(blob.len())?;
        Ok((ticket.body(blob), Some(name)))
    }

    /// Removes the upload a submission named, once its job is accepted (a failure to remove it
    /// only leaves it to the blob store's expiry).
    pub(super) async fn remove_upload(&self, by_ref: Option<String>) {
        if let Some(name) = by_ref {
            if let Err(e) = self.tasks.bus.delete_blob(&name).await {
                tracing::warn!(error = %e, %name, "could not remove an accepted upload");
            }
        }
    }

    /// Publishes the job of a PENDING record (and its revision), as `queued` says.
    async fn publish(
        &self,
        job_type: JobType,
        (record, revision): (&TaskRecord, u64),
        queued: Queued,
    ) -> Result<(), ApiError> {
        let bus = &self.tasks.bus;
        let task_id = record.task_id.as_str();
        let (format, payload) = match queued {
            Queued::Compact(compact) if record.topology.is_some() => {
                (JobFormat::CompactHeld, compact)
            }
            Queued::Compact(compact) => (JobFormat::Compact, compact),
            Queued::Json(body) if body.len() > bus.settings.inline_limit => {
                let name = format!("job/{task_id}");
                bus.put_blob(&name, body).await?;
                (JobFormat::Json, blob_ref::reference(&name))
            }
            Queued::Json(body) => (JobFormat::Json, body),
        };
        let pending = Pending {
            revision,
            digest: record.digest.clone(),
            submitted_at: record.submitted_at.clone(),
            topology: record.topology.clone(),
        };
        bus.publish_job(job_type, task_id, &pending, format, payload)
            .await?;
        Ok(())
    }
}

/// What a body is, read once: a job with its own topology (its digest and compact form), or
/// a reference to a held topology, parsed once the revision is at hand.
enum Prepared {
    Inline(Job, String, Bytes),
    Held(Reference),
}

/// The job, its digest and its compact form for the job message; or the held topology the
/// body names.
async fn prepare(
    job_type: JobType,
    body: &Bytes,
    limits: &crate::model::Limits,
) -> Result<Prepared, ApiError> {
    off_thread(body, limits, move |body, limits| {
        let json = model::body::read_json(body, limits).map_err(ApiError::InvalidBody)?;
        if let Some(reference) = model::topology::reference(&json).map_err(ApiError::InvalidBody)? {
            return Ok(Prepared::Held(reference));
        }
        let job = Job::parse_json(job_type, &json, limits).map_err(ApiError::InvalidBody)?;
        let compact = Bytes::from(compact::encode(&job.request));
        let digest = model::body::compact_digest(job_type, &compact);
        Ok(Prepared::Inline(job, digest, compact))
    })
    .await
}
