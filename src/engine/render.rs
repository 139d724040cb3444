//! From internal paths and expansions to the wire's ids, SIDs and attributes.

use super::encode::SegKind;
use super::expand::{Bounds, Expansion, LIST_CAP};
use super::result::{Attr, AttrWorst, Encoded, IdPaths, Sid};
use super::topology::{node_sid, Topology};
use crate::model::{Policy, Request};

/// The wire form of an expansion.
pub fn encoded(topo: &Topology, request: &Request, policy: &Policy, exp: &Expansion) -> Encoded {
    let sids = exp
        .segs
        .iter()
        .map(|s| match (s.kind, s.link) {
            (SegKind::Adjacency, Some(l)) => {
                let link = &request.links[l as usize];
                Sid::Adjacency {
                    id: link.id.clone(),
                    lo: link.lo.clone(),
                    re: link.re.clone(),
                    ip: link.ip.clone(),
                    sid: link.sid.unwrap_or_default(),
                }
            }
            _ => {
                let node = &request.nodes[s.sid_node as usize];
                let (sid, ip) = node_sid(node, policy.algorithm).unwrap_or((0, None));
                Sid::Node {
                    id: node.id.clone(),
                    ip,
                    sid,
                }
            }
        })
        .collect();
    let segs = exp
        .segs
        .iter()
        .map(|s| IdPaths::new(topo.structure(), s.paths.clone()))
        .collect();
    let cut = exp.segs.iter().any(|s| s.count > s.paths.len() as u128);
    let segs_total = cut.then(|| exp.segs.iter().map(|s| s.count).collect());
    let paths = IdPaths::new(topo.structure(), exp.paths());
    let paths_total = (exp.total > LIST_CAP as u128).then_some(exp.total);
    let (attr, attr_worst) = attributes(&exp.bounds);
    Encoded {
        sids,
        segs,
        segs_total,
        paths,
        paths_total,
        attr,
        attr_worst,
    }
}

/// `attr` and `attr_worst` of bounds.
pub fn attributes(b: &Bounds) -> (Attr, AttrWorst) {
    let band = |x: f64| if x.is_infinite() { -1.0 } else { x };
    (
        Attr {
            igp: b.igp.0,
            te: b.te.0,
            delay: b.delay.0 as f64 / 1000.0,
            min_hop: b.hops.0,
            max_min_band: band(b.band.1),
        },
        AttrWorst {
            igp: b.igp.1,
            te: b.te.1,
            delay: b.delay.1 as f64 / 1000.0,
            max_hop: b.hops.1,
            min_band: band(b.band.0),
        },
    )
}
