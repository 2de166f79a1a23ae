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
    c.assert(&["LCS", "k1"], "-ERR wrong number of arguments for 'lcs' command\r\n");
}
