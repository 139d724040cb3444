//! The task record kept in the KV bucket: a versioned JSON document, one per task, and its
//! transitions, each written once here (pure: the time comes in as an argument).
//!
//! Every transition (PENDING → STARTED → SUCCESS | FAILURE) is a compare-and-set on it, so a
//! redelivered job can never write a second result. JetStream keeps old records around, so the
//! format is versioned (`v`); readers accept any version they know.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{FailureCode, TaskFailure, TaskId};
use crate::model::topology::Pinned;

/// Current record format version.
pub const RECORD_VERSION: u32 = 1;

/// Largest compact request a record keeps for the web view, in bytes (a body with its own
/// topology of a couple of hundred routers; a job by reference is always far below).
pub const KEPT_REQUEST: usize = 64 << 10;

/// The state of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskState {
    /// Queued, not yet picked up.
    Pending,
    /// A worker is computing it (reported as PENDING with stage `running`).
    Started,
    /// It ran; the result is kept.
    Success,
    /// It could not run; final.
    Failure,
}

impl TaskState {
    /// Whether no transition leaves this state.
    pub fn is_final(self) -> bool {
        matches!(self, TaskState::Success | TaskState::Failure)
    }
}

/// The record of one task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskRecord {
    /// Format version.
    pub v: u32,
    /// The task id.
    pub task_id: TaskId,
    /// The job type's wire name.
    #[serde(rename = "type")]
    pub job_type: String,
    /// Current state.
    pub state: TaskState,
    /// Deliveries that started computing it.
    pub attempt: u32,
    /// SHA-256 of the type and the canonical body: resubmissions compare it.
    pub digest: String,
    /// RFC 3339 UTC.
    pub submitted_at: String,
    /// RFC 3339 UTC, when last started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// RFC 3339 UTC, when final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Computation time of the successful attempt, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<f64>,
    /// The result document, inline, as the worker wrote it (kept as text: never parsed into a
    /// tree on its way from the engine to a status answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Box<RawValue>>,
    /// The result document's object name in the blob store, when too large to inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_ref: Option<String>,
    /// The size in bytes of the result kept in the blob store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_size: Option<u64>,
    /// The hex SHA-256 of the result kept in the blob store: what is read back is checked
    /// against it (the store is writable by clients, the record is not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_sha256: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TaskFailure>,
    /// The held topology revision the body named (contract §8), if it named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology: Option<Pinned>,
    /// The request in its compact form ([`crate::model::compact`], base64; without its nodes
    /// and links when it names a held topology), when at most [`KEPT_REQUEST`] bytes: what the
    /// web view shows. Never part of a status document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
}

impl TaskRecord {
    /// A new PENDING record.
    pub fn pending(task_id: &TaskId, job_type: &str, digest: &str, now: &str) -> TaskRecord {
        TaskRecord {
            v: RECORD_VERSION,
            task_id: task_id.clone(),
            job_type: job_type.to_string(),
            state: TaskState::Pending,
            attempt: 0,
            digest: digest.to_string(),
            submitted_at: now.to_string(),
            started_at: None,
            finished_at: None,
            time_ms: None,
            result: None,
            result_ref: None,
            result_size: None,
            result_sha256: None,
            error: None,
            topology: None,
            request: None,
        }
    }

    /// This record computing on a held topology's revision.
    pub fn on(mut self, topology: Option<Pinned>) -> TaskRecord {
        self.topology = topology;
        self
    }

    /// This record keeping `compact`, the request in its compact form, if it is small enough
    /// (see [`KEPT_REQUEST`]); a record that keeps one already is left as it is.
    pub fn keeping(mut self, compact: &[u8]) -> TaskRecord {
        if self.request.is_none() && compact.len() <= KEPT_REQUEST {
            use base64::Engine as _;
            self.request = Some(base64::engine::general_purpose::STANDARD.encode(compact));
        }
        self
    }

    /// The compact request this record keeps, if it keeps one (and it decodes).
    pub fn kept_request(&self) -> Option<Vec<u8>> {
        use base64::Engine as _;
        let text = self.request.as_ref()?;
        base64::engine::general_purpose::STANDARD.decode(text).ok()
    }

    /// This record started by delivery `attempt`.
    pub fn started(&self, attempt: u32, now: &str) -> TaskRecord {
        TaskRecord {
            state: TaskState::Started,
            attempt,
            started_at: Some(now.to_string()),
            ..self.clone()
        }
    }

    /// This record failed for good.
    pub fn failed(&self, failure: TaskFailure, now: &str) -> TaskRecord {
        TaskRecord {
            state: TaskState::Failure,
            finished_at: Some(now.to_string()),
            error: Some(failure),
            ..self.clone()
        }
    }

    /// The failure of a FAILURE record (an old record without one reads INTERNAL).
    pub fn failure(&self) -> Option<TaskFailure> {
        match self.state {
            TaskState::Failure => Some(
                self.error
                    .clone()
                    .unwrap_or_else(|| TaskFailure::new(FailureCode::Internal, "failed")),
            ),
            _ => None,
        }
    }

    /// This record succeeded with `result` (inline) or `blob` (in the blob store).
    pub fn succeeded(
        &self,
        result: Option<Box<RawValue>>,
        blob: Option<ResultBlob>,
        time_ms: f64,
        now: &str,
    ) -> TaskRecord {
        let (result_ref, result_size, result_sha256) = match blob {
            Some(b) => (Some(b.name), Some(b.size), Some(b.sha256)),
            None => (None, None, None),
        };
        TaskRecord {
            state: TaskState::Success,
            finished_at: Some(now.to_string()),
            time_ms: Some(time_ms),
            result,
            result_ref,
            result_size,
            result_sha256,
            ..self.clone()
        }
    }

    /// The result kept in the blob store, if it is kept there.
    pub fn result_blob(&self) -> Option<ResultBlob> {
        Some(ResultBlob {
            name: self.result_ref.clone()?,
            size: self.result_size.unwrap_or(0),
            sha256: self.result_sha256.clone().unwrap_or_default(),
        })
    }
}

/// A result kept in the blob store (`result/<task_id>`): its object name, size and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultBlob {
    /// The object's name.
    pub name: String,
    /// Its size in bytes (0 in records written before sizes were kept).
    pub size: u64,
    /// Hex SHA-256 of its bytes (empty in records written before digests were kept).
    pub sha256: String,
}

impl ResultBlob {
    /// The blob of a result text stored as `name`.
    pub fn of(name: String, text: &[u8]) -> ResultBlob {
        ResultBlob {
            name,
            size: text.len() as u64,
            sha256: crate::bus::blob_ref::sha256_hex(text),
        }
    }

    /// Whether `bytes` are this result's (always, for a record that kept no digest).
    pub fn holds(&self, bytes: &[u8]) -> bool {
        self.sha256.is_empty() || crate::bus::blob_ref::sha256_hex(bytes) == self.sha256
    }
}
