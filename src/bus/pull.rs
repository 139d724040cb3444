//! Pull requests on one long-lived inbox per consumer.
//!
//! async-nats' `fetch` subscribes a fresh inbox per batch and drops it at the first `409` status.
//! But a replicated consumer may send `409 Batch Completed` (a request with `max_bytes` has all
//! its messages) before the messages themselves, which wait for their delivery to be replicated.
//! They then reached a dropped inbox, were lost, and came again after the ack wait, only to be
//! lost again: during a fail-over, jobs gave up after every delivery had been lost this way.
//!
//! Here the inbox outlives its requests. A request ends with as many messages as it asked for,
//! at `404 No Messages` (the queue had no more), or once it has as many as a closing status that
//! counts them (`408` at expiry, `409 Batch Completed`) says were sent, awaited for at most
//! [`TRAILING`]. A message that comes later still is read with the next request, never dropped.

use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull::BatchConfig, consumer::PullConsumer};
use async_nats::{StatusCode, Subject, Subscriber};

use super::jobs::JobMessage;
use super::{Bus, Names};
use crate::model::JobType;
use futures::StreamExt;
use tokio::time::Instant;
use tracing::{debug, warn};

/// How long a request's messages may trail its closing status.
pub const TRAILING: Duration = Duration::from_secs(1);

/// Past its expiry, how long a request waits for a closing status that may never come (its
/// server gone).
pub const STATUS_GRACE: Duration = Duration::from_secs(5);

/// A consumer's pull requests and the inbox they are answered on.
pub struct Puller {
    consumer: PullConsumer,
    context: jetstream::Context,
    names: Names,
    inbox: Subject,
    answers: Subscriber,
}

impl Puller {
    /// Opens the durable consumer of a job type and subscribes its inbox.
    pub async fn open(bus: &Bus, t: JobType) -> anyhow::Result<Puller> {
        let name = bus.names.consumer(t);
        let consumer: PullConsumer = bus
            .js
            .get_stream(bus.names.jobs_stream())
            .await?
            .get_consumer(&name)
            .await
            .map_err(|e| anyhow::anyhow!("consumer {name}: {e}"))?;
        let inbox = Subject::from(bus.client.new_inbox());
        let answers = bus
            .client
            .subscribe(inbox.clone())
            .await
            .map_err(|e| anyhow::anyhow!("subscribing the inbox of {name}: {e}"))?;
        Ok(Puller {
            consumer,
            context: bus.js.clone(),
            names: bus.names.clone(),
            inbox,
            answers,
        })
    }

    /// Asks for at most `messages` messages of at most `max_bytes` in all: those there are, as
    /// soon as there is one, waiting at most `expires` for it (a fetch: the request does not
    /// stay open to take later jobs, which another worker may start sooner).
    pub async fn request(
        &mut self,
        messages: usize,
        max_bytes: usize,
        expires: Duration,
    ) -> Result<Request<'_>, async_nats::Error> {
        let config = BatchConfig {
            batch: messages,
            expires: Some(expires),
            no_wait: true,
            max_bytes,
            ..Default::default()
        };
        self.consumer
            .request_batch(config, self.inbox.clone())
            .await?;
        Ok(Request {
            puller: self,
            asked: messages,
            received: 0,
            sent: None,
            deadline: Instant::now() + expires + STATUS_GRACE,
            refused: false,
        })
    }
}

/// One pull request being answered.
pub struct Request<'a> {
    puller: &'a mut Puller,
    asked: usize,
    received: usize,
    /// How many messages the server says it sent, once its closing status came.
    sent: Option<usize>,
    deadline: Instant,
    refused: bool,
}

impl Request<'_> {
    /// Whether the server refused the request (`408 Requests Pending`: other workers' requests
    /// already wait for the next jobs; or a refusal of another kind): asking again at once would
    /// only be refused again.
    pub fn refused(&self) -> bool {
        self.refused
    }

    /// The next message, or `None` once the request has all of its own.
    pub async fn next(&mut self) -> Option<JobMessage> {
        loop {
            if self.received >= self.sent.unwrap_or(self.asked) {
                return None;
            }
            let answer = match tokio::time::timeout_at(self.deadline, self.puller.answers.next())
                .await
            {
                Ok(Some(answer)) => answer,
                Ok(None) => return None,
                Err(_) => {
                    debug!(
                        received = self.received,
                        sent = ?self.sent,
                        "pull request ended without all its messages; later ones come with the next"
                    );
                    return None;
                }
            };
            match answer.status {
                None | Some(StatusCode::OK) => {
                    self.received += 1;
                    let job_type = self.puller.names.job_type_of(answer.subject.as_str());
                    let message = jetstream::Message {
                        message: answer,
                        context: self.puller.context.clone(),
                    };
                    return Some(JobMessage::new(message, job_type));
                }
                Some(StatusCode::IDLE_HEARTBEAT) => continue,
                Some(status) => {
                    let unsent = answer
                        .headers
                        .as_ref()
                        .and_then(|h| h.get("Nats-Pending-Messages"))
                        .and_then(|v| v.as_str().parse::<usize>().ok());
                    match unsent {
                        Some(unsent) => {
                            let description = &answer.description;
                            debug!(%status, ?description, unsent, "pull request closed");
                            self.sent = Some(self.asked.saturating_sub(unsent));
                            self.deadline = self.deadline.min(Instant::now() + TRAILING);
                        }
                        // No more messages now (a fetch's usual end).
                        None if status == StatusCode::NOT_FOUND => return None,
                        // Other workers' requests wait already: this one was not queued.
                        None if status == StatusCode::TIMEOUT => {
                            debug!(description = ?answer.description, "pull request refused");
                            self.refused = true;
                            return None;
                        }
                        // A refusal or a leadership change: nothing more will be sent for it.
                        None => {
                            let description = &answer.description;
                            warn!(%status, ?description, "pull request ended by the server");
                            self.refused = true;
                            return None;
                        }
                    }
                }
            }
        }
    }
}
