//! Counters for `/metrics`: jobs by type and state, computation time, submissions, and where
//! workers got their jobs from.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::model::JobType;

/// Process-wide counters (cheap: one short lock per event).
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    submitted: BTreeMap<&'static str, u64>,
    rejected: BTreeMap<&'static str, u64>,
    finished: BTreeMap<(&'static str, &'static str), u64>,
    seconds: BTreeMap<&'static str, (f64, u64)>,
    bodies: BTreeMap<&'static str, u64>,
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
        if let Some(d) = queue_depth {
            out.push_str("# HELP pasta_queue_depth Jobs waiting in the job stream.\n# TYPE pasta_queue_depth gauge\n");
            out.push_str(&format!("pasta_queue_depth {d}\n"));
        }
        out
    }
}
