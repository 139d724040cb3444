//! Tests of the request model: parsing (aliases, defaults, presets, fixtures), every validation
//! rule of contract §2, properties over arbitrary JSON, and the JSON Schema kept in step with the
//! parser's key tables.

mod changes;
mod parsing;
mod properties;
mod schema;
mod streamed;
mod validation;

use std::path::PathBuf;

use serde_json::{json, Value};

use super::{Job, JobType, Limits, Problem};

/// The fixtures of the repository (`tests/fixtures`).
fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every `request.json` under the fixtures, with the job type of its folder's `type` file (the
/// seed example, which has none, is valid as `bod_pasta`).
fn fixture_requests() -> Vec<(PathBuf, JobType, Value)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.file_name().is_some_and(|n| n == "request.json") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&fixtures(), &mut paths);
    assert!(
        !paths.is_empty(),
        "no fixture requests under {}",
        fixtures().display()
    );
    paths
        .into_iter()
        .map(|path| {
            let dir = path.parent().expect("a folder");
            let job_type = match std::fs::read_to_string(dir.join("type")) {
                Ok(name) => JobType::parse(name.trim())
                    .unwrap_or_else(|| panic!("unknown type {name:?} in {}", dir.display())),
                Err(_) => JobType::BodPasta,
            };
            let text = std::fs::read_to_string(&path).expect("a readable fixture");
            let body = serde_json::from_str(&text).expect("a JSON fixture");
            (path, job_type, body)
        })
        .collect()
}

/// A small valid body for a job type, with every field of every object given (short names).
fn valid_body(job_type: JobType) -> Value {
    let qos = |reserve: f64| {
        json!([{"class": "Gold", "bandwidth_reserve": reserve, "bandwidth_available": reserve,
                "traffic_flow": 0}])
    };
    let link = |id: &str, lo: &str, re: &str, sid: u64, flow: f64| {
        json!({"id": id, "lo": lo, "re": re, "ip": "192.0.2.1", "sid": sid, "igp": 10, "te": 20,
               "delay": 1.5, "bd": 100, "affi": "0x1", "srlg": [7], "traffic_flow": flow,
               "qos_class": qos(50.0)})
    };
    let mut policy = json!({
        "id": "SR1", "he": "A", "te": "C", "metric": "igp", "bd": 10, "affi": 0, "mask": "0x2",
        "inc": ["B"], "exc": ["D"], "dis": true, "class": "Gold", "priority": 2, "msd": 5,
        "algorithm": 128,
        "former": {"path": [[["A", "A-B", "B", "B-C", "C"]]], "bd": 5, "class": "Gold"}
    });
    let sr_policy = if job_type.is_list() {
        policy["path"] = json!([[["A", "A-B", "B", "B-C", "C"]]]);
        policy["traffic_flow"] = json!(3);
        let mut second = policy.clone();
        second["id"] = json!("SR2");
        second["he"] = json!("D");
        json!([policy, second])
    } else {
        policy
    };
    let mut body = json!({
        "nodes": [
            {"id": "A", "ip": "10.0.0.1", "sid": 16001,
             "prefix": [{"prefix": "10.0.0.1/32", "prefix_algorithm": 128, "prefix_sid": 17001}]},
            {"id": "B", "ip": "10.0.0.2", "sid": 16002},
            {"id": "C", "ip": "10.0.0.3", "sid": 16003},
            {"id": "D", "ip": "10.0.0.4", "sid": 16004}
        ],
        "links": [
            link("A-B", "A", "B", 24001, 90.0),
            link("B-A", "B", "A", 24002, 1.0),
            link("B-C", "B", "C", 24003, 1.0),
            link("C-B", "C", "B", 24004, 1.0),
            link("D-C", "D", "C", 24005, 1.0),
            link("A-D", "A", "D", 24006, 1.0)
        ],
        "sr_policy": sr_policy,
        "global": {
            "algorithm": [
                {"algo": 0, "sorter": "metric", "top": 10, "limit": 0, "loose": false},
                {"algo": 1, "sorter": "max_min_band", "top": 3, "limit": 1, "loose": true}
            ],
            "flow_factor": 1.0, "real_traffic": false, "traffic_ratio": 1.0,
            "sorting": "bandwidth_desc", "reopt_mode": "loose", "congest_threshold": 0.8,
            "target_threshold": 0.7, "priority_weight": 0.5, "bandwidth_weight": 0.5,
            "max_changes": 4, "encoding": "ecmp", "echo_topology": false,
            "prioriry_prefer": "HIGH", "traffic_prefer": "LOW"
        }
    });
    if job_type == JobType::BodCongestReopt {
        body["congested_link"] = json!(["A-B"]);
    }
    body
}

/// The problems of a body (none when it is valid), with the default limits.
fn problems(job_type: JobType, body: &Value) -> Vec<Problem> {
    problems_with(job_type, body, &Limits::default())
}

/// The problems of a body under `limits`.
fn problems_with(job_type: JobType, body: &Value, limits: &Limits) -> Vec<Problem> {
    match Job::parse(job_type, body, limits) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.0,
    }
}

/// Asserts that the body has a problem at `path` whose message contains `word`, and returns every
/// problem at that path.
#[track_caller]
fn assert_problem(job_type: JobType, body: &Value, path: &str, word: &str) -> Vec<Problem> {
    let found = problems(job_type, body);
    let here: Vec<Problem> = found.iter().filter(|p| p.path == path).cloned().collect();
    assert!(
        here.iter().any(|p| p.message.contains(word)),
        "expected a problem at {path} mentioning {word:?}, got {found:#?}"
    );
    here
}

/// Asserts that the body is valid.
#[track_caller]
fn assert_valid(job_type: JobType, body: &Value) -> Job {
    Job::parse(job_type, body, &Limits::default())
        .unwrap_or_else(|p| panic!("expected a valid {job_type} body, got:\n{p}"))
}

#[test]
fn the_valid_test_body_is_valid_for_every_job_type() {
    for job_type in JobType::ALL {
        assert_valid(job_type, &valid_body(job_type));
    }
}

#[test]
fn every_fixture_request_is_valid_for_its_job_type() {
    for (path, job_type, body) in fixture_requests() {
        if let Err(p) = Job::parse(job_type, &body, &Limits::default()) {
            panic!("{} ({job_type}) is rejected:\n{p}", path.display());
        }
    }
}
