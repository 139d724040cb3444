//! The latency mode: one job at a time, submit → STARTED (only jobs that last past
//! `PASTA_STARTED_AFTER_MS` have one) and submit → SUCCESS events.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use futures::StreamExt;
use pasta::bus::Names;
use serde_json::{json, Value};

use crate::stats::percentiles;
use crate::throughput::submit;
use crate::{row, Row, TYPE};

/// The latency mode: one job at a time, submit → SUCCESS event.
pub(crate) async fn latency(
    label: &'static str,
    client: &async_nats::Client,
    names: &Names,
    body: &Bytes,
    samples: usize,
    pause: Duration,
    limit: Duration,
) -> anyhow::Result<(Vec<Row>, usize)> {
    eprintln!("latency: {samples} jobs one at a time, {pause:?} apart");
    let mut events = client
        .subscribe(format!("{}.events.{}.*", names.prefix(), TYPE.as_str()))
        .await?;
    client.flush().await?;
    let deadline = Instant::now() + limit;
    let (mut replies, mut starts, mut ends) = (Vec::new(), Vec::new(), Vec::new());
    let mut ran = 0;
    // A few unmeasured jobs first: connections, consumers and caches warm.
    for i in 0..samples + 20 {
        if Instant::now() >= deadline {
            break;
        }
        let id = uuid::Uuid::new_v4().hyphenated().to_string();
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        let t0 = Instant::now();
        // Events are timed as they arrive, even before the submission's reply.
        let submission = async {
            let answer = submit(client, names, body, &id).await;
            (answer, t0.elapsed())
        };
        let completion = tokio::time::timeout(Duration::from_secs(30), async {
            let mut started = None;
            while let Some(m) = events.next().await {
                let e: Value = serde_json::from_slice(&m.payload).unwrap_or(Value::Null);
                if e["task_id"] != json!(id) {
                    continue;
                }
                if e["task_state"] == "STARTED" {
                    started = Some(t0.elapsed());
                } else {
                    let state = e["task_state"].as_str().unwrap_or("?").to_string();
                    return (state, started, t0.elapsed());
                }
            }
            ("no events".into(), started, t0.elapsed())
        });
        let ((answer, replied), completion) = tokio::join!(submission, completion);
        let answer = answer?;
        if answer["status"] != json!(true) {
            bail!("submission refused: {answer}");
        }
        let (state, started, done) = completion.context("no completion event within 30 s")?;
        if state != "SUCCESS" {
            bail!("task {id} ended {state}");
        }
        ran += 1;
        if i >= 20 {
            replies.push(replied);
            starts.extend(started);
            ends.push(done);
        }
    }
    let qs = [0.5, 0.9, 0.99];
    let rows = vec![
        row(label, "jobs measured", ends.len().to_string()),
        row(
            label,
            "submission reply p50/p90/p99",
            percentiles(&mut replies, &qs),
        ),
        // A job that ends within PASTA_STARTED_AFTER_MS has no STARTED event.
        row(
            label,
            "jobs with a STARTED event",
            format!("{} of {}", starts.len(), ends.len()),
        ),
        row(
            label,
            "submit → STARTED event p50/p90/p99",
            percentiles(&mut starts, &qs),
        ),
        row(
            label,
            "submit → SUCCESS event p50/p90/p99",
            percentiles(&mut ends, &qs),
        ),
    ];
    Ok((rows, ran))
}
