//! `MEMORY`: what a key costs (`USAGE`), and the help text.
//!
//! Go original: none (go-redis had no `MEMORY`). Explained in: book chapter 4 ("What a key
//! costs").
//!
//! Redis asks its allocator how big each block of a value really is. Rust's allocator does not
//! say, so the figure is this server's own estimate, the one `INFO memory` sums over a sample of
//! the keyspace: close to what the key costs, never exact.

use super::info::key_bytes;
use super::{help, unknown_subcommand};
use crate::commands::ReadContext;
use crate::commands::handlers::parse_i64;
use crate::protocol::resp::Value;

/// `MEMORY USAGE key [SAMPLES count]` and `MEMORY HELP`.
pub fn memory(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let sub = args[0].to_ascii_uppercase();
    match sub.as_slice() {
        b"USAGE" => usage(ctx, &args[1..]),
        b"HELP" => help(&[
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
            "HELP",
            "    Prints this help.",
        ]),
        _ => unknown_subcommand("MEMORY", &args[0]),
    }
}

/// `MEMORY USAGE key [SAMPLES count]`: the options are checked before the key is looked up, as
/// in Redis; the estimate walks the whole value, so `SAMPLES` changes nothing here.
fn usage(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let Some((key, options)) = args.split_first() else {
        return Value::wrong_arity("memory|usage");
    };
    match options {
        [] => {}
        [word, count] if word.eq_ignore_ascii_case(b"SAMPLES") => {
            if parse_i64(count).is_none() {
                return Value::not_integer();
            }
        }
        _ => return Value::syntax_error(),
    }
    match ctx.db.get(key, ctx.now) {
        Some(data) => Value::Integer(key_bytes(key, data) as i64),
        None => Value::Null,
    }
}
