//! Properties over arbitrary JSON: the parser never panics, a body with a value of the wrong
//! type anywhere is always rejected with a problem at that value's path, and a body read off the
//! wire by its shape (unknown members skipped, containers where scalars belong kept empty) means
//! exactly what the whole document means.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::*;

/// Strings that mean something to the parser: ids of the test body, enum names, hex, keys.
const WORDS: &[&str] = &[
    "A",
    "B",
    "C",
    "D",
    "A-B",
    "B-C",
    "",
    "igp",
    "te",
    "latency",
    "delay",
    "metric",
    "min_hop",
    "loose",
    "strict",
    "ecmp",
    "HIGH",
    "0x1F",
    "0X",
    "ffffffffffffffffff",
    "Gold",
    "id",
    "he",
    "nodes",
    "links",
    "sr_policy",
    "global",
    "algorithm",
    "path",
    "former",
    "bd",
    "-1",
];

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        prop::sample::select(vec![
            0.0, -1.0, 0.5, 1.0, 255.0, 256.0, 1e18, 1e19, 1e300, -1e300
        ])
        .prop_map(|f| json!(f)),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(WORDS).prop_map(str::to_owned),
        "[a-z_]{1,12}"
    ]
}

/// Any JSON value, up to a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        number(),
        prop::sample::select(WORDS).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 96, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn job_type() -> impl Strategy<Value = JobType> {
    prop::sample::select(JobType::ALL.to_vec())
}

/// The JSON kinds a member accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Number,
    String,
    Bool,
    Array,
    Object,
    /// `affi`, `mask`: a number or a string.
    Affinity,
}

impl Kind {
    fn accepts(self, v: &Value) -> bool {
        match self {
            Kind::Number => v.is_number(),
            Kind::String => v.is_string(),
            Kind::Bool => v.is_boolean(),
            Kind::Array => v.is_array(),
            Kind::Object => v.is_object(),
            Kind::Affinity => v.is_number() || v.is_string(),
        }
    }
}

/// Every value of a body that the parser reads for `job_type`: its path, its location (keys and
/// indices) and its kind.
fn members(job_type: JobType, body: &Value) -> Vec<(String, Vec<Value>, Kind)> {
    fn walk(
        v: &Value,
        path: String,
        at: Vec<Value>,
        key: &str,
        out: &mut Vec<(String, Vec<Value>, Kind)>,
    ) {
        let kind = match v {
            Value::Number(_) | Value::String(_) if key == "affi" || key == "mask" => Kind::Affinity,
            Value::Number(_) => Kind::Number,
            Value::String(_) => Kind::String,
            Value::Bool(_) => Kind::Bool,
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let mut at = at.clone();
                    at.push(json!(i));
                    walk(item, format!("{path}[{i}]"), at, key, out);
                }
                Kind::Array
            }
            Value::Object(obj) => {
                for (k, item) in obj {
                    let mut at = at.clone();
                    at.push(json!(k));
                    let path = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(item, path, at, k, out);
                }
                Kind::Object
            }
            Value::Null => return,
        };
        if !path.is_empty() {
            out.push((path, at, kind));
        }
    }
    let mut out = Vec::new();
    walk(body, String::new(), Vec::new(), "", &mut out);
    // Keys a job type does not read are ignored, whatever they hold.
    out.retain(|(path, _, _)| job_type == JobType::BodModified || !path.contains(".former"));
    out
}

fn set(body: &mut Value, at: &[Value], value: Value) {
    let mut v = body;
    for step in at {
        v = match step {
            Value::String(k) => &mut v[k.as_str()],
            _ => &mut v[step.as_u64().unwrap() as usize],
        };
    }
    *v = value;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_parser_never_panics_on_any_json(job_type in job_type(), body in any_json()) {
        let _ = Job::parse(job_type, &body, &Limits::default());
    }

    #[test]
    fn the_parser_never_panics_on_any_json_in_a_body_shape(
        job_type in job_type(),
        parts in prop::collection::vec(any_json(), 5),
    ) {
        let keys = ["nodes", "links", "sr_policy", "global", "congested_link"];
        let body: Map<String, Value> = keys.iter().map(|k| k.to_string()).zip(parts).collect();
        let _ = Job::parse(job_type, &Value::Object(body), &Limits::default());
    }

    #[test]
    fn a_wrong_type_in_any_member_of_a_valid_body_is_reported_at_its_path(
        job_type in job_type(),
        pick in any::<prop::sample::Index>(),
        value in any_json().prop_filter("not null", |v| !v.is_null()),
    ) {
        let mut body = valid_body(job_type);
        let members = members(job_type, &body);
        let (path, at, kind) = &members[pick.index(members.len())];
        prop_assume!(!kind.accepts(&value));
        set(&mut body, at, value.clone());
        let found = problems(job_type, &body);
        prop_assert!(
            found.iter().any(|p| p.path.starts_with(path.as_str())),
            "{} = {} gave {:?}", path, value, found
        );
    }
}

/// The outcome of a body read off the wire (by its shape) and of the whole document: the same
/// request, or the same problems.
fn same_outcome(job_type: JobType, body: &Value) -> Result<(), TestCaseError> {
    let whole = Job::parse(job_type, body, &Limits::default()).map(|job| job.request);
    let text = serde_json::to_vec(body).unwrap();
    let wire = crate::model::body::parse(job_type, &text, &Limits::default()).map(|j| j.request);
    prop_assert_eq!(
        format!("{whole:?}"),
        format!("{wire:?}"),
        "{}",
        String::from_utf8_lossy(&text)
    );
    Ok(())
}

/// Every object of a body, by its location.
fn objects(body: &Value) -> Vec<Vec<Value>> {
    fn walk(v: &Value, at: Vec<Value>, out: &mut Vec<Vec<Value>>) {
        match v {
            Value::Object(obj) => {
                out.push(at.clone());
                for (k, item) in obj {
                    let mut at = at.clone();
                    at.push(json!(k));
                    walk(item, at, out);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let mut at = at.clone();
                    at.push(json!(i));
                    walk(item, at, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(body, Vec::new(), &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_value_in_any_member_of_a_valid_body_never_panics_and_means_the_same_read_by_its_shape(
        job_type in job_type(),
        pick in any::<prop::sample::Index>(),
        value in any_json(),
    ) {
        let mut body = valid_body(job_type);
        let members = members(job_type, &body);
        let (_, at, _) = &members[pick.index(members.len())];
        set(&mut body, at, value);
        same_outcome(job_type, &body)?;
    }

    #[test]
    fn unknown_members_anywhere_change_nothing(
        job_type in job_type(),
        picks in prop::collection::vec((any::<prop::sample::Index>(), "x_[a-z_]{1,10}", any_json()), 1..4),
    ) {
        let plain = valid_body(job_type);
        let mut body = plain.clone();
        for (pick, key, value) in picks {
            let places = objects(&body);
            let at = &places[pick.index(places.len())];
            let mut target = &mut body;
            for step in at {
                target = match step {
                    Value::String(k) => &mut target[k.as_str()],
                    _ => &mut target[step.as_u64().unwrap() as usize],
                };
            }
            let obj = target.as_object_mut().unwrap();
            if !obj.contains_key(&key) {
                obj.insert(key, value);
            }
        }
        same_outcome(job_type, &body)?;
        let text = serde_json::to_vec(&body).unwrap();
        let read = crate::model::body::parse(job_type, &text, &Limits::default());
        let plain_read = Job::parse(job_type, &plain, &Limits::default());
        prop_assert_eq!(format!("{:?}", read.map(|j| j.request)), format!("{:?}", plain_read.map(|j| j.request)));
    }
}

#[test]
fn deeply_nested_values_anywhere_are_rejected_without_overflowing() {
    // The parser reads fixed shapes and never recurses into a value; serde_json's own clone and
    // drop of a `Value` do, hence the roomy stack (bodies off the wire are at most 128 deep).
    let run = || {
        let mut deep = json!("bottom");
        for _ in 0..10_000 {
            deep = Value::Array(vec![deep]);
        }
        let places = [
            vec![],
            vec![json!("nodes")],
            vec![json!("sr_policy"), json!(0), json!("path")],
            vec![json!("global"), json!("algorithm")],
            vec![json!("links"), json!(0), json!("srlg")],
        ];
        for at in places {
            let mut body = valid_body(JobType::BodReopt);
            set(&mut body, &at, deep.clone());
            assert!(!problems(JobType::BodReopt, &body).is_empty(), "at {at:?}");
        }
    };
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(run)
        .expect("a test thread")
        .join()
        .expect("no panic");
}
