//! `test_expiry`: a classroom demonstration of key expiry, run against a live server.
//!
//! Go original: `cmd/test_expiry/main.go`. Explained in: book chapter 5.
//!
//! ```text
//! cargo run --bin test_expiry -- [-h 127.0.0.1] [-p 6379]
//! ```
//!
//! It connects like any client (it works against Redis too, which is the point: the answers must
//! match), and prints each thing it checks: `TTL`/`PTTL` count down, a key vanishes at its
//! deadline, `PERSIST` and a plain `SET` remove a TTL, a read just after the deadline answers nil
//! (lazy expiry), and ten thousand keys nobody reads are deleted anyway (active expiry), watched
//! through `INFO stats`' `expired_keys`. Its keys are prefixed `test_expiry:<pid>:` and deleted
//! at the end; nothing else in the database is touched. The exit status is 1 if a check failed.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// A reply, as much of RESP as these checks need.
#[derive(Debug, Clone, PartialEq)]
enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

/// One connection speaking RESP2.
struct Conn {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn connect(addr: &str) -> anyhow::Result<Conn> {
        let stream = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let reader = BufReader::new(stream.try_clone()?);
        Ok(Conn {
            writer: stream,
            reader,
        })
    }

    /// Sends commands without waiting (a pipeline); read their replies with [`Conn::read`].
    fn send(&mut self, commands: &[Vec<String>]) -> anyhow::Result<()> {
        let mut out = Vec::new();
        for args in commands {
            out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
            for a in args {
                out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
            }
        }
        self.writer.write_all(&out)?;
        Ok(())
    }

    fn cmd(&mut self, args: &[&str]) -> anyhow::Result<Reply> {
        self.send(&[args.iter().map(|s| s.to_string()).collect()])?;
        self.read()
    }

    fn read(&mut self) -> anyhow::Result<Reply> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            bail!("the server closed the connection");
        }
        let line = line.trim_end_matches("\r\n");
        let (kind, rest) = line.split_at_checked(1).context("empty reply line")?;
        Ok(match kind {
            "+" => Reply::Simple(rest.to_string()),
            "-" => Reply::Error(rest.to_string()),
            ":" => Reply::Int(rest.parse()?),
            "$" => match rest.parse::<i64>()? {
                n if n < 0 => Reply::Bulk(None),
                n => {
                    let mut buf = vec![0; n as usize + 2];
                    std::io::Read::read_exact(&mut self.reader, &mut buf)?;
                    buf.truncate(n as usize);
                    Reply::Bulk(Some(buf))
                }
            },
            "*" => match rest.parse::<i64>()? {
                n if n < 0 => Reply::Array(None),
                n => Reply::Array(Some((0..n).map(|_| self.read()).collect::<Result<_, _>>()?)),
            },
            other => bail!("unexpected reply type {other:?}"),
        })
    }
}

/// Counts and prints the checks.
struct Report {
    failed: usize,
    passed: usize,
}

impl Report {
    fn check(&mut self, ok: bool, what: &str, detail: impl std::fmt::Display) {
        if ok {
            self.passed += 1;
            println!("  PASS  {what}  ({detail})");
        } else {
            self.failed += 1;
            println!("  FAIL  {what}  ({detail})");
        }
    }

    fn expect(&mut self, got: &Reply, want: &Reply, what: &str) {
        self.check(got == want, what, show(got));
    }
}

/// A reply as `redis-cli` would print it, roughly.
fn show(r: &Reply) -> String {
    match r {
        Reply::Simple(s) => s.clone(),
        Reply::Error(e) => format!("(error) {e}"),
        Reply::Int(n) => format!("(integer) {n}"),
        Reply::Bulk(None) | Reply::Array(None) => "(nil)".into(),
        Reply::Bulk(Some(b)) => format!("{:?}", String::from_utf8_lossy(b)),
        Reply::Array(Some(items)) => format!(
            "[{}]",
            items.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn int(r: &Reply) -> Option<i64> {
    match r {
        Reply::Int(n) => Some(*n),
        _ => None,
    }
}

fn ok() -> Reply {
    Reply::Simple("OK".into())
}

fn bulk(s: &str) -> Reply {
    Reply::Bulk(Some(s.as_bytes().to_vec()))
}

/// `expired_keys` from `INFO stats`.
fn expired_keys(c: &mut Conn) -> anyhow::Result<u64> {
    let Reply::Bulk(Some(text)) = c.cmd(&["INFO", "stats"])? else {
        bail!("INFO stats did not answer a bulk string");
    };
    let text = String::from_utf8_lossy(&text);
    text.lines()
        .find_map(|l| l.strip_prefix("expired_keys:"))
        .context("INFO stats has no expired_keys field")?
        .trim()
        .parse()
        .context("expired_keys is not a number")
}

fn main() -> anyhow::Result<()> {
    let (mut host, mut port) = ("127.0.0.1".to_string(), "6379".to_string());
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "-h" => host = args.next().context("-h needs a host")?,
            "-p" => port = args.next().context("-p needs a port")?,
            _ => {
                eprintln!("usage: test_expiry [-h host] [-p port]");
                std::process::exit(2);
            }
        }
    }
    let addr = format!("{host}:{port}");
    let mut c = Conn::connect(&addr)?;
    let mut r = Report {
        failed: 0,
        passed: 0,
    };
    let p = format!("test_expiry:{}:", std::process::id());
    let k = |name: &str| format!("{p}{name}");
    println!("test_expiry against {addr} (keys prefixed {p})");

    println!("\n1. A TTL counts down");
    let a = k("a");
    r.expect(
        &c.cmd(&["SET", &a, "v", "PX", "1500"])?,
        &ok(),
        "SET a v PX 1500",
    );
    let pttl = c.cmd(&["PTTL", &a])?;
    r.check(
        int(&pttl).is_some_and(|n| (1..=1500).contains(&n)),
        "PTTL a is in 1..=1500 ms",
        show(&pttl),
    );
    let ttl = c.cmd(&["TTL", &a])?;
    r.check(
        int(&ttl).is_some_and(|n| (1..=2).contains(&n)),
        "TTL a is 1 or 2 s (rounded)",
        show(&ttl),
    );
    sleep(Duration::from_millis(500));
    let later = c.cmd(&["PTTL", &a])?;
    r.check(
        matches!((int(&pttl), int(&later)), (Some(x), Some(y)) if y > 0 && y <= x - 400),
        "500 ms later, PTTL a dropped by about 500",
        show(&later),
    );

    println!("\n2. The key vanishes at its deadline");
    sleep(Duration::from_millis(1_100));
    r.expect(&c.cmd(&["GET", &a])?, &Reply::Bulk(None), "GET a");
    r.expect(&c.cmd(&["EXISTS", &a])?, &Reply::Int(0), "EXISTS a");
    r.expect(
        &c.cmd(&["TTL", &a])?,
        &Reply::Int(-2),
        "TTL a is -2 (no such key)",
    );
    r.expect(&c.cmd(&["PTTL", &a])?, &Reply::Int(-2), "PTTL a is -2");

    println!("\n3. PERSIST and a plain SET remove a TTL; KEEPTTL keeps it");
    let b = k("b");
    r.expect(&c.cmd(&["SET", &b, "v"])?, &ok(), "SET b v");
    r.expect(
        &c.cmd(&["TTL", &b])?,
        &Reply::Int(-1),
        "TTL b is -1 (no TTL)",
    );
    r.expect(&c.cmd(&["EXPIRE", &b, "1"])?, &Reply::Int(1), "EXPIRE b 1");
    r.expect(&c.cmd(&["PERSIST", &b])?, &Reply::Int(1), "PERSIST b");
    r.expect(
        &c.cmd(&["PERSIST", &b])?,
        &Reply::Int(0),
        "PERSIST b again: nothing to remove",
    );
    r.expect(&c.cmd(&["TTL", &b])?, &Reply::Int(-1), "TTL b is -1 again");
    let d = k("d");
    r.expect(&c.cmd(&["SET", &d, "v", "EX", "1"])?, &ok(), "SET d v EX 1");
    r.expect(
        &c.cmd(&["SET", &d, "w", "KEEPTTL"])?,
        &ok(),
        "SET d w KEEPTTL",
    );
    let kept = c.cmd(&["PTTL", &d])?;
    r.check(
        int(&kept).is_some_and(|n| n > 0),
        "PTTL d still counts down",
        show(&kept),
    );
    r.expect(&c.cmd(&["SET", &d, "x"])?, &ok(), "SET d x (no KEEPTTL)");
    r.expect(
        &c.cmd(&["TTL", &d])?,
        &Reply::Int(-1),
        "TTL d is -1: the SET dropped it",
    );
    sleep(Duration::from_millis(1_200));
    r.expect(
        &c.cmd(&["GET", &b])?,
        &bulk("v"),
        "1.2 s later, GET b still answers",
    );
    r.expect(&c.cmd(&["GET", &d])?, &bulk("x"), "and GET d too");

    println!("\n4. Lazy expiry: a read just after the deadline never sees the key");
    println!("     (the sweeper may not have come yet; the read path checks the deadline itself)");
    let e = k("e");
    r.expect(
        &c.cmd(&["SET", &e, "v", "PX", "100"])?,
        &ok(),
        "SET e v PX 100",
    );
    sleep(Duration::from_millis(120));
    r.expect(
        &c.cmd(&["GET", &e])?,
        &Reply::Bulk(None),
        "120 ms later, GET e",
    );

    println!("\n5. Active expiry: keys nobody reads are deleted anyway");
    let n = 10_000;
    let before = expired_keys(&mut c);
    let sets: Vec<Vec<String>> = (0..n)
        .map(|i| {
            vec![
                "SET".into(),
                k(&format!("many:{i}")),
                "v".into(),
                "PX".into(),
                "200".into(),
            ]
        })
        .collect();
    c.send(&sets)?;
    let replies = (0..n).map(|_| c.read()).collect::<Result<Vec<_>, _>>()?;
    r.check(
        replies.iter().all(|x| *x == ok()),
        &format!("SET {n} keys with PX 200, pipelined"),
        "all OK",
    );
    match before {
        Err(err) => r.check(false, "INFO stats reports expired_keys", err),
        Ok(before) => {
            // Nobody touches these keys again: only the sweeper can delete them.
            let started = Instant::now();
            let mut last = 0;
            let mut done = false;
            while started.elapsed() < Duration::from_secs(15) {
                sleep(Duration::from_millis(100));
                let gone = expired_keys(&mut c)?.saturating_sub(before);
                if gone != last {
                    println!(
                        "     after {:>5} ms: {gone:>6} expired",
                        started.elapsed().as_millis()
                    );
                    last = gone;
                }
                if gone >= n as u64 {
                    done = true;
                    break;
                }
            }
            r.check(
                done,
                &format!("expired_keys grew by {n} without a single read"),
                format!("{last} in {} ms", started.elapsed().as_millis()),
            );
        }
    }

    // Tidy up whatever is left (b and d; the others expired).
    c.cmd(&["DEL", &b, &d])?;

    println!("\n{} passed, {} failed", r.passed, r.failed);
    if r.failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}
