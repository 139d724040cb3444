//! The `bod_reopt` oracle: per algorithm entry, per class in order of first appearance, the
//! class's policies sorted by `sorting` (stable) and placed one by one, each as a `bod_pasta`
//! job on what is left of the class's `bandwidth_reserve` after the earlier ones; then the
//! summary from the accumulated reservations.

use serde_json::{json, Value};

use super::super::compare::{differences, Empty};
use super::{class_of, number, scaled, shares, LinkTable, Singles};
use crate::model::JobType;

/// What the oracle saw, for measuring how interesting the generated cases are.
#[derive(Debug, Default, Clone, Copy)]
pub struct PlacementStats {
    /// Some policy was not placed.
    pub unplaced: bool,
    /// Some policy was not placed and a later one of its class was.
    pub unplaced_in_the_middle: bool,
    /// Some policy could not take its least-cost path of the full capacity because of an earlier
    /// placement (its path differs from the one it gets alone).
    pub pushed_aside: bool,
    /// Some policy was not placed though it is placed alone on the full capacity.
    pub crowded_out: bool,
    /// Some policy reserved bandwidth.
    pub reserved: bool,
}

/// What one algorithm entry of a `bod_reopt` body should give.
pub struct Expected {
    /// The item: `algo_type`, `status`, `data` (per policy `id`, `status`, `info`, `data`,
    /// `reservations`) and `summary` (`placed`, `unplaced`; `links` is checked by
    /// [`check_links`]).
    pub item: Value,
    /// Per class, in order of first appearance, its utilised links ([`check_links`]).
    pub links: Vec<Vec<Value>>,
}

/// The expected items of a `bod_reopt` body, one per algorithm entry.
pub fn bod_reopt(body: &Value) -> (Vec<Expected>, PlacementStats) {
    let table = LinkTable::new(body);
    let singles = Singles::new(JobType::BodReopt, body);
    let policies = body["sr_policy"].as_array().expect("policies");
    let ff = body["global"]["flow_factor"].as_f64().unwrap_or(1.0);
    let sorting = body["global"]["sorting"]
        .as_str()
        .unwrap_or("bandwidth_desc");
    let mut classes: Vec<String> = Vec::new();
    for p in policies {
        if !classes.contains(&class_of(p)) {
            classes.push(class_of(p));
        }
    }
    let mut stats = PlacementStats::default();
    let items = (0..singles.entries())
        .map(|k| {
            let mut data = Vec::new();
            let mut links = Vec::new();
            for class in &classes {
                let mut mine: Vec<usize> = (0..policies.len())
                    .filter(|&i| class_of(&policies[i]) == *class)
                    .collect();
                sort(&mut mine, policies, sorting);
                let capacity = table.class_bandwidth(class, true);
                let mut left = capacity.clone();
                let mut failed_before = false;
                for i in mine {
                    let p = &policies[i];
                    let item = singles.run(i, k, &left, &[]);
                    let placed = item["status"] == json!(true);
                    let mut e = json!({"id": p["id"], "status": item["status"],
                                       "info": item["info"], "data": item["data"]});
                    if placed {
                        let segs = shares(&item["data"]["segs"], &table);
                        let charged = scaled(&segs, number(p, "bd") * ff, |_| true);
                        let rows: Vec<Value> = rows_by_id(&table, &charged)
                            .into_iter()
                            .map(|(l, reserved)| {
                                let before = left[l];
                                left[l] -= reserved;
                                json!({"link": table.ids[l], "class": class, "before": before,
                                       "reserved": reserved, "after": before - reserved})
                            })
                            .collect();
                        stats.reserved |= !rows.is_empty();
                        e["reservations"] = Value::Array(rows);
                        stats.unplaced_in_the_middle |= failed_before;
                        if !stats.pushed_aside {
                            let alone = singles.run(i, k, &capacity, &[]);
                            stats.pushed_aside = alone["data"]["paths"] != item["data"]["paths"];
                        }
                    } else {
                        failed_before = true;
                        stats.unplaced = true;
                        if !stats.crowded_out {
                            let alone = singles.run(i, k, &capacity, &[]);
                            stats.crowded_out = alone["status"] == json!(true);
                        }
                    }
                    data.push(e);
                }
                links.push(utilised(&table, class, &capacity, &left));
            }
            let placed = data.iter().filter(|e| e["status"] == json!(true)).count();
            let unplaced = data.len() - placed;
            let item = json!({"algo_type": singles.algo(k), "status": unplaced == 0,
                              "data": data, "summary": {"placed": placed, "unplaced": unplaced}});
            Expected { item, links }
        })
        .collect();
    (items, stats)
}

/// Sorts policy positions by `sorting`, stably: `bandwidth_*` on `bd`, `priority_*` on
/// `priority`.
fn sort(order: &mut [usize], policies: &[Value], sorting: &str) {
    let key = |i: usize| match sorting {
        "bandwidth_desc" | "bandwidth_asc" => number(&policies[i], "bd"),
        _ => number(&policies[i], "priority"),
    };
    // Stable either way: a descending sort compares the other way round, it does not reverse.
    match sorting.ends_with("_desc") {
        true => order.sort_by(|&a, &b| key(b).total_cmp(&key(a))),
        false => order.sort_by(|&a, &b| key(a).total_cmp(&key(b))),
    }
}

/// `(link, amount)` sorted by link id.
pub fn rows_by_id(
    table: &LinkTable,
    amounts: &std::collections::BTreeMap<usize, f64>,
) -> Vec<(usize, f64)> {
    let mut rows: Vec<(usize, f64)> = amounts.iter().map(|(l, a)| (*l, *a)).collect();
    rows.sort_by(|a, b| table.ids[a.0].cmp(&table.ids[b.0]));
    rows
}

/// Every link of a class with a capacity and a reservation: `{link, class, capacity, reserved,
/// utilisation}`, in link id order.
fn utilised(table: &LinkTable, class: &str, capacity: &[f64], left: &[f64]) -> Vec<Value> {
    let mut links: Vec<usize> = (0..table.len())
        .filter(|&l| capacity[l] > 0.0 && capacity[l] - left[l] > 0.0)
        .collect();
    links.sort_by(|a, b| table.ids[*a].cmp(&table.ids[*b]));
    links
        .into_iter()
        .map(|l| {
            let reserved = capacity[l] - left[l];
            json!({"link": table.ids[l], "class": class, "capacity": capacity[l],
                   "reserved": reserved, "utilisation": reserved / capacity[l]})
        })
        .collect()
}

/// Checks a `summary.links` list against the utilised links of each class (in class order): per
/// class, the ten (or fewer) most utilised, each with its values, in decreasing utilisation,
/// exact ties in link id order. Utilisations equal to 1e-9 count as ties, in any order: the
/// engine's sums and the oracle's may differ in the last bits, and the contract does not order
/// ties.
pub fn check_links(utilised: &[Vec<Value>], actual: &Value) -> Result<(), String> {
    let actual = actual.as_array().ok_or("summary.links is not a list")?;
    let mut at = 0;
    for rows in utilised {
        let n = rows.len().min(10);
        let mine = actual
            .get(at..at + n)
            .ok_or_else(|| format!("summary.links: {} rows, more expected", actual.len()))?;
        at += n;
        let u = |row: &Value| row["utilisation"].as_f64().unwrap_or(f64::NAN);
        let mut lowest = f64::INFINITY;
        for (k, row) in mine.iter().enumerate() {
            let expected = rows
                .iter()
                .find(|r| r["link"] == row["link"] && r["class"] == row["class"])
                .ok_or_else(|| format!("summary.links: {row} is not a utilised link"))?;
            let diffs = differences(expected, row, Empty::Exact);
            if !diffs.is_empty() {
                return Err(format!("summary.links: {row}: {}", diffs.join("; ")));
            }
            if k > 0 {
                let prev = &mine[k - 1];
                let in_order = u(prev) > u(row) + 1e-9
                    || (u(prev) - u(row)).abs() <= 1e-9
                        && (u(prev) != u(row) || prev["link"].as_str() < row["link"].as_str());
                if !in_order {
                    return Err(format!("summary.links: {prev} before {row}"));
                }
            }
            lowest = lowest.min(u(row));
        }
        for r in rows {
            let listed = mine.iter().any(|row| row["link"] == r["link"]);
            if !listed && u(r) > lowest + 1e-9 {
                return Err(format!("summary.links: {r} is missing"));
            }
        }
    }
    match actual.len() == at {
        true => Ok(()),
        false => Err(format!(
            "summary.links: {} rows, {at} expected",
            actual.len()
        )),
    }
}
