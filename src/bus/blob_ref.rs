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

/// The hex form of an object store digest, `SHA-256=<base64, URL-safe>` (`None` for another
/// algorithm or a malformed digest).
pub fn digest_hex(digest: &str) -> Option<String> {
    use base64::Engine as _;
    let encoded = digest.strip_prefix("SHA-256=")?;
    let bytes = base64::engine::general_purpose::URL_SAFE
        .decode(encoded)
        .ok()
        .filter(|b| b.len() == 32)?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
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

    #[test]
    fn a_store_digest_reads_as_the_hex_sha256_of_the_bytes() {
        use base64::Engine as _;
        use sha2::{Digest, Sha256};
        let bytes = b"a result, stored in chunks";
        let stored = format!(
            "SHA-256={}",
            base64::engine::general_purpose::URL_SAFE.encode(Sha256::digest(bytes))
        );
        assert_eq!(digest_hex(&stored), Some(sha256_hex(bytes)));
        assert_eq!(digest_hex("SHA-512=AAAA"), None);
        assert_eq!(digest_hex("SHA-256=not base64!"), None);
        assert_eq!(digest_hex("SHA-256=AAAA"), None, "too short for a SHA-256");
    }
}
