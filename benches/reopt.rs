//! Criterion benchmarks of the list jobs (contract §3, re-optimisation): one iteration is one
//! whole job, `pasta::engine::compute` on a parsed [`Job`] (a fresh topology, IGP model and
//! context, every policy placed, the result document built and dropped; parsing the body and
//! serialising the result are not included, the survey prints what they cost). Single-threaded.
//!
//! Topology: the synthetic 1k-node one of `benches/engine.rs` (`benches/support/gen.rs`, seed 1,
//! average out-degree 4: 1,000 nodes, 4,000 directed links), with a second class `Silver` added to
//! every link (`bandwidth_reserve` = `bandwidth_available` = `bd` / 40).
//!
//! Cases (criterion group `reopt`):
//! - `bod_reopt_1000`, `bod_reopt_10000`: `bod_reopt` of 1,000 and 10,000 policies between random
//!   distinct nodes, algo 0, metric igp, sorting `bandwidth_desc`, three in four of class Gold and
//!   the others Silver, bandwidths uniform in `(0, 2m]` with `m` = [`DEMAND`] × 1,000 / policies
//!   for Gold and a quarter of it for Silver: the same total demand for both sizes, enough that
//!   both classes' capacities bind and some policies stay unplaced (the survey prints how many, by
//!   class and reason). `PASTA_BENCH_DEMAND` overrides [`DEMAND`].
//! - `bod_congest_reopt_5x40`: `bod_congest_reopt` of 5 congested links (`bd` 10,000, traffic at
//!   90 % against `congest_threshold` 0.8 and `target_threshold` 0.7, so 2,000 to move off each)
//!   and 200 movable policies, 40 crossing each link (more than 16: the greedy choice): their
//!   `path` is an IGP-shortest path from a node 2–6 hops before the link, through it, to a node
//!   2–6 hops after it (over links of `bd` ≥ 10,000), `traffic_flow` = `bd` 40–120, priority 1–5,
//!   class Gold. Every link carries 5–30 % of its `bd` as background plus the traffic of the
//!   policies crossing it. The survey prints the links relieved and the policies moved.
//! - `bod_congest_reopt_5x16_exact`: the same with 16 policies a link (the exact choice), each
//!   carrying 100–250.
//!
//! ```text
//! PASTA_BENCH_CLOCK=cpu cargo bench --bench reopt        # about three minutes
//! cargo bench --bench reopt -- congest                   # criterion's own filter
//! ```
//!
//! `PASTA_BENCH_SURVEY=0` skips the survey (e.g. under `perf record`); the survey also saves each
//! body to `/tmp/pasta-bench-reopt-<case>.json` for `pasta compute`. `PASTA_BENCH_CLOCK=cpu`
//! measures the thread's CPU time instead of wall time (see `benches/support/clock.rs`). The run
//! ends with a line per case giving the median per job and per policy of the iterations measured.
//!
//! Under `cargo test --benches` (no `--bench` argument) it runs a quick smoke check instead:
//! 100 policies, and 2 congested links of 10 policies each.

#[path = "support/clock.rs"]
mod clock;
#[path = "support/gen.rs"]
mod gen;

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use serde_json::{json, Value};

use clock::Clock;
use pasta::model::{Job, JobType, Limits};

/// Seed of the topology (the one of `benches/engine.rs`).
const TOPOLOGY_SEED: u64 = 1;
/// Seed of the bod_reopt policies.
const POLICY_SEED: u64 = 11;
/// Seed of the congestion case.
const CONGEST_SEED: u64 = 13;
/// Gold demand scale: the mean bandwidth of a Gold policy in a job of 1,000 policies.
const DEMAND: f64 = 3.0;
/// Smallest link `bd` the congestion case's policy paths and congested links use.
const CONGEST_BD: u64 = 10_000;

/// The topology as the benches read it.
struct Net {
    gen: gen::Topology,
    nodes: Vec<Value>,
    links: Vec<Value>,
}

impl Net {
    fn new() -> Net {
        let gen = gen::topology(1_000, TOPOLOGY_SEED, 4);
        let nodes = gen.nodes_json();
        let mut links = gen.links_json();
        for link in &mut links {
            let bd = link["bd"].as_u64().expect("generated links have a bd");
            link["qos_class"]
                .as_array_mut()
                .expect("generated links have classes")
                .push(json!({"class": "Silver", "bandwidth_reserve": bd / 40,
                             "bandwidth_available": bd / 40}));
        }
        Net { gen, nodes, links }
    }

    fn body(&self, sr_policy: Vec<Value>, global: Value) -> Value {
        json!({"nodes": self.nodes, "links": self.links, "sr_policy": sr_policy, "global": global})
    }

    /// A `bod_reopt` body of `count` policies.
    fn bod_reopt(&self, count: usize) -> Value {
        let n = self.gen.node_count() as u64;
        let mut rng = gen::Rng::new(POLICY_SEED);
        let demand: f64 = std::env::var("PASTA_BENCH_DEMAND")
            .ok()
            .and_then(|d| d.parse().ok())
            .unwrap_or(DEMAND);
        // Mean Gold bandwidth; Silver asks a quarter of it. Bandwidths in thousandths.
        let mean = demand * 1_000.0 / count as f64;
        let draw = |rng: &mut gen::Rng, mean: f64| rng.range(1, 2_000) as f64 * mean / 1_000.0;
        let policies = (0..count)
            .map(|k| {
                let (he, te) = loop {
                    let (a, b) = (rng.below(n), rng.below(n));
                    if a != b {
                        break (a as usize, b as usize);
                    }
                };
                let (class, bd) = if rng.below(4) < 3 {
                    ("Gold", draw(&mut rng, mean))
                } else {
                    ("Silver", draw(&mut rng, mean / 4.0))
                };
                json!({"id": format!("P{k}"), "he": gen::node_id(he), "te": gen::node_id(te),
                       "class": class, "bd": bd, "metric": "igp"})
            })
            .collect();
        self.body(policies, json!({"algorithm": [{"algo": 0}]}))
    }

    /// The undirected links of `bd` ≥ [`CONGEST_BD`] at each node: `(neighbour, edge, igp)`.
    fn strong(&self) -> Vec<Vec<(usize, usize, u64)>> {
        let mut adj = vec![Vec::new(); self.gen.node_count()];
        for (e, edge) in self.gen.edges.iter().enumerate() {
            if edge.bd >= CONGEST_BD {
                adj[edge.a].push((edge.b, e, edge.igp));
                adj[edge.b].push((edge.a, e, edge.igp));
            }
        }
        adj
    }

    /// The directed link id of edge `e` from node `from`.
    fn link_from(&self, e: usize, from: usize) -> String {
        let side = usize::from(self.gen.edges[e].a != from);
        gen::link_id(2 * e + side)
    }

    /// A `bod_congest_reopt` body: `links` congested links, `per_link` policies crossing each,
    /// each carrying `flow.0..=flow.1`.
    fn congest(&self, links: usize, per_link: usize, flow: (u64, u64)) -> Value {
        let adj = self.strong();
        let mut rng = gen::Rng::new(CONGEST_SEED);
        let edges = &self.gen.edges;
        let n = self.gen.node_count();
        let mut used_nodes = vec![false; n];
        let mut traffic: Vec<f64> = vec![0.0; 2 * edges.len()];
        let mut policies = Vec::new();
        let mut listed = Vec::new();
        while listed.len() < links {
            let e = rng.below(edges.len() as u64) as usize;
            let edge = &edges[e];
            let (u, v) = if rng.below(2) == 0 {
                (edge.a, edge.b)
            } else {
                (edge.b, edge.a)
            };
            if edge.bd != CONGEST_BD || used_nodes[u] || used_nodes[v] {
                continue;
            }
            // Heads 2–6 hops before u whose branch avoids v, tails 2–6 hops after v whose
            // branch avoids u.
            let (to_u, from_v) = (tree(&adj, u), tree(&adj, v));
            let ends = |t: &Tree, avoid: usize| -> Vec<Vec<(usize, Option<usize>)>> {
                (0..n)
                    .filter(|&x| (2..=6).contains(&t.hops[x]))
                    .map(|x| t.walk(x))
                    .filter(|w| w.iter().all(|&(y, _)| y != avoid))
                    .collect()
            };
            let (heads, tails) = (ends(&to_u, v), ends(&from_v, u));
            if heads.len() < 5 || tails.len() < 5 {
                continue;
            }
            let mut chosen = Vec::new();
            for _ in 0..100 * per_link {
                if chosen.len() == per_link {
                    break;
                }
                let first = &heads[rng.below(heads.len() as u64) as usize];
                let mut last = tails[rng.below(tails.len() as u64) as usize].clone();
                last.reverse();
                let mut nodes: Vec<usize> = first.iter().chain(&last).map(|&(x, _)| x).collect();
                nodes.sort_unstable();
                if nodes.windows(2).any(|w| w[0] == w[1]) {
                    continue; // the branches meet: not a simple path
                }
                chosen.push((first.clone(), last));
            }
            if chosen.len() < per_link {
                continue;
            }
            used_nodes[u] = true;
            used_nodes[v] = true;
            let l = listed.len();
            listed.push(self.link_from(e, u));
            for (k, (first, last)) in chosen.into_iter().enumerate() {
                // Up a's branch to u, the congested link, down b's branch from v.
                let mut hops: Vec<(usize, usize)> =
                    first.iter().map(|&(x, up)| (x, up.unwrap_or(e))).collect();
                for i in 0..last.len() - 1 {
                    hops.push((last[i].0, last[i + 1].1.expect("a tree link")));
                }
                let mut ids = Vec::new();
                let flow = rng.range(flow.0, flow.1);
                for &(x, via) in &hops {
                    ids.push(gen::node_id(x));
                    ids.push(self.link_from(via, x));
                    traffic[2 * via + usize::from(edges[via].a != x)] += flow as f64;
                }
                let (a, b) = (first[0].0, last[last.len() - 1].0);
                ids.push(gen::node_id(b));
                policies.push(json!({
                    "id": format!("C{l}-{k}"), "he": gen::node_id(a), "te": gen::node_id(b),
                    "class": "Gold", "bd": flow, "traffic_flow": flow,
                    "priority": rng.range(1, 5), "metric": "igp", "path": [[ids]],
                }));
            }
        }
        let mut links = self.links.clone();
        for (j, link) in links.iter_mut().enumerate() {
            let bd = link["bd"].as_f64().expect("a bd");
            let background = bd * rng.range(5, 30) as f64 / 100.0;
            link["traffic_flow"] = json!(background + traffic[j]);
        }
        for id in &listed {
            let j: usize = id[1..].parse().expect("L<j>");
            let bd = links[j]["bd"].as_f64().expect("a bd");
            assert!(
                traffic[j] <= 0.9 * bd,
                "the policies alone exceed 90 % of {id}"
            );
            links[j]["traffic_flow"] = json!(0.9 * bd);
        }
        let global = json!({"algorithm": [{"algo": 0}], "congest_threshold": 0.8,
                            "target_threshold": 0.7, "reopt_mode": "loose"});
        let mut body = self.body(policies, global);
        body["links"] = json!(links);
        body["congested_link"] = json!(listed);
        body
    }
}

/// A shortest-path tree (igp, ties by node index) towards `root`: `parent[x]` = (next node
/// towards the root, edge), `hops[x]` its depth (`usize::MAX` when unreached).
struct Tree {
    parent: Vec<Option<(usize, usize)>>,
    hops: Vec<usize>,
}

impl Tree {
    /// The walk from `x` up to the root: `(node, edge to the next node)`, the root last with
    /// `None`.
    fn walk(&self, mut x: usize) -> Vec<(usize, Option<usize>)> {
        let mut out = Vec::new();
        while let Some((next, e)) = self.parent[x] {
            out.push((x, Some(e)));
            x = next;
        }
        out.push((x, None));
        out
    }
}

fn tree(adj: &[Vec<(usize, usize, u64)>], root: usize) -> Tree {
    let n = adj.len();
    let mut dist = vec![u64::MAX; n];
    let mut parent = vec![None; n];
    let mut hops = vec![usize::MAX; n];
    let mut heap = BinaryHeap::new();
    dist[root] = 0;
    hops[root] = 0;
    heap.push(Reverse((0u64, root)));
    while let Some(Reverse((d, x))) = heap.pop() {
        if d > dist[x] {
            continue;
        }
        for &(y, e, w) in &adj[x] {
            if d + w < dist[y] {
                dist[y] = d + w;
                parent[y] = Some((x, e));
                hops[y] = hops[x] + 1;
                heap.push(Reverse((d + w, y)));
            }
        }
    }
    Tree { parent, hops }
}

/// One benchmark case: a parsed job and how many policies it has.
struct Case {
    name: String,
    job: Job,
    /// The body, saved by the survey so that `pasta compute` reproduces the job.
    body: Value,
    policies: usize,
    measurement: Cell<Duration>,
    /// Per-iteration times measured, for the closing line.
    times: RefCell<Vec<Duration>>,
}

impl Case {
    fn new(name: &str, job_type: JobType, body: Value, measurement: Duration) -> Case {
        let start = Instant::now();
        let job = Job::parse(job_type, &body, &Limits::default())
            .unwrap_or_else(|p| panic!("{name}: invalid body:\n{p}"));
        let policies = job.request.policies.len();
        eprintln!(
            "[{name}] {} policies, {} nodes, {} links; parsed and validated in {:.0} ms",
            policies,
            job.request.nodes.len(),
            job.request.links.len(),
            start.elapsed().as_secs_f64() * 1e3
        );
        Case {
            name: name.to_owned(),
            job,
            body,
            policies,
            measurement: Cell::new(measurement),
            times: RefCell::new(Vec::new()),
        }
    }

    /// One job: the engine's whole computation, timed by the bench clock.
    fn run(&self) -> (Duration, pasta::engine::Document) {
        let clock = Clock::get();
        let epoch = Instant::now();
        let now_ms = || epoch.elapsed().as_secs_f64() * 1e3;
        let start = clock.now();
        let doc = pasta::engine::compute(&self.job, &now_ms);
        (clock.now() - start, doc)
    }

    /// Runs the job once and prints what it did; the measurement time grows to fit ten
    /// iterations of what the job took.
    fn survey(&self) {
        let path = format!("/tmp/pasta-bench-reopt-{}.json", self.name);
        if let Err(e) = std::fs::write(&path, serde_json::to_vec(&self.body).expect("JSON")) {
            eprintln!("  cannot write {path}: {e}");
        }
        let (took, doc) = self.run();
        self.measurement
            .set(self.measurement.get().max(took.mul_f64(12.0)));
        let start = Instant::now();
        let text = serde_json::to_vec(&doc).expect("documents serialise");
        let serialised = start.elapsed();
        let doc: Value = serde_json::from_slice(&text).expect("JSON");
        let ms = took.as_secs_f64() * 1e3;
        eprintln!(
            "  [{}] one job: {ms:.1} ms, {:.3} ms per policy; result {:.1} MB, serialised in {:.0} ms; body in {path} (pasta compute {} {path})",
            self.name,
            ms / self.policies as f64,
            text.len() as f64 / 1e6,
            serialised.as_secs_f64() * 1e3,
            self.job.job_type,
        );
        let item = &doc["data"][0];
        match self.job.job_type {
            JobType::BodCongestReopt => self.survey_congest(item),
            _ => self.survey_reopt(item),
        }
    }

    fn survey_reopt(&self, item: &Value) {
        let class: BTreeMap<&str, &str> = self
            .job
            .request
            .policies
            .iter()
            .map(|p| (p.id.as_str(), p.class.as_deref().unwrap_or("")))
            .collect();
        let mut counts: BTreeMap<(&str, String), usize> = BTreeMap::new();
        for e in item["data"].as_array().expect("entries") {
            let c = class[e["id"].as_str().expect("an id")];
            let outcome = match e["status"].as_bool() {
                Some(true) => "placed".to_owned(),
                _ => match e["info"]["constraint"].as_str() {
                    Some(c) => format!("{} ({c})", e["info"]["code"].as_str().unwrap_or("?")),
                    None => e["info"]["code"].as_str().unwrap_or("?").to_owned(),
                },
            };
            *counts.entry((c, outcome)).or_default() += 1;
        }
        let summary = &item["summary"];
        let top = &summary["links"][0];
        eprintln!(
            "  [{}] placed {}, unplaced {}; by class and outcome {counts:?}; most utilised {} {} at {:.3}",
            self.name, summary["placed"], summary["unplaced"], top["class"], top["link"],
            top["utilisation"].as_f64().unwrap_or(0.0)
        );
    }

    fn survey_congest(&self, item: &Value) {
        let summary = &item["summary"];
        let moved = item["data"].as_array().expect("entries");
        let mut per_link: BTreeMap<&str, usize> = BTreeMap::new();
        for e in moved {
            *per_link
                .entry(e["moved_from"].as_str().unwrap_or("?"))
                .or_default() += 1;
        }
        let listed: Vec<&str> = self
            .job
            .request
            .congested_link
            .iter()
            .map(String::as_str)
            .collect();
        let utilisation: Vec<String> = summary["utilisation"]
            .as_array()
            .expect("rows")
            .iter()
            .filter(|r| listed.contains(&r["link"].as_str().unwrap_or("")))
            .map(|r| {
                format!(
                    "{} {:.3} → {:.3}",
                    r["link"].as_str().unwrap_or("?"),
                    r["before"].as_f64().unwrap_or(f64::NAN),
                    r["after"].as_f64().unwrap_or(f64::NAN)
                )
            })
            .collect();
        let movable = self
            .job
            .request
            .policies
            .iter()
            .filter(|p| p.priority > 0)
            .count();
        eprintln!(
            "  [{}] status {}; relieved {} of {} listed {}, unrelieved {}; {} of {movable} movable policies moved, per link {per_link:?}; {} links' traffic changed; listed links: {}",
            self.name,
            item["status"],
            summary["relieved"].as_array().map_or(0, Vec::len),
            listed.len(),
            summary["relieved"],
            summary["unrelieved"],
            moved.len(),
            summary["utilisation"].as_array().map_or(0, Vec::len),
            utilisation.join(", "),
        );
    }

    /// The closing line: median per job and per policy of the measured iterations.
    fn report(&self) {
        let mut times = self.times.borrow().clone();
        if times.is_empty() {
            return;
        }
        times.sort_unstable();
        let median = times[times.len() / 2].as_secs_f64() * 1e3;
        eprintln!(
            "[{}] median of {} iterations: {median:.1} ms per job, {:.3} ms per policy (min {:.1}, max {:.1} ms per job)",
            self.name,
            times.len(),
            median / self.policies as f64,
            times[0].as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3,
        );
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let survey_first = full && std::env::var("PASTA_BENCH_SURVEY").map_or(true, |v| v != "0");
    Clock::print_load("before");
    eprintln!("clock: {:?}", Clock::get());
    let mut c = Criterion::default().configure_from_args();
    let start = Instant::now();
    let net = Net::new();
    eprintln!(
        "[1k] {} nodes, {} links, generated in {:.0} ms",
        net.nodes.len(),
        net.links.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    let secs = Duration::from_secs;
    let cases = if full {
        vec![
            Case::new(
                "bod_reopt_1000",
                JobType::BodReopt,
                net.bod_reopt(1_000),
                secs(5),
            ),
            Case::new(
                "bod_reopt_10000",
                JobType::BodReopt,
                net.bod_reopt(10_000),
                secs(30),
            ),
            Case::new(
                "bod_congest_reopt_5x40",
                JobType::BodCongestReopt,
                net.congest(5, 40, (40, 120)),
                secs(5),
            ),
            Case::new(
                "bod_congest_reopt_5x16_exact",
                JobType::BodCongestReopt,
                net.congest(5, 16, (100, 250)),
                secs(5),
            ),
        ]
    } else {
        vec![
            Case::new(
                "bod_reopt_100",
                JobType::BodReopt,
                net.bod_reopt(100),
                secs(1),
            ),
            Case::new(
                "bod_congest_reopt_2x10",
                JobType::BodCongestReopt,
                net.congest(2, 10, (100, 250)),
                secs(1),
            ),
        ]
    };
    if survey_first {
        for case in &cases {
            case.survey();
        }
    }
    let mut group = c.benchmark_group("reopt");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .sampling_mode(SamplingMode::Flat);
    for case in &cases {
        group.measurement_time(case.measurement.get());
        group.bench_function(&case.name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (took, doc) = case.run();
                    drop(black_box(doc));
                    case.times.borrow_mut().push(took);
                    total += took;
                }
                total
            });
        });
    }
    group.finish();
    if full {
        for case in &cases {
            case.report();
        }
    }
    c.final_summary();
    Clock::print_load("after");
}
