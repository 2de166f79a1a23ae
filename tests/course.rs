//! The course's tester against the two servers that must pass every stage: this project's and
//! real Redis 7. Each runs `course test` on the built binary, as a student would, with the
//! tester starting the server from a command line (the AOF stages restart it).
//!
//! Explained in: the book's part "Build it yourself". Without `redis-server` the Redis half
//! passes with a note, unless `CI` is set.

mod common;

use std::process::Command;

/// Runs `course ARGS`, returning its exit status's success and its output.
fn course(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_course"))
        .args(args)
        .output()
        .expect("running the course binary");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn this_server_passes_every_stage() {
    let server = format!("{} --port {{PORT}}", env!("CARGO_BIN_EXE_server"));
    let (ok, text) = course(&["test", "99", "--server", &server]);
    assert!(ok, "{text}");
    assert!(text.contains("all 17 stages passed"), "{text}");
}

#[test]
fn real_redis_passes_every_stage() {
    if !common::real_redis_installed("the course against real Redis") {
        return;
    }
    let (ok, text) = course(&[
        "test",
        "99",
        "--server",
        "redis-server --port {PORT} --save ''",
    ]);
    assert!(ok, "{text}");
}

#[test]
fn a_new_crate_gets_told_what_to_do() {
    // `cargo new` prints "Hello, world!" and exits: the tester says the server did not start,
    // and what stage 1 asks for.
    let (ok, text) = course(&["test", "1", "--server", "echo Hello, world! {PORT}"]);
    assert!(!ok);
    assert!(text.contains("stage  1 FAILED"), "{text}");
    assert!(
        text.contains("exited") && text.contains("Hello, world!"),
        "{text}"
    );
    assert!(text.contains("+PONG"), "{text}");
}

#[test]
fn a_server_that_answers_wrong_is_shown_the_exchange() {
    // A server that answers every request with +OK: stage 1 passes nothing, and the message
    // holds what was sent, what was expected and what came back.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut s = stream;
                let mut buf = [0u8; 1024];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 || s.write_all(b"+OK\r\n").is_err() {
                        break;
                    }
                }
            });
        }
    });
    let (ok, text) = course(&["test", "1", "--addr", &addr]);
    assert!(!ok);
    assert!(text.contains("sent PING"), "{text}");
    assert!(text.contains(r#"expected "+PONG\r\n""#), "{text}");
    assert!(text.contains(r#"got      "+OK\r\n""#), "{text}");
}

#[test]
fn list_and_hint_describe_the_stages() {
    let (ok, text) = course(&["list"]);
    assert!(ok);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 17, "{text}");
    for (i, line) in lines.iter().enumerate() {
        assert!(
            line.trim_start().starts_with(&(i + 1).to_string()),
            "{line}"
        );
    }
    let (ok, text) = course(&["hint", "10"]);
    assert!(
        ok && text.contains("BLPOP") && text.contains("Read:"),
        "{text}"
    );
    let (ok, _) = course(&["hint", "0"]);
    assert!(!ok);
}

#[test]
fn the_book_lists_the_stages_the_tester_has() {
    // The book's table: `| N | name | chapter | difficulty | time |`.
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/book/src/course.md"))
        .expect("book/src/course.md");
    let stages = page.split("## Production notes").next().unwrap_or_default();
    let rows: Vec<Vec<String>> = stages
        .lines()
        .filter(|l| l.starts_with("| ") && l[2..].starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| l.split('|').map(|c| c.trim().to_string()).collect())
        .collect();
    let (_, list) = course(&["list"]);
    let stages: Vec<&str> = list.lines().collect();
    assert_eq!(
        rows.len(),
        stages.len(),
        "the book's table has {} stages",
        rows.len()
    );
    for (row, line) in rows.iter().zip(&stages) {
        // `course list`: number, name, difficulty, time, chapter.
        assert!(
            line.trim_start().starts_with(&format!("{} ", row[1])),
            "{line}"
        );
        for cell in [&row[2], &row[4], &row[5]] {
            assert!(
                line.contains(cell.as_str()),
                "the book says {cell:?}; the tester: {line}"
            );
        }
    }
}

#[test]
fn the_book_counts_the_reference_solutions_lines_truly() {
    // The table of "The reference solutions": `| N | added (removed) ... |`, one row per patch.
    let root = env!("CARGO_MANIFEST_DIR");
    let page = std::fs::read_to_string(format!("{root}/book/src/course.md")).unwrap();
    let section = page
        .split("**The reference solutions.**")
        .nth(1)
        .expect("the reference solutions' section");
    let mut patches: Vec<_> = std::fs::read_dir(format!("{root}/book/course/stages"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    patches.sort();
    let rows: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("| ") && l[2..].starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(rows.len(), patches.len(), "one row per stage");
    for (row, patch) in rows.iter().zip(&patches) {
        let text = std::fs::read_to_string(patch).unwrap();
        let added = text
            .lines()
            .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
            .count();
        let removed = text
            .lines()
            .filter(|l| l.starts_with('-') && !l.starts_with("---"))
            .count();
        let cell = row.split('|').nth(2).unwrap().trim();
        assert!(
            cell.starts_with(&format!("{added} ({removed})")),
            "{}: {added} ({removed}), the book says {cell}",
            patch.display()
        );
    }
}

#[test]
fn the_book_s_stage_pages_are_what_the_tester_makes() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = common::TempDir::new();
    let (ok, text) = course(&["pages", dir.0.to_str().unwrap()]);
    assert!(ok, "{text}");
    let summary = std::fs::read_to_string(format!("{root}/book/src/SUMMARY.md")).unwrap();
    let mut made: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    made.sort();
    assert_eq!(made.len(), 17);
    for page in made {
        let name = page.file_name().unwrap().to_str().unwrap().to_string();
        let in_book =
            std::fs::read_to_string(format!("{root}/book/src/course/{name}")).unwrap_or_default();
        assert_eq!(
            in_book,
            std::fs::read_to_string(&page).unwrap(),
            "book/src/course/{name} is not what `course pages` makes: run \
             `cargo run --bin course -- pages book/src/course`"
        );
        assert!(
            summary.contains(&format!("(course/{name})")),
            "SUMMARY.md lacks {name}"
        );
    }
}
