//! The layering of ARCHITECTURE.md, checked against the imports: each layer names only the
//! layers below it. A test reads the sources, so a `use` that points the wrong way fails here.

use std::fs;
use std::path::{Path, PathBuf};

/// Each layer (a folder or file under `src/`) and the crate modules it must never name.
const RULES: &[(&str, &[&str])] = &[
    (
        "model",
        &[
            "engine", "bus", "task", "service", "http", "app", "cli", "server", "config", "metrics",
        ],
    ),
    (
        "engine",
        &[
            "bus", "task", "service", "http", "app", "cli", "server", "config", "metrics",
        ],
    ),
    (
        "bus",
        &["engine", "task", "service", "http", "app", "cli", "metrics"],
    ),
    (
        "task",
        &["service", "http", "app", "cli", "server", "config"],
    ),
    ("service", &["http", "app", "cli", "server", "config"]),
    (
        "http",
        &["bus", "task", "engine", "app", "cli", "server", "config"],
    ),
    (
        "view",
        &[
            "bus", "task", "service", "http", "app", "cli", "server", "config", "metrics",
        ],
    ),
    (
        "metrics.rs",
        &["engine", "bus", "task", "service", "http", "app", "cli"],
    ),
];

/// Every `.rs` file under `path` (or `path` itself).
fn sources(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    for entry in fs::read_dir(path).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The lines of a file that name `crate::<module>` outside comments.
fn naming(file: &Path, module: &str) -> Vec<String> {
    let text = fs::read_to_string(file).expect("a source file");
    let needle = format!("crate::{module}");
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .filter(|line| {
            line.match_indices(&needle).any(|(at, _)| {
                let after = line[at + needle.len()..].chars().next();
                !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        .map(|line| format!("{}: {}", file.display(), line.trim()))
        .collect()
}

#[test]
fn no_layer_imports_a_layer_above_it() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for (layer, forbidden) in RULES {
        let files = sources(&src.join(layer));
        assert!(!files.is_empty(), "no sources for {layer}");
        for file in &files {
            for module in *forbidden {
                wrong.extend(naming(file, module));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layering:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_sees_an_import_that_points_the_wrong_way() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("x.rs");
    fs::write(
        &file,
        "// crate::service in a comment\nuse crate::service::Service;\nuse crate::services;\n",
    )
    .expect("written");
    assert_eq!(naming(&file, "service").len(), 1);
}
