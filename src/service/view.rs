//! What the web view shows (contract §9), gathered for the HTTP bridge: a task with its kept
//! request and result, a held topology with its revision history. Rendering is the `view`
//! module's; this only reads.

use std::sync::Arc;

use serde_json::Value;

use super::{task_id, topology::topology_name, ApiError, Service};
use crate::model::topology::{Pinned, Pos, Reference};
use crate::model::{compact, JobType, Network, Request};
use crate::task::{store, TaskState};

/// A task as the web view shows it.
#[derive(Debug)]
pub struct TaskView {
    /// The task id.
    pub task_id: String,
    /// The job type's wire name.
    pub job_type: String,
    /// `PENDING`, `STARTED`, `SUCCESS` or `FAILURE` (the record's state).
    pub state: &'static str,
    /// Deliveries that started computing it.
    pub attempt: u32,
    /// RFC 3339 UTC.
    pub submitted_at: String,
    /// RFC 3339 UTC.
    pub started_at: Option<String>,
    /// RFC 3339 UTC.
    pub finished_at: Option<String>,
    /// Computation time of a SUCCESS, milliseconds.
    pub time_ms: Option<f64>,
    /// `(code, message)` of a FAILURE.
    pub error: Option<(String, String)>,
    /// The held topology revision it computes on.
    pub topology: Option<Pinned>,
    /// The request, when the record kept it and it could be read back.
    pub request: Option<Request>,
    /// Why there is no request, when there is none.
    pub request_note: Option<String>,
    /// Drawing positions of the nodes (a held topology's), by node index.
    pub pos: Option<Arc<Vec<Option<Pos>>>>,
    /// The SUCCESS result document.
    pub result: Option<Value>,
}

/// One revision of a held topology's history.
#[derive(Debug, Clone)]
pub struct RevisionView {
    /// Its number.
    pub revision: u64,
    /// When it was made (RFC 3339 UTC).
    pub at: String,
    /// `put`, `change` or `delete`.
    pub kind: &'static str,
    /// What its ops did: `(op, element id)`.
    pub ops: Vec<(String, String)>,
}

/// A held topology's revision as the web view shows it.
#[derive(Debug)]
pub struct TopologyView {
    /// The name.
    pub name: String,
    /// The revision drawn.
    pub revision: u64,
    /// Its network.
    pub network: Arc<Network>,
    /// The kept revisions, newest first (at most [`HISTORY`]).
    pub history: Vec<RevisionView>,
}

/// Most revisions a topology page lists.
pub const HISTORY: u64 = 50;

impl Service {
    /// A task, its kept request (decoded) and its result, for the web view.
    pub async fn task_view(&self, raw_id: &str) -> Result<TaskView, ApiError> {
        let id = task_id(raw_id)?;
        let (record, _) = store::get(&self.tasks.bus, &id)
            .await?
            .ok_or_else(|| ApiError::NotFound(id.to_string()))?;
        let job_type = JobType::parse(&record.job_type)
            .ok_or_else(|| ApiError::Internal(format!("task {id} has an unknown type")))?;
        let (mut request, mut request_note, mut pos) = (None, None, None);
        match record.kept_request() {
            None => {
                request_note = Some(format!(
                    "the request is not kept: only a compact request of at most {} KiB is (submit by a held topology to see large networks)",
                    crate::task::record::KEPT_REQUEST >> 10
                ))
            }
            Some(bytes) => {
                let network = match &record.topology {
                    Some(pinned) => {
                        let reference = Reference {
                            name: pinned.name.clone(),
                            revision: Some(pinned.revision),
                        };
                        match self.resolve_topology(&reference, false).await {
                            Ok((_, net)) => Some(net),
                            Err(e) => {
                                request_note = Some(format!(
                                    "topology {}/{} cannot be read: {}",
                                    pinned.name,
                                    pinned.revision,
                                    e.document()["info"]["message"]
                                ));
                                None
                            }
                        }
                    }
                    None => None,
                };
                let held = record.topology.is_some();
                if !held || network.is_some() {
                    let limits = self.tasks.limits.clone();
                    let net = network.clone();
                    let decoded = tokio::task::spawn_blocking(move || {
                        compact::decode_on(job_type, &bytes, &limits, net.as_deref())
                    })
                    .await
                    .map_err(|e| ApiError::Internal(e.to_string()))?;
                    match decoded {
                        Ok(job) => request = Some(job.request),
                        Err(problems) => {
                            request_note = Some(format!("the kept request does not read: {problems}"))
                        }
                    }
                    pos = network.map(|net| net.pos.clone());
                }
            }
        }
        let result = match record.state {
            TaskState::Success => {
                let text = match (&record.result, record.result_blob()) {
                    (Some(inline), _) => Some(inline.get().to_owned()),
                    (None, Some(blob)) => {
                        Some(self.stored_result(&blob, None).await?.get().to_owned())
                    }
                    (None, None) => None,
                };
                text.map(|t| serde_json::from_str::<Value>(&t))
                    .transpose()
                    .map_err(|e| ApiError::Internal(format!("result of {id}: {e}")))?
            }
            _ => None,
        };
        Ok(TaskView {
            task_id: id.to_string(),
            job_type: record.job_type.clone(),
            state: match record.state {
                TaskState::Pending => "PENDING",
                TaskState::Started => "STARTED",
                TaskState::Success => "SUCCESS",
                TaskState::Failure => "FAILURE",
            },
            attempt: record.attempt,
            submitted_at: record.submitted_at.clone(),
            started_at: record.started_at.clone(),
            finished_at: record.finished_at.clone(),
            time_ms: record.time_ms,
            error: record
                .failure()
                .map(|f| (f.code.as_str().to_owned(), f.message)),
            topology: record.topology.clone(),
            request,
            request_note,
            pos,
            result,
        })
    }

    /// A held topology's revision (the head's when `None`) with the kept revisions before it.
    pub async fn topology_view(
        &self,
        raw_name: &str,
        revision: Option<u64>,
    ) -> Result<TopologyView, ApiError> {
        let name = topology_name(raw_name)?;
        let held = &self.tasks.held;
        let Some((head, _)) = held.head(&name).await? else {
            return Err(ApiError::Missing(format!("no topology {name}")));
        };
        let latest = head.latest.revision;
        let revision = match revision {
            Some(r) => r,
            None if head.deleted() => {
                return Err(ApiError::Missing(format!("no topology {name} (deleted)")))
            }
            None => latest,
        };
        if held.revision(&head, revision).await?.is_none() {
            return Err(ApiError::Missing(format!(
                "topology {name} has no revision {revision} (never made, or no longer kept)"
            )));
        }
        let network = held.network(&name, revision).await?;
        let mut history = Vec::new();
        for r in (latest.saturating_sub(HISTORY - 1).max(1)..=latest).rev() {
            let Some(rec) = held.revision(&head, r).await? else {
                continue;
            };
            let ops = serde_json::from_str::<Vec<Value>>(rec.ops.get())
                .unwrap_or_default()
                .iter()
                .map(|op| {
                    let text = |k: &str| op[k].as_str().unwrap_or_default().to_owned();
                    (text("op"), text("id"))
                })
                .collect();
            history.push(RevisionView {
                revision: r,
                at: rec.at.clone(),
                kind: match rec.kind {
                    crate::task::held::record::Kind::Put => "put",
                    crate::task::held::record::Kind::Change => "change",
                    crate::task::held::record::Kind::Delete => "delete",
                },
                ops,
            });
        }
        Ok(TopologyView {
            name,
            revision,
            network,
            history,
        })
    }
}
