//! Engine bugs the list-job property tests ([`reopt_props`](super::reopt_props)) found, each
//! minimised by hand into a small body and kept here as an example of the rule it broke.

use serde_json::{json, Value};

use super::bugs::{gold, links, nodes, paths, run, set};
use super::conservation::check_conservation;
use crate::model::JobType;

fn congestion(links: Vec<Value>, nodes: Vec<Value>, policies: Value, global: Value) -> Value {
    let mut global = global;
    global["algorithm"] = json!([{"algo": 0}]);
    congestion_of(links, nodes, policies, global, "C-B")
}

fn congestion_of(
    links: Vec<Value>,
    nodes: Vec<Value>,
    policies: Value,
    global: Value,
    congested: &str,
) -> Value {
    let body = json!({"nodes": nodes, "links": links, "sr_policy": policies, "global": global,
                      "congested_link": [congested]});
    let doc = run(JobType::BodCongestReopt, &body);
    check_conservation(&body, &doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
    doc
}

// A moved policy gave its old reservation back on every link of its old path, including a link
// without its class, which then had class bandwidth: contract §3 step 1 says 0 for a link that
// lacks the class, whatever was reserved on it.
#[test]
fn a_link_without_the_class_gets_no_class_bandwidth_back_from_a_moved_policy() {
    let nodes = nodes(&["A", "B", "C", "D", "E"]);
    let mut links = links(&[
        ("A-C", 1, 100.0),
        ("C-B", 1, 100.0),
        ("C-D", 1, 100.0),
        ("D-B", 1, 100.0),
        ("A-E", 2, 100.0),
        ("E-B", 2, 100.0),
    ]);
    set(&mut links, "A-C", "qos_class", json!([]));
    set(&mut links, "C-B", "traffic_flow", json!(90.0));
    let p = json!({"id": "P", "he": "A", "te": "B", "class": "Gold", "bd": 5, "priority": 1,
                   "traffic_flow": 30, "path": [[["A", "A-C", "C", "C-B", "B"]]]});
    let doc = congestion(links, nodes, json!([p]), json!({}));
    let moved = &doc["data"][0]["data"][0];
    // Not A-C-D-B (cheaper, but A-C has no Gold bandwidth): A-E-B.
    assert_eq!(paths(&moved["data"]), ["A A-E E E-B B"]);
    let warnings = &doc["info"]["warnings"];
    let said = |w: &Value| {
        w.as_str()
            .is_some_and(|w| w.contains(r#"link "A-C" has no class "Gold""#))
    };
    assert!(
        warnings.as_array().is_some_and(|ws| ws.iter().any(said)),
        "{warnings}"
    );
}

// Efforts that are equal but for rounding (8/r against 3/r + 5/r) must tie, and a tie goes to
// the smaller set; the engine compared the rounded sums and moved two policies instead of one.
#[test]
fn sets_of_equal_effort_tie_even_when_their_sums_round_differently() {
    let nodes = nodes(&["A", "B", "C"]);
    let mut links = links(&[("C-B", 1, 20.0), ("C-A", 1, 100.0), ("A-B", 1, 100.0)]);
    // required = 19.3 − 20 × 0.7 = 5.3: M0 (8) alone, or M1 (3) with M2 (5).
    set(&mut links, "C-B", "traffic_flow", json!(19.3));
    for id in ["C-B", "C-A", "A-B"] {
        gold(&mut links, id, 100.0, 100.0);
    }
    let policy = |id: &str, traffic: f64| {
        json!({"id": id, "he": "C", "te": "B", "class": "Gold", "priority": 1,
               "traffic_flow": traffic, "path": [[["C", "C-B", "B"]]]})
    };
    let policies = json!([policy("M0", 8.0), policy("M1", 3.0), policy("M2", 5.0)]);
    // Effort = traffic / required only.
    let weights = json!({"priority_weight": 0.0, "bandwidth_weight": 1.0});
    let doc = congestion(links, nodes, policies, weights);
    let ids: Vec<&Value> = doc["data"][0]["data"]
        .as_array()
        .expect("moves")
        .iter()
        .map(|e| &e["id"])
        .collect();
    assert_eq!(ids, [&json!("M0")]);
}

// The exact search stopped after 4,096 tried sets, so with 13 to 16 movable policies a link
// could be reported unrelievable while a valid set existed (contract §3: exact up to 16). Here
// 16 policies cross A-B; "0-stuck" (first in moving order) is the cheapest to move (priority
// 100) but its class has no bandwidth elsewhere, and nine policies must leave. The 6,435
// cheaper sets of nine that hold it all fail; the least-effort valid set is the nine Silver
// policies with the smallest ids.
#[test]
fn the_choice_stays_exact_past_thousands_of_cheaper_invalid_sets() {
    let nodes = nodes(&["A", "B", "C"]);
    let mut links = links(&[("A-B", 1, 100.0), ("A-C", 1, 1000.0), ("C-B", 1, 1000.0)]);
    set(&mut links, "A-B", "traffic_flow", json!(160.0));
    for id in ["A-C", "C-B"] {
        let class = json!([{"class": "Silver", "bandwidth_reserve": 1000.0,
                            "bandwidth_available": 1000.0}]);
        set(&mut links, id, "qos_class", class);
    }
    let policy = |id: &str, class: &str, priority: u32| {
        json!({"id": id, "he": "A", "te": "B", "class": class, "bd": 1.0, "priority": priority,
               "traffic_flow": 10.0, "path": [[["A", "A-B", "B"]]]})
    };
    let mut policies = vec![policy("0-stuck", "Gold", 100)];
    policies.extend((0..15).map(|i| policy(&format!("P{i:02}"), "Silver", 1)));
    let global = json!({"priority_weight": 1.0, "bandwidth_weight": 0.0,
                        "algorithm": [{"algo": 0}]});
    let doc = congestion_of(links, nodes, json!(policies), global, "A-B");
    let item = &doc["data"][0];
    assert_eq!(item["summary"]["relieved"], json!(["A-B"]), "{item}");
    let moved: Vec<&str> = item["data"]
        .as_array()
        .expect("moves")
        .iter()
        .map(|e| e["id"].as_str().expect("an id"))
        .collect();
    let expected: Vec<String> = (0..9).map(|i| format!("P{i:02}")).collect();
    assert_eq!(moved, expected);
}
