//! Test support: real nats-server processes on free loopback ports with temporary storage, pasta
//! started in-process against them, an HTTP client for its bridge, and a headless Chromium driven
//! over WebDriver for its pages. Nothing here is a mock.

pub mod browser;
pub mod http;
pub mod nats;
pub mod pasta;
pub mod python;

use serde_json::Value;

/// The fixtures directory of the repository (`tests/fixtures`).
pub fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A fixture body.
pub fn body(path: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join(path)).expect("fixture exists");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// A document with every `time` field removed (the one field that is not deterministic).
pub use ::pasta::engine::result::timeless;
