//! The compute workers: one durable pull consumer per job type, a shared pool of slots.
//!
//! A worker pulls only as many messages as it has free in-flight slots (a buffered message would
//! outlive its ack wait and run twice); a job holds one of `concurrency` compute slots only while
//! it computes (on the blocking pool, with in-progress acks), and waits for one with in-progress
//! acks too, so its JetStream round trips overlap other jobs' computations. The task record moves
//! by compare-and-set: PENDING → STARTED → SUCCESS | FAILURE.
//! A record found final means an earlier delivery finished: its event is published again
//! (deduplicated) and the message acknowledged. The last allowed delivery only records GAVE_UP,
//! so a job that keeps crashing workers still ends FAILURE rather than PENDING forever.
//!
//! Here: the pull loops. The bus's `pull` sends a loop's pull requests and reads their answers
//! on one long-lived inbox, and its `budget` bounds the bytes of the messages held; `delivery`
//! takes one delivered message through the record's transitions; `slots` shares the compute
//! slots and keeps a message alive while it waits or computes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tracing::warn;

use super::delivery;
use super::slots::{slot, Compute};
use super::Tasks;
use crate::bus::budget::Budget;
use crate::bus::pull::Puller;
use crate::model::JobType;

/// Worker tunables.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Job types served.
    pub types: Vec<JobType>,
    /// Jobs computed at once.
    pub concurrency: usize,
}

/// Jobs in flight per compute slot. Each holds its message (submission's are at most 1 MiB:
/// larger bodies come from the blob store, fetched only once a compute slot is held; the bytes
/// of all held messages are bounded by `budget` whatever their size). More jobs in flight let
/// nats-server batch more per read and write: 64 instead of 16 gave 7 % more jobs/s on two
/// cores (PERFORMANCE.md, "The bus, as first measured").
pub const IO_FACTOR: usize = 64;

/// How long a worker waits at its start for the cancellations stored before it.
const CATCH_UP: Duration = Duration::from_secs(5);

/// How long a pull loop waits after the server refused its request.
const REFUSED_PAUSE: Duration = Duration::from_millis(50);

/// Runs workers until `shutdown` turns true; in-flight jobs finish first.
pub async fn run(
    tasks: Tasks,
    settings: WorkerSettings,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    // Jobs in flight (waiting on JetStream round trips) may outnumber the computations: only
    // the computation itself holds one of `concurrency` compute slots.
    let slots = Arc::new(Semaphore::new(settings.concurrency.max(1) * IO_FACTOR));
    let compute = Arc::new(Compute::new(
        settings.concurrency,
        settings.concurrency.max(1) * IO_FACTOR,
    ));
    let budget = Arc::new(Budget::new(
        tasks.bus.client.server_info().max_payload,
        settings.types.len(),
        settings.concurrency,
    ));
    // Cancellations heard are not computed (`super::cancel`): those from before this worker
    // started are read first (for a few seconds at most).
    let mut heard = tasks.cancelled.clone().listen(&tasks, shutdown.clone());
    let _ = tokio::time::timeout(CATCH_UP, heard.wait_for(|caught_up| *caught_up)).await;
    let mut loops = JoinSet::new();
    for t in settings.types.iter().copied() {
        let puller = Puller::open(&tasks.bus, t).await?;
        let (tasks, slots, shutdown) = (tasks.clone(), slots.clone(), shutdown.clone());
        loops.spawn(pull_loop(
            tasks,
            puller,
            slots,
            (compute.clone(), budget.clone()),
            shutdown,
        ));
    }
    let _ = shutdown.wait_for(|s| *s).await;
    while loops.join_next().await.is_some() {}
    Ok(())
}

async fn pull_loop(
    tasks: Tasks,
    mut puller: Puller,
    slots: Arc<Semaphore>,
    (compute, budget): (Arc<Compute>, Arc<Budget>),
    mut shutdown: watch::Receiver<bool>,
) {
    let mut jobs = JoinSet::new();
    loop {
        // Pull only when a slot is free and few jobs wait for a computation, and no more
        // messages than either allows.
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => break,
            p = slots.acquire() => drop(p.expect("slots are never closed")),
        }
        let room = tokio::select! {
            _ = shutdown.wait_for(|s| *s) => break,
            room = compute.room() => room,
        };
        let n = slots.available_permits().min(room).clamp(1, 16);
        // Room for one message of the largest size; a batch of small ones fits in it too.
        let mut reservation = tokio::select! {
            _ = shutdown.wait_for(|s| *s) => break,
            r = budget.reserve() => r,
        };
        let batch = puller
            .request(n, budget.fetch_bytes(), Duration::from_secs(5))
            .await;
        let mut batch = match batch {
            Ok(b) => b,
            Err(e) => {
                warn!(error = %e, "fetch failed; retrying");
                tokio::select! {
                    _ = shutdown.wait_for(|s| *s) => break,
                    _ = tokio::time::sleep(Duration::from_millis(500)) => continue,
                }
            }
        };
        loop {
            let next = tokio::select! {
                _ = shutdown.wait_for(|s| *s) => None,
                m = batch.next() => m,
            };
            let Some(msg) = next else { break };
            let (tasks, slots, compute) = (tasks.clone(), slots.clone(), compute.clone());
            let claim = compute.claim();
            // The message's bytes stay counted, in the budget and in `/metrics`, until its
            // delivery ends.
            let held = (
                reservation.take(msg.length()),
                tasks.metrics.hold(msg.length() as u64),
            );
            jobs.spawn(async move {
                let _held = held;
                let Some(permit) = slot(&slots, &msg, tasks.bus.settings.ack_wait).await else {
                    let subject = msg.subject();
                    tracing::debug!(%subject, "in-progress ack failed while waiting for a slot");
                    return;
                };
                let settle = delivery::deliver(&tasks, &msg, (&compute, claim)).await;
                if let Err(e) = msg.settle(settle).await {
                    warn!(error = %e, "ack failed; the job will be redelivered");
                }
                drop(permit);
            });
            while jobs.try_join_next().is_some() {}
        }
        let refused = batch.refused();
        drop((batch, reservation));
        if refused {
            // Others wait for the next jobs already: ask again a little later, not in a loop.
            tokio::select! {
                _ = shutdown.wait_for(|s| *s) => break,
                _ = tokio::time::sleep(REFUSED_PAUSE) => {}
            }
        }
        if *shutdown.borrow() {
            break;
        }
    }
    while jobs.join_next().await.is_some() {}
}
