//! `BITOP`: bitwise AND, OR, XOR and NOT across strings, stored in a destination key.
//!
//! Go original: none (go-redis had no bit commands). Explained in: book chapter "Exercises" (ex04).

use crate::commands::registry::{KeySpec, flags::*};
use crate::commands::{Context, Registry};
use crate::engine::store::{Data, StoreError};
use crate::protocol::resp::Value;

/// `BITOP op destkey key [key ...]`: every word from the second on is a key.
const KEYS_FROM_2: KeySpec = (2, -1, 1);

/// Registers `BITOP`.
pub fn register(r: &mut Registry) {
    r.write("bitop", bitop, -4, DENYOOM, KEYS_FROM_2);
}

// ANCHOR: bitop
/// `BITOP AND|OR|XOR|NOT destkey key [key ...]`: combines the sources byte by byte (a shorter
/// or missing source counts as zero bytes) into `destkey`; replies with the result's length.
/// An empty result deletes `destkey`. Logged as the `SET` (or `DEL`) of the result.
pub fn bitop(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [op, dest, sources @ ..] = args else {
        return Value::wrong_arity("bitop");
    };
    let op = op.to_ascii_lowercase();
    if !matches!(op.as_slice(), b"and" | b"or" | b"xor" | b"not") {
        return Value::syntax_error();
    }
    if op == b"not" && sources.len() != 1 {
        return Value::error("ERR BITOP NOT must be called with a single source key.");
    }
    let mut inputs: Vec<&[u8]> = Vec::with_capacity(sources.len());
    for key in sources {
        match ctx.db.get(key, ctx.now) {
            None => inputs.push(&[]),
            Some(Data::Str(s)) => inputs.push(s),
            Some(_) => return StoreError::WrongType.into(),
        }
    }
    let len = inputs.iter().map(|s| s.len()).max().unwrap_or(0);
    let result: Vec<u8> = (0..len)
        .map(|i| {
            let mut bytes = inputs.iter().map(|s| s.get(i).copied().unwrap_or(0));
            let first = bytes.next().unwrap_or(0);
            match op.as_slice() {
                b"and" => bytes.fold(first, |a, b| a & b),
                b"or" => bytes.fold(first, |a, b| a | b),
                b"xor" => bytes.fold(first, |a, b| a ^ b),
                _ => !first,
            }
        })
        .collect();
    if result.is_empty() {
        if ctx.db.remove(dest, ctx.now).is_some() {
            ctx.log(&[b"DEL", dest]);
            ctx.notify(crate::config::KeyspaceEvents::GENERIC, "del", dest);
        }
    } else {
        let created = ctx.creates(dest);
        ctx.log(&[b"SET", dest, &result]);
        ctx.db.set(dest, Data::Str(result.into()), ctx.now);
        ctx.notify_added(created, crate::config::KeyspaceEvents::STRING, "set", dest);
    }
    Value::Integer(len as i64)
}
// ANCHOR_END: bitop
