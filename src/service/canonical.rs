//! The digest that tells two submissions of one task id apart: SHA-256 of the type and of the
//! body in a canonical form (keys sorted, no insignificant white space), so that the same body
//! re-sent with its keys in another order is the same submission.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Hex SHA-256 of `type` and the canonical form of `body`.
pub fn digest(job_type: &str, body: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(job_type.as_bytes());
    hasher.update([0u8]);
    let mut out = Vec::new();
    write(body, &mut out);
    hasher.update(&out);
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn write(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend(serde_json::to_vec(k).expect("strings serialise"));
                out.push(b':');
                write(&map[k], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        other => out.extend(serde_json::to_vec(other).expect("scalars serialise")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_order_of_keys_does_not_change_the_digest() {
        let a = json!({"a": 1, "b": {"x": [1, 2], "y": null}});
        let b: Value = serde_json::from_str(r#"{"b": {"y": null, "x": [1, 2]}, "a": 1}"#).unwrap();
        assert_eq!(digest("bod_pasta", &a), digest("bod_pasta", &b));
    }

    #[test]
    fn another_type_or_value_changes_the_digest() {
        let a = json!({"a": 1});
        assert_ne!(digest("bod_pasta", &a), digest("nonbod_pasta", &a));
        assert_ne!(
            digest("bod_pasta", &a),
            digest("bod_pasta", &json!({"a": 2}))
        );
    }
}
