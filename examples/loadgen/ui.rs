//! The ui mode (contract §9): how long the web view takes to draw a task of a held topology of
//! `--nodes` routers, measured in a real headless Chromium (Debian's, driven over WebDriver by
//! chromedriver: `PASTA_CHROMIUM`, `PASTA_CHROMEDRIVER`, as `scripts/setup` installs them).
//!
//! The topology of the held mode is put, one single-policy job names it (the corner policy),
//! and the task page is loaded `--samples` times (at most 5): the time until the path's
//! neighbourhood is drawn (`svg [data-node]`) and until the whole network is
//! (`svg#net[data-complete=true]`, after the page's script fetched the rest). The first load
//! (a cold browser, and the bridge computing the revision's layout) is reported apart. The
//! topology page is measured the same way.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use fantoccini::{ClientBuilder, Locator};
use serde_json::json;

use crate::gen;
use crate::held::{document, job, one_task};
use crate::stats::percentiles;
use crate::{row, Row, TYPE};

/// chromedriver, stopped when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What the ui mode is given.
pub(crate) struct Ui<'a> {
    pub(crate) client: &'a async_nats::Client,
    pub(crate) names: &'a pasta::bus::Names,
    pub(crate) http: &'a str,
    pub(crate) nodes: usize,
    pub(crate) samples: usize,
}

/// Loads `url` and waits for `first` then `done`: the two times.
async fn load(
    browser: &fantoccini::Client,
    url: &str,
    first: &str,
    done: &str,
) -> anyhow::Result<(Duration, Duration)> {
    let t0 = Instant::now();
    browser.goto(url).await?;
    let mut seen = None;
    let deadline = t0 + Duration::from_secs(120);
    loop {
        if seen.is_none() && browser.find(Locator::Css(first)).await.is_ok() {
            seen = Some(t0.elapsed());
        }
        if seen.is_some() && browser.find(Locator::Css(done)).await.is_ok() {
            return Ok((seen.unwrap_or_default(), t0.elapsed()));
        }
        if Instant::now() > deadline {
            bail!("{url} not drawn within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The ui mode's rows.
pub(crate) async fn ui(u: Ui<'_>) -> anyhow::Result<Vec<Row>> {
    let (client, names) = (u.client, u.names);
    let doc = Bytes::from(serde_json::to_vec(&document(u.nodes))?);
    let name = "ui";
    let put = pasta::bus::client::topology(client, names, "put", Some(name), doc, None).await?;
    if put["status"] != json!(true) {
        bail!("put refused: {put}");
    }
    let mut events = client
        .subscribe(format!("{}.events.{}.*", names.prefix(), TYPE.as_str()))
        .await?;
    client.flush().await?;
    let (he, te) = gen::topology(u.nodes, 1, 4).far_pair();
    let task = one_task(client, names, &mut events, &job(name, he, te)).await?;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let driver = std::env::var("PASTA_CHROMEDRIVER").unwrap_or("/usr/bin/chromedriver".into());
    let _driver = Driver(
        Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {driver} (scripts/setup installs it)"))?,
    );
    let profile = tempfile::tempdir()?;
    let chromium = std::env::var("PASTA_CHROMIUM").unwrap_or("/usr/bin/chromium".into());
    let args: Vec<String> = crate::chromium::FLAGS
        .iter()
        .chain(&["--window-size=1280,900"])
        .map(|s| s.to_string())
        .chain([format!("--user-data-dir={}", profile.path().display())])
        .collect();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"binary": chromium, "args": args}),
    );
    let mut browser = None;
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(b) => {
                browser = Some(b);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let browser = browser.context("no WebDriver session")?;
    let mut rows = Vec::new();
    let task_url = format!("http://{}/ui/task/{}", u.http, task.1);
    let topo_url = format!("http://{}/ui/topology/{name}", u.http);
    for (what, url) in [("task page", &task_url), ("topology page", &topo_url)] {
        let (mut first, mut done) = (Vec::new(), Vec::new());
        let mut cold = None;
        for i in 0..u.samples.clamp(2, 5) + 1 {
            let (f, d) = load(
                &browser,
                url,
                "svg [data-node]",
                "svg#net[data-complete=true]",
            )
            .await?;
            if i == 0 {
                cold = Some((f, d));
            } else {
                first.push(f);
                done.push(d);
            }
        }
        let (cf, cd) = cold.unwrap_or_default();
        rows.push(row(
            "ui",
            format!(
                "{what}, {} routers: first load, neighbourhood / whole",
                u.nodes
            ),
            format!("{:.2} s / {:.2} s", cf.as_secs_f64(), cd.as_secs_f64()),
        ));
        rows.push(row(
            "ui",
            format!(
                "{what}: neighbourhood drawn, p50 / p99 ({} loads)",
                first.len()
            ),
            percentiles(&mut first, &[0.5, 0.99]),
        ));
        rows.push(row(
            "ui",
            format!(
                "{what}: whole network drawn, p50 / p99 ({} loads)",
                done.len()
            ),
            percentiles(&mut done, &[0.5, 0.99]),
        ));
    }
    browser.close().await?;
    Ok(rows)
}
