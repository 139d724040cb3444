//! `--embedded`: a nats-server child on a free port with a temporary store, and pasta
//! in-process through `pasta::app`.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use bytes::Bytes;
use pasta::app::{self, Parts, Settings};
use pasta::bus::Names;
use pasta::model::JobType;
use pasta::task::worker::WorkerSettings;
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::Args;

/// A nats-server child on a free port with a temporary store, and pasta in-process.
pub(crate) struct Embedded {
    pub(crate) url: String,
    pub(crate) prefix: String,
    pub(crate) http: SocketAddr,
    /// nats-server's monitoring endpoint.
    pub(crate) monitor: SocketAddr,
    pub(crate) workers: usize,
    pub(crate) child: tokio::process::Child,
    _dir: tempfile::TempDir,
    stop: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Embedded {
    pub(crate) async fn start(args: &Args) -> anyhow::Result<Embedded> {
        let dir = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let monitor: SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let conf = dir.path().join("nats.conf");
        std::fs::write(
            &conf,
            format!(
                "listen: 127.0.0.1:{port}\nhttp: {monitor}\nmax_payload: 8MB\njetstream {{\n  store_dir: {:?}\n{}}}\n",
                dir.path().join("store"),
                if args.sync_always { "  sync_interval: always\n" } else { "" }
            ),
        )?;
        let bin = pasta::server::binary_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
        let child = tokio::process::Command::new(&bin)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {} (run scripts/setup)", bin.display()))?;
        let url = format!("nats://127.0.0.1:{port}");
        let mut up = false;
        for _ in 0..400 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        if !up {
            bail!("nats-server did not start on port {port}");
        }
        let workers = args
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let settings = Settings::defaults(Names::new(&args.prefix)?);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let http = listener.local_addr()?;
        let parts = Parts {
            workers: Some(WorkerSettings {
                types: JobType::ALL.to_vec(),
                concurrency: workers,
            }),
            responder: true,
            http: Some((listener, None)),
            metrics: None,
        };
        let client = pasta::bus::connect(&url, &Default::default()).await?;
        let (stop, shutdown) = watch::channel(false);
        let handle = tokio::spawn(app::run(client, settings, parts, shutdown));
        // Wait until the NATS service answers (it starts after provisioning).
        let probe = async_nats::connect(&url).await?;
        let names = Names::new(&args.prefix)?;
        let mut ready = false;
        for _ in 0..400 {
            let answer = tokio::time::timeout(
                Duration::from_millis(500),
                probe.request(names.status_subject(), Bytes::from_static(b"{}")),
            )
            .await;
            if matches!(answer, Ok(Ok(_))) {
                ready = true;
                break;
            }
            if handle.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        if !ready {
            bail!("the embedded pasta did not come up");
        }
        Ok(Embedded {
            url,
            prefix: args.prefix.clone(),
            http,
            monitor,
            workers,
            child,
            _dir: dir,
            stop,
            handle,
        })
    }

    pub(crate) async fn stop(mut self) {
        let _ = self.stop.send(true);
        match tokio::time::timeout(Duration::from_secs(30), self.handle).await {
            Ok(Ok(Err(e))) => eprintln!("loadgen: the embedded pasta failed: {e:#}"),
            Err(_) => eprintln!("loadgen: the embedded pasta did not stop within 30 s"),
            _ => {}
        }
        let _ = self.child.kill().await;
    }
}
