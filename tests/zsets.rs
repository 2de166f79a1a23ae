//! Sorted set commands over a real socket, with replies checked byte for byte against Redis 7.

mod common;

use common::*;

#[test]
fn zadd_flags_and_scores() {
    let s = start();
    let mut c = s.client();
    c.assert(&["zadd", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n");
    c.assert(&["zadd", "z", "ch", "5", "a"], ":1\r\n");
    c.assert(
        &["zadd", "z", "x", "a"],
        "-ERR value is not a valid float\r\n",
    );
    c.assert(&["zadd", "z", "nx", "1"], "-ERR syntax error\r\n");
    c.assert(
        &["zadd", "z", "nx", "xx", "1", "a"],
        "-ERR XX and NX options at the same time are not compatible\r\n",
    );
    c.assert(
        &["zadd", "z", "gt", "lt", "1", "a"],
        "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n",
    );
    c.assert(
        &["zadd", "z", "gt", "nx", "1", "a"],
        "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n",
    );
    c.assert(
        &["zadd", "z", "incr", "1", "a", "2", "b"],
        "-ERR INCR option supports a single increment-element pair\r\n",
    );
    c.assert(&["zadd", "z", "gt", "ch", "1", "a", "9", "b"], ":1\r\n");
    c.assert(&["zadd", "z", "lt", "incr", "100", "c"], "$-1\r\n");
    c.assert(&["zadd", "z", "xx", "1", "nope"], ":0\r\n");
    c.assert(&["zadd", "z", "xx", "incr", "1", "nope"], "$-1\r\n");
    c.assert(&["zadd", "z", "nx", "incr", "1", "a"], "$-1\r\n");
    c.assert(&["zadd", "z", "incr", "2", "c"], "$1\r\n5\r\n");
    c.assert(
        &["zadd", "z", "1.5", "x", "-0", "y", "inf", "i", "-inf", "ni"],
        ":4\r\n",
    );
    c.assert(
        &["zadd", "z", "nan", "q"],
        "-ERR value is not a valid float\r\n",
    );
    c.assert(&["zrange", "z", "0", "-1", "withscores"], "*14\r\n$2\r\nni\r\n$4\r\n-inf\r\n$1\r\ny\r\n$1\r\n0\r\n$1\r\nx\r\n$3\r\n1.5\r\n$1\r\na\r\n$1\r\n5\r\n$1\r\nc\r\n$1\r\n5\r\n$1\r\nb\r\n$1\r\n9\r\n$1\r\ni\r\n$3\r\ninf\r\n");
    c.assert(&["zscore", "z", "y"], "$1\r\n0\r\n");
    c.assert(&["zscore", "z", "zz"], "$-1\r\n");
    c.assert(
        &["zmscore", "z", "a", "zz", "i"],
        "*3\r\n$1\r\n5\r\n$-1\r\n$3\r\ninf\r\n",
    );
    c.assert(&["zcard", "z"], ":7\r\n");
    c.assert(&["zcard", "nz"], ":0\r\n");
    c.assert(&["zincrby", "z", "2.5", "new"], "$3\r\n2.5\r\n");
    c.assert(
        &["zincrby", "z", "-inf", "i"],
        "-ERR resulting score is not a number (NaN)\r\n",
    );
    c.assert(
        &["zincrby", "z", "x", "a"],
        "-ERR value is not a valid float\r\n",
    );
    c.assert(
        &[
            "zadd", "f", "0.1", "a", "1e20", "b", "1.5e-7", "c", "-2.5", "d",
        ],
        ":4\r\n",
    );
    c.assert(&["zrange", "f", "0", "-1", "withscores"], "*8\r\n$1\r\nd\r\n$4\r\n-2.5\r\n$1\r\nc\r\n$22\r\n1.4999999999999999e-07\r\n$1\r\na\r\n$19\r\n0.10000000000000001\r\n$1\r\nb\r\n$5\r\n1e+20\r\n");
}

#[test]
fn ranges() {
    let s = start();
    let mut c = s.client();
    c.assert(
        &[
            "zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
        ":5\r\n",
    );
    c.assert(
        &["zrange", "z", "0", "-1", "rev", "limit", "0", "1"],
        "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n",
    );
    c.assert(
        &["zrange", "z", "0", "-1", "withscores", "bylex"],
        "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n",
    );
    c.assert(
        &[
            "zrange",
            "z",
            "(1",
            "3",
            "byscore",
            "withscores",
            "limit",
            "1",
            "5",
        ],
        "*2\r\n$1\r\nc\r\n$1\r\n3\r\n",
    );
    c.assert(&["zrange", "z", "5", "1", "byscore", "rev", "withscores"], "*10\r\n$1\r\ne\r\n$1\r\n5\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n");
    c.assert(
        &[
            "zrange",
            "z",
            "+inf",
            "-inf",
            "byscore",
            "rev",
            "limit",
            "1",
            "2",
            "withscores",
        ],
        "*4\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n",
    );
    c.assert(
        &["zrange", "z", "-2", "-1", "withscores"],
        "*4\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n",
    );
    c.assert(&["zrange", "z", "3", "1"], "*0\r\n");
    c.assert(
        &["zrange", "z", "a", "1"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(
        &["zrevrange", "z", "0", "2", "withscores"],
        "*6\r\n$1\r\ne\r\n$1\r\n5\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n",
    );
    c.assert(
        &["zrangebyscore", "z", "(1.5", "4", "withscores"],
        "*6\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n",
    );
    c.assert(
        &["zrangebyscore", "z", "-inf", "+inf", "limit", "1", "-1"],
        "*4\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n",
    );
    c.assert(
        &[
            "zrangebyscore",
            "z",
            "-inf",
            "+inf",
            "withscores",
            "limit",
            "0",
            "x",
        ],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(
        &["zrangebyscore", "z", "-inf", "+inf", "limit", "0"],
        "-ERR syntax error\r\n",
    );
    c.assert(
        &["zrangebyscore", "z", "x", "1"],
        "-ERR min or max is not a float\r\n",
    );
    c.assert(
        &["zrevrangebyscore", "z", "4", "(1.5"],
        "*3\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n",
    );
    c.assert(&["zcount", "z", "-inf", "+inf"], ":5\r\n");
    c.assert(&["zcount", "z", "(1", "(5"], ":3\r\n");
    c.assert(
        &["zcount", "z", "x", "1"],
        "-ERR min or max is not a float\r\n",
    );
    c.assert(&["zrank", "z", "c"], ":2\r\n");
    c.assert(&["zrevrank", "z", "c"], ":2\r\n");
    c.assert(&["zrank", "z", "zz"], "$-1\r\n");
    c.assert(&["zrank", "nz", "a"], "$-1\r\n");
    c.assert(
        &["zadd", "lex", "0", "a", "0", "b", "0", "c", "0", "d"],
        ":4\r\n",
    );
    c.assert(
        &["zrangebylex", "lex", "[b", "(d"],
        "*2\r\n$1\r\nb\r\n$1\r\nc\r\n",
    );
    c.assert(
        &["zrevrangebylex", "lex", "+", "-", "limit", "1", "2"],
        "*2\r\n$1\r\nc\r\n$1\r\nb\r\n",
    );
    c.assert(
        &["zrange", "lex", "[c", "-", "bylex", "rev"],
        "*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n",
    );
    c.assert(
        &[
            "zrangebylex",
            "lex",
            "-",
            "+",
            "limit",
            "0",
            "1",
            "withscores",
        ],
        "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n",
    );
    c.assert(
        &["zrangebylex", "lex", "a", "b"],
        "-ERR min or max not valid string range item\r\n",
    );
    c.assert(&["zlexcount", "lex", "-", "+"], ":4\r\n");
    c.assert(&["zlexcount", "lex", "(a", "[c"], ":2\r\n");
    c.assert(
        &["zlexcount", "lex", "x", "+"],
        "-ERR min or max not valid string range item\r\n",
    );
}

#[test]
fn removals_and_pops() {
    let s = start();
    let mut c = s.client();
    c.assert(
        &[
            "zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
        ":5\r\n",
    );
    c.assert(&["zrem", "z", "a", "zz"], ":1\r\n");
    c.assert(&["zremrangebyrank", "z", "0", "0"], ":1\r\n");
    c.assert(&["zremrangebyscore", "z", "(4", "+inf"], ":1\r\n");
    c.assert(
        &["zrange", "z", "0", "-1", "withscores"],
        "*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n",
    );
    c.assert(
        &["zremrangebyrank", "z", "x", "1"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(
        &["zremrangebyscore", "z", "x", "1"],
        "-ERR min or max is not a float\r\n",
    );
    c.assert(&["zpopmax", "z"], "*2\r\n$1\r\nd\r\n$1\r\n4\r\n");
    c.assert(&["zpopmin", "z", "5"], "*2\r\n$1\r\nc\r\n$1\r\n3\r\n");
    c.assert(&["zpopmin", "z"], "*0\r\n");
    c.assert(&["zpopmin", "nz", "2"], "*0\r\n");
    c.assert(
        &["zpopmin", "z", "-1"],
        "-ERR value is out of range, must be positive\r\n",
    );
    c.assert(&["zadd", "p", "1", "a"], ":1\r\n");
    c.assert(&["zpopmin", "p", "0"], "*0\r\n");
    c.assert(&["zrem", "p", "a"], ":1\r\n");
    c.assert(&["zcard", "p"], ":0\r\n");
}

#[test]
fn union_and_intersection() {
    let s = start();
    let mut c = s.client();
    c.assert(&["zadd", "s2", "1", "a", "2", "b"], ":2\r\n");
    c.assert(&["sadd", "plain", "a", "q"], ":2\r\n");
    c.assert(
        &["zunionstore", "u", "2", "s2", "plain", "weights", "2", "3"],
        ":3\r\n",
    );
    c.assert(
        &["zrange", "u", "0", "-1", "withscores"],
        "*6\r\n$1\r\nq\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n4\r\n$1\r\na\r\n$1\r\n5\r\n",
    );
    c.assert(
        &["zinterstore", "u", "2", "s2", "plain", "aggregate", "min"],
        ":1\r\n",
    );
    c.assert(
        &["zrange", "u", "0", "-1", "withscores"],
        "*2\r\n$1\r\na\r\n$1\r\n1\r\n",
    );
    c.assert(&["zinterstore", "u", "2", "s2", "nosuch"], ":0\r\n");
    c.assert(&["zcard", "u"], ":0\r\n");
    c.assert(
        &[
            "zunionstore",
            "u",
            "1",
            "s2",
            "aggregate",
            "max",
            "weights",
            "0.5",
        ],
        ":2\r\n",
    );
    c.assert(
        &["zrange", "u", "0", "-1", "withscores"],
        "*4\r\n$1\r\na\r\n$3\r\n0.5\r\n$1\r\nb\r\n$1\r\n1\r\n",
    );
    c.assert(
        &["zunionstore", "d", "0", "z"],
        "-ERR at least 1 input key is needed for 'zunionstore' command\r\n",
    );
    c.assert(&["zunionstore", "d", "2", "z"], "-ERR syntax error\r\n");
    c.assert(
        &["zunionstore", "d", "1", "z", "weights", "x"],
        "-ERR weight value is not a float\r\n",
    );
    c.assert(
        &["zunionstore", "d", "1", "z", "aggregate", "foo"],
        "-ERR syntax error\r\n",
    );
}

#[test]
fn random_and_scan() {
    let s = start();
    let mut c = s.client();
    c.assert(&["zadd", "z", "1", "a"], ":1\r\n");
    c.assert(&["zrandmember", "z"], "$1\r\na\r\n");
    c.assert(
        &["zrandmember", "z", "1", "withscores"],
        "*2\r\n$1\r\na\r\n$1\r\n1\r\n",
    );
    c.assert(
        &["zrandmember", "z", "-2", "withscores"],
        "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n1\r\n",
    );
    c.assert(
        &["zrandmember", "z", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(&["zrandmember", "z", "1", "foo"], "-ERR syntax error\r\n");
    c.assert(&["zrandmember", "nz"], "$-1\r\n");
    c.assert(&["zrandmember", "nz", "1"], "*0\r\n");
    c.assert(
        &["zscan", "z", "0"],
        "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n",
    );
    c.assert(&["zscan", "nz", "0"], "*2\r\n$1\r\n0\r\n*0\r\n");
}

#[test]
fn wrong_types() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "str", "x"], "+OK\r\n");
    c.assert(&["zadd", "str", "1", "a"], WRONGTYPE);
    c.assert(&["zrange", "str", "0", "1"], WRONGTYPE);
    c.assert(&["zscore", "str", "a"], WRONGTYPE);
    c.assert(&["zunionstore", "d", "1", "str"], WRONGTYPE);
    c.assert(&["zincrby", "str", "1", "a"], WRONGTYPE);
}

#[test]
fn scores_are_doubles_in_resp3() {
    use rust_redis::protocol::resp::Value;
    assert_eq!(Value::Double(2.5).to_resp3(), b",2.5\r\n");
    assert_eq!(Value::Double(f64::NEG_INFINITY).to_resp3(), b",-inf\r\n");
    assert_eq!(Value::Double(2.5).to_resp2(), b"$3\r\n2.5\r\n");
}

#[test]
fn zunion_zinter_and_zintercard_reply_like_redis() {
    let s = start();
    let mut c = s.client();
    c.assert(&["ZADD", "a", "1", "x", "2", "y"], ":2\r\n");
    c.assert(&["ZADD", "b", "3", "y", "4", "z"], ":2\r\n");
    c.assert(&["SADD", "s", "y", "z"], ":2\r\n");
    c.assert(&["SET", "str", "v"], "+OK\r\n");
    c.assert(
        &["ZUNION", "2", "a", "b"],
        "*3\r\n$1\r\nx\r\n$1\r\nz\r\n$1\r\ny\r\n",
    );
    c.assert(
        &["ZUNION", "2", "a", "b", "WITHSCORES", "WEIGHTS", "2", "2"],
        "*6\r\n$1\r\nx\r\n$1\r\n2\r\n$1\r\nz\r\n$1\r\n8\r\n$1\r\ny\r\n$2\r\n10\r\n",
    );
    c.assert(
        &["ZINTER", "2", "a", "s", "WITHSCORES", "AGGREGATE", "MAX"],
        "*2\r\n$1\r\ny\r\n$1\r\n2\r\n",
    );
    c.assert(&["ZINTER", "2", "a", "missing"], "*0\r\n");
    c.assert(
        &["ZUNION", "0", "a"],
        "-ERR at least 1 input key is needed for 'zunion' command\r\n",
    );
    c.assert(&["ZUNION", "3", "a", "b"], "-ERR syntax error\r\n");
    c.assert(
        &["ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"],
        "-ERR weight value is not a float\r\n",
    );
    c.assert(
        &["ZUNION", "2", "a", "str"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    c.assert(
        &["ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES"],
        "-ERR syntax error\r\n",
    );
    c.assert(&["ZINTERCARD", "2", "a", "b"], ":1\r\n");
    c.assert(&["ZINTERCARD", "2", "a", "b", "LIMIT", "0"], ":1\r\n");
    c.assert(
        &["ZINTERCARD", "2", "a", "b", "LIMIT", "-1"],
        "-ERR LIMIT can't be negative\r\n",
    );
    c.assert(
        &["ZINTERCARD", "-1", "a"],
        "-ERR at least 1 input key is needed for 'zintercard' command\r\n",
    );
    c.cmd(&["HELLO", "3"]);
    c.assert(
        &["ZINTER", "2", "a", "b", "WITHSCORES"],
        "*1\r\n*2\r\n$1\r\ny\r\n,5\r\n",
    );
}

#[test]
fn zremrangebylex_removes_between_lexical_bounds() {
    let s = start();
    let mut c = s.client();
    c.assert(
        &[
            "ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e",
        ],
        ":5\r\n",
    );
    c.assert(&["ZREMRANGEBYLEX", "z", "[b", "(d"], ":2\r\n");
    c.assert(
        &["ZRANGE", "z", "0", "-1"],
        "*3\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\ne\r\n",
    );
    c.assert(
        &["ZREMRANGEBYLEX", "z", "x", "[a"],
        "-ERR min or max not valid string range item\r\n",
    );
    c.assert(&["ZREMRANGEBYLEX", "z", "-", "+"], ":3\r\n");
    c.assert(&["EXISTS", "z"], ":0\r\n");
    c.assert(&["ZREMRANGEBYLEX", "nokey", "-", "+"], ":0\r\n");
}
