//! The feasible graph of one policy (contract §3 step 1), and why each element left it.
//!
//! Every node and link records the first removal step that takes it out, in the contract's order
//! (`exclude`, `non_sr`, `affinity`, `real_traffic`, `bandwidth`), so that the no-path diagnosis
//! can replay the steps one by one without recomputing anything.

use serde::Serialize;

use super::topology::{node_sid, LinkIx, NodeIx, Topology};
use crate::model::{Policy, Request};

/// A removal step of §3 step 1, in the order the no-path diagnosis tries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The policy's `exc` (and exclusions the job adds).
    Exclude,
    /// Nodes and links without a SID.
    NonSr,
    /// Links failing the policy's affinity under its mask.
    Affinity,
    /// Links whose measured traffic exceeds `bd × traffic_ratio`.
    RealTraffic,
    /// Links whose bandwidth is below the request.
    Bandwidth,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 5] = [
        Step::Exclude,
        Step::NonSr,
        Step::Affinity,
        Step::RealTraffic,
        Step::Bandwidth,
    ];
}

/// Which nodes and links one policy may use, and the bandwidth `b` of every link.
#[derive(Debug, Clone)]
pub struct Feasible {
    /// First step removing each node (`None`: feasible).
    pub node_cut: Vec<Option<Step>>,
    /// First step removing each link, its end nodes' removal included (`None`: feasible).
    pub link_cut: Vec<Option<Step>>,
    /// Bandwidth `b` of each link for this job (`f64::INFINITY`: unlimited).
    pub bw: Vec<f64>,
    node_ok: Vec<bool>,
    link_ok: Vec<bool>,
    whole: bool,
}

/// What a policy may not use beyond its own `exc`: added by disjoint and congestion computations.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    /// Nodes.
    pub nodes: Vec<NodeIx>,
    /// Links.
    pub links: Vec<LinkIx>,
}

impl Feasible {
    /// The feasible graph of `policy` where link bandwidths are `bw` (`INFINITY` = unlimited).
    pub fn new(
        topo: &Topology,
        request: &Request,
        policy: &Policy,
        bw: Vec<f64>,
        extra: &Exclusions,
    ) -> Feasible {
        let mut node_cut: Vec<Option<Step>> = vec![None; topo.node_count()];
        let mut link_cut: Vec<Option<Step>> = vec![None; topo.link_count()];
        let cut = |slot: &mut Option<Step>, step: Step| {
            if slot.is_none_or(|s| step < s) {
                *slot = Some(step);
            }
        };
        for id in &policy.exc {
            if let Some(n) = topo.node(id) {
                cut(&mut node_cut[n as usize], Step::Exclude);
            } else if let Some(l) = topo.link(id) {
                cut(&mut link_cut[l as usize], Step::Exclude);
            }
        }
        for &n in &extra.nodes {
            cut(&mut node_cut[n as usize], Step::Exclude);
        }
        for &l in &extra.links {
            cut(&mut link_cut[l as usize], Step::Exclude);
        }
        match policy.algorithm {
            None => {
                for (slot, &sr) in node_cut.iter_mut().zip(&topo.node_sr) {
                    if !sr {
                        cut(slot, Step::NonSr);
                    }
                }
            }
            Some(a) => {
                for (slot, node) in node_cut.iter_mut().zip(request.nodes.iter()) {
                    if node_sid(node, Some(a)).is_none() {
                        cut(slot, Step::NonSr);
                    }
                }
            }
        }
        let real_traffic = request.global.real_traffic;
        for (l, slot) in link_cut.iter_mut().enumerate() {
            if !topo.link_sr[l] {
                cut(slot, Step::NonSr);
            }
            if let Some(mask) = policy.mask {
                if topo.affi[l] & mask != policy.affi & mask {
                    cut(slot, Step::Affinity);
                }
            }
            if real_traffic && traffic_over(&request.links[l], request.global.traffic_ratio) {
                cut(slot, Step::RealTraffic);
            }
            if policy.bd > 0.0 && bw[l] < policy.bd {
                cut(slot, Step::Bandwidth);
            }
            for end in [topo.lo[l], topo.re[l]] {
                if let Some(step) = node_cut[end as usize] {
                    cut(slot, step);
                }
            }
        }
        let node_ok: Vec<bool> = node_cut.iter().map(Option::is_none).collect();
        let link_ok: Vec<bool> = link_cut.iter().map(Option::is_none).collect();
        let whole = node_ok.iter().all(|&ok| ok) && link_ok.iter().all(|&ok| ok);
        Feasible {
            node_cut,
            link_cut,
            bw,
            node_ok,
            link_ok,
            whole,
        }
    }

    /// Whether the policy may use every node and link of the topology.
    #[inline]
    pub fn whole(&self) -> bool {
        self.whole
    }

    /// Whether the policy may use a node.
    #[inline]
    pub fn node_ok(&self, n: NodeIx) -> bool {
        self.node_ok[n as usize]
    }

    /// Whether the policy may use a link (its ends included).
    #[inline]
    pub fn link_ok(&self, l: LinkIx) -> bool {
        self.link_ok[l as usize]
    }

    /// Whether a node survives every removal step up to `step` inclusive.
    pub fn node_kept_until(&self, n: NodeIx, step: Step) -> bool {
        self.node_cut[n as usize].is_none_or(|s| s > step)
    }

    /// Whether a link survives every removal step up to `step` inclusive.
    pub fn link_kept_until(&self, l: LinkIx, step: Step) -> bool {
        self.link_cut[l as usize].is_none_or(|s| s > step)
    }
}

/// The physical bandwidth of each link (`-1` → unlimited).
pub fn physical_bandwidth(request: &Request) -> Vec<f64> {
    request
        .links
        .iter()
        .map(|l| if l.bd < 0.0 { f64::INFINITY } else { l.bd })
        .collect()
}

/// Whether a link's measured traffic exceeds its known physical bandwidth times
/// `traffic_ratio` (the `real_traffic` removal, when enabled).
fn traffic_over(link: &crate::model::Link, traffic_ratio: f64) -> bool {
    link.traffic_flow
        .is_some_and(|flow| link.bd >= 0.0 && flow > link.bd * traffic_ratio)
}
