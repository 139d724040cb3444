//! Parsing the topology: nodes (with their flex-algo prefix SIDs) and links (with their QoS
//! classes). Each element of a list gives one value, a placeholder when it is not an object, so
//! that indices stay those of the body.

use crate::model::json::Json;

use super::reader::{
    affinity, bandwidth_or_unknown, number, string, uint, uint32, Collector, Floor, Loc, Reader,
};
use super::{
    LINK_KEYS, MAX_BANDWIDTH, MAX_DELAY, MAX_FLEX_ALGO, NODE_KEYS, POS_KEYS, PREFIX_KEYS, QOS_KEYS,
};
use crate::model::topology::Pos;
use crate::model::{Link, Node, Prefix, QosClass};

/// Largest SID, SRLG value and IGP/TE metric.
const MAX_U32: u64 = u32::MAX as u64;

/// One node (its drawing position, which no computation uses, checked and dropped).
pub(crate) fn node(c: &mut Collector, v: &Json<'_>, loc: Loc<'_>) -> Node {
    node_with_pos(c, v, loc).0
}

/// One node with its drawing position, as a held topology keeps it.
pub(crate) fn node_with_pos(c: &mut Collector, v: &Json<'_>, loc: Loc<'_>) -> (Node, Option<Pos>) {
    let mut node = Node {
        id: String::new(),
        ip: None,
        sid: None,
        prefix: Vec::new(),
    };
    let Some(r) = Reader::new(c, v, loc, NODE_KEYS) else {
        return (node, None);
    };
    node.id = r.required_id(c, "id");
    node.ip = r.with(c, "ip", string);
    node.sid = r.with(c, "sid", sid);
    node.prefix = r.list(c, "prefix", prefix).unwrap_or_default();
    let pos = r.with(c, "pos", pos);
    (node, pos)
}

/// Largest plane coordinate accepted.
const MAX_COORD: f64 = 1e12;

/// A drawing position: `{x, y}` or `{lat, lon}`.
fn pos(c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>) -> Option<Pos> {
    let r = Reader::new(c, v, *loc, POS_KEYS)?;
    let coord = |c: &mut Collector, name: &'static str, max: f64| {
        r.with(c, name, |c, v, loc| {
            match v.as_f64().filter(|f| f.is_finite()) {
                Some(f) if f.abs() <= max => Some(f),
                Some(_) => {
                    c.fail(loc, format!("must be between -{max} and {max}"));
                    None
                }
                None => {
                    c.fail(loc, "must be a number");
                    None
                }
            }
        })
    };
    let xy = (r.get(c, "x").is_some(), r.get(c, "y").is_some());
    let geo = (r.get(c, "lat").is_some(), r.get(c, "lon").is_some());
    match (xy, geo) {
        ((true, true), (false, false)) => Some(Pos::Xy {
            x: coord(c, "x", MAX_COORD)?,
            y: coord(c, "y", MAX_COORD)?,
        }),
        ((false, false), (true, true)) => Some(Pos::LatLon {
            lat: coord(c, "lat", 90.0)?,
            lon: coord(c, "lon", 180.0)?,
        }),
        _ => {
            c.fail(loc, "must be {\"x\", \"y\"} or {\"lat\", \"lon\"}");
            None
        }
    }
}

/// One flex-algo prefix SID of a node; a `prefix_sid` of 0 counts as none.
fn prefix(c: &mut Collector, v: &Json<'_>, loc: Loc<'_>) -> Prefix {
    let mut prefix = Prefix {
        prefix: None,
        algorithm: 0,
        sid: None,
    };
    let Some(r) = Reader::new(c, v, loc, PREFIX_KEYS) else {
        return prefix;
    };
    prefix.prefix = r.with(c, "prefix", string);
    if let Some((v, loc)) = r.require(c, "prefix_algorithm") {
        prefix.algorithm = uint32(c, v, &loc, 0, MAX_FLEX_ALGO).unwrap_or(0);
    }
    prefix.sid = r.with(c, "prefix_sid", sid).filter(|&s| s != 0);
    prefix
}

/// One directed link.
pub(crate) fn link(c: &mut Collector, v: &Json<'_>, loc: Loc<'_>) -> Link {
    let mut link = Link {
        id: String::new(),
        lo: String::new(),
        re: String::new(),
        ip: None,
        sid: None,
        igp: 0,
        te: 0,
        delay: 1000.0,
        delay_milli: 1_000_000,
        bd: -1.0,
        affi: 0,
        srlg: Vec::new(),
        traffic_flow: None,
        qos_class: Vec::new().into(),
    };
    let Some(r) = Reader::new(c, v, loc, LINK_KEYS) else {
        return link;
    };
    let metric = |c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>| uint(c, v, loc, 0, MAX_U32);
    link.id = r.required_id(c, "id");
    link.lo = r.required_id(c, "lo");
    link.re = r.required_id(c, "re");
    link.ip = r.with(c, "ip", string);
    link.sid = r.with(c, "sid", sid);
    link.igp = r.with(c, "igp", metric).unwrap_or(link.igp);
    link.te = r.with(c, "te", metric).unwrap_or(link.te);
    let delay =
        |c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>| number(c, v, loc, Floor::Zero, MAX_DELAY);
    link.delay = r.with(c, "delay", delay).unwrap_or(link.delay);
    // At most 1e12, exact in both f64 and u64.
    link.delay_milli = (link.delay * 1000.0).round() as u64;
    link.bd = r
        .with(c, "bd", |c, v, loc| {
            bandwidth_or_unknown(c, v, loc, MAX_BANDWIDTH)
        })
        .unwrap_or(link.bd);
    link.affi = r.with(c, "affi", affinity).unwrap_or(link.affi);
    link.srlg = r
        .list(c, "srlg", |c, v, loc| metric(c, v, &loc).unwrap_or(0))
        .unwrap_or_default();
    link.traffic_flow = r.with(c, "traffic_flow", bandwidth);
    link.qos_class = r.list(c, "qos_class", qos_class).unwrap_or_default().into();
    link
}

/// One QoS class of a link; bandwidths default to 0.
fn qos_class(c: &mut Collector, v: &Json<'_>, loc: Loc<'_>) -> QosClass {
    let mut q = QosClass {
        class: String::new(),
        bandwidth_reserve: 0.0,
        bandwidth_available: 0.0,
        traffic_flow: 0.0,
    };
    let Some(r) = Reader::new(c, v, loc, QOS_KEYS) else {
        return q;
    };
    q.class = r.required_id(c, "class");
    q.bandwidth_reserve = r.with(c, "bandwidth_reserve", bandwidth).unwrap_or(0.0);
    q.bandwidth_available = r.with(c, "bandwidth_available", bandwidth).unwrap_or(0.0);
    q.traffic_flow = r.with(c, "traffic_flow", bandwidth).unwrap_or(0.0);
    q
}

/// A SID label.
fn sid(c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>) -> Option<u64> {
    uint(c, v, loc, 0, MAX_U32)
}

/// A bandwidth or traffic value: `0..=MAX_BANDWIDTH`.
pub(super) fn bandwidth(c: &mut Collector, v: &Json<'_>, loc: &Loc<'_>) -> Option<f64> {
    number(c, v, loc, Floor::Zero, MAX_BANDWIDTH)
}
