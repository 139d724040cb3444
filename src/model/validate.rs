//! The rules of contract §2 that look across a parsed [`Request`]: references (he, te, inc, exc,
//! link ends, congested_link), uniqueness (node, link and policy ids; node and prefix SIDs; QoS
//! classes of a link), relations between values (he ≠ te, target ≤ congest threshold, `top` with
//! `loose`), what a job type requires (`class`, `former`, congested links) and the size limits.
//!
//! Types and ranges of single values are [`super::parse`]'s. Ids in `former.path` and `path` are
//! not checked: the engine skips the ones that vanished, with a warning.
//!
//! [`check`] also runs on a partially parsed request (see [`super::parse`]): it then skips every
//! value whose path, or an ancestor's, failed to parse, and it checks no reference to nodes
//! (links) when a node (link) id failed, since the reference may name it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::topology::{Ids, Network};
use super::{JobType, Limits, Link, Problems, Request};

/// Most problems reported for one body; the rest are counted in a last problem at `$`.
pub(crate) const MAX_PROBLEMS: usize = 1000;

/// Where a request's topology comes from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Topology<'n> {
    /// The body's own `nodes` and `links`: checked here.
    Inline,
    /// A held revision (the request's lists are its), checked when it was stored: only the
    /// references to it are checked here, against its kept [`Ids`].
    Held(&'n Network),
}

/// Appends the problems of `request` to `out`, skipping values under the `failed` paths.
pub(super) fn check(
    job_type: JobType,
    request: &Request,
    topology: Topology,
    limits: &Limits,
    failed: &HashSet<String>,
    out: &mut Problems,
) {
    let mut c = Check::new(job_type, request, topology, limits, failed, out);
    let inline = matches!(topology, Topology::Inline);
    if inline {
        c.topology_sizes();
    }
    c.sizes();
    if inline {
        c.nodes();
        c.links();
    }
    c.policies();
    c.global();
    if job_type == JobType::BodCongestReopt {
        c.congested_links();
    }
}

/// Appends the problems of a topology document (`request` holds only its nodes and links).
pub(crate) fn check_topology(
    request: &Request,
    limits: &Limits,
    failed: &HashSet<String>,
    out: &mut Problems,
) {
    let mut c = Check::new(
        JobType::NonbodPasta,
        request,
        Topology::Inline,
        limits,
        failed,
        out,
    );
    c.topology_sizes();
    c.nodes();
    c.links();
}

/// At most [`MAX_PROBLEMS`] problems, and a count of the others (`unshown` of them already left
/// out).
pub(crate) fn capped(mut problems: Problems, unshown: usize) -> Problems {
    let total = problems.0.len() + unshown;
    if total > MAX_PROBLEMS {
        problems.0.truncate(MAX_PROBLEMS);
        let more = total - MAX_PROBLEMS;
        let note = if unshown > 0 {
            " (the body was not validated further)"
        } else {
            ""
        };
        problems.push("$", format!("{more} more problems not shown{note}"));
    }
    problems
}

/// The first node and the first link of an id (among those whose id parsed).
#[derive(Debug, Clone, Copy, Default)]
struct Owners {
    node: Option<usize>,
    link: Option<usize>,
}

/// What [`Check::new`] learnt of a link's id while indexing it.
#[derive(Debug, Clone, Copy)]
enum LinkNote {
    /// An earlier link has the same id.
    Duplicate(usize),
    /// A node has the same id.
    AlsoNode,
}

/// Which elements of a list (`nodes`, `links`, `sr_policy`) may hold a failed path: a cheap
/// filter before [`under_failed`], which builds the path. Never wrong the other way: when a path
/// under element `i` (or an ancestor of it) failed, [`FailedItems::may`] is true for `i`.
#[derive(Debug, Default)]
struct FailedItems {
    /// The list itself, the whole body, or a path not understood, failed: every element may.
    all: bool,
    /// Elements with a failed path under them.
    items: HashSet<usize>,
}

impl FailedItems {
    fn of(failed: &HashSet<String>, list: &str) -> FailedItems {
        let mut f = FailedItems::default();
        for path in failed {
            let Some(rest) = path.strip_prefix(list) else {
                // Not under `list`, but maybe an ancestor of it (only the body is).
                f.all |= path.is_empty();
                continue;
            };
            if let Some(index) = rest.strip_prefix('[') {
                match index.split_once(']').map(|(i, _)| i.parse::<usize>()) {
                    Some(Ok(i)) => {
                        f.items.insert(i);
                    }
                    _ => f.all = true,
                }
            } else if rest.is_empty() || rest.starts_with('.') {
                // The list itself, or the single policy of a body.
                f.all = true;
            }
        }
        f
    }

    /// Whether a path under element `i` may have failed.
    fn may(&self, i: usize) -> bool {
        self.all || self.items.contains(&i)
    }
}

/// The state of one check: the request, the id indexes and the problems found.
struct Check<'a> {
    job_type: JobType,
    req: &'a Request,
    limits: &'a Limits,
    failed: &'a HashSet<String>,
    out: &'a mut Problems,
    /// Id → its first node and its first link.
    ids: Index<'a>,
    /// Nodes whose id parsed and is an earlier node's: (index, the earlier one), in order.
    node_duplicates: Vec<(usize, usize)>,
    /// Links whose id parsed and is an earlier link's or a node's, in order.
    link_notes: Vec<(usize, LinkNote)>,
    /// Nodes that may have failed paths.
    failed_nodes: FailedItems,
    /// Links that may have failed paths.
    failed_links: FailedItems,
    /// Policies that may have failed paths.
    failed_policies: FailedItems,
    /// Whether every node id parsed (so an unknown id is truly unknown).
    nodes_complete: bool,
    /// Whether every link id parsed.
    links_complete: bool,
}

/// The ids of the request's nodes and links: indexed by [`Check::new`] for a topology of the
/// body's own, or a held revision's index (built once per revision, not once per job).
enum Index<'a> {
    Own(HashMap<&'a str, Owners>),
    Held(Arc<Ids>),
}

impl Index<'_> {
    /// The first node and link of `id`.
    fn owners(&self, id: &str) -> Owners {
        match self {
            Index::Own(ids) => ids.get(id).copied().unwrap_or_default(),
            Index::Held(ids) => Owners {
                node: ids.node(id),
                link: ids.link(id),
            },
        }
    }
}

impl<'a> Check<'a> {
    fn new(
        job_type: JobType,
        req: &'a Request,
        topology: Topology<'_>,
        limits: &'a Limits,
        failed: &'a HashSet<String>,
        out: &'a mut Problems,
    ) -> Self {
        let ids = match topology {
            // The request's lists are the revision's (the parser attached them), valid and
            // indexed: nothing to learn from them again.
            Topology::Held(net)
                if Arc::ptr_eq(&net.nodes, &req.nodes) && Arc::ptr_eq(&net.links, &req.links) =>
            {
                Index::Held(net.ids())
            }
            _ => Index::Own(HashMap::with_capacity(req.nodes.len() + req.links.len())),
        };
        let mut c = Check {
            job_type,
            req,
            limits,
            failed,
            out,
            ids,
            node_duplicates: Vec::new(),
            link_notes: Vec::new(),
            failed_nodes: FailedItems::of(failed, "nodes"),
            failed_links: FailedItems::of(failed, "links"),
            failed_policies: FailedItems::of(failed, "sr_policy"),
            nodes_complete: !failed.iter().any(|p| names_an_id(p, "nodes")),
            links_complete: !failed.iter().any(|p| names_an_id(p, "links")),
        };
        let Index::Own(ids) = &mut c.ids else {
            return c;
        };
        for (i, n) in req.nodes.iter().enumerate() {
            if c.failed_nodes.may(i)
                && !failed.is_empty()
                && under_failed(failed, &format!("nodes[{i}].id"))
            {
                continue;
            }
            let owners = ids.entry(&n.id).or_default();
            match owners.node {
                Some(first) => c.node_duplicates.push((i, first)),
                None => owners.node = Some(i),
            }
        }
        for (i, l) in req.links.iter().enumerate() {
            if c.failed_links.may(i)
                && !failed.is_empty()
                && under_failed(failed, &format!("links[{i}].id"))
            {
                continue;
            }
            let owners = ids.entry(&l.id).or_default();
            match owners.link {
                Some(first) => c.link_notes.push((i, LinkNote::Duplicate(first))),
                None => {
                    owners.link = Some(i);
                    if owners.node.is_some() {
                        c.link_notes.push((i, LinkNote::AlsoNode));
                    }
                }
            }
        }
        c
    }

    /// Whether the value at `path` (or an ancestor) failed to parse. Builds the path only then.
    fn gone(&self, path: impl FnOnce() -> String) -> bool {
        !self.failed.is_empty() && under_failed(self.failed, &path())
    }

    /// [`Check::gone`] for a path under node `i`.
    fn node_gone(&self, i: usize, path: impl FnOnce() -> String) -> bool {
        self.failed_nodes.may(i) && self.gone(path)
    }

    /// [`Check::gone`] for a path under link `i`.
    fn link_gone(&self, i: usize, path: impl FnOnce() -> String) -> bool {
        self.failed_links.may(i) && self.gone(path)
    }

    /// [`Check::gone`] for a path under policy `i`.
    fn policy_gone(&self, i: usize, path: impl FnOnce() -> String) -> bool {
        self.failed_policies.may(i) && self.gone(path)
    }

    /// The first node and link of `id`.
    fn owners(&self, id: &str) -> Owners {
        self.ids.owners(id)
    }

    fn push(&mut self, path: String, message: String) {
        self.out.push(path, message);
    }

    fn topology_sizes(&mut self) {
        let l = self.limits;
        let r = self.req;
        for (path, n, max) in [
            ("nodes", r.nodes.len(), l.max_nodes),
            ("links", r.links.len(), l.max_links),
        ] {
            if n > max {
                let msg = format!("{n} {path}, more than the limit of {max}");
                self.out.push(path, msg);
            }
        }
    }

    fn sizes(&mut self) {
        let l = self.limits;
        let r = self.req;
        let mut over = |path: &str, n: usize, max: usize, what: &str| {
            if n > max {
                self.out
                    .push(path, format!("{n} {what}, more than the limit of {max}"));
            }
        };
        if self.job_type.is_list() {
            over("sr_policy", r.policies.len(), l.max_policies, "policies");
        }
        over(
            "global.algorithm",
            r.global.algorithm.len(),
            l.max_algorithms,
            "entries",
        );
    }

    fn nodes(&mut self) {
        let mut sids: HashMap<u64, usize> = HashMap::with_capacity(self.req.nodes.len());
        let mut prefix_sids: HashMap<(u32, u64), usize> = HashMap::new();
        let mut duplicates = std::mem::take(&mut self.node_duplicates)
            .into_iter()
            .peekable();
        for (i, n) in self.req.nodes.iter().enumerate() {
            let first = if self.node_gone(i, || format!("nodes[{i}].id")) {
                // Not indexed: any node of its id is an earlier one.
                self.owners(&n.id).node.filter(|&first| first != i)
            } else {
                duplicates.next_if(|&(j, _)| j == i).map(|(_, first)| first)
            };
            if let Some(first) = first {
                let msg = format!("duplicate id {:?} (first at nodes[{first}])", n.id);
                self.push(format!("nodes[{i}].id"), msg);
            }
            let sid_parsed = |c: &Self| !c.node_gone(i, || format!("nodes[{i}].sid"));
            if let Some(sid) = n.sid.filter(|_| sid_parsed(self)) {
                if let Some(&first) = sids.get(&sid) {
                    let msg = format!("SID {sid} is already node {:?}'s", self.req.nodes[first].id);
                    self.push(format!("nodes[{i}].sid"), msg);
                } else {
                    sids.insert(sid, i);
                }
            }
            self.prefixes(i, &mut prefix_sids);
        }
    }

    /// The flex-algo prefixes of node `i`: one per algorithm, prefix SIDs unique across nodes.
    fn prefixes(&mut self, i: usize, prefix_sids: &mut HashMap<(u32, u64), usize>) {
        let prefixes = &self.req.nodes[i].prefix;
        let at = |j: usize, key: &str| format!("nodes[{i}].prefix[{j}].{key}");
        // The first prefix of each algorithm that parsed: indexed when many, found by a scan
        // of the earlier ones when few.
        let mut algorithms: HashMap<u32, usize> = HashMap::new();
        for (j, p) in prefixes.iter().enumerate() {
            if self.node_gone(i, || at(j, "prefix_algorithm")) {
                continue;
            }
            let earlier = if prefixes.len() <= FEW {
                prefixes[..j].iter().enumerate().position(|(k, q)| {
                    q.algorithm == p.algorithm && !self.node_gone(i, || at(k, "prefix_algorithm"))
                })
            } else {
                algorithms.get(&p.algorithm).copied()
            };
            if let Some(k) = earlier {
                let msg = format!("algorithm {} is also at prefix[{k}]", p.algorithm);
                self.push(at(j, "prefix_algorithm"), msg);
                continue;
            }
            if prefixes.len() > FEW {
                algorithms.insert(p.algorithm, j);
            }
            let Some(sid) = p.sid.filter(|_| !self.node_gone(i, || at(j, "prefix_sid"))) else {
                continue;
            };
            if let Some(&first) = prefix_sids.get(&(p.algorithm, sid)) {
                let owner = &self.req.nodes[first].id;
                let msg = format!(
                    "prefix SID {sid} of algorithm {} is already node {owner:?}'s",
                    p.algorithm
                );
                self.push(at(j, "prefix_sid"), msg);
            } else {
                prefix_sids.insert((p.algorithm, sid), i);
            }
        }
    }

    fn links(&mut self) {
        let mut notes = std::mem::take(&mut self.link_notes).into_iter().peekable();
        for (i, l) in self.req.links.iter().enumerate() {
            let note = if self.link_gone(i, || format!("links[{i}].id")) {
                // Not indexed: any link of its id is an earlier one.
                self.owners(&l.id)
                    .link
                    .filter(|&first| first != i)
                    .map(LinkNote::Duplicate)
            } else {
                notes.next_if(|&(j, _)| j == i).map(|(_, note)| note)
            };
            match note {
                Some(LinkNote::Duplicate(first)) => {
                    let msg = format!("duplicate id {:?} (first at links[{first}])", l.id);
                    self.push(format!("links[{i}].id"), msg);
                }
                Some(LinkNote::AlsoNode) => {
                    let msg = format!("{:?} is also a node id", l.id);
                    self.push(format!("links[{i}].id"), msg);
                }
                None => {}
            }
            let may_fail = self.failed_links.may(i);
            for (end, id) in [("lo", &l.lo), ("re", &l.re)] {
                self.node_ref(may_fail, || format!("links[{i}].{end}"), id);
            }
            self.qos_classes(i, l);
        }
    }

    /// The classes of link `i` must be unique. A few classes are compared pairwise, many through
    /// an index.
    fn qos_classes(&mut self, i: usize, l: &Link) {
        let mut classes: HashMap<&str, usize> = HashMap::new();
        let at = |j: usize| format!("links[{i}].qos_class[{j}].class");
        for (j, q) in l.qos_class.iter().enumerate() {
            if self.link_gone(i, || at(j)) {
                continue;
            }
            let first = if l.qos_class.len() <= FEW {
                // The first earlier class of that name that parsed.
                l.qos_class[..j]
                    .iter()
                    .enumerate()
                    .position(|(k, earlier)| {
                        earlier.class == q.class && !self.link_gone(i, || at(k))
                    })
            } else {
                let first = classes.get(q.class.as_str()).copied();
                if first.is_none() {
                    classes.insert(&q.class, j);
                }
                first
            };
            if let Some(first) = first {
                let msg = format!(
                    "duplicate class {:?} (first at qos_class[{first}])",
                    q.class
                );
                self.push(at(j), msg);
            }
        }
    }

    /// `id`, at `path`, must name a node. `may_fail`: whether `path` may be under a failed one.
    /// Builds the path only for a problem.
    fn node_ref(&mut self, may_fail: bool, path: impl Fn() -> String, id: &str) {
        let owners = self.owners(id);
        if owners.node.is_some() || (may_fail && self.gone(&path)) {
            return;
        }
        if owners.link.is_some() {
            self.push(path(), format!("{id:?} is a link, not a node"));
        } else if self.nodes_complete {
            self.push(path(), format!("node {id:?} does not exist"));
        }
    }

    /// `id`, at `path`, must name a node or a link. `may_fail`: whether `path` may be under a
    /// failed one. Builds the path only for a problem.
    fn element_ref(&mut self, may_fail: bool, path: impl Fn() -> String, id: &str) {
        let owners = self.owners(id);
        let known = owners.node.is_some() || owners.link.is_some();
        if known || !self.nodes_complete || !self.links_complete || (may_fail && self.gone(&path)) {
            return;
        }
        self.push(path(), format!("no node or link {id:?} exists"));
    }

    fn policies(&mut self) {
        let list = self.job_type.is_list();
        let mut ids: HashMap<&str, usize> = if list {
            HashMap::with_capacity(self.req.policies.len())
        } else {
            HashMap::new()
        };
        for (i, p) in self.req.policies.iter().enumerate() {
            // The path of a key of this policy, built only when needed.
            let at = |key: &str| policy_path(list, i, key);
            if list && !self.policy_gone(i, || at("id")) {
                if let Some(&first) = ids.get(p.id.as_str()) {
                    let msg = format!("duplicate id {:?} (first at sr_policy[{first}])", p.id);
                    self.push(at("id"), msg);
                } else {
                    ids.insert(&p.id, i);
                }
            }
            let may_fail = self.failed_policies.may(i);
            self.node_ref(may_fail, || at("he"), &p.he);
            self.node_ref(may_fail, || at("te"), &p.te);
            let ends_parsed =
                !self.policy_gone(i, || at("he")) && !self.policy_gone(i, || at("te"));
            if ends_parsed && p.he == p.te {
                self.push(at("te"), format!("{:?} is also the headend", p.te));
            }
            for (key, ids) in [("inc", &p.inc), ("exc", &p.exc)] {
                for (j, id) in ids.iter().enumerate() {
                    self.element_ref(may_fail, || format!("{}[{j}]", at(key)), id);
                }
            }
            if p.inc.len() > self.limits.max_waypoints {
                let (n, max) = (p.inc.len(), self.limits.max_waypoints);
                let msg = format!("{n} waypoints, more than the limit of {max}");
                self.push(at("inc"), msg);
            }
            if self.job_type.is_bod() && p.class.is_none() && !self.policy_gone(i, || at("class")) {
                self.push(at("class"), format!("required by {}", self.job_type));
            }
            let former_missing = p.former.is_none() && !self.policy_gone(i, || at("former"));
            if self.job_type == JobType::BodModified && former_missing {
                self.push(at("former"), format!("required by {}", self.job_type));
            }
        }
    }

    fn global(&mut self) {
        let g = &self.req.global;
        let thresholds_parsed = !self.gone(|| "global.congest_threshold".to_owned())
            && !self.gone(|| "global.target_threshold".to_owned());
        if thresholds_parsed && g.target_threshold > g.congest_threshold {
            let msg = format!(
                "{} is above congest_threshold {}",
                g.target_threshold, g.congest_threshold
            );
            self.push("global.target_threshold".to_owned(), msg);
        }
        for (i, e) in g.algorithm.iter().enumerate() {
            let at = format!("global.algorithm[{i}]");
            if self.gone(|| format!("{at}.top")) {
                continue;
            }
            if e.top > self.limits.max_top {
                let msg = format!(
                    "must be at most {} (the configured limit)",
                    self.limits.max_top
                );
                self.push(format!("{at}.top"), msg);
            } else if e.loose && e.top == 0 && !self.gone(|| format!("{at}.loose")) {
                let msg = "must be at least 1 when loose is true".to_owned();
                self.push(format!("{at}.top"), msg);
            }
        }
    }

    fn congested_links(&mut self) {
        let req = self.req;
        if req.congested_link.is_empty() && !self.gone(|| "congested_link".to_owned()) {
            let msg = format!(
                "must name at least one link (required by {})",
                self.job_type
            );
            self.push("congested_link".to_owned(), msg);
        }
        let threshold = req.global.congest_threshold;
        let threshold_parsed = !self.gone(|| "global.congest_threshold".to_owned());
        for (j, id) in req.congested_link.iter().enumerate() {
            let at = || format!("congested_link[{j}]");
            if self.gone(at) {
                continue;
            }
            let owners = self.owners(id);
            let Some(k) = owners.link else {
                if owners.node.is_some() {
                    self.push(at(), format!("{id:?} is a node, not a link"));
                } else if self.links_complete {
                    self.push(at(), format!("link {id:?} does not exist"));
                }
                continue;
            };
            let link = &req.links[k];
            let bd_parsed = !self.link_gone(k, || format!("links[{k}].bd"));
            let flow_parsed = !self.link_gone(k, || format!("links[{k}].traffic_flow"));
            if !(bd_parsed && flow_parsed && threshold_parsed) {
                continue;
            }
            let msg = if link.bd < 0.0 {
                format!("link {id:?} cannot be congested: its bd is unknown (-1)")
            } else if link.bd == 0.0 {
                format!("link {id:?} cannot be congested: its bd is 0")
            } else if let Some(flow) = link.traffic_flow {
                if flow > link.bd * threshold {
                    continue;
                }
                format!(
                    "link {id:?} is not congested: traffic_flow {flow} is not above \
                     bd {} × congest_threshold {threshold}",
                    link.bd
                )
            } else {
                format!("link {id:?} is not congested: it has no traffic_flow")
            };
            self.push(at(), msg);
        }
    }
}

/// Most elements of a short list checked for repeats by comparing each with the earlier ones
/// (no index to build); longer lists get an index.
const FEW: usize = 16;

/// The path of `key` of policy `i`: `sr_policy[i].key` in list bodies, `sr_policy.key` otherwise.
fn policy_path(list: bool, i: usize, key: &str) -> String {
    if list {
        format!("sr_policy[{i}].{key}")
    } else {
        format!("sr_policy.{key}")
    }
}

/// Whether `path` or one of its ancestors is in `failed`.
fn under_failed(failed: &HashSet<String>, path: &str) -> bool {
    if failed.is_empty() {
        return false;
    }
    failed.contains("")
        || path
            .char_indices()
            .filter(|&(_, ch)| ch == '.' || ch == '[')
            .map(|(i, _)| i)
            .chain([path.len()])
            .any(|end| failed.contains(&path[..end]))
}

/// Whether a failed `path` may hide an id of `list` (`nodes`, `nodes[3]`, `nodes[3].id`).
fn names_an_id(path: &str, list: &str) -> bool {
    let Some(rest) = path.strip_prefix(list) else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let Some(index) = rest.strip_prefix('[') else {
        return false;
    };
    match index.split_once(']') {
        Some((_, tail)) => tail.is_empty() || tail == ".id",
        None => false,
    }
}
