//! HyperLogLog over the wire: the commands' replies and errors, the effects that reach the AOF,
//! and the byte format against a real Redis 7.0 in both directions, sparse and dense.
//! (`PFMERGE` is a classroom exercise, ex15, and its tests are the exercise's.)
//!
//! Explained in: book "HyperLogLog". Without `redis-server` the interop test passes with a
//! note, unless `CI` is set: there a skipped interop test would prove nothing, so it fails.

mod common;

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::{TempDir, encode};
use rust_redis::protocol::resp::{Reader, Value};

/// A RESP connection that reads whole replies as [`Value`]s, to our server or to Redis.
struct Conn {
    stream: TcpStream,
    reader: Reader<BufReader<TcpStream>>,
}

impl Conn {
    fn connect(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let reader = Reader::new(BufReader::new(stream.try_clone().unwrap()));
        Conn { stream, reader }
    }

    fn cmd_bytes(&mut self, args: &[&[u8]]) -> Value {
        self.stream.write_all(&encode(args)).unwrap();
        self.reader.read_value().unwrap().expect("a reply")
    }

    fn cmd(&mut self, args: &[&str]) -> Value {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.cmd_bytes(&args)
    }

    fn int(&mut self, args: &[&str]) -> i64 {
        match self.cmd(args) {
            Value::Integer(n) => n,
            other => panic!("{args:?}: expected an integer, got {other:?}"),
        }
    }

    fn get(&mut self, key: &str) -> Vec<u8> {
        match self.cmd(&["GET", key]) {
            Value::Bulk(b) => b,
            other => panic!("GET {key}: {other:?}"),
        }
    }

    fn error(&mut self, args: &[&str]) -> String {
        match self.cmd(args) {
            Value::Error(e) => e.to_string(),
            other => panic!("{args:?}: expected an error, got {other:?}"),
        }
    }

    /// Adds `n` distinct elements named after `tag`, 500 to a command.
    fn fill(&mut self, key: &str, tag: &str, n: usize) {
        let elements: Vec<String> = (0..n).map(|i| format!("{tag}-{i}")).collect();
        for chunk in elements.chunks(500) {
            let mut args = vec!["PFADD", key];
            args.extend(chunk.iter().map(|s| s.as_str()));
            self.cmd(&args);
        }
    }
}

fn ours() -> (common::TestServer, Conn) {
    let server = common::start();
    let conn = Conn::connect(server.addr());
    (server, conn)
}

#[test]
fn replies_and_errors_match_redis() {
    let (_server, mut c) = ours();
    assert_eq!(c.int(&["PFADD", "h"]), 1);
    assert_eq!(c.get("h"), b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
    assert_eq!(c.int(&["PFADD", "h"]), 0);
    assert_eq!(c.int(&["PFCOUNT", "h"]), 0);
    assert_eq!(c.int(&["PFADD", "h", "a", "b", "c"]), 1);
    assert_eq!(c.int(&["PFADD", "h", "a", "b", "c"]), 0);
    assert_eq!(c.int(&["PFCOUNT", "h"]), 3);
    assert_eq!(c.int(&["PFCOUNT", "h", "missing"]), 3);
    assert_eq!(
        c.cmd(&["PFDEBUG", "ENCODING", "h"]),
        Value::Simple("sparse".into())
    );
    c.cmd(&["SET", "s", "text"]);
    assert_eq!(
        c.error(&["PFADD", "s", "x"]),
        "WRONGTYPE Key is not a valid HyperLogLog string value."
    );
    c.cmd(&["LPUSH", "l", "x"]);
    assert!(
        c.error(&["PFCOUNT", "l"])
            .starts_with("WRONGTYPE Operation against a key")
    );
    c.cmd(&["PFADD", "h", "d"]);
    c.cmd(&["APPEND", "h", "junk"]);
    assert_eq!(
        c.error(&["PFCOUNT", "h"]),
        "INVALIDOBJ Corrupted HLL object detected"
    );
    assert_eq!(
        c.error(&["PFDEBUG", "GETREG", "nokey"]),
        "ERR The specified key does not exist"
    );
}

#[test]
fn a_count_of_several_keys_is_their_union_s() {
    let (_server, mut c) = ours();
    c.fill("a", "x", 1000);
    c.fill("b", "x", 1500);
    c.fill("b", "y", 500);
    let union = c.int(&["PFCOUNT", "a", "b"]);
    assert!((union - 2000).abs() < 100, "{union}");
    assert_eq!(c.int(&["PFDEBUG", "TODENSE", "a"]), 1);
    assert_eq!(c.get("a").len(), 12304);
    assert_eq!(c.cmd(&["PFSELFTEST"]), Value::Simple("OK".into()));
}

#[test]
fn effects_replay_to_the_same_bytes() {
    let dir = TempDir::new();
    let server = common::start_in(dir, |c| c.appendonly = true);
    let mut c = Conn::connect(server.addr());
    c.fill("sparse", "s", 50);
    c.fill("dense", "d", 5000);
    c.cmd(&["PFCOUNT", "sparse"]);
    c.cmd(&["PFCOUNT", "dense"]);
    c.fill("dense", "e", 10);
    let before: Vec<Vec<u8>> = ["sparse", "dense"].iter().map(|k| c.get(k)).collect();
    drop(c);
    let dir = server.stop();
    // A replay under another sparse limit must still give the same bytes.
    let server = common::start_in(dir, |c| {
        c.appendonly = true;
        c.hll_sparse_max_bytes = 20;
    });
    let mut c = Conn::connect(server.addr());
    let after: Vec<Vec<u8>> = ["sparse", "dense"].iter().map(|k| c.get(k)).collect();
    assert_eq!(before, after);
}

#[test]
fn values_move_between_redis_and_us_unchanged() {
    let Some(redis) = common::RealRedis::start("the HyperLogLog interop test") else {
        return;
    };
    let mut theirs = Conn::connect(redis.addr);
    let (_server, mut us) = ours();
    for (n, encoding) in [(200, "sparse"), (20_000, "dense")] {
        let key = format!("k{n}");
        // Made by Redis, counted here.
        theirs.fill(&key, "r", n);
        let bytes = theirs.get(&key);
        us.cmd_bytes(&[b"SET", key.as_bytes(), &bytes]);
        assert_eq!(
            us.cmd(&["PFDEBUG", "ENCODING", &key]),
            Value::Simple(encoding.into())
        );
        assert_eq!(us.int(&["PFCOUNT", &key]), theirs.int(&["PFCOUNT", &key]));
        // Made here, counted by Redis.
        let mine = format!("m{n}");
        us.fill(&mine, "u", n);
        let bytes = us.get(&mine);
        theirs.cmd_bytes(&[b"SET", mine.as_bytes(), &bytes]);
        assert_eq!(
            theirs.cmd(&["PFDEBUG", "ENCODING", &mine]),
            Value::Simple(encoding.into())
        );
        assert_eq!(theirs.int(&["PFCOUNT", &mine]), us.int(&["PFCOUNT", &mine]));
        // The same elements give the same registers on both sides.
        us.fill(&format!("same{n}"), "r", n);
        let ours_regs = us.cmd(&["PFDEBUG", "GETREG", &format!("same{n}")]);
        assert_eq!(ours_regs, theirs.cmd(&["PFDEBUG", "GETREG", &key]));
    }
}

#[test]
fn a_read_only_replica_counts() {
    let (_server, mut c) = ours();
    assert_eq!(c.int(&["PFADD", "h", "a", "b", "c"]), 1);
    // A replica of a master that is not there keeps its keys and refuses writes; a count is a
    // read, even when it stores itself in the value's cache.
    c.cmd(&["REPLICAOF", "127.0.0.1", "1"]);
    assert!(c.error(&["PFADD", "h", "d"]).starts_with("READONLY"));
    assert_eq!(c.int(&["PFCOUNT", "h"]), 3);
    assert_eq!(c.int(&["PFCOUNT", "h", "missing"]), 3);
    c.cmd(&["REPLICAOF", "NO", "ONE"]);
}
