//! Creates or updates every JetStream resource at start-up, from one place.

use async_nats::jetstream::{self, consumer, kv, object_store, stream};

use super::{BusSettings, Names};
use crate::model::JobType;

/// Creates or updates the job stream (a work queue deduplicating by `Nats-Msg-Id`), the events
/// stream, one durable pull consumer per job type, the task bucket, the blob store, and the
/// bucket and object store of held topologies.
pub async fn provision(
    js: &jetstream::Context,
    names: &Names,
    s: &BusSettings,
) -> anyhow::Result<Stores> {
    js.create_or_update_stream(stream::Config {
        name: names.jobs_stream(),
        description: Some("pasta jobs, one subject per job type".into()),
        subjects: vec![names.jobs_wildcard()],
        retention: stream::RetentionPolicy::WorkQueue,
        storage: s.storage,
        num_replicas: s.replicas,
        max_age: s.job_max_age,
        max_messages: s.queue_max_msgs,
        discard: stream::DiscardPolicy::New,
        duplicate_window: std::time::Duration::from_secs(120),
        ..Default::default()
    })
    .await
    .map_err(|e| anyhow::anyhow!("creating stream {}: {e}", names.jobs_stream()))?;
    js.create_or_update_stream(stream::Config {
        name: names.events_stream(),
        description: Some("pasta completion events".into()),
        subjects: vec![names.events_wildcard(), names.topology_changed_wildcard()],
        retention: stream::RetentionPolicy::Limits,
        storage: s.storage,
        num_replicas: s.replicas,
        max_age: s.retention,
        duplicate_window: std::time::Duration::from_secs(120),
        ..Default::default()
    })
    .await
    .map_err(|e| anyhow::anyhow!("creating stream {}: {e}", names.events_stream()))?;
    let jobs = js.get_stream(names.jobs_stream()).await?;
    for t in JobType::ALL {
        let config = consumer::pull::Config {
            durable_name: Some(names.consumer(t)),
            description: Some(format!("pasta workers for {t}")),
            filter_subject: names.job_subject(t),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: s.ack_wait,
            max_deliver: s.max_deliver,
            max_ack_pending: 10_000,
            num_replicas: s.replicas,
            ..Default::default()
        };
        jobs.create_consumer(config)
            .await
            .map_err(|e| anyhow::anyhow!("creating consumer {}: {e}", names.consumer(t)))?;
    }
    let tasks = js
        .create_or_update_key_value(kv::Config {
            bucket: names.bucket(),
            description: "pasta task records".into(),
            history: 1,
            max_age: s.retention,
            storage: s.storage,
            num_replicas: s.replicas,
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow::anyhow!("creating bucket {}: {e}", names.bucket()))?;
    let blobs = match js.get_object_store(names.blobs()).await {
        Ok(store) => store,
        Err(_) => js
            .create_object_store(object_store::Config {
                bucket: names.blobs(),
                description: Some("pasta large bodies and results".into()),
                max_age: s.retention,
                storage: s.storage,
                num_replicas: s.replicas,
                ..Default::default()
            })
            .await
            .map_err(|e| anyhow::anyhow!("creating object store {}: {e}", names.blobs()))?,
    };
    let topologies = js
        .create_or_update_key_value(kv::Config {
            bucket: names.topology_bucket(),
            description: "pasta held topologies: heads, revisions, pins".into(),
            history: 1,
            storage: s.storage,
            num_replicas: s.replicas,
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow::anyhow!("creating bucket {}: {e}", names.topology_bucket()))?;
    let snapshots = match js.get_object_store(names.topology_snapshots()).await {
        Ok(store) => store,
        Err(_) => js
            .create_object_store(object_store::Config {
                bucket: names.topology_snapshots(),
                description: Some("pasta held topologies' snapshots".into()),
                storage: s.storage,
                num_replicas: s.replicas,
                ..Default::default()
            })
            .await
            .map_err(|e| {
                anyhow::anyhow!("creating object store {}: {e}", names.topology_snapshots())
            })?,
    };
    Ok(Stores {
        tasks,
        blobs,
        topologies,
        snapshots,
    })
}

/// The buckets and object stores of a deployment.
pub struct Stores {
    /// Task records.
    pub tasks: kv::Store,
    /// Large bodies and results.
    pub blobs: object_store::ObjectStore,
    /// Held topologies' heads, revisions and pins.
    pub topologies: kv::Store,
    /// Held topologies' snapshots.
    pub snapshots: object_store::ObjectStore,
}
