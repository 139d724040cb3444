//! Admission of request bodies against a memory budget, so that what bodies cost while they are
//! read and parsed is bounded by configuration, not by clients.
//!
//! Reading a body by its shape skips what no request means ([`crate::model::json`]), but what
//! it keeps still takes more memory than its text: measured over bodies built to amplify
//! (tens of millions of two-byte list elements, each kept, each failing validation), a body
//! takes at most [`AMPLIFICATION`] times its size while parsed. Each body is therefore charged
//! that many times its size (a body larger than the whole budget is charged the whole budget,
//! so it is parsed alone) for as long as it is being read, parsed and submitted or computed.
//!
//! Over HTTP a request waits for its charge before its body is read (only its socket is held
//! meanwhile), up to the admission wait, then is refused with `UNAVAILABLE` and `Retry-After`.
//! Over NATS the body has already arrived: a request that does not fit at once is refused at
//! once, so that no payload waits in memory and the connection keeps reading.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::ApiError;

/// The most memory a body takes while parsed, in multiples of its size.
pub const AMPLIFICATION: usize = 32;

/// The budget bodies are admitted against.
#[derive(Debug, Clone)]
pub struct Admission {
    /// One permit per KiB of the budget.
    permits: Arc<Semaphore>,
    /// The budget, in KiB.
    budget_kib: u32,
    /// How long an HTTP request may wait for its charge.
    wait: Duration,
}

/// A request's charge, taken before its body is read (given back when dropped).
#[derive(Debug)]
pub struct Ticket {
    _permit: OwnedSemaphorePermit,
}

/// A body admitted against the budget; its charge is given back when it is dropped.
#[derive(Debug)]
pub struct Admitted {
    /// The body.
    pub bytes: Bytes,
    _charge: Ticket,
}

impl Ticket {
    /// The body this charge was taken for.
    pub fn body(self, bytes: Bytes) -> Admitted {
        Admitted {
            bytes,
            _charge: self,
        }
    }
}

impl Admission {
    /// A budget of `bytes`, with `wait` the longest an HTTP request waits for its charge.
    pub fn new(bytes: usize, wait: Duration) -> Admission {
        let budget_kib = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .max(1);
        Admission {
            permits: Arc::new(Semaphore::new(budget_kib as usize)),
            budget_kib,
            wait,
        }
    }

    /// The charge of a body of `len` bytes, in KiB.
    fn charge(&self, len: usize) -> u32 {
        let kib = len.saturating_mul(AMPLIFICATION).div_ceil(1024);
        u32::try_from(kib)
            .unwrap_or(u32::MAX)
            .clamp(1, self.budget_kib)
    }

    /// The charge of a body of `len` bytes, waiting for it up to the admission wait.
    pub async fn admit(&self, len: usize) -> Result<Ticket, ApiError> {
        let acquire = self.permits.clone().acquire_many_owned(self.charge(len));
        match tokio::time::timeout(self.wait, acquire).await {
            Ok(Ok(permit)) => Ok(Ticket { _permit: permit }),
            _ => Err(self.busy(len)),
        }
    }

    /// The charge of a body of `len` bytes if the budget has room now.
    pub fn try_admit(&self, len: usize) -> Result<Ticket, ApiError> {
        self.permits
            .clone()
            .try_acquire_many_owned(self.charge(len))
            .map(|permit| Ticket { _permit: permit })
            .map_err(|_| self.busy(len))
    }

    fn busy(&self, len: usize) -> ApiError {
        ApiError::Busy(format!(
            "the service is reading as many bodies as its memory budget allows ({} MiB); a body of {len} bytes must wait: retry shortly",
            self.budget_kib / 1024
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bodies_are_admitted_while_the_budget_has_room_and_given_back_when_dropped() {
        // 1 MiB: 32 KiB bodies are charged 1 MiB each, 1 KiB bodies 32 KiB.
        let admission = Admission::new(1 << 20, Duration::from_millis(50));
        let big = admission.try_admit(32 << 10).expect("room");
        assert!(matches!(admission.try_admit(1), Err(ApiError::Busy(_))));
        assert!(matches!(
            admission.admit(1024).await,
            Err(ApiError::Busy(_))
        ));
        drop(big);
        let smalls: Vec<Ticket> = (0..32)
            .map(|_| admission.try_admit(1024).unwrap())
            .collect();
        assert!(admission.try_admit(1024).is_err());
        drop(smalls);
        // A body larger than the whole budget is charged the whole budget: admitted alone.
        let huge = admission.try_admit(100 << 20).expect("alone");
        assert!(admission.try_admit(1).is_err());
        drop(huge);
        assert!(admission.try_admit(1).is_ok());
    }

    #[tokio::test]
    async fn a_waiting_request_is_admitted_when_a_charge_is_given_back() {
        let admission = Admission::new(1 << 20, Duration::from_secs(5));
        let held = admission.try_admit(64 << 10).unwrap();
        let waiting = {
            let admission = admission.clone();
            tokio::spawn(async move { admission.admit(1).await.is_ok() })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        assert!(waiting.await.unwrap());
    }
}
