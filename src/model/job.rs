//! A job: its type and its validated request.

use serde_json::Value;

use super::json::Json;

use super::{Limits, Network, Problems, Request};

/// The six job types of the contract (§1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobType {
    /// One policy, reserving per-class bandwidth.
    BodPasta,
    /// One policy, no reservation.
    NonbodPasta,
    /// One reserved policy moved: `former` released first.
    BodModified,
    /// Many reserved policies re-placed against each class's capacity.
    BodReopt,
    /// Many policies re-placed, no reservation.
    NonbodReopt,
    /// Policies moved off congested links.
    BodCongestReopt,
}

impl JobType {
    /// Every job type, in contract order.
    pub const ALL: [JobType; 6] = [
        JobType::BodPasta,
        JobType::NonbodPasta,
        JobType::BodModified,
        JobType::BodReopt,
        JobType::NonbodReopt,
        JobType::BodCongestReopt,
    ];

    /// The wire name (`bod_pasta`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            JobType::BodPasta => "bod_pasta",
            JobType::NonbodPasta => "nonbod_pasta",
            JobType::BodModified => "bod_modified",
            JobType::BodReopt => "bod_reopt",
            JobType::NonbodReopt => "nonbod_reopt",
            JobType::BodCongestReopt => "bod_congest_reopt",
        }
    }

    /// The job type of a wire name.
    pub fn parse(name: &str) -> Option<JobType> {
        JobType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Whether the job reserves per-class bandwidth.
    pub fn is_bod(self) -> bool {
        matches!(
            self,
            JobType::BodPasta | JobType::BodModified | JobType::BodReopt | JobType::BodCongestReopt
        )
    }

    /// Whether `sr_policy` is a list.
    pub fn is_list(self) -> bool {
        matches!(
            self,
            JobType::BodReopt | JobType::NonbodReopt | JobType::BodCongestReopt
        )
    }
}

impl std::fmt::Display for JobType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated job: what a worker computes.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The job type.
    pub job_type: JobType,
    /// The request, defaults applied and references checked.
    pub request: Request,
}

impl Job {
    /// Parses and validates a wire body for a job type, collecting every problem.
    pub fn parse(job_type: JobType, body: &Value, limits: &Limits) -> Result<Job, Problems> {
        Job::parse_json(job_type, &Json::from_value(body), limits)
    }

    /// [`Job::parse`] of a body read in place (what the service does with the bytes it gets).
    pub fn parse_json(
        job_type: JobType,
        body: &Json<'_>,
        limits: &Limits,
    ) -> Result<Job, Problems> {
        // Parsing validates too (references, uniqueness, sizes), on the request it made.
        let request = super::parse::request(job_type, body, limits)?;
        Ok(Job { job_type, request })
    }

    /// [`Job::parse_json`] of a body that names a held topology (`{"topology": …}`): `held` is
    /// the revision it resolves to, whose nodes and links the job shares. The body's references
    /// are checked against it; the revision itself was validated when it was stored.
    pub fn parse_on(
        job_type: JobType,
        body: &Json<'_>,
        limits: &Limits,
        held: &Network,
    ) -> Result<Job, Problems> {
        let request = super::parse::request_on(job_type, body, limits, Some(held))?;
        Ok(Job { job_type, request })
    }
}
