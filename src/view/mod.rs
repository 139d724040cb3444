//! The web view's pages, rendered server-side: pure functions from values to HTML (no I/O,
//! no clock, no environment; the same input gives the same bytes). The HTTP bridge serves:
//!
//! | route | function |
//! |---|---|
//! | `GET /ui/` | [`tasks_page`]: recent tasks, filtered by type and state, followed live |
//! | `GET /ui/task/<task_id>` | [`task_page`]: the request in short and the result drawn |
//! | `GET /ui/task/<task_id>/rest.svg` | [`task_rest_svg`]: the remainder of a large network |
//! | `GET /ui/topology/<name>[?revision=r]` | [`topology_page`]: a held topology and its history |
//! | `GET /ui/topology/<name>/rest.svg?revision=r` | [`topology_rest_svg`] |
//! | errors | [`message_page`] |
//!
//! Every asset (CSS, script) is inlined from `src/view/assets/`: the pages work offline. The
//! drawing is SVG: every node an element with `data-node="<id>"`, every link one with
//! `data-link="<id>"`; the links of the path shown carry the class `path` (`path-disjoint`
//! for the disjoint path, `alt` for a selected alternative), nodes with a SID the class
//! `sid`. Positions come from [`layout()`]. Networks above 3,000 nodes are drawn in two parts
//! (see [`focus`]): the page, and a remainder fragment its script fetches from the
//! `data-rest` URL of the `<svg>` and inserts under it; the `<svg>` carries
//! `data-complete="true"` once every element is there (at once for a network drawn whole).
//!
//! The list page's script reads `GET /api/jobs?type=&state=&limit=`, follows
//! `GET /ui/events` (server-sent events `task`) and cancels by
//! `DELETE /api/jobs/<id>?type=<type>` (see [`pages::tasks`]).

pub mod decorate;
pub mod focus;
pub mod html;
pub mod layout;
pub mod load;
pub mod pages;
pub mod result;
pub mod svg;
#[cfg(test)]
mod tests;

pub use layout::{layout, Layout};
pub use pages::message::message_page;
pub use pages::task::{task_page, task_rest_svg};
pub use pages::tasks::tasks_page;
pub use pages::topology::{topology_page, topology_rest_svg};

/// A task as the pages show it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    /// The task id.
    pub task_id: String,
    /// The job type's wire name, e.g. `bod_pasta`.
    pub job_type: String,
    /// `PENDING`, `STARTED`, `SUCCESS` or `FAILURE`.
    pub state: String,
    /// The delivery computing (or that computed) it.
    pub attempt: u32,
    /// When it was submitted (RFC 3339).
    pub submitted_at: String,
    /// When its computation started, if it was recorded.
    pub started_at: Option<String>,
    /// When it ended.
    pub finished_at: Option<String>,
    /// Computation time in milliseconds.
    pub time_ms: Option<f64>,
    /// `(code, message)` of a FAILURE.
    pub error: Option<(String, String)>,
    /// The held topology `(name, revision)` it computed on.
    pub topology: Option<(String, u64)>,
}

/// One revision in a held topology's history.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionInfo {
    /// The revision number.
    pub revision: u64,
    /// When it was written (RFC 3339).
    pub at: String,
    /// `put`, `change` or `delete`.
    pub kind: String,
    /// What each op did: `(op, element id)` (the id empty for a put or a delete).
    pub ops: Vec<(String, String)>,
}
