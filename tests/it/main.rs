//! The integration tests, one test binary (`it`): every module below starts real nats-servers
//! (and pasta in-process or as child processes) on free loopback ports with temporary storage.
//! One binary links the crate once instead of seven times; run a part of it with its module's
//! name as the filter, e.g. `cargo test --features test-hooks --test it cluster::`.

mod support;

mod browser;
mod cluster;
mod connections;
mod faults;
mod http;
mod jobs;
mod large;
mod memory;
mod openapi;
mod process;
mod python_client;
mod security;
mod service;
mod tls;
mod topologies;
mod ui;
