//! Criterion benchmark: the engine's own topology and IGP shortest-path tree against petgraph's,
//! like for like, on the synthetic topologies of `benches/support/gen.rs` (seed 1, average
//! out-degree 4). The figures are in README.md, "Why the engine does not use petgraph".
//!
//! Per topology (one criterion group each, `petgraph_1k` and `petgraph_10k`; 20 samples, flat
//! sampling, 2 s and 4 s of measurement):
//! - building the graph from the parsed request (`job.request`):
//!   - `build/engine_topology`: [`Topology::new`] (id maps, id ranks, in- and out-adjacency sorted
//!     by link id, every per-link array);
//!   - `build/petgraph_csr`: a node id → index map, the `(lo, re, igp)` triples sorted, and
//!     `Csr::from_sorted_edges` (out-adjacency and the igp weight only);
//!   - `build/petgraph_graph`: the same map, then `Graph::add_node` / `Graph::add_edge` per link;
//! - the single-source igp shortest-path tree of the whole topology from one source (the node
//!   nearest the corner (0, 0)), every node reached:
//!   - `spt/engine_igp`: `IgpModel::spt(source, FAR)` on a fresh model, what a job pays for a
//!     tree: distances, shortest-path counts and settling order (radix heap);
//!   - `spt/engine_costs`: `Costs::run` over the whole topology as the leg graph (a policy with no
//!     constraint), out to the farthest node: distances only (radix heap, scratch reused);
//!   - `spt/petgraph_csr` and `spt/petgraph_graph`: `petgraph::algo::dijkstra` with the igp
//!     weight, no goal: distances only, in a new hash map.
//!
//! Before measuring, every tree is checked to give the same distance to every node. Each
//! iteration's result is dropped inside the measurement (freeing is part of the cost).
//! `PASTA_BENCH_CLOCK=cpu` measures the thread's CPU time instead of wall time, as in the other
//! benches (`benches/support/clock.rs`).
//!
//! ```text
//! PASTA_BENCH_CLOCK=cpu cargo bench --bench petgraph    # about a minute once built
//! ```
//!
//! Under `cargo test --benches` (no `--bench` argument) only the 1k group runs, once.

#[path = "support/clock.rs"]
mod clock;
#[path = "support/gen.rs"]
mod gen;

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use clock::Clock;
use criterion::{Bencher, Criterion, SamplingMode};
use petgraph::algo::dijkstra;
use petgraph::csr::Csr;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Directed;
use serde_json::Value;

use pasta::engine::feasible::{Exclusions, Feasible};
use pasta::engine::igp::{IgpModel, FAR};
use pasta::engine::search::{Costs, LegGraph};
use pasta::engine::topology::{NodeIx, Topology};
use pasta::model::{Job, JobType, Limits, Request};

/// Seed of the synthetic topologies (the `engine` bench's).
const TOPOLOGY_SEED: u64 = 1;

/// petgraph's compressed sparse row graph with `u32` indices and the igp metric as weight.
type PgCsr = Csr<(), u64, Directed, u32>;
/// petgraph's adjacency-list graph with the igp metric as weight.
type PgGraph = DiGraph<(), u64, u32>;

/// Node id → index, in request order (the engine's indices).
fn node_index(request: &Request) -> HashMap<&str, u32> {
    request
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i as u32))
        .collect()
}

/// A `Csr` of the request's links. `Csr` holds no parallel links (none in generated topologies).
fn build_csr(request: &Request) -> PgCsr {
    let ix = node_index(request);
    let mut edges: Vec<(u32, u32, u64)> = request
        .links
        .iter()
        .map(|l| (ix[l.lo.as_str()], ix[l.re.as_str()], l.igp))
        .collect();
    edges.sort_unstable_by_key(|&(a, b, _)| (a, b));
    Csr::from_sorted_edges(&edges).expect("generated topologies have no parallel links")
}

/// A `Graph` of the request's links.
fn build_graph(request: &Request) -> PgGraph {
    let ix = node_index(request);
    let mut g = PgGraph::with_capacity(request.nodes.len(), request.links.len());
    for _ in request.nodes.iter() {
        g.add_node(());
    }
    for l in request.links.iter() {
        g.add_edge(
            NodeIndex::new(ix[l.lo.as_str()] as usize),
            NodeIndex::new(ix[l.re.as_str()] as usize),
            l.igp,
        );
    }
    g
}

/// One generated topology, parsed once, with its graphs built once.
struct Fixture {
    name: String,
    job: Job,
    topo: Topology,
    feas: Feasible,
    csr: PgCsr,
    graph: PgGraph,
    source: NodeIx,
    /// A node at the largest distance from `source` (where `Costs::run` stops).
    farthest: NodeIx,
}

impl Fixture {
    fn new(name: &str, n: usize) -> Fixture {
        let start = Instant::now();
        let gen = gen::topology(n, TOPOLOGY_SEED, 4);
        let (a, b) = gen.far_pair();
        let body: Value = gen.body(&gen::node_id(a), &gen::node_id(b));
        let job = Job::parse(JobType::NonbodPasta, &body, &Limits::default())
            .unwrap_or_else(|p| panic!("{name}: invalid body:\n{p}"));
        let topo = Topology::new(&job.request);
        let feas = Feasible::new(
            &topo,
            &job.request,
            &job.request.policies[0],
            vec![f64::INFINITY; topo.link_count()],
            &Exclusions::default(),
        );
        assert!(
            feas.whole(),
            "the unconstrained policy keeps the whole topology"
        );
        let csr = build_csr(&job.request);
        let graph = build_graph(&job.request);
        let source = topo.node(&gen::node_id(a)).expect("headend");
        let mut fx = Fixture {
            name: name.to_owned(),
            job,
            topo,
            feas,
            csr,
            graph,
            source,
            farthest: source,
        };
        fx.check();
        eprintln!(
            "[{name}] {} nodes, {} links, source {}, farthest node {} at igp {}; set up and checked in {:.0} ms",
            fx.topo.node_count(),
            fx.topo.link_count(),
            fx.topo.node_id[fx.source as usize],
            fx.topo.node_id[fx.farthest as usize],
            fx.engine_tree()[fx.farthest as usize],
            start.elapsed().as_secs_f64() * 1e3
        );
        fx
    }

    fn leg(&self) -> LegGraph<'_> {
        LegGraph {
            topo: &self.topo,
            feas: &self.feas,
            metric: &self.topo.igp,
            banned: None,
        }
    }

    /// The engine's IGP distances from the source (a fresh, whole tree).
    fn engine_tree(&self) -> Vec<u64> {
        let mut model = IgpModel::new(&self.topo);
        let tree = model.spt(&self.topo, self.source, FAR);
        let dist = tree.borrow().dist.clone();
        dist
    }

    /// Every tree gives every node the same distance; sets `farthest`.
    fn check(&mut self) {
        let n = self.topo.node_count();
        assert_eq!(self.csr.node_count(), n);
        assert_eq!(self.graph.node_count(), n);
        let dist = self.engine_tree();
        assert!(
            dist.iter().all(|&d| d != FAR),
            "generated topologies are connected"
        );
        self.farthest = (0..n as NodeIx)
            .max_by_key(|&v| (dist[v as usize], std::cmp::Reverse(v)))
            .expect("nodes");
        let mut costs = Costs::new(n);
        let reached = costs.run(&self.leg(), self.source, self.farthest);
        assert_eq!(reached, Some(dist[self.farthest as usize]));
        let by_csr = dijkstra(&self.csr, self.source, None, |e| *e.weight());
        let by_graph = dijkstra(
            &self.graph,
            NodeIndex::new(self.source as usize),
            None,
            |e| *e.weight(),
        );
        assert_eq!(by_csr.len(), n);
        assert_eq!(by_graph.len(), n);
        for v in 0..n as NodeIx {
            let d = dist[v as usize];
            assert_eq!(costs.settled(v), Some(d), "Costs::run, node {v}");
            assert_eq!(by_csr[&v], d, "petgraph Csr, node {v}");
            assert_eq!(
                by_graph[&NodeIndex::new(v as usize)],
                d,
                "petgraph Graph, node {v}"
            );
        }
    }
}

/// Measures `f`, on the chosen clock; its result is dropped inside the measurement.
fn timed<O>(b: &mut Bencher, mut f: impl FnMut() -> O) {
    b.iter_custom(|iters| {
        let clock = Clock::get();
        let start = clock.now();
        for _ in 0..iters {
            black_box(f());
        }
        clock.now() - start
    });
}

fn bench_fixture(c: &mut Criterion, fx: &Fixture, measurement: Duration) {
    let request = &fx.job.request;
    let mut group = c.benchmark_group(format!("petgraph_{}", fx.name));
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(measurement)
        .sampling_mode(SamplingMode::Flat);

    group.bench_function("build/engine_topology", |b| {
        timed(b, || Topology::new(black_box(request)))
    });
    group.bench_function("build/petgraph_csr", |b| {
        timed(b, || build_csr(black_box(request)))
    });
    group.bench_function("build/petgraph_graph", |b| {
        timed(b, || build_graph(black_box(request)))
    });

    let (topo, source, farthest) = (&fx.topo, fx.source, fx.farthest);
    group.bench_function("spt/engine_igp", |b| {
        timed(b, || {
            let mut model = IgpModel::new(topo);
            let tree = model.spt(topo, black_box(source), FAR);
            let d = tree.borrow().dist[farthest as usize];
            d
        })
    });
    let leg = fx.leg();
    let mut costs = Costs::new(topo.node_count());
    group.bench_function("spt/engine_costs", |b| {
        timed(b, || costs.run(&leg, black_box(source), farthest))
    });
    group.bench_function("spt/petgraph_csr", |b| {
        timed(b, || {
            dijkstra(&fx.csr, black_box(source), None, |e| *e.weight())
        })
    });
    let pg_source = NodeIndex::new(source as usize);
    group.bench_function("spt/petgraph_graph", |b| {
        timed(b, || {
            dijkstra(&fx.graph, black_box(pg_source), None, |e| *e.weight())
        })
    });
    group.finish();
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    Clock::print_load("before");
    eprintln!("clock: {:?}", Clock::get());
    let mut c = Criterion::default().configure_from_args();
    let sizes: &[(&str, usize, u64)] = if full {
        &[("1k", 1_000, 2), ("10k", 10_000, 4)]
    } else {
        &[("1k", 1_000, 2)]
    };
    for &(name, n, secs) in sizes {
        let fx = Fixture::new(name, n);
        bench_fixture(&mut c, &fx, Duration::from_secs(secs));
    }
    c.final_summary();
    Clock::print_load("after");
}
