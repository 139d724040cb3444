//! `bod_congest_reopt` bodies: 1–2 congested ("hot") links, chosen among the links that have a
//! detour, and 3–10 policies whose current paths are walks through a hot link (most of them) or
//! through any link, some with ECMP alternatives or two segments. Link traffic is the policies'
//! loads plus a background; a hot link's bandwidth is set so that it sits just above the
//! congestion threshold.

use std::collections::BTreeMap;

use proptest::collection::vec;
use proptest::option::weighted as maybe;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::{
    entry, net, spec_of, BuiltLink, EntrySpec, NetSpec, BACKGROUND, CLASSES, FLOW, NAMES, PHYSICAL,
};

/// Congestion policies' requested bandwidths.
const CONGEST_BD: [f64; 4] = [5.0, 2.0, 10.0, 0.0];

/// Congestion policies' `traffic_flow`.
const TRAFFIC: [f64; 6] = [5.0, 8.0, 3.0, 13.0, 2.0, 20.0];

/// How far above the congestion threshold a hot link's utilisation is set.
const HOT_MARGIN: [f64; 4] = [0.05, 0.15, 0.3, 0.6];

/// A congestion policy: a walk through a base link, `back` steps before it and `fwd` after it.
#[derive(Clone, Debug)]
pub struct CongestPolicy {
    base: u8,
    back: Vec<u8>,
    fwd: Vec<u8>,
    ecmp: Option<u8>,
    split: Option<u8>,
    traffic: usize,
    bd: usize,
    priority: u32,
    class: usize,
}

/// A `bod_congest_reopt` body.
#[derive(Clone, Debug)]
pub struct CongestSpec {
    net: NetSpec,
    hot: Vec<u8>,
    hot_margin: Vec<usize>,
    /// Per hot link: its bandwidth is set from the policies' load on it (else its background
    /// traffic is raised).
    hot_sized: Vec<bool>,
    policies: Vec<CongestPolicy>,
    entries: Vec<EntrySpec>,
    strict: bool,
    high_threshold: bool,
    low_target: bool,
    weights: usize,
    max_changes: Option<u32>,
    flow: usize,
}

fn congest_policy() -> impl Strategy<Value = CongestPolicy> {
    let walk = (
        any::<u8>(),
        vec(any::<u8>(), 0..=2),
        vec(any::<u8>(), 0..=2),
        maybe(0.3, any::<u8>()),
        maybe(0.2, any::<u8>()),
    );
    let load = (
        0..TRAFFIC.len(),
        0..CONGEST_BD.len(),
        prop_oneof![1 => Just(0u32), 6 => 1..=4u32],
        0..CLASSES.len(),
    );
    (walk, load).prop_map(
        |((base, back, fwd, ecmp, split), (traffic, bd, priority, class))| CongestPolicy {
            base,
            back,
            fwd,
            ecmp,
            split,
            traffic,
            bd,
            priority,
            class,
        },
    )
}

/// Small valid `bod_congest_reopt` bodies: 1–2 algorithm entries, both modes, several weights
/// and caps, both thresholds.
pub fn congest_spec() -> impl Strategy<Value = CongestSpec> {
    let body = (
        net(),
        prop_oneof![2 => vec(any::<u8>(), 1), 1 => vec(any::<u8>(), 2)],
        vec(0..HOT_MARGIN.len(), 2),
        vec(prop::bool::weighted(0.9), 2),
        vec(congest_policy(), 3..=10),
        vec(entry(), 1..=2),
    );
    let global = (
        prop::bool::weighted(0.2),
        any::<bool>(),
        prop::bool::weighted(0.3),
        0..4usize,
        maybe(0.2, 1..=3u32),
        0..FLOW.len(),
    );
    (body, global).prop_map(
        |(
            (net, hot, hot_margin, hot_sized, policies, entries),
            (strict, high_threshold, low_target, weights, max_changes, flow),
        )| CongestSpec {
            net,
            hot,
            hot_margin,
            hot_sized,
            policies,
            entries,
            strict,
            high_threshold,
            low_target,
            weights,
            max_changes,
            flow,
        },
    )
}

/// The built links' adjacency, for walks.
struct Walker<'a> {
    links: &'a [BuiltLink],
}

impl Walker<'_> {
    /// A simple walk through link `base`: `back` steps into its `lo`, `fwd` steps out of its
    /// `re`, each a choice (wrapping) among the links to or from a node not yet visited.
    fn walk(&self, base: usize, back: &[u8], fwd: &[u8]) -> (Vec<usize>, Vec<usize>) {
        let b = &self.links[base];
        let (mut nodes, mut links) = (vec![b.lo, b.re], vec![base]);
        for &choice in back {
            let at = nodes[0];
            let ins: Vec<usize> = (0..self.links.len())
                .filter(|&l| self.links[l].re == at && !nodes.contains(&self.links[l].lo))
                .collect();
            if ins.is_empty() {
                break;
            }
            let l = ins[choice as usize % ins.len()];
            nodes.insert(0, self.links[l].lo);
            links.insert(0, l);
        }
        for &choice in fwd {
            let at = *nodes.last().expect("a node");
            let outs: Vec<usize> = (0..self.links.len())
                .filter(|&l| self.links[l].lo == at && !nodes.contains(&self.links[l].re))
                .collect();
            if outs.is_empty() {
                break;
            }
            let l = outs[choice as usize % outs.len()];
            nodes.push(self.links[l].re);
            links.push(l);
        }
        (nodes, links)
    }

    /// Whether the remote node of link `l` is reachable from its local node without it.
    fn detour(&self, l: usize) -> bool {
        let (from, to) = (self.links[l].lo, self.links[l].re);
        let mut seen = vec![from];
        let mut next = vec![from];
        while let Some(at) = next.pop() {
            for (k, link) in self.links.iter().enumerate() {
                if k != l && link.lo == at && !seen.contains(&link.re) {
                    seen.push(link.re);
                    next.push(link.re);
                }
            }
        }
        seen.contains(&to)
    }

    /// A link parallel to `l` (same ends, another id), if any.
    fn parallel(&self, l: usize) -> Option<usize> {
        let (lo, re) = (self.links[l].lo, self.links[l].re);
        (0..self.links.len()).find(|&k| k != l && self.links[k].lo == lo && self.links[k].re == re)
    }

    /// The ids of a walk, alternating node, link, node.
    fn ids(&self, nodes: &[usize], links: &[usize]) -> Vec<String> {
        let mut ids = vec![NAMES[nodes[0]].to_owned()];
        for (l, n) in links.iter().zip(&nodes[1..]) {
            ids.push(
                self.links[*l].json["id"]
                    .as_str()
                    .expect("an id")
                    .to_owned(),
            );
            ids.push(NAMES[*n].to_owned());
        }
        ids
    }
}

impl CongestSpec {
    /// The `bod_congest_reopt` body.
    pub fn body(&self) -> Value {
        let mut links = self.net.links();
        let walker = Walker { links: &links };
        // Hot links: among those with a detour (a link without one is a dull case), physical
        // bandwidth known (made so below).
        let detoured: Vec<usize> = (0..links.len()).filter(|&l| walker.detour(l)).collect();
        let pool = if detoured.is_empty() {
            (0..links.len()).collect()
        } else {
            detoured
        };
        let mut hot: Vec<usize> = self
            .hot
            .iter()
            .map(|h| pool[*h as usize % pool.len()])
            .collect();
        hot.dedup();
        let ff = FLOW[self.flow];
        let mut load: BTreeMap<usize, f64> = BTreeMap::new();
        let mut policies = Vec::new();
        for (i, p) in self.policies.iter().enumerate() {
            let base = match p.base % 4 {
                0 => p.base as usize / 4 % links.len(),
                _ => hot[p.base as usize / 4 % hot.len()],
            };
            let (nodes, walk) = walker.walk(base, &p.back, &p.fwd);
            let hops = walk.len();
            // Segments: one, or two cut at a transit node; ECMP at one hop when it has a
            // parallel link.
            let cut = p
                .split
                .filter(|_| hops >= 2)
                .map(|s| 1 + s as usize % (hops - 1));
            let bounds: Vec<(usize, usize)> = match cut {
                Some(c) => vec![(0, c), (c, hops)],
                None => vec![(0, hops)],
            };
            let ecmp = p
                .ecmp
                .map(|e| e as usize % hops)
                .and_then(|h| walker.parallel(walk[h]).map(|q| (h, q)));
            let mut segs = Vec::new();
            for (from, to) in bounds {
                let mut alts = vec![walk[from..to].to_vec()];
                if let Some((h, q)) = ecmp.filter(|(h, _)| from <= *h && *h < to) {
                    let mut alt = walk[from..to].to_vec();
                    alt[h - from] = q;
                    alts.push(alt);
                }
                let n = alts.len() as f64;
                for alt in &alts {
                    for &l in alt {
                        *load.entry(l).or_default() += TRAFFIC[p.traffic] * ff / n;
                    }
                }
                let ids: Vec<Vec<String>> = alts
                    .iter()
                    .map(|alt| walker.ids(&nodes[from..=to], alt))
                    .collect();
                segs.push(ids);
            }
            policies.push(json!({
                "id": format!("M{i}"), "he": NAMES[nodes[0]], "te": NAMES[*nodes.last().expect("a node")],
                "class": CLASSES[p.class], "bd": CONGEST_BD[p.bd], "priority": p.priority,
                "traffic_flow": TRAFFIC[p.traffic], "path": segs,
            }));
        }
        let threshold = if self.high_threshold { 0.9 } else { 0.8 };
        let target = if self.low_target { 0.5 } else { 0.7 };
        for (l, link) in links.iter_mut().enumerate() {
            let spec = &self.net.links[spec_of(&self.net, l)];
            let mut bd = PHYSICAL[spec.physical];
            let carried = load.get(&l).copied().unwrap_or(0.0);
            // An odd amount on top, so that traffic rarely lands exactly on a threshold.
            let mut traffic = carried + 0.37;
            if let Some(k) = hot.iter().position(|&h| h == l) {
                let utilisation = threshold + HOT_MARGIN[self.hot_margin[k]];
                if self.hot_sized[k] {
                    bd = traffic / utilisation;
                } else {
                    if bd < 0.0 {
                        bd = 50.0;
                    }
                    traffic = traffic.max(bd * utilisation);
                }
                link.json["bd"] = json!(bd);
            } else if bd > 0.0 {
                traffic += bd * BACKGROUND[spec.background];
            }
            link.json["traffic_flow"] = json!(traffic);
        }
        let (pw, bw) = [(0.5, 0.5), (1.0, 0.0), (0.0, 1.0), (0.3, 0.7)][self.weights];
        let mut global = json!({
            "algorithm": self.entries.iter().map(EntrySpec::json).collect::<Vec<_>>(),
            "flow_factor": ff,
            "reopt_mode": if self.strict { "strict" } else { "loose" },
            "congest_threshold": threshold, "target_threshold": target,
            "priority_weight": pw, "bandwidth_weight": bw,
        });
        if let Some(m) = self.max_changes {
            global["max_changes"] = json!(m);
        }
        let congested: Vec<Value> = hot.iter().map(|&l| links[l].json["id"].clone()).collect();
        json!({
            "nodes": self.net.nodes(),
            "links": links.into_iter().map(|l| l.json).collect::<Vec<_>>(),
            "sr_policy": policies,
            "global": global,
            "congested_link": congested,
        })
    }
}
