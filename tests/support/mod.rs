//! Test support: real nats-server processes on free loopback ports with temporary storage, and
//! pasta started in-process against them. Nothing here is a mock.
#![allow(dead_code)]

pub mod nats;
pub mod pasta;

use serde_json::Value;

/// The fixtures directory (`shared/` lies beside the repository).
pub fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures")
}

/// A fixture body.
pub fn body(path: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join(path)).expect("fixture exists");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// A document with every `time` field removed (the one field that is not deterministic).
#[allow(unused_imports)] // not every test binary compares results
pub use ::pasta::engine::result::timeless;

/// A plain HTTP/1.1 GET to the loopback port, waiting at most `wait` for the answer: its status
/// code and body, or `None` when nothing (or no HTTP) answers.
pub fn http_get(port: u16, path: &str, wait: std::time::Duration) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(wait)).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    Some((code, body))
}
