//! List commands over a real socket, with replies checked byte for byte against Redis 7.

mod common;

use common::*;

#[test]
fn pushes_pops_and_counts() {
    let s = start();
    let mut c = s.client();
    c.assert(&["rpush", "l", "a", "b", "c"], ":3\r\n");
    c.assert(&["lpush", "l", "z"], ":4\r\n");
    c.assert(&["lpushx", "nol", "a"], ":0\r\n");
    c.assert(&["rpushx", "l", "d"], ":5\r\n");
    c.assert(
        &["lrange", "l", "0", "-1"],
        "*5\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n",
    );
    c.assert(&["lpop", "l"], "$1\r\nz\r\n");
    c.assert(&["rpop", "l"], "$1\r\nd\r\n");
    c.assert(&["lpop", "l", "0"], "*0\r\n");
    c.assert(
        &["lpop", "l", "5"],
        "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
    );
    c.assert(&["lpop", "l"], "$-1\r\n");
    c.assert(&["lpop", "l", "2"], "*-1\r\n");
    c.assert(&["rpop", "l"], "$-1\r\n");
    c.assert(
        &["lpop", "l", "-1"],
        "-ERR value is out of range, must be positive\r\n",
    );
    c.assert(
        &["lpop", "l", "abc"],
        "-ERR value is out of range, must be positive\r\n",
    );
    c.assert(
        &["lpush"],
        "-ERR wrong number of arguments for 'lpush' command\r\n",
    );
    // A count and one word more is an arity error in Redis, not a syntax error.
    c.assert(
        &["lpop", "l", "1", "2"],
        "-ERR wrong number of arguments for 'lpop' command\r\n",
    );
    c.assert(
        &["rpop", "l", "1", "2"],
        "-ERR wrong number of arguments for 'rpop' command\r\n",
    );
}

#[test]
fn ranges_and_indexes() {
    let s = start();
    let mut c = s.client();
    c.assert(&["rpush", "l", "a", "b", "c", "d", "e"], ":5\r\n");
    c.assert(
        &["lrange", "l", "0", "-1"],
        "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n",
    );
    c.assert(&["lrange", "l", "-2", "-1"], "*2\r\n$1\r\nd\r\n$1\r\ne\r\n");
    c.assert(
        &["lrange", "l", "-100", "100"],
        "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n",
    );
    c.assert(&["lrange", "l", "3", "1"], "*0\r\n");
    c.assert(&["lrange", "l", "5", "10"], "*0\r\n");
    c.assert(
        &["lrange", "l", "a", "1"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(&["lrange", "nol", "0", "-1"], "*0\r\n");
    c.assert(&["lindex", "l", "0"], "$1\r\na\r\n");
    c.assert(&["lindex", "l", "-1"], "$1\r\ne\r\n");
    c.assert(&["lindex", "l", "5"], "$-1\r\n");
    c.assert(
        &["lindex", "l", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(&["llen", "l"], ":5\r\n");
    c.assert(&["llen", "nol"], ":0\r\n");
    c.assert(&["lset", "l", "-1", "E"], "+OK\r\n");
    c.assert(&["lset", "l", "5", "x"], "-ERR index out of range\r\n");
    c.assert(&["lset", "nol", "0", "x"], "-ERR no such key\r\n");
    c.assert(
        &["lset", "l", "x", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(
        &["lrange", "l", "0", "-1"],
        "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\nE\r\n",
    );
}

#[test]
fn lrem_ltrim_linsert() {
    let s = start();
    let mut c = s.client();
    c.assert(&["rpush", "l", "a", "b", "a", "b", "a", "b"], ":6\r\n");
    c.assert(&["lrem", "l", "2", "b"], ":2\r\n");
    c.assert(
        &["lrange", "l", "0", "-1"],
        "*4\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\nb\r\n",
    );
    c.assert(&["lrem", "l", "-2", "a"], ":2\r\n");
    c.assert(&["lrange", "l", "0", "-1"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    c.assert(&["lrem", "l", "0", "zz"], ":0\r\n");
    c.assert(
        &["lrem", "l", "x", "a"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(&["rpush", "t", "1", "2", "3", "4", "5"], ":5\r\n");
    c.assert(&["ltrim", "t", "1", "-2"], "+OK\r\n");
    c.assert(
        &["lrange", "t", "0", "-1"],
        "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n",
    );
    c.assert(&["ltrim", "t", "5", "1"], "+OK\r\n");
    c.assert(&["llen", "t"], ":0\r\n");
    c.assert(&["ltrim", "nol", "0", "1"], "+OK\r\n");
    c.assert(&["rpush", "i", "a", "c"], ":2\r\n");
    c.assert(&["linsert", "i", "before", "c", "b"], ":3\r\n");
    c.assert(&["linsert", "i", "after", "c", "d"], ":4\r\n");
    c.assert(&["linsert", "i", "before", "zz", "y"], ":-1\r\n");
    c.assert(
        &["linsert", "i", "middle", "a", "y"],
        "-ERR syntax error\r\n",
    );
    c.assert(&["linsert", "nol", "before", "a", "y"], ":0\r\n");
    c.assert(
        &["lrange", "i", "0", "-1"],
        "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n",
    );
}

#[test]
fn lpos_options() {
    let s = start();
    let mut c = s.client();
    c.assert(&["rpush", "l", "a", "b", "c", "a", "b", "c"], ":6\r\n");
    c.assert(&["lpos", "l", "a"], ":0\r\n");
    c.assert(&["lpos", "l", "a", "rank", "2"], ":3\r\n");
    c.assert(&["lpos", "l", "a", "rank", "-1"], ":3\r\n");
    c.assert(&["lpos", "l", "a", "count", "0"], "*2\r\n:0\r\n:3\r\n");
    c.assert(
        &["lpos", "l", "a", "count", "1", "rank", "-1"],
        "*1\r\n:3\r\n",
    );
    c.assert(&["lpos", "l", "a", "rank", "-2", "maxlen", "3"], "$-1\r\n");
    c.assert(
        &["lpos", "l", "a", "rank", "2", "count", "5", "maxlen", "4"],
        "*1\r\n:3\r\n",
    );
    c.assert(&["lpos", "l", "z"], "$-1\r\n");
    c.assert(&["lpos", "l", "z", "count", "0"], "*0\r\n");
    c.assert(&["lpos", "nol", "a", "count", "1"], "*0\r\n");
    c.assert(&["lpos", "l", "a", "rank", "0"], "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n");
    c.assert(
        &["lpos", "l", "a", "count", "-1"],
        "-ERR COUNT can't be negative\r\n",
    );
    c.assert(
        &["lpos", "l", "a", "maxlen", "-1"],
        "-ERR MAXLEN can't be negative\r\n",
    );
    c.assert(&["lpos", "l", "a", "foo", "1"], "-ERR syntax error\r\n");
    c.assert(&["lpos", "l", "a", "rank"], "-ERR syntax error\r\n");
    c.assert(
        &["lpos", "l", "a", "rank", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
}

#[test]
fn moves_and_mpop() {
    let s = start();
    let mut c = s.client();
    c.assert(&["rpush", "l", "a", "b", "c"], ":3\r\n");
    c.assert(&["lmove", "l", "d", "left", "right"], "$1\r\na\r\n");
    c.assert(&["lmove", "l", "d", "right", "left"], "$1\r\nc\r\n");
    c.assert(&["lrange", "d", "0", "-1"], "*2\r\n$1\r\nc\r\n$1\r\na\r\n");
    c.assert(&["lmove", "l", "l", "right", "left"], "$1\r\nb\r\n");
    c.assert(&["lmove", "nol", "d", "left", "left"], "$-1\r\n");
    c.assert(
        &["lmove", "l", "d", "middle", "left"],
        "-ERR syntax error\r\n",
    );
    c.assert(&["rpoplpush", "d", "l"], "$1\r\na\r\n");
    c.assert(&["lrange", "l", "0", "-1"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    c.assert(
        &["lmpop", "2", "nol", "l", "right", "count", "10"],
        "*2\r\n$1\r\nl\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n",
    );
    c.assert(&["lmpop", "1", "l", "left"], "*-1\r\n");
    c.assert(
        &["lmpop", "2", "l"],
        "-ERR wrong number of arguments for 'lmpop' command\r\n",
    );
    c.assert(
        &["lmpop", "x", "l", "left"],
        "-ERR numkeys should be greater than 0\r\n",
    );
    c.assert(
        &["lmpop", "0", "l", "left"],
        "-ERR numkeys should be greater than 0\r\n",
    );
    c.assert(&["lmpop", "3", "l", "left"], "-ERR syntax error\r\n");
    c.assert(
        &["lmpop", "1", "l", "left", "count", "0"],
        "-ERR count should be greater than 0\r\n",
    );
    c.assert(
        &["lmpop", "1", "l", "left", "count", "2", "count", "3"],
        "-ERR syntax error\r\n",
    );
    c.assert(
        &["lmpop", "1", "l", "left", "count"],
        "-ERR syntax error\r\n",
    );
}

#[test]
fn wrong_types_are_refused_before_any_change() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "s", "x"], "+OK\r\n");
    c.assert(&["lpush", "s", "a"], WRONGTYPE);
    c.assert(&["lrange", "s", "0", "-1"], WRONGTYPE);
    c.assert(&["lpop", "s", "0"], WRONGTYPE);
    c.assert(&["lmpop", "2", "nol", "s", "left"], WRONGTYPE);
    c.assert(&["rpush", "l", "a"], ":1\r\n");
    c.assert(&["lmove", "l", "s", "left", "left"], WRONGTYPE);
    c.assert(&["lrange", "l", "0", "-1"], "*1\r\n$1\r\na\r\n");
    c.assert(&["lmove", "s", "l", "left", "left"], WRONGTYPE);
}
