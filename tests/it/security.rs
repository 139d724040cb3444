//! Least privilege (deploy/auth): users per role with passwords from the environment. A client
//! submits, asks the status and receives events, but cannot read or write the task bucket nor
//! publish a job that bypasses validation; a wrong password is refused.

use std::time::Duration;

use futures::StreamExt;
use pasta::bus::Auth;
use pasta::model::JobType;
use serde_json::json;

use crate::support;
use crate::support::nats::NatsServer;
use crate::support::pasta::{self as harness, Options};

pub const CLIENT: &str = "client-secret-for-tests";
const SERVICE: &str = "service-secret-for-tests";
const ADMIN: &str = "admin-secret-for-tests";

/// A user of deploy/auth, with its own inbox prefix (`_INBOX_<user>`; the admin keeps the
/// default).
pub fn auth(user: &str, password: &str) -> Auth {
    Auth {
        user: Some(user.into()),
        password: Some(password.into()),
        inbox_prefix: (user != "pasta_admin").then(|| format!("_INBOX_{user}")),
        ..Auth::default()
    }
}

/// The status document of a task, asked over NATS by `client`.
async fn status_as(client: &async_nats::Client, id: &str) -> serde_json::Value {
    let query = serde_json::to_vec(&json!({"task_id": id, "type": "nonbod_pasta"})).unwrap();
    let answer = client
        .request("pasta.job.check_status", query.into())
        .await
        .unwrap();
    serde_json::from_slice(&answer.payload).unwrap()
}

/// A server with the shipped authorization block and the passwords in its environment.
pub fn server() -> NatsServer {
    let shipped = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/auth/authorization.conf"),
    )
    .unwrap();
    NatsServer::with_config_env(
        &shipped,
        &[
            ("PASTA_CLIENT_PASSWORD", CLIENT),
            ("PASTA_SERVICE_PASSWORD", SERVICE),
            ("PASTA_ADMIN_PASSWORD", ADMIN),
        ],
    )
}

pub async fn service(nats: &NatsServer) -> harness::Pasta {
    service_with(nats, Options::default()).await
}

/// [`service`] with other options (its prefix and user are the shipped ones).
pub async fn service_with(nats: &NatsServer, options: Options) -> harness::Pasta {
    let options = Options {
        prefix: Some("pasta".into()),
        auth: auth("pasta_service", SERVICE),
        ..options
    };
    harness::start(nats, options).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_submits_asks_the_status_and_receives_events_with_its_own_role() {
    let nats = server();
    let pasta = service(&nats).await;
    let client = harness::connect_as(&nats, &auth("pasta_client", CLIENT)).await;
    let mut events = client
        .subscribe("pasta.events.nonbod_pasta.*")
        .await
        .unwrap();
    let body = serde_json::to_vec(&support::body("seed-example/request.json")).unwrap();
    let answer = client
        .request("pasta.submit.nonbod_pasta", body.into())
        .await
        .unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&answer.payload).unwrap();
    let id = answer["data"]["task_id"].as_str().unwrap().to_string();
    let mut done = false;
    while !done {
        let m = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .unwrap()
            .unwrap();
        let e: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
        done = e["task_id"] == json!(id) && e["task_state"] == "SUCCESS";
    }
    let status = status_as(&client, &id).await;
    assert_eq!(status["data"]["task_state"], "SUCCESS");
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_can_neither_read_nor_write_the_task_bucket() {
    let nats = server();
    let pasta = service(&nats).await;
    let answer = pasta
        .submit(
            JobType::NonbodPasta,
            &support::body("seed-example/request.json"),
            None,
        )
        .await;
    let id = answer["data"]["task_id"].as_str().unwrap().to_string();
    pasta.wait_final(&id, "nonbod_pasta").await;
    let client = harness::connect_as(&nats, &auth("pasta_client", CLIENT)).await;
    let js = async_nats::jetstream::new(client.clone());
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        js.get_key_value("pasta_tasks")
            .await?
            .get(&id)
            .await
            .map_err(async_nats::Error::from)
    })
    .await;
    assert!(
        !matches!(read, Ok(Ok(Some(_)))),
        "a client read a task record"
    );
    let direct = tokio::time::timeout(
        Duration::from_secs(2),
        client.request(
            format!("$JS.API.DIRECT.GET.KV_pasta_tasks.$KV.pasta_tasks.{id}"),
            "".into(),
        ),
    )
    .await;
    assert!(!matches!(direct, Ok(Ok(_))), "direct get answered a client");
    // Watching the bucket yields nothing, even while records change.
    let mut watch = client.subscribe("$KV.pasta_tasks.>").await.unwrap();
    let other = pasta
        .submit(
            JobType::NonbodPasta,
            &support::body("seed-example/request.json"),
            None,
        )
        .await;
    pasta
        .wait_final(other["data"]["task_id"].as_str().unwrap(), "nonbod_pasta")
        .await;
    let seen = tokio::time::timeout(Duration::from_millis(500), watch.next()).await;
    assert!(seen.is_err(), "a client saw a task record change");
    // Writing a forged record changes nothing.
    client
        .publish(format!("$KV.pasta_tasks.{id}"), "forged".into())
        .await
        .unwrap();
    client.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let doc = pasta.status(&id, "nonbod_pasta").await;
    assert_eq!(doc["data"]["task_state"], "SUCCESS");
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_publish_a_job_that_bypasses_validation() {
    let nats = server();
    let pasta = service(&nats).await;
    let client = harness::connect_as(&nats, &auth("pasta_client", CLIENT)).await;
    let id = "3c3c3c3c-0000-4000-8000-000000000001";
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", id);
    client
        .publish_with_headers("pasta.jobs.nonbod_pasta", headers, "{}".into())
        .await
        .unwrap();
    client.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let admin = harness::connect_as(&nats, &auth("pasta_admin", ADMIN)).await;
    let js = async_nats::jetstream::new(admin);
    let mut stream = js.get_stream("PASTA_JOBS").await.unwrap();
    let info = stream.info().await.unwrap();
    assert_eq!(info.state.messages, 0);
    assert_eq!(
        info.state.last_sequence, 0,
        "nothing ever reached the job stream"
    );
    let doc = pasta.status(id, "nonbod_pasta").await;
    assert_eq!(doc["info"]["code"], "NOT_FOUND");
    pasta.stop().await;
}

/// A hostile client sets the reply subject of its requests to the victim's task record or to an
/// event subject: the service, which may publish there, must not answer there. The victim's
/// record and the events stream stay as they were, and honest requests are still answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_reply_subject_gets_no_answer_written_with_the_service_rights() {
    let nats = server();
    let pasta = service(&nats).await;
    let seed = support::body("seed-example/request.json");
    let victim = pasta.submit(JobType::NonbodPasta, &seed, None).await;
    let victim = victim["data"]["task_id"].as_str().unwrap().to_string();
    let before = pasta.wait_final(&victim, "nonbod_pasta").await;
    let admin = harness::connect_as(&nats, &auth("pasta_admin", ADMIN)).await;
    let js = async_nats::jetstream::new(admin);
    let mut stream = js.get_stream("PASTA_EVENTS").await.unwrap();
    let stored = stream.info().await.unwrap().state.messages;

    let client = harness::connect_as(&nats, &auth("pasta_client", CLIENT)).await;
    let status = serde_json::to_vec(&json!({"task_id": victim, "type": "nonbod_pasta"})).unwrap();
    let body = serde_json::to_vec(&seed).unwrap();
    for reply in [
        format!("$KV.pasta_tasks.{victim}"),
        "pasta.events.bod_pasta.success".to_string(),
        "$JS.API.STREAM.PURGE.PASTA_JOBS".to_string(),
    ] {
        client
            .publish_with_reply(
                "pasta.job.check_status",
                reply.clone(),
                status.clone().into(),
            )
            .await
            .unwrap();
        client
            .publish_with_reply(
                "pasta.submit.nonbod_pasta",
                reply.clone(),
                body.clone().into(),
            )
            .await
            .unwrap();
        // Discovery too: a ping, info or stats answer is no record either.
        for verb in ["$SRV.PING", "$SRV.INFO.pasta", "$SRV.STATS"] {
            client
                .publish_with_reply(verb, reply.clone(), "".into())
                .await
                .unwrap();
        }
    }
    client.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let after = pasta.status(&victim, "nonbod_pasta").await;
    assert_eq!(after, before, "the victim's record changed");
    let now = stream.info().await.unwrap().state.messages;
    assert_eq!(now, stored, "an event was stored");
    // An honest request is still answered.
    let answer = status_as(&client, &victim).await;
    assert_eq!(answer["data"]["task_state"], "SUCCESS");
    pasta.stop().await;
}

/// A client reads only its own replies: it may not subscribe to the default inbox namespace
/// nor to the service's, so other users' status answers and the service's own JetStream and KV
/// replies never reach it, while its own requests are answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_read_the_replies_of_another_identity() {
    let nats = server();
    let pasta = service(&nats).await;
    let client = harness::connect_as(&nats, &auth("pasta_client", CLIENT)).await;
    let mut snooping = Vec::new();
    for inbox in ["_INBOX.>", "_INBOX_pasta_service.>", ">"] {
        snooping.push(client.subscribe(inbox).await.unwrap());
    }
    client.flush().await.unwrap();
    // The service works (KV, JetStream, blob replies to its inbox) and an admin asks statuses.
    let answer = pasta
        .submit(
            JobType::NonbodPasta,
            &support::body("seed-example/request.json"),
            None,
        )
        .await;
    let id = answer["data"]["task_id"].as_str().unwrap().to_string();
    pasta.wait_final(&id, "nonbod_pasta").await;
    let admin = harness::connect_as(&nats, &auth("pasta_admin", ADMIN)).await;
    let query = serde_json::to_vec(&json!({"task_id": id, "type": "nonbod_pasta"})).unwrap();
    let admins = admin
        .request("pasta.job.check_status", query.clone().into())
        .await
        .unwrap();
    assert!(admins.subject.starts_with("_INBOX."), "{}", admins.subject);
    for mut snoop in snooping {
        let seen = tokio::time::timeout(Duration::from_millis(300), snoop.next()).await;
        assert!(
            !matches!(seen, Ok(Some(_))),
            "a client read a message meant for another: {:?}",
            seen.ok().flatten().map(|m| m.subject)
        );
    }
    // Its own request is answered on its own inbox.
    let own = client
        .request("pasta.job.check_status", query.into())
        .await
        .unwrap();
    assert!(
        own.subject.starts_with("_INBOX_pasta_client."),
        "{}",
        own.subject
    );
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_refused() {
    let nats = server();
    let refused = pasta::bus::connect(&nats.url(), &auth("pasta_client", "wrong")).await;
    let message = refused.expect_err("refused").to_string();
    assert!(message.contains("refused the credentials"), "{message}");
    let anonymous = pasta::bus::connect(&nats.url(), &Auth::default()).await;
    assert!(anonymous.is_err(), "no anonymous access");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_8_mb_submissions_are_each_answered_and_never_drop_the_service() {
    let nats = server();
    let pasta = service(&nats).await;
    let client = harness::connect_as(&nats, &auth("pasta_client", CLIENT)).await;
    // The seed with an unknown member of zeros: just under the 8 MB message limit.
    let seed = serde_json::to_string(&support::body("seed-example/request.json")).unwrap();
    let mut zeros = "0,".repeat((7 << 20) / 2);
    zeros.pop();
    let body = bytes::Bytes::from(format!(
        "{}, \"junk\": [{zeros}]}}",
        seed.strip_suffix('}').unwrap()
    ));
    let sends = (0..20).map(|_| {
        let (client, body) = (client.clone(), body.clone());
        async move {
            let asked = client.request("pasta.submit.nonbod_pasta", body);
            let answer = tokio::time::timeout(Duration::from_secs(60), asked)
                .await
                .expect("answered within a minute")
                .expect("answered, not lost");
            serde_json::from_slice::<serde_json::Value>(&answer.payload).unwrap()
        }
    });
    let answers = futures::future::join_all(sends).await;
    let accepted: Vec<&str> = answers
        .iter()
        .filter_map(|a| a["data"]["task_id"].as_str())
        .collect();
    for a in &answers {
        assert!(
            a["status"] == true || a["info"]["code"] == "UNAVAILABLE",
            "accepted, or refused as busy: {a}"
        );
    }
    assert!(!accepted.is_empty(), "some are accepted: {answers:?}");
    let log = nats.log_tail(500);
    assert!(
        !log.to_lowercase().contains("slow consumer"),
        "nats-server cut a connection off: {log}"
    );
    // The service still answers, and every accepted job completes.
    for id in accepted {
        let doc = pasta.wait_final(id, "nonbod_pasta").await;
        assert_eq!(doc["data"]["task_state"], "SUCCESS", "{doc}");
    }
}

/// Held topologies as the least-privilege client: every operation through the service's
/// subjects, their changed events live, a job by reference; but not the topology bucket, and
/// no forged `changed` event (`pasta.topology.put.changed` is an event subject too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_keeps_a_topology_through_the_service_but_cannot_forge_its_store_or_events() {
    let nats = server();
    let pasta = service(&nats).await;
    let client = harness::connect_as(&nats, &auth("pasta_client", CLIENT)).await;
    let mut events = client.subscribe("pasta.topology.*.changed").await.unwrap();
    let seed = support::body("seed-example/request.json");
    let doc = json!({"nodes": seed["nodes"], "links": seed["links"]});
    let ask = |subject: &'static str, body: serde_json::Value| {
        let client = client.clone();
        async move {
            let answer = client
                .request(subject, serde_json::to_vec(&body).unwrap().into())
                .await
                .expect("answered");
            serde_json::from_slice::<serde_json::Value>(&answer.payload).unwrap()
        }
    };
    let put = ask("pasta.topology.put.lab", doc).await;
    assert_eq!(put["data"]["revision"], 1, "{put}");
    let event = tokio::time::timeout(Duration::from_secs(5), events.next())
        .await
        .expect("a changed event")
        .unwrap();
    assert_eq!(event.subject.as_str(), "pasta.topology.lab.changed");
    let got = ask("pasta.topology.get", json!({"name": "lab"})).await;
    assert_eq!(got["data"]["revision"], 1, "{got}");
    let mut body = seed.as_object().unwrap().clone();
    body.remove("nodes");
    body.remove("links");
    body.insert("topology".into(), json!({"name": "lab"}));
    let submitted = ask("pasta.submit.nonbod_pasta", serde_json::Value::Object(body)).await;
    let id = submitted["data"]["task_id"]
        .as_str()
        .expect("accepted")
        .to_owned();
    let mut done = serde_json::Value::Null;
    for _ in 0..200 {
        done = status_as(&client, &id).await;
        if done["data"]["task_state"] == "SUCCESS" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        done["data"]["topology"],
        json!({"name": "lab", "revision": 1}),
        "{done}"
    );

    // The bucket and the snapshots are the service's.
    let js = async_nats::jetstream::new(client.clone());
    let within = Duration::from_secs(2);
    let opened = tokio::time::timeout(within, js.get_key_value("pasta_topologies")).await;
    assert!(
        !matches!(opened, Ok(Ok(_))),
        "the client opened the topology bucket"
    );
    let read = tokio::time::timeout(
        within,
        client.request(
            "$JS.API.DIRECT.GET.KV_pasta_topologies.$KV.pasta_topologies.head.lab",
            "".into(),
        ),
    )
    .await;
    assert!(
        !matches!(read, Ok(Ok(_))),
        "the client read the topology bucket"
    );
    // A publish on an event subject is refused by the server and stored nowhere.
    let admin = harness::connect_as(&nats, &auth("pasta_admin", ADMIN)).await;
    let ajs = async_nats::jetstream::new(admin);
    let before = ajs
        .get_stream("PASTA_EVENTS")
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .state
        .messages;
    client
        .publish("pasta.topology.put.changed", "forged".into())
        .await
        .unwrap();
    client.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = ajs
        .get_stream("PASTA_EVENTS")
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .state
        .messages;
    assert_eq!(before, after, "a forged changed event was stored");
    pasta.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cancels_a_task_it_knows_but_cannot_list_everyones() {
    let nats = server();
    // No workers: the job stays PENDING.
    let options = Options {
        workers: false,
        ..Options::default()
    };
    let pasta = service_with(&nats, options).await;
    let client = harness::connect_as(&nats, &auth("pasta_client", CLIENT)).await;
    let body = serde_json::to_vec(&support::body("seed-example/request.json")).unwrap();
    let answer = client
        .request("pasta.submit.nonbod_pasta", body.into())
        .await
        .unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&answer.payload).unwrap();
    let id = answer["data"]["task_id"].as_str().unwrap().to_owned();
    // The list would hand every task's id to every controller: the client role may not ask.
    // (The server refuses the publish: the request is never answered.)
    let refused = tokio::time::timeout(
        Duration::from_secs(2),
        client.request("pasta.job.list", "{}".into()),
    )
    .await;
    assert!(
        !matches!(refused, Ok(Ok(_))),
        "a client listed the tasks: {refused:?}"
    );
    // An operator may.
    let admin = harness::connect_as(&nats, &auth("pasta_admin", ADMIN)).await;
    let listed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let answer = admin.request("pasta.job.list", "{}".into()).await.unwrap();
            let doc: serde_json::Value = serde_json::from_slice(&answer.payload).unwrap();
            if doc["data"]["tasks"][0]["task_id"] == id.as_str() {
                return doc;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the operator lists the task");
    assert_eq!(listed["data"]["tasks"][0]["task_state"], "PENDING");
    // The client cancels the task it submitted, by its id; a forged reply subject is ignored.
    let query = serde_json::to_vec(&json!({"task_id": id, "type": "nonbod_pasta"})).unwrap();
    client
        .publish_with_reply(
            "pasta.job.cancel",
            "pasta.events.nonbod_pasta.failure",
            query.clone().into(),
        )
        .await
        .unwrap();
    client.flush().await.unwrap();
    assert_eq!(
        status_as(&client, &id).await["data"]["task_state"],
        "PENDING"
    );
    let answer = client
        .request("pasta.job.cancel", query.into())
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&answer.payload).unwrap();
    assert_eq!(doc["data"]["error"]["code"], "CANCELLED", "{doc}");
    assert_eq!(
        status_as(&client, &id).await["data"]["error"]["code"],
        "CANCELLED"
    );
    pasta.stop().await;
}
