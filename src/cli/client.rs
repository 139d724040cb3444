//! `pasta submit`, `status`, `watch`: a NATS client for people.

use std::process::ExitCode;
use std::time::Instant;

use serde_json::{json, Value};

use super::{read, url};
use crate::bus::{self, client, Names};
use crate::config::NatsArgs;
use crate::model::JobType;

/// `pasta submit`: exit 0 on SUCCESS (or once queued, without `--wait`), 1 on FAILURE or a
/// refusal, 2 on an invalid body.
pub async fn submit(
    job_type: &str,
    file: &str,
    wait: bool,
    task_id: Option<&str>,
    nats: &NatsArgs,
) -> anyhow::Result<ExitCode> {
    let t =
        JobType::parse(job_type).ok_or_else(|| anyhow::anyhow!("unknown job type {job_type:?}"))?;
    let body = read(file)?;
    let c = bus::connect(&url(nats), &nats.auth()?).await?;
    let names = Names::new(&nats.prefix)?;
    if !wait {
        let answer = client::submit(&c, &names, t, body.into(), task_id).await?;
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(exit_of_submission(&answer));
    }
    let started = Instant::now();
    let ending = client::submit_and_wait(&c, &names, t, body.into(), task_id, |text| {
        eprintln!("[{:>6.2}s] {text}", started.elapsed().as_secs_f64());
    })
    .await?;
    match ending {
        client::Ending::Refused(doc) => {
            eprintln!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(exit_of_submission(&doc))
        }
        client::Ending::Finished(doc) => {
            let state = doc["data"]["task_state"].as_str().unwrap_or("?");
            eprintln!("[{:>6.2}s] {state}", started.elapsed().as_secs_f64());
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(if state == "SUCCESS" {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

/// `pasta status`: the status document; exit 1 when it is an error document.
pub async fn status(task_id: &str, job_type: &str, nats: &NatsArgs) -> anyhow::Result<ExitCode> {
    let c = bus::connect(&url(nats), &nats.auth()?).await?;
    let doc = client::status(&c, &Names::new(&nats.prefix)?, task_id, job_type).await?;
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(if doc["status"] == json!(true) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// What `pasta jobs` asks for.
pub struct ListQuery<'a> {
    /// Only tasks of this job type.
    pub job_type: Option<&'a str>,
    /// Only tasks in this state.
    pub state: Option<&'a str>,
    /// At most this many.
    pub limit: Option<u32>,
}

/// `pasta jobs`: the recent tasks, one line each (id, type, state, submitted, time), or the
/// error document.
pub async fn jobs(query: ListQuery<'_>, nats: &NatsArgs) -> anyhow::Result<ExitCode> {
    let c = bus::connect(&url(nats), &nats.auth()?).await?;
    let names = Names::new(&nats.prefix)?;
    let mut body = serde_json::Map::new();
    if let Some(t) = query.job_type {
        body.insert("type".into(), json!(t));
    }
    if let Some(s) = query.state {
        body.insert("state".into(), json!(s));
    }
    if let Some(l) = query.limit {
        body.insert("limit".into(), json!(l));
    }
    let payload = serde_json::to_vec(&body)?;
    let doc = client::request(&c, names.list_subject(), Default::default(), payload.into()).await?;
    if doc["status"] != json!(true) {
        eprintln!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(ExitCode::FAILURE);
    }
    let empty = Vec::new();
    let tasks = doc["data"]["tasks"].as_array().unwrap_or(&empty);
    for t in tasks {
        let text = |k: &str| t[k].as_str().unwrap_or("-").to_owned();
        let state = match (t["stage"].as_str(), t["code"].as_str()) {
            (Some(stage), _) => format!("PENDING ({stage})"),
            (None, Some(code)) => format!("FAILURE ({code})"),
            _ => text("task_state"),
        };
        let time = t["time_ms"]
            .as_f64()
            .map(|ms| format!("{ms:.1} ms"))
            .unwrap_or_else(|| "-".into());
        println!(
            "{}  {:<17}  {:<22}  {}  {}",
            text("task_id"),
            text("type"),
            state,
            text("submitted_at"),
            time
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `pasta cancel`: the status document of the cancelled task, or the error document.
pub async fn cancel(task_id: &str, job_type: &str, nats: &NatsArgs) -> anyhow::Result<ExitCode> {
    let c = bus::connect(&url(nats), &nats.auth()?).await?;
    let names = Names::new(&nats.prefix)?;
    let body = serde_json::to_vec(&json!({"task_id": task_id, "type": job_type}))?;
    let doc = client::request(&c, names.cancel_subject(), Default::default(), body.into()).await?;
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(if doc["status"] == json!(true) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `pasta watch`: completion events as they come.
pub async fn watch(nats: &NatsArgs) -> anyhow::Result<ExitCode> {
    let c = bus::connect(&url(nats), &nats.auth()?).await?;
    client::watch(&c, &Names::new(&nats.prefix)?).await?;
    Ok(ExitCode::SUCCESS)
}

/// A `pasta topology` command.
pub struct TopologyRequest<'a> {
    /// `put`, `change`, `get`, `list` or `delete`.
    pub op: &'static str,
    /// The topology's name.
    pub name: Option<&'a str>,
    /// The document or change file (`-`: standard input).
    pub file: Option<&'a str>,
    /// `get --revision`.
    pub revision: Option<u64>,
    /// `--expect`: the `Pasta-Expected-Revision`.
    pub expect: Option<u64>,
}

/// `pasta topology …`: the answer document; exit 0 when done, 2 for an invalid topology or
/// change, 1 otherwise.
pub async fn topology(r: TopologyRequest<'_>, nats: &NatsArgs) -> anyhow::Result<ExitCode> {
    let body = match (r.file, r.op) {
        (Some(file), _) => read(file)?,
        (None, "get") => serde_json::to_vec(&json!({"name": r.name, "revision": r.revision}))?,
        (None, _) => b"{}".to_vec(),
    };
    let c = bus::connect(&url(nats), &nats.auth()?).await?;
    let names = Names::new(&nats.prefix)?;
    let doc = client::topology(&c, &names, r.op, r.name, body.into(), r.expect).await?;
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(exit_of_submission(&doc))
}

fn exit_of_submission(answer: &Value) -> ExitCode {
    if answer["status"] == json!(true) {
        ExitCode::SUCCESS
    } else if answer["info"]["code"] == "INVALID_BODY" {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}
