//! Lazy freeing: `UNLINK`, the `ASYNC` flushes and the `lazyfree-lazy-*` settings hand big
//! values to the `lazyfree` thread, which `INFO`'s `lazyfree_pending_objects` and
//! `lazyfreed_objects` count, as in Redis 7.0; small values are freed in place.

mod common;

use std::time::Duration;

use common::*;

const OK: &str = "+OK\r\n";

/// A field of `INFO memory`, as a number.
fn info_field(c: &mut Client, name: &str) -> u64 {
    let text = String::from_utf8(c.cmd(&["INFO", "memory"])).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} missing from INFO memory"))
}

/// Waits until nothing is pending, then returns `lazyfreed_objects`.
fn freed_when_done(c: &mut Client) -> u64 {
    assert!(wait_until(Duration::from_secs(5), || info_field(
        c,
        "lazyfree_pending_objects"
    ) == 0));
    info_field(c, "lazyfreed_objects")
}

/// `SADD key 0 1 .. n-1`.
fn big_set(c: &mut Client, key: &str, n: usize) {
    let members: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    let mut args = vec!["SADD", key];
    args.extend(members.iter().map(String::as_str));
    c.assert(&args, &int(n as i64));
}

#[test]
fn unlink_frees_big_values_on_the_thread_and_small_ones_in_place() {
    let s = start();
    let mut c = s.client();
    big_set(&mut c, "big", 10_000);
    big_set(&mut c, "small", 10);
    c.assert(&["SET", "str", "value"], OK);
    c.assert(&["UNLINK", "big", "small", "str", "missing"], &int(3));
    c.assert(&["EXISTS", "big", "small", "str"], &int(0));
    assert_eq!(freed_when_done(&mut c), 1);
    // DEL frees in place unless lazyfree-lazy-user-del says otherwise.
    big_set(&mut c, "big", 1000);
    c.assert(&["DEL", "big"], &int(1));
    assert_eq!(freed_when_done(&mut c), 1);
    c.assert(&["CONFIG", "SET", "lazyfree-lazy-user-del", "yes"], OK);
    big_set(&mut c, "big", 1000);
    c.assert(&["DEL", "big"], &int(1));
    assert_eq!(freed_when_done(&mut c), 2);
    c.assert(&["CONFIG", "RESETSTAT"], OK);
    assert_eq!(info_field(&mut c, "lazyfreed_objects"), 0);
}

#[test]
fn async_flushes_count_every_key_they_free() {
    let s = start();
    let mut c = s.client();
    for i in 0..100 {
        c.assert(&["SET", &format!("k{i}"), "v"], OK);
    }
    c.assert(&["SELECT", "1"], OK);
    for i in 0..10 {
        c.assert(&["SET", &format!("k{i}"), "v"], OK);
    }
    // Database 1 holds too few keys to be worth the thread; database 0 goes there.
    c.assert(&["FLUSHALL", "ASYNC"], OK);
    c.assert(&["DBSIZE"], &int(0));
    assert_eq!(freed_when_done(&mut c), 100);
    for i in 0..100 {
        c.assert(&["SET", &format!("k{i}"), "v"], OK);
    }
    c.assert(&["FLUSHDB", "SYNC"], OK);
    assert_eq!(freed_when_done(&mut c), 100);
    for i in 0..100 {
        c.assert(&["SET", &format!("k{i}"), "v"], OK);
    }
    c.assert(&["CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"], OK);
    c.assert(&["FLUSHDB"], OK);
    c.assert(&["DBSIZE"], &int(0));
    assert_eq!(freed_when_done(&mut c), 200);
    c.assert(&["FLUSHALL", "FOO"], &err("ERR syntax error"));
}

#[test]
fn expired_and_replaced_values_follow_their_settings() {
    let s = start();
    let mut c = s.client();
    c.assert(&["CONFIG", "SET", "lazyfree-lazy-expire", "yes"], OK);
    big_set(&mut c, "big", 1000);
    c.assert(&["PEXPIRE", "big", "1"], &int(1));
    // The sweeper deletes it (DBSIZE hides it before that), and the thread frees it.
    assert!(wait_until(Duration::from_secs(5), || info_field(
        &mut c,
        "lazyfreed_objects"
    ) == 1));
    c.assert(&["DBSIZE"], &int(0));
    // A value the server replaces: SET over a big set, RENAME over one, a *STORE's destination.
    c.assert(&["CONFIG", "SET", "lazyfree-lazy-server-del", "yes"], OK);
    big_set(&mut c, "big", 1000);
    c.assert(&["SET", "big", "now a string"], OK);
    assert_eq!(freed_when_done(&mut c), 2);
    c.assert(&["DEL", "big"], &int(1));
    big_set(&mut c, "big", 1000);
    c.assert(&["SET", "src", "x"], OK);
    c.assert(&["RENAME", "src", "big"], OK);
    assert_eq!(freed_when_done(&mut c), 3);
    c.assert(&["DEL", "big"], &int(1));
    big_set(&mut c, "big", 1000);
    c.assert(&["SADD", "one", "a"], &int(1));
    c.assert(&["SUNIONSTORE", "big", "one"], &int(1));
    assert_eq!(freed_when_done(&mut c), 4);
    c.assert(&["SMEMBERS", "big"], "*1\r\n$1\r\na\r\n");
}
