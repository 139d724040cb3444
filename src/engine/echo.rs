//! `echo_topology`: the nodes and the links (class bandwidths updated) in the output's short names.

use serde_json::{json, Value};

use crate::model::{Link, Node};

/// A node as echoed.
pub fn node(n: &Node) -> Value {
    let mut v = json!({"id": n.id, "ip": n.ip, "sid": n.sid});
    if !n.prefix.is_empty() {
        v["prefix"] = n
            .prefix
            .iter()
            .map(|p| json!({"prefix": p.prefix, "prefix_algorithm": p.algorithm, "prefix_sid": p.sid}))
            .collect();
    }
    v
}

/// A link as echoed; `over` replaces the bandwidth available of the classes it names.
pub fn link(l: &Link, over: &[(&str, f64)]) -> Value {
    let qos: Vec<Value> = l
        .qos_class
        .iter()
        .map(|q| {
            let available = over
                .iter()
                .find(|(c, _)| *c == q.class)
                .map_or(q.bandwidth_available, |&(_, a)| a);
            json!({
                "class": q.class,
                "bandwidth_reserve": q.bandwidth_reserve,
                "bandwidth_available": available,
                "traffic_flow": q.traffic_flow,
            })
        })
        .collect();
    json!({
        "id": l.id, "lo": l.lo, "re": l.re, "ip": l.ip, "sid": l.sid,
        "igp": l.igp, "te": l.te, "delay": l.delay, "bd": l.bd, "affi": l.affi,
        "srlg": l.srlg, "traffic_flow": l.traffic_flow, "qos_class": qos,
    })
}
