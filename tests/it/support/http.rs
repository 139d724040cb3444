//! An HTTP client for the bridge: hyper's, not one written here.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// A GET to the loopback port, waiting at most `wait` for the whole answer: its status code and
/// body, or `None` when nothing (or no HTTP) answers in time.
pub async fn get(port: u16, path: &str, wait: Duration) -> Option<(u16, String)> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let uri = format!("http://127.0.0.1:{port}{path}").parse().ok()?;
    let exchange = async {
        let response = client.get(uri).await.ok()?;
        let code = response.status().as_u16();
        let body = response.into_body().collect().await.ok()?.to_bytes();
        Some((code, String::from_utf8_lossy(&body).into_owned()))
    };
    tokio::time::timeout(wait, exchange).await.ok().flatten()
}
