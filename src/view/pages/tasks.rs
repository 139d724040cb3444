//! The task list (`GET /ui/`): a shell whose script fetches the tasks and follows their
//! completions live.
//!
//! The script reads `GET /api/jobs?type=<t>&state=<s>&limit=<n>` (`{"data": {"tasks":
//! [{task_id, type, task_state, stage?, attempt, submitted_at, finished_at?, time_ms?,
//! code?}]}}`, most recent first), follows `GET /ui/events` (server-sent events named `task`,
//! each a completion event `{task_id, type, task_state, at, attempt, time_ms?}`), and cancels
//! with `DELETE /api/jobs/<id>?type=<type>`. Rows are `<tr data-task="<id>"
//! data-state="<PENDING|SUCCESS|FAILURE>" data-stage="<queued|running>">`; the filters are
//! `<select id="filter-type">` and `<select id="filter-state">`, kept in the page's query.

use std::fmt::Write as _;

use super::super::html::{esc, page, Page};

/// The list page's script.
const TASKS_JS: &str = include_str!("../assets/tasks.js");

/// The task list page, with a type filter offering `job_types` (wire names).
pub fn tasks_page(job_types: &[&str]) -> String {
    let mut body = String::from("<h1>Recent tasks</h1>\n<form class=\"filters\" id=\"filters\" onsubmit=\"return false\">\n<label>Type <select id=\"filter-type\"><option value=\"\">all</option>");
    for t in job_types {
        let _ = write!(body, "<option value=\"{0}\">{0}</option>", esc(t));
    }
    body.push_str("</select></label>\n<label>State <select id=\"filter-state\"><option value=\"\">all</option><option value=\"PENDING\">PENDING</option><option value=\"SUCCESS\">SUCCESS</option><option value=\"FAILURE\">FAILURE</option></select></label>\n");
    body.push_str("<label>Show <select id=\"filter-limit\"><option value=\"50\">50</option><option value=\"100\" selected>100</option><option value=\"500\">500</option></select></label>\n");
    body.push_str(
        "<span id=\"live\" class=\"live off\" title=\"live updates\">connecting…</span>\n</form>\n",
    );
    body.push_str("<p id=\"msg\" class=\"banner\" hidden></p>\n");
    body.push_str("<table class=\"grid tasks\"><thead><tr><th>task</th><th>type</th><th>state</th><th>age</th><th>computation</th><th>attempt</th><th></th></tr></thead>\n<tbody id=\"tasks\"></tbody></table>\n");
    body.push_str("<p id=\"empty\" class=\"note\" hidden>No task.</p>\n<noscript><p class=\"banner\">This list needs JavaScript; <code>GET /api/jobs</code> gives the same as JSON.</p></noscript>\n");
    page(&Page {
        title: "Recent tasks · pasta",
        head: "",
        style: "",
        body: &body,
        script: TASKS_JS,
    })
}
