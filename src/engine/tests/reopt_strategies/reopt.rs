//! `bod_reopt` bodies: 3–7 policies of two classes between the first three nodes, asking for
//! bandwidths close to the class capacities; 1–3 algorithm entries, each `sorting`, flex-algo
//! and `te`-metric policies, an excluded node or `dis` now and then.

use proptest::collection::vec;
use proptest::option::weighted as maybe;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::{entry, net, roomy, EntrySpec, NetSpec, CLASSES, FLEX, FLOW, NAMES};

/// `bod_reopt` requested bandwidths.
const REOPT_BD: [f64; 6] = [10.0, 15.0, 20.0, 5.0, 30.0, 0.0];

/// A `bod_reopt` policy. Ends are among the first three nodes, so that policies compete.
#[derive(Clone, Debug)]
pub struct ReoptPolicy {
    he: u8,
    te: u8,
    class: usize,
    bd: usize,
    priority: u32,
    flex: bool,
    exc: Option<u8>,
    dis: bool,
    te_metric: bool,
}

/// A `bod_reopt` body.
#[derive(Clone, Debug)]
pub struct ReoptSpec {
    net: NetSpec,
    policies: Vec<ReoptPolicy>,
    entries: Vec<EntrySpec>,
    sorting: usize,
    flow: usize,
}

fn reopt_policy() -> impl Strategy<Value = ReoptPolicy> {
    let ends = (0..3u8, 0..2u8, 0..CLASSES.len(), roomy());
    let extras = (
        0..4u32,
        prop::bool::weighted(0.15),
        maybe(0.15, any::<u8>()),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
    );
    (ends, extras).prop_map(
        |((he, te, class, bd), (priority, flex, exc, dis, te_metric))| ReoptPolicy {
            he,
            te,
            class,
            bd,
            priority,
            flex,
            exc,
            dis,
            te_metric,
        },
    )
}

/// Small valid `bod_reopt` bodies.
pub fn reopt_spec() -> impl Strategy<Value = ReoptSpec> {
    (
        net(),
        vec(reopt_policy(), 3..=7),
        vec(entry(), 1..=3),
        0..4usize,
        0..FLOW.len(),
    )
        .prop_map(|(net, policies, entries, sorting, flow)| ReoptSpec {
            net,
            policies,
            entries,
            sorting,
            flow,
        })
}

impl ReoptSpec {
    /// The `bod_reopt` body.
    pub fn body(&self) -> Value {
        let n = self.net.node_count();
        let links: Vec<Value> = self.net.links().into_iter().map(|l| l.json).collect();
        let policies: Vec<Value> = self
            .policies
            .iter()
            .enumerate()
            .map(|(i, p)| {
                // Ends among the first three nodes (wrapping), distinct.
                let he = p.he as usize % 3;
                let te = (he + 1 + p.te as usize % 2) % 3;
                let mut policy = json!({
                    "id": format!("S{i}"), "he": NAMES[he], "te": NAMES[te],
                    "class": CLASSES[p.class], "bd": REOPT_BD[p.bd], "priority": p.priority,
                });
                if p.flex {
                    policy["algorithm"] = json!(FLEX);
                }
                if p.te_metric {
                    policy["metric"] = json!("te");
                }
                if let Some(x) = p.exc {
                    let others: Vec<usize> = (0..n).filter(|v| *v != he && *v != te).collect();
                    policy["exc"] = json!([NAMES[others[x as usize % others.len()]]]);
                }
                if p.dis {
                    policy["dis"] = json!(true);
                }
                policy
            })
            .collect();
        let sorting = [
            "bandwidth_desc",
            "bandwidth_asc",
            "priority_desc",
            "priority_asc",
        ];
        json!({
            "nodes": self.net.nodes(),
            "links": links,
            "sr_policy": policies,
            "global": {
                "algorithm": self.entries.iter().map(EntrySpec::json).collect::<Vec<_>>(),
                "sorting": sorting[self.sorting],
                "flow_factor": FLOW[self.flow],
            },
        })
    }
}
