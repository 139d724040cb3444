//! The stored form of held topologies (contract §8), in the bucket `pasta_topologies`:
//!
//! - `head.<name>`: the [`Head`], the commit point of every put, change and delete (written by
//!   compare-and-set, so concurrent writers are ordered and `Pasta-Expected-Revision` holds);
//!   it embeds its latest [`Revision`].
//! - `rev.<name>.<r>`: every earlier kept [`Revision`]. A writer copies the head's revision
//!   there before moving the head on, so every revision below the head has its record.
//! - `pin.<name>.<r>`: until when a task refers to revision r ([`Pin`]).
//!
//! A revision is a snapshot (a put, or every [`SNAPSHOT_EVERY`]th change in a row: the wire
//! form in the object store, with its size and SHA-256) or a change document applied to the
//! revision before it. A revision number names one network for ever: a name deleted and put
//! again goes on counting.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A change document is followed by a snapshot after this many changes in a row, so that
/// reading any revision applies at most this many change documents.
pub const SNAPSHOT_EVERY: u64 = 64;

/// What made a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A whole topology.
    Put,
    /// A change document.
    Change,
    /// The name was deleted (no network).
    Delete,
}

/// A stored snapshot object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Its object name in the snapshot store.
    pub object: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its hex SHA-256 (checked when read).
    pub sha256: String,
}

/// One revision of a held topology.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revision {
    /// Its number.
    pub revision: u64,
    /// What made it.
    pub kind: Kind,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// Node and link counts.
    pub nodes: usize,
    /// See `nodes`.
    pub links: usize,
    /// The whole network, for a put (and a change that starts a new run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<Snapshot>,
    /// The change document applied to the revision before, for a change without a snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Box<RawValue>>,
    /// The revision whose snapshot this one derives from (itself for a snapshot).
    pub base: u64,
    /// What the ops did (`[{op, id}]`), as the changed event lists them.
    pub ops: Box<RawValue>,
}

/// The head of a held topology.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Head {
    /// The name.
    pub name: String,
    /// The latest revision (its record is here, not under `rev.`).
    pub latest: Revision,
}

impl Head {
    /// Whether the name is deleted (its latest revision is a delete).
    pub fn deleted(&self) -> bool {
        self.latest.kind == Kind::Delete
    }
}

/// Until when a task refers to a revision.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Pin {
    /// Milliseconds since the Unix epoch.
    pub until_ms: u64,
}

/// The key of a head.
pub fn head_key(name: &str) -> String {
    format!("head.{name}")
}

/// The key of an earlier revision.
pub fn revision_key(name: &str, revision: u64) -> String {
    format!("rev.{name}.{revision}")
}

/// The key of a pin.
pub fn pin_key(name: &str, revision: u64) -> String {
    format!("pin.{name}.{revision}")
}
