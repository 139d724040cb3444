//! The HTTP bridge against hostile clients, on a real socket (raw bytes on purpose: a client
//! crate sends well-formed requests only): headers that trickle, a body that never comes, a
//! `Content-Length` far over the limit, and a flood of idle connections. Every test is bounded
//! in count and time, on loopback.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use pasta::http::{AppState, HttpLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::support::nats::NatsServer;
use crate::support::pasta as harness;

/// Short bounds, so that the tests take a second or two.
fn limits() -> HttpLimits {
    HttpLimits {
        header_timeout: Duration::from_millis(400),
        body_timeout: Duration::from_millis(400),
        idle_timeout: Duration::from_millis(600),
        max_connections: 8,
    }
}

/// The bridge of a fresh service on a free port; its address and its stop signal.
async fn bridge(nats: &NatsServer) -> (SocketAddr, watch::Sender<bool>) {
    let service = harness::service(nats).await;
    let state = AppState {
        limits: limits(),
        ..AppState::new(service, None)
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, shutdown) = watch::channel(false);
    tokio::spawn(pasta::http::run(state, listener, shutdown));
    (addr, stop)
}

/// Reads what the server sends until it closes the connection (or `wait` passes): the bytes,
/// and whether it closed.
async fn until_closed(socket: &mut TcpStream, wait: Duration) -> (String, bool) {
    let mut seen = Vec::new();
    let deadline = Instant::now() + wait;
    loop {
        let mut buf = [0u8; 4096];
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, socket.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&seen).into(), true),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&seen).into(), false),
        }
    }
}

/// A GET of `/healthz` on a new connection: the status line, if one came.
async fn healthz(addr: SocketAddr) -> Option<String> {
    let mut socket = TcpStream::connect(addr).await.ok()?;
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .ok()?;
    let (answer, _) = until_closed(&mut socket, Duration::from_secs(5)).await;
    answer.lines().next().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_that_trickle_are_cut_off_at_the_header_time_out() {
    let nats = NatsServer::start();
    let (addr, stop) = bridge(&nats).await;
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHo")
        .await
        .unwrap();
    let started = Instant::now();
    let (_, closed) = until_closed(&mut socket, Duration::from_secs(5)).await;
    assert!(closed, "the connection stayed open");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "closed only after {:?}",
        started.elapsed()
    );
    let _ = stop.send(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_comes_is_answered_408_and_a_huge_content_length_413_at_once() {
    let nats = NatsServer::start();
    let (addr, stop) = bridge(&nats).await;
    // Ten bytes of a hundred promised.
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket
        .write_all(b"POST /api/compute/nonbod_pasta HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"nodes\":")
        .await
        .unwrap();
    let (answer, _) = until_closed(&mut socket, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"BAD_REQUEST\""), "{answer}");
    // A chunked body that never ends.
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket
        .write_all(b"POST /api/jobs/nonbod_pasta HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n")
        .await
        .unwrap();
    let (answer, _) = until_closed(&mut socket, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // 10^11 bytes announced: refused before a byte of it is read.
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket
        .write_all(b"POST /api/jobs/nonbod_pasta HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000000\r\n\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let (answer, _) = until_closed(&mut socket, Duration::from_millis(300)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"TOO_LARGE\""), "{answer}");
    assert!(started.elapsed() < Duration::from_millis(300));
    let _ = stop.send(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_idle_connections_holds_the_bridge_only_until_the_idle_time_out() {
    let nats = NatsServer::start();
    let (addr, stop) = bridge(&nats).await;
    assert_eq!(healthz(addr).await.as_deref(), Some("HTTP/1.1 200 OK"));
    // Twice the limit, all idle.
    let mut idle = Vec::new();
    for _ in 0..2 * limits().max_connections {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Past the limit, a new connection is closed at once rather than queued behind the flood.
    let refused = healthz(addr).await;
    assert_ne!(
        refused.as_deref(),
        Some("HTTP/1.1 200 OK"),
        "served past the limit"
    );
    // The idle ones are closed after the time-out, and the bridge serves again.
    tokio::time::sleep(limits().idle_timeout + Duration::from_millis(600)).await;
    for socket in &mut idle[..limits().max_connections] {
        let (_, closed) = until_closed(socket, Duration::from_secs(2)).await;
        assert!(closed, "an idle connection stayed open");
    }
    assert_eq!(healthz(addr).await.as_deref(), Some("HTTP/1.1 200 OK"));
    let _ = stop.send(true);
}
