//! Connections as deployments need them: `pasta serve` reaches a nats-server that requires TLS
//! and verifies client certificates (a CA and certificates made here), authenticating with an
//! NKey seed, all from the environment; without the client certificate, or with another seed, it
//! is refused with a clear error instead of running unconnected.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use serde_json::Value;

use crate::support;
use crate::support::nats::{free_port, NatsServer};

const PASTA: &str = env!("CARGO_BIN_EXE_pasta");

/// PEM files of a CA, a server certificate for 127.0.0.1 and a client certificate.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
        write("ca.pem", ca.pem());
        for (who, names) in [
            ("server", vec!["127.0.0.1", "localhost"]),
            ("client", vec!["pasta"]),
        ] {
            let key = KeyPair::generate().unwrap();
            let names: Vec<String> = names.into_iter().map(String::from).collect();
            let cert = CertificateParams::new(names)
                .unwrap()
                .signed_by(&key, &ca)
                .unwrap();
            write(&format!("{who}.pem"), cert.pem());
            write(&format!("{who}-key.pem"), key.serialize_pem());
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

/// `pasta serve` on `url` with `envs`: its bridge's port, and the process.
fn serve(url: &str, envs: &[(&str, String)]) -> (u16, std::process::Child) {
    let http = free_port();
    let child = Command::new(PASTA)
        .args(["serve", "--nats-url", url])
        .args(["--prefix", &support::pasta::unique_prefix()])
        .args(["--http-addr", &format!("127.0.0.1:{http}")])
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (http, child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_connects_over_tls_with_a_client_certificate_and_an_nkey_seed() {
    let pki = Pki::new();
    let user = nkeys::KeyPair::new_user();
    let seed = user.seed().unwrap();
    let nats = NatsServer::with_config(&format!(
        "tls {{\n  cert_file: {:?}\n  key_file: {:?}\n  ca_file: {:?}\n  verify: true\n}}\n\
         authorization {{\n  users = [ {{ nkey: {} }} ]\n}}\n",
        pki.path("server.pem"),
        pki.path("server-key.pem"),
        pki.path("ca.pem"),
        user.public_key()
    ));
    let url = nats.url().replace("nats://", "tls://");
    let tls = [
        ("PASTA_NATS_TLS_CA", pki.path("ca.pem")),
        ("PASTA_NATS_TLS_CERT", pki.path("client.pem")),
        ("PASTA_NATS_TLS_KEY", pki.path("client-key.pem")),
    ];
    let mut envs = tls.to_vec();
    envs.push(("PASTA_NATS_NKEY", seed.clone()));
    let (http, mut child) = serve(&url, &envs);
    let deadline = Instant::now() + Duration::from_secs(30);
    while support::http::get(http, "/healthz", Duration::from_secs(1))
        .await
        .is_none_or(|(code, _)| code != 200)
    {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("pasta serve exited ({status}): {err}");
        }
        assert!(Instant::now() < deadline, "pasta serve did not connect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let body = serde_json::to_vec(&support::body("seed-example/request.json")).unwrap();
    let (code, _, text) = support::http::post(
        http,
        "/api/compute/nonbod_pasta",
        Bytes::from(body),
        Duration::from_secs(30),
    )
    .await
    .expect("answered");
    assert_eq!(code, 200, "{text}");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["data"]["data"][0]["status"], true);
    let _ = child.kill();
    let _ = child.wait();

    // Without the client certificate, or with another user's seed: refused, said, exit 1.
    let stranger = nkeys::KeyPair::new_user().seed().unwrap();
    let without_cert = vec![tls[0].clone(), ("PASTA_NATS_NKEY", seed)];
    let mut other_seed = tls.to_vec();
    other_seed.push(("PASTA_NATS_NKEY", stranger));
    for envs in [without_cert, other_seed] {
        let (_, child) = serve(&url, &envs);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "ran without a valid identity");
        assert!(err.contains("NATS at"), "{err}");
    }
}
