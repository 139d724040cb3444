//! The result document against its JSON Schema (`schemas/result.schema.json`), so that the two
//! cannot drift apart: the engine's output on every fixture, on random bodies of the property
//! tests (as their own single-policy type and recast as bod_modified, bod_reopt and nonbod_reopt),
//! and on hand-built bodies that reach what random ones rarely do (`echo_topology`, `released`,
//! cut listings, every failure code, every list item shape) must be valid; the schema must name
//! every member those documents use and nothing they never use; and documents with an unknown
//! member, a missing one or a wrong type must be invalid, so the schema is not vacuous.

use std::collections::BTreeSet;
use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::strategies::spec;
use crate::model::JobType;

fn schemas() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

fn read_schema(name: &str) -> Value {
    let path = schemas().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&read_schema("result.schema.json")).expect("the schema compiles")
}

/// Every violation of `doc`, one per line (empty when valid).
fn violations(validator: &jsonschema::Validator, doc: &Value) -> String {
    validator
        .iter_errors(doc)
        .map(|e| format!("  at {}: {e}", e.instance_path()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Computes a body and asserts its document is valid; returns it.
fn valid(validator: &jsonschema::Validator, job_type: JobType, body: &Value) -> Value {
    let doc = crate::compute_value(job_type, body)
        .unwrap_or_else(|p| panic!("{job_type}: the body is rejected:\n{p}\nbody: {body}"));
    let errors = violations(validator, &doc);
    assert!(
        errors.is_empty(),
        "{job_type}: the result violates result.schema.json:\n{errors}\nbody: {body}\nresult: {doc}"
    );
    doc
}

/// The fixtures: `(folder, job type)` of every request with a known type.
fn fixture_cases() -> Vec<(PathBuf, JobType)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut cases = vec![
        (root.join("seed-example"), JobType::NonbodPasta),
        (root.join("seed-example"), JobType::BodPasta),
    ];
    let dir = root.join("contract-examples");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    for folder in folders {
        let name = std::fs::read_to_string(folder.join("type")).expect("a type file");
        let job_type = JobType::parse(name.trim()).expect("a known type");
        cases.push((folder, job_type));
    }
    cases
}

fn fixture_request(folder: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(folder.join("request.json")).expect("request.json");
    serde_json::from_str(&text).expect("JSON")
}

// ---- Hand-built bodies ----------------------------------------------------------------------

/// A link `lo → re` of `igp`, physical bandwidth 100, class Gold (reserve and available 100).
fn link(lo: &str, re: &str, igp: u64, sid: u64) -> Value {
    json!({
        "id": format!("{lo}-{re}"), "lo": lo, "re": re, "ip": format!("192.0.2.{}", sid % 250),
        "sid": sid, "igp": igp, "te": igp, "delay": igp as f64, "bd": 100,
        "qos_class": [{"class": "Gold", "bandwidth_reserve": 100, "bandwidth_available": 100}],
    })
}

/// A body over SR nodes `nodes` and `edges` (`a`, `b`, igp: a link each way), with `policy` and
/// `global`.
fn net(nodes: &[&str], edges: &[(&str, &str, u64)], policy: Value, global: Value) -> Value {
    let nodes: Vec<Value> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| json!({"id": n, "ip": format!("10.0.0.{}", i + 1), "sid": 16000 + i}))
        .collect();
    let mut links = Vec::new();
    for (k, &(a, b, igp)) in edges.iter().enumerate() {
        links.push(link(a, b, igp, 24000 + 2 * k as u64));
        links.push(link(b, a, igp, 24001 + 2 * k as u64));
    }
    json!({"nodes": nodes, "links": links, "sr_policy": policy, "global": global})
}

/// Node and edge lists of a ladder from `from` to `to`: `stages` diamonds (two equal routes
/// each), so `2^stages` equal-cost paths; node names start with `tag`.
fn ladder(
    tag: &str,
    from: &str,
    to: &str,
    stages: usize,
    igp: u64,
) -> (Vec<String>, Vec<(String, String, u64)>) {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let mut at = from.to_owned();
    for s in 0..stages {
        let next = if s + 1 == stages {
            to.to_owned()
        } else {
            format!("{tag}{s}")
        };
        if s + 1 < stages {
            nodes.push(next.clone());
        }
        for side in ["u", "d"] {
            let mid = format!("{tag}{s}{side}");
            nodes.push(mid.clone());
            edges.push((at.clone(), mid.clone(), igp));
            edges.push((mid, next.clone(), igp));
        }
        at = next;
    }
    (nodes, edges)
}

/// [`net`] over owned names.
fn net_owned(
    nodes: &[String],
    edges: &[(String, String, u64)],
    policy: Value,
    global: Value,
) -> Value {
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let edges: Vec<(&str, &str, u64)> = edges
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), *c))
        .collect();
    net(&nodes, &edges, policy, global)
}

/// Two ladders from `S` to `T`: `A` (11 stages, igp 1: 2048 least-cost paths, so the main
/// listing is cut) and `B` (12 stages, igp 2, reached from `T` by one link of igp 100: the
/// disjoint path's first segment has 4096 paths).
fn two_ladders(policy: Value) -> Value {
    let (mut nodes, mut edges) = ladder("a", "S", "T", 11, 1);
    let (bn, be) = ladder("b", "S", "E", 12, 2);
    nodes.extend(bn);
    edges.extend(be);
    nodes.extend(["S".to_owned(), "T".to_owned(), "E".to_owned()]);
    edges.push(("E".to_owned(), "T".to_owned(), 100));
    net_owned(&nodes, &edges, policy, json!({}))
}

/// Every hand-built case: `(what, job type, body)`.
fn hand_built() -> Vec<(&'static str, JobType, Value)> {
    let square = ["A", "B", "C", "D"];
    // A–B–D and A–C–D equal, A–D direct and dearer.
    let sq_edges = [
        ("A", "B", 1),
        ("B", "D", 1),
        ("A", "C", 1),
        ("C", "D", 1),
        ("A", "D", 5),
    ];
    let gold = |p: Value| {
        let mut p = p;
        p["class"] = json!("Gold");
        p
    };
    let mut cases = vec![
        (
            "dis, node-disjoint",
            JobType::NonbodPasta,
            net(
                &square,
                &sq_edges,
                json!({"he": "A", "te": "D", "dis": true}),
                json!({}),
            ),
        ),
        (
            "dis, no disjoint path",
            JobType::NonbodPasta,
            net(
                &["A", "B", "C"],
                &[("A", "B", 1), ("B", "C", 1)],
                json!({"he": "A", "te": "C", "dis": true}),
                json!({}),
            ),
        ),
        (
            "dis, link-disjoint only (parallel links)",
            JobType::NonbodPasta,
            {
                let mut body = net(
                    &["A", "B", "C"],
                    &[("A", "B", 1), ("B", "C", 1)],
                    json!({"he": "A", "te": "C", "dis": true}),
                    json!({}),
                );
                let links = body["links"].as_array_mut().expect("links");
                for (lo, re, sid) in [("A", "B", 24100), ("B", "C", 24101)] {
                    let mut l = link(lo, re, 2, sid);
                    l["id"] = json!(format!("{lo}-{re}.2"));
                    links.push(l);
                }
                body
            },
        ),
        (
            "cut listings (segs_total, paths_total) and a cut disjoint path",
            JobType::NonbodPasta,
            two_ladders(json!({"he": "S", "te": "T", "dis": true})),
        ),
        (
            "bod_pasta with echo_topology, flex-algo prefixes, srlg, traffic",
            JobType::BodPasta,
            {
                let mut body = net(
                    &square,
                    &sq_edges,
                    gold(json!({"he": "A", "te": "D", "bd": 10})),
                    json!({"echo_topology": true, "algorithm": [{"algo": 0}, {"algo": 1, "top": 3}]}),
                );
                body["nodes"][0]["prefix"] = json!([{"prefix": "10.1.0.1/32", "prefix_algorithm": 128, "prefix_sid": 17001}, {"prefix_algorithm": 129}]);
                body["links"][0]["srlg"] = json!([7, 9]);
                body["links"][0]["traffic_flow"] = json!(12.5);
                body
            },
        ),
        (
            "bod_modified: released, echo_topology, a vanished former link",
            JobType::BodModified,
            {
                let former = json!({"path": [[["A", "A-B", "B", "B-D", "D"], ["A", "A-X", "X"]]], "bd": 20, "class": "Gold"});
                let policy = gold(json!({"he": "A", "te": "D", "bd": 10, "former": former}));
                net(&square, &sq_edges, policy, json!({"echo_topology": true}))
            },
        ),
        (
            "bod_modified whose new placement fails",
            JobType::BodModified,
            {
                let former = json!({"path": [[["A", "A-D", "D"]]], "bd": 20, "class": "Gold"});
                net(
                    &square,
                    &sq_edges,
                    gold(json!({"he": "A", "te": "D", "bd": 500, "former": former})),
                    json!({}),
                )
            },
        ),
        (
            "NO_PATH on bandwidth",
            JobType::BodPasta,
            net(
                &square,
                &sq_edges,
                gold(json!({"he": "A", "te": "D", "bd": 150})),
                json!({}),
            ),
        ),
        (
            "NO_PATH on exclusions, and with the topology disconnected",
            JobType::NonbodPasta,
            net(
                &["A", "B", "C", "Z"],
                &[("A", "B", 1), ("B", "C", 1)],
                json!({"he": "A", "te": "C", "exc": ["B"]}),
                json!({}),
            ),
        ),
        (
            "NO_PATH without a path at all",
            JobType::NonbodPasta,
            net(
                &["A", "B", "C", "Z"],
                &[("A", "B", 1), ("B", "C", 1)],
                json!({"he": "A", "te": "Z"}),
                json!({}),
            ),
        ),
        (
            "UNREACHABLE_WAYPOINT",
            JobType::NonbodPasta,
            net(
                &square,
                &sq_edges,
                json!({"he": "A", "te": "D", "inc": ["C"], "exc": ["A-C", "D-C"]}),
                json!({}),
            ),
        ),
        (
            "MSD_EXCEEDED",
            JobType::NonbodPasta,
            net(
                &square,
                &[("A", "B", 5), ("B", "C", 5), ("A", "D", 1), ("D", "C", 1)],
                json!({"he": "A", "te": "C", "exc": ["D"], "msd": 1}),
                json!({}),
            ),
        ),
        (
            "LIMIT",
            JobType::NonbodPasta,
            net(
                &square,
                &sq_edges,
                json!({"he": "A", "te": "D"}),
                json!({"algorithm": [{"algo": 0, "limit": 1}, {"algo": 1, "sorter": "min_hop", "limit": 1}]}),
            ),
        ),
    ];
    // List jobs.
    let list = |bd: [u64; 3]| {
        json!([
            {"id": "p1", "he": "A", "te": "D", "bd": bd[0], "class": "Gold"},
            {"id": "p2", "he": "B", "te": "C", "bd": bd[1], "class": "Silver"},
            {"id": "p3", "he": "A", "te": "D", "bd": bd[2], "class": "Gold", "exc": ["B", "C", "A-D"]},
        ])
    };
    let mut reopt = net(
        &square,
        &sq_edges,
        list([60, 10, 30]),
        json!({"algorithm": [{"algo": 0}, {"algo": 1, "top": 2}]}),
    );
    for l in reopt["links"].as_array_mut().expect("links") {
        l["qos_class"]
            .as_array_mut()
            .expect("classes")
            .push(json!({"class": "Silver", "bandwidth_reserve": 20, "bandwidth_available": 5}));
    }
    cases.push((
        "bod_reopt: two classes, an unplaced policy",
        JobType::BodReopt,
        reopt.clone(),
    ));
    let mut all_placed = reopt.clone();
    all_placed["sr_policy"] = list([60, 10, 0]);
    all_placed["sr_policy"][2]["exc"] = json!([]);
    cases.push((
        "bod_reopt: every policy placed",
        JobType::BodReopt,
        all_placed.clone(),
    ));
    cases.push((
        "nonbod_reopt: an unplaced policy",
        JobType::NonbodReopt,
        reopt,
    ));
    cases.push((
        "nonbod_reopt: every policy placed",
        JobType::NonbodReopt,
        all_placed,
    ));
    // Congestion: A–B carries two movable policies and A–C–B is free; C–D carries one that is
    // not movable.
    let congest = |mode: &str, policies: Value, listed: Value| {
        let mut body = net(
            &square,
            &[("A", "B", 1), ("A", "C", 2), ("C", "B", 2), ("C", "D", 1)],
            policies,
            json!({"reopt_mode": mode, "congest_threshold": 0.8, "target_threshold": 0.5}),
        );
        for l in body["links"].as_array_mut().expect("links") {
            let busy = l["id"] == "A-B" || l["id"] == "C-D";
            l["traffic_flow"] = json!(if busy { 90.0 } else { 10.0 });
        }
        body["congested_link"] = listed;
        body
    };
    let movable = json!([
        {"id": "m1", "he": "A", "te": "B", "class": "Gold", "bd": 5, "priority": 1, "traffic_flow": 30, "path": [[["A", "A-B", "B"]]]},
        {"id": "m2", "he": "A", "te": "B", "class": "Gold", "bd": 5, "priority": 2, "traffic_flow": 20, "path": [[["A", "A-B", "B"]], [["B", "B-gone", "Q"]]]},
        {"id": "m3", "he": "C", "te": "D", "class": "Gold", "bd": 5, "priority": 0, "traffic_flow": 80, "path": [[["C", "C-D", "D"]]]},
    ]);
    cases.push((
        "bod_congest_reopt: relieved, a warning",
        JobType::BodCongestReopt,
        congest("loose", movable.clone(), json!(["A-B"])),
    ));
    cases.push((
        "bod_congest_reopt loose: one link unrelieved",
        JobType::BodCongestReopt,
        congest("loose", movable.clone(), json!(["A-B", "C-D"])),
    ));
    cases.push((
        "bod_congest_reopt strict: unrelieved, no move",
        JobType::BodCongestReopt,
        congest("strict", movable, json!(["C-D", "A-B"])),
    ));
    cases
}

#[test]
fn the_result_schema_is_a_valid_draft_2020_12_schema() {
    let schema = read_schema("result.schema.json");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    if let Err(e) = jsonschema::meta::validate(&schema) {
        panic!("result.schema.json is not a valid JSON Schema: {e}");
    }
}

#[test]
fn every_fixture_result_is_valid_under_the_result_schema() {
    let validator = validator();
    let cases = fixture_cases();
    assert!(cases.len() >= 11, "the fixtures are missing");
    for (folder, job_type) in cases {
        let doc = valid(&validator, job_type, &fixture_request(&folder));
        assert!(
            !doc["data"].as_array().expect("items").is_empty(),
            "{}",
            folder.display()
        );
    }
}

#[test]
fn every_hand_built_result_is_valid_under_the_result_schema() {
    let validator = validator();
    for (what, job_type, body) in hand_built() {
        let doc = crate::compute_value(job_type, &body)
            .unwrap_or_else(|p| panic!("{what}: the body is rejected:\n{p}"));
        let errors = violations(&validator, &doc);
        assert!(
            errors.is_empty(),
            "{what}: the result violates result.schema.json:\n{errors}\nresult: {doc}"
        );
    }
}

/// Every object member name used by `doc`, into `out`.
fn member_names(doc: &Value, out: &mut BTreeSet<String>) {
    match doc {
        Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                member_names(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| member_names(v, out)),
        _ => {}
    }
}

/// Every property name the schema declares.
fn schema_members(schema: &Value, out: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "properties" {
                    out.extend(v.as_object().expect("properties").keys().cloned());
                }
                schema_members(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| schema_members(v, out)),
        _ => {}
    }
}

#[test]
fn the_hand_built_results_reach_every_situation_and_member_the_schema_describes() {
    let mut used = BTreeSet::new();
    let mut codes = BTreeSet::new();
    let mut d_modes = BTreeSet::new();
    let mut docs = Vec::new();
    for (what, job_type, body) in hand_built() {
        let doc = crate::compute_value(job_type, &body)
            .unwrap_or_else(|p| panic!("{what}: the body is rejected:\n{p}"));
        member_names(&doc, &mut used);
        docs.push((what, doc));
    }
    for (_, doc) in &docs {
        for item in doc["data"].as_array().expect("items") {
            let entries = match &item["data"] {
                Value::Array(entries) => entries.clone(),
                _ => vec![item.clone()],
            };
            for e in entries.iter().chain([item]) {
                if let Some(code) = e["info"]["code"].as_str() {
                    codes.insert(code.to_owned());
                }
                if let Some(mode) = e["data"]["d_mode"].as_str() {
                    d_modes.insert(mode.to_owned());
                }
            }
        }
    }
    let expected_codes = [
        "LIMIT",
        "MSD_EXCEEDED",
        "NO_PATH",
        "UNREACHABLE_WAYPOINT",
        "UNRELIEVED",
    ];
    assert_eq!(
        codes,
        expected_codes.map(String::from).into(),
        "failure codes reached"
    );
    assert_eq!(
        d_modes,
        ["link", "node", "none"].map(String::from).into(),
        "d_mode values reached"
    );
    let mut declared = BTreeSet::new();
    schema_members(&read_schema("result.schema.json"), &mut declared);
    let never_used: Vec<&String> = declared.difference(&used).collect();
    assert!(
        never_used.is_empty(),
        "result.schema.json declares members no hand-built result uses (stale, or a case is missing): {never_used:?}"
    );
    let undeclared: Vec<&String> = used.difference(&declared).collect();
    assert!(
        undeclared.is_empty(),
        "members the schema does not declare: {undeclared:?}"
    );
}

/// A random body recast as the other job types of its family: bod bodies as bod_modified (its
/// former placement the first entry's path, when one was found) and bod_reopt, nonbod bodies as
/// nonbod_reopt (the policy twice, as `p1` and `p2`).
fn recast(job_type: JobType, body: &Value, single: &Value) -> Vec<(JobType, Value)> {
    let mut out = Vec::new();
    let policy = &body["sr_policy"];
    let mut list = vec![policy.clone(), policy.clone()];
    list[0]["id"] = json!("p1");
    list[1]["id"] = json!("p2");
    let mut reopt = body.clone();
    reopt["sr_policy"] = json!(list);
    let first = &single["data"][0];
    if job_type == JobType::BodPasta {
        let mut modified = body.clone();
        let path = first["data"]["segs"].clone();
        let path = if path.is_array() { path } else { json!([]) };
        modified["sr_policy"]["former"] = json!({"path": path, "bd": 10, "class": "Gold"});
        out.push((JobType::BodModified, modified));
        out.push((JobType::BodReopt, reopt));
    } else {
        out.push((JobType::NonbodReopt, reopt));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn engine_results_on_random_bodies_are_valid_under_the_result_schema(spec in spec()) {
        let validator = validator();
        let (job_type, body) = spec.body();
        let single = valid(&validator, job_type, &body);
        for (t, recast) in recast(job_type, &body, &single) {
            valid(&validator, t, &recast);
        }
    }
}

#[test]
fn the_result_schema_rejects_unknown_members_missing_members_and_wrong_types() {
    let validator = validator();
    let base = |case: &str| {
        let (_, t, body) = hand_built()
            .into_iter()
            .find(|(what, _, _)| what.starts_with(case))
            .expect("a hand-built case");
        crate::compute_value(t, &body).expect("valid")
    };
    let single = base("bod_pasta with echo");
    let dis = base("dis, node-disjoint");
    let cut = base("cut listings");
    let failed = base("NO_PATH on bandwidth");
    let reopt = base("bod_reopt: two classes");
    let congest = base("bod_congest_reopt: relieved");
    for doc in [&single, &dis, &cut, &failed, &reopt, &congest] {
        assert!(validator.is_valid(doc), "{doc}");
    }
    type Edit = (&'static str, fn(&mut Value));
    let edits: Vec<(&Value, Edit)> = vec![
        (
            &single,
            ("an unknown top-level member", |d| d["extra"] = json!(1)),
        ),
        (
            &single,
            ("a document without info", |d| {
                drop(d.as_object_mut().unwrap().remove("info"))
            }),
        ),
        (
            &single,
            ("an unknown job-level info member", |d| {
                d["info"]["note"] = json!("x")
            }),
        ),
        (&single, ("no items", |d| d["data"] = json!([]))),
        (
            &single,
            ("an unknown item member", |d| {
                d["data"][0]["extra"] = json!(1)
            }),
        ),
        (
            &single,
            ("an item without algo_type", |d| {
                drop(d["data"][0].as_object_mut().unwrap().remove("algo_type"))
            }),
        ),
        (
            &single,
            ("algo_type 2", |d| d["data"][0]["algo_type"] = json!(2)),
        ),
        (
            &single,
            ("an unknown result member", |d| {
                d["data"][0]["data"]["extra"] = json!(1)
            }),
        ),
        (
            &single,
            ("a result without attr_worst", |d| {
                drop(
                    d["data"][0]["data"]
                        .as_object_mut()
                        .unwrap()
                        .remove("attr_worst"),
                )
            }),
        ),
        (
            &single,
            ("a result without time", |d| {
                drop(d["data"][0]["data"].as_object_mut().unwrap().remove("time"))
            }),
        ),
        (
            &single,
            ("an unknown attr member", |d| {
                d["data"][0]["data"]["attr"]["max_hop"] = json!(1)
            }),
        ),
        (
            &single,
            ("a string igp", |d| {
                d["data"][0]["data"]["attr"]["igp"] = json!("20")
            }),
        ),
        (
            &single,
            ("an unknown SID member", |d| {
                d["data"][0]["data"]["sids"][0]["label"] = json!(1)
            }),
        ),
        (
            &single,
            ("a SID without ip", |d| {
                drop(
                    d["data"][0]["data"]["sids"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("ip"),
                )
            }),
        ),
        (
            &single,
            ("an empty path", |d| {
                d["data"][0]["data"]["paths"][0] = json!([])
            }),
        ),
        (
            &single,
            ("an unknown reservation member", |d| {
                d["data"][0]["reservations"][0]["extra"] = json!(1)
            }),
        ),
        (
            &single,
            ("a reservation without after", |d| {
                drop(
                    d["data"][0]["reservations"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("after"),
                )
            }),
        ),
        (
            &single,
            ("an unknown echoed link member", |d| {
                d["data"][0]["links"][0]["extra"] = json!(1)
            }),
        ),
        (
            &single,
            ("echoed nodes without links", |d| {
                drop(d["data"][0].as_object_mut().unwrap().remove("links"))
            }),
        ),
        (
            &single,
            ("an unknown other member", |d| {
                d["data"][1]["data"]["other"][0]["time"] = json!(1.0)
            }),
        ),
        (
            &single,
            ("success with a reason", |d| {
                d["data"][0]["info"] = json!({"code": "NO_PATH"})
            }),
        ),
        (
            &dis,
            ("d_sids without the other d_ fields", |d| {
                drop(
                    d["data"][0]["data"]
                        .as_object_mut()
                        .unwrap()
                        .remove("d_other"),
                )
            }),
        ),
        (
            &dis,
            ("an unknown d_mode", |d| {
                d["data"][0]["data"]["d_mode"] = json!("srlg")
            }),
        ),
        (
            &dis,
            ("d_mode none with a disjoint path", |d| {
                d["data"][0]["data"]["d_mode"] = json!("none")
            }),
        ),
        (
            &cut,
            ("paths_total not above the listing cap", |d| {
                d["data"][0]["data"]["paths_total"] = json!(1000)
            }),
        ),
        (
            &cut,
            ("more than 1024 paths listed", |d| {
                let p = d["data"][0]["data"]["paths"][0].clone();
                d["data"][0]["data"]["paths"]
                    .as_array_mut()
                    .unwrap()
                    .push(p);
            }),
        ),
        (
            &failed,
            ("a failure with data", |d| {
                d["data"][0]["data"] = json!({"sids": []})
            }),
        ),
        (
            &failed,
            ("an unknown failure code", |d| {
                d["data"][0]["info"]["code"] = json!("NOPE")
            }),
        ),
        (
            &failed,
            ("a failure without widest_bandwidth", |d| {
                drop(
                    d["data"][0]["info"]
                        .as_object_mut()
                        .unwrap()
                        .remove("widest_bandwidth"),
                )
            }),
        ),
        (
            &failed,
            ("a failure with an unknown member", |d| {
                d["data"][0]["info"]["hint"] = json!("x")
            }),
        ),
        (
            &failed,
            ("a failure with reservations", |d| {
                d["data"][0]["reservations"] = json!([])
            }),
        ),
        (
            &reopt,
            ("an unknown summary member", |d| {
                d["data"][0]["summary"]["moved"] = json!(0)
            }),
        ),
        (
            &reopt,
            ("a summary without placed", |d| {
                drop(
                    d["data"][0]["summary"]
                        .as_object_mut()
                        .unwrap()
                        .remove("placed"),
                )
            }),
        ),
        (
            &reopt,
            ("status true with unplaced policies", |d| {
                d["data"][0]["status"] = json!(true)
            }),
        ),
        (
            &reopt,
            ("an unknown summary link member", |d| {
                d["data"][0]["summary"]["links"][0]["extra"] = json!(1)
            }),
        ),
        (
            &reopt,
            ("an entry without id", |d| {
                drop(
                    d["data"][0]["data"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("id"),
                )
            }),
        ),
        (
            &reopt,
            ("a reopt entry with moved_from", |d| {
                d["data"][0]["data"][0]["moved_from"] = json!("A-B")
            }),
        ),
        (
            &reopt,
            ("a placed bod_reopt entry without reservations", |d| {
                drop(
                    d["data"][0]["data"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("reservations"),
                )
            }),
        ),
        (
            &congest,
            ("a moved policy without moved_from", |d| {
                drop(
                    d["data"][0]["data"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("moved_from"),
                )
            }),
        ),
        (
            &congest,
            ("a congestion summary without utilisation", |d| {
                drop(
                    d["data"][0]["summary"]
                        .as_object_mut()
                        .unwrap()
                        .remove("utilisation"),
                )
            }),
        ),
        (
            &congest,
            ("relieved with an UNRELIEVED reason", |d| {
                d["data"][0]["info"] =
                    json!({"code": "UNRELIEVED", "message": "m", "links": ["A-B"]})
            }),
        ),
    ];
    for (doc, (what, edit)) in edits {
        let mut doc = doc.clone();
        edit(&mut doc);
        assert!(
            !validator.is_valid(&doc),
            "the schema accepts {what}: {doc}"
        );
    }
    let mut mixed = reopt.clone();
    let item = single["data"][0].clone();
    mixed["data"].as_array_mut().expect("items").push(item);
    assert!(
        !validator.is_valid(&mixed),
        "the schema accepts a single-policy item among list items"
    );
}
