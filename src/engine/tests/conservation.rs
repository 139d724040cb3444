//! Conservation in a `bod_congest_reopt` result, read from the body and the engine's output
//! alone: after the moves, the traffic on every link is its traffic before, minus the loads of
//! the moved policies' old paths, plus the loads of their new `segs`; and each class's
//! bandwidth is what it was, plus the old reservations given back, minus the new ones — the
//! `reservations` rows chaining `before → after` in move order. Each policy moves at most once,
//! off a listed link its old path crossed, onto a path avoiding it.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::reopt_reference::{class_of, number, scaled, shares, LinkTable};

const TOLERANCE: f64 = 1e-9;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOLERANCE * a.abs().max(b.abs()).max(1.0)
}

/// Checks every item of `actual` (the engine's document for `body`); the number of moves.
pub fn check_conservation(body: &Value, actual: &Value) -> Result<usize, String> {
    let table = LinkTable::new(body);
    let policies = body["sr_policy"].as_array().expect("policies");
    let by_id: BTreeMap<&str, &Value> = policies
        .iter()
        .map(|p| (p["id"].as_str().expect("an id"), p))
        .collect();
    let ff = body["global"]["flow_factor"].as_f64().unwrap_or(1.0);
    let congest = body["global"]["congest_threshold"].as_f64().unwrap_or(0.8);
    let listed: Vec<&str> = body["congested_link"]
        .as_array()
        .expect("listed links")
        .iter()
        .map(|v| v.as_str().expect("an id"))
        .collect();
    let mut moves = 0;
    for (k, item) in actual["data"].as_array().expect("items").iter().enumerate() {
        let at = |what: String| format!("item {k}: {what}");
        let mut traffic = table.traffic.clone();
        let mut avail: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let mut seen: Vec<&str> = Vec::new();
        for e in item["data"].as_array().expect("moves") {
            moves += 1;
            let id = e["id"].as_str().expect("an id");
            if seen.contains(&id) {
                return Err(at(format!("{id} moved twice")));
            }
            seen.push(id);
            let p = by_id[id];
            let from = e["moved_from"].as_str().unwrap_or_default();
            if !listed.contains(&from) {
                return Err(at(format!("{id} moved from {from:?}, not a listed link")));
            }
            let class = class_of(p);
            let av = avail
                .entry(class.clone())
                .or_insert_with(|| table.class_bandwidth(&class, false));
            let old = shares(&p["path"], &table);
            let new = shares(&e["data"]["segs"], &table);
            let from_ix = table.index[from];
            if number(p, "priority") <= 0.0 || !old.contains_key(&from_ix) {
                return Err(at(format!("{id} was not movable off {from}")));
            }
            if new.contains_key(&from_ix) {
                return Err(at(format!("{id} moved off {from} onto a path through it")));
            }
            let flow = number(p, "traffic_flow") * ff;
            for (l, a) in scaled(&old, flow, |_| true) {
                traffic[l] -= a;
            }
            for (l, a) in scaled(&new, flow, |_| true) {
                traffic[l] += a;
            }
            let amount = number(p, "bd") * ff;
            for (l, a) in scaled(&old, amount, |l| table.has_class(l, &class)) {
                av[l] += a;
            }
            let charged = scaled(&new, amount, |_| true);
            let rows = e["reservations"].as_array().cloned().unwrap_or_default();
            if rows.len() != charged.len() {
                return Err(at(format!(
                    "{id}: {} reservation rows for {} charged links",
                    rows.len(),
                    charged.len()
                )));
            }
            for row in rows {
                let l = table.index[row["link"].as_str().expect("a link")];
                let (before, reserved, after) = (
                    row["before"].as_f64().expect("before"),
                    row["reserved"].as_f64().expect("reserved"),
                    row["after"].as_f64().expect("after"),
                );
                let expected = charged.get(&l).copied().unwrap_or(f64::NAN);
                let fine = row["class"] == json!(class)
                    && close(before, av[l])
                    && close(reserved, expected)
                    && close(after, before - reserved);
                if !fine {
                    return Err(at(format!(
                        "{id}: row {row} while the class has {} and the new path charges {expected}",
                        av[l]
                    )));
                }
                av[l] -= reserved;
            }
        }
        check_utilisation(&table, item, &traffic).map_err(at)?;
        let summary = &item["summary"];
        let names = |key: &str| -> Vec<String> {
            summary[key]
                .as_array()
                .expect("a list")
                .iter()
                .map(|v| v.as_str().expect("an id").to_owned())
                .collect()
        };
        let (relieved, unrelieved) = (names("relieved"), names("unrelieved"));
        for id in &relieved {
            let l = table.index[id.as_str()];
            if traffic[l] > table.bd[l] * congest + TOLERANCE {
                return Err(at(format!(
                    "{id} is reported relieved at traffic {}",
                    traffic[l]
                )));
            }
        }
        let mut all: Vec<String> = relieved.iter().chain(&unrelieved).cloned().collect();
        all.sort();
        let mut want: Vec<String> = listed.iter().map(|s| s.to_string()).collect();
        want.sort();
        want.dedup();
        if all != want {
            return Err(at(format!(
                "relieved and unrelieved {all:?} are not the listed {want:?}"
            )));
        }
        if item["status"] != json!(unrelieved.is_empty()) {
            return Err(at("status disagrees with unrelieved".into()));
        }
    }
    Ok(moves)
}

/// Every link whose traffic changed is in `utilisation` with `before` and `after`, and no other.
fn check_utilisation(table: &LinkTable, item: &Value, traffic: &[f64]) -> Result<(), String> {
    let rows = item["summary"]["utilisation"]
        .as_array()
        .expect("utilisation");
    let mut listed: Vec<usize> = Vec::new();
    for row in rows {
        let l = table.index[row["link"].as_str().expect("a link")];
        listed.push(l);
        let bd = table.bd[l];
        let fine = match (row["before"].as_f64(), row["after"].as_f64()) {
            (Some(before), Some(after)) => {
                bd > 0.0 && close(before * bd, table.traffic[l]) && close(after * bd, traffic[l])
            }
            // No utilisation without a known bandwidth.
            _ => bd <= 0.0 && row["before"].is_null() && row["after"].is_null(),
        };
        if !fine {
            return Err(format!(
                "utilisation {row}: traffic {} → {} expected on bd {bd}",
                table.traffic[l], traffic[l]
            ));
        }
    }
    for (l, (after, before)) in traffic.iter().zip(&table.traffic).enumerate() {
        if !close(*after, *before) && !listed.contains(&l) {
            return Err(format!(
                "{}: traffic {before} → {after} but not in utilisation",
                table.ids[l]
            ));
        }
    }
    Ok(())
}
