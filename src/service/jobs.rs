//! The task list and cancel (contract §9): the recent tasks, filtered, from the index the
//! bucket's watch keeps ([`crate::task::recent`]), and a task cancelled by compare-and-set
//! ([`crate::task::cancel`]).

use std::time::SystemTime;

use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::{job_type, status, task_id, ApiError, Service};
use crate::task::cancel::{self, Cancel};
use crate::task::recent::Query;
pub use crate::task::recent::{DEFAULT_LIMIT, MOST};

/// The states a list filters by, as the status document names them.
const STATES: [&str; 3] = ["PENDING", "SUCCESS", "FAILURE"];

impl Service {
    /// The recent tasks, most recently submitted first: `{"tasks": […]}`
    /// (`schemas/job-list.schema.json`). Each filter is checked: an unknown type or state, or a
    /// limit that is not a whole number from 1 to 1000, is a `BAD_REQUEST` naming it.
    pub fn list_jobs(
        &self,
        raw_type: Option<&str>,
        raw_state: Option<&str>,
        raw_limit: Option<&str>,
    ) -> Result<Value, ApiError> {
        let job_type = raw_type
            .filter(|t| !t.is_empty())
            .map(|t| job_type(t).map(|t| t.as_str().to_owned()))
            .transpose()?;
        let state = match raw_state.filter(|s| !s.is_empty()) {
            None => None,
            Some(s) if STATES.contains(&s) => Some(s.to_owned()),
            Some(other) => {
                let shown: String = other.chars().take(32).collect();
                return Err(ApiError::BadRequest(format!(
                    "state {shown:?} is not one of PENDING, SUCCESS, FAILURE"
                )));
            }
        };
        let limit = match raw_limit.filter(|l| !l.is_empty()) {
            None => None,
            Some(l) => match l.parse::<usize>() {
                Ok(n) if (1..=MOST).contains(&n) => Some(n),
                _ => {
                    let shown: String = l.chars().take(32).collect();
                    return Err(ApiError::BadRequest(format!(
                        "limit {shown:?} is not a whole number from 1 to {MOST}"
                    )));
                }
            },
        };
        let recent = self.recent.as_ref().ok_or_else(|| {
            ApiError::Unavailable("this process does not follow the task records".into())
        })?;
        let query = Query {
            job_type,
            state,
            limit,
        };
        Ok(json!({"tasks": recent.list(&query, SystemTime::now())}))
    }

    /// Cancels a task: the status document of its FAILURE `CANCELLED` record. A final task is
    /// a `CONFLICT` naming its state; an unknown one `NOT_FOUND`; one of another type
    /// `TYPE_MISMATCH`.
    pub async fn cancel_job(
        &self,
        raw_id: Option<&str>,
        raw_type: Option<&str>,
    ) -> Result<Box<RawValue>, ApiError> {
        let id = task_id(raw_id.ok_or_else(|| ApiError::BadRequest("task_id is missing".into()))?)?;
        let asked =
            job_type(raw_type.ok_or_else(|| ApiError::BadRequest("type is missing".into()))?)?;
        let check = |record: &crate::task::TaskRecord| {
            if record.job_type == asked.as_str() {
                Ok(())
            } else {
                Err(ApiError::TypeMismatch {
                    task_id: id.to_string(),
                    actual: record.job_type.clone(),
                    asked: asked.as_str().into(),
                })
            }
        };
        match cancel::cancel(&self.tasks, &id, asked, check).await?? {
            Cancel::Cancelled(record) => Ok(status::document(&record, None)),
            Cancel::Final(record) => Err(ApiError::Conflict(format!(
                "task {id} is final ({}): only a PENDING task can be cancelled",
                if record.state == crate::task::TaskState::Success {
                    "SUCCESS"
                } else {
                    "FAILURE"
                }
            ))),
            Cancel::Missing => Err(ApiError::NotFound(id.to_string())),
        }
    }
}

/// Documents of every kind the list and cancel answer, for the tests of the layers above
/// (which may not build task records themselves).
#[cfg(test)]
pub mod samples {
    use serde_json::Value;

    use crate::model::topology::Pinned;
    use crate::task::recent::Listed;
    use crate::task::{FailureCode, TaskFailure, TaskId, TaskRecord};

    const AT: &str = "2026-12-06T10:00:00.123Z";

    fn id(n: u32) -> TaskId {
        TaskId::parse(&format!("7d8c4b2e-0000-4000-8000-{n:012x}")).expect("a UUID")
    }

    /// A task of every state, on a held topology or not, as the list shows it.
    pub fn listed() -> Vec<Value> {
        let queued = TaskRecord::pending(&id(1), "bod_pasta", "d", AT);
        let on = Pinned {
            name: "core".into(),
            revision: 3,
        };
        let running = TaskRecord::pending(&id(2), "bod_reopt", "d", AT)
            .on(Some(on))
            .started(2, AT);
        let done = running.succeeded(None, None, 1.5, AT);
        let mut records = vec![queued, running, done];
        for code in FailureCode::ALL {
            let failure = TaskFailure::new(code, "why");
            records.push(TaskRecord::pending(&id(3), "nonbod_reopt", "d", AT).failed(failure, AT));
        }
        records
            .iter()
            .map(|r| serde_json::to_value(Listed::of(r)).expect("JSON"))
            .collect()
    }

    fn running() -> TaskRecord {
        TaskRecord::pending(&id(9), "bod_pasta", "d", AT).started(1, "2026-12-06T10:00:01.123Z")
    }

    /// The status document of a task that failed with the code named `code`.
    pub fn failed_status(code: &str) -> Value {
        let code = FailureCode::ALL
            .into_iter()
            .find(|c| c.as_str() == code)
            .expect("a failure code");
        let failed = running().failed(TaskFailure::new(code, "why"), "2026-12-06T10:00:02.123Z");
        let text = crate::service::status::document(&failed, None);
        serde_json::from_str(text.get()).expect("JSON")
    }

    /// The status document of a running task.
    pub fn running_status() -> Value {
        let text = crate::service::status::document(&running(), None);
        serde_json::from_str(text.get()).expect("JSON")
    }
}
