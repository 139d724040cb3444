//! The single-policy jobs: `nonbod_pasta`, `bod_pasta`, `bod_modified` (contract §1, §3).
//!
//! Each algorithm entry is computed from the same starting state: the physical bandwidth for
//! `nonbod_pasta`, the class's available bandwidth for `bod_pasta`, and for `bod_modified` that
//! same state after the former placement has been given back.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::echo;
use super::feasible::{physical_bandwidth, Exclusions};
use super::policy::{place, Ctx, Piece, Placed};
use super::render::encoded;
use super::reserve::{charges, class_bandwidth, given_back, ClassField};
use super::result::{
    Disjoint, Document, Empty, IdPaths, Item, PathData, PathResult, Released, Reservation,
    SingleItem,
};
use crate::model::{Job, JobType, Policy};

/// Computes a single-policy job.
pub fn compute(ctx: &mut Ctx, job: &Job, now_ms: &dyn Fn() -> f64) -> Document {
    let request = ctx.request;
    let policy = &request.policies[0];
    let ff = request.global.flow_factor;
    let mut warnings = Vec::new();
    // Class bandwidths that differ from the input, by class.
    let mut classes: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut released = None;
    if job.job_type == JobType::BodModified {
        if let Some(former) = &policy.former {
            let mut avail = class_bandwidth(request, &former.class, ClassField::Available);
            let (given, w) = given_back(
                ctx.topo,
                &former.path,
                former.bd * ff,
                "sr_policy.former.path",
            );
            warnings.extend(w);
            let mut rows = Vec::new();
            for (l, amount) in given {
                let link = &request.links[l as usize];
                if link.class(&former.class).is_none() {
                    warnings.push(format!(
                        "sr_policy.former.path: link {:?} has no class {:?}; nothing given back",
                        link.id, former.class
                    ));
                    continue;
                }
                avail[l as usize] += amount;
                rows.push(Released {
                    link: link.id.clone(),
                    class: former.class.clone(),
                    amount,
                });
            }
            classes.insert(former.class.clone(), avail);
            released = Some(rows);
        }
    }
    let bod_class = job
        .job_type
        .is_bod()
        .then(|| policy.class.clone().unwrap_or_default());
    let bw = match &bod_class {
        None => physical_bandwidth(request),
        Some(class) => classes
            .get(class)
            .cloned()
            .unwrap_or_else(|| class_bandwidth(request, class, ClassField::Available)),
    };
    let data = request
        .global
        .algorithm
        .iter()
        .map(|entry| {
            let start = now_ms();
            let outcome = place(ctx, policy, entry, &bw, &Exclusions::default());
            let time = round_ms(now_ms() - start);
            let mut item = SingleItem {
                algo_type: entry.algo,
                status: false,
                info: json!({}),
                data: PathData::None(Empty {}),
                reservations: None,
                released: released.clone(),
                nodes: None,
                links: None,
            };
            let mut after = classes.clone();
            match outcome {
                Ok(placed) => {
                    if let Some(class) = &bod_class {
                        let rows = reserve(ctx, policy, class, &bw, &placed.main, ff);
                        let updated = after.entry(class.clone()).or_insert_with(|| bw.clone());
                        for r in &rows {
                            let l = ctx.topo.link(&r.link).expect("charged links exist");
                            updated[l as usize] = r.after;
                        }
                        item.reservations = Some(rows);
                    }
                    item.status = true;
                    item.data = PathData::Found(Box::new(result(ctx, policy, placed, time)));
                }
                Err(info) => item.info = info,
            }
            if request.global.echo_topology {
                item.nodes = Some(request.nodes.iter().map(echo::node).collect());
                item.links = Some(
                    request
                        .links
                        .iter()
                        .enumerate()
                        .map(|(i, l)| {
                            let over: Vec<(&str, f64)> =
                                after.iter().map(|(c, v)| (c.as_str(), v[i])).collect();
                            echo::link(l, &over)
                        })
                        .collect(),
                );
            }
            Item::Single(Box::new(item))
        })
        .collect();
    Document {
        info: info(warnings),
        data,
    }
}

/// The job-level `info`: `{}` or `{"warnings": […]}`.
pub fn info(warnings: Vec<String>) -> Map<String, Value> {
    let mut info = Map::new();
    if !warnings.is_empty() {
        info.insert("warnings".into(), json!(warnings));
    }
    info
}

/// Milliseconds rounded to the microsecond.
pub fn round_ms(ms: f64) -> f64 {
    (ms.max(0.0) * 1000.0).round() / 1000.0
}

fn reserve(
    ctx: &Ctx,
    policy: &Policy,
    class: &str,
    bw: &[f64],
    main: &Piece,
    ff: f64,
) -> Vec<Reservation> {
    charges(ctx.topo, &main.exp, policy.bd * ff)
        .into_iter()
        .map(|(l, reserved)| {
            let before = bw[l as usize];
            Reservation {
                link: ctx.topo.link_id[l as usize].clone(),
                class: class.to_string(),
                before,
                reserved,
                after: before - reserved,
            }
        })
        .collect()
}

/// The wire result of a placed policy.
pub fn result(ctx: &Ctx, policy: &Policy, placed: Placed, time: f64) -> PathResult {
    let render = |p: &Piece| encoded(ctx.topo, ctx.request, policy, &p.exp);
    let disjoint = placed.disjoint.map(|d| match d {
        Some((mode, main, others)) => {
            let m = render(&main);
            Disjoint {
                d_sids: m.sids,
                d_segs: m.segs,
                d_segs_total: m.segs_total,
                d_paths: m.paths,
                d_paths_total: m.paths_total,
                d_attr: json!(m.attr),
                d_attr_worst: json!(m.attr_worst),
                d_other: others.iter().map(render).collect(),
                d_mode: mode,
            }
        }
        None => Disjoint {
            d_sids: Vec::new(),
            d_segs: Vec::new(),
            d_segs_total: None,
            d_paths: IdPaths::new(ctx.topo.structure(), Vec::new()),
            d_paths_total: None,
            d_attr: json!({}),
            d_attr_worst: json!({}),
            d_other: Vec::new(),
            d_mode: "none",
        },
    });
    PathResult {
        main: render(&placed.main),
        other: placed.others.iter().map(render).collect(),
        time,
        disjoint,
    }
}
