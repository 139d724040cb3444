//! A JSON document read in place: the tree the request parser walks.
//!
//! [`Json`] borrows its strings from the bytes it was read from (a string with escapes is the
//! only one copied) and keeps an object's members as a list in document order, so reading a body
//! costs one allocation per array and per object instead of one per string and a hash table per
//! object, as `serde_json::Value` does. A body is read twice per job (at submission and by the
//! worker), and on small jobs that reading was a large part of the work.
//!
//! The meaning is `serde_json::Value`'s, which the service used before: numbers are the same
//! [`Number`]s, the same nesting limit applies, and when an object repeats a key the last value
//! counts ([`Json::members`] yields both; readers take the last).
//!
//! A body is read by its [`Shape`] ([`Json::read`]): members the shape does not name are
//! skipped as the text is scanned, without allocating anything for them, and a container where
//! a scalar belongs is kept as an empty one (the parser only says it has the wrong type). So an
//! unknown member of any size costs nothing, and the tree is proportional to what the request
//! can mean, not to what a client chose to send. Each list of a shape has a cap ([`Cap`], from
//! the [`Limits`]): a longer one ends the reading with one problem at its path, before any of
//! its elements past the cap is kept.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Number, Value};

use super::{Limits, Problem};

/// A JSON value whose strings borrow from the text it was read from.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as `serde_json` reads it.
    Number(Number),
    /// A string.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Json<'a>>),
    /// An object: its members in document order, repeated keys included.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    /// Reads a whole document from JSON text.
    pub fn from_slice(text: &'a [u8]) -> Result<Json<'a>, serde_json::Error> {
        serde_json::from_slice(text)
    }

    /// Reads from JSON text what `shape` keeps of the document; the rest is only scanned (it
    /// must still be JSON). A list longer than its cap under `limits` is the one problem found.
    pub fn read(text: &'a [u8], shape: &Shape, limits: &Limits) -> Result<Json<'a>, Unread> {
        let over = Cell::new(None);
        let seed = Shaped {
            shape,
            limits,
            at: None,
            over: &over,
        };
        read_whole(text, seed, &over)
    }

    /// [`Json::read`], except that the elements of the top-level lists `streamed` names are
    /// not kept: each is handed to `each` (the list's key, the element's index, the element
    /// read by its shape) as soon as it is read, and the list is kept empty. So a caller that
    /// turns elements into values of its own never holds the tree of the whole document.
    /// Caps apply as in [`Json::read`]; a value that is not a list where `streamed` names one
    /// is read as `shape` reads it.
    pub fn read_streaming(
        text: &'a [u8],
        shape: &Shape,
        limits: &Limits,
        streamed: &[&str],
        each: &mut dyn FnMut(&str, usize, Json<'a>),
    ) -> Result<Json<'a>, Unread> {
        let over = Cell::new(None);
        let seed = Streaming {
            shaped: Shaped {
                shape,
                limits,
                at: None,
                over: &over,
            },
            streamed,
            each,
        };
        read_whole(text, seed, &over)
    }

    /// The same document, borrowing from a `serde_json::Value`.
    pub fn from_value(value: &'a Value) -> Json<'a> {
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => Json::String(Cow::Borrowed(s)),
            Value::Array(items) => Json::Array(items.iter().map(Json::from_value).collect()),
            Value::Object(map) => Json::Object(
                map.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), Json::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// The number as an f64, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// An object's members, each key once with its last value, sorted by key (byte order).
    pub fn members<'m>(members: &'m [(Cow<'a, str>, Json<'a>)]) -> Vec<(&'m str, &'m Json<'a>)> {
        let mut sorted: Vec<(&str, &Json<'a>)> =
            members.iter().map(|(k, v)| (k.as_ref(), v)).collect();
        // Stable: among equal keys, document order stays, and the last one is kept.
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        let mut unique: Vec<(&'m str, &'m Json<'a>)> = Vec::with_capacity(sorted.len());
        for (k, v) in sorted {
            match unique.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => unique.push((k, v)),
            }
        }
        unique
    }
}

/// Why a document was not read.
#[derive(Debug)]
pub enum Unread {
    /// The text is not JSON.
    NotJson(serde_json::Error),
    /// A list is longer than its cap: the problem, at the list's path.
    TooLong(Problem),
}

/// What of a document is kept when it is read ([`Json::read`]).
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// Everything.
    Any,
    /// A scalar: a container here is kept empty, its contents skipped.
    Scalar,
    /// An array of elements of a shape, at most its cap (anything else as [`Shape::Scalar`]).
    List(&'static Shape, Cap),
    /// One element of a shape, or an array of them (at most its cap).
    OneOrList(&'static Shape, Cap),
    /// An object: the shape of each member it keeps, by key (`None`: skipped); an array here
    /// is kept empty.
    Object(fn(&str) -> Option<&'static Shape>),
}

/// The cap of a list, and what its elements are called in the problem of a longer one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// [`Limits::max_nodes`].
    Nodes,
    /// [`Limits::max_links`].
    Links,
    /// [`Limits::max_policies`].
    Policies,
    /// [`Limits::max_algorithms`].
    Entries,
    /// [`Limits::max_waypoints`].
    Waypoints,
    /// [`Limits::max_items`]: any other list.
    Items,
}

impl Cap {
    /// The most elements, and their name.
    fn of(self, limits: &Limits) -> (usize, &'static str) {
        match self {
            Cap::Nodes => (limits.max_nodes, "nodes"),
            Cap::Links => (limits.max_links, "links"),
            Cap::Policies => (limits.max_policies, "policies"),
            Cap::Entries => (limits.max_algorithms, "entries"),
            Cap::Waypoints => (limits.max_waypoints, "waypoints"),
            Cap::Items => (limits.max_items, "elements"),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Json<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let over = Cell::new(None);
        let seed = Shaped {
            shape: &Shape::Any,
            limits: &Limits::default(),
            at: None,
            over: &over,
        };
        seed.deserialize(deserializer)
    }
}

/// Where a value is: its key or index, below its parent (built into a path only for a problem).
struct Step<'p> {
    parent: Option<&'p Step<'p>>,
    key: Result<&'p str, usize>,
}

impl Step<'_> {
    /// The path, as problems write it (`links[3].srlg`).
    fn path(&self) -> String {
        let mut steps = vec![self];
        while let Some(parent) = steps.last().and_then(|s| s.parent) {
            steps.push(parent);
        }
        let mut out = String::new();
        for step in steps.iter().rev() {
            match step.key {
                Ok(key) if out.is_empty() => out.push_str(key),
                Ok(key) => {
                    out.push('.');
                    out.push_str(key);
                }
                Err(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

/// Reads a value of a shape.
#[derive(Clone, Copy)]
struct Shaped<'s> {
    shape: &'s Shape,
    limits: &'s Limits,
    at: Option<&'s Step<'s>>,
    over: &'s Cell<Option<Problem>>,
}

impl<'s> Shaped<'s> {
    /// The seed of a value of `shape` at `at`.
    fn child<'c>(&self, shape: &'c Shape, at: &'c Step<'c>) -> Shaped<'c>
    where
        's: 'c,
    {
        Shaped {
            shape,
            limits: self.limits,
            at: Some(at),
            over: self.over,
        }
    }
}

impl<'de, 's> DeserializeSeed<'de> for Shaped<'s> {
    type Value = Json<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, 's> Visitor<'de> for Shaped<'s> {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Json<'de>, E> {
        Ok(Number::from_f64(f).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s)))
    }

    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json<'de>, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let (item, cap) = match self.shape {
            Shape::Any => (&Shape::Any, None),
            Shape::List(item, cap) | Shape::OneOrList(item, cap) => (*item, Some(*cap)),
            Shape::Scalar | Shape::Object(_) => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                return Ok(Json::Array(Vec::new()));
            }
        };
        let (max, what) = cap.map_or((usize::MAX, ""), |cap| cap.of(self.limits));
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            let at = Step {
                parent: self.at,
                key: Err(items.len()),
            };
            let Some(value) = seq.next_element_seed(self.child(item, &at))? else {
                break;
            };
            items.push(value);
            if items.len() > max {
                let mut n = items.len();
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    n += 1;
                }
                let path = self.at.map_or_else(|| "$".to_owned(), Step::path);
                let message = format!("{n} {what}, more than the limit of {max}");
                self.over.set(Some(Problem { path, message }));
                return Err(serde::de::Error::custom("a list longer than its cap"));
            }
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let members_of = match self.shape {
            Shape::Any => None,
            Shape::Object(members) => Some(*members),
            Shape::OneOrList(item, _) => {
                let one = Shaped {
                    shape: item,
                    ..self
                };
                return one.visit_map(map);
            }
            Shape::Scalar | Shape::List(..) => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                return Ok(Json::Object(Vec::new()));
            }
        };
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let shape = match members_of {
                None => &Shape::Any,
                Some(members_of) => match members_of(&key.0) {
                    Some(shape) => shape,
                    None => {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                },
            };
            let at = Step {
                parent: self.at,
                key: Ok(&key.0),
            };
            let value = map.next_value_seed(self.child(shape, &at))?;
            members.push((key.0, value));
        }
        Ok(Json::Object(members))
    }
}

/// Reads a document whose top-level lists `streamed` names are handed over element by element
/// ([`Json::read_streaming`]).
struct Streaming<'s, 'f, 'a> {
    shaped: Shaped<'s>,
    streamed: &'s [&'s str],
    each: &'f mut dyn FnMut(&str, usize, Json<'a>),
}

/// The scalar visits of a streaming visitor: read as the shape in its field `$field` reads them
/// (and an option's content as the visitor itself reads it).
macro_rules! scalars_read_by {
    ($field:ident) => {
        type Value = Json<'a>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_some<D: Deserializer<'a>>(self, d: D) -> Result<Json<'a>, D::Error> {
            self.deserialize(d)
        }

        fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Json<'a>, E> {
            self.$field.visit_bool(b)
        }

        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Json<'a>, E> {
            self.$field.visit_i64(n)
        }

        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Json<'a>, E> {
            self.$field.visit_u64(n)
        }

        fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Json<'a>, E> {
            self.$field.visit_f64(f)
        }

        fn visit_borrowed_str<E: serde::de::Error>(self, s: &'a str) -> Result<Json<'a>, E> {
            self.$field.visit_borrowed_str(s)
        }

        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Json<'a>, E> {
            self.$field.visit_str(s)
        }

        fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Json<'a>, E> {
            self.$field.visit_string(s)
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Json<'a>, E> {
            self.$field.visit_none()
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Json<'a>, E> {
            self.$field.visit_unit()
        }
    };
}

/// Reads all of `text` with `seed`: a list over its cap (noted in `over`) is that problem, any
/// other error is not JSON.
fn read_whole<'a, S: DeserializeSeed<'a, Value = Json<'a>>>(
    text: &'a [u8],
    seed: S,
    over: &Cell<Option<Problem>>,
) -> Result<Json<'a>, Unread> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let read = seed.deserialize(&mut de).and_then(|json| {
        de.end()?;
        Ok(json)
    });
    read.map_err(|e| match over.take() {
        Some(problem) => Unread::TooLong(problem),
        None => Unread::NotJson(e),
    })
}

impl<'a> DeserializeSeed<'a> for Streaming<'_, '_, 'a> {
    type Value = Json<'a>;

    fn deserialize<D: Deserializer<'a>>(self, deserializer: D) -> Result<Json<'a>, D::Error> {
        match self.shaped.shape {
            Shape::Object(_) => deserializer.deserialize_any(self),
            _ => self.shaped.deserialize(deserializer),
        }
    }
}

impl<'a> Visitor<'a> for Streaming<'_, '_, 'a> {
    scalars_read_by!(shaped);

    fn visit_seq<A: SeqAccess<'a>>(self, seq: A) -> Result<Json<'a>, A::Error> {
        self.shaped.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<Json<'a>, A::Error> {
        let Shape::Object(members_of) = self.shaped.shape else {
            return self.shaped.visit_map(map);
        };
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<Key<'a>>()? {
            let Some(shape) = members_of(&key.0) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let at = Step {
                parent: None,
                key: Ok(&key.0),
            };
            let child = self.shaped.child(shape, &at);
            let value = match shape {
                Shape::List(item, cap) if self.streamed.contains(&key.0.as_ref()) => map
                    .next_value_seed(Elements {
                        list: child,
                        item,
                        cap: *cap,
                        key: &key.0,
                        each: &mut *self.each,
                    })?,
                _ => map.next_value_seed(child)?,
            };
            members.push((key.0, value));
        }
        Ok(Json::Object(members))
    }
}

/// A list whose elements are handed over one by one (kept empty); any other value is read as
/// the list's shape reads it.
struct Elements<'s, 'f, 'a> {
    list: Shaped<'s>,
    item: &'static Shape,
    cap: Cap,
    key: &'s str,
    each: &'f mut dyn FnMut(&str, usize, Json<'a>),
}

impl<'a> DeserializeSeed<'a> for Elements<'_, '_, 'a> {
    type Value = Json<'a>;

    fn deserialize<D: Deserializer<'a>>(self, deserializer: D) -> Result<Json<'a>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'a> Visitor<'a> for Elements<'_, '_, 'a> {
    scalars_read_by!(list);

    fn visit_map<A: MapAccess<'a>>(self, map: A) -> Result<Json<'a>, A::Error> {
        self.list.visit_map(map)
    }

    fn visit_seq<A: SeqAccess<'a>>(self, mut seq: A) -> Result<Json<'a>, A::Error> {
        let (max, what) = self.cap.of(self.list.limits);
        let mut n = 0;
        loop {
            let at = Step {
                parent: self.list.at,
                key: Err(n),
            };
            let Some(value) = seq.next_element_seed(self.list.child(self.item, &at))? else {
                break;
            };
            n += 1;
            if n > max {
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    n += 1;
                }
                let path = self.list.at.map_or_else(|| "$".to_owned(), Step::path);
                let message = format!("{n} {what}, more than the limit of {max}");
                self.list.over.set(Some(Problem { path, message }));
                return Err(serde::de::Error::custom("a list longer than its cap"));
            }
            (self.each)(self.key, n - 1, value);
        }
        Ok(Json::Array(Vec::new()))
    }
}

/// An object key, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// Arbitrary JSON values, nested a few levels, with repeated and escaped keys.
    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            "[a-z\"\\\\é\n]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec(("[ab\"\\\\]{0,2}", inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    /// The members of an object as `serde_json::Value` sees them: each key once, last value.
    fn as_value(j: &Json<'_>) -> Value {
        match j {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.to_string()),
            Json::Array(items) => Value::Array(items.iter().map(as_value).collect()),
            Json::Object(members) => {
                let mut map = serde_json::Map::new();
                for (k, v) in members {
                    map.insert(k.to_string(), as_value(v));
                }
                Value::Object(map)
            }
        }
    }

    #[test]
    fn strings_without_escapes_are_borrowed_and_escaped_ones_are_decoded() {
        let text = br#"{"plain": "P1", "esc\"aped": "a\nb"}"#;
        let Json::Object(members) = Json::from_slice(text).unwrap() else {
            panic!("an object")
        };
        assert!(matches!(members[0].0, Cow::Borrowed("plain")));
        assert!(matches!(members[0].1, Json::String(Cow::Borrowed("P1"))));
        assert_eq!(members[1].0, "esc\"aped");
        assert_eq!(members[1].1, Json::String(Cow::Owned("a\nb".into())));
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value() {
        let Json::Object(members) = Json::from_slice(br#"{"b": 1, "a": 2, "b": 3}"#).unwrap()
        else {
            panic!("an object")
        };
        let unique = Json::members(&members);
        assert_eq!(unique.len(), 2);
        assert_eq!(unique[0].0, "a");
        assert_eq!((unique[1].0, unique[1].1.as_f64()), ("b", Some(3.0)));
    }

    #[test]
    fn nesting_beyond_the_limit_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(Json::from_slice(deep.as_bytes()).is_err());
    }

    static ITEM: Shape = Shape::Object(|k| (k == "id").then_some(&IDS));
    static IDS: Shape = Shape::List(&Shape::Scalar, Cap::Items);
    static ITEMS: Shape = Shape::List(&ITEM, Cap::Nodes);

    #[test]
    fn a_shape_keeps_what_it_names_and_empties_containers_where_scalars_belong() {
        let text = br#"[{"id": ["a", [1, 2], {"x": 3}], "junk": [0, 0, {"y": [1]}]}, 7]"#;
        let read = Json::read(text, &ITEMS, &Limits::default()).unwrap();
        let expected = json!([{"id": ["a", [], {}]}, 7]);
        assert_eq!(as_value(&read), expected);
    }

    #[test]
    fn a_list_longer_than_its_cap_is_one_problem_at_its_path() {
        let limits = Limits {
            max_nodes: 2,
            max_items: 3,
            ..Limits::default()
        };
        let fine = br#"[{"id": ["a", "b", "c"]}, {"id": []}]"#;
        assert!(Json::read(fine, &ITEMS, &limits).is_ok());
        let Err(Unread::TooLong(p)) = Json::read(
            br#"[{"id": []}, {"id": ["a", "b", "c", "d", "e"]}]"#,
            &ITEMS,
            &limits,
        ) else {
            panic!("too long")
        };
        assert_eq!(
            (p.path.as_str(), p.message.as_str()),
            ("[1].id", "5 elements, more than the limit of 3")
        );
        let Err(Unread::TooLong(p)) = Json::read(b"[1, 2, 3, 4]", &ITEMS, &limits) else {
            panic!("too long")
        };
        assert_eq!(p.message, "4 nodes, more than the limit of 2");
        // Text that is not JSON after the list is still not JSON.
        assert!(matches!(
            Json::read(b"[1, 2] x", &ITEMS, &limits),
            Err(Unread::NotJson(_))
        ));
    }

    proptest! {
        /// Read from text, a document means what `serde_json::Value` reads from the same text.
        #[test]
        fn it_reads_what_serde_json_value_reads(value in arbitrary_json()) {
            let text = serde_json::to_vec(&value).unwrap();
            let expected: Value = serde_json::from_slice(&text).unwrap();
            let read = Json::from_slice(&text).unwrap();
            prop_assert_eq!(as_value(&read), expected.clone());
            prop_assert_eq!(as_value(&Json::from_value(&expected)), expected);
        }
    }
}
