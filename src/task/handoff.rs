//! Jobs parsed at submission, handed to a worker of the same process so that it does not parse
//! the body a second time.
//!
//! Submission validates a body by parsing it into a [`Job`]; the worker that then receives the
//! job message would parse the same bytes again. When both run in one process (`pasta serve`),
//! submission leaves the parsed job here under its task id and digest, and the first delivery,
//! whose headers carry that digest, takes it. Anything else (a redelivery, a worker in another
//! process, an entry pushed out) parses the body as before: the hand-off only saves work, it
//! never decides a result. Entries are bounded in number ([`CAPACITY`]) and in the bytes of
//! their bodies ([`BUDGET`], each at most [`MAX_BODY`]). When they are full, an entry older than
//! [`FRESH`] makes room; a fresh one is never pushed out, and the new job is not kept. Jobs are
//! delivered oldest first, so in a burst larger than the hand-off the jobs kept are the next
//! to be taken (pushing the oldest out would drop exactly those, and keep jobs whose turn comes
//! after a thousand others); an entry no local worker takes (its job went to another process)
//! ages out.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::TaskId;
use crate::model::{Job, JobType};

/// Most jobs waiting to be taken.
pub const CAPACITY: usize = 1024;
/// Most body bytes whose jobs wait at once. A parsed job takes 1.6 to 4 times its body's size
/// (measured on the fixtures and on a 48 KB ladder topology), so the hand-off holds at most
/// about 16 MiB.
pub const BUDGET: usize = 4 << 20;
/// Largest body whose job is kept, bytes: larger ones are rare, and their jobs large.
pub const MAX_BODY: usize = 64 * 1024;
/// How long an entry keeps its place against newer jobs.
pub const FRESH: Duration = Duration::from_secs(2);

/// Parsed jobs waiting for this process's workers (see the module documentation).
#[derive(Default)]
pub struct Handoff {
    /// The job types this process's workers serve; none: nothing is kept.
    types: Vec<JobType>,
    waiting: Mutex<Waiting>,
}

#[derive(Default)]
struct Waiting {
    /// Task id → (digest, body bytes, job, when it was offered).
    jobs: HashMap<TaskId, (String, usize, Job, Instant)>,
    /// Body bytes of the jobs waiting.
    bytes: usize,
    /// Task ids, oldest first (an id may be listed after its entry was taken).
    order: VecDeque<TaskId>,
}

impl Handoff {
    /// A hand-off to workers of `types` in this process.
    pub fn new(types: &[JobType]) -> Handoff {
        Handoff {
            types: types.to_vec(),
            waiting: Mutex::default(),
        }
    }

    /// Leaves the job parsed from a body of `body_len` bytes for a local worker, when one
    /// serves its type, the body is small enough and there is room.
    pub fn offer(&self, task_id: &TaskId, digest: &str, body_len: usize, job: Job) {
        self.offer_at(task_id, digest, body_len, job, Instant::now());
    }

    /// [`Handoff::offer`] at `now`.
    fn offer_at(&self, task_id: &TaskId, digest: &str, body_len: usize, job: Job, now: Instant) {
        if body_len > MAX_BODY || !self.types.contains(&job.job_type) {
            return;
        }
        let mut waiting = self
            .waiting
            .lock()
            .expect("the hand-off lock is never poisoned");
        let Waiting { jobs, bytes, order } = &mut *waiting;
        if let Some((_, len, _, _)) = jobs.remove(task_id) {
            // Offered again (rare): the new entry goes to the back.
            *bytes -= len;
            order.retain(|id| id != task_id);
        }
        while jobs.len() >= CAPACITY || *bytes + body_len > BUDGET {
            let Some(oldest) = order.front() else {
                break;
            };
            match jobs.get(oldest) {
                // Taken already: it leaves the list now.
                None => {}
                Some((_, _, _, at)) if now.saturating_duration_since(*at) >= FRESH => {
                    let (_, len, _, _) = jobs.remove(oldest).expect("found");
                    *bytes -= len;
                }
                // Full of fresh entries: this job is parsed on delivery.
                Some(_) => return,
            }
            order.pop_front();
        }
        // Ids already taken leave the list as they reach its front; bound it meanwhile.
        if order.len() >= 4 * CAPACITY {
            order.retain(|id| jobs.contains_key(id));
        }
        jobs.insert(task_id.clone(), (digest.to_string(), body_len, job, now));
        *bytes += body_len;
        order.push_back(task_id.clone());
    }

    /// The job left for `task_id`, when its digest is `digest` (the entry goes either way).
    pub fn take(&self, task_id: &TaskId, digest: &str) -> Option<Job> {
        if self.types.is_empty() {
            return None;
        }
        let mut waiting = self
            .waiting
            .lock()
            .expect("the hand-off lock is never poisoned");
        let (kept, len, job, _) = waiting.jobs.remove(task_id)?;
        waiting.bytes -= len;
        (kept == digest).then_some(job)
    }

    /// Jobs waiting.
    pub fn len(&self) -> usize {
        self.waiting
            .lock()
            .expect("the hand-off lock is never poisoned")
            .jobs
            .len()
    }

    /// Whether no job is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Limits;

    fn job(t: JobType) -> Job {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/seed-example/request.json");
        let body = std::fs::read(path).expect("the seed example");
        crate::model::body::parse(t, &body, &Limits::default()).expect("a valid body")
    }

    /// A task id of its own for each name.
    fn id(name: &str) -> TaskId {
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
        });
        TaskId::parse(&format!(
            "00000000-0000-4000-8000-{:012x}",
            hash & 0xffff_ffff_ffff
        ))
        .expect("a UUID")
    }

    #[test]
    fn a_job_is_taken_once_and_only_with_its_digest() {
        let handoff = Handoff::new(&[JobType::NonbodPasta]);
        handoff.offer(&id("a"), "d1", 100, job(JobType::NonbodPasta));
        handoff.offer(&id("b"), "d2", 100, job(JobType::NonbodPasta));
        assert!(handoff.take(&id("a"), "other").is_none());
        assert!(
            handoff.take(&id("a"), "d1").is_none(),
            "a mismatch drops the entry"
        );
        assert!(handoff.take(&id("b"), "d2").is_some());
        assert!(handoff.take(&id("b"), "d2").is_none());
        assert!(handoff.is_empty());
    }

    #[test]
    fn nothing_is_kept_for_types_served_elsewhere_or_large_bodies() {
        let handoff = Handoff::new(&[JobType::BodPasta]);
        handoff.offer(&id("a"), "d", 100, job(JobType::NonbodPasta));
        handoff.offer(&id("b"), "d", MAX_BODY + 1, job(JobType::BodPasta));
        assert!(handoff.is_empty());
        let none = Handoff::default();
        none.offer(&id("c"), "d", 100, job(JobType::BodPasta));
        assert!(none.is_empty());
    }

    #[test]
    fn when_full_the_fresh_entries_stay_and_stale_ones_make_room() {
        let handoff = Handoff::new(&[JobType::NonbodPasta]);
        let one = job(JobType::NonbodPasta);
        let t0 = Instant::now();
        handoff.offer_at(&id("t0"), "d", 100, one.clone(), t0);
        handoff.take(&id("t0"), "d");
        // A burst larger than the hand-off: the first CAPACITY stay, the rest are not kept.
        for i in 1..CAPACITY + 10 {
            handoff.offer_at(&id(&format!("t{i}")), "d", 100, one.clone(), t0);
        }
        assert_eq!(handoff.len(), CAPACITY);
        assert!(
            handoff.take(&id("t1"), "d").is_some(),
            "the next to be taken stays"
        );
        let last = format!("t{}", CAPACITY + 9);
        assert!(handoff.take(&id(&last), "d").is_none(), "not kept");
        // The room t1 left goes to the next offer; then, full of fresh entries, none.
        handoff.offer_at(&id("late"), "d", 100, one.clone(), t0);
        handoff.offer_at(&id("later"), "d", 100, one.clone(), t0);
        assert!(handoff.take(&id("late"), "d").is_some());
        assert!(handoff.take(&id("later"), "d").is_none());
        // Once the oldest are stale, a new job pushes them out, oldest first (n0 takes the
        // room `late` left).
        let stale = t0 + FRESH;
        for i in 0..5 {
            handoff.offer_at(&id(&format!("n{i}")), "d", 100, one.clone(), stale);
        }
        assert_eq!(handoff.len(), CAPACITY);
        for i in 2..6 {
            assert!(
                handoff.take(&id(&format!("t{i}")), "d").is_none(),
                "t{i} aged out"
            );
        }
        assert!(handoff.take(&id("t6"), "d").is_some());
        assert!(handoff.take(&id("n4"), "d").is_some());
        for i in 0..20 * CAPACITY {
            handoff.offer_at(&id(&format!("u{i}")), "d", 100, one.clone(), stale);
            handoff.take(&id(&format!("u{i}")), "d");
        }
        assert!(handoff.waiting.lock().unwrap().order.len() <= 4 * CAPACITY);
    }

    #[test]
    fn the_body_bytes_stay_within_the_budget() {
        let handoff = Handoff::new(&[JobType::NonbodPasta]);
        let one = job(JobType::NonbodPasta);
        let fits = BUDGET / MAX_BODY;
        let t0 = Instant::now();
        for i in 0..fits + 5 {
            handoff.offer_at(&id(&format!("b{i}")), "d", MAX_BODY, one.clone(), t0);
        }
        {
            let waiting = handoff.waiting.lock().unwrap();
            assert!(waiting.bytes <= BUDGET);
            let total: usize = waiting.jobs.values().map(|(_, len, _, _)| len).sum();
            assert_eq!(total, waiting.bytes);
            assert_eq!(waiting.jobs.len(), fits);
        }
        assert!(
            handoff.take(&id(&format!("b{fits}")), "d").is_none(),
            "not kept: over the budget"
        );
        // Stale, the oldest make room by the budget too.
        handoff.offer_at(&id("big"), "d", MAX_BODY, one.clone(), t0 + FRESH);
        assert!(handoff.take(&id("b0"), "d").is_none(), "aged out");
        assert!(handoff.take(&id("b1"), "d").is_some());
        assert!(handoff.take(&id("big"), "d").is_some());
        // Offering a task again replaces its entry, which then leaves with it.
        handoff.offer(&id("again"), "d1", 10, one.clone());
        handoff.offer(&id("again"), "d2", 10, one.clone());
        let listed = |h: &Handoff| {
            h.waiting
                .lock()
                .unwrap()
                .order
                .iter()
                .filter(|listed| **listed == id("again"))
                .count()
        };
        assert_eq!(listed(&handoff), 1);
        assert!(handoff.take(&id("again"), "d2").is_some());
        assert!(handoff.take(&id("again"), "d2").is_none());
    }
}
