//! Exercise 11: `WAIT numreplicas timeout`.

use std::time::{Duration, Instant};

use crate::common::*;
use crate::{caught_up, replica_of};

#[test]
fn ex11_without_replicas_it_answers_0_after_the_timeout() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "k", "v"], "+OK\r\n");
    // Nothing to wait for: at once.
    c.assert(&["WAIT", "0", "0"], ":0\r\n");
    c.assert(&["WAIT", "-1", "0"], ":0\r\n");
    // One replica wanted and none there: it waits the whole 100 ms, then says how many it had.
    let started = Instant::now();
    c.assert(&["WAIT", "1", "100"], ":0\r\n");
    assert!(started.elapsed() >= Duration::from_millis(100));
}

#[test]
fn ex11_errors() {
    let s = start();
    let mut c = s.client();
    c.assert(
        &["WAIT", "x", "0"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(
        &["WAIT", "1", "x"],
        "-ERR timeout is not an integer or out of range\r\n",
    );
    c.assert(
        &["WAIT", "1", "1.5"],
        "-ERR timeout is not an integer or out of range\r\n",
    );
    c.assert(&["WAIT", "1", "-1"], "-ERR timeout is negative\r\n");
    c.assert(
        &["WAIT", "1"],
        "-ERR wrong number of arguments for 'wait' command\r\n",
    );
}

#[test]
fn ex11_counts_the_replicas_that_acknowledged() {
    let master = start();
    let first = replica_of(&master);
    let mut m = master.client();
    c_set(&mut m, "k", "1");
    m.assert(&["WAIT", "1", "10000"], ":1\r\n");
    let second = replica_of(&master);
    c_set(&mut m, "k", "2");
    m.assert(&["WAIT", "2", "10000"], ":2\r\n");
    // Asking for more than there are: all it has, once the timeout is over.
    m.assert(&["WAIT", "3", "100"], ":2\r\n");
    // What WAIT counted is really there.
    for replica in [&first, &second] {
        let mut r = replica.client();
        caught_up(&mut m, &mut r);
        r.assert(&["GET", "k"], &bulk("2"));
    }
}

#[test]
fn ex11_a_replica_refuses_before_it_reads_the_arguments() {
    let master = start();
    let replica = replica_of(&master);
    let mut r = replica.client();
    let refusal = "-ERR WAIT cannot be used with replica instances. Please also note that since \
                   Redis 4.0 if a replica is configured to be writable (which is not the default) \
                   writes to replicas are just local and are not propagated.\r\n";
    r.assert(&["WAIT", "0", "0"], refusal);
    r.assert(&["WAIT", "x", "-1"], refusal);
}

#[test]
fn ex11_further_inside_multi_it_answers_at_once() {
    let s = start();
    let mut c = s.client();
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["WAIT", "1", "10000"], "+QUEUED\r\n");
    // EXEC holds the write guard: a WAIT that waited there would stop every other client.
    let started = Instant::now();
    c.assert(&["EXEC"], "*1\r\n:0\r\n");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// `SET key value` on `c`, which must answer `+OK`.
fn c_set(c: &mut Client, key: &str, value: &str) {
    c.assert(&["SET", key, value], "+OK\r\n");
}
