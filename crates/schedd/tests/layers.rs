//! The daemon's folders form layers: each may use only the layers below
//! it, so there is no import cycle between them and a newcomer can read
//! them bottom up. ARCHITECTURE.md draws the same picture; this test keeps
//! the code honest to it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of `crates/schedd/src`, lowest layer first, with
/// the modules it may use.
const LAYERS: &[(&str, &[&str])] = &[
    ("clock", &[]),
    ("metrics", &[]),
    ("error", &[]),
    ("system", &["error"]),
    ("config", &["system"]),
    ("storage", &["error"]),
    ("cron", &[]),
    (
        "running",
        &["clock", "cron", "metrics", "storage", "system"],
    ),
    (
        "scheduling",
        &[
            "clock", "config", "cron", "metrics", "running", "storage", "system",
        ],
    ),
    (
        "serving",
        &[
            "clock",
            "config",
            "cron",
            "error",
            "metrics",
            "running",
            "scheduling",
            "storage",
            "system",
        ],
    ),
    (
        "startup",
        &[
            "clock",
            "config",
            "cron",
            "error",
            "metrics",
            "running",
            "scheduling",
            "serving",
            "storage",
            "system",
        ],
    ),
    // The in-process daemon of the unit tests: everything, wired.
    (
        "testing",
        &[
            "clock",
            "config",
            "cron",
            "error",
            "metrics",
            "running",
            "scheduling",
            "serving",
            "startup",
            "storage",
            "system",
        ],
    ),
];

/// `crate::NAME` references in the source of each top-level module, tests
/// included: a test module may reach no higher than its code, except for
/// the in-process daemon (`crate::testing`) in a `tests.rs`.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path.strip_prefix(&src).unwrap();
            let top = relative
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned();
            if top == "lib" || top == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // A module's tests may use the in-process daemon.
            let is_tests = path.file_name().is_some_and(|name| name == "tests.rs");
            let used = uses.entry(top.clone()).or_default();
            for (at, _) in text.match_indices("crate::") {
                let name: String = text[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() && name != top && !(is_tests && name == "testing") {
                    used.insert(name);
                }
            }
        }
    }
    uses
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut wrong = Vec::new();
    for (module, used) in uses() {
        let Some(may) = allowed.get(module.as_str()) else {
            wrong.push(format!("{module}: a top-level module missing from LAYERS"));
            continue;
        };
        for name in used {
            if !may.contains(&name.as_str()) {
                wrong.push(format!("{module} uses {name}"));
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken: {wrong:#?}");
}

#[test]
fn the_layers_allow_no_cycle() {
    let position: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (*name, i))
        .collect();
    for (i, (module, may)) in LAYERS.iter().enumerate() {
        for name in *may {
            assert!(
                position[name] < i,
                "{module} may use {name}, which is not below it"
            );
        }
    }
}
