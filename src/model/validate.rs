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

use super::{JobType, Limits, Problems, Request};

/// Most problems reported for one body; the rest are counted in a last problem at `$`.
pub(crate) const MAX_PROBLEMS: usize = 1000;

/// Checks a parsed request: `Ok` or every problem, paths with the short key names.
pub(super) fn request(
    job_type: JobType,
    request: &Request,
    limits: &Limits,
) -> Result<(), Problems> {
    let mut out = Problems::default();
    check(job_type, request, limits, &HashSet::new(), &mut out);
    capped(out).into_result()
}

/// Appends the problems of `request` to `out`, skipping values under the `failed` paths.
pub(super) fn check(
    job_type: JobType,
    request: &Request,
    limits: &Limits,
    failed: &HashSet<String>,
    out: &mut Problems,
) {
    let mut c = Check::new(job_type, request, limits, failed, out);
    c.sizes();
    c.nodes();
    c.links();
    c.policies();
    c.global();
    if job_type == JobType::BodCongestReopt {
        c.congested_links();
    }
}

/// At most [`MAX_PROBLEMS`] problems, and a count of the others.
pub(super) fn capped(mut problems: Problems) -> Problems {
    let total = problems.0.len();
    if total > MAX_PROBLEMS {
        problems.0.truncate(MAX_PROBLEMS);
        let more = total - MAX_PROBLEMS;
        problems.push("$", format!("{more} more problems not shown"));
    }
    problems
}

/// The state of one check: the request, the id indexes and the problems found.
struct Check<'a> {
    job_type: JobType,
    req: &'a Request,
    limits: &'a Limits,
    failed: &'a HashSet<String>,
    out: &'a mut Problems,
    /// Node id → index of its first node.
    nodes: HashMap<&'a str, usize>,
    /// Link id → index of its first link.
    links: HashMap<&'a str, usize>,
    /// Whether every node id parsed (so an unknown id is truly unknown).
    nodes_complete: bool,
    /// Whether every link id parsed.
    links_complete: bool,
}

impl<'a> Check<'a> {
    fn new(
        job_type: JobType,
        req: &'a Request,
        limits: &'a Limits,
        failed: &'a HashSet<String>,
        out: &'a mut Problems,
    ) -> Self {
        let mut c = Check {
            job_type,
            req,
            limits,
            failed,
            out,
            nodes: HashMap::new(),
            links: HashMap::new(),
            nodes_complete: !failed.iter().any(|p| names_an_id(p, "nodes")),
            links_complete: !failed.iter().any(|p| names_an_id(p, "links")),
        };
        for (i, n) in req.nodes.iter().enumerate() {
            if !c.gone(|| format!("nodes[{i}].id")) {
                c.nodes.entry(&n.id).or_insert(i);
            }
        }
        for (i, l) in req.links.iter().enumerate() {
            if !c.gone(|| format!("links[{i}].id")) {
                c.links.entry(&l.id).or_insert(i);
            }
        }
        c
    }

    /// Whether the value at `path` (or an ancestor) failed to parse. Builds the path only then.
    fn gone(&self, path: impl FnOnce() -> String) -> bool {
        !self.failed.is_empty() && under_failed(self.failed, &path())
    }

    fn push(&mut self, path: String, message: String) {
        self.out.push(path, message);
    }

    fn policy_path(&self, i: usize) -> String {
        if self.job_type.is_list() {
            format!("sr_policy[{i}]")
        } else {
            "sr_policy".to_owned()
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
        over("nodes", r.nodes.len(), l.max_nodes, "nodes");
        over("links", r.links.len(), l.max_links, "links");
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
        let mut sids: HashMap<u64, usize> = HashMap::new();
        let mut prefix_sids: HashMap<(u32, u64), usize> = HashMap::new();
        for (i, n) in self.req.nodes.iter().enumerate() {
            if let Some(&first) = self.nodes.get(n.id.as_str()) {
                if first != i {
                    let msg = format!("duplicate id {:?} (first at nodes[{first}])", n.id);
                    self.push(format!("nodes[{i}].id"), msg);
                }
            }
            if let Some(sid) = n.sid.filter(|_| !self.gone(|| format!("nodes[{i}].sid"))) {
                if let Some(&first) = sids.get(&sid) {
                    let msg = format!("SID {sid} is already node {:?}'s", self.req.nodes[first].id);
                    self.push(format!("nodes[{i}].sid"), msg);
                } else {
                    sids.insert(sid, i);
                }
            }
            let mut algorithms: HashMap<u32, usize> = HashMap::new();
            for (j, p) in n.prefix.iter().enumerate() {
                let at = format!("nodes[{i}].prefix[{j}]");
                if self.gone(|| format!("{at}.prefix_algorithm")) {
                    continue;
                }
                if let Some(&k) = algorithms.get(&p.algorithm) {
                    let msg = format!("algorithm {} is also at prefix[{k}]", p.algorithm);
                    self.push(format!("{at}.prefix_algorithm"), msg);
                    continue;
                }
                algorithms.insert(p.algorithm, j);
                let Some(sid) = p.sid.filter(|_| !self.gone(|| format!("{at}.prefix_sid"))) else {
                    continue;
                };
                if let Some(&first) = prefix_sids.get(&(p.algorithm, sid)) {
                    let owner = &self.req.nodes[first].id;
                    let msg = format!(
                        "prefix SID {sid} of algorithm {} is already node {owner:?}'s",
                        p.algorithm
                    );
                    self.push(format!("{at}.prefix_sid"), msg);
                } else {
                    prefix_sids.insert((p.algorithm, sid), i);
                }
            }
        }
    }

    fn links(&mut self) {
        for (i, l) in self.req.links.iter().enumerate() {
            if let Some(&first) = self.links.get(l.id.as_str()) {
                if first != i {
                    let msg = format!("duplicate id {:?} (first at links[{first}])", l.id);
                    self.push(format!("links[{i}].id"), msg);
                } else if self.nodes.contains_key(l.id.as_str()) {
                    let msg = format!("{:?} is also a node id", l.id);
                    self.push(format!("links[{i}].id"), msg);
                }
            }
            for (end, id) in [("lo", &l.lo), ("re", &l.re)] {
                self.node_ref(format!("links[{i}].{end}"), id);
            }
            let mut classes: HashMap<&str, usize> = HashMap::new();
            for (j, q) in l.qos_class.iter().enumerate() {
                let at = || format!("links[{i}].qos_class[{j}].class");
                if self.gone(at) {
                    continue;
                }
                if let Some(&first) = classes.get(q.class.as_str()) {
                    let msg = format!(
                        "duplicate class {:?} (first at qos_class[{first}])",
                        q.class
                    );
                    self.push(at(), msg);
                } else {
                    classes.insert(&q.class, j);
                }
            }
        }
    }

    /// `id`, at `path`, must name a node.
    fn node_ref(&mut self, path: String, id: &str) {
        if self.nodes.contains_key(id) || under_failed(self.failed, &path) {
            return;
        }
        if self.links.contains_key(id) {
            self.push(path, format!("{id:?} is a link, not a node"));
        } else if self.nodes_complete {
            self.push(path, format!("node {id:?} does not exist"));
        }
    }

    /// `id`, at `path`, must name a node or a link.
    fn element_ref(&mut self, path: String, id: &str) {
        let known = self.nodes.contains_key(id) || self.links.contains_key(id);
        if known || !self.nodes_complete || !self.links_complete || under_failed(self.failed, &path)
        {
            return;
        }
        self.push(path, format!("no node or link {id:?} exists"));
    }

    fn policies(&mut self) {
        let mut ids: HashMap<&str, usize> = HashMap::new();
        for (i, p) in self.req.policies.iter().enumerate() {
            let at = self.policy_path(i);
            if self.job_type.is_list() && !self.gone(|| format!("{at}.id")) {
                if let Some(&first) = ids.get(p.id.as_str()) {
                    let msg = format!("duplicate id {:?} (first at sr_policy[{first}])", p.id);
                    self.push(format!("{at}.id"), msg);
                } else {
                    ids.insert(&p.id, i);
                }
            }
            self.node_ref(format!("{at}.he"), &p.he);
            self.node_ref(format!("{at}.te"), &p.te);
            let ends_parsed =
                !self.gone(|| format!("{at}.he")) && !self.gone(|| format!("{at}.te"));
            if ends_parsed && p.he == p.te {
                self.push(
                    format!("{at}.te"),
                    format!("{:?} is also the headend", p.te),
                );
            }
            for (key, list) in [("inc", &p.inc), ("exc", &p.exc)] {
                for (j, id) in list.iter().enumerate() {
                    self.element_ref(format!("{at}.{key}[{j}]"), id);
                }
            }
            if p.inc.len() > self.limits.max_waypoints {
                let (n, max) = (p.inc.len(), self.limits.max_waypoints);
                let msg = format!("{n} waypoints, more than the limit of {max}");
                self.push(format!("{at}.inc"), msg);
            }
            if self.job_type.is_bod() && p.class.is_none() && !self.gone(|| format!("{at}.class")) {
                self.push(
                    format!("{at}.class"),
                    format!("required by {}", self.job_type),
                );
            }
            let former_missing = p.former.is_none() && !self.gone(|| format!("{at}.former"));
            if self.job_type == JobType::BodModified && former_missing {
                self.push(
                    format!("{at}.former"),
                    format!("required by {}", self.job_type),
                );
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
            let at = format!("congested_link[{j}]");
            if self.gone(|| at.clone()) {
                continue;
            }
            let Some(&k) = self.links.get(id.as_str()) else {
                if self.nodes.contains_key(id.as_str()) {
                    self.push(at, format!("{id:?} is a node, not a link"));
                } else if self.links_complete {
                    self.push(at, format!("link {id:?} does not exist"));
                }
                continue;
            };
            let link = &req.links[k];
            let bd_parsed = !self.gone(|| format!("links[{k}].bd"));
            let flow_parsed = !self.gone(|| format!("links[{k}].traffic_flow"));
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
            self.push(at, msg);
        }
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
