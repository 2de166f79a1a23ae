//! `course`: the tester of "Build it yourself", the course that takes a student from `cargo new`
//! to a server of their own, stage by stage.
//!
//! Go original: none (go-redis had no course). Explained in: the book's part "Build it
//! yourself".
//!
//! ```text
//! course list                          one line per stage
//! course hint N                        stage N's goal, chapter and hints
//! course test N --server 'CMD {PORT}'  starts CMD, runs stages 1..N against it
//! course test N --addr HOST:PORT       the same against a server already running
//! course pages DIR                     writes the book's page of every stage into DIR
//! ```
//!
//! The tester knows nothing of the server but its port: it speaks RESP over a socket, as
//! `redis-cli` does, so it tests this project's server, real Redis and a student's alike. Each
//! failure says what was sent, what was expected and what came back.

mod checks_a;
mod checks_b;
mod pages;
mod stages;
mod target;
mod wire;

use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Instant;

use stages::{Run, STAGES};
use target::{Launch, Target};

const USAGE: &str = "usage:
  course list
  course hint N
  course test N --server 'COMMAND with {PORT}'   (e.g. 'cargo run -- --port {PORT}')
  course test N --addr HOST:PORT                 (a server already running)
N past the last stage means every stage.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("course: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    match args.first().map(String::as_str) {
        Some("list") => {
            for (i, s) in STAGES.iter().enumerate() {
                println!(
                    "{:>2}  {:<34} {:<7} {:>8}   {}",
                    i + 1,
                    s.name,
                    s.difficulty,
                    s.time,
                    s.chapter
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Some("hint") => {
            let n = stage_number(args.get(1))?;
            let s = &STAGES[n.min(STAGES.len()) - 1];
            println!(
                "Stage {n}: {}\n\n{}\n\nRead: {}\n",
                s.name,
                plain(s.goal),
                s.chapter
            );
            for h in s.hints {
                println!("  - {}", plain(h));
            }
            Ok(ExitCode::SUCCESS)
        }
        Some("test") => test(args),
        Some("pages") => {
            let dir = std::path::Path::new(args.get(1).ok_or_else(|| anyhow::anyhow!("where?"))?);
            for (i, stage) in STAGES.iter().enumerate() {
                std::fs::write(dir.join(pages::file_name(i + 1)), pages::page(i + 1, stage))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        _ => anyhow::bail!("what to do? list, hint or test"),
    }
}

/// A stage's text as a terminal shows it: the texts mark code with backticks, for the book's
/// pages (`pages.rs`).
fn plain(text: &str) -> String {
    text.replace('`', "")
}

/// A stage number from the command line: 1 or more.
fn stage_number(arg: Option<&String>) -> anyhow::Result<usize> {
    let text = arg.ok_or_else(|| anyhow::anyhow!("which stage?"))?;
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => anyhow::bail!("{text:?} is not a stage number (1 to {})", STAGES.len()),
    }
}

fn test(args: &[String]) -> anyhow::Result<ExitCode> {
    let last = stage_number(args.get(1))?.min(STAGES.len());
    let target = match (args.get(2).map(String::as_str), args.get(3)) {
        (Some("--server"), Some(cmd)) => {
            Target::Launched(Launch::new(cmd).map_err(|f| anyhow::anyhow!("{f}"))?)
        }
        (Some("--addr"), Some(addr)) => {
            let addr: SocketAddr = addr
                .to_socket_addrs()?
                .next()
                .ok_or_else(|| anyhow::anyhow!("{addr}: no such address"))?;
            Target::Running(addr)
        }
        _ => {
            anyhow::bail!("say which server: --server 'COMMAND with {{PORT}}' or --addr HOST:PORT")
        }
    };
    let mut run = Run::new(target);
    if let Some(l) = run.target.launched()
        && let Err(f) = l.start()
    {
        let first = &STAGES[0];
        println!(
            "stage  1 FAILED  {}\n\nThe server did not start.\n{f}\n\nThe goal of stage 1: {}\n\
             Read: {}. Hints: course hint 1",
            first.name,
            plain(first.goal),
            first.chapter
        );
        return Ok(ExitCode::FAILURE);
    }
    let began = Instant::now();
    for (i, stage) in STAGES[..last].iter().enumerate() {
        let n = i + 1;
        let started = Instant::now();
        let result = (stage.check)(&mut run);
        let crashed = run.target.launched().and_then(|l| l.exited());
        match (result, crashed) {
            (Ok(()), None) => {
                println!(
                    "stage {n:>2} passed  {:<34} ({} ms)",
                    stage.name,
                    started.elapsed().as_millis()
                );
            }
            (result, crashed) => {
                println!("stage {n:>2} FAILED  {}\n", stage.name);
                if let Err(f) = result {
                    println!("{f}\n");
                }
                if let Some(why) = crashed {
                    println!("Meanwhile {why}\n");
                }
                println!(
                    "The goal of stage {n}: {}\nRead: {}. Hints: course hint {n}",
                    plain(stage.goal),
                    stage.chapter
                );
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    println!(
        "\nall {last} stages passed in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
