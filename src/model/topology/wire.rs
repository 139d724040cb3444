//! The wire form of a held topology: what `get` answers, what a revision is stored as, and
//! what a change's merge patch applies to.
//!
//! Every value is written out (defaults included, short names), so that the document read back
//! means exactly the network it was written from: `Network::parse(render(n)) == n`, a property
//! the tests hold. Absent optional values are left out rather than written `null`.

use serde::Serialize;
use serde_json::Value;

use super::{Network, Pos};
use crate::model::{Link, Node, Prefix, QosClass};

#[derive(Serialize)]
struct WireNode<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<u64>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    prefix: Vec<WirePrefix<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pos: Option<Pos>,
}

#[derive(Serialize)]
struct WirePrefix<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    prefix: Option<&'a str>,
    prefix_algorithm: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    prefix_sid: Option<u64>,
}

#[derive(Serialize)]
struct WireLink<'a> {
    id: &'a str,
    lo: &'a str,
    re: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<u64>,
    igp: u64,
    te: u64,
    delay: f64,
    bd: f64,
    affi: u64,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    srlg: &'a [u64],
    #[serde(skip_serializing_if = "Option::is_none")]
    traffic_flow: Option<f64>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    qos_class: &'a [QosClass],
}

fn wire_node(n: &Node, pos: Option<Pos>) -> WireNode<'_> {
    WireNode {
        id: &n.id,
        ip: n.ip.as_deref(),
        sid: n.sid,
        prefix: n.prefix.iter().map(wire_prefix).collect(),
        pos,
    }
}

fn wire_prefix(p: &Prefix) -> WirePrefix<'_> {
    WirePrefix {
        prefix: p.prefix.as_deref(),
        prefix_algorithm: p.algorithm,
        prefix_sid: p.sid,
    }
}

fn wire_link(l: &Link) -> WireLink<'_> {
    WireLink {
        id: &l.id,
        lo: &l.lo,
        re: &l.re,
        ip: l.ip.as_deref(),
        sid: l.sid,
        igp: l.igp,
        te: l.te,
        delay: l.delay,
        bd: l.bd,
        affi: l.affi,
        srlg: &l.srlg,
        traffic_flow: l.traffic_flow,
        qos_class: &l.qos_class,
    }
}

#[derive(Serialize)]
struct WireNetwork<'a> {
    nodes: Vec<WireNode<'a>>,
    links: Vec<WireLink<'a>>,
}

fn wire(net: &Network) -> WireNetwork<'_> {
    WireNetwork {
        nodes: net
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| wire_node(n, net.pos.get(i).copied().flatten()))
            .collect(),
        links: net.links.iter().map(wire_link).collect(),
    }
}

/// The document `{nodes, links}` of a network, as JSON text.
pub fn render(net: &Network) -> Vec<u8> {
    serde_json::to_vec(&wire(net)).expect("a network always serialises")
}

/// [`render`] into `out`, as it is written: the text is never whole in memory.
pub fn render_into(net: &Network, out: impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer(out, &wire(net)).map_err(std::io::Error::other)
}

/// The members `"nodes": […], "links": […]` of a network, without the braces, for documents
/// that add members of their own around them (`get`'s `{name, revision, nodes, links}`).
pub fn render_members(net: &Network) -> Vec<u8> {
    let mut text = render(net);
    text.pop();
    text.remove(0);
    text
}

/// One node as a JSON value (what a `patch_node` merge patch applies to).
pub fn node_value(n: &Node, pos: Option<Pos>) -> Value {
    serde_json::to_value(wire_node(n, pos)).expect("a node always serialises")
}

/// One link as a JSON value (what a `patch_link` merge patch applies to).
pub fn link_value(l: &Link) -> Value {
    serde_json::to_value(wire_link(l)).expect("a link always serialises")
}
