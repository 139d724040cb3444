//! Change documents are checked quickly, against the ids of the network they change and only
//! where the ops wrote (`change::check`); the result must be exactly what validating the whole
//! changed network gives. Random small networks with few distinct SIDs and ids, and random
//! ops made to collide with them (SIDs, prefix SIDs, node ids against link ids, missing or
//! removed ends, duplicate classes, the size limits), compared op document by op document.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::model::json::Json;
use crate::model::topology::change;
use crate::model::{Limits, Network};

/// A random valid network: `n` nodes `N0…`, some with SIDs and prefix SIDs, and links between
/// them `L0…`.
fn network(n: usize, links: &[(u8, u8, u8)], sids: &[u8]) -> Network {
    let nodes: Vec<Value> = (0..n)
        .map(|i| {
            let mut node = json!({"id": format!("N{i}")});
            if let Some(&s) = sids.get(i) {
                if s % 3 != 0 {
                    node["sid"] = json!(100 + i);
                }
                if s % 2 == 0 {
                    node["prefix"] = json!([{"prefix_algorithm": 128, "prefix_sid": 200 + i}]);
                }
            }
            node
        })
        .collect();
    let links: Vec<Value> = links
        .iter()
        .enumerate()
        .map(|(j, &(a, b, c))| {
            json!({"id": format!("L{j}"), "lo": format!("N{}", a as usize % n),
                   "re": format!("N{}", b as usize % n), "igp": 1 + c % 5, "sid": 300 + j,
                   "qos_class": [{"class": "gold", "bandwidth_reserve": 10}]})
        })
        .collect();
    let doc = json!({"nodes": nodes, "links": links});
    Network::parse(&Json::from_value(&doc), &Limits::default()).expect("a valid network")
}

/// One op from four random numbers: ids, SIDs and values drawn from small ranges, so that
/// they meet the network's.
fn op((kind, a, b, v): (u8, u8, u8, u8)) -> Value {
    let node = format!("N{}", a % 8);
    let other = format!("N{}", b % 8);
    let link = format!("L{}", a % 12);
    match kind % 12 {
        0 => json!({"op": "patch_link", "id": link, "set": {"igp": 1 + v % 4}}),
        1 => json!({"op": "patch_node", "id": node, "set": {"sid": 100 + v % 8}}),
        2 => json!({"op": "patch_node", "id": node, "set": {"sid": null}}),
        3 => json!({"op": "upsert_node", "node": {"id": node, "sid": 100 + v % 10,
            "prefix": [{"prefix_algorithm": 128 + u32::from(b % 2), "prefix_sid": 200 + v % 8}]}}),
        4 => {
            json!({"op": "upsert_node", "node": {"id": if v % 2 == 0 { link } else { format!("N{}", 8 + a % 3) }}})
        }
        5 => {
            json!({"op": "upsert_link", "link": {"id": if v % 3 == 0 { node.clone() } else { format!("L{}", a % 16) },
            "lo": node, "re": if v % 5 == 0 { format!("N{}", 8 + b % 4) } else { other }}})
        }
        6 => {
            json!({"op": "upsert_link", "link": {"id": link, "lo": node, "re": if v % 2 == 0 { format!("L{}", b % 12) } else { other },
            "qos_class": [{"class": "gold"}, {"class": if v % 3 == 0 { "gold" } else { "silver" }}]}})
        }
        7 => json!({"op": "remove_node", "id": node}),
        8 => json!({"op": "remove_link", "id": link}),
        9 => json!({"op": "patch_node", "id": node, "set": {"prefix": [
            {"prefix_algorithm": 128, "prefix_sid": 200 + v % 8},
            {"prefix_algorithm": 128 + u32::from(v % 2), "prefix_sid": 210 + b % 4}]}}),
        10 => {
            json!({"op": "upsert_node", "node": {"id": format!("N{}", 8 + a % 3), "sid": 100 + v % 12}})
        }
        _ => json!({"op": "patch_link", "id": link, "set": {"lo": other}}),
    }
}

#[test]
fn a_change_of_link_metrics_shares_the_nodes_and_the_ids_of_the_network_it_changes() {
    let net = network(4, &[(0, 1, 0), (1, 2, 1), (2, 3, 2)], &[1, 2, 4, 5]);
    let doc = json!({"changes": [{"op": "patch_link", "id": "L1", "set": {"igp": 9}}]});
    let changed = change::apply(&net, &doc, &Limits::default())
        .expect("applies")
        .network;
    assert_eq!(changed.links[1].igp, 9);
    assert!(std::sync::Arc::ptr_eq(&changed.nodes, &net.nodes));
    assert!(std::sync::Arc::ptr_eq(&changed.ids(), &net.ids()));
    let doc = json!({"changes": [{"op": "remove_link", "id": "L1"}]});
    let changed = change::apply(&net, &doc, &Limits::default())
        .expect("applies")
        .network;
    assert!(!std::sync::Arc::ptr_eq(&changed.ids(), &net.ids()));
    assert_eq!(changed.ids().link("L2"), Some(1));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_quick_check_of_a_change_agrees_with_validating_the_changed_network_whole(
        n in 1usize..8,
        links in prop::collection::vec(any::<(u8, u8, u8)>(), 0..12),
        sids in prop::collection::vec(any::<u8>(), 0..8),
        ops in prop::collection::vec(any::<(u8, u8, u8, u8)>(), 1..5),
        max_nodes in 6usize..12,
        max_links in 8usize..16,
    ) {
        let net = network(n, &links, &sids);
        let limits = Limits { max_nodes, max_links, ..Limits::default() };
        let doc = json!({"changes": ops.into_iter().map(op).collect::<Vec<_>>()});
        let quick = change::apply(&net, &doc, &limits);
        let whole = change::apply_validating_all(&net, &doc, &limits);
        match (quick, whole) {
            (Ok(q), Ok(w)) => {
                prop_assert_eq!(&q.network, &w.network);
                // The changed network's ids (shared with the base's when the change wrote
                // none) index it.
                let ids = q.network.ids();
                for (i, node) in q.network.nodes.iter().enumerate() {
                    prop_assert_eq!(ids.node(&node.id), Some(i));
                }
                for (i, link) in q.network.links.iter().enumerate() {
                    prop_assert_eq!(ids.link(&link.id), Some(i));
                }
                prop_assert_eq!(q.applied, w.applied);
                prop_assert_eq!(q.removed_links, w.removed_links);
                prop_assert_eq!(q.ops, w.ops);
            }
            (Err(q), Err(w)) => prop_assert_eq!(q, w),
            (q, w) => prop_assert!(false, "quick {:?}, whole {:?}", q.map(|a| a.ops), w.map(|a| a.ops)),
        }
    }
}
