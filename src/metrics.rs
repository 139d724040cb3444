//! The metrics of `/metrics` (Prometheus text format 0.0.4, by `prometheus-client`): jobs by
//! type and state, submissions refused by code, where workers got their jobs and statuses their
//! records, the bytes of job messages workers hold, and three histograms per job type, which
//! Prometheus can aggregate across processes: computation time, queue wait (submission to the
//! start of the computation) and submission to the final record.
//!
//! Every process has its own: `pasta serve` and `pasta http` serve them on the bridge,
//! `pasta worker` and `pasta responder` on `PASTA_METRICS_ADDR` when it is set.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

use crate::model::JobType;

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// A job type.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ByType {
    r#type: &'static str,
}

/// A job type and a final state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ByTypeAndState {
    r#type: &'static str,
    state: &'static str,
}

/// An error code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ByCode {
    code: &'static str,
}

/// Where something came from.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BySource {
    source: &'static str,
}

/// A histogram per job type.
type Durations = Family<ByType, Histogram, fn() -> Histogram>;

/// Seconds from 0.5 ms to about 4.6 hours, doubling.
fn seconds() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 25))
}

/// A process's metrics (cheap to record: atomics and one short lock per new label set).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    submitted: Family<ByType, Counter>,
    rejected: Family<ByCode, Counter>,
    finished: Family<ByTypeAndState, Counter>,
    compute: Durations,
    queue_wait: Durations,
    latency: Durations,
    bodies: Family<BySource, Counter>,
    status: Family<BySource, Counter>,
    straight: Counter,
    held: Gauge<u64, AtomicU64>,
    held_peak: Gauge<u64, AtomicU64>,
    queue_depth: Gauge<u64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let m = Metrics {
            registry: Registry::with_prefix("pasta"),
            submitted: Family::default(),
            rejected: Family::default(),
            finished: Family::default(),
            compute: Family::new_with_constructor(seconds),
            queue_wait: Family::new_with_constructor(seconds),
            latency: Family::new_with_constructor(seconds),
            bodies: Family::default(),
            status: Family::default(),
            straight: Counter::default(),
            held: Gauge::default(),
            held_peak: Gauge::default(),
            queue_depth: Gauge::default(),
        };
        m.registered()
    }
}

impl Metrics {
    /// Registers every metric with its help text.
    fn registered(mut self) -> Metrics {
        let r = &mut self.registry;
        r.register(
            "jobs_submitted",
            "Jobs accepted by submission",
            self.submitted.clone(),
        );
        r.register(
            "submissions_rejected",
            "Submissions refused, by error code",
            self.rejected.clone(),
        );
        r.register(
            "jobs_finished",
            "Jobs finished by this process, by type and state",
            self.finished.clone(),
        );
        r.register_with_unit(
            "job_compute",
            "Computation time of the jobs this process finished",
            Unit::Seconds,
            self.compute.clone(),
        );
        r.register_with_unit(
            "job_queue_wait",
            "From a job's submission to the start of its computation",
            Unit::Seconds,
            self.queue_wait.clone(),
        );
        r.register_with_unit(
            "job_latency",
            "From a job's submission to its final record, for the jobs this process finished",
            Unit::Seconds,
            self.latency.clone(),
        );
        r.register(
            "worker_bodies",
            "Computations started, by where their job came from: parsed by a submission in this process, decoded from its compact job message, or read from a JSON body by the worker",
            self.bodies.clone(),
        );
        r.register(
            "status_answers",
            "Status answers, by where the record came from: the replica of final records or a read of the bucket",
            self.status.clone(),
        );
        r.register(
            "jobs_straight_to_final",
            "Computations that ended within PASTA_STARTED_AFTER_MS: their task went from PENDING to its final state with no STARTED record",
            self.straight.clone(),
        );
        r.register_with_unit(
            "worker_held",
            "Bytes of job messages this process's workers hold (received, delivery not ended)",
            Unit::Bytes,
            self.held.clone(),
        );
        r.register_with_unit(
            "worker_held_peak",
            "The most bytes of job messages this process's workers held at once since it started",
            Unit::Bytes,
            self.held_peak.clone(),
        );
        r.register(
            "queue_depth",
            "Jobs waiting in the job stream, as last read",
            self.queue_depth.clone(),
        );
        self
    }

    /// A job was accepted.
    pub fn submitted(&self, t: JobType) {
        self.submitted
            .get_or_create(&ByType { r#type: t.as_str() })
            .inc();
    }

    /// A submission was refused with `code`.
    pub fn rejected(&self, code: &'static str) {
        self.rejected.get_or_create(&ByCode { code }).inc();
    }

    /// A computation started for a job submitted at `submitted_at` (RFC 3339).
    pub fn started(&self, t: JobType, submitted_at: &str) {
        if let Some(waited) = seconds_since(submitted_at) {
            self.queue_wait
                .get_or_create(&ByType { r#type: t.as_str() })
                .observe(waited);
        }
    }

    /// A job submitted at `submitted_at` reached a final state after `ms` of computation.
    pub fn finished(&self, t: JobType, state: &'static str, ms: f64, submitted_at: &str) {
        let r#type = t.as_str();
        self.finished
            .get_or_create(&ByTypeAndState { r#type, state })
            .inc();
        let by_type = ByType { r#type };
        self.compute.get_or_create(&by_type).observe(ms / 1000.0);
        if let Some(took) = seconds_since(submitted_at) {
            self.latency.get_or_create(&by_type).observe(took);
        }
    }

    /// A worker began a computation with its job from `source`: `submission` (parsed by a
    /// submission in this process), `compact` (decoded from the job message) or `json` (the
    /// body read and validated by the worker).
    pub fn worker_body(&self, source: &'static str) {
        self.bodies.get_or_create(&BySource { source }).inc();
    }

    /// A status was answered from `source`: `replica` (a final record held in memory) or
    /// `read` (the record read from the bucket).
    pub fn status_answered(&self, source: &'static str) {
        self.status.get_or_create(&BySource { source }).inc();
    }

    /// A computation ended soon enough for its task to go straight from PENDING to its final
    /// state, with no STARTED record or event.
    pub fn straight_to_final(&self) {
        self.straight.inc();
    }

    /// A worker received a job message of `bytes`; it counts as held until the guard drops
    /// (when its delivery ends).
    pub fn hold(self: &Arc<Self>, bytes: u64) -> Held {
        let now = self.held.inc_by(bytes) + bytes;
        self.held_peak.inner().fetch_max(now, Ordering::Relaxed);
        Held {
            metrics: self.clone(),
            bytes,
        }
    }

    /// The Prometheus text of every metric, with the queue depth when known.
    pub fn render(&self, queue_depth: Option<u64>) -> String {
        if let Some(depth) = queue_depth {
            self.queue_depth.set(depth);
        }
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
            .expect("writing to a String");
        out
    }
}

/// Seconds from an RFC 3339 time to now (0 when the clocks disagree), `None` when the text is
/// no time.
fn seconds_since(at: &str) -> Option<f64> {
    let at = humantime::parse_rfc3339_weak(at).ok()?;
    Some(
        SystemTime::now()
            .duration_since(at)
            .map_or(0.0, |d| d.as_secs_f64()),
    )
}

/// A job message counted as held by [`Metrics::hold`] until dropped.
#[derive(Debug)]
pub struct Held {
    metrics: Arc<Metrics>,
    bytes: u64,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.metrics.held.dec_by(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_histograms_per_type_and_counters_end_in_total() {
        let m = Arc::new(Metrics::default());
        m.submitted(JobType::BodPasta);
        m.rejected("INVALID_BODY");
        let now = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
        m.started(JobType::BodPasta, &now);
        m.finished(JobType::BodPasta, "success", 3.0, &now);
        let held = m.hold(100);
        let text = m.render(Some(4));
        for line in [
            "# TYPE pasta_jobs_submitted_total counter",
            "pasta_jobs_submitted_total{type=\"bod_pasta\"} 1",
            "pasta_submissions_rejected_total{code=\"INVALID_BODY\"} 1",
            "pasta_jobs_finished_total{type=\"bod_pasta\",state=\"success\"} 1",
            "# TYPE pasta_job_compute_seconds histogram",
            "pasta_job_compute_seconds_bucket{type=\"bod_pasta\",le=\"0.004\"} 1",
            "pasta_job_compute_seconds_count{type=\"bod_pasta\"} 1",
            "# TYPE pasta_job_queue_wait_seconds histogram",
            "# TYPE pasta_job_latency_seconds histogram",
            "pasta_worker_held_bytes 100",
            "pasta_worker_held_peak_bytes 100",
            "pasta_queue_depth 4",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
        }
        drop(held);
        assert!(m.render(None).contains("pasta_worker_held_bytes 0\n"));
    }
}
