//! The wire body → [`Request`], by hand: every field read by its short name first and its long
//! alias as fallback, every default and algorithm preset applied, every problem collected with its
//! JSON path. Never panics, never stops at the first problem.
//!
//! Reading rules:
//! - Unknown keys are ignored, and so are keys a job type does not use: `former` outside
//!   `bod_modified`, `path` and `traffic_flow` of a policy outside list bodies, `congested_link`
//!   outside `bod_congest_reopt`. A `null` member counts as absent.
//! - Integers are JSON numbers with an integral value (`10.0` is 10); numeric strings are not
//!   numbers. Affinity values (`affi`, `mask`) are a non-negative integer or a hex string with an
//!   optional `0x`/`0X` (so `"10"` is sixteen), at most 64 bits.
//!
//! Upper bounds (beyond them a value is a mistake, and arithmetic stays exact):
//! - `igp`, `te` (link metrics), node, prefix and adjacency SIDs, `srlg` values, `priority`,
//!   `max_changes`, `top`: at most `u32::MAX` (`top` also at most [`Limits::max_top`]).
//! - `delay`: 0 ..= [`MAX_DELAY`] (1e9), so `delay_milli` stays below 1e12.
//! - bandwidths, `traffic_flow`, `limit`: 0 ..= [`MAX_BANDWIDTH`] (1e18); a link's `bd` may be -1.
//! - `flow_factor`, `traffic_ratio`: (0, [`MAX_FACTOR`]]; `priority_weight`, `bandwidth_weight`:
//!   0 ..= [`MAX_FACTOR`] (1e6). `congest_threshold`, `target_threshold`: (0, 1].
//! - flex-algo numbers (`algorithm` of a policy, `prefix_algorithm`): 0 ..= 255; `msd`: 1 ..= 255;
//!   `algo`: 0 or 1.
//!
//! Cross-references and sizes are [`super::validate`]'s. The validation runs here, once, on the
//! request; when parsing found a problem the request is partial, and the validation skips every
//! value that failed to parse (so one mistake is reported once). Its problems name keys as the
//! body wrote them.

mod policy;
pub(crate) mod reader;
mod streamed;
pub(crate) mod topology;

use std::collections::HashMap;
use std::sync::Arc;

use super::json::{Cap, Json, Shape};

use self::reader::{boolean, number, one_of, uint32, Collector, Floor, Key, Loc, Reader};
use super::topology::{Pos, Reference};
use super::validate::Topology;
use super::Node;
use super::{
    AlgorithmEntry, Encoding, Global, JobType, Limits, Network, Problems, ReoptMode, Request,
    Sorter, Sorting,
};
pub(super) use streamed::network as streamed_network;

/// Largest `delay` accepted.
pub(crate) const MAX_DELAY: f64 = 1e9;
/// Largest bandwidth, traffic or `limit` accepted.
pub(crate) const MAX_BANDWIDTH: f64 = 1e18;
/// Largest `flow_factor`, `traffic_ratio`, `priority_weight`, `bandwidth_weight` accepted.
pub(crate) const MAX_FACTOR: f64 = 1e6;
/// Largest flex-algo number.
pub(crate) const MAX_FLEX_ALGO: u32 = 255;
/// Largest `msd`.
pub(crate) const MAX_MSD: u32 = 255;

/// Keys of the body.
pub(crate) const BODY_KEYS: &[Key] = &[
    Key::new("nodes"),
    Key::new("links"),
    Key::new("sr_policy"),
    Key::new("global"),
    Key::new("congested_link"),
    Key::new("topology"),
];
/// Keys of a node (`pos` is kept by held topologies, for drawing; jobs ignore it).
pub(crate) const NODE_KEYS: &[Key] = &[
    Key::new("id"),
    Key::new("ip"),
    Key::new("sid"),
    Key::new("prefix"),
    Key::new("pos"),
];
/// Keys of a node's drawing position: `x`/`y`, or `lat`/`lon`.
pub(crate) const POS_KEYS: &[Key] = &[
    Key::new("x"),
    Key::new("y"),
    Key::new("lat"),
    Key::new("lon"),
];
/// Keys of a body's reference to a held topology.
pub(crate) const REFERENCE_KEYS: &[Key] = &[Key::new("name"), Key::new("revision")];
/// Keys of a held topology's document.
pub(crate) const TOPOLOGY_KEYS: &[Key] = &[Key::new("nodes"), Key::new("links")];
/// Keys of a node's flex-algo prefix SID.
pub(crate) const PREFIX_KEYS: &[Key] = &[
    Key::new("prefix"),
    Key::new("prefix_algorithm"),
    Key::new("prefix_sid"),
];
/// Keys of a link.
pub(crate) const LINK_KEYS: &[Key] = &[
    Key::new("id"),
    Key::aliased("lo", "local"),
    Key::aliased("re", "remote"),
    Key::new("ip"),
    Key::new("sid"),
    Key::new("igp"),
    Key::new("te"),
    Key::new("delay"),
    Key::aliased("bd", "bandwidth"),
    Key::aliased("affi", "affinity"),
    Key::new("srlg"),
    Key::new("traffic_flow"),
    Key::new("qos_class"),
];
/// Keys of a link's QoS class.
pub(crate) const QOS_KEYS: &[Key] = &[
    Key::new("class"),
    Key::new("bandwidth_reserve"),
    Key::new("bandwidth_available"),
    Key::new("traffic_flow"),
];
/// Keys of a policy.
pub(crate) const POLICY_KEYS: &[Key] = &[
    Key::new("id"),
    Key::aliased("he", "headend"),
    Key::aliased("te", "tailend"),
    Key::new("metric"),
    Key::aliased("bd", "bandwidth"),
    Key::aliased("affi", "affinity"),
    Key::new("mask"),
    Key::aliased("inc", "include"),
    Key::aliased("exc", "exclude"),
    Key::aliased("dis", "disjoint"),
    Key::new("class"),
    Key::new("priority"),
    Key::new("msd"),
    Key::new("former"),
    Key::new("algorithm"),
    Key::new("path"),
    Key::new("traffic_flow"),
];
/// Keys of a policy's `former` placement.
pub(crate) const FORMER_KEYS: &[Key] = &[
    Key::new("path"),
    Key::aliased("bd", "bandwidth"),
    Key::new("class"),
];
/// Keys of an entry of `global.algorithm`.
pub(crate) const ALGORITHM_KEYS: &[Key] = &[
    Key::new("algo"),
    Key::new("sorter"),
    Key::new("top"),
    Key::new("limit"),
    Key::new("loose"),
];
/// Keys of `global`.
pub(crate) const GLOBAL_KEYS: &[Key] = &[
    Key::new("algorithm"),
    Key::new("flow_factor"),
    Key::new("real_traffic"),
    Key::new("traffic_ratio"),
    Key::aliased("sorting", "sorter"),
    Key::new("reopt_mode"),
    Key::new("congest_threshold"),
    Key::new("target_threshold"),
    Key::new("priority_weight"),
    Key::new("bandwidth_weight"),
    Key::new("max_changes"),
    Key::new("encoding"),
    Key::new("echo_topology"),
    Key::aliased("prioriry_prefer", "priority_prefer"),
    Key::new("traffic_prefer"),
];

/// What reading a body keeps ([`Json::read`]): the members the key tables name (short names
/// and aliases), each with its shape; any other member is skipped unread.
pub(crate) static BODY_SHAPE: Shape = Shape::Object(body_member);
/// What reading a topology document keeps (`nodes` and `links`, as in a body).
pub(crate) static TOPOLOGY_SHAPE: Shape = Shape::Object(topology_member);
static REFERENCE_SHAPE: Shape = Shape::Object(reference_member);
static POS_SHAPE: Shape = Shape::Object(pos_member);
static NODE_SHAPE: Shape = Shape::Object(node_member);
static PREFIX_SHAPE: Shape = Shape::Object(prefix_member);
static LINK_SHAPE: Shape = Shape::Object(link_member);
static QOS_SHAPE: Shape = Shape::Object(qos_member);
static POLICY_SHAPE: Shape = Shape::Object(policy_member);
static FORMER_SHAPE: Shape = Shape::Object(former_member);
static ALGORITHM_SHAPE: Shape = Shape::Object(algorithm_member);
static GLOBAL_SHAPE: Shape = Shape::Object(global_member);
/// A list of scalars (ids, SRLGs).
static SCALARS: Shape = Shape::List(&Shape::Scalar, Cap::Items);
/// A placement shaped like `segs`: segments of alternatives of id lists.
static SEG_PATH_SHAPE: Shape = Shape::List(&Shape::List(&SCALARS, Cap::Items), Cap::Items);

/// The short name of the key of `table` that `written` names (by its name or its alias).
fn known(table: &[Key], written: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|k| k.name == written || k.alias == Some(written))
        .map(|k| k.name)
}

/// The shape of a member of `table`: `nested` names the members that are not scalars.
fn member(
    table: &[Key],
    written: &str,
    nested: &[(&str, &'static Shape)],
) -> Option<&'static Shape> {
    let name = known(table, written)?;
    let shape = nested.iter().find(|(n, _)| *n == name).map(|(_, s)| *s);
    Some(shape.unwrap_or(&Shape::Scalar))
}

static NODES: Shape = Shape::List(&NODE_SHAPE, Cap::Nodes);
static LINKS: Shape = Shape::List(&LINK_SHAPE, Cap::Links);

fn topology_member(k: &str) -> Option<&'static Shape> {
    member(TOPOLOGY_KEYS, k, &[("nodes", &NODES), ("links", &LINKS)])
}

fn reference_member(k: &str) -> Option<&'static Shape> {
    member(REFERENCE_KEYS, k, &[])
}

fn pos_member(k: &str) -> Option<&'static Shape> {
    member(POS_KEYS, k, &[])
}

fn body_member(k: &str) -> Option<&'static Shape> {
    static POLICIES: Shape = Shape::OneOrList(&POLICY_SHAPE, Cap::Policies);
    let nested = [
        ("nodes", &NODES),
        ("links", &LINKS),
        ("sr_policy", &POLICIES),
        ("global", &GLOBAL_SHAPE),
        ("congested_link", &SCALARS),
        ("topology", &REFERENCE_SHAPE),
    ];
    member(BODY_KEYS, k, &nested)
}

fn node_member(k: &str) -> Option<&'static Shape> {
    static PREFIXES: Shape = Shape::List(&PREFIX_SHAPE, Cap::Items);
    member(NODE_KEYS, k, &[("prefix", &PREFIXES), ("pos", &POS_SHAPE)])
}

fn prefix_member(k: &str) -> Option<&'static Shape> {
    member(PREFIX_KEYS, k, &[])
}

fn link_member(k: &str) -> Option<&'static Shape> {
    static CLASSES: Shape = Shape::List(&QOS_SHAPE, Cap::Items);
    member(LINK_KEYS, k, &[("srlg", &SCALARS), ("qos_class", &CLASSES)])
}

fn qos_member(k: &str) -> Option<&'static Shape> {
    member(QOS_KEYS, k, &[])
}

fn policy_member(k: &str) -> Option<&'static Shape> {
    static WAYPOINTS: Shape = Shape::List(&Shape::Scalar, Cap::Waypoints);
    let nested = [
        ("inc", &WAYPOINTS),
        ("exc", &SCALARS),
        ("former", &FORMER_SHAPE),
        ("path", &SEG_PATH_SHAPE),
    ];
    member(POLICY_KEYS, k, &nested)
}

fn former_member(k: &str) -> Option<&'static Shape> {
    member(FORMER_KEYS, k, &[("path", &SEG_PATH_SHAPE)])
}

fn algorithm_member(k: &str) -> Option<&'static Shape> {
    member(ALGORITHM_KEYS, k, &[])
}

fn global_member(k: &str) -> Option<&'static Shape> {
    static ENTRIES: Shape = Shape::List(&ALGORITHM_SHAPE, Cap::Entries);
    member(GLOBAL_KEYS, k, &[("algorithm", &ENTRIES)])
}

/// Every key table of the body.
const TABLES: [&[Key]; 12] = [
    BODY_KEYS,
    TOPOLOGY_KEYS,
    REFERENCE_KEYS,
    POS_KEYS,
    NODE_KEYS,
    PREFIX_KEYS,
    LINK_KEYS,
    QOS_KEYS,
    POLICY_KEYS,
    FORMER_KEYS,
    ALGORITHM_KEYS,
    GLOBAL_KEYS,
];

// Every key table fits a reader.
const _: () = {
    let tables = TABLES;
    let mut i = 0;
    while i < tables.len() {
        assert!(
            tables[i].len() <= reader::MAX_KEYS,
            "a key table is too long"
        );
        i += 1;
    }
};

/// Parses a wire body for a job type: the request with every default applied, or every problem
/// found (type, range and cross-reference problems alike), paths as the body wrote them.
pub(super) fn request(
    job_type: JobType,
    body: &Json<'_>,
    limits: &Limits,
) -> Result<Request, Problems> {
    request_on(job_type, body, limits, None)
}

/// [`request`] of a body that may name a held topology: `held` is the revision it names,
/// resolved by the caller (a body naming one without it gets a problem at `topology`).
pub(super) fn request_on(
    job_type: JobType,
    body: &Json<'_>,
    limits: &Limits,
    held: Option<&Network>,
) -> Result<Request, Problems> {
    // Validation reports canonical paths; the keys a body read by their aliases are noted only
    // when it found something to report (a second reading), so a valid body costs no paths.
    let mut c = Collector {
        skip_renames: true,
        ..Collector::default()
    };
    let request = body_of(&mut c, job_type, body, held);
    let topology = match held {
        Some(net) if has_reference(body) => Topology::Held(net),
        _ => Topology::Inline,
    };
    let mut found = Problems::default();
    // A body with more problems than are shown is not validated further: what it holds would
    // only be counted, at the cost of remembering every failed value.
    if c.unshown == 0 {
        super::validate::check(job_type, &request, topology, limits, &c.failed, &mut found);
    }
    finish(c, found, request, |noted| {
        body_of(noted, job_type, body, held);
    })
}

/// The value read, or every problem: those of the reading, then those of the validation
/// (`found`), whose canonical paths are written back as the document wrote them (`read_again`
/// reads it a second time, noting the aliases; only when there is something to report).
fn finish<T>(
    mut c: Collector,
    mut found: Problems,
    value: T,
    read_again: impl FnOnce(&mut Collector),
) -> Result<T, Problems> {
    if !found.is_empty() {
        let mut noted = Collector::default();
        read_again(&mut noted);
        if !noted.renames.is_empty() {
            let renames = noted.renames.index();
            for problem in &mut found.0 {
                problem.path = renamed(&problem.path, &renames);
            }
        }
    }
    c.problems.0.append(&mut found.0);
    if c.problems.is_empty() {
        Ok(value)
    } else {
        Err(super::validate::capped(c.problems, c.unshown))
    }
}

/// `path` with its longest prefix read by an alias written as the body wrote it.
fn renamed(path: &str, renames: &HashMap<&str, &str>) -> String {
    let boundaries = path
        .char_indices()
        .filter(|(_, ch)| matches!(ch, '.' | '['))
        .map(|(i, _)| i)
        .chain([path.len()]);
    let longest = boundaries
        .rev()
        .find_map(|end| renames.get(&path[..end]).map(|w| (end, w)));
    match longest {
        Some((end, written)) => format!("{written}{}", &path[end..]),
        None => path.to_owned(),
    }
}

/// Whether a body has a `topology` member (not null).
fn has_reference(body: &Json<'_>) -> bool {
    match body {
        Json::Object(members) => members.iter().any(|(k, v)| k == "topology" && !v.is_null()),
        _ => false,
    }
}

/// The whole body; its nodes and links are `held`'s when it names a held topology.
fn body_of(
    c: &mut Collector,
    job_type: JobType,
    body: &Json<'_>,
    held: Option<&Network>,
) -> Request {
    let mut request = Request {
        nodes: Arc::default(),
        links: Arc::default(),
        policies: Vec::new(),
        global: Global::default(),
        congested_link: Vec::new(),
    };
    let Some(r) = Reader::new(c, body, Loc::root(), BODY_KEYS) else {
        return request;
    };
    if let Some((_, loc)) = r.get(c, "topology") {
        if r.get(c, "nodes").is_some() || r.get(c, "links").is_some() {
            c.fail(
                &loc,
                "a body names a held topology or carries nodes and links, not both",
            );
            // What the references name is unknown: none of them is checked.
            c.taint(&r.loc("nodes"));
            c.taint(&r.loc("links"));
        } else if let Some(net) = held {
            request.nodes = net.nodes.clone();
            request.links = net.links.clone();
        } else {
            c.fail(
                &loc,
                "held topologies are resolved by the service; give nodes and links here",
            );
            c.taint(&r.loc("nodes"));
            c.taint(&r.loc("links"));
        }
    } else {
        request.nodes = Arc::new(match r.require(c, "nodes") {
            Some((v, loc)) => reader::list(c, v, &loc, topology::node).unwrap_or_default(),
            None => Vec::new(),
        });
        request.links = Arc::new(match r.require(c, "links") {
            Some((v, loc)) => reader::list(c, v, &loc, topology::link).unwrap_or_default(),
            None => Vec::new(),
        });
    }
    request.policies = policy::policies(c, &r, job_type);
    if let Some((v, loc)) = r.get(c, "global") {
        request.global = global(c, v, loc);
    }
    if job_type == JobType::BodCongestReopt {
        request.congested_link = r.with(c, "congested_link", reader::ids).unwrap_or_default();
    }
    request
}

/// A held topology's document `{nodes, links}`: the network, or every problem (paths as
/// written, as for a body).
pub(super) fn network(doc: &Json<'_>, limits: &Limits) -> Result<Network, Problems> {
    let mut c = Collector {
        skip_renames: true,
        ..Collector::default()
    };
    let network = network_of(&mut c, doc);
    let mut found = Problems::default();
    if c.unshown == 0 {
        let request = Request::of_network(&network);
        super::validate::check_topology(&request, limits, &c.failed, &mut found);
    }
    finish(c, found, network, |noted| {
        network_of(noted, doc);
    })
}

/// The nodes (with their positions) and links of a topology document.
fn network_of(c: &mut Collector, doc: &Json<'_>) -> Network {
    let mut net = Network::default();
    let Some(r) = Reader::new(c, doc, Loc::root(), TOPOLOGY_KEYS) else {
        return net;
    };
    let nodes: Vec<(Node, Option<Pos>)> = match r.require(c, "nodes") {
        Some((v, loc)) => reader::list(c, v, &loc, topology::node_with_pos).unwrap_or_default(),
        None => Vec::new(),
    };
    let (nodes, pos): (Vec<Node>, Vec<Option<Pos>>) = nodes.into_iter().unzip();
    net.nodes = Arc::new(nodes);
    net.pos = Arc::new(pos);
    net.links = Arc::new(match r.require(c, "links") {
        Some((v, loc)) => reader::list(c, v, &loc, topology::link).unwrap_or_default(),
        None => Vec::new(),
    });
    net
}

/// A body's `topology` member: a reference to a held topology, or the problems of it.
pub(super) fn reference(body: &Json<'_>) -> Result<Option<Reference>, Problems> {
    if !has_reference(body) {
        return Ok(None);
    }
    let mut c = Collector::default();
    let found = reference_of(&mut c, body);
    if c.problems.is_empty() {
        Ok(found)
    } else {
        Err(c.problems)
    }
}

fn reference_of(c: &mut Collector, body: &Json<'_>) -> Option<Reference> {
    let r = Reader::new(c, body, Loc::root(), BODY_KEYS)?;
    let (v, loc) = r.get(c, "topology")?;
    if r.get(c, "nodes").is_some() || r.get(c, "links").is_some() {
        c.fail(
            &loc,
            "a body names a held topology or carries nodes and links, not both",
        );
        return None;
    }
    let t = Reader::new(c, v, loc, REFERENCE_KEYS)?;
    let name = t.with(c, "name", |c, v, loc| {
        let name = reader::string(c, v, loc)?;
        match super::topology::check_name(&name) {
            Ok(()) => Some(name),
            Err(why) => {
                c.fail(loc, why);
                None
            }
        }
    });
    if name.is_none() && t.get(c, "name").is_none() {
        c.fail(&t.loc("name"), "required");
    }
    let revision = t.with(c, "revision", |c, v, loc| {
        reader::uint(c, v, loc, 1, 1 << 53)
    });
    Some(Reference {
        name: name?,
        revision,
    })
}

/// `global`, defaults applied.
fn global(c: &mut Collector, v: &Json<'_>, loc: Loc<'_>) -> Global {
    let mut g = Global::default();
    let Some(r) = Reader::new(c, v, loc, GLOBAL_KEYS) else {
        return g;
    };
    if let Some(entries) = r.list(c, "algorithm", algorithm_entry) {
        if !entries.is_empty() {
            g.algorithm = entries;
        }
    }
    let positive = |c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>| {
        number(c, v, loc, Floor::AboveZero, MAX_FACTOR)
    };
    let weight =
        |c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>| number(c, v, loc, Floor::Zero, MAX_FACTOR);
    let fraction =
        |c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>| number(c, v, loc, Floor::AboveZero, 1.0);
    g.flow_factor = r.with(c, "flow_factor", positive).unwrap_or(g.flow_factor);
    g.real_traffic = r.with(c, "real_traffic", boolean).unwrap_or(g.real_traffic);
    g.traffic_ratio = r
        .with(c, "traffic_ratio", positive)
        .unwrap_or(g.traffic_ratio);
    g.sorting = r
        .with(c, "sorting", one_of("sorting", SORTINGS))
        .unwrap_or(g.sorting);
    g.reopt_mode = r
        .with(c, "reopt_mode", one_of("reopt_mode", REOPT_MODES))
        .unwrap_or(g.reopt_mode);
    g.congest_threshold = r
        .with(c, "congest_threshold", fraction)
        .unwrap_or(g.congest_threshold);
    g.target_threshold = r
        .with(c, "target_threshold", fraction)
        .unwrap_or(g.target_threshold);
    g.priority_weight = r
        .with(c, "priority_weight", weight)
        .unwrap_or(g.priority_weight);
    g.bandwidth_weight = r
        .with(c, "bandwidth_weight", weight)
        .unwrap_or(g.bandwidth_weight);
    g.max_changes = r.with(c, "max_changes", |c, v, loc| uint32(c, v, loc, 0, u32::MAX));
    g.encoding = r
        .with(c, "encoding", one_of("encoding", ENCODINGS))
        .unwrap_or(g.encoding);
    g.echo_topology = r
        .with(c, "echo_topology", boolean)
        .unwrap_or(g.echo_topology);
    // Accepted for compatibility, no effect: only checked.
    r.with(c, "prioriry_prefer", preference);
    r.with(c, "traffic_prefer", preference);
    g
}

/// An entry of `global.algorithm`: its `algo`'s preset, overridden by the fields given.
fn algorithm_entry(c: &mut Collector, v: &Json<'_>, loc: Loc<'_>) -> AlgorithmEntry {
    let Some(r) = Reader::new(c, v, loc, ALGORITHM_KEYS) else {
        return AlgorithmEntry::preset(0);
    };
    let algo = r.with(c, "algo", algo).unwrap_or(0);
    let mut e = AlgorithmEntry::preset(algo);
    e.sorter = r
        .with(c, "sorter", one_of("sorter", SORTERS))
        .unwrap_or(e.sorter);
    e.top = r
        .with(c, "top", |c, v, loc| uint32(c, v, loc, 0, u32::MAX))
        .unwrap_or(e.top);
    e.limit = r
        .with(c, "limit", |c, v, loc| {
            number(c, v, loc, Floor::Zero, MAX_BANDWIDTH)
        })
        .unwrap_or(e.limit);
    e.loose = r.with(c, "loose", boolean).unwrap_or(e.loose);
    e
}

/// `algo`: 0 or 1 (`1.0` is 1).
fn algo(c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>) -> Option<u8> {
    let f = v.as_f64();
    if f == Some(0.0) {
        Some(0)
    } else if f == Some(1.0) {
        Some(1)
    } else {
        c.fail(loc, "must be 0 or 1");
        None
    }
}

/// `prioriry_prefer` / `traffic_prefer`: `HIGH` or `LOW`, any case.
fn preference(c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>) -> Option<()> {
    match v.as_str() {
        Some(s) if s.eq_ignore_ascii_case("high") || s.eq_ignore_ascii_case("low") => Some(()),
        Some(s) => {
            c.fail(
                loc,
                format!("unknown preference {s:?} (expected HIGH or LOW)"),
            );
            None
        }
        None => {
            c.fail(loc, "must be a string (HIGH or LOW)");
            None
        }
    }
}

const SORTINGS: &[(&str, Sorting)] = &[
    ("bandwidth_desc", Sorting::BandwidthDesc),
    ("bandwidth_asc", Sorting::BandwidthAsc),
    ("priority_desc", Sorting::PriorityDesc),
    ("priority_asc", Sorting::PriorityAsc),
];
const REOPT_MODES: &[(&str, ReoptMode)] =
    &[("loose", ReoptMode::Loose), ("strict", ReoptMode::Strict)];
const ENCODINGS: &[(&str, Encoding)] = &[("ecmp", Encoding::Ecmp), ("strict", Encoding::Strict)];
const SORTERS: &[(&str, Sorter)] = &[
    ("metric", Sorter::Metric),
    ("min_hop", Sorter::MinHop),
    ("max_min_band", Sorter::MaxMinBand),
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// A reader files each member under one key only: within a table, no name or alias is
    /// another key's name or alias.
    #[test]
    fn names_and_aliases_are_distinct_within_a_table() {
        for keys in TABLES {
            let mut seen = HashSet::new();
            for name in keys.iter().flat_map(|k| [Some(k.name), k.alias]).flatten() {
                assert!(seen.insert(name), "{name:?} twice in a key table");
            }
        }
    }

    fn as_value(v: &Json<'_>) -> serde_json::Value {
        match v {
            Json::Number(n) => serde_json::Value::Number(n.clone()),
            Json::String(s) => serde_json::Value::String(s.to_string()),
            Json::Array(items) => items.iter().map(as_value).collect(),
            other => panic!("a number, string or array expected, got {other:?}"),
        }
    }

    /// A repeated member counts once, with its last value (null included): what a
    /// `serde_json::Value` of the same text holds.
    #[test]
    fn a_repeated_member_counts_with_its_last_value() {
        let text = br#"{"id": "L", "lo": "a", "re": "b", "igp": 1, "igp": 7, "te": 3, "te": null}"#;
        let body = Json::from_slice(text).unwrap();
        let mut c = Collector::default();
        let r = Reader::new(&mut c, &body, Loc::root(), LINK_KEYS).expect("an object");
        assert_eq!(
            r.get(&mut c, "igp").map(|(v, _)| as_value(v)),
            Some(7.into())
        );
        assert!(r.get(&mut c, "te").is_none());
    }

    /// Keys read out of table order, members written out of table order, aliases, nulls and
    /// unknown members: every read finds what a lookup by name would.
    #[test]
    fn a_reader_finds_members_in_any_order() {
        let body = serde_json::json!({
            "qos_class": [], "zzz": 1, "remote": "b", "lo": "a", "re": null, "bandwidth": 5,
            "bd": null, "id": "L", "affinity": 3, "affi": 4, "igp": null
        });
        let body = Json::from_value(&body);
        let mut c = Collector::default();
        let r = Reader::new(&mut c, &body, Loc::root(), LINK_KEYS).expect("an object");
        let got =
            |c: &mut Collector, name| r.get(c, name).map(|(v, loc)| (as_value(v), loc.shown()));
        assert_eq!(got(&mut c, "te"), None);
        assert_eq!(got(&mut c, "igp"), None);
        assert_eq!(got(&mut c, "affi"), Some((4.into(), "affi".to_owned())));
        assert_eq!(got(&mut c, "id"), Some(("L".into(), "id".to_owned())));
        assert_eq!(got(&mut c, "re"), Some(("b".into(), "remote".to_owned())));
        assert_eq!(got(&mut c, "bd"), Some((5.into(), "bandwidth".to_owned())));
        assert_eq!(got(&mut c, "lo"), Some(("a".into(), "lo".to_owned())));
        assert_eq!(
            got(&mut c, "qos_class").map(|(_, at)| at),
            Some("qos_class".to_owned())
        );
        assert_eq!(got(&mut c, "ip"), None);
        assert!(c.problems.is_empty());
        let renames: HashSet<_> = c.renames.index().into_iter().collect();
        let expected = [("re", "remote"), ("bd", "bandwidth")]
            .into_iter()
            .collect();
        assert_eq!(renames, expected);
        // Paths recorded after others are whole paths too.
        let root = Loc::root();
        let links = root.key("links", "links");
        let link = links.index(2);
        let r = Reader::new(&mut c, &body, link, LINK_KEYS).expect("an object");
        r.get(&mut c, "lo");
        r.get(&mut c, "re");
        let renames: HashSet<_> = c.renames.index().into_iter().collect();
        let expected = [
            ("re", "remote"),
            ("bd", "bandwidth"),
            ("links[2].re", "links[2].remote"),
        ]
        .into_iter()
        .collect();
        assert_eq!(renames, expected);
    }

    /// Paths are built only for problems, and name keys both ways.
    #[test]
    fn locations_format_both_paths() {
        let root = Loc::root();
        assert_eq!(root.shown(), "$");
        assert_eq!(root.canon(), "");
        let links = root.key("links", "links");
        let link = links.index(3);
        let qos = link.key("bd", "bandwidth");
        assert_eq!(qos.shown(), "links[3].bandwidth");
        assert_eq!(qos.canon(), "links[3].bd");
        assert_eq!(root.index(0).shown(), "[0]");
    }
}
