//! The task record kept in the KV bucket: a versioned JSON document, one per task, and its
//! transitions, each written once here (pure: the time comes in as an argument).
//!
//! Every transition (PENDING → STARTED → SUCCESS | FAILURE) is a compare-and-set on it, so a
//! redelivered job can never write a second result. JetStream keeps old records around, so the
//! format is versioned (`v`); readers accept any version they know.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{FailureCode, TaskFailure, TaskId};

/// Current record format version.
pub const RECORD_VERSION: u32 = 1;

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
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TaskFailure>,
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
            error: None,
        }
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

    /// This record succeeded with `result` (inline) or `result_ref` (in the blob store).
    pub fn succeeded(
        &self,
        result: Option<Box<RawValue>>,
        result_ref: Option<String>,
        time_ms: f64,
        now: &str,
    ) -> TaskRecord {
        TaskRecord {
            state: TaskState::Success,
            finished_at: Some(now.to_string()),
            time_ms: Some(time_ms),
            result,
            result_ref,
            ..self.clone()
        }
    }
}
