//! Every NATS name pasta uses, derived from one prefix (contract §4), so that two deployments (or
//! two tests) can share a server.

use crate::model::JobType;

/// The names under one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    prefix: String,
}

impl Names {
    /// Names under `prefix` (letters, digits, `_` and `-` only).
    pub fn new(prefix: &str) -> anyhow::Result<Names> {
        let ok = !prefix.is_empty()
            && prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        anyhow::ensure!(ok, "prefix {prefix:?} must be letters, digits, '_' or '-'");
        Ok(Names {
            prefix: prefix.to_string(),
        })
    }

    /// The prefix (also the NATS service name).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The job stream: `PASTA_JOBS`.
    pub fn jobs_stream(&self) -> String {
        format!("{}_JOBS", self.prefix.to_uppercase())
    }

    /// The events stream: `PASTA_EVENTS`.
    pub fn events_stream(&self) -> String {
        format!("{}_EVENTS", self.prefix.to_uppercase())
    }

    /// The task bucket: `pasta_tasks`.
    pub fn bucket(&self) -> String {
        format!("{}_tasks", self.prefix)
    }

    /// The blob store: `pasta_blobs`.
    pub fn blobs(&self) -> String {
        format!("{}_blobs", self.prefix)
    }

    /// `pasta.jobs.<type>`.
    pub fn job_subject(&self, t: JobType) -> String {
        format!("{}.jobs.{}", self.prefix, t.as_str())
    }

    /// `pasta.jobs.>`.
    pub fn jobs_wildcard(&self) -> String {
        format!("{}.jobs.>", self.prefix)
    }

    /// `pasta.events.<type>.<state>`.
    pub fn event_subject(&self, t: JobType, state: &str) -> String {
        format!("{}.events.{}.{}", self.prefix, t.as_str(), state)
    }

    /// `pasta.events.*.<state>`: the events of every type in one state.
    pub fn events_in(&self, state: &str) -> String {
        format!("{}.events.*.{}", self.prefix, state)
    }

    /// `pasta.events.>`.
    pub fn events_wildcard(&self) -> String {
        format!("{}.events.>", self.prefix)
    }

    /// `pasta.submit.<type>`.
    pub fn submit_subject(&self, t: JobType) -> String {
        format!("{}.submit.{}", self.prefix, t.as_str())
    }

    /// `pasta.job.check_status`.
    pub fn status_subject(&self) -> String {
        format!("{}.job.check_status", self.prefix)
    }

    /// `pasta.job.list`.
    pub fn list_subject(&self) -> String {
        format!("{}.job.list", self.prefix)
    }

    /// `pasta.job.cancel`.
    pub fn cancel_subject(&self) -> String {
        format!("{}.job.cancel", self.prefix)
    }

    /// The bucket of held topologies: `pasta_topologies`.
    pub fn topology_bucket(&self) -> String {
        format!("{}_topologies", self.prefix)
    }

    /// The object store of held topologies' snapshots: `pasta_topology_snapshots`.
    pub fn topology_snapshots(&self) -> String {
        format!("{}_topology_snapshots", self.prefix)
    }

    /// A topology request subject: `pasta.topology.<op>` (`get`, `list`), or with `.*` for the
    /// ops that name their topology in the subject (`put`, `change`, `delete`).
    pub fn topology_subject(&self, op: &str) -> String {
        format!("{}.topology.{op}", self.prefix)
    }

    /// `pasta.topology.<name>.changed`.
    pub fn topology_changed_subject(&self, name: &str) -> String {
        format!("{}.topology.{name}.changed", self.prefix)
    }

    /// `pasta.topology.*.changed`, kept by the events stream.
    pub fn topology_changed_wildcard(&self) -> String {
        format!("{}.topology.*.changed", self.prefix)
    }

    /// The durable worker consumer of a type.
    pub fn consumer(&self, t: JobType) -> String {
        format!("{}_worker_{}", self.prefix, t.as_str())
    }

    /// The job type of a job subject.
    pub fn job_type_of(&self, subject: &str) -> Option<JobType> {
        let rest = subject.strip_prefix(&self.prefix)?.strip_prefix(".jobs.")?;
        JobType::parse(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_prefix_gives_the_contract_names() {
        let n = Names::new("pasta").unwrap();
        assert_eq!(n.jobs_stream(), "PASTA_JOBS");
        assert_eq!(n.events_stream(), "PASTA_EVENTS");
        assert_eq!(n.bucket(), "pasta_tasks");
        assert_eq!(n.blobs(), "pasta_blobs");
        assert_eq!(n.job_subject(JobType::BodPasta), "pasta.jobs.bod_pasta");
        assert_eq!(
            n.submit_subject(JobType::BodReopt),
            "pasta.submit.bod_reopt"
        );
        assert_eq!(n.status_subject(), "pasta.job.check_status");
        assert_eq!(n.list_subject(), "pasta.job.list");
        assert_eq!(n.cancel_subject(), "pasta.job.cancel");
        assert_eq!(
            n.event_subject(JobType::NonbodPasta, "success"),
            "pasta.events.nonbod_pasta.success"
        );
        assert_eq!(
            n.job_type_of("pasta.jobs.bod_modified"),
            Some(JobType::BodModified)
        );
        assert_eq!(n.job_type_of("pasta.jobs.nope"), None);
    }

    #[test]
    fn a_prefix_with_subject_characters_is_refused() {
        assert!(Names::new("a.b").is_err());
        assert!(Names::new("a*").is_err());
        assert!(Names::new("").is_err());
    }
}
