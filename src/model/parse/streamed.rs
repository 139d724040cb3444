//! A topology document read straight into its network: each node and link is parsed as soon as
//! its text is read, and its JSON tree dropped, so reading a large document never holds the tree
//! of the whole (several times the text's size, see [`crate::model::json`]).
//!
//! This is the quick way for a document without problems only: anything it does not handle
//! exactly as the full reading ([`super::network`]) does — a problem of any kind, a list
//! repeated, missing, `null` or not a list — gives `None`, and the caller reads the document
//! again the full way, which names the problems as it always has. A document it accepts gives
//! the network the full reading gives (a test holds this).

use std::sync::Arc;

use super::reader::{Collector, Loc};
use super::{topology, TOPOLOGY_SHAPE};
use crate::model::json::Json;
use crate::model::{validate, Limits, Network, Problems, Request};

/// The valid network a topology document means, or `None` when the full reading must say why
/// it is not one (or may).
pub(crate) fn network(bytes: &[u8], limits: &Limits) -> Option<Network> {
    let mut c = Collector {
        skip_renames: true,
        ..Collector::default()
    };
    let (mut nodes, mut pos, mut links) = (Vec::new(), Vec::new(), Vec::new());
    let root = Loc::root();
    let (nodes_at, links_at) = (root.key("nodes", "nodes"), root.key("links", "links"));
    let mut each = |key: &str, i: usize, v: Json<'_>| {
        if key == "nodes" {
            let (node, p) = topology::node_with_pos(&mut c, &v, nodes_at.index(i));
            nodes.push(node);
            pos.push(p);
        } else {
            links.push(topology::link(&mut c, &v, links_at.index(i)));
        }
    };
    let doc = Json::read_streaming(
        bytes,
        &TOPOLOGY_SHAPE,
        limits,
        &["nodes", "links"],
        &mut each,
    )
    .ok()?;
    let Json::Object(members) = &doc else {
        return None;
    };
    for list in ["nodes", "links"] {
        let mut found = members.iter().filter(|(k, _)| k == list);
        match (found.next(), found.next()) {
            (Some((_, Json::Array(kept))), None) if kept.is_empty() => {}
            _ => return None,
        }
    }
    if !c.problems.is_empty() || c.unshown > 0 {
        return None;
    }
    let network = Network::new(Arc::new(nodes), Arc::new(links), Arc::new(pos));
    let mut found = Problems::default();
    validate::check_topology(
        &Request::of_network(&network),
        limits,
        &c.failed,
        &mut found,
    );
    found.is_empty().then_some(network)
}
