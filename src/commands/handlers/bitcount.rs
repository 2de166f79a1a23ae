//! `BITCOUNT`: how many bits are set in a string, or in a range of it.
//!
//! Go original: none (go-redis had no bit commands). Explained in: book chapter "Exercises" (ex03).

use super::parse_i64;
use crate::commands::registry::KEY1;
use crate::commands::{ReadContext, Registry};
use crate::engine::store::{Data, StoreError};
use crate::protocol::resp::Value;

/// Registers `BITCOUNT`.
pub fn register(r: &mut Registry) {
    r.read("bitcount", bitcount, -2, 0, KEY1);
}

/// Clamps a Redis-style inclusive range (negative counts from the end) to `0..len`;
/// `None` when it selects nothing.
fn clamp(start: i64, end: i64, len: i64) -> Option<(i64, i64)> {
    let fix = |i: i64| if i < 0 { (i + len).max(0) } else { i };
    let (start, end) = (fix(start), fix(end).min(len - 1));
    (start <= end).then_some((start, end))
}

// ANCHOR: bitcount
/// `BITCOUNT key [start end [BYTE|BIT]]`: the number of set bits, in the whole string or in a
/// byte (default) or bit range, both ends inclusive and negative from the end.
pub fn bitcount(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    // Redis looks the key up first: a missing key answers 0 and a wrong type WRONGTYPE
    // whatever the options say.
    let s = match ctx.db.get(&args[0], ctx.now) {
        None => return Value::Integer(0),
        Some(Data::Str(s)) => s,
        Some(_) => return StoreError::WrongType.into(),
    };
    let (start, end, unit) = match &args[1..] {
        [] => return Value::Integer(popcount(s)),
        [start, end, unit @ ..] if unit.len() <= 1 => match (parse_i64(start), parse_i64(end)) {
            (Some(start), Some(end)) => (start, end, unit.first()),
            _ => return Value::not_integer(),
        },
        _ => return Value::syntax_error(),
    };
    // Redis answers this case before it reads the unit: `BITCOUNT k -1 -2 FOO` is 0.
    if start < 0 && end < 0 && start > end {
        return Value::Integer(0);
    }
    let bits = match unit.map(|u| u.to_ascii_lowercase()) {
        None => false,
        Some(u) if u == b"byte" => false,
        Some(u) if u == b"bit" => true,
        Some(_) => return Value::syntax_error(),
    };
    let count = match (
        bits,
        clamp(start, end, s.len() as i64 * if bits { 8 } else { 1 }),
    ) {
        (_, None) => 0,
        (false, Some((a, b))) => popcount(&s[a as usize..=b as usize]),
        (true, Some((a, b))) => (a..=b)
            .filter(|&i| s[(i / 8) as usize] & (0x80 >> (i % 8)) != 0)
            .count() as i64,
    };
    Value::Integer(count)
}
// ANCHOR_END: bitcount

/// The set bits of `bytes`.
fn popcount(bytes: &[u8]) -> i64 {
    bytes.iter().map(|b| b.count_ones() as i64).sum()
}
