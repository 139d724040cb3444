//! Change documents (contract §8): `{"changes": [op, …]}`, applied in order and atomically.
//!
//! Ops: `upsert_node` / `upsert_link` (the whole element, replaced by id, or added at the end),
//! `patch_node` / `patch_link` (a JSON merge patch, RFC 7386, of the element's wire form: `null`
//! removes an optional field, lists such as `qos_class` are replaced whole; the id cannot be
//! patched), `remove_node` (its links go too) and `remove_link`.
//!
//! Every op is checked, then the changed topology is validated by the rules of a body's
//! topology. Every problem is listed, each at the op that caused it (`changes[3].link.lo`);
//! when any is found nothing changes. Elements keep their order: replaced ones stay where they
//! were, new ones come last, removed ones leave no gap.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use super::wire::{link_value, node_value};
use super::{Network, Pos};
use crate::model::json::Json;
use crate::model::parse::reader::{Collector, Key, Loc};
use crate::model::parse::topology::{link, node_with_pos};
use crate::model::parse::{LINK_KEYS, NODE_KEYS};
use crate::model::validate::check_topology;
use crate::model::{Limits, Link, Node, Problems, Request};

/// What one op did, as the `changed` event lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpSummary {
    /// The op's name (`upsert_link`, …).
    pub op: &'static str,
    /// The id of the element it named.
    pub id: String,
}

/// An accepted change document.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The changed network.
    pub network: Network,
    /// How many ops were applied.
    pub applied: usize,
    /// Links removed with the nodes they ended at, in link order.
    pub removed_links: Vec<String>,
    /// Each op, in order.
    pub ops: Vec<OpSummary>,
}

/// The names of the ops.
const OPS: [&str; 6] = [
    "upsert_node",
    "upsert_link",
    "patch_node",
    "patch_link",
    "remove_node",
    "remove_link",
];

/// Which op last wrote an element, and under which member of it (`node`, `link` or `set`).
type Origin = Option<(usize, &'static str)>;

/// The network being changed: elements with a liveness flag, so that removals keep order.
struct Work {
    nodes: Vec<(Node, Option<Pos>, bool, Origin)>,
    links: Vec<(Link, bool, Origin)>,
    node_ix: HashMap<String, usize>,
    link_ix: HashMap<String, usize>,
    removed_links: Vec<String>,
}

impl Work {
    fn new(net: &Network) -> Work {
        let nodes: Vec<_> = net
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), net.pos.get(i).copied().flatten(), true, None))
            .collect();
        let links: Vec<_> = net.links.iter().map(|l| (l.clone(), true, None)).collect();
        let node_ix = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.0.id.clone(), i))
            .collect();
        let link_ix = links
            .iter()
            .enumerate()
            .map(|(i, l)| (l.0.id.clone(), i))
            .collect();
        Work {
            nodes,
            links,
            node_ix,
            link_ix,
            removed_links: Vec::new(),
        }
    }

    fn live_node(&self, id: &str) -> Option<usize> {
        self.node_ix.get(id).copied().filter(|&i| self.nodes[i].2)
    }

    fn live_link(&self, id: &str) -> Option<usize> {
        self.link_ix.get(id).copied().filter(|&i| self.links[i].1)
    }

    fn put_node(&mut self, n: Node, pos: Option<Pos>, origin: Origin) {
        match self.node_ix.get(&n.id) {
            Some(&i) => self.nodes[i] = (n, pos, true, origin),
            None => {
                self.node_ix.insert(n.id.clone(), self.nodes.len());
                self.nodes.push((n, pos, true, origin));
            }
        }
    }

    fn put_link(&mut self, l: Link, origin: Origin) {
        match self.link_ix.get(&l.id) {
            Some(&i) => self.links[i] = (l, true, origin),
            None => {
                self.link_ix.insert(l.id.clone(), self.links.len());
                self.links.push((l, true, origin));
            }
        }
    }

    fn remove_node(&mut self, i: usize) {
        self.nodes[i].2 = false;
        let id = self.nodes[i].0.id.clone();
        for (l, alive, _) in &mut self.links {
            if *alive && (l.lo == id || l.re == id) {
                *alive = false;
                self.removed_links.push(l.id.clone());
            }
        }
    }

    fn finish(self) -> (Network, Vec<Origin>, Vec<Origin>, Vec<String>) {
        let mut nodes = Vec::with_capacity(self.nodes.len());
        let mut pos = Vec::with_capacity(self.nodes.len());
        let mut node_origins = Vec::with_capacity(self.nodes.len());
        for (n, p, alive, origin) in self.nodes {
            if alive {
                nodes.push(n);
                pos.push(p);
                node_origins.push(origin);
            }
        }
        let mut links = Vec::with_capacity(self.links.len());
        let mut link_origins = Vec::with_capacity(self.links.len());
        for (l, alive, origin) in self.links {
            if alive {
                links.push(l);
                link_origins.push(origin);
            }
        }
        let net = Network {
            nodes: Arc::new(nodes),
            links: Arc::new(links),
            pos: Arc::new(pos),
        };
        (net, node_origins, link_origins, self.removed_links)
    }
}

/// Applies a change document to `net`: the changed network, or every problem (nothing applied).
pub fn apply(net: &Network, doc: &Value, limits: &Limits) -> Result<Applied, Problems> {
    let mut problems = Problems::default();
    let changes = match doc {
        Value::Object(members) => match members.get("changes") {
            Some(Value::Array(changes)) => changes,
            Some(_) => return Err(one("changes", "must be an array")),
            None => return Err(one("changes", "required")),
        },
        _ => return Err(one("$", "must be an object")),
    };
    if changes.is_empty() {
        return Err(one("changes", "must list at least one op"));
    }
    if changes.len() > limits.max_items {
        let msg = format!(
            "{} ops, more than the limit of {}",
            changes.len(),
            limits.max_items
        );
        return Err(one("changes", &msg));
    }
    let mut work = Work::new(net);
    let mut ops = Vec::with_capacity(changes.len());
    for (i, op) in changes.iter().enumerate() {
        match apply_op(&mut work, i, op) {
            Ok(summary) => ops.push(summary),
            Err(mut found) => problems.0.append(&mut found.0),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let (network, node_origins, link_origins, removed_links) = work.finish();
    let request = Request::of_network(&network);
    let mut found = Problems::default();
    check_topology(&request, limits, &Default::default(), &mut found);
    if !found.is_empty() {
        for p in &mut found.0 {
            blame(p, &node_origins, &link_origins);
        }
        return Err(crate::model::validate::capped(found, 0));
    }
    Ok(Applied {
        network,
        applied: ops.len(),
        removed_links,
        ops,
    })
}

fn one(path: &str, message: &str) -> Problems {
    let mut p = Problems::default();
    p.push(path, message);
    p
}

/// Rewrites a problem of the changed topology (`links[12].lo`) to name the op that wrote the
/// element (`changes[3].link.lo`); a problem of an element no op wrote says so.
fn blame(p: &mut crate::model::Problem, node_origins: &[Origin], link_origins: &[Origin]) {
    for (list, origins) in [("nodes[", node_origins), ("links[", link_origins)] {
        let Some(rest) = p.path.strip_prefix(list) else {
            continue;
        };
        let Some((index, tail)) = rest.split_once(']') else {
            return;
        };
        let Ok(index) = index.parse::<usize>() else {
            return;
        };
        match origins.get(index).copied().flatten() {
            Some((op, member)) => p.path = format!("changes[{op}].{member}{tail}"),
            None => p.message = format!("in the changed topology, {}: {}", p.path, p.message),
        }
        return;
    }
}

/// One op: what it did, or its problems (paths under `changes[i]`).
fn apply_op(work: &mut Work, i: usize, op: &Value) -> Result<OpSummary, Problems> {
    let at = |key: &str| format!("changes[{i}].{key}");
    let Value::Object(members) = op else {
        return Err(one(&format!("changes[{i}]"), "must be an object"));
    };
    let name = match members.get("op") {
        Some(Value::String(s)) => OPS.iter().find(|o| **o == s.as_str()).copied(),
        Some(_) => None,
        None => return Err(one(&at("op"), "required")),
    };
    let Some(name) = name else {
        let msg = format!("must be one of {}", OPS.join(", "));
        return Err(one(&at("op"), &msg));
    };
    let id = || match members.get("id") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(_) => Err(one(&at("id"), "must be a non-empty string")),
        None => Err(one(&at("id"), "required")),
    };
    let summary = |id: String| OpSummary { op: name, id };
    match name {
        "upsert_node" => {
            let v = member(members, i, "node")?;
            let (n, pos) = parse_element(i, "node", v, node_with_pos)?;
            let id = n.id.clone();
            work.put_node(n, pos, Some((i, "node")));
            Ok(summary(id))
        }
        "upsert_link" => {
            let v = member(members, i, "link")?;
            let l = parse_element(i, "link", v, link)?;
            let id = l.id.clone();
            work.put_link(l, Some((i, "link")));
            Ok(summary(id))
        }
        "patch_node" => {
            let id = id()?;
            let Some(ix) = work.live_node(&id) else {
                return Err(one(&at("id"), &format!("no node {id:?}")));
            };
            let set = patch(members, i, NODE_KEYS, &id)?;
            let (n, pos, _, _) = &work.nodes[ix];
            let mut value = node_value(n, *pos);
            merge(&mut value, &set);
            let (n, pos) = parse_element(i, "set", &value, node_with_pos)?;
            work.put_node(n, pos, Some((i, "set")));
            Ok(summary(id))
        }
        "patch_link" => {
            let id = id()?;
            let Some(ix) = work.live_link(&id) else {
                return Err(one(&at("id"), &format!("no link {id:?}")));
            };
            let set = patch(members, i, LINK_KEYS, &id)?;
            let mut value = link_value(&work.links[ix].0);
            merge(&mut value, &set);
            let l = parse_element(i, "set", &value, link)?;
            work.put_link(l, Some((i, "set")));
            Ok(summary(id))
        }
        "remove_node" => {
            let id = id()?;
            let Some(ix) = work.live_node(&id) else {
                return Err(one(&at("id"), &format!("no node {id:?}")));
            };
            work.remove_node(ix);
            Ok(summary(id))
        }
        _ => {
            let id = id()?;
            let Some(ix) = work.live_link(&id) else {
                return Err(one(&at("id"), &format!("no link {id:?}")));
            };
            work.links[ix].1 = false;
            Ok(summary(id))
        }
    }
}

/// The required member `key` of op `i`.
fn member<'a>(members: &'a Map<String, Value>, i: usize, key: &str) -> Result<&'a Value, Problems> {
    members
        .get(key)
        .filter(|v| !v.is_null())
        .ok_or_else(|| one(&format!("changes[{i}].{key}"), "required"))
}

/// The `set` of a patch op, its keys in their short names (an alias would otherwise be shadowed
/// by the short name the wire form writes); the id may not change.
fn patch(
    members: &Map<String, Value>,
    i: usize,
    keys: &[Key],
    id: &str,
) -> Result<Value, Problems> {
    let Value::Object(set) = member(members, i, "set")? else {
        return Err(one(&format!("changes[{i}].set"), "must be an object"));
    };
    let mut canonical = Map::new();
    for (k, v) in set {
        let name = keys
            .iter()
            .find(|key| key.alias == Some(k.as_str()))
            .map_or(k.as_str(), |key| key.name);
        canonical.insert(name.to_owned(), v.clone());
    }
    if let Some(new) = canonical.get("id") {
        if new.as_str() != Some(id) {
            return Err(one(
                &format!("changes[{i}].set.id"),
                "an element's id is not patched: remove it and upsert the new one",
            ));
        }
    }
    Ok(Value::Object(canonical))
}

/// RFC 7386: members of `patch` replace those of `target`, `null` removes, objects merge.
fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let t = target.as_object_mut().expect("made an object");
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// Parses an element of op `i` found under `key`, problems at `changes[i].key…`.
fn parse_element<T>(
    i: usize,
    key: &'static str,
    v: &Value,
    read: impl FnOnce(&mut Collector, &Json<'_>, Loc<'_>) -> T,
) -> Result<T, Problems> {
    let json = Json::from_value(v);
    let mut c = Collector::default();
    let root = Loc::root();
    let changes = root.key("changes", "changes");
    let op = changes.index(i);
    let loc = op.key(key, key);
    let element = read(&mut c, &json, loc);
    if c.problems.is_empty() {
        Ok(element)
    } else {
        Err(c.problems)
    }
}
