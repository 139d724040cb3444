//! The status mode: query latency of one finished task over NATS request-reply and over
//! HTTP, with hyper's HTTP/1.1 client over one keep-alive connection.

use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::{Connection, SendRequest};
use hyper::Request;
use hyper_util::rt::TokioIo;
use pasta::bus::Names;
use serde_json::{json, Value};
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
    let mut conn = Http1::over(socket, addr).await?;
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

/// One keep-alive HTTP/1.1 connection (hyper's connection-level client: no pool, every query
/// on this connection). The connection is driven by `get` itself, in the caller's task, rather
/// than by a task of its own: handing each query to another task and its answer back cost about
/// a tenth of the p50 here.
pub(crate) struct Http1 {
    sender: SendRequest<Empty<Bytes>>,
    connection: Pin<Box<Connection<TokioIo<TcpStream>, Empty<Bytes>>>>,
    host: String,
}

impl Http1 {
    /// The client over a connected socket.
    pub(crate) async fn over(socket: TcpStream, addr: SocketAddr) -> anyhow::Result<Http1> {
        socket.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(socket)).await?;
        Ok(Http1 {
            sender,
            connection: Box::pin(connection),
            host: addr.to_string(),
        })
    }

    /// `GET path`: the status code and the whole body.
    pub(crate) async fn get(&mut self, path: &str) -> anyhow::Result<(u16, Bytes)> {
        let request = Request::get(path)
            .header(hyper::header::HOST, &self.host)
            .body(Empty::new())?;
        let sender = &mut self.sender;
        let exchange = async {
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let code = response.status().as_u16();
            let content = response.into_body().collect().await?.to_bytes();
            anyhow::Ok((code, content))
        };
        tokio::select! {
            answer = exchange => answer,
            ended = self.connection.as_mut() => match ended {
                Ok(()) => bail!("the connection closed"),
                Err(e) => Err(e.into()),
            },
        }
    }
}
