//! One delivery of a job message: the record's next transitions (PENDING → STARTED → SUCCESS |
//! FAILURE, each a compare-and-set), the computation, the events. A record found final is
//! announced again; a job published straight to its subject is validated and gets its record
//! here.

use std::time::Instant;

use async_nats::jetstream;
use bytes::Bytes;
use tracing::{debug, warn};

use super::events::{announce, StartedEvent};
use super::progress::{with_progress, Claim, Compute, Computed};
use crate::bus::{Bus, Created, JobFormat};
use crate::model::{compact, Job, JobType, Limits};
use crate::service::ack::{is_last_chance, Outcome};
use crate::service::record::{TaskRecord, TaskState};
use crate::service::{self, now, parse_body_off_thread, ApiError, Service};

/// One delivery: the record's next transitions, the computation, the events. An error is
/// transient: the delivery is retried.
pub(super) async fn process(
    service: &Service,
    msg: &jetstream::Message,
    (compute, claim): (&Compute, Claim),
    id: &str,
    t: JobType,
    delivered: u64,
    max: u64,
) -> Result<Outcome, ApiError> {
    let bus = &service.bus;
    // A format written by a newer version is left to a worker that knows it; the last
    // delivery still records GAVE_UP.
    let format = match JobFormat::of(msg.headers.as_ref()) {
        Ok(format) => format,
        Err(unknown) if !is_last_chance(delivered, max) => {
            warn!(format = %unknown, "a job format this worker does not know; left for another");
            return Ok(Outcome::Transient);
        }
        Err(unknown) => {
            return give_up_unknown_format(service, msg, id, t, delivered, &unknown).await
        }
    };
    let blob = blob_of(&msg.payload, format);
    let delivered_body = Delivered {
        payload: &msg.payload,
        blob: blob.as_deref(),
        format,
    };
    // A first delivery trusts the PENDING record its headers describe; a redelivery reads it.
    let hinted = if delivered == 1 {
        hinted_record(msg, id, t)
    } else {
        None
    };
    let was_hinted = hinted.is_some();
    let (record, rev) = match hinted {
        Some(found) => found,
        None => match current(service, id, t, delivered_body, stated_digest(msg)).await? {
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
        return finish(&service.metrics, bus, t, id, gave_up, rev, None).await;
    }
    let Some(permit) = compute.slot(claim, msg, bus.settings.ack_wait).await else {
        debug!("no compute slot in time; retried");
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
    // A body in the blob store is fetched only now, holding a compute slot, so that the large
    // bodies in memory are bounded by the compute slots rather than by the jobs in flight.
    let body = match parsed {
        Some(_) => Bytes::new(),
        None => delivered_body.body(bus).await?,
    };
    service.metrics.worker_body(match (&parsed, format) {
        (Some(_), _) => "submission",
        (None, JobFormat::Compact) => "compact",
        (None, JobFormat::Json) => "json",
    });
    let started_at = Instant::now();
    let span = tracing::Span::current();
    let work = tokio::task::spawn_blocking(move || {
        let _job_span = span.enter();
        let job = match parsed {
            Some(job) => job,
            None => read_job(t, &body, format, &limits)?,
        };
        service::run::compute(&job)
            .map_err(|e| ApiError::Internal(format!("{}: {}", e.code, e.message)))
    });
    let started = record.started(delivered as u32, &now());
    let mark_started = async {
        let marked = bus.update_record(&started, rev).await;
        let event = match marked {
            Ok(Some(_)) => {
                let at = started.started_at.clone().unwrap_or_else(now);
                Some(StartedEvent::send(bus, t, id, delivered, &at))
            }
            _ => None,
        };
        (marked, event)
    };
    // `time_ms` is the computation's own time, not the wait for the STARTED write beside it;
    // the compute slot is free again as soon as the computation ends, not when that write's
    // round trip does.
    let computing = async {
        let outcome = with_progress(msg, bus.settings.ack_wait, service.job_timeout, work).await;
        drop(permit);
        compute.computed(started_at.elapsed());
        (outcome, started_at.elapsed().as_secs_f64() * 1000.0)
    };
    let ((marked, started_event), (outcome, time_ms)) = tokio::join!(mark_started, computing);
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
                found => {
                    let found = found.map(|(r, rev)| (r.state, rev));
                    debug!(hinted = rev, ?found, "the hinted record is stale; retried");
                    Ok(Outcome::Transient)
                }
            };
        }
        None => {
            debug!(rev, "STARTED lost its compare-and-set; retried");
            return Ok(Outcome::Transient);
        }
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
    finish(&service.metrics, bus, t, id, next, rev, started_event).await
}

/// The last delivery of a job in a format this worker does not know: GAVE_UP, naming the
/// format. Its body is never read, so a job published straight without a record gets its
/// record here, final at once (with the digest its headers state, or the payload's).
async fn give_up_unknown_format(
    service: &Service,
    msg: &jetstream::Message,
    id: &str,
    t: JobType,
    delivered: u64,
    format: &str,
) -> Result<Outcome, ApiError> {
    let bus = &service.bus;
    let reason = format!(
        "gave up after {} deliveries: job format {format} is unknown to the workers that took it",
        delivered - 1
    );
    let (record, rev) = match bus.get_record(id).await? {
        Some(found) => found,
        None => {
            let digest = stated_digest(msg).unwrap_or_else(|| service::digest(t, &msg.payload));
            let at = now();
            let gave_up =
                TaskRecord::pending(id, t.as_str(), &digest, &at).failed("GAVE_UP", &reason, &at);
            match bus.create_record(&gave_up).await? {
                Created::New(_) => {
                    service.metrics.finished(t, "failure", 0.0);
                    announce(bus, t, &gave_up).await?;
                    return Ok(Outcome::Final);
                }
                Created::Exists(found, rev) => (*found, rev),
            }
        }
    };
    if record.state.is_final() {
        announce(bus, t, &record).await?;
        return Ok(Outcome::Final);
    }
    let gave_up = record.failed("GAVE_UP", reason, &now());
    finish(&service.metrics, bus, t, id, gave_up, rev, None).await
}

/// The PENDING record a job message's headers describe (see [`crate::bus::REVISION_HEADER`]), when
/// they all are there and name this task and type.
fn hinted_record(msg: &jetstream::Message, id: &str, t: JobType) -> Option<(TaskRecord, u64)> {
    let headers = msg.headers.as_ref()?;
    let revision = headers
        .get(crate::bus::REVISION_HEADER)?
        .as_str()
        .parse()
        .ok()?;
    let digest = headers.get(crate::bus::DIGEST_HEADER)?.as_str();
    let submitted = headers.get(crate::bus::SUBMITTED_HEADER)?.as_str();
    let record = TaskRecord::pending(id, t.as_str(), digest, submitted);
    Some((record, revision))
}

/// The task's record as stored, or the one a job published straight to its subject gets
/// (`None`: the job is already final, nothing left to do).
async fn current(
    service: &Service,
    id: &str,
    t: JobType,
    delivered: Delivered<'_>,
    stated: Option<String>,
) -> Result<Option<(TaskRecord, u64)>, ApiError> {
    match service.bus.get_record(id).await? {
        Some(found) => Ok(Some(found)),
        None => {
            let body = delivered.body(&service.bus).await?;
            adopt(service, id, t, (&body, delivered.format), stated).await
        }
    }
}

/// The digest a job message's headers state (submission's, see [`crate::bus::DIGEST_HEADER`]).
fn stated_digest(msg: &jetstream::Message) -> Option<String> {
    let headers = msg.headers.as_ref()?;
    Some(headers.get(crate::bus::DIGEST_HEADER)?.as_str().to_string())
}

/// The job of a message body in its format: a JSON body read and validated, a compact one
/// decoded and its references checked.
fn read_job(t: JobType, body: &[u8], format: JobFormat, limits: &Limits) -> Result<Job, ApiError> {
    match format {
        JobFormat::Json => service::parse_job(t, body, limits),
        JobFormat::Compact => compact::decode(t, body, limits).map_err(ApiError::InvalidBody),
    }
}

/// Writes a final record by compare-and-set and announces it. A lost race means another
/// delivery finished first: its record stands and is announced again. The final event waits
/// until this delivery's `started` event, if it sent one, is sent, so that the stream stores it
/// first; the compare-and-set does not.
async fn finish(
    metrics: &crate::service::metrics::Metrics,
    bus: &Bus,
    t: JobType,
    id: &str,
    record: TaskRecord,
    rev: u64,
    started: Option<StartedEvent>,
) -> Result<Outcome, ApiError> {
    let written = bus.update_record(&record, rev).await?;
    if let Some(started) = started {
        started.settled(bus.settings.request_timeout).await;
    }
    match written {
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
                    let state = current.state;
                    debug!(
                        rev,
                        ?state,
                        "the final record lost its compare-and-set; retried"
                    );
                    return Ok(Outcome::Transient);
                }
            }
        }
    }
    Ok(Outcome::Final)
}

/// A job published straight to its subject, without a record: validated here. An invalid body
/// gets a final FAILURE record (`None`: nothing left to do); a valid one a PENDING record. (A
/// compact job always had one, made by submission; should it be gone, the job is adopted the
/// same way, with the digest its headers carry.)
async fn adopt(
    service: &Service,
    id: &str,
    t: JobType,
    (body, format): (&Bytes, JobFormat),
    stated: Option<String>,
) -> Result<Option<(TaskRecord, u64)>, ApiError> {
    let parsed = match format {
        JobFormat::Json => parse_body_off_thread(t, body, &service.limits)
            .await
            .map(|(_, digest)| digest),
        JobFormat::Compact => {
            let (bytes, limits) = (body.clone(), service.limits.clone());
            tokio::task::spawn_blocking(move || read_job(t, &bytes, format, &limits))
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))
                .and_then(|read| read)
                .map(|_| stated.clone().unwrap_or_else(|| service::digest(t, body)))
        }
    };
    let digest = match &parsed {
        Ok(digest) => digest.clone(),
        Err(_) => stated.unwrap_or_else(|| service::digest(t, body)),
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

/// A job message's body as delivered: its payload, the blob it names instead of carrying the
/// body (a JSON `{"$ref": name}`), its format.
#[derive(Clone, Copy)]
struct Delivered<'a> {
    payload: &'a Bytes,
    blob: Option<&'a str>,
    format: JobFormat,
}

impl Delivered<'_> {
    /// The body: the payload, or the blob it names, fetched.
    async fn body(&self, bus: &Bus) -> Result<Bytes, ApiError> {
        match self.blob {
            Some(name) => bus
                .get_blob(name)
                .await?
                .ok_or_else(|| ApiError::Internal(format!("body {name} is missing"))),
            None => Ok(self.payload.clone()),
        }
    }
}

/// The blob a JSON job message names instead of carrying its body (`{"$ref": name}`).
fn blob_of(payload: &Bytes, format: JobFormat) -> Option<String> {
    match format {
        JobFormat::Json => crate::bus::blob_ref::named_blob(payload),
        JobFormat::Compact => None,
    }
}
