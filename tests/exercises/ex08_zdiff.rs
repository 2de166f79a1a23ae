//! Exercise 08: `ZDIFF numkeys key [key ...] [WITHSCORES]` and `ZDIFFSTORE dst numkeys key ...`.

use crate::common::*;

fn setup(c: &mut Client) {
    c.assert(&["ZADD", "z1", "1", "a", "2", "b", "3", "c"], ":3\r\n");
    c.assert(&["ZADD", "z2", "5", "b"], ":1\r\n");
    c.assert(&["SADD", "st", "c"], ":1\r\n");
    c.assert(&["SET", "str", "x"], "+OK\r\n");
}

#[test]
fn ex08_zdiff_keeps_the_first_sets_order_and_scores() {
    let s = start();
    let mut c = s.client();
    setup(&mut c);
    c.assert(&["ZDIFF", "2", "z1", "z2"], "*2\r\n$1\r\na\r\n$1\r\nc\r\n");
    c.assert(
        &["ZDIFF", "2", "z1", "z2", "WITHSCORES"],
        "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nc\r\n$1\r\n3\r\n",
    );
    // A plain set counts as a sorted set whose scores are all 1.
    c.assert(&["ZDIFF", "3", "z1", "z2", "st"], "*1\r\n$1\r\na\r\n");
    c.assert(
        &["ZDIFF", "2", "z1", "nokey"],
        "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
    );
    c.assert(&["ZDIFF", "1", "nokey"], "*0\r\n");
    c.assert(&["ZDIFF", "2", "z1", "z1"], "*0\r\n");
}

#[test]
fn ex08_zdiffstore_stores_or_deletes() {
    let s = start();
    let mut c = s.client();
    setup(&mut c);
    c.assert(&["ZDIFFSTORE", "d", "2", "z1", "z2"], ":2\r\n");
    c.assert(
        &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
        "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nc\r\n$1\r\n3\r\n",
    );
    c.assert(&["ZDIFFSTORE", "d", "1", "nokey"], ":0\r\n");
    c.assert(&["EXISTS", "d"], ":0\r\n");
}

#[test]
fn ex08_errors() {
    let s = start();
    let mut c = s.client();
    setup(&mut c);
    c.assert(
        &["ZDIFF", "0", "z1"],
        "-ERR at least 1 input key is needed for 'zdiff' command\r\n",
    );
    c.assert(
        &["ZDIFF", "-1", "z1"],
        "-ERR at least 1 input key is needed for 'zdiff' command\r\n",
    );
    c.assert(
        &["ZDIFF", "x", "z1"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(&["ZDIFF", "3", "z1", "z2"], "-ERR syntax error\r\n");
    c.assert(&["ZDIFF", "1", "z1", "foo"], "-ERR syntax error\r\n");
    c.assert(
        &["ZDIFF", "2", "z1", "str"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    // Redis checks the types before it reads the words after the keys.
    c.assert(
        &["ZDIFF", "2", "z1", "str", "foo"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    c.assert(
        &["ZDIFFSTORE", "d", "0", "z1"],
        "-ERR at least 1 input key is needed for 'zdiffstore' command\r\n",
    );
    c.assert(
        &["ZDIFFSTORE", "d", "1", "z1", "WITHSCORES"],
        "-ERR syntax error\r\n",
    );
    c.assert(&["EXISTS", "d"], ":0\r\n");
}
