//! The pages, one module each, and what they share.

pub mod entry;
pub mod message;
pub mod request;
pub mod task;
pub mod tasks;
pub mod topology;

/// The script of the pages that draw a network: zoom, pan, labels, the remainder of a large
/// network, and the task page's selections.
pub const VIEW_JS: &str = include_str!("../assets/view.js");

/// The zoom buttons above a drawing.
pub fn drawing_controls(out: &mut String) {
    out.push_str("<div class=\"controls\"><button type=\"button\" id=\"zoom-in\" title=\"zoom in\">+</button><button type=\"button\" id=\"zoom-out\" title=\"zoom out\">−</button><button type=\"button\" id=\"zoom-fit\" title=\"whole network\">fit</button> <span class=\"note\">wheel to zoom, drag to pan, hover for details</span> <span id=\"rest-state\" class=\"note\"></span></div>\n");
}
