//! The NATS micro protocol (ADR-32), written here rather than taken from async-nats' `service`
//! for two things it could not do: an error reply that carries the error document *and* the
//! `Nats-Service-Error` / `Nats-Service-Error-Code` headers (async-nats sends an error with an
//! empty body), and discovery requests answered only on inbox subjects (async-nats answers
//! `$SRV.PING` on any reply subject, with the service's rights).
//!
//! A [`Micro`] is a service name, an instance id, a version and its endpoints; [`Micro::discovery`]
//! answers `$SRV.PING`, `$SRV.INFO` and `$SRV.STATS` (for all services, by name, and by name and
//! id) with the documents of the protocol, counting every endpoint's requests, errors and
//! processing time as [`Endpoint::answered`] records them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::HeaderMap;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{json, Value};

use super::responder::is_inbox;

/// The header naming an error reply's description.
pub const ERROR_HEADER: &str = "Nats-Service-Error";
/// The header carrying an error reply's code (HTTP-like).
pub const ERROR_CODE_HEADER: &str = "Nats-Service-Error-Code";
/// The queue group every instance's endpoints share.
pub const QUEUE_GROUP: &str = "q";

/// An error reply: its HTTP-like code and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// The code (`400`, `404`, `503`, …).
    pub code: u16,
    /// The description (the error document's code and message).
    pub description: String,
}

/// What an endpoint answers: the payload, and for an error its headers' content.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The reply's payload (for an error, the error document).
    pub payload: Vec<u8>,
    /// Set when the reply is an error.
    pub error: Option<ServiceError>,
}

/// The headers of a reply: the ADR-32 error headers for an error, none otherwise.
pub fn headers(error: Option<&ServiceError>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(e) = error {
        // A header value is one line.
        let description: String = e.description.replace(['\r', '\n'], " ");
        headers.insert(ERROR_HEADER, description.as_str());
        headers.insert(ERROR_CODE_HEADER, e.code.to_string().as_str());
    }
    headers
}

/// One endpoint's counters.
#[derive(Debug, Default)]
struct Counters {
    requests: u64,
    errors: u64,
    last_error: Option<ServiceError>,
    processing: Duration,
}

/// An endpoint: its name, subject and counters.
#[derive(Debug)]
pub struct Endpoint {
    /// The endpoint's name.
    pub name: String,
    /// The subject it listens on.
    pub subject: String,
    counters: Mutex<Counters>,
}

impl Endpoint {
    /// Counts a request answered in `took`, an error if `error` is set.
    pub fn answered(&self, took: Duration, error: Option<&ServiceError>) {
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        c.requests += 1;
        c.processing += took;
        if let Some(e) = error {
            c.errors += 1;
            c.last_error = Some(e.clone());
        }
    }

    fn info(&self) -> Value {
        json!({"name": self.name, "subject": self.subject, "queue_group": QUEUE_GROUP,
               "metadata": {}})
    }

    fn stats(&self) -> Value {
        let c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let average = match c.requests {
            0 => 0,
            n => c.processing.as_nanos() / u128::from(n),
        };
        let last_error = c
            .last_error
            .as_ref()
            .map_or(String::new(), |e| format!("{}:{}", e.code, e.description));
        json!({"name": self.name, "subject": self.subject, "queue_group": QUEUE_GROUP,
               "num_requests": c.requests, "num_errors": c.errors, "last_error": last_error,
               "processing_time": c.processing.as_nanos() as u64,
               "average_processing_time": average as u64, "data": null})
    }
}

/// A service of the micro protocol.
#[derive(Debug)]
pub struct Micro {
    name: String,
    id: String,
    version: String,
    description: String,
    started: String,
    endpoints: Mutex<Vec<Arc<Endpoint>>>,
}

impl Micro {
    /// A service named `name` (one instance, a fresh id), started now.
    pub fn new(name: &str, version: &str, description: &str) -> Micro {
        Micro {
            name: name.to_owned(),
            id: uuid::Uuid::new_v4().simple().to_string(),
            version: version.to_owned(),
            description: description.to_owned(),
            started: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
            endpoints: Mutex::new(Vec::new()),
        }
    }

    /// Adds an endpoint; its counters are the service's to report.
    pub fn endpoint(&self, name: &str, subject: &str) -> Arc<Endpoint> {
        let endpoint = Arc::new(Endpoint {
            name: name.to_owned(),
            subject: subject.to_owned(),
            counters: Mutex::default(),
        });
        self.endpoints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(endpoint.clone());
        endpoint
    }

    /// The subjects discovery listens on: each verb for all services, by name, by name and id.
    fn discovery_subjects(&self) -> Vec<(String, Verb)> {
        let mut subjects = Vec::new();
        for verb in [Verb::Ping, Verb::Info, Verb::Stats] {
            let base = format!("$SRV.{}", verb.as_str());
            subjects.push((base.clone(), verb));
            subjects.push((format!("{base}.{}", self.name), verb));
            subjects.push((format!("{base}.{}.{}", self.name, self.id), verb));
        }
        subjects
    }

    /// The document answering `verb`.
    fn answer(&self, verb: Verb) -> Value {
        let endpoints = self
            .endpoints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut doc = json!({"type": verb.response_type(), "name": self.name, "id": self.id,
                             "version": self.version, "metadata": {}});
        match verb {
            Verb::Ping => {}
            Verb::Info => {
                doc["description"] = json!(self.description);
                doc["endpoints"] = endpoints.iter().map(|e| e.info()).collect();
            }
            Verb::Stats => {
                doc["started"] = json!(self.started);
                doc["endpoints"] = endpoints.iter().map(|e| e.stats()).collect();
            }
        }
        doc
    }

    /// Subscribes to the discovery subjects: the future answers their requests until it is
    /// dropped.
    pub async fn discovery(
        self: Arc<Self>,
        client: async_nats::Client,
    ) -> Result<impl std::future::Future<Output = ()>, async_nats::SubscribeError> {
        let mut streams = Vec::new();
        for (subject, verb) in self.discovery_subjects() {
            let sub = client.subscribe(subject).await?;
            streams.push(sub.map(move |m| (verb, m)).boxed());
        }
        let mut all = futures::stream::select_all(streams);
        Ok(async move {
            while let Some((verb, msg)) = all.next().await {
                let Some(reply) = msg.reply.as_ref().filter(|r| is_inbox(r)) else {
                    tracing::warn!(subject = %msg.subject, "a discovery request whose reply subject is no inbox; not answered");
                    continue;
                };
                let doc = Bytes::from(serde_json::to_vec(&self.answer(verb)).unwrap_or_default());
                if let Err(e) = client.publish(reply.clone(), doc).await {
                    tracing::warn!(error = %e, "could not answer a discovery request");
                }
            }
        })
    }
}

/// A discovery verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Ping,
    Info,
    Stats,
}

impl Verb {
    fn as_str(self) -> &'static str {
        match self {
            Verb::Ping => "PING",
            Verb::Info => "INFO",
            Verb::Stats => "STATS",
        }
    }

    fn response_type(self) -> &'static str {
        match self {
            Verb::Ping => "io.nats.micro.v1.ping_response",
            Verb::Info => "io.nats.micro.v1.info_response",
            Verb::Stats => "io.nats.micro.v1.stats_response",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_count_requests_and_errors_per_endpoint() {
        let micro = Micro::new("pasta", "1.0.0", "test");
        let submit = micro.endpoint("submit_bod_pasta", "pasta.submit.bod_pasta");
        submit.answered(Duration::from_millis(2), None);
        let error = ServiceError {
            code: 400,
            description: "INVALID_BODY: 1 problem(s) in the body".into(),
        };
        submit.answered(Duration::from_millis(4), Some(&error));
        let stats = micro.answer(Verb::Stats);
        assert_eq!(stats["type"], "io.nats.micro.v1.stats_response");
        let e = &stats["endpoints"][0];
        assert_eq!(e["num_requests"], 2);
        assert_eq!(e["num_errors"], 1);
        assert_eq!(
            e["last_error"],
            "400:INVALID_BODY: 1 problem(s) in the body"
        );
        assert_eq!(e["average_processing_time"], 3_000_000);
        let info = micro.answer(Verb::Info);
        assert_eq!(info["endpoints"][0]["subject"], "pasta.submit.bod_pasta");
        assert_eq!(micro.answer(Verb::Ping)["name"], "pasta");
    }

    #[test]
    fn an_error_reply_has_both_headers_and_a_success_none() {
        let error = ServiceError {
            code: 503,
            description: "UNAVAILABLE: the queue\nis full".into(),
        };
        let h = headers(Some(&error));
        assert_eq!(h.get(ERROR_CODE_HEADER).unwrap().as_str(), "503");
        assert_eq!(
            h.get(ERROR_HEADER).unwrap().as_str(),
            "UNAVAILABLE: the queue is full"
        );
        assert!(headers(None).is_empty());
    }
}
