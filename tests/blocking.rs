//! Blocking pops over real sockets: served by a later push, in arrival order, after `EXEC`,
//! on timeout, and never to a client that already hung up.

mod common;

use std::time::Duration;

use common::*;

/// Waits until exactly `n` clients are parked.
fn wait_blocked(s: &TestServer, n: usize) {
    let shared = s.server.as_ref().expect("running").shared().clone();
    assert!(
        wait_until(Duration::from_secs(10), || shared.blocking.len() == n),
        "expected {n} blocked clients, have {}",
        shared.blocking.len()
    );
}

#[test]
fn blpop_is_served_by_a_later_push() {
    let s = start();
    let mut waiter = s.client();
    let mut pusher = s.client();
    waiter.send(&["BLPOP", "missing", "l", "0"]);
    wait_blocked(&s, 1);
    pusher.assert(&["RPUSH", "l", "a", "b"], ":2\r\n");
    assert_eq!(
        String::from_utf8_lossy(&waiter.read_reply()),
        "*2\r\n$1\r\nl\r\n$1\r\na\r\n"
    );
    wait_blocked(&s, 0);
    pusher.assert(&["LRANGE", "l", "0", "-1"], "*1\r\n$1\r\nb\r\n");
}

#[test]
fn waiters_are_served_in_arrival_order() {
    let s = start();
    let mut waiters: Vec<Client> = (0..3).map(|_| s.client()).collect();
    for (i, w) in waiters.iter_mut().enumerate() {
        w.send(&["BRPOP", "q", "0"]);
        wait_blocked(&s, i + 1);
    }
    let mut pusher = s.client();
    // One push of three elements: BRPOP takes from the tail, so the first waiter gets "c".
    pusher.assert(&["RPUSH", "q", "a", "b", "c"], ":3\r\n");
    for (w, expect) in waiters.iter_mut().zip(["c", "b", "a"]) {
        assert_eq!(
            String::from_utf8_lossy(&w.read_reply()),
            format!("*2\r\n$1\r\nq\r\n{}", bulk(expect))
        );
    }
    pusher.assert(&["LLEN", "q"], ":0\r\n");
}

#[test]
fn a_timeout_answers_nil_and_leaves_the_queue() {
    let s = start();
    let mut c = s.client();
    c.assert(&["BLPOP", "l", "0.1"], "*-1\r\n");
    c.assert(&["BRPOP", "l", "l2", "0.05"], "*-1\r\n");
    // Redis 7 answers a timed-out BLMOVE and BRPOPLPUSH with a nil array too.
    c.assert(&["BLMOVE", "l", "d", "LEFT", "LEFT", "0.05"], "*-1\r\n");
    c.assert(&["BRPOPLPUSH", "l", "d", "0.05"], "*-1\r\n");
    c.assert(&["BLMPOP", "0.05", "1", "l", "LEFT"], "*-1\r\n");
    c.assert(&["BZPOPMIN", "z", "0.05"], "*-1\r\n");
    wait_blocked(&s, 0);
    c.assert(&["RPUSH", "l", "x"], ":1\r\n");
    c.assert(&["LLEN", "l"], ":1\r\n");
}

#[test]
fn timeouts_and_types_are_checked_first() {
    let s = start();
    let mut c = s.client();
    c.assert(&["BLPOP", "l", "-1"], "-ERR timeout is negative\r\n");
    c.assert(
        &["BLPOP", "l", "abc"],
        "-ERR timeout is not a float or out of range\r\n",
    );
    c.assert(&["SET", "str", "x"], "+OK\r\n");
    c.assert(&["BLPOP", "nothing", "str", "0"], WRONGTYPE);
    c.assert(&["RPUSH", "l", "a"], ":1\r\n");
    c.assert(&["BLPOP", "l", "str", "0"], "*2\r\n$1\r\nl\r\n$1\r\na\r\n");
}

#[test]
fn a_push_inside_multi_wakes_the_waiter_only_after_exec() {
    let s = start();
    let mut waiter = s.client();
    let mut tx = s.client();
    waiter.send(&["BLPOP", "l", "0"]);
    wait_blocked(&s, 1);
    tx.assert(&["MULTI"], "+OK\r\n");
    tx.assert(&["RPUSH", "l", "a"], "+QUEUED\r\n");
    tx.assert(&["RPUSH", "l", "b"], "+QUEUED\r\n");
    wait_blocked(&s, 1);
    tx.assert(&["EXEC"], "*2\r\n:1\r\n:2\r\n");
    assert_eq!(
        String::from_utf8_lossy(&waiter.read_reply()),
        "*2\r\n$1\r\nl\r\n$1\r\na\r\n"
    );
    tx.assert(&["LRANGE", "l", "0", "-1"], "*1\r\n$1\r\nb\r\n");
}

#[test]
fn inside_multi_a_blocking_pop_does_not_block() {
    let s = start();
    let mut c = s.client();
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["BLPOP", "l", "0"], "+QUEUED\r\n");
    c.assert(&["RPUSH", "l", "a"], "+QUEUED\r\n");
    c.assert(&["BLPOP", "l", "0"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*3\r\n*-1\r\n:1\r\n*2\r\n$1\r\nl\r\n$1\r\na\r\n");
}

#[test]
fn a_disconnected_waiter_does_not_swallow_an_element() {
    let s = start();
    let gone = {
        let mut c = s.client();
        c.send(&["BLPOP", "l", "0"]);
        c
    };
    wait_blocked(&s, 1);
    drop(gone);
    let mut pusher = s.client();
    pusher.assert(&["RPUSH", "l", "a"], ":1\r\n");
    pusher.assert(&["LRANGE", "l", "0", "-1"], "*1\r\n$1\r\na\r\n");
    wait_blocked(&s, 0);
}

#[test]
fn blmove_is_served_and_can_feed_the_next_waiter() {
    let s = start();
    let mut mover = s.client();
    let mut downstream = s.client();
    mover.send(&["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]);
    wait_blocked(&s, 1);
    downstream.send(&["BLPOP", "dst", "0"]);
    wait_blocked(&s, 2);
    let mut pusher = s.client();
    pusher.assert(&["RPUSH", "src", "x", "y"], ":2\r\n");
    assert_eq!(String::from_utf8_lossy(&mover.read_reply()), bulk("y"));
    // The move pushed onto dst, which served the client blocked there in the same pass.
    assert_eq!(
        String::from_utf8_lossy(&downstream.read_reply()),
        "*2\r\n$3\r\ndst\r\n$1\r\ny\r\n"
    );
    pusher.assert(&["LRANGE", "src", "0", "-1"], "*1\r\n$1\r\nx\r\n");
    pusher.assert(&["LLEN", "dst"], ":0\r\n");
}

#[test]
fn blmpop_and_bzpopmin_are_served() {
    let s = start();
    let mut a = s.client();
    let mut b = s.client();
    a.send(&["BLMPOP", "0", "2", "l1", "l2", "LEFT", "COUNT", "5"]);
    wait_blocked(&s, 1);
    b.send(&["BZPOPMAX", "z", "0"]);
    wait_blocked(&s, 2);
    let mut pusher = s.client();
    pusher.assert(&["RPUSH", "l2", "a", "b"], ":2\r\n");
    assert_eq!(
        String::from_utf8_lossy(&a.read_reply()),
        "*2\r\n$2\r\nl2\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
    pusher.assert(&["ZADD", "z", "1", "m", "2.5", "n"], ":2\r\n");
    assert_eq!(
        String::from_utf8_lossy(&b.read_reply()),
        "*3\r\n$1\r\nz\r\n$1\r\nn\r\n$3\r\n2.5\r\n"
    );
    pusher.assert(&["ZCARD", "z"], ":1\r\n");
}

#[test]
fn a_wrong_type_write_leaves_the_waiter_parked() {
    let s = start();
    let mut waiter = s.client();
    waiter.send(&["BLPOP", "k", "0.3"]);
    wait_blocked(&s, 1);
    let mut other = s.client();
    other.assert(&["SADD", "k", "m"], ":1\r\n");
    wait_blocked(&s, 1);
    assert_eq!(String::from_utf8_lossy(&waiter.read_reply()), "*-1\r\n");
}
