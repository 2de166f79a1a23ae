//! The dispatcher over a real socket: unknown commands, arity, connection commands,
//! transactions.

mod common;

use common::*;

#[test]
fn unknown_commands_and_arity_errors_use_redis_text() {
    let s = start();
    let mut c = s.client();
    c.assert(
        &["foo", "a", "b"],
        "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n",
    );
    c.assert(
        &["FOO"],
        "-ERR unknown command 'FOO', with args beginning with: \r\n",
    );
    c.assert(
        &["get"],
        "-ERR wrong number of arguments for 'get' command\r\n",
    );
    c.assert(
        &["GET", "a", "b"],
        "-ERR wrong number of arguments for 'get' command\r\n",
    );
}

#[test]
fn connection_commands() {
    let s = start();
    let mut c = s.client();
    c.assert(&["PING"], "+PONG\r\n");
    c.assert(&["ping", "hi"], "$2\r\nhi\r\n");
    c.assert(&["ECHO", ""], "$0\r\n\r\n");
    c.assert(&["SELECT", "0"], "+OK\r\n");
    c.assert(&["SELECT", "15"], "+OK\r\n");
    c.assert(&["SELECT", "16"], "-ERR DB index is out of range\r\n");
    c.assert(&["SELECT", "-1"], "-ERR DB index is out of range\r\n");
    c.assert(
        &["SELECT", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(&["QUIT"], "+OK\r\n");
    assert!(c.is_closed());
}

/// A command whose second half is still in flight must not hold back the replies to the commands
/// before it: the server writes what it has before it waits for more input.
#[test]
fn replies_are_not_held_back_by_a_partial_command() {
    let s = start();
    let mut c = s.client();
    c.send_raw(b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhel");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    c.send_raw(b"lo\r\n");
    assert_eq!(c.read_reply(), b"$5\r\nhello\r\n");
}
