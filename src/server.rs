//! The embedded default: `pasta serve` without a NATS URL runs `nats-server -c nats.conf` as a
//! child process, waits until it answers, and stops it on exit.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::process::{Child, Command};

/// A nats-server child process, killed when dropped.
pub struct EmbeddedServer {
    child: Child,
    /// The URL clients connect to.
    pub url: String,
    /// Where JetStream keeps its data.
    pub store_dir: PathBuf,
}

/// The nats-server binary: `$PASTA_NATS_SERVER`, the project's `.venv/bin/nats-server` (installed
/// by `scripts/setup`), or `nats-server` on the PATH.
pub fn binary() -> PathBuf {
    binary_in(Path::new("."))
}

/// [`binary`], for the project at `project` (the tests, benches and examples pass their
/// `CARGO_MANIFEST_DIR`, so that they find it whatever the working directory).
pub fn binary_in(project: &Path) -> PathBuf {
    if let Some(path) = std::env::var_os("PASTA_NATS_SERVER") {
        return PathBuf::from(path);
    }
    let local = project.join(".venv/bin/nats-server");
    if local.exists() {
        return local;
    }
    PathBuf::from("nats-server")
}

impl EmbeddedServer {
    /// Starts `nats-server -c <config> --store_dir <store_dir>` and waits until it accepts
    /// connections on the port the config names.
    pub async fn start(
        config: &Path,
        store_dir: &Path,
        port: u16,
    ) -> anyhow::Result<EmbeddedServer> {
        std::fs::create_dir_all(store_dir)
            .with_context(|| format!("creating {}", store_dir.display()))?;
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            anyhow::bail!(
                "port {port} is already in use: is another nats-server running? Stop it, or point \
                 PASTA_NATS_URL at it"
            );
        }
        let bin = binary();
        let child = Command::new(&bin)
            .arg("-c")
            .arg(config)
            .arg("--store_dir")
            .arg(store_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "starting {} (run scripts/setup to install nats-server, or set PASTA_NATS_SERVER)",
                    bin.display()
                )
            })?;
        let server = EmbeddedServer {
            child,
            url: format!("nats://127.0.0.1:{port}"),
            store_dir: store_dir.to_path_buf(),
        };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        anyhow::bail!("nats-server did not start listening on port {port}")
    }

    /// Stops the server.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The client port a nats.conf listens on (`listen: host:port` or `port: n`; default 4222).
pub fn config_port(config: &str) -> u16 {
    for line in config.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("listen:") {
            if let Some(port) = rest
                .trim()
                .rsplit(':')
                .next()
                .and_then(|p| p.trim().parse().ok())
            {
                return port;
            }
        }
        if let Some(rest) = line.strip_prefix("port:") {
            if let Ok(port) = rest.trim().parse() {
                return port;
            }
        }
    }
    4222
}
