//! The throughput mode (and the ceiling's load side): jobs/s end to end under bounded
//! concurrency, each job submitted with its own task id.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::HeaderMap;
use bytes::Bytes;
use futures::StreamExt;
use pasta::bus::{Names, TASK_ID_HEADER};
use serde_json::{json, Value};

use crate::{row, Row, TYPE};

/// Submits one job with its own task id; the submission answer.
pub(crate) async fn submit(
    client: &async_nats::Client,
    names: &Names,
    body: &Bytes,
    task_id: &str,
) -> anyhow::Result<Value> {
    let mut headers = HeaderMap::new();
    headers.insert(TASK_ID_HEADER, task_id);
    let reply = client
        .request_with_headers(names.submit_subject(TYPE), headers, body.clone())
        .await
        .context("submission")?;
    Ok(serde_json::from_slice(&reply.payload)?)
}

/// The throughput mode: jobs/s end to end under bounded concurrency.
pub(crate) async fn throughput(
    mode: &'static str,
    client: &async_nats::Client,
    names: &Names,
    body: &Bytes,
    jobs: usize,
    concurrency: usize,
    limit: Duration,
) -> anyhow::Result<(Vec<Row>, usize)> {
    eprintln!("{mode}: {jobs} jobs, {concurrency} in flight");
    let ids: Arc<Vec<String>> = Arc::new(
        (0..jobs)
            .map(|_| uuid::Uuid::new_v4().hyphenated().to_string())
            .collect(),
    );
    let mut success = client
        .subscribe(names.event_subject(TYPE, "success"))
        .await?;
    let mut failure = client
        .subscribe(names.event_subject(TYPE, "failure"))
        .await?;
    client.flush().await?;
    let deadline = tokio::time::Instant::now() + limit;
    let start = Instant::now();

    // Completions: only this run's tasks, each counted once (events may be republished).
    let mut waiting: HashSet<String> = ids.iter().cloned().collect();
    let counter = tokio::spawn(async move {
        let (mut ok, mut failed, mut last) = (0usize, 0usize, None);
        while !waiting.is_empty() {
            let msg = tokio::select! {
                m = success.next() => m,
                m = failure.next() => m,
                _ = tokio::time::sleep_until(deadline) => break,
            };
            let Some(msg) = msg else { break };
            let event: Value = serde_json::from_slice(&msg.payload).unwrap_or(Value::Null);
            let Some(id) = event["task_id"].as_str() else {
                continue;
            };
            if waiting.remove(id) {
                if event["task_state"] == "SUCCESS" {
                    ok += 1;
                } else {
                    failed += 1;
                }
                last = Some(Instant::now());
            }
        }
        (ok, failed, last)
    });

    let next = Arc::new(AtomicUsize::new(0));
    let mut submitters = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (client, names, body, ids, next) = (
            client.clone(),
            names.clone(),
            body.clone(),
            ids.clone(),
            next.clone(),
        );
        submitters.spawn(async move {
            let (mut accepted, mut refused, mut first_refusal) = (0usize, 0usize, None);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= ids.len() || tokio::time::Instant::now() >= deadline {
                    break;
                }
                match submit(&client, &names, &body, &ids[i]).await {
                    Ok(answer) if answer["status"] == json!(true) => accepted += 1,
                    Ok(answer) => {
                        refused += 1;
                        first_refusal.get_or_insert(answer["info"].to_string());
                    }
                    Err(e) => {
                        refused += 1;
                        first_refusal.get_or_insert(format!("{e:#}"));
                    }
                }
            }
            (accepted, refused, first_refusal)
        });
    }
    let (mut accepted, mut refused, mut refusal) = (0, 0, None);
    while let Some(done) = submitters.join_next().await {
        let (a, r, f) = done?;
        accepted += a;
        refused += r;
        if refusal.is_none() {
            refusal = f;
        }
    }
    let submitted_in = start.elapsed();
    eprintln!(
        "{mode}: {accepted} submitted in {:.2} s; waiting for completions",
        submitted_in.as_secs_f64()
    );
    if let Some(r) = &refusal {
        eprintln!("{mode}: {refused} refused, first: {r}");
    }
    let (ok, failed, last) = counter.await?;
    let completed = ok + failed;
    let span = last.map(|l| l - start).unwrap_or(start.elapsed());
    let mut rows = vec![
        row(
            mode,
            "jobs submitted / refused",
            format!("{accepted} / {refused}"),
        ),
        row(
            mode,
            "jobs SUCCESS / FAILURE / missing",
            format!("{ok} / {failed} / {}", jobs - completed),
        ),
        row(
            mode,
            "submission rate (accepted)",
            format!(
                "{:.0} jobs/s over {:.2} s",
                accepted as f64 / submitted_in.as_secs_f64(),
                submitted_in.as_secs_f64()
            ),
        ),
        row(
            mode,
            "end to end (submit → SUCCESS event)",
            format!(
                "{:.0} jobs/s over {:.2} s",
                completed as f64 / span.as_secs_f64(),
                span.as_secs_f64()
            ),
        ),
    ];
    if completed < jobs {
        rows.push(row(
            mode,
            "note",
            format!("stopped by --time-limit {} s", limit.as_secs()),
        ));
    }
    Ok((rows, completed))
}
