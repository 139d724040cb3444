//! A NATS client of pasta for people: `pasta submit`, `pasta status`, `pasta watch`.
//!
//! Every answer fits in one message (contract §4), and so does every request: a body too large
//! for one message is uploaded to the object store as `body/<uuid>` and submitted as
//! `{"$ref": "body/<uuid>"}`, and a status whose result is named (`{"$ref": "result/<id>",
//! "size", "sha256"}`) has the object read, checked and put in its place. Both transparently.

use std::time::Duration;

use async_nats::HeaderMap;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{json, Value};

use super::{Names, TASK_ID_HEADER};
use crate::model::JobType;

/// How a `submit --wait` ended.
pub enum Ending {
    /// The status document of a finished task.
    Finished(Value),
    /// Submission refused: the error document.
    Refused(Value),
}

/// Sends a request and parses the JSON answer.
pub async fn request(
    client: &async_nats::Client,
    subject: String,
    headers: HeaderMap,
    payload: Bytes,
) -> anyhow::Result<Value> {
    let answer = tokio::time::timeout(
        Duration::from_secs(30),
        client.request_with_headers(subject.clone(), headers, payload),
    )
    .await
    .map_err(|_| anyhow::anyhow!("no answer on {subject}: is a pasta responder running?"))?
    .map_err(|e| anyhow::anyhow!("{subject}: {e}"))?;
    Ok(serde_json::from_slice(&answer.payload)?)
}

/// Room left in a message for its subject and headers.
const MESSAGE_ROOM: usize = 64 << 10;

/// Submits a body (uploaded first when too large for one message); the submission answer.
pub async fn submit(
    client: &async_nats::Client,
    names: &Names,
    t: JobType,
    body: Bytes,
    task_id: Option<&str>,
) -> anyhow::Result<Value> {
    let mut headers = HeaderMap::new();
    if let Some(id) = task_id {
        headers.insert(TASK_ID_HEADER, id);
    }
    let payload = if body.len() + MESSAGE_ROOM > client.server_info().max_payload {
        let name = format!("body/{}", uuid::Uuid::new_v4());
        let store = blobs(client, names).await?;
        store
            .put(name.as_str(), &mut body.as_ref())
            .await
            .map_err(|e| anyhow::anyhow!("uploading the body as {name}: {e}"))?;
        super::blob_ref::reference(&name)
    } else {
        body
    };
    request(client, names.submit_subject(t), headers, payload).await
}

/// A held topology request (contract §8): `op` is `put`, `change`, `delete` (naming `name`),
/// `get` or `list`. A put too large for one message is uploaded first, like a job body; a get
/// answered by reference (`{"$ref", "size", "sha256"}`) has the export read, checked and put
/// in its place.
pub async fn topology(
    client: &async_nats::Client,
    names: &Names,
    op: &str,
    name: Option<&str>,
    body: Bytes,
    expected: Option<u64>,
) -> anyhow::Result<Value> {
    let mut headers = HeaderMap::new();
    if let Some(r) = expected {
        headers.insert(
            super::responder::EXPECTED_REVISION_HEADER,
            r.to_string().as_str(),
        );
    }
    let subject = match name {
        Some(name) if op != "get" => format!("{}.{name}", names.topology_subject(op)),
        _ => names.topology_subject(op),
    };
    let payload = if body.len() + MESSAGE_ROOM > client.server_info().max_payload {
        let object = format!("body/{}", uuid::Uuid::new_v4());
        blobs(client, names)
            .await?
            .put(object.as_str(), &mut body.as_ref())
            .await
            .map_err(|e| anyhow::anyhow!("uploading the topology as {object}: {e}"))?;
        super::blob_ref::reference(&object)
    } else {
        body
    };
    let mut doc = request(client, subject, headers, payload).await?;
    if let Some(object) = doc["data"]["$ref"].as_str().map(str::to_owned) {
        let named = doc["data"].clone();
        let bytes = read_checked(client, names, &object, &named).await?;
        let network: Value = serde_json::from_slice(&bytes)?;
        doc["data"] = json!({
            "name": named["name"], "revision": named["revision"],
            "nodes": network["nodes"], "links": network["links"],
        });
    }
    Ok(doc)
}

/// An object of the blob store, checked against the size and SHA-256 an answer names.
async fn read_checked(
    client: &async_nats::Client,
    names: &Names,
    object: &str,
    named: &Value,
) -> anyhow::Result<Vec<u8>> {
    let mut reader = blobs(client, names)
        .await?
        .get(object)
        .await
        .map_err(|e| anyhow::anyhow!("reading {object}: {e}"))?;
    let mut bytes = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut bytes).await?;
    let digest = super::blob_ref::sha256_hex(&bytes);
    if Some(bytes.len() as u64) != named["size"].as_u64()
        || named["sha256"]
            .as_str()
            .is_some_and(|d| !d.is_empty() && d != digest)
    {
        anyhow::bail!("{object} read from the object store is not the one computed");
    }
    Ok(bytes)
}

/// The object store of large bodies and results.
async fn blobs(
    client: &async_nats::Client,
    names: &Names,
) -> anyhow::Result<async_nats::jetstream::object_store::ObjectStore> {
    async_nats::jetstream::new(client.clone())
        .get_object_store(names.blobs())
        .await
        .map_err(|e| anyhow::anyhow!("the object store {}: {e}", names.blobs()))
}

/// Puts a named result (`{"$ref", "size", "sha256"}`) of a status document in its place, read
/// from the object store and checked.
async fn inline_result(
    client: &async_nats::Client,
    names: &Names,
    doc: &mut Value,
) -> anyhow::Result<()> {
    let Some(name) = doc["data"]["data"]["$ref"].as_str().map(str::to_owned) else {
        return Ok(());
    };
    let named = doc["data"]["data"].clone();
    let bytes = read_checked(client, names, &name, &named).await?;
    doc["data"]["data"] = serde_json::from_slice(&bytes)?;
    Ok(())
}

/// The status document of a task.
pub async fn status(
    client: &async_nats::Client,
    names: &Names,
    task_id: &str,
    t: &str,
) -> anyhow::Result<Value> {
    let body = serde_json::to_vec(&json!({"task_id": task_id, "type": t}))?;
    let mut doc = request(
        client,
        names.status_subject(),
        HeaderMap::new(),
        body.into(),
    )
    .await?;
    inline_result(client, names, &mut doc).await?;
    Ok(doc)
}

/// Submits and waits for the task to finish, calling `progress` with each new status text.
pub async fn submit_and_wait(
    client: &async_nats::Client,
    names: &Names,
    t: JobType,
    body: Bytes,
    task_id: Option<&str>,
    mut progress: impl FnMut(&str),
) -> anyhow::Result<Ending> {
    let mut events = client
        .subscribe(format!("{}.events.{}.*", names.prefix(), t.as_str()))
        .await?;
    let answer = submit(client, names, t, body, task_id).await?;
    if answer["status"] != json!(true) {
        return Ok(Ending::Refused(answer));
    }
    let id = answer["data"]["task_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    progress(&format!("submitted: {id}"));
    let mut last = String::new();
    loop {
        let doc = status(client, names, &id, t.as_str()).await?;
        let state = doc["data"]["task_state"]
            .as_str()
            .unwrap_or("?")
            .to_string();
        if state == "SUCCESS" || state == "FAILURE" || doc["status"] != json!(true) {
            return Ok(Ending::Finished(doc));
        }
        let text = doc["data"]["info"].as_str().unwrap_or("").to_string();
        if text != last {
            progress(&text);
            last = text;
        }
        // Wake on this task's event, or poll again after a second.
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            while let Some(m) = events.next().await {
                if let Ok(e) = serde_json::from_slice::<Value>(&m.payload) {
                    if e["task_id"] == json!(id) {
                        return;
                    }
                }
            }
        })
        .await;
    }
}

/// Prints every completion event as a JSON line until interrupted.
pub async fn watch(client: &async_nats::Client, names: &Names) -> anyhow::Result<()> {
    let mut events = client.subscribe(names.events_wildcard()).await?;
    while let Some(m) = events.next().await {
        println!("{} {}", m.subject, String::from_utf8_lossy(&m.payload));
    }
    Ok(())
}
