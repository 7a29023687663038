//! The layering the code keeps (see docs/architecture.md), checked on the source text:
//! modules of `services`, `boards` and `store` do not use each other in a circle, lower
//! layers use nothing above them, and HTTP handlers never open a write transaction (services
//! do).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// The sibling modules each file of `src/<layer>` names (`super::x`, `crate::<layer>::x`).
fn uses(layer: &str) -> BTreeMap<String, BTreeSet<String>> {
    let dir = Path::new(SRC).join(layer);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("layer folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs") && !p.ends_with("mod.rs"))
        .collect();
    let names: BTreeSet<String> = files
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().to_string()))
        .collect();
    let mut graph = BTreeMap::new();
    for path in &files {
        let me = path.file_stem().unwrap_or_default().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).expect("source");
        let mut used = BTreeSet::new();
        for other in &names {
            let named = [
                format!("super::{other}::"),
                format!("super::{other};"),
                format!("super::{{{other}"),
                format!("crate::{layer}::{other}::"),
                format!("crate::{layer}::{other};"),
            ];
            if other != &me && named.iter().any(|n| text.contains(n.as_str())) {
                used.insert(other.clone());
            }
        }
        graph.insert(me, used);
    }
    graph
}

/// A circle of modules, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut c = path[i..].to_vec();
            c.push(node.to_string());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn services_and_store_have_no_import_cycles() {
    for layer in ["services", "store", "boards"] {
        let graph = uses(layer);
        assert!(graph.len() > 5, "{layer}: read {} modules", graph.len());
        assert_eq!(circle(&graph), None, "{layer} modules use each other in a circle");
    }
    // The check itself finds a circle where there is one.
    let mut made_up = BTreeMap::new();
    made_up.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    made_up.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert!(circle(&made_up).is_some());
}

/// The layers below use nothing above them: `domain` and `store` know neither the boards,
/// the services nor HTTP; the boards do not know HTTP.
#[test]
fn lower_layers_use_nothing_above_them() {
    for (layer, above) in [
        ("domain", &["crate::boards", "crate::services", "crate::http"][..]),
        ("store", &["crate::boards", "crate::services", "crate::http"][..]),
        ("boards", &["crate::http"][..]),
    ] {
        for entry in std::fs::read_dir(Path::new(SRC).join(layer))
            .expect("layer folder")
            .filter_map(Result::ok)
        {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            for name in above {
                assert!(!text.contains(name), "{} uses {name}", entry.path().display());
            }
        }
    }
}

#[test]
fn handlers_open_no_write_transaction() {
    let dir = Path::new(SRC).join("http");
    for entry in std::fs::read_dir(dir).expect("http folder").filter_map(Result::ok) {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        assert!(
            !text.contains("write_tx"),
            "{} opens a write transaction; move it into a service",
            entry.path().display()
        );
    }
}
