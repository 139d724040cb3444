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
//! - `both`: one after the other, a whole job;
//! - `light_at_bounds`: the worker's part of a light job (`task::compute::light`, computed where
//!   it is delivered) with every bound at its limit: a 4 × 8 grid with diagonals
//!   (32 nodes, 128 links, all of one metric), corner to corner through two waypoints, `dis`,
//!   four entries of `top` 16, loose and not.
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
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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

/// The body of a light job at every bound (see the module documentation).
fn light_at_bounds() -> serde_json::Value {
    use serde_json::json;
    let id = |r: usize, c: usize| format!("R{r}C{c}");
    let mut nodes = Vec::new();
    for r in 0..4 {
        for c in 0..8 {
            nodes.push(json!({"id": id(r, c), "sid": 16000 + r * 8 + c}));
        }
    }
    let mut pairs = Vec::new();
    for r in 0..4 {
        for c in 0..8 {
            if c + 1 < 8 {
                pairs.push(((r, c), (r, c + 1)));
            }
            if r + 1 < 4 {
                pairs.push(((r, c), (r + 1, c)));
            }
        }
    }
    for c in 0..6 {
        for r in [0, 2] {
            pairs.push(((r, c), (r + 1, c + 1)));
        }
    }
    let mut links = Vec::new();
    for (a, b) in pairs {
        for (x, y) in [(a, b), (b, a)] {
            links.push(json!({
                "id": format!("{}-{}", id(x.0, x.1), id(y.0, y.1)),
                "local": id(x.0, x.1), "remote": id(y.0, y.1),
                "igp": 10, "te": 10, "delay": 1.0, "bandwidth": 100,
            }));
        }
    }
    let entry = |algo: u8, sorter: &str, loose: bool| json!({"algo": algo, "sorter": sorter, "top": 16, "limit": 0, "loose": loose});
    json!({
        "nodes": nodes,
        "links": links,
        "sr_policy": {
            "id": "at-bounds", "headend": id(0, 0), "tailend": id(3, 7), "metric": "igp",
            "bandwidth": 0, "inc": [id(1, 2), id(2, 5)], "dis": true,
        },
        "global": {"algorithm": [
            entry(0, "metric", false),
            entry(1, "max_min_band", true),
            entry(1, "metric", true),
            entry(1, "min_hop", true),
        ]},
    })
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
    let bounds = serde_json::to_vec(&light_at_bounds()).expect("JSON");
    let bounds_form = submission(&bounds, &limits);
    let bounds_job = compact::decode(TYPE, &bounds_form, &limits).expect("decodes");
    assert!(
        pasta::task::compute::light(&bounds_job),
        "a job at the bounds is light"
    );
    let request = &bounds_job.request;
    assert_eq!(request.nodes.len(), pasta::task::compute::LIGHT_NODES);
    assert_eq!(request.links.len(), pasta::task::compute::LIGHT_LINKS);
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
        assert!(
            worker(&bounds_form, &limits) > 0,
            "the job at the bounds computes"
        );
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
    group.bench_function("light_at_bounds", |b| {
        b.iter_custom(|iters| {
            timed(iters, || {
                black_box(worker(&bounds_form, &limits));
            })
        })
    });
    group.finish();
    c.final_summary();
    Clock::print_load("after");
}
