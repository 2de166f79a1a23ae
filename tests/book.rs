//! Keeps the book honest: every `{{#include}}` resolves to a real file and a non-empty anchored
//! region, every code fence is tagged, every chapter in `SUMMARY.md` exists, every file,
//! function and identifier the prose names (book, walkthrough, README) still exists, and every
//! design invariant cited in the code or the book is a numbered heading of
//! `book/src/invariants.md`, whose tests exist. mdBook itself only warns about a missing anchor;
//! this test fails instead.

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
    let is_marker = |line: &str, kind: &str| {
        line.find(kind)
            .is_some_and(|i| line[i + kind.len()..].trim() == name)
    };
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
            let source = fs::read_to_string(&file).unwrap_or_else(|_| {
                panic!("{}: included file {} is missing", chapter.display(), rel)
            });
            let region = match selector {
                None => source.clone(),
                Some(sel)
                    if sel.chars().next().is_some_and(|c| c.is_ascii_digit())
                        || sel.starts_with(':') =>
                {
                    let mut nums = sel.splitn(2, ':');
                    let lines: Vec<&str> = source.lines().collect();
                    let start = nums
                        .next()
                        .and_then(|n| n.parse::<usize>().ok())
                        .unwrap_or(1)
                        .max(1);
                    let end = nums
                        .next()
                        .and_then(|n| n.parse::<usize>().ok())
                        .unwrap_or(lines.len());
                    assert!(
                        start <= lines.len(),
                        "{}: {inc} starts past the end",
                        chapter.display()
                    );
                    lines[start - 1..end.min(lines.len())].join("\n")
                }
                Some(anchor) => anchored_region(&source, anchor).unwrap_or_else(|| {
                    panic!(
                        "{}: anchor '{anchor}' not found in {rel}",
                        chapter.display()
                    )
                }),
            };
            assert!(
                !region.trim().is_empty(),
                "{}: include {inc} is empty",
                chapter.display()
            );
            // A longer line hides behind a scroll bar at 1280 px (tests/book_screenshot.sh
            // measures the rendered page; this is the quick check).
            if rel.ends_with(".rs") {
                let long = region.lines().find(|l| l.chars().count() > 100);
                assert!(
                    long.is_none(),
                    "{}: {inc} has a line over 100 columns: {}",
                    chapter.display(),
                    long.unwrap_or_default()
                );
            }
            checked += 1;
        }
    }
    assert!(
        checked > 0,
        "no includes found: the book should quote the code"
    );
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
/// Names the prose may use that are not this project's: the C library's functions, other
/// programs' names, and placeholders a reader fills in.
const FOREIGN_NAMES: &[&str] = &[
    // The C library and the kernel, which the chapters compare with or call through `sys`.
    "fork",
    "fsync",
    "epoll_wait",
    "clock_gettime",
    // go-redis and the client libraries.
    "ReadValue",
    "ResponseError",
    "HashType",
    // Placeholders: an example key pattern's expansion, "some function".
    "data_3",
    "weight_3",
    "function",
    // What an exercise asks the reader to add.
    "total_net_input_bytes",
];

/// The text of `markdown` outside its code fences.
fn prose(markdown: &str) -> String {
    let mut out = String::new();
    let mut in_fence = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// What a backticked piece of prose names, if it is a name this test can check: a path in the
/// tree, a function (`name()`), a type (`CamelCase`) or a snake-case identifier.
enum Named<'a> {
    Path(&'a str),
    Function(&'a str),
    Word(&'a str),
}

fn named(piece: &str) -> Option<Named<'_>> {
    let ident = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ["src/", "tests/", "book/"]
        .iter()
        .any(|p| piece.starts_with(p))
        && !piece.contains(' ')
    {
        // `src/file.rs:anchor` names the file.
        let path = piece.split(':').next().unwrap_or(piece);
        // Patterns (`src/bin/*.rs`, `tests/exercises/exNN_name.rs`) name no one file.
        return (!path.contains("NN") && !path.contains('*')).then_some(Named::Path(path));
    }
    if let Some(call) = piece.strip_suffix("()") {
        let name = call.rsplit("::").next().unwrap_or(call);
        return ident(name).then_some(Named::Function(name));
    }
    let camel = piece.len() > 3
        && piece.starts_with(|c: char| c.is_ascii_uppercase())
        && piece.chars().skip(1).any(|c| c.is_ascii_uppercase())
        && piece.chars().any(|c| c.is_ascii_lowercase())
        && ident(piece);
    let snake = piece.contains('_')
        && piece.starts_with(|c: char| c.is_ascii_lowercase())
        && piece
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    (camel || snake).then_some(Named::Word(piece))
}

/// Whether `word` occurs in `text` as a whole identifier.
fn has_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

#[test]
fn prose_names_only_things_that_exist() {
    let mut code = Vec::new();
    collect_rs(&root().join("src"), &mut code);
    let source: String = code
        .iter()
        .map(|f| fs::read_to_string(f).unwrap())
        .collect();
    let mut tests = Vec::new();
    collect_rs(&root().join("tests"), &mut tests);
    let everything: String = source.clone()
        + &tests
            .iter()
            .map(|f| fs::read_to_string(f).unwrap())
            .collect::<String>();

    let mut pages = chapters();
    pages.push(root().join("walkthrough.md"));
    pages.push(root().join("README.md"));
    let (mut checked, mut missing) = (0, Vec::new());
    for page in &pages {
        let text = prose(&fs::read_to_string(page).unwrap());
        for piece in text.split('`').skip(1).step_by(2) {
            let Some(name) = named(piece) else { continue };
            let found = match name {
                Named::Path(path) => root().join(path).exists(),
                Named::Function(f) => {
                    FOREIGN_NAMES.contains(&f) || has_word(&source, &format!("fn {f}"))
                }
                Named::Word(w) => FOREIGN_NAMES.contains(&w) || has_word(&everything, w),
            };
            checked += 1;
            if !found {
                missing.push(format!(
                    "{}: `{piece}`",
                    page.strip_prefix(root()).unwrap().display()
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the prose names what the code no longer has:\n{}",
        missing.join("\n")
    );
    assert!(
        checked > 500,
        "only {checked} names checked: is the scan still reading the book?"
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

/// The numbered headings of the invariants page (`## N. Title`), each with the anchor mdBook gives
/// it, in page order.
fn invariant_headings() -> Vec<(u32, String)> {
    let page =
        fs::read_to_string(root().join("book/src/invariants.md")).expect("book/src/invariants.md");
    page.lines()
        .filter_map(|line| {
            let heading = line.strip_prefix("## ")?;
            let (number, _) = heading.split_once(". ")?;
            Some((number.parse().ok()?, anchor(heading)))
        })
        .collect()
}

/// The id mdBook derives from a heading: lowercase, whitespace becomes `-`, and everything but
/// letters, digits, `-` and `_` is dropped (`4. The AOF order` -> `4-the-aof-order`).
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            c if c.is_whitespace() => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Every invariant number `text` cites, with the byte offset of the number: "invariant N",
/// "invariants N and M", "N, M", "N or M" and ranges "N–M" (which cite every number between).
/// Words that merely contain the word, like `check_invariants`, are not citations.
fn cited_invariants(text: &str) -> Vec<(usize, u32)> {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let digits_at = |i: usize| bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    let spaces_at = |i: usize| {
        bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count()
    };
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("invariant") {
        let start = from + at;
        from = start + "invariant".len();
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue;
        }
        let mut i = from + usize::from(bytes.get(from) == Some(&b's'));
        let gap = spaces_at(i);
        if gap == 0 || digits_at(i + gap) == 0 {
            continue;
        }
        i += gap;
        loop {
            let len = digits_at(i);
            let n: u32 = lower[i..i + len].parse().unwrap();
            found.push((i, n));
            i += len;
            // A separator, then another number: "and", "or", a comma, or a range dash.
            let mut j = i + spaces_at(i);
            let mut range = false;
            if lower[j..].starts_with("and") {
                j += 3;
            } else if lower[j..].starts_with("or") {
                j += 2;
            } else if lower[j..].starts_with(',') {
                j += 1;
            } else if lower[j..].starts_with('–') || lower[j..].starts_with('-') {
                j += lower[j..].chars().next().unwrap().len_utf8();
                range = true;
            } else {
                break;
            }
            j += spaces_at(j);
            if digits_at(j) == 0 {
                break;
            }
            if range {
                let end: u32 = lower[j..j + digits_at(j)].parse().unwrap();
                found.extend((n + 1..end).map(|m| (j, m)));
            }
            i = j;
        }
        from = i;
    }
    found
}

/// Every Markdown link in `text`: the byte range of its text and its target.
fn links(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("](") {
        let close = from + at;
        from = close + 2;
        let (Some(open), Some(end)) = (text[..close].rfind('['), text[from..].find(')')) else {
            continue;
        };
        found.push((open + 1..close, &text[from..from + end]));
    }
    found
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// "Design invariant N" in a comment or a chapter must name a heading of the invariants page, and
/// in a chapter it must be a link to that heading, so a reader can always follow it.
#[test]
fn every_cited_invariant_is_a_heading_of_the_invariants_page() {
    let headings = invariant_headings();
    let numbers: Vec<u32> = headings.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        numbers,
        (1..=numbers.len() as u32).collect::<Vec<_>>(),
        "invariants.md: headings must be numbered 1, 2, 3, ... in order"
    );
    let anchor_of = |n: u32| {
        headings
            .iter()
            .find(|(m, _)| *m == n)
            .map(|(_, a)| a.clone())
    };
    let mut sources = Vec::new();
    collect_rs(&root().join("src"), &mut sources);
    collect_rs(&root().join("tests"), &mut sources);
    let mut cited = 0;
    for file in sources.iter().chain(chapters().iter()) {
        let text = fs::read_to_string(file).unwrap();
        let is_chapter = file.extension().is_some_and(|e| e == "md");
        let is_page = file.ends_with("invariants.md");
        let page_links = links(&text);
        for (offset, n) in cited_invariants(&text) {
            let place = format!("{}:{}", file.display(), line_of(&text, offset));
            let Some(anchor) = anchor_of(n) else {
                panic!("{place}: cites design invariant {n}, which invariants.md does not have");
            };
            if is_chapter && !is_page {
                let target = format!("invariants.md#{anchor}");
                assert!(
                    page_links
                        .iter()
                        .any(|(span, t)| span.contains(&offset) && *t == target),
                    "{place}: design invariant {n} should be a link to {target}"
                );
            }
            cited += 1;
        }
        // And no link into the page may point at a heading it does not have.
        for (span, target) in &page_links {
            let anchor = match target.split_once('#') {
                Some(("invariants.md", a)) => a,
                Some(("", a)) if is_page => a,
                _ => continue,
            };
            assert!(
                headings.iter().any(|(_, a)| a == anchor),
                "{}:{}: no heading of invariants.md has the anchor #{anchor}",
                file.display(),
                line_of(&text, span.start)
            );
        }
    }
    assert!(
        cited >= 20,
        "only {cited} citations of design invariants found"
    );
}

/// Every invariant on the page names at least one test, as `tests/FILE.rs::name` or
/// `src/FILE.rs::name`, and every test it names is a `#[test] fn name` in that file.
#[test]
fn the_invariants_page_names_tests_that_exist() {
    let page = fs::read_to_string(root().join("book/src/invariants.md")).unwrap();
    let sections: Vec<&str> = page.split("\n## ").skip(1).collect();
    assert_eq!(sections.len(), invariant_headings().len());
    for section in sections {
        let title = section.lines().next().unwrap();
        let mut named = 0;
        for (i, piece) in section.split('`').enumerate() {
            let Some((file, name)) = piece.split_once(".rs::") else {
                continue;
            };
            if i % 2 == 0 || !(file.starts_with("tests/") || file.starts_with("src/")) {
                continue;
            }
            let path = format!("{file}.rs");
            let source = fs::read_to_string(root().join(&path))
                .unwrap_or_else(|_| panic!("invariants.md, {title}: {path} does not exist"));
            let lines: Vec<&str> = source.lines().collect();
            let at = lines
                .iter()
                .position(|l| l.trim_start().starts_with(&format!("fn {name}(")))
                .unwrap_or_else(|| panic!("invariants.md, {title}: {path} has no fn {name}"));
            assert!(
                lines[at.saturating_sub(3)..at]
                    .iter()
                    .any(|l| l.trim() == "#[test]"),
                "invariants.md, {title}: {path}::{name} is not a #[test]"
            );
            named += 1;
        }
        assert!(
            named > 0,
            "invariants.md, {title}: names no test that holds it"
        );
    }
}

#[test]
fn citations_are_read_as_a_reader_would() {
    let cited = |text: &str| {
        cited_invariants(text)
            .into_iter()
            .map(|(_, n)| n)
            .collect::<Vec<_>>()
    };
    assert_eq!(cited("(design invariant 4)"), [4]);
    assert_eq!(cited("design invariants 4 and 8, then 9"), [4, 8]);
    assert_eq!(cited("Design\n//! invariant 1: the guard"), [1]);
    assert_eq!(cited("(design invariants 4–7)"), [4, 5, 6, 7]);
    assert_eq!(
        cited("fn check_invariants(set) and invariants of a set"),
        Vec::<u32>::new()
    );
    assert_eq!(
        anchor("4. The AOF order is the store order"),
        "4-the-aof-order-is-the-store-order"
    );
    assert_eq!(
        anchor("5. Log effects, not requests"),
        "5-log-effects-not-requests"
    );
}

/// The bytes of the RDB chapter's tiny file, as our writer writes them: `SET a 1` with a
/// deadline and `RPUSH l x`, with `ctime` fixed so the dump is the same on every run.
fn tiny_rdb() -> Vec<u8> {
    use rust_redis::engine::store::{Data, List};
    use rust_redis::persistence::rdb::RdbWriter;
    let mut w = RdbWriter::new(Vec::new(), &[("ctime", b"1800000000")]).unwrap();
    w.select_db(0, 2, 1).unwrap();
    w.entry(
        b"a",
        &Data::Str(b"1".as_slice().into()),
        Some(1_800_003_600_000),
    )
    .unwrap();
    let list: List = [b"x".as_slice()].into_iter().collect();
    w.entry(b"l", &Data::from(list), None).unwrap();
    w.finish().unwrap()
}

/// `bytes` as `xxd` prints them: offset, sixteen bytes in groups of two, the printable ones.
fn xxd(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (n, line) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> = line
            .chunks(2)
            .map(|pair| pair.iter().map(|b| format!("{b:02x}")).collect())
            .collect();
        let text: String = line
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        out.push_str(&format!("{:08x}: {:<40} {text}\n", n * 16, hex.join(" ")));
    }
    out
}

/// The hex dump in `book/src/ch-rdb.md` is what the writer writes today: the fence after the
/// line that names this test.
#[test]
fn the_rdb_chapter_hex_dump_is_what_the_writer_writes() {
    let chapter = fs::read_to_string(root().join("book/src/ch-rdb.md")).unwrap();
    let marker = chapter
        .find("the_rdb_chapter_hex_dump_is_what_the_writer_writes")
        .expect("ch-rdb.md names this test above its hex dump");
    let after = &chapter[marker..];
    let start = after
        .find("```text\n")
        .expect("a text fence after the marker")
        + "```text\n".len();
    let end = start + after[start..].find("```").expect("the fence closes");
    let expected = xxd(&tiny_rdb());
    assert_eq!(
        &after[start..end],
        expected,
        "regenerate the dump in ch-rdb.md:\n{expected}"
    );
}

/// A figure two chapters quote lives once, in `book/src/figures/`, and both include it: a
/// figures file included by fewer than two pages belongs in its page, and a page that repeats a
/// figures row instead of including it would drift from it at the next measurement.
#[test]
fn shared_figures_are_included_not_copied() {
    let dir = root().join("book/src/figures");
    let pages: Vec<(PathBuf, String)> = chapters()
        .into_iter()
        .filter(|p| !p.starts_with(&dir))
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    let mut checked = 0;
    for entry in fs::read_dir(&dir).expect("book/src/figures") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let figures = fs::read_to_string(&path).unwrap();
        let including = pages
            .iter()
            .filter(|(_, text)| {
                includes(text)
                    .iter()
                    .any(|inc| inc == &format!("figures/{name}"))
            })
            .count();
        assert!(
            including >= 2,
            "figures/{name} is included by {including} page(s): move it into its page"
        );
        for row in figures
            .lines()
            .filter(|l| l.starts_with("| ") && l.len() > 20)
        {
            for (page, text) in &pages {
                assert!(
                    !text.lines().any(|l| l == row),
                    "{} copies a row of figures/{name} instead of including it: {row}",
                    page.display()
                );
            }
        }
        checked += 1;
    }
    assert!(checked > 0, "no shared figures found");
}
