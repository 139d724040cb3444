//! The ceiling mode: the bus operations of a job, exactly as pasta performs them, with nothing of
//! pasta in between: no parsing, no validation, no computation, no metrics, no logging.
//!
//! A skeleton service on a prefix of its own (`<prefix>_ceiling`, or `<prefix>_ceiling_memory`
//! with `--storage memory`, provisioned by
//! [`pasta::bus::provision`] like the real one) answers each submission with the KV create of
//! the PENDING record and the acked job publication (of the compact request, as pasta's); its
//! workers pull the jobs the way pasta's do (as many as there are free slots, `slots` of them),
//! write the SUCCESS record by compare-and-set on the PENDING revision (a small job goes
//! straight to its final state, as pasta's does), carrying a result computed once before the
//! run, publish the `success` event and ack.
//! The load side is the throughput mode itself, then the latency mode (one job at a time).
//! Whatever rate and round trip this reaches is what the bus allows any implementation of the
//! contract on this machine; pasta's own share is the difference.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::stream::StorageType;
use bytes::Bytes;
use futures::StreamExt;
use pasta::bus::jobs::REVISION_HEADER;
use pasta::bus::{Bus, BusSettings, JobFormat, Names, Pending, TASK_ID_HEADER};
use pasta::model::Limits;
use pasta::task::events::final_event;
use pasta::task::{now, store, TaskId, TaskRecord};
use serde_json::value::RawValue;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::TYPE;

/// What every skeleton job shares: the bus, the digest, the job message's payload (the compact
/// request, as pasta publishes it) and the precomputed result.
struct Skeleton {
    bus: Bus,
    digest: String,
    payload: Bytes,
    result: Box<RawValue>,
}

/// Starts the skeleton service on `url`; its names, and the tasks to abort when done.
pub async fn start(
    url: &str,
    auth: &pasta::bus::Auth,
    prefix: &str,
    body: &Bytes,
    slots: usize,
    storage: StorageType,
) -> anyhow::Result<(Names, JoinSet<()>)> {
    let job = pasta::model::body::parse(TYPE, body, &Limits::default())
        .map_err(|e| anyhow::anyhow!("the body: {e}"))?;
    let result = pasta::task::compute::compute(&job)
        .map_err(|e| anyhow::anyhow!("computing the body: {}", e.message))?;
    // A prefix per storage: a stream's storage cannot change once created.
    let suffix = match storage {
        StorageType::File => "ceiling",
        StorageType::Memory => "ceiling_memory",
    };
    let names = Names::new(&format!("{prefix}_{suffix}"))?;
    let client = pasta::bus::connect(url, auth).await?;
    let settings = BusSettings {
        storage,
        ..BusSettings::default()
    };
    let bus = Bus::open(client.clone(), names.clone(), settings).await?;
    let skeleton = Arc::new(Skeleton {
        bus,
        digest: pasta::model::body::digest(TYPE, body, &Default::default()),
        payload: Bytes::from(pasta::model::compact::encode(&job.request)),
        result,
    });
    let consumer: PullConsumer = skeleton
        .bus
        .js
        .get_stream(names.jobs_stream())
        .await?
        .get_consumer(&names.consumer(TYPE))
        .await
        .map_err(|e| anyhow::anyhow!("consumer: {e}"))?;
    let submissions = client.subscribe(names.submit_subject(TYPE)).await?;
    client.flush().await?;
    let mut tasks = JoinSet::new();
    tasks.spawn(respond(skeleton.clone(), submissions));
    tasks.spawn(work(skeleton, consumer, slots));
    Ok((names, tasks))
}

/// Submission: create the PENDING record, publish the job, answer the task id.
async fn respond(skeleton: Arc<Skeleton>, mut submissions: async_nats::Subscriber) {
    while let Some(msg) = submissions.next().await {
        let skeleton = skeleton.clone();
        tokio::spawn(async move {
            let (Some(reply), Some(Ok(id))) = (
                msg.reply.clone(),
                msg.headers
                    .as_ref()
                    .and_then(|h| h.get(TASK_ID_HEADER))
                    .map(|id| TaskId::parse(id.as_str())),
            ) else {
                return;
            };
            let record = TaskRecord::pending(&id, TYPE.as_str(), &skeleton.digest, &now());
            let bus = &skeleton.bus;
            let answer = match store::create(bus, &record).await {
                Ok(store::Create::New(revision)) => {
                    let payload = skeleton.payload.clone();
                    let pending = Pending {
                        revision,
                        digest: record.digest.clone(),
                        submitted_at: record.submitted_at.clone(),
                        topology: None,
                    };
                    match bus
                        .publish_job(TYPE, id.as_str(), &pending, JobFormat::Compact, payload)
                        .await
                    {
                        Ok(()) => format!(
                            r#"{{"status":true,"info":[],"data":{{"task_id":"{}"}}}}"#,
                            record.task_id
                        ),
                        Err(e) => format!(r#"{{"status":false,"info":"{e}"}}"#),
                    }
                }
                Ok(_) => r#"{"status":false,"info":"exists"}"#.to_string(),
                Err(e) => format!(r#"{{"status":false,"info":"{e}"}}"#),
            };
            let _ = bus.client.publish(reply, Bytes::from(answer)).await;
        });
    }
}

/// The workers: pull as many jobs as there are free slots, take each through its record's
/// transitions and events, ack.
async fn work(skeleton: Arc<Skeleton>, consumer: PullConsumer, slots: usize) {
    let slots = Arc::new(Semaphore::new(slots.max(1)));
    loop {
        drop(slots.acquire().await.expect("never closed"));
        let n = slots.available_permits().clamp(1, 16);
        let Ok(mut batch) = consumer
            .fetch()
            .max_messages(n)
            .expires(Duration::from_secs(5))
            .messages()
            .await
        else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        while let Some(Ok(msg)) = batch.next().await {
            let permit = slots.clone().acquire_owned().await.expect("never closed");
            let skeleton = skeleton.clone();
            tokio::spawn(async move {
                if let Err(e) = run_job(&skeleton, &msg).await {
                    eprintln!("ceiling: a job failed: {e:#}");
                }
                let _ = msg.ack().await;
                drop(permit);
            });
        }
    }
}

/// One delivery of a small job: SUCCESS straight from PENDING, then its event.
async fn run_job(skeleton: &Skeleton, msg: &async_nats::jetstream::Message) -> anyhow::Result<()> {
    let headers = msg.headers.as_ref().context("headers")?;
    let id = TaskId::parse(headers.get(TASK_ID_HEADER).context("task id")?.as_str())?;
    let revision: u64 = headers
        .get(REVISION_HEADER)
        .context("revision")?
        .as_str()
        .parse()?;
    let bus = &skeleton.bus;
    let started_at = now();
    let pending = TaskRecord::pending(&id, TYPE.as_str(), &skeleton.digest, &started_at);
    let record =
        pending
            .started(1, &started_at)
            .succeeded(Some(skeleton.result.clone()), None, 0.1, &now());
    store::replace(bus, &record, revision)
        .await?
        .context("SUCCESS lost its compare-and-set")?;
    bus.publish_event(TYPE, id.as_str(), "success", &final_event(TYPE, &record))
        .await?;
    Ok(())
}
