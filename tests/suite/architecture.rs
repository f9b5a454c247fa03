//! ARCHITECTURE.md's layers, kept true: no library module names a module of a higher layer,
//! and there is no import circle among the top modules. Read from the source text, so a new
//! `use crate::…` that climbs fails here, naming the file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The library's top modules, lowest layer first (a module may name its own layer's, as long
/// as no circle forms, and any lower one's).
const LAYERS: &[&[&str]] = &[
    &[
        "error", "keys", "ttl", "clock", "retry", "stop", "progress", "side",
    ],
    &["guard"],
    &["conn"],
    &["store"],
    &["scan"],
    &["ops", "warm", "backup", "rdb", "log"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top module a source file belongs to (`None`: the binary's own files).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    layer(name).map(|_| name.to_string())
}

/// The top modules `text` names as `crate::<module>`, its tests left out.
fn named(text: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    let mut found = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if layer(&name).is_some() {
            found.insert(name);
        }
    }
    found
}

#[test]
fn imports_point_down_and_form_no_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut climbing = Vec::new();
    for file in &files {
        let Some(from) = top_module(&src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for to in named(&text) {
            if to == from {
                continue;
            }
            if layer(&to) > layer(&from) {
                climbing.push(format!("{} names crate::{to}", file.display()));
            }
            edges.entry(from.clone()).or_default().insert(to);
        }
    }
    assert!(
        climbing.is_empty(),
        "lower layers name higher ones:\n{}",
        climbing.join("\n")
    );
    // A circle among the top modules: a path from a module back to itself.
    for start in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&String> = edges[start].iter().collect();
        while let Some(m) = todo.pop() {
            assert!(
                m != start,
                "an import circle runs through `{start}`: {edges:?}"
            );
            if seen.insert(m.clone()) {
                todo.extend(edges.get(m).into_iter().flatten());
            }
        }
    }
}

/// The claim that gives the check its teeth: every top module of the library is placed.
#[test]
fn every_library_module_has_a_layer() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    for line in lib.lines() {
        if let Some(name) = line
            .strip_prefix("pub mod ")
            .and_then(|l| l.strip_suffix(';'))
        {
            assert!(
                layer(name).is_some(),
                "src/lib.rs declares `{name}`, which LAYERS does not place"
            );
        }
    }
}
