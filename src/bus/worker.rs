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

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer::PullConsumer, AckKind as JsAck};
use bytes::Bytes;
use futures::StreamExt;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tracing::{debug, warn, Instrument};

use super::{Bus, Created};
use crate::model::JobType;
use crate::service::ack::{decide, is_last_chance, AckKind, Outcome};
use crate::service::record::{TaskRecord, TaskState};
use crate::service::{self, now, parse_body_off_thread, ApiError, Service};

/// Worker tunables.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Job types served.
    pub types: Vec<JobType>,
    /// Jobs computed at once.
    pub concurrency: usize,
}

/// Jobs in flight per compute slot.
const IO_FACTOR: usize = 16;

/// Runs workers until `shutdown` turns true; in-flight jobs finish first.
pub async fn run(
    service: Service,
    settings: WorkerSettings,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    // Jobs in flight (waiting on JetStream round trips) may outnumber the computations: only
    // the computation itself holds one of `concurrency` compute slots.
    let slots = Arc::new(Semaphore::new(settings.concurrency.max(1) * IO_FACTOR));
    let compute = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let stream = service
        .bus
        .js
        .get_stream(service.bus.names.jobs_stream())
        .await?;
    let mut loops = JoinSet::new();
    for t in settings.types.iter().copied() {
        let consumer: PullConsumer = stream
            .get_consumer(&service.bus.names.consumer(t))
            .await
            .map_err(|e| anyhow::anyhow!("consumer {}: {e}", service.bus.names.consumer(t)))?;
        let (service, slots, shutdown) = (service.clone(), slots.clone(), shutdown.clone());
        loops.spawn(pull_loop(
            service,
            consumer,
            slots,
            compute.clone(),
            shutdown,
        ));
    }
    let _ = shutdown.wait_for(|s| *s).await;
    while loops.join_next().await.is_some() {}
    Ok(())
}

async fn pull_loop(
    service: Service,
    consumer: PullConsumer,
    slots: Arc<Semaphore>,
    compute: Arc<Semaphore>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut jobs = JoinSet::new();
    loop {
        // Pull only when a slot is free, and no more messages than free slots.
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => break,
            p = slots.acquire() => drop(p.expect("slots are never closed")),
        }
        let n = slots.available_permits().clamp(1, 16);
        let batch = consumer
            .fetch()
            .max_messages(n)
            .expires(Duration::from_secs(5))
            .messages()
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
            let Some(Ok(msg)) = next else { break };
            let (service, slots, compute) = (service.clone(), slots.clone(), compute.clone());
            jobs.spawn(async move {
                let Some(permit) = slot(&slots, &msg, service.bus.settings.ack_wait).await else {
                    return;
                };
                handle(&service, msg, &compute).await;
                drop(permit);
            });
            while jobs.try_join_next().is_some() {}
        }
        if *shutdown.borrow() {
            break;
        }
    }
    while jobs.join_next().await.is_some() {}
}

/// Waits for a free slot, keeping the message alive with in-progress acks meanwhile (another job
/// type's loop may have taken the slot since this message was pulled).
async fn slot(
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

async fn handle(service: &Service, msg: jetstream::Message, compute: &Arc<Semaphore>) {
    let delivered = msg.info().map(|i| i.delivered.max(1) as u64).unwrap_or(1);
    let max = service.bus.settings.max_deliver.max(1) as u64;
    let id = msg
        .headers
        .as_ref()
        .and_then(|h| h.get("Nats-Msg-Id"))
        .map(|v| v.as_str().to_string());
    let job_type = service.bus.names.job_type_of(msg.subject.as_str());
    let outcome = match (id.as_deref().map(service::task_id), job_type) {
        (Some(Ok(id)), Some(t)) => {
            let span = tracing::info_span!("job", task_id = %id, r#type = %t, attempt = delivered);
            process(service, &msg, compute, &id, t, delivered, max)
                .instrument(span)
                .await
        }
        _ => {
            warn!(subject = %msg.subject, "a job without a UUID Nats-Msg-Id cannot be recorded; dropped");
            Outcome::Unusable
        }
    };
    let result = match decide(outcome, delivered, max) {
        AckKind::Ack => msg.ack().await,
        AckKind::Retry(delay) => msg.ack_with(JsAck::Nak(Some(delay))).await,
        AckKind::Term => msg.ack_with(JsAck::Term).await,
    };
    if let Err(e) = result {
        warn!(error = %e, "ack failed; the job will be redelivered");
    }
}

/// One delivery: the record's next transitions, the computation, the events.
async fn process(
    service: &Service,
    msg: &jetstream::Message,
    compute: &Arc<Semaphore>,
    id: &str,
    t: JobType,
    delivered: u64,
    max: u64,
) -> Outcome {
    match process_inner(service, msg, compute, id, t, delivered, max).await {
        Ok(outcome) => outcome,
        Err(e) => {
            warn!(error = %e, "transient failure; will retry");
            Outcome::Transient
        }
    }
}

async fn process_inner(
    service: &Service,
    msg: &jetstream::Message,
    compute: &Arc<Semaphore>,
    id: &str,
    t: JobType,
    delivered: u64,
    max: u64,
) -> Result<Outcome, ApiError> {
    let bus = &service.bus;
    let body = body_of(bus, &msg.payload).await?;
    // A first delivery trusts the PENDING record its headers describe; a redelivery reads it.
    let hinted = if delivered == 1 {
        hinted_record(msg, id, t)
    } else {
        None
    };
    let was_hinted = hinted.is_some();
    let (record, rev) = match hinted {
        Some(found) => found,
        None => match current(service, id, t, &body).await? {
            Some(found) => found,
            None => return Ok(Outcome::Final),
        },
    };
    if record.state.is_final() {
        announce(bus, t, &record).await?;
        return Ok(Outcome::Final);
    }
    if is_last_chance(delivered, max) {
        let gave_up = record.failed(
            "GAVE_UP",
            format!("gave up after {} deliveries", delivered - 1),
            &now(),
        );
        return finish(&service.metrics, bus, t, id, gave_up, rev).await;
    }
    let Some(permit) = slot(compute, msg, bus.settings.ack_wait).await else {
        return Ok(Outcome::Transient);
    };
    // The computation starts at once; STARTED is written meanwhile, and the result is kept only
    // if that compare-and-set won (the final record is written on STARTED's revision).
    let limits = service.limits.clone();
    // The job submission parsed in this process, if it did (a first delivery only).
    let parsed = if was_hinted {
        service.handoff.take(id, &record.digest)
    } else {
        None
    };
    service.metrics.worker_body(parsed.is_some());
    let started_at = Instant::now();
    let work = tokio::task::spawn_blocking(move || {
        let job = match parsed {
            Some(job) => job,
            None => service::parse_job(t, &body, &limits)?,
        };
        service::run::compute(&job)
            .map_err(|e| ApiError::Internal(format!("{}: {}", e.code, e.message)))
    });
    let started = record.started(delivered as u32, &now());
    let mark_started = async {
        let marked = bus.update_record(&started, rev).await;
        if let Ok(Some(_)) = marked {
            let at = started.started_at.clone().unwrap_or_else(now);
            let event = started_event(id, t, delivered, &at);
            let (events, task) = (bus.clone(), id.to_string());
            tokio::spawn(async move {
                if let Err(e) = events.publish_event(t, &task, "started", &event).await {
                    warn!(error = %e, "started event not published");
                }
            });
        }
        marked
    };
    // `time_ms` is the computation's own time, not the wait for the STARTED write beside it.
    let computing = async {
        let outcome = with_progress(msg, bus.settings.ack_wait, service.job_timeout, work).await;
        (outcome, started_at.elapsed().as_secs_f64() * 1000.0)
    };
    let (marked, (outcome, time_ms)) = tokio::join!(mark_started, computing);
    drop(permit);
    let (record, rev) = match marked? {
        Some(rev) => (started, rev),
        None if was_hinted => {
            // The hint was stale: a final record stands; otherwise the redelivery reads (or
            // adopts) the record as it is.
            return match bus.get_record(id).await? {
                Some((found, _)) if found.state.is_final() => {
                    announce(bus, t, &found).await?;
                    Ok(Outcome::Final)
                }
                _ => Ok(Outcome::Transient),
            };
        }
        None => return Ok(Outcome::Transient),
    };
    let next = match outcome {
        Computed::Done(Ok(result)) => {
            if result.get().len() > bus.settings.inline_limit {
                let name = format!("result/{id}");
                let text: Box<str> = result.into();
                bus.put_blob(&name, Bytes::from(text.into_boxed_bytes()))
                    .await?;
                record.succeeded(None, Some(name), time_ms, &now())
            } else {
                record.succeeded(Some(result), None, time_ms, &now())
            }
        }
        Computed::Done(Err(ApiError::InvalidBody(problems))) => record.failed(
            "INVALID_BODY",
            format!("the body bypassed submission and is invalid: {problems}"),
            &now(),
        ),
        Computed::Done(Err(ApiError::Internal(m))) if m.starts_with("PANIC: ") => {
            record.failed("PANIC", m.trim_start_matches("PANIC: "), &now())
        }
        Computed::Done(Err(e)) => record.failed("INTERNAL", e.to_string(), &now()),
        Computed::TimedOut => record.failed(
            "TIMEOUT",
            format!(
                "the computation exceeded its time-out of {:?}",
                service.job_timeout
            ),
            &now(),
        ),
        Computed::Crashed(m) => record.failed("PANIC", m, &now()),
    };
    finish(&service.metrics, bus, t, id, next, rev).await
}

/// The PENDING record a job message's headers describe (see [`super::REVISION_HEADER`]), when
/// they all are there and name this task and type.
fn hinted_record(msg: &jetstream::Message, id: &str, t: JobType) -> Option<(TaskRecord, u64)> {
    let headers = msg.headers.as_ref()?;
    let revision = headers.get(super::REVISION_HEADER)?.as_str().parse().ok()?;
    let digest = headers.get(super::DIGEST_HEADER)?.as_str();
    let submitted = headers.get(super::SUBMITTED_HEADER)?.as_str();
    let record = TaskRecord::pending(id, t.as_str(), digest, submitted);
    Some((record, revision))
}

/// The task's record as stored, or the one a job published straight to its subject gets
/// (`None`: the job is already final, nothing left to do).
async fn current(
    service: &Service,
    id: &str,
    t: JobType,
    body: &Bytes,
) -> Result<Option<(TaskRecord, u64)>, ApiError> {
    match service.bus.get_record(id).await? {
        Some(found) => Ok(Some(found)),
        None => adopt(service, id, t, body).await,
    }
}

/// Writes a final record by compare-and-set and announces it. A lost race means another
/// delivery finished first: its record stands and is announced again.
async fn finish(
    metrics: &crate::service::metrics::Metrics,
    bus: &Bus,
    t: JobType,
    id: &str,
    record: TaskRecord,
    rev: u64,
) -> Result<Outcome, ApiError> {
    match bus.update_record(&record, rev).await? {
        Some(_) => {
            debug!(state = ?record.state, "task finished");
            let state = if record.state == TaskState::Success {
                "success"
            } else {
                "failure"
            };
            metrics.finished(t, state, record.time_ms.unwrap_or(0.0));
            announce(bus, t, &record).await?;
        }
        None => {
            if let Some((current, _)) = bus.get_record(id).await? {
                if current.state.is_final() {
                    announce(bus, t, &current).await?;
                } else {
                    return Ok(Outcome::Transient);
                }
            }
        }
    }
    Ok(Outcome::Final)
}

/// Publishes the completion event of a final record.
async fn announce(bus: &Bus, t: JobType, record: &TaskRecord) -> Result<(), ApiError> {
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

/// A job published straight to its subject, without a record: validated here. An invalid body
/// gets a final FAILURE record (`None`: nothing left to do); a valid one a PENDING record.
async fn adopt(
    service: &Service,
    id: &str,
    t: JobType,
    body: &Bytes,
) -> Result<Option<(TaskRecord, u64)>, ApiError> {
    let parsed = parse_body_off_thread(t, body, &service.limits).await;
    let digest = match &parsed {
        Ok((_, digest)) => digest.clone(),
        Err(_) => service::digest(t, body),
    };
    let pending = TaskRecord::pending(id, t.as_str(), &digest, &now());
    let record = match parsed {
        Ok(_) => pending,
        Err(ApiError::InvalidBody(problems)) => pending.failed(
            "INVALID_BODY",
            format!("the body bypassed submission and is invalid: {problems}"),
            &now(),
        ),
        Err(e) => return Err(e),
    };
    let (record, rev) = match service.bus.create_record(&record).await? {
        Created::New(rev) => (record, rev),
        Created::Exists(r, rev) => (*r, rev),
    };
    if record.state.is_final() {
        announce(&service.bus, t, &record).await?;
        return Ok(None);
    }
    Ok(Some((record, rev)))
}

/// The body of a job message, fetching it from the blob store when it is a `$ref`.
async fn body_of(bus: &Bus, payload: &Bytes) -> Result<Bytes, ApiError> {
    if payload.len() < 1024 {
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(payload) {
            if let (1, Some(Value::String(name))) = (map.len(), map.get("$ref")) {
                return bus
                    .get_blob(name)
                    .await?
                    .ok_or_else(|| ApiError::Internal(format!("body {name} is missing")));
            }
        }
    }
    Ok(payload.clone())
}

enum Computed {
    Done(Result<Box<RawValue>, ApiError>),
    TimedOut,
    Crashed(String),
}

/// Waits for the computation, sending in-progress acks every third of the ack wait.
async fn with_progress(
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
