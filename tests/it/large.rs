//! Every answer fits (contract §4), as the least-privilege client of deploy/auth: a job on a
//! 10,000-router topology (a body larger than one message) is uploaded and submitted by
//! reference, and its result (larger than one message, the topology echoed) is named by the
//! status and read from the object store, both by `pasta::bus::client` without the caller doing
//! anything; a result forged in the object store is refused, never returned.

#[path = "../../benches/support/gen.rs"]
mod gen;

use bytes::Bytes;
use pasta::bus::{client, Names};
use pasta::model::JobType;
use serde_json::{json, Value};

use crate::security::{auth, server, service_with, CLIENT};
use crate::support::pasta as harness;
use crate::support::pasta::Options;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_thousand_router_job_and_its_result_travel_through_the_object_store() {
    let nats = server();
    // A debug build computes a 10,000-router job (its topology echoed) and uploads its 25 MB
    // result in tens of seconds on a slow machine, its in-progress acks queued behind the
    // upload's chunks: what is tested here is the transport, not the time, so the time-outs are
    // the production ones (ack wait 30 s) or longer.
    let mut options = Options {
        job_timeout: std::time::Duration::from_secs(600),
        ..Options::default()
    };
    options.bus.ack_wait = std::time::Duration::from_secs(30);
    options.bus.request_timeout = std::time::Duration::from_secs(30);
    let pasta = service_with(&nats, options).await;
    let client = harness::connect_as(&nats, &auth("pasta_client", CLIENT)).await;
    let names = Names::new("pasta").unwrap();
    let topology = gen::topology(10_000, 1, 4);
    let (he, te) = topology.far_pair();
    let mut body = topology.body(&gen::node_id(he), &gen::node_id(te));
    body["global"]["echo_topology"] = json!(true);
    let body = Bytes::from(serde_json::to_vec(&body).unwrap());
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &body).unwrap();
    let max = client.server_info().max_payload;
    assert!(
        body.len() > max,
        "the body ({} bytes) is larger than a message",
        body.len()
    );

    let ending = client::submit_and_wait(&client, &names, JobType::NonbodPasta, body, None, |_| {})
        .await
        .unwrap();
    let client::Ending::Finished(doc) = ending else {
        panic!("refused")
    };
    assert_eq!(
        doc["data"]["task_state"],
        "SUCCESS",
        "{}",
        &doc.to_string()[..300.min(doc.to_string().len())]
    );
    let item = &doc["data"]["data"]["data"][0];
    assert_eq!(item["status"], true);
    assert_eq!(item["nodes"].as_array().map(Vec::len), Some(10_000));
    let id = doc["data"]["task_id"].as_str().unwrap().to_string();

    // What went over the wire: the status names the result, and fits in a message.
    let query = serde_json::to_vec(&json!({"task_id": id, "type": "nonbod_pasta"})).unwrap();
    let raw = client
        .request("pasta.job.check_status", query.into())
        .await
        .unwrap();
    assert!(raw.payload.len() < max);
    let named: Value = serde_json::from_slice(&raw.payload).unwrap();
    let reference = &named["data"]["data"];
    assert_eq!(reference["$ref"], format!("result/{id}"));
    assert!(reference["size"].as_u64().unwrap() as usize > max);
    let js = async_nats::jetstream::new(client.clone());
    let store = js.get_object_store("pasta_blobs").await.unwrap();

    // A client that overwrites the result object cannot pass off its own.
    let forged = serde_json::to_vec(&json!({"info": {}, "data": []})).unwrap();
    let _ = store
        .put(format!("result/{id}").as_str(), &mut forged.as_slice())
        .await;
    let read = client::status(&client, &names, &id, "nonbod_pasta").await;
    assert!(
        read.as_ref()
            .is_err_and(|e| e.to_string().contains("not the one computed")),
        "a forged result was returned: {:?}",
        read.map(|d| d["data"]["data"].to_string().len())
    );

    // The Python example does the same, as the same least-privilege client.
    let python = crate::python_client::python();
    crate::python_client::require_nats_py(&python).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python/client.py");
    let run = tokio::process::Command::new(&python)
        .arg(&script)
        .args([
            "--url",
            &nats.url(),
            "--prefix",
            "pasta",
            "--timeout",
            "120",
        ])
        .arg("--body")
        .arg(file.path())
        .env("PASTA_NATS_USER", "pasta_client")
        .env("PASTA_NATS_PASSWORD", CLIENT)
        .env("PASTA_NATS_INBOX_PREFIX", "_INBOX_pasta_client")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(180), run)
        .await
        .expect("the example finished in time")
        .expect("the example ran");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("uploaded as body/"), "{stderr}");
    assert!(stderr.contains("read from result/"), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["data"]["task_state"], "SUCCESS");
    let item = &doc["data"]["data"]["data"][0];
    assert_eq!(item["nodes"].as_array().map(Vec::len), Some(10_000));
    pasta.stop().await;
}
