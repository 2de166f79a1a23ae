//! `MEMORY`: what a key costs (`USAGE`), and the help text.
//!
//! Go original: none (go-redis had no `MEMORY`). Explained in: book chapter 4 ("What a key
//! costs").
//!
//! Redis asks its allocator how big each block of a value really is. Rust's allocator does not
//! say, so the figure is this server's own estimate, the one `INFO memory` sums over a sample of
//! the keyspace: close to what the key costs, never exact.

use super::{help, unknown_subcommand};
use crate::commands::ReadContext;
use crate::commands::handlers::parse_i64;
use crate::engine::store::{Data, Db, Store};
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

// ANCHOR: estimate_memory
/// Bytes a value occupies, estimated from what it holds: the heap buffers it owns, plus 16 bytes
/// of allocator bookkeeping per allocation, plus the hash-table slot of each element.
pub(super) fn value_bytes(data: &Data) -> u64 {
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
            let items: u64 = h
                .iter()
                .map(|(f, v)| (f.len() + v.len()) as u64 + 2 * ALLOC)
                .sum();
            table(32, h.len()) + items + ALLOC
        }
        // The sorted set's layout belongs to its module; count each member as an ordered-index
        // entry plus a score-lookup entry, about 64 bytes, plus its bytes.
        Data::ZSet(z) => z.len() as u64 * 64 + ALLOC,
        Data::Stream(s) => s.heap_bytes() as u64 + ALLOC,
    }
}

/// Bytes one key costs with its value: the key's bytes and allocation, its slot in the table
/// (the key box and the `Data` enum, at 7/8 load), and [`value_bytes`].
pub(super) fn key_bytes(key: &[u8], data: &Data) -> u64 {
    (16 + 24 + 1) * 8 / 7 + key.len() as u64 + 16 + value_bytes(data)
}

/// Estimates the bytes the keyspace holds without walking all of it: sums [`value_bytes`] over
/// the keys of the first slots until 1,000 keys were seen, then scales to the key count. The
/// slots are hash-addressed, so their keys are a fair sample; the cost is O(sample), not O(keys).
/// Rust's allocator keeps no running total to ask, and counting every allocation through a
/// wrapping global allocator would put an atomic operation on every allocation of every thread.
pub(super) fn dataset_bytes(store: &Store, now: u64) -> u64 {
    store.iter().map(|(_, db)| db_bytes(db, now)).sum()
}

/// [`dataset_bytes`] for one database.
fn db_bytes(store: &Db, now: u64) -> u64 {
    const SAMPLE: usize = 1000;
    let entry = key_bytes;
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
    let keys = store.len() as u64;
    let values = (bytes * keys).checked_div(seen).unwrap_or(0);
    // The deadline index holds each key with a TTL once more, with its deadline.
    let ttl_index = store.expires().len() as u64 * 48;
    values + ttl_index
}
// ANCHOR_END: estimate_memory
