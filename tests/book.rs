//! Keeps the book honest: every `{{#include}}` resolves to a real file and a non-empty anchored
//! region, every code fence is tagged, every chapter in `SUMMARY.md` exists, and every file and
//! function `walkthrough.md` names still exists. mdBook itself only warns about a missing
//! anchor; this test fails instead.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read book dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            markdown_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

fn chapters() -> Vec<PathBuf> {
    let mut files = Vec::new();
    markdown_files(&root().join("book/src"), &mut files);
    files.sort();
    assert!(!files.is_empty(), "the book has no chapters");
    files
}

/// Every `{{#include path[:anchor | :start:end]}}` in `text`.
fn includes(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{#include ") {
        let after = &rest[start + "{{#include ".len()..];
        let end = after.find("}}").expect("unterminated include");
        found.push(after[..end].trim().to_string());
        rest = &after[end..];
    }
    found
}

/// The lines strictly between `ANCHOR: name` and `ANCHOR_END: name`, as mdBook cuts them.
fn anchored_region(source: &str, name: &str) -> Option<String> {
    let is_marker = |line: &str, kind: &str| line.find(kind).is_some_and(|i| line[i + kind.len()..].trim() == name);
    let mut region = None::<Vec<&str>>;
    for line in source.lines() {
        if is_marker(line, "ANCHOR_END:") {
            return region.map(|r| r.join("\n"));
        }
        if is_marker(line, "ANCHOR:") {
            region = Some(Vec::new());
        } else if let Some(r) = region.as_mut()
            && !line.contains("ANCHOR:")
            && !line.contains("ANCHOR_END:")
        {
            r.push(line);
        }
    }
    None
}

#[test]
fn every_include_resolves_to_a_non_empty_region() {
    let mut checked = 0;
    for chapter in chapters() {
        let text = fs::read_to_string(&chapter).unwrap();
        for inc in includes(&text) {
            let mut parts = inc.splitn(2, ':');
            let rel = parts.next().unwrap();
            let selector = parts.next();
            let file = chapter.parent().unwrap().join(rel);
            let source = fs::read_to_string(&file)
                .unwrap_or_else(|_| panic!("{}: included file {} is missing", chapter.display(), rel));
            let region = match selector {
                None => source.clone(),
                Some(sel) if sel.chars().next().is_some_and(|c| c.is_ascii_digit()) || sel.starts_with(':') => {
                    let mut nums = sel.splitn(2, ':');
                    let lines: Vec<&str> = source.lines().collect();
                    let start = nums.next().and_then(|n| n.parse::<usize>().ok()).unwrap_or(1).max(1);
                    let end = nums.next().and_then(|n| n.parse::<usize>().ok()).unwrap_or(lines.len());
                    assert!(start <= lines.len(), "{}: {inc} starts past the end", chapter.display());
                    lines[start - 1..end.min(lines.len())].join("\n")
                }
                Some(anchor) => anchored_region(&source, anchor)
                    .unwrap_or_else(|| panic!("{}: anchor '{anchor}' not found in {rel}", chapter.display())),
            };
            assert!(
                !region.trim().is_empty(),
                "{}: include {inc} is empty",
                chapter.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no includes found: the book should quote the code");
}

#[test]
fn every_code_fence_is_tagged() {
    for chapter in chapters() {
        let text = fs::read_to_string(&chapter).unwrap();
        let mut open = false;
        for (n, line) in text.lines().enumerate() {
            let t = line.trim_start();
            if let Some(tag) = t.strip_prefix("```") {
                if !open {
                    assert!(
                        !tag.trim().is_empty(),
                        "{}:{}: untagged code fence",
                        chapter.display(),
                        n + 1
                    );
                }
                open = !open;
            }
        }
        assert!(!open, "{}: unclosed code fence", chapter.display());
    }
}

#[test]
fn every_summary_entry_exists() {
    let summary = fs::read_to_string(root().join("book/src/SUMMARY.md")).unwrap();
    let mut entries = 0;
    for line in summary.lines() {
        if let (Some(open), Some(close)) = (line.find("]("), line.rfind(')')) {
            let target = &line[open + 2..close];
            if !target.is_empty() {
                assert!(
                    root().join("book/src").join(target).exists(),
                    "SUMMARY.md names missing {target}"
                );
                entries += 1;
            }
        }
    }
    assert!(entries >= 10, "SUMMARY.md lists only {entries} chapters");
}

/// Every backticked `src/...` or `tests/...` path and every backticked `name()` in the walkthrough
/// must exist, so the walkthrough cannot silently go stale when code moves.
#[test]
fn walkthrough_names_only_things_that_exist() {
    let text = fs::read_to_string(root().join("walkthrough.md")).expect("walkthrough.md");
    let mut all_source = String::new();
    let mut files = Vec::new();
    collect_rs(&root().join("src"), &mut files);
    for f in &files {
        all_source.push_str(&fs::read_to_string(f).unwrap());
    }
    let mut checked = 0;
    for (i, piece) in text.split('`').enumerate() {
        if i % 2 == 0 {
            continue; // outside backticks
        }
        if (piece.starts_with("src/") || piece.starts_with("tests/")) && !piece.contains(' ') {
            assert!(root().join(piece).exists(), "walkthrough names missing file {piece}");
            checked += 1;
        } else if let Some(name) = piece.strip_suffix("()") {
            let name = name.rsplit("::").next().unwrap();
            if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.is_empty() {
                assert!(
                    all_source.contains(&format!("fn {name}")),
                    "walkthrough names missing function {name}()"
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 10,
        "the walkthrough should name the files and functions it walks through"
    );
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            collect_rs(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}
