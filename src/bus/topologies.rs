//! The storage of held topologies (contract §8): the bucket `pasta_topologies` (heads,
//! revisions and pins, as bytes: their format is [`crate::task::held`]'s), the object store of
//! snapshots, and the `pasta.topology.<name>.changed` events.

use async_nats::jetstream::kv;
use async_nats::HeaderMap;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::Value;

use super::{delete_object, object, unavailable, Bus, BusError, Created};

impl Bus {
    /// A key of the topology bucket: its value and revision (`None`: none, or deleted).
    pub async fn topology_get(&self, key: &str) -> Result<Option<(Bytes, u64)>, BusError> {
        match self.topologies.entry(key).await.map_err(unavailable)? {
            Some(e) if e.operation == kv::Operation::Put => Ok(Some((e.value, e.revision))),
            _ => Ok(None),
        }
    }

    /// Creates a key of the topology bucket unless it exists.
    pub async fn topology_create(&self, key: &str, value: Bytes) -> Result<Created, BusError> {
        match self.topologies.create(key, value).await {
            Ok(rev) => Ok(Created::New(rev)),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                match self.topology_get(key).await? {
                    Some((value, rev)) => Ok(Created::Exists(value, rev)),
                    None => Err(BusError::Unavailable("key vanished".into())),
                }
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Replaces a key still at `revision`: `Ok(None)` when another writer changed it first.
    pub async fn topology_update(
        &self,
        key: &str,
        value: Bytes,
        revision: u64,
    ) -> Result<Option<u64>, BusError> {
        match self.topologies.update(key, value, revision).await {
            Ok(rev) => Ok(Some(rev)),
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Writes a key whatever it holds.
    pub async fn topology_put(&self, key: &str, value: Bytes) -> Result<u64, BusError> {
        self.topologies.put(key, value).await.map_err(unavailable)
    }

    /// Removes a key (and its history).
    pub async fn topology_purge(&self, key: &str) -> Result<(), BusError> {
        self.topologies.purge(key).await.map_err(unavailable)
    }

    /// The keys of the topology bucket that start with `prefix`, in no particular order.
    pub async fn topology_keys(&self, prefix: &str) -> Result<Vec<String>, BusError> {
        let mut keys = self.topologies.keys().await.map_err(unavailable)?;
        let mut found = Vec::new();
        while let Some(key) = keys.next().await {
            let key = key.map_err(unavailable)?;
            if key.starts_with(prefix) {
                found.push(key);
            }
        }
        Ok(found)
    }

    /// Starts a snapshot (the wire form of a revision) `name`, written chunk by chunk
    /// ([`object::ObjectWrite`]) and made visible by [`Bus::commit_snapshot`].
    pub fn snapshot_writer(&self, name: &str) -> Result<object::ObjectWrite, BusError> {
        let bucket = self.names.topology_snapshots();
        object::ObjectWrite::new(&self.js, &bucket, name, self.object_chunk())
    }

    /// Publishes a snapshot written by [`Bus::snapshot_writer`].
    pub async fn commit_snapshot(
        &self,
        object: object::ObjectWrite,
    ) -> Result<object::Written, BusError> {
        object.commit(&self.snapshots).await
    }

    /// Reads a snapshot (`None` when missing).
    pub async fn get_snapshot(&self, name: &str) -> Result<Option<Bytes>, BusError> {
        Bus::read_object(&self.snapshots, name).await
    }

    /// Removes a snapshot (nothing when it is not there).
    pub async fn delete_snapshot(&self, name: &str) -> Result<(), BusError> {
        delete_object(&self.snapshots, name).await
    }

    /// Publishes `pasta.topology.<name>.changed` (`Nats-Msg-Id` = `<name>.<revision>`) and
    /// waits for the events stream's ack.
    pub async fn publish_topology_event(
        &self,
        name: &str,
        revision: u64,
        event: &Value,
    ) -> Result<(), BusError> {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", format!("{name}.{revision}").as_str());
        let payload = Bytes::from(serde_json::to_vec(event).expect("events serialise"));
        self.send(self.names.topology_changed_subject(name), headers, payload)
            .await?
            .acknowledged()
            .await
    }
}
