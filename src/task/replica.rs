//! A local replica of the final task records, fed by a watch of the bucket, so that a status
//! answer for a finished task costs no bus round trip. The same watch feeds the index of
//! recent tasks ([`super::recent`]).
//!
//! Final records never change, so a final record seen by the watch answers exactly as a read
//! would. Anything else (no entry yet, a PENDING or STARTED task, a watch that is behind) is a
//! miss, and the caller reads the record from the bucket: an answer is never staler than a read.
//! A later change of the key (a new PENDING record for the id, a delete) removes the entry. The
//! replica is bounded in bytes ([`BUDGET`], oldest out first) and forgets a record a minute
//! before the bucket would expire it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::watch;
use tracing::{debug, warn};

use super::recent::{self, Listed, Recent};
use super::{TaskId, TaskRecord};
use crate::bus::{Bus, RecordChange};

/// Most bytes of record values kept.
pub const BUDGET: usize = 64 << 20;
/// Records larger than this are not kept (their status answers read them).
pub const LARGEST: usize = 1 << 20;
/// How long before the bucket's expiry a record is forgotten.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// The replica (see the module documentation).
pub struct Replica {
    finals: Mutex<Finals>,
    /// How long a record is kept by the bucket.
    retention: Duration,
    /// Most bytes of record values kept.
    budget: usize,
}

#[derive(Default)]
struct Finals {
    records: HashMap<TaskId, (Arc<TaskRecord>, usize, Instant)>,
    /// Ids in the order they came, oldest first (an id may be listed after its entry went).
    order: VecDeque<TaskId>,
    bytes: usize,
}

impl Replica {
    /// An empty replica of a bucket that keeps records for `retention`, holding at most
    /// `budget` bytes of them.
    pub fn new(retention: Duration, budget: usize) -> Replica {
        Replica {
            finals: Mutex::default(),
            retention,
            budget,
        }
    }

    /// Starts following the bucket until `shutdown` turns true: the replica, filled as records
    /// become final, and the index of recent tasks, which also reads the last
    /// [`recent::HISTORY`] changes from before the watch started.
    pub fn follow(
        bus: Arc<Bus>,
        mut shutdown: watch::Receiver<bool>,
    ) -> (Arc<Replica>, Arc<Recent>) {
        let replica = Arc::new(Replica::new(bus.settings.retention, BUDGET));
        let recent = Arc::new(Recent::new(recent::CAPACITY, bus.settings.retention));
        let (fed, listed) = (replica.clone(), recent.clone());
        tokio::spawn(async move {
            loop {
                match bus.watch_records(recent::HISTORY).await {
                    Ok((latest, changes)) => {
                        let mut changes = std::pin::pin!(changes);
                        loop {
                            tokio::select! {
                                _ = shutdown.wait_for(|s| *s) => return,
                                change = changes.next() => match change {
                                    Some(change) => {
                                        // Read once for both.
                                        let Some(read) = Read::of(&change) else { continue };
                                        listed.take(&read.id, read.listed.clone());
                                        // History is for the list: the replica holds only
                                        // what became final while it watched (its clock).
                                        if change.revision > latest {
                                            fed.take(&read);
                                        }
                                    }
                                    None => break,
                                },
                            }
                        }
                        debug!("the record watch ended; watching again");
                    }
                    Err(e) => warn!(error = %e, "cannot watch the task records; retrying"),
                }
                // Whatever happened meanwhile is unknown: start afresh.
                fed.clear();
                listed.clear();
                tokio::select! {
                    _ = shutdown.wait_for(|s| *s) => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        });
        (replica, recent)
    }

    /// The final record of a task, if the replica holds it.
    pub fn get(&self, id: &TaskId) -> Option<Arc<TaskRecord>> {
        let finals = self
            .finals
            .lock()
            .expect("the replica lock is never poisoned");
        let (record, _, since) = finals.records.get(id)?;
        (since.elapsed() + EXPIRY_MARGIN < self.retention).then(|| record.clone())
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.finals.lock().expect("never poisoned").records.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes in one change of the bucket.
    pub fn apply(&self, change: RecordChange) {
        let Some(read) = Read::of(&change) else {
            return;
        };
        self.take(&read);
    }

    /// Takes in one change of the bucket, read.
    fn take(&self, read: &Read) {
        let kept = read
            .record
            .as_ref()
            .filter(|record| record.state.is_final());
        let mut finals = self
            .finals
            .lock()
            .expect("the replica lock is never poisoned");
        finals.remove(&read.id);
        if let Some(record) = kept {
            finals.insert(read.id.clone(), record.clone(), read.size, self.budget);
        }
    }

    fn clear(&self) {
        *self.finals.lock().expect("never poisoned") = Finals::default();
    }
}

/// One change of the bucket, read once for the replica and the list: the task, its record
/// when it is at most [`LARGEST`] bytes (`None`: deleted, unreadable, or larger), its entry in
/// the list, and the value's size. A larger record is read only for its list entry, its
/// result skipped unread.
struct Read {
    id: TaskId,
    record: Option<Arc<TaskRecord>>,
    listed: Option<Listed>,
    size: usize,
}

impl Read {
    /// The change read (`None` for a key that is no task id).
    fn of(change: &RecordChange) -> Option<Read> {
        let id = TaskId::parse(&change.key).ok()?;
        let value = change.value.as_deref();
        let size = value.map_or(0, <[u8]>::len);
        let (record, listed) = match value {
            None => (None, None),
            Some(v) if size <= LARGEST => {
                let record = serde_json::from_slice::<TaskRecord>(v).ok().map(Arc::new);
                let listed = record.as_deref().map(Listed::of);
                (record, listed)
            }
            Some(v) => (None, Listed::read(v)),
        };
        Some(Read {
            id,
            record,
            listed,
            size,
        })
    }
}

impl Finals {
    fn remove(&mut self, id: &TaskId) {
        if let Some((_, size, _)) = self.records.remove(id) {
            self.bytes -= size;
        }
    }

    fn insert(&mut self, id: TaskId, record: Arc<TaskRecord>, size: usize, budget: usize) {
        while self.bytes + size > budget {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.remove(&oldest);
        }
        if self.order.len() >= 4 * self.records.len().max(1024) {
            let records = &self.records;
            self.order.retain(|id| records.contains_key(id));
        }
        self.bytes += size;
        self.order.push_back(id.clone());
        self.records.insert(id, (record, size, Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::{FailureCode, TaskFailure};
    use bytes::Bytes;

    fn id(n: u32) -> TaskId {
        TaskId::parse(&format!("00000000-0000-4000-8000-{n:012x}")).unwrap()
    }

    fn change(record: &TaskRecord) -> RecordChange {
        RecordChange {
            key: record.task_id.to_string(),
            value: Some(Bytes::from(serde_json::to_vec(record).unwrap())),
            revision: 1,
        }
    }

    fn pending(n: u32) -> TaskRecord {
        TaskRecord::pending(&id(n), "bod_pasta", "d", "t0")
    }

    fn failed(n: u32) -> TaskRecord {
        pending(n).failed(TaskFailure::new(FailureCode::Panic, "boom"), "t1")
    }

    #[test]
    fn only_final_records_are_held() {
        let replica = Replica::new(Duration::from_secs(3600), BUDGET);
        replica.apply(change(&pending(1)));
        replica.apply(change(&pending(2).started(1, "t1")));
        replica.apply(change(&failed(3)));
        assert!(replica.get(&id(1)).is_none());
        assert!(replica.get(&id(2)).is_none());
        assert_eq!(
            replica.get(&id(3)).unwrap().state,
            crate::task::TaskState::Failure
        );
    }

    #[test]
    fn a_later_change_of_the_key_removes_the_final_record() {
        let replica = Replica::new(Duration::from_secs(3600), BUDGET);
        replica.apply(change(&failed(1)));
        replica.apply(change(&pending(1)));
        assert!(
            replica.get(&id(1)).is_none(),
            "a new PENDING record for the id"
        );
        replica.apply(change(&failed(2)));
        replica.apply(RecordChange {
            key: id(2).to_string(),
            value: None,
            revision: 9,
        });
        assert!(replica.get(&id(2)).is_none(), "a delete");
        assert!(replica.is_empty());
    }

    #[test]
    fn the_bytes_held_stay_within_the_budget_oldest_out_first() {
        let size = change(&failed(0)).value.unwrap().len();
        let budget = 100 * size + size / 2;
        let replica = Replica::new(Duration::from_secs(3600), budget);
        let fits = 100;
        for n in 0..(fits + 10) as u32 {
            replica.apply(change(&failed(n)));
        }
        assert_eq!(replica.len(), fits);
        assert!(replica.get(&id(0)).is_none());
        assert!(replica.get(&id(9)).is_none());
        assert!(replica.get(&id((fits + 9) as u32)).is_some());
        assert!(replica.finals.lock().unwrap().bytes <= budget);
    }

    #[test]
    fn a_record_near_its_expiry_is_not_answered() {
        let replica = Replica::new(EXPIRY_MARGIN, BUDGET);
        replica.apply(change(&failed(1)));
        assert!(replica.get(&id(1)).is_none());
    }
}
