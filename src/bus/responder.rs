//! The NATS service `pasta`: `pasta.submit.<type>` and `pasta.job.check_status` endpoints,
//! discoverable with `$SRV.PING`/`INFO`/`STATS` ([`super::micro`]). What a request means is not
//! decided here: each becomes a [`Request`] for the handler the caller gives, whose [`Reply`]
//! is sent back (an error with the ADR-32 headers, and counted in `$SRV.STATS`).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use tracing::warn;

pub use super::micro::{Reply, ServiceError};

use super::micro::{self, Endpoint, Micro, QUEUE_GROUP};
use super::{Bus, TASK_ID_HEADER};
use crate::model::JobType;

/// A request to the NATS service.
#[derive(Debug, Clone)]
pub enum Request {
    /// `pasta.submit.<type>`: the body, and the `Pasta-Task-Id` header if given.
    Submit {
        /// The endpoint's job type.
        job_type: JobType,
        /// The request body.
        body: Bytes,
        /// The client-chosen task id.
        task_id: Option<String>,
    },
    /// `pasta.job.check_status`: the query (`{"task_id", "type"}`), as sent.
    Status {
        /// The request body.
        query: Bytes,
    },
    /// `pasta.job.list`: the query (`{"type"?, "state"?, "limit"?}`), as sent.
    List {
        /// The request body.
        query: Bytes,
    },
    /// `pasta.job.cancel`: the query (`{"task_id", "type"}`), as sent.
    Cancel {
        /// The request body.
        query: Bytes,
    },
    /// A held topology request (contract §8).
    Topology {
        /// Which operation.
        op: TopologyOp,
        /// The name the subject carries (put, change, delete).
        name: Option<String>,
        /// The payload.
        body: Bytes,
        /// The `Pasta-Expected-Revision` header.
        expected: Option<String>,
    },
}

/// The operations on held topologies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopologyOp {
    /// `pasta.topology.put.<name>`.
    Put,
    /// `pasta.topology.change.<name>`.
    Change,
    /// `pasta.topology.delete.<name>`.
    Delete,
    /// `pasta.topology.get`, `{name, revision?}`.
    Get,
    /// `pasta.topology.list`.
    List,
}

impl TopologyOp {
    /// Every operation.
    pub const ALL: [TopologyOp; 5] = [
        TopologyOp::Put,
        TopologyOp::Change,
        TopologyOp::Delete,
        TopologyOp::Get,
        TopologyOp::List,
    ];

    /// Its token in the subject.
    pub fn as_str(self) -> &'static str {
        match self {
            TopologyOp::Put => "put",
            TopologyOp::Change => "change",
            TopologyOp::Delete => "delete",
            TopologyOp::Get => "get",
            TopologyOp::List => "list",
        }
    }

    /// Whether the subject names the topology (`pasta.topology.<op>.<name>`).
    pub fn names_in_subject(self) -> bool {
        matches!(
            self,
            TopologyOp::Put | TopologyOp::Change | TopologyOp::Delete
        )
    }
}

/// The header of an optimistic write: applied only if the head is that revision.
pub const EXPECTED_REVISION_HEADER: &str = "Pasta-Expected-Revision";

/// Serves the endpoints until `shutdown` turns true, answering each request with what
/// `handler` makes of it; `ready` is told once every endpoint is registered (a client may
/// submit from then on).
pub async fn run<H, F>(
    bus: &Bus,
    handler: H,
    mut shutdown: watch::Receiver<bool>,
    ready: oneshot::Sender<()>,
) -> anyhow::Result<()>
where
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Reply> + Send + 'static,
{
    let names = &bus.names;
    let handler = Arc::new(handler);
    let client = &bus.client;
    let service = Arc::new(Micro::new(
        names.prefix(),
        env!("CARGO_PKG_VERSION"),
        "pasta: SR-TE path computation jobs",
    ));
    let mut tasks = JoinSet::new();
    for t in JobType::ALL {
        let subject = names.submit_subject(t);
        let name = format!("submit_{}", t.as_str());
        let read = move |msg: &async_nats::Message| Request::Submit {
            job_type: t,
            body: msg.payload.clone(),
            task_id: msg
                .headers
                .as_ref()
                .and_then(|h| h.get(TASK_ID_HEADER))
                .map(|v| v.as_str().to_string()),
        };
        open(
            &mut tasks, client, &service, &name, &subject, read, &handler,
        )
        .await?;
    }
    type Read = fn(&async_nats::Message) -> Request;
    let queries: [(&str, String, Read); 3] = [
        ("check_status", names.status_subject(), |msg| {
            Request::Status {
                query: msg.payload.clone(),
            }
        }),
        ("list", names.list_subject(), |msg| Request::List {
            query: msg.payload.clone(),
        }),
        ("cancel", names.cancel_subject(), |msg| Request::Cancel {
            query: msg.payload.clone(),
        }),
    ];
    for (name, subject, read) in queries {
        open(&mut tasks, client, &service, name, &subject, read, &handler).await?;
    }
    for op in TopologyOp::ALL {
        let base = names.topology_subject(op.as_str());
        let subject = if op.names_in_subject() {
            format!("{base}.*")
        } else {
            base
        };
        let name = format!("topology_{}", op.as_str());
        let read = move |msg: &async_nats::Message| Request::Topology {
            op,
            name: op.names_in_subject().then(|| {
                msg.subject
                    .rsplit('.')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            }),
            body: msg.payload.clone(),
            expected: msg
                .headers
                .as_ref()
                .and_then(|h| h.get(EXPECTED_REVISION_HEADER))
                .map(|v| v.as_str().to_string()),
        };
        open(
            &mut tasks, client, &service, &name, &subject, read, &handler,
        )
        .await?;
    }
    let discovery = service
        .discovery(client.clone())
        .await
        .map_err(|e| anyhow::anyhow!("registering the NATS service: {e}"))?;
    tasks.spawn(discovery);
    // The subscriptions reach the server before anyone is told they exist.
    client
        .flush()
        .await
        .map_err(|e| anyhow::anyhow!("registering the NATS service: {e}"))?;
    let _ = ready.send(());
    let _ = shutdown.wait_for(|s| *s).await;
    tasks.abort_all();
    Ok(())
}

/// Opens the endpoint `name` of `service` on `subject`: subscribes in the service's queue group
/// and serves its requests in `tasks`, each read by `read` and answered by `handler`.
async fn open<R, H, F>(
    tasks: &mut JoinSet<()>,
    client: &async_nats::Client,
    service: &Micro,
    name: &str,
    subject: &str,
    read: R,
    handler: &Arc<H>,
) -> anyhow::Result<()>
where
    R: Fn(&async_nats::Message) -> Request + Send + 'static,
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Reply> + Send + 'static,
{
    let endpoint = service.endpoint(name, subject);
    let requests = client
        .queue_subscribe(subject.to_owned(), QUEUE_GROUP.to_owned())
        .await
        .map_err(|e| anyhow::anyhow!("endpoint {subject}: {e}"))?;
    tasks.spawn(serve(
        client.clone(),
        requests,
        endpoint,
        read,
        handler.clone(),
    ));
    Ok(())
}

async fn serve<R, H, F>(
    client: async_nats::Client,
    mut requests: async_nats::Subscriber,
    endpoint: Arc<Endpoint>,
    read: R,
    handler: Arc<H>,
) where
    R: Fn(&async_nats::Message) -> Request + Send + 'static,
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Reply> + Send + 'static,
{
    while let Some(msg) = requests.next().await {
        // A reply goes only to a requester's inbox: any other reply subject (the task bucket,
        // the event subjects, the JetStream API) would have the service publish there with its
        // own rights on a client's behalf.
        let Some(reply) = msg.reply.clone() else {
            continue;
        };
        if !is_inbox(&reply) {
            let subject = &endpoint.subject;
            warn!(%subject, %reply, "a request whose reply subject is no inbox; not answered");
            continue;
        }
        let issued = Instant::now();
        let answer = handler(read(&msg));
        let (client, endpoint) = (client.clone(), endpoint.clone());
        tokio::spawn(async move {
            let Reply { payload, error } = answer.await;
            let headers = micro::headers(error.as_ref());
            let sent = client
                .publish_with_headers(reply, headers, payload.into())
                .await;
            endpoint.answered(issued.elapsed(), error.as_ref());
            if let Err(e) = sent {
                warn!(error = %e, "could not answer a request");
            }
        });
    }
    // Only stopping the service ends an endpoint's requests (and then this task is aborted
    // first): anything else leaves the subject unanswered, so say so loudly.
    let subject = &endpoint.subject;
    tracing::error!(%subject, "the endpoint's request stream ended; its requests go unanswered");
}

/// Whether a reply subject is in the inbox namespace: `_INBOX.<…>`, or a per-user prefix
/// `_INBOX_<user>.<…>` (deploy/auth).
pub fn is_inbox(reply: &str) -> bool {
    let Some(rest) = reply.strip_prefix("_INBOX") else {
        return false;
    };
    let rest = match rest.strip_prefix('_') {
        Some(user) => match user.split_once('.') {
            Some((name, tail)) if !name.is_empty() => Some(tail),
            _ => None,
        },
        None => rest.strip_prefix('.'),
    };
    rest.is_some_and(|tail| {
        !tail.is_empty()
            && tail
                .split('.')
                .all(|token| !token.is_empty() && token != "*" && token != ">")
    })
}

#[cfg(test)]
mod tests {
    use super::is_inbox;

    #[test]
    fn only_inbox_subjects_are_answered() {
        for ok in ["_INBOX.abc", "_INBOX.abc.def", "_INBOX_pasta_client.x.y"] {
            assert!(is_inbox(ok), "{ok}");
        }
        for no in [
            "$KV.pasta_tasks.7d8c4b2e-0000-4000-8000-000000000001",
            "pasta.events.bod_pasta.success",
            "$JS.API.STREAM.DELETE.PASTA_JOBS",
            "_INBOX",
            "_INBOX.",
            "_INBOX_.x",
            "_INBOXX.x",
            "_INBOX.a..b",
            "_INBOX.>",
            "_INBOX_u",
            "pasta._INBOX.x",
        ] {
            assert!(!is_inbox(no), "{no}");
        }
    }
}
