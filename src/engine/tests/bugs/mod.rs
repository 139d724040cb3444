//! One test per computation bug of the original service (`reference/original-system.md` §7,
//! items 16–28), each on a small hand-made body and written so that the original behaviour
//! would fail it: [`jobs`] for the job types (16–21), [`congestion`] for congestion relief
//! (22–28). The helpers here build the bodies.

mod congestion;
mod jobs;

use serde_json::{json, Value};

use crate::model::JobType;

/// Nodes with node SIDs `16001…` and addresses `10.0.0.1…`, in order.
pub fn nodes(ids: &[&str]) -> Vec<Value> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| json!({"id": id, "ip": format!("10.0.0.{}", i + 1), "sid": 16001 + i}))
        .collect()
}

/// Directed links `(id, igp, physical bd)` with ids `LO-RE`: adjacency SIDs `24001…` in order,
/// te 1, no traffic, and class `Gold` with 100 reserved and available.
pub fn links(specs: &[(&str, u64, f64)]) -> Vec<Value> {
    specs
        .iter()
        .enumerate()
        .map(|(i, (id, igp, bd))| {
            let (lo, re) = id.split_once('-').expect("an id LO-RE");
            json!({"id": id, "lo": lo, "re": re, "sid": 24001 + i, "igp": igp, "te": 1, "bd": bd,
                   "traffic_flow": 0.0,
                   "qos_class": [{"class": "Gold", "bandwidth_reserve": 100.0,
                                  "bandwidth_available": 100.0}]})
        })
        .collect()
}

/// Sets `key` of link `id`.
pub fn set(links: &mut [Value], id: &str, key: &str, value: Value) {
    let link = links
        .iter_mut()
        .find(|l| l["id"] == json!(id))
        .unwrap_or_else(|| panic!("no link {id}"));
    link[key] = value;
}

/// Sets the `Gold` class of link `id`: reserve and available.
pub fn gold(links: &mut [Value], id: &str, reserve: f64, available: f64) {
    let class = json!([{"class": "Gold", "bandwidth_reserve": reserve,
                        "bandwidth_available": available}]);
    set(links, id, "qos_class", class);
}

/// The document of a valid body (`time` fields 0).
pub fn run(job_type: JobType, body: &Value) -> Value {
    crate::compute_value(job_type, body)
        .unwrap_or_else(|e| panic!("{job_type} body rejected:\n{e}\n{body}"))
}

/// A value without its `time` fields, at any depth.
pub fn without_time(v: &Value) -> Value {
    match v {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(k, _)| *k != "time")
                .map(|(k, v)| (k.clone(), without_time(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_time).collect()),
        other => other.clone(),
    }
}

/// The ids of a path value, joined by spaces: `"A A-B B"`.
pub fn walk(path: &Value) -> String {
    let ids: Vec<&str> = path
        .as_array()
        .expect("a path")
        .iter()
        .map(|id| id.as_str().expect("an id"))
        .collect();
    ids.join(" ")
}

/// The end-to-end paths of a result's `data`, as [`walk`]s.
pub fn paths(data: &Value) -> Vec<String> {
    data["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .map(walk)
        .collect()
}
