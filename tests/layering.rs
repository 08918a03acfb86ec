//! The layer rule of ARCHITECTURE.md: a module of `src/` imports only the
//! modules listed above it in the layer table (or itself). This test reads
//! the table, every `crate::` path of every source file (re-exports
//! resolved, comments, re-export lines and `#[cfg(test)] mod tests`
//! skipped) and fails on an import that points up, or on a module the
//! table does not list.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The modules of the layer table, bottom first.
fn layers(architecture: &str) -> Vec<String> {
    let marker = "<!-- layers:";
    let start = architecture
        .find(marker)
        .expect("ARCHITECTURE.md has no layer table marker");
    let rest = &architecture[start..];
    let open = rest.find("```").expect("no fenced block after the marker");
    let body = &rest[open..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let close = body.find("```").expect("unterminated layer table");
    body[..close]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .collect()
}

/// The module path of a source file: `src/a/b.rs` and `src/a/b/mod.rs` are
/// `a::b`; `src/lib.rs` is the root, "".
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts.join("::")
}

fn file_of(src: &Path, module: &str) -> Option<PathBuf> {
    if module.is_empty() {
        return Some(src.join("lib.rs"));
    }
    let base = src.join(module.replace("::", "/"));
    [base.with_extension("rs"), base.join("mod.rs")]
        .into_iter()
        .find(|p| p.is_file())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file as the checker sees it: without comment lines and
/// without the inline unit tests.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") && lines.peek().is_some_and(|n| n.trim() == "mod tests {")
        {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Splits a `use` tree (`a::{b, c::{d, e as f}}`) into full paths.
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if tree.is_empty() {
        return;
    }
    if let Some(open) = tree.find('{') {
        let head = &tree[..open];
        let inner = &tree[open + 1..tree.rfind('}').unwrap()];
        let mut depth = 0;
        let mut part = String::new();
        for ch in inner.chars().chain([',']) {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    let p = part.trim();
                    if p == "self" {
                        out.push(format!("{prefix}{}", head.trim_end_matches("::")));
                    } else {
                        expand(&format!("{prefix}{head}"), p, out);
                    }
                    part.clear();
                    continue;
                }
                _ => {}
            }
            part.push(ch);
        }
    } else {
        let path = tree.split(" as ").next().unwrap().trim();
        out.push(format!("{prefix}{path}"));
    }
}

/// Every `crate::` path of the code, and whether it is a re-export line.
fn crate_paths(code: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut at = 0;
    while let Some(found) = code[at..].find("crate::") {
        let start = at + found;
        at = start + "crate::".len();
        // `crate::` inside an identifier (`sealwire_crate::`) is not ours.
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue;
        }
        let line_start = code[..start].rfind('\n').map_or(0, |i| i + 1);
        let statement = code[line_start..start].trim_start();
        let reexport = statement.starts_with("pub use") || statement.starts_with("pub(crate) use");
        // The use tree or path that follows.
        let mut end = at;
        let mut depth = 0;
        while end < bytes.len() {
            let c = bytes[end];
            match c {
                b'{' => depth += 1,
                b'}' if depth > 0 => depth -= 1,
                _ if depth > 0 => {}
                c if c.is_ascii_alphanumeric() || c == b'_' || c == b':' => {}
                _ => break,
            }
            end += 1;
        }
        let tree = code[at..end].trim_end_matches(':');
        let mut paths = Vec::new();
        expand("", tree, &mut paths);
        out.extend(paths.into_iter().map(|p| (p, reexport)));
    }
    out
}

/// The names a facade file (lib.rs or a mod.rs) re-exports, and the path
/// (from the crate root) each one comes from.
fn reexports(src: &Path, module: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let Some(file) = file_of(src, module) else {
        return map;
    };
    let text = code(&fs::read_to_string(file).unwrap());
    for statement in text.split(';') {
        let s = statement.trim();
        let Some(tree) = s
            .strip_prefix("pub use ")
            .or_else(|| s.strip_prefix("pub(crate) use "))
        else {
            continue;
        };
        let mut leaves = Vec::new();
        collect_named(tree, &mut leaves);
        for (path, name) in leaves {
            let full = if let Some(p) = path.strip_prefix("crate::") {
                p.to_owned()
            } else if module.is_empty() {
                path
            } else {
                format!("{module}::{}", path.trim_start_matches("self::"))
            };
            map.insert(name, full);
        }
    }
    map
}

/// Like [`expand`], keeping the name each path is imported as.
fn collect_named(tree: &str, out: &mut Vec<(String, String)>) {
    let mut paths = Vec::new();
    let flat = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    // Aliases: expand keeps the path before ` as `; find the alias here.
    expand("", &flat.replace(" as ", "#as#"), &mut paths);
    for p in paths {
        let (path, alias) = match p.split_once("#as#") {
            Some((path, alias)) => (path.to_owned(), alias.to_owned()),
            None => {
                let name = p.rsplit("::").next().unwrap().to_owned();
                (p, name)
            }
        };
        out.push((path, alias));
    }
}

struct Table {
    src: PathBuf,
    order: Vec<String>,
    facades: BTreeMap<String, BTreeMap<String, String>>,
}

impl Table {
    fn new(src: &Path, order: Vec<String>) -> Self {
        let mut facades = BTreeMap::new();
        facades.insert(String::new(), reexports(src, ""));
        for unit in &order {
            facades.insert(unit.clone(), reexports(src, unit));
        }
        Self {
            src: src.to_owned(),
            order,
            facades,
        }
    }

    /// The longest listed prefix of a module path.
    fn unit_of(&self, module: &str) -> Option<&str> {
        let segments: Vec<&str> = module.split("::").collect();
        (1..=segments.len())
            .rev()
            .map(|n| segments[..n].join("::"))
            .find_map(|p| self.order.iter().find(|u| **u == p).map(String::as_str))
    }

    /// The unit a `crate::` path lands in, through re-exports.
    fn resolve(&self, path: &str, depth: usize) -> Result<String, String> {
        assert!(depth < 16, "re-export loop at {path}");
        let segments: Vec<&str> = path.split("::").collect();
        let Some(unit) = self.unit_of(path) else {
            // A root re-export (`crate::Session`).
            let first = segments[0];
            return match self.facades[""].get(first) {
                Some(target) => {
                    let rest = segments[1..]
                        .iter()
                        .fold(target.clone(), |acc, s| acc + "::" + s);
                    self.resolve(&rest, depth + 1)
                }
                None if file_of(&self.src, first).is_some() => {
                    Err(format!("module `{first}` is not in the layer table"))
                }
                None => Err(format!("cannot resolve `crate::{path}`")),
            };
        };
        let depth_of_unit = unit.split("::").count();
        if let Some(next) = segments.get(depth_of_unit)
            && let Some(target) = self.facades.get(unit).and_then(|f| f.get(*next))
            && target != path
            && self.unit_of(target) != Some(unit)
        {
            let rest = segments[depth_of_unit + 1..]
                .iter()
                .fold(target.clone(), |acc, s| acc + "::" + s);
            return self.resolve(&rest, depth + 1);
        }
        Ok(unit.to_owned())
    }

    /// The upward imports of one file's code.
    fn violations(&self, module: &str, code: &str) -> Vec<String> {
        let Some(own) = self.unit_of(module) else {
            return vec![format!("module `{module}` is not in the layer table")];
        };
        let own_rank = self.order.iter().position(|u| u == own).unwrap();
        let mut out = Vec::new();
        for (path, reexport) in crate_paths(code) {
            if reexport {
                continue;
            }
            match self.resolve(&path, 0) {
                Ok(target) => {
                    let rank = self.order.iter().position(|u| *u == target).unwrap();
                    if rank > own_rank {
                        out.push(format!(
                            "`{module}` imports `crate::{path}` (layer `{target}`, above `{own}`)"
                        ));
                    }
                }
                Err(e) => out.push(format!("`{module}`: {e}")),
            }
        }
        out
    }
}

fn table() -> Table {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let architecture = fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    Table::new(&root.join("src"), layers(&architecture))
}

#[test]
fn imports_only_point_down() {
    let table = table();
    let mut files = Vec::new();
    rust_files(&table.src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    for file in &files {
        let module = module_of(&table.src, file);
        if module.is_empty() {
            continue; // lib.rs: declarations and the public facade
        }
        let text = fs::read_to_string(file).unwrap();
        violations.extend(table.violations(&module, &code(&text)));
    }
    assert!(
        violations.is_empty(),
        "imports that break the layer order of ARCHITECTURE.md:\n  {}",
        violations.join("\n  ")
    );
}

#[test]
fn the_checker_sees_upward_imports() {
    let table = table();
    // A primitive importing a session, through the root and directly.
    let up = "use crate::Session;\nfn f() { crate::session::record::x(); }\n";
    assert_eq!(table.violations("kdf", up).len(), 2);
    // Grouped paths, re-exports through an area facade.
    let grouped = "use crate::{error::DecodeError, wire::{Message, codec::Reader}};\n";
    assert!(table.violations("wire::header", grouped).len() == 1);
    assert!(table.violations("franking::relay", grouped).is_empty());
    // Comments, re-export lines and inline tests are not imports.
    let skipped = "// use crate::Session;\npub(crate) use crate::Session;\n\
                   #[cfg(test)]\nmod tests {\n    use crate::Session;\n}\n";
    assert!(table.violations("kdf", &code(skipped)).is_empty());
    // A module the table does not list.
    assert_eq!(table.violations("nowhere", "").len(), 1);
}
