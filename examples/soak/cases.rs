//! The fixtures the soak submits, with their expected results, and how a result is compared
//! with one (every `time` field removed; the first difference named).

use std::path::{Path, PathBuf};

use anyhow::Context;
use bytes::Bytes;
use pasta::engine::result::timeless;
use pasta::model::JobType;
use serde_json::Value;

/// One fixture body under one job type, with its expected result.
pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) job_type: JobType,
    pub(crate) body: Bytes,
    pub(crate) expected: Value,
}

pub(crate) fn load_cases(dir: &Path) -> anyhow::Result<Vec<Case>> {
    let read = |path: &Path| -> anyhow::Result<Value> {
        let text = std::fs::read(path).with_context(|| path.display().to_string())?;
        serde_json::from_slice(&text).with_context(|| path.display().to_string())
    };
    let mut sources = Vec::new();
    let seed = dir.join("seed-example/request.json");
    let seed_body = read(&seed)?;
    sources.push((
        "seed-example".to_string(),
        JobType::NonbodPasta,
        seed_body.clone(),
    ));
    sources.push(("seed-example".to_string(), JobType::BodPasta, seed_body));
    let examples = dir.join("contract-examples");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&examples)
        .with_context(|| examples.display().to_string())?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("request.json").exists() && p.join("type").exists())
        .collect();
    folders.sort();
    for folder in folders {
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let raw = std::fs::read_to_string(folder.join("type"))?;
        let t = JobType::parse(raw.trim())
            .with_context(|| format!("{}: unknown type {raw:?}", folder.display()))?;
        let body = read(&folder.join("request.json"))?;
        if t == JobType::BodReopt {
            sources.push((name.clone(), JobType::NonbodReopt, body.clone()));
        }
        sources.push((name, t, body));
    }
    sources
        .into_iter()
        .map(|(name, job_type, body)| {
            let expected = pasta::compute_value(job_type, &body)
                .map_err(|p| anyhow::anyhow!("{name} as {job_type:?} is invalid: {p:?}"))?;
            Ok(Case {
                name,
                job_type,
                // Compact, as a controller would send it.
                body: Bytes::from(serde_json::to_vec(&body)?),
                expected: timeless(&expected),
            })
        })
        .collect()
}

/// The JSON pointer of the first difference between two documents, with both sides (shortened).
pub(crate) fn first_difference(got: &Value, want: &Value, at: &str) -> Option<String> {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                match g.get(k) {
                    Some(gv) => {
                        if let Some(d) = first_difference(gv, wv, &format!("{at}/{k}")) {
                            return Some(d);
                        }
                    }
                    None => return Some(format!("{at}/{k}: missing, want {}", short(wv))),
                }
            }
            g.keys()
                .find(|k| !w.contains_key(*k))
                .map(|k| format!("{at}/{k}: unexpected {}", short(&g[k])))
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => g
            .iter()
            .zip(w)
            .enumerate()
            .find_map(|(i, (gv, wv))| first_difference(gv, wv, &format!("{at}/{i}"))),
        _ if got == want => None,
        _ => Some(format!("{at}: got {}, want {}", short(got), short(want))),
    }
}

pub(crate) fn short(v: &Value) -> String {
    truncate(&v.to_string(), 160)
}

pub(crate) fn truncate(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_string(),
    }
}
