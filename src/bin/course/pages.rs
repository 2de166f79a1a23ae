//! `course pages DIR`: the book's page of each stage, made from the stage table, so that the
//! book and the tester cannot disagree (`tests/course.rs` compares them).

use std::fmt::Write as _;

use crate::stages::{STAGES, Stage};

/// The chapters a stage's `chapter` text may name, and their pages.
const CHAPTERS: &[(&str, &str)] = &[
    ("1. Network layer", "ch01-network.md"),
    ("2. RESP", "ch02-resp.md"),
    ("3. Command dispatch", "ch03-dispatch.md"),
    ("4. The in-memory store", "ch04-store.md"),
    ("5. Expiration", "ch05-expiration.md"),
    ("6. AOF persistence", "ch06-aof.md"),
    ("7. Transactions", "ch07-transactions.md"),
    ("Pub/Sub", "pubsub.md"),
    ("Talking to real clients", "clients.md"),
    ("When clients misbehave", "misbehave.md"),
];

/// The file name of stage `n`'s page.
pub fn file_name(n: usize) -> String {
    format!("stage-{n:02}.md")
}

/// Stage `n`'s page (1-based), as Markdown.
pub fn page(n: usize, stage: &Stage) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Stage {n}: {}\n", stage.name);
    let _ = writeln!(out, "**Goal.** {}\n", stage.goal);
    let read: Vec<String> = CHAPTERS
        .iter()
        .filter(|(title, _)| stage.chapter.contains(title))
        .map(|(title, file)| format!("[{title}](../{file})"))
        .collect();
    // "4. The in-memory store (blocking pops)": the part of the chapter, if it names one.
    let part = stage
        .chapter
        .split_once('(')
        .map(|(_, p)| format!(": {}", p.trim_end_matches(')')))
        .unwrap_or_default();
    let _ = writeln!(out, "**Read first.** {}{part}.\n", read.join(", "));
    let _ = writeln!(
        out,
        "**Difficulty.** {}, about {}.\n",
        stage.difficulty, stage.time
    );
    let _ = writeln!(out, "**Check it.**\n\n```sh");
    let _ = writeln!(
        out,
        "cargo run --release --bin course -- test {n} \\\n    --server 'cargo run --release --manifest-path ../my-redis/Cargo.toml -- --port {{PORT}}'"
    );
    let _ = writeln!(out, "```\n\n**Hints.**\n");
    for h in stage.hints {
        let _ = writeln!(out, "- {}", h);
    }
    let _ = writeln!(
        out,
        "\n**The reference solution** is `book/course/stages/{n:02}-*.patch`: what this stage adds \
         to the one before."
    );
    if n < STAGES.len() {
        let _ = writeln!(out, "\nNext: [stage {}]({}).", n + 1, file_name(n + 1));
    }
    out
}
