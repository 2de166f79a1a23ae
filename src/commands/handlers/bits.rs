//! `SETBIT` and `GETBIT`: a string seen as an array of bits.
//!
//! Go original: none (go-redis had no bit commands). Explained in: book chapter "Exercises" (ex02).
//!
//! Bit 0 is the most significant bit of byte 0, as in Redis, so `SETBIT k 7 1` on an empty key
//! makes the one-byte string `"\x01"`. A write past the end grows the string with zero bytes.

use super::parse_i64;
use crate::commands::registry::{KEY1, flags::*};
use crate::commands::{Context, ReadContext, Registry};
use crate::engine::store::{Data, StoreError};
use crate::protocol::resp::Value;

/// The largest offset: a string may hold at most 512 MB, that is 2^32 bits.
const MAX_BIT_OFFSET: i64 = (1 << 32) - 1;

/// Registers `SETBIT` and `GETBIT`.
pub fn register(r: &mut Registry) {
    r.write("setbit", setbit, 4, DENYOOM, KEY1);
    r.read("getbit", getbit, 3, FAST, KEY1);
}

/// Parses a bit offset: an integer in `0..2^32`, spelled as Redis's `string2ll` accepts
/// (no sign, no leading zero).
fn parse_offset(arg: &[u8]) -> Result<usize, Value> {
    parse_i64(arg)
        .filter(|&o| (0..=MAX_BIT_OFFSET).contains(&o))
        .map(|o| o as usize)
        .ok_or(Value::error("ERR bit offset is not an integer or out of range"))
}

// ANCHOR: setbit
/// `SETBIT key offset 0|1`: sets one bit, growing the string as needed; replies with the bit's
/// previous value. Logged as itself: setting a bit replays identically.
pub fn setbit(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, offset, bit] = args else {
        return Value::wrong_arity("setbit");
    };
    let offset = match parse_offset(offset) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let on = match bit.as_slice() {
        b"0" => false,
        b"1" => true,
        _ => return Value::error("ERR bit is not an integer or out of range"),
    };
    // Type check before creating anything, so a WRONGTYPE changes nothing.
    if matches!(ctx.store.get(key, ctx.now), Some(d) if !matches!(d, Data::Str(_))) {
        return StoreError::WrongType.into();
    }
    // Edited in place, as Redis edits a raw string: `as_mut_vec` moves a short inline string to
    // the heap once, the price of a buffer that can grow.
    let s = match ctx
        .store
        .get_or_insert_with(key, ctx.now, || Data::Str(Vec::new().into()))
    {
        Data::Str(s) => s.as_mut_vec(),
        _ => return StoreError::WrongType.into(),
    };
    let (byte, mask) = (offset / 8, 0x80u8 >> (offset % 8));
    if s.len() <= byte {
        s.resize(byte + 1, 0);
    }
    let old = s[byte] & mask != 0;
    if on {
        s[byte] |= mask;
    } else {
        s[byte] &= !mask;
    }
    ctx.log(&[b"SETBIT", key, offset.to_string().as_bytes(), bit]);
    Value::Integer(old as i64)
}
// ANCHOR_END: setbit

/// `GETBIT key offset`: the bit at `offset`, 0 past the end of the string or for a missing key.
pub fn getbit(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let [key, offset] = args else {
        return Value::wrong_arity("getbit");
    };
    let offset = match parse_offset(offset) {
        Ok(o) => o,
        Err(e) => return e,
    };
    match ctx.store.get(key, ctx.now) {
        None => Value::Integer(0),
        Some(Data::Str(s)) => {
            let bit = s.get(offset / 8).is_some_and(|b| b & (0x80 >> (offset % 8)) != 0);
            Value::Integer(bit as i64)
        }
        Some(_) => StoreError::WrongType.into(),
    }
}
