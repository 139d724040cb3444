//! Running the engine for a job: the clock, and a panic turned into a `PANIC` failure with its
//! message; and which jobs are light enough to compute where they are delivered ([`light`]).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use serde_json::value::RawValue;

use super::{FailureCode, TaskFailure};
use crate::engine::chunked::{ChunkedJson, Output};
use crate::engine::prepared::Prepared;
use crate::engine::Document;
use crate::model::{Job, Network};

/// Largest body a worker reads where it is delivered rather than on the blocking pool (as
/// submission does): reading it is a matter of microseconds.
pub const READ_HERE_MAX: usize = 64 * 1024;

/// The bounds of a light job ([`light`]).
pub const LIGHT_NODES: usize = 32;
/// See [`LIGHT_NODES`].
pub const LIGHT_LINKS: usize = 128;
/// See [`LIGHT_NODES`].
pub const LIGHT_ENTRIES: usize = 4;
/// See [`LIGHT_NODES`].
pub const LIGHT_TOP: u32 = 16;
/// See [`LIGHT_NODES`].
pub const LIGHT_WAYPOINTS: usize = 2;

/// Whether a job is light: one policy on a network of at most [`LIGHT_NODES`] nodes and
/// [`LIGHT_LINKS`] links, at most [`LIGHT_ENTRIES`] algorithm entries of `top` at most
/// [`LIGHT_TOP`], at most [`LIGHT_WAYPOINTS`] waypoints: what the engine's work grows with
/// (contract §3). A light job takes microseconds (one at every bound, a 4 × 8 grid
/// with diagonals, corner to corner through two waypoints with `dis`: 64 µs to decode, compute
/// and write, `job/light_at_bounds` of `cargo bench --bench job`): less than a hand-off to a
/// thread of the blocking pool and back costs under load, which is what a worker does with any
/// other job. A worker computes a light job where it is delivered, on the runtime, with no
/// time-out (it ends long before one).
pub fn light(job: &Job) -> bool {
    let r = &job.request;
    !job.job_type.is_list()
        && r.policies.len() == 1
        && r.nodes.len() <= LIGHT_NODES
        && r.links.len() <= LIGHT_LINKS
        && r.global.algorithm.len() <= LIGHT_ENTRIES
        && r.global.algorithm.iter().all(|e| e.top <= LIGHT_TOP)
        && r.policies.iter().all(|p| p.inc.len() <= LIGHT_WAYPOINTS)
        && !hooked(job)
}

/// Whether a held network is within a light job's bounds of nodes and links.
pub fn light_network(network: &Network) -> bool {
    network.nodes.len() <= LIGHT_NODES && network.links.len() <= LIGHT_LINKS
}

/// Whether a job names a test hook (which may sleep: never light).
#[cfg(any(test, feature = "test-hooks"))]
fn hooked(job: &Job) -> bool {
    job.request.policies.iter().any(|p| p.id.starts_with("__"))
}

#[cfg(not(any(test, feature = "test-hooks")))]
fn hooked(_: &Job) -> bool {
    false
}

/// Computes a job's result document, as JSON text; a panic becomes `PANIC` with its message.
pub fn compute(job: &Job) -> Result<Box<RawValue>, TaskFailure> {
    let document = document(job, None)?;
    Ok(serde_json::value::to_raw_value(&document).expect("documents serialise"))
}

/// [`compute`] on the view and trees jobs on the same held topology revision share, when the
/// job names one (the result is the same, byte for byte), written into `out`: whole when it is
/// small, otherwise sent on in pieces as it is written.
pub fn compute_into(
    job: &Job,
    prepared: Option<&Prepared>,
    mut out: ChunkedJson,
) -> Result<Output, TaskFailure> {
    let document = document(job, prepared)?;
    serde_json::to_writer(&mut out, &document).expect("documents serialise");
    Ok(out.finish())
}

/// The result document of a job; a panic becomes `PANIC` with its message.
fn document(job: &Job, prepared: Option<&Prepared>) -> Result<Document, TaskFailure> {
    let epoch = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        #[cfg(any(test, feature = "test-hooks"))]
        panic_hook(job);
        let clock = || epoch.elapsed().as_secs_f64() * 1000.0;
        match prepared {
            Some(p) => p.compute(job, &clock),
            None => crate::engine::compute(job, &clock),
        }
    }));
    outcome.map_err(|panic| {
        let text = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        TaskFailure::new(
            FailureCode::Panic,
            format!("the computation panicked: {text}"),
        )
    })
}

/// Test builds only: a policy whose id is `__panic__` makes the computation panic, and one whose
/// id is `__sleep_<ms>__` makes it sleep, so that fault tests can exercise both paths.
#[cfg(any(test, feature = "test-hooks"))]
fn panic_hook(job: &Job) {
    for p in &job.request.policies {
        if p.id == "__panic__" {
            panic!("test hook: __panic__");
        }
        if let Some(ms) =
            p.id.strip_prefix("__sleep_")
                .and_then(|s| s.strip_suffix("__"))
                .and_then(|s| s.parse::<u64>().ok())
        {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::model::{JobType, Limits};

    fn seed() -> Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/seed-example/request.json"
        );
        serde_json::from_slice(&std::fs::read(path).expect("the seed example")).unwrap()
    }

    fn job(t: JobType, body: &Value) -> Job {
        let text = serde_json::to_vec(body).unwrap();
        crate::model::body::parse(t, &text, &Limits::default()).expect("a valid body")
    }

    /// `n` more routers, each linked both ways to P1, added to a body.
    fn grown(mut body: Value, n: usize) -> Value {
        for i in 0..n {
            let id = format!("X{i}");
            body["nodes"]
                .as_array_mut()
                .unwrap()
                .push(json!({"id": id, "sid": 70000 + i}));
            for (a, b) in [("P1", id.as_str()), (id.as_str(), "P1")] {
                body["links"].as_array_mut().unwrap().push(json!({
                    "id": format!("{a}-{b}"), "local": a, "remote": b, "igp": 10, "bandwidth": 10
                }));
            }
        }
        body
    }

    #[test]
    fn the_seed_is_light_and_each_bound_crossed_makes_a_job_heavy() {
        let seed = seed();
        assert!(light(&job(JobType::NonbodPasta, &seed)));
        assert!(light(&job(JobType::BodPasta, &seed)));
        // Nodes: the seed has 6 and 14 links; up to the node bound it stays light.
        let at_bound = grown(seed.clone(), LIGHT_NODES - 6);
        assert!(light(&job(JobType::NonbodPasta, &at_bound)));
        let past = grown(seed.clone(), LIGHT_NODES - 5);
        assert!(!light(&job(JobType::NonbodPasta, &past)));
        // The same bound for a held network, by which a worker reads a body here or not.
        let network = |body: &Value| {
            let doc = json!({"nodes": body["nodes"], "links": body["links"]});
            Network::from_slice(&serde_json::to_vec(&doc).unwrap(), &Limits::default())
                .expect("a valid topology")
        };
        assert!(light_network(&network(&at_bound)));
        assert!(!light_network(&network(&past)));
        // Links, with nodes under their bound: parallel links from P1 to P2.
        let mut links = seed.clone();
        for i in 0..=(LIGHT_LINKS - 14) {
            links["links"].as_array_mut().unwrap().push(json!({
                "id": format!("par{i}"), "local": "P1", "remote": "P2", "igp": 10, "bandwidth": 10
            }));
        }
        assert!(!light(&job(JobType::NonbodPasta, &links)));
        // Entries, `top`, waypoints.
        let entry = json!({"algo": 0, "sorter": "metric", "top": 1, "limit": 0, "loose": false});
        let mut entries = seed.clone();
        entries["global"]["algorithm"] = json!(vec![entry; LIGHT_ENTRIES + 1]);
        assert!(!light(&job(JobType::NonbodPasta, &entries)));
        let mut top = seed.clone();
        top["global"]["algorithm"][1]["top"] = json!(LIGHT_TOP + 1);
        assert!(!light(&job(JobType::NonbodPasta, &top)));
        top["global"]["algorithm"][1]["top"] = json!(LIGHT_TOP);
        assert!(light(&job(JobType::NonbodPasta, &top)));
        let mut waypoints = seed.clone();
        waypoints["sr_policy"]["inc"] = json!(["P4", "P5", "P6"]);
        assert!(!light(&job(JobType::NonbodPasta, &waypoints)));
        waypoints["sr_policy"]["inc"] = json!(["P4", "P5"]);
        assert!(light(&job(JobType::NonbodPasta, &waypoints)));
        // A list job is never light, nor a job naming a test hook (it may sleep).
        let mut list = seed.clone();
        list["sr_policy"] = json!([seed["sr_policy"].clone()]);
        assert!(!light(&job(JobType::NonbodReopt, &list)));
        let mut hooked = seed;
        hooked["sr_policy"]["id"] = json!("__sleep_10__");
        assert!(!light(&job(JobType::NonbodPasta, &hooked)));
    }
}
