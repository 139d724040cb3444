//! The adapter to NATS: subjects, streams, the KV bucket, the object store, headers, ack kinds.
//! The layers above call the operations here; nothing else imports async-nats, and nothing here
//! imports the layers above (records are bytes to this module, requests are handed to a
//! handler it is given).
//!
//! [`Bus`] holds the JetStream handles of one deployment (one prefix). [`provision`] creates or
//! updates every resource idempotently at start-up. [`pull`] and [`budget`] take job messages
//! from the durable consumers ([`jobs`] is what a delivered one offers), [`responder`] is the
//! NATS service (submit and status endpoints), [`client`] the client side of the command line.

pub mod blob_ref;
pub mod budget;
pub mod client;
pub mod connect;
pub mod jobs;
pub mod micro;
pub mod names;
pub mod object;
pub mod provision;
pub mod pull;
pub mod responder;
pub mod settings;
pub mod topologies;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, kv, object_store};
use async_nats::HeaderMap;
use bytes::Bytes;
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;

pub use connect::{connect, Auth};
pub use jobs::{JobFormat, JobMessage, Pending, Settle, TASK_ID_HEADER};
pub use names::Names;
pub use settings::BusSettings;

use crate::model::JobType;

/// Most publish acks awaited at once (async-nats stalls past a few thousand).
const PUBLISH_WINDOW: usize = 512;

/// A bus operation that failed: whether JetStream was reachable decides the answer.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// JetStream did not answer in time, or the connection is down.
    #[error("JetStream unavailable: {0}")]
    Unavailable(String),
    /// The job queue is full.
    #[error("the job queue is full")]
    QueueFull,
    /// A stored document could not be read.
    #[error("corrupt stored document: {0}")]
    Corrupt(String),
}

fn unavailable(e: impl std::fmt::Display) -> BusError {
    BusError::Unavailable(e.to_string())
}

/// What creating a record found.
pub enum Created {
    /// The record is new, at this revision.
    New(u64),
    /// A record existed: its value and its revision.
    Exists(Bytes, u64),
}

/// A change of one record, as a watch sees it.
#[derive(Debug, Clone)]
pub struct RecordChange {
    /// The record's key.
    pub key: String,
    /// Its new value; `None` when it was deleted or purged.
    pub value: Option<Bytes>,
    /// The bucket's revision of the change.
    pub revision: u64,
}

/// The JetStream handles of one deployment.
#[derive(Clone)]
pub struct Bus {
    /// The connection.
    pub client: async_nats::Client,
    /// JetStream.
    pub js: jetstream::Context,
    /// Names under the prefix.
    pub names: Names,
    /// Tunables.
    pub settings: BusSettings,
    tasks: kv::Store,
    blobs: object_store::ObjectStore,
    topologies: kv::Store,
    snapshots: object_store::ObjectStore,
    window: Arc<Semaphore>,
}

impl Bus {
    /// Provisions (idempotently) and opens every resource.
    pub async fn open(
        client: async_nats::Client,
        names: Names,
        settings: BusSettings,
    ) -> anyhow::Result<Bus> {
        let mut js = jetstream::new(client.clone());
        js.set_timeout(settings.request_timeout);
        let stores = provision::provision(&js, &names, &settings).await?;
        Ok(Bus {
            client,
            js,
            names,
            settings,
            tasks: stores.tasks,
            blobs: stores.blobs,
            topologies: stores.topologies,
            snapshots: stores.snapshots,
            window: Arc::new(Semaphore::new(PUBLISH_WINDOW)),
        })
    }

    /// The value of a record and its revision (`None`: no record, or a deleted one).
    pub async fn get_record(&self, key: &str) -> Result<Option<(Bytes, u64)>, BusError> {
        let entry = self.tasks.entry(key).await.map_err(unavailable)?;
        match entry {
            Some(e) if e.operation == kv::Operation::Put => Ok(Some((e.value, e.revision))),
            _ => Ok(None),
        }
    }

    /// Creates a record unless one exists.
    pub async fn create_record(&self, key: &str, value: Bytes) -> Result<Created, BusError> {
        match self.tasks.create(key, value).await {
            Ok(rev) => Ok(Created::New(rev)),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                match self.get_record(key).await? {
                    Some((value, rev)) => Ok(Created::Exists(value, rev)),
                    None => Err(BusError::Unavailable("record vanished".into())),
                }
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Replaces a record if it is still at `revision`: `Ok(None)` when someone else changed it.
    pub async fn update_record(
        &self,
        key: &str,
        value: Bytes,
        revision: u64,
    ) -> Result<Option<u64>, BusError> {
        match self.tasks.update(key, value, revision).await {
            Ok(rev) => Ok(Some(rev)),
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Deletes a record still at `revision` (a submission whose publish failed).
    pub async fn delete_record(&self, key: &str, revision: u64) -> Result<(), BusError> {
        self.tasks
            .delete_expect_revision(key, Some(revision))
            .await
            .map_err(unavailable)
    }

    /// Every change of a record from the last `back` changes kept on, in the bucket's order:
    /// the key, the value (`None` for a delete or purge) and the revision; and the bucket's
    /// latest revision when the watch started (changes up to it are history). The stream ends
    /// when the watch fails (it resumes by itself across reconnections; a caller that sees it
    /// end may watch again).
    pub async fn watch_records(
        &self,
        back: u64,
    ) -> Result<
        (
            u64,
            impl futures::Stream<Item = RecordChange> + Send + 'static,
        ),
        BusError,
    > {
        use futures::StreamExt;
        let latest = self
            .tasks
            .status()
            .await
            .map_err(unavailable)?
            .info
            .state
            .last_sequence;
        let first = latest.saturating_sub(back) + 1;
        let watch = self
            .tasks
            .watch_all_from_revision(first)
            .await
            .map_err(unavailable)?;
        Ok((
            latest,
            watch
                .take_while(|entry| std::future::ready(entry.is_ok()))
                .filter_map(|entry| {
                    std::future::ready(entry.ok().map(|e| RecordChange {
                        value: (e.operation == kv::Operation::Put).then_some(e.value),
                        key: e.key,
                        revision: e.revision,
                    }))
                }),
        ))
    }

    /// Stores a blob under `name`: the hex SHA-256 of its bytes.
    pub async fn put_blob(&self, name: &str, data: Bytes) -> Result<String, BusError> {
        let mut object = self.blob_writer(name)?;
        object.push_all(data).await?;
        Ok(self.commit_blob(object).await?.sha256)
    }

    /// Starts a blob `name` written chunk by chunk ([`object::ObjectWrite`]; chunks of at most
    /// [`Bus::object_chunk`] bytes), made visible by [`Bus::commit_blob`].
    pub fn blob_writer(&self, name: &str) -> Result<object::ObjectWrite, BusError> {
        object::ObjectWrite::new(&self.js, &self.names.blobs(), name, self.object_chunk())
    }

    /// Publishes a blob written by [`Bus::blob_writer`].
    pub async fn commit_blob(
        &self,
        object: object::ObjectWrite,
    ) -> Result<object::Written, BusError> {
        object.commit(&self.blobs).await
    }

    /// The largest chunk an object is written in ([`object::chunk_size`] of the connection's
    /// `max_payload`).
    pub fn object_chunk(&self) -> usize {
        object::chunk_size(self.max_payload())
    }

    /// Removes a blob (nothing when it is not there).
    pub async fn delete_blob(&self, name: &str) -> Result<(), BusError> {
        delete_object(&self.blobs, name).await
    }

    /// [`Bus::get_blob`] of the blob store or of the topology snapshots.
    async fn read_object(
        store: &object_store::ObjectStore,
        name: &str,
    ) -> Result<Option<Bytes>, BusError> {
        match store.get(name).await {
            Ok(mut object) => {
                // Sized by the object's info once, not grown by doubling (which held up to
                // twice a large snapshot); an info is not trusted past READ_PRESIZE_MAX.
                let mut data = Vec::with_capacity(object.info().size.min(READ_PRESIZE_MAX));
                object.read_to_end(&mut data).await.map_err(unavailable)?;
                // An info that overstated the size leaves no reservation behind.
                data.shrink_to_fit();
                Ok(Some(Bytes::from(data)))
            }
            Err(e) if e.kind() == object_store::GetErrorKind::NotFound => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// Removes an object (nothing when it is not there).
async fn delete_object(store: &object_store::ObjectStore, name: &str) -> Result<(), BusError> {
    {
        match store.delete(name).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == object_store::DeleteErrorKind::NotFound => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// Most bytes reserved ahead for an object read, whatever its info says.
const READ_PRESIZE_MAX: usize = 64 << 20;

impl Bus {
    /// The size of an object of the blob store, `None` when there is none of that name.
    pub async fn blob_size(&self, name: &str) -> Result<Option<usize>, BusError> {
        match self.blobs.info(name).await {
            Ok(info) => Ok(Some(info.size)),
            Err(e) if e.kind() == object_store::InfoErrorKind::NotFound => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Reads a blob (`None` when missing).
    pub async fn get_blob(&self, name: &str) -> Result<Option<Bytes>, BusError> {
        Bus::read_object(&self.blobs, name).await
    }

    /// Publishes a job with `Nats-Msg-Id` = task id and waits for JetStream's ack. `pending`
    /// describes the task's PENDING record in the headers (see [`jobs::REVISION_HEADER`]);
    /// `format` says what the payload is.
    pub async fn publish_job(
        &self,
        job_type: JobType,
        task_id: &str,
        pending: &Pending,
        format: JobFormat,
        payload: Bytes,
    ) -> Result<(), BusError> {
        let headers = jobs::headers(task_id, format, pending);
        self.publish(self.names.job_subject(job_type), headers, payload)
            .await
    }

    /// Publishes a completion event (`Nats-Msg-Id` = `<task_id>.<state>`, so republishing after a
    /// crash is harmless).
    pub async fn publish_event(
        &self,
        job_type: JobType,
        task_id: &str,
        state: &str,
        event: &Value,
    ) -> Result<(), BusError> {
        self.send_event(job_type, task_id, state, event)
            .await?
            .acknowledged()
            .await
    }

    /// The payloads of the events in `state` (`started`, `success`, `failure`, `*` for all)
    /// of every type, from those stored `since` ago on (nothing stored: from now on), as the
    /// events stream keeps them, by an ordered consumer of its own; each with the number of
    /// stored events still to come after it (0: caught up), and the number there were to
    /// start with. The stream ends when the consumer fails.
    pub async fn follow_events(
        &self,
        state: &str,
        since: Option<Duration>,
    ) -> Result<
        (
            u64,
            impl futures::Stream<Item = (Bytes, u64)> + Send + Unpin + 'static,
        ),
        BusError,
    > {
        use futures::StreamExt;
        use jetstream::consumer::{pull::OrderedConfig, DeliverPolicy};
        let deliver_policy = match since {
            Some(back) => DeliverPolicy::ByStartTime {
                start_time: time::OffsetDateTime::now_utc() - back,
            },
            None => DeliverPolicy::New,
        };
        let stream = self
            .js
            .get_stream(self.names.events_stream())
            .await
            .map_err(unavailable)?;
        let consumer = stream
            .create_consumer(OrderedConfig {
                filter_subject: self.names.events_in(state),
                deliver_policy,
                ..OrderedConfig::default()
            })
            .await
            .map_err(unavailable)?;
        let backlog = consumer.cached_info().num_pending;
        let messages = consumer.messages().await.map_err(unavailable)?;
        Ok((
            backlog,
            messages
                .take_while(|m| std::future::ready(m.is_ok()))
                .filter_map(|m| {
                    std::future::ready(m.ok().map(|m| {
                        let after = m.info().map(|i| i.pending).unwrap_or(0);
                        (m.message.payload, after)
                    }))
                }),
        ))
    }

    /// Sends a completion event without waiting for its acknowledgement. The messages of one
    /// connection are stored in the order they were sent, so an event sent before another
    /// is written precedes it in the stream.
    pub async fn send_event(
        &self,
        job_type: JobType,
        task_id: &str,
        state: &str,
        event: &Value,
    ) -> Result<Sent, BusError> {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", format!("{task_id}.{state}").as_str());
        let payload = Bytes::from(serde_json::to_vec(event).expect("events serialise"));
        self.send(self.names.event_subject(job_type, state), headers, payload)
            .await
    }

    async fn publish(
        &self,
        subject: String,
        headers: HeaderMap,
        payload: Bytes,
    ) -> Result<(), BusError> {
        self.send(subject, headers, payload)
            .await?
            .acknowledged()
            .await
    }

    /// Sends a message to a stream, within the window of unacknowledged publications.
    async fn send(
        &self,
        subject: String,
        headers: HeaderMap,
        payload: Bytes,
    ) -> Result<Sent, BusError> {
        let slot = self
            .window
            .clone()
            .acquire_owned()
            .await
            .expect("the window is never closed");
        // One deadline for sending and for the acknowledgement together.
        let deadline = tokio::time::Instant::now() + self.settings.request_timeout;
        let ack = tokio::time::timeout_at(
            deadline,
            self.js.publish_with_headers(subject, headers, payload),
        )
        .await
        .map_err(|_| BusError::Unavailable("could not send in time".into()))?
        .map_err(unavailable)?;
        Ok(Sent {
            _slot: slot,
            ack,
            deadline,
        })
    }

    /// The largest message the server takes (its `max_payload`), as it said when connected.
    pub fn max_payload(&self) -> usize {
        self.client.server_info().max_payload
    }

    /// Whether the connection is up.
    pub fn connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Jobs waiting in the queue, by the stream's message count.
    pub async fn queue_depth(&self) -> Option<u64> {
        let mut stream = self.js.get_stream(self.names.jobs_stream()).await.ok()?;
        stream.info().await.ok().map(|i| i.state.messages)
    }
}

/// A message sent to a stream whose acknowledgement is still to come; it holds its place in
/// the window of unacknowledged publications until then.
pub struct Sent {
    _slot: tokio::sync::OwnedSemaphorePermit,
    ack: jetstream::context::PublishAckFuture,
    deadline: tokio::time::Instant,
}

impl Sent {
    /// Waits for the stream's acknowledgement, until the request time-out counted from the
    /// send: a full stream is [`BusError::QueueFull`].
    pub async fn acknowledged(self) -> Result<(), BusError> {
        tokio::time::timeout_at(self.deadline, self.ack)
            .await
            .map_err(|_| BusError::Unavailable("no publish ack in time".into()))?
            .map_err(|e| {
                if store_refused(&e) {
                    BusError::QueueFull
                } else {
                    unavailable(e)
                }
            })?;
        Ok(())
    }
}

/// Whether the stream refused to store a message (JetStream error 10077, "store failed": the
/// stream's message or byte limit is reached, and it discards new messages).
fn store_refused(e: &jetstream::context::PublishError) -> bool {
    use std::error::Error as _;
    e.source()
        .and_then(|source| source.downcast_ref::<jetstream::Error>())
        .is_some_and(|api| api.error_code() == jetstream::ErrorCode::STREAM_STORE_FAILED)
}
