//! A nats-server child process on a free loopback port with a temporary store, killed on drop.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The nats-server binary: `$PASTA_NATS_SERVER`, the project's `.venv` (scripts/setup), or PATH.
pub fn binary() -> PathBuf {
    pasta::server::binary_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `n` distinct free TCP ports on loopback, all held open until every one is chosen, so that no
/// two of them are the same port.
pub fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    held.iter()
        .map(|l| l.local_addr().expect("a bound address").port())
        .collect()
}

/// One server.
pub struct NatsServer {
    child: Option<Child>,
    /// Client port.
    pub port: u16,
    /// Its directory (config and store).
    pub dir: tempfile::TempDir,
    /// Extra configuration appended to the generated file.
    extra: String,
    /// Environment of the server process (passwords the configuration refers to).
    envs: Vec<(String, String)>,
}

impl NatsServer {
    /// Starts a JetStream server.
    pub fn start() -> NatsServer {
        NatsServer::with_config("")
    }

    /// Starts a JetStream server with extra configuration lines.
    pub fn with_config(extra: &str) -> NatsServer {
        NatsServer::with_config_env(extra, &[])
    }

    /// Starts a JetStream server with extra configuration and environment variables.
    pub fn with_config_env(extra: &str, envs: &[(&str, &str)]) -> NatsServer {
        NatsServer::on_port(free_port(), extra, envs)
    }

    /// Starts a JetStream server on a given client port.
    pub fn on_port(port: u16, extra: &str, envs: &[(&str, &str)]) -> NatsServer {
        let mut server = NatsServer {
            child: None,
            port,
            dir: tempfile::tempdir().expect("a temporary directory"),
            extra: extra.to_string(),
            envs: envs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        server.launch();
        server
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn launch(&mut self) {
        let store = self.dir.path().join("store");
        let conf = self.dir.path().join("nats.conf");
        std::fs::write(
            &conf,
            format!(
                "listen: 127.0.0.1:{}\nmax_payload: 8MB\njetstream {{\n  store_dir: {:?}\n}}\n{}\n",
                self.port, store, self.extra
            ),
        )
        .expect("config written");
        // The log survives restarts (appended), for `log_tail`.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("nats.log"))
            .expect("log file opened");
        let child = Command::new(binary())
            .arg("-c")
            .arg(&conf)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {} (run scripts/setup): {e}", binary().display()));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The last `lines` lines of the server's log (for a failing test's message).
    pub fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("nats.log")).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Kills the server at once (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port with the same store.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}
