//! Exercise 04: `BITOP AND|OR|XOR|NOT destkey key [key ...]`.

use crate::common::*;
use crate::{aof_on, restart_with_aof};

#[test]
fn ex04_and_or_xor_not() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "a", "foobar"], "+OK\r\n");
    c.assert(&["SET", "b", "abcdef"], "+OK\r\n");
    c.assert(&["BITOP", "AND", "d", "a", "b"], ":6\r\n");
    c.assert(&["GET", "d"], "$6\r\n`bc`ab\r\n");
    c.assert(&["BITOP", "or", "d", "a", "b"], ":6\r\n");
    c.assert(&["GET", "d"], "$6\r\ngoofev\r\n");
    c.assert(&["BITOP", "XOR", "d", "a", "b"], ":6\r\n");
    assert_eq!(c.cmd(&["GET", "d"]), b"$6\r\n\x07\r\x0c\x06\x04\x14\r\n");
    c.assert(&["BITOP", "NOT", "d", "a"], ":6\r\n");
    assert_eq!(c.cmd(&["GET", "d"]), b"$6\r\n\x99\x90\x90\x9d\x9e\x8d\r\n");
}

#[test]
fn ex04_short_and_missing_sources_count_as_zero_bytes() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "a", "foobar"], "+OK\r\n");
    c.assert(&["SET", "c", "x"], "+OK\r\n");
    c.assert(&["BITOP", "AND", "d", "a", "c"], ":6\r\n");
    assert_eq!(c.cmd(&["GET", "d"]), b"$6\r\n`\x00\x00\x00\x00\x00\r\n");
    c.assert(&["BITOP", "OR", "d", "c", "nokey"], ":1\r\n");
    c.assert(&["GET", "d"], "$1\r\nx\r\n");
    // Only missing sources: an empty result, and the destination is deleted.
    c.assert(&["BITOP", "OR", "d", "x1", "x2"], ":0\r\n");
    c.assert(&["EXISTS", "d"], ":0\r\n");
}

#[test]
fn ex04_errors_change_nothing() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "a", "foobar"], "+OK\r\n");
    c.assert(&["SET", "d", "keep"], "+OK\r\n");
    c.assert(
        &["BITOP", "NOT", "d", "a", "a"],
        "-ERR BITOP NOT must be called with a single source key.\r\n",
    );
    c.assert(&["BITOP", "NAND", "d", "a"], "-ERR syntax error\r\n");
    c.assert(&["RPUSH", "l", "1"], ":1\r\n");
    c.assert(
        &["BITOP", "OR", "d", "a", "l"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    c.assert(
        &["BITOP", "AND", "d"],
        "-ERR wrong number of arguments for 'bitop' command\r\n",
    );
    c.assert(&["GET", "d"], "$4\r\nkeep\r\n");
}

#[test]
fn ex04_the_destination_is_watched_and_logged() {
    let s = start_with(aof_on);
    let mut c = s.client();
    let mut other = s.client();
    c.assert(&["SET", "a", "ab"], "+OK\r\n");
    c.assert(&["WATCH", "d"], "+OK\r\n");
    other.assert(&["BITOP", "NOT", "d", "a"], ":2\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["GET", "d"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*-1\r\n");
    let (_s, mut c) = restart_with_aof(s);
    assert_eq!(c.cmd(&["GET", "d"]), b"$2\r\n\x9e\x9d\r\n");
}
