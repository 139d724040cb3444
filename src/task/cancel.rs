//! Cancelling a task (contract §9): a PENDING or running task becomes FAILURE `CANCELLED` by
//! compare-and-set on its record, like every other transition; a final one stays as it is.
//!
//! The job message is still queued (or being computed). A worker learns of the cancellation in
//! one of two ways, and either is enough for the task to have one result:
//! - its own compare-and-set (STARTED or final) loses to the cancellation, it reads the record,
//!   finds it final and discards what it computed;
//! - before computing, it finds the task in [`Cancelled`], the ids of the cancellation events it
//!   has heard (`pasta.events.*.failure` with code `CANCELLED`, read from the events stream
//!   from as far back as a job can wait in the queue, then live), reads the record and acks
//!   the delivery without computing.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use tokio::sync::watch;
use tracing::{debug, warn};

use super::events::announce;
use super::store;
use super::{now, FailureCode, TaskFailure, TaskId, TaskRecord, Tasks};
use crate::bus::BusError;
use crate::model::JobType;

/// The reason a cancelled task's record and status give.
pub const REASON: &str = "cancelled by a client before it finished";

/// What a cancellation did.
#[derive(Debug)]
pub enum Cancel {
    /// The task is now FAILURE `CANCELLED`: its new record.
    Cancelled(TaskRecord),
    /// The task was final already: its record, unchanged.
    Final(TaskRecord),
    /// No such task (unknown or expired).
    Missing,
}

/// Cancels a task of type `t` whose record `check` accepts (the caller's type check: an `Err`
/// leaves the record as it is). The new record is announced like any final one.
pub async fn cancel<E>(
    tasks: &Tasks,
    id: &TaskId,
    t: JobType,
    check: impl Fn(&TaskRecord) -> Result<(), E>,
) -> Result<Result<Cancel, E>, BusError> {
    let bus = &tasks.bus;
    loop {
        let Some((record, revision)) = store::get(bus, id).await? else {
            return Ok(Ok(Cancel::Missing));
        };
        if let Err(e) = check(&record) {
            return Ok(Err(e));
        }
        if record.state.is_final() {
            return Ok(Ok(Cancel::Final(record)));
        }
        let cancelled = record.failed(TaskFailure::new(FailureCode::Cancelled, REASON), &now());
        if store::replace(bus, &cancelled, revision).await?.is_some() {
            tasks
                .metrics
                .finished(t, "failure", 0.0, &cancelled.submitted_at);
            // The task is cancelled whatever becomes of its event: a worker that takes its
            // job finds the record final and announces it again.
            if let Err(e) = announce(bus, t, &cancelled).await {
                warn!(task_id = %id, error = %e, "the cancellation's event was not published");
            }
            return Ok(Ok(Cancel::Cancelled(cancelled)));
        }
        // A worker wrote first (STARTED or final): try again on what it wrote.
        debug!(task_id = %id, "a cancellation lost its compare-and-set; read again");
    }
}

/// Most ids kept.
const KEPT: usize = 16_384;

/// The ids of tasks this process has heard cancelled (bounded, oldest out first).
#[derive(Default)]
pub struct Cancelled {
    ids: Mutex<(HashSet<TaskId>, VecDeque<TaskId>)>,
}

impl Cancelled {
    /// Whether the task was heard cancelled.
    pub fn contains(&self, id: &TaskId) -> bool {
        self.ids.lock().expect("never poisoned").0.contains(id)
    }

    /// Notes a cancelled task.
    pub fn insert(&self, id: TaskId) {
        let mut ids = self.ids.lock().expect("never poisoned");
        if !ids.0.insert(id.clone()) {
            return;
        }
        ids.1.push_back(id);
        while ids.1.len() > KEPT {
            if let Some(oldest) = ids.1.pop_front() {
                ids.0.remove(&oldest);
            }
        }
    }

    /// Notes the task of a failure event if its code is `CANCELLED`.
    pub fn hear(&self, event: &[u8]) {
        #[derive(serde::Deserialize)]
        struct Event {
            task_id: TaskId,
            error: Option<TaskFailure>,
        }
        if let Ok(Event {
            task_id,
            error: Some(failure),
        }) = serde_json::from_slice::<Event>(event)
        {
            if failure.code == FailureCode::Cancelled {
                self.insert(task_id);
            }
        }
    }

    /// Listens to the failure events until `shutdown` turns true, noting cancellations; the
    /// receiver turns true once the events stored before it started are read (or could not
    /// be: a worker does not wait for an events stream that does not answer).
    pub fn listen(
        self: Arc<Self>,
        tasks: &Tasks,
        mut shutdown: watch::Receiver<bool>,
    ) -> watch::Receiver<bool> {
        let bus = tasks.bus.clone();
        let (caught_up, ready) = watch::channel(false);
        tokio::spawn(async move {
            loop {
                // The failure events since the oldest job that can still be queued.
                let since = Some(bus.settings.job_max_age);
                match bus.follow_events("failure", since).await {
                    Ok((backlog, mut events)) => {
                        if backlog == 0 {
                            let _ = caught_up.send(true);
                        }
                        loop {
                            tokio::select! {
                                _ = shutdown.wait_for(|s| *s) => return,
                                event = events.next() => match event {
                                    Some((payload, after)) => {
                                        self.hear(&payload);
                                        if after == 0 {
                                            let _ = caught_up.send(true);
                                        }
                                    }
                                    None => break,
                                },
                            }
                        }
                    }
                    Err(e) => {
                        warn!(error = %e, "cannot hear cancellations; retrying");
                        let _ = caught_up.send(true);
                    }
                }
                tokio::select! {
                    _ = shutdown.wait_for(|s| *s) => return,
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                }
            }
        });
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> TaskId {
        TaskId::parse(&format!("00000000-0000-4000-8000-{n:012x}")).unwrap()
    }

    #[test]
    fn hears_only_cancellations() {
        let heard = Cancelled::default();
        let record = TaskRecord::pending(&id(1), "bod_pasta", "d", "t0");
        let cancelled = record.failed(TaskFailure::new(FailureCode::Cancelled, REASON), "t1");
        let panicked = TaskRecord::pending(&id(2), "bod_pasta", "d", "t0")
            .failed(TaskFailure::new(FailureCode::Panic, "boom"), "t1");
        for r in [&cancelled, &panicked] {
            let event = super::super::events::final_event(JobType::BodPasta, r);
            heard.hear(&serde_json::to_vec(&event).unwrap());
        }
        assert!(heard.contains(&id(1)));
        assert!(!heard.contains(&id(2)));
    }

    #[test]
    fn keeps_a_bounded_number() {
        let heard = Cancelled::default();
        for n in 0..(KEPT as u32 + 10) {
            heard.insert(id(n));
        }
        assert!(!heard.contains(&id(0)));
        assert!(heard.contains(&id(KEPT as u32 + 9)));
        assert_eq!(heard.ids.lock().unwrap().0.len(), KEPT);
    }
}
