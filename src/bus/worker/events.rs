//! Completion events (contract §4; `schemas/event.schema.json`): `started` when a delivery
//! starts the task, `success` or `failure` when its record is final, published with
//! `Nats-Msg-Id` = `<task_id>.<state>` so that announcing again is harmless.

use serde_json::{json, Value};

use crate::bus::Bus;
use crate::model::JobType;
use crate::service::record::{TaskRecord, TaskState};
use crate::service::{now, ApiError};

/// Publishes the completion event of a final record.
pub(super) async fn announce(bus: &Bus, t: JobType, record: &TaskRecord) -> Result<(), ApiError> {
    let state = match record.state {
        TaskState::Success => "success",
        _ => "failure",
    };
    let event = final_event(t, record);
    bus.publish_event(t, &record.task_id, state, &event).await?;
    Ok(())
}

/// The `started` event of a delivery (contract §4; `schemas/event.schema.json`).
pub fn started_event(task_id: &str, t: JobType, attempt: u64, at: &str) -> Value {
    json!({"task_id": task_id, "type": t.as_str(), "task_state": "STARTED", "at": at, "attempt": attempt})
}

/// The `success` or `failure` event of a final record (contract §4; `schemas/event.schema.json`).
pub fn final_event(t: JobType, record: &TaskRecord) -> Value {
    let success = record.state == TaskState::Success;
    let mut event = json!({
        "task_id": record.task_id,
        "type": t.as_str(),
        "task_state": if success { "SUCCESS" } else { "FAILURE" },
        "at": record.finished_at.clone().unwrap_or_else(now),
        "attempt": record.attempt,
        "time_ms": record.time_ms.unwrap_or(0.0),
    });
    if let Some(e) = &record.error {
        event["error"] = json!(e);
    }
    event
}
