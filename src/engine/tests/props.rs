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

/// Cases of the comparison: enough to meet the rare combinations (waypoints inside ECMP
/// segments, `dis`, `msd` with loose pools) within seconds in the debug profile.
const CASES: u32 = 3000;

/// Cases of the check that the generator stays within what the parser accepts.
const PARSER_CASES: u32 = 500;

/// `cases` cases, or `PROPTEST_CASES` when set (`PROPTEST_CASES=100000 cargo test --release
/// engine::tests::props` for a long hunt). Shrunk failures are kept next to this file, in
/// `props.proptest-regressions`.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::with_cases(cases)
    }
}

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
    #![proptest_config(config(PARSER_CASES))]

    #[test]
    fn every_generated_body_is_accepted_by_the_parser(spec in spec()) {
        let (job_type, body) = spec.body();
        let parsed = Job::parse(job_type, &body, &Limits::default());
        prop_assert!(parsed.is_ok(), "{job_type} body rejected: {}\nbody: {body}", parsed.unwrap_err());
    }
}

proptest! {
    #![proptest_config(config(CASES))]

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
