//! The recent tasks (contract §9, task list): a bounded index of the newest task records,
//! fed by the same watch of the bucket as [`super::replica`], answering `pasta.job.list` and
//! `GET /api/jobs` from memory.
//!
//! The watch starts [`HISTORY`] changes back, so a process that just started lists the tasks
//! before it too. The index keeps the [`CAPACITY`] most recently submitted tasks (by
//! `submitted_at`, then id); a record deleted or expired leaves it. It follows the bucket a
//! moment behind a read: a task submitted a millisecond ago may not be listed yet.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::{FailureCode, TaskId, TaskRecord, TaskState};
use crate::bus::RecordChange;
use crate::model::topology::Pinned;

/// Tasks kept in the index.
pub const CAPACITY: usize = 10_000;
/// Changes of the bucket read back when the watch starts (a task writes two or three).
pub const HISTORY: u64 = 3 * CAPACITY as u64;
/// Most tasks one answer lists.
pub const MOST: usize = 1_000;
/// Tasks an answer lists when the query names no limit.
pub const DEFAULT_LIMIT: usize = 50;

/// One task as the list shows it (`schemas/job-list.schema.json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listed {
    /// The task id.
    pub task_id: TaskId,
    /// The job type's wire name.
    #[serde(rename = "type")]
    pub job_type: String,
    /// `PENDING`, `SUCCESS` or `FAILURE`, as in the status document.
    pub task_state: &'static str,
    /// `queued` or `running`, for a PENDING task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<&'static str>,
    /// Deliveries that started computing it.
    pub attempt: u32,
    /// RFC 3339 UTC.
    pub submitted_at: String,
    /// RFC 3339 UTC, when final.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Computation time of a SUCCESS, milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<f64>,
    /// The code of a FAILURE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<FailureCode>,
    /// The held topology revision it computes on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topology: Option<Pinned>,
}

/// What the list reads of a record's bytes: its members but the result and the request,
/// which are skipped unread (a record may carry a result of megabytes).
#[derive(serde::Deserialize)]
struct Summary {
    task_id: TaskId,
    #[serde(rename = "type")]
    job_type: String,
    state: TaskState,
    attempt: u32,
    submitted_at: String,
    #[serde(default)]
    finished_at: Option<String>,
    #[serde(default)]
    time_ms: Option<f64>,
    #[serde(default)]
    error: Option<super::TaskFailure>,
    #[serde(default)]
    topology: Option<Pinned>,
}

impl Listed {
    /// The entry of a record's bytes (`None` when they are no record).
    pub fn read(value: &[u8]) -> Option<Listed> {
        let s: Summary = serde_json::from_slice(value).ok()?;
        let (task_state, stage) = states(s.state);
        let code = (s.state == TaskState::Failure)
            .then(|| s.error.map_or(FailureCode::Internal, |e| e.code));
        Some(Listed {
            task_id: s.task_id,
            job_type: s.job_type,
            task_state,
            stage,
            attempt: s.attempt,
            submitted_at: s.submitted_at,
            finished_at: s.finished_at,
            time_ms: s.time_ms,
            code,
            topology: s.topology,
        })
    }

    /// The entry of a record.
    pub fn of(record: &TaskRecord) -> Listed {
        let (task_state, stage) = states(record.state);
        Listed {
            task_id: record.task_id.clone(),
            job_type: record.job_type.clone(),
            task_state,
            stage,
            attempt: record.attempt,
            submitted_at: record.submitted_at.clone(),
            finished_at: record.finished_at.clone(),
            time_ms: record.time_ms,
            code: record.failure().map(|f| f.code),
            topology: record.topology.clone(),
        }
    }
}

/// A record's state as the status document names it, and its stage when PENDING.
fn states(state: TaskState) -> (&'static str, Option<&'static str>) {
    match state {
        TaskState::Pending => ("PENDING", Some("queued")),
        TaskState::Started => ("PENDING", Some("running")),
        TaskState::Success => ("SUCCESS", None),
        TaskState::Failure => ("FAILURE", None),
    }
}

/// What a list asks for: a type, a state (`PENDING`, `SUCCESS`, `FAILURE`), a limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Only tasks of this job type (wire name).
    pub job_type: Option<String>,
    /// Only tasks in this state, as the status document names it.
    pub state: Option<String>,
    /// At most this many ([`DEFAULT_LIMIT`] when `None`; at most [`MOST`]).
    pub limit: Option<usize>,
}

/// The index (see the module documentation).
pub struct Recent {
    inner: Mutex<Index>,
    capacity: usize,
    retention: Duration,
}

#[derive(Default)]
struct Index {
    /// Ordered by (submitted_at, id): the newest last.
    order: BTreeSet<(String, TaskId)>,
    tasks: HashMap<TaskId, Listed>,
}

impl Recent {
    /// An empty index of at most `capacity` tasks of a bucket that keeps records for
    /// `retention`.
    pub fn new(capacity: usize, retention: Duration) -> Recent {
        Recent {
            inner: Mutex::default(),
            capacity,
            retention,
        }
    }

    /// Takes in one change of the bucket.
    pub fn apply(&self, change: &RecordChange) {
        let Ok(id) = TaskId::parse(&change.key) else {
            return;
        };
        self.take(&id, change.value.as_deref().and_then(Listed::read));
    }

    /// Takes in what a task now is (`None`: deleted).
    pub fn take(&self, id: &TaskId, listed: Option<Listed>) {
        let mut index = self.inner.lock().expect("the index lock is never poisoned");
        index.remove(id);
        if let Some(listed) = listed {
            index.insert(listed);
            while index.tasks.len() > self.capacity {
                let Some(oldest) = index.order.first().map(|(_, id)| id.clone()) else {
                    break;
                };
                index.remove(&oldest);
            }
        }
    }

    /// Forgets everything (the watch starts again).
    pub fn clear(&self) {
        *self.inner.lock().expect("never poisoned") = Index::default();
    }

    /// The tasks the query asks for, most recently submitted first. Tasks the bucket has
    /// expired by `now` are not listed.
    pub fn list(&self, query: &Query, now: SystemTime) -> Vec<Listed> {
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT).min(MOST);
        let oldest = humantime::format_rfc3339_millis(
            now.checked_sub(self.retention)
                .unwrap_or(SystemTime::UNIX_EPOCH),
        )
        .to_string();
        let index = self.inner.lock().expect("never poisoned");
        index
            .order
            .iter()
            .rev()
            .take_while(|(at, _)| *at >= oldest)
            .filter_map(|(_, id)| index.tasks.get(id))
            .filter(|t| {
                query
                    .job_type
                    .as_ref()
                    .is_none_or(|want| t.job_type == *want)
            })
            .filter(|t| query.state.as_ref().is_none_or(|want| t.task_state == want))
            .take(limit)
            .cloned()
            .collect()
    }

    /// Tasks held.
    pub fn len(&self) -> usize {
        self.inner.lock().expect("never poisoned").tasks.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Index {
    fn remove(&mut self, id: &TaskId) {
        if let Some(old) = self.tasks.remove(id) {
            self.order.remove(&(old.submitted_at, id.clone()));
        }
    }

    fn insert(&mut self, listed: Listed) {
        self.order
            .insert((listed.submitted_at.clone(), listed.task_id.clone()));
        self.tasks.insert(listed.task_id.clone(), listed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TaskFailure;
    use bytes::Bytes;

    fn id(n: u32) -> TaskId {
        TaskId::parse(&format!("00000000-0000-4000-8000-{n:012x}")).unwrap()
    }

    fn at(second: u32) -> String {
        format!("2026-12-06T10:00:{second:02}.000Z")
    }

    fn put(record: &TaskRecord) -> RecordChange {
        RecordChange {
            key: record.task_id.to_string(),
            value: Some(Bytes::from(serde_json::to_vec(record).unwrap())),
            revision: 1,
        }
    }

    fn pending(n: u32, t: &str) -> TaskRecord {
        TaskRecord::pending(&id(n), t, "d", &at(n))
    }

    fn now() -> SystemTime {
        humantime::parse_rfc3339("2026-12-06T10:01:00Z").unwrap()
    }

    fn ids(listed: &[Listed]) -> Vec<TaskId> {
        listed.iter().map(|l| l.task_id.clone()).collect()
    }

    #[test]
    fn lists_the_newest_first_with_filters_and_a_limit() {
        let recent = Recent::new(100, Duration::from_secs(3600));
        recent.apply(&put(&pending(1, "bod_pasta")));
        recent.apply(&put(&pending(2, "bod_reopt").started(1, &at(3))));
        let failed = pending(3, "bod_pasta").failed(
            TaskFailure::new(FailureCode::Cancelled, "cancelled"),
            &at(4),
        );
        recent.apply(&put(&failed));
        let all = recent.list(&Query::default(), now());
        assert_eq!(ids(&all), vec![id(3), id(2), id(1)]);
        assert_eq!(all[1].task_state, "PENDING");
        assert_eq!(all[1].stage, Some("running"));
        assert_eq!(all[0].code, Some(FailureCode::Cancelled));
        let pending_only = Query {
            state: Some("PENDING".into()),
            ..Query::default()
        };
        assert_eq!(ids(&recent.list(&pending_only, now())), vec![id(2), id(1)]);
        let of_type = Query {
            job_type: Some("bod_pasta".into()),
            limit: Some(1),
            ..Query::default()
        };
        assert_eq!(ids(&recent.list(&of_type, now())), vec![id(3)]);
    }

    #[test]
    fn reading_the_bytes_lists_what_the_record_says() {
        let done = pending(7, "bod_reopt").started(1, &at(8)).succeeded(
            Some(serde_json::value::to_raw_value(&serde_json::json!({"data": [1, 2]})).unwrap()),
            None,
            2.5,
            &at(9),
        );
        let failed =
            pending(8, "bod_pasta").failed(TaskFailure::new(FailureCode::Timeout, "slow"), &at(9));
        for record in [pending(6, "bod_pasta"), done, failed] {
            let bytes = serde_json::to_vec(&record).unwrap();
            assert_eq!(Listed::read(&bytes), Some(Listed::of(&record)));
        }
        assert_eq!(Listed::read(b"{}"), None);
    }

    #[test]
    fn a_change_replaces_the_entry_and_a_delete_removes_it() {
        let recent = Recent::new(100, Duration::from_secs(3600));
        recent.apply(&put(&pending(1, "bod_pasta")));
        let started = pending(1, "bod_pasta").started(1, &at(9));
        recent.apply(&put(&started));
        assert_eq!(recent.len(), 1);
        assert_eq!(recent.list(&Query::default(), now())[0].attempt, 1);
        recent.apply(&RecordChange {
            key: id(1).to_string(),
            value: None,
            revision: 3,
        });
        assert!(recent.is_empty());
    }

    #[test]
    fn keeps_only_the_newest_and_hides_expired_ones() {
        let recent = Recent::new(3, Duration::from_secs(30));
        for n in [5, 1, 4, 2, 3] {
            recent.apply(&put(&pending(n, "bod_pasta")));
        }
        assert_eq!(recent.len(), 3);
        // Retention 30 s before 10:01:00 is 10:00:30: every task is older.
        assert!(recent.list(&Query::default(), now()).is_empty());
        let earlier = humantime::parse_rfc3339("2026-12-06T10:00:20Z").unwrap();
        assert_eq!(
            ids(&recent.list(&Query::default(), earlier)),
            vec![id(5), id(4), id(3)]
        );
    }
}
