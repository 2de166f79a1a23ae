//! Exercise 03: `BITCOUNT key [start end [BYTE|BIT]]`.

use crate::common::*;

#[test]
fn ex03_counts_whole_strings_and_byte_ranges() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "k", "foobar"], "+OK\r\n");
    c.assert(&["BITCOUNT", "k"], ":26\r\n");
    c.assert(&["BITCOUNT", "k", "0", "0"], ":4\r\n");
    c.assert(&["BITCOUNT", "k", "1", "1"], ":6\r\n");
    c.assert(&["BITCOUNT", "k", "1", "-2"], ":18\r\n");
    c.assert(&["BITCOUNT", "k", "-100", "-1"], ":26\r\n");
    c.assert(&["BITCOUNT", "k", "3", "1"], ":0\r\n");
    c.assert(&["BITCOUNT", "k", "0", "100", "byte"], ":26\r\n");
    c.assert(&["BITCOUNT", "nokey"], ":0\r\n");
}

#[test]
fn ex03_counts_bit_ranges() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "k", "foobar"], "+OK\r\n");
    c.assert(&["BITCOUNT", "k", "5", "30", "BIT"], ":17\r\n");
    c.assert(&["BITCOUNT", "k", "0", "-1", "bit"], ":26\r\n");
    // 'f' is 0x66 = 0110 0110: bits 1, 2, 5 and 6 are set.
    c.assert(&["BITCOUNT", "k", "0", "2", "BIT"], ":2\r\n");
    c.assert(&["BITCOUNT", "k", "-48", "-41", "BIT"], ":4\r\n");
}

#[test]
fn ex03_errors_as_redis_orders_them() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "k", "foobar"], "+OK\r\n");
    c.assert(&["BITCOUNT", "k", "0"], "-ERR syntax error\r\n");
    c.assert(&["BITCOUNT", "k", "0", "1", "foo"], "-ERR syntax error\r\n");
    c.assert(
        &["BITCOUNT", "k", "0", "1", "bit", "x"],
        "-ERR syntax error\r\n",
    );
    c.assert(
        &["BITCOUNT", "k", "a", "1"],
        "-ERR value is not an integer or out of range\r\n",
    );
    // Two negative indexes with start after end select nothing, and Redis answers that before
    // it reads the unit.
    c.assert(&["BITCOUNT", "k", "-1", "-2", "foo"], ":0\r\n");
    c.assert(&["SET", "short", "xxxx"], "+OK\r\n");
    c.assert(&["BITCOUNT", "short", "-6", "-7"], ":0\r\n");
    c.assert(&["BITCOUNT", "short", "-6", "-15", "bit"], ":0\r\n");
    // Redis looks the key up before it reads the options.
    c.assert(&["BITCOUNT", "nokey", "a", "b"], ":0\r\n");
    c.assert(&["RPUSH", "l", "a"], ":1\r\n");
    c.assert(
        &["BITCOUNT", "l", "0"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
}
