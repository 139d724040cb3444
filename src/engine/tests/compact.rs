//! The compact form of a request ([`crate::model::compact`]), which job messages carry from
//! submission to the workers: every request the engine is tested on survives the trip unchanged,
//! and the layout is pinned, so that changing it means a new `Pasta-Format` number.

use proptest::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::reopt_strategies::{congest_spec, reopt_spec};
use super::strategies::spec;
use crate::model::{compact, Job, JobType, Limits};

/// Parses a body, encodes its request, decodes it: the same job.
fn round_trip(t: JobType, body: &Value) -> Result<(), TestCaseError> {
    let job = Job::parse(t, body, &Limits::default()).expect("strategies give valid bodies");
    let bytes = compact::encode(&job.request);
    let back = compact::decode(t, &bytes, &Limits::default());
    prop_assert_eq!(back.as_ref(), Ok(&job));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn a_single_policy_request_survives_its_compact_form(s in spec()) {
        let (t, body) = s.body();
        round_trip(t, &body)?;
    }

    #[test]
    fn a_reopt_request_survives_its_compact_form(s in reopt_spec()) {
        round_trip(JobType::BodReopt, &s.body())?;
    }

    #[test]
    fn a_congestion_request_survives_its_compact_form(s in congest_spec()) {
        round_trip(JobType::BodCongestReopt, &s.body())?;
    }
}

fn seed() -> Job {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/seed-example/request.json");
    let body: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    Job::parse(JobType::BodPasta, &body, &Limits::default()).unwrap()
}

/// A worker of one version must not misread a job written by another: if this fails, the
/// layout of the request types changed, and `JobFormat::Compact` needs a new header value
/// (`crate::bus::JobFormat`) before the pin here is updated.
#[test]
fn the_compact_layout_is_pinned() {
    let mut job = seed();
    // Every optional member set, so that none of their layouts goes unpinned.
    let p = &mut job.request.policies[0];
    p.mask = Some(0xf0);
    p.inc = vec!["P2".into()];
    p.exc = vec!["P9".into()];
    p.msd = Some(5);
    p.algorithm = Some(128);
    p.former = Some(crate::model::Former {
        path: vec![vec![vec!["P1".into(), "P1:1".into(), "P2".into()]]],
        bd: 10.0,
        class: "Gold".into(),
    });
    p.path = p.former.as_ref().map(|f| f.path.clone());
    job.request.global.max_changes = Some(3);
    job.request.congested_link = vec!["P1:1".into()];
    let bytes = compact::encode(&job.request);
    let digest = Sha256::digest(&bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "404f353942b893b744658d6b1cb25dfe6d44adddb5c899c3ac58225898fe26a1",
        "{} bytes",
        bytes.len()
    );
}

#[test]
fn bytes_that_are_not_a_compact_request_are_an_invalid_body() {
    for bytes in [
        &b""[..],
        b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
        b"{\"nodes\": []}",
    ] {
        let problems = compact::decode(JobType::NonbodPasta, bytes, &Limits::default())
            .expect_err("not a request");
        assert_eq!(problems.0[0].path, "$");
        assert!(
            problems.0[0].message.starts_with("not a compact job"),
            "{problems:?}"
        );
    }
}

#[test]
fn a_decoded_request_is_checked_like_a_parsed_one() {
    let mut job = seed();
    job.request.policies[0].te = "nowhere".into();
    std::sync::Arc::make_mut(&mut job.request.links)[0].lo = "elsewhere".into();
    let problems = compact::decode(
        JobType::BodPasta,
        &compact::encode(&job.request),
        &Limits::default(),
    )
    .expect_err("dangling references");
    let paths: Vec<&str> = problems.0.iter().map(|p| p.path.as_str()).collect();
    assert!(
        paths.iter().any(|p| p.starts_with("sr_policy")),
        "{problems:?}"
    );
    assert!(
        paths.iter().any(|p| p.starts_with("links[0]")),
        "{problems:?}"
    );
}
