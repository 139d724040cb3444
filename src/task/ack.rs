//! The ack decision: a pure function of what happened to a delivery and how often it came.
//!
//! The bus maps the [`Settle`] it returns to JetStream ack kinds. A delivery whose task reached a final state (now or
//! before) is acknowledged; a transient failure (JetStream unreachable mid-job) is retried after
//! a delay that grows with the delivery count; a delivery past the last allowed one is
//! terminated, after the worker has recorded GAVE_UP.

use std::time::Duration;

use crate::bus::Settle;

/// What happened to one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The task's record is final (written now or found so).
    Final,
    /// Something outside the job failed (store or stream unavailable); the job itself is fine.
    Transient,
    /// The delivery carries no usable task id; nothing can ever be recorded for it.
    Unusable,
}

/// The decision for a delivery: `delivered` counts from 1, `max_deliver` is the consumer's bound.
pub fn decide(outcome: Outcome, delivered: u64, max_deliver: u64) -> Settle {
    match outcome {
        Outcome::Final => Settle::Ack,
        Outcome::Unusable => Settle::Term,
        Outcome::Transient if delivered >= max_deliver => Settle::Term,
        Outcome::Transient => {
            let secs = (1u64 << delivered.clamp(1, 6).saturating_sub(1)).min(30);
            Settle::Retry(Duration::from_secs(secs))
        }
    }
}

/// Whether a delivery is the one reserved for recording that the task gave up: the consumer
/// delivers at most `max_deliver` times, and the last delivery only records GAVE_UP.
pub fn is_last_chance(delivered: u64, max_deliver: u64) -> bool {
    delivered >= max_deliver
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_final_outcome_is_acknowledged_whatever_the_count() {
        assert_eq!(decide(Outcome::Final, 1, 5), Settle::Ack);
        assert_eq!(decide(Outcome::Final, 9, 5), Settle::Ack);
    }

    #[test]
    fn a_transient_failure_is_retried_later_with_a_growing_delay() {
        assert_eq!(
            decide(Outcome::Transient, 1, 5),
            Settle::Retry(Duration::from_secs(1))
        );
        assert_eq!(
            decide(Outcome::Transient, 2, 5),
            Settle::Retry(Duration::from_secs(2))
        );
        assert_eq!(
            decide(Outcome::Transient, 4, 5),
            Settle::Retry(Duration::from_secs(8))
        );
    }

    #[test]
    fn a_transient_failure_on_the_last_delivery_is_terminated() {
        assert_eq!(decide(Outcome::Transient, 5, 5), Settle::Term);
    }

    #[test]
    fn an_unusable_delivery_is_terminated_at_once() {
        assert_eq!(decide(Outcome::Unusable, 1, 5), Settle::Term);
    }

    #[test]
    fn only_the_last_delivery_is_the_last_chance() {
        assert!(!is_last_chance(4, 5));
        assert!(is_last_chance(5, 5));
    }
}
