//! A real headless Chromium driven over WebDriver: a chromedriver child process on a free
//! loopback port (killed on drop) and one browser session with a fresh temporary profile, for
//! tests of the pages the service serves (`/ui/…`).
//!
//! The browser is Debian's `chromium` and the driver Debian's `chromium-driver`, both installed by
//! `scripts/setup` (one source package, so their versions always match: a chromedriver only
//! accepts a Chromium of its own major version). `$PASTA_CHROMIUM` and `$PASTA_CHROMEDRIVER`
//! (set by `scripts/test`) name other binaries; missing ones fail the test, never skip it.
//!
//! ```ignore
//! let mut b = Browser::start().await;
//! let took = b.goto_and_wait(&format!("{base}/ui/tasks"), "svg [data-node]", WAIT).await;
//! assert_eq!(b.count("[data-node]").await, 4);
//! b.click("[data-link='a-b']").await;
//! b.screenshot(&dir.join("tasks.png")).await;
//! b.close().await;
//! ```
//!
//! Each method panics with what went wrong (a test helper: there is nothing to recover).
//! [`Browser::client`] gives the fantoccini client for anything not wrapped here.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

use crate::support::nats::free_port;

/// The viewport's size in CSS pixels (and so the screenshots' in pixels). `--window-size` alone
/// would give a viewport shorter by the window's frame (1280x757 for a 1280x900 window with
/// Chromium 156), so the session also fixes it with DevTools' `Emulation.setDeviceMetricsOverride`.
pub const VIEWPORT: (u32, u32) = (1280, 900);

/// The Chromium flags every session gets (beside `--user-data-dir` and `--window-size`).
#[path = "../../../benches/support/chromium.rs"]
mod chromium_flags;
pub use chromium_flags::FLAGS;

/// The Chromium binary: `$PASTA_CHROMIUM`, else `/usr/bin/chromium`.
pub fn chromium() -> PathBuf {
    binary("PASTA_CHROMIUM", "/usr/bin/chromium", "chromium")
}

/// The chromedriver binary: `$PASTA_CHROMEDRIVER`, else `/usr/bin/chromedriver`.
pub fn chromedriver() -> PathBuf {
    binary(
        "PASTA_CHROMEDRIVER",
        "/usr/bin/chromedriver",
        "chromium-driver",
    )
}

/// `$var` or `default`; panics unless it is a file.
fn binary(var: &str, default: &str, package: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.is_file(),
        "{} is missing: run scripts/setup (it installs Debian's {package}), or set {var}",
        path.display()
    );
    path
}

/// One headless Chromium session and the chromedriver serving it.
pub struct Browser {
    client: Option<Client>,
    session: String,
    driver: Child,
    port: u16,
    /// The profile (`profile/`) and chromedriver's log (`chromedriver.log`).
    dir: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free loopback port and a headless Chromium session with a fresh
    /// profile and a [`VIEWPORT`]-sized viewport.
    pub async fn start() -> Browser {
        let (chromium, chromedriver) = (chromium(), chromedriver());
        let dir = tempfile::tempdir().expect("a temporary directory");
        let log = dir.path().join("chromedriver.log");
        let port = free_port();
        // Its own process group, with the Chromium it starts: see `drop`.
        let driver = Command::new(&chromedriver)
            .process_group(0)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "starting {} (run scripts/setup): {e}",
                    chromedriver.display()
                )
            });
        let mut browser = Browser {
            client: None,
            session: String::new(),
            driver,
            port,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = browser.driver.try_wait() {
                panic!(
                    "chromedriver exited at start ({status}):\n{}",
                    browser.log_tail(20)
                );
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port} within 10 s:\n{}",
                browser.log_tail(20)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        let profile = browser.dir.path().join("profile");
        let mut args: Vec<String> = FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--window-size={},{}", VIEWPORT.0, VIEWPORT.1));
        let caps = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "no Chromium session from chromedriver ({e}); chromedriver and chromium must \
                     be of one version (scripts/setup installs both):\n{}",
                    browser.log_tail(30)
                )
            });
        browser.session = client
            .session_id()
            .await
            .expect("the session id")
            .expect("a session");
        browser.client = Some(client);
        browser
            .cdp(
                "Emulation.setDeviceMetricsOverride",
                json!({
                    "width": VIEWPORT.0, "height": VIEWPORT.1,
                    "deviceScaleFactor": 1, "mobile": false,
                }),
            )
            .await;
        browser
    }

    /// The fantoccini client, for what this module does not wrap.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("the session is open")
    }

    /// Loads `url` and waits for its `load` event (the scripts it runs on load may still run).
    pub async fn goto(&self, url: &str) {
        self.client()
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("loading {url}: {e}"));
    }

    /// Loads `url`, waits for `css` to match, and returns how long that took (a measurement, to
    /// print or compare; not an assertion).
    pub async fn goto_and_wait(&self, url: &str, css: &str, timeout: Duration) -> Duration {
        let start = Instant::now();
        self.goto(url).await;
        self.wait_for(css, timeout).await;
        start.elapsed()
    }

    /// The Navigation Timing entry of the current page (`performance.getEntriesByType
    /// ('navigation')[0]`), in milliseconds since navigation start: e.g. `responseEnd`,
    /// `domContentLoadedEventEnd`, `loadEventEnd`, `duration`, and `transferSize`.
    pub async fn navigation_timing(&self) -> Value {
        self.execute(
            "const e = performance.getEntriesByType('navigation')[0]; return e ? e.toJSON() : null;",
            vec![],
        )
        .await
    }

    /// Polls every 25 ms until an element matches `css`, and returns the first; panics after
    /// `timeout` with the URL and an excerpt of the page source.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Element {
        let deadline = Instant::now() + timeout;
        loop {
            match self.client().find(Locator::Css(css)).await {
                Ok(element) => return element,
                Err(e) if Instant::now() >= deadline => {
                    panic!(
                        "no element matched {css:?} within {timeout:?} ({e})\n{}",
                        self.describe().await
                    )
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(25)).await,
            }
        }
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> usize {
        let n = self
            .execute(
                "return document.querySelectorAll(arguments[0]).length;",
                vec![json!(css)],
            )
            .await;
        n.as_u64()
            .unwrap_or_else(|| panic!("a count for {css:?}, got {n}")) as usize
    }

    /// Attribute `attr` of every element matching `css` that has it, in document order (one
    /// script call, however many elements).
    pub async fn attr_all(&self, css: &str, attr: &str) -> Vec<String> {
        let v = self
            .execute(
                "return Array.from(document.querySelectorAll(arguments[0]))\
                 .filter(e => e.hasAttribute(arguments[1]))\
                 .map(e => e.getAttribute(arguments[1]));",
                vec![json!(css), json!(attr)],
            )
            .await;
        serde_json::from_value(v).expect("an array of strings")
    }

    /// Attribute `attr` of the first element matching `css` (`None` when it has none); panics
    /// when nothing matches.
    pub async fn attr(&self, css: &str, attr: &str) -> Option<String> {
        self.find(css)
            .await
            .attr(attr)
            .await
            .unwrap_or_else(|e| panic!("attribute {attr} of {css:?}: {e}"))
    }

    /// The rendered text of the first element matching `css`; panics when nothing matches.
    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("text of {css:?}: {e}"))
    }

    /// Clicks the first element matching `css` (at its centre, as a person would: an element
    /// covered by another one gets an "element click intercepted" panic).
    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {css:?}: {e}"));
    }

    /// The first element matching `css` now; panics (with the page) when nothing does.
    pub async fn find(&self, css: &str) -> Element {
        match self.client().find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!(
                "no element matches {css:?} ({e})\n{}",
                self.describe().await
            ),
        }
    }

    /// Runs `js` as a function body (`arguments[i]` are `args`; `return` gives the result) and
    /// returns its result as JSON.
    pub async fn execute(&self, js: &str, args: Vec<Value>) -> Value {
        self.client()
            .execute(js, args)
            .await
            .unwrap_or_else(|e| panic!("script failed ({e}):\n{js}"))
    }

    /// The current page's source (the DOM as it is now, serialised).
    pub async fn source(&self) -> String {
        self.client().source().await.expect("the page source")
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        self.client()
            .current_url()
            .await
            .expect("the current URL")
            .to_string()
    }

    /// Writes a PNG screenshot of the viewport to `path` and returns its bytes.
    pub async fn screenshot(&self, path: &Path) -> Vec<u8> {
        let png = self.client().screenshot().await.expect("a screenshot");
        std::fs::write(path, &png)
            .unwrap_or_else(|e| panic!("writing the screenshot {}: {e}", path.display()));
        png
    }

    /// Sets cookie `name=value` (path `/`, `HttpOnly` when `http_only`, as a server would set
    /// a session cookie) for the current page's host: WebDriver only sets cookies on the site
    /// being shown, so load a page of that origin first.
    pub async fn set_cookie(&self, name: &str, value: &str, http_only: bool) {
        // Not fantoccini's `add_cookie`: it sends an absent domain as `null`, which chromedriver
        // rejects ("invalid 'domain'"), and an explicit `127.0.0.1` it cannot set either.
        let cookie = json!({ "name": name, "value": value, "path": "/", "httpOnly": http_only });
        self.command(Method::POST, "/cookie", json!({ "cookie": cookie }))
            .await;
    }

    /// Runs DevTools protocol command `cmd` with `params` in the page (chromedriver's
    /// `goog/cdp/execute`), e.g. `("Browser.getVersion", json!({}))`, and returns its result.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.command(
            Method::POST,
            "/goog/cdp/execute",
            json!({ "cmd": cmd, "params": params }),
        )
        .await
    }

    /// A WebDriver command of this session (`path` after `/session/{id}`), sent by hand, and its
    /// reply's `value`; panics with chromedriver's message on an error.
    async fn command(&self, method: Method, path: &str, body: Value) -> Value {
        let uri = format!(
            "http://127.0.0.1:{}/session/{}{path}",
            self.port, self.session
        );
        let request = Request::builder()
            .method(method)
            .uri(&uri)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("a request");
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .build_http::<Full<Bytes>>();
        let reply = http
            .request(request)
            .await
            .unwrap_or_else(|e| panic!("{uri}: {e}"));
        let status = reply.status();
        let bytes = reply
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{uri}: {e}"))
            .to_bytes();
        let mut reply: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{uri}: {e}: {}", String::from_utf8_lossy(&bytes)));
        assert!(
            status.is_success(),
            "{uri} {body}: {status} {}",
            reply["value"]["message"]
        );
        reply["value"].take()
    }

    /// Ends the session (Chromium quits) and then chromedriver. Dropping does the same, blocking.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            client.close().await.expect("the session closes");
            self.session.clear();
        }
    }

    /// The URL and the first 2,000 characters of the page source, for a panic message.
    async fn describe(&self) -> String {
        let url = match self.client().current_url().await {
            Ok(u) => u.to_string(),
            Err(e) => format!("(no URL: {e})"),
        };
        let source = match self.client().source().await {
            Ok(s) => s.chars().take(2000).collect::<String>(),
            Err(e) => format!("(no source: {e})"),
        };
        format!("at {url}, the page source begins:\n{source}")
    }

    /// The last `lines` lines of chromedriver's log.
    pub fn log_tail(&self, lines: usize) -> String {
        let log =
            std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Browser {
    /// Ends the session with a blocking `DELETE /session/{id}` (so Chromium quits even when the
    /// test's runtime is already gone, or the test panicked), then kills chromedriver's process
    /// group: a Chromium that outlived its session would otherwise outlive the test too (killing
    /// chromedriver alone leaves its browser running).
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = delete_session(self.port, &self.session);
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `DELETE /session/{id}` to chromedriver over plain HTTP/1.1, waiting (10 s at most) for the
/// whole reply: chromedriver answers once Chromium has quit, and keeps the connection open after.
fn delete_session(port: u16, session: &str) -> std::io::Result<()> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"
    )?;
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        reply.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&reply);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if reply.len() >= end + 4 + length {
                return Ok(());
            }
        }
    }
}
