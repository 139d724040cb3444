//! Criterion benchmark of what one small job costs pasta outside the bus: the work the loadgen's
//! throughput test adds to its ceiling skeleton (`examples/loadgen/ceiling.rs`), which does the
//! bus operations alone. The job is the loadgen's: the seed example
//! (`fixtures/seed-example/request.json`, 3,480 bytes) as `nonbod_pasta`.
//!
//! Cases (criterion group `job`, CPU time of the calling thread with `PASTA_BENCH_CLOCK=cpu`):
//! - `submission`: read, validate and digest the JSON body, encode the compact form
//!   (`service::parse_body`, `model::compact::encode`), as a submission does;
//! - `worker`: decode and check the compact form, compute, serialise the result document
//!   (`model::compact::decode`, `task::compute::compute`), as a worker does;
//! - `both`: one after the other, a whole job.
//!
//! ```text
//! PASTA_BENCH_CLOCK=cpu cargo bench --bench job       # about twenty seconds
//! ```
//!
//! Under `cargo test --benches` it checks once that the pieces give the result the fixture
//! expects, instead of measuring.

#[path = "support/clock.rs"]
mod clock;

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::Criterion;

use clock::Clock;
use pasta::model::{compact, JobType, Limits};
use pasta::service;

const TYPE: JobType = JobType::NonbodPasta;

/// The allocator of the `pasta` binary, so that allocation costs what it costs there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn seed() -> Bytes {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/seed-example/request.json"
    );
    Bytes::from(std::fs::read(path).expect("the seed example"))
}

fn submission(body: &[u8], limits: &Limits) -> Vec<u8> {
    let (job, digest) = service::parse_body(TYPE, body, limits).expect("a valid body");
    black_box(digest);
    compact::encode(&job.request)
}

fn worker(compact_form: &[u8], limits: &Limits) -> usize {
    let job = compact::decode(TYPE, compact_form, limits).expect("a compact job");
    pasta::task::compute::compute(&job)
        .expect("computes")
        .get()
        .len()
}

/// Runs `f` `iters` times, on the chosen clock.
fn timed(iters: u64, mut f: impl FnMut()) -> Duration {
    let clock = Clock::get();
    let start = clock.now();
    for _ in 0..iters {
        f();
    }
    clock.now() - start
}

fn main() {
    let body = seed();
    let limits = Limits::default();
    let compact_form = submission(&body, &limits);
    if !std::env::args().any(|a| a == "--bench") {
        // Smoke check: the pieces give the fixture's result.
        let job = compact::decode(TYPE, &compact_form, &limits).expect("decodes");
        let result = pasta::task::compute::compute(&job).expect("computes");
        let got: serde_json::Value = serde_json::from_str(result.get()).unwrap();
        let expected = pasta::compute_value(
            TYPE,
            &serde_json::from_slice(&body).expect("the seed is JSON"),
        )
        .expect("computes");
        let timeless = |mut v: serde_json::Value| {
            for item in v["data"].as_array_mut().unwrap() {
                item["data"].as_object_mut().unwrap().remove("time");
            }
            v
        };
        assert_eq!(timeless(got), timeless(expected));
        eprintln!("job bench: smoke check passed");
        return;
    }
    Clock::print_load("before");
    eprintln!("clock: {:?}", Clock::get());
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("job");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("submission", |b| {
        b.iter_custom(|iters| {
            timed(iters, || {
                black_box(submission(&body, &limits));
            })
        })
    });
    group.bench_function("worker", |b| {
        b.iter_custom(|iters| {
            timed(iters, || {
                black_box(worker(&compact_form, &limits));
            })
        })
    });
    group.bench_function("both", |b| {
        b.iter_custom(|iters| {
            timed(iters, || {
                black_box(worker(&submission(&body, &limits), &limits));
            })
        })
    });
    group.finish();
    c.final_summary();
    Clock::print_load("after");
}
