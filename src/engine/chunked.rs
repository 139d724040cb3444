//! A result's JSON text, written where it goes: kept whole while it is small enough to travel
//! in a status document, and handed on in pieces as it is written once it is not, so that a
//! large result is being stored while the rest of it is still being serialised (the worker
//! sends the pieces to the object store as chunks).
//!
//! [`ChunkedJson`] is one of the two writers [`super::result`]'s fast id serialisation knows
//! (serde_json's compact serializer into it writes a raw fragment as it is).

use std::io;

use serde_json::value::RawValue;

/// Where the pieces of a large text go, in order.
pub type Sink = Box<dyn FnMut(Vec<u8>) + Send>;

/// A writer that holds up to `hold` bytes, then sends everything in pieces of `piece` bytes.
pub struct ChunkedJson {
    hold: usize,
    piece: usize,
    buf: Vec<u8>,
    size: usize,
    sending: bool,
    sink: Sink,
}

/// What was written.
#[derive(Debug)]
pub enum Output {
    /// The whole text (at most `hold` bytes): nothing was sent.
    Whole(Box<RawValue>),
    /// The text was sent to the sink.
    Sent {
        /// Its length in bytes.
        size: usize,
    },
}

impl ChunkedJson {
    /// A writer holding texts of up to `hold` bytes, sending longer ones in pieces of `piece`
    /// bytes (the last one shorter; the first may be longer: what was held, at once).
    pub fn new(hold: usize, piece: usize, sink: Sink) -> ChunkedJson {
        ChunkedJson {
            hold,
            piece: piece.max(1),
            buf: Vec::new(),
            size: 0,
            sending: false,
            sink,
        }
    }

    /// Ends the text: the whole of it, or the size of what was sent (the last piece sent now).
    /// The text must be JSON (what serde_json wrote).
    pub fn finish(mut self) -> Output {
        if !self.sending {
            let text = std::str::from_utf8(&self.buf).expect("serde_json writes UTF-8");
            return Output::Whole(super::result::raw_value(text));
        }
        if !self.buf.is_empty() {
            (self.sink)(std::mem::take(&mut self.buf));
        }
        Output::Sent { size: self.size }
    }

    fn send_full(&mut self) {
        let next = Vec::with_capacity(self.piece);
        (self.sink)(std::mem::replace(&mut self.buf, next));
    }
}

impl ChunkedJson {
    /// [`io::Write::write`] past the hold (the text is being sent).
    #[cold]
    #[inline(never)]
    fn write_sending(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let room = self.piece - self.buf.len();
            let (now, rest) = data.split_at(room.min(data.len()));
            self.buf.extend_from_slice(now);
            data = rest;
            if self.buf.len() == self.piece {
                self.send_full();
            }
        }
    }
}

impl io::Write for ChunkedJson {
    // serde_json writes a token at a time: the common case (held, or room left in the piece)
    // is an append, inlined into the serializer as `Vec<u8>`'s own is.
    #[inline]
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    #[inline]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.size += data.len();
        if !self.sending {
            self.buf.extend_from_slice(data);
            if self.buf.len() > self.hold {
                self.sending = true;
                // What was held goes at once; a hold below a piece fills the piece first.
                if self.buf.len() >= self.piece {
                    self.send_full();
                }
            }
        } else if self.buf.len() + data.len() < self.piece {
            self.buf.extend_from_slice(data);
        } else {
            self.write_sending(data);
        }
        Ok(())
    }

    #[inline]
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    fn collecting() -> (Sink, Arc<Mutex<Vec<Vec<u8>>>>) {
        let got = Arc::new(Mutex::new(Vec::new()));
        let into = got.clone();
        (Box::new(move |p| into.lock().unwrap().push(p)), got)
    }

    /// The pieces `text` is sent in, written three bytes at a time into a writer holding
    /// `hold` bytes and sending pieces of 4; every piece but the first and the last is full.
    fn sent(hold: usize, text: &[u8]) -> Vec<Vec<u8>> {
        let (sink, got) = collecting();
        let mut w = ChunkedJson::new(hold, 4, sink);
        for part in text.chunks(3) {
            w.write_all(part).unwrap();
        }
        match w.finish() {
            Output::Sent { size } => assert_eq!(size, text.len()),
            other => panic!("{other:?}"),
        }
        let pieces = got.lock().unwrap().clone();
        assert_eq!(pieces.concat(), text);
        let (last, full) = pieces[1..].split_last().unwrap();
        assert!(full.iter().all(|p| p.len() == 4), "{pieces:?}");
        assert!(!last.is_empty() && last.len() <= 4);
        pieces
    }

    #[test]
    fn a_text_within_the_hold_is_kept_whole_and_nothing_is_sent() {
        let (sink, got) = collecting();
        let mut w = ChunkedJson::new(10, 4, sink);
        w.write_all(b"[1,2,3]").unwrap();
        match w.finish() {
            Output::Whole(raw) => assert_eq!(raw.get(), "[1,2,3]"),
            other => panic!("{other:?}"),
        }
        assert!(got.lock().unwrap().is_empty());
    }

    #[test]
    fn a_longer_text_is_sent_in_order_in_pieces_of_the_size_after_what_was_held() {
        let pieces = sent(5, b"[\"abc\",\"defgh\",\"ijklmnop\",\"q\"]");
        // What was held first (over the hold by less than one write).
        assert_eq!(pieces[0].len(), 6);
    }

    #[test]
    fn a_text_of_exactly_the_hold_is_whole() {
        let (sink, got) = collecting();
        let mut w = ChunkedJson::new(3, 2, sink);
        w.write_all(b"123").unwrap();
        assert!(matches!(w.finish(), Output::Whole(_)));
        assert!(got.lock().unwrap().is_empty());
    }

    #[test]
    fn with_no_hold_every_piece_is_full_but_the_last() {
        let pieces = sent(0, b"{\"nodes\":[],\"links\":[1,2]}");
        assert_eq!(pieces[0].len(), 4);
    }
}
