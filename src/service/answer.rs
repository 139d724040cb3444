//! The answers of the NATS service: what the responder's requests mean, as replies (the same
//! documents as the HTTP bridge's; an error's reply also names its code and description for the
//! micro protocol's error headers).

use std::borrow::Cow;

use serde::Deserialize;

use bytes::Bytes;

use super::{status, topology, ApiError, Service};
use crate::bus::responder::{Reply, Request, ServiceError, TopologyOp};

impl Service {
    /// The reply to a request of the NATS service: the document, and for an error its code
    /// and description for the ADR-32 headers.
    pub async fn answer(&self, request: Request) -> Reply {
        let answered = match request {
            Request::Submit {
                job_type,
                body,
                task_id,
            } => {
                // The body has arrived: one the budget has no room for now is refused now,
                // so that no payload waits in memory.
                let submitted = match self.try_admit(body.len()) {
                    Ok(ticket) => {
                        let body = ticket.body(body);
                        self.submit(job_type, body, task_id.as_deref()).await
                    }
                    Err(busy) => Err(busy),
                };
                submitted.map(|id| document(&status::submitted(&id)))
            }
            Request::Status { query } => {
                let query = serde_json::from_slice::<StatusQuery>(&query).unwrap_or_default();
                let (id, t) = (query.task_id.as_deref(), query.job_type.as_deref());
                // A NATS reply must fit in one message: a large result is named, not inlined.
                let fit = self.tasks.bus.max_payload();
                self.status(id, t, Some(fit))
                    .await
                    .map(|doc| doc.get().as_bytes().to_vec())
            }
            Request::List { query } => self.answer_list(&query),
            Request::Cancel { query } => {
                let query = serde_json::from_slice::<StatusQuery>(&query).unwrap_or_default();
                let (id, t) = (query.task_id.as_deref(), query.job_type.as_deref());
                self.cancel_job(id, t)
                    .await
                    .map(|doc| doc.get().as_bytes().to_vec())
            }
            Request::Topology {
                op,
                name,
                body,
                expected,
            } => self.answer_topology(op, name, body, expected).await,
        };
        match answered {
            Ok(payload) => Reply {
                payload,
                error: None,
            },
            Err(e) => error_reply(&e),
        }
    }
}

impl Service {
    /// A held topology request over NATS: the answer document, or the error.
    async fn answer_topology(
        &self,
        op: TopologyOp,
        name: Option<String>,
        body: Bytes,
        expected: Option<String>,
    ) -> Result<Vec<u8>, ApiError> {
        let name = name.unwrap_or_default();
        let expected = topology::expected_revision(expected.as_deref())?;
        let data = match op {
            TopologyOp::Put | TopologyOp::Change => {
                let ticket = self.try_admit(body.len())?;
                let body = ticket.body(body);
                if op == TopologyOp::Put {
                    self.topology_put(&name, body, expected).await?
                } else {
                    self.topology_change(&name, body, expected).await?
                }
            }
            TopologyOp::Delete => self.topology_delete(&name, expected).await?,
            TopologyOp::List => self.topology_list().await?,
            TopologyOp::Get => {
                let query: GetQuery = serde_json::from_slice(&body).map_err(|e| {
                    ApiError::BadRequest(format!("a get names {{\"name\", \"revision\"?}}: {e}"))
                })?;
                let fit = self.tasks.bus.max_payload();
                return self
                    .topology_get(&query.name, query.revision, Some(fit))
                    .await;
            }
        };
        Ok(document(
            &serde_json::json!({"status": true, "info": [], "data": data}),
        ))
    }
}

impl Service {
    /// A task list over NATS: an empty body lists everything; anything else must be a JSON
    /// object `{type?, state?, limit?}` (a `null` member counts as missing).
    fn answer_list(&self, body: &[u8]) -> Result<Vec<u8>, ApiError> {
        let query = match body.iter().all(u8::is_ascii_whitespace) {
            true => ListQuery::default(),
            false => serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .filter(serde_json::Value::is_object)
                .and_then(|v| serde_json::from_value::<ListQuery>(v).ok())
                .ok_or_else(|| {
                    ApiError::BadRequest(
                        "a list query is a JSON object {\"type\"?, \"state\"?, \"limit\"?}".into(),
                    )
                })?,
        };
        let data = self.list_jobs(
            member("type", query.job_type)?.as_deref(),
            member("state", query.state)?.as_deref(),
            member("limit", query.limit)?.as_deref(),
        )?;
        Ok(document(
            &serde_json::to_value(status::Envelope::ok(data)).expect("lists serialise"),
        ))
    }
}

/// The body of a topology get.
#[derive(Deserialize)]
struct GetQuery {
    name: String,
    #[serde(default)]
    revision: Option<u64>,
}

/// The reply of an error: its document, with its HTTP-like code and `CODE: message` for the
/// headers.
pub fn error_reply(e: &ApiError) -> Reply {
    let doc = e.document();
    let message = doc["info"]["message"].as_str().unwrap_or_default();
    Reply {
        error: Some(ServiceError {
            code: e.status(),
            description: format!("{}: {message}", e.code()),
        }),
        payload: document(&doc),
    }
}

fn document(doc: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(doc).expect("documents serialise")
}

/// A status query, `{"task_id", "type"}`: other members are skipped unread, and a member that
/// is not a string counts as missing.
#[derive(Default, Deserialize)]
struct StatusQuery<'a> {
    #[serde(default, borrow, deserialize_with = "text")]
    task_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "type", deserialize_with = "text")]
    job_type: Option<Cow<'a, str>>,
}

/// A list query, `{"type"?, "state"?, "limit"?}`: each member checked by [`member`].
#[derive(Default, Deserialize)]
struct ListQuery {
    #[serde(default, rename = "type")]
    job_type: Option<serde_json::Value>,
    #[serde(default)]
    state: Option<serde_json::Value>,
    #[serde(default)]
    limit: Option<serde_json::Value>,
}

/// A list query's member as the HTTP query would give it: a string, or a number's text;
/// `null` counts as missing, anything else is a `BAD_REQUEST` naming it.
fn member(name: &str, value: Option<serde_json::Value>) -> Result<Option<String>, ApiError> {
    use serde_json::Value;
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ApiError::BadRequest(format!(
            "{name} is a string (or a number, for limit)"
        ))),
    }
}

/// A string member, or nothing when it is of another kind (skipped unread).
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
    struct Text;
    impl<'de> Visitor<'de> for Text {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(s)))
        }
        fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(s.to_owned())))
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    d.deserialize_any(Text)
}
