//! Exercise 10: `ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]`.

use crate::common::*;
use crate::{aof_on, restart_with_aof};

#[test]
fn ex10_pops_from_the_first_non_empty_key() {
    let s = start();
    let mut c = s.client();
    c.assert(&["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n");
    c.assert(
        &["ZMPOP", "1", "z", "MIN"],
        "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n",
    );
    c.assert(
        &["ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "5"],
        "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
    );
    // The last member went: the key is gone, and there is nothing left to pop.
    c.assert(&["EXISTS", "z"], ":0\r\n");
    c.assert(&["ZMPOP", "2", "z", "nokey", "min"], "*-1\r\n");
    c.assert(&["ZADD", "f", "1.5", "x", "-inf", "y"], ":2\r\n");
    c.assert(
        &["ZMPOP", "1", "f", "min", "count", "1"],
        "*2\r\n$1\r\nf\r\n*1\r\n*2\r\n$1\r\ny\r\n$4\r\n-inf\r\n",
    );
    c.assert(&["ZRANGE", "f", "0", "-1"], "*1\r\n$1\r\nx\r\n");
}

#[test]
fn ex10_errors() {
    let s = start();
    let mut c = s.client();
    c.assert(&["ZADD", "z", "1", "a"], ":1\r\n");
    c.assert(&["SET", "str", "x"], "+OK\r\n");
    let numkeys = "-ERR numkeys should be greater than 0\r\n";
    c.assert(&["ZMPOP", "0", "z", "MIN"], numkeys);
    c.assert(&["ZMPOP", "x", "z", "MIN"], numkeys);
    c.assert(&["ZMPOP", "1", "z", "FOO"], "-ERR syntax error\r\n");
    c.assert(&["ZMPOP", "2", "z", "MIN"], "-ERR syntax error\r\n");
    c.assert(
        &["ZMPOP", "1", "z", "MIN", "COUNT"],
        "-ERR syntax error\r\n",
    );
    c.assert(
        &["ZMPOP", "1", "z", "MIN", "COUNT", "1", "foo"],
        "-ERR syntax error\r\n",
    );
    c.assert(
        &["ZMPOP", "1", "z", "MIN", "COUNT", "0"],
        "-ERR count should be greater than 0\r\n",
    );
    c.assert(
        &["ZMPOP", "1", "str", "MIN"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    c.assert(
        &["ZMPOP", "1", "z"],
        "-ERR wrong number of arguments for 'zmpop' command\r\n",
    );
    c.assert(&["ZCARD", "z"], ":1\r\n");
}

#[test]
fn ex10_pops_are_logged_as_what_was_removed() {
    let s = start_with(aof_on);
    let mut c = s.client();
    c.assert(&["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n");
    c.assert(
        &["ZMPOP", "1", "z", "MAX", "COUNT", "2"],
        "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
    );
    let (_s, mut c) = restart_with_aof(s);
    c.assert(&["ZRANGE", "z", "0", "-1"], "*1\r\n$1\r\na\r\n");
}

#[test]
fn ex10_further_bzmpop_waits_for_a_member() {
    let s = start();
    let mut c = s.client();
    c.assert(&["ZADD", "z", "1", "a", "2", "b"], ":2\r\n");
    // Something to pop: no waiting.
    c.assert(
        &["BZMPOP", "0", "1", "z", "MAX"],
        "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
    );
    c.assert(&["BZMPOP", "0.01", "1", "nokey", "MIN"], "*-1\r\n");
    c.assert(
        &["BZMPOP", "x", "1", "z", "MIN"],
        "-ERR timeout is not a float or out of range\r\n",
    );
    c.assert(
        &["BZMPOP", "0", "0", "z", "MIN"],
        "-ERR numkeys should be greater than 0\r\n",
    );
    // Parked until another client adds to one of its keys.
    let mut waiter = s.client();
    waiter.send(&["BZMPOP", "5", "2", "z1", "z2", "MIN", "COUNT", "2"]);
    let mut other = s.client();
    assert!(wait_until(std::time::Duration::from_secs(5), || {
        other
            .cmd(&["CLIENT", "LIST"])
            .windows(10)
            .any(|w| w == b"cmd=bzmpop")
    }));
    other.assert(&["ZADD", "z2", "1", "x", "2", "y", "3", "w"], ":3\r\n");
    assert_eq!(
        waiter.read_reply(),
        b"*2\r\n$2\r\nz2\r\n*2\r\n*2\r\n$1\r\nx\r\n$1\r\n1\r\n*2\r\n$1\r\ny\r\n$1\r\n2\r\n"
    );
    other.assert(&["ZRANGE", "z2", "0", "-1"], "*1\r\n$1\r\nw\r\n");
}
