//! What the modes report with: CPU time per job from `/proc`, percentiles, the check that a
//! status document reads SUCCESS.

use std::time::Duration;

use anyhow::bail;
use serde_json::Value;

use crate::{row, Row};

/// Fails unless `payload` is a status document reading SUCCESS.
pub(crate) fn check_success(payload: &[u8]) -> anyhow::Result<()> {
    let doc: Value = serde_json::from_slice(payload)?;
    if doc["data"]["task_state"] != "SUCCESS" {
        bail!("unexpected status document: {doc}");
    }
    Ok(())
}

/// CPU time used so far by this process (loadgen, and pasta when embedded) and by the embedded
/// nats-server, from `/proc/<pid>/stat` (Linux; clock ticks of 10 ms).
pub(crate) struct Cpu {
    own: Option<f64>,
    server: Option<(u32, f64)>,
}

impl Cpu {
    pub(crate) fn now(server_pid: Option<u32>) -> Cpu {
        Cpu {
            own: cpu_seconds("self"),
            server: server_pid.and_then(|p| cpu_seconds(&p.to_string()).map(|s| (p, s))),
        }
    }

    /// The CPU milliseconds per job spent since `self`, as a row.
    pub(crate) fn per_job(&self, mode: &'static str, jobs: usize) -> Option<Row> {
        let own = (cpu_seconds("self")? - self.own?) * 1000.0 / jobs.max(1) as f64;
        let server = self.server.and_then(|(pid, before)| {
            Some((cpu_seconds(&pid.to_string())? - before) * 1000.0 / jobs.max(1) as f64)
        });
        let value = match server {
            Some(s) => format!("{own:.2} ms loadgen+pasta + {s:.2} ms nats-server"),
            None => format!("{own:.2} ms loadgen"),
        };
        Some(row(mode, "CPU per job", value))
    }
}

/// utime + stime of a process, seconds.
pub(crate) fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// `p50 / p90 / …` in milliseconds.
pub(crate) fn percentiles(samples: &mut [Duration], qs: &[f64]) -> String {
    if samples.is_empty() {
        return "no samples".into();
    }
    samples.sort();
    let at = |q: f64| {
        let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
        samples[rank - 1].as_secs_f64() * 1000.0
    };
    let values: Vec<String> = qs.iter().map(|q| format!("{:.3}", at(*q))).collect();
    format!("{} ms", values.join(" / "))
}

/// The median of `samples`: the rank [`percentiles`] reads for 0.5.
pub(crate) fn median(samples: &[Duration]) -> Option<Duration> {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = sorted.len().div_ceil(2);
    sorted.get(rank.checked_sub(1)?).copied()
}
