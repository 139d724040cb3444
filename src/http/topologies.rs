//! The held topology routes (contract §8): `PUT`, `PATCH`, `GET`, `DELETE
//! /api/topologies/<name>` and `GET /api/topologies`, with `Pasta-Expected-Revision` on the
//! writes. The answers are those of the NATS service, always inline.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::{read, Answer, AppState};
use crate::service::topology::expected_revision;
use crate::service::{ApiError, EXPECTED_REVISION_HEADER};

/// The `Pasta-Expected-Revision` of a request.
fn expected(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let raw = match headers.get(EXPECTED_REVISION_HEADER) {
        None => None,
        Some(v) => Some(v.to_str().map_err(|_| {
            ApiError::BadRequest(format!("header {EXPECTED_REVISION_HEADER} is not text"))
        })?),
    };
    expected_revision(raw)
}

fn ok(data: serde_json::Value) -> Response {
    Json(json!({"status": true, "info": [], "data": data})).into_response()
}

pub(super) async fn put(
    State(s): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let expected = expected(&headers)?;
    let body = read(&s, &headers, body).await?;
    Ok(ok(s.service.topology_put(&name, body, expected).await?))
}

pub(super) async fn change(
    State(s): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let expected = expected(&headers)?;
    let body = read(&s, &headers, body).await?;
    Ok(ok(s.service.topology_change(&name, body, expected).await?))
}

pub(super) async fn delete(
    State(s): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let expected = expected(&headers)?;
    Ok(ok(s.service.topology_delete(&name, expected).await?))
}

pub(super) async fn get(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let revision = match q.get("revision") {
        None => None,
        Some(r) => Some(r.parse::<u64>().map_err(|_| {
            ApiError::BadRequest(format!("revision {r:?} is not a revision number"))
        })?),
    };
    let doc = s.service.topology_get(&name, revision, None).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], doc).into_response())
}

pub(super) async fn list(State(s): State<AppState>) -> Answer {
    Ok(ok(s.service.topology_list().await?))
}
