//! Held topologies (contract §8): a job naming a revision computes exactly what the same body
//! with that revision's nodes and links inline computes, byte for byte (`time` aside), on
//! random topologies changed by random change documents. Also: the wire form a revision is
//! stored in reads back as the same network, and the compact form of a job by reference, with
//! the revision attached by the worker, is the same job.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::strategies::spec;
use crate::engine;
use crate::engine::prepared::Prepared;
use crate::model::json::Json;
use crate::model::topology::{change, wire};
use crate::model::{compact, Job, JobType, Limits, Network};

/// One random op, read against the network it is applied to (indices taken modulo its sizes).
#[derive(Debug, Clone)]
struct OpSpec {
    kind: u8,
    a: u16,
    b: u16,
    value: u32,
}

fn op_spec() -> impl Strategy<Value = OpSpec> {
    (0u8..9, any::<u16>(), any::<u16>(), 0u32..40).prop_map(|(kind, a, b, value)| OpSpec {
        kind,
        a,
        b,
        value,
    })
}

/// The op of a spec on `net`, as JSON; `None` when the network has nothing it could name.
fn op(s: &OpSpec, net: &Network, fresh: usize) -> Option<Value> {
    let nodes = &net.nodes;
    let links = &net.links;
    if nodes.is_empty() {
        return None;
    }
    let node = &nodes[s.a as usize % nodes.len()];
    let other = &nodes[s.b as usize % nodes.len()];
    let link = (!links.is_empty()).then(|| &links[s.a as usize % links.len()]);
    let v = s.value;
    Some(match s.kind {
        0 => json!({"op": "patch_link", "id": link?.id, "set": {"igp": v % 4}}),
        1 => {
            json!({"op": "patch_link", "id": link?.id, "set": {"te": v, "delay": f64::from(v) / 8.0}})
        }
        2 => {
            let class = link?.qos_class.first().map(|q| q.class.clone())?;
            json!({"op": "patch_link", "id": link?.id, "set": {"qos_class": [
                {"class": class, "bandwidth_reserve": 100, "bandwidth_available": v}
            ]}})
        }
        3 => {
            json!({"op": "patch_link", "id": link?.id, "set": {"sid": if v % 3 == 0 { Value::Null } else { json!(900_000 + fresh) }}})
        }
        4 => json!({"op": "remove_link", "id": link?.id}),
        5 => json!({"op": "upsert_link", "link": {
            "id": format!("new{fresh}"), "lo": node.id, "re": other.id,
            "igp": 1 + v % 5, "te": v, "sid": 800_000 + fresh, "bd": 1000,
            "qos_class": [{"class": "gold", "bandwidth_reserve": 500, "bandwidth_available": 10 * v}]
        }}),
        6 => {
            json!({"op": "patch_node", "id": node.id, "set": {"sid": if v % 4 == 0 { Value::Null } else { json!(700_000 + fresh) }}})
        }
        7 => json!({"op": "remove_node", "id": node.id}),
        // Invalid on purpose: a link to a node that does not exist; the whole document fails.
        _ => {
            json!({"op": "upsert_link", "link": {"id": format!("bad{fresh}"), "lo": node.id, "re": "nowhere"}})
        }
    })
}

/// The network of a body's `nodes` and `links`.
fn network_of(body: &Value) -> Network {
    let doc = json!({"nodes": body["nodes"], "links": body["links"]});
    Network::parse(&Json::from_value(&doc), &Limits::default()).expect("a valid topology")
}

/// Applies random change documents (some rejected, leaving the network as it was).
fn changed(mut net: Network, docs: &[Vec<OpSpec>]) -> Result<Network, TestCaseError> {
    let limits = Limits::default();
    let mut fresh = 0;
    for specs in docs {
        let mut ops = vec![];
        for s in specs {
            fresh += 1;
            ops.extend(op(s, &net, fresh));
        }
        if ops.is_empty() {
            continue;
        }
        let doc = json!({"changes": ops});
        match change::apply(&net, &doc, &limits) {
            Ok(applied) => {
                prop_assert_eq!(applied.applied, ops.len());
                // What a change gives reads back from its wire form as itself.
                let text = wire::render(&applied.network);
                let back = Network::from_slice(&text, &limits).expect("its wire form is valid");
                prop_assert_eq!(&back, &applied.network);
                net = applied.network;
            }
            Err(problems) => {
                prop_assert!(!problems.is_empty());
                prop_assert!(problems.0.iter().all(|p| p.path.starts_with("changes")
                    || p.message.starts_with("in the changed topology")));
            }
        }
    }
    Ok(net)
}

/// The body with the network inline, and the same body naming a held topology instead.
fn both_bodies(body: &Value, net: &Network) -> (Value, Value) {
    let doc: Value = serde_json::from_slice(&wire::render(net)).expect("JSON");
    let mut inline = body.clone();
    inline["nodes"] = doc["nodes"].clone();
    inline["links"] = doc["links"].clone();
    let mut by_ref: Map<String, Value> = body.as_object().expect("an object").clone();
    by_ref.remove("nodes");
    by_ref.remove("links");
    by_ref.insert("topology".into(), json!({"name": "core", "revision": 7}));
    (inline, Value::Object(by_ref))
}

fn same_result(t: JobType, body: &Value, net: &Network) -> Result<(), TestCaseError> {
    let limits = Limits::default();
    let (inline, by_ref) = both_bodies(body, net);
    let a = Job::parse(t, &inline, &limits);
    let b = Job::parse_on(t, &Json::from_value(&by_ref), &limits, net);
    match (&a, &b) {
        (Ok(a), Ok(b)) => {
            prop_assert_eq!(a, b);
            let clock = || 0.0;
            let da = serde_json::to_vec(&engine::compute(a, &clock)).expect("serialises");
            let db = serde_json::to_vec(&engine::compute(b, &clock)).expect("serialises");
            prop_assert_eq!(da, db);
            // The compact form without the topology, the revision attached by the worker.
            let bytes = compact::encode_without_topology(&b.request);
            let decoded = compact::decode_on(t, &bytes, &limits, Some(net));
            prop_assert_eq!(decoded.as_ref(), Ok(b));
        }
        (Err(pa), Err(pb)) => prop_assert_eq!(pa, pb),
        _ => prop_assert!(false, "inline {:?} but by reference {:?}", a, b),
    }
    Ok(())
}

/// A request holding only a network's nodes and links.
fn request_of(net: &Network) -> crate::model::Request {
    crate::model::Request {
        nodes: net.nodes.clone(),
        links: net.links.clone(),
        policies: vec![],
        global: Default::default(),
        congested_link: vec![],
    }
}

/// Jobs on a revision derived by changes from one earlier jobs ran on: each result is the one
/// a view built from scratch gives, and every tree kept over a change is the tree a rebuild
/// grows.
fn derived_views_compute_as_rebuilt_ones(
    t: JobType,
    body: &Value,
    docs: &[Vec<OpSpec>],
) -> Result<(), TestCaseError> {
    let limits = Limits::default();
    let mut net = network_of(body);
    let mut prepared = Prepared::new(&request_of(&net));
    let clock = || 0.0;
    let mut fresh = 0;
    for specs in docs {
        let (_, by_ref) = both_bodies(body, &net);
        if let Ok(job) = Job::parse_on(t, &Json::from_value(&by_ref), &limits, &net) {
            let shared = serde_json::to_vec(&prepared.compute(&job, &clock)).expect("serialises");
            let alone = serde_json::to_vec(&engine::compute(&job, &clock)).expect("serialises");
            prop_assert_eq!(shared, alone);
        }
        let mut ops = vec![];
        for s in specs {
            fresh += 1;
            ops.extend(op(s, &net, fresh));
        }
        if let Ok(applied) = change::apply(&net, &json!({"changes": ops}), &limits) {
            net = applied.network;
            prepared = prepared.derive(&request_of(&net));
            prop_assert!(prepared.kept_trees_are_exact());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn jobs_on_a_derived_view_compute_what_a_rebuilt_view_computes(
        s in spec(),
        docs in prop::collection::vec(prop::collection::vec(op_spec(), 1..3), 1..6),
    ) {
        let (t, body) = s.body();
        derived_views_compute_as_rebuilt_ones(t, &body, &docs)?;
    }

    #[test]
    fn a_job_by_reference_computes_what_the_same_body_inline_computes(
        s in spec(),
        docs in prop::collection::vec(prop::collection::vec(op_spec(), 1..4), 0..5),
    ) {
        let (t, body) = s.body();
        let net = changed(network_of(&body), &docs)?;
        same_result(t, &body, &net)?;
    }
}

#[test]
fn a_body_names_a_held_topology_or_carries_one_not_both() {
    let body = json!({"nodes": [], "links": [], "topology": {"name": "core"}, "sr_policy": {}});
    let problems = crate::model::topology::reference(&Json::from_value(&body)).unwrap_err();
    assert_eq!(problems.0[0].path, "topology");
    let body = json!({"topology": {"name": "no spaces"}, "sr_policy": {}});
    let problems = crate::model::topology::reference(&Json::from_value(&body)).unwrap_err();
    assert_eq!(problems.0[0].path, "topology.name");
    let body = json!({"topology": {"name": "core", "revision": 0}, "sr_policy": {}});
    let problems = crate::model::topology::reference(&Json::from_value(&body)).unwrap_err();
    assert_eq!(problems.0[0].path, "topology.revision");
    let body = json!({"topology": {"name": "core", "revision": 3}, "sr_policy": {}});
    let found = crate::model::topology::reference(&Json::from_value(&body)).unwrap();
    assert_eq!(
        found.map(|r| (r.name, r.revision)),
        Some(("core".into(), Some(3)))
    );
    // Offline (no service to resolve it), a reference is a problem at `topology`.
    let problems = Job::parse(JobType::NonbodPasta, &body, &Limits::default()).unwrap_err();
    assert!(
        problems.0.iter().any(|p| p.path == "topology"),
        "{problems:?}"
    );
}
