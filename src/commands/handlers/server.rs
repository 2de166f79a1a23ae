//! Server commands: `INFO`, `CONFIG`, `COMMAND`, `TIME`, `SLOWLOG`, `SHUTDOWN`, `DEBUG`.
//!
//! Go original: none (go-redis had no server introspection). Explained in: book chapter
//! "Talking to real clients".
//!
//! What the server says about itself comes from the same tables it runs on: `COMMAND` prints
//! the registry, `CONFIG GET` the configuration table, `INFO` the live counters.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::parse_i64;
use crate::commands::registry::{CommandSpec, NO_KEYS, flags, flags::*};
use crate::commands::{ClientContext, Registry, Shared};
use crate::config::REDIS_VERSION;
use crate::config::{DebugCommand, Mutability, PARAMS};
use crate::engine::store::{Data, Store, glob_match, now_ms};
use crate::protocol::resp::Value;

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    r.client("info", info, -1, LOADING | STALE, NO_KEYS);
    r.client("config", config, -2, ADMIN | NOSCRIPT | LOADING | STALE, NO_KEYS);
    r.client("command", command, -1, LOADING | STALE, NO_KEYS);
    r.client("time", time, 1, LOADING | STALE | FAST, NO_KEYS);
    r.client("slowlog", slowlog, -2, ADMIN | LOADING | STALE, NO_KEYS);
    r.client(
        "shutdown",
        shutdown,
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI,
        NO_KEYS,
    );
    r.client("debug", debug, -2, ADMIN | NOSCRIPT | LOADING | STALE, NO_KEYS);
}

fn unknown_subcommand(cmd: &str, sub: &[u8]) -> Value {
    Value::error_owned(format!(
        "ERR unknown subcommand '{}'. Try {cmd} HELP.",
        String::from_utf8_lossy(sub)
    ))
}

fn help(lines: &[&'static str]) -> Value {
    Value::Array(lines.iter().map(|l| Value::simple(l)).collect())
}

/// `TIME`: seconds and microseconds since the Unix epoch, as two bulk strings.
pub fn time(_: &Shared, _: &mut ClientContext, _: &[Vec<u8>]) -> Value {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Value::bulk_array([now.as_secs().to_string(), now.subsec_micros().to_string()])
}

// ANCHOR: shutdown
/// `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`: the same graceful path as SIGTERM: stop
/// accepting, close the clients, write and fsync what the AOF has queued, exit 0. As in Redis,
/// a successful shutdown sends no reply: the connection just closes.
///
/// `NOSAVE`/`SAVE` concern RDB snapshots, which this server does not make, and `NOW`/`FORCE`
/// concern waiting for replicas and save errors; all are accepted and change nothing here.
pub fn shutdown(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let (mut save, mut nosave) = (false, false);
    for a in args {
        match a.to_ascii_lowercase().as_slice() {
            b"save" => save = true,
            b"nosave" => nosave = true,
            b"now" | b"force" => {}
            b"abort" if args.len() == 1 => return Value::error("ERR No shutdown in progress."),
            _ => return Value::syntax_error(),
        }
    }
    if save && nosave {
        return Value::syntax_error();
    }
    crate::info!("server", "User requested shutdown...");
    shared.request_shutdown();
    // Closing the socket now means the reply below is never sent, which is what clients
    // expect of a successful SHUTDOWN.
    client.handle.kill();
    client.close_after_reply = true;
    Value::OK
}
// ANCHOR_END: shutdown

// ANCHOR: debug
/// `DEBUG SLEEP seconds` (a slow command on demand, for trying the slow log), `DEBUG PANIC`
/// (a bug on demand, for testing that one client's panic costs only its connection) and
/// `DEBUG HELP`. Redis's other DEBUG subcommands poke at its internals and have no meaning here.
///
/// Redis parity: Redis refuses every DEBUG subcommand unless `enable-debug-command` allows it;
/// here only `PANIC` is refused, since `SLEEP` harms no one but its caller.
pub fn debug(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    match args[0].to_ascii_lowercase().as_slice() {
        b"panic" if args.len() == 1 => {
            let allowed = match shared
                .config
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .enable_debug_command
            {
                DebugCommand::Yes => true,
                DebugCommand::Local => client.handle.addr.ip().is_loopback(),
                DebugCommand::No => false,
            };
            if !allowed {
                return Value::error(
                    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", \
                     you can run it from a local connection, otherwise you need to set this option in the \
                     configuration file, and then restart the server.",
                );
            }
            // Under the store's write guard, as a buggy write handler would be: the test proves
            // the poisoned lock is recovered, not just that the thread's panic was caught.
            let _guard = shared.write_store();
            panic!("DEBUG PANIC");
        }
        b"sleep" if args.len() == 2 => {
            let secs = std::str::from_utf8(&args[1])
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0);
            let Some(secs) = secs else {
                return Value::error("ERR value is not a valid float");
            };
            // No guard is held by a client handler, so sleeping blocks only this client.
            std::thread::sleep(Duration::from_secs_f64(secs.min(3600.0)));
            Value::OK
        }
        b"help" => help(&[
            "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
            "PANIC",
            "    Panic inside the server (needs enable-debug-command).",
            "HELP",
            "    Prints this help.",
        ]),
        _ => unknown_subcommand("DEBUG", &args[0]),
    }
}
// ANCHOR_END: debug

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

/// The ACL categories Redis would list for a command, derived from its flags.
fn acl_categories(spec: &CommandSpec) -> Vec<Value> {
    let mut cats = Vec::new();
    let mut add = |c: &'static str| cats.push(Value::simple(c));
    if spec.has(WRITE) {
        add("@write");
    }
    if spec.has(READONLY) {
        add("@read");
    }
    if spec.has(ADMIN) {
        add("@admin");
        add("@dangerous");
    }
    if spec.has(PUBSUB) {
        add("@pubsub");
    }
    if spec.has(BLOCKING) {
        add("@blocking");
    }
    if spec.has(FAST) {
        add("@fast");
    } else {
        add("@slow");
    }
    if spec.has(CONNECTION) {
        add("@connection");
    }
    cats
}

// ANCHOR: command_entry
/// One command as `COMMAND INFO` describes it in Redis 7: name, arity, flags, first key, last
/// key, step, ACL categories, tips, key specifications, subcommands. The last two are empty:
/// the registry keeps the older (first, last, step) key positions, which every client still
/// reads.
fn command_entry(spec: &CommandSpec) -> Value {
    let flag_names = flags::NAMES
        .iter()
        .filter(|(bit, _)| spec.has(*bit))
        .map(|(_, name)| Value::simple(name))
        .collect();
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
        return Value::Array(sorted_specs(shared).into_iter().map(command_entry).collect());
    };
    let sub = sub.to_ascii_lowercase();
    let rest = &args[1..];
    match sub.as_slice() {
        b"count" if rest.is_empty() => Value::Integer(shared.registry.len() as i64),
        b"list" => command_list(shared, rest),
        b"info" => {
            if rest.is_empty() {
                return Value::Array(sorted_specs(shared).into_iter().map(command_entry).collect());
            }
            Value::Array(
                rest.iter()
                    .map(|name| shared.registry.lookup(name).map_or(Value::Null, command_entry))
                    .collect(),
            )
        }
        b"docs" => {
            // There are no documentation strings in this server. redis-cli asks for every
            // command's docs when an interactive session starts, and an empty map per command
            // is a reply it parses (it then falls back to its built-in help).
            let specs: Vec<&CommandSpec> = if rest.is_empty() {
                sorted_specs(shared)
            } else {
                rest.iter().filter_map(|n| shared.registry.lookup(n)).collect()
            };
            Value::Map(
                specs
                    .iter()
                    .map(|s| (Value::bulk(s.name), Value::Map(vec![])))
                    .collect(),
            )
        }
        b"getkeys" if !rest.is_empty() => {
            let Some(spec) = shared.registry.lookup(&rest[0]) else {
                return Value::error("ERR Invalid command specified");
            };
            if !spec.arity_ok(rest.len()) {
                return Value::error("ERR Invalid number of arguments specified for command");
            }
            let keys: Vec<&[u8]> = spec.keys(rest).collect();
            if keys.is_empty() {
                return Value::error("ERR The command has no key arguments");
            }
            Value::bulk_array(keys)
        }
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
            "HELP",
            "    Prints this help.",
        ]),
        b"count" | b"getkeys" | b"help" => Value::wrong_arity(&format!("command|{}", String::from_utf8_lossy(&sub))),
        _ => unknown_subcommand("COMMAND", &args[0]),
    }
}

/// `COMMAND LIST [FILTERBY PATTERN p | ACLCAT c | MODULE m]`.
fn command_list(shared: &Shared, rest: &[Vec<u8>]) -> Value {
    let names = sorted_specs(shared).into_iter().map(|s| s.name);
    match rest {
        [] => Value::bulk_array(names),
        [f, kind, arg] if f.eq_ignore_ascii_case(b"FILTERBY") => match kind.to_ascii_lowercase().as_slice() {
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

// ----------------------------------------------------------------------------------- CONFIG

/// `CONFIG GET pattern... | SET name value... | RESETSTAT | REWRITE | HELP`.
pub fn config(shared: &Shared, _: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let sub = args[0].to_ascii_lowercase();
    let rest = &args[1..];
    match sub.as_slice() {
        b"get" if !rest.is_empty() => config_get(shared, rest),
        b"set" if !rest.is_empty() && rest.len().is_multiple_of(2) => config_set(shared, rest),
        b"resetstat" if rest.is_empty() => {
            shared.stats.reset();
            shared.clients.reset_stats();
            let mut store = shared.write_store();
            store.stats = Default::default();
            store.reset_hits_misses();
            Value::OK
        }
        b"rewrite" if rest.is_empty() => match config_rewrite(shared) {
            Ok(()) => Value::OK,
            Err(e) => Value::error_owned(e),
        },
        b"help" if rest.is_empty() => help(&[
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
            "HELP",
            "    Prints this help.",
        ]),
        b"get" | b"set" | b"resetstat" | b"rewrite" | b"help" => {
            Value::wrong_arity(&format!("config|{}", String::from_utf8_lossy(&sub)))
        }
        _ => unknown_subcommand("CONFIG", &args[0]),
    }
}

// ANCHOR: config_get
/// `CONFIG GET pattern [pattern ...]`: every setting matching any pattern, once, as a map
/// (a flat array of name, value in RESP2).
fn config_get(shared: &Shared, patterns: &[Vec<u8>]) -> Value {
    let config = shared.config();
    let patterns: Vec<Vec<u8>> = patterns.iter().map(|p| p.to_ascii_lowercase()).collect();
    let pairs = PARAMS
        .iter()
        .filter(|(name, _)| patterns.iter().any(|p| glob_match(p, name.as_bytes())))
        .filter_map(|(name, _)| Some((Value::bulk(name), Value::bulk(config.get(name)?))))
        .collect();
    Value::Map(pairs)
}
// ANCHOR_END: config_get

// ANCHOR: config_set
/// `CONFIG SET name value [name value ...]`: all or nothing. Every value is checked on a copy
/// of the configuration first; only if all are valid does the copy replace the live one and
/// the changes take effect.
fn config_set(shared: &Shared, args: &[Vec<u8>]) -> Value {
    let old = shared.config();
    let mut new = old.clone();
    let mut seen: Vec<String> = Vec::new();
    let failed = |name: &str, why: &str| {
        Value::error_owned(format!(
            "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
        ))
    };
    for pair in args.chunks(2) {
        let name = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
        let Some((_, mutability)) = PARAMS.iter().find(|(n, _)| *n == name) else {
            return Value::error_owned(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                String::from_utf8_lossy(&pair[0])
            ));
        };
        if *mutability == Mutability::Startup {
            return failed(&name, "can't set immutable config");
        }
        if seen.contains(&name) {
            return failed(&name, "duplicate parameter");
        }
        let value = String::from_utf8_lossy(&pair[1]);
        if let Err(why) = new.set(&name, &value) {
            return failed(&name, &why);
        }
        seen.push(name);
    }
    // The one change that can fail on its own: switching the AOF on (it writes a first file).
    if new.appendonly != old.appendonly
        && let Err(e) = shared.aof.set_enabled(shared, new.appendonly)
    {
        return failed("appendonly", e.trim_start_matches("ERR "));
    }
    if new.appendfsync != old.appendfsync {
        shared.aof.set_fsync(new.appendfsync);
    }
    shared
        .aof
        .set_auto_rewrite(new.auto_aof_rewrite_percentage, new.auto_aof_rewrite_min_size);
    crate::log::set_level(new.loglevel);
    shared.stats.configure(&new);
    shared
        .pubsub
        .set_output_limit(new.client_output_buffer_limit.pubsub[0] as usize);
    if new.timeout != old.timeout {
        // Existing clients follow the new idle timeout too, as in Redis, from their next read: a
        // thread already blocked in `read` keeps the timeout it started that read with, so an
        // idle client is closed at the later of the two deadlines. (Redis's cron applies the new
        // value at once; a thread per client cannot be interrupted in `read` without a signal.)
        let timeout = (new.timeout > 0).then(|| Duration::from_secs(new.timeout));
        for c in shared.clients.snapshot() {
            if let Some(stream) = &c.stream {
                let _ = stream.set_read_timeout(timeout);
            }
        }
    }
    *shared.config.write().unwrap_or_else(|p| p.into_inner()) = new;
    Value::OK
}
// ANCHOR_END: config_set

/// `CONFIG REWRITE`: writes the run-time settings back into the config file the server was
/// started with. Lines naming a setting are replaced in place, settings not yet in the file are
/// appended, comments and everything else are kept.
fn config_rewrite(shared: &Shared) -> Result<(), String> {
    let config = shared.config();
    let Some(path) = &config.config_file else {
        return Err("ERR The server is running without a config file".into());
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("ERR Rewriting config file: {e}"))?;
    let quote = |v: String| {
        if v.is_empty() || v.contains(char::is_whitespace) {
            format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
        } else {
            v
        }
    };
    let mut written: Vec<&str> = Vec::new();
    let mut out = String::new();
    for line in text.lines() {
        let first = line.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        match PARAMS.iter().find(|(n, m)| *n == first && *m == Mutability::Runtime) {
            Some((name, _)) if written.contains(name) => continue, // a duplicate: drop it
            Some((name, _)) => {
                let value = config.get(name).unwrap_or_default();
                out.push_str(&format!("{name} {}\n", quote(value)));
                written.push(name);
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    let defaults = crate::config::Config::default();
    for (name, m) in PARAMS {
        let value = config.get(name).unwrap_or_default();
        if *m == Mutability::Runtime && !written.contains(name) && defaults.get(name) != Some(value.clone()) {
            out.push_str(&format!("{name} {}\n", quote(value)));
        }
    }
    // Write a sibling file and rename it over the old one, so a crash mid-write cannot leave
    // half a config file.
    let tmp = path.with_extension("rewrite.tmp");
    std::fs::write(&tmp, out)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("ERR Rewriting config file: {e}"))
}

// ------------------------------------------------------------------------------------- INFO

/// The sections `INFO` (and `INFO default`) prints, in Redis's order.
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "cluster",
    "keyspace",
];

/// A random 40-hex-digit id for this process, like Redis's `run_id`.
fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        use rand::Rng;
        let mut rng = rand::rng();
        (0..40)
            .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
            .collect()
    })
}

/// `1.50M`-style sizes, as Redis's `bytesToHuman`.
fn human(bytes: u64) -> String {
    let b = bytes as f64;
    const K: f64 = 1024.0;
    if b < K {
        format!("{bytes}B")
    } else if b < K * K {
        format!("{:.2}K", b / K)
    } else if b < K * K * K {
        format!("{:.2}M", b / K / K)
    } else {
        format!("{:.2}G", b / K / K / K)
    }
}

fn read_proc(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Resident memory in bytes, from `/proc/self/statm` (its second field counts pages; Linux's
/// page is 4 KiB on every architecture this server is built for, and std offers no `sysconf`).
fn rss_bytes() -> u64 {
    read_proc("/proc/self/statm")
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// User and system CPU seconds of this process, from `/proc/self/stat` (fields 14 and 15, in
/// clock ticks of 1/100 s: Linux fixes `USER_HZ` at 100 for user space).
fn cpu_seconds() -> (f64, f64) {
    let stat = read_proc("/proc/self/stat");
    // The command name (field 2) may contain spaces; the fields after its `)` are fixed.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (tick(11), tick(12))
}

// ANCHOR: estimate_memory
/// Bytes a value occupies, estimated from what it holds: the heap buffers it owns, plus 16 bytes
/// of allocator bookkeeping per allocation, plus the hash-table slot of each element.
fn value_bytes(data: &Data) -> u64 {
    const ALLOC: u64 = 16;
    // A std `HashMap`/`HashSet` keeps one control byte per bucket and fills at most 7/8 of them.
    let table = |entry: u64, n: usize| (entry + 1) * 8 / 7 * n as u64;
    match data {
        Data::Str(s) => match s.heap_capacity() {
            0 => 0,
            n => n as u64 + ALLOC,
        },
        Data::List(l) => l.heap_bytes() as u64 + ALLOC,
        // The set counts its own arrays; three allocations: the box, the members, the table.
        Data::Set(s) => s.heap_bytes() as u64 + 3 * ALLOC,
        Data::Hash(h) => {
            let items: u64 = h.iter().map(|(f, v)| (f.len() + v.len()) as u64 + 2 * ALLOC).sum();
            table(32, h.len()) + items + ALLOC
        }
        // The sorted set's layout belongs to its module; count each member as an ordered-index
        // entry plus a score-lookup entry, about 64 bytes, plus its bytes.
        Data::ZSet(z) => z.len() as u64 * 64 + ALLOC,
    }
}

/// Estimates the bytes the keyspace holds without walking all of it: sums [`value_bytes`] over
/// the keys of the first slots until 1,000 keys were seen, then scales to the key count. The
/// slots are hash-addressed, so their keys are a fair sample; the cost is O(sample), not O(keys).
/// Rust's allocator keeps no running total to ask, and counting every allocation through a
/// wrapping global allocator would put an atomic operation on every allocation of every thread.
fn dataset_bytes(store: &Store, now: u64) -> u64 {
    const SAMPLE: usize = 1000;
    // Key box + `Data` enum in the slot's table.
    let entry = |k: &[u8], d: &Data| (16 + 24 + 1) * 8 / 7 + k.len() as u64 + 16 + value_bytes(d);
    let (mut seen, mut bytes, mut cursor) = (0u64, 0u64, 0u64);
    loop {
        cursor = store.scan(cursor, SAMPLE, now, |k, d| {
            seen += 1;
            bytes += entry(k, d);
        });
        if cursor == 0 || seen >= SAMPLE as u64 {
            break;
        }
    }
    let keys = store.len(now) as u64;
    let values = (bytes * keys).checked_div(seen).unwrap_or(0);
    // The deadline index holds each key with a TTL once more, with its deadline.
    let ttl_index = store.expires().len() as u64 * 48;
    values + ttl_index
}
// ANCHOR_END: estimate_memory

/// `keys=N,expires=M,avg_ttl=T` for the `db0` line: the average remaining TTL is taken over up to 100 keys
/// spread across the deadline index, as Redis's is an estimate too.
fn keyspace_line(store: &Store, now: u64) -> Option<String> {
    let keys = store.len(now);
    if keys == 0 {
        return None;
    }
    let index = store.expires();
    let n = index.len();
    let step = (n / 100).max(1);
    let (mut sum, mut count) = (0u64, 0u64);
    for i in (0..n).step_by(step).take(100) {
        if let Some((_, at)) = index.nth(i)
            && at > now
        {
            sum += at - now;
            count += 1;
        }
    }
    let avg_ttl = sum.checked_div(count).unwrap_or(0);
    Some(format!("keys={keys},expires={n},avg_ttl={avg_ttl}"))
}

/// The figures `INFO` needs from the keyspace, taken under one short read guard so that the
/// rest of `INFO` (reading `/proc`, formatting) runs with no guard held (design invariant 1).
struct StoreFigures {
    dataset: u64,
    keyspace: Option<String>,
    stats: crate::engine::store::StoreStats,
    /// `keyspace_hits`, `keyspace_misses`.
    hits_misses: (u64, u64),
}

// ANCHOR: info
/// `INFO [section ...]`: the server's figures as `name:value` lines under `# Section` headers,
/// one bulk string (RESP3: verbatim text). `all`/`everything` print every section, `default`
/// or no argument the usual set; unknown names print nothing, as in Redis.
pub fn info(shared: &Shared, _: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let mut wanted: Vec<String> = args
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    if wanted.is_empty() || wanted.iter().any(|w| w == "default" || w == "all" || w == "everything") {
        wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
    }
    let figures = {
        let store = shared.read_store();
        let now = now_ms();
        StoreFigures {
            // The memory estimate samples the keyspace: only pay for it when asked.
            dataset: if wanted.iter().any(|w| w == "memory") {
                dataset_bytes(&store, now)
            } else {
                0
            },
            keyspace: keyspace_line(&store, now),
            stats: store.stats.clone(),
            hits_misses: store.keyspace_hits_misses(),
        }
    };
    let mut out = String::new();
    for section in DEFAULT_SECTIONS {
        if !wanted.iter().any(|w| w == section) {
            continue;
        }
        let lines = info_section(shared, &figures, section);
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let mut title = section.to_string();
        title[..1].make_ascii_uppercase();
        out.push_str(&format!("# {title}\r\n"));
        for (k, v) in lines {
            out.push_str(&format!("{k}:{v}\r\n"));
        }
    }
    Value::Verbatim(out.into_bytes())
}
// ANCHOR_END: info

fn info_section(shared: &Shared, figures: &StoreFigures, section: &str) -> Vec<(&'static str, String)> {
    let config = shared.config();
    let stats = &shared.stats;
    let relaxed = std::sync::atomic::Ordering::Relaxed;
    match section {
        "server" => {
            let uptime = shared.started.elapsed().as_secs();
            let os = format!(
                "{} {} {}",
                if cfg!(target_os = "linux") {
                    "Linux"
                } else {
                    std::env::consts::OS
                },
                read_proc("/proc/sys/kernel/osrelease").trim(),
                std::env::consts::ARCH
            );
            let now_us = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_micros());
            vec![
                ("redis_version", REDIS_VERSION.to_string()),
                ("rust_redis_version", env!("CARGO_PKG_VERSION").to_string()),
                ("redis_git_sha1", "00000000".into()),
                ("redis_git_dirty", "0".into()),
                ("redis_mode", "standalone".into()),
                ("os", os),
                ("arch_bits", (usize::BITS).to_string()),
                // Go parity: none; Redis prints `epoll` here, this server has a thread per client.
                ("multiplexing_api", "threads".into()),
                ("process_id", std::process::id().to_string()),
                ("process_supervised", "no".into()),
                ("run_id", run_id().to_string()),
                ("tcp_port", shared.local_addr.port().to_string()),
                ("server_time_usec", now_us.to_string()),
                ("uptime_in_seconds", uptime.to_string()),
                ("uptime_in_days", (uptime / 86_400).to_string()),
                ("hz", config.hz.to_string()),
                ("configured_hz", config.hz.to_string()),
                (
                    "executable",
                    std::env::current_exe().map_or(String::new(), |p| p.display().to_string()),
                ),
                (
                    "config_file",
                    config
                        .config_file
                        .as_ref()
                        .map_or(String::new(), |p| p.display().to_string()),
                ),
                ("io_threads_active", "0".into()),
            ]
        }
        "clients" => vec![
            ("connected_clients", shared.clients.len().to_string()),
            ("cluster_connections", "0".into()),
            ("maxclients", config.maxclients.to_string()),
            ("blocked_clients", "0".into()),
            ("tracking_clients", "0".into()),
        ],
        "memory" => {
            let dataset = figures.dataset;
            // Fixed costs: the empty slot tables, and per client its read and write buffers
            // (16 KiB each) plus the part of its 256 KiB stack it has touched (a few KiB).
            let startup = (crate::engine::store::SLOTS * 48) as u64;
            let clients = shared.clients.len() as u64 * (32 + 8) * 1024;
            // The counting allocator's true figure when the binary installed one (`sys::memory`),
            // else the estimate.
            let used = crate::sys::memory::allocated().unwrap_or(startup + clients + dataset);
            let rss = rss_bytes();
            let total = read_proc("/proc/meminfo")
                .lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map_or(0, |kb| kb * 1024);
            let frag = if used == 0 { 0.0 } else { rss as f64 / used as f64 };
            vec![
                ("used_memory", used.to_string()),
                ("used_memory_human", human(used)),
                ("used_memory_rss", rss.to_string()),
                ("used_memory_rss_human", human(rss)),
                ("used_memory_overhead", (startup + clients).to_string()),
                ("used_memory_startup", startup.to_string()),
                ("used_memory_dataset", dataset.to_string()),
                ("total_system_memory", total.to_string()),
                ("total_system_memory_human", human(total)),
                ("maxmemory", "0".into()),
                ("maxmemory_human", "0B".into()),
                ("maxmemory_policy", "noeviction".into()),
                ("mem_fragmentation_ratio", format!("{frag:.2}")),
                ("mem_allocator", "libc".into()),
            ]
        }
        "persistence" => {
            let mut v = vec![
                ("loading", "0".to_string()),
                ("async_loading", "0".into()),
                ("rdb_changes_since_last_save", "0".into()),
                ("rdb_bgsave_in_progress", "0".into()),
                ("rdb_last_bgsave_status", "ok".into()),
            ];
            v.extend(shared.aof.info());
            v
        }
        "stats" => {
            let s = &figures.stats;
            let (hits, misses) = figures.hits_misses;
            vec![
                (
                    "total_connections_received",
                    stats.connections_received.load(relaxed).to_string(),
                ),
                ("total_commands_processed", shared.clients.total_commands().to_string()),
                ("instantaneous_ops_per_sec", stats.ops_per_sec.load(relaxed).to_string()),
                (
                    "rejected_connections",
                    stats.rejected_connections.load(relaxed).to_string(),
                ),
                // Redis 7.4's names: clients closed by the query and output limits.
                (
                    "client_query_buffer_limit_disconnections",
                    stats.net.query_limit_disconnections.load(relaxed).to_string(),
                ),
                (
                    "client_output_buffer_limit_disconnections",
                    shared.pubsub.stats().output_limit_disconnections.to_string(),
                ),
                ("expired_keys", s.expired_keys.to_string()),
                ("expired_stale_perc", format!("{:.2}", s.expired_stale_perc)),
                (
                    "expired_time_cap_reached_count",
                    s.expired_time_cap_reached_count.to_string(),
                ),
                (
                    "expire_cycle_cpu_milliseconds",
                    (s.expire_cycle_time_used_us / 1000).to_string(),
                ),
                ("evicted_keys", "0".into()),
                ("keyspace_hits", hits.to_string()),
                ("keyspace_misses", misses.to_string()),
            ]
        }
        "replication" => vec![
            ("role", "master".into()),
            ("connected_slaves", "0".into()),
            ("master_failover_state", "no-failover".into()),
            ("master_replid", run_id().to_string()),
            ("master_replid2", "0".repeat(40)),
            ("master_repl_offset", "0".into()),
            ("second_repl_offset", "-1".into()),
            ("repl_backlog_active", "0".into()),
        ],
        "cpu" => {
            let (user, sys) = cpu_seconds();
            vec![
                ("used_cpu_sys", format!("{sys:.6}")),
                ("used_cpu_user", format!("{user:.6}")),
                ("used_cpu_sys_children", "0.000000".into()),
                ("used_cpu_user_children", "0.000000".into()),
            ]
        }
        "cluster" => vec![("cluster_enabled", "0".into())],
        // Omitted when the database is empty, as in Redis.
        "keyspace" => figures.keyspace.clone().map_or(vec![], |l| vec![("db0", l)]),
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_like_redis() {
        assert_eq!(human(1000), "1000B");
        assert_eq!(human(966_336), "943.69K");
        assert_eq!(human(7_192_576), "6.86M");
    }

    #[test]
    fn memory_estimate_grows_with_the_data() {
        let mut store = Store::new();
        let empty = dataset_bytes(&store, 0);
        for i in 0..5000 {
            store.set(format!("key:{i}").as_bytes(), Data::Str(vec![b'x'; 100].into()), 0);
        }
        let full = dataset_bytes(&store, 0);
        // 5,000 values of 100 bytes: at least the payload, and not wildly more.
        assert!(full >= empty + 5000 * 100, "{full}");
        assert!(full < 5000 * 400, "{full}");
    }
}
