//! A classroom demonstration: talks to a running server and checks, out loud, that lists,
//! sets, hashes, sorted sets and a blocking pop behave like Redis.
//!
//! Go original: `cmd/test_lists_sets/main.go`. Explained in: book chapter 4.
//!
//! Run a server (`cargo run`), then `cargo run --bin test_lists_sets -- [127.0.0.1:6379]`. It
//! uses keys under `demo:` and deletes them as it goes; every check prints what it sent, what
//! it expected and whether the reply matched, byte for byte.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// One connection speaking raw RESP.
struct Conn {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(addr: &str) -> anyhow::Result<Conn> {
        let stream = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let reader = BufReader::new(stream.try_clone()?);
        Ok(Conn { stream, reader })
    }

    fn send(&mut self, args: &[&str]) -> anyhow::Result<()> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.stream.write_all(&out)?;
        Ok(())
    }

    /// Reads one whole reply, as raw text.
    fn read(&mut self) -> anyhow::Result<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            bail!("the server closed the connection");
        }
        let mut out = line.clone();
        let body = line.trim_end();
        let n: i64 = body.get(1..).unwrap_or("0").parse().unwrap_or(0);
        match body.as_bytes().first() {
            Some(b'$') if n >= 0 => {
                let mut buf = vec![0; n as usize + 2];
                self.reader.read_exact(&mut buf)?;
                out.push_str(&String::from_utf8_lossy(&buf));
            }
            Some(b'*') => {
                for _ in 0..n.max(0) {
                    out.push_str(&self.read()?);
                }
            }
            _ => {}
        }
        Ok(out)
    }

    fn cmd(&mut self, args: &[&str]) -> anyhow::Result<String> {
        self.send(args)?;
        self.read()
    }
}

/// Counts checks and prints each one.
#[derive(Default)]
struct Report {
    passed: usize,
    failed: usize,
}

impl Report {
    fn check(&mut self, c: &mut Conn, args: &[&str], expected: &str) -> anyhow::Result<()> {
        let got = c.cmd(args)?;
        self.verdict(&args.join(" "), &got, expected);
        Ok(())
    }

    fn verdict(&mut self, what: &str, got: &str, expected: &str) {
        let show = |s: &str| s.replace("\r\n", "\\r\\n");
        if got == expected {
            self.passed += 1;
            println!("PASS  {what:<45} -> {}", show(got));
        } else {
            self.failed += 1;
            println!(
                "FAIL  {what:<45} -> {} (expected {})",
                show(got),
                show(expected)
            );
        }
    }
}

fn main() -> anyhow::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:6379".to_string());
    let mut c = Conn::open(&addr)?;
    let mut r = Report::default();
    let keys = ["demo:l", "demo:s", "demo:t", "demo:h", "demo:z", "demo:q"];
    for k in keys {
        // Start clean whether or not DEL exists on this server build.
        let _ = c.cmd(&["DEL", k])?;
    }

    println!("== lists");
    r.check(&mut c, &["RPUSH", "demo:l", "a", "b", "c"], ":3\r\n")?;
    r.check(&mut c, &["LPUSH", "demo:l", "z"], ":4\r\n")?;
    r.check(
        &mut c,
        &["LRANGE", "demo:l", "0", "-1"],
        "*4\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
    )?;
    r.check(&mut c, &["LINDEX", "demo:l", "-1"], "$1\r\nc\r\n")?;
    r.check(
        &mut c,
        &["LPOP", "demo:l", "2"],
        "*2\r\n$1\r\nz\r\n$1\r\na\r\n",
    )?;
    r.check(&mut c, &["LPOS", "demo:l", "c"], ":1\r\n")?;
    r.check(
        &mut c,
        &["LPOP", "demo:l", "5"],
        "*2\r\n$1\r\nb\r\n$1\r\nc\r\n",
    )?;
    r.check(&mut c, &["LLEN", "demo:l"], ":0\r\n")?;
    r.check(&mut c, &["LPOP", "demo:l", "1"], "*-1\r\n")?;

    println!("== sets");
    r.check(&mut c, &["SADD", "demo:s", "a", "b", "c"], ":3\r\n")?;
    r.check(&mut c, &["SADD", "demo:t", "b", "c", "d"], ":3\r\n")?;
    r.check(&mut c, &["SISMEMBER", "demo:s", "a"], ":1\r\n")?;
    r.check(&mut c, &["SINTERCARD", "2", "demo:s", "demo:t"], ":2\r\n")?;
    r.check(&mut c, &["SDIFF", "demo:s", "demo:t"], "*1\r\n$1\r\na\r\n")?;
    r.check(&mut c, &["SREM", "demo:s", "a", "b", "c"], ":3\r\n")?;
    r.check(&mut c, &["SCARD", "demo:s"], ":0\r\n")?;

    println!("== hashes");
    r.check(
        &mut c,
        &["HSET", "demo:h", "name", "ada", "visits", "1"],
        ":2\r\n",
    )?;
    r.check(&mut c, &["HINCRBY", "demo:h", "visits", "41"], ":42\r\n")?;
    r.check(&mut c, &["HGET", "demo:h", "visits"], "$2\r\n42\r\n")?;
    r.check(
        &mut c,
        &["HINCRBYFLOAT", "demo:h", "score", "10.5"],
        "$4\r\n10.5\r\n",
    )?;
    r.check(
        &mut c,
        &["HINCRBY", "demo:h", "name", "1"],
        "-ERR hash value is not an integer\r\n",
    )?;

    println!("== sorted sets");
    r.check(
        &mut c,
        &["ZADD", "demo:z", "1", "one", "2", "two", "3", "three"],
        ":3\r\n",
    )?;
    r.check(
        &mut c,
        &["ZRANGE", "demo:z", "(1", "+inf", "BYSCORE", "WITHSCORES"],
        "*4\r\n$3\r\ntwo\r\n$1\r\n2\r\n$5\r\nthree\r\n$1\r\n3\r\n",
    )?;
    r.check(
        &mut c,
        &["ZINCRBY", "demo:z", "0.5", "one"],
        "$3\r\n1.5\r\n",
    )?;
    r.check(&mut c, &["ZRANK", "demo:z", "three"], ":2\r\n")?;
    r.check(
        &mut c,
        &["ZADD", "demo:z", "nan", "x"],
        "-ERR value is not a valid float\r\n",
    )?;
    r.check(
        &mut c,
        &["ZPOPMIN", "demo:z"],
        "*2\r\n$3\r\none\r\n$3\r\n1.5\r\n",
    )?;

    println!("== wrong types");
    r.check(
        &mut c,
        &["LPUSH", "demo:h", "x"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    )?;

    println!("== a blocking pop served by another client");
    let mut waiter = Conn::open(&addr)?;
    waiter.send(&["BLPOP", "demo:q", "5"])?;
    // Give the waiter time to park; the check below holds either way.
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    r.check(&mut c, &["RPUSH", "demo:q", "hello"], ":1\r\n")?;
    let got = waiter.read()?;
    r.verdict(
        "BLPOP demo:q 5 (woken by RPUSH)",
        &got,
        "*2\r\n$6\r\ndemo:q\r\n$5\r\nhello\r\n",
    );
    println!("      woken after {} ms", started.elapsed().as_millis());
    r.check(&mut c, &["BLPOP", "demo:q", "0.1"], "*-1\r\n")?;

    for k in keys {
        let _ = c.cmd(&["DEL", k])?;
    }
    println!("\n{} passed, {} failed", r.passed, r.failed);
    if r.failed > 0 {
        bail!("{} checks failed", r.failed);
    }
    Ok(())
}
