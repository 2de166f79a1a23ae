//! Exercise 18: `RESET`.

use crate::common::*;

const RESET: &str = "+RESET\r\n";

#[test]
fn ex18_leaves_a_transaction_and_forgets_watched_keys() {
    let s = start();
    let mut c = s.client();
    let mut other = s.client();
    c.assert(&["SET", "k", "1"], OK);
    c.assert(&["MULTI"], OK);
    c.assert(&["SET", "k", "2"], "+QUEUED\r\n");
    // Not queued: it ends the transaction, and nothing queued runs.
    c.assert(&["RESET"], RESET);
    c.assert(&["GET", "k"], &bulk("1"));
    c.assert(&["EXEC"], "-ERR EXEC without MULTI\r\n");
    // A watched key changed by another client no longer fails the next transaction.
    c.assert(&["WATCH", "k"], OK);
    c.assert(&["RESET"], RESET);
    other.assert(&["SET", "k", "3"], OK);
    c.assert(&["MULTI"], OK);
    c.assert(&["GET", "k"], "+QUEUED\r\n");
    c.assert(&["EXEC"], &format!("*1\r\n{}", bulk("3")));
}

#[test]
fn ex18_leaves_subscribed_mode() {
    let s = start();
    let mut c = s.client();
    let mut publisher = s.client();
    c.assert(
        &["SUBSCRIBE", "news"],
        "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n",
    );
    c.assert(&["RESET"], RESET);
    c.assert(&["GET", "k"], NIL);
    publisher.assert(&["PUBLISH", "news", "hi"], ":0\r\n");
}

#[test]
fn ex18_back_to_database_0_resp2_and_no_name() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SELECT", "5"], OK);
    c.assert(&["SET", "k", "in 5"], OK);
    c.assert(&["CLIENT", "SETNAME", "worker"], OK);
    let hello = c.cmd(&["HELLO", "3"]);
    assert!(hello.starts_with(b"%7\r\n"), "{hello:?}");
    c.assert(&["RESET"], RESET);
    c.assert(&["GET", "k"], NIL);
    c.assert(&["CLIENT", "GETNAME"], NIL);
    // A RESP3 map would start with `%`; RESP2 answers with a flat array.
    let h = c.cmd(&["HGETALL", "nohash"]);
    assert_eq!(h, b"*0\r\n");
}

#[test]
fn ex18_tracking_off_and_replies_on() {
    let s = start();
    let mut c = s.client();
    c.assert(&["CLIENT", "TRACKING", "on"], OK);
    c.send(&["CLIENT", "REPLY", "OFF"]);
    c.send(&["SET", "k", "v"]);
    c.assert(&["RESET"], RESET);
    c.assert(&["GET", "k"], &bulk("v"));
    c.assert(
        &["CLIENT", "TRACKINGINFO"],
        "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n",
    );
}

#[test]
fn ex18_back_to_the_default_user() {
    let s = start();
    let mut c = s.client();
    c.assert(&["ACL", "SETUSER", "alice", "on", ">wonder", "+@all"], OK);
    c.assert(&["AUTH", "alice", "wonder"], OK);
    c.assert(&["RESET"], RESET);
    c.assert(&["ACL", "WHOAMI"], &bulk("default"));
}

#[test]
fn ex18_further_logged_out_when_default_has_a_password() {
    let s = start_with(|c| c.requirepass = Some(b"secret".to_vec()));
    let mut c = s.client();
    c.assert(&["AUTH", "secret"], OK);
    c.assert(&["GET", "k"], NIL);
    // Before `AUTH` too: it is how a pool cleans up a connection whatever state it is in.
    c.assert(&["RESET"], RESET);
    c.assert(&["GET", "k"], "-NOAUTH Authentication required.\r\n");
    c.assert(&["RESET"], RESET);
}

#[test]
fn ex18_further_a_skipped_reply_stays_skipped() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SELECT", "5"], OK);
    c.assert(&["SET", "k", "in 5"], OK);
    // `CLIENT REPLY SKIP` drops the next command's reply, whichever command it is; the reset
    // itself still happens.
    c.send(&["CLIENT", "REPLY", "SKIP"]);
    c.send(&["RESET"]);
    c.assert(&["GET", "k"], NIL);
}
