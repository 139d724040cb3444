//! Messages through nats-server per job, from its monitoring endpoint (`/varz`: `in_msgs`, the
//! messages clients sent it, and `out_msgs`, those it delivered to clients; JetStream's own
//! internal traffic counts in neither). Only for `--embedded`, whose nats-server serves
//! monitoring on a loopback port of its own: every bus operation of a job is at least one
//! message in, so this counts what a job costs the bus, before and after a change.

use std::net::SocketAddr;

use anyhow::Context;
use serde_json::Value;
use tokio::net::TcpStream;

use crate::status::Http1;
use crate::{row, Row};

/// `in_msgs` and `out_msgs` of a nats-server at one moment.
pub(crate) struct Messages {
    monitor: SocketAddr,
    before: (u64, u64),
}

impl Messages {
    /// The counts now.
    pub(crate) async fn now(monitor: SocketAddr) -> anyhow::Result<Messages> {
        Ok(Messages {
            monitor,
            before: counts(monitor).await?,
        })
    }

    /// Messages in and out per job since `self`, as a row.
    pub(crate) async fn per_job(&self, mode: &'static str, jobs: usize) -> anyhow::Result<Row> {
        let (inn, out) = counts(self.monitor).await?;
        let per = |now: u64, then: u64| (now - then) as f64 / jobs.max(1) as f64;
        Ok(row(
            mode,
            "NATS messages per job, in / out",
            format!(
                "{:.1} / {:.1}",
                per(inn, self.before.0),
                per(out, self.before.1)
            ),
        ))
    }
}

async fn counts(monitor: SocketAddr) -> anyhow::Result<(u64, u64)> {
    let socket = TcpStream::connect(monitor).await?;
    let mut http = Http1::over(socket, monitor).await?;
    let (code, body) = http.get("/varz").await?;
    anyhow::ensure!(code == 200, "/varz answered {code}");
    let varz: Value = serde_json::from_slice(&body)?;
    let count = |k: &str| {
        varz[k]
            .as_u64()
            .with_context(|| format!("/varz has no {k}"))
    };
    Ok((count("in_msgs")?, count("out_msgs")?))
}
