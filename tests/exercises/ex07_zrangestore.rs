//! Exercise 07: `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`.

use crate::common::*;

fn setup(c: &mut Client) {
    c.assert(
        &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
        ":4\r\n",
    );
}

#[test]
fn ex07_by_rank_score_and_lex() {
    let s = start();
    let mut c = s.client();
    setup(&mut c);
    c.assert(&["ZRANGESTORE", "dst", "z", "0", "1"], ":2\r\n");
    c.assert(
        &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
    );
    c.assert(&["ZRANGESTORE", "dst", "z", "-2", "-1"], ":2\r\n");
    c.assert(
        &["ZRANGE", "dst", "0", "-1"],
        "*2\r\n$1\r\nc\r\n$1\r\nd\r\n",
    );
    c.assert(&["ZRANGESTORE", "dst", "z", "0", "0", "REV"], ":1\r\n");
    c.assert(&["ZRANGE", "dst", "0", "-1"], "*1\r\n$1\r\nd\r\n");
    c.assert(&["ZRANGESTORE", "dst", "z", "(1", "3", "BYSCORE"], ":2\r\n");
    c.assert(
        &["ZRANGE", "dst", "0", "-1"],
        "*2\r\n$1\r\nb\r\n$1\r\nc\r\n",
    );
    c.assert(
        &["ZRANGESTORE", "dst", "z", "3", "1", "BYSCORE", "REV"],
        ":3\r\n",
    );
    c.assert(
        &["ZRANGE", "dst", "0", "-1"],
        "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
    );
    c.assert(
        &[
            "ZRANGESTORE",
            "dst",
            "z",
            "-inf",
            "+inf",
            "BYSCORE",
            "LIMIT",
            "1",
            "2",
        ],
        ":2\r\n",
    );
    c.assert(
        &["ZRANGE", "dst", "0", "-1"],
        "*2\r\n$1\r\nb\r\n$1\r\nc\r\n",
    );
    c.assert(
        &[
            "ZRANGESTORE",
            "dst",
            "z",
            "+inf",
            "-inf",
            "BYSCORE",
            "REV",
            "LIMIT",
            "0",
            "1",
        ],
        ":1\r\n",
    );
    c.assert(
        &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        "*2\r\n$1\r\nd\r\n$1\r\n4\r\n",
    );
    c.assert(&["ZRANGESTORE", "dst", "z", "[a", "(c", "BYLEX"], ":2\r\n");
    c.assert(
        &["ZRANGE", "dst", "0", "-1"],
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n",
    );
}

#[test]
fn ex07_an_empty_selection_deletes_the_destination() {
    let s = start();
    let mut c = s.client();
    setup(&mut c);
    c.assert(&["SET", "dst", "old"], "+OK\r\n");
    c.assert(&["ZRANGESTORE", "dst", "z", "5", "6"], ":0\r\n");
    c.assert(&["EXISTS", "dst"], ":0\r\n");
    c.assert(&["SET", "dst", "old"], "+OK\r\n");
    c.assert(&["ZRANGESTORE", "dst", "nokey", "0", "-1"], ":0\r\n");
    c.assert(&["EXISTS", "dst"], ":0\r\n");
    // A destination of another type is simply replaced.
    c.assert(&["SET", "dst", "old"], "+OK\r\n");
    c.assert(&["ZRANGESTORE", "dst", "z", "0", "0"], ":1\r\n");
    c.assert(&["TYPE", "dst"], "+zset\r\n");
}

#[test]
fn ex07_errors() {
    let s = start();
    let mut c = s.client();
    setup(&mut c);
    c.assert(
        &["ZRANGESTORE", "dst", "z", "0", "-1", "REV", "LIMIT", "1", "2"],
        "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n",
    );
    c.assert(
        &["ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"],
        "-ERR syntax error\r\n",
    );
    c.assert(
        &["ZRANGESTORE", "dst", "z", "0", "1", "foo"],
        "-ERR syntax error\r\n",
    );
    c.assert(
        &["ZRANGESTORE", "dst", "z", "a", "b", "BYSCORE"],
        "-ERR min or max is not a float\r\n",
    );
    c.assert(
        &["ZRANGESTORE", "dst", "z", "a", "c", "BYLEX"],
        "-ERR min or max not valid string range item\r\n",
    );
    c.assert(
        &["ZRANGESTORE", "dst", "z", "a", "1"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(&["RPUSH", "l", "a"], ":1\r\n");
    c.assert(
        &["ZRANGESTORE", "dst", "l", "0", "1"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    c.assert(
        &["ZRANGESTORE", "dst", "z", "0"],
        "-ERR wrong number of arguments for 'zrangestore' command\r\n",
    );
    c.assert(&["EXISTS", "dst"], ":0\r\n");
}

#[test]
fn ex07_options_as_redis_reads_them() {
    let s = start();
    let mut c = s.client();
    setup(&mut c);
    // Redis's "no LIMIT" is a count of -1, so this one passes with ranks.
    c.assert(
        &["ZRANGESTORE", "dst", "z", "0", "-1", "LIMIT", "0", "-1"],
        ":4\r\n",
    );
    // Each option at most once.
    c.assert(
        &["ZRANGESTORE", "dst", "z", "0", "-1", "REV", "REV"],
        "-ERR syntax error\r\n",
    );
    c.assert(
        &["ZRANGESTORE", "dst", "z", "0", "-1", "BYSCORE", "BYLEX"],
        "-ERR syntax error\r\n",
    );
    // Score bounds are read with C's strtod: spaces before, hexadecimal, and "" as 0.
    c.assert(
        &["ZRANGESTORE", "dst", "z", " 1", "0x2", "BYSCORE"],
        ":2\r\n",
    );
    c.assert(
        &["ZRANGE", "dst", "0", "-1"],
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n",
    );
    c.assert(&["ZRANGESTORE", "dst", "z", "", "1", "BYSCORE"], ":1\r\n");
    // A negative count takes the rest; a negative offset takes nothing.
    c.assert(
        &[
            "ZRANGESTORE",
            "dst",
            "z",
            "(1",
            "+inf",
            "BYSCORE",
            "LIMIT",
            "1",
            "-1",
        ],
        ":2\r\n",
    );
    c.assert(
        &["ZRANGE", "dst", "0", "-1"],
        "*2\r\n$1\r\nc\r\n$1\r\nd\r\n",
    );
    c.assert(
        &[
            "ZRANGESTORE",
            "dst",
            "z",
            "+inf",
            "-inf",
            "BYSCORE",
            "REV",
            "LIMIT",
            "-1",
            "2",
        ],
        ":0\r\n",
    );
    c.assert(&["EXISTS", "dst"], ":0\r\n");
}
