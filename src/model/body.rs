//! A wire body as bytes: read as JSON, digested, parsed and validated into its [`Job`]. The one
//! place a body's bytes become a job, for submission, the synchronous routes and the workers.
//!
//! The digest resubmissions compare is that of the validated request ([`request_digest`]): two
//! bodies that mean the same job (`10` or `10.0`, `he` or `headend`, keys in any order, a default
//! written out or left to apply, an unknown member) have one digest. Only a body that does not
//! validate is digested as written ([`digest`], its canonical JSON).

use sha2::{Digest, Sha256};

use super::json::{Json, Shape, Unread};
use super::topology::Pinned;
use super::{canonical, compact, Job, JobType, Limits, Problem, Problems, Request};

/// Reads a body as JSON, or says why it is not (a problem at `$`, or at a list longer than its
/// cap): what a request can mean of it, members no request has skipped unread ([`Json::read`]).
pub fn read_json<'a>(body: &'a [u8], limits: &Limits) -> Result<Json<'a>, Problems> {
    read_shaped(body, &super::parse::BODY_SHAPE, limits)
}

/// [`read_json`] by another shape (a topology document's).
pub(crate) fn read_shaped<'a>(
    body: &'a [u8],
    shape: &Shape,
    limits: &Limits,
) -> Result<Json<'a>, Problems> {
    Json::read(body, shape, limits).map_err(|e| {
        Problems(vec![match e {
            Unread::TooLong(problem) => problem,
            Unread::NotJson(e) => Problem {
                path: "$".into(),
                message: format!("not JSON: {e}"),
            },
        }])
    })
}

/// Parses and validates a body into its job.
pub fn parse(job_type: JobType, body: &[u8], limits: &Limits) -> Result<Job, Problems> {
    let json = read_json(body, limits)?;
    Job::parse_json(job_type, &json, limits)
}

/// Parses and validates a body: the job, and the digest resubmissions compare.
pub fn parse_with_digest(
    job_type: JobType,
    body: &[u8],
    limits: &Limits,
) -> Result<(Job, String), Problems> {
    let job = parse(job_type, body, limits)?;
    let digest = request_digest(job_type, &job.request);
    Ok((job, digest))
}

/// The digest of a validated request: hex SHA-256 of the type and the request's compact form
/// (defaults applied, short names, numbers as values), prefixed `r1:` so that it is never
/// mistaken for a digest of a body as written.
pub fn request_digest(job_type: JobType, request: &Request) -> String {
    compact_digest(job_type, &compact::encode(request))
}

/// [`request_digest`] of a request whose compact form ([`compact::encode`]) is at hand.
pub fn compact_digest(job_type: JobType, compact: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(job_type.as_str().as_bytes());
    hasher.update([0u8]);
    hasher.update(compact);
    format!("r1:{}", canonical::hex(&hasher.finalize()))
}

/// The digest of a validated request on a held topology's revision: that of the request
/// without its nodes and links, and the revision's name and number (`r2:`), so that the digest
/// costs nothing in proportion to the topology.
pub fn held_digest(job_type: JobType, request: &Request, topology: &Pinned) -> String {
    held_compact_digest(
        job_type,
        &compact::encode_without_topology(request),
        topology,
    )
}

/// [`held_digest`] of a request whose compact form without its topology
/// ([`compact::encode_without_topology`]) is at hand.
pub fn held_compact_digest(job_type: JobType, compact: &[u8], topology: &Pinned) -> String {
    let mut hasher = Sha256::new();
    hasher.update(job_type.as_str().as_bytes());
    hasher.update([0u8]);
    hasher.update(topology.name.as_bytes());
    hasher.update([0u8]);
    hasher.update(topology.revision.to_be_bytes());
    hasher.update(compact);
    format!("r2:{}", canonical::hex(&hasher.finalize()))
}

/// The digest of a body as written (one that is not JSON counts as `null`), for bodies that do
/// not validate.
pub fn digest(job_type: JobType, body: &[u8], limits: &Limits) -> String {
    let json = read_json(body, limits).unwrap_or(Json::Null);
    canonical::digest(job_type.as_str(), &json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_request_digest_is_the_hex_sha256_of_the_type_and_the_compact_form() {
        let body = br#"{"nodes": [{"id": "A", "sid": 1}, {"id": "B", "sid": 2}],
                        "links": [{"id": "A-B", "lo": "A", "re": "B", "sid": 3}],
                        "sr_policy": {"he": "A", "te": "B"}}"#;
        let (job, digest) =
            parse_with_digest(JobType::NonbodPasta, body, &Limits::default()).expect("valid");
        let mut hashed = b"nonbod_pasta\0".to_vec();
        hashed.extend(compact::encode(&job.request));
        let sum = Sha256::digest(&hashed);
        let expected: String = sum.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest, format!("r1:{expected}"));
        assert_eq!(canonical::hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_bytes_as_a_body_give_a_job_or_problems_never_a_panic(
            bytes in prop::collection::vec(any::<u8>(), 0..2048),
            t in prop::sample::select(JobType::ALL.to_vec()),
        ) {
            if let Err(problems) = parse_with_digest(t, &bytes, &Limits::default()) {
                prop_assert!(!problems.0.is_empty());
            }
        }
    }

    #[test]
    fn bodies_that_mean_the_same_job_have_one_digest() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/seed-example/request.json");
        let seed: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let mut aliased = seed.clone();
        let policy = aliased["sr_policy"].as_object_mut().unwrap();
        let he = policy.remove("headend").unwrap();
        policy.insert("he".into(), he);
        policy.insert("bandwidth".into(), serde_json::json!(0.0));
        aliased["unknown_member"] = serde_json::json!([1, 2, 3]);
        let digest_of = |v: &serde_json::Value| {
            let bytes = serde_json::to_vec(v).unwrap();
            parse_with_digest(JobType::NonbodPasta, &bytes, &Limits::default())
                .unwrap()
                .1
        };
        assert_eq!(digest_of(&seed), digest_of(&aliased));
        let mut other = seed.clone();
        other["sr_policy"]["bandwidth"] = serde_json::json!(5);
        assert_ne!(digest_of(&seed), digest_of(&other));
        let as_bod = parse_with_digest(
            JobType::BodPasta,
            &serde_json::to_vec(&seed).unwrap(),
            &Limits::default(),
        )
        .unwrap()
        .1;
        assert_ne!(digest_of(&seed), as_bod, "the type counts");
    }

    #[test]
    fn a_body_that_is_not_json_is_one_problem_at_the_root() {
        let problems = parse(JobType::BodPasta, b"{", &Limits::default()).unwrap_err();
        assert_eq!(problems.0.len(), 1);
        assert_eq!(problems.0[0].path, "$");
        assert!(problems.0[0].message.starts_with("not JSON"));
    }
}
