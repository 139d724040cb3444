//! The processes of a soak run: the nats-server, the worker fleet (one long-lived, the others
//! SIGKILLed and respawned), the sampler of the long-lived worker's memory, the killer, and the
//! worker logs. Every child is killed by a guard's `Drop`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context};
use tokio::sync::watch;

use crate::{Args, Rng, ACK_WAIT_SECS, KILL_EVERY_MS};

/// A child process killed (SIGKILL) and reaped when dropped.
pub(crate) struct Guard {
    pub(crate) child: Child,
    pub(crate) label: String,
}

impl Guard {
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The nats-server of the run.
pub(crate) fn start_nats(dir: &Path) -> anyhow::Result<(Guard, String)> {
    let port = free_port()?;
    let conf = dir.join("nats.conf");
    std::fs::write(
        &conf,
        format!(
            "listen: 127.0.0.1:{port}\nmax_payload: 8MB\njetstream {{\n  store_dir: {:?}\n}}\n",
            dir.join("store")
        ),
    )?;
    let bin = pasta::server::binary_in(Path::new(env!("CARGO_MANIFEST_DIR")));
    let child = Command::new(&bin)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(File::create(dir.join("nats-server.log"))?)
        .spawn()
        .with_context(|| format!("starting {} (run scripts/setup)", bin.display()))?;
    let guard = Guard {
        child,
        label: "nats-server".into(),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("nats-server did not start on port {port}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((guard, format!("nats://127.0.0.1:{port}")))
}

/// The worker processes: one long-lived, the others killed and respawned.
pub(crate) struct Fleet {
    pub(crate) bin: PathBuf,
    pub(crate) url: String,
    pub(crate) prefix: String,
    pub(crate) logs: PathBuf,
    pub(crate) anchor: Option<Guard>,
    pub(crate) churn: Vec<Option<Guard>>,
    pub(crate) spawned: usize,
    pub(crate) kills: usize,
    /// Exits the soak did not cause: label, status.
    pub(crate) unexpected: Vec<String>,
    /// Shut down: nothing is started any more.
    pub(crate) closed: bool,
}

impl Fleet {
    pub(crate) fn spawn(&mut self, label: String) -> anyhow::Result<Guard> {
        if self.closed {
            bail!("the fleet is shut down");
        }
        self.spawned += 1;
        let log = self.logs.join(format!("{:04}-{label}.log", self.spawned));
        let mut command = Command::new(&self.bin);
        // Only the flags given here: no PASTA_* setting of the caller's environment applies.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("PASTA_") {
                command.env_remove(k);
            }
        }
        let child = command
            .args(["worker", "--nats-url", &self.url, "--prefix", &self.prefix])
            .args(["--ack-wait-secs", &ACK_WAIT_SECS.to_string()])
            .args(["--concurrency", "1"])
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log)?)
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        Ok(Guard { child, label })
    }

    pub(crate) fn start(&mut self, churn: usize) -> anyhow::Result<u32> {
        let anchor = self.spawn("anchor".into())?;
        let pid = anchor.child.id();
        self.anchor = Some(anchor);
        for i in 0..churn {
            let g = self.spawn(format!("churn-{i}"))?;
            self.churn.push(Some(g));
        }
        Ok(pid)
    }

    /// SIGKILLs churn worker `i` and starts a new one in its place.
    pub(crate) fn kill_and_respawn(&mut self, i: usize) -> anyhow::Result<()> {
        if self.closed {
            return Ok(());
        }
        if let Some(mut g) = self.churn[i].take() {
            g.kill();
            self.kills += 1;
        }
        self.churn[i] = Some(self.spawn(format!("churn-{i}"))?);
        Ok(())
    }

    /// Records (and replaces) workers that exited by themselves.
    pub(crate) fn reap(&mut self) -> anyhow::Result<()> {
        if self.closed {
            return Ok(());
        }
        if let Some(g) = self.anchor.as_mut() {
            if let Ok(Some(status)) = g.child.try_wait() {
                self.unexpected
                    .push(format!("{} exited: {status}", g.label));
                self.anchor = None;
            }
        }
        for i in 0..self.churn.len() {
            let exited = match self.churn[i].as_mut() {
                Some(g) => match g.child.try_wait() {
                    Ok(Some(status)) => Some(format!("{} exited: {status}", g.label)),
                    _ => None,
                },
                None => None,
            };
            if let Some(e) = exited {
                self.unexpected.push(e);
                self.churn[i] = Some(self.spawn(format!("churn-{i}"))?);
            }
        }
        Ok(())
    }

    pub(crate) fn shutdown(&mut self) {
        self.closed = true;
        for g in self.churn.iter_mut().filter_map(Option::take) {
            drop(g);
        }
        self.anchor.take();
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Shuts the fleet down when the run ends by any path (the killer and sampler tasks hold the
/// fleet too, and would otherwise keep it alive until the runtime stops).
pub(crate) struct FleetGuard(pub(crate) Arc<Mutex<Fleet>>);

impl Drop for FleetGuard {
    fn drop(&mut self) {
        lock(&self.0).shutdown();
    }
}

/// Locks a mutex, even one poisoned by a panicking holder (the data stays usable here).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The newest modification time of a file under `dir`.
pub(crate) fn newest_under(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let t = if path.is_dir() {
            newest_under(&path)
        } else {
            entry.metadata().and_then(|m| m.modified()).ok()
        };
        newest = newest.max(t);
    }
    newest
}

/// VmRSS of a process, KiB.
pub(crate) fn vm_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

pub(crate) fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The worker binary; a missing one is an error, one older than `src/` a warning.
pub(crate) fn pasta_binary(args: &Args, repo: &Path) -> anyhow::Result<PathBuf> {
    let bin = args
        .pasta_bin
        .clone()
        .unwrap_or_else(|| repo.join("target/release/pasta"));
    if !bin.exists() {
        bail!(
            "{} does not exist: build it first with `cargo build --release --bin pasta` \
             (or pass --pasta-bin)",
            bin.display()
        );
    }
    if let (Ok(built), Some(src)) = (
        std::fs::metadata(&bin).and_then(|m| m.modified()),
        newest_under(&repo.join("src")),
    ) {
        if src > built {
            eprintln!(
                "soak: warning: {} is older than src/ (run `cargo build --release --bin pasta`)",
                bin.display()
            );
        }
    }
    Ok(bin)
}

/// Every second: the anchor's VmRSS, and workers that died by themselves recorded and replaced.
pub(crate) fn spawn_sampler(
    anchor_pid: u32,
    fleet: Arc<Mutex<Fleet>>,
    samples: Arc<Mutex<Vec<(f64, u64)>>>,
    run_start: Instant,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                _ = tick.tick() => {}
            }
            if let Some(kib) = vm_rss_kib(anchor_pid) {
                lock(&samples).push((run_start.elapsed().as_secs_f64(), kib));
            }
            if let Err(e) = lock(&fleet).reap() {
                eprintln!("soak: respawning failed: {e:#}");
            }
        }
    })
}

/// Every 1–5 s (seeded), one churn worker SIGKILLed and respawned.
pub(crate) fn spawn_killer(
    fleet: Arc<Mutex<Fleet>>,
    seed: u64,
    churn: usize,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if churn == 0 {
            return;
        }
        let mut rng = Rng::new(seed);
        loop {
            let wait = Duration::from_millis(rng.range(KILL_EVERY_MS.0, KILL_EVERY_MS.1));
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                _ = tokio::time::sleep(wait) => {}
            }
            let i = rng.range(0, churn as u64 - 1) as usize;
            if let Err(e) = lock(&fleet).kill_and_respawn(i) {
                eprintln!("soak: respawning failed: {e:#}");
            }
        }
    })
}

/// Every worker log of the run, sorted by start.
pub(crate) fn read_logs(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "log"));
    files.sort();
    files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            (
                name.into_owned(),
                std::fs::read_to_string(p).unwrap_or_default(),
            )
        })
        .collect()
}
