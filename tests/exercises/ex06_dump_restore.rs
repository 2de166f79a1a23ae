//! Exercise 06: `DUMP key` and `RESTORE key ttl payload [REPLACE] [ABSTTL]`.
//!
//! The payload format is yours to design; these tests only require that it round-trips every
//! type and that damage is detected.

use crate::common::*;
use crate::{aof_on, restart_with_aof};

/// The bytes inside a bulk-string reply.
fn payload(reply: &[u8]) -> Vec<u8> {
    assert_eq!(
        reply[0],
        b'$',
        "not a bulk string: {:?}",
        String::from_utf8_lossy(reply)
    );
    let start = reply.iter().position(|&b| b == b'\n').expect("header") + 1;
    reply[start..reply.len() - 2].to_vec()
}

/// `DUMP from` then `RESTORE to ttl <payload> extra...`; returns the reply to `RESTORE`.
fn copy(c: &mut Client, from: &str, to: &str, ttl: &str, extra: &[&str]) -> String {
    let p = payload(&c.cmd(&["DUMP", from]));
    let mut args: Vec<&[u8]> = vec![b"RESTORE", to.as_bytes(), ttl.as_bytes(), &p];
    args.extend(extra.iter().map(|e| e.as_bytes()));
    String::from_utf8_lossy(&c.cmd_bytes(&args)).into_owned()
}

#[test]
fn ex06_every_type_round_trips() {
    let s = start();
    let mut c = s.client();
    c.cmd_bytes(&[b"SET", b"str", b"bin\x00ary\r\n"]);
    c.assert(&["RPUSH", "list", "c", "a", "b", "a"], ":4\r\n");
    c.assert(&["SADD", "set", "x", "y", "z"], ":3\r\n");
    c.assert(&["HSET", "hash", "f1", "v1", "f2", ""], ":2\r\n");
    c.assert(
        &["ZADD", "zset", "1.5", "a", "-inf", "b", "2", "c"],
        ":3\r\n",
    );
    for key in ["str", "list", "set", "hash", "zset"] {
        let to = format!("{key}:copy");
        assert_eq!(copy(&mut c, key, &to, "0", &[]), "+OK\r\n", "{key}");
        assert_eq!(c.cmd(&["TYPE", key]), c.cmd(&["TYPE", &to]), "{key}");
    }
    assert_eq!(c.cmd(&["GET", "str:copy"]), b"$9\r\nbin\x00ary\r\n\r\n");
    c.assert(
        &["LRANGE", "list:copy", "0", "-1"],
        "*4\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\na\r\n",
    );
    c.assert(&["SCARD", "set:copy"], ":3\r\n");
    c.assert(
        &["SMISMEMBER", "set:copy", "x", "y", "z", "w"],
        "*4\r\n:1\r\n:1\r\n:1\r\n:0\r\n",
    );
    c.assert(&["HLEN", "hash:copy"], ":2\r\n");
    c.assert(&["HGET", "hash:copy", "f1"], "$2\r\nv1\r\n");
    c.assert(&["HGET", "hash:copy", "f2"], "$0\r\n\r\n");
    c.assert(
        &["ZRANGE", "zset:copy", "0", "-1", "WITHSCORES"],
        "*6\r\n$1\r\nb\r\n$4\r\n-inf\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nc\r\n$1\r\n2\r\n",
    );
    c.assert(&["DUMP", "nokey"], "$-1\r\n");
}

#[test]
fn ex06_errors_and_replace() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "s", "v"], "+OK\r\n");
    c.assert(&["RPUSH", "l", "a"], ":1\r\n");
    assert_eq!(
        copy(&mut c, "s", "l", "0", &[]),
        "-BUSYKEY Target key name already exists.\r\n"
    );
    assert_eq!(
        copy(&mut c, "s", "n", "-1", &[]),
        "-ERR Invalid TTL value, must be >= 0\r\n"
    );
    assert_eq!(
        copy(&mut c, "s", "n", "x", &[]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        copy(&mut c, "s", "n", "0", &["FOO"]),
        "-ERR syntax error\r\n"
    );
    c.assert(
        &["RESTORE", "n", "0", "garbage"],
        "-ERR DUMP payload version or checksum are wrong\r\n",
    );
    // Damage anywhere in a real payload is detected.
    let good = payload(&c.cmd(&["DUMP", "s"]));
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x20;
        let reply = c.cmd_bytes(&[b"RESTORE", b"n", b"0", &bad]);
        assert!(
            reply.starts_with(b"-ERR"),
            "byte {i} flipped: {:?}",
            String::from_utf8_lossy(&reply)
        );
    }
    c.assert(&["EXISTS", "n"], ":0\r\n");
    c.assert(&["TYPE", "l"], "+list\r\n");
    assert_eq!(copy(&mut c, "s", "l", "0", &["REPLACE"]), "+OK\r\n");
    c.assert(&["GET", "l"], "$1\r\nv\r\n");
}

#[test]
fn ex06_ttls_relative_absolute_and_past() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "s", "v"], "+OK\r\n");
    c.assert(&["PEXPIRE", "s", "500000"], ":1\r\n");
    // DUMP does not carry the TTL: RESTORE's argument decides.
    assert_eq!(copy(&mut c, "s", "forever", "0", &[]), "+OK\r\n");
    c.assert(&["TTL", "forever"], ":-1\r\n");
    assert_eq!(copy(&mut c, "s", "soon", "100000", &[]), "+OK\r\n");
    let ttl = String::from_utf8(c.cmd(&["TTL", "soon"])).unwrap();
    let secs: i64 = ttl
        .trim_start_matches(':')
        .trim_end()
        .parse()
        .expect("an integer reply");
    assert!((1..=100).contains(&secs), "TTL soon: {ttl:?}");
    // An absolute deadline in the past: OK, and no key (an existing one is replaced by nothing).
    assert_eq!(copy(&mut c, "s", "gone", "1000", &["ABSTTL"]), "+OK\r\n");
    c.assert(&["EXISTS", "gone"], ":0\r\n");
    assert_eq!(
        copy(&mut c, "s", "s", "1000", &["ABSTTL", "REPLACE"]),
        "+OK\r\n"
    );
    c.assert(&["EXISTS", "s"], ":0\r\n");
}

#[test]
fn ex06_restored_keys_and_deadlines_survive_a_restart() {
    let s = start_with(aof_on);
    let mut c = s.client();
    c.assert(&["ZADD", "z", "1", "a", "2", "b"], ":2\r\n");
    assert_eq!(copy(&mut c, "z", "copy", "1000000", &[]), "+OK\r\n");
    let deadline = c.cmd(&["PEXPIRETIME", "copy"]);
    let (_s, mut c) = restart_with_aof(s);
    c.assert(
        &["ZRANGE", "copy", "0", "-1"],
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n",
    );
    assert_eq!(c.cmd(&["PEXPIRETIME", "copy"]), deadline);
}

#[test]
fn ex06_checks_come_in_redis_order() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "s", "v"], "+OK\r\n");
    // Options first, then the existing key, then the TTL, then the payload.
    c.assert(
        &["RESTORE", "s", "-1", "garbage", "FOO"],
        "-ERR syntax error\r\n",
    );
    c.assert(
        &["RESTORE", "s", "-1", "garbage"],
        "-BUSYKEY Target key name already exists.\r\n",
    );
    c.assert(
        &["RESTORE", "s", "-1", "garbage", "REPLACE"],
        "-ERR Invalid TTL value, must be >= 0\r\n",
    );
    c.assert(
        &["RESTORE", "s", "0", "garbage", "REPLACE"],
        "-ERR DUMP payload version or checksum are wrong\r\n",
    );
    c.assert(&["GET", "s"], "$1\r\nv\r\n");
}

#[test]
fn ex06_further_idletime_and_freq_are_checked() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "s", "v"], "+OK\r\n");
    assert_eq!(copy(&mut c, "s", "a", "0", &["IDLETIME", "100"]), "+OK\r\n");
    assert_eq!(copy(&mut c, "s", "b", "0", &["FREQ", "255"]), "+OK\r\n");
    c.assert(&["MGET", "a", "b"], "*2\r\n$1\r\nv\r\n$1\r\nv\r\n");
    assert_eq!(
        copy(&mut c, "s", "n", "0", &["IDLETIME", "-1"]),
        "-ERR Invalid IDLETIME value, must be >= 0\r\n"
    );
    assert_eq!(
        copy(&mut c, "s", "n", "0", &["FREQ", "256"]),
        "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n"
    );
    assert_eq!(
        copy(&mut c, "s", "n", "0", &["FREQ", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    // The two eviction clocks exclude each other.
    assert_eq!(
        copy(&mut c, "s", "n", "0", &["IDLETIME", "1", "FREQ", "1"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        copy(&mut c, "s", "n", "0", &["IDLETIME"]),
        "-ERR syntax error\r\n"
    );
    c.assert(&["EXISTS", "n"], ":0\r\n");
}
