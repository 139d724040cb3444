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
use super::{Ids, Network, Pos};
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

/// A change document found valid, its network not built yet ([`Checked::finish`] builds it:
/// a copy of every element, linear in the network's size, which a service may do after
/// answering).
pub struct Checked {
    network: Pending,
    /// How many ops were applied.
    pub applied: usize,
    /// Links removed with the nodes they ended at, in the order they were removed.
    pub removed_links: Vec<String>,
    /// Each op, in order.
    pub ops: Vec<OpSummary>,
    /// Nodes and links of the changed network.
    pub counts: (usize, usize),
}

/// The changed network of a [`Checked`]: still to build, or built by the full validation.
enum Pending {
    Work(Box<Work>),
    Built(Network),
}

impl Checked {
    /// The changed network and what the change did.
    pub fn finish(self) -> Applied {
        let network = match self.network {
            Pending::Work(work) => work.finish().0,
            Pending::Built(network) => network,
        };
        Applied {
            network,
            applied: self.applied,
            removed_links: self.removed_links,
            ops: self.ops,
        }
    }
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

/// A node as the ops leave it: the element, its position, whether it is still there, and the
/// op that last wrote it.
type NodeSlot = (Node, Option<Pos>, bool, Origin);

/// A link as the ops leave it: the element, whether it is still there, the op that wrote it.
type LinkSlot = (Link, bool, Origin);

/// The network being changed: the base network and what the ops did to it (elements written
/// or removed, by index; new ones numbered after the base's), so that an op costs what it
/// touches and removals keep order.
struct Work {
    base: Network,
    ids: Arc<Ids>,
    nodes: HashMap<usize, NodeSlot>,
    added_nodes: Vec<NodeSlot>,
    added_node_ix: HashMap<String, usize>,
    links: HashMap<usize, LinkSlot>,
    added_links: Vec<LinkSlot>,
    added_link_ix: HashMap<String, usize>,
    removed_links: Vec<String>,
}

impl Work {
    fn new(net: &Network) -> Work {
        Work {
            base: net.clone(),
            ids: net.ids(),
            nodes: HashMap::new(),
            added_nodes: Vec::new(),
            added_node_ix: HashMap::new(),
            links: HashMap::new(),
            added_links: Vec::new(),
            added_link_ix: HashMap::new(),
            removed_links: Vec::new(),
        }
    }

    fn node_count(&self) -> usize {
        self.base.nodes.len() + self.added_nodes.len()
    }

    fn link_count(&self) -> usize {
        self.base.links.len() + self.added_links.len()
    }

    /// Node `i`: the element, its position, whether it is there, which op wrote it.
    fn node(&self, i: usize) -> (&Node, Option<Pos>, bool, Origin) {
        let base = self.base.nodes.len();
        let slot = if i < base {
            match self.nodes.get(&i) {
                Some(slot) => slot,
                None => {
                    let pos = self.base.pos.get(i).copied().flatten();
                    return (&self.base.nodes[i], pos, true, None);
                }
            }
        } else {
            &self.added_nodes[i - base]
        };
        (&slot.0, slot.1, slot.2, slot.3)
    }

    /// Link `i`: the element, whether it is there, which op wrote it.
    fn link(&self, i: usize) -> (&Link, bool, Origin) {
        let base = self.base.links.len();
        let slot = if i < base {
            match self.links.get(&i) {
                Some(slot) => slot,
                None => return (&self.base.links[i], true, None),
            }
        } else {
            &self.added_links[i - base]
        };
        (&slot.0, slot.1, slot.2)
    }

    fn node_ix(&self, id: &str) -> Option<usize> {
        (self.ids.node.get(id).copied()).or_else(|| self.added_node_ix.get(id).copied())
    }

    fn link_ix(&self, id: &str) -> Option<usize> {
        (self.ids.link.get(id).copied()).or_else(|| self.added_link_ix.get(id).copied())
    }

    fn live_node(&self, id: &str) -> Option<usize> {
        self.node_ix(id).filter(|&i| self.node(i).2)
    }

    fn live_link(&self, id: &str) -> Option<usize> {
        self.link_ix(id).filter(|&i| self.link(i).1)
    }

    fn set_node(&mut self, i: usize, slot: NodeSlot) {
        match i.checked_sub(self.base.nodes.len()) {
            None => {
                self.nodes.insert(i, slot);
            }
            Some(j) => self.added_nodes[j] = slot,
        }
    }

    fn set_link(&mut self, i: usize, slot: LinkSlot) {
        match i.checked_sub(self.base.links.len()) {
            None => {
                self.links.insert(i, slot);
            }
            Some(j) => self.added_links[j] = slot,
        }
    }

    fn put_node(&mut self, n: Node, pos: Option<Pos>, origin: Origin) {
        match self.node_ix(&n.id) {
            Some(i) => self.set_node(i, (n, pos, true, origin)),
            None => {
                self.added_node_ix.insert(n.id.clone(), self.node_count());
                self.added_nodes.push((n, pos, true, origin));
            }
        }
    }

    fn put_link(&mut self, l: Link, origin: Origin) {
        match self.link_ix(&l.id) {
            Some(i) => self.set_link(i, (l, true, origin)),
            None => {
                self.added_link_ix.insert(l.id.clone(), self.link_count());
                self.added_links.push((l, true, origin));
            }
        }
    }

    fn remove_link(&mut self, i: usize) {
        let (l, _, origin) = self.link(i);
        let slot = (l.clone(), false, origin);
        self.set_link(i, slot);
    }

    fn remove_node(&mut self, i: usize) {
        let (n, pos, _, origin) = self.node(i);
        let (id, slot) = (n.id.clone(), (n.clone(), pos, false, origin));
        self.set_node(i, slot);
        for j in 0..self.link_count() {
            let (l, alive, _) = self.link(j);
            if alive && (l.lo == id || l.re == id) {
                self.removed_links.push(l.id.clone());
                self.remove_link(j);
            }
        }
    }

    /// Whether the elements the ops wrote keep the network valid, the base being valid: the
    /// rules of a topology (contract §2) that relate elements, checked only where a written
    /// element takes part, and the size limits. `false` when any may fail: the full
    /// validation then finds the problems.
    fn written_valid(&self, limits: &Limits) -> bool {
        let (nodes, links) = self.counts();
        if nodes > limits.max_nodes || links > limits.max_links {
            return false;
        }
        let written_nodes = self.nodes.iter().map(|(&i, slot)| (i, slot)).chain(
            (self.added_nodes.iter().enumerate())
                .map(|(j, slot)| (self.base.nodes.len() + j, slot)),
        );
        let mut sids: HashMap<u64, usize> = HashMap::new();
        let mut prefix_sids: HashMap<(u32, u64), usize> = HashMap::new();
        // A base node the ops did not touch, owning a SID.
        let untouched = |owner: Option<&usize>| owner.is_some_and(|j| !self.nodes.contains_key(j));
        for (i, (n, _, alive, _)) in written_nodes {
            if !alive {
                continue;
            }
            if self.live_link(&n.id).is_some() {
                return false;
            }
            if let Some(sid) = n.sid {
                if untouched(self.ids.sid.get(&sid)) || sids.insert(sid, i).is_some() {
                    return false;
                }
            }
            for (k, p) in n.prefix.iter().enumerate() {
                if n.prefix[..k].iter().any(|q| q.algorithm == p.algorithm) {
                    return false;
                }
                if let Some(sid) = p.sid {
                    let key = (p.algorithm, sid);
                    if untouched(self.ids.prefix_sid.get(&key))
                        || prefix_sids.insert(key, i).is_some()
                    {
                        return false;
                    }
                }
            }
        }
        let written_links = self.links.values().chain(&self.added_links);
        for (l, alive, _) in written_links {
            if !alive {
                continue;
            }
            if self.live_node(&l.id).is_some()
                || self.live_node(&l.lo).is_none()
                || self.live_node(&l.re).is_none()
            {
                return false;
            }
            for (k, q) in l.qos_class.iter().enumerate() {
                if l.qos_class[..k].iter().any(|e| e.class == q.class) {
                    return false;
                }
            }
        }
        true
    }

    /// Nodes and links the changed network has.
    fn counts(&self) -> (usize, usize) {
        let nodes = self.node_count()
            - (self.nodes.values().chain(&self.added_nodes))
                .filter(|slot| !slot.2)
                .count();
        let links = self.link_count()
            - (self.links.values().chain(&self.added_links))
                .filter(|slot| !slot.1)
                .count();
        (nodes, links)
    }

    /// The changed network, and the op that wrote each of its nodes and links. A list no op
    /// wrote is the base's, shared rather than copied (a change of links alone copies no node,
    /// and one of nodes alone no link).
    fn finish(&self) -> (Network, Vec<Origin>, Vec<Origin>) {
        let base = &self.base;
        let nodes_as_base = self.nodes.is_empty() && self.added_nodes.is_empty();
        let (nodes, pos, node_origins) = if nodes_as_base && base.pos.len() == base.nodes.len() {
            let origins = vec![None; base.nodes.len()];
            (base.nodes.clone(), base.pos.clone(), origins)
        } else {
            let mut nodes = Vec::with_capacity(self.node_count());
            let mut pos = Vec::with_capacity(self.node_count());
            let mut node_origins = Vec::with_capacity(self.node_count());
            for i in 0..self.node_count() {
                let (n, p, alive, origin) = self.node(i);
                if alive {
                    nodes.push(n.clone());
                    pos.push(p);
                    node_origins.push(origin);
                }
            }
            (Arc::new(nodes), Arc::new(pos), node_origins)
        };
        let (links, link_origins) = if self.links.is_empty() && self.added_links.is_empty() {
            (base.links.clone(), vec![None; base.links.len()])
        } else {
            let mut links = Vec::with_capacity(self.link_count());
            let mut link_origins = Vec::with_capacity(self.link_count());
            for i in 0..self.link_count() {
                let (l, alive, origin) = self.link(i);
                if alive {
                    links.push(l.clone());
                    link_origins.push(origin);
                }
            }
            (Arc::new(links), link_origins)
        };
        // The same nodes, and links only rewritten in place under their ids: the same index.
        let same_ids = Arc::ptr_eq(&nodes, &base.nodes)
            && self.added_links.is_empty()
            && (self.links.iter()).all(|(&i, (l, alive, _))| *alive && l.id == base.links[i].id);
        let net = if same_ids {
            Network::with_ids(nodes, links, pos, self.ids.clone())
        } else {
            Network::new(nodes, links, pos)
        };
        (net, node_origins, link_origins)
    }
}

/// Applies a change document to `net`: the changed network, or every problem (nothing applied).
pub fn apply(net: &Network, doc: &Value, limits: &Limits) -> Result<Applied, Problems> {
    check(net, doc, limits).map(Checked::finish)
}

/// Checks a change document against `net`: what it does, or every problem. When the ops'
/// elements keep the network valid (checked against `net`'s [`Ids`], in time proportional to
/// what the ops touch) the changed network is left to [`Checked::finish`]; otherwise it is
/// built and validated whole, and its problems are named by the ops that caused them.
pub fn check(net: &Network, doc: &Value, limits: &Limits) -> Result<Checked, Problems> {
    check_with(net, doc, limits, true)
}

/// [`apply`] validating the changed network whole, always: the reference the quick check is
/// tested against.
#[cfg(test)]
pub(crate) fn apply_validating_all(
    net: &Network,
    doc: &Value,
    limits: &Limits,
) -> Result<Applied, Problems> {
    check_with(net, doc, limits, false).map(Checked::finish)
}

/// [`check`], with the quick check of the written elements (`quick`) or without.
fn check_with(
    net: &Network,
    doc: &Value,
    limits: &Limits,
    quick: bool,
) -> Result<Checked, Problems> {
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
    let counts = work.counts();
    let removed_links = std::mem::take(&mut work.removed_links);
    let network = if quick && work.written_valid(limits) {
        Pending::Work(Box::new(work))
    } else {
        let (network, node_origins, link_origins) = work.finish();
        let request = Request::of_network(&network);
        let mut found = Problems::default();
        check_topology(&request, limits, &Default::default(), &mut found);
        if !found.is_empty() {
            for p in &mut found.0 {
                blame(p, &node_origins, &link_origins);
            }
            return Err(crate::model::validate::capped(found, 0));
        }
        Pending::Built(network)
    };
    Ok(Checked {
        network,
        applied: ops.len(),
        removed_links,
        ops,
        counts,
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
            let (n, pos, _, _) = work.node(ix);
            let mut value = node_value(n, pos);
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
            let mut value = link_value(work.link(ix).0);
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
            work.remove_link(ix);
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
