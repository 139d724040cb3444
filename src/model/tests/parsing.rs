//! Parsing: aliases, defaults, presets, value forms, and the key tables the parser reads.

use serde_json::{json, Value};

use super::super::parse::reader::Key;
use super::super::parse::{
    ALGORITHM_KEYS, BODY_KEYS, FORMER_KEYS, GLOBAL_KEYS, LINK_KEYS, NODE_KEYS, POLICY_KEYS,
    PREFIX_KEYS, QOS_KEYS,
};
use super::*;
use crate::model::{AlgorithmEntry, Encoding, Global, Metric, ReoptMode, Sorter, Sorting};

/// The smallest valid body: two nodes, one link each way, a policy A → B.
fn minimal(job_type: JobType) -> Value {
    let policy = json!({"id": "P", "he": "A", "te": "B", "class": "Gold",
                        "former": {"path": [], "bd": 0}});
    let mut body = json!({
        "nodes": [{"id": "A", "sid": 1}, {"id": "B", "sid": 2}],
        "links": [{"id": "A-B", "lo": "A", "re": "B"}, {"id": "B-A", "lo": "B", "re": "A"}],
        "sr_policy": if job_type.is_list() { json!([policy]) } else { policy }
    });
    if job_type == JobType::BodCongestReopt {
        body["links"][0]["bd"] = json!(10);
        body["links"][0]["traffic_flow"] = json!(9);
        body["congested_link"] = json!(["A-B"]);
    }
    body
}

#[test]
fn the_seed_example_parses_with_its_long_names() {
    let text = std::fs::read_to_string(fixtures().join("seed-example/request.json")).unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    let job = assert_valid(JobType::NonbodPasta, &body);
    let link = &job.request.links[0];
    assert_eq!((link.lo.as_str(), link.re.as_str()), ("P1", "P2"));
    assert_eq!((link.bd, link.affi, link.delay_milli), (10.0, 0, 100_000));
    let policy = &job.request.policies[0];
    assert_eq!(
        (policy.id.as_str(), policy.he.as_str(), policy.te.as_str()),
        ("SR1", "P1", "P3")
    );
    assert_eq!(policy.class.as_deref(), Some("Gold"));
    let algorithm = &job.request.global.algorithm;
    assert_eq!(algorithm.len(), 2);
    assert_eq!(
        (algorithm[1].sorter, algorithm[1].loose),
        (Sorter::MaxMinBand, true)
    );
}

#[test]
fn a_minimal_body_gets_every_default() {
    let job = assert_valid(JobType::NonbodPasta, &minimal(JobType::NonbodPasta));
    let r = &job.request;
    assert_eq!(r.global, Global::default());
    assert_eq!(r.global.algorithm, vec![AlgorithmEntry::preset(0)]);
    let l = &r.links[0];
    assert_eq!(
        (l.igp, l.te, l.delay, l.delay_milli),
        (0, 0, 1000.0, 1_000_000)
    );
    assert_eq!(
        (l.bd, l.affi, l.srlg.len(), l.traffic_flow),
        (-1.0, 0, 0, None)
    );
    assert_eq!((l.ip.clone(), l.sid, l.qos_class.len()), (None, None, 0));
    let p = &r.policies[0];
    assert_eq!(
        (p.metric, p.bd, p.affi, p.mask, p.dis),
        (Metric::Igp, 0.0, 0, None, false)
    );
    assert_eq!(
        (p.priority, p.msd, p.algorithm, p.traffic_flow),
        (0, None, None, 0.0)
    );
    assert!(p.inc.is_empty() && p.exc.is_empty() && p.path.is_none());
    assert!(r.congested_link.is_empty());
}

#[test]
fn a_single_policy_without_id_takes_its_headend_as_id() {
    let mut body = minimal(JobType::NonbodPasta);
    body["sr_policy"].as_object_mut().unwrap().remove("id");
    body["sr_policy"]["headend"] = body["sr_policy"]["he"].take();
    let job = assert_valid(JobType::NonbodPasta, &body);
    assert_eq!(job.request.policies[0].id, "A");
}

#[test]
fn an_empty_or_missing_algorithm_list_means_the_algo_0_preset() {
    for global in [
        json!({}),
        json!({"algorithm": []}),
        json!({"algorithm": null}),
    ] {
        let mut body = minimal(JobType::NonbodPasta);
        body["global"] = global;
        let job = assert_valid(JobType::NonbodPasta, &body);
        assert_eq!(
            job.request.global.algorithm,
            vec![AlgorithmEntry::preset(0)]
        );
    }
}

#[test]
fn an_algorithm_entry_takes_its_missing_fields_from_the_preset_of_its_algo() {
    let mut body = minimal(JobType::NonbodPasta);
    body["global"] = json!({"algorithm": [{"top": 3}, {"algo": 1}, {"algo": 1.0, "loose": false,
        "sorter": "min_hop", "limit": 7}]});
    let job = assert_valid(JobType::NonbodPasta, &body);
    let a = &job.request.global.algorithm;
    assert_eq!(
        a[0],
        AlgorithmEntry {
            top: 3,
            ..AlgorithmEntry::preset(0)
        }
    );
    assert_eq!(a[1], AlgorithmEntry::preset(1));
    assert!(a[1].loose && a[1].top == 10 && a[1].sorter == Sorter::Metric);
    let expected = AlgorithmEntry {
        loose: false,
        sorter: Sorter::MinHop,
        limit: 7.0,
        ..AlgorithmEntry::preset(1)
    };
    assert_eq!(a[2], expected);
}

#[test]
fn every_field_of_the_full_body_is_read_into_the_request() {
    let job = assert_valid(JobType::BodReopt, &valid_body(JobType::BodReopt));
    let r = &job.request;
    let a = &r.nodes[0];
    assert_eq!((a.ip.as_deref(), a.sid), (Some("10.0.0.1"), Some(16001)));
    assert_eq!((a.prefix[0].algorithm, a.prefix[0].sid), (128, Some(17001)));
    let l = &r.links[0];
    assert_eq!(
        (l.igp, l.te, l.delay, l.delay_milli, l.bd),
        (10, 20, 1.5, 1500, 100.0)
    );
    assert_eq!(
        (l.affi, l.srlg.clone(), l.traffic_flow),
        (1, vec![7], Some(90.0))
    );
    assert_eq!(l.class("Gold").map(|q| q.bandwidth_available), Some(50.0));
    let p = &r.policies[1];
    assert_eq!(
        (p.id.as_str(), p.he.as_str(), p.bd, p.mask),
        ("SR2", "D", 10.0, Some(2))
    );
    assert_eq!(
        (p.inc.clone(), p.exc.clone(), p.dis),
        (vec!["B".into()], vec!["D".into()], true)
    );
    assert_eq!(
        (p.priority, p.msd, p.algorithm, p.traffic_flow),
        (2, Some(5), Some(128), 3.0)
    );
    assert_eq!(p.path.as_ref().map(|s| s[0][0].len()), Some(5));
    let g = &r.global;
    assert_eq!(
        (g.sorting, g.reopt_mode, g.encoding),
        (Sorting::BandwidthDesc, ReoptMode::Loose, Encoding::Ecmp)
    );
    assert_eq!(
        (g.max_changes, g.algorithm[1].limit, g.algorithm[1].top),
        (Some(4), 1.0, 3)
    );
}

#[test]
fn long_aliases_are_read_when_the_short_name_is_absent() {
    let mut body = minimal(JobType::NonbodPasta);
    body["links"][0] = json!({"id": "A-B", "local": "A", "remote": "B", "bandwidth": 5,
                              "affinity": 3});
    body["sr_policy"] = json!({"headend": "A", "tailend": "B", "bandwidth": 2, "affinity": "ff",
        "include": ["B"], "exclude": ["B-A"], "disjoint": true, "metric": "delay"});
    body["global"] = json!({"sorter": "priority_asc", "priority_prefer": "low"});
    let job = assert_valid(JobType::NonbodPasta, &body);
    let l = &job.request.links[0];
    assert_eq!(
        (l.lo.as_str(), l.re.as_str(), l.bd, l.affi),
        ("A", "B", 5.0, 3)
    );
    let p = &job.request.policies[0];
    assert_eq!(
        (p.he.as_str(), p.te.as_str(), p.bd, p.affi),
        ("A", "B", 2.0, 255)
    );
    assert_eq!(
        (p.inc.len(), p.exc.len(), p.dis, p.metric),
        (1, 1, true, Metric::Latency)
    );
    assert_eq!(job.request.global.sorting, Sorting::PriorityAsc);
}

#[test]
fn the_short_name_wins_over_its_alias() {
    let mut body = minimal(JobType::NonbodPasta);
    body["sr_policy"]["headend"] = json!("B");
    body["sr_policy"]["tailend"] = json!(17);
    body["global"] = json!({"sorting": "priority_desc", "sorter": "bogus"});
    let job = assert_valid(JobType::NonbodPasta, &body);
    assert_eq!(job.request.policies[0].he, "A");
    assert_eq!(job.request.global.sorting, Sorting::PriorityDesc);
}

#[test]
fn a_null_member_counts_as_absent() {
    let mut body = minimal(JobType::NonbodPasta);
    body["links"][0]["sid"] = Value::Null;
    body["links"][0]["igp"] = Value::Null;
    body["sr_policy"]["he"] = Value::Null;
    body["sr_policy"]["headend"] = json!("A");
    body["global"] = Value::Null;
    let job = assert_valid(JobType::NonbodPasta, &body);
    assert_eq!(
        (job.request.links[0].sid, job.request.links[0].igp),
        (None, 0)
    );
    assert_eq!(job.request.policies[0].he, "A");
}

#[test]
fn unknown_fields_and_fields_a_job_type_does_not_use_are_ignored() {
    let mut body = minimal(JobType::NonbodPasta);
    body["tiebreaker"] = json!({"anything": [1, 2]});
    body["links"][0]["min_delay"] = json!("not looked at");
    body["sr_policy"]["former"] = json!("not a former");
    body["sr_policy"]["path"] = json!(12);
    body["congested_link"] = json!(7);
    let job = assert_valid(JobType::NonbodPasta, &body);
    assert!(job.request.policies[0].former.is_none() && job.request.congested_link.is_empty());
}

#[test]
fn integral_floats_are_integers_and_fractions_are_not() {
    let mut body = minimal(JobType::NonbodPasta);
    body["links"][0]["igp"] = json!(10.0);
    body["nodes"][0]["sid"] = json!(16001.0);
    assert_eq!(
        assert_valid(JobType::NonbodPasta, &body).request.links[0].igp,
        10
    );
    body["links"][0]["igp"] = json!(10.5);
    assert_problem(JobType::NonbodPasta, &body, "links[0].igp", "integer");
}

#[test]
fn delay_is_counted_in_rounded_thousandths() {
    let mut body = minimal(JobType::NonbodPasta);
    body["links"][0]["delay"] = json!(2.0005);
    body["links"][1]["delay"] = json!(0.1234);
    let job = assert_valid(JobType::NonbodPasta, &body);
    assert_eq!(job.request.links[0].delay_milli, 2001);
    assert_eq!(job.request.links[1].delay_milli, 123);
}

#[test]
fn affinity_values_are_integers_or_hex_strings_of_at_most_64_bits() {
    let cases = [
        (json!(5), 5),
        (json!("0x1F"), 31),
        (json!("0X1f"), 31),
        (json!("10"), 16),
        (json!("00000000000000000000ffffffffffffffff"), u64::MAX),
        (json!(u64::MAX), u64::MAX),
    ];
    for (value, expected) in cases {
        let mut body = minimal(JobType::NonbodPasta);
        body["sr_policy"]["mask"] = value.clone();
        let job = assert_valid(JobType::NonbodPasta, &body);
        assert_eq!(job.request.policies[0].mask, Some(expected), "{value}");
    }
}

#[test]
fn a_former_takes_the_policy_class_and_a_zero_bandwidth_by_default() {
    let mut body = minimal(JobType::BodModified);
    body["sr_policy"]["former"] = json!({"path": [[["A", "A-B", "B"]]]});
    let job = assert_valid(JobType::BodModified, &body);
    let former = job.request.policies[0].former.clone().unwrap();
    assert_eq!((former.class.as_str(), former.bd), ("Gold", 0.0));
    assert_eq!(
        former.path,
        vec![vec![vec!["A".to_owned(), "A-B".into(), "B".into()]]]
    );
}

#[test]
fn a_prefix_sid_of_zero_counts_as_none() {
    let mut body = minimal(JobType::NonbodPasta);
    body["nodes"][0]["prefix"] = json!([{"prefix_algorithm": 128, "prefix_sid": 0}]);
    let job = assert_valid(JobType::NonbodPasta, &body);
    assert_eq!(job.request.nodes[0].prefix[0].sid, None);
}

/// A key table's name, its keys, and where its object sits in a body of a job type that reads it.
type Table = (&'static str, &'static [Key], Vec<(JobType, &'static str)>);

/// Every key table.
fn tables() -> Vec<Table> {
    let single = |path| vec![(JobType::BodModified, path)];
    vec![
        ("body", BODY_KEYS, vec![(JobType::BodCongestReopt, "")]),
        ("node", NODE_KEYS, single("nodes[0]")),
        ("prefix", PREFIX_KEYS, single("nodes[0].prefix[0]")),
        ("link", LINK_KEYS, single("links[0]")),
        ("qos", QOS_KEYS, single("links[0].qos_class[0]")),
        (
            "policy",
            POLICY_KEYS,
            vec![
                (JobType::BodModified, "sr_policy"),
                (JobType::BodCongestReopt, "sr_policy[0]"),
            ],
        ),
        ("former", FORMER_KEYS, single("sr_policy.former")),
        ("algorithm", ALGORITHM_KEYS, single("global.algorithm[0]")),
        ("global", GLOBAL_KEYS, single("global")),
    ]
}

/// The object at a dotted path of a body.
fn object_at<'a>(body: &'a mut Value, path: &str) -> &'a mut serde_json::Map<String, Value> {
    let mut v = body;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, index) = match part.split_once('[') {
            Some((k, i)) => (k, Some(i.trim_end_matches(']').parse::<usize>().unwrap())),
            None => (part, None),
        };
        v = &mut v[key];
        if let Some(i) = index {
            v = &mut v[i];
        }
    }
    v.as_object_mut().expect("an object")
}

#[test]
fn every_name_of_every_key_table_is_read_by_the_parser() {
    // A value of the wrong type for every key: each name must give a problem at its own path.
    let wrong = json!([[{}]]);
    for (table, keys, places) in tables() {
        for key in keys {
            for name in std::iter::once(key.name).chain(key.alias) {
                let read = places.iter().any(|&(job_type, at)| {
                    let mut body = valid_body(job_type);
                    let obj = object_at(&mut body, at);
                    obj.remove(key.name);
                    obj.insert(name.to_owned(), wrong.clone());
                    let path = if at.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{at}.{name}")
                    };
                    problems(job_type, &body)
                        .iter()
                        .any(|p| p.path.starts_with(&path))
                });
                assert!(
                    read,
                    "{table} key {name:?} is not read, or a wrong value passes"
                );
            }
        }
    }
}
