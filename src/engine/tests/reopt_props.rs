//! Property tests of the list jobs on small random bodies ([`reopt_strategies`]):
//!
//! - `bod_reopt` equals placing the sorted policies one by one as `bod_pasta` jobs
//!   ([`placement`]);
//! - `bod_congest_reopt` moves the least-effort valid set, found by brute force over every
//!   subset ([`relief`]);
//! - the moves of `bod_congest_reopt` conserve traffic and reservations, read from its output
//!   alone ([`conservation`](super::conservation)).
//!
//! Each property tallies the cases that exercised what it is about (a policy left unplaced
//! between placed ones, a move, a cheaper set found invalid…) and fails if too few did: a
//! generator drifting to trivial cases would otherwise pass unnoticed. A failure prints the
//! shrunk body as JSON.
//!
//! [`reopt_strategies`]: super::reopt_strategies
//! [`placement`]: super::reopt_reference::placement
//! [`relief`]: super::reopt_reference::relief

use std::cell::RefCell;
use std::collections::BTreeMap;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use serde_json::Value;

use super::compare::{differences, Empty};
use super::conservation::check_conservation;
use super::reopt_reference::{placement, relief};
use super::reopt_strategies::{congest_spec, reopt_spec};
use crate::model::JobType;

/// Cases of the `bod_reopt` comparison (a dozen `bod_pasta` jobs each, 30 ms a case in the
/// debug profile).
const REOPT_CASES: u32 = 250;
/// Cases of the congestion comparison (a brute force over subsets, each set a few jobs; 20 ms).
const RELIEF_CASES: u32 = 250;
/// Cases of the conservation check (the engine alone, 12 ms).
const CONSERVATION_CASES: u32 = 500;

/// Runs a property over `cases` cases, or `PROPTEST_CASES` when set, and panics with the shrunk
/// case if it fails. Shrunk failures are kept next to this file, in
/// `reopt_props.proptest-regressions`.
fn check<S: Strategy>(cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(cases);
    let config = Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        source_file: Some(file!()),
        ..Config::with_cases(cases)
    };
    if let Err(e) = TestRunner::new(config).run(&strategy, test) {
        panic!("{e}");
    }
}

/// How many cases ran, and how many of them showed each feature.
#[derive(Default)]
struct Tally {
    counts: RefCell<(u32, BTreeMap<&'static str, u32>)>,
}

impl Tally {
    /// Counts one case and the features it showed.
    fn case(&self, features: &[(&'static str, bool)]) {
        let mut counts = self.counts.borrow_mut();
        counts.0 += 1;
        for (what, seen) in features {
            *counts.1.entry(what).or_default() += u32::from(*seen);
        }
    }

    /// Prints every feature's count, then asserts that at least `share` of the cases showed
    /// `what` (not for short runs, where chance decides).
    fn require(&self, what: &str, share: f64) {
        let counts = self.counts.borrow();
        let (cases, seen) = (counts.0, counts.1.get(what).copied().unwrap_or(0));
        eprintln!("{what}: {seen} of {cases} cases");
        if cases >= 100 {
            assert!(
                f64::from(seen) >= share * f64::from(cases),
                "only {seen} of {cases} cases {what} (at least {share} expected): \
                 the generator has drifted to trivial cases"
            );
        }
    }
}

fn computed(job_type: JobType, body: &Value) -> Result<Value, TestCaseError> {
    crate::compute_value(job_type, body)
        .map_err(|e| TestCaseError::fail(format!("{job_type} body rejected: {e}\nbody: {body}")))
}

fn compare(
    job_type: JobType,
    body: &Value,
    expected: Vec<Value>,
    actual: &Value,
) -> Result<(), TestCaseError> {
    let expected = Value::Array(expected);
    let diffs = differences(&expected, &actual["data"], Empty::Exact);
    if diffs.is_empty() {
        return Ok(());
    }
    Err(TestCaseError::fail(format!(
        "{job_type}: the engine differs from the oracle\n{}\nbody: {body}\noracle: {expected}\nengine: {}",
        diffs.join("\n"),
        actual["data"]
    )))
}

const UNPLACED_BETWEEN: &str = "left a policy unplaced before a placed one of its class";
const CAPACITY_MATTERED: &str = "placed a policy otherwise than it is placed alone";

#[test]
fn bod_reopt_places_the_sorted_policies_one_by_one_as_bod_pasta_jobs() {
    let tally = Tally::default();
    check(REOPT_CASES, reopt_spec(), |spec| {
        let body = spec.body();
        let actual = computed(JobType::BodReopt, &body)?;
        let (expected, stats) = placement::bod_reopt(&body);
        for (k, e) in expected.iter().enumerate() {
            let links = &actual["data"][k]["summary"]["links"];
            placement::check_links(&e.links, links).map_err(|diff| {
                let engine = &actual["data"];
                TestCaseError::fail(format!("item {k}: {diff}\nbody: {body}\nengine: {engine}"))
            })?;
        }
        let items = expected.into_iter().map(|e| e.item).collect();
        compare(JobType::BodReopt, &body, items, &actual)?;
        tally.case(&[
            ("reserved bandwidth", stats.reserved),
            (UNPLACED_BETWEEN, stats.unplaced_in_the_middle),
            (CAPACITY_MATTERED, stats.pushed_aside || stats.crowded_out),
            ("routed a policy around an earlier one", stats.pushed_aside),
            ("left a policy unplaced that fits alone", stats.crowded_out),
        ]);
        Ok(())
    });
    tally.require("routed a policy around an earlier one", 0.08);
    tally.require("left a policy unplaced that fits alone", 0.08);
    tally.require("reserved bandwidth", 0.8);
    tally.require(UNPLACED_BETWEEN, 0.15);
    tally.require(CAPACITY_MATTERED, 0.2);
}

const AMBIGUOUS: &str = "sat on a threshold to within rounding (skipped)";
const MOVED: &str = "moved a policy";

#[test]
fn bod_congest_reopt_moves_the_least_effort_valid_set_found_by_brute_force() {
    let tally = Tally::default();
    check(RELIEF_CASES, congest_spec(), |spec| {
        let body = spec.body();
        let actual = computed(JobType::BodCongestReopt, &body)?;
        let (expected, stats) = relief::bod_congest(&body);
        if !stats.ambiguous {
            compare(JobType::BodCongestReopt, &body, expected, &actual)?;
        }
        let compared = !stats.ambiguous;
        tally.case(&[
            (AMBIGUOUS, stats.ambiguous),
            (MOVED, compared && stats.moved),
            (
                "moved several policies for one link",
                compared && stats.moved_several,
            ),
            (
                "found a set of less effort invalid",
                compared && stats.invalid_cheaper,
            ),
            (
                "lacked movable load for a link",
                compared && stats.short_of_load,
            ),
            ("left a link unrelieved", compared && stats.unrelievable),
            (
                "had five or more movable policies on a link",
                compared && stats.most_movable >= 5,
            ),
        ]);
        Ok(())
    });
    tally.require(AMBIGUOUS, 0.0);
    tally.require("lacked movable load for a link", 0.0);
    let ambiguous = tally.counts.borrow().1.get(AMBIGUOUS).copied().unwrap_or(0);
    assert!(
        ambiguous * 10 <= tally.counts.borrow().0.max(10),
        "too many cases sat on a threshold: the generator needs odder amounts"
    );
    tally.require(MOVED, 0.4);
    tally.require("moved several policies for one link", 0.1);
    tally.require("found a set of less effort invalid", 0.15);
    tally.require("left a link unrelieved", 0.1);
    tally.require("had five or more movable policies on a link", 0.1);
}

#[test]
fn bod_congest_reopt_moves_conserve_traffic_and_reservations() {
    let tally = Tally::default();
    check(CONSERVATION_CASES, congest_spec(), |spec| {
        let body = spec.body();
        let actual = computed(JobType::BodCongestReopt, &body)?;
        let moves = check_conservation(&body, &actual).map_err(|e| {
            TestCaseError::fail(format!("{e}\nbody: {body}\nengine: {}", actual["data"]))
        })?;
        tally.case(&[
            (MOVED, moves > 0),
            ("moved three policies or more", moves >= 3),
        ]);
        Ok(())
    });
    tally.require(MOVED, 0.4);
    tally.require("moved three policies or more", 0.05);
}
