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
pub fn timeless(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "time")
                .map(|(k, v)| (k.clone(), timeless(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(timeless).collect()),
        other => other.clone(),
    }
}
