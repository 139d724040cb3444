//! The service's documents against their JSON Schemas in `schemas/`, built by the functions that
//! build them on the wire: status documents of every state ([`status::document`]), error
//! documents of every [`ApiError`] ([`ApiError::document`]), completion events
//! ([`crate::bus::worker::started_event`], [`crate::bus::worker::final_event`]), the submission
//! reply ([`status::submitted`]), task lists ([`crate::task::recent::Listed`]); and the status
//! request's schema against what [`task_id`]/[`job_type`] accept. Each schema is also shown to reject a document that strays
//! from it, so none is vacuous.

use std::collections::BTreeSet;
use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::super::{job_type, status, task_id, ApiError};
use crate::model::{JobType, Limits, Problem, Problems};
use crate::task::events::{final_event, started_event};
use crate::task::{now, FailureCode, TaskFailure, TaskId, TaskRecord};

/// The schemas of the service's documents (the result and request schemas are tested with the
/// engine and the model).
const SCHEMAS: [&str; 7] = [
    "status.schema.json",
    "job-list.schema.json",
    "error.schema.json",
    "event.schema.json",
    "submit-reply.schema.json",
    "status-request.schema.json",
    "topology.schema.json",
];

/// Where the schemas live: the base of their `$id`s, and the URI of one that has none
/// (`request.schema.json`, which others name by a relative reference).
const SCHEMA_BASE: &str = "https://pasta.invalid/schemas/";

const ID: &str = "7d8c4b2e-0000-4000-8000-000000000001";
const AT: &str = "2025-01-31T12:00:00.123Z";

fn read_schema(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A validator for one schema file, every other schema of `schemas/` registered under its `$id`,
/// or under [`SCHEMA_BASE`] and its file name when it has none (they refer to each other by
/// relative references, resolved against their `$id`).
fn validator(name: &str) -> jsonschema::Validator {
    validator_of(&read_schema(name), name)
}

/// A validator of `schema` (named `what`), the schemas of `schemas/` registered as by
/// [`validator`].
fn validator_of(schema: &Value, what: &str) -> jsonschema::Validator {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("schemas/")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|f| f.ends_with(".schema.json"))
        .collect();
    files.sort();
    let resources: Vec<(String, Value)> = files
        .iter()
        .map(|f| {
            let s = read_schema(f);
            let id = s["$id"]
                .as_str()
                .map_or_else(|| format!("{SCHEMA_BASE}{f}"), str::to_owned);
            (id, s)
        })
        .collect();
    let registry = jsonschema::Registry::new()
        .extend(resources)
        .expect("schema ids are URIs")
        .prepare()
        .expect("the schemas resolve");
    jsonschema::options()
        .with_registry(&registry)
        .build(schema)
        .unwrap_or_else(|e| panic!("{what} does not compile: {e}"))
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

/// A document as the record keeps it: JSON text.
fn raw(v: &Value) -> Box<serde_json::value::RawValue> {
    serde_json::value::to_raw_value(v).expect("JSON")
}

/// [`status::document`] as a tree, to look into and edit.
fn status_tree(record: &TaskRecord, result: Option<Value>) -> Value {
    let text = status::document(record, result.as_ref().map(raw));
    serde_json::from_str(text.get()).expect("a status document is JSON")
}

/// The task id of these documents.
fn id() -> TaskId {
    TaskId::parse(ID).expect("a UUID")
}

/// A failure with this code and reason.
fn failure(code: FailureCode, message: &str) -> TaskFailure {
    TaskFailure::new(code, message)
}

fn record() -> TaskRecord {
    TaskRecord::pending(&id(), "nonbod_pasta", "digest", AT)
}

/// The seed example's result document, as a worker computes it.
fn seed_result() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed-example/request.json");
    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (job, _) =
        super::super::parse_body(JobType::NonbodPasta, &body, &Limits::default()).expect("valid");
    let text = crate::task::compute::compute(&job).expect("computes");
    serde_json::from_str(text.get()).expect("a result is JSON")
}

/// One error of every kind; the match makes a new variant a compile error here, so it cannot be
/// added without its schema code.
fn every_api_error() -> Vec<ApiError> {
    let problems = Problems(vec![
        Problem {
            path: "sr_policy.he".into(),
            message: "node \"P9\" does not exist".into(),
        },
        Problem {
            path: "$".into(),
            message: "x".into(),
        },
    ]);
    let all = vec![
        ApiError::InvalidBody(problems),
        ApiError::TooLarge {
            size: 100,
            limit: 10,
        },
        ApiError::Conflict("task exists with another type or body".into()),
        ApiError::Unauthorized,
        ApiError::Unavailable("the job queue is full".into()),
        ApiError::Busy("the body budget is spent".into()),
        ApiError::NotFound(ID.into()),
        ApiError::Missing("no topology core".into()),
        ApiError::BadRequest("type is missing".into()),
        ApiError::TypeMismatch {
            task_id: ID.into(),
            actual: "bod_pasta".into(),
            asked: "nonbod_pasta".into(),
        },
        ApiError::RequestTimeout("the request body did not arrive within 30s".into()),
        ApiError::Internal("oops".into()),
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
            | ApiError::TypeMismatch { .. }
            | ApiError::RequestTimeout(_)
            | ApiError::Internal(_) => {}
        }
    }
    all
}

#[test]
fn the_document_schemas_are_valid_draft_2020_12_schemas() {
    for name in SCHEMAS {
        let schema = read_schema(name);
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        if let Err(e) = jsonschema::meta::validate(&schema) {
            panic!("{name} is not a valid JSON Schema: {e}");
        }
        validator(name);
    }
}

#[test]
fn status_documents_of_every_state_are_valid_under_the_status_schema() {
    let v = validator("status.schema.json");
    let queued = record();
    let running = queued.started(2, AT);
    let result = seed_result();
    let inline = running.succeeded(Some(raw(&result)), None, 1.5, AT);
    let text = serde_json::to_vec(&result).unwrap();
    let blob = crate::task::ResultBlob::of(format!("result/{ID}"), &text);
    let apart = running.succeeded(None, Some(blob.clone()), 1.5, AT);
    assert_valid(&v, "queued", &status_tree(&queued, None));
    assert_valid(&v, "running", &status_tree(&running, None));
    assert_valid(&v, "success", &status_tree(&inline, None));
    assert_valid(
        &v,
        "success, result stored apart",
        &status_tree(&apart, Some(result)),
    );
    let named = serde_json::json!({"$ref": blob.name, "size": blob.size, "sha256": blob.sha256});
    assert_valid(
        &v,
        "success, result named (too large for one NATS message)",
        &status_tree(&apart, Some(named)),
    );
    for code in FailureCode::ALL {
        let failed = running.failed(failure(code, &format!("{code} happened")), AT);
        assert_valid(&v, code.as_str(), &status_tree(&failed, None));
    }
    let never_started = queued.failed(
        failure(FailureCode::InvalidBody, "the body bypassed submission"),
        AT,
    );
    assert_valid(
        &v,
        "failed before starting",
        &status_tree(&never_started, None),
    );
    for e in [
        ApiError::NotFound(ID.into()),
        ApiError::BadRequest("task_id is missing".into()),
        ApiError::TypeMismatch {
            task_id: ID.into(),
            actual: "bod_pasta".into(),
            asked: "nonbod_pasta".into(),
        },
        ApiError::Unavailable("JetStream did not answer".into()),
    ] {
        assert_valid(&v, e.code(), &e.document());
    }
}

#[test]
fn status_documents_of_tasks_on_a_held_topology_name_it_and_are_valid() {
    let v = validator("status.schema.json");
    let on = crate::model::topology::Pinned {
        name: "core".into(),
        revision: 7,
    };
    let queued = record().on(Some(on));
    let running = queued.started(1, AT);
    let done = running.succeeded(Some(raw(&seed_result())), None, 1.5, AT);
    let failed = running.failed(failure(FailureCode::Timeout, "too long"), AT);
    for (what, r) in [
        ("queued", &queued),
        ("running", &running),
        ("success", &done),
        ("failure", &failed),
    ] {
        let doc = status_tree(r, None);
        assert_valid(&v, what, &doc);
        assert_eq!(
            doc["data"]["topology"],
            serde_json::json!({"name": "core", "revision": 7})
        );
        let keys: Vec<&String> = doc["data"].as_object().unwrap().keys().collect();
        assert_eq!(
            keys[..2],
            ["task_id", "topology"],
            "{what}: the topology follows task_id"
        );
    }
}

#[test]
fn the_status_schema_rejects_documents_that_stray_from_it() {
    let v = validator("status.schema.json");
    let running = record().started(1, AT);
    let success = status_tree(
        &running.succeeded(Some(raw(&seed_result())), None, 1.0, AT),
        None,
    );
    let pending = status_tree(&running, None);
    let failed = status_tree(
        &running.failed(failure(FailureCode::Panic, "boom"), AT),
        None,
    );
    type Edit = (&'static str, fn(&mut Value));
    let edits: Vec<(&Value, Edit)> = vec![
        (&pending, ("an unknown member", |d| d["extra"] = json!(1))),
        (
            &pending,
            ("an unknown member of data", |d| {
                d["data"]["extra"] = json!(1)
            }),
        ),
        (
            &pending,
            ("no progress", |d| {
                drop(d["data"].as_object_mut().unwrap().remove("progress"))
            }),
        ),
        (
            &pending,
            ("an unknown stage", |d| {
                d["data"]["progress"]["stage"] = json!("waiting")
            }),
        ),
        (
            &pending,
            ("task_state STARTED", |d| {
                d["data"]["task_state"] = json!("STARTED")
            }),
        ),
        (
            &pending,
            ("task_status differing from task_state", |d| {
                d["data"]["task_status"] = json!("SUCCESS")
            }),
        ),
        (
            &pending,
            ("a task id that is not a UUID", |d| {
                d["data"]["task_id"] = json!("42")
            }),
        ),
        (
            &success,
            ("no task_status", |d| {
                drop(d["data"].as_object_mut().unwrap().remove("task_status"))
            }),
        ),
        (
            &success,
            ("a null result", |d| d["data"]["data"] = Value::Null),
        ),
        (
            &success,
            ("a result item without attr_worst", |d| {
                let item = &mut d["data"]["data"]["data"][0]["data"];
                drop(item.as_object_mut().unwrap().remove("attr_worst"))
            }),
        ),
        (
            &success,
            ("a result with an unknown member", |d| {
                d["data"]["data"]["data"][0]["data"]["extra"] = json!(1)
            }),
        ),
        (
            &failed,
            ("no error", |d| {
                drop(d["data"].as_object_mut().unwrap().remove("error"))
            }),
        ),
        (
            &failed,
            ("an unknown failure code", |d| {
                d["data"]["error"]["code"] = json!("OOPS")
            }),
        ),
        (
            &failed,
            ("a failure with data", |d| d["data"]["data"] = json!({})),
        ),
    ];
    for (doc, (what, edit)) in edits {
        assert!(v.is_valid(doc));
        let mut doc = doc.clone();
        edit(&mut doc);
        assert!(!v.is_valid(&doc), "the status schema accepts {what}: {doc}");
    }
}

#[test]
fn every_error_document_is_valid_under_the_error_schema_which_knows_every_code() {
    let v = validator("error.schema.json");
    let mut codes = BTreeSet::new();
    for e in every_api_error() {
        assert_valid(&v, e.code(), &e.document());
        codes.insert(e.code().to_owned());
    }
    let invalid =
        super::super::parse_body(JobType::BodPasta, br#"{"nodes": 1}"#, &Limits::default())
            .expect_err("an invalid body");
    assert_valid(&v, "a parser's INVALID_BODY", &invalid.document());
    let not_json = super::super::parse_body(JobType::BodPasta, b"{", &Limits::default())
        .expect_err("not JSON");
    assert_valid(&v, "not JSON", &not_json.document());
    let schema = read_schema("error.schema.json");
    let in_schema: BTreeSet<String> = schema["properties"]["info"]["properties"]["code"]["enum"]
        .as_array()
        .expect("an enum of codes")
        .iter()
        .map(|c| c.as_str().expect("a code").to_owned())
        .collect();
    assert_eq!(
        in_schema, codes,
        "error.schema.json codes vs ApiError codes"
    );
}

#[test]
fn the_error_schema_rejects_documents_that_stray_from_it() {
    let v = validator("error.schema.json");
    let invalid = every_api_error().remove(0).document();
    let other = ApiError::NotFound(ID.into()).document();
    type Edit = (&'static str, fn(&mut Value));
    let edits: Vec<(&Value, Edit)> = vec![
        (&other, ("an unknown member", |d| d["extra"] = json!(1))),
        (&other, ("status true", |d| d["status"] = json!(true))),
        (
            &other,
            ("an unknown code", |d| d["info"]["code"] = json!("GONE")),
        ),
        (
            &other,
            ("no message", |d| {
                drop(d["info"].as_object_mut().unwrap().remove("message"))
            }),
        ),
        (
            &other,
            ("problems on another code", |d| {
                d["info"]["problems"] = json!([{"path": "$", "message": "m"}])
            }),
        ),
        (
            &other,
            ("data that is not empty", |d| {
                d["data"] = json!({"task_id": ID})
            }),
        ),
        (
            &invalid,
            ("INVALID_BODY without problems", |d| {
                drop(d["info"].as_object_mut().unwrap().remove("problems"))
            }),
        ),
        (
            &invalid,
            ("a problem without path", |d| {
                drop(
                    d["info"]["problems"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("path"),
                )
            }),
        ),
        (
            &invalid,
            ("a problem with an unknown member", |d| {
                d["info"]["problems"][0]["line"] = json!(1)
            }),
        ),
    ];
    for (doc, (what, edit)) in edits {
        assert!(v.is_valid(doc));
        let mut doc = doc.clone();
        edit(&mut doc);
        assert!(!v.is_valid(&doc), "the error schema accepts {what}: {doc}");
    }
}

#[test]
fn completion_events_of_every_state_are_valid_under_the_event_schema() {
    let v = validator("event.schema.json");
    for t in JobType::ALL {
        assert_valid(&v, "started", &started_event(&id(), t, 1, AT));
        let running = TaskRecord::pending(&id(), t.as_str(), "d", AT).started(3, AT);
        let success = running.succeeded(Some(raw(&json!({}))), None, 12.5, AT);
        assert_valid(&v, "success", &final_event(t, &success));
        for code in FailureCode::ALL {
            let failed = running.failed(failure(code, "m"), AT);
            assert_valid(&v, code.as_str(), &final_event(t, &failed));
        }
    }
    // An invalid body published straight to the job subject fails before any attempt.
    let adopted = record().failed(failure(FailureCode::InvalidBody, "bypassed"), &now());
    assert_valid(&v, "adopted", &final_event(JobType::NonbodPasta, &adopted));
    assert_valid(
        &v,
        "now",
        &started_event(&id(), JobType::BodReopt, 2, &now()),
    );
    let schema = read_schema("event.schema.json");
    let types: BTreeSet<&str> = schema["properties"]["type"]["enum"]
        .as_array()
        .expect("an enum")
        .iter()
        .map(|t| t.as_str().expect("a name"))
        .collect();
    assert_eq!(
        types,
        JobType::ALL.map(JobType::as_str).into(),
        "event types"
    );
}

#[test]
fn the_event_schema_rejects_events_that_stray_from_it() {
    let v = validator("event.schema.json");
    let running = record().started(1, AT);
    let started = started_event(&id(), JobType::NonbodPasta, 1, AT);
    let success = final_event(
        JobType::NonbodPasta,
        &running.succeeded(None, None, 1.0, AT),
    );
    let failed = final_event(
        JobType::NonbodPasta,
        &running.failed(failure(FailureCode::Timeout, "m"), AT),
    );
    type Edit = (&'static str, fn(&mut Value));
    let edits: Vec<(&Value, Edit)> = vec![
        (&started, ("an unknown member", |d| d["extra"] = json!(1))),
        (
            &started,
            ("time_ms on started", |d| d["time_ms"] = json!(1.0)),
        ),
        (
            &started,
            ("an unknown type", |d| d["type"] = json!("pasta")),
        ),
        (
            &started,
            ("a local time", |d| d["at"] = json!("2025-01-31 12:00:00")),
        ),
        (
            &started,
            ("no attempt", |d| {
                drop(d.as_object_mut().unwrap().remove("attempt"))
            }),
        ),
        (
            &success,
            ("no time_ms on success", |d| {
                drop(d.as_object_mut().unwrap().remove("time_ms"))
            }),
        ),
        (
            &success,
            ("an error on success", |d| {
                d["error"] = json!({"code": "PANIC", "message": "m"})
            }),
        ),
        (
            &success,
            ("a lower-case state", |d| d["task_state"] = json!("success")),
        ),
        (
            &failed,
            ("no error on failure", |d| {
                drop(d.as_object_mut().unwrap().remove("error"))
            }),
        ),
        (
            &failed,
            ("an unknown failure code", |d| {
                d["error"]["code"] = json!("NOT_FOUND")
            }),
        ),
    ];
    for (doc, (what, edit)) in edits {
        assert!(v.is_valid(doc));
        let mut doc = doc.clone();
        edit(&mut doc);
        assert!(!v.is_valid(&doc), "the event schema accepts {what}: {doc}");
    }
}

#[test]
fn submission_replies_are_valid_under_the_submit_reply_schema() {
    let v = validator("submit-reply.schema.json");
    let id = TaskId::new();
    assert_valid(&v, "submitted", &status::submitted(&id));
    for e in every_api_error() {
        assert_valid(&v, e.code(), &e.document());
    }
    let mut extra = status::submitted(&id);
    extra["data"]["type"] = json!("bod_pasta");
    assert!(!v.is_valid(&extra), "an unknown member is accepted");
    let mut not_a_uuid = status::submitted(&id);
    not_a_uuid["data"]["task_id"] = json!("42");
    assert!(!v.is_valid(&not_a_uuid), "a task id that is not a UUID");
    assert!(
        !v.is_valid(&json!({"status": true, "info": [], "data": {}})),
        "no task id"
    );
}

#[test]
fn the_status_request_schema_names_what_the_service_reads() {
    let v = validator("status-request.schema.json");
    let schema = read_schema("status-request.schema.json");
    let types: BTreeSet<&str> = schema["properties"]["type"]["enum"]
        .as_array()
        .expect("an enum")
        .iter()
        .map(|t| t.as_str().expect("a name"))
        .collect();
    assert_eq!(
        types,
        JobType::ALL.map(JobType::as_str).into(),
        "request types"
    );
    for t in JobType::ALL {
        let request = json!({"task_id": ID, "type": t.as_str()});
        assert!(v.is_valid(&request), "{request}");
        assert!(job_type(t.as_str()).is_ok());
    }
    for bad in [
        json!({"task_id": ID}),
        json!({"type": "bod_pasta"}),
        json!({"task_id": "42", "type": "bod_pasta"}),
        json!({"task_id": ID, "type": "bod"}),
        json!({"task_id": 7, "type": "bod_pasta"}),
    ] {
        assert!(!v.is_valid(&bad), "the schema accepts {bad}");
        let id = bad["task_id"].as_str().map(task_id);
        let t = bad["type"].as_str().map(job_type);
        let accepted = matches!((id, t), (Some(Ok(_)), Some(Ok(_))));
        assert!(!accepted, "the service accepts {bad}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Surrounding blanks are spaces and tabs: the schema's `\s` is ECMA-262's, which lacks some
    /// of the Unicode white space `str::trim` removes (U+0085), so the service accepts more.
    #[test]
    fn every_task_id_the_status_request_schema_accepts_is_accepted_by_the_service(
        id in "[ \\t]{0,2}[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}[ \\t]{0,2}",
    ) {
        let v = validator("status-request.schema.json");
        let request = json!({"task_id": id, "type": "bod_pasta"});
        prop_assert!(v.is_valid(&request), "the schema refuses {}", request);
        let normalised = task_id(&id);
        prop_assert!(normalised.is_ok(), "{id:?} refused");
        // What the service answers with is the canonical form the other schemas require.
        let doc = status::submitted(&normalised.expect("checked"));
        prop_assert!(validator("submit-reply.schema.json").is_valid(&doc), "invalid reply {}", doc);
    }
}

/// A validator of `$defs/<def>` of `topology.schema.json`.
fn topology_def(def: &str) -> jsonschema::Validator {
    let reference = format!("{SCHEMA_BASE}topology.schema.json#/$defs/{def}");
    validator_of(&json!({ "$ref": reference }), def)
}

/// The nodes and links of the seed example, as a topology document, and its network.
fn seed_topology() -> (Value, crate::model::Network) {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed-example/request.json");
    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let net = crate::model::Network::from_slice(&body, &Limits::default()).expect("valid");
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    (json!({"nodes": body["nodes"], "links": body["links"]}), net)
}

#[test]
fn topology_documents_and_answers_are_valid_under_the_topology_schema() {
    use crate::model::topology::{change, wire};
    let v = validator("topology.schema.json");
    let (doc, net) = seed_topology();
    assert_valid(&topology_def("Topology"), "the seed topology", &doc);
    let rendered: Value = serde_json::from_slice(&wire::render(&net)).expect("JSON");
    assert_valid(&topology_def("Topology"), "a revision as kept", &rendered);
    let (node, link) = (&doc["nodes"][1], &doc["links"][2]);
    let changes = json!({"changes": [
        {"op": "patch_link", "id": link["id"], "set": {"traffic_flow": 5, "srlg": null}},
        {"op": "upsert_node", "node": {"id": "P7", "sid": 60007, "pos": {"x": 0, "y": 1}}},
        {"op": "upsert_link", "link": {"id": "P7-1", "lo": "P7", "re": "P1", "sid": 39001}},
        {"op": "patch_node", "id": "P7", "set": {"pos": {"y": 2}}},
        {"op": "remove_link", "id": "P7-1"},
        {"op": "remove_node", "id": node["id"]},
    ]});
    assert_valid(&topology_def("Change"), "a change of every op", &changes);
    let applied = change::apply(&net, &changes, &Limits::default()).expect("applies");
    // What get answers: the service writes the members of the wire form after name and revision.
    let mut get = br#"{"status":true,"info":[],"data":{"name":"core","revision":2,"#.to_vec();
    get.extend_from_slice(&wire::render_members(&applied.network));
    get.extend_from_slice(b"}}");
    let get: Value = serde_json::from_slice(&get).expect("JSON");
    let ok = |data: Value| json!({"status": true, "info": [], "data": data});
    let answers = [
        ("put", ok(json!({"name": "core", "revision": 1}))),
        (
            "change",
            ok(
                json!({"name": "core", "revision": 2, "applied": applied.applied,
                      "removed_links": applied.removed_links}),
            ),
        ),
        ("get", get.clone()),
        (
            "get exported over NATS",
            ok(
                json!({"name": "core", "revision": 2, "$ref": "export/core/2", "size": 10,
                      "sha256": "0".repeat(64)}),
            ),
        ),
        (
            "list",
            ok(
                json!([{"name": "core", "revision": 2, "nodes": applied.network.nodes.len(),
                       "links": applied.network.links.len(), "updated_at": now()}]),
            ),
        ),
        ("delete", ok(json!({"name": "core"}))),
    ];
    for (what, answer) in &answers {
        assert_valid(&v, what, answer);
    }
    assert_valid(&topology_def("TopologyDocument"), "get", &get["data"]);
    for e in every_api_error() {
        assert_valid(&v, "an error", &e.document());
    }
    type Edit = (&'static str, fn(&mut Value));
    let edits: [Edit; 5] = [
        ("an unknown member", |d| d["data"]["extra"] = json!(1)),
        ("a reserved name", |d| d["data"]["name"] = json!("changed")),
        ("revision 0", |d| d["data"]["revision"] = json!(0)),
        ("a link without lo", |d| {
            drop(d["data"]["links"][0].as_object_mut().unwrap().remove("lo"))
        }),
        ("info not empty", |d| d["info"] = json!(["x"])),
    ];
    for (what, edit) in edits {
        let mut stray = get.clone();
        edit(&mut stray);
        assert!(!v.is_valid(&stray), "the schema accepts {what}: {stray}");
    }
    let op = |o: Value| json!({ "changes": [o] });
    for stray in [
        json!({"changes": []}),
        op(json!({"op": "move_node", "id": "P1"})),
        op(json!({"op": "remove_link"})),
        op(json!({"op": "patch_node", "id": "P1", "set": [1]})),
        op(json!({"op": "upsert_node", "node": {"sid": 1}})),
    ] {
        assert!(!topology_def("Change").is_valid(&stray), "{stray}");
        assert!(
            change::apply(&net, &stray, &Limits::default()).is_err(),
            "{stray}"
        );
    }
}

/// The list answer of these records, as the service writes it.
fn task_list(records: &[TaskRecord]) -> Value {
    use crate::task::recent::Listed;
    let tasks: Vec<Listed> = records.iter().map(Listed::of).collect();
    json!({"status": true, "info": [], "data": {"tasks": tasks}})
}

#[test]
fn task_lists_of_every_state_are_valid_under_the_job_list_schema() {
    let v = validator("job-list.schema.json");
    let queued = record();
    let on = crate::model::topology::Pinned {
        name: "core".into(),
        revision: 7,
    };
    let running = record().on(Some(on)).started(2, AT);
    let done = running.succeeded(Some(raw(&seed_result())), None, 1.5, AT);
    let mut records = vec![queued.clone(), running.clone(), done];
    for code in FailureCode::ALL {
        records.push(running.failed(failure(code, "why"), AT));
    }
    records.push(queued.failed(failure(FailureCode::Cancelled, "cancelled"), AT));
    let list = task_list(&records);
    assert_valid(&v, "a list of every state", &list);
    assert_eq!(
        list["data"]["tasks"][1]["topology"],
        json!({"name": "core", "revision": 7})
    );
    assert_eq!(list["data"]["tasks"][1]["stage"], "running");
    assert_valid(&v, "an empty list", &task_list(&[]));
    for e in [
        ApiError::BadRequest("state \"x\" is not one of PENDING, SUCCESS, FAILURE".into()),
        ApiError::Unavailable("this process does not follow the task records".into()),
    ] {
        assert_valid(&v, e.code(), &e.document());
    }
}

#[test]
fn the_job_list_schema_rejects_lists_that_stray_from_it() {
    let v = validator("job-list.schema.json");
    let running = record().started(1, AT);
    let records = [
        record(),
        running.clone(),
        running.succeeded(None, None, 2.0, AT),
        running.failed(failure(FailureCode::Cancelled, "cancelled"), AT),
    ];
    let list = task_list(&records);
    type Edit = (&'static str, fn(&mut Value));
    let edits: [Edit; 12] = [
        ("a queued task without stage", |d| {
            drop(
                d["data"]["tasks"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("stage"),
            )
        }),
        ("a queued task finished", |d| {
            d["data"]["tasks"][0]["finished_at"] = json!(AT)
        }),
        ("a running task with a code", |d| {
            d["data"]["tasks"][1]["code"] = json!("PANIC")
        }),
        ("an unknown stage", |d| {
            d["data"]["tasks"][1]["stage"] = json!("started")
        }),
        ("a success with a stage", |d| {
            d["data"]["tasks"][2]["stage"] = json!("running")
        }),
        ("a success without its time", |d| {
            drop(
                d["data"]["tasks"][2]
                    .as_object_mut()
                    .unwrap()
                    .remove("time_ms"),
            )
        }),
        ("a failure without code", |d| {
            drop(
                d["data"]["tasks"][3]
                    .as_object_mut()
                    .unwrap()
                    .remove("code"),
            )
        }),
        ("an unknown code", |d| {
            d["data"]["tasks"][3]["code"] = json!("KILLED")
        }),
        ("STARTED", |d| {
            d["data"]["tasks"][1]["task_state"] = json!("STARTED")
        }),
        ("an upper-case id", |d| {
            d["data"]["tasks"][0]["task_id"] = json!(ID.to_uppercase())
        }),
        ("an unknown member", |d| {
            d["data"]["tasks"][0]["result"] = json!({})
        }),
        ("the tasks not in data", |d| {
            d["data"] = d["data"]["tasks"].clone()
        }),
    ];
    for (what, edit) in edits {
        let mut stray = list.clone();
        edit(&mut stray);
        assert!(!v.is_valid(&stray), "the schema accepts {what}: {stray}");
    }
}
