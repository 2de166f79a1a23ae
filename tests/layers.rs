//! The architecture test: the house stays the way the book draws it.
//!
//! Explained in: book "Architecture" (the module map) and the style guide's §13.
//!
//! It reads every `.rs` file under `src/` as text, resolves each `crate::…` and `super::…` path
//! it names to a module, and fails when
//! - a module imports one in a higher layer (`bin → server → netlayer → commands → persistence →
//!   engine → protocol`, with `config`, `log` and `sys` as leaves beside `protocol`);
//! - two modules import each other, directly or round a longer loop: between the layers, and
//!   between the files and folders of one folder (`persistence::aof` and `persistence::rewrite`,
//!   say). A parent's `mod.rs` may name its children and a child may use its parent: that is the
//!   tree itself, not a loop. The one declared exception is the knot of [`KNOTS`], files of one
//!   state that refer to each other by nature and count as one module;
//! - a file has more than [`MAX_LINES`] lines before its `#[cfg(test)]` module.
//!
//! Text, not the compiler's view: `use` trees are expanded (`a::{b, c}`), and a name a folder
//! re-exports (`pub use shared::Shared;` in `commands/mod.rs`) counts as the child it comes from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Most lines a file of `src/` may have before its tests.
const MAX_LINES: usize = 600;

/// The layers, lowest first. A module may use its own layer's modules and any lower layer's.
const LAYERS: &[&[&str]] = &[
    &["protocol", "config", "log", "sys"],
    &["engine"],
    &["persistence"],
    &["commands"],
    &["netlayer"],
    &["server"],
    &["bin"],
];

/// Siblings that count as one module for the loop rule. The server's shared state (`Shared`),
/// a client's state (`ClientContext`), the command table whose handlers take both, and the
/// machinery every command passes through (blocked and paused clients, Pub/Sub delivery, the
/// counters, client-side caching) refer to each other by nature: `Shared` holds the `Registry`,
/// whose handlers take `&Shared`. Go keeps such a knot in one package; here it is split into
/// files for reading, and the rule is that nothing else joins it: `handlers`, `effects`,
/// `clients`, `limits` and `errors` use the knot and it uses none of them but the last three.
/// The ACL belongs to it as the counters do: `Shared` holds the users, a `ClientContext` its
/// user, the dispatcher asks it about every command, and it reads the registry's entries to
/// answer.
const KNOTS: &[(&str, &[&str])] = &[(
    "commands",
    &[
        "shared",
        "dispatcher",
        "client",
        "registry",
        "blocking",
        "pause",
        "pubsub",
        "stats",
        "acl",
        "tracking",
        "scripting",
    ],
)];

/// The name a sibling goes by in the loop rule: its own, or its knot's.
fn room(folder: &[String], child: &str) -> String {
    for (at, members) in KNOTS {
        if folder.len() == 1 && folder[0] == *at && members.contains(&child) {
            return format!("{{{}}}", members.join(", "));
        }
    }
    child.to_string()
}

/// The log macros, exported at the crate root but belonging to `log`.
const LOG_MACROS: &[&str] = &["info", "warn", "verbose", "debug"];

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&top))
}

/// One source file: its module path (`["commands", "handlers", "lists"]`) and its text.
struct Source {
    file: PathBuf,
    module: Vec<String>,
    text: String,
}

/// A file's module: `commands/dispatcher.rs` and `commands/mod.rs` are `commands::dispatcher`
/// and `commands`; every binary is the one module `bin`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("a file under src/");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs").to_string();
    if parts.first().map(String::as_str) == Some("bin") {
        // Every binary is the top layer; its own files are one module.
        return vec!["bin".to_string()];
    }
    if stem != "mod" && stem != "lib" {
        parts.push(stem);
    }
    parts
}

fn sources(src: &Path) -> Vec<Source> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("reading src/") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("reading a source file");
                let module = module_of(src, &path);
                out.push(Source {
                    file: path,
                    module,
                    text,
                });
            }
        }
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// The text before the file's test module: what the size rule counts, and what the layer rule
/// reads (tests may reach wherever they like).
fn code_part(text: &str) -> &str {
    let mut at = 0;
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines.peek().is_some_and(|next| {
                next.trim_start().starts_with("mod ") && next.trim_end().ends_with('{')
            })
        {
            return &text[..at];
        }
        at += line.len();
    }
    text
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The words of the path that starts at `rest` (`a::b::{c, d}` gives `a`, `b`), stopping before
/// braces, globs and the path's end.
fn path_words(rest: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut s = rest;
    loop {
        let end = s.find(|c: char| !is_word(c)).unwrap_or(s.len());
        if end == 0 {
            break;
        }
        words.push(s[..end].to_string());
        s = &s[end..];
        if let Some(next) = s.strip_prefix("::") {
            s = next;
        } else {
            if s.starts_with('!') {
                words.push("!".to_string());
            }
            break;
        }
    }
    words
}

/// The paths a `use` tree stands for: `a::{b, c::{d, e}}` is `a::b`, `a::c::d` and `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim().trim_end_matches(';').trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.to_string()];
    };
    let prefix = &tree[..open];
    let inner = tree[open + 1..]
        .trim_end()
        .strip_suffix('}')
        .unwrap_or(&tree[open + 1..]);
    // Split the group at its top-level commas.
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| expand(p).into_iter().map(|rest| format!("{prefix}{rest}")))
        .collect()
}

/// The `use` declarations of a file's code, each as one string, however many lines it spans.
fn use_trees(code: &str) -> Vec<String> {
    let mut trees = Vec::new();
    let mut current: Option<String> = None;
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        if let Some(tree) = current.as_mut() {
            tree.push_str(line);
        } else if let Some(rest) = ["pub use ", "pub(crate) use ", "use "]
            .iter()
            .find_map(|p| line.strip_prefix(p))
        {
            current = Some(rest.to_string());
        }
        if current.as_ref().is_some_and(|t| t.ends_with(';')) {
            trees.extend(current.take());
        }
    }
    trees
}

/// Every module path `source` names, resolved to absolute words from the crate root.
fn references(source: &Source) -> Vec<Vec<String>> {
    let code = code_part(&source.text);
    let mut out = Vec::new();
    for tree in use_trees(code) {
        for path in expand(&tree) {
            if let Some(rest) = path.strip_prefix("crate::") {
                out.push(path_words(rest));
            } else if path.starts_with("super::") {
                // Each `super` climbs one module: from `commands::dispatcher` (a file) or
                // `commands::handlers` (a folder's `mod.rs`) alike, to `commands`.
                let mut base = source.module.clone();
                let mut rest = path.as_str();
                while let Some(next) = rest.strip_prefix("super::") {
                    base.pop();
                    rest = next;
                }
                base.extend(path_words(rest));
                out.push(base);
            }
        }
    }
    // Paths written out in the code itself, and the log macros.
    for line in code.lines() {
        let code = line.split("//").next().unwrap_or("");
        let trimmed = code.trim_start();
        if trimmed.starts_with("use ")
            || trimmed.starts_with("pub use ")
            || trimmed.starts_with("pub(crate) use ")
        {
            continue;
        }
        for (at, _) in code.match_indices("super::") {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| is_word(c) || c == ':') {
                continue; // `super::super::` is read from its first `super`
            }
            let mut base = source.module.clone();
            let mut rest = &code[at..];
            while let Some(next) = rest.strip_prefix("super::") {
                base.pop();
                rest = next;
            }
            base.extend(path_words(rest));
            out.push(base);
        }
        for (at, _) in code.match_indices("crate::") {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| is_word(c) && c != '$') {
                continue;
            }
            let mut words = path_words(&code[at + "crate::".len()..]);
            if words.len() >= 2 && words[1] == "!" && LOG_MACROS.contains(&words[0].as_str()) {
                words = vec!["log".to_string()];
            }
            if !words.is_empty() && words.last().map(String::as_str) != Some("!") {
                out.push(words);
            }
        }
    }
    out
}

/// The child of `parent` that `path` lies in, if `path` is below `parent`.
fn child_below<'a>(parent: &[String], path: &'a [String]) -> Option<&'a str> {
    (path.len() > parent.len() && path[..parent.len()] == *parent)
        .then(|| path[parent.len()].as_str())
}

/// The modules this tree has, as paths: every file's module and every folder on the way.
fn known_modules(sources: &[Source]) -> BTreeSet<Vec<String>> {
    let mut known = BTreeSet::new();
    for s in sources {
        for n in 1..=s.module.len() {
            known.insert(s.module[..n].to_vec());
        }
    }
    known
}

/// The modules of the tree, and what each folder re-exports from its children: in
/// `commands/mod.rs`, `pub use shared::Shared;` makes `commands::Shared` the module
/// `commands::shared`.
struct Tree {
    modules: BTreeSet<Vec<String>>,
    reexports: BTreeMap<(Vec<String>, String), String>,
}

fn tree_of(sources: &[Source]) -> Tree {
    let modules = known_modules(sources);
    let mut reexports = BTreeMap::new();
    for s in sources {
        for line in code_part(&s.text).lines() {
            let Some(path) = line.trim().strip_prefix("pub use ") else {
                continue;
            };
            let path = path.trim_end_matches(';');
            let Some((child, names)) = path.split_once("::") else {
                continue;
            };
            let mut below = s.module.clone();
            below.push(child.to_string());
            if !modules.contains(&below) {
                continue; // `pub use crate::...`: not one of this folder's children
            }
            let names = names.trim_start_matches('{').trim_end_matches('}');
            for name in names.split(',') {
                let name = name.trim().rsplit("::").next().unwrap_or("").trim();
                if !name.is_empty() {
                    reexports.insert((s.module.clone(), name.to_string()), child.to_string());
                }
            }
        }
    }
    Tree { modules, reexports }
}

/// Cuts `words` to the module they name: the longest prefix that is a module of the tree
/// (`commands::registry::flags` is `commands::registry`), followed through a re-export
/// (`commands::Shared` is `commands::shared`).
fn as_module(words: &[String], tree: &Tree) -> Vec<String> {
    let Some(mut module) = (1..=words.len())
        .rev()
        .map(|n| words[..n].to_vec())
        .find(|prefix| tree.modules.contains(prefix))
    else {
        return Vec::new();
    };
    if let Some(next) = words.get(module.len())
        && let Some(child) = tree.reexports.get(&(module.clone(), next.clone()))
    {
        module.push(child.clone());
    }
    module
}

/// Every edge between sibling modules: (the folder, from-child, to-child), with the file that
/// makes it. An edge into an ancestor (a child using its parent) is the tree, and is skipped.
type Edges = BTreeMap<(Vec<String>, String, String), PathBuf>;

fn sibling_edges(sources: &[Source], known: &Tree) -> Edges {
    let mut edges = Edges::new();
    for s in sources {
        for words in references(s) {
            let target = as_module(&words, known);
            if target.is_empty() {
                continue;
            }
            // The deepest folder holding both ends; the edge runs between its children.
            let common = s
                .module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            let folder = s.module[..common].to_vec();
            let (Some(from), Some(to)) = (
                child_below(&folder, &s.module),
                child_below(&folder, &target),
            ) else {
                continue; // one end is the folder itself: a parent and its child
            };
            let (from, to) = (room(&folder, from), room(&folder, to));
            if from != to {
                edges
                    .entry((folder, from, to))
                    .or_insert_with(|| s.file.clone());
            }
        }
    }
    edges
}

/// A loop among the siblings of one folder, if there is one, as the names round it.
fn find_cycle(edges: &Edges) -> Option<(Vec<String>, Vec<String>)> {
    find_cycles(edges).into_iter().next()
}

/// One loop for every folder that has any.
fn find_cycles(edges: &Edges) -> Vec<(Vec<String>, Vec<String>)> {
    let mut found = Vec::new();
    let mut by_folder: BTreeMap<&Vec<String>, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    for (folder, from, to) in edges.keys() {
        by_folder
            .entry(folder)
            .or_default()
            .entry(from.as_str())
            .or_default()
            .push(to.as_str());
    }
    for (folder, graph) in by_folder {
        // Depth-first search with the path on a stack; a node met again on the path closes a loop.
        fn visit<'a>(
            node: &'a str,
            graph: &BTreeMap<&'a str, Vec<&'a str>>,
            path: &mut Vec<&'a str>,
            done: &mut BTreeSet<&'a str>,
        ) -> Option<Vec<String>> {
            if let Some(at) = path.iter().position(|n| *n == node) {
                let mut cycle: Vec<String> = path[at..].iter().map(|s| s.to_string()).collect();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            if !done.insert(node) {
                return None;
            }
            path.push(node);
            for next in graph.get(node).into_iter().flatten() {
                if let Some(c) = visit(next, graph, path, done) {
                    return Some(c);
                }
            }
            path.pop();
            None
        }
        let mut done = BTreeSet::new();
        for node in graph.keys() {
            if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
                found.push((folder.clone(), cycle));
                break;
            }
        }
    }
    found
}

fn upward_imports(sources: &[Source], known: &Tree) -> Vec<String> {
    let mut bad = Vec::new();
    for s in sources {
        let Some(from) = s.module.first().and_then(|top| layer_of(top)) else {
            continue; // lib.rs: the crate root declares every layer
        };
        for words in references(s) {
            let target = as_module(&words, known);
            let Some(to) = target.first().and_then(|top| layer_of(top)) else {
                continue;
            };
            if to > from {
                bad.push(format!(
                    "{} ({}) imports {} ({}), a higher layer",
                    s.file.display(),
                    s.module.join("::"),
                    words.join("::"),
                    target[0]
                ));
            }
        }
    }
    bad
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_module_imports_a_higher_layer() {
    let sources = sources(&src_dir());
    let known = tree_of(&sources);
    let bad = upward_imports(&sources, &known);
    assert!(bad.is_empty(), "upward imports:\n{}", bad.join("\n"));
}

#[test]
fn no_two_modules_import_each_other() {
    let sources = sources(&src_dir());
    let known = tree_of(&sources);
    let edges = sibling_edges(&sources, &known);
    let mut report = Vec::new();
    for (folder, cycle) in find_cycles(&edges) {
        let name = if folder.is_empty() {
            "crate".to_string()
        } else {
            folder.join("::")
        };
        report.push(format!(
            "a loop among the modules of {name}: {}",
            cycle.join(" → ")
        ));
        for pair in cycle.windows(2) {
            if let Some(file) = edges.get(&(folder.clone(), pair[0].clone(), pair[1].clone())) {
                report.push(format!(
                    "  {} → {} (in {})",
                    pair[0],
                    pair[1],
                    file.display()
                ));
            }
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn no_file_is_longer_than_the_limit_before_its_tests() {
    let mut long = Vec::new();
    for s in sources(&src_dir()) {
        let n = code_part(&s.text).lines().count();
        if n > MAX_LINES {
            long.push(format!("{}: {n} lines before its tests", s.file.display()));
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// The checks themselves, on made-up files: they must catch what they are for.
mod the_checks {
    use super::*;

    fn source(path: &str, text: &str) -> Source {
        let src = Path::new("/src");
        let file = src.join(path);
        let module = module_of(src, &file);
        Source {
            file,
            module,
            text: text.to_string(),
        }
    }

    #[test]
    fn an_upward_import_is_caught() {
        let tree = [
            source("server/mod.rs", "pub struct Server;\n"),
            source("commands/mod.rs", "pub mod dispatcher;\n"),
            source("commands/dispatcher.rs", "use crate::server::Server;\n"),
        ];
        let known = tree_of(&tree);
        let bad = upward_imports(&tree, &known);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].contains("server::Server"), "{bad:?}");
    }

    #[test]
    fn a_log_macro_belongs_to_log_and_a_test_module_is_not_read() {
        let tree = [
            source("log.rs", "fn write() {}\n"),
            source("sys/mod.rs", "fn f() { crate::info!(\"sys\", \"hi\"); }\n"),
            source(
                "protocol/mod.rs",
                "fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::server::Server;\n}\n",
            ),
            source("server/mod.rs", "pub struct Server;\n"),
        ];
        let known = tree_of(&tree);
        assert!(upward_imports(&tree, &known).is_empty());
        assert_eq!(references(&tree[1]), vec![vec!["log".to_string()]]);
    }

    #[test]
    fn two_siblings_that_import_each_other_are_caught() {
        let tree = [
            source("persistence/mod.rs", "pub mod aof;\npub mod rewrite;\n"),
            source("persistence/aof.rs", "use super::rewrite::start;\n"),
            source(
                "persistence/rewrite.rs",
                "use crate::persistence::aof::Inner;\n",
            ),
        ];
        let known = tree_of(&tree);
        let (folder, cycle) = find_cycle(&sibling_edges(&tree, &known)).expect("a loop");
        assert_eq!(folder, vec!["persistence".to_string()]);
        assert_eq!(cycle.first(), cycle.last());
        assert!(cycle.contains(&"aof".to_string()) && cycle.contains(&"rewrite".to_string()));
    }

    #[test]
    fn a_parent_naming_its_children_is_no_loop() {
        let tree = [
            source(
                "commands/mod.rs",
                "pub mod registry;\npub use registry::Registry;\n",
            ),
            source("commands/registry.rs", "use super::Context;\n"),
        ];
        let known = tree_of(&tree);
        assert!(find_cycle(&sibling_edges(&tree, &known)).is_none());
    }

    #[test]
    fn the_size_rule_stops_at_the_test_module() {
        let text = "a\nb\n#[cfg(test)]\nmod tests {\nc\n}\n";
        assert_eq!(code_part(text).lines().count(), 2);
    }
}
