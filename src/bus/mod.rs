//! Everything that knows NATS: subjects, streams, the KV bucket, the object store, headers, ack
//! kinds. The service layer calls the typed operations here; nothing else imports async-nats.
//!
//! [`Bus`] holds the JetStream handles of one deployment (one prefix). [`provision`] creates or
//! updates every resource idempotently at start-up. [`worker`] consumes jobs, [`responder`] is the
//! NATS service (submit and status endpoints).

pub mod blob_ref;
pub mod client;
pub mod names;
pub mod provision;
pub mod responder;
pub mod settings;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, kv, object_store};
use async_nats::HeaderMap;
use bytes::Bytes;
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;

pub use names::Names;
pub use settings::BusSettings;

use crate::model::JobType;
use crate::service::record::TaskRecord;

/// The header carrying a client-chosen task id.
pub const TASK_ID_HEADER: &str = "Pasta-Task-Id";
/// The header carrying the job message format (see [`JobFormat`]).
pub const FORMAT_HEADER: &str = "Pasta-Format";

/// What a job message's payload is, by its `Pasta-Format` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobFormat {
    /// `1`, or no header (a job published straight to its subject): the JSON body, or
    /// `{"$ref": name}` for one in the blob store. The worker validates it.
    Json,
    /// `2`: the validated request in its compact form ([`crate::model::compact`]), as
    /// submission publishes a body that fits in one message.
    Compact,
}

impl JobFormat {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            JobFormat::Json => "1",
            JobFormat::Compact => "2",
        }
    }

    /// The format of a job message; `Err` names a format this version does not know (written
    /// by a newer one).
    pub fn of(headers: Option<&HeaderMap>) -> Result<JobFormat, String> {
        match headers
            .and_then(|h| h.get(FORMAT_HEADER))
            .map(|v| v.as_str())
        {
            None | Some("1") => Ok(JobFormat::Json),
            Some("2") => Ok(JobFormat::Compact),
            Some(other) => Err(other.to_string()),
        }
    }
}
/// Headers of a job message describing the PENDING record submission created (its revision,
/// digest and submission time), so that the first delivery can start the task by
/// compare-and-set without reading the record first. A stale or missing hint only costs that
/// read.
pub const REVISION_HEADER: &str = "Pasta-Revision";
/// See [`REVISION_HEADER`].
pub const DIGEST_HEADER: &str = "Pasta-Digest";
/// See [`REVISION_HEADER`].
pub const SUBMITTED_HEADER: &str = "Pasta-Submitted-At";
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
    /// A record existed: it and its revision.
    Exists(Box<TaskRecord>, u64),
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
        let (tasks, blobs) = provision::provision(&js, &names, &settings).await?;
        Ok(Bus {
            client,
            js,
            names,
            settings,
            tasks,
            blobs,
            window: Arc::new(Semaphore::new(PUBLISH_WINDOW)),
        })
    }

    /// The record of a task and its revision.
    pub async fn get_record(&self, task_id: &str) -> Result<Option<(TaskRecord, u64)>, BusError> {
        let entry = self.tasks.entry(task_id).await.map_err(unavailable)?;
        match entry {
            Some(e) if e.operation == kv::Operation::Put => {
                let record = serde_json::from_slice(&e.value)
                    .map_err(|err| BusError::Corrupt(format!("task {task_id}: {err}")))?;
                Ok(Some((record, e.revision)))
            }
            _ => Ok(None),
        }
    }

    /// Creates a record unless one exists.
    pub async fn create_record(&self, record: &TaskRecord) -> Result<Created, BusError> {
        let value = Bytes::from(serde_json::to_vec(record).expect("records serialise"));
        match self.tasks.create(&record.task_id, value).await {
            Ok(rev) => Ok(Created::New(rev)),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                match self.get_record(&record.task_id).await? {
                    Some((r, rev)) => Ok(Created::Exists(Box::new(r), rev)),
                    None => Err(BusError::Unavailable("record vanished".into())),
                }
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Replaces a record if it is still at `revision`: `Ok(None)` when someone else changed it.
    pub async fn update_record(
        &self,
        record: &TaskRecord,
        revision: u64,
    ) -> Result<Option<u64>, BusError> {
        let value = Bytes::from(serde_json::to_vec(record).expect("records serialise"));
        match self.tasks.update(&record.task_id, value, revision).await {
            Ok(rev) => Ok(Some(rev)),
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Deletes a record still at `revision` (a submission whose publish failed).
    pub async fn delete_record(&self, task_id: &str, revision: u64) -> Result<(), BusError> {
        self.tasks
            .delete_expect_revision(task_id, Some(revision))
            .await
            .map_err(unavailable)
    }

    /// Stores a blob under `name`.
    pub async fn put_blob(&self, name: &str, data: Bytes) -> Result<(), BusError> {
        let mut reader = std::io::Cursor::new(data.to_vec());
        self.blobs
            .put(name, &mut reader)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    /// Reads a blob (`None` when missing).
    pub async fn get_blob(&self, name: &str) -> Result<Option<Bytes>, BusError> {
        match self.blobs.get(name).await {
            Ok(mut object) => {
                let mut data = Vec::new();
                object.read_to_end(&mut data).await.map_err(unavailable)?;
                Ok(Some(Bytes::from(data)))
            }
            Err(e) if e.kind() == object_store::GetErrorKind::NotFound => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Publishes a job with `Nats-Msg-Id` = task id and waits for JetStream's ack. `pending` is
    /// the task's PENDING record and its revision, announced in the headers (see
    /// [`REVISION_HEADER`]); `format` says what the payload is.
    pub async fn publish_job(
        &self,
        job_type: JobType,
        pending: (&TaskRecord, u64),
        format: JobFormat,
        payload: Bytes,
    ) -> Result<(), BusError> {
        let (record, revision) = pending;
        let task_id = record.task_id.as_str();
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", task_id);
        headers.insert(TASK_ID_HEADER, task_id);
        headers.insert(FORMAT_HEADER, format.as_str());
        headers.insert(REVISION_HEADER, revision.to_string().as_str());
        headers.insert(DIGEST_HEADER, record.digest.as_str());
        headers.insert(SUBMITTED_HEADER, record.submitted_at.as_str());
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

/// Connects to NATS with the credentials of the environment (see `crate::config`). The first
/// connection must succeed (a refused password or a server that does not answer is an error);
/// after that, the client reconnects by itself.
pub async fn connect(url: &str, auth: &crate::config::Auth) -> anyhow::Result<async_nats::Client> {
    let mut options = async_nats::ConnectOptions::new()
        .name("pasta")
        .connection_timeout(Duration::from_secs(5))
        .max_reconnects(None);
    if let (Some(user), Some(pass)) = (&auth.user, &auth.password) {
        options = options.user_and_password(user.clone(), pass.clone());
    }
    if let Some(token) = &auth.token {
        options = options.token(token.clone());
    }
    if let Some(creds) = &auth.creds_file {
        options = options.credentials_file(creds).await?;
    }
    // A comma-separated list names several servers of a cluster.
    let servers: Vec<&str> = url
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    match tokio::time::timeout(Duration::from_secs(10), options.connect(servers)).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) if e.kind() == async_nats::ConnectErrorKind::AuthorizationViolation => {
            anyhow::bail!("NATS at {url} refused the credentials: {e}")
        }
        Ok(Err(e)) => anyhow::bail!("NATS at {url} does not answer: {e}"),
        Err(_) => anyhow::bail!("NATS at {url} does not answer"),
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
                let text = e.to_string();
                if text.contains("maximum messages") || text.contains("maximum bytes") {
                    BusError::QueueFull
                } else {
                    unavailable(text)
                }
            })?;
        Ok(())
    }
}
