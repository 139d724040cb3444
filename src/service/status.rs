//! The status of a task (contract §5): its record read and checked against the type asked for,
//! and the status document built from it.

use std::sync::Arc;

use serde::Serialize;
use serde_json::value::{to_raw_value, RawValue};
use serde_json::{json, Value};

use super::{job_type, task_id, ApiError, Service};
use crate::model::topology::Pinned;
use crate::task::{store, ResultBlob, TaskId, TaskRecord, TaskState};

impl Service {
    /// The status document of a task, as JSON text. With `fit`, the most bytes an answer may
    /// have (a NATS reply), a result kept in the blob store that would not fit is named
    /// instead of inlined: `"data": {"$ref": "result/<task_id>", "size", "sha256"}`.
    pub async fn status(
        &self,
        raw_id: Option<&str>,
        raw_type: Option<&str>,
        fit: Option<usize>,
    ) -> Result<Box<RawValue>, ApiError> {
        let id = task_id(raw_id.ok_or_else(|| ApiError::BadRequest("task_id is missing".into()))?)?;
        let asked =
            job_type(raw_type.ok_or_else(|| ApiError::BadRequest("type is missing".into()))?)?;
        let bus = &self.tasks.bus;
        // A final record held by the replica answers as a read would; anything else is read.
        let held = self.replica.as_ref().and_then(|replica| replica.get(&id));
        let record = match held {
            Some(record) => {
                self.tasks.metrics.status_answered("replica");
                record
            }
            None => {
                let (record, _) = store::get(bus, &id)
                    .await?
                    .ok_or_else(|| ApiError::NotFound(id.to_string()))?;
                self.tasks.metrics.status_answered("read");
                Arc::new(record)
            }
        };
        if record.job_type != asked.as_str() {
            return Err(ApiError::TypeMismatch {
                task_id: id.to_string(),
                actual: record.job_type.clone(),
                asked: asked.as_str().into(),
            });
        }
        let result = match (&record.state, record.result_blob()) {
            (TaskState::Success, Some(blob)) => Some(self.stored_result(&blob, fit).await?),
            _ => None,
        };
        Ok(document(&record, result))
    }

    /// A result kept in the blob store, read and checked against its digest, or its reference
    /// when it would not fit in `fit` bytes.
    pub(super) async fn stored_result(
        &self,
        blob: &ResultBlob,
        fit: Option<usize>,
    ) -> Result<Box<RawValue>, ApiError> {
        let name = &blob.name;
        let size = match blob.size {
            0 => self.tasks.bus.blob_size(name).await?.unwrap_or(0) as u64,
            known => known,
        };
        if fit.is_some_and(|fit| size as usize + ENVELOPE_ROOM > fit) {
            let named = json!({"$ref": name, "size": size, "sha256": blob.sha256});
            return Ok(to_raw_value(&named).expect("a reference serialises"));
        }
        let missing =
            || ApiError::Internal(format!("result {name} is missing from the blob store"));
        let bytes = self.tasks.bus.get_blob(name).await?.ok_or_else(missing)?;
        if !blob.holds(&bytes) {
            return Err(ApiError::Internal(format!(
                "result {name} in the blob store is not the one computed (its SHA-256 differs)"
            )));
        }
        serde_json::from_slice::<Box<RawValue>>(&bytes)
            .map_err(|e| ApiError::Internal(format!("result {name}: {e}")))
    }
}

/// Bytes a status document takes around its result (task id, states, envelope), with room.
const ENVELOPE_ROOM: usize = 4096;

/// The outer layer of every answer: `{"status": true, "info": [], "data": …}`.
#[derive(Serialize)]
pub struct Envelope<T: Serialize> {
    status: bool,
    info: [(); 0],
    data: T,
}

impl<T: Serialize> Envelope<T> {
    /// A successful answer carrying `data`.
    pub fn ok(data: T) -> Envelope<T> {
        Envelope {
            status: true,
            info: [],
            data,
        }
    }
}

/// The inner document of a SUCCESS task, its result written as stored.
#[derive(Serialize)]
struct Success<'a> {
    task_id: &'a TaskId,
    #[serde(skip_serializing_if = "Option::is_none")]
    topology: Option<&'a Pinned>,
    task_state: &'static str,
    task_status: &'static str,
    info: [(); 0],
    data: Option<&'a RawValue>,
}

/// The status document of a record, as JSON text; `result` is the SUCCESS result when stored
/// apart. The result is copied as text, never parsed.
pub fn document(record: &TaskRecord, result: Option<Box<RawValue>>) -> Box<RawValue> {
    let inner = match record.state {
        TaskState::Pending | TaskState::Started => {
            let (stage, info) = if record.state == TaskState::Pending {
                ("queued", "queued".to_string())
            } else {
                ("running", format!("running, attempt {}", record.attempt))
            };
            with_topology(
                record,
                json!({
                    "task_id": record.task_id,
                    "task_state": "PENDING",
                    "task_status": "PENDING",
                    "info": info,
                    "data": [],
                    "progress": {"stage": stage, "attempt": record.attempt},
                }),
            )
        }
        TaskState::Success => {
            let success = Success {
                task_id: &record.task_id,
                topology: record.topology.as_ref(),
                task_state: "SUCCESS",
                task_status: "SUCCESS",
                info: [],
                data: result.as_deref().or(record.result.as_deref()),
            };
            return to_raw_value(&Envelope::ok(success)).expect("documents serialise");
        }
        TaskState::Failure => {
            let error = record.failure().expect("a FAILURE record has a failure");
            with_topology(
                record,
                json!({
                    "task_id": record.task_id,
                    "task_state": "FAILURE",
                    "task_status": "FAILURE",
                    "info": error.message,
                    "data": [],
                    "error": error,
                }),
            )
        }
    };
    to_raw_value(&Envelope::ok(inner)).expect("documents serialise")
}

/// `inner` with the record's held topology beside `task_id`, when it has one.
fn with_topology(record: &TaskRecord, inner: Value) -> Value {
    let Some(topology) = &record.topology else {
        return inner;
    };
    let Value::Object(members) = inner else {
        return inner;
    };
    let mut out = serde_json::Map::with_capacity(members.len() + 1);
    for (k, v) in members {
        let after_id = k == "task_id";
        out.insert(k, v);
        if after_id {
            out.insert("topology".into(), json!(topology));
        }
    }
    Value::Object(out)
}

/// The submission answer.
pub fn submitted(task_id: &TaskId) -> Value {
    json!({"status": true, "info": [], "data": {"task_id": task_id}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::{FailureCode, TaskFailure};

    /// The document as a tree, to look into.
    fn tree(doc: impl AsRef<RawValue>) -> Value {
        serde_json::from_str(doc.as_ref().get()).expect("a status document is JSON")
    }

    fn record() -> TaskRecord {
        let id = TaskId::parse("7d8c4b2e-0000-4000-8000-000000000001").unwrap();
        TaskRecord::pending(&id, "bod_pasta", "d", "t0")
    }

    #[test]
    fn a_queued_task_reads_pending_with_stage_queued() {
        let doc = tree(document(&record(), None));
        assert_eq!(doc["data"]["task_state"], "PENDING");
        assert_eq!(doc["data"]["info"], "queued");
        assert_eq!(doc["data"]["progress"]["stage"], "queued");
        assert_eq!(doc["data"]["data"], json!([]));
    }

    #[test]
    fn a_running_task_reads_pending_with_its_attempt() {
        let doc = tree(document(&record().started(2, "t1"), None));
        assert_eq!(doc["data"]["task_state"], "PENDING");
        assert_eq!(doc["data"]["info"], "running, attempt 2");
        assert_eq!(
            doc["data"]["progress"],
            json!({"stage": "running", "attempt": 2})
        );
    }

    #[test]
    fn a_successful_task_carries_its_result_document() {
        let result = json!({"info": {}, "data": [{"algo_type": 0}]});
        let raw = to_raw_value(&result).unwrap();
        let r = record().succeeded(Some(raw), None, 1.0, "t2");
        let doc = tree(document(&r, None));
        assert_eq!(doc["data"]["task_state"], "SUCCESS");
        assert_eq!(doc["data"]["task_status"], "SUCCESS");
        assert_eq!(doc["data"]["info"], json!([]));
        assert_eq!(doc["data"]["data"], result);
    }

    #[test]
    fn a_failed_task_carries_its_reason_as_text_and_as_an_error() {
        let failure = TaskFailure::new(FailureCode::Panic, "the computation panicked");
        let r = record().failed(failure, "t2");
        let doc = tree(document(&r, None));
        assert_eq!(doc["data"]["task_state"], "FAILURE");
        assert_eq!(doc["data"]["info"], "the computation panicked");
        assert_eq!(doc["data"]["error"]["code"], "PANIC");
        assert_eq!(doc["data"]["data"], json!([]));
    }
}
