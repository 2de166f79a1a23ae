//! Connection commands: `PING`, `ECHO`, `QUIT`, `SELECT`.
//!
//! Go original: `internal/commands/handlers/connection.go`. Explained in: book chapter 3.

use super::parse_i64;
use crate::commands::registry::{NO_KEYS, flags::*};
use crate::commands::{ClientContext, Handler, Registry, Shared};
use crate::protocol::resp::Value;

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    r.client("ping", ping, -1, FAST | PUBSUB_OK, NO_KEYS);
    r.client("echo", echo, 2, FAST, NO_KEYS);
    r.add(
        "quit",
        Handler::Client(quit),
        -1,
        FAST | NO_AUTH | NO_MULTI | PUBSUB_OK,
        NO_KEYS,
    );
    r.client("select", select, 2, FAST | LOADING | STALE, NO_KEYS);
}

// ANCHOR: ping
/// `PING [message]`: `+PONG`, or the message as a bulk string. A RESP2 subscriber gets the
/// `pong` array instead, as in Redis.
pub fn ping(_: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    if args.len() > 1 {
        return Value::wrong_arity("ping");
    }
    if client.in_pubsub_mode() {
        let msg = args.first().cloned().unwrap_or_default();
        return Value::Array(vec![Value::bulk("pong"), Value::Bulk(msg)]);
    }
    match args.first() {
        Some(msg) => Value::Bulk(msg.clone()),
        None => Value::simple("PONG"),
    }
}
// ANCHOR_END: ping

/// `ECHO message`.
pub fn echo(_: &Shared, _: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    Value::Bulk(args[0].clone())
}

/// `QUIT`: `+OK`, then the connection closes.
pub fn quit(_: &Shared, client: &mut ClientContext, _: &[Vec<u8>]) -> Value {
    client.close_after_reply = true;
    Value::OK
}

/// `SELECT index`: only database 0 exists.
pub fn select(_: &Shared, _: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    match parse_i64(&args[0]) {
        Some(0) => Value::OK,
        Some(_) => Value::error("ERR DB index is out of range"),
        None => Value::not_integer(),
    }
}
