//! Job messages on the wire: their headers, their formats, and a delivered one as the task
//! lifecycle sees it ([`JobMessage`]): the task it names, what its headers say of its PENDING
//! record, its body, a way to keep it alive and a way to settle it ([`Settle`]).

use std::time::Duration;

use async_nats::jetstream::{self, AckKind as JsAck};
use async_nats::HeaderMap;
use bytes::Bytes;

use super::BusError;
use crate::model::topology::Pinned;
use crate::model::JobType;

/// The header carrying a client-chosen task id.
pub const TASK_ID_HEADER: &str = "Pasta-Task-Id";
/// The header carrying the job message format (see [`JobFormat`]).
pub const FORMAT_HEADER: &str = "Pasta-Format";
/// Headers of a job message describing the PENDING record submission created (its revision,
/// digest and submission time), so that the first delivery can start the task by
/// compare-and-set without reading the record first. A stale or missing hint only costs that
/// read.
pub const REVISION_HEADER: &str = "Pasta-Revision";
/// See [`REVISION_HEADER`].
pub const DIGEST_HEADER: &str = "Pasta-Digest";
/// See [`REVISION_HEADER`].
pub const SUBMITTED_HEADER: &str = "Pasta-Submitted-At";
/// See [`REVISION_HEADER`]: the held topology revision the record names, `<name>/<revision>`.
pub const TOPOLOGY_HEADER: &str = "Pasta-Topology";

/// What a job message's payload is, by its `Pasta-Format` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobFormat {
    /// `1`, or no header (a job published straight to its subject): the JSON body, or
    /// `{"$ref": name}` for one in the blob store. The worker validates it.
    Json,
    /// `2`: the validated request in its compact form ([`crate::model::compact`]), as
    /// submission publishes a body that fits in one message.
    Compact,
    /// `3`: the compact form of a request whose nodes and links are a held topology's
    /// revision, the one its task record names (contract §8); the message has none of them.
    CompactHeld,
}

impl JobFormat {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            JobFormat::Json => "1",
            JobFormat::Compact => "2",
            JobFormat::CompactHeld => "3",
        }
    }

    /// The format of a job message; `Err` names a format this version does not know (written
    /// by a newer one).
    pub fn of(headers: Option<&HeaderMap>) -> Result<JobFormat, String> {
        match headers
            .and_then(|h| h.get(FORMAT_HEADER))
            .map(|v| v.as_str())
        {
            None | Some("1") => Ok(JobFormat::Json),
            Some("2") => Ok(JobFormat::Compact),
            Some("3") => Ok(JobFormat::CompactHeld),
            Some(other) => Err(other.to_string()),
        }
    }
}

/// What a job message says of the PENDING record submission created before publishing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The record's KV revision.
    pub revision: u64,
    /// The digest resubmissions compare.
    pub digest: String,
    /// When it was submitted (RFC 3339).
    pub submitted_at: String,
    /// The held topology revision it names, if any.
    pub topology: Option<Pinned>,
}

/// What to tell JetStream of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Done with this message.
    Ack,
    /// Redeliver after a delay.
    Retry(Duration),
    /// Never redeliver.
    Term,
}

/// A delivered job message.
pub struct JobMessage {
    message: jetstream::Message,
    job_type: Option<JobType>,
}

impl JobMessage {
    pub(super) fn new(message: jetstream::Message, job_type: Option<JobType>) -> JobMessage {
        JobMessage { message, job_type }
    }

    /// The job type of its subject (`None`: a subject of no known type).
    pub fn job_type(&self) -> Option<JobType> {
        self.job_type
    }

    /// Its `Nats-Msg-Id`: the task id, as the publisher wrote it.
    pub fn msg_id(&self) -> Option<&str> {
        let headers = self.message.headers.as_ref()?;
        Some(headers.get("Nats-Msg-Id")?.as_str())
    }

    /// Which delivery this is, from 1.
    pub fn delivered(&self) -> u64 {
        self.message
            .info()
            .map(|i| i.delivered.max(1) as u64)
            .unwrap_or(1)
    }

    /// Its format (`Err`: one this version does not know).
    pub fn format(&self) -> Result<JobFormat, String> {
        JobFormat::of(self.message.headers.as_ref())
    }

    /// The PENDING record its headers describe, when they all are there.
    pub fn pending(&self) -> Option<Pending> {
        let headers = self.message.headers.as_ref()?;
        Some(Pending {
            revision: headers.get(REVISION_HEADER)?.as_str().parse().ok()?,
            digest: headers.get(DIGEST_HEADER)?.as_str().to_string(),
            submitted_at: headers.get(SUBMITTED_HEADER)?.as_str().to_string(),
            topology: match headers.get(TOPOLOGY_HEADER) {
                None => None,
                Some(v) => {
                    let (name, revision) = v.as_str().rsplit_once('/')?;
                    Some(Pinned {
                        name: name.to_owned(),
                        revision: revision.parse().ok()?,
                    })
                }
            },
        })
    }

    /// The digest its headers state (submission's), if any.
    pub fn stated_digest(&self) -> Option<String> {
        let headers = self.message.headers.as_ref()?;
        Some(headers.get(DIGEST_HEADER)?.as_str().to_string())
    }

    /// The payload.
    pub fn payload(&self) -> &Bytes {
        &self.message.payload
    }

    /// Its size on the wire, bytes.
    pub fn length(&self) -> usize {
        self.message.length
    }

    /// Its subject.
    pub fn subject(&self) -> &str {
        self.message.subject.as_str()
    }

    /// Tells JetStream the job is being worked on (an in-progress ack), which restarts its ack
    /// wait.
    pub async fn keep_alive(&self) -> Result<(), BusError> {
        self.message
            .ack_with(JsAck::Progress)
            .await
            .map_err(|e| BusError::Unavailable(e.to_string()))
    }

    /// Settles the delivery.
    pub async fn settle(&self, settle: Settle) -> Result<(), BusError> {
        let outcome = match settle {
            Settle::Ack => self.message.ack().await,
            Settle::Retry(delay) => self.message.ack_with(JsAck::Nak(Some(delay))).await,
            Settle::Term => self.message.ack_with(JsAck::Term).await,
        };
        outcome.map_err(|e| BusError::Unavailable(e.to_string()))
    }
}

/// The headers of a job message submission publishes.
pub(super) fn headers(task_id: &str, format: JobFormat, pending: &Pending) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("Nats-Msg-Id", task_id);
    headers.insert(TASK_ID_HEADER, task_id);
    headers.insert(FORMAT_HEADER, format.as_str());
    headers.insert(REVISION_HEADER, pending.revision.to_string().as_str());
    headers.insert(DIGEST_HEADER, pending.digest.as_str());
    headers.insert(SUBMITTED_HEADER, pending.submitted_at.as_str());
    if let Some(t) = &pending.topology {
        headers.insert(
            TOPOLOGY_HEADER,
            format!("{}/{}", t.name, t.revision).as_str(),
        );
    }
    headers
}
