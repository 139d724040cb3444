//! The clock the benches read, shared by `benches/engine.rs` and `benches/reopt.rs`
//! (`#[path = "support/clock.rs"] mod clock;`): wall time (default) or, with
//! `PASTA_BENCH_CLOCK=cpu`, the thread's CPU time, which time slices lost to other processes on a
//! shared machine (compiles on the same two cores) do not inflate.

#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rustix::time::{clock_gettime, ClockId};

/// What the measurement reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Wall time.
    Wall,
    /// The calling thread's CPU time.
    ThreadCpu,
}

impl Clock {
    /// The clock chosen by `PASTA_BENCH_CLOCK` (`wall`, the default, or `cpu`).
    pub fn get() -> Clock {
        static CLOCK: OnceLock<Clock> = OnceLock::new();
        *CLOCK.get_or_init(|| match std::env::var("PASTA_BENCH_CLOCK").as_deref() {
            Ok("cpu") => Clock::ThreadCpu,
            Ok("wall") | Err(_) => Clock::Wall,
            Ok(other) => panic!("PASTA_BENCH_CLOCK={other:?}: expected wall or cpu"),
        })
    }

    /// The current reading, from an arbitrary origin.
    pub fn now(self) -> Duration {
        static EPOCH: OnceLock<Instant> = OnceLock::new();
        match self {
            Clock::Wall => EPOCH.get_or_init(Instant::now).elapsed(),
            Clock::ThreadCpu => {
                let t = clock_gettime(ClockId::ThreadCPUTime);
                Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
            }
        }
    }

    /// Prints the load average (the machine is shared: the figures are upper bounds).
    pub fn print_load(when: &str) {
        if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
            eprintln!("load average {when}: {}", load.trim());
        }
    }
}
