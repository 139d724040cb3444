//! Congestion relief: `bod_congest_reopt` (contract §3, re-optimisation, steps 1–5).
//!
//! The state is the traffic on every link, the available bandwidth of every class, and each
//! policy's current load and reservation per link (from its `path`, or from its new expansion
//! once moved). The most utilised listed link still congested is relieved by the valid set of
//! movable policies with the least effort; a set is tried by moving its policies one by one
//! (load descending, then id) on a copy of the state, so a failed try leaves nothing behind.
//!
//! The choice is exact up to [`EXACT_MAX`] movable policies: every subset carrying enough load
//! is ordered by (effort, size, sorted ids) and tried in that order, the first valid one wins;
//! efforts that differ only by rounding are equal. No subset is skipped, but many are decided
//! without a computation: a set is always moved in one fixed order of the link's policies, so
//! when a try fails at its k-th policy, every set that starts with the same k policies in that
//! order fails the same way, and is passed over. Beyond [`EXACT_MAX`], a
//! greedy heuristic: policies in increasing order of effort per unit of load are added while the
//! load is short of the requirement; a policy that cannot be moved is dropped and the next one
//! taken. It tries at most as many sets as there are movable policies and never enumerates
//! subsets.

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Value};

use super::feasible::Exclusions;
use super::policy::{try_place, Ctx};
use super::reserve::{charges, class_bandwidth, given_back, ClassField};
use super::result::{Document, Item, ListItem, PathData, PolicyEntry, Reservation};
use super::single::{info, result, round_ms};
use super::topology::LinkIx;
use crate::model::{AlgorithmEntry, Policy, ReoptMode};

/// Most movable policies for which the choice is exact.
pub const EXACT_MAX: usize = 16;
const EPS: f64 = 1e-9;
/// Relative difference under which two efforts are equal.
const TIE: f64 = 1e-9;

/// Per-link amounts of one policy (sorted by link index).
type Shares = Vec<(LinkIx, f64)>;

#[derive(Clone)]
struct State {
    traffic: Vec<f64>,
    avail: BTreeMap<String, Vec<f64>>,
    load: Vec<Shares>,
    resv: Vec<Shares>,
    moved: Vec<bool>,
    moves: usize,
}

/// Computes a `bod_congest_reopt` job.
pub fn compute(ctx: &mut Ctx, now_ms: &dyn Fn() -> f64) -> Document {
    let request = ctx.request;
    let ff = request.global.flow_factor;
    let mut warnings = Vec::new();
    let mut start = State {
        traffic: request
            .links
            .iter()
            .map(|l| l.traffic_flow.unwrap_or(0.0))
            .collect(),
        avail: BTreeMap::new(),
        load: Vec::new(),
        resv: Vec::new(),
        moved: vec![false; request.policies.len()],
        moves: 0,
    };
    for (i, p) in request.policies.iter().enumerate() {
        let class = p.class.clone().unwrap_or_default();
        start
            .avail
            .entry(class.clone())
            .or_insert_with_key(|c| class_bandwidth(request, c, ClassField::Available));
        let at = format!("sr_policy[{i}].path");
        let path = p.path.clone().unwrap_or_default();
        let (load, w) = given_back(ctx.topo, &path, p.traffic_flow * ff, &at);
        warnings.extend(w);
        let (mut resv, _) = given_back(ctx.topo, &path, p.bd * ff, &at);
        // A link without the class has no class bandwidth (§3 step 1): nothing to give back
        // there, as in `bod_modified`.
        resv.retain(|&(l, _)| {
            let link = &request.links[l as usize];
            let has = link.class(&class).is_some();
            if !has {
                warnings.push(format!(
                    "{at}: link {:?} has no class {class:?}; nothing given back",
                    link.id
                ));
            }
            has
        });
        start.load.push(load);
        start.resv.push(resv);
    }
    let data = request
        .global
        .algorithm
        .iter()
        .map(|entry| Item::List(Box::new(relieve_all(ctx, entry, start.clone(), now_ms))))
        .collect();
    Document {
        info: info(warnings),
        data,
    }
}

fn relieve_all(
    ctx: &mut Ctx,
    entry: &AlgorithmEntry,
    mut state: State,
    now_ms: &dyn Fn() -> f64,
) -> ListItem {
    let request = ctx.request;
    let g = &request.global;
    let before = state.traffic.clone();
    let mut listed: Vec<LinkIx> = request
        .congested_link
        .iter()
        .filter_map(|id| ctx.topo.link(id))
        .collect();
    listed.sort_unstable();
    listed.dedup();
    let congested = |traffic: &[f64], l: LinkIx| {
        let bd = request.links[l as usize].bd;
        bd > 0.0 && traffic[l as usize] > bd * g.congest_threshold
    };
    let mut given_up: Vec<LinkIx> = Vec::new();
    let mut data = Vec::new();
    loop {
        let next = listed
            .iter()
            .copied()
            .filter(|&l| !given_up.contains(&l) && congested(&state.traffic, l))
            .max_by(|&a, &b| {
                let ua = state.traffic[a as usize] / request.links[a as usize].bd;
                let ub = state.traffic[b as usize] / request.links[b as usize].bd;
                ua.total_cmp(&ub)
                    .then(ctx.topo.link_rank[b as usize].cmp(&ctx.topo.link_rank[a as usize]))
            });
        let Some(link) = next else { break };
        match relieve(ctx, entry, &state, link, now_ms) {
            Some((after, moved)) => {
                state = after;
                data.extend(moved);
            }
            None if g.reopt_mode == ReoptMode::Strict => {
                let unrelieved: Vec<&str> = listed
                    .iter()
                    .filter(|&&l| congested(&before, l))
                    .map(|&l| ctx.topo.link_id[l as usize].as_str())
                    .collect();
                let mut unrelieved = unrelieved;
                unrelieved.sort_unstable();
                return ListItem {
                    algo_type: entry.algo,
                    status: false,
                    info: json!({
                        "code": "UNRELIEVED",
                        "message": format!("link {:?} cannot be relieved; strict mode applies no move", ctx.topo.link_id[link as usize]),
                        "link": ctx.topo.link_id[link as usize],
                    }),
                    data: Vec::new(),
                    summary: json!({"relieved": [], "unrelieved": unrelieved, "utilisation": []}),
                };
            }
            None => given_up.push(link),
        }
    }
    let mut relieved = Vec::new();
    let mut unrelieved = Vec::new();
    for &l in &listed {
        let id = ctx.topo.link_id[l as usize].clone();
        if congested(&state.traffic, l) {
            unrelieved.push(id);
        } else {
            relieved.push(id);
        }
    }
    relieved.sort();
    unrelieved.sort();
    let mut utilisation: Vec<(u32, Value)> = Vec::new();
    for (l, link) in request.links.iter().enumerate() {
        if (state.traffic[l] - before[l]).abs() > EPS {
            let u = |t: f64| {
                if link.bd > 0.0 {
                    json!(t / link.bd)
                } else {
                    Value::Null
                }
            };
            utilisation.push((
                ctx.topo.link_rank[l],
                json!({"link": link.id, "before": u(before[l]), "after": u(state.traffic[l])}),
            ));
        }
    }
    utilisation.sort_by_key(|(r, _)| *r);
    let status = unrelieved.is_empty();
    ListItem {
        algo_type: entry.algo,
        status,
        info: if status {
            json!({})
        } else {
            json!({"code": "UNRELIEVED", "message": "some listed links stay congested", "links": unrelieved})
        },
        data,
        summary: json!({
            "relieved": relieved,
            "unrelieved": unrelieved,
            "utilisation": utilisation.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        }),
    }
}

fn load_on(shares: &Shares, link: LinkIx) -> f64 {
    shares
        .iter()
        .filter(|(l, _)| *l == link)
        .map(|(_, a)| a)
        .sum()
}

/// Relieves one link: the state after the chosen moves and their entries, or `None`.
fn relieve(
    ctx: &mut Ctx,
    entry: &AlgorithmEntry,
    state: &State,
    link: LinkIx,
    now_ms: &dyn Fn() -> f64,
) -> Option<(State, Vec<PolicyEntry>)> {
    let request = ctx.request;
    let g = &request.global;
    let bd = request.links[link as usize].bd;
    let required = state.traffic[link as usize] - bd * g.target_threshold;
    let budget = g
        .max_changes
        .map_or(usize::MAX, |m| (m as usize).saturating_sub(state.moves));
    let movable: Vec<usize> = request
        .policies
        .iter()
        .enumerate()
        .filter(|(i, p)| p.priority > 0 && !state.moved[*i] && load_on(&state.load[*i], link) > 0.0)
        .map(|(i, _)| i)
        .collect();
    let effort = |i: usize| {
        let p = &request.policies[i];
        g.priority_weight / p.priority as f64 + g.bandwidth_weight * p.traffic_flow / required
    };
    let load = |i: usize| load_on(&state.load[i], link);
    if movable.len() <= EXACT_MAX {
        let mut sets: Vec<(f64, Vec<usize>)> = Vec::new();
        for mask in 1u32..(1u32 << movable.len()) {
            let set: Vec<usize> = (0..movable.len())
                .filter(|b| mask & (1 << b) != 0)
                .map(|b| movable[b])
                .collect();
            if set.len() > budget || set.iter().map(|&i| load(i)).sum::<f64>() + EPS < required {
                continue;
            }
            sets.push((set.iter().map(|&i| effort(i)).sum(), set));
        }
        let ids = |s: &[usize]| {
            let mut v: Vec<&str> = s.iter().map(|&i| request.policies[i].id.as_str()).collect();
            v.sort_unstable();
            v
        };
        sets.sort_by(|(ea, _), (eb, _)| ea.total_cmp(eb));
        // Efforts equal but for rounding (the same terms summed in another order, such as
        // 3/r + 5/r and 8/r) are ties: each run of efforts within `TIE` of its first is one
        // class, ordered by size, then ids. Grouping a sorted list keeps the order total.
        let mut at = 0;
        while at < sets.len() {
            let first = sets[at].0;
            let end = at
                + sets[at..]
                    .iter()
                    .take_while(|(e, _)| e - first <= TIE * first.abs().max(1.0))
                    .count();
            sets[at..end]
                .sort_by(|(_, a), (_, b)| a.len().cmp(&b.len()).then_with(|| ids(a).cmp(&ids(b))));
            at = end;
        }
        // Sequences (in moving order) known to fail at their last policy.
        let mut failing: HashSet<Vec<usize>> = HashSet::new();
        for (_, set) in sets {
            let order = moving_order(ctx, state, link, &set);
            if (1..=order.len()).any(|k| failing.contains(&order[..k])) {
                continue;
            }
            match try_set(ctx, entry, state, link, &order, now_ms) {
                Ok(done) => return Some(done),
                Err(at) => {
                    failing.insert(order[..=at].to_vec());
                }
            }
        }
        None
    } else {
        let mut order = movable.clone();
        order.sort_by(|&a, &b| {
            (effort(a) / load(a))
                .total_cmp(&(effort(b) / load(b)))
                .then_with(|| request.policies[a].id.cmp(&request.policies[b].id))
        });
        let mut set: Vec<usize> = Vec::new();
        for i in order {
            if set.len() >= budget {
                break;
            }
            set.push(i);
            if set.iter().map(|&i| load(i)).sum::<f64>() + EPS < required {
                continue;
            }
            let order = moving_order(ctx, state, link, &set);
            if let Ok(done) = try_set(ctx, entry, state, link, &order, now_ms) {
                return Some(done);
            }
            set.pop();
        }
        None
    }
}

/// The policies of `set` in the order they move: load on the link descending, then id.
fn moving_order(ctx: &Ctx, state: &State, link: LinkIx, set: &[usize]) -> Vec<usize> {
    let request = ctx.request;
    let mut order = set.to_vec();
    order.sort_by(|&a, &b| {
        load_on(&state.load[b], link)
            .total_cmp(&load_on(&state.load[a], link))
            .then_with(|| request.policies[a].id.cmp(&request.policies[b].id))
    });
    order
}

/// Moves the policies of `order` one after the other on a copy of the state; `Err(k)` if the
/// k-th (from 0) cannot move.
fn try_set(
    ctx: &mut Ctx,
    entry: &AlgorithmEntry,
    state: &State,
    link: LinkIx,
    order: &[usize],
    now_ms: &dyn Fn() -> f64,
) -> Result<(State, Vec<PolicyEntry>), usize> {
    let request = ctx.request;
    let g = &request.global;
    let ff = g.flow_factor;
    let mut s = state.clone();
    let mut entries = Vec::with_capacity(order.len());
    for (k, &i) in order.iter().enumerate() {
        let p: &Policy = &request.policies[i];
        let class = p.class.clone().unwrap_or_default();
        for &(l, a) in &s.load[i] {
            s.traffic[l as usize] -= a;
        }
        let avail = s
            .avail
            .get_mut(&class)
            .expect("every policy's class is tracked");
        for &(l, a) in &s.resv[i] {
            avail[l as usize] += a;
        }
        let flow = p.traffic_flow * ff;
        let mut extra = Exclusions::default();
        extra.links.push(link);
        for (l, lk) in request.links.iter().enumerate() {
            if lk.bd >= 0.0 && s.traffic[l] + flow > lk.bd * g.congest_threshold {
                extra.links.push(l as LinkIx);
            }
        }
        let start = now_ms();
        let placed = try_place(ctx, p, entry, avail, &extra).ok_or(k)?;
        let time = round_ms(now_ms() - start);
        let new_load = charges(ctx.topo, &placed.main.exp, flow);
        for &(l, a) in &new_load {
            s.traffic[l as usize] += a;
        }
        let avail = s.avail.get_mut(&class).expect("tracked");
        let new_resv = charges(ctx.topo, &placed.main.exp, p.bd * ff);
        let rows = new_resv
            .iter()
            .map(|&(l, reserved)| {
                let before = avail[l as usize];
                avail[l as usize] -= reserved;
                Reservation {
                    link: ctx.topo.link_id[l as usize].clone(),
                    class: class.clone(),
                    before,
                    reserved,
                    after: before - reserved,
                }
            })
            .collect();
        s.load[i] = new_load;
        s.resv[i] = new_resv;
        s.moved[i] = true;
        s.moves += 1;
        entries.push(PolicyEntry {
            id: p.id.clone(),
            status: true,
            info: json!({}),
            moved_from: Some(ctx.topo.link_id[link as usize].clone()),
            data: PathData::Found(Box::new(result(ctx, p, placed, time))),
            reservations: Some(rows),
        });
    }
    Ok((s, entries))
}
