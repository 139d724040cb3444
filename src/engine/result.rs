//! The result document types, as they go on the wire (contract §3.4–§3.6).
//!
//! Typed so that a field cannot be misspelt; `schemas/result.schema.json` describes the same
//! shape and a test keeps the two together.

use std::sync::Arc;

use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::chunked::ChunkedJson;
use super::topology::{Path, QuotedIds, Structure};

/// `{"info": …, "data": [one item per algorithm entry]}`.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// Job-level notes: `{}` or `{"warnings": [...]}`.
    pub info: Map<String, Value>,
    /// One item per algorithm entry, in entry order.
    pub data: Vec<Item>,
}

/// The result of one algorithm entry.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Item {
    /// A single-policy job's item.
    Single(Box<SingleItem>),
    /// A list job's item.
    List(Box<ListItem>),
}

/// A list job's item: one entry per policy, and a summary.
#[derive(Debug, Clone, Serialize)]
pub struct ListItem {
    /// The entry's `algo`.
    pub algo_type: u8,
    /// Whether every policy was placed (every listed link relieved, for congestion relief).
    pub status: bool,
    /// `{}`, or why the item failed as a whole.
    pub info: Value,
    /// Per policy, in placement (or move) order.
    pub data: Vec<PolicyEntry>,
    /// Counts and link utilisation.
    pub summary: Value,
}

/// One policy of a list item.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyEntry {
    /// Policy id.
    pub id: String,
    /// Whether it was placed.
    pub status: bool,
    /// `{}`, warnings, or why it was not placed.
    pub info: Value,
    /// Congestion relief: the link it was moved off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    /// Its path, or `{}`.
    pub data: PathData,
    /// bod jobs: what its path reserves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservations: Option<Vec<Reservation>>,
}

/// `{}` on the wire.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Empty {}

/// A single-policy item: the path found, or why there is none.
#[derive(Debug, Clone, Serialize)]
pub struct SingleItem {
    /// The entry's `algo`.
    pub algo_type: u8,
    /// Whether a path was found.
    pub status: bool,
    /// `{}` on success, the reason otherwise.
    pub info: Value,
    /// The path and its alternatives, or `{}`.
    pub data: PathData,
    /// bod jobs: what the main path reserves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservations: Option<Vec<Reservation>>,
    /// bod_modified: what the former placement gave back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released: Option<Vec<Released>>,
    /// `echo_topology`: the nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Vec<Value>>,
    /// `echo_topology`: the links after this item's reservation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<Value>>,
}

/// The `data` of an item: a result or `{}`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PathData {
    /// A path was found.
    Found(Box<PathResult>),
    /// None was.
    None(Empty),
}

/// One SID of a segment list.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Sid {
    /// A node (or flex-algo prefix) SID.
    Node {
        /// Node id.
        id: String,
        /// Its address (`null` when none).
        ip: Option<String>,
        /// The label.
        sid: u64,
    },
    /// An adjacency SID.
    Adjacency {
        /// Link id.
        id: String,
        /// Local node.
        lo: String,
        /// Remote node.
        re: String,
        /// Its address (`null` when none).
        ip: Option<String>,
        /// The label.
        sid: u64,
    },
}

/// A list of paths as the wire writes them: each path the ids of its nodes and links,
/// alternating. The paths stay indices into the topology's id tables until they are serialised,
/// so a result of a thousand long paths copies no id (at 10,000 routers, copying them cost more
/// than the search that found the paths).
///
/// Written by serde_json's compact writer (`to_vec`, `to_string`, `to_raw_value`: how results
/// are stored and sent), each path is put together as JSON text from the ids quoted once per
/// topology ([`Structure::quoted_ids`]; once a list names as many ids as the topology has) and
/// written as it is, rather than escaping every id again at each of its occurrences. The steps
/// a path begins with alike with the path before it are kept from that one's text: a list is
/// sorted, so they are most of it (the 24 MB result of the 10,000-router example was written in
/// 7–9 ms this way, 13–15 ms step by step). Every other serializer (pretty printing,
/// `to_value`), and a short list before the table is made, gets the ids one by one. The output
/// is the same either way.
#[derive(Clone)]
pub struct IdPaths {
    names: Arc<Structure>,
    paths: Vec<Path>,
}

impl IdPaths {
    /// `paths` of a topology whose ids are `names`.
    pub fn new(names: Arc<Structure>, paths: Vec<Path>) -> IdPaths {
        IdPaths { names, paths }
    }

    /// How many paths.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The ids of every path (copied).
    pub fn ids(&self) -> Vec<Vec<String>> {
        self.paths.iter().map(|p| self.names.ids(p)).collect()
    }
}

impl std::fmt::Debug for IdPaths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.ids()).finish()
    }
}

impl Serialize for IdPaths {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let quoted = match writes_compact_json::<S>() {
            true => {
                let uses = self.paths.iter().map(|p| p.nodes.len() + p.links.len());
                self.names.quoted_ids(uses.sum())
            }
            false => None,
        };
        let mut list = s.serialize_seq(Some(self.paths.len()))?;
        match quoted {
            Some(quoted) => {
                let mut text = PathText::default();
                let mut previous: Option<&Path> = None;
                for path in &self.paths {
                    self.write_json(quoted, path, previous, &mut text);
                    list.serialize_element(&Raw(&text.text))?;
                    previous = Some(path);
                }
            }
            None => {
                for path in &self.paths {
                    list.serialize_element(&PathIds(&self.names, path))?;
                }
            }
        }
        list.end()
    }
}

/// The JSON text of the path last written, and where each of its steps ends in it.
#[derive(Default)]
struct PathText {
    text: String,
    /// `steps[i]`: the length of the text up to and including step `i` (node `i` and the
    /// link after it).
    steps: Vec<usize>,
}

impl IdPaths {
    /// `path` as JSON text, in `text`, which holds the `previous` path's. The steps the two
    /// paths begin with alike are kept: the paths of a list are sorted by id sequence, so
    /// each usually shares a long beginning with the one before it.
    fn write_json(
        &self,
        quoted: &QuotedIds,
        path: &Path,
        previous: Option<&Path>,
        text: &mut PathText,
    ) {
        let kept = previous.map_or(0, |p| shared_steps(p, path));
        text.steps.truncate(kept);
        let PathText { text, steps } = text;
        text.truncate(steps.last().copied().unwrap_or(0));
        if text.is_empty() {
            text.push('[');
        }
        for (i, &n) in path.nodes.iter().enumerate().skip(kept) {
            match path.links.get(i) {
                // The node and the link in one copy (the link leaves from the node).
                Some(&l) if self.names.lo[l as usize] == n => {
                    text.push_str(&quoted.hop[l as usize]);
                }
                Some(&l) => {
                    text.push_str(&quoted.node[n as usize]);
                    text.push(',');
                    text.push_str(&quoted.link[l as usize]);
                    text.push(',');
                }
                None => {
                    text.push_str(&quoted.node[n as usize]);
                    text.push(']');
                    return;
                }
            }
            steps.push(text.len());
        }
        text.push(']');
    }
}

/// How many steps (a node and the link after it) `b` begins with exactly as `a` does.
fn shared_steps(a: &Path, b: &Path) -> usize {
    a.links
        .iter()
        .zip(&b.links)
        .zip(a.nodes.iter().zip(&b.nodes))
        .take_while(|((la, lb), (na, nb))| la == lb && na == nb)
        .count()
}

/// Whether `S` is serde_json's compact writer into a `Vec<u8>` (what `to_vec`, `to_string` and
/// `to_raw_value` use) or into a [`ChunkedJson`] (what a worker writes a result with), which
/// write a [`Raw`] as its text exactly where an equal value would have gone. serde cannot say
/// which serializer it is; the name of its type can, compared with the names of those types as
/// the same compiler writes them. Any other serializer, pretty printing among them, is `false`
/// and gets the ids one by one.
fn writes_compact_json<S: Serializer>() -> bool {
    let name = std::any::type_name::<S>();
    name == std::any::type_name::<&mut serde_json::Serializer<&mut Vec<u8>>>()
        || name == std::any::type_name::<&mut serde_json::Serializer<&mut ChunkedJson>>()
}

/// `text`, known to be JSON (serde_json wrote it), as a [`RawValue`]: a copy, without the
/// parse `RawValue::from_string` makes.
pub(super) fn raw_value(text: &str) -> Box<RawValue> {
    serde_json::value::to_raw_value(&Raw(text)).expect("raw text serialises")
}

/// The name serde_json's [`RawValue`](serde_json::value::RawValue) serialises as a struct and
/// field of, which its serializers take as "write this string as it is" (a test holds [`Raw`]
/// to `RawValue`, should the name ever change).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// JSON text that serde_json's writers copy as it is: serialised exactly as a
/// [`RawValue`](serde_json::value::RawValue) of the same text, without the parse
/// `RawValue::from_string` makes to check the text (on a large result that parse cost more than
/// the escaping saved). Only for text known to be valid JSON.
struct Raw<'a>(&'a str);

impl Serialize for Raw<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut raw = s.serialize_struct(RAW_VALUE_TOKEN, 1)?;
        raw.serialize_field(RAW_VALUE_TOKEN, self.0)?;
        raw.end()
    }
}

/// One path's ids, written straight from the id tables.
struct PathIds<'a>(&'a Structure, &'a Path);

impl Serialize for PathIds<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let PathIds(names, path) = self;
        let mut ids = s.serialize_seq(Some(path.nodes.len() + path.links.len()))?;
        for (i, &n) in path.nodes.iter().enumerate() {
            ids.serialize_element(names.node_id[n as usize].as_str())?;
            if let Some(&l) = path.links.get(i) {
                ids.serialize_element(names.link_id[l as usize].as_str())?;
            }
        }
        ids.end()
    }
}

/// Best-case attributes over an expansion.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Attr {
    /// Least igp.
    pub igp: u64,
    /// Least te.
    pub te: u64,
    /// Least delay, input units.
    pub delay: f64,
    /// Least hops.
    pub min_hop: u64,
    /// Largest bottleneck (-1: unlimited).
    pub max_min_band: f64,
}

/// Worst-case attributes over an expansion.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AttrWorst {
    /// Largest igp.
    pub igp: u64,
    /// Largest te.
    pub te: u64,
    /// Largest delay, input units.
    pub delay: f64,
    /// Most hops.
    pub max_hop: u64,
    /// Smallest bottleneck (-1: unlimited).
    pub min_band: f64,
}

/// One encoded path: SIDs and what forwarding does with them.
#[derive(Debug, Clone, Serialize)]
pub struct Encoded {
    /// SIDs in push order.
    pub sids: Vec<Sid>,
    /// Per SID, its forwarding paths (at most 1024).
    pub segs: Vec<IdPaths>,
    /// Per SID, the number of forwarding paths, when any list was cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segs_total: Option<Vec<u128>>,
    /// End-to-end paths (at most 1024).
    pub paths: IdPaths,
    /// The exact number of end-to-end paths, when more than listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paths_total: Option<u128>,
    /// Best case.
    pub attr: Attr,
    /// Worst case.
    pub attr_worst: AttrWorst,
}

/// The main result of an item.
#[derive(Debug, Clone, Serialize)]
pub struct PathResult {
    /// The best candidate, encoded.
    #[serde(flatten)]
    pub main: Encoded,
    /// The next candidates not covered by an earlier expansion.
    pub other: Vec<Encoded>,
    /// Engine milliseconds.
    pub time: f64,
    /// `dis: true`: the disjoint path.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub disjoint: Option<Disjoint>,
}

/// The disjoint path of a `dis: true` policy.
#[derive(Debug, Clone, Serialize)]
pub struct Disjoint {
    /// SIDs.
    pub d_sids: Vec<Sid>,
    /// Forwarding paths per SID.
    pub d_segs: Vec<IdPaths>,
    /// Cut counts per SID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub d_segs_total: Option<Vec<u128>>,
    /// End-to-end paths.
    pub d_paths: IdPaths,
    /// Exact count when cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub d_paths_total: Option<u128>,
    /// Best case, or `{}` when there is no disjoint path.
    pub d_attr: Value,
    /// Worst case, or `{}`.
    pub d_attr_worst: Value,
    /// Alternatives.
    pub d_other: Vec<Encoded>,
    /// How disjoint it is: `node`, `link`, or `none`.
    pub d_mode: &'static str,
}

/// One charged link of a reservation.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Reservation {
    /// Link id.
    pub link: String,
    /// Class.
    pub class: String,
    /// Class bandwidth before.
    pub before: f64,
    /// Charged.
    pub reserved: f64,
    /// Class bandwidth after.
    pub after: f64,
}

/// One link given back by `bod_modified`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Released {
    /// Link id.
    pub link: String,
    /// Class.
    pub class: String,
    /// Given back.
    pub amount: f64,
}

/// A document with every `time` field removed, at any depth. `time` is the one field of a result
/// that is not deterministic: two runs of the same body are equal without it (tests and the soak
/// compare results this way).
pub fn timeless(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "time")
                .map(|(k, v)| (k.clone(), timeless(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(timeless).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use serde::{Serialize, Serializer};
    use serde_json::json;

    /// Records whether the serializer it is written by is the one [`super::IdPaths`] writes raw
    /// text to.
    struct Probe<'a>(&'a Cell<Option<bool>>);

    impl Serialize for Probe<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            self.0.set(Some(super::writes_compact_json::<S>()));
            s.serialize_unit()
        }
    }

    fn raw_for(write: impl FnOnce(&Probe)) -> bool {
        let seen = Cell::new(None);
        write(&Probe(&seen));
        seen.get().expect("the probe is serialised")
    }

    #[test]
    fn raw_text_is_written_as_serde_json_writes_a_raw_value() {
        let text = r#"[["a\"b","\u0001"],{"k":[1,2.5,null]}]"#;
        let raw = serde_json::value::RawValue::from_string(text.to_owned()).expect("JSON");
        assert_eq!(
            serde_json::to_string(&super::Raw(text)).expect("JSON"),
            text
        );
        assert_eq!(
            serde_json::to_string(&super::Raw(text)).expect("JSON"),
            serde_json::to_string(&raw).expect("JSON")
        );
        assert_eq!(
            serde_json::to_string_pretty(&super::Raw(text)).expect("JSON"),
            serde_json::to_string_pretty(&raw).expect("JSON")
        );
        assert_eq!(
            serde_json::to_value(super::Raw(text)).expect("JSON"),
            serde_json::to_value(&raw).expect("JSON")
        );
    }

    #[test]
    fn only_the_compact_writer_into_a_vec_gets_raw_text() {
        assert!(raw_for(|p| drop(serde_json::to_vec(p))));
        assert!(raw_for(|p| drop(serde_json::to_string(p))));
        assert!(raw_for(|p| drop(serde_json::value::to_raw_value(p))));
        assert!(!raw_for(|p| drop(serde_json::to_string_pretty(p))));
        assert!(!raw_for(|p| drop(serde_json::to_vec_pretty(p))));
        assert!(!raw_for(|p| drop(serde_json::to_value(p))));
        let mut cursor = std::io::Cursor::new(Vec::new());
        assert!(!raw_for(|p| drop(serde_json::to_writer(&mut cursor, p))));
        let mut bytes = Vec::new();
        let mut pretty = serde_json::Serializer::pretty(&mut bytes);
        assert!(!raw_for(|p| drop(p.serialize(&mut pretty))));
        let mut chunked = super::ChunkedJson::new(0, 8, Box::new(drop));
        assert!(raw_for(|p| drop(serde_json::to_writer(&mut chunked, p))));
    }

    #[test]
    fn timeless_removes_every_time_field_at_any_depth_and_nothing_else() {
        let doc = json!({"time": 1.5, "data": [{"time": 2.0, "id": "p", "data": {"time": 3, "segs": [1]}}], "timer": 4});
        assert_eq!(
            super::timeless(&doc),
            json!({"data": [{"id": "p", "data": {"segs": [1]}}], "timer": 4})
        );
    }
}
