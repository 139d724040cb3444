//! Writes a synthetic `nonbod_pasta` request body to standard output: a deterministic,
//! geometric-like topology (see `benches/support/gen.rs`) with one policy between two far-apart
//! nodes and the algorithm entries `[{"algo": 0}, {"algo": 1, "top": 10}]`.
//!
//! ```text
//! cargo run --release --example gen_topology -- --nodes 10000 --seed 1 > /tmp/topo10k.json
//! /usr/bin/time -v target/release/pasta compute nonbod_pasta /tmp/topo10k.json > /tmp/out.json
//! ```
//!
//! The same arguments give byte-identical output on every machine.

#[path = "../benches/support/gen.rs"]
mod gen;

use std::io::Write;

use clap::Parser;

/// Generates a pasta request body on a synthetic topology.
#[derive(Parser)]
struct Args {
    /// Number of nodes (at least 2).
    #[arg(long, default_value_t = 1000)]
    nodes: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Average out-degree (directed links per node).
    #[arg(long, default_value_t = 4)]
    degree: usize,
    /// The policy's headend and tailend as `HE,TE` node ids (default: the nodes nearest two
    /// opposite corners of the square).
    #[arg(long)]
    policy: Option<String>,
    /// Pretty-print the body.
    #[arg(long)]
    pretty: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.nodes >= 2, "--nodes must be at least 2");
    let topo = gen::topology(args.nodes, args.seed, args.degree);
    let (he, te) = match &args.policy {
        Some(p) => {
            let (he, te) = p
                .split_once(',')
                .ok_or_else(|| anyhow::anyhow!("--policy must be HE,TE"))?;
            for id in [he, te] {
                let ok = id
                    .strip_prefix('N')
                    .and_then(|i| i.parse::<usize>().ok())
                    .is_some_and(|i| i < args.nodes && gen::node_id(i) == id);
                anyhow::ensure!(
                    ok,
                    "--policy: no node {id:?} (ids are N0..N{})",
                    args.nodes - 1
                );
            }
            (he.to_owned(), te.to_owned())
        }
        None => {
            let (a, b) = topo.far_pair();
            (gen::node_id(a), gen::node_id(b))
        }
    };
    let body = topo.body(&he, &te);
    eprintln!(
        "{} nodes, {} links, policy {he} -> {te}",
        args.nodes,
        2 * topo.edges.len()
    );
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.pretty {
        serde_json::to_writer_pretty(&mut out, &body)?;
    } else {
        serde_json::to_writer(&mut out, &body)?;
    }
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
