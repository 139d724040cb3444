//! A wire body as bytes: read as JSON, digested, parsed and validated into its [`Job`]. The one
//! place a body's bytes become a job, for submission, the synchronous routes and the workers.

use super::json::Json;
use super::{canonical, Job, JobType, Limits, Problem, Problems};

/// Reads a body as JSON, or says why it is not (a problem at `$`).
pub fn read_json(body: &[u8]) -> Result<Json<'_>, Problems> {
    Json::from_slice(body).map_err(|e| {
        Problems(vec![Problem {
            path: "$".into(),
            message: format!("not JSON: {e}"),
        }])
    })
}

/// Parses and validates a body into its job.
pub fn parse(job_type: JobType, body: &[u8], limits: &Limits) -> Result<Job, Problems> {
    let json = read_json(body)?;
    Job::parse_json(job_type, &json, limits)
}

/// Parses and validates a body: the job, and the digest resubmissions compare.
pub fn parse_with_digest(
    job_type: JobType,
    body: &[u8],
    limits: &Limits,
) -> Result<(Job, String), Problems> {
    let json = read_json(body)?;
    let digest = canonical::digest(job_type.as_str(), &json);
    let job = Job::parse_json(job_type, &json, limits)?;
    Ok((job, digest))
}

/// The digest resubmissions compare, of any body (one that is not JSON counts as `null`).
pub fn digest(job_type: JobType, body: &[u8]) -> String {
    let json = Json::from_slice(body).unwrap_or(Json::Null);
    canonical::digest(job_type.as_str(), &json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
    fn a_body_that_is_not_json_is_one_problem_at_the_root() {
        let problems = parse(JobType::BodPasta, b"{", &Limits::default()).unwrap_err();
        assert_eq!(problems.0.len(), 1);
        assert_eq!(problems.0[0].path, "$");
        assert!(problems.0[0].message.starts_with("not JSON"));
    }
}
