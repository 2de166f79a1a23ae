//! String commands over a real socket: exact reply bytes, errors included, as Redis 7 answers.

mod common;
use common::*;

#[test]
fn get_set_and_binary_safety() {
    let s = start();
    let mut c = s.client();
    c.assert(&["GET", "k"], NIL);
    c.assert(&["SET", "k", "v"], OK);
    c.assert(&["GET", "k"], &bulk("v"));
    c.assert(&["SET", "empty", ""], OK);
    c.assert(&["GET", "empty"], "$0\r\n\r\n");
    let key: &[u8] = b"k\r\n\0ey";
    let value: &[u8] = b"\0\r\nv\xff\r\n";
    assert_eq!(c.cmd_bytes(&[b"SET", key, value]), b"+OK\r\n");
    assert_eq!(c.cmd_bytes(&[b"GET", key]), b"$7\r\n\0\r\nv\xff\r\n\r\n");
    assert_eq!(c.cmd_bytes(&[b"STRLEN", key]), b":7\r\n");
    make_list(&s, "list");
    c.assert(&["GET", "list"], WRONGTYPE);
}

#[test]
fn set_options() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "k", "1", "NX"], OK);
    c.assert(&["SET", "k", "2", "NX"], NIL);
    c.assert(&["SET", "k", "3", "XX"], OK);
    c.assert(&["SET", "missing", "3", "XX"], NIL);
    c.assert(&["GET", "missing"], NIL);
    c.assert(&["SET", "k", "4", "GET"], &bulk("3"));
    c.assert(&["SET", "new", "v", "GET"], NIL);
    c.assert(&["SET", "k", "5", "NX", "GET"], &bulk("4"));
    c.assert(&["GET", "k"], &bulk("4"));
    c.assert(&["SET", "nk", "v", "XX", "GET"], NIL);
    c.assert(&["SET", "k", "v", "ex", "10", "ex", "20"], OK);
    assert_ttl(&mut c, "k", 20);
    c.assert(&["SET", "k", "w", "KEEPTTL"], OK);
    assert_ttl(&mut c, "k", 20);
    c.assert(&["SET", "k", "w"], OK);
    c.assert(&["TTL", "k"], ":-1\r\n");
    c.assert(&["SET", "k", "v", "PX", "100000"], OK);
    let pttl = String::from_utf8(c.cmd(&["PTTL", "k"])).unwrap();
    let ms: i64 = pttl.trim_start_matches(':').trim().parse().unwrap();
    assert!((90_000..=100_000).contains(&ms), "{ms}");
    c.assert(&["SET", "k", "v", "EXAT", "9223372036854775"], OK);
    c.assert(&["EXPIRETIME", "k"], ":9223372036854775\r\n");
    c.assert(&["SET", "k", "v", "PXAT", "4102444800000"], OK);
    c.assert(&["PEXPIRETIME", "k"], ":4102444800000\r\n");
    // An absolute time in the past sets a key that is already gone.
    c.assert(&["SET", "k", "v", "PXAT", "1"], OK);
    c.assert(&["GET", "k"], NIL);
    c.assert(&["EXISTS", "k"], ":0\r\n");
}

#[test]
fn set_errors_change_nothing() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "k", "old"], OK);
    for bad in [
        &["SET", "k", "1", "NX", "XX"][..],
        &["SET", "k", "1", "EX", "10", "PX", "10"],
        &["SET", "k", "1", "KEEPTTL", "EX", "10"],
        &["SET", "k", "1", "EX", "10", "KEEPTTL"],
        &["SET", "k", "1", "FOO"],
        &["SET", "k", "1", "EX"],
        &["SET", "k", "1", "PERSIST"],
        &["SET", "k", "1", "EX", "abc", "FOO"],
    ] {
        c.assert(bad, SYNTAX);
    }
    let invalid = err("ERR invalid expire time in 'set' command");
    for t in ["0", "-1", "9223372036854775"] {
        c.assert(&["SET", "k", "1", "EX", t], &invalid);
    }
    c.assert(&["SET", "k", "1", "PX", "9223372036854775807"], &invalid);
    c.assert(&["SET", "k", "1", "EX", "1.5"], NOT_INT);
    c.assert(&["SET", "k", "1", "EX", "abc"], NOT_INT);
    c.assert(&["GET", "k"], &bulk("old"));
    c.assert(&["TTL", "k"], ":-1\r\n");
    c.assert(
        &["SET"],
        &err("ERR wrong number of arguments for 'set' command"),
    );
    c.assert(
        &["SET", "k"],
        &err("ERR wrong number of arguments for 'set' command"),
    );
    // SET ... GET on another type fails and leaves it alone; plain SET replaces it.
    make_list(&s, "l");
    c.assert(&["SET", "l", "v", "GET"], WRONGTYPE);
    c.assert(&["SET", "l", "v", "XX", "GET"], WRONGTYPE);
    c.assert(&["GETSET", "l", "v"], WRONGTYPE);
    c.assert(&["TYPE", "l"], "+list\r\n");
    c.assert(&["SET", "l", "v"], OK);
    c.assert(&["TYPE", "l"], "+string\r\n");
}

#[test]
fn getset_getdel_setnx_setex() {
    let s = start();
    let mut c = s.client();
    c.assert(&["GETSET", "k", "a"], NIL);
    c.assert(&["GETSET", "k", "b"], &bulk("a"));
    c.assert(&["GETDEL", "k"], &bulk("b"));
    c.assert(&["GETDEL", "k"], NIL);
    c.assert(&["EXISTS", "k"], ":0\r\n");
    c.assert(&["SETNX", "k", "1"], ":1\r\n");
    c.assert(&["SETNX", "k", "2"], ":0\r\n");
    c.assert(&["GET", "k"], &bulk("1"));
    c.assert(&["SETEX", "k", "100", "v"], OK);
    assert_ttl(&mut c, "k", 100);
    c.assert(&["PSETEX", "k", "100000", "v"], OK);
    assert_ttl(&mut c, "k", 100);
    c.assert(
        &["SETEX", "k", "0", "v"],
        &err("ERR invalid expire time in 'setex' command"),
    );
    c.assert(
        &["SETEX", "k", "-1", "v"],
        &err("ERR invalid expire time in 'setex' command"),
    );
    c.assert(
        &["PSETEX", "k", "0", "v"],
        &err("ERR invalid expire time in 'psetex' command"),
    );
    c.assert(&["SETEX", "k", "x", "v"], NOT_INT);
    make_list(&s, "l");
    c.assert(&["GETDEL", "l"], WRONGTYPE);
}

#[test]
fn getex() {
    let s = start();
    let mut c = s.client();
    c.assert(&["GETEX", "missing", "EX", "0"], NIL);
    c.assert(&["SET", "k", "v"], OK);
    c.assert(&["GETEX", "k"], &bulk("v"));
    c.assert(&["GETEX", "k", "EX", "100"], &bulk("v"));
    assert_ttl(&mut c, "k", 100);
    c.assert(&["GETEX", "k", "PERSIST"], &bulk("v"));
    c.assert(&["TTL", "k"], ":-1\r\n");
    c.assert(&["GETEX", "k", "PX", "100", "PX", "200000"], &bulk("v"));
    assert_ttl(&mut c, "k", 200);
    c.assert(
        &["GETEX", "k", "EX", "0"],
        &err("ERR invalid expire time in 'getex' command"),
    );
    c.assert(&["GETEX", "k", "EX"], SYNTAX);
    c.assert(&["GETEX", "k", "PERSIST", "EX", "10"], SYNTAX);
    c.assert(&["GETEX", "k", "KEEPTTL"], SYNTAX);
    c.assert(&["GETEX", "k", "FOO"], SYNTAX);
    c.assert(&["GETEX", "missing", "FOO"], SYNTAX);
    c.assert(&["GETEX", "k", "EXAT", "1"], &bulk("v"));
    c.assert(&["EXISTS", "k"], ":0\r\n");
    make_list(&s, "l");
    c.assert(&["GETEX", "l", "EX", "0"], WRONGTYPE);
}

#[test]
fn mget_mset_msetnx() {
    let s = start();
    let mut c = s.client();
    c.assert(&["MSET", "a", "1", "b", "2"], OK);
    make_list(&s, "l");
    c.assert(
        &["MGET", "a", "nokey", "b", "l"],
        "*4\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n$-1\r\n",
    );
    c.assert(
        &["MSET", "a"],
        &err("ERR wrong number of arguments for 'mset' command"),
    );
    c.assert(
        &["MSET", "a", "1", "b"],
        &err("ERR wrong number of arguments for 'mset' command"),
    );
    c.assert(
        &["MSETNX", "a", "1", "b"],
        &err("ERR wrong number of arguments for 'msetnx' command"),
    );
    c.assert(&["MSETNX", "x", "1", "a", "9"], ":0\r\n");
    c.assert(&["EXISTS", "x"], ":0\r\n");
    c.assert(&["MSETNX", "x", "1", "x", "2"], ":1\r\n");
    c.assert(&["GET", "x"], &bulk("2"));
}

#[test]
fn append_strlen_getrange_setrange() {
    let s = start();
    let mut c = s.client();
    c.assert(&["APPEND", "k", "Hello"], ":5\r\n");
    c.assert(&["APPEND", "k", " World"], ":11\r\n");
    c.assert(&["APPEND", "k", ""], ":11\r\n");
    c.assert(&["APPEND", "e", ""], ":0\r\n");
    c.assert(&["EXISTS", "e"], ":1\r\n");
    c.assert(&["STRLEN", "k"], ":11\r\n");
    c.assert(&["STRLEN", "nokey"], ":0\r\n");
    c.assert(&["SET", "s", "Hello"], OK);
    c.assert(&["GETRANGE", "s", "0", "-1"], &bulk("Hello"));
    c.assert(&["GETRANGE", "s", "-3", "-1"], &bulk("llo"));
    c.assert(&["GETRANGE", "s", "-1", "-3"], "$0\r\n\r\n");
    c.assert(&["GETRANGE", "s", "5", "10"], "$0\r\n\r\n");
    c.assert(&["GETRANGE", "s", "-100", "100"], &bulk("Hello"));
    c.assert(&["GETRANGE", "s", "0", "-100"], &bulk("H"));
    c.assert(&["SUBSTR", "s", "1", "2"], &bulk("el"));
    c.assert(&["GETRANGE", "nokey", "0", "1"], "$0\r\n\r\n");
    c.assert(&["GETRANGE", "s", "x", "1"], NOT_INT);
    c.assert(&["SETRANGE", "s", "1", "a"], ":5\r\n");
    c.assert(&["SETRANGE", "s", "7", "!"], ":8\r\n");
    c.assert(&["GET", "s"], "$8\r\nHallo\0\0!\r\n");
    c.assert(&["SETRANGE", "s", "1", ""], ":8\r\n");
    c.assert(&["SETRANGE", "nokey", "0", ""], ":0\r\n");
    c.assert(&["EXISTS", "nokey"], ":0\r\n");
    c.assert(&["SETRANGE", "new", "2", "x"], ":3\r\n");
    c.assert(&["GET", "new"], "$3\r\n\0\0x\r\n");
    c.assert(
        &["SETRANGE", "s", "-1", "x"],
        &err("ERR offset is out of range"),
    );
    c.assert(&["SETRANGE", "s", "x", "x"], NOT_INT);
    let too_long = err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    c.assert(&["SETRANGE", "s", "536870912", "x"], &too_long);
    c.assert(&["SETRANGE", "big", "536870912", "x"], &too_long);
    c.assert(&["EXISTS", "big"], ":0\r\n");
    make_list(&s, "l");
    for cmd in [
        &["APPEND", "l", "x"][..],
        &["STRLEN", "l"],
        &["GETRANGE", "l", "0", "1"],
        &["SETRANGE", "l", "0", "x"],
    ] {
        c.assert(cmd, WRONGTYPE);
    }
}

#[test]
fn counters() {
    let s = start();
    let mut c = s.client();
    c.assert(&["INCR", "n"], ":1\r\n");
    c.assert(&["INCRBY", "n", "10"], ":11\r\n");
    c.assert(&["DECR", "n"], ":10\r\n");
    c.assert(&["DECRBY", "n", "-5"], ":15\r\n");
    c.assert(&["GET", "n"], &bulk("15"));
    c.assert(
        &["DECRBY", "n", "-9223372036854775808"],
        &err("ERR decrement would overflow"),
    );
    c.assert(&["INCRBY", "n", "x"], NOT_INT);
    c.assert(&["INCRBY", "n", "1.0"], NOT_INT);
    c.assert(&["SET", "n", "9223372036854775807"], OK);
    c.assert(
        &["INCR", "n"],
        &err("ERR increment or decrement would overflow"),
    );
    c.assert(&["SET", "n", "-9223372036854775808"], OK);
    c.assert(
        &["DECR", "n"],
        &err("ERR increment or decrement would overflow"),
    );
    for bad in [" 1", "1.0", "01", "abc", ""] {
        c.assert(&["SET", "n", bad], OK);
        c.assert(&["INCR", "n"], NOT_INT);
    }
    make_list(&s, "l");
    c.assert(&["INCR", "l"], WRONGTYPE);
    // A counter keeps its TTL.
    c.assert(&["SET", "t", "1", "EX", "100"], OK);
    c.assert(&["INCR", "t"], ":2\r\n");
    assert_ttl(&mut c, "t", 100);
}

#[test]
fn incrbyfloat_prints_like_redis_7_0() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "k", "10.5"], OK);
    c.assert(&["INCRBYFLOAT", "k", "0.1"], &bulk("10.6"));
    c.assert(&["INCRBYFLOAT", "k", "-5"], &bulk("5.6"));
    c.assert(&["SET", "k", "10.5"], OK);
    c.assert(&["INCRBYFLOAT", "k", "3.0e3"], &bulk("3010.5"));
    c.assert(&["SET", "k", "0.1"], OK);
    c.assert(&["INCRBYFLOAT", "k", "0.2"], &bulk("0.3"));
    c.assert(&["INCRBYFLOAT", "small", "1.5e-10"], &bulk("0.00000000015"));
    c.assert(&["INCRBYFLOAT", "z", "-0"], &bulk("0"));
    c.assert(&["INCRBYFLOAT", "h", ".5"], &bulk("0.5"));
    c.assert(&["INCRBYFLOAT", "h", "5."], &bulk("5.5"));
    let not_float = err("ERR value is not a valid float");
    for bad in [" 1", "1 ", "nan", "abc", ""] {
        c.assert(&["INCRBYFLOAT", "k", bad], &not_float);
    }
    c.assert(
        &["INCRBYFLOAT", "k", "inf"],
        &err("ERR increment would produce NaN or Infinity"),
    );
    c.assert(&["SET", "k", "abc"], OK);
    c.assert(&["INCRBYFLOAT", "k", "1"], &not_float);
    make_list(&s, "l");
    c.assert(&["INCRBYFLOAT", "l", "abc"], WRONGTYPE);
    c.assert(&["SET", "t", "1", "EX", "100"], OK);
    c.assert(&["INCRBYFLOAT", "t", "1.5"], &bulk("2.5"));
    assert_ttl(&mut c, "t", 100);
}

#[test]
fn string_commands_queue_in_multi() {
    let s = start();
    let mut c = s.client();
    c.assert(&["MULTI"], OK);
    c.assert(&["SET", "k", "1"], "+QUEUED\r\n");
    c.assert(&["INCR", "k"], "+QUEUED\r\n");
    c.assert(&["SET", "k", "x", "NX", "XX"], "+QUEUED\r\n");
    c.assert(&["APPEND", "k", "!"], "+QUEUED\r\n");
    c.assert(&["GET", "k"], "+QUEUED\r\n");
    c.assert(
        &["EXEC"],
        "*5\r\n+OK\r\n:2\r\n-ERR syntax error\r\n:2\r\n$2\r\n2!\r\n",
    );
    c.assert(&["MULTI"], OK);
    c.assert(
        &["GETRANGE", "k", "0"],
        &err("ERR wrong number of arguments for 'getrange' command"),
    );
    c.assert(
        &["EXEC"],
        &err("EXECABORT Transaction discarded because of previous errors."),
    );
}

#[test]
fn a_big_value_keeps_no_spare_room_from_a_bigger_one_before_it() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "key", &"A".repeat(100_000)], "+OK\r\n");
    c.assert(&["SET", "key", &"A".repeat(33_000)], "+OK\r\n");
    let usage = String::from_utf8(c.cmd(&["MEMORY", "USAGE", "key"])).unwrap();
    let bytes: u64 = usage.trim_start_matches(':').trim_end().parse().unwrap();
    assert!(bytes < 42_000, "{bytes}");
}
