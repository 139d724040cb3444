//! Comparison of result documents: every field of the expected document must be in the actual one
//! with an equal value. Numbers compare as numbers within 1e-9 (so `10` equals `10.0`), lists in
//! order and in full, `time` fields are skipped, and fields the expected document lacks are free.

use serde_json::Value;

/// How an expected empty object (`{}`) is matched.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Empty {
    /// `{}` matches any object (documented examples: `"info": {}` constrains nothing).
    Free,
    /// `{}` matches only `{}` (the reference: `data: {}`, `d_attr: {}` mean "nothing").
    Exact,
}

/// Every difference between `expected` and `actual`, as `path: reason` lines.
pub fn differences(expected: &Value, actual: &Value, empty: Empty) -> Vec<String> {
    let mut out = vec![];
    walk(expected, actual, empty, "$", &mut out);
    out
}

fn walk(expected: &Value, actual: &Value, empty: Empty, at: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            if e.is_empty() && !a.is_empty() && empty == Empty::Exact {
                out.push(format!("{at}: expected {{}}, got {actual}"));
            }
            for (key, value) in e.iter().filter(|(k, _)| *k != "time") {
                match a.get(key) {
                    Some(found) => walk(value, found, empty, &format!("{at}.{key}"), out),
                    None => out.push(format!("{at}.{key}: missing (expected {value})")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!(
                    "{at}: {} elements expected, {} found\n  expected {expected}\n  actual   {actual}",
                    e.len(),
                    a.len()
                ));
                return;
            }
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                walk(x, y, empty, &format!("{at}[{i}]"), out);
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (e.as_f64().expect("finite"), a.as_f64().expect("finite"));
            if (e - a).abs() > 1e-9 {
                out.push(format!("{at}: expected {e}, got {a}"));
            }
        }
        _ if expected == actual => {}
        _ => out.push(format!("{at}: expected {expected}, got {actual}")),
    }
}
