//! A result too large for a status document, stored while it is written (contract §4: it then
//! travels by reference, as `result/<task_id>` of the blob store); and a topology snapshot,
//! stored the same way while it is rendered ([`snapshot`]).
//!
//! [`start`] gives the computation a [`ChunkedJson`] whose pieces go, through a channel, to an
//! upload running beside it (started by the first piece, so a small result costs none): the
//! serialiser on the blocking thread, the hashing and sending on the runtime, and nats-server
//! storing the chunks, all at once. Nothing is visible until the delivery [`Spill::commit`]s
//! the object after the computation succeeded; any other end (the [`Spill`] dropped
//! uncommitted) takes back what was sent (a computation left running past its time-out is
//! waited for, and its chunks taken back when it ends).

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::warn;

use crate::bus::object::{self, ObjectWrite, Written};
use crate::bus::{Bus, BusError};
use crate::engine::chunked::ChunkedJson;

/// Most pieces written and not yet taken by the upload: past them the serialiser waits, so a
/// result being stored holds a few MiB in memory, not the whole text, however far the upload
/// falls behind.
const QUEUED: usize = 4;

/// The upload of one result or snapshot. One not committed or finished is discarded when
/// dropped, whatever way the delivery ended.
pub struct Spill {
    upload: Arc<Mutex<Upload>>,
}

/// Where an upload stands. It starts with the first piece: a result small enough to stay whole
/// (nearly every one) costs no object, task or channel.
enum Upload {
    /// Nothing sent yet; how to start the object.
    Idle(Box<dyn FnOnce() -> ObjectWrite + Send>),
    /// Sending (`None` inside when the writer sent nothing after all).
    Running(JoinHandle<Result<Option<ObjectWrite>, BusError>>),
    /// Finished, or discarded by a spill dropped first: later pieces go nowhere.
    Over,
}

/// A writer for a result named `name` in the blob store, and its upload. A result of at most
/// the bus's inline limit stays whole in the writer; a larger one is sent in object chunks as
/// it is written. The writer must be used off the async runtime (it waits for the upload).
pub fn start(bus: &Arc<Bus>, name: String) -> Result<(ChunkedJson, Spill), BusError> {
    // The name is checked before anything is computed.
    object::check_name(&name)?;
    let (hold, piece, bus) = (bus.settings.inline_limit, bus.object_chunk(), bus.clone());
    let object = Box::new(move || bus.blob_writer(&name).expect("a checked name"));
    Ok(spill(object, hold, piece))
}

/// A writer for a topology snapshot `name` and its upload: every piece is sent as it is
/// written (nothing is held), and [`Spill::finish`] then hands back the object to commit
/// with [`Bus::commit_snapshot`]. The wire form of a large network is never whole in memory.
pub fn snapshot(bus: &Arc<Bus>, name: &str) -> Result<(ChunkedJson, Spill), BusError> {
    object::check_name(name)?;
    let (piece, bus, name) = (bus.object_chunk(), bus.clone(), name.to_owned());
    let object = Box::new(move || bus.snapshot_writer(&name).expect("a checked name"));
    Ok(spill(object, 0, piece))
}

/// The writer (holding up to `hold` bytes, then sending `piece`-byte pieces) and the upload
/// of the object `start` begins, started by the first piece. Call it on the runtime.
fn spill(
    start: Box<dyn FnOnce() -> ObjectWrite + Send>,
    hold: usize,
    piece: usize,
) -> (ChunkedJson, Spill) {
    let upload = Arc::new(Mutex::new(Upload::Idle(start)));
    let runtime = tokio::runtime::Handle::current();
    let state = upload.clone();
    let mut tx: Option<mpsc::Sender<Vec<u8>>> = None;
    let writer = ChunkedJson::new(
        hold,
        piece,
        Box::new(move |piece| {
            if tx.is_none() {
                let mut upload = state.lock().expect("the upload lock is never poisoned");
                match std::mem::replace(&mut *upload, Upload::Over) {
                    Upload::Idle(start) => {
                        let (sender, rx) = mpsc::channel::<Vec<u8>>(QUEUED);
                        *upload = Upload::Running(runtime.spawn(send(start(), rx)));
                        tx = Some(sender);
                    }
                    // Discarded: the text goes nowhere.
                    _ => return,
                }
            }
            // The serialiser runs on the blocking pool, where waiting is allowed. A failed
            // upload has dropped the receiver: the rest of the text goes nowhere, and the
            // delivery hears the upload's error.
            if let Some(tx) = &tx {
                let _ = tx.blocking_send(piece);
            }
        }),
    );
    (writer, Spill { upload })
}

/// Sends the pieces as chunks until the writer is gone; `None` when it sent nothing.
async fn send(
    mut object: ObjectWrite,
    mut rx: mpsc::Receiver<Vec<u8>>,
) -> Result<Option<ObjectWrite>, BusError> {
    let Some(first) = rx.recv().await else {
        return Ok(None);
    };
    let mut next = Some(first);
    while let Some(piece) = next {
        if let Err(e) = object.push_all(Bytes::from(piece)).await {
            drop(rx);
            if let Err(again) = object.abandon().await {
                warn!(error = %again, "the chunks of a failed result upload stay until they expire");
            }
            return Err(e);
        }
        next = rx.recv().await;
    }
    Ok(Some(object))
}

impl Spill {
    /// Publishes the result the computation sent, `size` bytes, in `bus`'s blob store: its size
    /// and digest.
    pub async fn commit(self, bus: &Bus, size: usize) -> Result<Written, BusError> {
        bus.commit_blob(self.finish(size).await?).await
    }

    /// The object the writer sent, `size` bytes, once all of it is sent: to be committed by
    /// the caller. Taken back instead when the upload failed or sent another size.
    pub async fn finish(self, size: usize) -> Result<ObjectWrite, BusError> {
        let Upload::Running(upload) = self.take() else {
            return Err(BusError::Unavailable("nothing was sent".into()));
        };
        let object = upload
            .await
            .map_err(|e| BusError::Unavailable(format!("the upload failed: {e}")))??
            .ok_or_else(|| BusError::Unavailable("nothing was sent".into()))?;
        if object.size() != size {
            let sent = object.size();
            // Never publish an object other than the one written.
            let _ = object.abandon().await;
            return Err(BusError::Unavailable(format!(
                "the upload sent {sent} bytes of {size}"
            )));
        }
        Ok(object)
    }
}

impl Spill {
    /// The upload as it stands, leaving it over: pieces written later go nowhere.
    fn take(&self) -> Upload {
        let mut upload = self
            .upload
            .lock()
            .expect("the upload lock is never poisoned");
        std::mem::replace(&mut *upload, Upload::Over)
    }
}

impl Drop for Spill {
    /// Takes back whatever was or will be sent, in the background: the computation may still
    /// be running (a time-out), or the delivery may have ended early (a lost compare-and-set).
    fn drop(&mut self) {
        let Upload::Running(upload) = self.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            upload.abort();
            return;
        };
        runtime.spawn(async move {
            if let Ok(Ok(Some(object))) = upload.await {
                if let Err(e) = object.abandon().await {
                    warn!(error = %e, "the chunks of a discarded result stay until they expire");
                }
            }
        });
    }
}
