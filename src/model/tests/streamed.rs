//! A topology document read element by element (`parse::streamed_network`, what
//! `Network::from_slice` tries first) means what the full reading of its JSON tree means: the
//! same network when the document is valid, and otherwise no network, so that the full
//! reading names the problems. Random documents mix valid elements with mistakes, aliases,
//! unknown members, escaped keys, lists in either order, repeated, `null` or of the wrong type.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::model::parse::streamed_network;
use crate::model::topology::read_json;
use crate::model::{Limits, Network};

/// One node: `N<i>`, sometimes with a SID, a position, an unknown member, or a mistake.
fn node(i: usize, kind: u8) -> Value {
    let mut n = json!({"id": format!("N{i}")});
    match kind % 8 {
        1 => n["sid"] = json!(100 + i),
        2 => n["pos"] = json!({"x": i as f64 * 1.5, "y": -2.0}),
        3 => n["junk"] = json!({"deep": [1, 2, {"x": null}]}),
        4 => n["prefix"] = json!([{"prefix_algorithm": 128, "prefix_sid": 500 + i}]),
        5 => n["sid"] = json!(-1),
        6 => n["sid"] = json!(7),
        _ => {}
    }
    n
}

/// One link between two of `n` nodes, sometimes by the long names, or with a mistake.
fn link(j: usize, n: usize, (a, b, kind): (u8, u8, u8)) -> Value {
    let (lo, re) = (
        format!("N{}", a as usize % n),
        format!("N{}", b as usize % n),
    );
    let mut l = json!({"id": format!("L{j}"), "lo": lo, "re": re, "igp": 1 + kind % 7,
                       "qos_class": [{"class": "Gold", "bandwidth_reserve": 10}]});
    match kind % 9 {
        1 => l = json!({"id": format!("L{j}"), "local": lo, "remote": re, "te": 3}),
        2 => l["srlg"] = json!([1, 2, 3]),
        3 => l["igp"] = json!("ten"),
        4 => l["re"] = json!("nowhere"),
        5 => l["qos_class"] = json!([{"class": "Gold"}, {"class": "Gold"}]),
        6 => l["delay"] = json!(1.25),
        7 => l["ip"] = json!("10.0.0.1"),
        _ => {}
    }
    l
}

/// A topology document, its lists written in one of several ways.
fn document(n: usize, nodes: &[u8], links: &[(u8, u8, u8)], layout: u8) -> String {
    let nodes: Vec<Value> = (0..n).map(|i| node(i, nodes[i % nodes.len()])).collect();
    let links: Vec<Value> = (links.iter().enumerate())
        .map(|(j, &l)| link(j, n, l))
        .collect();
    let (nodes, links) = (Value::Array(nodes), Value::Array(links));
    let (ns, ls) = (nodes.to_string(), links.to_string());
    match layout % 8 {
        0 => format!(r#"{{"nodes": {ns}, "links": {ls}}}"#),
        1 => format!(r#"{{"links": {ls}, "extra": [1, {{"a": 2}}], "nodes": {ns}}}"#),
        2 => format!(r#"{{"nodes": {ns}, "links": [], "links": {ls}}}"#),
        3 => format!(r#"{{"nodes": null, "links": {ls}}}"#),
        4 => format!(r#"{{"nodes": {ns}, "links": {{"id": "L0"}}}}"#),
        5 => format!(r#"{{"no\u0064es": {ns}, "links": {ls}}}"#),
        6 => format!(r#"{{"nodes": {ns}}}"#),
        _ => format!(r#"[{ns}, {ls}]"#),
    }
}

/// The full reading: the JSON tree of the whole document, then the network.
fn full(text: &[u8], limits: &Limits) -> Result<Network, crate::model::Problems> {
    Network::parse(&read_json(text, limits)?, limits)
}

#[test]
fn a_valid_document_is_read_element_by_element() {
    let text = document(4, &[0, 1, 2, 4], &[(0, 1, 0), (1, 2, 1), (2, 3, 2)], 0);
    let limits = Limits::default();
    let streamed = streamed_network(text.as_bytes(), &limits).expect("taken");
    assert_eq!(streamed, full(text.as_bytes(), &limits).expect("valid"));
    assert_eq!(streamed.links.len(), 3);
}

#[test]
fn a_list_over_its_cap_is_left_to_the_full_reading() {
    let text = document(4, &[0], &[(0, 1, 0), (1, 2, 0), (2, 3, 0)], 0);
    let limits = Limits {
        max_links: 2,
        ..Limits::default()
    };
    assert!(streamed_network(text.as_bytes(), &limits).is_none());
    assert_eq!(
        Network::from_slice(text.as_bytes(), &limits),
        full(text.as_bytes(), &limits)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn it_means_what_the_full_reading_means(
        n in 1usize..6,
        nodes in prop::collection::vec(any::<u8>(), 1..6),
        links in prop::collection::vec(any::<(u8, u8, u8)>(), 0..8),
        layout in any::<u8>(),
        max_links in 3usize..10,
    ) {
        let text = document(n, &nodes, &links, layout);
        let limits = Limits { max_links, ..Limits::default() };
        let expected = full(text.as_bytes(), &limits);
        let streamed = streamed_network(text.as_bytes(), &limits);
        match &expected {
            Ok(network) => {
                // Every valid layout but a repeated list is read the quick way.
                if layout % 8 != 2 {
                    prop_assert_eq!(streamed.as_ref(), Some(network));
                }
            }
            Err(_) => prop_assert!(streamed.is_none()),
        }
        prop_assert_eq!(Network::from_slice(text.as_bytes(), &limits), expected);
    }
}
