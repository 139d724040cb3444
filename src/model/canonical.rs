//! The digest that tells two submissions of one task id apart: SHA-256 of the type and of the
//! body in a canonical form (keys sorted, each once with its last value, no insignificant white
//! space), so that the same body re-sent with its keys in another order is the same submission.
//!
//! Digests are stored in task records and compared across versions of pasta: the canonical form
//! must not change (a test pins it to the form of `serde_json`'s own writer).

use sha2::{Digest, Sha256};

use super::json::Json;

/// Hex SHA-256 of `type` and the canonical form of `body`.
pub fn digest(job_type: &str, body: &Json<'_>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(job_type.as_bytes());
    hasher.update([0u8]);
    let mut out = Vec::new();
    write(body, &mut out);
    hasher.update(&out);
    hex(&hasher.finalize())
}

/// Lower-case hex of `bytes`, as digests are written.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        text.push(DIGITS[usize::from(b >> 4)] as char);
        text.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    text
}

/// Appends the canonical form of `v`.
fn write(v: &Json<'_>, out: &mut Vec<u8>) {
    match v {
        Json::Object(members) => {
            out.push(b'{');
            for (i, (k, v)) in Json::members(members).into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(k, out);
                out.push(b':');
                write(v, out);
            }
            out.push(b'}');
        }
        Json::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        Json::Null => out.extend_from_slice(b"null"),
        Json::Bool(b) => scalar(b, out),
        Json::Number(n) => scalar(n, out),
        Json::String(s) => string(s, out),
    }
}

/// Appends a string as `serde_json` writes it: as it is when nothing in it needs escaping (no
/// `"`, `\` or control character), which is the common case, else by `serde_json` itself.
fn string(s: &str, out: &mut Vec<u8>) {
    if s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        scalar(s, out);
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// Appends a scalar as `serde_json` writes it.
fn scalar<T: serde::Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) {
    serde_json::to_writer(&mut *out, v).expect("scalars serialise");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    fn of(v: &Value) -> String {
        digest("bod_pasta", &Json::from_value(v))
    }

    /// The canonical form as the first versions of pasta wrote it, from a `serde_json::Value`.
    fn value_form(v: &Value, out: &mut Vec<u8>) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push(b'{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend(serde_json::to_vec(k).unwrap());
                    out.push(b':');
                    value_form(&map[k], out);
                }
                out.push(b'}');
            }
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    value_form(item, out);
                }
                out.push(b']');
            }
            other => out.extend(serde_json::to_vec(other).unwrap()),
        }
    }

    #[test]
    fn the_order_of_keys_does_not_change_the_digest() {
        let a = json!({"a": 1, "b": {"x": [1, 2], "y": null}});
        let b: Value = serde_json::from_str(r#"{"b": {"y": null, "x": [1, 2]}, "a": 1}"#).unwrap();
        assert_eq!(of(&a), of(&b));
    }

    #[test]
    fn another_type_or_value_changes_the_digest() {
        let a = json!({"a": 1});
        assert_ne!(
            digest("bod_pasta", &Json::from_value(&a)),
            digest("nonbod_pasta", &Json::from_value(&a))
        );
        assert_ne!(of(&a), of(&json!({"a": 2})));
    }

    #[test]
    fn a_repeated_key_counts_once_with_its_last_value() {
        let text = br#"{"a": 1, "b": 2, "a": 3}"#;
        let read = Json::from_slice(text).unwrap();
        assert_eq!(digest("bod_pasta", &read), of(&json!({"a": 3, "b": 2})));
    }

    fn text_body() -> impl Strategy<Value = Vec<u8>> {
        let leaf = prop_oneof![
            Just(json!(null)),
            any::<bool>().prop_map(|b| json!(b)),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            "[a-zé\"\\\\\n]{0,5}".prop_map(|s| json!(s)),
        ];
        let value = leaf.prop_recursive(3, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec(("[abé\"]{0,2}", inner), 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        });
        value.prop_map(|v| serde_json::to_vec(&v).unwrap())
    }

    proptest! {
        /// The canonical form is the one the Value-based digest of earlier versions wrote, so a
        /// task submitted before an upgrade is recognised when it is resubmitted after.
        #[test]
        fn the_canonical_form_is_the_one_earlier_versions_wrote(text in text_body()) {
            let value: Value = serde_json::from_slice(&text).unwrap();
            let mut expected = Vec::new();
            value_form(&value, &mut expected);
            let mut actual = Vec::new();
            write(&Json::from_slice(&text).unwrap(), &mut actual);
            prop_assert_eq!(String::from_utf8(actual).unwrap(), String::from_utf8(expected).unwrap());
        }
    }
}
