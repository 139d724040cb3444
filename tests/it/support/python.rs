//! The Python interpreter the tests run (nats-py examples, schemathesis): `$PASTA_PYTHON`, else
//! the project's `.venv`. A missing interpreter or module fails the test, never skips it.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

/// The interpreter: `$PASTA_PYTHON`, else `<repo>/.venv/bin/python`.
pub fn interpreter() -> PathBuf {
    std::env::var_os("PASTA_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"))
}

/// Fails unless `python <probe…>` succeeds; `what` names what is missing.
pub async fn require(python: &Path, probe: &[&str], what: &str) {
    let run = Command::new(python)
        .args(probe)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot run the Python interpreter {} ({e}): run scripts/setup (or set PASTA_PYTHON)",
                python.display()
            )
        });
    assert!(
        run.status.success(),
        "{what} is not installed for {}: run scripts/setup\n{}",
        python.display(),
        String::from_utf8_lossy(&run.stderr)
    );
}
