//! Exercise 02: `SETBIT` and `GETBIT`, a string as an array of bits (bit 0 = the top bit of
//! byte 0).

use crate::common::*;
use crate::{aof_on, restart_with_aof};

#[test]
fn ex02_setbit_grows_the_string_most_significant_bit_first() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SETBIT", "b", "7", "1"], ":0\r\n");
    c.assert(&["GET", "b"], "$1\r\n\x01\r\n");
    c.assert(&["SETBIT", "b", "7", "1"], ":1\r\n");
    c.assert(&["SETBIT", "b", "7", "0"], ":1\r\n");
    c.assert(&["SETBIT", "b", "0", "1"], ":0\r\n");
    c.assert(&["SETBIT", "b", "17", "1"], ":0\r\n");
    assert_eq!(c.cmd(&["GET", "b"]), b"$3\r\n\x80\x00\x40\r\n");
    c.assert(&["STRLEN", "b"], ":3\r\n");
}

#[test]
fn ex02_getbit_reads_bits_and_zero_past_the_end() {
    let s = start();
    let mut c = s.client();
    // 'a' is 0x61 = 0110 0001.
    c.assert(&["SET", "k", "a"], "+OK\r\n");
    let bits: Vec<u8> = (0..8)
        .map(|i| c.cmd(&["GETBIT", "k", &i.to_string()])[1] - b'0')
        .collect();
    assert_eq!(bits, [0, 1, 1, 0, 0, 0, 0, 1]);
    c.assert(&["GETBIT", "k", "100"], ":0\r\n");
    c.assert(&["GETBIT", "nokey", "0"], ":0\r\n");
}

#[test]
fn ex02_bad_arguments_change_nothing() {
    let s = start();
    let mut c = s.client();
    let offset_err = "-ERR bit offset is not an integer or out of range\r\n";
    c.assert(&["SETBIT", "b", "-1", "1"], offset_err);
    c.assert(&["SETBIT", "b", "4294967296", "1"], offset_err);
    c.assert(&["SETBIT", "b", "01", "1"], offset_err);
    c.assert(&["SETBIT", "b", "x", "1"], offset_err);
    c.assert(
        &["SETBIT", "b", "1", "2"],
        "-ERR bit is not an integer or out of range\r\n",
    );
    c.assert(&["GETBIT", "b", "x"], offset_err);
    c.assert(&["EXISTS", "b"], ":0\r\n");
    c.assert(&["RPUSH", "l", "a"], ":1\r\n");
    let wrongtype = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    c.assert(&["SETBIT", "l", "1", "1"], wrongtype);
    c.assert(&["GETBIT", "l", "0"], wrongtype);
    c.assert(
        &["SETBIT", "b"],
        "-ERR wrong number of arguments for 'setbit' command\r\n",
    );
}

#[test]
fn ex02_bits_survive_a_restart() {
    let s = start_with(aof_on);
    let mut c = s.client();
    c.assert(&["SETBIT", "b", "9", "1"], ":0\r\n");
    c.assert(&["SETBIT", "b", "1", "1"], ":0\r\n");
    let (_s, mut c) = restart_with_aof(s);
    assert_eq!(c.cmd(&["GET", "b"]), b"$2\r\n\x40\x40\r\n");
}

#[test]
fn ex02_offsets_stop_at_proto_max_bulk_len() {
    let s = start();
    let mut c = s.client();
    let offset_err = "-ERR bit offset is not an integer or out of range\r\n";
    c.assert(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"], "+OK\r\n");
    c.assert(&["SETBIT", "b", "8388608", "1"], offset_err);
    c.assert(&["GETBIT", "b", "8388608"], offset_err);
    c.assert(&["SETBIT", "b", "8388607", "0"], ":0\r\n");
    c.assert(&["STRLEN", "b"], ":1048576\r\n");
}

#[test]
fn ex02_a_bit_set_to_what_it_was_changes_nothing() {
    let s = start();
    let mut c = s.client();
    let mut other = s.client();
    c.assert(&["SETBIT", "b", "0", "1"], ":0\r\n");
    // Neither WATCH nor the AOF hears of a SETBIT that changed no bit and grew nothing.
    c.assert(&["WATCH", "b"], "+OK\r\n");
    other.assert(&["SETBIT", "b", "7", "0"], ":0\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["PING"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*1\r\n+PONG\r\n");
    // Growing the string is a change, even with a zero bit.
    c.assert(&["WATCH", "b"], "+OK\r\n");
    other.assert(&["SETBIT", "b", "15", "0"], ":0\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["PING"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*-1\r\n");
}
