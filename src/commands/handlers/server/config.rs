//! `CONFIG GET`, `SET`, `RESETSTAT`, `REWRITE` and `HELP`: the configuration table at run time.
//!
//! Go original: none (go-redis had no server introspection). Explained in: book chapter
//! "Talking to real clients".
//!
//! The table itself (every setting's name, whether it may change at run time, how it parses)
//! lives in `config`; this file reads it for `GET`, changes it all or nothing for `SET` and
//! writes it back to the config file for `REWRITE`.

use std::time::Duration;

use super::{help, unknown_subcommand};
use crate::commands::{ClientContext, Shared};
use crate::config::{Mutability, PARAMS, redis_params};
use crate::engine::store::glob_match;
use crate::protocol::resp::Value;

/// `CONFIG GET pattern... | SET name value... | RESETSTAT | REWRITE | HELP`.
pub fn config(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let sub = args[0].to_ascii_lowercase();
    let rest = &args[1..];
    match sub.as_slice() {
        b"get" if !rest.is_empty() => config_get(shared, rest),
        b"set" if !rest.is_empty() && rest.len().is_multiple_of(2) => {
            config_set(shared, client, rest)
        }
        b"resetstat" if rest.is_empty() && client.in_exec => {
            Value::error(crate::commands::errors::GUARD_HELD)
        }
        b"resetstat" if rest.is_empty() => {
            shared.stats.reset();
            shared.lazyfree.reset_freed();
            shared.clients.reset_stats();
            shared.write_store().reset_stats();
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
    let hidden = redis_params::HIDDEN
        .iter()
        .map(|(name, _, _)| *name)
        .filter(|name| patterns.iter().any(|p| p == name.as_bytes()));
    let pairs = PARAMS
        .iter()
        .map(|(name, _)| *name)
        .chain(redis_params::names())
        .filter(|name| patterns.iter().any(|p| glob_match(p, name.as_bytes())))
        .chain(hidden)
        .filter_map(|name| Some((Value::bulk(name), Value::bulk(config.get(name)?))))
        .collect();
    Value::Map(pairs)
}
// ANCHOR_END: config_get

// ANCHOR: config_set
/// `CONFIG SET name value [name value ...]`: all or nothing. Every value is checked on a copy
/// of the configuration first; only if all are valid does the copy replace the live one and
/// the changes take effect.
fn config_set(shared: &Shared, client: &ClientContext, args: &[Vec<u8>]) -> Value {
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
        let known = PARAMS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m);
        let Some(mutability) = known.or_else(|| redis_params::find(&name).map(|(_, _, m)| m))
        else {
            return Value::error_owned(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                String::from_utf8_lossy(&pair[0])
            ));
        };
        if mutability == Mutability::Startup {
            return failed(&name, "can't set immutable config");
        }
        if redis_params::PROTECTED.contains(&name.as_str()) && !protected_allowed(&old, client) {
            return failed(&name, "can't set protected config");
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
    // The changes that can fail on their own, before anything is applied: a new address to
    // listen on, and switching the AOF on (it writes a first file).
    if (new.port != old.port || new.bind != old.bind)
        && let Err(why) = shared.rebind(&new.bind, new.port)
    {
        return failed(if new.port != old.port { "port" } else { "bind" }, &why);
    }
    if new.appendonly != old.appendonly
        && let Err(e) = shared
            .aof
            .set_enabled(new.appendonly, new.dir.join(&new.appendfilename))
    {
        return failed("appendonly", e.trim_start_matches("ERR "));
    }
    if new.appendfsync != old.appendfsync {
        shared.aof.set_fsync(new.appendfsync);
    }
    shared.aof.set_auto_rewrite(
        new.auto_aof_rewrite_percentage,
        new.auto_aof_rewrite_min_size,
    );
    crate::log::set_level(new.loglevel);
    shared
        .maxmemory
        .store(new.maxmemory, std::sync::atomic::Ordering::Relaxed);
    // As in Redis, setting it (even to the same value) makes it `default`'s one password again.
    if seen.iter().any(|n| n == "requirepass") {
        shared.acl.set_default_password(new.requirepass.as_deref());
    }
    shared.role.configure(&new);
    shared.stats.configure(&new);
    shared.tracking.configure(&new);
    shared
        .pubsub
        .set_output_limit(new.client_output_buffer_limit.pubsub[0] as usize);
    shared
        .pubsub
        .set_keyspace_events(new.notify_keyspace_events);
    crate::commands::shared::configure_lazyfree(&shared.lazyfree, &new);
    crate::commands::shared::configure_backlog(&shared.backlog, &new);
    shared.aof.set_key_save_delay(&new);
    shared.rdb.configure(&new);
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

/// True if `enable-protected-configs` lets `client` change a protected setting: `yes` for
/// anyone, `local` for a loopback connection, `no` (the default) for nobody, as in Redis 7.
fn protected_allowed(config: &crate::config::Config, client: &ClientContext) -> bool {
    match config.get("enable-protected-configs").as_deref() {
        Some("yes") => true,
        Some("local") => client.handle.addr.ip().is_loopback(),
        _ => false,
    }
}

/// The setting a config-file line names, if `CONFIG SET` may change it: one of ours, or one kept
/// for Redis's sake (by its current name, when the line uses an old one).
fn runtime_setting(first: &str) -> Option<&'static str> {
    match PARAMS.iter().find(|(n, _)| *n == first) {
        Some((name, Mutability::Runtime)) => Some(name),
        Some(_) => None,
        None => redis_params::find(first)
            .and_then(|(name, _, m)| (m == Mutability::Runtime).then_some(name)),
    }
}

/// `CONFIG REWRITE`: writes the run-time settings back into the config file the server was
/// started with. Lines naming a setting are replaced in place, settings not yet in the file are
/// appended, comments and everything else are kept.
fn config_rewrite(shared: &Shared) -> Result<(), String> {
    let config = shared.config();
    let Some(path) = &config.config_file else {
        return Err("ERR The server is running without a config file".into());
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("ERR Rewriting config file: {e}"))?;
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
        let first = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match runtime_setting(&first) {
            Some(name) if written.contains(&name) => continue, // a duplicate: drop it
            Some(name) => {
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
        if *m == Mutability::Runtime
            && !written.contains(name)
            && defaults.get(name) != Some(value.clone())
        {
            out.push_str(&format!("{name} {}\n", quote(value)));
        }
    }
    for (name, value) in &config.kept {
        if !written.contains(name) && defaults.get(name).as_ref() != Some(value) {
            out.push_str(&format!("{name} {}\n", quote(value.clone())));
        }
    }
    // Write a sibling file and rename it over the old one, so a crash mid-write cannot leave
    // half a config file.
    let tmp = path.with_extension("rewrite.tmp");
    std::fs::write(&tmp, out)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("ERR Rewriting config file: {e}"))
}
