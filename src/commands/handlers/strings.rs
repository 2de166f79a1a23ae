//! String commands: `GET`, `SET` and its options, the counters, ranges and batches.
//!
//! Go original: `internal/commands/handlers/strings.go`. Explained in: book chapter 4.
//!
//! Every handler validates all of its arguments before it touches the store, so an error reply
//! always means "nothing changed". Every write logs its *effect* (design invariant 5): a counter
//! logs the `SET` of its result, a relative TTL the absolute deadline, so replaying the log at any
//! later time rebuilds exactly the state clients saw.

use super::sets::effect_of;
use super::{format_incr_float, parse_f64, parse_i64};
use crate::commands::registry::{ALL_KEYS, KEY1, KeySpec, flags::*};
use crate::commands::{Context, ReadContext, Registry};
use crate::engine::store::{Data, StoreError, Str};
use crate::protocol::resp::Value;

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
    let [key] = args else { return Value::wrong_arity("get") };
    match string_at(ctx.store.get(key, ctx.now)) {
        Ok(Some(s)) => Value::Bulk(s.to_vec()),
        Ok(None) => Value::Null,
        Err(e) => e,
    }
}
// ANCHOR_END: get

// ANCHOR: expire_option
/// How a `SET` or `GETEX` option names a deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ExpireUnit {
    /// `EX seconds`: relative.
    Ex,
    /// `PX milliseconds`: relative.
    Px,
    /// `EXAT unix-seconds`: absolute.
    ExAt,
    /// `PXAT unix-milliseconds`: absolute.
    PxAt,
}

/// Turns an expire argument into an absolute deadline in Unix ms, as Redis's
/// `getExpireMillisecondsOrReply`: a non-integer is `ERR value is not an integer or out of range`;
/// zero, a negative time, or one that overflows once scaled and added to `now` is
/// `ERR invalid expire time in '<command>' command`.
fn deadline_from(raw: &[u8], unit: ExpireUnit, now: u64, command: &str) -> Result<u64, Value> {
    let Some(n) = parse_i64(raw) else {
        return Err(Value::not_integer());
    };
    let invalid = || Value::error_owned(format!("ERR invalid expire time in '{command}' command"));
    let seconds = matches!(unit, ExpireUnit::Ex | ExpireUnit::ExAt);
    if n <= 0 || (seconds && n > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut ms = if seconds { n * 1000 } else { n };
    if matches!(unit, ExpireUnit::Ex | ExpireUnit::Px) {
        // Redis adds with wrapping arithmetic and then rejects the negative result; checked
        // addition says the same thing without relying on overflow.
        ms = ms.checked_add(now as i64).ok_or_else(invalid)?;
    }
    Ok(ms as u64)
}
// ANCHOR_END: expire_option

/// The options of `SET` (`NX XX GET KEEPTTL EX PX EXAT PXAT`) or `GETEX` (`PERSIST EX PX EXAT
/// PXAT`), parsed but not yet validated as numbers.
#[derive(Default)]
struct StringOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<(ExpireUnit, &'a [u8])>,
}

// ANCHOR: parse_string_options
/// Parses the options after the key (and value), as Redis's `parseExtendedStringArgumentsOrReply`:
/// options that contradict each other (`NX XX`, two different TTL forms, `KEEPTTL` with a TTL),
/// an unknown word or a TTL option without its number all answer `ERR syntax error`. Repeating
/// the same option is allowed; the last number wins.
fn parse_string_options(opts: &[Vec<u8>], for_set: bool) -> Result<StringOptions<'_>, Value> {
    let mut o = StringOptions::default();
    let mut i = 0;
    while i < opts.len() {
        let word = opts[i].to_ascii_uppercase();
        let unit = match word.as_slice() {
            b"EX" => Some(ExpireUnit::Ex),
            b"PX" => Some(ExpireUnit::Px),
            b"EXAT" => Some(ExpireUnit::ExAt),
            b"PXAT" => Some(ExpireUnit::PxAt),
            _ => None,
        };
        match (word.as_slice(), unit) {
            (b"NX", _) if for_set && !o.xx => o.nx = true,
            (b"XX", _) if for_set && !o.nx => o.xx = true,
            (b"GET", _) if for_set => o.get = true,
            (b"KEEPTTL", _) if for_set && o.expire.is_none() => o.keep_ttl = true,
            (b"PERSIST", _) if !for_set && o.expire.is_none() => o.persist = true,
            (_, Some(unit)) if !o.keep_ttl && !o.persist && o.expire.is_none_or(|(u, _)| u == unit) => {
                let Some(raw) = opts.get(i + 1) else {
                    return Err(Value::syntax_error());
                };
                o.expire = Some((unit, raw));
                i += 1;
            }
            _ => return Err(Value::syntax_error()),
        }
        i += 1;
    }
    Ok(o)
}
// ANCHOR_END: parse_string_options

// ANCHOR: set
/// `SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL]`.
///
/// Replies `OK`, or nil when `NX`/`XX` stopped it; with `GET`, the old string (or nil) either
/// way. Logged as `SET key value` (plus `KEEPTTL`), or `SET key value PXAT <deadline>` when it
/// sets a TTL, so a replay does not restart a relative clock.
pub fn set(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, value, opts @ ..] = args else {
        return Value::wrong_arity("set");
    };
    let o = match parse_string_options(opts, true) {
        Ok(o) => o,
        Err(e) => return e,
    };
    set_generic(ctx, key, value, &o, "set")
}
// ANCHOR_END: set

/// The body of `SET`, shared with `GETSET`, `SETEX` and `PSETEX`: checks everything, then
/// changes the store.
fn set_generic(ctx: &mut Context<'_>, key: &[u8], value: &[u8], o: &StringOptions<'_>, command: &str) -> Value {
    let deadline = match o.expire {
        Some((unit, raw)) => match deadline_from(raw, unit, ctx.now, command) {
            Ok(at) => Some(at),
            Err(e) => return e,
        },
        None => None,
    };
    // A plain `SET` overwrites whatever is there, so only `GET`, `NX` and `XX` look first: the
    // common case pays one table lookup, not two.
    let existing = if o.get || o.nx || o.xx {
        ctx.store.get(key, ctx.now)
    } else {
        None
    };
    // `SET ... GET` on a list must fail before anything changes, so check the type first.
    if o.get
        && let Err(e) = string_at(existing)
    {
        return e;
    }
    let found = existing.is_some();
    if (o.nx && found) || (o.xx && !found) {
        return match existing {
            Some(Data::Str(old)) if o.get => Value::Bulk(old.to_vec()),
            _ => Value::Null,
        };
    }
    let data = Data::Str(Str::from(value));
    let old = if o.keep_ttl {
        ctx.store.set_keep_ttl(key, data, ctx.now)
    } else {
        ctx.store.set(key, data, ctx.now)
    };
    match deadline {
        Some(at) => {
            ctx.store.set_deadline(key, at, ctx.now);
            ctx.log(&[b"SET", key, value, b"PXAT", at.to_string().as_bytes()]);
        }
        None if o.keep_ttl => ctx.log(&[b"SET", key, value, b"KEEPTTL"]),
        None => ctx.log(&[b"SET", key, value]),
    }
    if !o.get {
        return Value::OK;
    }
    match old {
        Some(Data::Str(s)) => Value::Bulk(s.into_vec()),
        _ => Value::Null,
    }
}

/// `GETSET key value`: `SET key value GET`, the form Redis keeps for old clients.
pub fn getset(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, value] = args else {
        return Value::wrong_arity("getset");
    };
    let o = StringOptions {
        get: true,
        ..StringOptions::default()
    };
    set_generic(ctx, key, value, &o, "getset")
}

/// `SETNX key value`: sets only a missing key; replies 1 if it did, 0 if not.
pub fn setnx(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, value] = args else {
        return Value::wrong_arity("setnx");
    };
    if ctx.store.contains(key, ctx.now) {
        return Value::Integer(0);
    }
    ctx.store.set(key, Data::Str(Str::from(value.as_slice())), ctx.now);
    ctx.log(&[b"SET", key, value]);
    Value::Integer(1)
}

/// `SETEX key seconds value`: `SET key value EX seconds`.
pub fn setex(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    set_with_ttl(ctx, args, ExpireUnit::Ex, "setex")
}

/// `PSETEX key milliseconds value`: `SET key value PX milliseconds`.
pub fn psetex(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    set_with_ttl(ctx, args, ExpireUnit::Px, "psetex")
}

fn set_with_ttl(ctx: &mut Context<'_>, args: &[Vec<u8>], unit: ExpireUnit, command: &str) -> Value {
    let [key, ttl, value] = args else {
        return Value::wrong_arity(command);
    };
    let o = StringOptions {
        expire: Some((unit, ttl)),
        ..StringOptions::default()
    };
    set_generic(ctx, key, value, &o, command)
}

/// `GETDEL key`: the string at `key`, deleting the key. Logged as `DEL key`.
pub fn getdel(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key] = args else {
        return Value::wrong_arity("getdel");
    };
    if let Err(e) = string_at(ctx.store.get(key, ctx.now)) {
        return e;
    }
    let Some(Data::Str(old)) = ctx.store.remove(key, ctx.now) else {
        return Value::Null;
    };
    ctx.log(&[b"DEL", key]);
    Value::Bulk(old.into_vec())
}

// ANCHOR: getex
/// `GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST]`: `GET` that also sets or clears
/// the TTL. A deadline already past deletes the key (logged as `DEL`), as `EXPIREAT` does; a
/// new deadline is logged as `PEXPIREAT`, a cleared one as `PERSIST`.
pub fn getex(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, opts @ ..] = args else {
        return Value::wrong_arity("getex");
    };
    let o = match parse_string_options(opts, false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    // Redis looks the key up before it checks the time: `GETEX missing EX 0` is nil, not an error.
    let value = match string_at(ctx.store.get(key, ctx.now)) {
        Ok(Some(s)) => s.to_vec(),
        Ok(None) => return Value::Null,
        Err(e) => return e,
    };
    let deadline = match o.expire {
        Some((unit, raw)) => match deadline_from(raw, unit, ctx.now, "getex") {
            Ok(at) => Some(at),
            Err(e) => return e,
        },
        None => None,
    };
    match deadline {
        Some(at) if at <= ctx.now => {
            ctx.store.remove(key, ctx.now);
            ctx.log(&[b"DEL", key]);
        }
        Some(at) => {
            ctx.store.set_deadline(key, at, ctx.now);
            ctx.log(&[b"PEXPIREAT", key, at.to_string().as_bytes()]);
        }
        None if o.persist && ctx.store.persist(key, ctx.now) => ctx.log(&[b"PERSIST", key]),
        None => {}
    }
    Value::Bulk(value)
}
// ANCHOR_END: getex

/// `MGET key [key ...]`: one reply per key; nil for a missing key or one that is not a string.
pub fn mget(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let replies = args
        .iter()
        .map(|key| match ctx.store.get(key, ctx.now) {
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
    if args.iter().step_by(2).any(|key| ctx.store.contains(key, ctx.now)) {
        return Value::Integer(0);
    }
    mset_all(ctx, args);
    Value::Integer(1)
}

/// Sets each pair (a repeated key takes its last value, as in Redis) and logs one `MSET`.
fn mset_all(ctx: &mut Context<'_>, args: &[Vec<u8>]) {
    for pair in args.chunks(2) {
        if let [key, value] = pair {
            ctx.store.set(key, Data::Str(Str::from(value.as_slice())), ctx.now);
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
    let len = match ctx.store.get_mut(key, ctx.now) {
        Some(Data::Str(s)) => {
            if s.len() + value.len() > MAX_STRING_LEN {
                return StoreError::StringTooLong.into();
            }
            if value.is_empty() {
                // Nothing changes, so nothing is logged.
                return Value::Integer(s.len() as i64);
            }
            s.as_mut_vec().extend_from_slice(value);
            s.len()
        }
        Some(_) => return StoreError::WrongType.into(),
        None => {
            ctx.store.set(key, Data::Str(Str::from(value.as_slice())), ctx.now);
            value.len()
        }
    };
    ctx.log(&[b"APPEND", key, value]);
    Value::Integer(len as i64)
}
// ANCHOR_END: append

/// `STRLEN key`: the length of the string, 0 for a missing key.
pub fn strlen(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let [key] = args else {
        return Value::wrong_arity("strlen");
    };
    match string_at(ctx.store.get(key, ctx.now)) {
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
    let s = match string_at(ctx.store.get(key, ctx.now)) {
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
    let len = match ctx.store.get_mut(key, ctx.now) {
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
            ctx.store.set(key, Data::Str(Str::from(s)), ctx.now);
            len
        }
    };
    ctx.log(&[b"SETRANGE", key, offset_arg, value]);
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

// ANCHOR: store_counter
/// Stores a counter's new value, keeping the key's TTL, and logs its effect: `SET key <new>`,
/// or `SET key <new> PXAT <deadline>` when the key has a TTL.
///
/// `SET key <new> KEEPTTL` would also keep the TTL, but only if the replay still finds the key;
/// a replay that has already dropped it as expired would recreate it with no TTL at all. Naming
/// the deadline makes the entry self-contained whatever happened before it.
fn store_counter(ctx: &mut Context<'_>, key: &[u8], text: Vec<u8>) {
    match ctx.store.deadline(key, ctx.now) {
        Some(at) => ctx.log(&[b"SET", key, &text, b"PXAT", at.to_string().as_bytes()]),
        None => ctx.log(&[b"SET", key, &text]),
    }
    ctx.store.set_keep_ttl(key, Data::Str(Str::from(text)), ctx.now);
}
// ANCHOR_END: store_counter

// ANCHOR: incr_by
/// Adds `delta` to the integer at `key` (a missing key counts as 0) and replies with the result.
fn incr_by(ctx: &mut Context<'_>, key: &[u8], delta: i64) -> Value {
    let current = match string_at(ctx.store.get(key, ctx.now)) {
        Ok(None) => 0,
        Ok(Some(s)) => match parse_i64(s) {
            Some(n) => n,
            None => return StoreError::NotInteger.into(),
        },
        Err(e) => return e,
    };
    let Some(new) = current.checked_add(delta) else {
        return StoreError::Overflow.into();
    };
    store_counter(ctx, key, new.to_string().into_bytes());
    Value::Integer(new)
}
// ANCHOR_END: incr_by

/// `INCR key`: adds 1.
pub fn incr(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key] = args else { return Value::wrong_arity("incr") };
    incr_by(ctx, key, 1)
}

/// `DECR key`: subtracts 1.
pub fn decr(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key] = args else { return Value::wrong_arity("decr") };
    incr_by(ctx, key, -1)
}

/// `INCRBY key increment`.
pub fn incrby(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, delta] = args else {
        return Value::wrong_arity("incrby");
    };
    match parse_i64(delta) {
        Some(delta) => incr_by(ctx, key, delta),
        None => Value::not_integer(),
    }
}

/// `DECRBY key decrement`. The smallest `i64` has no positive twin, so it cannot be negated.
pub fn decrby(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, delta] = args else {
        return Value::wrong_arity("decrby");
    };
    match parse_i64(delta) {
        Some(i64::MIN) => Value::error("ERR decrement would overflow"),
        Some(delta) => incr_by(ctx, key, -delta),
        None => Value::not_integer(),
    }
}

// ANCHOR: incrbyfloat
/// `INCRBYFLOAT key increment`: adds a float and replies with the result as Redis 7.0 prints it
/// (see [`format_incr_float`]). Logged as `SET` of that text, so a replay never re-rounds.
pub fn incrbyfloat(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, incr] = args else {
        return Value::wrong_arity("incrbyfloat");
    };
    // Redis checks the stored value before the increment.
    let current = match string_at(ctx.store.get(key, ctx.now)) {
        Ok(None) => 0.0,
        Ok(Some(s)) => match parse_f64(s) {
            Some(v) => v,
            None => return StoreError::NotFloat.into(),
        },
        Err(e) => return e,
    };
    let Some(incr) = parse_f64(incr) else {
        return StoreError::NotFloat.into();
    };
    let new = current + incr;
    if !new.is_finite() {
        return StoreError::NanOrInfinity.into();
    }
    let text = format_incr_float(new).into_bytes();
    store_counter(ctx, key, text.clone());
    Value::Bulk(text)
}
// ANCHOR_END: incrbyfloat

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

    #[test]
    fn expire_arguments() {
        let now = 1_000;
        assert_eq!(deadline_from(b"10", ExpireUnit::Ex, now, "set").ok(), Some(11_000));
        assert_eq!(deadline_from(b"10", ExpireUnit::Px, now, "set").ok(), Some(1_010));
        assert_eq!(deadline_from(b"10", ExpireUnit::ExAt, now, "set").ok(), Some(10_000));
        assert_eq!(deadline_from(b"1", ExpireUnit::PxAt, now, "set").ok(), Some(1));
        let invalid = Value::error("ERR invalid expire time in 'set' command");
        for (raw, unit) in [
            (&b"0"[..], ExpireUnit::Ex),
            (b"-1", ExpireUnit::Px),
            (b"9223372036854775", ExpireUnit::Ex),
            (b"9223372036854775807", ExpireUnit::Px),
            (b"9223372036854776", ExpireUnit::ExAt),
        ] {
            assert_eq!(
                deadline_from(raw, unit, now, "set").err(),
                Some(invalid.clone()),
                "{unit:?}"
            );
        }
        assert_eq!(
            deadline_from(b"1.5", ExpireUnit::Ex, now, "set").err(),
            Some(Value::not_integer())
        );
    }
}
