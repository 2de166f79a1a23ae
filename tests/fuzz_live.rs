//! A fuzz-style test against a live server: random and mutated RESP streams, each on a fresh
//! connection. After every case the server must still answer `PING` on another connection and
//! a canary key must read back intact. Deterministic (fixed seed), bounded (a fixed number of
//! cases, a few seconds in a debug build). Explained in: book chapter "When clients misbehave".
//!
//! Commands that would end the run for reasons other than a bug (`SHUTDOWN`, `FLUSHALL`,
//! `CLIENT KILL`, a `BLPOP` that waits for ever) are disabled with `rename-command`, so a lucky
//! mutation cannot pass for a crash.

mod common;
use common::*;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const CASES: usize = 3000;
const SEED: u64 = 0x5EED_2026;

/// Commands the fuzzer may not reach.
const DISABLED: &[&str] = &[
    "SHUTDOWN",
    "FLUSHALL",
    "FLUSHDB",
    "DEBUG",
    "CONFIG",
    "CLIENT",
    "BLPOP",
    "BRPOP",
    "BLMOVE",
    "BRPOPLPUSH",
    "BLMPOP",
    "BZPOPMIN",
    "BZPOPMAX",
    "MONITOR",
];

/// Well-formed requests that mutations start from (keys under `fz:`, never the canary).
fn seed_frames(rng: &mut StdRng) -> Vec<u8> {
    let n = rng.random_range(0..1000).to_string();
    let key = format!("fz:{}", rng.random_range(0..20));
    let cmds: Vec<Vec<&[u8]>> = vec![
        vec![b"SET", key.as_bytes(), n.as_bytes()],
        vec![b"GET", key.as_bytes()],
        vec![b"INCR", key.as_bytes()],
        vec![b"RPUSH", key.as_bytes(), b"a", b"\r\n\0"],
        vec![b"LRANGE", key.as_bytes(), b"0", b"-1"],
        vec![b"HSET", key.as_bytes(), b"f", n.as_bytes()],
        vec![b"ZADD", key.as_bytes(), n.as_bytes(), b"m"],
        vec![b"SADD", key.as_bytes(), b"x", b"y"],
        vec![b"EXPIRE", key.as_bytes(), b"100"],
        vec![b"MULTI"],
        vec![b"EXEC"],
        vec![b"ECHO", n.as_bytes()],
        vec![b"PING"],
        vec![b"HELLO", b"3"],
        vec![b"SUBSCRIBE", b"fz"],
        vec![b"SCAN", b"0", b"MATCH", b"fz:*"],
    ];
    let mut out = Vec::new();
    for _ in 0..rng.random_range(1..6) {
        out.extend(encode(&cmds[rng.random_range(0..cmds.len())]));
    }
    out
}

/// One hostile input of a random kind.
fn case(rng: &mut StdRng) -> Vec<u8> {
    let mut input = seed_frames(rng);
    match rng.random_range(0..9) {
        // A valid pipeline cut anywhere.
        0 => {
            let at = rng.random_range(0..=input.len());
            input.truncate(at);
        }
        // Flipped bytes.
        1 => {
            for _ in 0..rng.random_range(1..8) {
                let i = rng.random_range(0..input.len());
                input[i] ^= 1 << rng.random_range(0..8);
            }
        }
        // A huge, negative or malformed length in place of a real one.
        2 => {
            let lens = [
                "-1",
                "-2",
                "-9223372036854775808",
                "9223372036854775807",
                "536870913",
                "99999999999999999999",
                "1048577",
                "0x10",
                "",
                " 1",
                "+5",
                "3.0",
            ];
            let len = lens[rng.random_range(0..lens.len())];
            let marker = if rng.random_bool(0.5) { "*" } else { "$" };
            let text = String::from_utf8_lossy(&input).into_owned();
            let mut replaced = String::new();
            let mut done = false;
            for line in text.split_inclusive("\r\n") {
                if !done && line.starts_with(marker) && rng.random_bool(0.5) {
                    replaced.push_str(&format!("{marker}{len}\r\n"));
                    done = true;
                } else {
                    replaced.push_str(line);
                }
            }
            input = replaced.into_bytes();
        }
        // Nested arrays, and every RESP3 type byte where a bulk string belongs.
        3 => {
            let depth = rng.random_range(1..200);
            input = "*1\r\n".repeat(depth).into_bytes();
            let tail: &[&[u8]] = &[
                b"$4\r\nPING\r\n",
                b":1\r\n",
                b"+OK\r\n",
                b"%1\r\n",
                b"_\r\n",
                b"~1\r\n",
            ];
            input.extend_from_slice(tail[rng.random_range(0..tail.len())]);
        }
        // Pure garbage.
        4 => {
            input = (0..rng.random_range(1..512))
                .map(|_| rng.random())
                .collect();
        }
        // Inline commands with quotes, escapes and stray bytes.
        5 => {
            let parts = [
                "SET",
                "fz:q",
                "\"a b\"",
                "'c d'",
                "\"\\x41\\x4g\"",
                "\"open",
                "'open",
                "\"x\"y",
                "\\",
                "\"\\n\"",
                "\t",
                "ECHO",
                "PING",
                "\"\"",
                "''",
            ];
            let mut line = String::new();
            for _ in 0..rng.random_range(1..8) {
                line.push_str(parts[rng.random_range(0..parts.len())]);
                line.push(' ');
            }
            line.push_str(if rng.random_bool(0.5) { "\r\n" } else { "\n" });
            input = line.into_bytes();
        }
        // A very long line without an end (past the 64 KB inline limit).
        6 => {
            let fill = if rng.random_bool(0.5) { b'x' } else { b'*' };
            input = vec![fill; rng.random_range(60_000..70_000)];
        }
        // A bulk string announced large and cut short.
        7 => {
            input = format!(
                "*2\r\n$4\r\nECHO\r\n${}\r\n",
                rng.random_range(1..1_000_000)
            )
            .into_bytes();
            input.extend(std::iter::repeat_n(b'z', rng.random_range(0..1000)));
        }
        // Several mutations of a valid pipeline at once.
        _ => {
            for _ in 0..rng.random_range(1..4) {
                match rng.random_range(0..3) {
                    0 if !input.is_empty() => {
                        let i = rng.random_range(0..input.len());
                        input.remove(i);
                    }
                    1 => {
                        let i = rng.random_range(0..=input.len());
                        input.insert(i, rng.random());
                    }
                    _ => {
                        let i = rng.random_range(0..=input.len());
                        input.splice(i..i, b"\r\n".iter().copied());
                    }
                }
            }
        }
    }
    input
}

/// Sends `input` on a fresh connection, half-closes it, and reads until the server closes its
/// side. Fails if the server neither answers nor closes within the read timeout. True if the
/// server answered with a protocol error.
fn run_case(addr: std::net::SocketAddr, input: &[u8], n: usize) -> bool {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    // The server may close mid-input (a protocol error): a failed write is part of the case.
    let _ = s.write_all(input);
    let _ = s.shutdown(Shutdown::Write);
    let mut sink = [0u8; 64 * 1024];
    let mut tail = Vec::new();
    let protocol_error = |tail: &[u8]| tail.windows(19).any(|w| w == b"-ERR Protocol error");
    loop {
        match s.read(&mut sink) {
            Ok(0) => return protocol_error(&tail),
            Ok(k) => {
                // Keep only the end: the error, if any, is the last thing the server says.
                tail.extend_from_slice(&sink[..k]);
                let excess = tail.len().saturating_sub(4096);
                tail.drain(..excess);
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return protocol_error(&tail);
            }
            Err(e) => {
                panic!("case {n}: the server neither answered nor closed: {e}\ninput: {input:?}")
            }
        }
    }
}

#[test]
fn hostile_streams_never_take_the_server_down() {
    let s = start_with(|c| {
        for name in DISABLED {
            c.rename_commands.push((name.to_string(), String::new()));
        }
    });
    let mut control = s.client();
    let canary: Vec<u8> = (0..=255u8)
        .chain(b"\r\n*1\r\n$0\r\n".iter().copied())
        .collect();
    assert_eq!(control.cmd_bytes(&[b"SET", b"canary", &canary]), b"+OK\r\n");
    let expected = [
        format!("${}\r\n", canary.len()).into_bytes(),
        canary.clone(),
        b"\r\n".to_vec(),
    ]
    .concat();
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut refused = 0;
    for n in 0..CASES {
        let input = case(&mut rng);
        refused += usize::from(run_case(s.addr(), &input, n));
        assert_eq!(control.cmd(&["PING"]), b"+PONG\r\n", "case {n}: {input:?}");
        assert_eq!(
            control.cmd(&["GET", "canary"]),
            expected,
            "case {n}: {input:?}"
        );
    }
    // Every case's thread has ended: no connection leaked.
    assert!(wait_until(Duration::from_secs(30), || {
        String::from_utf8_lossy(&control.cmd(&["INFO", "clients"]))
            .contains("connected_clients:1\r\n")
    }));
    // The generator must actually reach the error paths, or this test proves little.
    assert!(
        refused > CASES / 10,
        "only {refused} of {CASES} cases hit a protocol error"
    );
    eprintln!(
        "{CASES} hostile streams survived, {refused} answered with a protocol error (seed {SEED:#x})"
    );
}
