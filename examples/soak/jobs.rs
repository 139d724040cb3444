//! Submission, status and events: the service in-process, the submitters, the completion
//! events counted per task, the drain that polls every answered task until it is final.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use async_nats::HeaderMap;
use bytes::Bytes;
use futures::StreamExt;
use pasta::app::{self, Parts, Settings};
use pasta::bus::{BusSettings, Names, TASK_ID_HEADER};
use pasta::model::JobType;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::cases::Case;
use crate::processes::lock;
use crate::{Args, ACK_WAIT_SECS, REQUEST_TIMEOUT, STATUS_CONCURRENCY};

/// What became of one submission.
#[derive(Debug)]
pub(crate) enum Submission {
    /// Answered with this task id (retries: UNAVAILABLE answers, missing replies).
    Answered { unavailable: u32, no_reply: u32 },
    /// Refused with another error: the answer.
    Refused(Value),
    /// Never answered before submitting stopped.
    Unanswered { unavailable: u32, no_reply: u32 },
}

pub(crate) struct Task {
    pub(crate) id: String,
    pub(crate) case: usize,
    pub(crate) outcome: Submission,
}

pub(crate) async fn request(
    client: &async_nats::Client,
    subject: String,
    headers: HeaderMap,
    payload: Bytes,
) -> anyhow::Result<Value> {
    let reply = tokio::time::timeout(
        REQUEST_TIMEOUT,
        client.request_with_headers(subject, headers, payload),
    )
    .await
    .context("no reply in time")??;
    Ok(serde_json::from_slice(&reply.payload)?)
}

/// Submits one job until it is answered (UNAVAILABLE and missing replies retried with the same
/// id) or `stop_at` passes.
pub(crate) async fn submit_one(
    client: &async_nats::Client,
    names: &Names,
    case: &Case,
    id: &str,
    stop_at: tokio::time::Instant,
) -> Submission {
    let (mut unavailable, mut no_reply) = (0, 0);
    let mut backoff = Duration::from_millis(100);
    loop {
        let mut headers = HeaderMap::new();
        headers.insert(TASK_ID_HEADER, id);
        let subject = names.submit_subject(case.job_type);
        match request(client, subject, headers, case.body.clone()).await {
            Ok(answer) if answer["status"] == json!(true) => {
                if answer["data"]["task_id"] != json!(id) {
                    return Submission::Refused(json!({"wrong task id in answer": answer}));
                }
                return Submission::Answered {
                    unavailable,
                    no_reply,
                };
            }
            Ok(answer) if answer["info"]["code"] == "UNAVAILABLE" => unavailable += 1,
            Ok(answer) => return Submission::Refused(answer),
            Err(_) => no_reply += 1,
        }
        if tokio::time::Instant::now() + backoff > stop_at {
            return Submission::Unanswered {
                unavailable,
                no_reply,
            };
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

pub(crate) async fn status(
    client: &async_nats::Client,
    names: &Names,
    id: &str,
    t: JobType,
) -> anyhow::Result<Value> {
    let q = serde_json::to_vec(&json!({"task_id": id, "type": t.as_str()}))?;
    request(client, names.status_subject(), HeaderMap::new(), q.into()).await
}

pub(crate) fn is_final(doc: &Value) -> bool {
    matches!(
        doc["data"]["task_state"].as_str(),
        Some("SUCCESS" | "FAILURE")
    )
}

/// What the completion events said about one task.
#[derive(Default, Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) started: u32,
    pub(crate) max_attempt: u64,
    pub(crate) finals: u32,
}

/// Provisions the bus and starts the NATS service in-process, with the bus settings the
/// workers' flags give; its stop signal and handle.
pub(crate) async fn start_service(
    url: &str,
    names: &Names,
) -> anyhow::Result<(
    watch::Sender<bool>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
)> {
    let settings = Settings {
        bus: BusSettings {
            ack_wait: Duration::from_secs(ACK_WAIT_SECS),
            ..BusSettings::default()
        },
        ..Settings::defaults(names.clone())
    };
    let client = pasta::bus::connect(url, &Default::default()).await?;
    app::service(client.clone(), &settings, &[])
        .await
        .context("provisioning")?;
    let (stop, shutdown) = watch::channel(false);
    let parts = Parts {
        workers: None,
        responder: true,
        http: None,
        metrics: None,
    };
    Ok((
        stop,
        tokio::spawn(app::run(client, settings, parts, shutdown)),
    ))
}

pub(crate) async fn wait_for_service(
    client: &async_nats::Client,
    names: &Names,
) -> anyhow::Result<()> {
    for _ in 0..250 {
        let probe = request(
            client,
            names.status_subject(),
            HeaderMap::new(),
            "{}".into(),
        );
        if probe.await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("the NATS service did not come up")
}

/// Counts the completion events of every task (attempts, STARTED and final events).
pub(crate) async fn listen_events(
    client: &async_nats::Client,
    prefix: &str,
    seen: Arc<Mutex<HashMap<String, Seen>>>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut events = client.subscribe(format!("{prefix}.events.>")).await?;
    client.flush().await?;
    Ok(tokio::spawn(async move {
        while let Some(msg) = events.next().await {
            let Ok(e) = serde_json::from_slice::<Value>(&msg.payload) else {
                continue;
            };
            let Some(id) = e["task_id"].as_str() else {
                continue;
            };
            let mut seen = lock(&seen);
            let s = seen.entry(id.to_string()).or_default();
            s.max_attempt = s.max_attempt.max(e["attempt"].as_u64().unwrap_or(0));
            match e["task_state"].as_str() {
                Some("STARTED") => s.started += 1,
                _ => s.finals += 1,
            }
        }
    }))
}

/// Submits the jobs (paced or in a burst) until all are submitted or `--minutes` is up.
pub(crate) async fn submit_all(
    client: &async_nats::Client,
    names: &Names,
    cases: &Arc<Vec<Case>>,
    args: &Args,
    interrupted: &Arc<AtomicBool>,
) -> anyhow::Result<(Vec<Task>, Duration)> {
    let minutes = Duration::from_secs_f64(args.minutes * 60.0);
    let start = tokio::time::Instant::now();
    let stop_at = start + minutes;
    let interval = if args.burst {
        Duration::ZERO
    } else {
        minutes.mul_f64(0.9).div_f64(args.jobs as f64)
    };
    eprintln!(
        "soak: submitting {} jobs ({} in flight at most, {}), for at most {:.1} min",
        args.jobs,
        args.concurrency,
        if args.burst {
            "burst".to_string()
        } else {
            format!("one every {:.0} ms", interval.as_secs_f64() * 1000.0)
        },
        args.minutes
    );
    let next = Arc::new(AtomicUsize::new(0));
    let mut submitters = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency.max(1) {
        let (client, names, cases, next, interrupted) = (
            client.clone(),
            names.clone(),
            cases.clone(),
            next.clone(),
            interrupted.clone(),
        );
        let jobs = args.jobs;
        submitters.spawn(async move {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= jobs {
                    break;
                }
                let at = start + interval.mul_f64(i as f64);
                if at >= stop_at {
                    break;
                }
                tokio::time::sleep_until(at).await;
                if tokio::time::Instant::now() >= stop_at || interrupted.load(Ordering::SeqCst) {
                    break;
                }
                let case = i % cases.len();
                let id = uuid::Uuid::new_v4().hyphenated().to_string();
                let outcome = submit_one(&client, &names, &cases[case], &id, stop_at).await;
                done.push(Task { id, case, outcome });
                if i % 500 == 499 {
                    eprintln!("soak: {} submitted", i + 1);
                }
            }
            done
        });
    }
    let mut tasks = Vec::new();
    while let Some(done) = submitters.join_next().await {
        tasks.extend(done?);
    }
    Ok((tasks, start.elapsed()))
}

/// Polls every answered task until all are final or `bound` passes; the last status document
/// of each.
pub(crate) async fn drain(
    client: &async_nats::Client,
    names: &Names,
    cases: &[Case],
    tasks: &[Task],
    bound: Duration,
    interrupted: &AtomicBool,
) -> HashMap<usize, Value> {
    let mut docs = HashMap::new();
    let mut open: Vec<usize> = (0..tasks.len())
        .filter(|&i| matches!(tasks[i].outcome, Submission::Answered { .. }))
        .collect();
    let stop_at = Instant::now() + bound;
    loop {
        let polled: Vec<(usize, anyhow::Result<Value>)> = futures::stream::iter(open.clone())
            .map(|i| async move {
                let t = &tasks[i];
                (
                    i,
                    status(client, names, &t.id, cases[t.case].job_type).await,
                )
            })
            .buffer_unordered(STATUS_CONCURRENCY)
            .collect()
            .await;
        open.clear();
        for (i, doc) in polled {
            let doc = doc.unwrap_or_else(|e| json!({"status": false, "soak": format!("{e:#}")}));
            if !is_final(&doc) {
                open.push(i);
            }
            docs.insert(i, doc);
        }
        if open.is_empty() || Instant::now() >= stop_at || interrupted.load(Ordering::SeqCst) {
            return docs;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The state of a task as the summary counts it: `SUCCESS`, `FAILURE <code>`,
/// `PENDING (<stage>)` or `error <code>`.
pub(crate) fn state_of(doc: &Value) -> String {
    let data = &doc["data"];
    match data["task_state"].as_str() {
        Some("SUCCESS") => "SUCCESS".to_string(),
        Some("FAILURE") => format!("FAILURE {}", data["error"]["code"].as_str().unwrap_or("?")),
        Some("PENDING") => format!(
            "PENDING ({})",
            data["progress"]["stage"].as_str().unwrap_or("?")
        ),
        _ => format!(
            "error {}",
            doc["info"]["code"]
                .as_str()
                .or(doc["soak"].as_str())
                .unwrap_or("?")
        ),
    }
}
