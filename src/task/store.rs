//! Task records in the KV bucket: the one place they are written as JSON and read back. Every
//! write but the first is a compare-and-set on the revision the writer read.

use bytes::Bytes;

use super::{TaskId, TaskRecord};
use crate::bus::{Bus, BusError, Created};

/// What creating a record found.
pub enum Create {
    /// The record is new, at this revision.
    New(u64),
    /// A record existed: it and its revision.
    Exists(Box<TaskRecord>, u64),
}

/// The record of a task and its revision (`None`: unknown or expired).
pub async fn get(bus: &Bus, id: &TaskId) -> Result<Option<(TaskRecord, u64)>, BusError> {
    match bus.get_record(id.as_str()).await? {
        Some((value, revision)) => Ok(Some((decode(id, &value)?, revision))),
        None => Ok(None),
    }
}

/// Creates a record unless one exists.
pub async fn create(bus: &Bus, record: &TaskRecord) -> Result<Create, BusError> {
    let id = &record.task_id;
    match bus.create_record(id.as_str(), encode(record)).await? {
        Created::New(revision) => Ok(Create::New(revision)),
        Created::Exists(value, revision) => {
            Ok(Create::Exists(Box::new(decode(id, &value)?), revision))
        }
    }
}

/// Replaces a record still at `revision`: `Ok(None)` when another writer changed it first.
pub async fn replace(
    bus: &Bus,
    record: &TaskRecord,
    revision: u64,
) -> Result<Option<u64>, BusError> {
    bus.update_record(record.task_id.as_str(), encode(record), revision)
        .await
}

/// Removes a record still at `revision` (a submission whose job could not be queued).
pub async fn remove(bus: &Bus, id: &TaskId, revision: u64) -> Result<(), BusError> {
    bus.delete_record(id.as_str(), revision).await
}

fn encode(record: &TaskRecord) -> Bytes {
    Bytes::from(serde_json::to_vec(record).expect("records serialise"))
}

fn decode(id: &TaskId, value: &[u8]) -> Result<TaskRecord, BusError> {
    serde_json::from_slice(value).map_err(|e| BusError::Corrupt(format!("task {id}: {e}")))
}
