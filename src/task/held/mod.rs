//! Held topologies as a process keeps them (contract §8): the revisions it has read, parsed, in
//! a cache bounded by `PASTA_TOPOLOGY_CACHE_MB`, shared by submission (which checks a body's
//! references against the revision it names) and the workers (which compute on it).
//!
//! A revision not in the cache is built from the nearest revision below it that is: the change
//! documents between are applied to it ([`crate::model::topology::change`]), and only when
//! none is held is a snapshot read (the latest at or below it; at most
//! [`record::SNAPSHOT_EVERY`] changes follow a snapshot). A snapshot is checked against the
//! size and SHA-256 its record names before it is parsed.
//!
//! A revision whose snapshot has the SHA-256 of one the cache holds (a controller putting the
//! same network again, as a periodic full sync does) shares that revision's network and engine
//! view instead of reading, parsing and holding a second copy: equal snapshots are equal
//! networks, since a snapshot is the network's deterministic rendering.

pub mod record;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use self::record::{head_key, pin_key, revision_key, Head, Kind, Pin, Revision, Snapshot};
use crate::bus::{blob_ref, Bus, BusError};
use crate::engine::prepared::Prepared;
use crate::model::topology::{change, Pinned, Reference};
use crate::model::{Limits, Network, Request};

/// Why a revision cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum HeldError {
    /// The bus failed.
    #[error(transparent)]
    Bus(#[from] BusError),
    /// No such name, or the revision is not kept (or is a delete).
    #[error("{0}")]
    NotFound(String),
    /// A stored record or snapshot does not read back as written.
    #[error("held topology store: {0}")]
    Corrupt(String),
}

/// The revisions this process holds, and the way to read others.
pub struct Held {
    bus: Arc<Bus>,
    limits: Limits,
    cache: Mutex<Cache>,
    /// Until when this process last pinned each revision.
    pins: Mutex<HashMap<(String, u64), u64>>,
    /// Held by the retention sweep, so that one process sweeps one name at a time.
    pub sweeping: tokio::sync::Mutex<()>,
    /// The revisions this process is building after committing them ([`Held::building`]),
    /// each with a receiver that is told when the build ends.
    building: Mutex<HashMap<(String, u64), tokio::sync::watch::Receiver<()>>>,
}

/// A revision this process is building ([`Held::building`]): while it lives, a job that needs
/// the revision waits for it instead of building the revision a second time.
pub struct Building {
    held: Arc<Held>,
    key: (String, u64),
    _ended: tokio::sync::watch::Sender<()>,
}

impl Drop for Building {
    fn drop(&mut self) {
        // The waiters wake when the sender goes, just after this.
        self.held
            .building
            .lock()
            .expect("building")
            .remove(&self.key);
    }
}

/// Parsed revisions, least recently used first out.
struct Cache {
    budget: usize,
    used: usize,
    tick: u64,
    entries: HashMap<(String, u64), Entry>,
}

struct Entry {
    network: Arc<Network>,
    /// The SHA-256 of the revision's snapshot, when it has one this process knows.
    content: Option<String>,
    /// The engine's view and trees, once a job has needed them.
    prepared: Option<Arc<Prepared>>,
    bytes: usize,
    used_at: u64,
}

impl Cache {
    fn get(&mut self, name: &str, revision: u64) -> Option<Arc<Network>> {
        self.tick += 1;
        let tick = self.tick;
        let e = self.entries.get_mut(&(name.to_owned(), revision))?;
        e.used_at = tick;
        Some(e.network.clone())
    }

    /// The network and view of a cached revision of `name` whose snapshot has the SHA-256
    /// `content`.
    fn same_content(
        &mut self,
        name: &str,
        content: &str,
    ) -> Option<(Arc<Network>, Option<Arc<Prepared>>)> {
        self.tick += 1;
        let tick = self.tick;
        let e = self
            .entries
            .iter_mut()
            .find(|((n, _), e)| n == name && e.content.as_deref() == Some(content))?
            .1;
        e.used_at = tick;
        Some((e.network.clone(), e.prepared.clone()))
    }

    /// Keeps a revision. Shared networks are counted once per entry: the budget errs on the
    /// side of evicting early.
    fn insert(
        &mut self,
        name: &str,
        revision: u64,
        network: Arc<Network>,
        prepared: Option<Arc<Prepared>>,
        content: Option<String>,
    ) {
        self.tick += 1;
        // The view and its trees take about as much again as the network.
        let bytes = network.approx_bytes() * 2;
        let key = (name.to_owned(), revision);
        if let Some(old) = self.entries.remove(&key) {
            self.used -= old.bytes;
        }
        // The newest entry stays even when it alone is over the budget: it is in use.
        while self.used + bytes > self.budget && !self.entries.is_empty() {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used_at)
                .map(|(k, _)| k.clone())
                .expect("not empty");
            let e = self.entries.remove(&oldest).expect("found");
            self.used -= e.bytes;
        }
        self.used += bytes;
        self.entries.insert(
            key,
            Entry {
                network,
                content,
                prepared,
                bytes,
                used_at: self.tick,
            },
        );
    }

    /// The highest cached revision of `name` in `[low, high]`.
    fn nearest_below(&self, name: &str, low: u64, high: u64) -> Option<u64> {
        self.entries
            .keys()
            .filter(|(n, r)| n == name && (low..=high).contains(r))
            .map(|(_, r)| *r)
            .max()
    }
}

impl Held {
    /// A cache of `budget_bytes` over this bus.
    pub fn new(bus: Arc<Bus>, limits: Limits, budget_bytes: usize) -> Held {
        Held {
            bus,
            limits,
            cache: Mutex::new(Cache {
                budget: budget_bytes,
                used: 0,
                tick: 0,
                entries: HashMap::new(),
            }),
            pins: Mutex::new(HashMap::new()),
            sweeping: tokio::sync::Mutex::new(()),
            building: Mutex::new(HashMap::new()),
        }
    }

    /// The bus.
    pub fn bus(&self) -> &Arc<Bus> {
        &self.bus
    }

    /// The request limits revisions are validated against.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The head of a name and its KV revision (`None`: never put).
    pub async fn head(&self, name: &str) -> Result<Option<(Head, u64)>, HeldError> {
        let Some((bytes, rev)) = self.bus.topology_get(&head_key(name)).await? else {
            return Ok(None);
        };
        let head: Head = serde_json::from_slice(&bytes)
            .map_err(|e| HeldError::Corrupt(format!("head of {name}: {e}")))?;
        Ok(Some((head, rev)))
    }

    /// Revision `revision` of a name, its head given (`None`: not kept, or never made).
    pub async fn revision(
        &self,
        head: &Head,
        revision: u64,
    ) -> Result<Option<Revision>, HeldError> {
        if revision == head.latest.revision {
            return Ok(Some(head.latest.clone()));
        }
        if revision > head.latest.revision {
            return Ok(None);
        }
        let key = revision_key(&head.name, revision);
        let Some((bytes, _)) = self.bus.topology_get(&key).await? else {
            return Ok(None);
        };
        let rec: Revision = serde_json::from_slice(&bytes)
            .map_err(|e| HeldError::Corrupt(format!("{key}: {e}")))?;
        Ok(Some(rec))
    }

    /// The network of a revision held in this process, if it is.
    pub fn cached(&self, name: &str, revision: u64) -> Option<Arc<Network>> {
        self.cache.lock().expect("cache").get(name, revision)
    }

    /// The engine's view of a cached revision, if a job made it.
    fn cached_prepared(&self, name: &str, revision: u64) -> Option<Arc<Prepared>> {
        let cache = self.cache.lock().expect("cache");
        cache
            .entries
            .get(&(name.to_owned(), revision))
            .and_then(|e| e.prepared.clone())
    }

    /// Forgets a revision (one no longer kept).
    pub fn forget(&self, name: &str, revision: u64) {
        let mut cache = self.cache.lock().expect("cache");
        if let Some(e) = cache.entries.remove(&(name.to_owned(), revision)) {
            cache.used -= e.bytes;
        }
    }

    /// Keeps a revision's network (one this process made or read), unless it is kept already:
    /// a job may have derived it first, and its view and trees stay. `content`: the SHA-256 of
    /// the revision's snapshot, if it has one; a cached revision with the same keeps its
    /// network and view for this one too, and `network` is let go.
    pub fn keep(&self, name: &str, revision: u64, network: Arc<Network>, content: Option<&str>) {
        let mut cache = self.cache.lock().expect("cache");
        if cache.get(name, revision).is_some() {
            return;
        }
        let (network, prepared) = content
            .and_then(|c| cache.same_content(name, c))
            .unwrap_or((network, None));
        cache.insert(
            name,
            revision,
            network,
            prepared,
            content.map(str::to_owned),
        );
    }

    /// Whether two revisions of a name share one network in this process's cache.
    pub fn shared(&self, name: &str, a: u64, b: u64) -> bool {
        let cache = self.cache.lock().expect("cache");
        let net = |r: u64| cache.entries.get(&(name.to_owned(), r)).map(|e| &e.network);
        matches!((net(a), net(b)), (Some(x), Some(y)) if Arc::ptr_eq(x, y))
    }

    /// Announces that this process is building a revision it committed (and will
    /// [`Held::keep`] it before dropping what this returns): until then [`Held::network`]
    /// waits for that build rather than making a second copy of a large network beside it.
    pub fn building(self: &Arc<Held>, name: &str, revision: u64) -> Building {
        let key = (name.to_owned(), revision);
        let (ended, waiting) = tokio::sync::watch::channel(());
        self.building
            .lock()
            .expect("building")
            .insert(key.clone(), waiting);
        Building {
            held: self.clone(),
            key,
            _ended: ended,
        }
    }

    /// The engine's view of a revision and the trees its jobs grew, made on first use (call it
    /// off the async runtime: a view of a large network takes milliseconds to build).
    pub fn prepared(&self, name: &str, revision: u64, network: &Arc<Network>) -> Arc<Prepared> {
        let key = (name.to_owned(), revision);
        if let Some(p) = self
            .cache
            .lock()
            .expect("cache")
            .entries
            .get(&key)
            .and_then(|e| e.prepared.clone())
        {
            return p;
        }
        // Derived from the revision before when a job prepared that one (a change committed
        // by this process is kept without a view); made from scratch otherwise.
        let request = request_of(network);
        let made = Arc::new(match revision.checked_sub(1) {
            Some(before) => match self.cached_prepared(name, before) {
                Some(p) => p.derive(&request),
                None => Prepared::new(&request),
            },
            None => Prepared::new(&request),
        });
        let mut cache = self.cache.lock().expect("cache");
        match cache.entries.get_mut(&key) {
            Some(e) => e.prepared.get_or_insert(made).clone(),
            None => {
                cache.insert(name, revision, network.clone(), Some(made.clone()), None);
                made
            }
        }
    }

    /// The network of a revision: from the cache, else derived from the nearest held revision
    /// below it by its change documents, else from its latest snapshot.
    pub async fn network(&self, name: &str, revision: u64) -> Result<Arc<Network>, HeldError> {
        if let Some(net) = self.cached(name, revision) {
            return Ok(net);
        }
        let being_built = (self.building.lock().expect("building"))
            .get(&(name.to_owned(), revision))
            .cloned();
        if let Some(mut ended) = being_built {
            // Ends when the builder lets go (kept, or failed: then it is built here).
            let _ = ended.changed().await;
            if let Some(net) = self.cached(name, revision) {
                return Ok(net);
            }
        }
        let gone = || HeldError::NotFound(format!("topology {name} has no revision {revision}"));
        let (head, _) = self.head(name).await?.ok_or_else(gone)?;
        // Down from the revision to something held or a snapshot, keeping the changes between.
        let floor = revision.saturating_sub(record::SNAPSHOT_EVERY * 2);
        let nearest = {
            let cache = self.cache.lock().expect("cache");
            cache.nearest_below(name, floor, revision)
        };
        let mut changes: Vec<Revision> = Vec::new();
        let mut at = revision;
        let mut base_prepared = None;
        let mut content = None;
        let base = loop {
            if Some(at) == nearest {
                base_prepared = self.cached_prepared(name, at);
                break self.cached(name, at).ok_or_else(gone)?;
            }
            let rec = match self.revision(&head, at).await? {
                Some(rec) => rec,
                None if at == revision => return Err(gone()),
                None => {
                    return Err(HeldError::Corrupt(format!(
                        "{name} revision {at} is missing below kept revision {revision}"
                    )))
                }
            };
            if rec.kind == Kind::Delete {
                return Err(HeldError::NotFound(format!(
                    "topology {name} was deleted at revision {at}"
                )));
            }
            if let Some(snapshot) = &rec.snapshot {
                if changes.is_empty() {
                    content = Some(snapshot.sha256.clone());
                }
                let same = (self.cache.lock().expect("cache")).same_content(name, &snapshot.sha256);
                match same {
                    Some((network, prepared)) => {
                        base_prepared = prepared;
                        break network;
                    }
                    None => break Arc::new(self.read_snapshot(snapshot).await?),
                }
            }
            if at == 0 || at <= floor {
                return Err(HeldError::Corrupt(format!(
                    "{name} revision {revision} has no snapshot below it"
                )));
            }
            changes.push(rec);
            at -= 1;
        };
        let limits = self.limits.clone();
        let (built, prepared) = if changes.is_empty() {
            // The revision itself: a snapshot read, or one the cache shares.
            (base, base_prepared)
        } else {
            tokio::task::spawn_blocking(move || {
                let built = apply_all(base, &changes, &limits)?;
                // What jobs on the base grew is carried over as far as the changes allow.
                let prepared = base_prepared.map(|p| Arc::new(p.derive(&request_of(&built))));
                Ok::<_, HeldError>((built, prepared))
            })
            .await
            .map_err(|e| HeldError::Corrupt(format!("applying changes: {e}")))??
        };
        self.cache
            .lock()
            .expect("cache")
            .insert(name, revision, built.clone(), prepared, content);
        Ok(built)
    }

    /// The revision a body's reference names (the head when it names none) and its network.
    /// With `pin`, that revision is kept until a task made now expires.
    pub async fn resolve(
        &self,
        reference: &Reference,
        pin: bool,
    ) -> Result<(Pinned, Arc<Network>), HeldError> {
        let name = &reference.name;
        let gone = || HeldError::NotFound(format!("no topology {name}"));
        let (head, _) = self.head(name).await?.ok_or_else(gone)?;
        let revision = match reference.revision {
            None if head.deleted() => return Err(gone()),
            None => head.latest.revision,
            // A revision named is used only while it is kept (whatever a cache still holds).
            Some(r) => {
                if self.revision(&head, r).await?.is_none() {
                    return Err(HeldError::NotFound(format!(
                        "topology {name} has no revision {r} (never made, or no longer kept)"
                    )));
                }
                r
            }
        };
        let network = self.network(name, revision).await.map_err(|e| match e {
            HeldError::NotFound(_) => HeldError::NotFound(format!(
                "topology {name} has no revision {revision} (never made, or no longer kept)"
            )),
            other => other,
        })?;
        if pin {
            self.pin(name, revision).await?;
        }
        let pinned = Pinned {
            name: name.clone(),
            revision,
        };
        Ok((pinned, network))
    }

    /// Keeps a revision until a task made now expires (written at most once a minute per
    /// revision and process).
    async fn pin(&self, name: &str, revision: u64) -> Result<(), HeldError> {
        let now = epoch_ms();
        let keep = self.bus.settings.retention + PIN_SLACK;
        let until_ms = now + keep.as_millis() as u64;
        {
            let mut pins = self.pins.lock().expect("pins");
            if pins.len() > 100_000 {
                pins.retain(|_, until| *until > now);
            }
            let key = (name.to_owned(), revision);
            if pins
                .get(&key)
                .is_some_and(|&until| until + 60_000 >= until_ms)
            {
                return Ok(());
            }
            pins.insert(key, until_ms);
        }
        let pin = serde_json::to_vec(&Pin { until_ms }).expect("pins serialise");
        self.bus
            .topology_put(&pin_key(name, revision), pin.into())
            .await?;
        Ok(())
    }

    /// Reads, checks and parses a snapshot.
    async fn read_snapshot(&self, snapshot: &Snapshot) -> Result<Network, HeldError> {
        let name = &snapshot.object;
        let bytes = self
            .bus
            .get_snapshot(name)
            .await?
            .ok_or_else(|| HeldError::Corrupt(format!("snapshot {name} is missing")))?;
        check_snapshot(snapshot, &bytes)?;
        let limits = self.limits.clone();
        tokio::task::spawn_blocking(move || Network::from_slice(&bytes, &limits))
            .await
            .map_err(|e| HeldError::Corrupt(format!("parsing {name}: {e}")))?
            .map_err(|p| HeldError::Corrupt(format!("snapshot {name} does not validate: {p}")))
    }
}

/// How long a pin outlives the retention of the task that made it.
pub const PIN_SLACK: Duration = Duration::from_secs(120);

/// Milliseconds since the Unix epoch.
pub fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A request holding only a network's nodes and links (what the engine's view is built from).
fn request_of(network: &Network) -> Request {
    Request::of_network(network)
}

/// Whether a snapshot read back is the one its record names.
fn check_snapshot(snapshot: &Snapshot, bytes: &Bytes) -> Result<(), HeldError> {
    let name = &snapshot.object;
    if bytes.len() as u64 != snapshot.size || blob_ref::sha256_hex(bytes) != snapshot.sha256 {
        return Err(HeldError::Corrupt(format!(
            "snapshot {name} is not the one its revision names (size or SHA-256 differ)"
        )));
    }
    Ok(())
}

/// Applies change revisions (newest first in `changes`) to `base`.
fn apply_all(
    base: Arc<Network>,
    changes: &[Revision],
    limits: &Limits,
) -> Result<Arc<Network>, HeldError> {
    let mut net = base;
    for rec in changes.iter().rev() {
        let doc = rec.changes.as_ref().ok_or_else(|| {
            HeldError::Corrupt(format!("revision {} has no changes", rec.revision))
        })?;
        let doc: serde_json::Value = serde_json::from_str(doc.get())
            .map_err(|e| HeldError::Corrupt(format!("revision {}: {e}", rec.revision)))?;
        let applied = change::apply(&net, &doc, limits).map_err(|p| {
            HeldError::Corrupt(format!("revision {} does not apply: {p}", rec.revision))
        })?;
        net = Arc::new(applied.network);
    }
    Ok(net)
}
