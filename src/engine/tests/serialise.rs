//! Results as JSON text. serde_json's compact writer into a `Vec` (`to_vec`, `to_string`,
//! `to_raw_value`: how results are stored and sent) gets each path of a long list as raw text made
//! from ids quoted once per topology; any other writer, and a short list, gets the ids one by one,
//! as all did before. Both give the same bytes: on random bodies, and on ids that need escaping.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::Value;

use super::strategies::spec;
use crate::engine::result::IdPaths;
use crate::engine::topology::{Path, Structure, Topology};
use crate::engine::{self, Document};
use crate::model::{Job, JobType, Limits};

/// The bytes a value is written as through serde_json's compact writer into a `Vec` (the fast
/// one), and through the same writer into a `Cursor` (id by id).
fn both_texts<T: serde::Serialize>(value: &T) -> (Vec<u8>, Vec<u8>) {
    let fast = serde_json::to_vec(value).expect("serialises");
    let mut slow = Cursor::new(Vec::new());
    serde_json::to_writer(&mut slow, value).expect("serialises");
    (fast, slow.into_inner())
}

/// What is wrong with a document's texts: the fast one (`to_vec`, `to_raw_value`) against the
/// one written id by id (`to_writer` into a `Cursor`, which is not the fast path's writer), and
/// `to_value` against the parsed text.
fn text_differences(doc: &Document) -> Option<String> {
    let (fast, slow) = both_texts(doc);
    if fast != slow {
        return Some(format!(
            "to_vec:\n{}\nid by id:\n{}",
            String::from_utf8_lossy(&fast),
            String::from_utf8_lossy(&slow)
        ));
    }
    let raw = serde_json::value::to_raw_value(doc).expect("serialises");
    if raw.get().as_bytes() != fast.as_slice() {
        return Some(format!("to_raw_value:\n{}", raw.get()));
    }
    let value = serde_json::to_value(doc).expect("serialises");
    let parsed: Value = serde_json::from_slice(&fast).expect("JSON");
    (value != parsed).then(|| format!("to_value:\n{value}\nparsed:\n{parsed}"))
}

/// Every string of `v` (not keys) that `names` maps, renamed.
fn rename(v: &mut Value, names: &HashMap<String, String>) {
    match v {
        Value::String(s) => {
            if let Some(n) = names.get(s.as_str()) {
                *s = n.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|v| rename(v, names)),
        Value::Object(m) => m.values_mut().for_each(|v| rename(v, names)),
        _ => {}
    }
}

/// The seed example with ids that need escaping (quotes, backslashes, control characters,
/// non-ASCII, `</`).
fn odd_body() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/seed-example/request.json"
    );
    let text = std::fs::read_to_string(path).expect("the seed example");
    let mut body: Value = serde_json::from_str(&text).expect("JSON");
    let odd = [
        "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{7f}", "é", "😀", "</x>", "\u{2028}",
    ];
    let mut names = HashMap::new();
    for list in ["nodes", "links"] {
        for (i, item) in body[list].as_array().expect("a list").iter().enumerate() {
            let id = item["id"].as_str().expect("an id");
            let new = format!("{id}{}{i}", odd[i % odd.len()]);
            names.insert(id.to_owned(), new);
        }
    }
    rename(&mut body, &names);
    body
}

#[test]
fn ids_that_need_escaping_are_written_as_serde_json_writes_them() {
    let body = odd_body();
    for job_type in [JobType::NonbodPasta, JobType::BodPasta] {
        let job = Job::parse(job_type, &body, &Limits::default())
            .unwrap_or_else(|p| panic!("{job_type}: the body is rejected:\n{p}"));
        let doc = engine::compute(&job, &|| 0.0);
        let text = serde_json::to_string(&doc).expect("serialises");
        assert!(text.contains(r#"\""#) && text.contains(r#"\\"#), "{text}");
        assert!(
            text.contains(r#"\n"#) && text.contains(r#"\u0001"#),
            "{text}"
        );
        if let Some(d) = text_differences(&doc) {
            panic!("{job_type}: {d}");
        }
    }
}

#[test]
fn a_long_list_is_written_from_the_quoted_ids_as_a_short_one_is_id_by_id() {
    let job = Job::parse(JobType::NonbodPasta, &odd_body(), &Limits::default()).expect("valid");
    let names: Arc<Structure> = Topology::new(&job.request).structure();
    let step = |l: u32| Path {
        nodes: vec![names.lo[l as usize], names.re[l as usize]],
        links: vec![l],
    };
    // Every link once, and a path whose link does not leave from the node before it (not a
    // path of a result, but the text must still be right).
    let mut paths: Vec<Path> = (0..names.link_count() as u32).map(step).collect();
    let stray = (0..names.link_count() as u32)
        .find(|&l| names.lo[l as usize] != 0)
        .expect("a link not from node 0");
    paths.push(Path {
        nodes: vec![0, names.re[stray as usize]],
        links: vec![stray],
    });
    paths.push(Path::single(1));
    let short = IdPaths::new(names.clone(), vec![step(0)]);
    let long = IdPaths::new(names.clone(), paths);
    let empty = IdPaths::new(names.clone(), vec![]);
    // The short list first: the table is not made for it, then is for the long one.
    for list in [&short, &empty, &long, &short, &empty] {
        let (fast, slow) = both_texts(list);
        assert_eq!(
            String::from_utf8_lossy(&fast),
            String::from_utf8_lossy(&slow),
            "{list:?}"
        );
        let parsed: Vec<Vec<String>> = serde_json::from_slice(&fast).expect("JSON");
        assert_eq!(parsed, list.ids());
    }
    assert!(
        names.quoted_ids(0).is_some(),
        "the long list made the table"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn every_writer_gives_a_result_the_same_text(s in spec()) {
        let (job_type, body) = s.body();
        let job = Job::parse(job_type, &body, &Limits::default()).expect("a valid body");
        let doc = engine::compute(&job, &|| 0.0);
        if let Some(d) = text_differences(&doc) {
            prop_assert!(false, "{}", d);
        }
    }
}
