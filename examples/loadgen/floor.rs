//! The floor mode: the latency of the bus operations a job is made of (echo request-reply,
//! acked publish, KV get).
//!
//! The echo is measured twice: answered on the requester's own connection, and answered by a
//! second connection, as pasta's NATS service answers a client (each request and reply then
//! crosses two sockets and wakes two connection tasks). The second is the floor a status
//! query is compared with.

use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use futures::StreamExt;
use pasta::bus::Names;

use crate::stats::percentiles;
use crate::{row, Row};

/// The floor mode: the latency of the bus operations a job is made of.
pub(crate) async fn floor(
    client: &async_nats::Client,
    other: &async_nats::Client,
    names: &Names,
    queries: usize,
    pause: Duration,
    limit: Duration,
) -> anyhow::Result<Vec<Row>> {
    eprintln!("floor: {queries} operations of each kind");
    let echo_subject = format!("_loadgen.echo.{}", uuid::Uuid::new_v4().simple());
    let apart_subject = format!("{echo_subject}.apart");
    let echoing = [
        echo(client, &echo_subject).await?,
        echo(other, &apart_subject).await?,
    ];
    client.flush().await?;
    other.flush().await?;
    let js = async_nats::jetstream::new(client.clone());
    let stream_name = format!("{}_LOADGEN_FLOOR", names.prefix().to_uppercase());
    let stream_subject = format!("{}.loadgen.floor", names.prefix());
    js.get_or_create_stream(async_nats::jetstream::stream::Config {
        name: stream_name.clone(),
        subjects: vec![stream_subject.clone()],
        max_messages: 10_000,
        ..Default::default()
    })
    .await?;
    let kv = js.get_key_value(names.bucket()).await?;
    let key = uuid::Uuid::new_v4().hyphenated().to_string();
    kv.put(&key, Bytes::from_static(b"{}")).await?;
    let payload = Bytes::from(vec![b'x'; 512]);

    let mut rows = Vec::new();
    for what in [
        "core NATS request-reply (echo)",
        ECHO_APART,
        "JetStream publish, acked",
        "KV get (task bucket)",
    ] {
        let deadline = Instant::now() + limit;
        let mut took = Vec::with_capacity(queries);
        for i in 0..queries + 100 {
            if Instant::now() >= deadline {
                break;
            }
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            let t0 = Instant::now();
            match what {
                "core NATS request-reply (echo)" => {
                    client
                        .request(echo_subject.clone(), payload.clone())
                        .await?;
                }
                ECHO_APART => {
                    client
                        .request(apart_subject.clone(), payload.clone())
                        .await?;
                }
                "JetStream publish, acked" => {
                    js.publish(stream_subject.clone(), payload.clone())
                        .await?
                        .await?;
                }
                _ => {
                    kv.entry(&key).await?.context("the key is there")?;
                }
            }
            if i >= 100 {
                took.push(t0.elapsed());
            }
        }
        rows.push(row(
            "floor",
            format!("{what} p50/p99"),
            percentiles(&mut took, &[0.5, 0.99]),
        ));
    }
    for task in echoing {
        task.abort();
    }
    let _ = kv.purge(&key).await;
    js.delete_stream(&stream_name).await?;
    Ok(rows)
}

/// The row of the echo answered by a second connection.
const ECHO_APART: &str = "core NATS request-reply (echo, second connection)";

/// Answers every request on `subject` with its own payload, from `client`'s connection.
async fn echo(
    client: &async_nats::Client,
    subject: &str,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut requests = client.subscribe(subject.to_owned()).await?;
    let responder = client.clone();
    Ok(tokio::spawn(async move {
        while let Some(m) = requests.next().await {
            if let Some(reply) = m.reply {
                let _ = responder.publish(reply, m.payload).await;
            }
        }
    }))
}
