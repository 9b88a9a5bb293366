//! The architecture of a crate, read from its source: its top-level modules, which of them each
//! imports, the import cycles, and whether the modules form the layers the crate declares.
//! Used by the architecture tests of `core` and of the emulator (`tests/layers.rs` in each).
//!
//! A module that mentions `crate::x` (in a `use` or in a path) depends on `x`; `crate::Name`
//! re-exported by `lib.rs` counts as the module that defines it. Test code (`#[cfg(test)]`)
//! and comments are not counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules and, for each, the top-level modules it depends on.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// The code of a file without test code and comments: everything from a `#[cfg(test)]` on is
/// dropped (test modules come last; test-only files are skipped by the caller), and so are
/// comment lines (a doc link is not an import).
fn non_test_code(text: &str) -> String {
    let code = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `mod x;` declarations of `lib.rs` (test-only ones excluded) and its `pub use x::{A, B}`
/// re-exports (name -> module).
fn crate_root(src: &Path) -> (BTreeSet<String>, BTreeMap<String, String>) {
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let mut modules = BTreeSet::new();
    let mut test_only = false;
    for line in lib.lines() {
        let line = line.trim();
        if line.starts_with("#[cfg(test)]") {
            test_only = true;
            continue;
        }
        let declared = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("pub(crate) mod "))
            .or_else(|| line.strip_prefix("mod "))
            .and_then(|rest| rest.strip_suffix(';'));
        if let Some(name) = declared {
            if !test_only {
                modules.insert(name.to_owned());
            }
        }
        if !line.starts_with("#[") {
            test_only = false;
        }
    }
    let mut exports = BTreeMap::new();
    let mut rest = lib.as_str();
    while let Some(i) = rest.find("pub use ") {
        rest = &rest[i + "pub use ".len()..];
        let end = rest.find(';').unwrap_or(rest.len());
        let item = &rest[..end];
        let module = item.split("::").next().unwrap_or_default().trim().to_owned();
        let names = item.split_once("::").map_or("", |(_, tail)| tail);
        for name in names
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|n| !n.is_empty())
        {
            exports.insert(name.to_owned(), module.clone());
        }
        rest = &rest[end..];
    }
    (modules, exports)
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a source directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The top-level modules a piece of code mentions through `crate::`, including the names of
/// `use crate::{a, b::c}` groups.
pub fn mentioned(code: &str, modules: &BTreeSet<String>, exports: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut resolve = |name: &str| {
        if modules.contains(name) {
            found.insert(name.to_owned());
        } else if let Some(module) = exports.get(name) {
            found.insert(module.clone());
        }
    };
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, D}`: the first segment of each member.
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(group.len(), |(j, _)| j);
            let mut level = 0;
            let mut member_start = true;
            let mut current = String::new();
            for c in group[..end].chars() {
                match c {
                    '{' => level += 1,
                    '}' => level -= 1,
                    ',' if level == 0 => {
                        if !current.is_empty() {
                            resolve(&current);
                            current.clear();
                        }
                        member_start = true;
                        continue;
                    }
                    _ => {}
                }
                if level == 0 && member_start {
                    if c.is_alphanumeric() || c == '_' {
                        current.push(c);
                        continue;
                    }
                    if !current.is_empty() {
                        resolve(&current);
                        current.clear();
                        member_start = false;
                    }
                }
            }
            if !current.is_empty() {
                resolve(&current);
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            resolve(&name);
        }
    }
    found
}

/// The dependency graph of the top-level modules of the crate whose source directory (the one
/// holding `lib.rs`) is `src`.
pub fn graph(src: &Path) -> Graph {
    let (modules, exports) = crate_root(src);
    let mut graph: Graph = modules.iter().map(|m| (m.clone(), BTreeSet::new())).collect();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        let Some(deps) = graph.get_mut(&top) else {
            continue; // lib.rs, main.rs, test-only modules
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for dep in mentioned(&non_test_code(&text), &modules, &exports) {
            if dep != top {
                deps.insert(dep);
            }
        }
    }
    graph
}

/// The strongly connected components with more than one module (Tarjan): the import cycles.
pub fn cycles(graph: &Graph) -> Vec<BTreeSet<String>> {
    struct Walk<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<BTreeSet<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = BTreeSet::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.insert(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

/// Where `graph` breaks `layers` (bottom up, each in the order its modules may build on one
/// another): a module importing one that is not below it, a module in no layer (`hint` says
/// where to add it), a layer naming a module the crate does not declare.
pub fn layering_problems(graph: &Graph, layers: &[(&str, &[&str])], hint: &str) -> Vec<String> {
    // (layer, position in the bottom-up order) of each module.
    let mut rank = BTreeMap::new();
    for (layer, (_, modules)) in layers.iter().enumerate() {
        for module in *modules {
            rank.insert(*module, (layer, rank.len()));
        }
    }
    let mut problems = Vec::new();
    for (module, deps) in graph {
        let Some(&(own_layer, own)) = rank.get(module.as_str()) else {
            problems.push(format!("{module} is in no layer ({hint})"));
            continue;
        };
        for dep in deps {
            match rank.get(dep.as_str()) {
                Some(&(_, position)) if position < own => {}
                Some(&(layer, _)) => problems.push(format!(
                    "{module} ({}) imports {dep} ({}), which is not below it",
                    layers[own_layer].0, layers[layer].0
                )),
                None => problems.push(format!("{dep} is in no layer")),
            }
        }
    }
    for module in rank.keys() {
        if !graph.contains_key(*module) {
            problems.push(format!("the layers name {module}, which lib.rs does not declare"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dependency_reader_sees_groups_paths_and_re_exports() {
        let modules: BTreeSet<String> = ["a", "b", "c", "d"].iter().map(|s| (*s).to_owned()).collect();
        let exports: BTreeMap<String, String> = [("Thing".to_owned(), "d".to_owned())].into();
        let code = "use crate::{a::X, b};\nfn f() { crate::c::g(); crate::Thing::new(); crate::unknown(); }";
        let found: Vec<String> = mentioned(code, &modules, &exports).into_iter().collect();
        assert_eq!(found, ["a", "b", "c", "d"]);
        let group = "use crate::{a, b::{X, Y}, c, Thing};";
        let found: Vec<String> = mentioned(group, &modules, &exports).into_iter().collect();
        assert_eq!(found, ["a", "b", "c", "d"], "every member of a group");
        let mut g = Graph::new();
        g.insert("a".into(), ["b".to_owned()].into());
        g.insert("b".into(), ["a".to_owned()].into());
        g.insert("c".into(), ["a".to_owned()].into());
        assert_eq!(cycles(&g), vec![BTreeSet::from(["a".to_owned(), "b".to_owned()])]);
    }
}
