//! What the replication tests share: a client that reads replies as values and pipelines,
//! `INFO` as fields, polling with a deadline, and a dump of a server's whole keyspace (every
//! key of every database, its type, value and deadline) to compare a master with its replica.
//!
//! Used by `tests/replication.rs` (ours and ours) and `tests/replication_interop.rs` (ours and
//! real Redis), so both judge "the same data" by one rule.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use rust_redis::protocol::resp::{Reader, Value};

/// RESP for one command.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A connection whose replies are parsed into [`Value`]s.
pub struct Conn {
    /// The socket, for raw writes and shutdowns.
    pub stream: TcpStream,
    reader: Reader<BufReader<TcpStream>>,
}

impl Conn {
    /// Connects, with a read timeout so that a missing reply fails the test instead of hanging it.
    pub fn connect(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let reader = Reader::new(BufReader::with_capacity(
            64 * 1024,
            stream.try_clone().unwrap(),
        ));
        Conn { stream, reader }
    }

    /// The buffered socket under the parser, for bytes that are not RESP (a snapshot after
    /// `SYNC`). Whatever is read here is no longer seen by [`Conn::read`].
    pub fn raw(&mut self) -> &mut BufReader<TcpStream> {
        self.reader.get_mut()
    }

    /// One reply.
    pub fn read(&mut self) -> Value {
        self.reader
            .read_value()
            .expect("a well-formed reply")
            .expect("a reply, not EOF")
    }

    /// Sends a command (binary words) and reads its reply.
    pub fn cmd_bytes(&mut self, args: &[&[u8]]) -> Value {
        self.stream.write_all(&encode(args)).unwrap();
        self.read()
    }

    /// Sends a command (text words) and does not wait for its reply ([`Conn::read`] it later).
    pub fn send_only(&mut self, args: &[&str]) {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.stream.write_all(&encode(&args)).unwrap();
    }

    /// Sends a command (text words) and reads its reply.
    pub fn cmd(&mut self, args: &[&str]) -> Value {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.cmd_bytes(&args)
    }

    /// Sends a command and asserts that it did not answer an error.
    #[track_caller]
    pub fn ok(&mut self, args: &[&str]) -> Value {
        let reply = self.cmd(args);
        assert!(!reply.is_error(), "{args:?}: {reply:?}");
        reply
    }

    /// The integer a command answers.
    #[track_caller]
    pub fn int(&mut self, args: &[&str]) -> i64 {
        match self.cmd(args) {
            Value::Integer(n) => n,
            other => panic!("{args:?}: expected an integer, got {other:?}"),
        }
    }

    /// Sends every command in one write and reads every reply: one round trip for all.
    pub fn pipeline(&mut self, commands: &[Vec<Vec<u8>>]) -> Vec<Value> {
        let mut bytes = Vec::new();
        for c in commands {
            let args: Vec<&[u8]> = c.iter().map(|a| a.as_slice()).collect();
            bytes.extend_from_slice(&encode(&args));
        }
        // A reader thread is not needed: the replies of a batch fit in the socket buffers the
        // other side drains as it answers, as long as batches stay modest.
        self.stream.write_all(&bytes).unwrap();
        commands.iter().map(|_| self.read()).collect()
    }

    /// `INFO section` as a map of its `field:value` lines.
    pub fn info(&mut self, section: &str) -> HashMap<String, String> {
        let text = match self.cmd(&["INFO", section]) {
            Value::Bulk(b) | Value::Verbatim(b) => String::from_utf8(b).unwrap(),
            other => panic!("INFO: {other:?}"),
        };
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// One field of `INFO section`, or "" if it is not there.
    pub fn info_field(&mut self, section: &str, field: &str) -> String {
        self.info(section).remove(field).unwrap_or_default()
    }

    /// Everything the server holds: every key of every database, with its type, value and
    /// deadline (`PEXPIRETIME`). Each database is read in a few pipelined round trips.
    pub fn keyspace(&mut self) -> Keyspace {
        let mut out = Keyspace::new();
        for db in 0..16 {
            self.ok(&["SELECT", &db.to_string()]);
            let keys = bulks(self.cmd(&["KEYS", "*"]));
            if keys.is_empty() {
                continue;
            }
            for chunk in keys.chunks(500) {
                let types = self.pipeline(
                    &chunk
                        .iter()
                        .map(|k| vec![b"TYPE".to_vec(), k.clone()])
                        .collect::<Vec<_>>(),
                );
                let reads: Vec<Vec<Vec<u8>>> = chunk
                    .iter()
                    .zip(&types)
                    .flat_map(|(key, kind)| {
                        let read: Vec<&[u8]> = match kind {
                            Value::Simple(t) if t == "string" => vec![b"GET"],
                            Value::Simple(t) if t == "list" => vec![b"LRANGE", b"0", b"-1"],
                            Value::Simple(t) if t == "set" => vec![b"SMEMBERS"],
                            Value::Simple(t) if t == "hash" => vec![b"HGETALL"],
                            Value::Simple(t) if t == "zset" => {
                                vec![b"ZRANGE", b"0", b"-1", b"WITHSCORES"]
                            }
                            // Gone since KEYS (expired): read it as a string, and see nil.
                            _ => vec![b"GET"],
                        };
                        let mut command = vec![read[0].to_vec(), key.clone()];
                        command.extend(read[1..].iter().map(|w| w.to_vec()));
                        [command, vec![b"PEXPIRETIME".to_vec(), key.clone()]]
                    })
                    .collect();
                let replies = self.pipeline(&reads);
                for ((key, kind), pair) in chunk.iter().zip(&types).zip(replies.chunks(2)) {
                    let model = match (kind, pair[0].clone()) {
                        (_, Value::Null) => continue,
                        (Value::Simple(t), v) if t == "string" => Model::Str(bulk(v)),
                        (Value::Simple(t), v) if t == "list" => Model::List(bulks(v)),
                        (Value::Simple(t), v) if t == "set" => {
                            Model::Set(bulks(v).into_iter().collect())
                        }
                        (Value::Simple(t), v) if t == "hash" => Model::Hash(
                            bulks(v)
                                .chunks(2)
                                .map(|p| (p[0].clone(), p[1].clone()))
                                .collect(),
                        ),
                        (Value::Simple(t), v) if t == "zset" => {
                            let score =
                                |s: &[u8]| std::str::from_utf8(s).unwrap().parse::<f64>().unwrap();
                            Model::ZSet(
                                bulks(v)
                                    .chunks(2)
                                    .map(|p| (p[0].clone(), score(&p[1])))
                                    .collect(),
                            )
                        }
                        (other, _) => panic!("unexpected type {other:?}"),
                    };
                    let deadline = match pair[1] {
                        Value::Integer(-1) => None,
                        Value::Integer(-2) => continue,
                        Value::Integer(at) => Some(at as u64),
                        ref other => panic!("PEXPIRETIME: {other:?}"),
                    };
                    out.insert((db, key.clone()), (model, deadline));
                }
            }
        }
        self.ok(&["SELECT", "0"]);
        out
    }
}

/// A value that compares by content: sets and hashes unordered, lists and sorted sets in order.
#[derive(Debug, PartialEq, Clone)]
pub enum Model {
    /// A string's bytes.
    Str(Vec<u8>),
    /// A list's elements.
    List(Vec<Vec<u8>>),
    /// A set's members.
    Set(BTreeSet<Vec<u8>>),
    /// A hash's fields and values.
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    /// A sorted set's members and scores, in order.
    ZSet(Vec<(Vec<u8>, f64)>),
}

/// Every key, by database and name: its value and its deadline in ms, if it has one.
pub type Keyspace = BTreeMap<(usize, Vec<u8>), (Model, Option<u64>)>;

/// Asserts two keyspaces hold the same keys and values, with deadlines at most `tolerance_ms`
/// apart; the message names the first few differences, not a dump of both.
#[track_caller]
pub fn assert_same(master: &Keyspace, replica: &Keyspace, tolerance_ms: u64) {
    let mut problems = Vec::new();
    for (key, (model, deadline)) in master {
        match replica.get(key) {
            None => problems.push(format!(
                "db {} key {:?}: missing on the replica",
                key.0,
                show(&key.1)
            )),
            Some((m, _)) if m != model => problems.push(format!(
                "db {} key {:?}: {model:?} on the master, {m:?} on the replica",
                key.0,
                show(&key.1)
            )),
            Some((_, d)) => {
                let close = match (deadline, d) {
                    (None, None) => true,
                    (Some(a), Some(b)) => a.abs_diff(*b) <= tolerance_ms,
                    _ => false,
                };
                if !close {
                    problems.push(format!(
                        "db {} key {:?}: deadline {deadline:?} on the master, {d:?} on the replica",
                        key.0,
                        show(&key.1)
                    ));
                }
            }
        }
    }
    for key in replica.keys().filter(|k| !master.contains_key(*k)) {
        problems.push(format!(
            "db {} key {:?}: only on the replica",
            key.0,
            show(&key.1)
        ));
    }
    assert!(
        problems.is_empty(),
        "{} differences between master and replica ({} and {} keys), first ones:\n{}",
        problems.len(),
        master.len(),
        replica.len(),
        problems[..problems.len().min(10)].join("\n")
    );
}

fn show(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

/// The bytes of a bulk reply.
#[track_caller]
pub fn bulk(v: Value) -> Vec<u8> {
    match v {
        Value::Bulk(b) => b,
        other => panic!("expected a bulk string, got {other:?}"),
    }
}

/// The bulk strings of an array reply.
#[track_caller]
pub fn bulks(v: Value) -> Vec<Vec<u8>> {
    match v {
        Value::Array(items) | Value::Set(items) => items.into_iter().map(bulk).collect(),
        other => panic!("expected an array, got {other:?}"),
    }
}

/// Polls `check` every 10 ms until it holds, failing the test with `what` after `timeout`.
#[track_caller]
pub fn wait_for(timeout: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
