//! The task list and cancel routes (contract §9): `GET /api/jobs?type=&state=&limit=` (most
//! recent first) and `DELETE /api/jobs/<task_id>?type=<type>`. The answers are those of the
//! NATS service's `pasta.job.list` and `pasta.job.cancel`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Json;

use super::{Answer, AppState};
use crate::service::status::Envelope;

pub(super) async fn list(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let field = |k: &str| q.get(k).map(String::as_str);
    let data = s
        .service
        .list_jobs(field("type"), field("state"), field("limit"))?;
    Ok(Json(Envelope::ok(data)).into_response())
}

pub(super) async fn cancel(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let doc = s
        .service
        .cancel_job(Some(&id), q.get("type").map(String::as_str))
        .await?;
    Ok(Json(doc).into_response())
}
