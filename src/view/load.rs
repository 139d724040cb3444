//! Link utilisation of a list job's item, before and after, and its colour bands.
//!
//! - `bod_congest_reopt`: physical utilisation `traffic_flow / bd` from the request (before),
//!   with the item's `summary.utilisation` (after) for the links whose traffic changed.
//! - `bod_reopt`: reservation of the classes the policies use: before, what the links have
//!   reserved (`bandwidth_reserve − bandwidth_available`); after, what the item's placements
//!   reserve (their `reservations` rows); both over `bandwidth_reserve`.
//! - `nonbod_reopt`: physical utilisation: before, the links' measured `traffic_flow`; after,
//!   that traffic less the policies' current placements (`path`) plus their new ones, a
//!   policy weighing its `traffic_flow` (its `bd` when it has none) × `flow_factor`, split
//!   over ECMP branches as reservations are.
//!
//! A link without a known capacity has no utilisation (`None`).

use std::collections::HashMap;

use serde_json::Value;

use super::result::{add_seg_path, add_segs, items, list, ok, text};
use crate::model::{JobType, Request};

/// The utilisation bands: upper bound (inclusive) and legend text.
pub const BANDS: [(f64, &str); 6] = [
    (0.0, "0"),
    (0.5, "≤ 50 %"),
    (0.7, "50–70 %"),
    (0.8, "70–80 %"),
    (1.0, "80–100 %"),
    (f64::INFINITY, "> 100 %"),
];

/// The band of a utilisation (an index into [`BANDS`]), `None` when unknown.
pub fn band(u: Option<f64>) -> Option<usize> {
    let u = u.filter(|u| u.is_finite())?;
    BANDS.iter().position(|(top, _)| u <= *top)
}

/// Utilisation of every link (by index) before and after one item.
pub struct Utilisation {
    /// Before the job.
    pub before: Vec<Option<f64>>,
    /// After the item's placements (or moves).
    pub after: Vec<Option<f64>>,
}

/// Which list job an item is of: the task's type, or guessed from the item's summary.
pub fn list_kind(job_type: Option<JobType>, result: &Value) -> JobType {
    match job_type {
        Some(t) if t.is_list() => t,
        _ => {
            let summary = items(result).first().and_then(|i| i.get("summary"));
            match summary {
                Some(s) if s.get("utilisation").is_some() => JobType::BodCongestReopt,
                Some(s) if s.get("links").is_some() => JobType::BodReopt,
                _ => JobType::NonbodReopt,
            }
        }
    }
}

/// The utilisation of every link before and after `item`, by the rules of the module.
pub fn utilisation(kind: JobType, request: &Request, item: &Value) -> Utilisation {
    match kind {
        JobType::BodCongestReopt => congest(request, item),
        JobType::BodReopt => reserved(request, item),
        _ => traffic(request, item),
    }
}

/// Physical utilisation, `None` when the bandwidth is unknown.
fn physical(bd: f64, traffic: f64) -> Option<f64> {
    (bd > 0.0).then(|| traffic / bd)
}

/// `bod_congest_reopt`.
fn congest(request: &Request, item: &Value) -> Utilisation {
    let before: Vec<Option<f64>> = request
        .links
        .iter()
        .map(|l| l.traffic_flow.and_then(|t| physical(l.bd, t)))
        .collect();
    let changed: HashMap<&str, Option<f64>> =
        list(item.get("summary").and_then(|s| s.get("utilisation")))
            .iter()
            .map(|u| (text(u, "link"), u.get("after").and_then(Value::as_f64)))
            .collect();
    let after = request
        .links
        .iter()
        .zip(&before)
        .map(|(l, b)| changed.get(l.id.as_str()).copied().unwrap_or(*b))
        .collect();
    Utilisation { before, after }
}

/// `bod_reopt`.
fn reserved(request: &Request, item: &Value) -> Utilisation {
    let mut classes: Vec<&str> = Vec::new();
    for p in &request.policies {
        if let Some(c) = &p.class {
            if !classes.contains(&c.as_str()) {
                classes.push(c);
            }
        }
    }
    let mut charged: HashMap<&str, f64> = HashMap::new();
    for entry in list(item.get("data")) {
        for row in list(entry.get("reservations")) {
            if classes.contains(&text(row, "class")) {
                *charged.entry(text(row, "link")).or_insert(0.0) +=
                    row.get("reserved").and_then(Value::as_f64).unwrap_or(0.0);
            }
        }
    }
    let mut before = Vec::with_capacity(request.links.len());
    let mut after = Vec::with_capacity(request.links.len());
    for link in request.links.iter() {
        let (mut cap, mut used) = (0.0, 0.0);
        for c in &classes {
            if let Some(q) = link.class(c) {
                cap += q.bandwidth_reserve;
                used += q.bandwidth_reserve - q.bandwidth_available;
            }
        }
        if cap > 0.0 {
            before.push(Some(used / cap));
            after.push(Some(
                charged.get(link.id.as_str()).copied().unwrap_or(0.0) / cap,
            ));
        } else {
            before.push(None);
            after.push(None);
        }
    }
    Utilisation { before, after }
}

/// `nonbod_reopt`.
fn traffic(request: &Request, item: &Value) -> Utilisation {
    let factor = request.global.flow_factor;
    let weight = |tf: f64, bd: f64| if tf > 0.0 { tf } else { bd.max(0.0) } * factor;
    let mut old = HashMap::new();
    let mut amount: HashMap<&str, f64> = HashMap::new();
    for p in &request.policies {
        let w = weight(p.traffic_flow, p.bd);
        amount.insert(p.id.as_str(), w);
        if let Some(path) = &p.path {
            add_seg_path(path, w, &mut old);
        }
    }
    let mut new = HashMap::new();
    for entry in list(item.get("data")) {
        if !ok(entry) {
            continue;
        }
        let w = amount.get(text(entry, "id")).copied().unwrap_or(0.0);
        if let Some(data) = entry.get("data") {
            if let Some(segs) = data.get("segs") {
                add_segs(segs, data.get("segs_total"), w, &mut new);
            }
        }
    }
    let mut before = Vec::with_capacity(request.links.len());
    let mut after = Vec::with_capacity(request.links.len());
    for link in request.links.iter() {
        let base = link.traffic_flow.unwrap_or(0.0);
        let gone = old.get(&link.id).copied().unwrap_or(0.0);
        let come = new.get(&link.id).copied().unwrap_or(0.0);
        before.push(physical(link.bd, base));
        after.push(physical(link.bd, (base - gone).max(0.0) + come));
    }
    Utilisation { before, after }
}
