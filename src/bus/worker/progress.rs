//! Keeping a delivered message alive: in-progress acks while it waits for a slot and while it
//! computes on the blocking pool, and the job's time-out.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind as JsAck};
use serde_json::value::RawValue;
use tokio::sync::Semaphore;
use tracing::warn;

use crate::service::ApiError;

/// Waits for a free slot, keeping the message alive with in-progress acks meanwhile (another job
/// type's loop may have taken the slot since this message was pulled).
pub(super) async fn slot(
    slots: &Arc<Semaphore>,
    msg: &jetstream::Message,
    ack_wait: Duration,
) -> Option<tokio::sync::OwnedSemaphorePermit> {
    loop {
        tokio::select! {
            p = slots.clone().acquire_owned() => return p.ok(),
            _ = tokio::time::sleep((ack_wait / 3).max(Duration::from_millis(100))) => {
                if msg.ack_with(JsAck::Progress).await.is_err() {
                    return None;
                }
            }
        }
    }
}

/// How a computation on the blocking pool ended.
pub(super) enum Computed {
    /// It returned: the result document, or why there is none.
    Done(Result<Box<RawValue>, ApiError>),
    /// It ran past the job's time-out (it is left to finish on its own; its result is dropped).
    TimedOut,
    /// Its task failed outside the computation's own panic handling.
    Crashed(String),
}

/// Waits for the computation, sending in-progress acks every third of the ack wait.
pub(super) async fn with_progress(
    msg: &jetstream::Message,
    ack_wait: Duration,
    timeout: Duration,
    mut work: tokio::task::JoinHandle<Result<Box<RawValue>, ApiError>>,
) -> Computed {
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    // The first tick one period from now: `interval`'s immediate first tick still waits for
    // the timer wheel's next millisecond, which held up every job finished sooner.
    let period = (ack_wait / 3).max(Duration::from_millis(100));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            joined = &mut work => {
                return match joined {
                    Ok(r) => Computed::Done(r),
                    Err(e) => Computed::Crashed(format!("the computation failed: {e}")),
                };
            }
            _ = &mut deadline => {
                work.abort();
                return Computed::TimedOut;
            }
            _ = tick.tick() => {
                if let Err(e) = msg.ack_with(JsAck::Progress).await {
                    warn!(error = %e, "in-progress ack failed");
                }
            }
        }
    }
}
