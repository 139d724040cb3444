//! The bytes of job messages a worker process holds at once, bounded: jobs in flight cost
//! memory in proportion to the compute slots, whatever the size of their messages.
//!
//! Each fetch first reserves room for one message of the largest size the server accepts
//! (`max_payload`, plus [`ENVELOPE`] for its subject and headers) and asks the server for at
//! most that many bytes (`max_bytes`). Each message received takes its own size out of the
//! reservation and holds it until its delivery ends; what is left goes back when the fetch
//! ends. The budget is `types + 2 × concurrency` reservations: every pull loop can wait on a
//! quiet subject holding one, and the compute slots still have two of the largest messages
//! each. A batch of small messages fits in one reservation, so small jobs never meet the
//! bound (128 compact seed jobs hold about 250 KiB).

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Room for a message's subject and headers beyond its payload, bytes.
pub const ENVELOPE: usize = 16 << 10;

/// The byte budget of a worker process, counted in KiB.
pub struct Budget {
    kib: Arc<Semaphore>,
    fetch_kib: usize,
}

impl Budget {
    /// The budget for messages of at most `max_payload` bytes, `loops` pull loops and
    /// `concurrency` compute slots.
    pub fn new(max_payload: usize, loops: usize, concurrency: usize) -> Budget {
        let fetch_kib = (max_payload + ENVELOPE).div_ceil(1024);
        let reservations = loops.max(1) + 2 * concurrency.max(1);
        Budget {
            kib: Arc::new(Semaphore::new(fetch_kib * reservations)),
            fetch_kib,
        }
    }

    /// The most bytes one fetch may ask for.
    pub fn fetch_bytes(&self) -> usize {
        self.fetch_kib * 1024
    }

    /// The budget's size, bytes.
    #[cfg(test)]
    fn total_bytes(&self, reservations: usize) -> usize {
        self.fetch_bytes() * reservations
    }

    /// Waits until one fetch's worth is free, and reserves it.
    pub async fn reserve(&self) -> Reservation {
        let permit = self
            .kib
            .clone()
            .acquire_many_owned(self.fetch_kib as u32)
            .await
            .expect("the budget is never closed");
        Reservation(permit)
    }
}

/// One fetch's share of the budget; messages take theirs out of it.
pub struct Reservation(OwnedSemaphorePermit);

impl Reservation {
    /// The share of a message of `bytes`, held until dropped (`None` when the reservation is
    /// spent: the server sends no more than it allows, up to rounding).
    pub fn take(&mut self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let kib = bytes.div_ceil(1024).max(1).min(self.0.num_permits());
        if kib == 0 {
            return None;
        }
        self.0.split(kib)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messages_hold_their_share_until_dropped_and_the_rest_returns_with_the_fetch() {
        let budget = Budget::new(1 << 20, 1, 1);
        let total_kib = budget.total_bytes(3) / 1024;
        assert_eq!(budget.kib.available_permits(), total_kib);
        let mut reservation = budget.reserve().await;
        let a = reservation.take(3_000).expect("a share");
        let b = reservation.take(1).expect("a share");
        assert_eq!((a.num_permits(), b.num_permits()), (3, 1));
        drop(reservation);
        // Only the messages' shares are still out.
        assert_eq!(budget.kib.available_permits(), total_kib - 4);
        drop((a, b));
        assert_eq!(budget.kib.available_permits(), total_kib);
    }

    #[tokio::test]
    async fn a_spent_budget_makes_the_next_fetch_wait() {
        let budget = Budget::new(1 << 20, 1, 1);
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut r = budget.reserve().await;
            held.push(r.take(budget.fetch_bytes()).expect("the whole reservation"));
            assert!(r.take(1).is_none(), "nothing left");
        }
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), budget.reserve());
        assert!(waiting.await.is_err(), "a fourth fetch must wait");
        held.pop();
        let freed = tokio::time::timeout(std::time::Duration::from_secs(5), budget.reserve());
        assert!(freed.await.is_ok(), "a message's end frees room");
    }
}
