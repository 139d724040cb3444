//! The request types after parsing: every default applied, every enum closed, ids still strings.
//!
//! These are plain data. Cross-references (ids naming nodes and links) have been checked by
//! [`super::validate`], so the engine may rely on them.
//!
//! They are also what a job message carries between submission and the workers, in the compact
//! form of [`super::compact`]: the derived `Serialize`/`Deserialize` are that form's layout, not
//! a wire format of the contract.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A whole request body: topology, policies and global parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Every node, in input order (shared with the held topology a body names).
    pub nodes: Arc<Vec<Node>>,
    /// Every directed link, in input order (shared like `nodes`).
    pub links: Arc<Vec<Link>>,
    /// The policies: exactly one for single-policy jobs, one or more for list jobs.
    pub policies: Vec<Policy>,
    /// Global parameters, defaults applied.
    pub global: Global,
    /// `bod_congest_reopt` only: the links to relieve, in input order (empty otherwise).
    pub congested_link: Vec<String>,
}

/// A router.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Unique id.
    pub id: String,
    /// Loopback address, if given.
    pub ip: Option<String>,
    /// Node SID; a node without one is not SR-capable.
    pub sid: Option<u64>,
    /// Flex-algo prefix SIDs.
    pub prefix: Vec<Prefix>,
}

/// A flex-algo prefix SID of a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prefix {
    /// The prefix (address), if given.
    pub prefix: Option<String>,
    /// The flex-algo number.
    pub algorithm: u32,
    /// The prefix SID, if given (0 counts as none).
    pub sid: Option<u64>,
}

/// A directed link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Unique id (opaque).
    pub id: String,
    /// Local (source) node id.
    pub lo: String,
    /// Remote (destination) node id.
    pub re: String,
    /// Interface address, if given.
    pub ip: Option<String>,
    /// Adjacency SID; a link without one is never on a computed path.
    pub sid: Option<u64>,
    /// IGP metric.
    pub igp: u64,
    /// TE metric.
    pub te: u64,
    /// Delay in the input's units.
    pub delay: f64,
    /// Delay in thousandths of the input's unit, `round(delay × 1000)`: the exact metric.
    pub delay_milli: u64,
    /// Physical bandwidth; `-1` means unknown (unlimited).
    pub bd: f64,
    /// Affinity bits.
    pub affi: u64,
    /// Shared-risk link groups.
    pub srlg: Vec<u64>,
    /// Measured traffic, if given.
    pub traffic_flow: Option<f64>,
    /// Per-class bandwidth bookkeeping, in input order (shared: the revisions a change derives
    /// from one another copy a link without copying its classes).
    pub qos_class: Arc<[QosClass]>,
}

impl Request {
    /// A request holding only a network's nodes and links (shared), no policies, defaults
    /// elsewhere: what topology checks and the engine's view of a topology are made from.
    pub fn of_network(network: &super::Network) -> Request {
        Request {
            nodes: network.nodes.clone(),
            links: network.links.clone(),
            policies: Vec::new(),
            global: Global::default(),
            congested_link: Vec::new(),
        }
    }
}

impl Link {
    /// The class entry of this link, if it has one.
    pub fn class(&self, class: &str) -> Option<&QosClass> {
        self.qos_class.iter().find(|q| q.class == class)
    }
}

/// Bandwidth of one QoS class on one link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QosClass {
    /// Class name.
    pub class: String,
    /// Capacity carved out for the class.
    pub bandwidth_reserve: f64,
    /// What is left of it after current reservations.
    pub bandwidth_available: f64,
    /// Measured traffic of the class (carried, not used).
    pub traffic_flow: f64,
}

/// The optimisation metric of a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Metric {
    /// IGP metric.
    Igp,
    /// TE metric.
    Te,
    /// Link delay (`latency` / `delay`).
    Latency,
}

/// A current placement, shaped like a result's `segs`: segments → alternatives → ids.
pub type SegPath = Vec<Vec<Vec<String>>>;

/// One SR policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Id (defaults to the headend in single bodies).
    pub id: String,
    /// Headend node id.
    pub he: String,
    /// Tailend node id.
    pub te: String,
    /// Optimisation metric.
    pub metric: Metric,
    /// Requested bandwidth.
    pub bd: f64,
    /// Affinity value (bits that must be set under `mask`).
    pub affi: u64,
    /// Affinity mask, if given.
    pub mask: Option<u64>,
    /// Ordered waypoints: node or link ids.
    pub inc: Vec<String>,
    /// Node or link ids to avoid.
    pub exc: Vec<String>,
    /// Also compute a disjoint path.
    pub dis: bool,
    /// QoS class (required by bod jobs).
    pub class: Option<String>,
    /// Priority (> 0: movable by congestion relief).
    pub priority: u32,
    /// Maximum number of SIDs.
    pub msd: Option<u32>,
    /// `bod_modified`: the placement to release first.
    pub former: Option<Former>,
    /// Flex-algo number whose prefix SIDs this policy uses.
    pub algorithm: Option<u32>,
    /// List bodies: the current placement.
    pub path: Option<SegPath>,
    /// List bodies: measured traffic of the policy.
    pub traffic_flow: f64,
}

/// The previous placement of a `bod_modified` policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Former {
    /// The old `segs`.
    pub path: SegPath,
    /// The bandwidth it reserved.
    pub bd: f64,
    /// The class it reserved on.
    pub class: String,
}

/// How candidates are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sorter {
    /// Cost ascending.
    Metric,
    /// Hops ascending.
    MinHop,
    /// Bottleneck bandwidth descending.
    MaxMinBand,
}

/// One entry of `global.algorithm`, preset applied.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlgorithmEntry {
    /// 0 or 1, echoed as `algo_type`.
    pub algo: u8,
    /// Ranking key.
    pub sorter: Sorter,
    /// Candidates kept (0 with `loose: false`: the whole least-cost set).
    pub top: u32,
    /// Filter on the sorter key (0: off).
    pub limit: f64,
    /// Whether non-least-cost paths are candidates.
    pub loose: bool,
}

/// Order of placement in `bod_reopt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sorting {
    /// Larger requested bandwidth first.
    BandwidthDesc,
    /// Smaller requested bandwidth first.
    BandwidthAsc,
    /// Higher priority first.
    PriorityDesc,
    /// Lower priority first.
    PriorityAsc,
}

/// What `bod_congest_reopt` does with a link it cannot relieve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReoptMode {
    /// Note it and go on.
    Loose,
    /// End the item with no moves.
    Strict,
}

/// Which node SIDs the segment encoder may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    /// A node SID whose every IGP shortest path is feasible and passes the waypoints.
    Ecmp,
    /// A node SID only where the IGP shortest path is unique.
    Strict,
}

/// Global parameters, defaults applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Global {
    /// Algorithm entries, in order (never empty).
    pub algorithm: Vec<AlgorithmEntry>,
    /// Multiplier of reservations and loads (> 0).
    pub flow_factor: f64,
    /// Exclude links whose measured traffic exceeds `bd × traffic_ratio`.
    pub real_traffic: bool,
    /// See `real_traffic` (> 0).
    pub traffic_ratio: f64,
    /// Placement order of `bod_reopt`.
    pub sorting: Sorting,
    /// See [`ReoptMode`].
    pub reopt_mode: ReoptMode,
    /// A link is congested above `bd × congest_threshold`.
    pub congest_threshold: f64,
    /// A link is relieved at or below `bd × target_threshold`.
    pub target_threshold: f64,
    /// Effort weight of priority.
    pub priority_weight: f64,
    /// Effort weight of moved traffic.
    pub bandwidth_weight: f64,
    /// Cap on the policies moved in a congestion job.
    pub max_changes: Option<u32>,
    /// Segment encoding.
    pub encoding: Encoding,
    /// Echo `nodes` and the updated `links` in each item.
    pub echo_topology: bool,
}

impl Default for Global {
    fn default() -> Self {
        Global {
            algorithm: vec![AlgorithmEntry::preset(0)],
            flow_factor: 1.0,
            real_traffic: false,
            traffic_ratio: 1.0,
            sorting: Sorting::BandwidthDesc,
            reopt_mode: ReoptMode::Loose,
            congest_threshold: 0.8,
            target_threshold: 0.7,
            priority_weight: 0.5,
            bandwidth_weight: 0.5,
            max_changes: None,
            encoding: Encoding::Ecmp,
            echo_topology: false,
        }
    }
}

impl AlgorithmEntry {
    /// The preset of an algorithm number: algo 0 is the least-cost set, algo 1 loose.
    pub fn preset(algo: u8) -> Self {
        AlgorithmEntry {
            algo,
            sorter: Sorter::Metric,
            top: 10,
            limit: 0.0,
            loose: algo == 1,
        }
    }
}
