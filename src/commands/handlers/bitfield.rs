//! `BITFIELD` and `BITFIELD_RO`: a string seen as an array of packed integers.
//!
//! Go original: none (go-redis had no bit commands). Explained in: book chapter "Bitmaps and
//! bitfields".
//!
//! A field is a signed (`i1` … `i64`) or unsigned (`u1` … `u63`) integer of that many bits at
//! any bit offset, most significant bit first, bit 0 being the top bit of byte 0 — the order
//! `SETBIT` uses, so a field may straddle bytes. `u64` is refused because its values would not
//! fit the protocol's signed 64-bit integer reply. A command is a list of operations (`GET`,
//! `SET`, `INCRBY`) run in order on one key, with `OVERFLOW WRAP|SAT|FAIL` choosing, for the
//! operations after it, what happens to a value that does not fit its field.
//!
//! The whole command is read and checked first, so a bad word anywhere changes nothing. The
//! string then grows, once, to hold the farthest field written, even if that write fails under
//! `OVERFLOW FAIL`, as in Redis; a command of `GET`s only never creates or grows anything.
//!
//! This file uses nothing of `SETBIT`'s (the exercise ex02): it reads and writes bits itself.

use super::parse_i64;
use crate::commands::registry::{KEY1, flags::*};
use crate::commands::{Context, ReadContext, Registry, Shared};
use crate::config::KeyspaceEvents;
use crate::engine::store::{Data, StoreError};
use crate::protocol::resp::Value;

/// Registers `BITFIELD` and `BITFIELD_RO`.
pub fn register(r: &mut Registry) {
    r.write("bitfield", bitfield, -2, DENYOOM, KEY1);
    r.read("bitfield_ro", bitfield_ro, -2, FAST, KEY1);
}

/// The type of a field: `i8` is `{ signed: true, bits: 8 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Kind {
    signed: bool,
    bits: u32,
}

/// What happens to a value that does not fit its field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Overflow {
    /// Keep the low bits: modulo 2^bits, as C's fixed-width integers do (the default).
    Wrap,
    /// Stop at the field's largest or smallest value.
    Sat,
    /// Write nothing, and answer nil for that operation.
    Fail,
}

/// One operation of the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// One operation, read and checked: what to do to which field, under which overflow rule.
#[derive(Clone, Copy, Debug)]
struct Op {
    kind: Kind,
    offset: u64,
    action: Action,
    overflow: Overflow,
}

/// A word up to its first NUL byte. Redis compares subcommand and type words as C strings
/// (`strcasecmp`, `strlen`), so `GET\0junk` is `GET` there; we read them the same way.
fn c_word(word: &[u8]) -> &[u8] {
    word.split(|&b| b == 0).next().unwrap_or_default()
}

/// Parses `i1`…`i64` or `u1`…`u63`.
fn parse_kind(word: &[u8]) -> Result<Kind, Value> {
    let bad = || {
        Value::error(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
    };
    let word = c_word(word);
    let signed = match word.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(bad()),
    };
    let max = if signed { 64 } else { 63 };
    match parse_i64(&word[1..]) {
        Some(bits) if (1..=max).contains(&bits) => Ok(Kind {
            signed,
            bits: bits as u32,
        }),
        _ => Err(bad()),
    }
}

/// Parses a field's bit offset: a plain bit number, or `#N` for the N-th field of this width
/// (`#2` of `u8` is bit 16). Not negative, and inside a string of `max_bytes`.
fn parse_offset(word: &[u8], bits: u32, max_bytes: u64) -> Result<u64, Value> {
    let (by_index, digits) = match word.strip_prefix(b"#") {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    let offset = parse_i64(digits).map(|n| {
        // Redis parity: Redis multiplies without an overflow check, and the product wraps as
        // two's complement does; whatever it lands on is then range-checked like any offset.
        if by_index {
            n.wrapping_mul(bits as i64)
        } else {
            n
        }
    });
    match offset {
        Some(o) if o >= 0 && (o as u64 >> 3) < max_bytes => Ok(o as u64),
        _ => Err(Value::error(
            "ERR bit offset is not an integer or out of range",
        )),
    }
}

/// The operations of `BITFIELD key op ...` (the words after the key), in order, or the error
/// Redis answers for the first bad word.
fn parse_ops(words: &[Vec<u8>], max_bytes: u64) -> Result<Vec<Op>, Value> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut i = 0;
    while let Some(word) = words.get(i) {
        let left = words.len() - i - 1;
        let word = c_word(word).to_ascii_lowercase();
        let needs_value = match word.as_slice() {
            b"get" if left >= 2 => false,
            b"set" | b"incrby" if left >= 3 => true,
            b"overflow" if left >= 1 => {
                overflow = match c_word(&words[i + 1]).to_ascii_lowercase().as_slice() {
                    b"wrap" => Overflow::Wrap,
                    b"sat" => Overflow::Sat,
                    b"fail" => Overflow::Fail,
                    _ => return Err(Value::error("ERR Invalid OVERFLOW type specified")),
                };
                i += 2;
                continue;
            }
            _ => return Err(Value::syntax_error()),
        };
        let kind = parse_kind(&words[i + 1])?;
        let offset = parse_offset(&words[i + 2], kind.bits, max_bytes)?;
        let action = if needs_value {
            let n = parse_i64(&words[i + 3]).ok_or_else(Value::not_integer)?;
            if word == b"set" {
                Action::Set(n)
            } else {
                Action::IncrBy(n)
            }
        } else {
            Action::Get
        };
        ops.push(Op {
            kind,
            offset,
            action,
            overflow,
        });
        i += if needs_value { 4 } else { 3 };
    }
    Ok(ops)
}

/// `proto-max-bulk-len`: the longest string a field may reach into.
fn max_bytes(shared: &Shared) -> u64 {
    shared
        .config
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .proto_max_bulk_len
}

// ANCHOR: read_write_bits
/// The `bits`-bit field at bit `offset` of `s`, as an unsigned number; bytes past the end of
/// `s` read as zeros. Bit 0 is the most significant bit of byte 0.
fn read_bits(s: &[u8], offset: u64, bits: u32) -> u64 {
    let mut value = 0u64;
    for at in offset..offset + bits as u64 {
        let byte = s.get((at / 8) as usize).copied().unwrap_or(0);
        let bit = (byte >> (7 - at % 8)) & 1;
        value = (value << 1) | bit as u64;
    }
    value
}

/// Writes the low `bits` bits of `value` as the field at bit `offset` of `s`, which is long
/// enough (the command grew it first).
fn write_bits(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    for (i, at) in (offset..offset + bits as u64).enumerate() {
        let mask = 0x80u8 >> (at % 8);
        let on = (value >> (bits as usize - 1 - i)) & 1 == 1;
        if let Some(byte) = s.get_mut((at / 8) as usize) {
            *byte = if on { *byte | mask } else { *byte & !mask };
        }
    }
}

/// The field's value as a number: a signed field's top bit is its sign (two's complement).
fn decode(kind: Kind, raw: u64) -> i64 {
    let sign = 1u64 << (kind.bits - 1);
    if kind.signed && raw & sign != 0 && kind.bits < 64 {
        (raw | !((sign << 1) - 1)) as i64
    } else {
        raw as i64
    }
}
// ANCHOR_END: read_write_bits

// ANCHOR: overflow
/// What a field holds after `action` on its value `old`: `Some(new)`, or `None` when the
/// result does not fit and the rule is `FAIL`. Arithmetic in `i128`, where no sum of two
/// 64-bit numbers can overflow, so "does not fit" is a plain comparison with the range.
fn apply(kind: Kind, old: i64, action: Action, overflow: Overflow) -> Option<i64> {
    let span = 1i128 << kind.bits;
    let (min, max) = if kind.signed {
        (-span / 2, span / 2 - 1)
    } else {
        (0, span - 1)
    };
    let (target, above) = match action {
        Action::Get => return Some(old),
        Action::IncrBy(n) => {
            let sum = old as i128 + n as i128;
            (sum, sum > max)
        }
        // Redis parity: Redis reads a SET value for an unsigned field as an unsigned 64-bit
        // number, so -1 is 2^64-1, above the range (`SAT` makes it the maximum); and for a
        // signed field of fewer than 64 bits it calls a value "above" when `max - value`
        // wraps past 2^63, so the most negative values saturate to the maximum too.
        Action::Set(n) if !kind.signed => ((n as u64) as i128, (n as u64) as i128 > max),
        Action::Set(n) => {
            let n = n as i128;
            (n, n > max || (kind.bits < 64 && max - n >= 1i128 << 63))
        }
    };
    if (min..=max).contains(&target) {
        return Some(target as i64);
    }
    match overflow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if above { max } else { min } as i64),
        Overflow::Wrap => {
            let low = target.rem_euclid(span);
            Some(if low > max { low - span } else { low } as i64)
        }
    }
}
// ANCHOR_END: overflow

/// The field's stored bits for the number `value` (two's complement, cut to the width).
fn encode(kind: Kind, value: i64) -> u64 {
    if kind.bits == 64 {
        value as u64
    } else {
        value as u64 & ((1u64 << kind.bits) - 1)
    }
}

/// The type's name, as the effect spells it (`i8`, `u5`).
fn kind_name(kind: Kind) -> String {
    format!("{}{}", if kind.signed { 'i' } else { 'u' }, kind.bits)
}

/// Runs `GET` operations against `s` (`None`: no key, all zeros).
fn get_all(s: Option<&[u8]>, ops: &[Op]) -> Value {
    let s = s.unwrap_or_default();
    let replies = ops
        .iter()
        .map(|op| Value::Integer(decode(op.kind, read_bits(s, op.offset, op.kind.bits))))
        .collect();
    Value::Array(replies)
}

/// `BITFIELD_RO key [GET type offset ...]`: `BITFIELD` limited to `GET`, so that it can run
/// on a read-only replica and under the read guard.
pub fn bitfield_ro(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let Some((key, words)) = args.split_first() else {
        return Value::wrong_arity("bitfield_ro");
    };
    let ops = match parse_ops(words, max_bytes(ctx.shared)) {
        Ok(ops) => ops,
        Err(e) => return e,
    };
    if ops.iter().any(|op| op.action != Action::Get) {
        return Value::error("ERR BITFIELD_RO only supports the GET subcommand");
    }
    match ctx.db.get(key, ctx.now) {
        None => get_all(None, &ops),
        Some(Data::Str(s)) => get_all(Some(s), &ops),
        Some(_) => StoreError::WrongType.into(),
    }
}

// ANCHOR: bitfield
/// `BITFIELD key [GET type offset | SET type offset value | INCRBY type offset increment |
/// OVERFLOW WRAP|SAT|FAIL] ...`: one reply per `GET`, `SET` (the old value) and `INCRBY` (the
/// new value), nil for an operation refused by `OVERFLOW FAIL`.
///
/// Logged as what it wrote: one `BITFIELD key SET type offset new` per field it changed, so
/// that a replay needs neither the old values nor the overflow rules, and `GET`s and failed
/// operations leave nothing in the log. When the string grew further than any logged field
/// reaches (the farthest write failed), the first record also sets the string's last new bit
/// to the 0 it already is, which grows the string on replay exactly as it grew here.
pub fn bitfield(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let Some((key, words)) = args.split_first() else {
        return Value::wrong_arity("bitfield");
    };
    let ops = match parse_ops(words, max_bytes(ctx.shared)) {
        Ok(ops) => ops,
        Err(e) => return e,
    };
    let farthest = ops
        .iter()
        .filter(|op| op.action != Action::Get)
        .map(|op| op.offset + op.kind.bits as u64 - 1)
        .max();
    let existing = match ctx.db.get(key, ctx.now) {
        None => None,
        Some(Data::Str(s)) => Some(s.len()),
        Some(_) => return StoreError::WrongType.into(),
    };
    let Some(farthest) = farthest else {
        // Only GETs: a read, which creates nothing.
        let s = match ctx.db.get(key, ctx.now) {
            Some(Data::Str(s)) => Some(&s[..]),
            _ => None,
        };
        return get_all(s, &ops);
    };
    // Grow once to hold the farthest field written: at most `proto-max-bulk-len` bytes, since
    // every offset was checked against it.
    let len = (farthest / 8) as usize + 1;
    let s = match ctx
        .db
        .get_or_insert_with(key, ctx.now, || Data::Str(Vec::new().into()))
    {
        Data::Str(s) => s.as_mut_vec(),
        _ => return StoreError::WrongType.into(),
    };
    let grew = existing.is_none_or(|n| n < len);
    if s.len() < len {
        s.resize(len, 0);
    }
    let mut replies = Vec::with_capacity(ops.len());
    let mut written: Vec<(Kind, u64, i64)> = Vec::new();
    for op in &ops {
        let old = decode(op.kind, read_bits(s, op.offset, op.kind.bits));
        let Some(new) = apply(op.kind, old, op.action, op.overflow) else {
            replies.push(Value::Null);
            continue;
        };
        replies.push(Value::Integer(match op.action {
            Action::Set(_) => old,
            _ => new,
        }));
        if op.action != Action::Get {
            write_bits(s, op.offset, op.kind.bits, encode(op.kind, new));
            // Redis counts a write as a change if the value changed or the string grew.
            if grew || old != new {
                written.push((op.kind, op.offset, new));
            }
        }
    }
    log_writes(ctx, key, &written, grew.then_some(len));
    if existing.is_none() {
        ctx.notify_new(key);
    }
    if !written.is_empty() {
        ctx.notify(KeyspaceEvents::STRING, "setbit", key);
    }
    Value::Array(replies)
}
// ANCHOR_END: bitfield

/// Logs one record per field `written` (kind, offset, new value), the first one also growing
/// the string to `grown_to` bytes when no field reaches that far; a string that grew with no
/// field written logs the growth alone.
fn log_writes(
    ctx: &mut Context<'_>,
    key: &[u8],
    written: &[(Kind, u64, i64)],
    grown_to: Option<usize>,
) {
    let reach = written
        .iter()
        .map(|&(kind, offset, _)| (offset + kind.bits as u64 - 1) / 8 + 1)
        .max();
    let mut growth = grown_to.filter(|&len| reach.is_none_or(|r| r < len as u64));
    let set = |effect: &mut Vec<Vec<u8>>, kind: &str, offset: u64, value: i64| {
        effect.push(b"SET".to_vec());
        effect.push(kind.as_bytes().to_vec());
        effect.push(offset.to_string().into_bytes());
        effect.push(value.to_string().into_bytes());
    };
    if written.is_empty() {
        if let Some(len) = growth {
            ctx.log_with(|| {
                let mut effect = vec![b"BITFIELD".to_vec(), key.to_vec()];
                set(&mut effect, "u1", len as u64 * 8 - 1, 0);
                effect
            });
        }
        return;
    }
    for &(kind, offset, value) in written {
        let grow = growth.take();
        ctx.log_with(|| {
            let mut effect = vec![b"BITFIELD".to_vec(), key.to_vec()];
            if let Some(len) = grow {
                set(&mut effect, "u1", len as u64 * 8 - 1, 0);
            }
            set(&mut effect, &kind_name(kind), offset, value);
            effect
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I8: Kind = Kind {
        signed: true,
        bits: 8,
    };
    const U8: Kind = Kind {
        signed: false,
        bits: 8,
    };

    #[test]
    fn bits_read_and_write_most_significant_first() {
        // u5 = 23 (10111) at offset 3 fits in byte 0: 000|10111 is 0x17.
        let mut s = vec![0u8; 2];
        write_bits(&mut s, 3, 5, 23);
        assert_eq!(s, [0x17, 0x00]);
        // At `#3`, bit 15, it straddles bytes 1 and 2: 0000000|1 0111|0000 (the book's picture).
        let mut s = vec![0u8; 3];
        write_bits(&mut s, 15, 5, 23);
        assert_eq!(s, [0x00, 0x01, 0x70]);
        assert_eq!(read_bits(&s, 15, 5), 23);
        // At offset 7 (Redis's own example): 0000000|1 0111|0000.
        let mut s = vec![0u8; 2];
        write_bits(&mut s, 7, 5, 23);
        assert_eq!(s, [0x01, 0x70]);
        assert_eq!(read_bits(&s, 7, 5), 23);
        assert_eq!(read_bits(&s, 12, 64), 0, "past the end reads zeros");
        assert_eq!(decode(I8, 0xff), -1);
        assert_eq!(
            decode(
                Kind {
                    signed: true,
                    bits: 64
                },
                u64::MAX
            ),
            -1
        );
        assert_eq!(encode(I8, -1), 0xff);
    }

    #[test]
    fn overflow_rules() {
        assert_eq!(
            apply(U8, 100, Action::IncrBy(257), Overflow::Wrap),
            Some(101)
        );
        assert_eq!(
            apply(U8, 100, Action::IncrBy(257), Overflow::Sat),
            Some(255)
        );
        assert_eq!(apply(U8, 100, Action::IncrBy(-255), Overflow::Sat), Some(0));
        assert_eq!(apply(U8, 100, Action::IncrBy(257), Overflow::Fail), None);
        assert_eq!(
            apply(I8, 100, Action::IncrBy(257), Overflow::Sat),
            Some(127)
        );
        assert_eq!(
            apply(I8, 100, Action::IncrBy(-255), Overflow::Sat),
            Some(-128)
        );
        assert_eq!(
            apply(I8, 100, Action::IncrBy(255), Overflow::Wrap),
            Some(99)
        );
        let i64k = Kind {
            signed: true,
            bits: 64,
        };
        assert_eq!(
            apply(i64k, i64::MAX, Action::IncrBy(1), Overflow::Wrap),
            Some(i64::MIN)
        );
        assert_eq!(
            apply(i64k, i64::MAX, Action::IncrBy(1), Overflow::Fail),
            None
        );
        // Redis's readings of SET values out of range.
        assert_eq!(apply(U8, 0, Action::Set(-1), Overflow::Sat), Some(255));
        assert_eq!(apply(I8, 0, Action::Set(-200), Overflow::Sat), Some(-128));
        assert_eq!(
            apply(I8, 0, Action::Set(i64::MIN), Overflow::Sat),
            Some(127)
        );
        assert_eq!(apply(I8, 0, Action::Set(255), Overflow::Wrap), Some(-1));
    }

    #[test]
    fn parsing_follows_redis() {
        let words = |s: &str| {
            s.split(' ')
                .map(|w| w.as_bytes().to_vec())
                .collect::<Vec<_>>()
        };
        let ops = parse_ops(&words("overflow sat incrby u2 #3 1 GET i64 0"), 1 << 29).unwrap();
        assert_eq!(ops[0].offset, 6);
        assert_eq!(ops[0].overflow, Overflow::Sat);
        assert_eq!(ops[1].action, Action::Get);
        assert!(parse_kind(b"u64").is_err());
        assert!(parse_kind(b"i0").is_err());
        assert!(parse_kind(b"u08").is_err());
        assert_eq!(parse_kind(b"u8\0x").unwrap(), U8);
        assert!(parse_offset(b"#-1", 8, 1 << 29).is_err());
        assert!(parse_offset(b"4294967296", 8, 1 << 29).is_err());
        assert_eq!(
            parse_offset(b"#4611686018427387905", 4, 1 << 29).unwrap(),
            4
        );
    }
}
