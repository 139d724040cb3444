//! Bugs 16–21 of the original (`reference/original-system.md` §7): algorithm entries, result
//! order and determinism, algorithm semantics, bandwidth in the non-bod jobs, flex-algo, and
//! `bod_reopt`'s partial results.
//!
//! Most tests use one square: `A → B → D` (igp 1 + 1, physical bd 10) and `A → C → D` (igp 2 + 2,
//! bd 100), te 1 everywhere, so the two routes tie on te and differ on igp and bottleneck.

use std::cell::Cell;

use serde_json::{json, Value};

use super::{gold, links, nodes, paths, run, set, without_time};
use crate::model::{Job, JobType, Limits};

const VIA_B: &str = "A A-B B B-D D";
const VIA_C: &str = "A A-C C C-D D";

fn square() -> (Vec<Value>, Vec<Value>) {
    let nodes = nodes(&["A", "B", "C", "D"]);
    let links = links(&[
        ("A-B", 1, 10.0),
        ("B-D", 1, 10.0),
        ("A-C", 2, 100.0),
        ("C-D", 2, 100.0),
    ]);
    (nodes, links)
}

/// A single-policy body on the square: `A → D` with these extra policy fields and entries.
fn single(policy: Value, entries: Value) -> Value {
    let (nodes, links) = square();
    let mut p = json!({"he": "A", "te": "D", "class": "Gold"});
    for (k, v) in policy.as_object().expect("fields") {
        p[k] = v.clone();
    }
    json!({"nodes": nodes, "links": links, "sr_policy": p, "global": {"algorithm": entries}})
}

// Bug 16: one failing algorithm entry made the whole bod_pasta job fail with KeyError 'segs'.
#[test]
fn a_failing_algorithm_entry_leaves_the_other_entries_of_a_bod_pasta_job_intact() {
    let body = single(
        json!({"bd": 5}),
        json!([{"algo": 0, "limit": 1}, {"algo": 1}]),
    );
    let doc = run(JobType::BodPasta, &body);
    assert_eq!(doc["info"], json!({}), "the job itself is no error");
    let items = doc["data"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["status"], json!(false));
    assert_eq!(items[0]["info"]["code"], json!("LIMIT"));
    assert_eq!(items[0]["data"], json!({}));
    assert_eq!(items[1]["status"], json!(true));
    assert_eq!(paths(&items[1]["data"]), [VIA_B]);
    let reserved: Vec<&Value> = items[1]["reservations"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| &r["link"])
        .collect();
    assert_eq!(reserved, [&json!("A-B"), &json!("B-D")]);
}

/// A list body on the square: the policies `A → D` given, bandwidth 5, class Gold.
fn list(ids: &[&str], entries: Value) -> Value {
    let (nodes, links) = square();
    let policies: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "he": "A", "te": "D", "class": "Gold", "bd": 5}))
        .collect();
    json!({"nodes": nodes, "links": links, "sr_policy": policies, "global": {"algorithm": entries}})
}

// Bug 17: results came back in thread-completion order, and two entries with the same algo
// number were merged or duplicated in the reopt aggregation.
#[test]
fn two_entries_with_the_same_algo_number_give_two_items_in_entry_order() {
    let body = list(
        &["P1", "P2"],
        json!([{"algo": 1, "top": 1}, {"algo": 1, "top": 3}]),
    );
    let doc = run(JobType::BodReopt, &body);
    let items = doc["data"].as_array().expect("items");
    assert_eq!(items.len(), 2, "one item per entry");
    for (k, item) in items.iter().enumerate() {
        assert_eq!(item["algo_type"], json!(1));
        let ids: Vec<&Value> = item["data"]
            .as_array()
            .expect("policies")
            .iter()
            .map(|e| &e["id"])
            .collect();
        assert_eq!(
            ids,
            [&json!("P1"), &json!("P2")],
            "item {k} lists each policy once"
        );
    }
    // Entry 0 keeps one candidate, entry 1 three: only the second has alternatives.
    assert_eq!(items[0]["data"][0]["data"]["other"], json!([]));
    let other = &items[1]["data"][0]["data"]["other"];
    assert_eq!(paths(&other[0]), [VIA_C]);
}

// Bug 17: the same body computed twice gives the same document, whatever the clock says.
#[test]
fn the_same_body_gives_the_same_document_apart_from_time() {
    let body = list(
        &["P1", "P2"],
        json!([{"algo": 1, "top": 3}, {"algo": 0}, {"algo": 1, "top": 1}]),
    );
    let job = Job::parse(JobType::BodReopt, &body, &Limits::default()).expect("a valid body");
    let document = |step: f64| {
        let now = Cell::new(0.0);
        let clock = || {
            now.set(now.get() + step);
            now.get()
        };
        serde_json::to_value(crate::engine::compute(&job, &clock)).expect("json")
    };
    let (slow, fast) = (document(7.0), document(1.0));
    assert_ne!(slow, fast, "the clocks differ, so the times do");
    assert_eq!(without_time(&slow), without_time(&fast));
}

// Bug 18: algo 0 and algo 1 were identical in bod mode (only `loose` differed, and only when
// the caller set it); their presets now differ.
#[test]
fn algo_0_and_algo_1_presets_differ_in_a_bod_job() {
    let body = single(json!({"bd": 5}), json!([{"algo": 0}, {"algo": 1}]));
    let doc = run(JobType::BodPasta, &body);
    let least_cost = &doc["data"][0]["data"];
    let loose = &doc["data"][1]["data"];
    assert_eq!(paths(least_cost), [VIA_B]);
    assert_eq!(
        least_cost["other"],
        json!([]),
        "algo 0: the least-cost set only"
    );
    assert_eq!(paths(loose), [VIA_B]);
    assert_eq!(
        paths(&loose["other"][0]),
        [VIA_C],
        "algo 1: longer paths too"
    );
}

// Bug 18: in nonbod mode algo 0 silently ignored sorter, top and limit.
#[test]
fn algo_0_honours_sorter_top_and_limit_in_a_nonbod_job() {
    let body = single(
        json!({"metric": "te"}),
        json!([{"algo": 0}, {"algo": 0, "sorter": "max_min_band"}, {"algo": 0, "top": 1},
               {"algo": 0, "limit": 1}]),
    );
    let doc = run(JobType::NonbodPasta, &body);
    let items = doc["data"].as_array().expect("items");
    // Both routes cost te 2: the pool holds both, in id order.
    assert_eq!(paths(&items[0]["data"]), [VIA_B]);
    assert_eq!(paths(&items[0]["data"]["other"][0]), [VIA_C]);
    assert_eq!(paths(&items[1]["data"]), [VIA_C], "the widest first");
    assert_eq!(items[2]["data"]["other"], json!([]), "top 1");
    assert_eq!(items[3]["status"], json!(false));
    assert_eq!(
        items[3]["info"]["code"],
        json!("LIMIT"),
        "cost 2 above limit 1"
    );
}

/// The item of a policy computed by `nonbod_pasta`, and the entry of the same policy (with an
/// id) in a `nonbod_reopt` job.
fn nonbod_both(policy: Value, global: Value) -> (Value, Value) {
    let (nodes, mut links) = square();
    set(&mut links, "A-C", "traffic_flow", json!(150.0));
    let single = json!({"nodes": nodes, "links": links, "sr_policy": policy, "global": global});
    let mut listed = policy.clone();
    listed["id"] = json!("P");
    let list = json!({"nodes": nodes, "links": links, "sr_policy": [listed], "global": global});
    let one = run(JobType::NonbodPasta, &single)["data"][0].clone();
    let many = run(JobType::NonbodReopt, &list)["data"][0]["data"][0].clone();
    (one, many)
}

// Bug 19: nonbod_pasta pruned `bd` to 0, so max_min_band was always 0 and any bandwidth request
// found no path.
#[test]
fn nonbod_pasta_constrains_and_ranks_by_physical_bandwidth() {
    let entries = json!({"algorithm": [{"algo": 0}]});
    let (wide, _) = nonbod_both(json!({"he": "A", "te": "D", "bd": 50}), entries.clone());
    assert_eq!(wide["status"], json!(true));
    assert_eq!(
        paths(&wide["data"]),
        [VIA_C],
        "B's links (bd 10) are too narrow"
    );
    assert_eq!(wide["data"]["attr"]["max_min_band"], json!(100.0));
    let (narrow, _) = nonbod_both(json!({"he": "A", "te": "D", "bd": 5}), entries);
    assert_eq!(paths(&narrow["data"]), [VIA_B]);
    assert_eq!(narrow["data"]["attr"]["max_min_band"], json!(10.0));
}

// Bug 19: nonbod_reopt used physical bandwidth without the real-traffic filter while
// nonbod_pasta used neither: the two nonbod jobs now agree on the same policy.
#[test]
fn nonbod_reopt_and_nonbod_pasta_agree_on_the_same_policy() {
    let cases = [
        (json!({"bd": 50}), json!({})),
        (json!({"bd": 5}), json!({"real_traffic": true})),
        (json!({"bd": 50}), json!({"real_traffic": true})),
        (
            json!({"bd": 0, "metric": "te"}),
            json!({"real_traffic": true, "traffic_ratio": 2.0}),
        ),
    ];
    let mut outcomes = Vec::new();
    for (fields, mut global) in cases {
        let mut policy = json!({"he": "A", "te": "D"});
        for (k, v) in fields.as_object().expect("fields") {
            policy[k] = v.clone();
        }
        global["algorithm"] = json!([{"algo": 1, "top": 2}]);
        let (one, many) = nonbod_both(policy.clone(), global.clone());
        assert_eq!(many["status"], one["status"], "{policy} {global}");
        assert_eq!(many["info"], one["info"], "{policy} {global}");
        assert_eq!(
            without_time(&many["data"]),
            without_time(&one["data"]),
            "{policy} {global}"
        );
        outcomes.push(match one["status"] == json!(true) {
            true => paths(&one["data"]).join(","),
            false => one["info"]["code"].as_str().unwrap_or_default().to_owned(),
        });
    }
    // A-C carries 150 on bd 100: real_traffic removes it (unless the ratio allows 200).
    assert_eq!(outcomes, [VIA_C, VIA_B, "NO_PATH", VIA_B]);
}

/// The square with flex-algo 128 prefix SIDs (`17001…`, addresses `10.1.0.…`) on A, C and D.
fn flex_body(policies: Value) -> Value {
    let (mut nodes, links) = square();
    for (i, node) in nodes.iter_mut().enumerate() {
        if node["id"] != json!("B") {
            node["prefix"] = json!([{"prefix": format!("10.1.0.{}", i + 1),
                                     "prefix_algorithm": 128, "prefix_sid": 17001 + i}]);
        }
    }
    json!({"nodes": nodes, "links": links, "sr_policy": policies,
           "global": {"algorithm": [{"algo": 0}]}})
}

fn sid_labels(data: &Value) -> Vec<u64> {
    data["sids"]
        .as_array()
        .expect("sids")
        .iter()
        .map(|s| s["sid"].as_u64().expect("a label"))
        .collect()
}

// Bug 20: the flex-algo prefix switch mutated the shared nodes and was never undone, so one
// policy's `algorithm` leaked into the next; single-policy jobs ignored `algorithm`.
#[test]
fn a_policys_flex_algo_applies_to_that_policy_only() {
    let flex = json!({"id": "F", "he": "A", "te": "D", "algorithm": 128});
    let plain = json!({"id": "N", "he": "A", "te": "D"});
    for order in [[&flex, &plain], [&plain, &flex]] {
        let doc = run(JobType::NonbodReopt, &flex_body(json!(order)));
        for entry in doc["data"][0]["data"].as_array().expect("policies") {
            let alone = run(
                JobType::NonbodPasta,
                &flex_body(if entry["id"] == json!("F") {
                    flex.clone()
                } else {
                    plain.clone()
                }),
            );
            assert_eq!(
                without_time(&entry["data"]),
                without_time(&alone["data"][0]["data"]),
                "{} in a list computes as alone",
                entry["id"]
            );
            match entry["id"].as_str() {
                // B has no algo-128 SID: the flex policy avoids it and pushes prefix SIDs.
                Some("F") => {
                    assert_eq!(paths(&entry["data"]), [VIA_C]);
                    assert_eq!(sid_labels(&entry["data"]), [17003, 17004]);
                }
                _ => {
                    assert_eq!(paths(&entry["data"]), [VIA_B]);
                    assert_eq!(sid_labels(&entry["data"]), [16004]);
                }
            }
        }
    }
}

// Bug 20: single-policy jobs ignored `algorithm`.
#[test]
fn a_single_policy_job_honours_the_flex_algo_of_its_policy() {
    let doc = run(
        JobType::NonbodPasta,
        &flex_body(json!({"he": "A", "te": "D", "algorithm": 128})),
    );
    let data = &doc["data"][0]["data"];
    assert_eq!(paths(data), [VIA_C]);
    assert_eq!(sid_labels(data), [17003, 17004]);
    assert_eq!(
        data["sids"][0]["ip"],
        json!("10.1.0.3"),
        "the prefix's address"
    );
}

// Bug 21: one unplaceable policy discarded the whole class result, and bod_reopt returned no
// link state.
#[test]
fn an_unplaceable_policy_in_a_bod_reopt_leaves_the_others_placed_and_reports_link_state() {
    let (nodes, mut links) = square();
    for id in ["A-B", "B-D", "A-C", "C-D"] {
        gold(&mut links, id, 20.0, 0.0);
    }
    let policy = |id: &str, priority: u32, bd: f64| json!({"id": id, "he": "A", "te": "D", "class": "Gold", "bd": bd, "priority": priority});
    let body = json!({"nodes": nodes, "links": links,
                      "sr_policy": [policy("small", 1, 5.0), policy("big", 2, 50.0), policy("first", 3, 10.0)],
                      "global": {"algorithm": [{"algo": 0}], "sorting": "priority_desc"}});
    let item = &run(JobType::BodReopt, &body)["data"][0];
    assert_eq!(item["status"], json!(false), "not every policy is placed");
    let entries = item["data"].as_array().expect("policies");
    let ids: Vec<&Value> = entries.iter().map(|e| &e["id"]).collect();
    assert_eq!(ids, [&json!("first"), &json!("big"), &json!("small")]);
    assert_eq!(paths(&entries[0]["data"]), [VIA_B]);
    assert_eq!(entries[1]["status"], json!(false));
    assert_eq!(entries[1]["info"]["code"], json!("NO_PATH"));
    assert_eq!(entries[1]["info"]["constraint"], json!("bandwidth"));
    assert_eq!(
        entries[2]["status"],
        json!(true),
        "placed after the unplaceable one"
    );
    assert_eq!(
        paths(&entries[2]["data"]),
        [VIA_B],
        "10 of 20 left on B's links"
    );
    assert_eq!(item["summary"]["placed"], json!(2));
    assert_eq!(item["summary"]["unplaced"], json!(1));
    let row = |link: &str| {
        json!({"link": link, "class": "Gold", "capacity": 20.0, "reserved": 15.0,
               "utilisation": 0.75})
    };
    assert_eq!(item["summary"]["links"], json!([row("A-B"), row("B-D")]));
}
