//! The compute slots of a worker process, and keeping a delivered message alive: in-progress
//! acks while it waits for a slot and while it computes on the blocking pool, and the job's
//! time-out.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::engine::chunked::Output;
use tokio::sync::{Notify, Semaphore};
use tracing::warn;

use super::TaskFailure;
use crate::bus::JobMessage;

/// Waits for a free slot, keeping the message alive with in-progress acks meanwhile (another job
/// type's loop may have taken the slot since this message was pulled).
pub async fn slot(
    slots: &Arc<Semaphore>,
    msg: &JobMessage,
    ack_wait: Duration,
) -> Option<tokio::sync::OwnedSemaphorePermit> {
    loop {
        tokio::select! {
            p = slots.clone().acquire_owned() => return p.ok(),
            _ = tokio::time::sleep((ack_wait / 3).max(Duration::from_millis(100))) => {
                if msg.keep_alive().await.is_err() {
                    return None;
                }
            }
        }
    }
}

/// The compute slots of a worker process, and how many fetched jobs have not got one yet.
///
/// Jobs in flight may outnumber the compute slots (their bus round trips overlap other jobs'
/// computations), but the pull loops fetch only while the fetched jobs still without a compute
/// slot are fewer than the slots can start within [`HORIZON`], by the recent computations'
/// average time (at least one per slot, at most `most_waiting`). Small jobs thus stay deeply
/// pipelined, and a process busy with long computations does not hoard jobs that another worker
/// process could start at once.
pub struct Compute {
    slots: Arc<Semaphore>,
    count: usize,
    waiting: AtomicUsize,
    changed: Notify,
    most_waiting: usize,
    /// Moving average of the computations' time, microseconds (0: none yet).
    average_us: AtomicU64,
}

/// How far ahead of the compute slots the pull loops fetch, in computation time.
pub const HORIZON: Duration = Duration::from_millis(500);

/// A fetched job not yet given a compute slot: counted by [`Compute`] until it gets one or its
/// delivery ends without computing (the guard is dropped).
pub struct Claim(Arc<Compute>);

impl Drop for Claim {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }
}

impl Compute {
    /// `slots` compute slots; at most `most_waiting` fetched jobs without one.
    pub fn new(slots: usize, most_waiting: usize) -> Compute {
        let count = slots.max(1);
        Compute {
            slots: Arc::new(Semaphore::new(count)),
            count,
            waiting: AtomicUsize::new(0),
            changed: Notify::new(),
            most_waiting: most_waiting.max(count),
            average_us: AtomicU64::new(0),
        }
    }

    /// Notes how long a computation took.
    pub fn computed(&self, took: Duration) {
        let took = (took.as_micros() as u64).max(1);
        let old = self.average_us.load(Ordering::Relaxed);
        let new = if old == 0 { took } else { (old * 7 + took) / 8 };
        self.average_us.store(new.max(1), Ordering::Relaxed);
    }

    /// How many fetched jobs may be without a compute slot now (see [`Compute`]).
    fn waiting_limit(&self) -> usize {
        match self.average_us.load(Ordering::Relaxed) {
            0 => self.most_waiting,
            average => {
                let ahead = self.count as u64 * HORIZON.as_micros() as u64 / average;
                (ahead as usize).clamp(self.count, self.most_waiting)
            }
        }
    }

    /// Counts a job just fetched.
    pub fn claim(self: &Arc<Self>) -> Claim {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        Claim(self.clone())
    }

    /// Waits for a compute slot as [`slot`] does; the job stops counting as waiting once it
    /// has one (or once this ends without one).
    pub async fn slot(
        &self,
        claim: Claim,
        msg: &JobMessage,
        ack_wait: Duration,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let permit = slot(&self.slots, msg, ack_wait).await;
        drop(claim);
        permit
    }

    /// Waits until fewer fetched jobs than the limit are without a compute slot; how many more
    /// may be fetched.
    pub async fn room(&self) -> usize {
        loop {
            // Registered before the count is read, so a change in between still wakes it.
            let changed = self.changed.notified();
            let waiting = self.waiting.load(Ordering::SeqCst);
            let limit = self.waiting_limit();
            if waiting < limit {
                return limit - waiting;
            }
            changed.await;
        }
    }
}

/// How a computation on the blocking pool ended.
pub enum Computed {
    /// It returned: the result document, or why there is none.
    Done(Result<Output, TaskFailure>),
    /// It ran past the job's time-out (it is left to finish on its own; its result is dropped).
    TimedOut,
    /// Its task failed outside the computation's own panic handling.
    Crashed(String),
}

/// Waits for `work` (a blob fetch, say), sending in-progress acks every third of the ack wait,
/// so that the message is not redelivered meanwhile.
pub async fn kept_alive<T>(
    msg: &JobMessage,
    ack_wait: Duration,
    work: impl std::future::Future<Output = T>,
) -> T {
    tokio::pin!(work);
    let period = (ack_wait / 3).max(Duration::from_millis(100));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = tick.tick() => {
                if let Err(e) = msg.keep_alive().await {
                    warn!(error = %e, "in-progress ack failed");
                }
            }
        }
    }
}

/// Waits for a computation, sending in-progress acks (see [`kept_alive`]) and ending it at
/// `timeout`.
pub async fn with_progress(
    msg: &JobMessage,
    ack_wait: Duration,
    timeout: Duration,
    mut work: tokio::task::JoinHandle<Result<Output, TaskFailure>>,
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
                if let Err(e) = msg.keep_alive().await {
                    warn!(error = %e, "in-progress ack failed");
                }
            }
        }
    }
}
