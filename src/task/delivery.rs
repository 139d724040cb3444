//! One delivery of a job message, top to bottom.
//!
//! 1. The message names its task (`Nats-Msg-Id`) and its type (the subject); without both it is
//!    unusable and terminated. A format this version does not know is left for another worker.
//! 2. The task's record: a first delivery trusts the PENDING record its headers describe, a
//!    redelivery reads it, and a job published straight without a record is adopted (validated
//!    here, given a PENDING or a final INVALID_BODY record).
//! 3. A record found final is announced again (an earlier delivery finished). The last allowed
//!    delivery only records GAVE_UP.
//! 4. A task heard cancelled is not computed (its final record is announced again). With a
//!    compute slot, the body is read (or taken from the hand-off) and computed on the
//!    blocking pool. A computation that ends within `started_after` goes straight from PENDING
//!    to its final record; one that lasts is written STARTED (and announced) meanwhile.
//! 5. The final record is written by compare-and-set on the revision this delivery holds, then
//!    announced. A lost race means another writer came first: a final record stands and is
//!    announced again; anything else is retried.
//!
//! Every bus error is transient: the delivery is retried later ([`super::ack`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tracing::{debug, warn, Instrument};

use super::ack::{decide, is_last_chance, Outcome};
use super::events::{announce, StartedEvent};
use super::held::HeldError;
use super::slots::{kept_alive, with_progress, Claim, Compute, Computed};
use super::spill::Spill;
use super::store::{self, Create};
use super::{now, FailureCode, ResultBlob, TaskFailure, TaskId, TaskRecord, Tasks};
use crate::bus::{blob_ref, BusError, JobFormat, JobMessage, Settle};
use crate::engine::chunked::{ChunkedJson, Output};
use crate::model::topology::{Pinned, Reference};
use crate::model::{self, compact, Job, JobType, Limits, Network, Problems};

/// Takes one delivered message through its task's transitions; how to settle it.
pub async fn deliver(tasks: &Tasks, msg: &JobMessage, compute: (&Compute, Claim)) -> Settle {
    let delivered = msg.delivered();
    let max = tasks.bus.settings.max_deliver.max(1) as u64;
    let (id, t) = match (msg.msg_id().map(TaskId::parse), msg.job_type()) {
        (Some(Ok(id)), Some(t)) => (id, t),
        _ => {
            let subject = msg.subject();
            warn!(%subject, "a job without a UUID Nats-Msg-Id cannot be recorded; dropped");
            return decide(Outcome::Unusable, delivered, max);
        }
    };
    let span = tracing::info_span!("job", task_id = %id, r#type = %t, attempt = delivered);
    let delivery = Delivery {
        tasks,
        msg,
        id,
        t,
        delivered,
        last: is_last_chance(delivered, max),
    };
    let outcome = delivery
        .run(compute)
        .instrument(span)
        .await
        .unwrap_or_else(|e| {
            warn!(error = %e, "transient failure; will retry");
            Outcome::Transient
        });
    decide(outcome, delivered, max)
}

/// One delivery of one task's job message.
struct Delivery<'a> {
    tasks: &'a Tasks,
    msg: &'a JobMessage,
    id: TaskId,
    t: JobType,
    /// Which delivery this is, from 1.
    delivered: u64,
    /// Whether it is the last allowed one, which only records GAVE_UP.
    last: bool,
}

/// A delivery's computation: done already (a light job, computed where it was delivered), or
/// running on the blocking pool.
enum Work {
    Done(Result<Output, TaskFailure>),
    Pool(tokio::task::JoinHandle<Result<Output, TaskFailure>>),
}

impl Delivery<'_> {
    async fn run(&self, (compute, claim): (&Compute, Claim)) -> Result<Outcome, BusError> {
        // 1. A format written by a newer version is left to a worker that knows it.
        let format = match self.msg.format() {
            Ok(format) => format,
            Err(unknown) if !self.last => {
                warn!(format = %unknown, "a job format this worker does not know; left for another");
                return Ok(Outcome::Transient);
            }
            Err(unknown) => return self.give_up_unknown_format(&unknown).await,
        };
        // 2. The record.
        let hinted = self.hinted_record();
        let was_hinted = hinted.is_some();
        let (record, rev) = match hinted {
            Some(found) => found,
            None => match store::get(&self.tasks.bus, &self.id).await? {
                Some(found) => found,
                None => match self.adopt(format).await? {
                    Some(adopted) => adopted,
                    None => return Ok(Outcome::Final),
                },
            },
        };
        // 3. Final already, or the last chance.
        if record.state.is_final() {
            announce(&self.tasks.bus, self.t, &record).await?;
            return Ok(Outcome::Final);
        }
        if self.last {
            let reason = format!("gave up after {} deliveries", self.delivered - 1);
            let gave_up = record.failed(TaskFailure::new(FailureCode::GaveUp, reason), &now());
            return self.finish(gave_up, rev, None).await;
        }
        // 4. The computation, holding a compute slot (unless the task was heard cancelled).
        if self.tasks.cancelled.contains(&self.id) {
            return self.heard_cancelled().await;
        }
        let bus = &self.tasks.bus;
        let Some(permit) = compute.slot(claim, self.msg, bus.settings.ack_wait).await else {
            debug!("no compute slot in time; retried");
            return Ok(Outcome::Transient);
        };
        if self.tasks.cancelled.contains(&self.id) {
            return self.heard_cancelled().await;
        }
        // The job submission parsed in this process, if it did (a first delivery only).
        let parsed = if was_hinted {
            self.tasks.handoff.take(&self.id, &record.digest)
        } else {
            None
        };
        // A body in the blob store is fetched only now, holding a compute slot, so that the
        // large bodies in memory are bounded by the compute slots rather than the jobs in flight.
        let body = match parsed {
            Some(_) => Bytes::new(),
            None => kept_alive(self.msg, bus.settings.ack_wait, self.body(format)).await?,
        };
        self.tasks.metrics.worker_body(match (&parsed, format) {
            (Some(_), _) => "submission",
            (None, JobFormat::Compact | JobFormat::CompactHeld) => "compact",
            (None, JobFormat::Json) => "json",
        });
        // The held topology revision the task names, from this process's cache when it can.
        let held = match &record.topology {
            Some(pinned) => match self.tasks.held.network(&pinned.name, pinned.revision).await {
                Ok(net) => Some(net),
                Err(HeldError::Bus(e)) => return Err(e),
                Err(e) => {
                    let failure = TaskFailure::new(FailureCode::InvalidBody, e.to_string());
                    return self.finish(record.failed(failure, &now()), rev, None).await;
                }
            },
            None => None,
        };
        let started_at = Instant::now();
        let started_text = now();
        self.tasks.metrics.started(self.t, &record.submitted_at);
        let (work, spill) = self.start(parsed, body, format, record.topology.clone(), held)?;
        // `time_ms` is the computation's own time; the compute slot is free again as soon as the
        // computation ends, not when the bus round trips beside it do.
        let computing = async {
            let outcome = match work {
                Work::Done(computed) => Computed::Done(computed),
                Work::Pool(work) => {
                    with_progress(
                        self.msg,
                        bus.settings.ack_wait,
                        self.tasks.job_timeout,
                        work,
                    )
                    .await
                }
            };
            drop(permit);
            compute.computed(started_at.elapsed());
            (outcome, started_at.elapsed().as_secs_f64() * 1000.0)
        };
        tokio::pin!(computing);
        let started = record.started(self.delivered as u32, &started_text);
        // A zero `started_after` announces every computation, however short.
        let soon = match self.tasks.started_after {
            after if after.is_zero() => Err(()),
            after => tokio::time::timeout(after, &mut computing)
                .await
                .map_err(|_| ()),
        };
        let (rev, started_event, (outcome, time_ms)) = match soon {
            // Done soon: straight from PENDING to the final record, nothing announced between.
            Ok(done) => {
                self.tasks.metrics.straight_to_final();
                (rev, None, done)
            }
            // It lasts: STARTED is written and announced while it goes on.
            Err(_) => {
                let (marked, done) = tokio::join!(self.mark_started(&started, rev), computing);
                match marked? {
                    Some((rev, event)) => (rev, Some(event), done),
                    None => return self.lost_start(was_hinted, rev).await,
                }
            }
        };
        // 5. The final record.
        let next = match outcome {
            Computed::Done(Ok(Output::Whole(result))) => {
                started.succeeded(Some(result), None, time_ms, &now())
            }
            // A large result's upload is finished and published first: the message is kept
            // alive meanwhile, or a slow upload would have the job delivered again.
            Computed::Done(Ok(Output::Sent { size })) => {
                let ack_wait = bus.settings.ack_wait;
                kept_alive(
                    self.msg,
                    ack_wait,
                    self.succeeded(&started, spill, size, time_ms),
                )
                .await?
            }
            // Any other end drops the spill, which takes back what it sent.
            Computed::Done(Err(failure)) => started.failed(failure, &now()),
            Computed::TimedOut => {
                let reason = format!(
                    "the computation exceeded its time-out of {:?}",
                    self.tasks.job_timeout
                );
                started.failed(TaskFailure::new(FailureCode::Timeout, reason), &now())
            }
            Computed::Crashed(m) => started.failed(TaskFailure::new(FailureCode::Panic, m), &now()),
        };
        self.finish(next, rev, started_event).await
    }

    /// Starts the computation: the job as submission handed it over, or read from its body
    /// (here when small, as submission reads one; beside the computation otherwise). A light
    /// job is computed here and now, a thread hand-off being dearer than the computation
    /// (`super::compute::light`), unless its result outgrows a record: then it is computed again
    /// like any other, on the blocking pool, its result stored while it is written (the
    /// [`Spill`]).
    fn start(
        &self,
        parsed: Option<Job>,
        body: Bytes,
        format: JobFormat,
        pinned: Option<Pinned>,
        held: Option<Arc<Network>>,
    ) -> Result<(Work, Spill), BusError> {
        let bus = &self.tasks.bus;
        // Jobs on a held revision share its view and the trees earlier jobs grew.
        let on = pinned.zip(held.clone());
        let holder = self.tasks.held.clone();
        let prepare = move || {
            on.as_ref()
                .map(|(p, net)| holder.prepared(&p.name, p.revision, net))
        };
        let (t, limits) = (self.t, self.tasks.limits.clone());
        // Reading is bounded by the body's size, and by the held network's: checking a body
        // against a revision may index the whole network, so only a light one is read here.
        let small_network = held.as_deref().is_none_or(super::compute::light_network);
        let job = match parsed {
            Some(job) => Some(Ok(job)),
            None if body.len() <= super::compute::READ_HERE_MAX && small_network => {
                Some(read_job(t, &body, format, &limits, held.as_deref()).map_err(invalid_body))
            }
            None => None,
        };
        let (job, here) = match job {
            Some(Ok(job)) if super::compute::light(&job) => {
                // Past the limit its pieces go nowhere: the text is written again below.
                let (hold, piece) = (bus.settings.inline_limit, bus.object_chunk());
                let writer = ChunkedJson::new(hold, piece, Box::new(drop));
                match super::compute::compute_into(&job, prepare().as_deref(), writer) {
                    Ok(Output::Sent { .. }) => (Some(job), None),
                    computed => (None, Some(computed)),
                }
            }
            Some(Ok(job)) => (Some(job), None),
            // An invalid body: there is nothing to compute.
            Some(Err(failure)) => (None, Some(Err(failure))),
            None => (None, None),
        };
        // A large result is stored while it is written (`super::spill`).
        let (out, spill) = super::spill::start(bus, format!("result/{}", self.id))?;
        if let Some(computed) = here {
            return Ok((Work::Done(computed), spill));
        }
        let span = tracing::Span::current();
        let work = tokio::task::spawn_blocking(move || {
            let _job_span = span.enter();
            let job = match job {
                Some(job) => job,
                None => {
                    read_job(t, &body, format, &limits, held.as_deref()).map_err(invalid_body)?
                }
            };
            super::compute::compute_into(&job, prepare().as_deref(), out)
        });
        Ok((Work::Pool(work), spill))
    }

    /// The PENDING record a first delivery's headers describe (see
    /// [`crate::bus::jobs::REVISION_HEADER`]); a redelivery reads the record instead.
    fn hinted_record(&self) -> Option<(TaskRecord, u64)> {
        if self.delivered != 1 {
            return None;
        }
        let pending = self.msg.pending()?;
        let record = TaskRecord::pending(
            &self.id,
            self.t.as_str(),
            &pending.digest,
            &pending.submitted_at,
        )
        .on(pending.topology);
        // Submission kept the compact request in the record; the message carries the same.
        let record = match self.msg.format() {
            Ok(JobFormat::Compact | JobFormat::CompactHeld) => record.keeping(self.msg.payload()),
            _ => record,
        };
        Some((record, pending.revision))
    }

    /// Writes STARTED by compare-and-set and starts sending its event: the new revision and the
    /// event, or `None` when another writer changed the record first.
    async fn mark_started(
        &self,
        started: &TaskRecord,
        rev: u64,
    ) -> Result<Option<(u64, StartedEvent)>, BusError> {
        let bus = &self.tasks.bus;
        let Some(rev) = store::replace(bus, started, rev).await? else {
            return Ok(None);
        };
        let at = started.started_at.clone().unwrap_or_else(now);
        let event = StartedEvent::send(bus, self.t, &self.id, self.delivered, &at);
        Ok(Some((rev, event)))
    }

    /// A task heard cancelled (`super::cancel`): its record is read, and a final one is
    /// announced again and the delivery acked without computing.
    async fn heard_cancelled(&self) -> Result<Outcome, BusError> {
        match store::get(&self.tasks.bus, &self.id).await? {
            Some((found, _)) if found.state.is_final() => {
                debug!("cancelled; acked without computing");
                announce(&self.tasks.bus, self.t, &found).await?;
                Ok(Outcome::Final)
            }
            _ => Ok(Outcome::Transient),
        }
    }

    /// STARTED lost its compare-and-set: a final record stands (announced again), or the
    /// redelivery reads the record as it is then.
    async fn lost_start(&self, was_hinted: bool, rev: u64) -> Result<Outcome, BusError> {
        if !was_hinted {
            debug!(rev, "STARTED lost its compare-and-set; retried");
            return Ok(Outcome::Transient);
        }
        match store::get(&self.tasks.bus, &self.id).await? {
            Some((found, _)) if found.state.is_final() => {
                announce(&self.tasks.bus, self.t, &found).await?;
                Ok(Outcome::Final)
            }
            found => {
                let found = found.map(|(r, rev)| (r.state, rev));
                debug!(hinted = rev, ?found, "the hinted record is stale; retried");
                Ok(Outcome::Transient)
            }
        }
    }

    /// The SUCCESS record of a result too large for one message: in the blob store, once its
    /// upload is published.
    async fn succeeded(
        &self,
        started: &TaskRecord,
        spill: Spill,
        size: usize,
        time_ms: f64,
    ) -> Result<TaskRecord, BusError> {
        let written = spill.commit(&self.tasks.bus, size).await?;
        let blob = ResultBlob {
            name: format!("result/{}", self.id),
            size: written.size as u64,
            sha256: written.sha256,
        };
        Ok(started.succeeded(None, Some(blob), time_ms, &now()))
    }

    /// Writes a final record by compare-and-set and announces it. A lost race means another
    /// delivery finished first: its record stands and is announced again. The final event waits
    /// until this delivery's `started` event, if it sent one, is sent, so that the stream stores
    /// it first; the compare-and-set does not.
    async fn finish(
        &self,
        record: TaskRecord,
        rev: u64,
        started: Option<StartedEvent>,
    ) -> Result<Outcome, BusError> {
        let bus = &self.tasks.bus;
        let written = store::replace(bus, &record, rev).await?;
        if let Some(started) = started {
            started.settled(bus.settings.request_timeout).await;
        }
        if written.is_some() {
            debug!(state = ?record.state, "task finished");
            self.tasks.metrics.finished(
                self.t,
                final_state(&record),
                record.time_ms.unwrap_or(0.0),
                &record.submitted_at,
            );
            announce(bus, self.t, &record).await?;
            return Ok(Outcome::Final);
        }
        match store::get(bus, &self.id).await? {
            Some((current, _)) if current.state.is_final() => {
                announce(bus, self.t, &current).await?;
                Ok(Outcome::Final)
            }
            found => {
                // Still running elsewhere, or not there at all (a PENDING hint that did not
                // hold): the redelivery reads or adopts the record as it is then.
                let state = found.map(|(current, _)| current.state);
                debug!(
                    rev,
                    ?state,
                    "the final record lost its compare-and-set; retried"
                );
                Ok(Outcome::Transient)
            }
        }
    }

    /// The last delivery of a job in a format this worker does not know: GAVE_UP, naming the
    /// format. Its body is never read, so a job published straight without a record gets its
    /// record here, final at once (with the digest its headers state, or the payload's).
    async fn give_up_unknown_format(&self, format: &str) -> Result<Outcome, BusError> {
        let bus = &self.tasks.bus;
        let reason = format!(
            "gave up after {} deliveries: job format {format} is unknown to the workers that took it",
            self.delivered - 1
        );
        let failure = TaskFailure::new(FailureCode::GaveUp, reason);
        let (record, rev) = match store::get(bus, &self.id).await? {
            Some(found) => found,
            None => {
                let at = now();
                let gave_up = TaskRecord::pending(&self.id, self.t.as_str(), &self.digest(), &at)
                    .failed(failure.clone(), &at);
                match store::create(bus, &gave_up).await? {
                    Create::New(_) => {
                        let submitted_at = &gave_up.submitted_at;
                        let metrics = &self.tasks.metrics;
                        metrics.finished(self.t, "failure", 0.0, submitted_at);
                        announce(bus, self.t, &gave_up).await?;
                        return Ok(Outcome::Final);
                    }
                    Create::Exists(found, rev) => (*found, rev),
                }
            }
        };
        if record.state.is_final() {
            announce(bus, self.t, &record).await?;
            return Ok(Outcome::Final);
        }
        self.finish(record.failed(failure, &now()), rev, None).await
    }

    /// A job published straight to its subject, without a record: validated here. An invalid
    /// body gets a final FAILURE record (`None`: nothing left to do); a valid one a PENDING
    /// record. (A compact job always had one, made by submission; should it be gone, the job is
    /// adopted the same way, with the digest its headers carry.)
    async fn adopt(&self, format: JobFormat) -> Result<Option<(TaskRecord, u64)>, BusError> {
        let body = self.body(format).await?;
        let (t, limits) = (self.t, self.tasks.limits.clone());
        // The held topology it computes on: its PENDING hint's, or the one its body names
        // (the head now, when it names no revision).
        let held = match self.held_of(format, &body).await? {
            Ok(held) => held,
            Err(problems) => return self.adopt_as(problems, None, &body).await,
        };
        let read = {
            let body = body.clone();
            let held = held.clone();
            tokio::task::spawn_blocking(move || {
                let net = held.as_ref().map(|(_, net)| &**net);
                let job = read_job(t, &body, format, &limits, net)?;
                Ok(Some(match &held {
                    Some((pinned, _)) => model::body::held_digest(t, &job.request, pinned),
                    None => model::body::request_digest(t, &job.request),
                }))
            })
            .await
            .map_err(|e| BusError::Corrupt(format!("reading the body: {e}")))?
        };
        let pinned = held.map(|(pinned, _)| pinned);
        match read {
            Ok(digest) => {
                self.adopt_as(Problems::default(), digest.map(|d| (d, pinned)), &body)
                    .await
            }
            Err(problems) => self.adopt_as(problems, None, &body).await,
        }
    }

    /// The held topology revision a job adopted without a record computes on: `Ok(None)` for
    /// a body with its own topology, `Err` with the problem when the one it names is not kept.
    async fn held_of(
        &self,
        format: JobFormat,
        body: &Bytes,
    ) -> Result<Result<Option<(Pinned, Arc<Network>)>, Problems>, BusError> {
        let reference = match format {
            JobFormat::Compact => None,
            JobFormat::CompactHeld => match self.msg.pending().and_then(|p| p.topology) {
                Some(p) => Some(Reference {
                    name: p.name,
                    revision: Some(p.revision),
                }),
                None => {
                    let mut problems = Problems::default();
                    problems.push(
                        "topology",
                        "a job of format 3 names no held topology revision",
                    );
                    return Ok(Err(problems));
                }
            },
            JobFormat::Json => {
                let (body, limits) = (body.clone(), self.tasks.limits.clone());
                let found = tokio::task::spawn_blocking(move || {
                    model::body::read_json(&body, &limits)
                        .and_then(|json| model::topology::reference(&json))
                })
                .await
                .map_err(|e| BusError::Corrupt(format!("reading the body: {e}")))?;
                // A malformed reference is reported by the parse that follows.
                found.unwrap_or_default()
            }
        };
        let Some(reference) = reference else {
            return Ok(Ok(None));
        };
        match self.tasks.held.resolve(&reference, true).await {
            Ok(found) => Ok(Ok(Some(found))),
            Err(HeldError::Bus(e)) => Err(e),
            Err(e) => {
                let mut problems = Problems::default();
                problems.push("topology", e.to_string());
                Ok(Err(problems))
            }
        }
    }

    /// Creates the record of an adopted job: PENDING with its digest and held revision, or
    /// FAILURE with its problems.
    async fn adopt_as(
        &self,
        problems: Problems,
        valid: Option<(String, Option<Pinned>)>,
        body: &Bytes,
    ) -> Result<Option<(TaskRecord, u64)>, BusError> {
        let t = self.t;
        let read: Result<Option<String>, Problems> = match (problems.is_empty(), &valid) {
            (true, Some((digest, _))) => Ok(Some(digest.clone())),
            (true, None) => Ok(None),
            (false, _) => Err(problems),
        };
        let topology = valid.and_then(|(_, pinned)| pinned);
        let stated = || {
            self.msg
                .stated_digest()
                .unwrap_or_else(|| model::body::digest(t, body, &self.tasks.limits))
        };
        let at = now();
        let record = match read {
            Ok(digest) => {
                let digest = digest.unwrap_or_else(stated);
                let record = TaskRecord::pending(&self.id, t.as_str(), &digest, &at).on(topology);
                match self.msg.format() {
                    Ok(JobFormat::Compact | JobFormat::CompactHeld) => record.keeping(body),
                    _ => record,
                }
            }
            Err(problems) => TaskRecord::pending(&self.id, t.as_str(), &stated(), &at)
                .failed(invalid_body(problems), &at),
        };
        let (record, rev) = match store::create(&self.tasks.bus, &record).await? {
            Create::New(rev) => (record, rev),
            Create::Exists(found, rev) => (*found, rev),
        };
        if record.state.is_final() {
            announce(&self.tasks.bus, t, &record).await?;
            return Ok(None);
        }
        Ok(Some((record, rev)))
    }

    /// The body: the payload, or the blob a JSON `{"$ref": name}` payload names, fetched.
    async fn body(&self, format: JobFormat) -> Result<Bytes, BusError> {
        let payload = self.msg.payload();
        let named = match format {
            JobFormat::Json => blob_ref::named_blob(payload),
            JobFormat::Compact | JobFormat::CompactHeld => None,
        };
        match named {
            Some(name) => self
                .tasks
                .bus
                .get_blob(&name)
                .await?
                .ok_or_else(|| BusError::Corrupt(format!("body {name} is missing"))),
            None => Ok(payload.clone()),
        }
    }

    /// The digest the message's headers state, or that of its payload.
    fn digest(&self) -> String {
        self.msg
            .stated_digest()
            .unwrap_or_else(|| model::body::digest(self.t, self.msg.payload(), &self.tasks.limits))
    }
}

/// The job of a message body in its format: a JSON body read and validated, a compact one
/// decoded and its references checked.
/// `held` is the held topology revision the task names, if it names one.
fn read_job(
    t: JobType,
    body: &[u8],
    format: JobFormat,
    limits: &Limits,
    held: Option<&Network>,
) -> Result<Job, Problems> {
    match (format, held) {
        (JobFormat::Json, None) => model::body::parse(t, body, limits),
        (JobFormat::Json, Some(net)) => {
            let json = model::body::read_json(body, limits)?;
            Job::parse_on(t, &json, limits, net)
        }
        (JobFormat::Compact, _) => compact::decode(t, body, limits),
        (JobFormat::CompactHeld, Some(net)) => compact::decode_on(t, body, limits, Some(net)),
        (JobFormat::CompactHeld, None) => {
            let mut problems = Problems::default();
            problems.push("topology", "the task names no held topology revision");
            Err(problems)
        }
    }
}

/// The failure of a body that bypassed submission and is invalid.
fn invalid_body(problems: Problems) -> TaskFailure {
    TaskFailure::new(
        FailureCode::InvalidBody,
        format!("the body bypassed submission and is invalid: {problems}"),
    )
}

/// The event state of a final record.
fn final_state(record: &TaskRecord) -> &'static str {
    match record.state {
        super::TaskState::Success => "success",
        _ => "failure",
    }
}

/// How long a computation may run before its task is written STARTED, by default (contract §4).
pub const STARTED_AFTER: Duration = Duration::from_millis(20);
