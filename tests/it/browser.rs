//! A smoke test of the browser harness (`support::browser`): a real headless Chromium loads a
//! small fixed page with inline SVG and a script from a local axum server, and the test reads
//! and clicks it through WebDriver and takes a screenshot (kept in `$PASTA_SCREENSHOT_DIR` when
//! that is set, to look at).

use std::time::Duration;

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde_json::json;

use crate::support::browser::{Browser, VIEWPORT};

/// Two nodes and a link between them, a status line that a click on node `b` changes, and a
/// script that adds `#ready` a little after `load`.
const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>harness smoke</title></head>
<body>
<svg id="graph" width="400" height="200" viewBox="0 0 400 200" xmlns="http://www.w3.org/2000/svg">
  <line data-link="a-b" class="path" x1="50" y1="100" x2="350" y2="100" stroke="black" stroke-width="4"/>
  <circle data-node="a" cx="50" cy="100" r="30" fill="steelblue"/>
  <circle data-node="b" cx="350" cy="100" r="30" fill="steelblue"/>
</svg>
<p id="status">nothing selected</p>
<script>
  document.querySelector('[data-node="b"]').addEventListener('click', (e) => {
    e.target.setAttribute('fill', 'crimson');
    document.getElementById('status').textContent = 'selected b';
  });
  window.addEventListener('load', () => setTimeout(() => {
    const p = document.createElement('p');
    p.id = 'ready';
    p.textContent = 'ready';
    document.body.appendChild(p);
  }, 100));
</script>
</body></html>
"#;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_chromium_reads_clicks_and_screenshots_a_page() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}/", listener.local_addr().expect("an address"));
    let app = Router::new().route("/", get(|| async { Html(PAGE) }));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let browser = Browser::start().await;
    let took = browser.goto_and_wait(&url, "#ready", WAIT).await;
    let timing = browser.navigation_timing().await;
    eprintln!(
        "page shown in {took:?} (load event end {} ms)",
        timing["loadEventEnd"]
    );

    assert_eq!(browser.url().await, url);
    assert!(browser.source().await.contains(r#"id="ready""#));
    assert_eq!(browser.text("#ready").await, "ready");
    assert_eq!(browser.count("[data-node]").await, 2);
    assert_eq!(browser.attr_all("circle", "data-node").await, ["a", "b"]);
    assert_eq!(browser.attr_all(".path", "data-link").await, ["a-b"]);
    assert_eq!(browser.count("#nothing").await, 0);

    assert_eq!(browser.text("#status").await, "nothing selected");
    browser.click("[data-node='b']").await;
    assert_eq!(browser.text("#status").await, "selected b");
    assert_eq!(
        browser.attr("[data-node='b']", "fill").await.as_deref(),
        Some("crimson")
    );
    assert_eq!(
        browser
            .execute("return arguments[0] + document.title;", vec![json!("a ")])
            .await,
        json!("a harness smoke")
    );

    browser.set_cookie("visible", "v1", false).await;
    browser.set_cookie("session", "s1", true).await;
    assert_eq!(
        browser.execute("return document.cookie;", vec![]).await,
        json!("visible=v1"),
        "an HttpOnly cookie is not visible to scripts"
    );
    let cookies = browser.client().get_all_cookies().await.expect("cookies");
    assert_eq!(cookies.len(), 2, "{cookies:?}");

    let version = browser.cdp("Browser.getVersion", json!({})).await;
    eprintln!("DevTools: {}", version["product"]);
    assert!(version["product"]
        .as_str()
        .is_some_and(|p| p.contains("Chrome/")));

    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = std::env::var_os("PASTA_SCREENSHOT_DIR")
        .map_or_else(|| dir.path().to_path_buf(), Into::into)
        .join("smoke.png");
    let png = browser.screenshot(&path).await;
    assert_eq!(std::fs::read(&path).expect("the screenshot file"), png);
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG signature");
    let width = u32::from_be_bytes(png[16..20].try_into().expect("IHDR width"));
    let height = u32::from_be_bytes(png[20..24].try_into().expect("IHDR height"));
    assert_eq!((width, height), VIEWPORT);

    browser.close().await;
    server.abort();
}
