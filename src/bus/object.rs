//! Writing an object of an object store, laid out exactly as NATS's object store protocol
//! (ADR-20) lays it out: the chunks on `$O.<bucket>.C.<nuid>`, then the object's info on
//! `$O.<bucket>.M.<base64url name>`, rolled up, with the SHA-256 of the chunks. Every object
//! store client reads what it writes (the tests read them with async-nats and with nats-py).
//!
//! What differs from async-nats's `ObjectStore::put` is the pace. It sends one chunk and waits for
//! its acknowledgement before reading the next, so a 24 MB result was 24 sequential round trips,
//! each storing a MiB, with the hashing between them. Here up to [`WINDOW`] chunks are in flight
//! while the next is hashed, and chunks are handed over as they are made: a result is stored
//! while it is still being written ([`crate::task::spill`]). An object becomes visible only when
//! its info is published ([`ObjectWrite::commit`]); until then its chunks can be taken back
//! ([`ObjectWrite::abandon`]).

use std::collections::VecDeque;

use async_nats::jetstream::{self, context::PublishAckFuture, object_store};
use async_nats::HeaderMap;
use base64::engine::general_purpose::URL_SAFE;
use base64::Engine;
use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::{unavailable, BusError};

/// Most chunks sent and not yet acknowledged.
pub const WINDOW: usize = 8;

/// The largest chunk of an object written.
const CHUNK_MAX: usize = 1 << 20;

/// The smallest: the object store's default.
const CHUNK_MIN: usize = 128 << 10;

/// The largest chunk an object is written in over a connection of `max_payload`: a quarter of
/// it, at most 1 MiB, at least 128 KiB (the store's default). Each chunk is one message (and
/// one acknowledgement) of the object's stream.
pub fn chunk_size(max_payload: usize) -> usize {
    (max_payload / 4).clamp(CHUNK_MIN, CHUNK_MAX)
}

/// An object being written: chunks sent so far, their digest and the acknowledgements awaited.
pub struct ObjectWrite {
    js: jetstream::Context,
    bucket: String,
    name: String,
    nuid: String,
    max_chunk: usize,
    sha256: Sha256,
    size: usize,
    chunks: usize,
    acks: VecDeque<PublishAckFuture>,
}

/// What a committed object is: its size and the hex SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Bytes stored.
    pub size: usize,
    /// Lower-case hex SHA-256 of them.
    pub sha256: String,
}

impl ObjectWrite {
    /// Starts an object `name` of the store `bucket`, whose chunks are at most `max_chunk`
    /// bytes (recorded in its info; readers do not depend on it).
    pub fn new(
        js: &jetstream::Context,
        bucket: &str,
        name: &str,
        max_chunk: usize,
    ) -> Result<ObjectWrite, BusError> {
        check_name(name)?;
        Ok(ObjectWrite {
            js: js.clone(),
            bucket: bucket.to_owned(),
            name: name.to_owned(),
            nuid: uuid::Uuid::new_v4().simple().to_string(),
            max_chunk,
            sha256: Sha256::new(),
            size: 0,
            chunks: 0,
            acks: VecDeque::with_capacity(WINDOW + 1),
        })
    }

    fn chunk_subject(&self) -> String {
        format!("$O.{}.C.{}", self.bucket, self.nuid)
    }

    /// Sends one chunk (at most `max_chunk` bytes; empty ones are skipped), waiting for the
    /// oldest acknowledgement when [`WINDOW`] are outstanding.
    pub async fn push(&mut self, chunk: Bytes) -> Result<(), BusError> {
        if chunk.is_empty() {
            return Ok(());
        }
        debug_assert!(chunk.len() <= self.max_chunk);
        self.sha256.update(&chunk);
        self.size += chunk.len();
        self.chunks += 1;
        let ack = self
            .js
            .publish(self.chunk_subject(), chunk)
            .await
            .map_err(unavailable)?;
        self.acks.push_back(ack);
        while self.acks.len() > WINDOW {
            self.oldest_ack().await?;
        }
        Ok(())
    }

    /// Sends `data` in chunks of at most `max_chunk` bytes (slices of it: nothing copied).
    pub async fn push_all(&mut self, data: Bytes) -> Result<(), BusError> {
        let mut at = 0;
        while at < data.len() {
            let end = (at + self.max_chunk).min(data.len());
            self.push(data.slice(at..end)).await?;
            at = end;
        }
        Ok(())
    }

    async fn oldest_ack(&mut self) -> Result<(), BusError> {
        if let Some(ack) = self.acks.pop_front() {
            ack.await.map_err(unavailable)?;
        }
        Ok(())
    }

    /// Bytes sent so far.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Waits for every chunk's acknowledgement, then publishes the object's info: the object
    /// is then readable under its name, and the chunks of the object it replaces are purged.
    pub async fn commit(mut self, store: &object_store::ObjectStore) -> Result<Written, BusError> {
        let replaced = match store.info(&self.name).await {
            Ok(info) => Some(info.nuid),
            Err(e) if e.kind() == object_store::InfoErrorKind::NotFound => None,
            Err(e) => return Err(unavailable(e)),
        };
        while !self.acks.is_empty() {
            self.oldest_ack().await?;
        }
        let digest = std::mem::take(&mut self.sha256).finalize();
        let info = object_store::ObjectInfo {
            name: self.name.clone(),
            description: None,
            metadata: Default::default(),
            headers: None,
            options: Some(object_store::ObjectOptions {
                link: None,
                max_chunk_size: Some(self.max_chunk),
            }),
            bucket: self.bucket.clone(),
            nuid: self.nuid.clone(),
            size: self.size,
            chunks: self.chunks,
            modified: Some(time::OffsetDateTime::now_utc()),
            digest: Some(format!("SHA-256={}", URL_SAFE.encode(digest))),
            deleted: false,
        };
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Rollup", "sub");
        let meta = serde_json::to_vec(&info).map_err(unavailable)?;
        let subject = format!("$O.{}.M.{}", self.bucket, URL_SAFE.encode(&self.name));
        self.js
            .publish_with_headers(subject, headers, meta.into())
            .await
            .map_err(unavailable)?
            .await
            .map_err(unavailable)?;
        if let Some(old) = replaced.filter(|old| *old != self.nuid) {
            purge(
                &self.js,
                &self.bucket,
                &format!("$O.{}.C.{old}", self.bucket),
            )
            .await?;
        }
        Ok(Written {
            size: self.size,
            sha256: hex(&digest),
        })
    }

    /// Takes back the chunks sent: the object was never committed, and nothing of it stays.
    pub async fn abandon(mut self) -> Result<(), BusError> {
        if self.chunks == 0 {
            return Ok(());
        }
        // The purge must come after the chunks are stored, or a late one would outlive it.
        while !self.acks.is_empty() {
            let _ = self.oldest_ack().await;
        }
        purge(&self.js, &self.bucket, &self.chunk_subject()).await
    }
}

/// Purges the messages of `subject` from the stream of the object store `bucket`.
async fn purge(js: &jetstream::Context, bucket: &str, subject: &str) -> Result<(), BusError> {
    let stream = js
        .get_stream(format!("OBJ_{bucket}"))
        .await
        .map_err(unavailable)?;
    stream.purge().filter(subject).await.map_err(unavailable)?;
    Ok(())
}

/// Whether `name` is an object name the protocol allows.
pub fn check_name(name: &str) -> Result<(), BusError> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(BusError::Unavailable(format!(
            "object {name:?}: not a valid object name"
        )))
    }
}

/// An object name the protocol allows (async-nats's rule).
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.ends_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-/_=.".contains(&b))
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_follow_the_protocol() {
        assert!(valid_name("result/0b3c5a4e-1f2d-4e5b-9c8d-7a6b5c4d3e2f"));
        assert!(valid_name("body/x_y-z=1.json"));
        for bad in ["", ".x", "x.", "a b", "a*b", "a>b", "é"] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn hex_is_lower_case_and_two_digits_a_byte() {
        assert_eq!(hex(&[0, 1, 0xab, 0xff]), "0001abff");
    }
}
