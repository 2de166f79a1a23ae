//! Exercise 05: `LCS key1 key2 [LEN]`, the longest common subsequence.

use crate::common::*;

#[test]
fn ex05_the_subsequence_and_its_length() {
    let s = start();
    let mut c = s.client();
    c.assert(&["MSET", "k1", "ohmytext", "k2", "mynewtext"], "+OK\r\n");
    c.assert(&["LCS", "k1", "k2"], "$6\r\nmytext\r\n");
    c.assert(&["LCS", "k1", "k2", "LEN"], ":6\r\n");
    c.assert(&["LCS", "k2", "k1", "len"], ":6\r\n");
    c.assert(&["LCS", "k1", "k1"], "$8\r\nohmytext\r\n");
    // Several subsequences of length 4 exist here; the length is what is specified.
    c.assert(&["MSET", "x", "ABCBDAB", "y", "BDCABA"], "+OK\r\n");
    c.assert(&["LCS", "x", "y", "LEN"], ":4\r\n");
    c.assert(&["MSET", "p", "abc", "q", "xyz"], "+OK\r\n");
    c.assert(&["LCS", "p", "q"], "$0\r\n\r\n");
}

#[test]
fn ex05_missing_keys_are_empty_strings_and_bytes_are_bytes() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "k1", "ohmytext"], "+OK\r\n");
    c.assert(&["LCS", "k1", "nokey"], "$0\r\n\r\n");
    c.assert(&["LCS", "nokey", "k1", "LEN"], ":0\r\n");
    c.cmd_bytes(&[b"SET", b"b1", b"\x00\xff\x01\x02"]);
    c.cmd_bytes(&[b"SET", b"b2", b"\xff\x00\x02"]);
    assert_eq!(c.cmd(&["LCS", "b1", "b2", "LEN"]), b":2\r\n");
}

#[test]
fn ex05_errors() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "k1", "ohmytext"], "+OK\r\n");
    c.assert(&["RPUSH", "l", "a"], ":1\r\n");
    c.assert(
        &["LCS", "k1", "l"],
        "-ERR The specified keys must contain string values\r\n",
    );
    c.assert(&["LCS", "k1", "k1", "foo"], "-ERR syntax error\r\n");
    c.assert(
        &["LCS", "k1"],
        "-ERR wrong number of arguments for 'lcs' command\r\n",
    );
}

#[test]
fn ex05_further_the_same_subsequence_as_redis() {
    let s = start();
    let mut c = s.client();
    // Among equally long subsequences Redis's walk back picks one: on a tie it steps along the
    // second string.
    c.assert(&["MSET", "x", "ABCBDAB", "y", "BDCABA"], "+OK\r\n");
    c.assert(&["LCS", "x", "y"], "$4\r\nBDAB\r\n");
    c.assert(&["LCS", "y", "x"], "$4\r\nBCBA\r\n");
}

#[test]
fn ex05_further_idx_gives_the_matching_ranges() {
    let s = start();
    let mut c = s.client();
    c.assert(&["MSET", "k1", "ohmytext", "k2", "mynewtext"], "+OK\r\n");
    // The ranges come last first: "text" at 4..=7 in k1 and 5..=8 in k2, then "my".
    c.assert(
        &["LCS", "k1", "k2", "IDX"],
        "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
    );
    c.assert(
        &["LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"],
        "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n",
    );
    // WITHMATCHLEN without IDX changes nothing; LEN and IDX together are refused.
    c.assert(&["LCS", "k1", "k2", "WITHMATCHLEN"], "$6\r\nmytext\r\n");
    c.assert(
        &["LCS", "k1", "k2", "LEN", "IDX"],
        "-ERR If you want both the length and indexes, please just use IDX.\r\n",
    );
    c.assert(&["LCS", "k1", "k2", "MINMATCHLEN"], "-ERR syntax error\r\n");
    c.assert(
        &["LCS", "k1", "k2", "MINMATCHLEN", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    // In RESP3 the answer is a map.
    c.cmd(&["HELLO", "3"]);
    c.assert(
        &["LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4"],
        "%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n",
    );
}

#[test]
fn ex05_a_table_larger_than_a_bulk_string_is_refused() {
    let s = start();
    let mut c = s.client();
    c.assert(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"], "+OK\r\n");
    c.assert(&["SET", "a", &"a".repeat(1000)], "+OK\r\n");
    c.assert(&["SET", "b", &"b".repeat(1000)], "+OK\r\n");
    c.assert(
        &["LCS", "a", "b"],
        "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n",
    );
}
