//! A small page for errors (unknown task, unknown topology, …).

use super::super::html::{esc, page, Page};

/// A page with a title and a message, and the way back to the task list.
pub fn message_page(title: &str, message: &str) -> String {
    let body = format!(
        "<h1>{}</h1>\n<p class=\"banner\">{}</p>\n<p><a href=\"/ui/\">Recent tasks</a></p>\n",
        esc(title),
        esc(message)
    );
    page(&Page {
        title: &format!("{title} · pasta"),
        head: "",
        style: "",
        body: &body,
        script: "",
    })
}
