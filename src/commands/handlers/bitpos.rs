//! `BITPOS`: where the first 1 (or 0) bit of a string, or of a range of it, is.
//!
//! Go original: none (go-redis had no bit commands). Explained in: book chapter "Bitmaps and
//! bitfields".
//!
//! Bits are numbered as `SETBIT` numbers them: bit 0 is the most significant bit of byte 0.
//! The range is in bytes by default, in bits with `BIT`, both ends inclusive and negative from
//! the end, as in `BITCOUNT` and `GETRANGE`. This file uses nothing of the `SETBIT` and
//! `BITCOUNT` exercises (ex02, ex03): it reads the bits itself.

use super::parse_i64;
use crate::commands::registry::KEY1;
use crate::commands::{ReadContext, Registry};
use crate::engine::store::{Data, StoreError};
use crate::protocol::resp::Value;

/// Registers `BITPOS`.
pub fn register(r: &mut Registry) {
    r.read("bitpos", bitpos, -3, 0, KEY1);
}

// ANCHOR: find_bit
/// The first bit equal to `bit` among bits `from..=to` of `s` (both inside `s`), if any.
/// Whole bytes that cannot hold it (0x00 when looking for a 1, 0xFF for a 0) are skipped as a
/// slice search, so a long run of them costs what a `memchr` costs, not eight tests a byte.
fn find_bit(s: &[u8], from: u64, to: u64, bit: bool) -> Option<u64> {
    let skip = if bit { 0x00 } else { 0xff };
    let is_hit = |at: u64| {
        let byte = s.get((at / 8) as usize).copied().unwrap_or(skip);
        ((byte >> (7 - at % 8)) & 1 == 1) == bit
    };
    let mut at = from;
    while at <= to {
        if at.is_multiple_of(8) && at + 7 <= to {
            let (first, end) = ((at / 8) as usize, ((to + 1) / 8) as usize);
            match s
                .get(first..end)
                .and_then(|bytes| bytes.iter().position(|&b| b != skip))
            {
                // That byte holds the bit: test its bits one by one, below.
                Some(i) => at = (first + i) as u64 * 8,
                None => {
                    at = end as u64 * 8;
                    continue;
                }
            }
        }
        if is_hit(at) {
            return Some(at);
        }
        at += 1;
    }
    None
}
// ANCHOR_END: find_bit

/// `BITPOS key bit [start [end [BYTE|BIT]]]`: the position of the first `bit` in the string
/// or the range. A missing key is an endless run of zeros (0 for a 0, -1 for a 1). Looking for
/// a 0 with no `end` treats the string as zero-padded on the right, so an all-ones string
/// answers the bit just past its end; with an `end`, the range is all there is, and -1 says
/// no such bit is in it.
pub fn bitpos(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let [key, bit, range @ ..] = args else {
        return Value::wrong_arity("bitpos");
    };
    let bit = match parse_i64(bit) {
        Some(0) => false,
        Some(1) => true,
        Some(_) => return Value::error("ERR The bit argument must be 1 or 0."),
        None => return Value::not_integer(),
    };
    // Redis 7.0 looks the key up before it reads the range: a missing key answers whatever
    // the range says, and a wrong type is told before a bad range.
    let s = match ctx.db.get(key, ctx.now) {
        None => return Value::Integer(if bit { -1 } else { 0 }),
        Some(Data::Str(s)) => s,
        Some(_) => return StoreError::WrongType.into(),
    };
    // The words in Redis's order: start, then the unit, then end.
    let (start, end, in_bits) = match range {
        [] => (0, None, false),
        [start, rest @ ..] if rest.len() <= 2 => {
            let Some(start) = parse_i64(start) else {
                return Value::not_integer();
            };
            let in_bits = match rest.get(1).map(|u| u.to_ascii_lowercase()) {
                None => false,
                Some(u) if u == b"byte" => false,
                Some(u) if u == b"bit" => true,
                Some(_) => return Value::syntax_error(),
            };
            match rest.first().map(|e| parse_i64(e)) {
                None => (start, None, in_bits),
                Some(Some(end)) => (start, Some(end), in_bits),
                Some(None) => return Value::not_integer(),
            }
        }
        _ => return Value::syntax_error(),
    };
    let total = s.len() as i64 * if in_bits { 8 } else { 1 };
    let fix = |i: i64| if i < 0 { (i + total).max(0) } else { i };
    let (start, last) = (fix(start), fix(end.unwrap_or(total - 1)).min(total - 1));
    if start > last {
        return Value::Integer(-1);
    }
    let (from, to) = if in_bits {
        (start as u64, last as u64)
    } else {
        (start as u64 * 8, last as u64 * 8 + 7)
    };
    let pos = match find_bit(s, from, to, bit) {
        Some(at) => at as i64,
        None if bit || end.is_some() => -1,
        // Zero padding: the first bit past the string is a 0.
        None => to as i64 + 1,
    };
    Value::Integer(pos)
}

#[cfg(test)]
mod tests {
    use super::find_bit;

    #[test]
    fn finds_the_first_bit_in_a_range() {
        let s = [0x00, 0x00, 0x10, 0xff];
        assert_eq!(find_bit(&s, 0, 31, true), Some(19));
        assert_eq!(find_bit(&s, 20, 31, true), Some(24));
        assert_eq!(find_bit(&s, 0, 18, true), None);
        assert_eq!(find_bit(&s, 24, 31, false), None);
        assert_eq!(find_bit(&s, 3, 5, false), Some(3));
        assert_eq!(find_bit(&[0xff; 9], 0, 71, false), None);
    }
}
