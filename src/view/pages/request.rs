//! A request in short: its ends, constraints and algorithm entries; a table of policies for
//! list jobs (at most [`ROWS`] rows).

use std::fmt::Write as _;

use super::super::decorate::ROWS;
use super::super::html::{esc, esc_into, fact, num};
use crate::model::{Encoding, JobType, Metric, Policy, ReoptMode, Request, Sorter, Sorting};

/// The request section of a task page.
pub fn summary(job_type: Option<JobType>, request: &Request) -> String {
    let mut out =
        String::from("<section class=\"request\"><h2>Request</h2>\n<table class=\"facts\">\n");
    let list_job = job_type.map_or(request.policies.len() != 1, JobType::is_list);
    fact(
        &mut out,
        "topology",
        &format!(
            "{} nodes, {} links",
            request.nodes.len(),
            request.links.len()
        ),
    );
    if !list_job {
        if let Some(p) = request.policies.first() {
            policy_facts(&mut out, p);
        }
    } else {
        fact(&mut out, "policies", &request.policies.len().to_string());
    }
    global_facts(&mut out, job_type, request);
    out.push_str("</table>\n");
    algorithm_table(&mut out, request);
    if list_job {
        policy_table(&mut out, request);
    }
    out.push_str("</section>\n");
    out
}

/// The name of a metric.
fn metric(m: Metric) -> &'static str {
    match m {
        Metric::Igp => "igp",
        Metric::Te => "te",
        Metric::Latency => "delay",
    }
}

/// The facts of one policy.
fn policy_facts(out: &mut String, p: &Policy) {
    fact(out, "policy", &p.id);
    fact(out, "ends", &format!("{} → {}", p.he, p.te));
    fact(out, "metric", metric(p.metric));
    fact(out, "bandwidth", &num(p.bd));
    if let Some(class) = &p.class {
        fact(out, "class", class);
    }
    for (label, text) in constraints(p) {
        fact(out, label, &text);
    }
    if let Some(former) = &p.former {
        fact(
            out,
            "former",
            &format!(
                "{} of {} over {} segment(s)",
                num(former.bd),
                former.class,
                former.path.len()
            ),
        );
    }
}

/// The constraints a policy has, as (label, text).
fn constraints(p: &Policy) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(mask) = p.mask {
        out.push(("affinity", format!("{:#x} under mask {mask:#x}", p.affi)));
    }
    if !p.inc.is_empty() {
        out.push(("waypoints (inc)", p.inc.join(", ")));
    }
    if !p.exc.is_empty() {
        out.push(("excluded (exc)", p.exc.join(", ")));
    }
    if p.dis {
        out.push(("disjoint (dis)", "yes".to_string()));
    }
    if let Some(msd) = p.msd {
        out.push(("msd", msd.to_string()));
    }
    if let Some(a) = p.algorithm {
        out.push(("flex-algo", a.to_string()));
    }
    out
}

/// The global parameters that matter for the job type.
fn global_facts(out: &mut String, job_type: Option<JobType>, request: &Request) {
    let g = &request.global;
    fact(out, "flow_factor", &num(g.flow_factor));
    if g.encoding == Encoding::Strict {
        fact(out, "encoding", "strict");
    }
    if g.real_traffic {
        fact(
            out,
            "real_traffic",
            &format!("yes, ratio {}", num(g.traffic_ratio)),
        );
    }
    match job_type {
        Some(JobType::BodReopt) => {
            let sorting = match g.sorting {
                Sorting::BandwidthDesc => "bandwidth_desc",
                Sorting::BandwidthAsc => "bandwidth_asc",
                Sorting::PriorityDesc => "priority_desc",
                Sorting::PriorityAsc => "priority_asc",
            };
            fact(out, "sorting", sorting);
        }
        Some(JobType::BodCongestReopt) => {
            fact(out, "congested_link", &request.congested_link.join(", "));
            let mode = match g.reopt_mode {
                ReoptMode::Loose => "loose",
                ReoptMode::Strict => "strict",
            };
            fact(out, "reopt_mode", mode);
            fact(
                out,
                "thresholds",
                &format!(
                    "congested above {}, relieved at {}",
                    num(g.congest_threshold),
                    num(g.target_threshold)
                ),
            );
            if let Some(max) = g.max_changes {
                fact(out, "max_changes", &max.to_string());
            }
        }
        _ => {}
    }
}

/// The algorithm entries.
fn algorithm_table(out: &mut String, request: &Request) {
    out.push_str("<h3>Algorithm entries</h3>\n<table class=\"grid\"><thead><tr><th>#</th><th>algo</th><th>top</th><th>loose</th><th>limit</th><th>sorter</th></tr></thead><tbody>\n");
    for (k, a) in request.global.algorithm.iter().enumerate() {
        let sorter = match a.sorter {
            Sorter::Metric => "metric",
            Sorter::MinHop => "min_hop",
            Sorter::MaxMinBand => "max_min_band",
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            k + 1,
            a.algo,
            a.top,
            a.loose,
            num(a.limit),
            sorter
        );
    }
    out.push_str("</tbody></table>\n");
}

/// The policies of a list job, at most [`ROWS`].
fn policy_table(out: &mut String, request: &Request) {
    out.push_str("<h3>Policies</h3>\n<table class=\"grid\"><thead><tr><th>id</th><th>ends</th><th>bandwidth</th><th>class</th><th>metric</th><th>priority</th><th>traffic</th><th>constraints</th><th>current path</th></tr></thead><tbody>\n");
    for p in request.policies.iter().take(ROWS) {
        out.push_str("<tr><td>");
        esc_into(out, &p.id);
        out.push_str("</td><td>");
        esc_into(out, &format!("{} → {}", p.he, p.te));
        let _ = write!(
            out,
            "</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>",
            num(p.bd),
            esc(p.class.as_deref().unwrap_or("")),
            metric(p.metric),
            p.priority,
            num(p.traffic_flow)
        );
        let c: Vec<String> = constraints(p)
            .into_iter()
            .map(|(label, text)| format!("{label}: {text}"))
            .collect();
        esc_into(out, &c.join("; "));
        out.push_str("</td><td>");
        if let Some(path) = &p.path {
            let _ = write!(out, "{} segment(s)", path.len());
        }
        out.push_str("</td></tr>\n");
    }
    more(out, request.policies.len(), 9);
    out.push_str("</tbody></table>\n");
}

/// A last row "… and N more" when `total` exceeds [`ROWS`].
pub fn more(out: &mut String, total: usize, columns: usize) {
    if total > ROWS {
        let _ = writeln!(
            out,
            "<tr class=\"more\"><td colspan=\"{columns}\">… and {} more</td></tr>",
            total - ROWS
        );
    }
}
