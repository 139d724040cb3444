//! The NATS service `pasta`: `pasta.submit.<type>` and `pasta.job.check_status` endpoints,
//! discoverable with `$SRV.PING`/`INFO`/`STATS`.

use async_nats::service::ServiceExt;
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use tracing::warn;

use super::TASK_ID_HEADER;
use crate::model::JobType;
use crate::service::{status, Service};

/// Serves the endpoints until `shutdown` turns true; `ready` is told once every endpoint is
/// registered (a client may submit from then on).
pub async fn run(
    service: Service,
    mut shutdown: watch::Receiver<bool>,
    ready: oneshot::Sender<()>,
) -> anyhow::Result<()> {
    let names = service.bus.names.clone();
    let nats_service = service
        .bus
        .client
        .service_builder()
        .description("pasta: SR-TE path computation jobs")
        .start(names.prefix(), env!("CARGO_PKG_VERSION"))
        .await
        .map_err(|e| anyhow::anyhow!("starting the NATS service: {e}"))?;
    let mut tasks = JoinSet::new();
    for t in JobType::ALL {
        let endpoint = nats_service
            .endpoint_builder()
            .name(format!("submit_{}", t.as_str()))
            .add(names.submit_subject(t))
            .await
            .map_err(|e| anyhow::anyhow!("endpoint {}: {e}", names.submit_subject(t)))?;
        let service = service.clone();
        tasks.spawn(serve(
            names.submit_subject(t),
            endpoint,
            move |msg: async_nats::Message| {
                let service = service.clone();
                async move {
                    let chosen = msg
                        .headers
                        .as_ref()
                        .and_then(|h| h.get(TASK_ID_HEADER))
                        .map(|v| v.as_str().to_string());
                    let doc = match service
                        .submit(t, msg.payload.clone(), chosen.as_deref())
                        .await
                    {
                        Ok(id) => status::submitted(&id),
                        Err(e) => e.document(),
                    };
                    serde_json::to_vec(&doc).expect("documents serialise")
                }
            },
        ));
    }
    let endpoint = nats_service
        .endpoint_builder()
        .name("check_status")
        .add(names.status_subject())
        .await
        .map_err(|e| anyhow::anyhow!("endpoint {}: {e}", names.status_subject()))?;
    let svc = service.clone();
    tasks.spawn(serve(
        names.status_subject(),
        endpoint,
        move |msg: async_nats::Message| {
            let service = svc.clone();
            async move {
                let query: Value = serde_json::from_slice(&msg.payload).unwrap_or(Value::Null);
                let id = query.get("task_id").and_then(Value::as_str);
                let t = query.get("type").and_then(Value::as_str);
                match service.status(id, t).await {
                    Ok(doc) => doc.get().as_bytes().to_vec(),
                    Err(e) => serde_json::to_vec(&e.document()).expect("documents serialise"),
                }
            }
        },
    ));
    // The subscriptions reach the server before anyone is told they exist.
    service
        .bus
        .client
        .flush()
        .await
        .map_err(|e| anyhow::anyhow!("registering the NATS service: {e}"))?;
    let _ = ready.send(());
    let _ = shutdown.wait_for(|s| *s).await;
    tasks.abort_all();
    let _ = nats_service.stop().await;
    Ok(())
}

async fn serve<F, Fut>(
    subject: String,
    mut endpoint: async_nats::service::endpoint::Endpoint,
    answer: F,
) where
    F: Fn(async_nats::Message) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Vec<u8>> + Send + 'static,
{
    let answer = std::sync::Arc::new(answer);
    while let Some(req) = endpoint.next().await {
        let answer = answer.clone();
        tokio::spawn(async move {
            let bytes = answer(req.message.clone()).await;
            if let Err(e) = req.respond(Ok(bytes.into())).await {
                warn!(error = %e, "could not answer a request");
            }
        });
    }
    // Only stopping the service ends an endpoint's requests (and then this task is aborted
    // first): anything else leaves the subject unanswered, so say so loudly.
    tracing::error!(%subject, "the endpoint's request stream ended; its requests go unanswered");
}
