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

/// A POST of `body` to the loopback port, waiting at most `wait`: the status code, the
/// `Retry-After` header if any, and the body; `None` when nothing answers in time.
pub async fn post(
    port: u16,
    path: &str,
    body: Bytes,
    wait: Duration,
) -> Option<(u16, Option<String>, String)> {
    let client = Client::builder(TokioExecutor::new()).build_http::<http_body_util::Full<Bytes>>();
    let request = hyper::Request::post(format!("http://127.0.0.1:{port}{path}"))
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(body))
        .ok()?;
    let exchange = async {
        let response = client.request(request).await.ok()?;
        let code = response.status().as_u16();
        let retry = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.into_body().collect().await.ok()?.to_bytes();
        Some((code, retry, String::from_utf8_lossy(&body).into_owned()))
    };
    tokio::time::timeout(wait, exchange).await.ok().flatten()
}

/// A request of any method with a JSON body to the loopback port, waiting at most `wait`: the
/// status code, the answer's headers and its body.
pub async fn send_body(
    method: &str,
    port: u16,
    path: &str,
    body: Bytes,
    wait: Duration,
) -> Option<(u16, hyper::HeaderMap, String)> {
    let client = Client::builder(TokioExecutor::new()).build_http::<http_body_util::Full<Bytes>>();
    let request = hyper::Request::builder()
        .method(method)
        .uri(format!("http://127.0.0.1:{port}{path}"))
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(body))
        .ok()?;
    let exchange = async {
        let response = client.request(request).await.ok()?;
        let code = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.ok()?.to_bytes();
        Some((code, headers, String::from_utf8_lossy(&body).into_owned()))
    };
    tokio::time::timeout(wait, exchange).await.ok().flatten()
}
