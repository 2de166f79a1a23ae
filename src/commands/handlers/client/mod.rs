//! `CLIENT`: the subcommands that look at and manage connections.
//!
//! Go original: none (go-redis had no `CLIENT`). Explained in: book "Talking to real clients".
//!
//! These run with no store guard: they change only the calling connection (its name, its reply
//! mode) or other connections through their [`ClientHandle`]s.

mod tracking;

use super::connection::valid_name;
use super::parse_i64;
use crate::commands::ClientHandle;
use crate::commands::dispatcher::ReplyMode;
use crate::commands::pause::PauseKind;
use crate::commands::registry::{NO_KEYS, Subcommand, flags::*};
use crate::commands::{ClientContext, Registry, Shared};
use crate::engine::store::now_ms;
use crate::protocol::resp::{Protocol, Value};

/// Registers `CLIENT` and its subcommands.
pub fn register(r: &mut Registry) {
    r.client("client", client, -2, NOSCRIPT | LOADING | STALE, NO_KEYS);
    r.subcommands("client", CLIENT_SUBCOMMANDS);
}

/// The `CLIENT HELP` text.
const CLIENT_HELP: &[&str] = &[
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * ID <client-id>",
    "      Kill connections by client id.",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "    * ID <client-id> [<client-id> ...]",
    "      Return clients with the given ids.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are:",
    "    * LIB-NAME: the client lib name.",
    "    * LIB-VER: the client lib version.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "NO-TOUCH (ON|OFF)",
    "    Will not touch LRU/LFU stats when this mode is on.",
    "HELP",
    "    Prints this help.",
];

/// The client types `CLIENT LIST TYPE` and `CLIENT KILL TYPE` accept. A replica is a client
/// that sent `SYNC` or `PSYNC`; the master is this replica's link to it, which has no entry in
/// the client table (it runs on the link's thread), so `TYPE master` lists nothing, and
/// `CLIENT KILL TYPE master` cuts the link.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Pubsub,
    Replica,
    Master,
}

fn client_type(arg: &[u8]) -> Option<ClientType> {
    match arg.to_ascii_lowercase().as_slice() {
        b"normal" => Some(ClientType::Normal),
        b"pubsub" => Some(ClientType::Pubsub),
        b"replica" | b"slave" => Some(ClientType::Replica),
        b"master" => Some(ClientType::Master),
        _ => None,
    }
}

fn type_of(shared: &Shared, handle: &ClientHandle) -> ClientType {
    if shared.replicas.contains(handle.id) {
        return ClientType::Replica;
    }
    let st = handle.state();
    if st.sub + st.psub + st.ssub > 0 {
        ClientType::Pubsub
    } else {
        ClientType::Normal
    }
}

/// Brings the calling client's `CLIENT LIST` state up to date before it lists itself (the
/// regular refresh runs after the command, and Redis shows the running command).
fn refresh_self(client: &ClientContext, name: &'static str) {
    let mut st = client.handle.state();
    st.last_cmd = name;
    st.multi = client.multi.as_ref().map_or(-1, |q| q.len() as i64);
    st.resp = if client.protocol == Protocol::Resp3 {
        3
    } else {
        2
    };
}

/// The `CLIENT` subcommands this server answers, with Redis's arities (`SETINFO` and
/// `NO-TOUCH` are Redis 7.2's, sent by current client libraries).
const CLIENT_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("client|caching", 3),
    Subcommand::new("client|getname", 2),
    Subcommand::new("client|getredir", 2),
    Subcommand::new("client|help", 2),
    Subcommand::new("client|id", 2),
    Subcommand::new("client|info", 2),
    Subcommand::new("client|kill", -3),
    Subcommand::new("client|list", -2),
    Subcommand::new("client|no-evict", 3),
    Subcommand::new("client|no-touch", 3),
    Subcommand::new("client|pause", -3),
    Subcommand::new("client|reply", 3),
    Subcommand::new("client|setinfo", 4),
    Subcommand::new("client|setname", 3),
    Subcommand::new("client|tracking", -3),
    Subcommand::new("client|trackinginfo", 2),
    Subcommand::new("client|unblock", -3),
    Subcommand::new("client|unpause", 2),
];

// ANCHOR: client
/// `CLIENT subcommand ...`: `ID`, `GETNAME`, `SETNAME`, `SETINFO`, `LIST`, `INFO`, `KILL`,
/// `REPLY`, `TRACKING`, `CACHING`, `TRACKINGINFO`, `GETREDIR`, `PAUSE`, `UNPAUSE`, `UNBLOCK`,
/// `NO-EVICT`, `NO-TOUCH`, `HELP`.
pub fn client(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    // The dispatcher checked the subcommand and its arity (`CLIENT_SUBCOMMANDS`).
    let sub = args[0].to_ascii_lowercase();
    let rest = &args[1..];
    match sub.as_slice() {
        b"id" => Value::Integer(client.id as i64),
        b"getname" => match client.handle.name() {
            name if name.is_empty() => Value::Null,
            name => Value::Bulk(name),
        },
        b"setname" => {
            if !valid_name(&rest[0]) {
                return Value::error(
                    "ERR Client names cannot contain spaces, newlines or special characters.",
                );
            }
            client.handle.set_name(&rest[0]);
            Value::OK
        }
        b"setinfo" => client_setinfo(client, &rest[0], &rest[1]),
        b"info" => {
            refresh_self(client, "client|info");
            let mut line = client.handle.info_line(Some(&[b"client", b"info"]));
            line.push('\n');
            Value::Verbatim(line.into_bytes())
        }
        b"list" => client_list(shared, client, rest),
        b"kill" => client_kill(shared, client, rest),
        b"reply" => match rest[0].to_ascii_lowercase().as_slice() {
            b"on" => {
                client.reply_mode = ReplyMode::On;
                Value::OK
            }
            b"off" => {
                client.reply_mode = ReplyMode::Off;
                Value::OK
            }
            b"skip" => {
                // An `OFF` connection stays off; otherwise this reply and the next one go.
                if client.reply_mode != ReplyMode::Off {
                    client.reply_mode = ReplyMode::Skip(2);
                }
                Value::OK
            }
            _ => Value::syntax_error(),
        },
        b"tracking" => tracking::tracking(shared, client, rest),
        b"caching" => tracking::caching(shared, client, &rest[0]),
        b"trackinginfo" => tracking::trackinginfo(shared, client),
        b"getredir" => tracking::getredir(shared, client),
        b"pause" => client_pause(shared, &args[0], rest),
        b"unpause" => {
            shared.pause.unpause();
            Value::OK
        }
        b"unblock" => {
            let Some(id) = parse_i64(&rest[0]) else {
                return Value::not_integer();
            };
            let error = match rest.get(1).map(|r| r.to_ascii_lowercase()) {
                None => false,
                Some(r) if r == b"timeout" => false,
                Some(r) if r == b"error" => true,
                Some(_) => {
                    return Value::error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
                }
            };
            let unblocked = u64::try_from(id)
                .is_ok_and(|id| crate::commands::blocking::unblock(shared, id, error));
            Value::Integer(i64::from(unblocked))
        }
        b"no-evict" | b"no-touch" => {
            // Accepted for the clients that send them: there is no eviction and no LRU clock
            // here, so both modes change nothing.
            let on_off = rest[0].to_ascii_lowercase();
            if on_off == b"on" || on_off == b"off" {
                Value::OK
            } else {
                Value::syntax_error()
            }
        }
        _ => Value::Array(CLIENT_HELP.iter().map(|l| Value::simple(l)).collect()),
    }
}
// ANCHOR_END: client

// ANCHOR: client_pause
/// `CLIENT PAUSE timeout [WRITE | ALL]`: holds back every command (`ALL`, the default) or those
/// that may write (`WRITE`) for `timeout` milliseconds, or until `CLIENT UNPAUSE`. Redis checks
/// the mode before the timeout, and so does this.
fn client_pause(shared: &Shared, word: &[u8], rest: &[Vec<u8>]) -> Value {
    let kind = match rest {
        [_] => PauseKind::All,
        [_, mode] if mode.eq_ignore_ascii_case(b"write") => PauseKind::Write,
        [_, mode] if mode.eq_ignore_ascii_case(b"all") => PauseKind::All,
        [_, _] => return Value::error("ERR CLIENT PAUSE mode must be WRITE or ALL"),
        _ => {
            return Value::error_owned(format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
                String::from_utf8_lossy(word)
            ));
        }
    };
    let Some(timeout) = parse_i64(&rest[0]) else {
        return Value::error("ERR timeout is not an integer or out of range");
    };
    let Ok(timeout) = u64::try_from(timeout) else {
        return Value::error("ERR timeout is negative");
    };
    // A zero timeout ends at once; Redis's end time is 0 then, already past.
    let end = if timeout == 0 {
        0
    } else {
        now_ms().saturating_add(timeout)
    };
    shared.pause.pause(kind, end);
    Value::OK
}
// ANCHOR_END: client_pause

/// `CLIENT SETINFO LIB-NAME|LIB-VER value` (Redis 7.2; redis-py and go-redis send it on connect).
fn client_setinfo(client: &ClientContext, attr: &[u8], value: &[u8]) -> Value {
    let attr = attr.to_ascii_lowercase();
    if attr != b"lib-name" && attr != b"lib-ver" {
        return Value::error_owned(format!(
            "ERR Unrecognized option '{}'",
            String::from_utf8_lossy(&attr)
        ));
    }
    if !valid_name(value) {
        return Value::error_owned(format!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            String::from_utf8_lossy(&attr)
        ));
    }
    let mut st = client.handle.state();
    if attr == b"lib-name" {
        st.lib_name = value.to_vec();
    } else {
        st.lib_ver = value.to_vec();
    }
    Value::OK
}

/// `CLIENT LIST [TYPE type] [ID id ...]`.
fn client_list(shared: &Shared, client: &ClientContext, args: &[Vec<u8>]) -> Value {
    let mut only_type = None;
    let mut only_ids: Option<Vec<u64>> = None;
    match args {
        [] => {}
        [opt, ty] if opt.eq_ignore_ascii_case(b"TYPE") => match client_type(ty) {
            Some(t) => only_type = Some(t),
            None => {
                return Value::error_owned(format!(
                    "ERR Unknown client type '{}'",
                    String::from_utf8_lossy(ty)
                ));
            }
        },
        [opt, ids @ ..] if opt.eq_ignore_ascii_case(b"ID") && !ids.is_empty() => {
            let mut v = Vec::with_capacity(ids.len());
            for id in ids {
                match parse_i64(id) {
                    Some(n) if n > 0 => v.push(n as u64),
                    _ => return Value::error("ERR Invalid client ID"),
                }
            }
            only_ids = Some(v);
        }
        _ => return Value::syntax_error(),
    }
    refresh_self(client, "client|list");
    // This client's own request, as Redis counts it in its line.
    let mut request: Vec<&[u8]> = vec![b"client", b"list"];
    request.extend(args.iter().map(Vec::as_slice));
    let mut out = String::new();
    for c in shared.clients.snapshot() {
        if only_type.is_some_and(|t| t != type_of(shared, &c)) {
            continue;
        }
        if only_ids.as_ref().is_some_and(|ids| !ids.contains(&c.id)) {
            continue;
        }
        out.push_str(&c.info_line((c.id == client.id).then_some(&request[..])));
        out.push('\n');
    }
    Value::Verbatim(out.into_bytes())
}

// ANCHOR: client_kill
/// `CLIENT KILL ip:port` (old form: `+OK` or an error) or `CLIENT KILL <filter> <value> ...`
/// (new form: how many were killed). The caller is never shut down from here: it is marked to
/// close after its reply, so it still gets the answer, as in Redis.
fn client_kill(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    if let [addr] = args {
        let addr = String::from_utf8_lossy(addr);
        let Some(target) = shared
            .clients
            .snapshot()
            .into_iter()
            .find(|c| c.addr.to_string() == addr)
        else {
            return Value::error("ERR No such client");
        };
        kill(client, &target);
        return Value::OK;
    }
    if !args.len().is_multiple_of(2) {
        return Value::syntax_error();
    }
    let mut id = None;
    let mut addr = None;
    let mut laddr = None;
    let mut ty = None;
    let mut skipme = true;
    let mut user = None;
    for pair in args.chunks(2) {
        let (opt, val) = (pair[0].to_ascii_lowercase(), &pair[1]);
        match opt.as_slice() {
            b"id" => match parse_i64(val) {
                Some(n) if n > 0 => id = Some(n as u64),
                _ => return Value::error("ERR client-id should be greater than 0"),
            },
            b"addr" => addr = Some(String::from_utf8_lossy(val).into_owned()),
            b"laddr" => laddr = Some(String::from_utf8_lossy(val).into_owned()),
            b"type" => match client_type(val) {
                Some(t) => ty = Some(t),
                None => {
                    return Value::error_owned(format!(
                        "ERR Unknown client type '{}'",
                        String::from_utf8_lossy(val)
                    ));
                }
            },
            b"user" => {
                user = Some(val.clone());
                if shared.acl.user(val).is_none() {
                    return Value::error_owned(format!(
                        "ERR No such user '{}'",
                        String::from_utf8_lossy(val)
                    ));
                }
            }
            b"skipme" => match val.to_ascii_lowercase().as_slice() {
                b"yes" => skipme = true,
                b"no" => skipme = false,
                _ => return Value::syntax_error(),
            },
            _ => return Value::syntax_error(),
        }
    }
    let mut killed = 0;
    for c in shared.clients.snapshot() {
        let matches = id.is_none_or(|id| c.id == id)
            && addr.as_ref().is_none_or(|a| c.addr.to_string() == *a)
            && laddr
                .as_ref()
                .is_none_or(|a| c.local_addr.to_string() == *a)
            && ty.is_none_or(|t| t == type_of(shared, &c))
            && user.as_ref().is_none_or(|u| c.state().user == *u)
            && !(skipme && c.id == client.id);
        if matches {
            kill(client, &c);
            killed += 1;
        }
    }
    // The link to this replica's master: it resumes by itself, with a partial resync.
    if ty == Some(ClientType::Master)
        && id.is_none()
        && addr.is_none()
        && laddr.is_none()
        && shared.role.master().is_some()
        && shared.link.get().state == "connected"
    {
        shared.link.disconnect();
        killed += 1;
    }
    Value::Integer(killed)
}
// ANCHOR_END: client_kill

fn kill(me: &mut ClientContext, target: &ClientHandle) {
    if target.id == me.id {
        me.close_after_reply = true;
    } else {
        target.kill();
    }
}
