//! Exercise 17: `AUTH [username] password`.

use crate::common::*;

const WRONGPASS: &str = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
const NOAUTH: &str = "-NOAUTH Authentication required.\r\n";

#[test]
fn ex17_a_password_alone_is_for_the_default_user() {
    let s = start_with(|c| c.requirepass = Some(b"secret".to_vec()));
    let mut c = s.client();
    c.assert(&["GET", "k"], NOAUTH);
    c.assert(&["AUTH", "wrong"], WRONGPASS);
    c.assert(&["GET", "k"], NOAUTH);
    c.assert(&["AUTH", "secret"], OK);
    c.assert(&["GET", "k"], NIL);
    c.assert(&["ACL", "WHOAMI"], &bulk("default"));
    // The same, with the user named.
    let mut d = s.client();
    d.assert(&["AUTH", "default", "secret"], OK);
    d.assert(&["GET", "k"], NIL);
}

#[test]
fn ex17_without_a_password_the_old_form_is_an_error() {
    let s = start();
    let mut c = s.client();
    c.assert(
        &["AUTH", "anything"],
        "-ERR AUTH <password> called without any password configured for the default user. \
         Are you sure your configuration is correct?\r\n",
    );
    // Naming the user is another matter: `default` without a password accepts any.
    c.assert(&["AUTH", "default", "anything"], OK);
}

#[test]
fn ex17_logs_in_as_another_user() {
    let s = start();
    let mut c = s.client();
    c.assert(
        &["ACL", "SETUSER", "alice", "on", ">wonder", "~*", "+@all"],
        OK,
    );
    c.assert(&["AUTH", "alice", "wonder"], OK);
    c.assert(&["ACL", "WHOAMI"], &bulk("alice"));
    // A failed attempt leaves the connection who it was.
    c.assert(&["AUTH", "alice", "wrong"], WRONGPASS);
    c.assert(&["ACL", "WHOAMI"], &bulk("alice"));
}

#[test]
fn ex17_one_answer_for_every_refusal() {
    let s = start();
    let mut c = s.client();
    c.assert(&["ACL", "SETUSER", "bob", "off", ">builder", "+@all"], OK);
    // A user that does not exist, one that is off, a wrong password: the same words, so a
    // client learns nothing about which users there are.
    c.assert(&["AUTH", "nobody", "builder"], WRONGPASS);
    c.assert(&["AUTH", "bob", "builder"], WRONGPASS);
    c.assert(&["ACL", "SETUSER", "bob", "on"], OK);
    c.assert(&["AUTH", "bob", "wrong"], WRONGPASS);
    c.assert(&["AUTH", "bob", "builder"], OK);
    c.assert(&["AUTH", "a", "b", "c"], SYNTAX);
    c.assert(
        &["AUTH"],
        "-ERR wrong number of arguments for 'auth' command\r\n",
    );
}

#[test]
fn ex17_further_a_failure_is_in_the_acl_log() {
    let s = start();
    let mut c = s.client();
    c.assert(&["AUTH", "nobody", "pw"], WRONGPASS);
    c.assert(&["AUTH", "nobody", "pw"], WRONGPASS);
    let log = String::from_utf8_lossy(&c.cmd(&["ACL", "LOG"])).into_owned();
    // One entry, counted twice: the same user, reason and object.
    for field in [
        "*1\r\n",
        "$5\r\ncount\r\n:2\r\n",
        "$6\r\nreason\r\n$4\r\nauth\r\n",
        "$7\r\ncontext\r\n$8\r\ntoplevel\r\n",
        "$6\r\nobject\r\n$4\r\nAUTH\r\n",
        "$8\r\nusername\r\n$6\r\nnobody\r\n",
    ] {
        assert!(log.contains(field), "no {field:?} in ACL LOG: {log:?}");
    }
}
