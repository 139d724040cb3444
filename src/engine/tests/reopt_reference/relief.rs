//! The `bod_congest_reopt` oracle, by brute force: for each link to relieve, every subset of its
//! movable policies is a candidate; the candidates carrying enough load are taken in order of
//! (effort, size, sorted ids) and the first valid one is the choice — the least-effort valid
//! set, since effort does not depend on validity. A set is checked by moving its policies one by
//! one (load on the link descending, then id), each as a `bod_pasta` job on the class's
//! available bandwidth with the link and the links it would congest added to its `exc`.
//!
//! Decisions that sit on a threshold to within rounding (traffic against `bd × threshold`, load
//! against `required`, bandwidth against a request) are flagged as ambiguous: the engine and the
//! oracle add the same amounts in different orders, so their last bits may differ there.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use super::placement::rows_by_id;
use super::{class_of, number, scaled, shares, LinkTable, Singles};
use crate::model::JobType;

/// What the oracle saw, for measuring how interesting the generated cases are.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReliefStats {
    /// Some policy was moved.
    pub moved: bool,
    /// Some set moved had more than one policy.
    pub moved_several: bool,
    /// A set of less effort carrying enough load was invalid, and a later one was chosen or none.
    pub invalid_cheaper: bool,
    /// Some listed link could not be relieved.
    pub unrelievable: bool,
    /// The movable policies of some link carried less than its required load.
    pub short_of_load: bool,
    /// Some decision sat on a threshold to within rounding: the case proves nothing.
    pub ambiguous: bool,
    /// The most movable policies of a link.
    pub most_movable: usize,
}

/// The expected items of a `bod_congest_reopt` body (one per algorithm entry).
pub fn bod_congest(body: &Value) -> (Vec<Value>, ReliefStats) {
    let oracle = Oracle::new(body);
    let mut stats = ReliefStats::default();
    let items = (0..oracle.singles.entries())
        .map(|k| oracle.relieve_all(k, &mut stats))
        .collect();
    (items, stats)
}

/// The whole state a move changes.
#[derive(Clone)]
struct State {
    traffic: Vec<f64>,
    avail: BTreeMap<String, Vec<f64>>,
    load: Vec<BTreeMap<usize, f64>>,
    resv: Vec<BTreeMap<usize, f64>>,
    moved: Vec<bool>,
    moves: usize,
}

struct Oracle<'a> {
    singles: Singles,
    table: LinkTable,
    policies: &'a [Value],
    ff: f64,
    congest: f64,
    target: f64,
    pw: f64,
    bw: f64,
    max_changes: Option<usize>,
    strict: bool,
    listed: Vec<usize>,
    start: State,
}

fn near(a: f64, b: f64) -> bool {
    a != b && (a - b).abs() <= 1e-7 * a.abs().max(b.abs()).max(1.0)
}

impl<'a> Oracle<'a> {
    fn new(body: &'a Value) -> Oracle<'a> {
        let table = LinkTable::new(body);
        let g = &body["global"];
        let policies = body["sr_policy"].as_array().expect("policies");
        let ff = g["flow_factor"].as_f64().unwrap_or(1.0);
        let mut listed: Vec<usize> = body["congested_link"]
            .as_array()
            .expect("congested_link")
            .iter()
            .map(|id| table.index[id.as_str().expect("an id")])
            .collect();
        listed.sort_unstable();
        listed.dedup();
        let mut start = State {
            traffic: table.traffic.clone(),
            avail: BTreeMap::new(),
            load: Vec::new(),
            resv: Vec::new(),
            moved: vec![false; policies.len()],
            moves: 0,
        };
        for p in policies {
            let class = class_of(p);
            let avail = table.class_bandwidth(&class, false);
            start.avail.entry(class.clone()).or_insert(avail);
            let s = shares(&p["path"], &table);
            start
                .load
                .push(scaled(&s, number(p, "traffic_flow") * ff, |_| true));
            // A link without the class has no class bandwidth to give back (§3 step 1: its
            // bandwidth is 0 whatever was reserved).
            let resv = scaled(&s, number(p, "bd") * ff, |l| table.has_class(l, &class));
            start.resv.push(resv);
        }
        Oracle {
            singles: Singles::new(JobType::BodCongestReopt, body),
            policies,
            ff,
            congest: g["congest_threshold"].as_f64().unwrap_or(0.8),
            target: g["target_threshold"].as_f64().unwrap_or(0.7),
            pw: g["priority_weight"].as_f64().unwrap_or(0.5),
            bw: g["bandwidth_weight"].as_f64().unwrap_or(0.5),
            max_changes: g["max_changes"].as_u64().map(|m| m as usize),
            strict: g["reopt_mode"] == json!("strict"),
            listed,
            start,
            table,
        }
    }

    fn congested(&self, traffic: &[f64], l: usize, stats: &mut ReliefStats) -> bool {
        let limit = self.table.bd[l] * self.congest;
        stats.ambiguous |= near(traffic[l], limit);
        self.table.bd[l] > 0.0 && traffic[l] > limit
    }

    fn relieve_all(&self, k: usize, stats: &mut ReliefStats) -> Value {
        let t = &self.table;
        let mut state = self.start.clone();
        let mut given_up: Vec<usize> = Vec::new();
        let mut data: Vec<Value> = Vec::new();
        loop {
            let mut open: Vec<usize> = Vec::new();
            for &l in &self.listed {
                if !given_up.contains(&l) && self.congested(&state.traffic, l, stats) {
                    open.push(l);
                }
            }
            let utilisation = |l: usize| state.traffic[l] / t.bd[l];
            open.sort_by(|&a, &b| {
                utilisation(b)
                    .total_cmp(&utilisation(a))
                    .then_with(|| t.ids[a].cmp(&t.ids[b]))
            });
            if open.len() > 1 && near(utilisation(open[0]), utilisation(open[1])) {
                stats.ambiguous = true;
            }
            let Some(&link) = open.first() else { break };
            match self.relieve(k, &state, link, stats) {
                Some((after, moves)) => {
                    state = after;
                    data.extend(moves);
                }
                None if self.strict => {
                    stats.unrelievable = true;
                    let mut unrelieved: Vec<&str> =
                        self.listed.iter().map(|&l| t.ids[l].as_str()).collect();
                    unrelieved.sort_unstable();
                    return json!({"algo_type": self.singles.algo(k), "status": false,
                                  "info": {"code": "UNRELIEVED"}, "data": [],
                                  "summary": {"relieved": [], "unrelieved": unrelieved,
                                              "utilisation": []}});
                }
                None => {
                    stats.unrelievable = true;
                    given_up.push(link);
                }
            }
        }
        let mut relieved: Vec<&str> = Vec::new();
        let mut unrelieved: Vec<&str> = Vec::new();
        for &l in &self.listed {
            match self.congested(&state.traffic, l, stats) {
                true => unrelieved.push(&t.ids[l]),
                false => relieved.push(&t.ids[l]),
            }
        }
        relieved.sort_unstable();
        unrelieved.sort_unstable();
        let mut changed: Vec<usize> = (0..t.len())
            .filter(|&l| (state.traffic[l] - t.traffic[l]).abs() > 1e-9)
            .collect();
        changed.sort_by(|&a, &b| t.ids[a].cmp(&t.ids[b]));
        let utilisation: Vec<Value> = changed
            .into_iter()
            .map(|l| {
                let u = |x: f64| {
                    if t.bd[l] > 0.0 {
                        json!(x / t.bd[l])
                    } else {
                        Value::Null
                    }
                };
                json!({"link": t.ids[l], "before": u(t.traffic[l]), "after": u(state.traffic[l])})
            })
            .collect();
        let status = unrelieved.is_empty();
        let info = if status {
            json!({})
        } else {
            json!({"code": "UNRELIEVED"})
        };
        json!({"algo_type": self.singles.algo(k), "status": status, "info": info, "data": data,
               "summary": {"relieved": relieved, "unrelieved": unrelieved,
                           "utilisation": utilisation}})
    }

    /// The least-effort valid set for `link`: the state after its moves and their entries.
    fn relieve(
        &self,
        k: usize,
        state: &State,
        link: usize,
        stats: &mut ReliefStats,
    ) -> Option<(State, Vec<Value>)> {
        let p = self.policies;
        let required = state.traffic[link] - self.table.bd[link] * self.target;
        let budget = self
            .max_changes
            .map_or(usize::MAX, |m| m.saturating_sub(state.moves));
        let load = |i: usize| state.load[i].get(&link).copied().unwrap_or(0.0);
        let movable: Vec<usize> = (0..p.len())
            .filter(|&i| number(&p[i], "priority") > 0.0 && !state.moved[i] && load(i) > 0.0)
            .collect();
        stats.most_movable = stats.most_movable.max(movable.len());
        assert!(
            movable.len() <= 16,
            "too many movable policies for brute force"
        );
        let effort = |i: usize| {
            self.pw / number(&p[i], "priority") + self.bw * number(&p[i], "traffic_flow") / required
        };
        let ids = |s: &[usize]| {
            let mut v: Vec<&str> = s
                .iter()
                .map(|&i| p[i]["id"].as_str().expect("an id"))
                .collect();
            v.sort_unstable();
            v
        };
        let mut sets: Vec<(f64, Vec<usize>)> = Vec::new();
        for mask in 1u32..(1 << movable.len()) {
            let set: Vec<usize> = (0..movable.len())
                .filter(|b| mask & (1 << b) != 0)
                .map(|b| movable[b])
                .collect();
            let carried: f64 = set.iter().map(|&i| load(i)).sum();
            stats.ambiguous |= near(carried, required);
            if set.len() <= budget && carried >= required {
                sets.push((set.iter().map(|&i| effort(i)).sum(), set));
            }
        }
        // Efforts equal to 1e-9 are ties (sums of the same terms in another order).
        let grid = |e: f64| (e * 1e9).round() as i64;
        sets.sort_by(|(ea, a), (eb, b)| {
            grid(*ea)
                .cmp(&grid(*eb))
                .then(a.len().cmp(&b.len()))
                .then_with(|| ids(a).cmp(&ids(b)))
        });
        let mut memo: HashMap<Vec<usize>, Option<(State, Vec<Value>)>> = HashMap::new();
        for (rank, (_, set)) in sets.iter().enumerate() {
            let mut order = set.clone();
            order.sort_by(|&a, &b| {
                load(b)
                    .total_cmp(&load(a))
                    .then_with(|| p[a]["id"].as_str().cmp(&p[b]["id"].as_str()))
            });
            if let Some(done) = self.try_order(k, state, link, &order, &mut memo, stats) {
                stats.moved = true;
                stats.moved_several |= order.len() > 1;
                stats.invalid_cheaper |= rank > 0;
                return Some(done);
            }
        }
        stats.invalid_cheaper |= !sets.is_empty();
        stats.short_of_load |= sets.is_empty();
        None
    }

    /// Moves the policies of `order` one by one; `None` when one finds no path. Prefixes are
    /// remembered, so sets sharing one are not moved twice.
    fn try_order(
        &self,
        k: usize,
        state: &State,
        link: usize,
        order: &[usize],
        memo: &mut HashMap<Vec<usize>, Option<(State, Vec<Value>)>>,
        stats: &mut ReliefStats,
    ) -> Option<(State, Vec<Value>)> {
        if let Some(known) = memo.get(order) {
            return known.clone();
        }
        let (before, mut moves) = match order.len() {
            1 => (state.clone(), Vec::new()),
            n => self.try_order(k, state, link, &order[..n - 1], memo, stats)?,
        };
        let i = order[order.len() - 1];
        let outcome = self.move_one(k, before, link, i, stats).map(|(after, e)| {
            moves.push(e);
            (after, moves)
        });
        memo.insert(order.to_vec(), outcome.clone());
        outcome
    }

    /// Moves policy `i` off `link`: release, exclusions, a `bod_pasta` job, charge.
    fn move_one(
        &self,
        k: usize,
        mut s: State,
        link: usize,
        i: usize,
        stats: &mut ReliefStats,
    ) -> Option<(State, Value)> {
        let t = &self.table;
        let p = &self.policies[i];
        let class = class_of(p);
        for (l, a) in &s.load[i] {
            s.traffic[*l] -= a;
        }
        let avail = s.avail.get_mut(&class).expect("a tracked class");
        for (l, a) in &s.resv[i] {
            avail[*l] += a;
        }
        let flow = number(p, "traffic_flow") * self.ff;
        let mut excluded = vec![t.ids[link].clone()];
        for l in 0..t.len() {
            if t.bd[l] < 0.0 {
                continue;
            }
            let limit = t.bd[l] * self.congest;
            stats.ambiguous |= near(s.traffic[l] + flow, limit);
            if s.traffic[l] + flow > limit {
                excluded.push(t.ids[l].clone());
            }
        }
        let bd = number(p, "bd");
        if bd > 0.0 {
            stats.ambiguous |= avail.iter().any(|a| near(*a, bd));
        }
        let item = self.singles.run(i, k, avail, &excluded);
        if item["status"] != json!(true) {
            return None;
        }
        let new = shares(&item["data"]["segs"], t);
        let load = scaled(&new, flow, |_| true);
        for (l, a) in &load {
            s.traffic[*l] += a;
        }
        let resv = scaled(&new, bd * self.ff, |_| true);
        let avail = s.avail.get_mut(&class).expect("a tracked class");
        let rows: Vec<Value> = rows_by_id(t, &resv)
            .into_iter()
            .map(|(l, reserved)| {
                let before = avail[l];
                avail[l] -= reserved;
                json!({"link": t.ids[l], "class": class, "before": before, "reserved": reserved,
                       "after": before - reserved})
            })
            .collect();
        s.load[i] = load;
        s.resv[i] = resv;
        s.moved[i] = true;
        s.moves += 1;
        let e = json!({"id": p["id"], "status": true, "info": {}, "moved_from": t.ids[link],
                       "data": item["data"], "reservations": rows});
        Some((s, e))
    }
}
