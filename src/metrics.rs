//! Counters for `/metrics`: jobs by type and state, computation time, submissions, where
//! workers got their jobs from, and the bytes of job messages workers hold.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::model::JobType;

/// Process-wide counters (cheap: one short lock per event).
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
    /// Bytes of job messages held by this process's workers now, and the most at once.
    held: AtomicU64,
    held_peak: AtomicU64,
}

#[derive(Debug, Default)]
struct Inner {
    submitted: BTreeMap<&'static str, u64>,
    rejected: BTreeMap<&'static str, u64>,
    finished: BTreeMap<(&'static str, &'static str), u64>,
    seconds: BTreeMap<&'static str, (f64, u64)>,
    bodies: BTreeMap<&'static str, u64>,
    status: BTreeMap<&'static str, u64>,
    straight: u64,
}

impl Metrics {
    /// A job was accepted.
    pub fn submitted(&self, t: JobType) {
        *self.lock().submitted.entry(t.as_str()).or_default() += 1;
    }

    /// A submission was refused with `code`.
    pub fn rejected(&self, code: &'static str) {
        *self.lock().rejected.entry(code).or_default() += 1;
    }

    /// A job reached a final state after `ms` of computation.
    pub fn finished(&self, t: JobType, state: &'static str, ms: f64) {
        let mut inner = self.lock();
        *inner.finished.entry((t.as_str(), state)).or_default() += 1;
        let s = inner.seconds.entry(t.as_str()).or_default();
        s.0 += ms / 1000.0;
        s.1 += 1;
    }

    /// A worker began a computation with its job from `source`: `submission` (parsed by a
    /// submission in this process), `compact` (decoded from the job message) or `json` (the
    /// body read and validated by the worker).
    pub fn worker_body(&self, source: &'static str) {
        *self.lock().bodies.entry(source).or_default() += 1;
    }

    /// A status was answered from `source`: `replica` (a final record held in memory) or
    /// `read` (the record read from the bucket).
    pub fn status_answered(&self, source: &'static str) {
        *self.lock().status.entry(source).or_default() += 1;
    }

    /// A computation ended soon enough for its task to go straight from PENDING to its final
    /// state, with no STARTED record or event.
    pub fn straight_to_final(&self) {
        self.lock().straight += 1;
    }

    /// A worker received a job message of `bytes`; it counts as held until the guard drops
    /// (when its delivery ends).
    pub fn hold(self: &Arc<Self>, bytes: u64) -> Held {
        let now = self.held.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.held_peak.fetch_max(now, Ordering::Relaxed);
        Held {
            metrics: self.clone(),
            bytes,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Prometheus text exposition, with the queue depth when known.
    pub fn render(&self, queue_depth: Option<u64>) -> String {
        let inner = self.lock();
        let mut out = String::new();
        out.push_str("# HELP pasta_jobs_submitted_total Jobs accepted by submission.\n# TYPE pasta_jobs_submitted_total counter\n");
        for (t, n) in &inner.submitted {
            out.push_str(&format!("pasta_jobs_submitted_total{{type=\"{t}\"}} {n}\n"));
        }
        out.push_str("# HELP pasta_submissions_rejected_total Submissions refused, by error code.\n# TYPE pasta_submissions_rejected_total counter\n");
        for (c, n) in &inner.rejected {
            out.push_str(&format!(
                "pasta_submissions_rejected_total{{code=\"{c}\"}} {n}\n"
            ));
        }
        out.push_str("# HELP pasta_jobs_finished_total Jobs finished by this process, by type and state.\n# TYPE pasta_jobs_finished_total counter\n");
        for ((t, s), n) in &inner.finished {
            out.push_str(&format!(
                "pasta_jobs_finished_total{{type=\"{t}\",state=\"{s}\"}} {n}\n"
            ));
        }
        out.push_str("# HELP pasta_job_seconds Computation time of finished jobs.\n# TYPE pasta_job_seconds summary\n");
        for (t, (sum, count)) in &inner.seconds {
            out.push_str(&format!("pasta_job_seconds_sum{{type=\"{t}\"}} {sum}\n"));
            out.push_str(&format!(
                "pasta_job_seconds_count{{type=\"{t}\"}} {count}\n"
            ));
        }
        out.push_str("# HELP pasta_worker_bodies_total Computations started, by where their job came from: parsed by a submission in this process, decoded from its compact job message, or read from a JSON body by the worker.\n# TYPE pasta_worker_bodies_total counter\n");
        for (source, n) in &inner.bodies {
            out.push_str(&format!(
                "pasta_worker_bodies_total{{source=\"{source}\"}} {n}\n"
            ));
        }
        out.push_str("# HELP pasta_status_answers_total Status answers, by where the record came from: the replica of final records or a read of the bucket.\n# TYPE pasta_status_answers_total counter\n");
        for (source, n) in &inner.status {
            out.push_str(&format!(
                "pasta_status_answers_total{{source=\"{source}\"}} {n}\n"
            ));
        }
        out.push_str("# HELP pasta_jobs_straight_to_final_total Computations that ended within PASTA_STARTED_AFTER_MS: their task went from PENDING to its final state with no STARTED record.\n# TYPE pasta_jobs_straight_to_final_total counter\n");
        out.push_str(&format!(
            "pasta_jobs_straight_to_final_total {}\n",
            inner.straight
        ));
        out.push_str("# HELP pasta_worker_held_bytes Bytes of job messages this process's workers hold (received, delivery not ended).\n# TYPE pasta_worker_held_bytes gauge\n");
        out.push_str(&format!(
            "pasta_worker_held_bytes {}\n",
            self.held.load(Ordering::Relaxed)
        ));
        out.push_str("# HELP pasta_worker_held_bytes_peak The most bytes of job messages this process's workers held at once since it started.\n# TYPE pasta_worker_held_bytes_peak gauge\n");
        out.push_str(&format!(
            "pasta_worker_held_bytes_peak {}\n",
            self.held_peak.load(Ordering::Relaxed)
        ));
        if let Some(d) = queue_depth {
            out.push_str("# HELP pasta_queue_depth Jobs waiting in the job stream.\n# TYPE pasta_queue_depth gauge\n");
            out.push_str(&format!("pasta_queue_depth {d}\n"));
        }
        out
    }
}

/// A job message counted as held by [`Metrics::hold`] until dropped.
#[derive(Debug)]
pub struct Held {
    metrics: Arc<Metrics>,
    bytes: u64,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.metrics.held.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}
