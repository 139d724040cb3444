//! A result too large for a status document, stored while it is written (contract §4: it then
//! travels by reference, as `result/<task_id>` of the blob store).
//!
//! [`start`] gives the computation a [`ChunkedJson`] whose pieces go, through a channel, to an
//! upload running beside it: the serialiser on the blocking thread, the hashing and sending on
//! the runtime, and nats-server storing the chunks, all at once. Nothing is visible until the
//! delivery [`Spill::commit`]s the object after the computation succeeded; any other end
//! (the [`Spill`] dropped uncommitted) takes back what was sent (a computation left running past its time-out is waited
//! for, and its chunks taken back when it ends).

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::warn;

use crate::bus::object::{ObjectWrite, Written};
use crate::bus::{Bus, BusError};
use crate::engine::chunked::ChunkedJson;

/// The upload of one result (`None` inside when nothing was sent). One not committed is
/// discarded when dropped, whatever way the delivery ended.
pub struct Spill {
    upload: Option<JoinHandle<Result<Option<ObjectWrite>, BusError>>>,
}

/// A writer for a result named `name` in the blob store, and its upload. A result of at most
/// the bus's inline limit stays whole in the writer; a larger one is sent in object chunks as
/// it is written.
pub fn start(bus: &Bus, name: String) -> Result<(ChunkedJson, Spill), BusError> {
    let (tx, rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer = ChunkedJson::new(
        bus.settings.inline_limit,
        bus.object_chunk(),
        Box::new(move |piece| {
            // A failed upload has dropped the receiver: the rest of the text goes nowhere, and
            // the delivery hears the upload's error.
            let _ = tx.send(piece);
        }),
    );
    // The writer is made here (the name is checked before anything is computed).
    let object = bus.blob_writer(&name)?;
    let upload = tokio::spawn(upload(object, rx));
    Ok((
        writer,
        Spill {
            upload: Some(upload),
        },
    ))
}

/// Sends the pieces as chunks until the writer is gone; `None` when it sent nothing.
async fn upload(
    mut object: ObjectWrite,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
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
    pub async fn commit(mut self, bus: &Bus, size: usize) -> Result<Written, BusError> {
        let upload = self.upload.take().expect("a spill is committed once");
        let object = upload
            .await
            .map_err(|e| BusError::Unavailable(format!("the result upload failed: {e}")))??
            .ok_or_else(|| BusError::Unavailable("the result was never sent".into()))?;
        if object.size() != size {
            let sent = object.size();
            // Never publish a result other than the one computed.
            let _ = object.abandon().await;
            return Err(BusError::Unavailable(format!(
                "the result upload sent {sent} bytes of {size}"
            )));
        }
        bus.commit_blob(object).await
    }
}

impl Drop for Spill {
    /// Takes back whatever was or will be sent, in the background: the computation may still
    /// be running (a time-out), or the delivery may have ended early (a lost compare-and-set).
    fn drop(&mut self) {
        let Some(upload) = self.upload.take() else {
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
