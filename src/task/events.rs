//! Completion events (contract §4; `schemas/event.schema.json`): `started` when a delivery
//! starts the task, `success` or `failure` when its record is final, published with
//! `Nats-Msg-Id` = `<task_id>.<state>` so that announcing again is harmless. A task's final
//! event is published only once its `started` event is sent ([`StartedEvent`]).

use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::{warn, Instrument};

use super::{now, TaskId, TaskRecord, TaskState};
use crate::bus::{Bus, BusError};
use crate::model::JobType;

/// Publishes the completion event of a final record.
pub async fn announce(bus: &Bus, t: JobType, record: &TaskRecord) -> Result<(), BusError> {
    let state = match record.state {
        TaskState::Success => "success",
        _ => "failure",
    };
    let event = final_event(t, record);
    bus.publish_event(t, record.task_id.as_str(), state, &event)
        .await
}

/// The `started` event of a delivery (contract §4; `schemas/event.schema.json`).
pub fn started_event(task_id: &TaskId, t: JobType, attempt: u64, at: &str) -> Value {
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
    if let Some(failure) = record.failure() {
        event["error"] = json!(failure);
    }
    event
}

/// A delivery's `started` event, sent aside while the computation runs. The task's final event
/// waits until it is sent ([`StartedEvent::settled`]): one connection's messages are stored in
/// the order they were sent, so `PASTA_EVENTS` holds `started` before the final event, and a
/// controller replaying the stream never sees a finished task go back to running.
pub struct StartedEvent {
    sent: oneshot::Receiver<()>,
    sending: JoinHandle<()>,
}

impl StartedEvent {
    /// Starts sending the `started` event of a delivery; its acknowledgement is awaited aside.
    pub fn send(bus: &Bus, t: JobType, task_id: &TaskId, attempt: u64, at: &str) -> Self {
        let event = started_event(task_id, t, attempt, at);
        let (signal, sent) = oneshot::channel();
        let (bus, task_id) = (bus.clone(), task_id.to_string());
        let sending = tokio::spawn(
            async move {
                match bus.send_event(t, &task_id, "started", &event).await {
                    Ok(pending) => {
                        let _ = signal.send(());
                        if let Err(e) = pending.acknowledged().await {
                            warn!(error = %e, "started event not acknowledged");
                        }
                    }
                    Err(e) => warn!(error = %e, "started event not sent"),
                }
            }
            .in_current_span(),
        );
        StartedEvent { sent, sending }
    }

    /// Returns once the event is sent, or will never be: its send failed, or it was still
    /// waiting after `patience` (a bus in trouble) and is abandoned, so that it cannot follow
    /// the final event.
    pub async fn settled(self, patience: Duration) {
        let StartedEvent { sent, sending } = self;
        if tokio::time::timeout(patience, sent).await.is_err() {
            // Cancelling the send is safe: a message already handed to the connection still
            // precedes the final event; one that was not is never sent.
            sending.abort();
        }
    }
}
