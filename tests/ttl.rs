//! TTL commands over a real socket: the EXPIRE family with its options, TTL and friends,
//! PERSIST, and expired keys that no command can see.

mod common;
use std::time::Duration;

use common::*;

#[test]
fn expire_options_and_replies() {
    let s = start();
    let mut c = s.client();
    c.assert(&["EXPIRE", "missing", "10"], ":0\r\n");
    c.assert(&["SET", "a", "1"], OK);
    c.assert(&["TTL", "a"], ":-1\r\n");
    c.assert(&["TTL", "missing"], ":-2\r\n");
    c.assert(&["PTTL", "missing"], ":-2\r\n");
    c.assert(&["EXPIRETIME", "a"], ":-1\r\n");
    c.assert(&["PEXPIRETIME", "missing"], ":-2\r\n");
    c.assert(&["EXPIRE", "a", "10", "XX"], ":0\r\n");
    c.assert(&["EXPIRE", "a", "10", "GT"], ":0\r\n");
    c.assert(&["EXPIRE", "a", "10", "LT"], ":1\r\n");
    assert_ttl(&mut c, "a", 10);
    c.assert(&["EXPIRE", "a", "5", "NX"], ":0\r\n");
    c.assert(&["EXPIRE", "a", "20", "GT"], ":1\r\n");
    c.assert(&["EXPIRE", "a", "30", "LT"], ":0\r\n");
    c.assert(&["EXPIRE", "a", "15", "xx"], ":1\r\n");
    assert_ttl(&mut c, "a", 15);
    c.assert(&["PEXPIRE", "a", "100000"], ":1\r\n");
    assert_ttl(&mut c, "a", 100);
    c.assert(&["EXPIREAT", "a", "4102444800"], ":1\r\n");
    c.assert(&["EXPIRETIME", "a"], ":4102444800\r\n");
    c.assert(&["PEXPIREAT", "a", "4102444800123"], ":1\r\n");
    c.assert(&["PEXPIRETIME", "a"], ":4102444800123\r\n");
    c.assert(&["EXPIRETIME", "a"], ":4102444800\r\n");
    c.assert(&["PEXPIREAT", "a", "9223372036854775807"], ":1\r\n");
    c.assert(&["PERSIST", "a"], ":1\r\n");
    c.assert(&["PERSIST", "a"], ":0\r\n");
    c.assert(&["PERSIST", "missing"], ":0\r\n");
    c.assert(&["TTL", "a"], ":-1\r\n");
}

#[test]
fn expire_errors() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "a", "1"], OK);
    let nx = err("ERR NX and XX, GT or LT options at the same time are not compatible");
    c.assert(&["EXPIRE", "a", "10", "NX", "XX"], &nx);
    c.assert(&["EXPIRE", "a", "10", "XX", "NX"], &nx);
    c.assert(&["EXPIRE", "a", "10", "NX", "GT"], &nx);
    c.assert(&["EXPIRE", "a", "x", "NX", "XX"], &nx);
    c.assert(&["EXPIRE", "missing", "10", "NX", "LT"], &nx);
    c.assert(
        &["EXPIRE", "a", "10", "GT", "LT"],
        &err("ERR GT and LT options at the same time are not compatible"),
    );
    c.assert(
        &["EXPIRE", "a", "10", "foo"],
        &err("ERR Unsupported option foo"),
    );
    c.assert(
        &["EXPIRE", "a", "x"],
        &err("ERR value is not an integer or out of range"),
    );
    c.assert(
        &["EXPIRE", "a", "9223372036854775807"],
        &err("ERR invalid expire time in 'expire' command"),
    );
    c.assert(
        &["EXPIRE", "a", "9223372036854775"],
        &err("ERR invalid expire time in 'expire' command"),
    );
    c.assert(
        &["EXPIRE", "a", "-9223372036854775808"],
        &err("ERR invalid expire time in 'expire' command"),
    );
    c.assert(
        &["PEXPIRE", "a", "9223372036854775807"],
        &err("ERR invalid expire time in 'pexpire' command"),
    );
    c.assert(
        &["EXPIREAT", "a", "9223372036854775807"],
        &err("ERR invalid expire time in 'expireat' command"),
    );
    c.assert(
        &["EXPIRE", "a"],
        &err("ERR wrong number of arguments for 'expire' command"),
    );
    c.assert(&["TTL", "a"], ":-1\r\n");
}

#[test]
fn a_deadline_in_the_past_deletes_at_once() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "a", "1"], OK);
    c.assert(&["EXPIRE", "a", "-1"], ":1\r\n");
    c.assert(&["EXISTS", "a"], ":0\r\n");
    c.assert(&["SET", "a", "1"], OK);
    c.assert(&["PEXPIREAT", "a", "1"], ":1\r\n");
    c.assert(&["EXISTS", "a"], ":0\r\n");
    c.assert(&["SET", "a", "1"], OK);
    c.assert(&["EXPIREAT", "a", "0", "GT"], ":0\r\n");
    c.assert(&["EXPIRE", "a", "0"], ":1\r\n");
    c.assert(&["GET", "a"], "$-1\r\n");
}

#[test]
fn an_expired_key_is_invisible_to_every_command() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "gone", "v", "PX", "100"], OK);
    make_list(&s, "list");
    c.assert(&["PEXPIRE", "list", "100"], ":1\r\n");
    c.assert(&["SET", "stays", "v", "EX", "100"], OK);
    assert!(wait_until(Duration::from_secs(10), || c
        .cmd(&["EXISTS", "gone", "list"])
        == b":0\r\n"));
    // Read commands cannot delete; each one must still refuse to show the keys.
    c.assert(&["GET", "gone"], "$-1\r\n");
    c.assert(&["MGET", "gone", "stays"], "*2\r\n$-1\r\n$1\r\nv\r\n");
    c.assert(&["STRLEN", "gone"], ":0\r\n");
    c.assert(&["TYPE", "gone"], "+none\r\n");
    c.assert(&["TYPE", "list"], "+none\r\n");
    c.assert(&["TTL", "gone"], ":-2\r\n");
    c.assert(&["PTTL", "list"], ":-2\r\n");
    c.assert(&["EXPIRETIME", "gone"], ":-2\r\n");
    c.assert(&["KEYS", "*"], "*1\r\n$5\r\nstays\r\n");
    c.assert(&["KEYS", "g*"], "*0\r\n");
    c.assert(
        &["SCAN", "0", "COUNT", "1000"],
        "*2\r\n$1\r\n0\r\n*1\r\n$5\r\nstays\r\n",
    );
    for _ in 0..20 {
        c.assert(&["RANDOMKEY"], "$5\r\nstays\r\n");
    }
    c.assert(&["TOUCH", "gone"], ":0\r\n");
    // Writes see nothing either.
    c.assert(&["RENAME", "gone", "x"], "-ERR no such key\r\n");
    c.assert(&["COPY", "gone", "x"], ":0\r\n");
    c.assert(&["EXPIRE", "gone", "100"], ":0\r\n");
    c.assert(&["PERSIST", "gone"], ":0\r\n");
    c.assert(&["GETDEL", "gone"], "$-1\r\n");
    c.assert(&["SET", "gone", "new", "NX"], OK);
    c.assert(&["TTL", "gone"], ":-1\r\n");
    c.assert(&["INCR", "list"], ":1\r\n");
    assert_ttl(&mut c, "stays", 100);
}

#[test]
fn setex_and_getex_deadlines_expire() {
    let s = start();
    let mut c = s.client();
    c.assert(&["PSETEX", "a", "100", "v"], OK);
    c.assert(&["SET", "b", "v"], OK);
    c.assert(&["GETEX", "b", "PX", "100"], "$1\r\nv\r\n");
    assert!(wait_until(Duration::from_secs(10), || c
        .cmd(&["EXISTS", "a", "b"])
        == b":0\r\n"));
    // DBSIZE counts them until they are deleted, as Redis's does: the sweeper (or the reads
    // above, which noted them) sees to that within a cycle or two.
    assert!(wait_until(Duration::from_secs(10), || c.cmd(&["DBSIZE"]) == b":0\r\n"));
}

#[test]
fn ttl_rounds_to_the_nearest_second() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "a", "1", "PX", "100400"], OK);
    // 100.4 s rounds down; allow the clock to move a little, never past the half second.
    assert_ttl(&mut c, "a", 100);
    c.assert(&["SET", "a", "1", "PX", "1700"], OK);
    let t = c.cmd(&["TTL", "a"]);
    assert!(
        t == b":2\r\n" || t == b":1\r\n",
        "{}",
        String::from_utf8_lossy(&t)
    );
}

#[test]
fn ttl_commands_queue_in_multi() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "a", "1"], OK);
    c.assert(&["MULTI"], OK);
    c.assert(&["EXPIRE", "a", "100"], "+QUEUED\r\n");
    c.assert(&["TTL", "a"], "+QUEUED\r\n");
    c.assert(&["EXPIRE", "a", "10", "NX", "XX"], "+QUEUED\r\n");
    c.assert(&["PERSIST", "a"], "+QUEUED\r\n");
    c.assert(&["TTL", "a"], "+QUEUED\r\n");
    c.assert(
        &["EXEC"],
        "*5\r\n:1\r\n:100\r\n-ERR NX and XX, GT or LT options at the same time are not compatible\r\n:1\r\n:-1\r\n",
    );
}
