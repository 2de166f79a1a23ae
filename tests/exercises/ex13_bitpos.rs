//! Exercise 13: `BITPOS key bit [start [end [BYTE|BIT]]]`.

use crate::common::*;

#[test]
fn ex13_finds_the_first_one_or_zero() {
    let s = start();
    let mut c = s.client();
    c.assert(&["BITPOS", "nokey", "0"], ":0\r\n");
    c.assert(&["BITPOS", "nokey", "1"], ":-1\r\n");
    c.assert(&["SET", "k", "\u{0}\u{0}\u{10}"], OK); // 00000000 00000000 00010000
    c.assert(&["BITPOS", "k", "1"], ":19\r\n");
    c.assert(&["BITPOS", "k", "0"], ":0\r\n");
    c.assert(&["SET", "empty", ""], OK);
    c.assert(&["BITPOS", "empty", "0"], ":-1\r\n");
    c.assert(&["BITPOS", "empty", "1"], ":-1\r\n");
}

#[test]
fn ex13_byte_and_bit_ranges() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "k", "\u{0}\u{0}\u{10}"], OK);
    c.assert(&["BITPOS", "k", "1", "0", "1"], ":-1\r\n");
    c.assert(&["BITPOS", "k", "1", "-1"], ":19\r\n");
    c.assert(&["BITPOS", "k", "1", "3", "18", "BIT"], ":-1\r\n");
    c.assert(&["BITPOS", "k", "1", "3", "19", "bit"], ":19\r\n");
    c.assert(&["BITPOS", "k", "0", "19", "-1", "BIT"], ":20\r\n");
    c.assert(&["BITPOS", "k", "1", "5", "2"], ":-1\r\n");
}

#[test]
fn ex13_all_ones_is_padded_only_without_an_end() {
    let s = start();
    let mut c = s.client();
    // Two bytes of 0xff (BITFIELD is not an exercise: it stays in the server).
    c.assert(
        &[
            "BITFIELD", "ones", "SET", "u8", "0", "255", "SET", "u8", "8", "255",
        ],
        "*2\r\n:0\r\n:0\r\n",
    );
    c.assert(&["BITPOS", "ones", "0"], ":16\r\n");
    c.assert(&["BITPOS", "ones", "0", "1"], ":16\r\n");
    c.assert(&["BITPOS", "ones", "0", "0", "-1"], ":-1\r\n");
    c.assert(&["BITPOS", "ones", "0", "0", "15", "BIT"], ":-1\r\n");
}

#[test]
fn ex13_errors_in_redis_s_order() {
    let s = start();
    let mut c = s.client();
    make_list(&s, "list");
    c.assert(
        &["BITPOS", "k"],
        "-ERR wrong number of arguments for 'bitpos' command\r\n",
    );
    c.assert(&["BITPOS", "k", "x"], NOT_INT);
    c.assert(
        &["BITPOS", "k", "2"],
        "-ERR The bit argument must be 1 or 0.\r\n",
    );
    // Redis 7.0 looks the key up before it reads the range.
    c.assert(&["BITPOS", "k", "1", "x", "y", "z"], ":-1\r\n");
    c.assert(&["BITPOS", "list", "1", "x"], WRONGTYPE);
    c.assert(&["SET", "s", "abc"], OK);
    c.assert(&["BITPOS", "s", "1", "x", "1", "foo"], NOT_INT);
    c.assert(&["BITPOS", "s", "1", "0", "x", "foo"], SYNTAX);
    c.assert(&["BITPOS", "s", "1", "0", "x", "bit"], NOT_INT);
    c.assert(&["BITPOS", "s", "1", "0", "1", "bit", "extra"], SYNTAX);
}
