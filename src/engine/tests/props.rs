//! Property tests: on small random valid bodies ([`strategies`](super::strategies)), the engine
//! ([`crate::compute_value`]) gives what the brute-force [`reference`](super::reference) gives,
//! for every algorithm entry: `status`; on success `sids`, `segs`, `paths`, `attr`,
//! `attr_worst`, `other` (and the `d_*` fields with `dis`, `reservations` in bod jobs); on failure
//! `info.code`. A failure prints the shrunk body as JSON, ready to become a fixture.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
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
    #![proptest_config(ProptestConfig {
        // Shrunk failures are kept next to this file, in `props.proptest-regressions`.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::with_cases(CASES)
    })]

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
fn tmp_stats() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = spec();
    let mut stats = std::collections::BTreeMap::new();
    let mut bump = |k: String| *stats.entry(k).or_insert(0) += 1;
    for _ in 0..3000 {
        let (job_type, body) = strategy.new_tree(&mut runner).unwrap().current().body();
        let doc = reference::compute(job_type, &body);
        let strict = body["global"].get("encoding") == Some(&Value::from("strict"));
        let inc = body["sr_policy"].get("inc").or(body["sr_policy"].get("include")).map_or(0, |x| x.as_array().unwrap().len());
        for item in doc["data"].as_array().unwrap() {
            if item["status"] != true { continue; }
            let d = &item["data"];
            bump(format!("ok strict={strict}"));
            let sids = d["sids"].as_array().unwrap();
            bump(format!("sids={}", sids.len()));
            if sids.iter().any(|s| s.get("lo").is_some()) { bump("has adj".into()); }
            if d["segs"].as_array().unwrap().iter().any(|s| s.as_array().unwrap().len() > 1) { bump(format!("ecmp strict={strict} inc={inc}")); }
            bump(format!("paths={}", d["paths"].as_array().unwrap().len().min(5)));
            if let Some(r) = item.get("reservations") { if !r.as_array().unwrap().is_empty() { bump("reservations".into()); } }
            if let Some(p) = d.get("d_paths") { bump(format!("dis found={}", !p.as_array().unwrap().is_empty())); }
            if d["attr"]["max_min_band"] == -1.0 { bump("unlimited".into()); }
        }
    }
    eprintln!("{stats:#?}");
}
