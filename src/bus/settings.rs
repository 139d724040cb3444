//! The bus's tunables: retention, delivery bounds, queue size, replicas, storage.

use std::time::Duration;

use async_nats::jetstream::stream::StorageType;

/// How the JetStream resources are shaped and how workers deliver.
#[derive(Debug, Clone)]
pub struct BusSettings {
    /// Replicas of every stream and bucket (3 in a cluster).
    pub replicas: usize,
    /// How long task records, results and events are kept.
    pub retention: Duration,
    /// How long a queued job may wait (shorter than `retention`).
    pub job_max_age: Duration,
    /// Most queued jobs; beyond, submissions are refused as UNAVAILABLE.
    pub queue_max_msgs: i64,
    /// Time a delivery may go without an ack or progress before redelivery.
    pub ack_wait: Duration,
    /// Deliveries of one job; the last one only records GAVE_UP.
    pub max_deliver: i64,
    /// Bodies and results larger than this go to the blob store.
    pub inline_limit: usize,
    /// How long a client waits for JetStream before UNAVAILABLE.
    pub request_timeout: Duration,
    /// Where streams and buckets keep their messages: `File` in every deployment (the contract's
    /// job stream is file storage). `Memory` exists to measure what storage costs: loadgen's
    /// ceiling mode with `--storage memory` gives the rate of the bus operations with no disk
    /// at all, an upper bound for any configuration.
    pub storage: StorageType,
}

impl Default for BusSettings {
    fn default() -> Self {
        BusSettings {
            replicas: 1,
            retention: Duration::from_secs(24 * 3600),
            job_max_age: Duration::from_secs(12 * 3600),
            queue_max_msgs: 100_000,
            ack_wait: Duration::from_secs(30),
            max_deliver: 10,
            inline_limit: 1 << 20,
            request_timeout: Duration::from_secs(5),
            storage: StorageType::File,
        }
    }
}
