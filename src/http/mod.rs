//! The HTTP bridge (contract §6): routes, status codes, the bearer token. It knows HTTP and the
//! service layer, never NATS.
//!
//! [`router`] builds the whole application, so tests drive it without a socket and `run` serves
//! it on a listener it is given.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::watch;

mod jobs;
pub mod openapi;
pub mod serve;
mod topologies;
pub mod ui;

pub use serve::HttpLimits;

use crate::model::JobType;
use crate::service::admission::Admitted;
use crate::service::status::Envelope;
use crate::service::{job_type, status, ApiError, Service, TASK_ID_HEADER};

/// What the routes share.
#[derive(Clone)]
pub struct AppState {
    /// The service layer.
    pub service: Service,
    /// When set, every route but `/healthz` and `/openapi.json` needs `Authorization: Bearer
    /// <token>`.
    pub token: Option<String>,
    /// The bounds of connections and requests.
    pub limits: HttpLimits,
    /// The web view's layouts of held revisions.
    pub layouts: std::sync::Arc<ui::Layouts>,
    /// Turns true when the bridge stops (ends the server-sent event streams).
    pub closing: Option<watch::Receiver<bool>>,
}

impl AppState {
    /// The bridge of `service`, with an optional token and the default limits.
    pub fn new(service: Service, token: Option<String>) -> AppState {
        AppState {
            service,
            token,
            limits: HttpLimits::default(),
            layouts: Default::default(),
            closing: None,
        }
    }
}

/// The HTTP status of an error.
pub fn status_code(e: &ApiError) -> StatusCode {
    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

struct Failure(ApiError);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut response = (status_code(&self.0), Json(self.0.document())).into_response();
        if matches!(self.0, ApiError::Busy(_)) {
            let retry = header::HeaderValue::from_static(RETRY_AFTER_SECS);
            response.headers_mut().insert(header::RETRY_AFTER, retry);
        }
        response
    }
}

/// What `Retry-After` says of a request refused while the body budget is spent.
const RETRY_AFTER_SECS: &str = "1";

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure(e)
    }
}

type Answer = Result<Response, Failure>;

/// The application: every route of the contract.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/job/check_status", get(check_status))
        .route("/api/jobs", get(jobs::list))
        .route(
            "/api/jobs/{type_or_id}",
            post(submit_typed).delete(jobs::cancel),
        )
        .route("/api/compute/{type}", post(compute_typed))
        .route(
            "/api/pasta/async_bod_pasta",
            post(submit_bod).put(submit_modified),
        )
        .route("/api/pasta/async_nonbod_pasta", post(submit_nonbod))
        .route("/api/pasta/async_non_pasta", post(submit_nonbod))
        .route("/api/reopt/async_bod_reoptimize", post(submit_bod_reopt))
        .route(
            "/api/reopt/async_nonbod_reoptimize",
            post(submit_nonbod_reopt),
        )
        .route(
            "/api/pasta/bod_pasta",
            post(compute_bod).put(compute_modified),
        )
        .route("/api/pasta/nonbod_pasta", post(compute_nonbod))
        .route("/api/reopt/bod_reoptimize", post(compute_bod_reopt))
        .route("/api/reopt/nonbod_reoptimize", post(compute_nonbod_reopt))
        .route("/api/reopt/pasta_reoptimize", post(compute_nonbod_reopt))
        .route("/api/topologies", get(topologies::list))
        .route(
            "/api/topologies/{name}",
            put(topologies::put)
                .patch(topologies::change)
                .get(topologies::get)
                .delete(topologies::delete),
        )
        .route("/metrics", get(metrics))
        .route("/ui/", get(ui::tasks))
        .route("/ui/events", get(ui::events))
        .route("/ui/task/{id}", get(ui::task))
        .route("/ui/task/{id}/rest.svg", get(ui::task_rest))
        .route("/ui/topology/{name}", get(ui::topology))
        .route("/ui/topology/{name}/rest.svg", get(ui::topology_rest))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            refuse_oversized,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authorize,
        ))
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi::serve))
        .route("/ui/login", get(ui::login))
        .route(
            "/ui",
            get(|| async { axum::response::Redirect::permanent("/ui/") }),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// Serves the router on `listener` within the state's limits until `shutdown` turns true.
pub async fn run(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let limits = state.limits.clone();
    let state = AppState {
        closing: Some(shutdown.clone()),
        ..state
    };
    serve::serve(router(state), listener, limits, shutdown).await
}

/// Serves `/metrics` alone (and `/healthz`) on `listener` until `shutdown` turns true: what a
/// worker or responder process, which has no bridge, exposes on `PASTA_METRICS_ADDR`.
pub async fn run_metrics(
    service: Service,
    listener: tokio::net::TcpListener,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let state = AppState::new(service, None);
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .with_state(state);
    serve::serve(app, listener, HttpLimits::default(), shutdown).await
}

/// Refuses a request whose `Content-Length` exceeds the largest body before reading any of it.
async fn refuse_oversized(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let limit = state.service.max_body;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u128>().ok());
    if let Some(size) = declared.filter(|size| *size > limit as u128) {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        return Failure(ApiError::TooLarge { size, limit }).into_response();
    }
    next.run(request).await
}

async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(token) = &state.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer);
        // The web view's pages (and their script's requests) carry the token in a cookie.
        let kept = || cookie(&headers, ui::COOKIE).is_some_and(|c| same_token(c, token));
        if !given.is_some_and(|given| same_token(given, token)) && !kept() {
            if request.uri().path().starts_with("/ui/") {
                let page = crate::view::message_page(
                    "401 UNAUTHORIZED",
                    "this bridge needs its token: open /ui/login?token=<PASTA_HTTP_TOKEN> once",
                );
                return (StatusCode::UNAUTHORIZED, axum::response::Html(page)).into_response();
            }
            return Failure(ApiError::Unauthorized).into_response();
        }
    }
    next.run(request).await
}

/// The value of a cookie of the request, if it has one of that name.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// The token of an `Authorization: Bearer <token>` value (the scheme is case-insensitive, RFC
/// 9110 §11.1).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_start())
}

/// Whether a given token is the configured one, in time that does not depend on where they
/// differ.
fn same_token(given: &str, token: &str) -> bool {
    use subtle::ConstantTimeEq;
    given.as_bytes().ct_eq(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::{bearer, same_token};

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for value in ["Bearer t0k", "bearer t0k", "BEARER t0k", "  Bearer   t0k"] {
            assert_eq!(bearer(value), Some("t0k"), "{value}");
        }
        for value in ["Basic t0k", "Bearert0k", "t0k", ""] {
            assert_eq!(bearer(value), None, "{value}");
        }
    }

    #[test]
    fn tokens_are_the_same_only_when_equal() {
        assert!(same_token("secret", "secret"));
        assert!(!same_token("secreT", "secret"));
        assert!(!same_token("secret ", "secret"));
        assert!(!same_token("", "secret"));
    }
}

async fn check_status(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let doc = state
        .service
        .status(
            q.get("task_id").map(String::as_str),
            q.get("type").map(String::as_str),
            None,
        )
        .await?;
    Ok(Json(doc).into_response())
}

/// Reads a request body once the body budget admits it (by its `Content-Length`, or as the
/// largest body when it has none), refusing more than the service accepts with the TOO_LARGE
/// document, and a body that does not arrive within the body time-out.
async fn read(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Admitted, ApiError> {
    let limit = state.service.max_body;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    let ticket = state.service.admit(declared.unwrap_or(limit)).await?;
    let wait = state.limits.body_timeout;
    match tokio::time::timeout(wait, axum::body::to_bytes(body, limit + 1)).await {
        Ok(read) => read
            .map(|bytes| ticket.body(bytes))
            .map_err(|_| ApiError::TooLarge {
                size: limit + 1,
                limit,
            }),
        Err(_) => Err(ApiError::RequestTimeout(format!(
            "the request body did not arrive within {wait:?}"
        ))),
    }
}

async fn submit(state: &AppState, t: JobType, headers: &HeaderMap, body: Admitted) -> Answer {
    let chosen =
        match headers.get(TASK_ID_HEADER) {
            None => None,
            Some(v) => Some(v.to_str().map_err(|_| {
                ApiError::BadRequest(format!("header {TASK_ID_HEADER} is not text"))
            })?),
        };
    let id = state.service.submit(t, body, chosen).await?;
    Ok(Json(status::submitted(&id)).into_response())
}

async fn compute(state: &AppState, t: JobType, body: Admitted) -> Answer {
    let doc = state.service.compute(t, body).await?;
    Ok(Json(Envelope::ok(doc)).into_response())
}

async fn submit_typed(
    State(s): State<AppState>,
    Path(t): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let t = job_type(&t)?;
    let body = read(&s, &headers, body).await?;
    submit(&s, t, &headers, body).await
}

async fn compute_typed(
    State(s): State<AppState>,
    Path(t): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let t = job_type(&t)?;
    let body = read(&s, &headers, body).await?;
    compute(&s, t, body).await
}

/// The original bod re-optimisation routes run congestion relief when the body names
/// `congested_link` (even an empty list, which validation then refuses).
fn reopt_type(body: &Bytes) -> JobType {
    /// The one member looked at; everything else is skipped unread.
    #[derive(serde::Deserialize)]
    struct Probe {
        congested_link: Option<serde::de::IgnoredAny>,
    }
    let has_key = serde_json::from_slice::<Probe>(body)
        .ok()
        .and_then(|p| p.congested_link)
        .is_some();
    if has_key {
        JobType::BodCongestReopt
    } else {
        JobType::BodReopt
    }
}

macro_rules! fixed_routes {
    ($($submit:ident, $compute:ident => $t:expr;)*) => {$(
        async fn $submit(State(s): State<AppState>, headers: HeaderMap, body: Body) -> Answer {
            let body = read(&s, &headers, body).await?;
            let t: JobType = $t(&body.bytes);
            submit(&s, t, &headers, body).await
        }
        async fn $compute(State(s): State<AppState>, headers: HeaderMap, body: Body) -> Answer {
            let body = read(&s, &headers, body).await?;
            let t: JobType = $t(&body.bytes);
            compute(&s, t, body).await
        }
    )*};
}

fixed_routes! {
    submit_bod, compute_bod => |_: &Bytes| JobType::BodPasta;
    submit_modified, compute_modified => |_: &Bytes| JobType::BodModified;
    submit_nonbod, compute_nonbod => |_: &Bytes| JobType::NonbodPasta;
    submit_bod_reopt, compute_bod_reopt => reopt_type;
    submit_nonbod_reopt, compute_nonbod_reopt => |_: &Bytes| JobType::NonbodReopt;
}

async fn not_found(uri: axum::http::Uri) -> Response {
    let doc = json!({"status": false, "info": {"code": "NOT_FOUND", "message": format!("no route {}", uri.path())}, "data": {}});
    (StatusCode::NOT_FOUND, Json(doc)).into_response()
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    let doc = json!({"status": false, "info": {"code": "BAD_REQUEST", "message": format!("{method} is not allowed on {}", uri.path())}, "data": {}});
    (StatusCode::METHOD_NOT_ALLOWED, Json(doc)).into_response()
}

async fn healthz(State(s): State<AppState>) -> Response {
    if s.service.connected() {
        Json(json!({"status": "ok", "nats": "connected"})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "nats": "disconnected"})),
        )
            .into_response()
    }
}

async fn metrics(State(s): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, crate::service::METRICS_CONTENT_TYPE)],
        s.service.metrics_text().await,
    )
        .into_response()
}
