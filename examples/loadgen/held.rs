//! The held mode (contract §8): a geometric topology of `--nodes` routers with four QoS
//! classes per link is put once, then single-policy jobs name it instead of carrying it.
//!
//! - put: the time to store the topology (uploaded through the blob store when larger than a
//!   message, as `pasta topology put` does);
//! - jobs by reference, one at a time: submit → SUCCESS event, p50/p99, entries
//!   `[{"algo": 0}, {"algo": 1, "top": 10}]`: the policy of `examples/gen_topology.rs` (the
//!   nodes nearest two opposite corners, the engine benchmark's), then as many between two
//!   nodes drawn at random (seeded);
//! - the store's floor: the last corner job's result stored again as a worker stores a result,
//!   with nothing else (no computation, no serialising, no record): what any implementation
//!   pays on this bus to answer with it;
//! - changes: one link's IGP metric, the answer's time p50/p99, the first job after each
//!   change, and a second job on the same revision: the steady time at the same point of the
//!   run, which the first is compared with (large results fill the store as the run goes on, and
//!   jobs late in a run can be slower for that alone);
//! - throughput: `--jobs` jobs by reference, `--concurrency` in flight, one fixed policy;
//! - memory: VmHWM and VmRSS of `--pasta-pid` (a running `pasta serve`), or of this process
//!   with `--embedded`.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use async_nats::jetstream::object_store;
use bytes::Bytes;
use futures::StreamExt;
use pasta::bus::{object, Names};
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;

use crate::gen;
use crate::stats::{median, percentiles};
use crate::throughput::{submit, throughput};
use crate::{row, Row, TYPE};

/// The QoS classes of every link (the generator's `Gold` and three more).
const CLASSES: [&str; 4] = ["Gold", "Silver", "Bronze", "Best"];

/// The topology document: the generator's, with four classes per link.
pub(crate) fn document(nodes: usize) -> Value {
    let topo = gen::topology(nodes, 1, 4);
    let mut links = topo.links_json();
    for link in links.iter_mut() {
        let gold = link["qos_class"][0].clone();
        let classes: Vec<Value> = CLASSES
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut q = gold.clone();
                q["class"] = json!(c);
                if i > 0 {
                    let reserve =
                        gold["bandwidth_reserve"].as_f64().unwrap_or(0.0) / (i + 1) as f64;
                    q["bandwidth_reserve"] = json!(reserve.floor());
                    q["bandwidth_available"] = json!((reserve / 2.0).floor());
                }
                q
            })
            .collect();
        link["qos_class"] = Value::Array(classes);
    }
    json!({"nodes": topo.nodes_json(), "links": links})
}

/// A job body naming the held topology, one policy `he → te`.
pub(crate) fn job(name: &str, he: usize, te: usize) -> Bytes {
    let body = json!({
        "topology": {"name": name},
        "sr_policy": {"id": "P1", "he": gen::node_id(he), "te": gen::node_id(te), "metric": "igp"},
        "global": {"algorithm": [{"algo": 0}, {"algo": 1, "top": 10}]},
    });
    Bytes::from(serde_json::to_vec(&body).expect("JSON"))
}

/// One job by reference, submit → its SUCCESS event: the time.
async fn one_job(
    client: &async_nats::Client,
    names: &Names,
    events: &mut async_nats::Subscriber,
    body: &Bytes,
) -> anyhow::Result<Duration> {
    Ok(one_task(client, names, events, body).await?.0)
}

/// One job by reference, submit → its SUCCESS event: the time and the task id.
pub(crate) async fn one_task(
    client: &async_nats::Client,
    names: &Names,
    events: &mut async_nats::Subscriber,
    body: &Bytes,
) -> anyhow::Result<(Duration, String)> {
    let id = uuid::Uuid::new_v4().hyphenated().to_string();
    let t0 = Instant::now();
    let answer = submit(client, names, body, &id).await?;
    if answer["status"] != json!(true) {
        bail!("submission refused: {answer}");
    }
    loop {
        let m = tokio::time::timeout(Duration::from_secs(60), events.next())
            .await
            .context("no event within 60 s")?
            .context("events ended")?;
        let e: Value = serde_json::from_slice(&m.payload).unwrap_or(Value::Null);
        if e["task_id"] != json!(id) || e["task_state"] == "STARTED" {
            continue;
        }
        if e["task_state"] != "SUCCESS" {
            bail!("job {id} ended {}", e["task_state"]);
        }
        return Ok((t0.elapsed(), id));
    }
}

/// What storing a corner job's result costs the bus alone: the result of task `task_id` read
/// back, then stored `samples` times as a worker stores a result (chunks of the worker's size
/// hashed with SHA-256 and sent with up to [`object::WINDOW`] in flight, then the object's
/// info, `bus::object`), each under a scratch name deleted after. No computation, no
/// serialising, no task record: what any implementation of the contract pays on this bus to
/// answer with that result.
async fn store_floor(
    client: &async_nats::Client,
    names: &Names,
    task_id: &str,
    samples: usize,
) -> anyhow::Result<Vec<Row>> {
    let js = async_nats::jetstream::new(client.clone());
    let bucket = names.blobs();
    let store = js.get_object_store(&bucket).await?;
    let mut result = match store.get(format!("result/{task_id}")).await {
        Ok(object) => object,
        // A result small enough to be inline in its record: nothing to measure.
        Err(e) if e.kind() == object_store::GetErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut data = Vec::new();
    result.read_to_end(&mut data).await?;
    let data = Bytes::from(data);
    let chunk = object::chunk_size(client.server_info().max_payload);
    let mut took = Vec::with_capacity(samples);
    for _ in 0..samples {
        let name = format!("loadgen/{}", uuid::Uuid::new_v4().simple());
        let t0 = Instant::now();
        let mut write = object::ObjectWrite::new(&js, &bucket, &name, chunk)?;
        write.push_all(data.clone()).await?;
        write.commit(&store).await?;
        took.push(t0.elapsed());
        store.delete(&name).await?;
    }
    Ok(vec![row(
        "held",
        format!(
            "storing that result alone ({:.1} MB, {} times) p50 / p99",
            data.len() as f64 / 1e6,
            took.len()
        ),
        percentiles(&mut took, &[0.5, 0.99]),
    )])
}

/// VmHWM and VmRSS of a process, MiB.
fn memory(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
    };
    Some((kib("VmHWM:")? / 1024.0, kib("VmRSS:")? / 1024.0))
}

/// What the held mode is given.
pub(crate) struct Held<'a> {
    pub(crate) client: &'a async_nats::Client,
    pub(crate) names: &'a Names,
    pub(crate) nodes: usize,
    pub(crate) samples: usize,
    pub(crate) changes: usize,
    pub(crate) jobs: usize,
    pub(crate) concurrency: usize,
    pub(crate) limit: Duration,
    pub(crate) pid: Option<u32>,
}

/// The held mode's rows.
pub(crate) async fn held(h: Held<'_>) -> anyhow::Result<Vec<Row>> {
    let (client, names) = (h.client, h.names);
    let mut rows = Vec::new();
    let doc = Bytes::from(serde_json::to_vec(&document(h.nodes))?);
    let links = gen::topology(h.nodes, 1, 4).edges.len() * 2;
    eprintln!(
        "held: {} routers, {links} links, 4 classes per link: {} bytes",
        h.nodes,
        doc.len()
    );
    let name = "bench";
    let t0 = Instant::now();
    let put =
        pasta::bus::client::topology(client, names, "put", Some(name), doc.clone(), None).await?;
    if put["status"] != json!(true) {
        bail!("put refused: {put}");
    }
    rows.push(row(
        "held",
        format!("put of {} MB", doc.len() / 1_000_000),
        format!("{:.0} ms", t0.elapsed().as_secs_f64() * 1000.0),
    ));
    drop(doc);
    let mut events = client
        .subscribe(format!("{}.events.{}.*", names.prefix(), TYPE.as_str()))
        .await?;
    client.flush().await?;
    let mut rng = gen::Rng::new(7);
    let mut links_rng = gen::Rng::new(11);
    let mut pair = || {
        let he = rng.below(h.nodes as u64) as usize;
        let te = (he + 1 + rng.below(h.nodes as u64 - 1) as usize) % h.nodes;
        (he, te)
    };
    // The first job reads and parses the revision; then the steady state.
    let (he, te) = pair();
    let first = one_job(client, names, &mut events, &job(name, he, te)).await?;
    rows.push(row(
        "held",
        "first job (reads the revision)",
        format!("{:.1} ms", first.as_secs_f64() * 1000.0),
    ));
    let deadline = Instant::now() + h.limit;
    let (far_he, far_te) = gen::topology(h.nodes, 1, 4).far_pair();
    let far = job(name, far_he, far_te);
    let mut steady = Vec::new();
    let mut random = Vec::new();
    let mut corner_task = None;
    for _ in 0..h.samples {
        if Instant::now() >= deadline {
            break;
        }
        let (took, id) = one_task(client, names, &mut events, &far).await?;
        steady.push(took);
        corner_task = Some(id);
    }
    for _ in 0..h.samples {
        if Instant::now() >= deadline {
            break;
        }
        let (he, te) = pair();
        random.push(one_job(client, names, &mut events, &job(name, he, te)).await?);
    }
    rows.push(row(
        "held",
        format!(
            "submit → SUCCESS p50 / p99, corner policy ({} jobs)",
            steady.len()
        ),
        percentiles(&mut steady, &[0.5, 0.99]),
    ));
    rows.push(row(
        "held",
        format!(
            "submit → SUCCESS p50 / p99, random pairs ({} jobs)",
            random.len()
        ),
        percentiles(&mut random, &[0.5, 0.99]),
    ));
    if let Some(id) = corner_task {
        rows.extend(store_floor(client, names, &id, h.samples).await?);
    }
    // Changes of one link's metric, each followed by two jobs: the first after the change and
    // one on the same revision, the steady time beside it.
    let (mut changes, mut after, mut beside) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..h.changes {
        if Instant::now() >= deadline {
            break;
        }
        let link = gen::link_id(links_rng.below(links as u64) as usize);
        let change =
            json!({"changes": [{"op": "patch_link", "id": link, "set": {"igp": 1 + k % 10}}]});
        let t0 = Instant::now();
        let answer = pasta::bus::client::topology(
            client,
            names,
            "change",
            Some(name),
            Bytes::from(serde_json::to_vec(&change)?),
            None,
        )
        .await?;
        if answer["status"] != json!(true) {
            bail!("change refused: {answer}");
        }
        changes.push(t0.elapsed());
        after.push(one_job(client, names, &mut events, &far).await?);
        beside.push(one_job(client, names, &mut events, &far).await?);
    }
    rows.push(row(
        "held",
        format!("change of one link's igp p50 / p99 ({})", changes.len()),
        percentiles(&mut changes, &[0.5, 0.99]),
    ));
    let ratio = match (median(&after), median(&beside)) {
        (Some(a), Some(b)) if !b.is_zero() => format!(", {:.2}× the second", a.div_duration_f64(b)),
        _ => String::new(),
    };
    rows.push(row(
        "held",
        "first job after a change p50 / p99 (corner policy)",
        format!("{}{ratio}", percentiles(&mut after, &[0.5, 0.99])),
    ));
    rows.push(row(
        "held",
        "second job after a change p50 / p99 (same revision)",
        percentiles(&mut beside, &[0.5, 0.99]),
    ));
    if h.jobs > 0 {
        let (r, _) =
            throughput("held", client, names, &far, h.jobs, h.concurrency, h.limit).await?;
        rows.extend(r);
    }
    let pid = h.pid.unwrap_or_else(std::process::id);
    if let Some((hwm, rss)) = memory(pid) {
        let whose = if h.pid.is_some() {
            "pasta"
        } else {
            "this process (pasta embedded, and the generator)"
        };
        rows.push(row(
            "held",
            format!("peak / current RSS of {whose}"),
            format!("{hwm:.0} / {rss:.0} MiB"),
        ));
    }
    Ok(rows)
}
