//! `SETBIT` and `GETBIT`: a string seen as an array of bits.
//!
//! Go original: none (go-redis had no bit commands). Explained in: book chapter "Exercises" (ex02).
//!
//! Bit 0 is the most significant bit of byte 0, as in Redis, so `SETBIT k 7 1` on an empty key
//! makes the one-byte string `"\x01"`. A write past the end grows the string with zero bytes,
//! up to `proto-max-bulk-len` (512 MB, so offsets below 2^32, by default), as in Redis.

use super::parse_i64;
use crate::commands::registry::{KEY1, flags::*};
use crate::commands::{Context, ReadContext, Registry, Shared};
use crate::engine::store::{Data, StoreError};
use crate::protocol::resp::Value;

/// Registers `SETBIT` and `GETBIT`.
pub fn register(r: &mut Registry) {
    r.write("setbit", setbit, 4, DENYOOM, KEY1);
    r.read("getbit", getbit, 3, FAST, KEY1);
}

/// Parses a bit offset: an integer spelled as Redis's `string2ll` accepts (no `+`, no leading
/// zero), not negative, and within a string of `proto-max-bulk-len` bytes.
fn parse_offset(shared: &Shared, arg: &[u8]) -> Result<usize, Value> {
    let max_bytes = shared
        .config
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .proto_max_bulk_len;
    parse_i64(arg)
        .filter(|&o| o >= 0 && ((o as u64) >> 3) < max_bytes)
        .and_then(|o| usize::try_from(o).ok())
        .ok_or(Value::error(
            "ERR bit offset is not an integer or out of range",
        ))
}

// ANCHOR: setbit
/// `SETBIT key offset 0|1`: sets one bit, growing the string as needed; replies with the bit's
/// previous value. Logged as itself, since setting a bit replays identically, but only when
/// something changed: a bit set to the value it had, in a string long enough, changes nothing.
pub fn setbit(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, offset, bit] = args else {
        return Value::wrong_arity("setbit");
    };
    let offset = match parse_offset(ctx.shared, offset) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let on = match bit.as_slice() {
        b"0" => false,
        b"1" => true,
        _ => return Value::error("ERR bit is not an integer or out of range"),
    };
    // Type check before creating anything, so a WRONGTYPE changes nothing.
    let created = match ctx.db.get(key, ctx.now) {
        None => true,
        Some(Data::Str(_)) => false,
        Some(_) => return StoreError::WrongType.into(),
    };
    // Edited in place, as Redis edits a raw string: `as_mut_vec` moves a short inline string to
    // the heap once, the price of a buffer that can grow.
    let s = match ctx
        .db
        .get_or_insert_with(key, ctx.now, || Data::Str(Vec::new().into()))
    {
        Data::Str(s) => s.as_mut_vec(),
        _ => return StoreError::WrongType.into(),
    };
    let (byte, mask) = (offset / 8, 0x80u8 >> (offset % 8));
    let grown = s.len() <= byte;
    if grown {
        s.resize(byte + 1, 0);
    }
    let old = s[byte] & mask != 0;
    if on {
        s[byte] |= mask;
    } else {
        s[byte] &= !mask;
    }
    if created || grown || old != on {
        ctx.log(&[b"SETBIT", key, offset.to_string().as_bytes(), bit]);
        ctx.notify_added(
            created,
            crate::config::KeyspaceEvents::STRING,
            "setbit",
            key,
        );
    }
    Value::Integer(old as i64)
}
// ANCHOR_END: setbit

/// `GETBIT key offset`: the bit at `offset`, 0 past the end of the string or for a missing key.
pub fn getbit(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let [key, offset] = args else {
        return Value::wrong_arity("getbit");
    };
    let offset = match parse_offset(ctx.shared, offset) {
        Ok(o) => o,
        Err(e) => return e,
    };
    match ctx.db.get(key, ctx.now) {
        None => Value::Integer(0),
        Some(Data::Str(s)) => {
            let bit = s
                .get(offset / 8)
                .is_some_and(|b| b & (0x80 >> (offset % 8)) != 0);
            Value::Integer(bit as i64)
        }
        Some(_) => StoreError::WrongType.into(),
    }
}
