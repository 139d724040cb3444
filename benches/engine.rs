//! Criterion benchmarks of the path engine (contract §3): one policy placed by
//! `pasta::engine::policy::place`, engine time only, single-threaded.
//!
//! Topologies (one criterion group each):
//! - `1k`, `10k`: synthetic, from `benches/support/gen.rs` (seed 1, average out-degree 4: about
//!   4,000 and 40,000 directed links);
//! - `germany50`, `tatanld`: real backbones converted from topohub by
//!   `scripts/topohub_to_pasta.py`, read from `bench-data/`.
//!
//! Cases, each over a fixed, seeded list of 50 (headend, tailend) pairs, cycled:
//! - `a_algo0`: `nonbod_pasta`, algo 0 (`loose: false`), metric igp, physical bandwidth;
//! - `b_algo1_top10`: the same pairs, algo 1 (`loose: true`, `top: 10`);
//! - `c_bod_waypoints`: `bod_pasta`, algo 0, class Gold (available bandwidth), `bd` 200 (synthetic)
//!   or 10000 (real), `affi: 0, mask: 0x1` (links with bit 0 excluded), and two node waypoints at
//!   one and two thirds of a min-hop path between the ends in that constrained graph (so a path
//!   always exists; pairs the constraints disconnect are drawn again).
//!
//! The body is parsed once and the [`Topology`] built once per group; each iteration creates a
//! fresh [`Ctx`] (no cached IGP trees: what one job costs) and calls `place` for the next pair.
//! The time measured is `Ctx::new` + `place`, nothing else.
//!
//! Before a group is measured, a survey places every pair once and prints, per case, how many
//! found a path (and the `info.code` of the others) and the distribution of single-call times;
//! the slowest pair's body is saved to `/tmp/pasta-bench-<group>-<case>-slowest.json` (and any
//! pair that panics to `…-pair<k>-panic.json`, left out of the measurement), so that
//! `pasta compute <type> <file>` reproduces it (those bodies carry both algorithm entries).
//!
//! ```text
//! cargo bench --bench engine                               # every group, a few minutes
//! PASTA_BENCH_GROUPS=1k,germany50 cargo bench --bench engine
//! cargo bench --bench engine -- 10k/b_                     # criterion's own filter
//! python3 scripts/bench_table.py                           # medians from target/criterion
//! ```
//!
//! `PASTA_BENCH_SURVEY=0` skips the survey (e.g. under `perf record`). `PASTA_BENCH_CLOCK=cpu`
//! measures the thread's CPU time instead of wall time: on a machine shared with other work
//! (compiles on the same two cores), time slices lost to other processes then do not count. The
//! load average is printed before and after the run.
//!
//! Under `cargo test --benches` (no `--bench` argument) it runs a quick smoke check instead: the
//! `germany50` and `1k` groups, five pairs each.

#[path = "support/clock.rs"]
mod clock;
#[path = "support/gen.rs"]
mod gen;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hint::black_box;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use serde_json::{json, Value};

use clock::Clock;
use pasta::engine::feasible::{physical_bandwidth, Exclusions};
use pasta::engine::policy::{place, Ctx};
use pasta::engine::reserve::{class_bandwidth, ClassField};
use pasta::engine::topology::Topology;
use pasta::model::{AlgorithmEntry, Job, JobType, Limits, Policy};

/// Pairs per case in a full run.
const PAIRS: usize = 50;
/// Pairs per case in the quick (test) run.
const QUICK_PAIRS: usize = 5;
/// Seed of the pair lists.
const PAIR_SEED: u64 = 7;
/// Seed of the synthetic topologies.
const TOPOLOGY_SEED: u64 = 1;

/// A topology to benchmark, parsed once.
struct Fixture {
    name: String,
    /// The whole body (its `sr_policy` is replaced in saved reproducers).
    body: Value,
    nonbod: Job,
    bod: Job,
    /// Requested bandwidth of case (c).
    bod_bd: u64,
    measurement: Duration,
}

/// Case (c)'s node indices: headend, tailend, first and second waypoint.
type Waypointed = (usize, usize, usize, usize);

/// One benchmark case of a fixture.
struct Case<'a> {
    name: &'static str,
    job_type: JobType,
    job: &'a Job,
    topo: &'a Topology,
    entry: AlgorithmEntry,
    bw: Vec<f64>,
    /// The `sr_policy` of each pair and its parsed form.
    policies: Vec<(Value, Policy)>,
}

impl Fixture {
    fn new(name: &str, body: Value, bod_bd: u64, measurement: Duration) -> Fixture {
        let start = Instant::now();
        let parse = |t: JobType| {
            Job::parse(t, &body, &Limits::default())
                .unwrap_or_else(|p| panic!("{name}: invalid {t} body:\n{p}"))
        };
        let nonbod = parse(JobType::NonbodPasta);
        let bod = parse(JobType::BodPasta);
        eprintln!(
            "[{name}] {} nodes, {} links, parsed twice in {:.0} ms",
            nonbod.request.nodes.len(),
            nonbod.request.links.len(),
            start.elapsed().as_secs_f64() * 1e3
        );
        Fixture {
            name: name.to_owned(),
            body,
            nonbod,
            bod,
            bod_bd,
            measurement,
        }
    }

    /// A synthetic topology of `n` nodes.
    fn synthetic(name: &str, n: usize, measurement: Duration) -> Fixture {
        let start = Instant::now();
        let topo = gen::topology(n, TOPOLOGY_SEED, 4);
        let (a, b) = topo.far_pair();
        let body = topo.body(&gen::node_id(a), &gen::node_id(b));
        eprintln!(
            "[{name}] generated in {:.0} ms",
            start.elapsed().as_secs_f64() * 1e3
        );
        Fixture::new(name, body, 200, measurement)
    }

    /// A converted real topology from `bench-data/`.
    fn real(name: &str, measurement: Duration) -> Fixture {
        let path = format!("{}/bench-data/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{path}: {e} (made by scripts/topohub_to_pasta.py)"));
        let body: Value = serde_json::from_str(&text).expect("bench-data bodies are JSON");
        Fixture::new(name, body, 10_000, measurement)
    }

    /// Parses `sr_policy` bodies against this fixture's nodes (the links are not needed).
    fn policies(&self, job_type: JobType, sr: Vec<Value>) -> Vec<(Value, Policy)> {
        let mut mini = json!({
            "nodes": self.body["nodes"].clone(),
            "links": [],
            "global": self.body["global"].clone(),
        });
        sr.into_iter()
            .map(|sp| {
                mini["sr_policy"] = sp.clone();
                let job = Job::parse(job_type, &mini, &Limits::default())
                    .unwrap_or_else(|p| panic!("{}: invalid policy {sp}:\n{p}", self.name));
                let policy = job.request.policies[0].clone();
                (sp, policy)
            })
            .collect()
    }

    /// Random distinct (headend, tailend) pairs, and for case (c) pairs joined by a path of at
    /// least three links in case (c)'s feasible graph (Gold available ≥ `bod_bd`, affinity bit 0
    /// clear, SIDs present), with two waypoints at one and two thirds of a min-hop such path: so
    /// that case (c) measures placements that succeed.
    fn pairs(&self, count: usize) -> (Vec<(usize, usize)>, Vec<Waypointed>) {
        let request = &self.bod.request;
        let n = request.nodes.len() as u64;
        let index: HashMap<&str, usize> = request
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| (node.id.as_str(), i))
            .collect();
        let mut out: Vec<Vec<usize>> = vec![Vec::new(); request.nodes.len()];
        for link in request.links.iter() {
            let (lo, re) = (index[link.lo.as_str()], index[link.re.as_str()]);
            let feasible = link.sid.is_some()
                && request.nodes[lo].sid.is_some()
                && request.nodes[re].sid.is_some()
                && link.affi & 0x1 == 0
                && link
                    .class("Gold")
                    .is_some_and(|q| q.bandwidth_available >= self.bod_bd as f64);
            if feasible {
                out[lo].push(re);
            }
        }
        let mut rng = gen::Rng::new(PAIR_SEED);
        let mut draw = || loop {
            let (a, b) = (rng.below(n) as usize, rng.below(n) as usize);
            if a != b {
                return (a, b);
            }
        };
        let plain: Vec<(usize, usize)> = (0..count).map(|_| draw()).collect();
        let mut with_waypoints = Vec::with_capacity(count);
        for _ in 0..count * 100 {
            if with_waypoints.len() == count {
                break;
            }
            let (a, b) = draw();
            let Some(path) = min_hop_path(&out, a, b) else {
                continue;
            };
            let h = path.len() - 1;
            if h >= 3 {
                let i = (h / 3).max(1);
                let j = (2 * h / 3).max(i + 1);
                with_waypoints.push((a, b, path[i], path[j]));
            }
        }
        (plain, with_waypoints)
    }

    fn cases<'a>(&'a self, topos: &'a (Topology, Topology), count: usize) -> Vec<Case<'a>> {
        let id = |i: usize| self.nonbod.request.nodes[i].id.clone();
        let (plain, with_waypoints) = self.pairs(count);
        let ab: Vec<Value> = plain
            .iter()
            .enumerate()
            .map(|(k, &(a, b))| json!({"id": format!("P{k}"), "he": id(a), "te": id(b), "metric": "igp"}))
            .collect();
        let c: Vec<Value> = with_waypoints
            .iter()
            .enumerate()
            .map(|(k, &(a, b, w1, w2))| {
                json!({
                    "id": format!("C{k}"), "he": id(a), "te": id(b), "metric": "igp",
                    "bd": self.bod_bd, "affi": 0, "mask": "0x1", "inc": [id(w1), id(w2)],
                    "class": "Gold",
                })
            })
            .collect();
        let entries = &self.nonbod.request.global.algorithm;
        let algo = |a: u8| {
            *entries
                .iter()
                .find(|e| e.algo == a)
                .expect("bodies carry algo 0 and algo 1")
        };
        let physical = physical_bandwidth(&self.nonbod.request);
        let nonbod_policies = self.policies(JobType::NonbodPasta, ab);
        vec![
            Case {
                name: "a_algo0",
                job_type: JobType::NonbodPasta,
                job: &self.nonbod,
                topo: &topos.0,
                entry: algo(0),
                bw: physical.clone(),
                policies: nonbod_policies.clone(),
            },
            Case {
                name: "b_algo1_top10",
                job_type: JobType::NonbodPasta,
                job: &self.nonbod,
                topo: &topos.0,
                entry: algo(1),
                bw: physical,
                policies: nonbod_policies,
            },
            Case {
                name: "c_bod_waypoints",
                job_type: JobType::BodPasta,
                job: &self.bod,
                topo: &topos.1,
                entry: algo(0),
                bw: class_bandwidth(&self.bod.request, "Gold", ClassField::Available),
                policies: self.policies(JobType::BodPasta, c),
            },
        ]
    }

    /// Writes the body with `sr_policy` replaced; returns the path.
    fn save(&self, case: &Case, what: &str, sr_policy: &Value) -> String {
        let mut body = self.body.clone();
        body["sr_policy"] = sr_policy.clone();
        let path = format!("/tmp/pasta-bench-{}-{}-{what}.json", self.name, case.name);
        let text = serde_json::to_string(&body).expect("bodies serialise");
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("  cannot write {path}: {e}");
        }
        format!("{path} ({})", case.job_type)
    }
}

/// A min-hop path `a → b` (breadth-first, neighbours in link order).
fn min_hop_path(out: &[Vec<usize>], a: usize, b: usize) -> Option<Vec<usize>> {
    let mut prev = vec![usize::MAX; out.len()];
    prev[a] = a;
    let mut queue = VecDeque::from([a]);
    while let Some(u) = queue.pop_front() {
        if u == b {
            let mut path = vec![b];
            while *path.last().expect("non-empty") != a {
                path.push(prev[*path.last().expect("non-empty")]);
            }
            path.reverse();
            return Some(path);
        }
        for &v in &out[u] {
            if prev[v] == usize::MAX {
                prev[v] = u;
                queue.push_back(v);
            }
        }
    }
    None
}

/// One call: a fresh context, then `place`. Returns the time, and the main path's hops or the
/// `info.code` of a failure.
fn one(case: &Case, policy: &Policy) -> (Duration, Result<usize, String>) {
    let clock = Clock::get();
    let start = clock.now();
    let mut ctx = Ctx::new(case.topo, &case.job.request);
    let out = place(
        &mut ctx,
        policy,
        &case.entry,
        &case.bw,
        &Exclusions::default(),
    );
    let took = clock.now() - start;
    let outcome = match &out {
        Ok(placed) => Ok(placed.main.cand.path.hops()),
        Err(info) => Err(info
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()),
    };
    drop(black_box(out));
    (took, outcome)
}

/// Places every pair once: prints what was found and the time distribution, saves the slowest
/// pair's body and those that panic (which are dropped from the case).
fn survey(fx: &Fixture, case: &mut Case) {
    let mut times = Vec::new();
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut keep = Vec::new();
    let mut slowest: Option<(Duration, usize)> = None;
    let mut hops = Vec::new();
    for (k, (sp, policy)) in case.policies.iter().enumerate() {
        match catch_unwind(AssertUnwindSafe(|| one(case, policy))) {
            Ok((took, outcome)) => {
                let code = match outcome {
                    Ok(h) => {
                        hops.push(h);
                        "found".to_owned()
                    }
                    Err(code) => code,
                };
                *codes.entry(code).or_default() += 1;
                times.push(took);
                if slowest.is_none_or(|(t, _)| took > t) {
                    slowest = Some((took, k));
                }
                keep.push(k);
            }
            Err(_) => {
                let path = fx.save(case, &format!("pair{k}-panic"), sp);
                eprintln!("  [{}/{}] pair {k} PANICKED: {path}", fx.name, case.name);
            }
        }
    }
    let kept: Vec<(Value, Policy)> = keep.iter().map(|&k| case.policies[k].clone()).collect();
    case.policies = kept;
    if times.is_empty() {
        return;
    }
    times.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let at = |q: f64| ms(times[((times.len() - 1) as f64 * q).round() as usize]);
    let mean = times.iter().map(|&d| ms(d)).sum::<f64>() / times.len() as f64;
    let (worst, k) = slowest.expect("some time");
    let saved = fx.save(
        case,
        "slowest",
        &case.policies[keep.iter().position(|&x| x == k).expect("kept")].0,
    );
    eprintln!(
        "  [{}/{}] {codes:?}, main path {:.1} hops on average; ms per call: min {:.3}, median {:.3}, mean {:.3}, p90 {:.3}, max {:.3} (pair {k}: {saved})",
        fx.name,
        case.name,
        hops.iter().sum::<usize>() as f64 / hops.len().max(1) as f64,
        at(0.0),
        at(0.5),
        mean,
        at(0.9),
        ms(worst),
    );
}

fn bench_fixture(c: &mut Criterion, fx: &Fixture, pairs: usize, survey_first: bool) {
    let topos = (
        Topology::new(&fx.nonbod.request),
        Topology::new(&fx.bod.request),
    );
    let mut cases = fx.cases(&topos, pairs);
    if survey_first {
        for case in &mut cases {
            survey(fx, case);
        }
    }
    let mut group = c.benchmark_group(&fx.name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(fx.measurement)
        .sampling_mode(SamplingMode::Flat);
    for case in &cases {
        if case.policies.is_empty() {
            continue;
        }
        group.bench_function(case.name, |b| {
            let mut next = 0usize;
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (_, policy) = &case.policies[next % case.policies.len()];
                    next += 1;
                    total += one(case, policy).0;
                }
                total
            });
        });
    }
    group.finish();
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let survey_first = full && std::env::var("PASTA_BENCH_SURVEY").map_or(true, |v| v != "0");
    Clock::print_load("before");
    eprintln!("clock: {:?}", Clock::get());
    let mut c = Criterion::default().configure_from_args();
    let wanted: Vec<String> = match std::env::var("PASTA_BENCH_GROUPS") {
        Ok(list) => list.split(',').map(|s| s.trim().to_owned()).collect(),
        Err(_) if full => ["1k", "10k", "germany50", "tatanld"]
            .map(String::from)
            .to_vec(),
        Err(_) => ["germany50", "1k"].map(String::from).to_vec(),
    };
    let pairs = if full { PAIRS } else { QUICK_PAIRS };
    for name in &wanted {
        let secs = Duration::from_secs;
        let fx = match name.as_str() {
            "1k" => Fixture::synthetic(name, 1_000, secs(3)),
            "10k" => Fixture::synthetic(name, 10_000, secs(8)),
            real => Fixture::real(real, secs(3)),
        };
        bench_fixture(&mut c, &fx, pairs, survey_first);
    }
    c.final_summary();
    Clock::print_load("after");
}
