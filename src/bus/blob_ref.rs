//! A body kept in the blob store and named instead of carried: `{"$ref": "<object name>"}`
//! (contract §4). Clients submit uploaded bodies this way and job messages carry large bodies
//! this way; both sides read and write it here.

use bytes::Bytes;
use serde_json::Value;

/// A reference is a small object; a body this long or longer is never one.
const MAX_REFERENCE_LEN: usize = 1024;

/// The object a body names instead of carrying itself: a JSON object with one member, `$ref`,
/// a string.
pub fn named_blob(body: &[u8]) -> Option<String> {
    if body.len() >= MAX_REFERENCE_LEN {
        return None;
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) if map.len() == 1 => match map.get("$ref") {
            Some(Value::String(name)) => Some(name.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The hex SHA-256 of an object's bytes: the digest a result named by a status is checked
/// against.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The body naming `name`.
pub fn reference(name: &str) -> Bytes {
    Bytes::from(serde_json::to_vec(&serde_json::json!({ "$ref": name })).expect("a JSON string"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_names_its_blob_and_nothing_else_does() {
        assert_eq!(named_blob(&reference("body/x")).as_deref(), Some("body/x"));
        assert_eq!(named_blob(br#" {"$ref": "a b"} "#).as_deref(), Some("a b"));
        for other in [
            &br#"{"$ref": "a", "nodes": []}"#[..],
            br#"{"$ref": 3}"#,
            br#"["$ref"]"#,
            br#"{"ref": "a"}"#,
            b"not json",
        ] {
            assert_eq!(
                named_blob(other),
                None,
                "{}",
                String::from_utf8_lossy(other)
            );
        }
        let long = format!(r#"{{"$ref": "{}"}}"#, "n".repeat(MAX_REFERENCE_LEN));
        assert_eq!(named_blob(long.as_bytes()), None);
    }
}
