//! `OBJECT ENCODING`: the name Redis 7.0 would give the internal representation of a value.
//!
//! Go original: none (go-redis had no `OBJECT`). Explained in: book chapter "Exercises" (ex01).
//!
//! We store every value one way (a `Vec`, a `VecDeque`, a `HashSet`, ...), so the encoding is
//! *computed* from the contents with Redis's default thresholds rather than remembered.
//! Redis never converts back (a hash that once held a long value stays `hashtable` after
//! `HDEL`); we answer from what is there now, which is what a fresh load of the same data shows.

use super::parse_i64;
use crate::commands::registry::KeySpec;
use crate::commands::{ReadContext, Registry};
use crate::engine::store::Data;
use crate::protocol::resp::Value;

/// `OBJECT subcommand key`: the key is the third word.
const KEY2: KeySpec = (2, 2, 1);

/// Strings up to this length are allocated with their header (`embstr`).
const EMBSTR_MAX: usize = 44;
/// `hash-max-listpack-entries`.
const HASH_LISTPACK_ENTRIES: usize = 512;
/// `zset-max-listpack-entries`.
const ZSET_LISTPACK_ENTRIES: usize = 128;
/// `hash-max-listpack-value`, `zset-max-listpack-value`.
const LISTPACK_VALUE: usize = 64;
/// `set-max-intset-entries`.
const INTSET_ENTRIES: usize = 512;

/// Registers `OBJECT`.
pub fn register(r: &mut Registry) {
    r.read("object", object, -2, 0, KEY2);
}

// ANCHOR: object
/// `OBJECT ENCODING key`: `int`, `embstr`, `raw`, `quicklist`, `intset`, `listpack`,
/// `hashtable` or `skiplist`; nil for a missing key.
pub fn object(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let sub = args[0].to_ascii_lowercase();
    if sub != b"encoding" {
        return Value::error_owned(format!(
            "ERR unknown subcommand '{}'. Try OBJECT HELP.",
            String::from_utf8_lossy(&args[0])
        ));
    }
    // The registry checked `OBJECT`'s arity; each subcommand has its own, as in Redis.
    let [_, key] = args else {
        return Value::wrong_arity("object|encoding");
    };
    match ctx.store.get(key, ctx.now) {
        None => Value::Null,
        Some(data) => Value::bulk(encoding(data)),
    }
}
// ANCHOR_END: object

/// The encoding Redis 7.0 picks for `data` with its default thresholds.
fn encoding(data: &Data) -> &'static str {
    match data {
        // Redis tries the integer encoding for strings of at most 20 bytes that read back
        // exactly as a 64-bit integer ("0123" does not).
        Data::Str(s) if parse_i64(s).is_some() => "int",
        Data::Str(s) if s.len() <= EMBSTR_MAX => "embstr",
        Data::Str(_) => "raw",
        // Redis 7.0 reports every list as a quicklist (of listpacks); 7.2 added `listpack`.
        Data::List(_) => "quicklist",
        Data::Set(s) if s.len() <= INTSET_ENTRIES && s.iter().all(|m| parse_i64(m).is_some()) => "intset",
        Data::Set(_) => "hashtable",
        Data::Hash(h) => {
            let longest = h.iter().map(|(f, v)| f.len().max(v.len())).max().unwrap_or(0);
            if h.len() <= HASH_LISTPACK_ENTRIES && longest <= LISTPACK_VALUE {
                "listpack"
            } else {
                "hashtable"
            }
        }
        Data::ZSet(z) => {
            let longest = z.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
            if z.len() <= ZSET_LISTPACK_ENTRIES && longest <= LISTPACK_VALUE {
                "listpack"
            } else {
                "skiplist"
            }
        }
    }
}
