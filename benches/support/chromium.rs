//! The Chromium flags of every headless session the project starts, shared by the browser
//! tests (`tests/it/support/browser.rs`) and the load generator's ui mode: headless without a
//! display, no sandbox (CI runs as root, where Chromium's sandbox refuses to start), and
//! nothing that would reach the network or a GPU on its own.

/// The flags, beside `--user-data-dir` and `--window-size`.
pub const FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];
