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

/// A loose pool the least-cost set fills is read from the cost-tight DAGs, not from Yen
/// (`select::candidates`); one it does not fill is read from Yen. On a 4 × 4 grid of unit
/// metrics (20 least-cost paths corner to corner, then paths two hops longer), with a waypoint
/// or an exclusion (whose least-cost paths need segment lists of their own) or neither, both
/// agree with the brute-force reference.
#[test]
fn loose_pools_filled_by_the_least_cost_set_or_not_agree_with_the_reference() {
    let id = |r: usize, c: usize| format!("N{r}{c}");
    let mut nodes = Vec::new();
    let mut links = Vec::new();
    for r in 0..4 {
        for c in 0..4 {
            nodes.push(serde_json::json!({"id": id(r, c), "sid": 100 + 10 * r + c}));
            let mut neighbours = Vec::new();
            if r + 1 < 4 {
                neighbours.push((r + 1, c));
            }
            if c + 1 < 4 {
                neighbours.push((r, c + 1));
            }
            for (nr, nc) in neighbours {
                for (a, b) in [(id(r, c), id(nr, nc)), (id(nr, nc), id(r, c))] {
                    let sid = 1000 + links.len();
                    links.push(
                        serde_json::json!({"id": format!("{a}-{b}"), "lo": a, "re": b,
                                                   "igp": 1, "te": 1, "sid": sid}),
                    );
                }
            }
        }
    }
    let none = serde_json::json!([]);
    for (inc, exc) in [
        (none.clone(), none.clone()),
        (serde_json::json!(["N11"]), none.clone()),
        (none.clone(), serde_json::json!(["N22"])),
    ] {
        let body = serde_json::json!({
            "nodes": nodes, "links": links,
            "sr_policy": {"he": "N00", "te": "N33", "inc": inc, "exc": exc},
            "global": {"algorithm": [{"algo": 1, "top": 5}, {"algo": 1, "top": 20},
                                     {"algo": 1, "top": 25}, {"algo": 1, "top": 3, "sorter": "min_hop"},
                                     {"algo": 1, "top": 1}]},
        });
        let job_type = crate::model::JobType::NonbodPasta;
        let expected = comparable(&reference::compute(job_type, &body));
        let actual = crate::compute_value(job_type, &body).expect("a valid body");
        let diffs = differences(&expected, &actual["data"], Empty::Exact);
        assert!(
            diffs.is_empty(),
            "inc {inc} exc {exc}: {}",
            diffs.join("\n")
        );
        // Past the 20 least-cost paths (12 through N11, 8 around N22), the pool reaches longer
        // ones.
        let costs: Vec<u64> = actual["data"][2]["data"]["other"]
            .as_array()
            .expect("other")
            .iter()
            .map(|o| o["attr"]["igp"].as_u64().expect("igp"))
            .collect();
        assert!(
            costs.iter().any(|&c| c > 6),
            "inc {inc} exc {exc}: {costs:?}"
        );
    }
}
