//! Held topologies (contract §8): put, change, get, list and delete, the same over NATS, HTTP
//! and the command line; the references job bodies make to them.
//!
//! Every write is committed by a compare-and-set of the name's head (see
//! [`crate::task::held::record`]): concurrent writers are ordered, a lost race is retried on
//! the new head, and `Pasta-Expected-Revision` turns a head that moved into `CONFLICT`. A
//! revision is validated before anything is stored (every problem listed, nothing applied), its
//! `pasta.topology.<name>.changed` event is published once it is committed, and the revisions
//! nobody needs any more are removed in the background ([`Service::sweep_topology`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::error::blocking;
use super::{Admitted, ApiError, Service};
use crate::bus::Created;
use crate::engine::chunked::Output;
use crate::model::topology::{change, check_name, wire, Pinned, Reference};
use crate::model::{Network, Problem, Problems};
use crate::task::held::record::{
    head_key, revision_key, Head, Kind, Pin, Revision, Snapshot, SNAPSHOT_EVERY,
};
use crate::task::held::{epoch_ms, HeldError};
use crate::task::now;
use crate::task::spill;

/// Names that would make a topology subject another's (`pasta.topology.put.changed` is both
/// a put of `changed` and the event of `put`): refused.
const RESERVED: [&str; 6] = ["put", "change", "delete", "get", "list", "changed"];

/// Room left in a message for what surrounds a stored revision.
const RECORD_SLACK: usize = 4096;

/// A topology's name as given by a client.
pub fn topology_name(raw: &str) -> Result<String, ApiError> {
    check_name(raw).map_err(ApiError::BadRequest)?;
    if RESERVED.contains(&raw) {
        return Err(ApiError::BadRequest(format!(
            "{raw:?} is reserved: the topology subjects use it"
        )));
    }
    Ok(raw.to_owned())
}

/// A `Pasta-Expected-Revision` as given by a client (`0`: the name must not exist yet).
pub fn expected_revision(raw: Option<&str>) -> Result<Option<u64>, ApiError> {
    raw.map(|r| {
        r.trim().parse::<u64>().map_err(|_| {
            ApiError::BadRequest(format!(
                "Pasta-Expected-Revision {r:?} is not a revision number"
            ))
        })
    })
    .transpose()
}

impl From<HeldError> for ApiError {
    fn from(e: HeldError) -> Self {
        match e {
            HeldError::Bus(e) => e.into(),
            HeldError::NotFound(m) => ApiError::Missing(m),
            HeldError::Corrupt(m) => ApiError::Internal(m),
        }
    }
}

/// One invalid-body problem.
fn problem(path: &str, message: String) -> ApiError {
    ApiError::InvalidBody(Problems(vec![Problem {
        path: path.into(),
        message,
    }]))
}

/// What a write makes of the head it found.
struct Made {
    revision: Revision,
    /// The network of the new revision (none for a delete).
    network: Option<Arc<Network>>,
    /// The answer's `data`.
    answer: Value,
}

/// The network of a change: built before its revision is committed, or after.
enum Ready {
    Built(Arc<Network>),
    Later(change::Checked),
}

impl Service {
    /// Creates or replaces a topology: `{name, revision}`.
    pub async fn topology_put(
        &self,
        name: &str,
        body: Admitted,
        expected: Option<u64>,
    ) -> Result<Value, ApiError> {
        let name = topology_name(name)?;
        let (admitted, by_ref) = self.resolve(body).await?;
        let limits = self.tasks.limits.clone();
        // The body goes with the closure, before the wire form is written.
        let network = tokio::task::spawn_blocking(move || {
            Network::from_slice(&admitted.bytes, &limits).map_err(ApiError::InvalidBody)
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
        let network = Arc::new(network);
        let snapshot = self.store_snapshot(&name, network.clone()).await?;
        let made = self
            .write(&name, expected, |head| {
                let revision = head.map_or(1, |h| h.latest.revision + 1);
                Ok(Made {
                    revision: Revision {
                        revision,
                        kind: Kind::Put,
                        at: now(),
                        nodes: network.nodes.len(),
                        links: network.links.len(),
                        snapshot: Some(snapshot.clone()),
                        changes: None,
                        base: revision,
                        ops: raw(json!([{"op": "put"}])),
                    },
                    network: Some(network.clone()),
                    answer: json!({"name": name, "revision": revision}),
                })
            })
            .await;
        if made.is_err() {
            let _ = self.tasks.bus.delete_snapshot(&snapshot.object).await;
        }
        let made = made?;
        // Its ids, indexed now, make the first change as quick as the next ones: those of the
        // network kept for the revision, which is the one before when the put repeated it (the
        // network parsed here is then let go at once).
        drop(network);
        let kept = (made["revision"].as_u64()).and_then(|r| self.tasks.held.cached(&name, r));
        if let Some(kept) = kept {
            tokio::task::spawn_blocking(move || kept.ids());
        }
        self.remove_upload(by_ref).await;
        Ok(made)
    }

    /// Applies a change document: `{name, revision, applied, removed_links}`.
    pub async fn topology_change(
        &self,
        name: &str,
        body: Admitted,
        expected: Option<u64>,
    ) -> Result<Value, ApiError> {
        let name = topology_name(name)?;
        let text =
            std::str::from_utf8(&body.bytes).map_err(|e| problem("$", format!("not JSON: {e}")))?;
        let doc: Box<RawValue> =
            serde_json::from_str(text).map_err(|e| problem("$", format!("not JSON: {e}")))?;
        let value: Value =
            serde_json::from_str(doc.get()).map_err(|e| problem("$", format!("not JSON: {e}")))?;
        let max_record = self.tasks.bus.max_payload().saturating_sub(RECORD_SLACK);
        let limits = self.tasks.limits.clone();
        loop {
            let Some((head, kv_rev)) = self.tasks.held.head(&name).await? else {
                return Err(ApiError::Missing(format!("no topology {name}")));
            };
            if head.deleted() {
                return Err(ApiError::Missing(format!("no topology {name} (deleted)")));
            }
            check_expected(expected, Some(&head))?;
            let current = self.tasks.held.network(&name, head.latest.revision).await?;
            let (value2, limits2) = (value.clone(), limits.clone());
            let checked = blocking(move || {
                change::check(&current, &value2, &limits2).map_err(ApiError::InvalidBody)
            })
            .await??;
            let revision = head.latest.revision + 1;
            let ops = raw(json!(checked.ops));
            let answer = json!({
                "name": name, "revision": revision, "applied": checked.applied,
                "removed_links": checked.removed_links,
            });
            let (nodes, links) = checked.counts;
            // A run of changes ends with a snapshot every SNAPSHOT_EVERY revisions, and a
            // change document too large to keep in a record is kept as a snapshot: the
            // network is built now. Otherwise it is built once the change is committed.
            let too_large = doc.get().len() + ops.get().len() > max_record;
            let (snapshot, pending) = if revision - head.latest.base >= SNAPSHOT_EVERY || too_large
            {
                let network = blocking(move || Arc::new(checked.finish().network)).await?;
                let snapshot = self.store_snapshot(&name, network.clone()).await?;
                (Some(snapshot), Ready::Built(network))
            } else {
                (None, Ready::Later(checked))
            };
            let rec = Revision {
                revision,
                kind: Kind::Change,
                at: now(),
                nodes,
                links,
                base: if snapshot.is_some() {
                    revision
                } else {
                    head.latest.base
                },
                changes: snapshot.is_none().then(|| doc.clone()),
                snapshot: snapshot.clone(),
                ops,
            };
            let made = Made {
                revision: rec,
                network: match &pending {
                    Ready::Built(network) => Some(network.clone()),
                    Ready::Later(_) => None,
                },
                answer,
            };
            match self
                .commit(&name, Some((&head, kv_rev)), made, expected)
                .await
            {
                Ok(Some(answer)) => {
                    if let Ready::Later(checked) = pending {
                        self.keep_later(&name, revision, checked);
                    }
                    return Ok(answer);
                }
                Ok(None) => {}
                Err(e) => {
                    if let Some(s) = &snapshot {
                        let _ = self.tasks.bus.delete_snapshot(&s.object).await;
                    }
                    return Err(e);
                }
            }
            if let Some(s) = &snapshot {
                let _ = self.tasks.bus.delete_snapshot(&s.object).await;
            }
        }
    }

    /// Builds the network of a committed change off the request's path and keeps it, with its
    /// ids indexed for the next change.
    /// A job that needs it meanwhile waits for it ([`crate::task::held::Held::building`]).
    fn keep_later(&self, name: &str, revision: u64, checked: change::Checked) {
        let held = self.tasks.held.clone();
        let building = held.building(name, revision);
        let name = name.to_owned();
        tokio::task::spawn_blocking(move || {
            let network = checked.finish().network;
            network.ids();
            held.keep(&name, revision, Arc::new(network), None);
            drop(building);
        });
    }

    /// Deletes a topology: `{name}`. Revisions tasks refer to stay until those tasks expire;
    /// a name put again goes on counting revisions.
    pub async fn topology_delete(
        &self,
        name: &str,
        expected: Option<u64>,
    ) -> Result<Value, ApiError> {
        let name = topology_name(name)?;
        self.write(&name, expected, |head| {
            let head = match head {
                Some(h) if !h.deleted() => h,
                _ => return Err(ApiError::Missing(format!("no topology {name}"))),
            };
            let revision = head.latest.revision + 1;
            Ok(Made {
                revision: Revision {
                    revision,
                    kind: Kind::Delete,
                    at: now(),
                    nodes: 0,
                    links: 0,
                    snapshot: None,
                    changes: None,
                    base: revision,
                    ops: raw(json!([{"op": "delete"}])),
                },
                network: None,
                answer: json!({"name": name}),
            })
        })
        .await
    }

    /// A kept revision (the head when `revision` is `None`), as the whole answer document
    /// `{"status": true, "info": [], "data": {name, revision, nodes, links}}`. When `fit` is
    /// given and the document would be larger, `data` names an export in the blob store
    /// instead: `{name, revision, "$ref", size, sha256}`.
    pub async fn topology_get(
        &self,
        name: &str,
        revision: Option<u64>,
        fit: Option<usize>,
    ) -> Result<Vec<u8>, ApiError> {
        let name = topology_name(name)?;
        let Some((head, _)) = self.tasks.held.head(&name).await? else {
            return Err(ApiError::Missing(format!("no topology {name}")));
        };
        let revision = match revision {
            Some(r) => r,
            None if head.deleted() => {
                return Err(ApiError::Missing(format!("no topology {name} (deleted)")))
            }
            None => head.latest.revision,
        };
        if self.tasks.held.revision(&head, revision).await?.is_none() {
            return Err(ApiError::Missing(format!(
                "topology {name} has no revision {revision} (never made, or no longer kept)"
            )));
        }
        let network = self.tasks.held.network(&name, revision).await?;
        let (net, n) = (network.clone(), name.clone());
        let text = tokio::task::spawn_blocking(move || {
            let mut text = format!(
                r#"{{"status":true,"info":[],"data":{{"name":"{n}","revision":{revision},"#
            )
            .into_bytes();
            text.extend_from_slice(&wire::render_members(&net));
            text.extend_from_slice(b"}}");
            text
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
        match fit {
            Some(fit) if text.len() > fit => {
                let doc = Bytes::from(wire::render(&network));
                let object = format!("export/{name}/{revision}");
                let size = doc.len();
                let sha256 = self.tasks.bus.put_blob(&object, doc).await?;
                let data = json!({
                    "name": name, "revision": revision, "$ref": object, "size": size,
                    "sha256": sha256,
                });
                Ok(
                    serde_json::to_vec(&json!({"status": true, "info": [], "data": data}))
                        .expect("documents serialise"),
                )
            }
            _ => Ok(text),
        }
    }

    /// Every topology not deleted: `[{name, revision, nodes, links, updated_at}]` by name.
    pub async fn topology_list(&self) -> Result<Value, ApiError> {
        let keys = self.tasks.bus.topology_keys("head.").await?;
        let names: BTreeSet<&str> = keys
            .iter()
            .filter_map(|k| k.strip_prefix("head."))
            .collect();
        let mut list = Vec::with_capacity(names.len());
        for name in names {
            let Some((head, _)) = self.tasks.held.head(name).await? else {
                continue;
            };
            if head.deleted() {
                continue;
            }
            let l = &head.latest;
            list.push(json!({
                "name": head.name, "revision": l.revision, "nodes": l.nodes, "links": l.links,
                "updated_at": l.at,
            }));
        }
        Ok(Value::Array(list))
    }

    /// The revision a body's reference names, and its network. `pin` keeps that revision
    /// until a task submitted now expires. An unknown name or a revision not kept is an
    /// invalid body at `topology`.
    pub async fn resolve_topology(
        &self,
        reference: &Reference,
        pin: bool,
    ) -> Result<(Pinned, Arc<Network>), ApiError> {
        match self.tasks.held.resolve(reference, pin).await {
            Ok(found) => Ok(found),
            Err(HeldError::NotFound(m)) => Err(problem("topology", m)),
            Err(e) => Err(e.into()),
        }
    }

    /// Stores the wire form of a revision as a snapshot object (a fresh name per write, so
    /// that a writer who loses a race never overwrites the winner's), sent while it is
    /// rendered ([`spill::snapshot`]).
    async fn store_snapshot(
        &self,
        name: &str,
        network: Arc<Network>,
    ) -> Result<Snapshot, ApiError> {
        let object = format!("{name}/{}", uuid::Uuid::new_v4());
        let bus = &self.tasks.bus;
        let (mut out, upload) = spill::snapshot(bus, &object)?;
        let size = blocking(move || {
            wire::render_into(&network, &mut out).map_err(|e| ApiError::Internal(e.to_string()))?;
            match out.finish() {
                Output::Sent { size } => Ok(size),
                Output::Whole(_) => Err(ApiError::Internal("a snapshot was held, not sent".into())),
            }
        })
        .await??;
        let written = bus.commit_snapshot(upload.finish(size).await?).await?;
        Ok(Snapshot {
            size: written.size as u64,
            sha256: written.sha256,
            object,
        })
    }

    /// Commits what `make` makes of the current head, retrying on the new head when another
    /// writer got there first (unless a revision was expected).
    async fn write(
        &self,
        name: &str,
        expected: Option<u64>,
        make: impl Fn(Option<&Head>) -> Result<Made, ApiError>,
    ) -> Result<Value, ApiError> {
        loop {
            let head = self.tasks.held.head(name).await?;
            check_expected(expected, head.as_ref().map(|(h, _)| h))?;
            let made = make(head.as_ref().map(|(h, _)| h))?;
            let at = head.as_ref().map(|(h, rev)| (h, *rev));
            if let Some(answer) = self.commit(name, at, made, expected).await? {
                return Ok(answer);
            }
        }
    }

    /// Moves the head from `head` to the made revision: the answer, or `None` when another
    /// writer moved it first (then `CONFLICT` if a revision was expected). The head's
    /// revision is copied under `rev.` first, so every revision below the head has its record.
    async fn commit(
        &self,
        name: &str,
        head: Option<(&Head, u64)>,
        made: Made,
        expected: Option<u64>,
    ) -> Result<Option<Value>, ApiError> {
        let bus = &self.tasks.bus;
        let key = head_key(name);
        let new_head = Head {
            name: name.to_owned(),
            latest: made.revision,
        };
        let bytes = Bytes::from(serde_json::to_vec(&new_head).expect("heads serialise"));
        let won = match head {
            Some((old, kv_rev)) => {
                // The same record any writer moving this head writes: harmless if it lost.
                let old_rec = serde_json::to_vec(&old.latest).expect("revisions serialise");
                bus.topology_put(&revision_key(name, old.latest.revision), old_rec.into())
                    .await?;
                bus.topology_update(&key, bytes, kv_rev).await?
            }
            None => match bus.topology_create(&key, bytes).await? {
                Created::New(rev) => Some(rev),
                Created::Exists(..) => None,
            },
        };
        if won.is_none() {
            return match expected {
                Some(_) => {
                    let head = self.tasks.held.head(name).await?.map(|(h, _)| h);
                    check_expected(expected, head.as_ref()).map(|()| None)
                }
                None => Ok(None),
            };
        }
        let latest = &new_head.latest;
        if let Some(net) = made.network {
            let content = latest.snapshot.as_ref().map(|s| s.sha256.as_str());
            self.tasks.held.keep(name, latest.revision, net, content);
        }
        let event = json!({
            "name": name, "revision": latest.revision, "at": latest.at,
            "ops": latest.ops,
        });
        if let Err(e) = bus
            .publish_topology_event(name, latest.revision, &event)
            .await
        {
            // Committed all the same: the event is the only thing lost.
            tracing::warn!(error = %e, %name, revision = latest.revision, "changed event not published");
        }
        let service = self.clone();
        let name = name.to_owned();
        tokio::spawn(async move {
            if let Err(e) = service.sweep_topology(&name).await {
                tracing::warn!(error = %e, %name, "sweeping old revisions failed");
            }
        });
        Ok(Some(made.answer))
    }

    /// Removes the revisions of a name that are neither among its last
    /// `PASTA_TOPOLOGY_REVISIONS` nor pinned by a task (nor needed to build one that is), with
    /// their snapshots, and the pins that have expired.
    pub async fn sweep_topology(&self, name: &str) -> Result<(), ApiError> {
        let _one_at_a_time = self.tasks.held.sweeping.lock().await;
        let bus = &self.tasks.bus;
        let Some((head, _)) = self.tasks.held.head(name).await? else {
            return Ok(());
        };
        let now = epoch_ms();
        let mut pinned = BTreeSet::new();
        for key in bus.topology_keys(&format!("pin.{name}.")).await? {
            let Some(r) = key.rsplit('.').next().and_then(|r| r.parse::<u64>().ok()) else {
                continue;
            };
            let live = match bus.topology_get(&key).await? {
                Some((b, _)) => serde_json::from_slice::<Pin>(&b).is_ok_and(|p| p.until_ms > now),
                None => false,
            };
            if live {
                pinned.insert(r);
            } else {
                bus.topology_purge(&key).await?;
            }
        }
        let newest = head.latest.revision;
        let keep_from = newest.saturating_sub(self.topology_revisions - 1).max(1);
        let mut records = std::collections::BTreeMap::new();
        for key in bus.topology_keys(&format!("rev.{name}.")).await? {
            let Some((b, _)) = bus.topology_get(&key).await? else {
                continue;
            };
            if let Ok(rec) = serde_json::from_slice::<Revision>(&b) {
                records.insert(rec.revision, (key, rec));
            }
        }
        // The snapshot a revision is built from: the nearest one at or below it.
        let base_of = |records: &std::collections::BTreeMap<u64, (String, Revision)>, r: u64| {
            let mut at = r;
            loop {
                let rec = if at == newest {
                    Some(&head.latest)
                } else {
                    records.get(&at).map(|(_, rec)| rec)
                };
                match rec {
                    Some(rec) if rec.snapshot.is_some() || rec.kind != Kind::Change => return at,
                    Some(_) if at > 1 => at -= 1,
                    _ => return at,
                }
            }
        };
        // A long run of changes below the oldest revision kept is cut by a snapshot of that
        // revision (at most once every PASTA_TOPOLOGY_REVISIONS writes).
        let run_from = base_of(&records, keep_from);
        if keep_from < newest && run_from + self.topology_revisions < keep_from {
            if let Some((key, rec)) = records.get(&keep_from).cloned() {
                let net = self.tasks.held.network(name, keep_from).await?;
                let snapshot = self.store_snapshot(name, net).await?;
                let rebased = Revision {
                    snapshot: Some(snapshot),
                    changes: None,
                    base: keep_from,
                    ..rec
                };
                let bytes = serde_json::to_vec(&rebased).expect("revisions serialise");
                bus.topology_put(&key, bytes.into()).await?;
                records.insert(keep_from, (key, rebased));
            }
        }
        // Kept: the last ones and the pinned ones, each with the run back to its snapshot.
        let mut needed = BTreeSet::new();
        for r in (keep_from..=newest).chain(pinned.iter().copied()) {
            needed.extend(base_of(&records, r)..=r);
        }
        for (key, rec) in records.values() {
            if needed.contains(&rec.revision) || rec.revision >= newest {
                continue;
            }
            if let Some(s) = &rec.snapshot {
                bus.delete_snapshot(&s.object).await?;
            }
            bus.topology_purge(key).await?;
            self.tasks.held.forget(name, rec.revision);
        }
        Ok(())
    }
}

/// `CONFLICT` naming the head when it is not the expected revision (`0`: no topology).
fn check_expected(expected: Option<u64>, head: Option<&Head>) -> Result<(), ApiError> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let at = head.map_or(0, |h| h.latest.revision);
    if at == expected {
        Ok(())
    } else {
        Err(ApiError::Conflict(format!(
            "the head is revision {at}, not the expected {expected}"
        )))
    }
}

fn raw(v: Value) -> Box<RawValue> {
    RawValue::from_string(v.to_string()).expect("JSON text")
}
