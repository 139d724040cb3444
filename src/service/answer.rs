//! The answers of the NATS service: what the responder's requests mean, as reply bytes (the
//! same documents as the HTTP bridge's).

use serde_json::Value;

use super::{status, Service};
use crate::bus::responder::Request;

impl Service {
    /// The reply to a request of the NATS service.
    pub async fn answer(&self, request: Request) -> Vec<u8> {
        let document = match request {
            Request::Submit {
                job_type,
                body,
                task_id,
            } => match self.submit(job_type, body, task_id.as_deref()).await {
                Ok(id) => status::submitted(&id),
                Err(e) => e.document(),
            },
            Request::Status { query } => {
                let query: Value = serde_json::from_slice(&query).unwrap_or(Value::Null);
                let id = query.get("task_id").and_then(Value::as_str);
                let t = query.get("type").and_then(Value::as_str);
                match self.status(id, t).await {
                    Ok(doc) => return doc.get().as_bytes().to_vec(),
                    Err(e) => e.document(),
                }
            }
        };
        serde_json::to_vec(&document).expect("documents serialise")
    }
}
