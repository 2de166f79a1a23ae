//! Exercise 09: `SORT key [LIMIT offset count] [ASC|DESC] [ALPHA] [STORE destination]`.

use crate::common::*;

/// A RESP array of bulk strings.
fn array(items: &[&str]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    for i in items {
        out.push_str(&bulk(i));
    }
    out
}

#[test]
fn ex09_numbers_strings_and_limits() {
    let s = start();
    let mut c = s.client();
    c.assert(&["RPUSH", "l", "3", "1", "2", "10"], ":4\r\n");
    c.assert(&["SORT", "l"], &array(&["1", "2", "3", "10"]));
    c.assert(&["SORT", "l", "DESC"], &array(&["10", "3", "2", "1"]));
    c.assert(&["SORT", "l", "ALPHA"], &array(&["1", "10", "2", "3"]));
    c.assert(&["SORT", "l", "LIMIT", "1", "2"], &array(&["2", "3"]));
    c.assert(&["SORT", "l", "LIMIT", "-1", "2"], &array(&["1", "2"]));
    c.assert(&["SORT", "l", "LIMIT", "2", "-1"], &array(&["3", "10"]));
    c.assert(&["SORT", "l", "LIMIT", "5", "2"], "*0\r\n");
    c.assert(
        &["SORT", "l", "desc", "limit", "0", "2", "alpha"],
        &array(&["3", "2"]),
    );
    // Equal numbers are ordered by their bytes, so the answer is always the same.
    c.assert(&["RPUSH", "t", "1.0", "1", "01"], ":3\r\n");
    c.assert(&["SORT", "t"], &array(&["01", "1", "1.0"]));
    c.assert(&["SORT", "nokey"], "*0\r\n");
    // The list itself is not changed.
    c.assert(&["LRANGE", "l", "0", "-1"], &array(&["3", "1", "2", "10"]));
}

#[test]
fn ex09_sets_and_sorted_sets() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SADD", "s", "5", "3", "9", "-1.5"], ":4\r\n");
    c.assert(&["SORT", "s"], &array(&["-1.5", "3", "5", "9"]));
    c.assert(&["ZADD", "z", "1", "c", "2", "b", "3", "a"], ":3\r\n");
    c.assert(&["SORT", "z", "ALPHA"], &array(&["a", "b", "c"]));
    c.assert(&["SORT", "z", "DESC", "ALPHA"], &array(&["c", "b", "a"]));
}

#[test]
fn ex09_store_writes_a_list() {
    let s = start();
    let mut c = s.client();
    c.assert(&["RPUSH", "l", "3", "1", "2"], ":3\r\n");
    c.assert(&["SET", "out", "old"], "+OK\r\n");
    c.assert(&["SORT", "l", "STORE", "out"], ":3\r\n");
    c.assert(&["LRANGE", "out", "0", "-1"], &array(&["1", "2", "3"]));
    c.assert(&["SORT", "nokey", "STORE", "out"], ":0\r\n");
    c.assert(&["EXISTS", "out"], ":0\r\n");
}

#[test]
fn ex09_errors() {
    let s = start();
    let mut c = s.client();
    c.assert(&["RPUSH", "w", "a", "1"], ":2\r\n");
    c.assert(
        &["SORT", "w"],
        "-ERR One or more scores can't be converted into double\r\n",
    );
    c.assert(&["SORT", "w", "ALPHA"], &array(&["1", "a"]));
    c.assert(&["SORT", "w", "foo"], "-ERR syntax error\r\n");
    c.assert(&["SORT", "w", "LIMIT", "1"], "-ERR syntax error\r\n");
    c.assert(
        &["SORT", "w", "LIMIT", "x", "1"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(&["SORT", "w", "STORE"], "-ERR syntax error\r\n");
    c.assert(&["SET", "str", "x"], "+OK\r\n");
    c.assert(
        &["SORT", "str"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
}

#[test]
fn ex09_numbers_are_read_as_strtod_reads_them() {
    let s = start();
    let mut c = s.client();
    // Spaces before, hexadecimal, infinities, and the empty string as 0.
    c.assert(&["RPUSH", "f", " 4", "0x10", "", "-inf"], ":4\r\n");
    c.assert(&["SORT", "f"], &array(&["-inf", "", " 4", "0x10"]));
    c.assert(&["RPUSH", "big", "1e400"], ":1\r\n");
    c.assert(
        &["SORT", "big"],
        "-ERR One or more scores can't be converted into double\r\n",
    );
}

#[test]
fn ex09_further_by_and_get_read_other_keys() {
    let s = start();
    let mut c = s.client();
    c.assert(&["RPUSH", "l", "3", "1", "2"], ":3\r\n");
    c.assert(&["MSET", "w_1", "30", "w_2", "10", "w_3", "20"], "+OK\r\n");
    c.assert(&["SORT", "l", "BY", "w_*"], &array(&["2", "3", "1"]));
    c.assert(
        &["SORT", "l", "BY", "w_*", "DESC", "GET", "#", "GET", "w_*"],
        &array(&["1", "30", "3", "20", "2", "10"]),
    );
    c.assert(
        &["SORT", "l", "GET", "nokey_*", "GET", "#"],
        "*6\r\n$-1\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n$-1\r\n$1\r\n3\r\n",
    );
    // `->` names a hash field; a missing one sorts first.
    c.assert(&["HSET", "h_1", "f", "b"], ":1\r\n");
    c.assert(&["HSET", "h_3", "f", "a"], ":1\r\n");
    c.assert(
        &["SORT", "l", "BY", "h_*->f", "ALPHA"],
        &array(&["2", "3", "1"]),
    );
    c.assert(
        &["SORT", "l", "BY", "h_*->f", "ALPHA", "GET", "h_*->f"],
        "*3\r\n$-1\r\n$1\r\na\r\n$1\r\nb\r\n",
    );
    // Stored, a GET that finds nothing is an empty string.
    c.assert(
        &[
            "SORT", "l", "BY", "w_*", "GET", "#", "GET", "nokey_*", "STORE", "out",
        ],
        ":6\r\n",
    );
    c.assert(
        &["LRANGE", "out", "0", "-1"],
        "*6\r\n$1\r\n2\r\n$0\r\n\r\n$1\r\n3\r\n$0\r\n\r\n$1\r\n1\r\n$0\r\n\r\n",
    );
}

#[test]
fn ex09_further_by_a_constant_does_not_sort() {
    let s = start();
    let mut c = s.client();
    c.assert(&["RPUSH", "l", "3", "1", "2"], ":3\r\n");
    c.assert(&["SORT", "l", "BY", "nosort"], &array(&["3", "1", "2"]));
    c.assert(
        &["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "0", "2"],
        &array(&["2", "1"]),
    );
    c.assert(&["ZADD", "z", "3", "a", "1", "b", "2", "c"], ":3\r\n");
    c.assert(&["SORT", "z", "BY", "nosort"], &array(&["b", "c", "a"]));
    c.assert(
        &["SORT", "z", "BY", "nosort", "DESC"],
        &array(&["a", "c", "b"]),
    );
    // A set has no order of its own: stored, it is sorted as strings.
    c.assert(&["SADD", "s", "c", "a", "b"], ":3\r\n");
    c.assert(&["SORT", "s", "BY", "nosort", "STORE", "so"], ":3\r\n");
    c.assert(&["LRANGE", "so", "0", "-1"], &array(&["a", "b", "c"]));
}

#[test]
fn ex09_further_sort_ro_never_stores() {
    let s = start();
    let mut c = s.client();
    c.assert(&["RPUSH", "l", "3", "1", "2"], ":3\r\n");
    c.assert(&["SORT_RO", "l", "DESC"], &array(&["3", "2", "1"]));
    c.assert(&["SORT_RO", "l", "STORE", "out"], "-ERR syntax error\r\n");
    c.assert(&["EXISTS", "out"], ":0\r\n");
}
