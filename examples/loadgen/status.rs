//! The status mode: query latency of one finished task over NATS request-reply and over
//! HTTP, with a plain HTTP/1.1 keep-alive client.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use futures::StreamExt;
use pasta::bus::Names;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::stats::{check_success, percentiles};
use crate::throughput::submit;
use crate::{row, Row, TYPE};

/// The status mode: query latency of one finished task, over NATS and over HTTP.
pub(crate) async fn status(
    client: &async_nats::Client,
    names: &Names,
    body: &Bytes,
    http: &str,
    queries: usize,
    limit: Duration,
) -> anyhow::Result<Vec<Row>> {
    eprintln!("status: {queries} queries per transport");
    let mut events = client
        .subscribe(names.event_subject(TYPE, "success"))
        .await?;
    client.flush().await?;
    let id = uuid::Uuid::new_v4().hyphenated().to_string();
    let answer = submit(client, names, body, &id).await?;
    if answer["status"] != json!(true) {
        bail!("submission refused: {answer}");
    }
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(m) = events.next().await {
            let e: Value = serde_json::from_slice(&m.payload).unwrap_or(Value::Null);
            if e["task_id"] == json!(id) {
                return;
            }
        }
    })
    .await
    .context("the status task did not finish within 30 s")?;
    let query = Bytes::from(serde_json::to_vec(
        &json!({"task_id": id, "type": TYPE.as_str()}),
    )?);

    let deadline = Instant::now() + limit;
    let mut nats = Vec::with_capacity(queries);
    for i in 0..queries + 100 {
        if Instant::now() >= deadline {
            break;
        }
        let t0 = Instant::now();
        let reply = client
            .request(names.status_subject(), query.clone())
            .await?;
        let took = t0.elapsed();
        check_success(&reply.payload)?;
        if i >= 100 {
            nats.push(took);
        }
    }
    let mut rows = vec![row(
        "status",
        format!("NATS request-reply p50/p99 ({} queries)", nats.len()),
        percentiles(&mut nats, &[0.5, 0.99]),
    )];

    let addr: Option<SocketAddr> = tokio::net::lookup_host(http)
        .await
        .ok()
        .and_then(|mut a| a.next());
    let connection = match addr {
        Some(a) => TcpStream::connect(a).await.ok().map(|s| (a, s)),
        None => None,
    };
    let Some((addr, socket)) = connection else {
        rows.push(row(
            "status",
            "HTTP GET",
            format!("skipped: no bridge at {http}"),
        ));
        return Ok(rows);
    };
    socket.set_nodelay(true)?;
    let mut conn = Http1 {
        stream: BufReader::new(socket),
        host: addr.to_string(),
    };
    let path = format!("/api/job/check_status?task_id={id}&type={}", TYPE.as_str());
    let deadline = Instant::now() + limit;
    let mut over_http = Vec::with_capacity(queries);
    for i in 0..queries + 100 {
        if Instant::now() >= deadline {
            break;
        }
        let t0 = Instant::now();
        let (code, content) = conn.get(&path).await?;
        let took = t0.elapsed();
        if code != 200 {
            bail!("HTTP {code}: {}", String::from_utf8_lossy(&content));
        }
        check_success(&content)?;
        if i >= 100 {
            over_http.push(took);
        }
    }
    rows.push(row(
        "status",
        format!("HTTP GET keep-alive p50/p99 ({} queries)", over_http.len()),
        percentiles(&mut over_http, &[0.5, 0.99]),
    ));
    Ok(rows)
}

/// A plain HTTP/1.1 keep-alive client (GET with Content-Length answers).
pub(crate) struct Http1 {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Http1 {
    pub(crate) async fn get(&mut self, path: &str) -> anyhow::Result<(u16, Vec<u8>)> {
        let head = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.host);
        self.stream.get_mut().write_all(head.as_bytes()).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let code: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .with_context(|| format!("status line {line:?}"))?;
        let mut length = None;
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                bail!("the connection closed");
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = Some(v.trim().parse::<usize>()?);
                }
            }
        }
        let mut content = vec![0; length.context("no Content-Length")?];
        self.stream.read_exact(&mut content).await?;
        Ok((code, content))
    }
}
