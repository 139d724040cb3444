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
    let blobs = object_store(
        js,
        object_store::Config {
            bucket: names.blobs(),
            description: Some("pasta large bodies and results".into()),
            max_age: s.retention,
            storage: s.storage,
            num_replicas: s.replicas,
            compression: true,
            ..Default::default()
        },
    )
    .await?;
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
    let snapshots = object_store(
        js,
        object_store::Config {
            bucket: names.topology_snapshots(),
            description: Some("pasta held topologies' snapshots".into()),
            storage: s.storage,
            num_replicas: s.replicas,
            compression: true,
            ..Default::default()
        },
    )
    .await?;
    Ok(Stores {
        tasks,
        blobs,
        topologies,
        snapshots,
    })
}

/// An object store, created with `config` when it does not exist. Its stream compresses its
/// blocks (S2) either way: a store made by an earlier version is changed to, which applies to
/// the blocks written from then on.
///
/// Compressed because results are large and repetitive (the ids of a path's nodes and links,
/// over and over): the 10,000-router corner result of 24 MB takes about half a megabyte on
/// disk, and uncompressed, one such job after another writes faster than this machine's disk
/// takes it back from the page cache (README, "Held topologies").
async fn object_store(
    js: &jetstream::Context,
    config: object_store::Config,
) -> anyhow::Result<object_store::ObjectStore> {
    let bucket = config.bucket.clone();
    let store = match js.get_object_store(&bucket).await {
        Ok(store) => store,
        Err(_) => js
            .create_object_store(config)
            .await
            .map_err(|e| anyhow::anyhow!("creating object store {bucket}: {e}"))?,
    };
    let name = format!("OBJ_{bucket}");
    let mut stream = js
        .get_stream(&name)
        .await
        .map_err(|e| anyhow::anyhow!("reading stream {name}: {e}"))?;
    let info = stream
        .info()
        .await
        .map_err(|e| anyhow::anyhow!("reading stream {name}: {e}"))?;
    if info.config.compression != Some(stream::Compression::S2) {
        let config = stream::Config {
            compression: Some(stream::Compression::S2),
            ..info.config.clone()
        };
        js.update_stream(&config)
            .await
            .map_err(|e| anyhow::anyhow!("compressing stream {name}: {e}"))?;
    }
    Ok(store)
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
