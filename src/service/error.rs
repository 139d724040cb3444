//! The errors a client can get, one shape for NATS and HTTP (contract §5).

use serde_json::{json, Value};
use thiserror::Error;

use crate::model::Problems;

/// An error answered to a client instead of a task.
#[derive(Debug, Error)]
pub enum ApiError {
    /// The body failed validation; every problem listed.
    #[error("invalid body: {0}")]
    InvalidBody(Problems),
    /// The body is larger than accepted.
    #[error("body of {size}{} bytes exceeds the limit of {limit} bytes", if *size > *limit && *size == *limit + 1 { " or more" } else { "" })]
    TooLarge {
        /// Its size (`limit + 1` when only that much was read).
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The client-chosen task id names another job.
    #[error("{0}")]
    Conflict(String),
    /// Missing or wrong credentials.
    #[error("unauthorized")]
    Unauthorized,
    /// JetStream unreachable or the queue full.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The memory budget of bodies is spent for now; code `UNAVAILABLE`, worth a retry soon
    /// (HTTP says when, with `Retry-After`).
    #[error("unavailable: {0}")]
    Busy(String),
    /// Unknown or expired task.
    #[error("task {0:?} not found (unknown, or expired after the retention period)")]
    NotFound(String),
    /// Something other than a task is not there (a held topology or one of its revisions).
    #[error("{0}")]
    Missing(String),
    /// Missing or invalid `task_id`, `type` or header.
    #[error("{0}")]
    BadRequest(String),
    /// The request did not arrive in time (its body, over HTTP); code `BAD_REQUEST`.
    #[error("{0}")]
    RequestTimeout(String),
    /// The task is of another type.
    #[error("task {task_id:?} is a {actual} job, not {asked}")]
    TypeMismatch {
        /// The task.
        task_id: String,
        /// Its type.
        actual: String,
        /// The type asked for.
        asked: String,
    },
    /// A fault of the service itself.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidBody(_) => "INVALID_BODY",
            ApiError::TooLarge { .. } => "TOO_LARGE",
            ApiError::Conflict(_) => "CONFLICT",
            ApiError::Unauthorized => "UNAUTHORIZED",
            ApiError::Unavailable(_) | ApiError::Busy(_) => "UNAVAILABLE",
            ApiError::NotFound(_) | ApiError::Missing(_) => "NOT_FOUND",
            ApiError::BadRequest(_) | ApiError::RequestTimeout(_) => "BAD_REQUEST",
            ApiError::TypeMismatch { .. } => "TYPE_MISMATCH",
            ApiError::Internal(_) => "INTERNAL",
        }
    }

    /// The HTTP status of this error (also the `Nats-Service-Error-Code` of a NATS reply).
    pub fn status(&self) -> u16 {
        match self {
            ApiError::InvalidBody(_) | ApiError::BadRequest(_) | ApiError::TypeMismatch { .. } => {
                400
            }
            ApiError::Unauthorized => 401,
            ApiError::NotFound(_) | ApiError::Missing(_) => 404,
            ApiError::RequestTimeout(_) => 408,
            ApiError::Conflict(_) => 409,
            ApiError::TooLarge { .. } => 413,
            ApiError::Internal(_) => 500,
            ApiError::Unavailable(_) | ApiError::Busy(_) => 503,
        }
    }

    /// The error document: `{"status": false, "info": {code, message, problems?}, "data": {}}`.
    pub fn document(&self) -> Value {
        let mut info = json!({"code": self.code(), "message": self.to_string()});
        if let ApiError::InvalidBody(problems) = self {
            info["message"] = json!(format!("{} problem(s) in the body", problems.0.len()));
            info["problems"] = json!(problems.0);
        }
        json!({"status": false, "info": info, "data": {}})
    }
}

/// Runs `work` on the blocking pool (parsing, validating or rendering a large network takes
/// milliseconds): its value, or `INTERNAL` when it panicked.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
}
