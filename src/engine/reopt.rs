//! Re-placing many policies: `bod_reopt` and `nonbod_reopt` (contract §3, re-optimisation).
//!
//! `bod_reopt` places each class's policies in `sorting` order against the class's whole
//! `bandwidth_reserve`, charging each placement before the next; `nonbod_reopt` places every
//! policy independently on physical bandwidth. A policy that cannot be placed keeps its own
//! reason and never stops the others. All policies share one IGP model.

use std::collections::BTreeMap;

use serde_json::json;

use super::feasible::{physical_bandwidth, Exclusions};
use super::policy::{place, Ctx};
use super::reserve::{charges, class_bandwidth, ClassField};
use super::result::{Document, Empty, Item, ListItem, PathData, PolicyEntry, Reservation};
use super::single::{result, round_ms};
use crate::model::{AlgorithmEntry, Policy, Sorting};

/// Computes a `bod_reopt` job.
pub fn bod(ctx: &mut Ctx, now_ms: &dyn Fn() -> f64) -> Document {
    let request = ctx.request;
    let mut classes: Vec<&str> = Vec::new();
    for p in &request.policies {
        let c = p.class.as_deref().unwrap_or_default();
        if !classes.contains(&c) {
            classes.push(c);
        }
    }
    let data = request
        .global
        .algorithm
        .iter()
        .map(|entry| {
            let mut entries = Vec::new();
            let mut links = Vec::new();
            for class in &classes {
                let mut policies: Vec<&Policy> = request
                    .policies
                    .iter()
                    .filter(|p| p.class.as_deref().unwrap_or_default() == *class)
                    .collect();
                sort(&mut policies, request.global.sorting);
                let capacity = class_bandwidth(request, class, ClassField::Reserve);
                let mut left = capacity.clone();
                for p in policies {
                    entries.push(place_charged(ctx, p, entry, class, &mut left, now_ms));
                }
                links.extend(most_utilised(ctx, class, &capacity, &left));
            }
            list_item(
                entry,
                entries,
                |placed, unplaced| json!({"placed": placed, "unplaced": unplaced, "links": links}),
            )
        })
        .collect();
    Document {
        info: Default::default(),
        data,
    }
}

/// Computes a `nonbod_reopt` job.
pub fn nonbod(ctx: &mut Ctx, now_ms: &dyn Fn() -> f64) -> Document {
    let request = ctx.request;
    let bw = physical_bandwidth(request);
    let data = request
        .global
        .algorithm
        .iter()
        .map(|entry| {
            let entries = request
                .policies
                .iter()
                .map(|p| {
                    let start = now_ms();
                    let outcome = place(ctx, p, entry, &bw, &Exclusions::default());
                    let time = round_ms(now_ms() - start);
                    entry_of(ctx, p, outcome.map(|placed| (placed, None)), time)
                })
                .collect();
            list_item(
                entry,
                entries,
                |placed, unplaced| json!({"placed": placed, "unplaced": unplaced}),
            )
        })
        .collect();
    Document {
        info: Default::default(),
        data,
    }
}

/// Sorts policies for placement (stable).
pub fn sort(policies: &mut [&Policy], sorting: Sorting) {
    match sorting {
        Sorting::BandwidthDesc => policies.sort_by(|a, b| b.bd.total_cmp(&a.bd)),
        Sorting::BandwidthAsc => policies.sort_by(|a, b| a.bd.total_cmp(&b.bd)),
        Sorting::PriorityDesc => policies.sort_by_key(|p| std::cmp::Reverse(p.priority)),
        Sorting::PriorityAsc => policies.sort_by_key(|p| p.priority),
    }
}

/// Places one policy on the class bandwidth `left` and charges its reservation there.
fn place_charged(
    ctx: &mut Ctx,
    p: &Policy,
    entry: &AlgorithmEntry,
    class: &str,
    left: &mut [f64],
    now_ms: &dyn Fn() -> f64,
) -> PolicyEntry {
    let start = now_ms();
    let outcome = place(ctx, p, entry, left, &Exclusions::default());
    let time = round_ms(now_ms() - start);
    let ff = ctx.request.global.flow_factor;
    let outcome = outcome.map(|placed| {
        let rows: Vec<Reservation> = charges(ctx.topo, &placed.main.exp, p.bd * ff)
            .into_iter()
            .map(|(l, reserved)| {
                let before = left[l as usize];
                left[l as usize] = before - reserved;
                Reservation {
                    link: ctx.topo.link_id[l as usize].clone(),
                    class: class.to_string(),
                    before,
                    reserved,
                    after: before - reserved,
                }
            })
            .collect();
        (placed, Some(rows))
    });
    entry_of(ctx, p, outcome, time)
}

fn entry_of(
    ctx: &Ctx,
    p: &Policy,
    outcome: Result<(super::policy::Placed, Option<Vec<Reservation>>), serde_json::Value>,
    time: f64,
) -> PolicyEntry {
    match outcome {
        Ok((placed, reservations)) => PolicyEntry {
            id: p.id.clone(),
            status: true,
            info: json!({}),
            moved_from: None,
            data: PathData::Found(Box::new(result(ctx, p, placed, time))),
            reservations,
        },
        Err(info) => PolicyEntry {
            id: p.id.clone(),
            status: false,
            info,
            moved_from: None,
            data: PathData::None(Empty {}),
            reservations: None,
        },
    }
}

fn list_item(
    entry: &AlgorithmEntry,
    data: Vec<PolicyEntry>,
    summary: impl FnOnce(usize, usize) -> serde_json::Value,
) -> Item {
    let placed = data.iter().filter(|e| e.status).count();
    let unplaced = data.len() - placed;
    Item::List(Box::new(ListItem {
        algo_type: entry.algo,
        status: unplaced == 0,
        info: json!({}),
        data,
        summary: summary(placed, unplaced),
    }))
}

/// The ten most utilised links of a class after placement.
fn most_utilised(ctx: &Ctx, class: &str, capacity: &[f64], left: &[f64]) -> Vec<serde_json::Value> {
    let mut rows: BTreeMap<(std::cmp::Reverse<u64>, u32), serde_json::Value> = BTreeMap::new();
    for l in 0..capacity.len() {
        let reserved = capacity[l] - left[l];
        if capacity[l] <= 0.0 || reserved <= 0.0 {
            continue;
        }
        let utilisation = reserved / capacity[l];
        let key = (
            std::cmp::Reverse(utilisation.to_bits()),
            ctx.topo.link_rank[l],
        );
        rows.insert(
            key,
            json!({"link": ctx.topo.link_id[l], "class": class, "capacity": capacity[l],
                   "reserved": reserved, "utilisation": utilisation}),
        );
    }
    rows.into_values().take(10).collect()
}
