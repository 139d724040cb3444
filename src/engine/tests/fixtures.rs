//! The documented examples as tests: `tests/fixtures` (the seed example of the status
//! document, and one folder per contract rule), each run through [`crate::compute_value`] by one
//! helper, [`check`]. The brute-force reference is held to the single-policy ones too, so that the
//! property tests compare the engine with something known to agree with the contract's examples.

use std::fs;
use std::path::PathBuf;

use serde_json::Value;

use super::compare::{differences, Empty};
use super::reference;
use crate::model::JobType;

/// The fixtures folder of the repository (`tests/fixtures`).
fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read_json(dir: &str, file: &str) -> Value {
    let path = fixtures().join(dir).join(file);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The job type of a fixture folder (its `type` file).
fn job_type_of(dir: &str) -> JobType {
    let path = fixtures().join(dir).join("type");
    let name = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    JobType::parse(name.trim()).unwrap_or_else(|| panic!("{dir}: unknown type {name:?}"))
}

/// Runs a fixture's `request.json` as the job type of its `type` file and asserts that every field
/// of its `expected.json` is in the result with an equal value.
fn check(dir: &str) {
    check_as(dir, job_type_of(dir));
}

/// [`check`] with the job type given (the seed example is documented for two types).
fn check_as(dir: &str, job_type: JobType) {
    let request = read_json(dir, "request.json");
    let expected = read_json(dir, "expected.json");
    let actual = crate::compute_value(job_type, &request)
        .unwrap_or_else(|p| panic!("{dir} as {job_type}: the body is rejected:\n{p}"));
    let diffs = differences(&expected, &actual, Empty::Free);
    assert!(
        diffs.is_empty(),
        "{dir} as {job_type}:\n{}\nactual: {}",
        diffs.join("\n"),
        serde_json::to_string_pretty(&actual).expect("json")
    );
}

#[test]
fn the_seed_example_as_nonbod_pasta_gives_the_documented_status_document() {
    check_as("seed-example", JobType::NonbodPasta);
}

#[test]
fn the_seed_example_as_bod_pasta_gives_the_documented_status_document() {
    check_as("seed-example", JobType::BodPasta);
}

#[test]
fn a_congested_link_is_relieved_by_the_valid_set_of_least_effort() {
    check("contract-examples/congestion-relief");
}

#[test]
fn a_modified_policy_gives_back_its_former_placement_before_computing() {
    check("contract-examples/modified-releases-first");
}

#[test]
fn msd_restricts_the_pool_to_encodable_paths_rather_than_failing() {
    check("contract-examples/msd-in-the-pool");
}

#[test]
fn no_path_under_a_bandwidth_request_is_an_item_with_status_false() {
    check("contract-examples/no-path-bandwidth");
}

#[test]
fn reoptimisation_places_the_biggest_policy_first_and_charges_capacity_in_order() {
    check("contract-examples/reopt-order-and-capacity");
}

#[test]
fn a_reservation_is_split_evenly_over_the_ecmp_paths_of_a_segment() {
    check("contract-examples/reservation-ecmp-split");
}

#[test]
fn strict_encoding_uses_a_node_sid_only_where_the_shortest_path_is_unique() {
    check("contract-examples/strict-encoding");
}

#[test]
fn an_unknown_bandwidth_never_constrains_and_ranks_as_unlimited() {
    check("contract-examples/unknown-bandwidth-is-unlimited");
}

#[test]
fn a_waypoint_inside_an_ecmp_segment_forces_a_node_sid_on_the_waypoint() {
    check("contract-examples/waypoint-in-ecmp");
}

/// The contract example folders the tests above cover.
const COVERED: [&str; 9] = [
    "congestion-relief",
    "modified-releases-first",
    "msd-in-the-pool",
    "no-path-bandwidth",
    "reopt-order-and-capacity",
    "reservation-ecmp-split",
    "strict-encoding",
    "unknown-bandwidth-is-unlimited",
    "waypoint-in-ecmp",
];

fn contract_examples() -> Vec<String> {
    let dir = fixtures().join("contract-examples");
    let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut names: Vec<String> = entries
        .map(|e| e.expect("a directory entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_contract_example_folder_has_a_test() {
    assert_eq!(contract_examples(), COVERED);
}

#[test]
fn the_reference_reproduces_every_single_policy_fixture() {
    let mut cases = vec![
        ("seed-example".to_owned(), JobType::NonbodPasta),
        ("seed-example".to_owned(), JobType::BodPasta),
    ];
    for name in contract_examples() {
        let dir = format!("contract-examples/{name}");
        let job_type = job_type_of(&dir);
        if matches!(job_type, JobType::NonbodPasta | JobType::BodPasta) {
            cases.push((dir, job_type));
        }
    }
    assert!(cases.len() >= 8, "the single-policy fixtures are missing");
    let mut failures = vec![];
    for (dir, job_type) in &cases {
        let expected = read_json(dir, "expected.json");
        let computed = reference::compute(*job_type, &read_json(dir, "request.json"));
        for diff in differences(&expected, &computed, Empty::Free) {
            failures.push(format!("{dir} as {job_type}: {diff}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
