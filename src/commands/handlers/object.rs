//! `OBJECT`: what Redis 7.0 would say about the value behind a key: its encoding, its reference
//! count, its idle time, its access frequency.
//!
//! Go original: none (go-redis had no `OBJECT`). Explained in: book chapter "Exercises" (ex01).
//!
//! We store every value one way (bytes inline or in a `Vec`, a list packed in chunks, a
//! `MemberSet`, ...), so the encoding is
//! *computed* from the contents with Redis's thresholds (the `*-max-listpack-*` and
//! `set-max-intset-entries` settings, defaults 128, 512 and 64) rather than remembered. Redis
//! never converts back (a hash that once held a long value stays `hashtable` after `HDEL`), and
//! a string it edited in place (`APPEND`, `SETRANGE`, `SETBIT`) is `raw` whatever its length; we
//! answer from what is there now, which is what a fresh load of the same data shows.

use super::parse_i64;
use crate::commands::registry::KeySpec;
use crate::commands::{ReadContext, Registry};
use crate::engine::store::Data;
use crate::protocol::resp::Value;

/// `OBJECT subcommand key`: the key is the third word.
const KEY2: KeySpec = (2, 2, 1);

/// Strings up to this length are allocated with their header (`embstr`).
const EMBSTR_MAX: usize = 44;

/// Redis keeps one shared object for each integer in `0..10000` and gives it this reference
/// count (`OBJ_SHARED_REFCOUNT`), so that no `DECR` ever frees it.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// How many small integers Redis shares (`OBJ_SHARED_INTEGERS`).
const SHARED_INTEGERS: i64 = 10_000;

/// Registers `OBJECT`.
pub fn register(r: &mut Registry) {
    r.read("object", object, -2, 0, KEY2);
}

// ANCHOR: object
/// `OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ key` and `OBJECT HELP`; nil for a missing key.
pub fn object(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let sub = args[0].to_ascii_lowercase();
    let known = [&b"encoding"[..], b"refcount", b"idletime", b"freq", b"help"];
    if !known.contains(&sub.as_slice()) {
        return Value::error_owned(format!(
            "ERR unknown subcommand '{}'. Try OBJECT HELP.",
            String::from_utf8_lossy(&args[0])
        ));
    }
    // The registry checked `OBJECT`'s arity; each subcommand has its own, as in Redis.
    let key = match (sub.as_slice(), args) {
        (b"help", [_]) => return help(),
        (b"help", _) => return Value::wrong_arity("object|help"),
        (_, [_, key]) => key,
        _ => return Value::wrong_arity(&format!("object|{}", String::from_utf8_lossy(&sub))),
    };
    // The key is looked up first: a missing key answers nil whatever the subcommand.
    let Some(data) = ctx.db.get(key, ctx.now) else {
        return Value::Null;
    };
    let lfu = setting(ctx, "maxmemory-policy").contains("lfu");
    match sub.as_slice() {
        b"encoding" => Value::bulk(encoding(ctx, data)),
        b"refcount" => Value::Integer(refcount(data)),
        // No access clock is kept per key here: every key reads as just used.
        b"idletime" if !lfu => Value::Integer(0),
        b"idletime" => Value::error(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when \
             switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ),
        // Likewise no access counter: under an LFU policy a key would show the counter Redis
        // gives every new key (`LFU_INIT_VAL`).
        _ if lfu => Value::Integer(5),
        _ => Value::error(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note \
             that when switching between policies at runtime LRU and LFU data will take some time to \
             adjust.",
        ),
    }
}
// ANCHOR_END: object

/// `OBJECT HELP`, Redis 7.0's text.
fn help() -> Value {
    let lines = [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];
    Value::Array(lines.into_iter().map(Value::simple).collect())
}

/// A setting's current value, as `CONFIG GET` shows it.
fn setting(ctx: &ReadContext<'_>, name: &str) -> String {
    let config = ctx.shared.config.read().unwrap_or_else(|p| p.into_inner());
    config.get(name).unwrap_or_default()
}

/// A numeric setting, or `default` if it does not read as one.
fn threshold(ctx: &ReadContext<'_>, name: &str, default: usize) -> usize {
    setting(ctx, name).parse().unwrap_or(default)
}

// ANCHOR: encoding
/// The encoding Redis 7.0 picks for `data` with the configured thresholds.
fn encoding(ctx: &ReadContext<'_>, data: &Data) -> &'static str {
    match data {
        // Redis tries the integer encoding for strings of at most 20 bytes that read back
        // exactly as a 64-bit integer ("0123" does not).
        Data::Str(s) if parse_i64(s).is_some() => "int",
        Data::Str(s) if s.len() <= EMBSTR_MAX => "embstr",
        Data::Str(_) => "raw",
        // Redis 7.0 reports every list as a quicklist (of listpacks); 7.2 added `listpack`.
        Data::List(_) => "quicklist",
        Data::Set(s) => {
            let entries = threshold(ctx, "set-max-intset-entries", 512);
            if s.len() <= entries && s.iter().all(|m| parse_i64(m).is_some()) {
                "intset"
            } else {
                "hashtable"
            }
        }
        Data::Hash(h) => {
            let entries = threshold(ctx, "hash-max-listpack-entries", 512);
            let value = threshold(ctx, "hash-max-listpack-value", 64);
            let longest = h
                .iter()
                .map(|(f, v)| f.len().max(v.len()))
                .max()
                .unwrap_or(0);
            if h.len() <= entries && longest <= value {
                "listpack"
            } else {
                "hashtable"
            }
        }
        Data::ZSet(z) => {
            let entries = threshold(ctx, "zset-max-listpack-entries", 128);
            let value = threshold(ctx, "zset-max-listpack-value", 64);
            let longest = z.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
            if z.len() <= entries && longest <= value {
                "listpack"
            } else {
                "skiplist"
            }
        }
        Data::Stream(_) => "stream",
    }
}
// ANCHOR_END: encoding

/// The reference count Redis would report: its shared object for a small non-negative integer,
/// one reference for anything else (values are never shared between keys here, nor in Redis).
fn refcount(data: &Data) -> i64 {
    match data {
        Data::Str(s) if parse_i64(s).is_some_and(|n| (0..SHARED_INTEGERS).contains(&n)) => {
            SHARED_REFCOUNT
        }
        _ => 1,
    }
}
