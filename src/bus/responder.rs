//! The NATS service `pasta`: `pasta.submit.<type>` and `pasta.job.check_status` endpoints,
//! discoverable with `$SRV.PING`/`INFO`/`STATS`. What a request means is not decided here: each
//! becomes a [`Request`] for the handler the caller gives, whose bytes are the reply.

use std::future::Future;
use std::sync::Arc;

use async_nats::service::ServiceExt;
use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use tracing::warn;

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
}

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
    F: Future<Output = Vec<u8>> + Send + 'static,
{
    let names = &bus.names;
    let handler = Arc::new(handler);
    let nats_service = bus
        .client
        .service_builder()
        .description("pasta: SR-TE path computation jobs")
        .start(names.prefix(), env!("CARGO_PKG_VERSION"))
        .await
        .map_err(|e| anyhow::anyhow!("starting the NATS service: {e}"))?;
    let mut tasks = JoinSet::new();
    for t in JobType::ALL {
        let subject = names.submit_subject(t);
        let endpoint = nats_service
            .endpoint_builder()
            .name(format!("submit_{}", t.as_str()))
            .add(subject.clone())
            .await
            .map_err(|e| anyhow::anyhow!("endpoint {subject}: {e}"))?;
        let read = move |msg: &async_nats::Message| Request::Submit {
            job_type: t,
            body: msg.payload.clone(),
            task_id: msg
                .headers
                .as_ref()
                .and_then(|h| h.get(TASK_ID_HEADER))
                .map(|v| v.as_str().to_string()),
        };
        tasks.spawn(serve(subject, endpoint, read, handler.clone()));
    }
    let subject = names.status_subject();
    let endpoint = nats_service
        .endpoint_builder()
        .name("check_status")
        .add(subject.clone())
        .await
        .map_err(|e| anyhow::anyhow!("endpoint {subject}: {e}"))?;
    let read = |msg: &async_nats::Message| Request::Status {
        query: msg.payload.clone(),
    };
    tasks.spawn(serve(subject, endpoint, read, handler.clone()));
    // The subscriptions reach the server before anyone is told they exist.
    bus.client
        .flush()
        .await
        .map_err(|e| anyhow::anyhow!("registering the NATS service: {e}"))?;
    let _ = ready.send(());
    let _ = shutdown.wait_for(|s| *s).await;
    tasks.abort_all();
    let _ = nats_service.stop().await;
    Ok(())
}

async fn serve<R, H, F>(
    subject: String,
    mut endpoint: async_nats::service::endpoint::Endpoint,
    read: R,
    handler: Arc<H>,
) where
    R: Fn(&async_nats::Message) -> Request + Send + 'static,
    H: Fn(Request) -> F + Send + Sync + 'static,
    F: Future<Output = Vec<u8>> + Send + 'static,
{
    while let Some(req) = endpoint.next().await {
        // A reply goes only to a requester's inbox: any other reply subject (the task bucket,
        // the event subjects, the JetStream API) would have the service publish there with its
        // own rights on a client's behalf.
        let Some(reply) = req.message.reply.as_ref() else {
            continue;
        };
        if !is_inbox(reply) {
            warn!(%subject, %reply, "a request whose reply subject is no inbox; not answered");
            continue;
        }
        let answer = handler(read(&req.message));
        tokio::spawn(async move {
            let bytes = answer.await;
            if let Err(e) = req.respond(Ok(bytes.into())).await {
                warn!(error = %e, "could not answer a request");
            }
        });
    }
    // Only stopping the service ends an endpoint's requests (and then this task is aborted
    // first): anything else leaves the subject unanswered, so say so loudly.
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
