//! One test per rule of contract §2: a malformed body, the path of its problem and a word of the
//! message; and the guarantees around them (every problem listed, each once, with its path).

use serde_json::{json, Value};

use super::*;

const SINGLE: JobType = JobType::BodPasta;
const LIST: JobType = JobType::BodReopt;
const CONGEST: JobType = JobType::BodCongestReopt;

/// The valid body of `job_type` changed by `edit`.
fn body_with(job_type: JobType, edit: impl FnOnce(&mut Value)) -> Value {
    let mut body = valid_body(job_type);
    edit(&mut body);
    body
}

#[test]
fn a_body_that_is_not_an_object_is_rejected_at_the_root() {
    assert_problem(SINGLE, &json!([1, 2]), "$", "object");
}

#[test]
fn missing_nodes_links_and_policy_are_each_reported() {
    let found = problems(SINGLE, &json!({}));
    let paths: Vec<&str> = found.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["nodes", "links", "sr_policy"], "{found:#?}");
    assert!(found.iter().all(|p| p.message == "required"));
}

#[test]
fn a_policy_naming_an_unknown_headend_is_rejected_with_its_path() {
    let body = body_with(LIST, |b| b["sr_policy"][1]["he"] = json!("P9"));
    assert_problem(LIST, &body, "sr_policy[1].he", "\"P9\" does not exist");
    let body = body_with(SINGLE, |b| b["sr_policy"]["he"] = json!("P9"));
    assert_problem(SINGLE, &body, "sr_policy.he", "does not exist");
}

#[test]
fn a_policy_naming_an_unknown_tailend_is_rejected() {
    let body = body_with(SINGLE, |b| b["sr_policy"]["te"] = json!("P9"));
    assert_problem(SINGLE, &body, "sr_policy.te", "does not exist");
}

#[test]
fn a_headend_naming_a_link_is_rejected_as_not_a_node() {
    let body = body_with(SINGLE, |b| b["sr_policy"]["he"] = json!("A-B"));
    assert_problem(SINGLE, &body, "sr_policy.he", "is a link, not a node");
}

#[test]
fn problems_name_the_key_as_the_body_wrote_it() {
    let body = body_with(SINGLE, |b| {
        let p = b["sr_policy"].as_object_mut().unwrap();
        p.remove("he");
        p.insert("headend".into(), json!("P9"));
        p.remove("inc");
        p.insert("include".into(), json!(["B", "Q"]));
    });
    assert_problem(SINGLE, &body, "sr_policy.headend", "does not exist");
    assert_problem(SINGLE, &body, "sr_policy.include[1]", "\"Q\"");
}

#[test]
fn unknown_waypoints_and_exclusions_are_rejected_and_links_are_accepted() {
    let body = body_with(SINGLE, |b| {
        b["sr_policy"]["inc"] = json!(["B-C", "nowhere"]);
        b["sr_policy"]["exc"] = json!(["D", "A-D", "gone"]);
    });
    let found = problems(SINGLE, &body);
    let paths: Vec<&str> = found.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        ["sr_policy.inc[1]", "sr_policy.exc[2]"],
        "{found:#?}"
    );
    assert!(found[0].message.contains("no node or link"));
}

#[test]
fn duplicate_node_ids_are_rejected() {
    let body = body_with(SINGLE, |b| b["nodes"][2]["id"] = json!("A"));
    assert_problem(SINGLE, &body, "nodes[2].id", "duplicate");
}

#[test]
fn duplicate_link_ids_are_rejected() {
    let body = body_with(SINGLE, |b| b["links"][3]["id"] = json!("A-B"));
    assert_problem(SINGLE, &body, "links[3].id", "duplicate");
}

#[test]
fn duplicate_policy_ids_of_a_list_are_rejected() {
    let body = body_with(LIST, |b| b["sr_policy"][1]["id"] = json!("SR1"));
    assert_problem(LIST, &body, "sr_policy[1].id", "duplicate");
}

#[test]
fn a_node_and_a_link_sharing_an_id_are_rejected() {
    let body = body_with(SINGLE, |b| {
        b["links"][4]["id"] = json!("D");
        b["sr_policy"]["exc"] = json!([]);
    });
    assert_problem(SINGLE, &body, "links[4].id", "also a node");
}

#[test]
fn duplicate_node_sids_are_rejected() {
    let body = body_with(SINGLE, |b| b["nodes"][3]["sid"] = json!(16001));
    assert_problem(SINGLE, &body, "nodes[3].sid", "16001");
}

#[test]
fn a_prefix_sid_used_twice_in_one_flex_algo_or_an_algo_listed_twice_is_rejected() {
    let body = body_with(SINGLE, |b| {
        b["nodes"][1]["prefix"] = json!([{"prefix_algorithm": 128, "prefix_sid": 17001}]);
        b["nodes"][2]["prefix"] =
            json!([{"prefix_algorithm": 129, "prefix_sid": 5}, {"prefix_algorithm": 129}]);
    });
    assert_problem(SINGLE, &body, "nodes[1].prefix[0].prefix_sid", "already");
    assert_problem(SINGLE, &body, "nodes[2].prefix[1].prefix_algorithm", "also");
}

#[test]
fn a_link_whose_ends_are_unknown_is_rejected() {
    let body = body_with(SINGLE, |b| {
        b["links"][0]["re"] = json!("Z");
        let l = b["links"][1].as_object_mut().unwrap();
        l.remove("lo");
        l.insert("local".into(), json!("Y"));
    });
    assert_problem(SINGLE, &body, "links[0].re", "\"Z\" does not exist");
    assert_problem(SINGLE, &body, "links[1].local", "\"Y\" does not exist");
}

#[test]
fn a_policy_whose_headend_is_its_tailend_is_rejected() {
    let body = body_with(SINGLE, |b| b["sr_policy"]["te"] = json!("A"));
    assert_problem(SINGLE, &body, "sr_policy.te", "headend");
}

#[test]
fn thresholds_outside_zero_to_one_are_rejected() {
    let body = body_with(CONGEST, |b| {
        b["global"]["congest_threshold"] = json!(0);
        b["global"]["target_threshold"] = json!(1.5);
    });
    assert_problem(CONGEST, &body, "global.congest_threshold", "greater than 0");
    assert_problem(CONGEST, &body, "global.target_threshold", "at most 1");
}

#[test]
fn a_target_threshold_above_the_congest_threshold_is_rejected() {
    let body = body_with(CONGEST, |b| b["global"]["target_threshold"] = json!(0.9));
    assert_problem(
        CONGEST,
        &body,
        "global.target_threshold",
        "above congest_threshold",
    );
}

#[test]
fn an_msd_below_one_is_rejected() {
    let body = body_with(SINGLE, |b| b["sr_policy"]["msd"] = json!(0));
    assert_problem(SINGLE, &body, "sr_policy.msd", "at least 1");
}

#[test]
fn a_bod_job_without_class_is_rejected_and_a_nonbod_job_is_not() {
    for job_type in JobType::ALL {
        let body = body_with(job_type, |b| {
            let p = if job_type.is_list() {
                &mut b["sr_policy"][0]
            } else {
                &mut b["sr_policy"]
            };
            let p = p.as_object_mut().unwrap();
            p.remove("class");
            if let Some(former) = p.get_mut("former") {
                former.as_object_mut().unwrap().remove("class");
            }
        });
        if !job_type.is_bod() {
            assert_valid(job_type, &body);
            continue;
        }
        let at = if job_type.is_list() {
            "sr_policy[0].class"
        } else {
            "sr_policy.class"
        };
        assert_problem(job_type, &body, at, "required");
    }
}

#[test]
fn a_bod_modified_job_without_former_is_rejected() {
    let body = body_with(JobType::BodModified, |b| {
        b["sr_policy"].as_object_mut().unwrap().remove("former");
    });
    assert_problem(JobType::BodModified, &body, "sr_policy.former", "required");
}

#[test]
fn a_former_without_path_is_rejected_but_unknown_ids_in_it_are_not() {
    let body = body_with(JobType::BodModified, |b| {
        b["sr_policy"]["former"] = json!({"bd": 1})
    });
    let here = assert_problem(
        JobType::BodModified,
        &body,
        "sr_policy.former.path",
        "required",
    );
    assert_eq!(here.len(), 1);
    let body = body_with(JobType::BodModified, |b| {
        b["sr_policy"]["former"]["path"] = json!([[["A", "gone-link", "Nowhere"]]]);
    });
    assert_valid(JobType::BodModified, &body);
    let body = body_with(LIST, |b| {
        b["sr_policy"][0]["path"] = json!([[["X", "Y"]], []])
    });
    assert_valid(LIST, &body);
}

#[test]
fn a_path_that_is_not_an_array_of_arrays_of_arrays_of_strings_is_rejected() {
    let body = body_with(LIST, |b| {
        b["sr_policy"][0]["path"] = json!([[["A", 3]], ["B"]])
    });
    assert_problem(LIST, &body, "sr_policy[0].path[0][0][1]", "string");
    assert_problem(LIST, &body, "sr_policy[0].path[1][0]", "array");
}

#[test]
fn a_loose_algorithm_entry_with_top_zero_is_rejected() {
    let body = body_with(SINGLE, |b| {
        b["global"]["algorithm"] = json!([{"algo": 1, "top": 0}])
    });
    assert_problem(SINGLE, &body, "global.algorithm[0].top", "loose");
    let body = body_with(SINGLE, |b| {
        b["global"]["algorithm"] = json!([{"algo": 0, "top": 0}])
    });
    assert_valid(SINGLE, &body);
}

#[test]
fn a_top_above_the_configured_limit_is_rejected() {
    let body = body_with(SINGLE, |b| b["global"]["algorithm"][1]["top"] = json!(1001));
    assert_problem(SINGLE, &body, "global.algorithm[1].top", "at most 1000");
}

#[test]
fn an_algo_other_than_0_or_1_is_rejected() {
    let body = body_with(SINGLE, |b| b["global"]["algorithm"][0]["algo"] = json!(2));
    assert_problem(SINGLE, &body, "global.algorithm[0].algo", "0 or 1");
}

#[test]
fn a_congest_job_without_congested_links_is_rejected() {
    for edit in [json!(null), json!([])] {
        let body = body_with(CONGEST, |b| b["congested_link"] = edit);
        assert_problem(CONGEST, &body, "congested_link", "at least one link");
    }
}

#[test]
fn a_congested_link_that_does_not_exist_or_is_a_node_is_rejected() {
    let body = body_with(CONGEST, |b| {
        b["congested_link"] = json!(["A-B", "Q-R", "C"])
    });
    assert_problem(CONGEST, &body, "congested_link[1]", "does not exist");
    assert_problem(CONGEST, &body, "congested_link[2]", "is a node");
}

#[test]
fn a_congested_link_below_its_threshold_is_rejected() {
    let body = body_with(CONGEST, |b| b["congested_link"] = json!(["B-C"]));
    assert_problem(CONGEST, &body, "congested_link[0]", "not congested");
    // 80 is not above 100 × 0.8.
    let body = body_with(CONGEST, |b| b["links"][0]["traffic_flow"] = json!(80));
    assert_problem(CONGEST, &body, "congested_link[0]", "not above");
}

#[test]
fn a_congested_link_without_known_bandwidth_or_traffic_is_rejected_saying_which() {
    let cases = [
        ("bd", json!(-1), "unknown"),
        ("bd", json!(0), "bd is 0"),
        ("traffic_flow", Value::Null, "no traffic_flow"),
    ];
    for (key, value, word) in cases {
        let body = body_with(CONGEST, |b| b["links"][0][key] = value);
        assert_problem(CONGEST, &body, "congested_link[0]", word);
    }
}

#[test]
fn negative_metrics_and_bandwidths_are_rejected_but_unknown_link_bandwidth_is_not() {
    let body = body_with(SINGLE, |b| {
        b["links"][0]["igp"] = json!(-1);
        b["links"][1]["delay"] = json!(-0.5);
        b["links"][2]["bd"] = json!(-2);
        b["links"][3]["qos_class"][0]["bandwidth_available"] = json!(-3);
        b["sr_policy"]["bd"] = json!(-1);
        b["links"][4]["bd"] = json!(-1);
    });
    assert_problem(SINGLE, &body, "links[0].igp", "non-negative");
    assert_problem(SINGLE, &body, "links[1].delay", "negative");
    assert_problem(SINGLE, &body, "links[2].bd", "-1 (unknown)");
    assert_problem(
        SINGLE,
        &body,
        "links[3].qos_class[0].bandwidth_available",
        "negative",
    );
    assert_problem(SINGLE, &body, "sr_policy.bd", "negative");
    assert_eq!(problems(SINGLE, &body).len(), 5);
}

#[test]
fn values_above_their_bounds_are_rejected() {
    let body = body_with(SINGLE, |b| {
        b["links"][0]["te"] = json!(5_000_000_000u64);
        b["links"][1]["delay"] = json!(2e9);
        b["sr_policy"]["algorithm"] = json!(256);
        b["nodes"][0]["sid"] = json!(1e30);
    });
    assert_problem(SINGLE, &body, "links[0].te", "at most 4294967295");
    assert_problem(SINGLE, &body, "links[1].delay", "at most");
    assert_problem(SINGLE, &body, "sr_policy.algorithm", "at most 255");
    assert_problem(SINGLE, &body, "nodes[0].sid", "at most");
}

#[test]
fn affinity_values_that_are_not_hex_or_exceed_64_bits_are_rejected() {
    let body = body_with(SINGLE, |b| {
        b["sr_policy"]["affi"] = json!("0xZZ");
        b["sr_policy"]["mask"] = json!("0x1ffffffffffffffff");
        b["links"][0]["affi"] = json!(1.8446744073709552e19);
        b["links"][1]["affi"] = json!(-4);
        b["links"][2]["affi"] = json!("0x");
    });
    assert_problem(SINGLE, &body, "sr_policy.affi", "not a hex number");
    assert_problem(SINGLE, &body, "sr_policy.mask", "64 bits");
    assert_problem(SINGLE, &body, "links[0].affi", "64 bits");
    assert_problem(SINGLE, &body, "links[1].affi", "non-negative");
    assert_problem(SINGLE, &body, "links[2].affi", "hex");
}

#[test]
fn unknown_enum_values_are_rejected_naming_the_expected_ones() {
    let body = body_with(SINGLE, |b| {
        b["sr_policy"]["metric"] = json!("foo");
        b["global"]["algorithm"][0]["sorter"] = json!("fastest");
        b["global"]["sorting"] = json!("random");
        b["global"]["reopt_mode"] = json!(1);
        b["global"]["encoding"] = json!("loose");
        b["global"]["prioriry_prefer"] = json!("MEDIUM");
    });
    let metric = assert_problem(SINGLE, &body, "sr_policy.metric", "unknown metric");
    assert_eq!(
        metric[0].message,
        "unknown metric \"foo\" (expected igp, te or latency)"
    );
    assert_problem(SINGLE, &body, "global.algorithm[0].sorter", "max_min_band");
    assert_problem(SINGLE, &body, "global.sorting", "bandwidth_desc");
    assert_problem(SINGLE, &body, "global.reopt_mode", "string");
    assert_problem(SINGLE, &body, "global.encoding", "ecmp or strict");
    assert_problem(SINGLE, &body, "global.prioriry_prefer", "HIGH or LOW");
}

#[test]
fn wrong_types_are_rejected_with_their_paths() {
    let body = body_with(LIST, |b| {
        b["nodes"][0]["id"] = json!(7);
        b["links"][0]["srlg"] = json!([1, "x"]);
        b["sr_policy"][0]["dis"] = json!("yes");
        b["sr_policy"][1]["inc"] = json!("B");
        b["global"]["flow_factor"] = json!("1.0");
        b["global"]["algorithm"][1] = json!(1);
    });
    assert_problem(LIST, &body, "nodes[0].id", "non-empty string");
    assert_problem(LIST, &body, "links[0].srlg[1]", "integer");
    assert_problem(LIST, &body, "sr_policy[0].dis", "true or false");
    assert_problem(LIST, &body, "sr_policy[1].inc", "array");
    assert_problem(LIST, &body, "global.flow_factor", "number");
    assert_problem(LIST, &body, "global.algorithm[1]", "object");
}

#[test]
fn sr_policy_must_be_an_object_in_single_jobs_and_a_non_empty_array_in_list_jobs() {
    let body = body_with(SINGLE, |b| b["sr_policy"] = json!([b["sr_policy"].clone()]));
    assert_problem(SINGLE, &body, "sr_policy", "one policy");
    let body = body_with(LIST, |b| b["sr_policy"] = b["sr_policy"][0].clone());
    assert_problem(LIST, &body, "sr_policy", "list of policies");
    let body = body_with(LIST, |b| b["sr_policy"] = json!([]));
    assert_problem(LIST, &body, "sr_policy", "at least one");
}

#[test]
fn a_list_policy_without_id_is_rejected() {
    let body = body_with(LIST, |b| {
        b["sr_policy"][1].as_object_mut().unwrap().remove("id");
    });
    assert_problem(LIST, &body, "sr_policy[1].id", "required");
}

#[test]
fn duplicate_classes_on_one_link_are_rejected() {
    let body = body_with(SINGLE, |b| {
        let q = b["links"][2]["qos_class"][0].clone();
        b["links"][2]["qos_class"] = json!([q.clone(), q]);
    });
    assert_problem(SINGLE, &body, "links[2].qos_class[1].class", "duplicate");
}

#[test]
fn sizes_above_the_configured_limits_are_rejected() {
    let limits = Limits {
        max_nodes: 3,
        max_links: 5,
        max_policies: 1,
        max_algorithms: 1,
        max_top: 1000,
        max_waypoints: 0,
        max_items: 10_000,
    };
    let found = problems_with(LIST, &valid_body(LIST), &limits);
    for (path, word) in [
        ("nodes", "4 nodes"),
        ("links", "6 links"),
        ("sr_policy", "2 policies"),
        ("global.algorithm", "2 entries"),
        ("sr_policy[0].inc", "waypoints"),
    ] {
        assert!(
            found
                .iter()
                .any(|p| p.path == path && p.message.contains(word)),
            "no {path} problem with {word:?} in {found:#?}"
        );
    }
}

#[test]
fn every_problem_of_a_body_is_listed_not_only_the_first() {
    let body = body_with(SINGLE, |b| {
        b["links"][0]["igp"] = json!("ten");
        b["sr_policy"]["te"] = json!("P9");
        b["global"]["flow_factor"] = json!(0);
    });
    let found = problems(SINGLE, &body);
    let paths: Vec<&str> = found.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        ["links[0].igp", "global.flow_factor", "sr_policy.te"],
        "{found:#?}"
    );
}

#[test]
fn a_value_that_failed_to_parse_is_reported_once() {
    type Edit = fn(&mut Value);
    let cases: [(JobType, Edit, &str); 7] = [
        (SINGLE, |b| b["sr_policy"]["he"] = json!(5), "sr_policy.he"),
        (
            SINGLE,
            |b| b["nodes"][1]["id"] = json!(["B"]),
            "nodes[1].id",
        ),
        (SINGLE, |b| b["nodes"] = json!("many"), "nodes"),
        (
            SINGLE,
            |b| b["sr_policy"]["class"] = json!(""),
            "sr_policy.class",
        ),
        (
            CONGEST,
            |b| b["global"]["congest_threshold"] = json!("high"),
            "global.congest_threshold",
        ),
        (
            CONGEST,
            |b| b["links"][0]["bd"] = json!("fast"),
            "links[0].bd",
        ),
        (
            JobType::BodModified,
            |b| b["sr_policy"]["former"]["path"] = json!(1),
            "sr_policy.former.path",
        ),
    ];
    for (job_type, edit, path) in cases {
        let mut body = valid_body(job_type);
        edit(&mut body);
        let found = problems(job_type, &body);
        assert_eq!(found.len(), 1, "{path}: {found:#?}");
        assert_eq!(found[0].path, path);
    }
}

#[test]
fn a_flood_of_problems_is_capped_with_a_count_of_the_rest() {
    let body = body_with(SINGLE, |b| b["nodes"] = json!(vec![json!(1); 1500]));
    let found = problems(SINGLE, &body);
    assert_eq!(found.len(), 1001);
    assert_eq!(found[1000].path, "$");
    assert!(found[1000].message.contains("500 more"));
}
