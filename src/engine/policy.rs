//! One policy under one algorithm entry: candidates, the main encoding, `other`, the disjoint
//! path (contract §3 steps 2–4), or the reason there is none (step 6).

use serde_json::Value;

use super::diagnose;
use super::encode::{covers, Encoder, SegmentList};
use super::expand::Expansion;
use super::feasible::{Exclusions, Feasible};
use super::igp::IgpModel;
use super::search::Search;
use super::select::candidates;
use super::stream::{Candidate, PolicyGraph};
use super::topology::{LinkIx, Topology};
use super::yen::LegSpec;
use crate::model::{AlgorithmEntry, Metric, Policy, Request};

/// What a job shares across its policies: the topology, the IGP model, search scratch space.
pub struct Ctx<'a> {
    /// The topology.
    pub topo: &'a Topology,
    /// The request.
    pub request: &'a Request,
    /// The IGP forwarding model.
    pub igp: IgpModel,
    /// Search scratch space.
    pub search: Search,
}

impl<'a> Ctx<'a> {
    /// A context for a request.
    pub fn new(topo: &'a Topology, request: &'a Request) -> Ctx<'a> {
        Ctx::with_igp(topo, request, IgpModel::new(topo))
    }

    /// A context starting from an IGP model grown by earlier jobs on the same topology.
    pub fn with_igp(topo: &'a Topology, request: &'a Request, igp: IgpModel) -> Ctx<'a> {
        Ctx {
            topo,
            request,
            igp,
            search: Search::new(topo),
        }
    }
}

/// An encoded candidate and its expansion.
#[derive(Debug, Clone)]
pub struct Piece {
    /// The candidate.
    pub cand: Candidate,
    /// Its segment list.
    pub list: SegmentList,
    /// What forwarding does with it.
    pub exp: Expansion,
}

/// The outcome of one policy under one entry.
#[derive(Debug, Clone)]
pub struct Placed {
    /// The best candidate.
    pub main: Piece,
    /// Further candidates not covered by an earlier expansion.
    pub others: Vec<Piece>,
    /// `dis: true`: `(mode, main, others)`; mode `node` or `link`, `None` when nothing is disjoint.
    pub disjoint: Option<Option<(&'static str, Piece, Vec<Piece>)>>,
    /// The feasible graph the main path was computed in.
    pub feasible: Feasible,
}

/// The leg specifications of a policy: headend → waypoints → tailend.
pub fn legs(topo: &Topology, policy: &Policy) -> Vec<LegSpec> {
    let mut specs = Vec::with_capacity(policy.inc.len() + 1);
    let mut at = topo.node(&policy.he).expect("validated headend");
    for w in &policy.inc {
        if let Some(n) = topo.node(w) {
            specs.push(LegSpec {
                from: at,
                to: n,
                link: None,
            });
            at = n;
        } else {
            let l = topo.link(w).expect("validated waypoint");
            specs.push(LegSpec {
                from: at,
                to: topo.lo[l as usize],
                link: Some(l),
            });
            at = topo.re[l as usize];
        }
    }
    specs.push(LegSpec {
        from: at,
        to: topo.node(&policy.te).expect("validated tailend"),
        link: None,
    });
    specs
}

/// Places a policy under an entry on link bandwidths `bw` with extra exclusions; `Err` carries the
/// item's `info`.
pub fn place(
    ctx: &mut Ctx,
    policy: &Policy,
    entry: &AlgorithmEntry,
    bw: &[f64],
    extra: &Exclusions,
) -> Result<Placed, Value> {
    place_as(ctx, policy, entry, bw, extra, Diagnosis::Full)
}

/// [`place`] for a caller that only needs to know whether the policy can be placed (congestion
/// relief tries many sets): a failure is not diagnosed, which costs more than the search.
pub fn try_place(
    ctx: &mut Ctx,
    policy: &Policy,
    entry: &AlgorithmEntry,
    bw: &[f64],
    extra: &Exclusions,
) -> Option<Placed> {
    place_as(ctx, policy, entry, bw, extra, Diagnosis::Skip).ok()
}

/// Whether a failed placement is explained (contract §3 step 6).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Diagnosis {
    Full,
    Skip,
}

fn place_as(
    ctx: &mut Ctx,
    policy: &Policy,
    entry: &AlgorithmEntry,
    bw: &[f64],
    extra: &Exclusions,
    diagnosis: Diagnosis,
) -> Result<Placed, Value> {
    let feas = Feasible::new(ctx.topo, ctx.request, policy, bw.to_vec(), extra);
    let (main, others) = ranked(ctx, policy, entry, &feas, diagnosis)?;
    let disjoint = policy
        .dis
        .then(|| disjoint(ctx, policy, entry, bw, extra, &main));
    Ok(Placed {
        main,
        others,
        disjoint,
        feasible: feas,
    })
}

fn ranked(
    ctx: &mut Ctx,
    policy: &Policy,
    entry: &AlgorithmEntry,
    feas: &Feasible,
    diagnosis: Diagnosis,
) -> Result<(Piece, Vec<Piece>), Value> {
    let topo = ctx.topo;
    let metric = topo.metric(policy.metric);
    let graph = PolicyGraph {
        topo,
        feas,
        metric,
        igp_metric: policy.metric == Metric::Igp,
    };
    let specs = legs(topo, policy);
    let mut encoder = Encoder::new(topo, feas, ctx.request.global.encoding);
    let ranked = candidates(
        &graph,
        specs.clone(),
        entry,
        policy.metric,
        policy.msd,
        &mut encoder,
        &mut ctx.igp,
        &mut ctx.search,
    )
    .map_err(|f| match diagnosis {
        Diagnosis::Full => diagnose::info(topo, feas, &specs, policy, &f),
        Diagnosis::Skip => Value::Null,
    })?;
    let mut pieces: Vec<Piece> = Vec::new();
    for (cand, list) in ranked {
        let covered = pieces
            .iter()
            .any(|p| covers(topo, &mut ctx.igp, &p.cand, &p.list, &cand.path));
        if covered {
            continue;
        }
        let list = list.unwrap_or_else(|| encoder.encode(&mut ctx.igp, &cand));
        let exp = Expansion::new(
            topo,
            feas,
            &mut ctx.igp,
            &mut ctx.search.local,
            &cand.path,
            &list,
        );
        pieces.push(Piece { cand, list, exp });
    }
    let mut it = pieces.into_iter();
    let main = it.next().expect("at least one candidate");
    Ok((main, it.collect()))
}

fn disjoint(
    ctx: &mut Ctx,
    policy: &Policy,
    entry: &AlgorithmEntry,
    bw: &[f64],
    extra: &Exclusions,
    main: &Piece,
) -> Option<(&'static str, Piece, Vec<Piece>)> {
    let topo = ctx.topo;
    let (nodes, links) = main.exp.elements();
    let he = main.cand.path.nodes[0];
    let te = main.cand.path.last();
    let links = with_srlg(ctx.request, links);
    let transit: Vec<_> = nodes.into_iter().filter(|&n| n != he && n != te).collect();
    for (mode, ex_nodes) in [("node", transit), ("link", Vec::new())] {
        let mut more = extra.clone();
        more.nodes.extend(ex_nodes);
        more.links.extend(links.iter().copied());
        let feas = Feasible::new(topo, ctx.request, policy, bw.to_vec(), &more);
        if let Ok((m, o)) = ranked(ctx, policy, entry, &feas, Diagnosis::Skip) {
            return Some((mode, m, o));
        }
    }
    None
}

/// `links` and every link sharing an SRLG with one of them, sorted.
fn with_srlg(request: &Request, mut links: Vec<LinkIx>) -> Vec<LinkIx> {
    let groups: std::collections::HashSet<u64> = links
        .iter()
        .flat_map(|&l| request.links[l as usize].srlg.iter().copied())
        .collect();
    if !groups.is_empty() {
        for (l, link) in request.links.iter().enumerate() {
            if link.srlg.iter().any(|g| groups.contains(g)) {
                links.push(l as LinkIx);
            }
        }
    }
    links.sort_unstable();
    links.dedup();
    links
}
