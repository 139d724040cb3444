//! Parsing `sr_policy`: one object in single-policy job types, a non-empty array in list types;
//! and a policy's `former` placement.

use crate::model::json::Json;

use super::reader::{affinity, boolean, id, ids, one_of, seg_path, uint32, Collector, Loc, Reader};
use super::topology::bandwidth;
use super::{FORMER_KEYS, MAX_FLEX_ALGO, MAX_MSD, POLICY_KEYS};
use crate::model::{Former, JobType, Metric, Policy};

/// The policies of the body: one for single-policy job types, one or more for list types. A
/// missing or misshapen `sr_policy` gives none (and a problem).
pub(super) fn policies(c: &mut Collector, body: &Reader<'_, '_>, job_type: JobType) -> Vec<Policy> {
    let Some((v, loc)) = body.require(c, "sr_policy") else {
        return Vec::new();
    };
    match (job_type.is_list(), v) {
        (false, Json::Object(_)) => vec![policy(c, v, loc, job_type)],
        (false, _) => {
            c.fail(
                &loc,
                format!("must be an object ({job_type} takes one policy)"),
            );
            Vec::new()
        }
        (true, Json::Array(items)) if items.is_empty() => {
            c.fail(&loc, "must list at least one policy");
            Vec::new()
        }
        (true, Json::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| policy(c, v, loc.index(i), job_type))
            .collect(),
        (true, _) => {
            c.fail(
                &loc,
                format!("must be an array ({job_type} takes a list of policies)"),
            );
            Vec::new()
        }
    }
}

/// One policy. Its `id` is required in list bodies and defaults to the headend otherwise.
fn policy(c: &mut Collector, v: &Json<'_>, loc: Loc<'_>, job_type: JobType) -> Policy {
    let mut p = Policy {
        id: String::new(),
        he: String::new(),
        te: String::new(),
        metric: Metric::Igp,
        bd: 0.0,
        affi: 0,
        mask: None,
        inc: Vec::new(),
        exc: Vec::new(),
        dis: false,
        class: None,
        priority: 0,
        msd: None,
        former: None,
        algorithm: None,
        path: None,
        traffic_flow: 0.0,
    };
    let Some(r) = Reader::new(c, v, loc, POLICY_KEYS) else {
        return p;
    };
    let id_given = if job_type.is_list() {
        Some(r.required_id(c, "id"))
    } else {
        r.with(c, "id", id)
    };
    let id_failed = c.has_failed(&r.loc("id"));
    p.he = r.required_id(c, "he");
    p.te = r.required_id(c, "te");
    p.id = match id_given {
        Some(id) => id,
        None if id_failed => String::new(),
        None => {
            if c.has_failed(&r.loc("he")) {
                c.taint(&r.loc("id"));
            }
            p.he.clone()
        }
    };
    p.metric = r
        .with(c, "metric", one_of("metric", METRICS))
        .unwrap_or(p.metric);
    p.bd = r.with(c, "bd", bandwidth).unwrap_or(p.bd);
    p.affi = r.with(c, "affi", affinity).unwrap_or(p.affi);
    p.mask = r.with(c, "mask", affinity);
    p.inc = r.with(c, "inc", ids).unwrap_or_default();
    p.exc = r.with(c, "exc", ids).unwrap_or_default();
    p.dis = r.with(c, "dis", boolean).unwrap_or(p.dis);
    p.class = r.with(c, "class", id);
    p.priority = r
        .with(c, "priority", |c, v, loc| uint32(c, v, loc, 0, u32::MAX))
        .unwrap_or(0);
    p.msd = r.with(c, "msd", |c, v, loc| uint32(c, v, loc, 1, MAX_MSD));
    p.algorithm = r.with(c, "algorithm", |c, v, loc| {
        uint32(c, v, loc, 0, MAX_FLEX_ALGO)
    });
    if job_type == JobType::BodModified {
        let class_failed = c.has_failed(&r.loc("class"));
        let class = p.class.clone();
        if let Some((v, loc)) = r.get(c, "former") {
            p.former = former(c, v, loc, class, class_failed);
            if p.former.is_none() {
                c.taint(&loc);
            }
        }
    }
    if job_type.is_list() {
        p.path = r.with(c, "path", seg_path);
        p.traffic_flow = r.with(c, "traffic_flow", bandwidth).unwrap_or(0.0);
    }
    p
}

/// `former`: `path` required, `bd` 0 by default, `class` the policy's by default.
fn former(
    c: &mut Collector,
    v: &Json<'_>,
    loc: Loc<'_>,
    policy_class: Option<String>,
    policy_class_failed: bool,
) -> Option<Former> {
    let r = Reader::new(c, v, loc, FORMER_KEYS)?;
    let path = match r.require(c, "path") {
        Some((v, loc)) => seg_path(c, v, &loc),
        None => None,
    };
    let bd = r.with(c, "bd", bandwidth).unwrap_or(0.0);
    let class = match r.get(c, "class") {
        Some((v, loc)) => id(c, v, &loc),
        None if policy_class.is_some() => policy_class,
        None if policy_class_failed => {
            c.taint(&r.loc("class"));
            None
        }
        None => {
            c.fail(&r.loc("class"), "required (the policy has no class)");
            None
        }
    };
    Some(Former {
        path: path?,
        bd,
        class: class?,
    })
}

const METRICS: &[(&str, Metric)] = &[
    ("igp", Metric::Igp),
    ("te", Metric::Te),
    ("latency", Metric::Latency),
    ("delay", Metric::Latency),
];
