//! The web view's routes (contract §9): `/ui/` (recent tasks, followed live by the server-sent
//! events of `/ui/events`), `/ui/task/<task_id>`, `/ui/topology/<name>`, the remainder
//! fragments of large drawings, and `/ui/login?token=…`, which sets the cookie the pages
//! authenticate with when the bridge has a token. The pages are the `view` module's; this
//! gathers what they show from the service and caches each held revision's layout.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use futures::StreamExt;

use super::AppState;
use crate::model::topology::Network;
use crate::model::JobType;
use crate::service::error::blocking;
use crate::service::view::{TaskView, TopologyView};
use crate::service::ApiError;
use crate::view::{self, Layout, RevisionInfo, TaskInfo};

/// The cookie the pages authenticate with (the bridge's token).
pub const COOKIE: &str = "pasta_token";

/// Layouts of held revisions kept (each is computed once per revision).
const LAYOUTS: usize = 16;

/// A held revision: its name and number.
type Revision = (String, u64);

/// The layouts of held revisions, the most recent few.
#[derive(Default)]
pub struct Layouts {
    kept: Mutex<Kept>,
}

/// The layouts kept, and the order they came in.
#[derive(Default)]
struct Kept(HashMap<Revision, Arc<Layout>>, VecDeque<Revision>);

impl Layouts {
    /// The layout of a held revision, computed on first use.
    fn of(&self, name: &str, revision: u64, network: &Network) -> Arc<Layout> {
        let key = (name.to_owned(), revision);
        if let Some(found) = self.kept.lock().expect("never poisoned").0.get(&key) {
            return found.clone();
        }
        let made = Arc::new(view::layout(
            &network.nodes,
            &network.links,
            Some(&network.pos),
        ));
        let mut kept = self.kept.lock().expect("never poisoned");
        if kept.0.insert(key.clone(), made.clone()).is_none() {
            kept.1.push_back(key);
        }
        while kept.1.len() > LAYOUTS {
            if let Some(old) = kept.1.pop_front() {
                kept.0.remove(&old);
            }
        }
        made
    }
}

/// A page, or the error page for `e` with its status code.
fn page(made: Result<String, ApiError>) -> Response {
    match made {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            let code = super::status_code(&e);
            let doc = e.document();
            let message = doc["info"]["message"].as_str().unwrap_or_default();
            let title = format!("{} {}", code.as_u16(), e.code());
            (code, Html(view::message_page(&title, message))).into_response()
        }
    }
}

pub(super) async fn tasks() -> Response {
    let types: Vec<&str> = JobType::ALL.iter().map(|t| t.as_str()).collect();
    Html(view::tasks_page(&types)).into_response()
}

/// `/ui/login?token=…`: the token checked, then kept in a cookie the pages send (the bridge's
/// own token, never the text given: nobody sets a cookie's attributes through a link). A bridge
/// without a token has nothing to keep and only redirects.
pub(super) async fn login(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let given = q.get("token").map(String::as_str).unwrap_or_default();
    let to_list = (header::LOCATION, "/ui/".to_owned());
    match &s.token {
        None => (StatusCode::SEE_OTHER, [to_list]).into_response(),
        Some(token) if super::same_token(given, token) && cookie_safe(token) => {
            let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
            (
                StatusCode::SEE_OTHER,
                [(header::SET_COOKIE, cookie), to_list],
            )
                .into_response()
        }
        Some(token) if super::same_token(given, token) => (
            StatusCode::BAD_REQUEST,
            Html(view::message_page(
                "400 BAD_REQUEST",
                "the bridge's token cannot be kept in a cookie (it has spaces, quotes, commas, semicolons, backslashes or characters beyond visible ASCII): send it as Authorization: Bearer instead",
            )),
        )
            .into_response(),
        Some(_) => (
            StatusCode::UNAUTHORIZED,
            Html(view::message_page(
                "401 UNAUTHORIZED",
                "the token is not the bridge's: open /ui/login?token=<PASTA_HTTP_TOKEN>",
            )),
        )
            .into_response(),
    }
}

/// Whether a token can be a cookie's value as it is (RFC 6265 `cookie-octet`).
fn cookie_safe(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b';' | b'\\'))
}

/// `/ui/events`: the completion events (`started`, `success`, `failure` of every type) as
/// server-sent events named `task`, from now on, until the bridge stops.
pub(super) async fn events(State(s): State<AppState>) -> Response {
    let events = match s.service.follow_events().await {
        Ok(events) => events,
        Err(e) => return super::Failure(e).into_response(),
    };
    let closing = s.closing.clone();
    let stopped = async move {
        match closing {
            Some(mut closing) => {
                let _ = closing.wait_for(|c| *c).await;
            }
            None => std::future::pending().await,
        }
    };
    let stream = events
        .map(|payload| {
            Ok::<_, Infallible>(
                Event::default()
                    .event("task")
                    .data(String::from_utf8_lossy(&payload)),
            )
        })
        .take_until(Box::pin(stopped));
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// What the task pages show of a task.
fn info(t: &TaskView) -> TaskInfo {
    TaskInfo {
        task_id: t.task_id.clone(),
        job_type: t.job_type.clone(),
        state: t.state.to_owned(),
        attempt: t.attempt,
        submitted_at: t.submitted_at.clone(),
        started_at: t.started_at.clone(),
        finished_at: t.finished_at.clone(),
        time_ms: t.time_ms,
        error: t.error.clone(),
        topology: t.topology.as_ref().map(|p| (p.name.clone(), p.revision)),
    }
}

/// The layout of a task's network: its held revision's (cached), or none (the page lays out
/// a body's own topology itself).
fn task_layout(s: &AppState, t: &TaskView) -> Option<Arc<Layout>> {
    let (pinned, request) = (t.topology.as_ref()?, t.request.as_ref()?);
    let network = Network::new(
        request.nodes.clone(),
        request.links.clone(),
        t.pos.clone().unwrap_or_default(),
    );
    Some(s.layouts.of(&pinned.name, pinned.revision, &network))
}

pub(super) async fn task(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let made = async {
        let t = s.service.task_view(&id).await?;
        let s = s.clone();
        blocking(move || {
            let layout = task_layout(&s, &t);
            view::task_page(
                &info(&t),
                t.request.as_ref(),
                layout.as_deref(),
                t.result.as_ref(),
            )
        })
        .await
    };
    page(made.await)
}

pub(super) async fn task_rest(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let made = async {
        let t = s.service.task_view(&id).await?;
        let s = s.clone();
        blocking(move || {
            let layout = task_layout(&s, &t);
            t.request.as_ref().map(|request| {
                view::task_rest_svg(&info(&t), request, layout.as_deref(), t.result.as_ref())
            })
        })
        .await?
        .ok_or_else(|| ApiError::Missing(format!("task {id} kept no request to draw")))
    };
    svg(made.await)
}

/// `?revision=` of a topology route.
fn revision(q: &HashMap<String, String>) -> Result<Option<u64>, ApiError> {
    q.get("revision")
        .map(|r| {
            r.parse::<u64>()
                .map_err(|_| ApiError::BadRequest(format!("revision {r:?} is not a whole number")))
        })
        .transpose()
}

async fn topology_view(
    s: &AppState,
    name: &str,
    q: &HashMap<String, String>,
) -> Result<(TopologyView, Arc<Layout>), ApiError> {
    let t = s.service.topology_view(name, revision(q)?).await?;
    let (state, net, (n, r)) = (s.clone(), t.network.clone(), (t.name.clone(), t.revision));
    let layout = blocking(move || state.layouts.of(&n, r, &net)).await?;
    Ok((t, layout))
}

pub(super) async fn topology(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let made = async {
        let (t, layout) = topology_view(&s, &name, &q).await?;
        let history: Vec<RevisionInfo> = t
            .history
            .iter()
            .map(|r| RevisionInfo {
                revision: r.revision,
                at: r.at.clone(),
                kind: r.kind.to_owned(),
                ops: r.ops.clone(),
            })
            .collect();
        blocking(move || view::topology_page(&t.name, t.revision, &t.network, &layout, &history))
            .await
    };
    page(made.await)
}

pub(super) async fn topology_rest(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let made = async {
        let (t, layout) = topology_view(&s, &name, &q).await?;
        blocking(move || view::topology_rest_svg(&t.network, &layout)).await
    };
    svg(made.await)
}

/// An SVG fragment, or the error document.
fn svg(made: Result<String, ApiError>) -> Response {
    match made {
        Ok(text) => ([(header::CONTENT_TYPE, "image/svg+xml")], text).into_response(),
        Err(e) => super::Failure(e).into_response(),
    }
}
