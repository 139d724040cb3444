//! Escaping, number formatting and the page shell every page shares.
//!
//! Every string that reaches HTML or SVG from data goes through [`esc`] (ids are user data);
//! JSON embedded in a page goes through [`json_script`]. The CSS is inlined into each page:
//! no external resource, no build step.

use std::fmt::Write as _;

use serde_json::Value;

/// The stylesheet of every page.
const CSS: &str = include_str!("assets/view.css");

/// Escapes text for HTML (and XML) text and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    esc_into(&mut out, text);
    out
}

/// [`esc`] appended to `out`.
pub fn esc_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Percent-encodes one URL path segment or query value (everything but unreserved ASCII).
pub fn url_part(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A coordinate rounded to one decimal (no `-0.0`).
pub fn coord(out: &mut String, v: f64) {
    let r = (v * 10.0).round() / 10.0;
    let r = if r == 0.0 || !r.is_finite() { 0.0 } else { r };
    let _ = write!(out, "{r:.1}");
}

/// A number for people: integers without decimals, others with at most four, trailing
/// zeros cut.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A JSON value for people: numbers by [`num`], strings as they are, `null` as "none",
/// anything else as compact JSON. Not escaped.
pub fn value(v: &Value) -> String {
    match v {
        Value::Null => "none".to_string(),
        Value::Number(n) => n.as_f64().map(num).unwrap_or_else(|| n.to_string()),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A bandwidth for people: `-1` is unlimited, `null` none.
pub fn bandwidth(v: &Value) -> String {
    match v.as_f64() {
        Some(-1.0) => "unlimited".to_string(),
        _ => value(v),
    }
}

/// A share as a percentage with one decimal.
pub fn percent(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

/// A `<script type="application/json">` holding `data`, safe inside HTML (`<`, `>` and `&`
/// written as JSON escapes).
pub fn json_script(id: &str, data: &Value) -> String {
    let text = data.to_string();
    let mut out = String::with_capacity(text.len() + 64);
    let _ = write!(out, "<script type=\"application/json\" id=\"{}\">", esc(id));
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out.push_str("</script>\n");
    out
}

/// What a page adds to the shell.
pub struct Page<'a> {
    /// The `<title>` (escaped here).
    pub title: &'a str,
    /// Extra markup in `<head>` (already safe), e.g. a refresh.
    pub head: &'a str,
    /// Extra CSS rules (already safe), appended to the stylesheet.
    pub style: &'a str,
    /// The body's markup (already safe).
    pub body: &'a str,
    /// The script run at the end of the body (already safe), or empty.
    pub script: &'a str,
}

/// A whole HTML5 document: charset, title, the inlined stylesheet and script, a header with
/// the way back to the task list.
pub fn page(p: &Page<'_>) -> String {
    let mut out = String::with_capacity(CSS.len() + p.body.len() + p.script.len() + 512);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(p.head);
    out.push_str("<title>");
    esc_into(&mut out, p.title);
    out.push_str("</title>\n<style>\n");
    out.push_str(CSS);
    out.push_str(p.style);
    out.push_str("</style>\n</head>\n<body>\n");
    out.push_str("<header class=\"top\"><a href=\"/ui/\">pasta</a> <span>tasks and topologies</span></header>\n<main>\n");
    out.push_str(p.body);
    out.push_str("</main>\n");
    if !p.script.is_empty() {
        out.push_str("<script>\n");
        out.push_str(p.script);
        out.push_str("</script>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// A row of a two-column table of facts: `<tr><th>label</th><td>value</td></tr>` (the value
/// escaped here).
pub fn fact(out: &mut String, label: &str, value: &str) {
    out.push_str("<tr><th>");
    esc_into(out, label);
    out.push_str("</th><td>");
    esc_into(out, value);
    out.push_str("</td></tr>\n");
}
