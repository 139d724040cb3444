//! The JSON Schema of the request body (`schemas/request.schema.json`) against the parser: the same
//! key names in every object, and every fixture request valid under it.

use std::collections::BTreeSet;

use serde_json::Value;

use super::super::parse::reader::Key;
use super::super::parse::{
    ALGORITHM_KEYS, BODY_KEYS, FORMER_KEYS, GLOBAL_KEYS, LINK_KEYS, NODE_KEYS, POLICY_KEYS,
    PREFIX_KEYS, QOS_KEYS,
};
use super::*;

fn schema() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas/request.schema.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).expect("the schema is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&schema()).expect("the schema compiles")
}

/// Every name of a key table, aliases included.
fn names(keys: &[Key]) -> BTreeSet<&'static str> {
    keys.iter()
        .flat_map(|k| std::iter::once(k.name).chain(k.alias))
        .collect()
}

#[test]
fn the_schema_is_a_valid_draft_2020_12_schema() {
    let schema = schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    if let Err(e) = jsonschema::meta::validate(&schema) {
        panic!("the schema is not a valid JSON Schema: {e}");
    }
}

#[test]
fn every_object_of_the_schema_has_exactly_the_keys_the_parser_reads() {
    let schema = schema();
    let objects: [(&str, &Value, &[Key]); 9] = [
        ("body", &schema, BODY_KEYS),
        ("Node", &schema["$defs"]["Node"], NODE_KEYS),
        ("Prefix", &schema["$defs"]["Prefix"], PREFIX_KEYS),
        ("Link", &schema["$defs"]["Link"], LINK_KEYS),
        ("QosClass", &schema["$defs"]["QosClass"], QOS_KEYS),
        ("Policy", &schema["$defs"]["Policy"], POLICY_KEYS),
        ("Former", &schema["$defs"]["Former"], FORMER_KEYS),
        (
            "AlgorithmEntry",
            &schema["$defs"]["AlgorithmEntry"],
            ALGORITHM_KEYS,
        ),
        ("Global", &schema["$defs"]["Global"], GLOBAL_KEYS),
    ];
    for (name, object, keys) in objects {
        let properties = object["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name} has no properties in the schema"));
        let in_schema: BTreeSet<&str> = properties.keys().map(String::as_str).collect();
        assert_eq!(
            in_schema,
            names(keys),
            "{name}: schema properties vs parser keys"
        );
        for (key, property) in properties {
            let described = property["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty());
            assert!(described, "{name}.{key} has no description");
        }
        assert_ne!(
            object["additionalProperties"], false,
            "{name}: unknown keys are ignored"
        );
    }
}

#[test]
fn every_fixture_request_is_valid_under_the_schema() {
    let validator = validator();
    for (path, _, body) in fixture_requests() {
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{}:\n{}",
            path.display(),
            errors.join("\n")
        );
    }
}

#[test]
fn the_full_test_bodies_are_valid_under_the_schema() {
    let validator = validator();
    for job_type in JobType::ALL {
        assert!(validator.is_valid(&valid_body(job_type)), "{job_type}");
    }
}

#[test]
fn the_schema_rejects_what_the_parser_rejects_for_its_type() {
    let validator = validator();
    let edits: [fn(&mut Value); 6] = [
        |b| b["links"][0]["igp"] = "ten".into(),
        |b| b["links"][0]["bd"] = (-2).into(),
        |b| b["sr_policy"]["mask"] = "0x1ffffffffffffffff".into(),
        |b| b["sr_policy"]["metric"] = "fastest".into(),
        |b| b["global"]["congest_threshold"] = 0.into(),
        |b| b["global"]["algorithm"][0]["algo"] = 2.into(),
    ];
    for edit in edits {
        let mut body = valid_body(JobType::BodPasta);
        edit(&mut body);
        assert!(
            !problems(JobType::BodPasta, &body).is_empty(),
            "the parser accepts {body}"
        );
        assert!(!validator.is_valid(&body), "the schema accepts {body}");
    }
}
