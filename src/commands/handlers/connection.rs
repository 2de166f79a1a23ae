//! Connection commands: `PING`, `ECHO`, `QUIT`, `HELLO` (`CLIENT` is in `client/`; `AUTH` and
//! `RESET` are classroom exercises, in `auth.rs` and `reset.rs`).
//!
//! Go original: `Ping` in `internal/commands/handlers/strings.go` (the rest is new
//! here). Explained in: book chapter 3 and "Talking to real clients".
//!
//! These run with no store guard: they change only the calling connection (its protocol, name,
//! authentication).

use super::parse_i64;
use crate::commands::acl;
use crate::commands::registry::{NO_KEYS, flags::*};
use crate::commands::{ClientContext, Handler, Registry, Shared};
use crate::config::REDIS_VERSION;
use crate::protocol::resp::{Protocol, Value};

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    r.client("ping", ping, -1, FAST | PUBSUB_OK, NO_KEYS);
    r.client("echo", echo, 2, FAST, NO_KEYS);
    r.add(
        "quit",
        Handler::Client(quit),
        -1,
        FAST | NO_AUTH | RUNS_IN_MULTI | PUBSUB_OK,
        NO_KEYS,
    );
    r.client(
        "hello",
        hello,
        -1,
        FAST | NO_AUTH | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
    );
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

/// True for a name `CLIENT SETNAME` accepts: printable ASCII without spaces, as in Redis.
pub(super) fn valid_name(name: &[u8]) -> bool {
    name.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

// ANCHOR: hello
/// `HELLO [protover [AUTH username password] [SETNAME name]]`: switches the connection to RESP2
/// or RESP3 and answers with a map describing the server. The reply itself is already encoded
/// in the new protocol: the connection loop reads `client.protocol` after each command.
pub fn hello(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let mut protocol = client.protocol;
    if let Some(ver) = args.first() {
        protocol = match parse_i64(ver) {
            None => return Value::error("ERR Protocol version is not an integer or out of range"),
            Some(2) => Protocol::Resp2,
            Some(3) => Protocol::Resp3,
            Some(_) => return Value::error("NOPROTO unsupported protocol version"),
        };
    }
    let mut credentials = None;
    let mut name = None;
    let mut i = 1;
    while i < args.len() {
        let opt = &args[i];
        let more = args.len() - i - 1;
        if opt.eq_ignore_ascii_case(b"AUTH") && more >= 2 {
            credentials = Some((&args[i + 1], &args[i + 2]));
            i += 3;
        } else if opt.eq_ignore_ascii_case(b"SETNAME") && more >= 1 {
            if !valid_name(&args[i + 1]) {
                return Value::error(
                    "ERR Client names cannot contain spaces, newlines or special characters.",
                );
            }
            name = Some(&args[i + 1]);
            i += 2;
        } else {
            return Value::error_owned(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(opt)
            ));
        }
    }
    if let Some((user, pass)) = credentials
        && let Err(e) = acl::authenticate(shared, client, user, pass, b"HELLO")
    {
        return e;
    }
    if !client.authenticated {
        return Value::error(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO <proto> \
             AUTH <user> <pass> option can be used to authenticate the client and select the \
             RESP protocol \
             version at the same time",
        );
    }
    if let Some(name) = name {
        client.handle.set_name(name);
    }
    client.protocol = protocol;
    let proto = if protocol == Protocol::Resp3 { 3 } else { 2 };
    Value::Map(vec![
        (Value::bulk("server"), Value::bulk("redis")),
        (Value::bulk("version"), Value::bulk(REDIS_VERSION)),
        (Value::bulk("proto"), Value::Integer(proto)),
        (Value::bulk("id"), Value::Integer(client.id as i64)),
        (Value::bulk("mode"), Value::bulk("standalone")),
        (Value::bulk("role"), Value::bulk("master")),
        (Value::bulk("modules"), Value::Array(vec![])),
    ])
}
// ANCHOR_END: hello

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_names_are_printable_without_spaces() {
        assert!(valid_name(b"worker-1"));
        assert!(valid_name(b""));
        assert!(!valid_name(b"a b"));
        assert!(!valid_name(b"a\nb"));
        assert!(!valid_name("é".as_bytes()));
    }
}
