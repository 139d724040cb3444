//! Why a task failed: a closed set of codes (contract §4) and a text for people. A FAILURE record
//! carries one; so do the failure event and the status document (`error: {code, message}`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The code of a failed task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailureCode {
    /// A body that bypassed submission (published straight) and is invalid.
    InvalidBody,
    /// The computation panicked.
    Panic,
    /// The computation ran past the job's time-out.
    Timeout,
    /// The last delivery after repeated crashes or transient failures.
    GaveUp,
    /// A fault of the service itself.
    Internal,
    /// Cancelled by a client before it finished (contract §9).
    Cancelled,
}

impl FailureCode {
    /// Every code, in the contract's order.
    pub const ALL: [FailureCode; 6] = [
        FailureCode::InvalidBody,
        FailureCode::Panic,
        FailureCode::Timeout,
        FailureCode::GaveUp,
        FailureCode::Internal,
        FailureCode::Cancelled,
    ];

    /// The wire name (`INVALID_BODY`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCode::InvalidBody => "INVALID_BODY",
            FailureCode::Panic => "PANIC",
            FailureCode::Timeout => "TIMEOUT",
            FailureCode::GaveUp => "GAVE_UP",
            FailureCode::Internal => "INTERNAL",
            FailureCode::Cancelled => "CANCELLED",
        }
    }
}

impl fmt::Display for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A task's failure: its code and a reason for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct TaskFailure {
    /// The code.
    pub code: FailureCode,
    /// Human text.
    pub message: String,
}

impl TaskFailure {
    /// A failure with this code and reason.
    pub fn new(code: FailureCode, message: impl Into<String>) -> TaskFailure {
        TaskFailure {
            code,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_written_as_its_wire_name() {
        for code in FailureCode::ALL {
            let text = serde_json::to_string(&code).unwrap();
            assert_eq!(text, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<FailureCode>(&text).unwrap(), code);
        }
    }
}
