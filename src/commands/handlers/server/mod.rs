//! Server commands: `INFO`, `CONFIG`, `COMMAND`, `TIME`, `SLOWLOG`, `LATENCY`, `SHUTDOWN`, `DEBUG`,
//! `ACL`.
//!
//! Go original: none (go-redis had no server introspection). Explained in: book chapter
//! "Talking to real clients".
//!
//! What the server says about itself comes from the same tables it runs on: `COMMAND` prints
//! the registry, `CONFIG GET` the configuration table, `INFO` the live counters.
//!
//! This file holds the small commands and `COMMAND`; `CONFIG` is in `config.rs`, `LATENCY` in
//! `latency.rs`, `ACL` in `acl.rs`, and `INFO` with the figures it gathers in `info.rs`.

use std::time::{SystemTime, UNIX_EPOCH};

use super::parse_i64;
use crate::commands::acl::categories;
use crate::commands::registry::{CommandSpec, NO_KEYS, Subcommand, flags, flags::*};
use crate::commands::{ClientContext, Registry, Shared, docs, keyspecs};
use crate::engine::store::glob_match;
use crate::persistence::rdb::ShutdownSave;
use crate::protocol::resp::Value;

pub mod acl;
mod config;
mod debug;
mod getkeys;
mod replication;

use replication::replicaof;
mod info;
mod latency;
mod memory;

pub use config::config;
pub use debug::debug;
use getkeys::command_getkeys;
pub use info::info;
pub use latency::latency;
pub use memory::memory;

/// The `CONFIG` subcommands this server answers, with Redis's arities.
const CONFIG_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("config|get", -3),
    Subcommand::new("config|help", 2),
    Subcommand::new("config|resetstat", 2),
    Subcommand::new("config|rewrite", 2),
    Subcommand::new("config|set", -4),
];

/// The `COMMAND` subcommands this server answers, with Redis's arities.
const COMMAND_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("command|count", 2),
    Subcommand::new("command|docs", -2),
    Subcommand::new("command|getkeys", -4),
    Subcommand::new("command|getkeysandflags", -4),
    Subcommand::new("command|help", 2),
    Subcommand::new("command|info", -2),
    Subcommand::new("command|list", -2),
];

/// The `SLOWLOG` subcommands this server answers, with Redis's arities.
const SLOWLOG_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("slowlog|get", -2),
    Subcommand::new("slowlog|help", 2),
    Subcommand::new("slowlog|len", 2),
    Subcommand::new("slowlog|reset", 2),
];

/// The `MEMORY` subcommands this server answers, with Redis's arities.
const MEMORY_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("memory|help", 2),
    Subcommand::new("memory|usage", -3),
];

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    acl::register(r);
    r.add(
        "info",
        crate::commands::Handler::Read(info),
        -1,
        LOADING | STALE,
        NO_KEYS,
    );
    r.client(
        "config",
        config,
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
    );
    r.client("command", command, -1, LOADING | STALE, NO_KEYS);
    r.client("time", time, 1, LOADING | STALE | FAST, NO_KEYS);
    r.client("slowlog", slowlog, -2, ADMIN | LOADING | STALE, NO_KEYS);
    r.client(
        "latency",
        latency,
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
    );
    r.client(
        "shutdown",
        shutdown,
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI,
        NO_KEYS,
    );
    r.client(
        "debug",
        debug,
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED,
        NO_KEYS,
    );
    r.read("memory", memory, -2, 0, (2, 2, 1));
    r.client("replicaof", replicaof, 3, ADMIN | NOSCRIPT | STALE, NO_KEYS);
    r.client("slaveof", replicaof, 3, ADMIN | NOSCRIPT | STALE, NO_KEYS);
    r.client(
        "sync",
        replication::sync,
        1,
        ADMIN | NOSCRIPT | NO_MULTI,
        NO_KEYS,
    );
    r.client(
        "psync",
        replication::psync,
        -3,
        ADMIN | NOSCRIPT | NO_MULTI,
        NO_KEYS,
    );
    r.client(
        "replconf",
        replication::replconf,
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
    );
    r.subcommands("config", CONFIG_SUBCOMMANDS);
    r.subcommands("command", COMMAND_SUBCOMMANDS);
    r.subcommands("slowlog", SLOWLOG_SUBCOMMANDS);
    r.subcommands("latency", latency::LATENCY_SUBCOMMANDS);
    r.subcommands("memory", MEMORY_SUBCOMMANDS);
}

fn unknown_subcommand(cmd: &str, sub: &[u8]) -> Value {
    Value::error_owned(format!(
        "ERR unknown subcommand '{}'. Try {cmd} HELP.",
        String::from_utf8_lossy(sub)
    ))
}

/// A help reply as Redis's `addReplyHelp` builds it: a header naming `cmd`, the lines, and the
/// `HELP` entry every command ends with.
fn help_reply(cmd: &str, lines: &[&'static str]) -> Value {
    let mut out = vec![Value::Simple(
        format!("{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:").into(),
    )];
    out.extend(lines.iter().map(|l| Value::simple(l)));
    out.push(Value::simple("HELP"));
    out.push(Value::simple("    Prints this help."));
    Value::Array(out)
}

fn help(lines: &[&'static str]) -> Value {
    Value::Array(lines.iter().map(|l| Value::simple(l)).collect())
}

/// `TIME`: seconds and microseconds since the Unix epoch, as two bulk strings.
pub fn time(_: &Shared, _: &mut ClientContext, _: &[Vec<u8>]) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Value::bulk_array([now.as_secs().to_string(), now.subsec_micros().to_string()])
}

// ANCHOR: shutdown
/// `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`: the same graceful path as SIGTERM: stop
/// accepting, close the clients, write and fsync what the AOF has queued, exit 0. As in Redis,
/// a successful shutdown sends no reply: the connection just closes.
///
/// With save points set (or `SAVE`, and not `NOSAVE`) it saves `dump.rdb` first, and a failed
/// save stops the shutdown unless `FORCE`, with Redis's error. Writers may still run until the
/// clients are closed, so the server saves once more at the very end if anything changed since
/// (see `Rdb::shutdown`). `NOW` concerns waiting for replicas; accepted.
pub fn shutdown(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let (mut save, mut nosave, mut force) = (false, false, false);
    for a in args {
        match a.to_ascii_lowercase().as_slice() {
            b"save" => save = true,
            b"nosave" => nosave = true,
            b"force" => force = true,
            b"now" => {}
            b"abort" if args.len() == 1 => return Value::error("ERR No shutdown in progress."),
            _ => return Value::syntax_error(),
        }
    }
    if save && nosave {
        return Value::syntax_error();
    }
    crate::info!("server", "User requested shutdown...");
    let mode = match (save, nosave) {
        (true, _) => ShutdownSave::Save,
        (_, true) => ShutdownSave::NoSave,
        _ => ShutdownSave::Default,
    };
    let mut mode_after = mode;
    if shared.rdb.saves_at_shutdown(mode) {
        match shared.rdb.save_for_shutdown(&shared.store) {
            Ok(()) => mode_after = ShutdownSave::Saved,
            Err(_) if force => crate::warn!("rdb", "Error trying to save the DB. Exit anyway."),
            Err(_) => {
                crate::warn!("rdb", "Error trying to save the DB, can't exit.");
                return Value::error("ERR Errors trying to SHUTDOWN. Check logs.");
            }
        }
    }
    shared.rdb.set_shutdown_save(mode_after);
    shared.request_shutdown();
    // Closing the socket now means the reply below is never sent, which is what clients
    // expect of a successful SHUTDOWN.
    client.handle.kill();
    client.close_after_reply = true;
    Value::OK
}
// ANCHOR_END: shutdown

// ---------------------------------------------------------------------------------- SLOWLOG

/// `SLOWLOG GET [count] | LEN | RESET | HELP`.
pub fn slowlog(shared: &Shared, _: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let sub = args[0].to_ascii_lowercase();
    match (sub.as_slice(), args.len()) {
        (b"get", 1 | 2) => {
            let count = match args.get(1) {
                None => 10,
                Some(n) => match parse_i64(n) {
                    Some(-1) => usize::MAX,
                    Some(n) if n >= 0 => n as usize,
                    _ => return Value::error("ERR count should be greater than or equal to -1"),
                },
            };
            let log = shared.stats.slowlog();
            Value::Array(
                log.entries
                    .iter()
                    .take(count)
                    .map(|e| {
                        Value::Array(vec![
                            Value::Integer(e.id as i64),
                            Value::Integer(e.time as i64),
                            Value::Integer(e.micros as i64),
                            Value::bulk_array(&e.argv),
                            Value::bulk(&e.addr),
                            Value::bulk(&e.name),
                        ])
                    })
                    .collect(),
            )
        }
        (b"len", 1) => Value::Integer(shared.stats.slowlog().entries.len() as i64),
        (b"reset", 1) => {
            shared.stats.slowlog().entries.clear();
            Value::OK
        }
        (b"help", 1) => help(&[
            "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
            "HELP",
            "    Prints this help.",
        ]),
        (b"get" | b"len" | b"reset" | b"help", _) => {
            Value::wrong_arity(&format!("slowlog|{}", String::from_utf8_lossy(&sub)))
        }
        _ => unknown_subcommand("SLOWLOG", &args[0]),
    }
}

// ---------------------------------------------------------------------------------- COMMAND

/// The ACL categories of a command, as `COMMAND INFO` prints them.
fn acl_categories(spec: &CommandSpec) -> Vec<Value> {
    categories::names(categories::of_command(spec))
        .map(|name| Value::Simple(format!("@{name}").into()))
        .collect()
}

// ANCHOR: command_entry
/// One command as `COMMAND INFO` describes it in Redis 7: name, arity, flags, first key, last
/// key, step, ACL categories, tips, key specifications, subcommands. The last two are empty:
/// the registry keeps the older (first, last, step) key positions, which every client still
/// reads.
fn command_entry(spec: &CommandSpec) -> Value {
    let mut flag_names: Vec<Value> = flags::NAMES
        .iter()
        .filter(|(bit, _)| spec.has(*bit))
        .map(|(_, name)| Value::simple(name))
        .collect();
    // Derived from the key specifications, as Redis derives it.
    if keyspecs::movable(spec.name) {
        flag_names.push(Value::simple("movablekeys"));
    }
    Value::Array(vec![
        Value::bulk(spec.name),
        Value::Integer(spec.arity as i64),
        Value::Set(flag_names),
        Value::Integer(spec.first_key as i64),
        Value::Integer(spec.last_key as i64),
        Value::Integer(spec.step as i64),
        Value::Set(acl_categories(spec)),
        Value::Set(vec![]),
        Value::Set(vec![]),
        Value::Set(vec![]),
    ])
}
// ANCHOR_END: command_entry

fn sorted_specs(shared: &Shared) -> Vec<&CommandSpec> {
    let mut specs: Vec<&CommandSpec> = shared.registry.iter().collect();
    specs.sort_by_key(|s| s.name);
    specs
}

/// `COMMAND [COUNT | LIST | INFO name... | DOCS [name...] | GETKEYS cmd args... | HELP]`.
pub fn command(shared: &Shared, _: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let Some(sub) = args.first() else {
        return Value::Array(
            sorted_specs(shared)
                .into_iter()
                .map(command_entry)
                .collect(),
        );
    };
    let sub = sub.to_ascii_lowercase();
    let rest = &args[1..];
    match sub.as_slice() {
        b"count" if rest.is_empty() => Value::Integer(shared.registry.len() as i64),
        b"list" => command_list(shared, rest),
        b"info" => {
            if rest.is_empty() {
                return Value::Array(
                    sorted_specs(shared)
                        .into_iter()
                        .map(command_entry)
                        .collect(),
                );
            }
            Value::Array(
                rest.iter()
                    .map(|name| {
                        shared
                            .registry
                            .lookup(name)
                            .map_or(Value::Null, command_entry)
                    })
                    .collect(),
            )
        }
        b"docs" => docs::command_docs(&shared.registry, rest),
        b"getkeys" if !rest.is_empty() => command_getkeys(shared, rest, false),
        b"getkeysandflags" if !rest.is_empty() => command_getkeys(shared, rest, true),
        b"help" if rest.is_empty() => help(&[
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
            "HELP",
            "    Prints this help.",
        ]),
        b"count" | b"getkeys" | b"getkeysandflags" | b"help" => {
            Value::wrong_arity(&format!("command|{}", String::from_utf8_lossy(&sub)))
        }
        _ => unknown_subcommand("COMMAND", &args[0]),
    }
}

/// `COMMAND LIST [FILTERBY PATTERN p | ACLCAT c | MODULE m]`.
fn command_list(shared: &Shared, rest: &[Vec<u8>]) -> Value {
    let names = sorted_specs(shared).into_iter().map(|s| s.name);
    match rest {
        [] => Value::bulk_array(names),
        [f, kind, arg] if f.eq_ignore_ascii_case(b"FILTERBY") => match kind
            .to_ascii_lowercase()
            .as_slice()
        {
            b"pattern" => {
                let pattern = arg.to_ascii_lowercase();
                Value::bulk_array(names.filter(|n| glob_match(&pattern, n.as_bytes())))
            }
            b"module" => Value::Array(vec![]),
            b"aclcat" => {
                let want = format!("@{}", String::from_utf8_lossy(arg).to_ascii_lowercase());
                Value::bulk_array(
                    sorted_specs(shared)
                        .into_iter()
                        .filter(|s| acl_categories(s).contains(&Value::Simple(want.clone().into())))
                        .map(|s| s.name),
                )
            }
            _ => Value::syntax_error(),
        },
        _ => Value::syntax_error(),
    }
}
