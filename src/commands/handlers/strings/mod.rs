//! String commands: `GET`, `SET` and its options, the counters, ranges and batches.
//!
//! Go original: `internal/commands/handlers/strings.go`. Explained in: book chapter 4.
//!
//! Every handler validates all of its arguments before it touches the store, so an error reply
//! always means "nothing changed". Every write logs its *effect* (design invariant 5): a counter
//! logs the `SET` of its result, a relative TTL the absolute deadline, so replaying the log at any
//! later time rebuilds exactly the state clients saw.
//!
//! This file holds `GET`, the batches (`MGET`, `MSET`, `MSETNX`), `APPEND`, `STRLEN` and the byte
//! ranges (`GETRANGE`, `SETRANGE`). `SET` with its options, and the other commands that set a
//! string or its TTL (`SETEX`, `GETEX`, ...), are in `set.rs`; the counters (`INCR` and its kin)
//! in `counters.rs`.

use super::parse_i64;
use super::sets::effect_of;
use crate::commands::registry::{ALL_KEYS, KEY1, KeySpec, flags::*};
use crate::commands::{Context, ReadContext, Registry};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::{Data, StoreError, Str};
use crate::protocol::resp::Value;

mod counters;
mod set;

pub use counters::{decr, decrby, incr, incrby, incrbyfloat};
pub use set::{getdel, getex, getset, psetex, set, setex, setnx};

/// The largest string a command may build: Redis's default `proto-max-bulk-len`, 512 MB.
pub const MAX_STRING_LEN: usize = 512 * 1024 * 1024;

/// `MSET k v k v ...`: every other argument is a key.
const PAIRS: KeySpec = (1, -1, 2);

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    r.read("get", get, 2, FAST, KEY1);
    r.write("set", set, -3, DENYOOM, KEY1);
    r.write("getset", getset, 3, DENYOOM | FAST, KEY1);
    r.write("getdel", getdel, 2, FAST, KEY1);
    r.write("getex", getex, -2, FAST, KEY1);
    r.write("setnx", setnx, 3, DENYOOM | FAST, KEY1);
    r.write("setex", setex, 4, DENYOOM, KEY1);
    r.write("psetex", psetex, 4, DENYOOM, KEY1);
    r.read("mget", mget, -2, FAST, ALL_KEYS);
    r.write("mset", mset, -3, DENYOOM, PAIRS);
    r.write("msetnx", msetnx, -3, DENYOOM, PAIRS);
    r.write("append", append, 3, DENYOOM | FAST, KEY1);
    r.read("strlen", strlen, 2, FAST, KEY1);
    r.read("getrange", getrange, 4, 0, KEY1);
    r.read("substr", getrange, 4, 0, KEY1);
    r.write("setrange", setrange, 4, DENYOOM, KEY1);
    r.write("incr", incr, 2, DENYOOM | FAST, KEY1);
    r.write("decr", decr, 2, DENYOOM | FAST, KEY1);
    r.write("incrby", incrby, 3, DENYOOM | FAST, KEY1);
    r.write("decrby", decrby, 3, DENYOOM | FAST, KEY1);
    r.write("incrbyfloat", incrbyfloat, 3, DENYOOM | FAST, KEY1);
}

/// The string at `key`: `Ok(None)` if the key is missing, `WRONGTYPE` if it holds another type.
fn string_at(data: Option<&Data>) -> Result<Option<&Str>, Value> {
    match data {
        None => Ok(None),
        Some(Data::Str(s)) => Ok(Some(s)),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

// ANCHOR: get
/// `GET key`: the string at `key`, or nil.
pub fn get(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let [key] = args else {
        return Value::wrong_arity("get");
    };
    match string_at(ctx.db.get(key, ctx.now)) {
        Ok(Some(s)) => Value::Bulk(s.to_vec()),
        Ok(None) => Value::Null,
        Err(e) => e,
    }
}
// ANCHOR_END: get

/// `MGET key [key ...]`: one reply per key; nil for a missing key or one that is not a string.
pub fn mget(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let replies = args
        .iter()
        .map(|key| match ctx.db.get(key, ctx.now) {
            Some(Data::Str(s)) => Value::Bulk(s.to_vec()),
            _ => Value::Null,
        })
        .collect();
    Value::Array(replies)
}

/// `MSET key value [key value ...]`: sets every pair; logged as itself.
pub fn mset(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    if !args.len().is_multiple_of(2) {
        return Value::wrong_arity("mset");
    }
    mset_all(ctx, args);
    Value::OK
}

/// `MSETNX key value [key value ...]`: sets every pair only if no key exists; 1 if it did.
pub fn msetnx(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    if !args.len().is_multiple_of(2) {
        return Value::wrong_arity("msetnx");
    }
    if args
        .iter()
        .step_by(2)
        .any(|key| ctx.db.contains(key, ctx.now))
    {
        return Value::Integer(0);
    }
    mset_all(ctx, args);
    Value::Integer(1)
}

/// Sets each pair (a repeated key takes its last value, as in Redis) and logs one `MSET`.
fn mset_all(ctx: &mut Context<'_>, args: &[Vec<u8>]) {
    for pair in args.chunks(2) {
        if let [key, value] = pair {
            if ctx
                .db
                .set(key, Data::Str(Str::from(value.as_slice())), ctx.now)
                .is_none()
            {
                ctx.notify_new(key);
            }
            ctx.notify(Class::STRING, "set", key);
        }
    }
    ctx.log_with(|| effect_of(b"MSET", args));
}

// ANCHOR: append
/// `APPEND key value`: appends to the string (creating it) and replies with the new length.
/// Logged as itself: appending the same bytes to the same string replays identically, and
/// logging the whole result instead would make every append cost the string's length.
pub fn append(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, value] = args else {
        return Value::wrong_arity("append");
    };
    let len = match ctx.db.get_mut(key, ctx.now) {
        Some(Data::Str(s)) => {
            if s.len() + value.len() > MAX_STRING_LEN {
                return StoreError::StringTooLong.into();
            }
            if value.is_empty() {
                // Nothing changes, so nothing is logged; Redis still tells of an append.
                let len = s.len();
                ctx.notify(Class::STRING, "append", key);
                return Value::Integer(len as i64);
            }
            s.as_mut_vec().extend_from_slice(value);
            s.len()
        }
        Some(_) => return StoreError::WrongType.into(),
        None => {
            ctx.db
                .set(key, Data::Str(Str::from(value.as_slice())), ctx.now);
            ctx.notify_new(key);
            value.len()
        }
    };
    ctx.log(&[b"APPEND", key, value]);
    ctx.notify(Class::STRING, "append", key);
    Value::Integer(len as i64)
}
// ANCHOR_END: append

/// `STRLEN key`: the length of the string, 0 for a missing key.
pub fn strlen(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let [key] = args else {
        return Value::wrong_arity("strlen");
    };
    match string_at(ctx.db.get(key, ctx.now)) {
        Ok(s) => Value::Integer(s.map_or(0, |s| s.len()) as i64),
        Err(e) => e,
    }
}

// ANCHOR: getrange
/// `GETRANGE key start end` (and its old name `SUBSTR`): the bytes from `start` to `end`
/// inclusive; negative indexes count from the end, and out-of-range ones are clamped.
pub fn getrange(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let [key, start, end] = args else {
        return Value::wrong_arity("getrange");
    };
    let (Some(start), Some(end)) = (parse_i64(start), parse_i64(end)) else {
        return Value::not_integer();
    };
    let s = match string_at(ctx.db.get(key, ctx.now)) {
        Ok(Some(s)) => s,
        Ok(None) => return Value::Bulk(Vec::new()),
        Err(e) => return e,
    };
    match byte_range(s.len(), start, end) {
        Some((from, to)) => Value::Bulk(s[from..=to].to_vec()),
        None => Value::Bulk(Vec::new()),
    }
}
// ANCHOR_END: getrange

/// Redis's `GETRANGE` index arithmetic: the inclusive byte range, or `None` when it is empty.
/// Works in `i128` so that `i64::MIN` offsets cannot overflow.
fn byte_range(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let len = len as i128;
    let mut start = start as i128;
    let mut end = end as i128;
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0).min(len - 1);
    if len == 0 || start > end {
        return None;
    }
    Some((start as usize, end as usize))
}

// ANCHOR: setrange
/// `SETRANGE key offset value`: overwrites bytes from `offset`, padding with zero bytes; replies
/// with the new length. A result above 512 MB is refused before anything is allocated.
pub fn setrange(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, offset_arg, value] = args else {
        return Value::wrong_arity("setrange");
    };
    let Some(offset) = parse_i64(offset_arg) else {
        return Value::not_integer();
    };
    if offset < 0 {
        return Value::error("ERR offset is out of range");
    }
    let offset = offset as u64;
    let too_long = offset + value.len() as u64 > MAX_STRING_LEN as u64;
    let len = match ctx.db.get_mut(key, ctx.now) {
        Some(Data::Str(s)) => {
            if value.is_empty() {
                return Value::Integer(s.len() as i64);
            }
            if too_long {
                return StoreError::StringTooLong.into();
            }
            write_at(s.as_mut_vec(), offset as usize, value);
            s.len()
        }
        Some(_) => return StoreError::WrongType.into(),
        None => {
            // Setting nothing on a missing key creates nothing.
            if value.is_empty() {
                return Value::Integer(0);
            }
            if too_long {
                return StoreError::StringTooLong.into();
            }
            let mut s = Vec::new();
            write_at(&mut s, offset as usize, value);
            let len = s.len();
            ctx.db.set(key, Data::Str(Str::from(s)), ctx.now);
            ctx.notify_new(key);
            len
        }
    };
    ctx.log(&[b"SETRANGE", key, offset_arg, value]);
    ctx.notify(Class::STRING, "setrange", key);
    Value::Integer(len as i64)
}
// ANCHOR_END: setrange

/// Writes `value` into `s` at `offset`, growing `s` with zero bytes as needed.
fn write_at(s: &mut Vec<u8>, offset: usize, value: &[u8]) {
    let end = offset + value.len();
    if s.len() < end {
        s.resize(end, 0);
    }
    s[offset..end].copy_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getrange_index_arithmetic() {
        assert_eq!(byte_range(5, 0, -1), Some((0, 4)));
        assert_eq!(byte_range(5, -3, -1), Some((2, 4)));
        assert_eq!(byte_range(5, -1, -3), None);
        assert_eq!(byte_range(5, 5, 10), None);
        assert_eq!(byte_range(5, 3, 1), None);
        assert_eq!(byte_range(5, -100, 100), Some((0, 4)));
        assert_eq!(byte_range(5, 0, -100), Some((0, 0)));
        assert_eq!(byte_range(0, 0, -1), None);
        assert_eq!(byte_range(5, i64::MIN, i64::MAX), Some((0, 4)));
    }
}
