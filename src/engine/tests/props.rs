//! Property tests: on small random valid bodies ([`strategies`](super::strategies)), the engine
//! ([`crate::compute_value`]) gives what the brute-force [`reference`](super::reference) gives,
//! for every algorithm entry: `status`; on success `sids`, `segs`, `paths`, `attr`,
//! `attr_worst`, `other` (and the `d_*` fields with `dis`, `reservations` in bod jobs); on failure
//! `info.code`. A failure prints the shrunk body as JSON, ready to become a fixture.

use proptest::prelude::*;
use serde_json::Value;

use super::compare::{differences, Empty};
use super::reference;
use super::strategies::spec;
use crate::model::{Job, Limits};

/// Cases per property: enough to meet the rare combinations, within seconds in the debug profile.
const CASES: u32 = 3000;

/// The items of the reference document, without the success `info` (which the engine may fill).
fn comparable(reference: &Value) -> Value {
    let mut items = reference["data"].clone();
    for item in items.as_array_mut().expect("items") {
        if item["status"] == Value::Bool(true) {
            item.as_object_mut().expect("an item").remove("info");
        }
    }
    items
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn every_generated_body_is_accepted_by_the_parser(spec in spec()) {
        let (job_type, body) = spec.body();
        let parsed = Job::parse(job_type, &body, &Limits::default());
        prop_assert!(parsed.is_ok(), "{job_type} body rejected: {}\nbody: {body}", parsed.unwrap_err());
    }

    #[test]
    fn the_engine_agrees_with_the_brute_force_reference(spec in spec()) {
        let (job_type, body) = spec.body();
        let expected = comparable(&reference::compute(job_type, &body));
        let actual = crate::compute_value(job_type, &body);
        prop_assert!(actual.is_ok(), "{job_type} body rejected: {:?}\nbody: {body}", actual.err());
        let actual = actual.expect("checked");
        let diffs = differences(&expected, &actual["data"], Empty::Exact);
        prop_assert!(
            diffs.is_empty(),
            "{job_type}: the engine differs from the reference\n{}\nbody: {body}\nreference: {expected}\nengine: {}",
            diffs.join("\n"),
            actual["data"]
        );
    }
}

#[test]
fn tmp_reference_timing() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = spec();
    let start = std::time::Instant::now();
    let mut worst = (std::time::Duration::ZERO, String::new());
    let mut stats = std::collections::BTreeMap::new();
    for _ in 0..3000 {
        let (job_type, body) = strategy.new_tree(&mut runner).unwrap().current().body();
        let t = std::time::Instant::now();
        let doc = reference::compute(job_type, &body);
        let d = t.elapsed();
        for item in doc["data"].as_array().unwrap() {
            let key = if item["status"] == true {
                format!(
                    "ok other={}",
                    item["data"]["other"].as_array().unwrap().len().min(3)
                )
            } else {
                item["info"]["code"].to_string()
            };
            *stats.entry(key).or_insert(0) += 1;
        }
        if d > worst.0 {
            worst = (d, body.to_string());
        }
        if doc["data"][0]["info"]["code"] == "NO_PATH" {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open("/tmp/nopath.jsonl")
                .unwrap();
            writeln!(f, "{}\t{}", job_type, body).unwrap();
        }
    }
    eprintln!(
        "total {:?}, worst {:?}\n{:?}\n{}",
        start.elapsed(),
        worst.0,
        stats,
        worst.1
    );
}
