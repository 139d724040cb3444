//! A three-server JetStream cluster (the shape of deploy/cluster) with every resource kept in
//! three replicas: under load, the server pasta is connected to is killed; no accepted job is lost
//! or finished twice, the service goes on, and the server catches up when it comes back.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use pasta::model::JobType;
use serde_json::{json, Value};

use crate::support;
use crate::support::nats::{free_ports, NatsServer};
use crate::support::pasta::{self as harness, Options};

fn cluster() -> Vec<NatsServer> {
    // Route and client ports chosen together: a client port taken from another server's route
    // port (released before that server binds it) would keep that server from starting.
    let ports = free_ports(6);
    let (routes, clients) = ports.split_at(3);
    let list = routes
        .iter()
        .map(|p| format!("nats-route://127.0.0.1:{p}"))
        .collect::<Vec<_>>()
        .join(", ");
    (0..3)
        .map(|i| {
            NatsServer::on_port(
                clients[i],
                &format!(
                    "server_name: n{i}\ncluster {{\n  name: pasta\n  listen: 127.0.0.1:{}\n  routes: [{list}]\n}}\n",
                    routes[i]
                ),
                &[],
            )
        })
        .collect()
}

/// Submits until answered (UNAVAILABLE during a fail-over is retried with the same task id).
async fn submit(pasta: &harness::Pasta, body: &Value, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = tokio::time::timeout(
            Duration::from_secs(5),
            pasta.client.request_with_headers(
                pasta.names.submit_subject(JobType::NonbodPasta),
                {
                    let mut h = async_nats::HeaderMap::new();
                    h.insert("Pasta-Task-Id", id);
                    h
                },
                serde_json::to_vec(body).unwrap().into(),
            ),
        )
        .await;
        if let Ok(Ok(m)) = answer {
            let v: Value = serde_json::from_slice(&m.payload).unwrap();
            if v["status"] == true {
                return;
            }
            assert_eq!(v["info"]["code"], "UNAVAILABLE", "{v}");
        }
        assert!(
            Instant::now() < deadline,
            "submission of {id} never answered"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_one_server_of_three_loses_no_job_and_the_server_catches_up() {
    // `RUST_LOG=pasta=debug` shows the service's side of a failure.
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
    let mut servers = cluster();
    let urls = servers
        .iter()
        .map(|s| s.url())
        .collect::<Vec<_>>()
        .join(",");
    let mut options = Options {
        url: Some(urls.clone()),
        ..Options::default()
    };
    options.bus.replicas = 3;
    options.bus.request_timeout = Duration::from_secs(5);
    // The cluster elects its JetStream leader first.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let client = pasta::bus::connect(&urls, &Default::default())
            .await
            .unwrap();
        let settings = pasta::app::Settings {
            names: pasta::bus::Names::new("probe").unwrap(),
            bus: options.bus.clone(),
            limits: Default::default(),
            max_body: 1 << 20,
            body_memory: 1 << 30,
            admission_wait: Duration::from_secs(10),
            topology_cache: 256 << 20,
            topology_revisions: 64,
            job_timeout: Duration::from_secs(10),
            started_after: pasta::task::delivery::STARTED_AFTER,
        };
        if pasta::app::service(client, &settings, &[]).await.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the cluster never formed; the servers' logs end:\n{}",
            servers
                .iter()
                .map(|s| s.log_tail(15))
                .collect::<Vec<_>>()
                .join("\n---\n")
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let pasta = harness::start(&servers[0], options).await;
    let mut body = support::body("seed-example/request.json");
    let mut ids = Vec::new();
    for i in 0..60 {
        if i == 30 {
            servers[0].kill();
        }
        body["sr_policy"]["id"] = json!(if i % 10 == 0 {
            "__sleep_300__".to_string()
        } else {
            format!("p{i}")
        });
        let id = format!("00000000-0000-4000-8000-{i:012}");
        submit(&pasta, &body, &id).await;
        ids.push(id);
    }
    for id in &ids {
        let doc = pasta.wait_final(id, "nonbod_pasta").await;
        assert_eq!(doc["data"]["task_state"], "SUCCESS", "{id}: {doc}");
    }
    // Exactly one success event per task in the replicated events stream.
    let js = async_nats::jetstream::new(pasta.client.clone());
    let deadline = Instant::now() + Duration::from_secs(60);
    let consumer: async_nats::jetstream::consumer::PullConsumer = loop {
        let attempt = async {
            let stream = js.get_stream(pasta.names.events_stream()).await?;
            let consumer = stream
                .create_consumer(async_nats::jetstream::consumer::pull::Config {
                    filter_subject: format!("{}.events.nonbod_pasta.success", pasta.names.prefix()),
                    ..Default::default()
                })
                .await?;
            Ok::<_, async_nats::Error>(consumer)
        };
        match attempt.await {
            Ok(c) => break c,
            Err(e) => assert!(Instant::now() < deadline, "events stream unreachable: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    // An event whose publish failed during the fail-over is published again by the delivery that
    // finds the record final (after a back-off): read until every task has one.
    let mut counts: HashMap<String, u32> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while ids.iter().any(|id| !counts.contains_key(id)) && Instant::now() < deadline {
        let Ok(mut batch) = consumer
            .fetch()
            .max_messages(500)
            .expires(Duration::from_secs(2))
            .messages()
            .await
        else {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        while let Some(Ok(m)) = batch.next().await {
            let e: Value = serde_json::from_slice(&m.payload).unwrap();
            *counts
                .entry(e["task_id"].as_str().unwrap().to_string())
                .or_default() += 1;
            let _ = m.ack().await;
        }
    }
    for id in &ids {
        assert_eq!(counts.get(id), Some(&1), "{id}");
    }
    // Back: the restarted server catches up with every replica.
    servers[0].restart();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let replicas = match js.get_stream(pasta.names.events_stream()).await {
            Ok(mut s) => match s.info().await {
                Ok(info) => info
                    .cluster
                    .as_ref()
                    .map(|c| c.replicas.clone())
                    .unwrap_or_default(),
                Err(_) => Vec::new(),
            },
            Err(_) => Vec::new(),
        };
        let caught_up = replicas.len() == 2 && replicas.iter().all(|r| r.current && !r.offline);
        if caught_up {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the restarted server never caught up: {replicas:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    pasta.stop().await;
}
