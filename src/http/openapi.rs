//! `GET /openapi.json`: the OpenAPI 3.1 document of every route of the HTTP bridge, written by
//! hand from one table, [`OPERATIONS`], and the JSON Schemas of `schemas/`.
//!
//! The schema files (draft 2020-12, which OpenAPI 3.1 speaks) are embedded under
//! `components/schemas` as they are, less their `$id` and `$schema` (named in a `$comment`), with
//! every `$ref` rewritten to point inside the document: `#/$defs/X` of `result.schema.json`
//! becomes `#/components/schemas/Result/$defs/X`, `error.schema.json` becomes
//! `#/components/schemas/Error`. The served document is thus self-contained.
//!
//! The table is held to the router by tests: here, the routes `router()` declares in
//! `src/http/mod.rs` (read from its source) and the table must name the same method+path pairs;
//! `tests/it/openapi.rs` asks the real router for every operation of the table (never 404 or
//! 405, 401 exactly where the document asks for the token) and runs schemathesis against the
//! running bridge and the document it serves.

use std::sync::LazyLock;

use anyhow::{anyhow, bail, Context};
use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::ui::COOKIE;
use super::Failure;
use crate::model::JobType;
use crate::service::jobs::{DEFAULT_LIMIT, MOST};
use crate::service::{ApiError, EXPECTED_REVISION_HEADER, TASK_ID_HEADER};

/// What an operation is, which decides its parameters, its body and its answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The status of a task: `task_id` and `type` in the query.
    Status,
    /// An asynchronous submission: a body in, a task id out.
    Submit,
    /// A synchronous computation (what-if): a body in, the result document out.
    Compute,
    /// The Prometheus text.
    Metrics,
    /// The health document; public.
    Health,
    /// This document; public.
    OpenApi,
    /// A held topology created or replaced: a topology document in, `{name, revision}` out.
    TopologyPut,
    /// A held topology changed: a change document in, `{name, revision, applied,
    /// removed_links}` out.
    TopologyChange,
    /// A revision of a held topology: `revision` in the query, the document out.
    TopologyGet,
    /// Every held topology, counted.
    TopologyList,
    /// A held topology deleted.
    TopologyDelete,
    /// The recent tasks: `type`, `state` and `limit` in the query.
    JobList,
    /// A task cancelled: its id in the path, `type` in the query, its status document out.
    JobCancel,
    /// A page of the web view (HTML); its errors are HTML pages too.
    Page,
    /// A remainder of a large drawing of the web view (an SVG fragment); its errors are error
    /// documents, but for the web view's 401 page.
    Fragment,
    /// The web view's server-sent events: never ends.
    Events,
    /// The web view's login: the token in the query kept in a cookie; public.
    Login,
    /// `/ui` sent to `/ui/`; public.
    Redirect,
}

impl Kind {
    /// Whether the route answers without the bearer token when `PASTA_HTTP_TOKEN` is set.
    pub fn public(self) -> bool {
        matches!(
            self,
            Kind::Health | Kind::OpenApi | Kind::Login | Kind::Redirect
        )
    }

    /// Whether the route is the web view's, whose 401 (and a page's every error) is an HTML
    /// page.
    pub fn web_view(self) -> bool {
        matches!(
            self,
            Kind::Page | Kind::Fragment | Kind::Events | Kind::Login | Kind::Redirect
        )
    }

    /// Whether the route takes a request body.
    pub fn has_body(self) -> bool {
        matches!(
            self,
            Kind::Submit | Kind::Compute | Kind::TopologyPut | Kind::TopologyChange
        )
    }

    /// Whether the route's body is a job's (of [`Operation::job`]).
    pub fn takes_job(self) -> bool {
        matches!(self, Kind::Submit | Kind::Compute)
    }

    /// Whether the route writes a held topology, so takes `Pasta-Expected-Revision`.
    pub fn writes_topology(self) -> bool {
        matches!(
            self,
            Kind::TopologyPut | Kind::TopologyChange | Kind::TopologyDelete
        )
    }

    /// The tag the operation is listed under.
    fn tag(self) -> &'static str {
        match self {
            Kind::Status => "status",
            Kind::Submit => "submission",
            Kind::Compute => "computation",
            Kind::TopologyPut
            | Kind::TopologyChange
            | Kind::TopologyGet
            | Kind::TopologyList
            | Kind::TopologyDelete => "topologies",
            Kind::JobList | Kind::JobCancel => "tasks",
            Kind::Page | Kind::Fragment | Kind::Events | Kind::Login | Kind::Redirect => "web view",
            Kind::Metrics | Kind::Health | Kind::OpenApi => "operations",
        }
    }
}

/// One documented operation: a method on a path.
#[derive(Clone, Copy, Debug)]
pub struct Operation {
    /// The HTTP method, lower case as OpenAPI writes it.
    pub method: &'static str,
    /// The path; `{type}` is the job type, `{type_or_id}` the job type of a submission and the
    /// task id of a cancel (one name per segment, as axum 0.8 and OpenAPI both ask), `{id}` a
    /// task id, `{name}` a held topology's name (axum 0.8 and OpenAPI write a parameter alike).
    pub path: &'static str,
    /// What it is.
    pub kind: Kind,
    /// Its `operationId`.
    pub id: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// The job type of its body.
    pub job: Job,
}

/// The job type of a route's body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// The route takes no body.
    None,
    /// The `{type}` of the path, any of the six.
    InPath,
    /// Always this type.
    Is(JobType),
    /// bod_reopt, or bod_congest_reopt when the body has a `congested_link` member.
    Reopt,
}

impl Job {
    /// The job types a body of the route may be.
    pub fn types(self) -> Vec<JobType> {
        match self {
            Job::None => Vec::new(),
            Job::InPath => JobType::ALL.to_vec(),
            Job::Is(t) => vec![t],
            Job::Reopt => vec![JobType::BodReopt, JobType::BodCongestReopt],
        }
    }

    /// The names of the examples of [`EXAMPLES`] that fit a body of the route.
    pub fn examples(self) -> Vec<&'static str> {
        let types = self.types();
        EXAMPLES
            .iter()
            .filter(|(_, fits)| fits.iter().any(|t| types.contains(t)))
            .map(|(name, _)| *name)
            .collect()
    }
}

/// An [`Operation`], short to write in the table.
const fn op(
    method: &'static str,
    path: &'static str,
    kind: Kind,
    id: &'static str,
    summary: &'static str,
    job: Job,
) -> Operation {
    Operation {
        method,
        path,
        kind,
        id,
        summary,
        job,
    }
}

/// Every operation of the bridge: the one table the document is built from, and that the tests
/// hold to the router.
pub const OPERATIONS: &[Operation] = &[
    op("get", "/api/job/check_status", Kind::Status, "checkStatus",
        "The status document of a task", Job::None),
    op("get", "/api/jobs", Kind::JobList, "listJobs",
        "The recent tasks, most recently submitted first, filtered by type and state", Job::None),
    op("post", "/api/jobs/{type_or_id}", Kind::Submit, "submitJob",
        "Submits a job of the type in the path", Job::InPath),
    op("delete", "/api/jobs/{type_or_id}", Kind::JobCancel, "cancelJob",
        "Cancels a PENDING task, which ends FAILURE with code CANCELLED", Job::None),
    op("post", "/api/compute/{type}", Kind::Compute, "computeJob",
        "Computes a job of the type in the path at once", Job::InPath),
    op("post", "/api/pasta/async_bod_pasta", Kind::Submit, "submitBodPasta",
        "Submits a bod_pasta job (original route)", Job::Is(JobType::BodPasta)),
    op("put", "/api/pasta/async_bod_pasta", Kind::Submit, "submitBodModified",
        "Submits a bod_modified job (original route)", Job::Is(JobType::BodModified)),
    op("post", "/api/pasta/async_nonbod_pasta", Kind::Submit, "submitNonbodPasta",
        "Submits a nonbod_pasta job (original route)", Job::Is(JobType::NonbodPasta)),
    op("post", "/api/pasta/async_non_pasta", Kind::Submit, "submitNonPasta",
        "Submits a nonbod_pasta job (original route, other name)", Job::Is(JobType::NonbodPasta)),
    op("post", "/api/reopt/async_bod_reoptimize", Kind::Submit, "submitBodReopt",
        "Submits a bod_reopt job, or bod_congest_reopt when the body has a congested_link member (original route)", Job::Reopt),
    op("post", "/api/reopt/async_nonbod_reoptimize", Kind::Submit, "submitNonbodReopt",
        "Submits a nonbod_reopt job (original route)", Job::Is(JobType::NonbodReopt)),
    op("post", "/api/pasta/bod_pasta", Kind::Compute, "computeBodPasta",
        "Computes a bod_pasta job at once (original route)", Job::Is(JobType::BodPasta)),
    op("put", "/api/pasta/bod_pasta", Kind::Compute, "computeBodModified",
        "Computes a bod_modified job at once (original route)", Job::Is(JobType::BodModified)),
    op("post", "/api/pasta/nonbod_pasta", Kind::Compute, "computeNonbodPasta",
        "Computes a nonbod_pasta job at once (original route)", Job::Is(JobType::NonbodPasta)),
    op("post", "/api/reopt/bod_reoptimize", Kind::Compute, "computeBodReopt",
        "Computes a bod_reopt job at once, or bod_congest_reopt when the body has a congested_link member (original route)", Job::Reopt),
    op("post", "/api/reopt/nonbod_reoptimize", Kind::Compute, "computeNonbodReopt",
        "Computes a nonbod_reopt job at once (original route)", Job::Is(JobType::NonbodReopt)),
    op("post", "/api/reopt/pasta_reoptimize", Kind::Compute, "computePastaReopt",
        "Computes a nonbod_reopt job at once (original route, other name)", Job::Is(JobType::NonbodReopt)),
    op("put", "/api/topologies/{name}", Kind::TopologyPut, "putTopology",
        "Creates or replaces a held topology", Job::None),
    op("patch", "/api/topologies/{name}", Kind::TopologyChange, "changeTopology",
        "Applies a change document to a held topology, atomically", Job::None),
    op("get", "/api/topologies/{name}", Kind::TopologyGet, "getTopology",
        "A kept revision of a held topology (the head by default)", Job::None),
    op("get", "/api/topologies", Kind::TopologyList, "listTopologies",
        "Every held topology not deleted, by name, with its head's counts", Job::None),
    op("delete", "/api/topologies/{name}", Kind::TopologyDelete, "deleteTopology",
        "Deletes a held topology (its kept revisions stay readable by number)", Job::None),
    op("get", "/metrics", Kind::Metrics, "metrics",
        "Prometheus metrics", Job::None),
    op("get", "/ui/", Kind::Page, "viewTasks",
        "The web view: the recent tasks, followed live", Job::None),
    op("get", "/ui/events", Kind::Events, "viewEvents",
        "The completion events, as server-sent events named task, until the bridge stops", Job::None),
    op("get", "/ui/task/{id}", Kind::Page, "viewTask",
        "The web view of a task: its state, request, result, and its topology drawn with its paths", Job::None),
    op("get", "/ui/task/{id}/rest.svg", Kind::Fragment, "viewTaskRest",
        "The remainder of a task's large drawing (an SVG fragment the task page loads)", Job::None),
    op("get", "/ui/topology/{name}", Kind::Page, "viewTopology",
        "The web view of a held topology's revision (the head by default), drawn, with its history", Job::None),
    op("get", "/ui/topology/{name}/rest.svg", Kind::Fragment, "viewTopologyRest",
        "The remainder of a held revision's large drawing (an SVG fragment the topology page loads)", Job::None),
    op("get", "/ui/login", Kind::Login, "viewLogin",
        "Keeps the token in the cookie the web view's pages send, then leads to /ui/ (public)", Job::None),
    op("get", "/ui", Kind::Redirect, "viewRoot",
        "Leads to /ui/ (public)", Job::None),
    op("get", "/healthz", Kind::Health, "healthz",
        "Whether the bridge is connected to NATS (public)", Job::None),
    op("get", "/openapi.json", Kind::OpenApi, "openapi",
        "This document (public)", Job::None),
];

/// The request body examples by name, each with the job types it fits.
pub const EXAMPLES: [(&str, &[JobType]); 2] = [
    (
        "one_policy",
        &[
            JobType::BodPasta,
            JobType::NonbodPasta,
            JobType::BodModified,
        ],
    ),
    (
        "policies",
        &[
            JobType::BodReopt,
            JobType::NonbodReopt,
            JobType::BodCongestReopt,
        ],
    ),
];

/// The links of the examples' triangle A, B, C: both directions, 100 of bandwidth each, 50 of
/// it for class Gold; A-B carries 90 of traffic, so it is congested.
fn example_links() -> Value {
    let link = |id: &str, lo: &str, re: &str, sid: u32, igp: u32| {
        let mut link = json!({
            "id": id, "lo": lo, "re": re, "sid": sid, "igp": igp, "bd": 100,
            "qos_class": [{"class": "Gold", "bandwidth_reserve": 50, "bandwidth_available": 50}],
        });
        if id == "A-B" {
            link["traffic_flow"] = json!(90);
        }
        link
    };
    json!([
        link("A-B", "A", "B", 24001, 1),
        link("B-A", "B", "A", 24002, 1),
        link("B-C", "B", "C", 24003, 1),
        link("C-B", "C", "B", 24004, 1),
        link("A-C", "A", "C", 24005, 5),
        link("C-A", "C", "A", 24006, 5),
    ])
}

/// A request body example by name (of [`EXAMPLES`]).
pub fn example(name: &str) -> Option<Value> {
    let nodes =
        json!([{"id": "A", "sid": 16001}, {"id": "B", "sid": 16002}, {"id": "C", "sid": 16003}]);
    let former = json!({"path": [[["A", "A-B", "B"]], [["B", "B-C", "C"]]], "bd": 10});
    let policy = json!({"id": "p1", "he": "A", "te": "C", "bd": 10, "class": "Gold"});
    let body = match name {
        "one_policy" => {
            let mut one = policy;
            one["former"] = former;
            json!({"nodes": nodes, "links": example_links(), "sr_policy": one})
        }
        "policies" => {
            let mut placed = policy;
            placed["traffic_flow"] = json!(30);
            placed["path"] = former["path"].clone();
            let other = json!({"id": "p2", "he": "B", "te": "C", "bd": 5, "class": "Gold"});
            json!({
                "nodes": nodes, "links": example_links(), "sr_policy": [placed, other],
                "congested_link": ["A-B"],
            })
        }
        _ => return None,
    };
    Some(body)
}

/// The schema files embedded under `components/schemas`: component name, file name, text.
const SCHEMA_FILES: [(&str, &str, &str); 9] = [
    (
        "Error",
        "error.schema.json",
        include_str!("../../schemas/error.schema.json"),
    ),
    (
        "Event",
        "event.schema.json",
        include_str!("../../schemas/event.schema.json"),
    ),
    (
        "JobList",
        "job-list.schema.json",
        include_str!("../../schemas/job-list.schema.json"),
    ),
    (
        "Request",
        "request.schema.json",
        include_str!("../../schemas/request.schema.json"),
    ),
    (
        "Result",
        "result.schema.json",
        include_str!("../../schemas/result.schema.json"),
    ),
    (
        "Status",
        "status.schema.json",
        include_str!("../../schemas/status.schema.json"),
    ),
    (
        "StatusRequest",
        "status-request.schema.json",
        include_str!("../../schemas/status-request.schema.json"),
    ),
    (
        "SubmitReply",
        "submit-reply.schema.json",
        include_str!("../../schemas/submit-reply.schema.json"),
    ),
    (
        "Topologies",
        "topology.schema.json",
        include_str!("../../schemas/topology.schema.json"),
    ),
];

/// One error answer: its component name under `components/responses`, HTTP status, the codes
/// its error document may carry, and when it is given.
struct ErrorAnswer {
    /// The name under `components/responses`.
    name: &'static str,
    /// The HTTP status.
    status: u16,
    /// The codes of `info.code` it may carry.
    codes: &'static [&'static str],
    /// When.
    description: &'static str,
}

/// Every error answer of the bridge.
const ERRORS: [ErrorAnswer; 9] = [
    ErrorAnswer {
        name: "BadRequest",
        status: 400,
        codes: &["INVALID_BODY", "BAD_REQUEST", "TYPE_MISMATCH"],
        description: "INVALID_BODY (every problem listed in `info.problems`), BAD_REQUEST (a missing or invalid task_id or task id in the path, type, job type in the path, state or limit of a task list, Pasta-Task-Id header, topology name, revision or Pasta-Expected-Revision header), TYPE_MISMATCH (the task is of another type)",
    },
    ErrorAnswer {
        name: "Unauthorized",
        status: 401,
        codes: &["UNAUTHORIZED"],
        description: "UNAUTHORIZED: PASTA_HTTP_TOKEN is set and neither the bearer token nor the cookie pasta_token holds it",
    },
    ErrorAnswer {
        name: "NotFound",
        status: 404,
        codes: &["NOT_FOUND"],
        description: "NOT_FOUND: an unknown task, or one whose record expired (or that kept no request to draw); a held topology that does not exist (or was deleted), or a revision of it not kept; also any path the bridge does not serve",
    },
    ErrorAnswer {
        name: "MethodNotAllowed",
        status: 405,
        codes: &["BAD_REQUEST"],
        description: "BAD_REQUEST: a method the path does not serve (any method not listed for it here)",
    },
    ErrorAnswer {
        name: "RequestTimeout",
        status: 408,
        codes: &["BAD_REQUEST"],
        description: "BAD_REQUEST: the body did not arrive within the body time-out (30 s)",
    },
    ErrorAnswer {
        name: "Conflict",
        status: 409,
        codes: &["CONFLICT"],
        description: "CONFLICT: the Pasta-Task-Id names a task of another type or body; the head of a held topology is not the Pasta-Expected-Revision; the task to cancel is already final (SUCCESS or FAILURE)",
    },
    ErrorAnswer {
        name: "TooLarge",
        status: 413,
        codes: &["TOO_LARGE"],
        description: "TOO_LARGE: the body (or its Content-Length, refused before any of it is read) exceeds PASTA_MAX_BODY",
    },
    ErrorAnswer {
        name: "Internal",
        status: 500,
        codes: &["INTERNAL"],
        description: "INTERNAL: a fault of the service itself",
    },
    ErrorAnswer {
        name: "Unavailable",
        status: 503,
        codes: &["UNAVAILABLE"],
        description: "UNAVAILABLE: JetStream unreachable, the job queue full, a computation past the job time-out, or (with Retry-After) no room in the memory budget of bodies within PASTA_ADMISSION_WAIT_MS",
    },
];

/// The document, built once and kept as JSON text.
static DOCUMENT: LazyLock<Result<Bytes, String>> = LazyLock::new(|| {
    document()
        .and_then(|doc| serde_json::to_vec(&doc).context("serializing the document"))
        .map(Bytes::from)
        .map_err(|e| format!("the OpenAPI document: {e:#}"))
});

/// The handler of `GET /openapi.json`.
pub async fn serve() -> Response {
    match &*DOCUMENT {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text.clone()).into_response(),
        Err(e) => Failure(ApiError::Internal(e.clone())).into_response(),
    }
}

/// The OpenAPI 3.1 document of the bridge.
pub fn document() -> anyhow::Result<Value> {
    Ok(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "pasta HTTP bridge",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "SR-TE path computation as asynchronous jobs (over NATS), and at once",
            "description": INFO,
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "tags": [
            {"name": "status", "description": "The status of a task"},
            {"name": "tasks", "description": "The recent tasks, listed; a PENDING task cancelled"},
            {"name": "submission", "description": "Asynchronous jobs: the task id at once, the result by status or NATS event"},
            {"name": "computation", "description": "Synchronous computation (what-if): the result document in the answer, no task"},
            {"name": "topologies", "description": "Held topologies (docs/topologies.md): kept under a name, changed by change documents, named by job bodies instead of nodes and links"},
            {"name": "operations", "description": "Metrics, health and this document"},
            {"name": "web view", "description": "HTML pages of the recent tasks, a task and a held topology, drawn as SVG, with every asset embedded; their errors are HTML pages"},
        ],
        "security": [{"bearer": []}, {"cookie": []}, {}],
        "paths": paths(),
        "components": {
            "schemas": schemas()?,
            "responses": error_responses(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Needed (or the cookie) by every route but /healthz, /openapi.json, /ui and /ui/login when PASTA_HTTP_TOKEN is set; without it the bridge is open.",
                },
                "cookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": COOKIE,
                    "description": "The token, as /ui/login?token=<token> keeps it for the web view's pages (and their script's requests); taken wherever the bearer token is.",
                },
            },
        },
    }))
}

/// The document's own description.
const INFO: &str = "The HTTP bridge of pasta (docs/http.md). Bodies and answers are JSON; answers use the documents of docs/status.md, whose JSON Schemas (`schemas/`) are embedded under `components/schemas`. Every error answer is an error document (`schemas/error.schema.json`), but for the web view (`/ui/`), whose pages are HTML and answer errors (and a fragment or the event stream a 401) with an HTML page. When PASTA_HTTP_TOKEN is set every route but /healthz, /openapi.json, /ui and /ui/login needs the token: `Authorization: Bearer <token>`, or the cookie `pasta_token` holding it, which `GET /ui/login?token=<token>` sets for the web view's pages. GET routes also answer HEAD.";

/// `paths`: the operations of [`OPERATIONS`] by path, in table order.
fn paths() -> Value {
    let mut paths = Map::new();
    for op in OPERATIONS {
        let item = paths
            .entry(op.path)
            .or_insert_with(|| Value::Object(Map::new()));
        item[op.method] = operation(op);
    }
    Value::Object(paths)
}

/// One operation object.
fn operation(op: &Operation) -> Value {
    let mut doc = json!({
        "operationId": op.id,
        "summary": op.summary,
        "tags": [op.kind.tag()],
        "responses": responses(op),
    });
    let parameters = parameters(op);
    if !parameters.is_empty() {
        doc["parameters"] = Value::Array(parameters);
    }
    match op.kind {
        Kind::Submit | Kind::Compute => doc["requestBody"] = request_body(&op.job.examples()),
        Kind::TopologyPut => doc["requestBody"] = topology_body(),
        Kind::TopologyChange => doc["requestBody"] = change_body(),
        _ => {}
    }
    if op.kind.public() {
        doc["security"] = json!([]);
    }
    doc
}

/// The name of the path parameter of `path` that is a job type for a submission or a
/// computation (and a task id for a cancel): `type` or `type_or_id`.
pub fn type_parameter(path: &str) -> Option<&'static str> {
    ["type", "type_or_id"]
        .into_iter()
        .find(|name| path.contains(&format!("{{{name}}}")))
}

/// The parameters of an operation: the job type of a `{type}` path, the query of a status, the
/// task id header of a submission; the task id of a cancel or a `{id}` path, the filters of a
/// list; the topology name of a `{name}` path, the revision asked of a get (or a page) and the
/// one expected by a write; the token of the login.
fn parameters(op: &Operation) -> Vec<Value> {
    let mut parameters = Vec::new();
    match type_parameter(op.path) {
        Some(name) if op.kind == Kind::JobCancel => {
            parameters.push(json!({
                "name": name, "in": "path", "required": true,
                "description": "The id of the task to cancel (on this path a POST takes a job type here instead).",
                "schema": schema_ref("StatusRequest/properties/task_id"),
            }));
            parameters.push(json!({
                "name": "type", "in": "query", "required": true,
                "description": "The task's job type (TYPE_MISMATCH when it is of another).",
                "schema": schema_ref("StatusRequest/properties/type"),
            }));
        }
        Some(name) => {
            let description = if name == "type" {
                "The job type."
            } else {
                "The job type (on this path a DELETE takes a task id here instead)."
            };
            parameters.push(json!({
                "name": name, "in": "path", "required": true,
                "description": description,
                "schema": schema_ref("StatusRequest/properties/type"),
            }));
        }
        None => {}
    }
    if op.path.contains("{id}") {
        parameters.push(json!({
            "name": "id", "in": "path", "required": true,
            "description": "The task id (BAD_REQUEST when it is not one).",
            "schema": schema_ref("StatusRequest/properties/task_id"),
        }));
    }
    if op.kind == Kind::JobList {
        parameters.push(json!({
            "name": "type", "in": "query", "required": false,
            "description": "Only tasks of this job type (BAD_REQUEST when it is not one); any when absent or empty.",
            "schema": schema_ref("StatusRequest/properties/type"),
        }));
        parameters.push(json!({
            "name": "state", "in": "query", "required": false,
            "description": "Only tasks in this state, as the status document names it (a running task is PENDING; BAD_REQUEST when it is not one); any when absent or empty.",
            "schema": schema_ref("JobList/$defs/Task/properties/task_state"),
        }));
        parameters.push(json!({
            "name": "limit", "in": "query", "required": false,
            "description": format!("At most this many tasks, the most recently submitted (BAD_REQUEST when it is not a whole number from 1 to {MOST}); {DEFAULT_LIMIT} when absent or empty."),
            "schema": {"type": "integer", "minimum": 1, "maximum": MOST, "default": DEFAULT_LIMIT},
        }));
    }
    if op.kind == Kind::Login {
        parameters.push(json!({
            "name": "token", "in": "query", "required": false,
            "description": "The bridge's token (PASTA_HTTP_TOKEN): 401 when the bridge has one and this is not it. Kept in the cookie pasta_token (Path=/, HttpOnly, SameSite=Strict).",
            "schema": {"type": "string"},
        }));
    }
    if op.kind == Kind::Status {
        for name in ["task_id", "type"] {
            parameters.push(json!({
                "name": name, "in": "query", "required": true,
                "schema": {"$ref": format!("#/components/schemas/StatusRequest/properties/{name}")},
            }));
        }
    }
    if op.kind == Kind::Submit {
        parameters.push(json!({
            "name": TASK_ID_HEADER, "in": "header", "required": false,
            "description": "The task id the client chooses (a UUID): resubmitting the same type and body with it answers the same task, another type or body CONFLICT.",
            "schema": {"type": "string", "format": "uuid"},
        }));
    }
    if op.path.contains("{name}") {
        parameters.push(json!({
            "name": "name", "in": "path", "required": true,
            "description": "The topology's name: 1 to 64 of `A-Z a-z 0-9 _ -`, not put, change, delete, get, list or changed (BAD_REQUEST).",
            "schema": schema_ref("Topologies/$defs/TopologyName"),
            "example": EXAMPLE_TOPOLOGY,
        }));
    }
    if op.kind == Kind::TopologyGet || op.path.starts_with("/ui/topology/") {
        parameters.push(json!({
            "name": "revision", "in": "query", "required": false,
            "description": "A kept revision (NOT_FOUND when it never was or is no longer kept), readable even after the topology was deleted; the head when absent (NOT_FOUND when the topology was deleted).",
            "schema": schema_ref("Topologies/$defs/Revision"),
        }));
    }
    if op.kind.writes_topology() {
        parameters.push(json!({
            "name": EXPECTED_REVISION_HEADER, "in": "header", "required": false,
            "description": "Write only if the head is this revision (0: only if the topology does not exist yet), otherwise CONFLICT naming the head. Without it, concurrent writes are ordered, each applied to the head it finds.",
            "schema": {"type": "integer", "minimum": 0, "maximum": u64::MAX},
        }));
    }
    parameters
}

/// The name of the held topology in the examples.
const EXAMPLE_TOPOLOGY: &str = "core";

/// A topology document example: the triangle of the job examples, its nodes drawn.
pub fn topology_example() -> Value {
    let mut nodes =
        json!([{"id": "A", "sid": 16001}, {"id": "B", "sid": 16002}, {"id": "C", "sid": 16003}]);
    for (node, (x, y)) in
        nodes
            .as_array_mut()
            .expect("a list")
            .iter_mut()
            .zip([(0, 0), (100, 0), (50, 80)])
    {
        node["pos"] = json!({"x": x, "y": y});
    }
    json!({"nodes": nodes, "links": example_links()})
}

/// A change document example that applies to [`topology_example`]: A-B's traffic measured
/// again, a node D joined to C both ways.
pub fn change_example() -> Value {
    let link = |id: &str, lo: &str, re: &str, sid: u32| json!({"id": id, "lo": lo, "re": re, "sid": sid, "igp": 2, "bd": 100});
    json!({"changes": [
        {"op": "patch_link", "id": "A-B", "set": {"traffic_flow": 40}},
        {"op": "upsert_node", "node": {"id": "D", "sid": 16004, "pos": {"x": 100, "y": 80}}},
        {"op": "upsert_link", "link": link("C-D", "C", "D", 24007)},
        {"op": "upsert_link", "link": link("D-C", "D", "C", 24008)},
    ]})
}

/// The body of a put, with its example.
fn topology_body() -> Value {
    json!({
        "required": true,
        "description": "The topology document (`Topology` of `schemas/topology.schema.json`: nodes and links as in a job's body), or `{\"$ref\": \"body/<uuid>\"}` naming one uploaded to the blob store. Read as JSON whatever its Content-Type.",
        "content": {"application/json": {
            "schema": {"anyOf": [
                schema_ref("Topologies/$defs/Topology"),
                schema_ref("BodyReference"),
            ]},
            "examples": {"triangle": {
                "summary": "A triangle of three routers, drawn",
                "value": topology_example(),
            }},
        }},
    })
}

/// The body of a change, with its example.
fn change_body() -> Value {
    json!({
        "required": true,
        "description": "The change document (`Change` of `schemas/topology.schema.json`), applied atomically to the head. Read as JSON whatever its Content-Type.",
        "content": {"application/json": {
            "schema": schema_ref("Topologies/$defs/Change"),
            "examples": {"grow": {
                "summary": "New traffic on A-B, and a router D joined to C (applies to the triangle put)",
                "value": change_example(),
            }},
        }},
    })
}

/// The body of a submission or a computation, with the examples that fit it.
fn request_body(names: &[&str]) -> Value {
    let mut examples = Map::new();
    for (name, fits) in EXAMPLES.iter().filter(|(name, _)| names.contains(name)) {
        if let Some(value) = example(name) {
            let fits: Vec<&str> = fits.iter().map(|t| t.as_str()).collect();
            let summary = format!("A triangle of three routers; fits {}", fits.join(", "));
            examples.insert((*name).into(), json!({"summary": summary, "value": value}));
        }
    }
    let mut body = json!({
        "required": true,
        "description": "The job's body (`schemas/request.schema.json`), or `{\"$ref\": \"body/<uuid>\"}` naming a body uploaded to the blob store. The body is read as JSON whatever its Content-Type.",
        "content": {"application/json": {"schema": {"anyOf": [
            {"$ref": "#/components/schemas/Request"},
            {"$ref": "#/components/schemas/BodyReference"},
        ]}}},
    });
    if !examples.is_empty() {
        body["content"]["application/json"]["examples"] = Value::Object(examples);
    }
    body
}

/// The statuses of the errors a page of the web view answers with an HTML page (and any route
/// of the web view when it answers 401).
const PAGE_ERRORS: [u16; 5] = [400, 401, 404, 500, 503];

/// The answers of an operation.
fn responses(op: &Operation) -> Value {
    let kind = op.kind;
    let page_errors: &[u16] = if op.path.contains('{') {
        &PAGE_ERRORS
    } else {
        &[401]
    };
    let (ok, errors): (Value, &[u16]) = match kind {
        Kind::Status => (
            json_answer("The status document", schema_ref("Status/$defs/Status")),
            &[400, 401, 404, 500, 503],
        ),
        Kind::Submit => (
            json_answer("The task id", schema_ref("Submitted")),
            &[400, 401, 408, 409, 413, 500, 503],
        ),
        Kind::Compute => (
            json_answer("The result document", schema_ref("Computed")),
            &[400, 401, 408, 413, 500, 503],
        ),
        Kind::Metrics => (
            json!({"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}),
            &[401],
        ),
        Kind::Health => (
            json_answer("Connected to NATS", health("ok", "connected")),
            &[],
        ),
        Kind::OpenApi => (
            json_answer(
                "This document",
                json!({"type": "object", "required": ["openapi", "info", "paths"]}),
            ),
            &[500],
        ),
        Kind::TopologyPut => (
            json_answer(
                "Stored: the revision made",
                envelope(schema_ref("Topologies/$defs/TopologyRevision")),
            ),
            &[400, 401, 408, 409, 413, 500, 503],
        ),
        Kind::TopologyChange => (
            json_answer(
                "Applied: the revision made",
                envelope(schema_ref("Topologies/$defs/TopologyChanged")),
            ),
            &[400, 401, 404, 408, 409, 413, 500, 503],
        ),
        Kind::TopologyGet => (
            json_answer(
                "The revision's document",
                envelope(schema_ref("Topologies/$defs/TopologyDocument")),
            ),
            &[400, 401, 404, 500, 503],
        ),
        Kind::TopologyList => (
            json_answer(
                "Every topology not deleted",
                envelope(schema_ref("Topologies/$defs/TopologyList")),
            ),
            &[401, 500, 503],
        ),
        Kind::TopologyDelete => (
            json_answer(
                "Deleted",
                envelope(schema_ref("Topologies/$defs/TopologyDeleted")),
            ),
            &[400, 401, 404, 409, 500, 503],
        ),
        Kind::JobList => (
            json_answer(
                "The recent tasks, most recently submitted first",
                schema_ref("JobList/$defs/JobList"),
            ),
            &[400, 401, 500, 503],
        ),
        Kind::JobCancel => (
            json_answer(
                "Cancelled: the status document of the task, now FAILURE with code CANCELLED",
                schema_ref("Cancelled"),
            ),
            &[400, 401, 404, 409, 500, 503],
        ),
        Kind::Page => (text_answer("The page", "text/html"), page_errors),
        Kind::Fragment => (
            text_answer(
                "The remainder of the drawing: SVG elements the page inserts into its drawing",
                "image/svg+xml",
            ),
            &[400, 401, 404, 500, 503],
        ),
        Kind::Events => (
            text_answer(
                "Server-sent events named `task`, each one's data a completion event (`schemas/event.schema.json`, `#/components/schemas/Event`): every task's started, success and failure from the request on, until the bridge stops (the stream never ends before); comments keep the connection alive",
                "text/event-stream",
            ),
            &[401, 500, 503],
        ),
        Kind::Login => (Value::Null, &[400, 401]),
        Kind::Redirect => (Value::Null, &[]),
    };
    let mut answers = Map::new();
    match kind {
        Kind::Login => {
            let cookie = format!("{COOKIE}=<token>; Path=/; HttpOnly; SameSite=Strict");
            answers.insert("303".into(), json!({
                "description": "The token kept: the cookie set (its value the bridge's token), and /ui/ next. Without PASTA_HTTP_TOKEN there is nothing to keep: no cookie, only /ui/ next.",
                "headers": {
                    "Set-Cookie": {
                        "description": format!("`{cookie}`, when the bridge has a token"),
                        "required": false,
                        "schema": {"type": "string", "pattern": format!("^{COOKIE}=")},
                    },
                    "Location": location("/ui/"),
                },
            }));
        }
        Kind::Redirect => {
            answers.insert(
                "308".into(),
                json!({"description": "/ui/ instead", "headers": {"Location": location("/ui/")}}),
            );
        }
        _ => {
            answers.insert(
                "200".into(),
                with_topology_links(with_status_link(ok, op), op),
            );
        }
    }
    if kind == Kind::Health {
        let down = json_answer(
            "Not connected to NATS",
            health("unavailable", "disconnected"),
        );
        answers.insert("503".into(), down);
    }
    for error in ERRORS.iter().filter(|e| errors.contains(&e.status)) {
        let html = matches!(kind, Kind::Page | Kind::Login | Kind::Redirect);
        let page = html || (kind.web_view() && error.status == 401);
        let prefix = if page { PAGE } else { "" };
        let reference = format!("#/components/responses/{prefix}{}", error.name);
        answers.insert(error.status.to_string(), json!({"$ref": reference}));
    }
    Value::Object(answers)
}

/// The prefix of the name of an error answer that is an HTML page (under
/// `components/responses`).
const PAGE: &str = "Page";

/// An answer with a body of this media type, text.
fn text_answer(description: &str, media_type: &str) -> Value {
    json!({"description": description, "content": {media_type: {"schema": {"type": "string"}}}})
}

/// A `Location` header to `to`.
fn location(to: &str) -> Value {
    json!({"description": format!("`{to}`"), "required": true, "schema": {"const": to}})
}

/// A submission's answer with the link to the status of its task, when the route says its type.
fn with_status_link(mut answer: Value, op: &Operation) -> Value {
    let job_type = match (op.job, type_parameter(op.path)) {
        (Job::InPath, Some(name)) => format!("$request.path.{name}"),
        (Job::Is(t), _) => t.as_str().to_owned(),
        (Job::InPath, None) | (Job::None | Job::Reopt, _) => return answer,
    };
    if op.kind == Kind::Submit {
        let task_id = "$response.body#/data/task_id";
        answer["links"] = json!({
            "CheckStatus": {
                "operationId": "checkStatus",
                "description": "The status of the task submitted.",
                "parameters": {"task_id": task_id, "type": job_type},
            },
            "CancelJob": {
                "operationId": "cancelJob",
                "description": "The task submitted cancelled (CONFLICT once it is final).",
                "parameters": {"type_or_id": task_id, "type": job_type},
            },
        });
    }
    answer
}

/// A write's answer with the links to what can be done with the revision it made. None leads
/// to a delete: a revision stays readable by number after its topology is deleted (revisions
/// are immutable, docs/topologies.md), which a client following a delete by a read of the
/// revision it had would take for a use after free.
fn with_topology_links(mut answer: Value, op: &Operation) -> Value {
    let name = json!({"name": "$request.path.name"});
    let made = json!({"name": "$request.path.name", "revision": "$response.body#/data/revision"});
    let links = match op.kind {
        Kind::TopologyPut => json!({
            "GetTopology": {
                "operationId": "getTopology",
                "description": "The revision put.",
                "parameters": made,
            },
            "ChangeTopology": {
                "operationId": "changeTopology",
                "description": "A change of the topology put.",
                "parameters": name,
            },
        }),
        Kind::TopologyChange => json!({
            "GetTopology": {
                "operationId": "getTopology",
                "description": "The revision the change made.",
                "parameters": made,
            },
        }),
        _ => return answer,
    };
    answer["links"] = links;
    answer
}

/// The envelope of a done answer around its `data`.
fn envelope(data: Value) -> Value {
    json!({
        "type": "object",
        "required": ["status", "info", "data"],
        "additionalProperties": false,
        "properties": {
            "status": {"const": true},
            "info": {"type": "array", "maxItems": 0},
            "data": data,
        },
    })
}

/// An answer with a JSON body of `schema`.
fn json_answer(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

/// A reference to a schema under `components/schemas`.
fn schema_ref(pointer: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{pointer}")})
}

/// The health document with these values.
fn health(status: &str, nats: &str) -> Value {
    json!({
        "type": "object",
        "required": ["status", "nats"],
        "additionalProperties": false,
        "properties": {"status": {"const": status}, "nats": {"const": nats}},
    })
}

/// `components/responses`: one per error answer, the error document with its codes; and the
/// HTML page of those a page of the web view answers.
fn error_responses() -> Value {
    let mut responses = Map::new();
    for error in ERRORS.iter().filter(|e| PAGE_ERRORS.contains(&e.status)) {
        let also = if error.status == 401 {
            "; or the token given to /ui/login is not it"
        } else {
            ""
        };
        let description = format!("An HTML page naming the code: {}{also}", error.description);
        let answer = text_answer(&description, "text/html");
        responses.insert(format!("{PAGE}{}", error.name), answer);
    }
    for error in &ERRORS {
        let schema = json!({"allOf": [
            schema_ref("Error"),
            {"properties": {"info": {"properties": {"code": {"enum": error.codes}}}}},
        ]});
        let mut answer = json_answer(error.description, schema);
        if error.status == 503 {
            answer["headers"] = json!({"Retry-After": {
                "description": "Seconds to wait before retrying: given when the memory budget of bodies was spent.",
                "schema": {"type": "string", "pattern": "^[0-9]+$"},
            }});
        }
        responses.insert(error.name.into(), answer);
    }
    Value::Object(responses)
}

/// `components/schemas`: the files of `schemas/`, and the few answers made of them.
fn schemas() -> anyhow::Result<Value> {
    let mut schemas = Map::new();
    for (name, file, text) in SCHEMA_FILES {
        schemas.insert(name.into(), embedded(name, file, text)?);
    }
    schemas.insert("BodyReference".into(), json!({
        "description": "A body uploaded to the blob store beforehand, named instead of sent (docs/bus.md).",
        "type": "object",
        "required": ["$ref"],
        "maxProperties": 1,
        "patternProperties": {"^[$]ref$": {"type": "string", "pattern": "^body/"}},
    }));
    schemas.insert("Submitted".into(), json!({
        "description": "The submission reply (`schemas/submit-reply.schema.json`) of an accepted job.",
        "allOf": [schema_ref("SubmitReply"), {"properties": {"status": {"const": true}}}],
    }));
    schemas.insert("Cancelled".into(), json!({
        "description": "The status document (`schemas/status.schema.json`) of a task cancelled: FAILURE with code CANCELLED.",
        "allOf": [
            schema_ref("Status/$defs/Status"),
            {"properties": {"data": {
                "required": ["error"],
                "properties": {
                    "task_state": {"const": "FAILURE"},
                    "error": {"properties": {"code": {"const": "CANCELLED"}}},
                },
            }}},
        ],
    }));
    schemas.insert("Computed".into(), json!({
        "description": "The answer of a synchronous computation: the result document (`schemas/result.schema.json`) in the envelope.",
        "type": "object",
        "required": ["status", "info", "data"],
        "additionalProperties": false,
        "properties": {
            "status": {"const": true},
            "info": {"type": "array", "maxItems": 0},
            "data": schema_ref("Result"),
        },
    }));
    Ok(Value::Object(schemas))
}

/// A schema file as a component `name`: without `$id` and `$schema`, its references pointing
/// inside the document.
fn embedded(name: &str, file: &str, text: &str) -> anyhow::Result<Value> {
    let mut schema: Value =
        serde_json::from_str(text).with_context(|| format!("schemas/{file} is not JSON"))?;
    let object = schema
        .as_object_mut()
        .ok_or_else(|| anyhow!("schemas/{file} is not an object"))?;
    let id = object.remove("$id");
    object.remove("$schema");
    let origin = match id {
        Some(Value::String(id)) => format!("schemas/{file} ($id {id})"),
        _ => format!("schemas/{file}"),
    };
    object.insert("$comment".into(), json!(origin));
    rewrite_refs(&mut schema, name).with_context(|| format!("schemas/{file}"))?;
    Ok(schema)
}

/// Rewrites every `$ref` of a schema embedded as component `home`.
fn rewrite_refs(value: &mut Value, home: &str) -> anyhow::Result<()> {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref") {
                *target = local_ref(target, home)?;
            }
            map.values_mut().try_for_each(|v| rewrite_refs(v, home))
        }
        Value::Array(items) => items.iter_mut().try_for_each(|v| rewrite_refs(v, home)),
        _ => Ok(()),
    }
}

/// Where a reference of component `home` points inside the document: `#/...` within `home`,
/// `<file>#/...` within the file's component.
fn local_ref(target: &str, home: &str) -> anyhow::Result<String> {
    let (file, pointer) = target.split_once('#').unwrap_or((target, ""));
    let component = if file.is_empty() {
        home
    } else {
        match SCHEMA_FILES.iter().find(|(_, f, _)| *f == file) {
            Some((component, _, _)) => component,
            None => bail!("$ref {target:?} names a file that is not embedded"),
        }
    };
    Ok(format!("#/components/schemas/{component}{pointer}"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::{json, Value};

    use super::{
        change_example, document, example, topology_example, Job, Kind, ERRORS, EXAMPLES,
        OPERATIONS,
    };
    use crate::http::status_code;
    use crate::model::topology::{change, wire};
    use crate::model::{Limits, Network, Problem, Problems};
    use crate::service::status::submitted;
    use crate::service::topology::{expected_revision, topology_name};
    use crate::service::{parse_body, ApiError, EXPECTED_REVISION_HEADER};

    /// The source of `router()`.
    const ROUTER_SOURCE: &str = include_str!("mod.rs");

    /// Methods a route may be declared with (`any` is not one OpenAPI can list).
    const METHODS: [&str; 10] = [
        "get", "post", "put", "delete", "patch", "head", "options", "trace", "connect", "any",
    ];

    /// The body of `pub fn router(` in `source`.
    fn router_body(source: &str) -> &str {
        let start = source
            .find("pub fn router(")
            .expect("src/http/mod.rs has router()");
        let rest = &source[start..];
        let end = rest.find("\n}\n").expect("router() ends");
        &rest[..end]
    }

    /// The text up to the parenthesis closing one already open.
    fn up_to_close(text: &str) -> &str {
        let mut depth = 1;
        for (at, c) in text.char_indices() {
            depth += match c {
                '(' => 1,
                ')' => -1,
                _ => 0,
            };
            if depth == 0 {
                return &text[..at];
            }
        }
        panic!("unbalanced parentheses in {text:?}");
    }

    /// The methods called in a route's method router, e.g. `post(a).put(b)`.
    fn methods_in(args: &str) -> Vec<String> {
        let mut found = Vec::new();
        for method in METHODS {
            let call = format!("{method}(");
            for (at, _) in args.match_indices(&call) {
                let before = args[..at].chars().next_back();
                if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    found.push(method.to_string());
                }
            }
        }
        found
    }

    /// Every (method, path) a router's source declares with `.route("<path>", <methods>)`.
    fn declared_routes(router: &str) -> BTreeSet<(String, String)> {
        let mut routes = BTreeSet::new();
        for (at, _) in router.match_indices(".route(") {
            let args = up_to_close(&router[at + ".route(".len()..]);
            let (path, methods) = args.split_once(',').expect("a path and a method router");
            let path = path.trim().trim_matches('"').to_string();
            for method in methods_in(methods) {
                routes.insert((method, path.clone()));
            }
        }
        routes
    }

    fn documented_routes() -> BTreeSet<(String, String)> {
        OPERATIONS
            .iter()
            .map(|op| (op.method.to_string(), op.path.to_string()))
            .collect()
    }

    #[test]
    fn the_route_reader_reads_methods_paths_and_nothing_else() {
        let source = r#"pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/a/{type}", post(submit_typed))
        .route(
            "/b",
            post(compute_put).put(get_all),
        )
        .route_layer(layer(state.clone(), put_it))
        .route("/c", get(openapi::serve))
        .route("/d", any(x))
}
"#;
        let expected: BTreeSet<(String, String)> = [
            ("post", "/a/{type}"),
            ("post", "/b"),
            ("put", "/b"),
            ("get", "/c"),
            ("any", "/d"),
        ]
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
        assert_eq!(declared_routes(router_body(source)), expected);
    }

    #[test]
    fn every_route_of_the_router_is_documented_and_every_documented_one_is_a_route() {
        let router = router_body(ROUTER_SOURCE);
        for unread in [".nest(", ".merge(", ".route_service(", ".nest_service("] {
            assert!(
                !router.contains(unread),
                "router() uses {unread}, whose routes this test cannot read: document them and teach the test"
            );
        }
        let declared = declared_routes(router);
        let documented = documented_routes();
        let undocumented: Vec<_> = declared.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&declared).collect();
        assert!(
            undocumented.is_empty() && unrouted.is_empty(),
            "routes of router() missing from openapi::OPERATIONS: {undocumented:?}\n\
             operations of openapi::OPERATIONS that router() does not declare: {unrouted:?}"
        );
        assert_eq!(
            documented.len(),
            OPERATIONS.len(),
            "an operation is listed twice"
        );
    }

    /// The value a local reference (`#/a/b`) points at.
    fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
        doc.pointer(reference.strip_prefix('#')?)
    }

    /// Every `$ref` string under `value`.
    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn the_document_is_self_contained() {
        let doc = document().expect("the document builds");
        assert_eq!(doc["openapi"], "3.1.0");
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 50, "the schemas' references are found: {all:?}");
        for reference in &all {
            assert!(
                resolve(&doc, reference).is_some(),
                "{reference} does not resolve in the document"
            );
        }
        let text = doc.to_string();
        assert!(
            !text.contains("\"$id\""),
            "an $id would change the base of references"
        );
        assert!(!text.contains(".schema.json#") && !text.contains("\"$ref\":\"error"));
    }

    #[test]
    fn every_operation_is_in_the_document_with_its_answers() {
        let doc = document().expect("the document builds");
        let mut ids = BTreeSet::new();
        for op in OPERATIONS {
            let operation = &doc["paths"][op.path][op.method];
            assert_eq!(operation["operationId"], op.id, "{op:?}");
            assert!(ids.insert(op.id), "operationId {} twice", op.id);
            let responses = operation["responses"].as_object().expect("responses");
            let done = responses
                .keys()
                .filter(|status| status.starts_with('2') || status.starts_with('3'))
                .count();
            assert_eq!(done, 1, "{op:?}: one answer when done");
            assert_eq!(
                responses.contains_key("401"),
                !op.kind.public() || op.kind == Kind::Login,
                "{op:?}: 401 is documented exactly where the token is needed (or checked)"
            );
            assert_eq!(
                operation["security"] == json!([]),
                op.kind.public(),
                "{op:?}"
            );
            let has_body = operation.get("requestBody").is_some();
            assert_eq!(has_body, op.kind.has_body(), "{op:?}");
            let has_header = operation["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == EXPECTED_REVISION_HEADER));
            assert_eq!(has_header, op.kind.writes_topology(), "{op:?}");
        }
    }

    /// A validator of `schema`, its references resolved against the document's components.
    fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
        let mut root = schema.clone();
        root["components"] = doc["components"].clone();
        jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{schema} compiles: {e}"))
    }

    /// The schema of a JSON answer.
    fn answer_schema<'a>(doc: &'a Value, answer: &'a Value) -> &'a Value {
        let answer = match answer["$ref"].as_str() {
            Some(r) => resolve(doc, r).expect("a response component"),
            None => answer,
        };
        &answer["content"]["application/json"]["schema"]
    }

    /// One error of every kind; the match makes a new variant a compile error here.
    fn every_api_error() -> Vec<ApiError> {
        let problems = Problems(vec![Problem {
            path: "$".into(),
            message: "x".into(),
        }]);
        let all = vec![
            ApiError::InvalidBody(problems),
            ApiError::TooLarge { size: 2, limit: 1 },
            ApiError::Conflict("c".into()),
            ApiError::Unauthorized,
            ApiError::Unavailable("u".into()),
            ApiError::Busy("b".into()),
            ApiError::NotFound("n".into()),
            ApiError::Missing("n".into()),
            ApiError::BadRequest("b".into()),
            ApiError::RequestTimeout("t".into()),
            ApiError::TypeMismatch {
                task_id: "t".into(),
                actual: "a".into(),
                asked: "b".into(),
            },
            ApiError::Internal("i".into()),
        ];
        for e in &all {
            match e {
                ApiError::InvalidBody(_)
                | ApiError::TooLarge { .. }
                | ApiError::Conflict(_)
                | ApiError::Unauthorized
                | ApiError::Unavailable(_)
                | ApiError::Busy(_)
                | ApiError::NotFound(_)
                | ApiError::Missing(_)
                | ApiError::BadRequest(_)
                | ApiError::RequestTimeout(_)
                | ApiError::TypeMismatch { .. }
                | ApiError::Internal(_) => {}
            }
        }
        all
    }

    #[test]
    fn every_error_document_fits_the_answer_of_its_status_and_no_other_code_does() {
        let doc = document().expect("the document builds");
        for e in every_api_error() {
            let status = status_code(&e).as_u16();
            let error = ERRORS
                .iter()
                .find(|a| a.status == status)
                .unwrap_or_else(|| panic!("no documented answer {status} for {e:?}"));
            let answer = &doc["components"]["responses"][error.name];
            let validator = validator(&doc, answer_schema(&doc, answer));
            assert!(validator.is_valid(&e.document()), "{e:?}: {}", e.document());
            let mut stray = e.document();
            let other = if e.code() == "INTERNAL" {
                "NOT_FOUND"
            } else {
                "INTERNAL"
            };
            stray["info"]["code"] = json!(other);
            assert!(!validator.is_valid(&stray), "{status} refuses {other}");
        }
    }

    #[test]
    fn every_example_is_valid_for_the_job_types_it_fits_and_every_body_route_has_one() {
        for (name, fits) in EXAMPLES {
            let body = example(name).unwrap_or_else(|| panic!("example {name} exists"));
            let bytes = serde_json::to_vec(&body).expect("JSON");
            for t in fits {
                let parsed = parse_body(*t, &bytes, &Limits::default());
                assert!(
                    parsed.is_ok(),
                    "{name} as {}: {:?}",
                    t.as_str(),
                    parsed.err()
                );
            }
        }
        for op in OPERATIONS {
            let takes_job = op.kind.takes_job();
            assert_eq!(op.job != Job::None, takes_job, "{op:?}");
            assert_eq!(!op.job.examples().is_empty(), takes_job, "{op:?}");
        }
    }

    #[test]
    fn a_submission_reply_fits_the_answer_of_a_submission_and_an_error_does_not() {
        let doc = document().expect("the document builds");
        let answer = &doc["paths"]["/api/jobs/{type_or_id}"]["post"]["responses"]["200"];
        let validator = validator(&doc, answer_schema(&doc, answer));
        let id = crate::service::task_id("7d8c4b2e-0000-4000-8000-000000000001").expect("a UUID");
        assert!(validator.is_valid(&submitted(&id)));
        assert!(!validator.is_valid(&ApiError::Unauthorized.document()));
    }

    /// Every kind of operation; the match makes a new variant a compile error here, so it
    /// cannot be added without a row of the table.
    #[test]
    fn every_kind_has_an_operation() {
        let all = [
            Kind::Status,
            Kind::Submit,
            Kind::Compute,
            Kind::Metrics,
            Kind::Health,
            Kind::OpenApi,
            Kind::TopologyPut,
            Kind::TopologyChange,
            Kind::TopologyGet,
            Kind::TopologyList,
            Kind::TopologyDelete,
            Kind::JobList,
            Kind::JobCancel,
            Kind::Page,
            Kind::Fragment,
            Kind::Events,
            Kind::Login,
            Kind::Redirect,
        ];
        for kind in all {
            match kind {
                Kind::Status
                | Kind::Submit
                | Kind::Compute
                | Kind::Metrics
                | Kind::Health
                | Kind::OpenApi
                | Kind::TopologyPut
                | Kind::TopologyChange
                | Kind::TopologyGet
                | Kind::TopologyList
                | Kind::TopologyDelete
                | Kind::JobList
                | Kind::JobCancel
                | Kind::Page
                | Kind::Fragment
                | Kind::Events
                | Kind::Login
                | Kind::Redirect => {}
            }
            assert!(OPERATIONS.iter().any(|op| op.kind == kind), "{kind:?}");
        }
    }

    #[test]
    fn every_path_parameter_is_described_once_by_every_operation_of_its_path() {
        let doc = document().expect("the document builds");
        for op in OPERATIONS {
            let templated: BTreeSet<&str> = op
                .path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            let parameters = doc["paths"][op.path][op.method]["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let described: Vec<&str> = parameters
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().expect("a name"))
                .collect();
            assert_eq!(
                described.iter().copied().collect::<BTreeSet<_>>(),
                templated,
                "{op:?}"
            );
            assert_eq!(described.len(), templated.len(), "{op:?}");
            assert!(
                parameters
                    .iter()
                    .all(|p| p["in"] != "path" || p["required"] == true),
                "{op:?}"
            );
            let mut names: Vec<(&str, &str)> = parameters
                .iter()
                .map(|p| (p["in"].as_str().unwrap(), p["name"].as_str().unwrap()))
                .collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), parameters.len(), "{op:?}: a parameter twice");
        }
    }

    #[test]
    fn task_lists_and_cancels_fit_their_documented_answers_and_no_other() {
        use crate::service::jobs::samples;
        let doc = document().expect("the document builds");
        let list = ok_validator(&doc, Kind::JobList);
        let cancel = ok_validator(&doc, Kind::JobCancel);
        let tasks = samples::listed();
        let answer = ok(json!({ "tasks": tasks }));
        assert_valid(&list, "a list", &answer);
        assert_valid(&list, "an empty list", &ok(json!({"tasks": []})));
        assert!(!cancel.is_valid(&answer));
        let strays = [
            json!({"tasks": [{"task_state": "PENDING"}]}),
            json!([]),
            json!({"tasks": tasks, "more": true}),
        ];
        for stray in strays {
            assert!(!list.is_valid(&ok(stray.clone())), "{stray}");
        }
        type Edit = (&'static str, fn(&mut Value));
        let edits: [Edit; 5] = [
            ("a PENDING task without stage", |t| {
                drop(t.as_object_mut().unwrap().remove("stage"))
            }),
            ("a PENDING task with a code", |t| t["code"] = json!("PANIC")),
            ("STARTED", |t| t["task_state"] = json!("STARTED")),
            ("an unknown type", |t| t["type"] = json!("bod")),
            ("an unknown member", |t| t["result"] = json!({})),
        ];
        for (what, edit) in edits {
            let mut task = tasks[0].clone();
            edit(&mut task);
            assert!(!list.is_valid(&ok(json!({"tasks": [task]}))), "{what}");
        }
        let mut failed = tasks.last().expect("a failure").clone();
        drop(failed.as_object_mut().unwrap().remove("code"));
        assert!(
            !list.is_valid(&ok(json!({"tasks": [failed]}))),
            "a FAILURE without code"
        );
        assert_valid(&cancel, "a cancel", &samples::failed_status("CANCELLED"));
        assert!(!list.is_valid(&samples::failed_status("CANCELLED")));
        assert!(!cancel.is_valid(&samples::failed_status("TIMEOUT")));
        assert!(
            !cancel.is_valid(&samples::running_status()),
            "a PENDING task is no cancel's answer"
        );
    }

    #[test]
    fn the_task_list_and_cancel_parameters_say_what_the_service_accepts() {
        use crate::service::jobs::{DEFAULT_LIMIT, MOST};
        let doc = document().expect("the document builds");
        let state = parameter_validator(&doc, Kind::JobList, "state");
        for (raw, accepted) in [
            ("PENDING", true),
            ("SUCCESS", true),
            ("FAILURE", true),
            ("STARTED", false),
            ("pending", false),
        ] {
            assert_eq!(state.is_valid(&json!(raw)), accepted, "state {raw}");
        }
        let limit = parameter_validator(&doc, Kind::JobList, "limit");
        for (n, accepted) in [
            (1, true),
            (MOST, true),
            (DEFAULT_LIMIT, true),
            (0, false),
            (MOST + 1, false),
        ] {
            assert_eq!(limit.is_valid(&json!(n)), accepted, "limit {n}");
        }
        for kind in [Kind::JobList, Kind::JobCancel] {
            let job_type = parameter_validator(&doc, kind, "type");
            for t in crate::model::JobType::ALL {
                assert!(
                    job_type.is_valid(&json!(t.as_str())),
                    "{kind:?} {}",
                    t.as_str()
                );
            }
            assert!(!job_type.is_valid(&json!("bod")), "{kind:?}");
        }
        let id = parameter_validator(&doc, Kind::JobCancel, "type_or_id");
        for raw in ["7d8c4b2e-0000-4000-8000-000000000001", "nonbod_pasta", "x"] {
            assert_eq!(
                id.is_valid(&json!(raw)),
                crate::service::task_id(raw).is_ok(),
                "{raw}"
            );
        }
        let submit = &doc["paths"]["/api/jobs/{type_or_id}"]["post"]["parameters"][0];
        assert_eq!(submit["name"], "type_or_id");
        let job_type = validator(&doc, &submit["schema"]);
        assert!(job_type.is_valid(&json!("nonbod_pasta")) && !job_type.is_valid(&json!("x")));
    }

    #[test]
    fn the_web_view_answers_html_svg_and_events_and_its_errors_as_it_does() {
        let doc = document().expect("the document builds");
        let media = |answer: &Value| -> Vec<String> {
            let answer = match answer["$ref"].as_str() {
                Some(r) => resolve(&doc, r).expect("a response component"),
                None => answer,
            };
            answer["content"]
                .as_object()
                .map(|c| c.keys().cloned().collect())
                .unwrap_or_default()
        };
        for op in OPERATIONS.iter().filter(|op| op.kind.web_view()) {
            assert!(op.path == "/ui" || op.path.starts_with("/ui/"), "{op:?}");
            let responses = &doc["paths"][op.path][op.method]["responses"];
            let ok = match op.kind {
                Kind::Page => "text/html",
                Kind::Fragment => "image/svg+xml",
                Kind::Events => "text/event-stream",
                Kind::Login | Kind::Redirect => {
                    let redirect = if op.kind == Kind::Login { "303" } else { "308" };
                    assert_eq!(
                        responses[redirect]["headers"]["Location"]["schema"]["const"],
                        "/ui/"
                    );
                    continue;
                }
                _ => unreachable!("{op:?}"),
            };
            assert_eq!(media(&responses["200"]), [ok], "{op:?}");
            assert_eq!(media(&responses["401"]), ["text/html"], "{op:?}");
            for (status, answer) in responses.as_object().expect("answers") {
                if status.starts_with('4') || status.starts_with('5') {
                    let html = op.kind == Kind::Page || status == "401";
                    let expected = if html {
                        "text/html"
                    } else {
                        "application/json"
                    };
                    assert_eq!(media(answer), [expected], "{op:?} {status}");
                }
            }
        }
        for op in OPERATIONS.iter().filter(|op| op.path.starts_with("/ui")) {
            assert!(op.kind.web_view(), "{op:?}");
        }
    }

    /// The operation of `kind` in the document.
    fn operation_of(doc: &Value, kind: Kind) -> &Value {
        let op = OPERATIONS
            .iter()
            .find(|op| op.kind == kind)
            .expect("listed");
        &doc["paths"][op.path][op.method]
    }

    /// A validator of the 200 answer of the operation of `kind`.
    fn ok_validator(doc: &Value, kind: Kind) -> jsonschema::Validator {
        let answer = &operation_of(doc, kind)["responses"]["200"];
        validator(doc, answer_schema(doc, answer))
    }

    /// A validator of the request body of the operation of `kind`.
    fn body_validator(doc: &Value, kind: Kind) -> jsonschema::Validator {
        let body = &operation_of(doc, kind)["requestBody"]["content"]["application/json"];
        validator(doc, &body["schema"])
    }

    /// A validator of the parameter `name` of the operation of `kind`.
    fn parameter_validator(doc: &Value, kind: Kind, name: &str) -> jsonschema::Validator {
        let parameters = operation_of(doc, kind)["parameters"]
            .as_array()
            .expect("parameters");
        let parameter = parameters
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{kind:?} has {name}"));
        validator(doc, &parameter["schema"])
    }

    fn assert_valid(validator: &jsonschema::Validator, what: &str, doc: &Value) {
        let errors: Vec<String> = validator
            .iter_errors(doc)
            .map(|e| format!("  at {}: {e}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what} violates its schema:\n{}\ndocument: {doc}",
            errors.join("\n")
        );
    }

    /// The nodes and links of the seed example, as a topology document (the policy dropped).
    fn seed_topology() -> Value {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/seed-example/request.json");
        let text = std::fs::read_to_string(&path).expect("the seed example");
        let body: Value = serde_json::from_str(&text).expect("JSON");
        json!({"nodes": body["nodes"], "links": body["links"]})
    }

    fn network(doc: &Value) -> Network {
        let bytes = serde_json::to_vec(doc).expect("JSON");
        Network::from_slice(&bytes, &Limits::default()).expect("a valid topology")
    }

    /// What `GET /api/topologies/{name}` answers for a revision of `net`, as the service
    /// writes it.
    fn get_answer(name: &str, revision: u64, net: &Network) -> Value {
        let mut text =
            format!(r#"{{"status":true,"info":[],"data":{{"name":"{name}","revision":{revision},"#)
                .into_bytes();
        text.extend_from_slice(&wire::render_members(net));
        text.extend_from_slice(b"}}");
        serde_json::from_slice(&text).expect("JSON")
    }

    fn ok(data: Value) -> Value {
        json!({"status": true, "info": [], "data": data})
    }

    #[test]
    fn the_topology_examples_fit_their_bodies_and_the_service_accepts_them() {
        let doc = document().expect("the document builds");
        let put = body_validator(&doc, Kind::TopologyPut);
        let patch = body_validator(&doc, Kind::TopologyChange);
        let limits = Limits::default();
        let triangle = network(&topology_example());
        let applied = change::apply(&triangle, &change_example(), &limits).expect("applies");
        assert_eq!(applied.applied, 4);
        assert_eq!(applied.network.nodes.len(), 4);
        for (what, body) in [("triangle", topology_example()), ("seed", seed_topology())] {
            assert_valid(&put, what, &body);
            assert!(!patch.is_valid(&body), "{what} is no change document");
        }
        assert_valid(&put, "a reference", &json!({"$ref": "body/7d8c4b2e"}));
        assert_valid(&patch, "the change example", &change_example());
        let documented = &operation_of(&doc, Kind::TopologyChange)["requestBody"]["content"]
            ["application/json"]["examples"]["grow"]["value"];
        assert_eq!(documented, &change_example());
    }

    #[test]
    fn change_documents_of_every_op_fit_the_change_body_and_apply() {
        let doc = document().expect("the document builds");
        let patch = body_validator(&doc, Kind::TopologyChange);
        let seed = seed_topology();
        let net = network(&seed);
        let (node, link) = (&seed["nodes"][0], &seed["links"][0]);
        let (node_id, link_id) = (node["id"].clone(), link["id"].clone());
        let mut moved = node.clone();
        moved["pos"] = json!({"lat": 48.85, "lon": 2.35});
        let changes = json!({"changes": [
            {"op": "upsert_node", "node": moved},
            {"op": "upsert_link", "link": link},
            {"op": "patch_node", "id": node_id, "set": {"ip": null, "pos": {"lat": 10}}},
            {"op": "patch_link", "id": link_id, "set": {"bandwidth": 40, "qos_class": []}},
            {"op": "remove_link", "id": link_id},
            {"op": "remove_node", "id": node_id},
        ]});
        assert_valid(&patch, "every op", &changes);
        let applied = change::apply(&net, &changes, &Limits::default()).expect("applies");
        assert_eq!(applied.applied, 6);
        let answer = ok(json!({
            "name": "core", "revision": 7, "applied": applied.applied,
            "removed_links": applied.removed_links,
        }));
        assert!(!applied.removed_links.is_empty(), "P1 had links");
        assert_valid(
            &ok_validator(&doc, Kind::TopologyChange),
            "a change's answer",
            &answer,
        );
        for stray in [
            json!({"changes": []}),
            json!({"changes": [{"op": "rename_node", "id": "P1"}]}),
            json!({"changes": [{"op": "remove_node"}]}),
            json!({"changes": [{"op": "patch_link", "id": "x", "set": 3}]}),
            json!({"changes": [{"op": "upsert_link", "link": {"id": "x"}}]}),
        ] {
            assert!(!patch.is_valid(&stray), "{stray}");
            let refused = change::apply(&net, &stray, &Limits::default());
            assert!(refused.is_err(), "the service refuses {stray} too");
        }
    }

    #[test]
    fn topology_answers_fit_their_documented_answers_and_no_other() {
        let doc = document().expect("the document builds");
        let kinds = [
            Kind::TopologyPut,
            Kind::TopologyChange,
            Kind::TopologyGet,
            Kind::TopologyList,
            Kind::TopologyDelete,
        ];
        let seed = network(&seed_topology());
        let triangle = network(&topology_example());
        let answers = [
            (
                Kind::TopologyPut,
                ok(json!({"name": "core", "revision": 3})),
            ),
            (
                Kind::TopologyChange,
                ok(json!({"name": "core", "revision": 4, "applied": 1, "removed_links": []})),
            ),
            (Kind::TopologyGet, get_answer("core", 3, &seed)),
            (Kind::TopologyGet, get_answer("core-2", 1, &triangle)),
            (
                Kind::TopologyList,
                ok(json!([
                    {"name": "core", "revision": 3, "nodes": 6, "links": 14,
                     "updated_at": "2026-12-06T10:00:00.123Z"},
                    {"name": "edge_1", "revision": 1, "nodes": 0, "links": 0,
                     "updated_at": "2025-01-31T12:00:00.123Z"},
                ])),
            ),
            (Kind::TopologyList, ok(json!([]))),
            (Kind::TopologyDelete, ok(json!({"name": "core"}))),
        ];
        for (kind, answer) in &answers {
            for other in kinds {
                let valid = ok_validator(&doc, other).is_valid(answer);
                if other == *kind {
                    assert_valid(&ok_validator(&doc, other), &format!("{kind:?}"), answer);
                } else {
                    assert!(
                        !valid,
                        "the {other:?} answer accepts that of {kind:?}: {answer}"
                    );
                }
            }
        }
        let get = ok_validator(&doc, Kind::TopologyGet);
        let mut stray = get_answer("core", 3, &seed);
        stray["data"]["links"][0]["lo"] = json!(7);
        assert!(!get.is_valid(&stray));
        let mut stray = get_answer("core", 3, &seed);
        stray["data"]["revision"] = json!(0);
        assert!(!get.is_valid(&stray));
        assert!(!get.is_valid(&ApiError::Missing("no topology core".into()).document()));
    }

    #[test]
    fn the_topology_parameters_say_what_the_service_accepts() {
        let doc = document().expect("the document builds");
        let name = parameter_validator(&doc, Kind::TopologyGet, "name");
        let long = "a".repeat(64);
        let too_long = "a".repeat(65);
        let names = [
            "core", "A-b_9", "-", &long, &too_long, "", "put", "change", "delete", "get", "list",
            "changed", "Put", "a.b", "a b", "é",
        ];
        for raw in names {
            assert_eq!(
                name.is_valid(&json!(raw)),
                topology_name(raw).is_ok(),
                "name {raw:?}"
            );
        }
        for kind in [
            Kind::TopologyPut,
            Kind::TopologyChange,
            Kind::TopologyDelete,
        ] {
            let header = parameter_validator(&doc, kind, EXPECTED_REVISION_HEADER);
            for value in [json!(0), json!(1), json!(u64::MAX)] {
                assert!(header.is_valid(&value), "{kind:?} {value}");
                let text = value.to_string();
                assert!(expected_revision(Some(&text)).is_ok(), "{text}");
            }
            for value in [json!(-1), json!(1.5), json!("x")] {
                assert!(!header.is_valid(&value), "{kind:?} {value}");
            }
            assert!(expected_revision(Some("-1")).is_err());
        }
        let revision = parameter_validator(&doc, Kind::TopologyGet, "revision");
        assert!(revision.is_valid(&json!(1)) && revision.is_valid(&json!(u64::MAX)));
        assert!(!revision.is_valid(&json!(0)) && !revision.is_valid(&json!(-1)));
    }
}
