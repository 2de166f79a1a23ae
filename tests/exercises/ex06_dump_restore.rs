//! Exercise 06: `DUMP key` and `RESTORE key ttl payload [REPLACE] [ABSTTL]`.
//!
//! The payload is Redis's: the value's RDB encoding, the RDB version (2 bytes) and a CRC-64
//! (8 bytes). These tests restore payloads that Redis 7.0.15 wrote, compare a `DUMP` with
//! Redis's byte for byte, round-trip every type and flip every byte.

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
    c.assert(&["XADD", "stream", "1-1", "f", "v"], "$3\r\n1-1\r\n");
    for key in ["str", "list", "set", "hash", "zset", "stream"] {
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
    c.assert(
        &["XRANGE", "stream:copy", "-", "+"],
        "*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
    c.assert(&["DUMP", "nokey"], "$-1\r\n");
}

#[test]
fn ex06_payloads_are_redis_s() {
    let s = start();
    let mut c = s.client();
    // Redis 7.0.15: `SET s hello` then `DUMP s`: type 0, the string, version 10, CRC-64.
    let hello = b"\x00\x05hello\x0a\x00\x63\x72\xdf\x76\x65\x34\x20\x0a";
    c.assert(&["SET", "s", "hello"], "+OK\r\n");
    assert_eq!(payload(&c.cmd(&["DUMP", "s"])), hello);
    // Redis 7.0.15: `RPUSH r a 1 b` then `DUMP r`: a quicklist of one listpack node.
    let list =
        b"\x12\x01\x02\x0f\x0f\x00\x00\x00\x03\x00\x81\x61\x02\x01\x01\x81\x62\x02\xff\x0a\x00\
                 \x90\x43\xa3\x4c\xeb\x8e\x1b\x1c";
    assert_eq!(c.cmd_bytes(&[b"RESTORE", b"r", b"0", list]), b"+OK\r\n");
    c.assert(
        &["LRANGE", "r", "0", "-1"],
        "*3\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n",
    );
    // A payload of a newer format is refused, even with a right checksum.
    let mut newer = hello[..hello.len() - 10].to_vec();
    newer.extend(11u16.to_le_bytes());
    let sum = crc64(&newer);
    newer.extend(sum.to_le_bytes());
    assert_eq!(
        c.cmd_bytes(&[b"RESTORE", b"n", b"0", &newer]),
        b"-ERR DUMP payload version or checksum are wrong\r\n"
    );
}

/// CRC-64 as Redis computes it (Jones polynomial, reflected, starting from 0), bit by bit.
fn crc64(bytes: &[u8]) -> u64 {
    let mut crc = 0u64;
    for &b in bytes {
        crc ^= b as u64;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x95ac_9329_ac4b_c9b5
            } else {
                crc >> 1
            };
        }
    }
    crc
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
