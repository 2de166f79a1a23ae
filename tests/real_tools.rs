//! The real `redis-cli` against an in-process server, when it is installed: a quick check
//! that runs with every `cargo test`. (`tests/real_tools.sh` drives the release binary with
//! the full set: `--pipe` of 100,000 keys, an interactive session, `redis-benchmark`.)
//!
//! Without `redis-cli` the test passes with a note, unless `CI` is set: there it must fail
//! loudly, because a CI run that silently skips the real tools proves nothing.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

fn redis_cli_present() -> bool {
    let found = Command::new("redis-cli")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but redis-cli is missing: install redis-tools (apt-get install -y redis-tools)"
        );
        eprintln!("redis-cli not installed: skipping the real-tools check");
    }
    found
}

fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .output()
        .expect("run redis-cli");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn redis_cli_talks_to_the_server() {
    if !redis_cli_present() {
        return;
    }
    let s = start();
    let port = s.addr().port();
    assert_eq!(cli(port, &["ping"]), "PONG\n");
    assert_eq!(cli(port, &["set", "k", "v w"]), "OK\n");
    assert_eq!(cli(port, &["get", "k"]), "v w\n");
    assert_eq!(cli(port, &["--no-raw", "get", "nosuch"]), "(nil)\n");
    assert_eq!(cli(port, &["config", "get", "save"]), "save\n\n");
    let hello = cli(port, &["-3", "hello", "3"]);
    assert!(hello.contains("proto") && hello.contains('3'), "{hello}");

    // --pipe: raw protocol in, a summary out once the closing ECHO comes back.
    let mut input = Vec::new();
    for i in 0..1000 {
        input.extend_from_slice(&encode(&[b"SET", format!("pipe:{i}").as_bytes(), b"x"]));
    }
    let mut child = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "--pipe"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run redis-cli --pipe");
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("errors: 0, replies: 1000"), "{summary}");
    assert_eq!(cli(port, &["get", "pipe:999"]), "x\n");
}

#[test]
fn redis_cli_help_shows_each_command_as_redis_does() {
    if !redis_cli_present() {
        return;
    }
    let s = start();
    let port = s.addr().port();
    // The usage lines real redis-cli prints for a real Redis 7.0.15, built from COMMAND DOCS.
    for (command, usage) in [
        ("lpush", "LPUSH key element [element ...]"),
        (
            "set",
            "SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|\
             PXAT unix-time-milliseconds|KEEPTTL]",
        ),
        (
            "sort",
            "SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] \
             [STORE destination]",
        ),
        (
            "zunion",
            "ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]",
        ),
        (
            "hello",
            "HELLO [protover [AUTH username password] [SETNAME clientname]]",
        ),
        ("bitcount", "BITCOUNT key [start end [BYTE|BIT]]"),
        (
            "client list",
            "CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]",
        ),
    ] {
        let mut args = vec!["help"];
        args.extend(command.split(' '));
        let help = cli(port, &args);
        // redis-cli colours the name and the arguments, and ends its lines with CRLF: take the
        // escapes out, and the CRs.
        let mut plain = String::new();
        let help = help.replace("\r\n", "\n");
        let mut chars = help.chars();
        while let Some(ch) = chars.next() {
            if ch == '\u{1b}' {
                chars.by_ref().find(|c| *c == 'm');
            } else {
                plain.push(ch);
            }
        }
        assert!(
            plain.contains(&format!("\n  {usage}\n")),
            "{command}: {plain}"
        );
        let group = rust_redis::commands::docs::table()
            .get(&command.replace(' ', "|"))
            .unwrap()
            .group;
        assert!(
            plain.contains(&format!("  group: {group}\n")),
            "{command}: {plain}"
        );
    }
}
