//! Reading a result document (`schemas/result.schema.json`) in its wire form, as
//! `serde_json::Value`: items, paths, SIDs, loads. Missing or misshapen members read as
//! empty: a page shows what there is.

use std::collections::HashMap;

use serde_json::Value;

use crate::model::SegPath;

/// An empty list, for members that are absent.
static EMPTY: Vec<Value> = Vec::new();

/// The items of a result document (`data`), one per algorithm entry.
pub fn items(result: &Value) -> &[Value] {
    list(result.get("data"))
}

/// A member that should be a list, or the empty list.
pub fn list(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array)
        .map_or(&EMPTY[..], Vec::as_slice)
}

/// Whether an item is a list job's (its `data` is a list of policies).
pub fn is_list_item(item: &Value) -> bool {
    item.get("data").is_some_and(Value::is_array)
}

/// A string member, or "".
pub fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Whether a `status` member is true.
pub fn ok(v: &Value) -> bool {
    v.get("status").and_then(Value::as_bool).unwrap_or(false)
}

/// The link ids of a list of paths (ids alternating node, link, node): every odd position.
pub fn path_links(paths: &[Value]) -> Vec<&str> {
    let mut out = Vec::new();
    for path in paths {
        for (k, id) in list(Some(path)).iter().enumerate() {
            if k % 2 == 1 {
                if let Some(id) = id.as_str() {
                    out.push(id);
                }
            }
        }
    }
    out
}

/// The node ids of a list of paths: every even position.
pub fn path_nodes(paths: &[Value]) -> Vec<&str> {
    let mut out = Vec::new();
    for path in paths {
        for (k, id) in list(Some(path)).iter().enumerate() {
            if k % 2 == 0 {
                if let Some(id) = id.as_str() {
                    out.push(id);
                }
            }
        }
    }
    out
}

/// A SID of a result: node (prefix) SIDs have no `lo`.
pub struct Sid<'a> {
    /// The node or link id.
    pub id: &'a str,
    /// Whether it is an adjacency SID.
    pub adjacency: bool,
    /// The label, as text.
    pub label: String,
    /// The address, if any.
    pub ip: Option<&'a str>,
}

/// The SIDs of a `sids` list, in push order.
pub fn sids(v: Option<&Value>) -> Vec<Sid<'_>> {
    list(v)
        .iter()
        .map(|s| Sid {
            id: text(s, "id"),
            adjacency: s.get("lo").is_some(),
            label: s.get("sid").map(super::html::value).unwrap_or_default(),
            ip: s.get("ip").and_then(Value::as_str),
        })
        .collect()
}

/// Adds to `load` what one placement puts on each link: `amount` split over each segment's
/// forwarding paths (a link on k of a segment's n paths gets k/n of it), summed over the
/// segments. `totals` (`segs_total`) gives n when a segment's list was cut.
pub fn add_segs(
    segs: &Value,
    totals: Option<&Value>,
    amount: f64,
    load: &mut HashMap<String, f64>,
) {
    for (s, seg) in list(Some(segs)).iter().enumerate() {
        let paths = list(Some(seg));
        let n = totals
            .and_then(|t| t.get(s))
            .and_then(Value::as_f64)
            .unwrap_or(paths.len() as f64);
        if n <= 0.0 {
            continue;
        }
        for link in path_links(paths) {
            *load.entry(link.to_string()).or_insert(0.0) += amount / n;
        }
    }
}

/// [`add_segs`] for a placement as a request carries it (`path`, `former.path`).
pub fn add_seg_path(segs: &SegPath, amount: f64, load: &mut HashMap<String, f64>) {
    for seg in segs {
        let n = seg.len() as f64;
        if n == 0.0 {
            continue;
        }
        for path in seg {
            for (k, id) in path.iter().enumerate() {
                if k % 2 == 1 {
                    *load.entry(id.clone()).or_insert(0.0) += amount / n;
                }
            }
        }
    }
}

/// The link ids of a request's placement, in order, without repeats.
pub fn seg_path_links(segs: &SegPath) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for seg in segs {
        for path in seg {
            for (k, id) in path.iter().enumerate() {
                if k % 2 == 1 && !out.contains(&id.as_str()) {
                    out.push(id);
                }
            }
        }
    }
    out
}
