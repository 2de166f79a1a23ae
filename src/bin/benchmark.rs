//! The benchmark binary: one load generator to point at this server *and* at real Redis.
//!
//! Go original: `cmd/benchmark/main.go`. Explained in: book chapter "Benchmarking".
//!
//! # What it measures
//! For each test it runs `-n` requests over `-c` connections, each connection on its own OS
//! thread with `-P` requests in flight, and reports:
//! - **throughput**: completed requests divided by the wall-clock time from the moment every
//!   connection is open and starts sending to the moment the last reply arrives;
//! - **latency** of every single request, from the write of its pipeline batch to the moment its
//!   reply is complete, kept in a log-bucket histogram (no sample list) and summarised as avg,
//!   min, p50, p99, p99.9 and max;
//! - **error replies** (`-ERR ...`): counted per test and reported with the first one's text, so a
//!   command the server does not know yet shows up as errors, never as a suspiciously fast run.
//!
//! # How it differs from `redis-benchmark`
//! The tests send the same commands with the same key shapes (`key:__rand_int__`, `mylist`,
//! `myset`, ... and with `-r N` the placeholder becomes a random 12-digit number such as
//! `key:000000000042`), so the figures of both tools describe the same work. The differences:
//! - one OS thread per connection with blocking sockets instead of one event loop: this client
//!   costs more CPU per request, which matters when client and server share two cores (and on a
//!   busy machine a server with a thread per client gets more of the CPU than single-threaded
//!   Redis does: compare within one quiet run, never across machines);
//! - with `-P`, each reply is timed on its own; `redis-benchmark` gives every reply of a batch the
//!   latency of the batch's first reply;
//! - `lrange_100` pre-fills `mylist` with 100 `LPUSH`es; `redis-benchmark` first runs a whole `-n`
//!   `LPUSH` benchmark, which only makes the list longer than the 100 elements `LRANGE 0 99` reads;
//! - `ping` is `PING` sent as a RESP array (`redis-benchmark`'s `PING_MBULK`); no inline `PING`;
//! - no `CONFIG GET` at start-up, so it also runs against servers that do not know `CONFIG`;
//! - values are `-d` bytes of `x`, as in the Go original (`redis-benchmark` uses pseudo-random
//!   printable bytes; the size is what costs, not the content).
//!
//! # Running it against both servers
//! ```sh
//! redis-server --port 7399 --save '' --appendonly no --daemonize yes
//! cargo build --release --bin server --bin benchmark
//! target/release/server --port 7398 --appendonly no &
//! target/release/benchmark -p 7399 -c 50 -n 100000 -t ping,set,get -q    # Redis
//! target/release/benchmark -p 7398 -c 50 -n 100000 -t ping,set,get -q    # this server
//! ```
//! `tests/bench/side-by-side.sh` does exactly that and prints one table. The figures in the book
//! come from `tests/bench/compare.sh`, the project's standard driver of
//! `redis-benchmark` (interleaved rounds, medians, CPU accounting); this tool is for the classroom
//! (one small binary, readable code, the same flags as the Go original) and for latency
//! percentiles.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use rand::Rng;

const USAGE: &str = "\
Usage: benchmark [-h host] [-p port] [-c clients] [-n requests] [-d size] [-t tests]
                 [-P pipeline] [-r keyspace] [-q] [--csv]

A load generator for this server and for real Redis: the same commands and key shapes as
redis-benchmark, one OS thread per client, latency percentiles from a histogram.

Options:
  -h <host>      server host (default 127.0.0.1)
  -p <port>      server port (default 6379)
  -c <clients>   parallel connections, one thread each (default 50)
  -n <requests>  total requests per test (default 100000)
  -d <size>      value size in bytes for SET, LPUSH, HSET, MSET... (default 3)
  -t <tests>     comma-separated tests, or `all` (default all):
                 ping, set, get, incr, lpush, rpush, lpop, rpop, sadd, hset,
                 spop, zadd, zpopmin, lrange_100, mset
  -P <pipeline>  requests in flight per connection (default 1: no pipelining)
  -r <keyspace>  random keys: __rand_int__ in key names becomes a random 12-digit
                 number below <keyspace> (default: one fixed key per test)
  -q             quiet: one line per test
  --csv          CSV output, one line per test
  --help         this text

Tests run in the order above, whatever the order in -t. Error replies are counted
and reported; a connection that fails or stays silent for 10 s stops the run.
";

/// How long a client waits for a reply before declaring the server stuck. A server that sends
/// nothing back for an error (go-redis does that for unknown commands) would otherwise hang the
/// benchmark forever.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// What `redis-benchmark` writes in key names where a random number goes; exactly 12 bytes, the
/// width of the zero-padded number that replaces it.
const PLACEHOLDER: &[u8] = b"__rand_int__";

/// Everything the command line sets.
#[derive(Clone, Debug, PartialEq)]
struct Options {
    host: String,
    port: u16,
    clients: usize,
    requests: u64,
    data_size: usize,
    tests: Vec<Test>,
    pipeline: usize,
    /// 0: no `-r`, the placeholder stays in the key names (one fixed key, as `redis-benchmark`).
    keyspace: u64,
    quiet: bool,
    csv: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            // Go parity: go-redis dials "localhost", which may resolve to ::1 first while servers
            // listen on 127.0.0.1; we name the address the servers actually use.
            host: "127.0.0.1".into(),
            port: 6379,
            clients: 50,
            // Go parity: go-redis defaults to 10,000 requests, a run of a few hundredths of a
            // second against Redis; 100,000 is redis-benchmark's default and gives stable figures.
            requests: 100_000,
            data_size: 3,
            tests: Test::ALL.to_vec(),
            pipeline: 1,
            keyspace: 0,
            quiet: false,
            csv: false,
        }
    }
}

impl Options {
    /// Parses the arguments (without the program name); `None` when `--help` was asked for.
    fn parse(args: &[String]) -> anyhow::Result<Option<Options>> {
        let mut o = Options::default();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || {
                it.next()
                    .ok_or_else(|| anyhow!("option {flag} needs a value (see --help)"))
            };
            match flag.as_str() {
                "--help" | "-?" => return Ok(None),
                "-q" => o.quiet = true,
                "--csv" => o.csv = true,
                "-h" => o.host = value()?.clone(),
                "-p" => o.port = number(flag, value()?, 1, u16::MAX as u64)? as u16,
                "-c" => o.clients = number(flag, value()?, 1, 100_000)? as usize,
                "-n" => o.requests = number(flag, value()?, 1, 1 << 48)?,
                "-d" => o.data_size = number(flag, value()?, 0, 512 * 1024 * 1024)? as usize,
                "-P" => o.pipeline = number(flag, value()?, 1, 1_000_000)? as usize,
                // 12 digits replace the placeholder, so the keyspace ends at 10^12.
                "-r" => o.keyspace = number(flag, value()?, 1, 1_000_000_000_000)?,
                "-t" => o.tests = Test::parse_list(value()?)?,
                other => bail!("unknown option {other} (see --help)"),
            }
        }
        Ok(Some(o))
    }
}

/// Parses a decimal flag value within `min..=max`.
fn number(flag: &str, s: &str, min: u64, max: u64) -> anyhow::Result<u64> {
    match s.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => bail!("option {flag}: expected a whole number from {min} to {max}, got {s:?}"),
    }
}

// ANCHOR: test
/// One benchmark, named as `redis-benchmark -t` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Test {
    Ping,
    Set,
    Get,
    Incr,
    Lpush,
    Rpush,
    Lpop,
    Rpop,
    Sadd,
    Hset,
    Spop,
    Zadd,
    Zpopmin,
    Lrange100,
    Mset,
}

impl Test {
    /// Every test, in the order they run (`redis-benchmark`'s order).
    const ALL: [Test; 15] = [
        Test::Ping,
        Test::Set,
        Test::Get,
        Test::Incr,
        Test::Lpush,
        Test::Rpush,
        Test::Lpop,
        Test::Rpop,
        Test::Sadd,
        Test::Hset,
        Test::Spop,
        Test::Zadd,
        Test::Zpopmin,
        Test::Lrange100,
        Test::Mset,
    ];

    /// The `-t` name.
    fn name(self) -> &'static str {
        match self {
            Test::Ping => "ping",
            Test::Set => "set",
            Test::Get => "get",
            Test::Incr => "incr",
            Test::Lpush => "lpush",
            Test::Rpush => "rpush",
            Test::Lpop => "lpop",
            Test::Rpop => "rpop",
            Test::Sadd => "sadd",
            Test::Hset => "hset",
            Test::Spop => "spop",
            Test::Zadd => "zadd",
            Test::Zpopmin => "zpopmin",
            Test::Lrange100 => "lrange_100",
            Test::Mset => "mset",
        }
    }

    /// The title in reports: `redis-benchmark`'s, except `PING` (its `PING_MBULK`).
    fn title(self) -> &'static str {
        match self {
            Test::Lrange100 => "LRANGE_100 (first 100 elements)",
            Test::Mset => "MSET (10 keys)",
            Test::Ping => "PING",
            Test::Set => "SET",
            Test::Get => "GET",
            Test::Incr => "INCR",
            Test::Lpush => "LPUSH",
            Test::Rpush => "RPUSH",
            Test::Lpop => "LPOP",
            Test::Rpop => "RPOP",
            Test::Sadd => "SADD",
            Test::Hset => "HSET",
            Test::Spop => "SPOP",
            Test::Zadd => "ZADD",
            Test::Zpopmin => "ZPOPMIN",
        }
    }

    /// Parses `-t`: comma-separated names or `all`, case-insensitive; runs keep [`Test::ALL`]'s order.
    fn parse_list(s: &str) -> anyhow::Result<Vec<Test>> {
        let mut wanted = Vec::new();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let name = name.to_ascii_lowercase();
            if name == "all" {
                return Ok(Test::ALL.to_vec());
            }
            // Go parity: go-redis knows five tests and prints "Unknown test type"; redis-benchmark
            // silently skips names it does not know. A typo here is an error, not an empty run.
            let Some(t) = Test::ALL.iter().find(|t| t.name() == name) else {
                let names: Vec<&str> = Test::ALL.iter().map(|t| t.name()).collect();
                bail!("unknown test {name:?} (tests: {}, or all)", names.join(", "));
            };
            wanted.push(*t);
        }
        if wanted.is_empty() {
            bail!("option -t: no test named");
        }
        Ok(Test::ALL.iter().copied().filter(|t| wanted.contains(t)).collect())
    }

    /// The command, word by word, with `__rand_int__` where `-r` puts a random number.
    /// `value` is the `-d` payload; `random` says whether `-r` was given (it changes `ZADD`'s score).
    fn argv(self, value: &[u8], random: bool) -> Vec<Vec<u8>> {
        // Go parity: go-redis uses its own keys (`key:<request number>`, GET on 1,000 keys it
        // pre-populates, `counter:<n % 100>`); we send redis-benchmark's, so that both tools, and
        // both servers, do the same work. As in redis-benchmark, GET reads what SET wrote before
        // it (run `-t get` alone and every GET is a miss).
        let words: Vec<&[u8]> = match self {
            Test::Ping => vec![b"PING"],
            Test::Set => vec![b"SET", b"key:__rand_int__", value],
            Test::Get => vec![b"GET", b"key:__rand_int__"],
            Test::Incr => vec![b"INCR", b"counter:__rand_int__"],
            Test::Lpush => vec![b"LPUSH", b"mylist", value],
            Test::Rpush => vec![b"RPUSH", b"mylist", value],
            Test::Lpop => vec![b"LPOP", b"mylist"],
            Test::Rpop => vec![b"RPOP", b"mylist"],
            Test::Sadd => vec![b"SADD", b"myset", b"element:__rand_int__"],
            Test::Hset => vec![b"HSET", b"myhash", b"element:__rand_int__", value],
            Test::Spop => vec![b"SPOP", b"myset"],
            // As redis-benchmark: score 0 unless -r, then a random score as well.
            Test::Zadd => vec![
                b"ZADD",
                b"myzset",
                if random { PLACEHOLDER } else { b"0" },
                b"element:__rand_int__",
            ],
            Test::Zpopmin => vec![b"ZPOPMIN", b"myzset"],
            Test::Lrange100 => vec![b"LRANGE", b"mylist", b"0", b"99"],
            Test::Mset => {
                let mut w: Vec<&[u8]> = vec![b"MSET"];
                for _ in 0..10 {
                    w.push(b"key:__rand_int__");
                    w.push(value);
                }
                w
            }
        };
        words.into_iter().map(<[u8]>::to_vec).collect()
    }
}
// ANCHOR_END: test

// ANCHOR: template
/// A request encoded once as RESP, plus where its `__rand_int__` placeholders sit.
///
/// Encoding a command costs formatting lengths and copying every word; doing it per request
/// would make the client, not the server, the bottleneck. Instead each request is one
/// `extend_from_slice` of this template, then 12 digits overwritten per placeholder (the trick
/// `redis-benchmark` uses, which is why its placeholder is exactly 12 bytes long).
struct Template {
    bytes: Vec<u8>,
    holes: Vec<usize>,
}

impl Template {
    /// Encodes `argv` as a RESP array of bulk strings and records every placeholder's offset.
    fn new(argv: &[Vec<u8>]) -> Template {
        let mut bytes = format!("*{}\r\n", argv.len()).into_bytes();
        let mut holes = Vec::new();
        for word in argv {
            bytes.extend_from_slice(format!("${}\r\n", word.len()).as_bytes());
            let mut i = 0;
            while i + PLACEHOLDER.len() <= word.len() {
                if &word[i..i + PLACEHOLDER.len()] == PLACEHOLDER {
                    holes.push(bytes.len() + i);
                    i += PLACEHOLDER.len();
                } else {
                    i += 1;
                }
            }
            bytes.extend_from_slice(word);
            bytes.extend_from_slice(b"\r\n");
        }
        Template { bytes, holes }
    }

    /// Appends one request to `out`; with a `keyspace` (`-r`), every placeholder gets its own
    /// random number in `0..keyspace`, zero-padded to 12 digits.
    fn append_to(&self, out: &mut Vec<u8>, keyspace: u64, rng: &mut impl Rng) {
        let start = out.len();
        out.extend_from_slice(&self.bytes);
        if keyspace == 0 {
            return;
        }
        for &hole in &self.holes {
            let mut n = rng.random_range(0..keyspace);
            for digit in out[start + hole..start + hole + PLACEHOLDER.len()].iter_mut().rev() {
                *digit = b'0' + (n % 10) as u8;
                n /= 10;
            }
        }
    }
}
// ANCHOR_END: template

// ANCHOR: skip_reply
/// Where one complete reply ends, and whether it is an error.
#[derive(Debug, PartialEq, Eq)]
struct Skipped {
    len: usize,
    error: bool,
}

/// Finds the end of the first complete RESP2 reply in `buf` without allocating or decoding it.
/// `Ok(None)`: the reply is not complete yet, read more.
///
/// An array is skipped without recursion: `remaining` counts the values still to skip, and an
/// array header adds its element count to it. Only a top-level `-` reply counts as an error (an
/// error inside an `EXEC` result array is that transaction's business, not the benchmark's).
///
/// # Errors
/// Bytes that are not RESP2: an unknown type byte, a bad length, a missing `\r\n`.
fn skip_reply(buf: &[u8]) -> anyhow::Result<Option<Skipped>> {
    let error = buf.first() == Some(&b'-');
    let mut pos = 0;
    let mut remaining: u64 = 1;
    while remaining > 0 {
        remaining -= 1;
        let Some(kind) = buf.get(pos).copied() else {
            return Ok(None);
        };
        let Some(nl) = buf[pos..].iter().position(|&b| b == b'\n') else {
            return Ok(None);
        };
        let line_end = pos + nl; // the '\n'
        if nl < 2 || buf[line_end - 1] != b'\r' {
            bail!("malformed reply: a line without \\r\\n at byte {pos}");
        }
        let line = &buf[pos + 1..line_end - 1];
        pos = line_end + 1;
        match kind {
            b'+' | b'-' | b':' => {}
            b'$' => {
                if let Some(n) = parse_len(line)? {
                    let end = pos.saturating_add(n).saturating_add(2);
                    if buf.len() < end {
                        return Ok(None);
                    }
                    if &buf[end - 2..end] != b"\r\n" {
                        bail!("malformed reply: bulk string of {n} bytes not followed by \\r\\n");
                    }
                    pos = end;
                }
            }
            b'*' => {
                if let Some(n) = parse_len(line)? {
                    remaining += n as u64;
                }
            }
            other => bail!(
                "unexpected reply type {:?}: this client speaks RESP2 only",
                char::from(other)
            ),
        }
    }
    Ok(Some(Skipped { len: pos, error }))
}
// ANCHOR_END: skip_reply

/// Parses the length of a `$` or `*` header: `None` for `-1` (nil).
fn parse_len(digits: &[u8]) -> anyhow::Result<Option<usize>> {
    if digits == b"-1" {
        return Ok(None);
    }
    let mut n: usize = 0;
    for &d in digits {
        if !d.is_ascii_digit() || digits.len() > 18 {
            bail!("malformed reply: bad length {:?}", String::from_utf8_lossy(digits));
        }
        n = n * 10 + usize::from(d - b'0');
    }
    if digits.is_empty() {
        bail!("malformed reply: empty length");
    }
    Ok(Some(n))
}

// ANCHOR: histogram
/// A latency histogram in microseconds with log-linear buckets, in the manner of HdrHistogram.
///
/// Values below 128 µs have a bucket each; above, every power of two is split into 128 equal
/// buckets, so a bucket is never wider than 1/128 (0.8 %) of the values it holds. The whole `u64`
/// range fits in 7,424 counters (58 KB), however many requests are recorded: a sorted list of
/// a million samples would take 8 MB and a sort, and grow with `-n`.
#[derive(Clone, Debug)]
struct Histogram {
    counts: Vec<u64>,
    count: u64,
    sum: u64,
    min: u64,
    max: u64,
}

/// log2 of the number of buckets per power of two.
const SUB_BITS: u32 = 7;
/// Buckets per power of two, and the number of exact buckets at the bottom.
const SUB: u64 = 1 << SUB_BITS;

impl Histogram {
    fn new() -> Histogram {
        Histogram {
            counts: vec![0; ((64 - SUB_BITS + 1) as usize) << SUB_BITS],
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    /// The bucket of `v`: below `SUB` the value itself; above, the octave and the `SUB_BITS`
    /// bits that follow the value's highest set bit.
    fn index(v: u64) -> usize {
        if v < SUB {
            return v as usize;
        }
        let msb = 63 - v.leading_zeros(); // >= SUB_BITS
        let shift = msb - SUB_BITS;
        let top = v >> shift; // in SUB..2*SUB
        ((shift as u64 + 1) * SUB + (top - SUB)) as usize
    }

    /// The largest value that falls in bucket `i`.
    fn highest_in(i: usize) -> u64 {
        let i = i as u64;
        if i < SUB {
            return i;
        }
        let shift = i / SUB - 1;
        let top = (i % SUB + SUB) as u128;
        (((top + 1) << shift) - 1).min(u64::MAX as u128) as u64
    }

    fn record(&mut self, micros: u64) {
        self.counts[Histogram::index(micros)] += 1;
        self.count += 1;
        self.sum = self.sum.saturating_add(micros);
        self.min = self.min.min(micros);
        self.max = self.max.max(micros);
    }

    fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.count += other.count;
        self.sum = self.sum.saturating_add(other.sum);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The value at percentile `p` (0..=100): the smallest recorded value such that `p` % of
    /// the recordings are at most it, up to the bucket's width (as HdrHistogram, we answer the
    /// bucket's highest value, never more than the true maximum). 0 when empty.
    fn percentile(&self, p: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        // The small subtraction keeps floating-point noise (99.9 % of 10,000 = 9,990.000000001)
        // from pushing the rank one past an exact boundary.
        let rank = ((p * self.count as f64 / 100.0 - 1e-9).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Histogram::highest_in(i).min(self.max);
            }
        }
        self.max
    }

    fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }
}
// ANCHOR_END: histogram

/// What every client thread shares for one test.
struct Job {
    template: Template,
    keyspace: u64,
    pipeline: usize,
    requests: u64,
    /// Requests handed out so far. Clients claim a batch at a time, so a fast connection does
    /// more of the work and none sits idle at the end (`redis-benchmark` shares its count too).
    issued: AtomicU64,
}

impl Job {
    /// Claims up to one pipeline's worth of requests; 0 when all are handed out.
    fn claim(&self) -> usize {
        let want = self.pipeline as u64;
        let before = self.issued.fetch_add(want, Ordering::Relaxed);
        self.requests.saturating_sub(before).min(want) as usize
    }
}

/// Error replies seen, and the text of the first one (the only reply this client ever copies).
#[derive(Debug, Default)]
struct Errors {
    count: u64,
    first: Option<String>,
}

impl Errors {
    fn merge(&mut self, other: Errors) {
        self.count += other.count;
        self.first = self.first.take().or(other.first);
    }
}

/// What one client thread brings back.
struct ClientStats {
    latency: Histogram,
    errors: Errors,
    finished: Instant,
}

/// Bytes read from the socket that replies have not consumed yet.
struct ReplyBuffer {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReplyBuffer {
    fn new() -> ReplyBuffer {
        ReplyBuffer {
            buf: vec![0; 64 * 1024],
            start: 0,
            end: 0,
        }
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Consumes the next reply, reading from `stream` until it is complete, and counts it in
    /// `errors` if it is an error.
    ///
    /// # Errors
    /// The connection failed, closed, or stayed silent past [`REPLY_TIMEOUT`]; or the bytes are
    /// not RESP2.
    fn next_reply(&mut self, stream: &mut TcpStream, errors: &mut Errors) -> anyhow::Result<()> {
        loop {
            if let Some(reply) = skip_reply(self.pending())? {
                if reply.error {
                    errors.count += 1;
                    if errors.first.is_none() {
                        let text = &self.pending()[1..reply.len - 2];
                        errors.first = Some(String::from_utf8_lossy(text).into_owned());
                    }
                }
                self.start += reply.len;
                if self.start == self.end {
                    (self.start, self.end) = (0, 0);
                }
                return Ok(());
            }
            self.fill(stream)?;
        }
    }

    /// Reads more bytes. Makes room first: slides an unfinished reply to the front, or doubles
    /// the buffer when one reply is larger than all of it.
    fn fill(&mut self, stream: &mut TcpStream) -> anyhow::Result<()> {
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        loop {
            match stream.read(&mut self.buf[self.end..]) {
                Ok(0) => bail!("the server closed the connection"),
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => bail!(
                    "no reply within {} s: the server may not answer this command at all",
                    REPLY_TIMEOUT.as_secs()
                ),
                Err(e) => return Err(e).context("reading replies"),
            }
        }
    }
}

// ANCHOR: client_loop
/// One benchmark connection: claim a batch, write it in one `write`, read until every reply of
/// the batch is in, time each one; repeat until the job is done.
fn client_loop(mut stream: TcpStream, job: &Job) -> anyhow::Result<ClientStats> {
    let mut rng = rand::rng();
    let mut out = Vec::with_capacity(job.template.bytes.len() * job.pipeline);
    let mut replies = ReplyBuffer::new();
    let mut stats = ClientStats {
        latency: Histogram::new(),
        errors: Errors::default(),
        finished: Instant::now(),
    };
    loop {
        let batch = job.claim();
        if batch == 0 {
            break;
        }
        out.clear();
        for _ in 0..batch {
            job.template.append_to(&mut out, job.keyspace, &mut rng);
        }
        let sent = Instant::now();
        stream.write_all(&out).context("sending requests")?;
        for _ in 0..batch {
            replies.next_reply(&mut stream, &mut stats.errors)?;
            // One clock read per reply (tens of nanoseconds, from the vDSO, no system call).
            stats.latency.record(sent.elapsed().as_micros() as u64);
        }
    }
    stats.finished = Instant::now();
    Ok(stats)
}
// ANCHOR_END: client_loop

/// The outcome of one test.
struct Report {
    test: Test,
    completed: u64,
    elapsed: Duration,
    latency: Histogram,
    errors: Errors,
}

impl Report {
    fn rps(&self) -> f64 {
        self.completed as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Opens one connection with the benchmark's socket settings.
fn connect(addrs: &[SocketAddr], opts: &Options) -> anyhow::Result<TcpStream> {
    let stream = TcpStream::connect(addrs).with_context(|| {
        format!(
            "could not connect to {}:{} (is the server running? `cargo run --release -- --port {}` \
             or `redis-server --port {}`)",
            opts.host, opts.port, opts.port, opts.port
        )
    })?;
    // Requests are batched by hand; Nagle's algorithm would only delay them (hiredis, under
    // redis-benchmark, turns it off too).
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(REPLY_TIMEOUT))?;
    Ok(stream)
}

/// Sends `count` copies of one command in one pipeline on a fresh connection and waits for
/// every reply: the pre-fill of tests that read data.
fn prefill(addrs: &[SocketAddr], opts: &Options, argv: &[Vec<u8>], count: usize) -> anyhow::Result<Errors> {
    let mut stream = connect(addrs, opts)?;
    let request = Template::new(argv).bytes;
    stream
        .write_all(&request.repeat(count))
        .context("sending the pre-fill")?;
    let (mut replies, mut errors) = (ReplyBuffer::new(), Errors::default());
    for _ in 0..count {
        replies.next_reply(&mut stream, &mut errors)?;
    }
    Ok(errors)
}

// ANCHOR: run_test
/// Runs one test: opens every connection first (so connecting is not timed), starts all client
/// threads at once, and merges their histograms.
fn run_test(addrs: &[SocketAddr], opts: &Options, test: Test) -> anyhow::Result<Report> {
    let value = vec![b'x'; opts.data_size];
    if test == Test::Lrange100 {
        let errors = prefill(addrs, opts, &Test::Lpush.argv(&value, false), 100)?;
        if let Some(first) = errors.first {
            eprintln!(
                "warning: pre-filling mylist for LRANGE_100: {} error replies (first: {first})",
                errors.count
            );
        }
    }
    let job = Arc::new(Job {
        template: Template::new(&test.argv(&value, opts.keyspace > 0)),
        keyspace: opts.keyspace,
        pipeline: opts.pipeline,
        requests: opts.requests,
        issued: AtomicU64::new(0),
    });
    let mut streams = Vec::with_capacity(opts.clients);
    for _ in 0..opts.clients {
        streams.push(connect(addrs, opts)?);
    }
    // The gate: every thread takes a read guard before its first request, so none starts until
    // all are spawned and this write guard drops (a Barrier could not cope with a failed spawn).
    let gate = Arc::new(RwLock::new(()));
    let closed = gate.write().unwrap_or_else(|p| p.into_inner());
    let mut threads = Vec::with_capacity(opts.clients);
    for (i, stream) in streams.into_iter().enumerate() {
        let (mine, gate) = (job.clone(), gate.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("bench-client-{i}"))
            // The buffers live on the heap; a small stack lets thousands of clients start.
            .stack_size(256 * 1024)
            .spawn(move || {
                drop(gate.read().unwrap_or_else(|p| p.into_inner()));
                client_loop(stream, &mine)
            });
        match spawned {
            Ok(t) => threads.push(t),
            Err(e) => {
                // Nothing left to claim: the threads already started finish at once.
                job.issued.store(job.requests, Ordering::Relaxed);
                drop(closed);
                for t in threads {
                    let _ = t.join();
                }
                return Err(e).context(format!("starting client thread {i} (try fewer clients with -c)"));
            }
        }
    }
    drop(closed);
    let started = Instant::now();
    let mut report = Report {
        test,
        completed: 0,
        elapsed: Duration::ZERO,
        latency: Histogram::new(),
        errors: Errors::default(),
    };
    let mut finished = started;
    let mut failure = None;
    for (i, t) in threads.into_iter().enumerate() {
        match t.join() {
            Ok(Ok(s)) => {
                report.latency.merge(&s.latency);
                report.errors.merge(s.errors);
                finished = finished.max(s.finished);
            }
            Ok(Err(e)) => failure = failure.or(Some(e.context(format!("{}: client {i}", test.title())))),
            Err(_) => failure = failure.or(Some(anyhow!("{}: client {i} panicked", test.title()))),
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    report.completed = report.latency.count;
    report.elapsed = finished - started;
    Ok(report)
}
// ANCHOR_END: run_test

/// Microseconds as milliseconds with three decimals, as `redis-benchmark` prints them.
fn ms(micros: f64) -> String {
    format!("{:.3}", micros / 1000.0)
}

/// Prints one test's figures in the chosen format.
///
/// Go parity: go-redis prints ops/sec and the average latency in a boxed summary; we print
/// redis-benchmark's layout (and its `-q` and `--csv` shapes, with p99.9 and an error count
/// added), so the outputs of the two tools can be read side by side.
fn print_report(r: &Report, opts: &Options) {
    let h = &r.latency;
    let (p50, p99, p999) = (h.percentile(50.0), h.percentile(99.0), h.percentile(99.9));
    let min = if h.count == 0 { 0 } else { h.min };
    if opts.csv {
        println!(
            "\"{}\",\"{:.2}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\"",
            r.test.title(),
            r.rps(),
            ms(h.mean()),
            ms(min as f64),
            ms(p50 as f64),
            ms(p99 as f64),
            ms(p999 as f64),
            ms(h.max as f64),
            r.errors.count
        );
        return;
    }
    let errors = match &r.errors.first {
        Some(first) => format!("{} error replies (first: {first})", r.errors.count),
        None => "no error replies".to_string(),
    };
    if opts.quiet {
        print!(
            "{}: {:.2} requests per second, p50={} msec, p99={} msec, p99.9={} msec",
            r.test.title(),
            r.rps(),
            ms(p50 as f64),
            ms(p99 as f64),
            ms(p999 as f64)
        );
        if r.errors.count > 0 {
            print!(", {errors}");
        }
        println!();
        return;
    }
    let keys = if opts.keyspace > 0 {
        format!("random keys in a keyspace of {}", opts.keyspace)
    } else {
        "one fixed key".to_string()
    };
    println!("====== {} ======", r.test.title());
    println!(
        "  {} requests completed in {:.2} seconds",
        r.completed,
        r.elapsed.as_secs_f64()
    );
    println!("  {} parallel clients, pipeline {}", opts.clients, opts.pipeline);
    println!("  {} bytes payload, {keys}", opts.data_size);
    println!("  {errors}");
    println!();
    println!("Summary:");
    println!("  throughput summary: {:.2} requests per second", r.rps());
    println!("  latency summary (msec):");
    println!(
        "  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "avg", "min", "p50", "p99", "p99.9", "max"
    );
    println!(
        "  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        ms(h.mean()),
        ms(min as f64),
        ms(p50 as f64),
        ms(p99 as f64),
        ms(p999 as f64),
        ms(h.max as f64)
    );
    println!();
}

fn main() -> ExitCode {
    // A clean one-paragraph message at this edge: anyhow's `Debug` form (what returning the
    // error from `main` prints) adds a backtrace whenever RUST_BACKTRACE is set.
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("benchmark: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The whole run, from the command line to the last report.
fn run(args: Vec<String>) -> anyhow::Result<()> {
    let Some(opts) = Options::parse(&args)? else {
        print!("{USAGE}");
        return Ok(());
    };
    let addrs: Vec<SocketAddr> = (opts.host.as_str(), opts.port)
        .to_socket_addrs()
        .with_context(|| format!("resolving {}", opts.host))?
        .collect();
    if opts.csv {
        println!(
            "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p99_latency_ms\",\
             \"p999_latency_ms\",\"max_latency_ms\",\"errors\""
        );
    }
    let mut with_errors = Vec::new();
    for &test in &opts.tests {
        let report = run_test(&addrs, &opts, test)?;
        print_report(&report, &opts);
        if report.errors.count > 0 {
            with_errors.push(report);
        }
    }
    // Error replies are part of the figures above, but a fast run of errors is not a fast server:
    // say so on stderr whatever the output format.
    for r in &with_errors {
        eprintln!(
            "warning: {}: {} of {} replies were errors (first: {})",
            r.test.title(),
            r.errors.count,
            r.completed,
            r.errors.first.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_reply_finds_the_end_of_each_reply_type() {
        let cases: &[(&[u8], usize, bool)] = &[
            (b"+OK\r\n", 5, false),
            (b"-ERR unknown command 'INCR'\r\n", 29, true),
            (b":42\r\n", 5, false),
            (b"$3\r\nbar\r\n", 9, false),
            (b"$0\r\n\r\n", 6, false),
            (b"$-1\r\n", 5, false),
            (b"*-1\r\n", 5, false),
            (b"*0\r\n", 4, false),
            (b"*2\r\n$1\r\na\r\n*2\r\n:1\r\n-ERR x\r\n", 27, false),
        ];
        for &(bytes, len, error) in cases {
            // Alone, and followed by the next reply of a pipeline, which must be left alone.
            assert_eq!(skip_reply(bytes).unwrap(), Some(Skipped { len, error }), "{bytes:?}");
            let mut two = bytes.to_vec();
            two.extend_from_slice(b"+PONG\r\n");
            assert_eq!(skip_reply(&two).unwrap(), Some(Skipped { len, error }), "{bytes:?}");
            // Every strict prefix is incomplete, never an error and never a wrong length.
            for cut in 0..bytes.len() {
                assert_eq!(skip_reply(&bytes[..cut]).unwrap(), None, "{:?}", &bytes[..cut]);
            }
        }
    }

    #[test]
    fn skip_reply_rejects_what_is_not_resp2() {
        for bad in [
            &b"%1\r\n"[..],
            b"$x\r\n",
            b"$-2\r\n",
            b"+OK\n",
            b"$3\r\nbarXY",
            b"hello\r\n",
        ] {
            assert!(skip_reply(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn histogram_buckets_are_contiguous_and_tight() {
        // Every value lands in a bucket whose highest value is >= it and within 1/128 of it,
        // and bucket indexes never go backwards.
        let mut last = 0;
        let mut v = 0u64;
        while v < 1 << 40 {
            let i = Histogram::index(v);
            assert!(i >= last, "index went back at {v}");
            last = i;
            let high = Histogram::highest_in(i);
            assert!(high >= v && high - v <= v / SUB, "value {v} bucket high {high}");
            assert_eq!(Histogram::index(high), i);
            assert_eq!(Histogram::index(high + 1), i + 1);
            v = v * 17 / 16 + 1;
        }
        assert_eq!(Histogram::index(u64::MAX), Histogram::new().counts.len() - 1);
        assert_eq!(Histogram::highest_in(Histogram::index(u64::MAX)), u64::MAX);
    }

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut h = Histogram::new();
        assert_eq!(h.percentile(50.0), 0);
        // 1..=1000 µs, one each: p50 is 500, p99 990, p99.9 999, up to the bucket width.
        for v in 1..=1000 {
            h.record(v);
        }
        let near = |got: u64, want: u64| got >= want && got - want <= want / SUB;
        assert!(near(h.percentile(50.0), 500), "{}", h.percentile(50.0));
        assert!(near(h.percentile(99.0), 990), "{}", h.percentile(99.0));
        assert!(near(h.percentile(99.9), 999), "{}", h.percentile(99.9));
        assert_eq!(h.percentile(100.0), 1000);
        assert_eq!(h.percentile(0.0), 1);
        assert_eq!((h.min, h.max, h.mean()), (1, 1000, 500.5));
        // One slow outlier among fast requests moves p99.9 and max only.
        let mut a = Histogram::new();
        for _ in 0..9_990 {
            a.record(20);
        }
        let mut b = Histogram::new();
        for _ in 0..10 {
            b.record(50_000);
        }
        a.merge(&b);
        assert_eq!(
            (a.percentile(50.0), a.percentile(99.0), a.percentile(99.9)),
            (20, 20, 20)
        );
        assert!(near(a.percentile(99.95), 50_000));
        assert_eq!(a.max, 50_000);
    }

    #[test]
    fn templates_fill_every_placeholder_with_twelve_digits() {
        let argv = Test::Mset.argv(b"v", true);
        let t = Template::new(&argv);
        assert_eq!(t.holes.len(), 10);
        let mut out = Vec::new();
        t.append_to(&mut out, 0, &mut rand::rng());
        assert!(out.starts_with(b"*21\r\n$4\r\nMSET\r\n$16\r\nkey:__rand_int__\r\n$1\r\nv\r\n"));
        out.clear();
        t.append_to(&mut out, 1000, &mut rand::rng());
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("__rand_int__"));
        for key in text.split("\r\n").filter(|w| w.starts_with("key:")) {
            let n = &key[4..];
            assert_eq!(n.len(), 12);
            assert!(n.starts_with("000000000") && n.parse::<u64>().unwrap() < 1000, "{key}");
        }
        let zadd = Template::new(&Test::Zadd.argv(b"", false));
        assert_eq!(
            zadd.bytes,
            b"*4\r\n$4\r\nZADD\r\n$6\r\nmyzset\r\n$1\r\n0\r\n$20\r\nelement:__rand_int__\r\n"
        );
    }

    #[test]
    fn options_parse_like_the_go_tool() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let o = Options::parse(&args("-h localhost -p 7000 -c 4 -n 10 -d 8 -t GET,set -P 16 -r 100 -q")).unwrap();
        let o = o.unwrap();
        assert_eq!(
            (o.host.as_str(), o.port, o.clients, o.requests),
            ("localhost", 7000, 4, 10)
        );
        assert_eq!((o.data_size, o.pipeline, o.keyspace, o.quiet), (8, 16, 100, true));
        assert_eq!(o.tests, vec![Test::Set, Test::Get]);
        assert_eq!(Options::parse(&args("--help")).unwrap(), None);
        assert_eq!(Options::parse(&[]).unwrap(), Some(Options::default()));
        for bad in ["-c 0", "-p", "-t nope", "-x 1", "-n -5", "-r 1000000000001"] {
            assert!(Options::parse(&args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn claims_hand_out_exactly_the_requests() {
        let job = Job {
            template: Template::new(&Test::Ping.argv(b"", false)),
            keyspace: 0,
            pipeline: 16,
            requests: 40,
            issued: AtomicU64::new(0),
        };
        let claims: Vec<usize> = (0..5).map(|_| job.claim()).collect();
        assert_eq!(claims, [16, 16, 8, 0, 0]);
    }

    /// End to end against this server in-process: every request answered, and the commands it
    /// does not know counted as errors rather than hidden.
    #[test]
    fn runs_against_the_real_server_and_counts_errors() {
        let dir = std::env::temp_dir().join(format!("rust-redis-bench-test-{}", std::process::id()));
        let server = rust_redis::server::start(rust_redis::server::Config {
            port: 0,
            dir: dir.clone(),
            appendonly: false,
            loglevel: rust_redis::log::Level::Warning,
            ..Default::default()
        })
        .unwrap();
        let addr = server.local_addr();
        let opts = Options {
            port: addr.port(),
            clients: 3,
            requests: 200,
            pipeline: 7,
            keyspace: 50,
            ..Options::default()
        };
        for test in [Test::Ping, Test::Set, Test::Get] {
            let r = run_test(&[addr], &opts, test).unwrap();
            assert_eq!((r.completed, r.errors.count), (200, 0), "{}", test.title());
        }
        // `mylist` holds a string, so LPUSH is an error whether the server knows LPUSH yet or not;
        // and the fixed GET key holds a value larger than the reply buffer, so it must grow.
        let big = vec![b'v'; 100_000];
        let mut stream = connect(&[addr], &opts).unwrap();
        for (key, value) in [(&b"mylist"[..], &b"x"[..]), (b"key:__rand_int__", &big)] {
            stream
                .write_all(&Template::new(&[b"SET".to_vec(), key.to_vec(), value.to_vec()]).bytes)
                .unwrap();
            let mut errors = Errors::default();
            ReplyBuffer::new().next_reply(&mut stream, &mut errors).unwrap();
            assert_eq!(errors.count, 0);
        }
        let fixed_key = Options {
            keyspace: 0,
            ..opts.clone()
        };
        let r = run_test(&[addr], &fixed_key, Test::Get).unwrap();
        assert_eq!((r.completed, r.errors.count), (200, 0));
        let r = run_test(&[addr], &opts, Test::Lpush).unwrap();
        assert_eq!((r.completed, r.errors.count), (200, 200));
        let first = r.errors.first.unwrap();
        assert!(
            first.starts_with("ERR unknown command") || first.starts_with("WRONGTYPE"),
            "{first}"
        );
        drop(server);
        let _ = std::fs::remove_dir_all(dir);
    }
}
