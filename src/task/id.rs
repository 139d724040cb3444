//! The task id: a UUID in its hyphenated lower-case form, the key of the task's record, the
//! `Nats-Msg-Id` of its job message and the stem of its events' ids.
//!
//! Parsing is the only way to make one from client text, so a `TaskId` is always safe as a KV key
//! and a subject token.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A task id (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaskId(String);

/// Why a text is not a task id: it names the text (cut to 64 characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("task_id {0:?} is not a UUID")]
pub struct NotATaskId(pub String);

impl TaskId {
    /// A new random id.
    pub fn new() -> TaskId {
        TaskId(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// Reads a client's text: any UUID form, surrounding blanks ignored.
    pub fn parse(raw: &str) -> Result<TaskId, NotATaskId> {
        uuid::Uuid::parse_str(raw.trim())
            .map(|u| TaskId(u.hyphenated().to_string()))
            .map_err(|_| NotATaskId(raw.chars().take(64).collect()))
    }

    /// The hyphenated lower-case text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for TaskId {
    fn default() -> Self {
        TaskId::new()
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TaskId {
    type Error = NotATaskId;

    fn try_from(raw: String) -> Result<TaskId, NotATaskId> {
        TaskId::parse(&raw)
    }
}

impl From<TaskId> for String {
    fn from(id: TaskId) -> String {
        id.0
    }
}

impl AsRef<str> for TaskId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_in_upper_case_or_with_spaces_is_normalised() {
        let id = TaskId::parse(" 6F1C2A9E-8D4B-4C1A-9E2F-0A1B2C3D4E5F ").unwrap();
        assert_eq!(id.as_str(), "6f1c2a9e-8d4b-4c1a-9e2f-0a1b2c3d4e5f");
    }

    #[test]
    fn a_text_that_is_no_uuid_is_refused_naming_it() {
        let e = TaskId::parse("a.b").unwrap_err();
        assert_eq!(e.to_string(), r#"task_id "a.b" is not a UUID"#);
    }

    #[test]
    fn a_record_holding_an_id_that_is_no_uuid_does_not_deserialise() {
        assert!(serde_json::from_str::<TaskId>(r#""$KV.x""#).is_err());
        let id: TaskId = serde_json::from_str(r#""6f1c2a9e-8d4b-4c1a-9e2f-0a1b2c3d4e5f""#).unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            r#""6f1c2a9e-8d4b-4c1a-9e2f-0a1b2c3d4e5f""#
        );
    }
}
