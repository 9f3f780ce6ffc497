//! The module graph of `src/` has no cycle, and the layers listed in `src/lib.rs` are
//! true: no module uses one listed in a later layer.
//!
//! A top-level module is a file or a directory under `src/` (`src/bin` is the tool, not
//! the library, and `src/lib.rs` is the root). A module uses another when its code (not
//! its comments or strings) names it: `crate::x`, `use crate::{x::..}`, a name
//! `src/lib.rs` re-exports from `x` (`crate::Codec`), or `super::x` from a file nested
//! deep enough for `super` to reach the crate root.
//!
//! Items under `#[cfg(test)]` or `#[cfg(doc)]` are left out, and so are the files of a
//! `#[cfg(test)] mod x;`: unit tests may drive the whole crate, as the tests under
//! `tests/` do, and doc links point anywhere; neither is a dependency of the library.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level modules, by name, with the files each one holds (its depth below
/// `src/` counted as 1 for `src/x.rs` and `src/x/mod.rs`, 2 for `src/x/y.rs`, ...).
fn modules() -> BTreeMap<String, Vec<(PathBuf, usize)>> {
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(src()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if name == "bin" || name == "lib" {
            continue;
        }
        let mut files = Vec::new();
        if path.is_dir() {
            collect(&path, 1, &mut files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push((path, 1));
        } else {
            continue;
        }
        out.insert(name, files);
    }
    out
}

fn collect(dir: &Path, depth: usize, files: &mut Vec<(PathBuf, usize)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, depth + 1, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let nested = path.file_stem().is_some_and(|s| s != "mod");
            files.push((path, depth + usize::from(nested)));
        }
    }
}

/// The source without comments, string and character literals (each replaced by a
/// space), so that prose and doc links do not count as uses.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if rest.starts_with(b"/*") {
            let mut level = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    level += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    level -= 1;
                    i += 2;
                    if level == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if rest.starts_with(b"r#") || rest.starts_with(b"r\"") {
            let hashes = rest[1..].iter().take_while(|&&c| c == b'#').count();
            if rest.get(1 + hashes) != Some(&b'"') {
                out.push('r');
                i += 1;
                continue;
            }
            let mut end = Vec::from(&b"\""[..]);
            end.extend(std::iter::repeat_n(b'#', hashes));
            i += 2 + hashes;
            while i < b.len() && !b[i..].starts_with(&end) {
                i += 1;
            }
            i += end.len();
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if b[i] == b'\'' && (rest.get(1) == Some(&b'\\') || rest.get(2) == Some(&b'\'')) {
            // A character literal ('"', '\n', '\''); a lifetime has no closing quote.
            i += 2;
            while i < b.len() && b[i] != b'\'' {
                i += 1;
            }
            i += 1;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        out.push(' ');
    }
    out
}

const GATES: [&str; 2] = ["#[cfg(test)]", "#[cfg(doc)]"];

/// The code without the items behind a `#[cfg(test)]` or `#[cfg(doc)]` attribute: up
/// to the first `;` or, when a `{` comes first, to its matching `}`.
fn without_gated_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some((pos, gate)) = GATES
        .iter()
        .filter_map(|g| rest.find(g).map(|p| (p, g)))
        .min()
    {
        out.push_str(&rest[..pos]);
        rest = &rest[pos + gate.len()..];
        let mut level = 0;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                ';' if level == 0 => {
                    end = i + 1;
                    break;
                }
                '{' => level += 1,
                '}' => {
                    level -= 1;
                    if level == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The names of the `#[cfg(test)] mod x;` declarations: files that only tests compile.
fn gated_modules(code: &str) -> Vec<String> {
    code.split("#[cfg(test)]")
        .skip(1)
        .filter_map(|after| {
            let after = after.trim_start();
            let name = ident_at(after.strip_prefix("mod ")?.trim_start());
            let tail = after["mod ".len()..].trim_start()[name.len()..].trim_start();
            tail.starts_with(';').then(|| name.to_owned())
        })
        .collect()
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first segments after `crate::` (expanding `crate::{a::.., b}`), and after a
/// `super::` chain long enough to reach the crate root from a file at `depth`.
fn roots(code: &str, depth: usize) -> Vec<String> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(pos) = code[at..].find("crate::").map(|p| p + at) {
        at = pos + "crate::".len();
        let before = code[..pos].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        group_roots(&code[at..], &mut found);
    }
    at = 0;
    while let Some(pos) = code[at..].find("super::").map(|p| p + at) {
        let mut rest = &code[pos..];
        let mut supers = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            supers += 1;
            rest = r.trim_start();
        }
        at = code.len() - rest.len();
        if supers >= depth {
            group_roots(rest, &mut found);
        }
    }
    found
}

/// `x::..` gives `x`; `{a::.., b, c::{..}}` gives `a`, `b` and `c`.
fn group_roots(rest: &str, found: &mut Vec<String>) {
    let rest = rest.trim_start();
    if let Some(inner) = rest.strip_prefix('{') {
        let mut level = 0;
        let mut item_start = true;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => level += 1,
                '}' if level == 0 => break,
                '}' => level -= 1,
                ',' if level == 0 => item_start = true,
                c if c.is_whitespace() => {}
                _ if item_start && level == 0 => {
                    found.push(ident_at(&inner[i..]).to_owned());
                    item_start = false;
                }
                _ => {}
            }
        }
    } else {
        found.push(ident_at(rest).to_owned());
    }
}

/// `pub use x::{A, B};` in `src/lib.rs`: the name `A` at the root belongs to `x`.
fn reexports(lib: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for item in lib.split(';') {
        let Some(path) = item.trim().strip_prefix("pub use ") else {
            continue;
        };
        let module = ident_at(path);
        if !modules.contains(module) {
            continue;
        }
        let names = path[module.len()..].trim_start_matches("::");
        let names = names.trim_start_matches('{').trim_end_matches('}');
        for name in names.split(',') {
            let name = name.trim();
            let name = name.rsplit(" as ").next().unwrap_or(name);
            let name = name.rsplit("::").next().unwrap_or(name);
            if name.is_empty() {
                continue;
            }
            out.insert(name.to_owned(), module.to_owned());
        }
    }
    out
}

fn graph() -> Graph {
    let modules = modules();
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let lib = code_only(&fs::read_to_string(src().join("lib.rs")).unwrap());
    let reexported = reexports(&lib, &names);
    let mut graph = Graph::new();
    for (name, files) in &modules {
        let uses = graph.entry(name.clone()).or_default();
        let test_only: BTreeSet<PathBuf> = files
            .iter()
            .flat_map(|(file, _)| {
                let code = code_only(&fs::read_to_string(file).unwrap());
                let dir = file.parent().unwrap().to_owned();
                let own_dir = file.with_extension("");
                gated_modules(&code).into_iter().flat_map(move |m| {
                    [dir.join(format!("{m}.rs")), own_dir.join(format!("{m}.rs"))]
                })
            })
            .collect();
        for (file, depth) in files {
            if test_only.contains(file) {
                continue;
            }
            let code = without_gated_items(&code_only(&fs::read_to_string(file).unwrap()));
            for root in roots(&code, *depth) {
                let target = if names.contains(&root) {
                    Some(&root)
                } else {
                    reexported.get(&root)
                };
                if let Some(target) = target.filter(|t| *t != name) {
                    uses.insert(target.clone());
                }
            }
        }
    }
    graph
}

/// A cycle, as the modules on it with the first repeated at the end, if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        graph: &Graph,
        node: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(graph, next, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(graph, node, &mut Vec::new(), &mut done))
}

/// The numbered items of the "# Layers" section of `src/lib.rs`: each item names its
/// modules in backticks before its first `: `.
fn layers() -> BTreeMap<String, usize> {
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap();
    let section = lib
        .split("//! # Layers")
        .nth(1)
        .expect("src/lib.rs has a # Layers section");
    let section = section.split("//! # ").next().unwrap();
    let mut out = BTreeMap::new();
    for line in section.lines() {
        let line = line.trim_start_matches("//!").trim();
        let Some((number, item)) = line.split_once(". ") else {
            continue;
        };
        let Ok(layer) = number.parse::<usize>() else {
            continue;
        };
        let head = item.split(": ").next().unwrap();
        for (i, part) in head.split('`').enumerate() {
            if i % 2 == 1 {
                let previous = out.insert(part.to_owned(), layer);
                assert!(
                    previous.is_none_or(|p| p == layer),
                    "`{part}` is listed in two layers"
                );
            }
        }
    }
    out
}

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = graph();
    if let Some(cycle) = find_cycle(&graph) {
        panic!("module cycle in src/: {}", cycle.join(" -> "));
    }
}

#[test]
fn each_module_uses_only_earlier_layers() {
    let graph = graph();
    let layers = layers();
    let mut wrong = Vec::new();
    for (module, uses) in &graph {
        let Some(&layer) = layers.get(module) else {
            wrong.push(format!("`{module}` is in no layer of src/lib.rs"));
            continue;
        };
        for used in uses {
            let Some(&used_layer) = layers.get(used) else {
                continue;
            };
            if used_layer > layer {
                wrong.push(format!(
                    "`{module}` (layer {layer}) uses `{used}` (layer {used_layer})"
                ));
            }
        }
    }
    for listed in layers.keys() {
        if !graph.contains_key(listed) {
            wrong.push(format!("src/lib.rs lists `{listed}`, which is no module"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Prints the graph, layer by layer (`cargo test --test it modules -- --nocapture`).
#[test]
fn print_the_module_graph() {
    let layers = layers();
    let mut rows: Vec<_> = graph().into_iter().collect();
    rows.sort_by_key(|(m, _)| (layers.get(m).copied().unwrap_or(0), m.clone()));
    for (module, uses) in rows {
        let uses: Vec<_> = uses.into_iter().collect();
        let layer = layers
            .get(&module)
            .map_or("-".to_owned(), |l| l.to_string());
        println!("{layer:>2} {module:<12} -> {}", uses.join(", "));
    }
}

#[test]
fn the_reader_sees_through_comments_groups_and_super() {
    let code = code_only(
        "use crate::{a::X, b, c::{d, e}}; // crate::f\n\
         /* crate::g */ let s = \"crate::h\"; let c = '\"'; crate::i::j();\n",
    );
    let mut found = roots(&code, 1);
    found.sort();
    assert_eq!(found, ["a", "b", "c", "i"]);
    assert_eq!(roots("use super::super::k;", 2), ["k"]);
    let gated = "#[cfg(test)] mod t { use crate::x; }\n#[cfg(doc)]\nuse crate::y;\n\
                 #[cfg(test)]\nmod testing;\nuse crate::z;";
    assert_eq!(roots(&without_gated_items(gated), 1), ["z"]);
    assert_eq!(gated_modules(gated), ["testing"]);
    assert!(roots("use super::k;", 2).is_empty());
    let graph = Graph::from([
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]);
    assert_eq!(find_cycle(&graph).unwrap(), ["a", "b", "a"]);
}
