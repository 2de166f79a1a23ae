//! Hash commands.
//!
//! Go original: none (hashes were planned in go-redis). Explained in: book chapter 4.
//!
//! A hash is a `HashMap<Bytes, Bytes>`. `HGETALL` replies with a protocol-neutral `Map`: a RESP3
//! client gets a real map (`%`), a RESP2 one the flat field, value, field, value array.

use std::collections::HashMap;

use rand::Rng;

use super::parse_i64;
use super::scan::{parse_scan, scan_page, scan_reply};
use super::sets::{distinct_positions, effect_of, parse_rand_count, pick};
use crate::commands::registry::{KEY1, flags::*};
use crate::commands::{Context, ReadContext, Registry};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::{Bytes, Data, Db, StoreError};
use crate::protocol::resp::{Protocol, Value};

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    // Go parity: go-redis planned hashes and never built them; these follow Redis 7.
    r.write("hset", hset, -4, DENYOOM | FAST, KEY1);
    r.write("hmset", hmset, -4, DENYOOM | FAST, KEY1);
    r.write("hsetnx", hsetnx, 4, DENYOOM | FAST, KEY1);
    r.read("hget", hget, 3, FAST, KEY1);
    r.read("hmget", hmget, -3, FAST, KEY1);
    r.write("hdel", hdel, -3, FAST, KEY1);
    r.read("hexists", hexists, 3, FAST, KEY1);
    r.read("hlen", hlen, 2, FAST, KEY1);
    r.read("hkeys", hkeys, 2, 0, KEY1);
    r.read("hvals", hvals, 2, 0, KEY1);
    r.read("hgetall", hgetall, 2, 0, KEY1);
    r.write("hincrby", hincrby, 4, DENYOOM | FAST, KEY1);
    r.write("hincrbyfloat", hincrbyfloat, 4, DENYOOM | FAST, KEY1);
    r.read("hstrlen", hstrlen, 3, FAST, KEY1);
    r.read("hrandfield", hrandfield, -2, 0, KEY1);
    r.read("hscan", hscan, -3, 0, KEY1);
}

type Hash = HashMap<Bytes, Bytes>;

fn hash_ref<'s>(store: &'s Db, key: &[u8], now: u64) -> Result<Option<&'s Hash>, Value> {
    match store.get(key, now) {
        None => Ok(None),
        Some(Data::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

fn hash_mut<'s>(store: &'s mut Db, key: &[u8], now: u64) -> Result<Option<&'s mut Hash>, Value> {
    match store.get_mut(key, now) {
        None => Ok(None),
        Some(Data::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

/// The hash at `key`, created empty if missing.
fn hash_or_new<'s>(store: &'s mut Db, key: &[u8], now: u64) -> Result<&'s mut Hash, Value> {
    match store.get_or_insert_with(key, now, || Data::Hash(Default::default())) {
        Data::Hash(h) => Ok(h),
        _ => Err(StoreError::WrongType.into()),
    }
}

/// Sets every field/value pair of `args[1..]`; returns how many fields were new.
fn set_pairs(ctx: &mut Context<'_>, args: &[Vec<u8>], name: &str) -> Result<i64, Value> {
    if args.len().is_multiple_of(2) {
        return Err(Value::wrong_arity(name));
    }
    let created = ctx.creates(&args[0]);
    let hash = hash_or_new(ctx.db, &args[0], ctx.now)?;
    let mut added = 0;
    for pair in args[1..].chunks_exact(2) {
        match hash.get_mut(&pair[0][..]) {
            Some(v) => *v = Bytes::from(&pair[1][..]),
            None => {
                hash.insert(Bytes::from(&pair[0][..]), Bytes::from(&pair[1][..]));
                added += 1;
            }
        }
    }
    ctx.log_with(|| effect_of(b"HSET", args));
    ctx.notify_added(created, Class::HASH, "hset", &args[0]);
    Ok(added)
}

// ANCHOR: hset
/// `HSET key field value [field value ...]`: how many fields were new.
pub fn hset(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    set_pairs(ctx, args, "hset").map_or_else(|e| e, Value::Integer)
}
// ANCHOR_END: hset

/// `HMSET key field value [field value ...]`: `HSET` answering `OK`.
pub fn hmset(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    set_pairs(ctx, args, "hmset").map_or_else(|e| e, |_| Value::OK)
}

/// `HSETNX key field value`: sets the field only if it is new.
pub fn hsetnx(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let created = ctx.creates(&args[0]);
    let hash = match hash_or_new(ctx.db, &args[0], ctx.now) {
        Ok(h) => h,
        Err(e) => return e,
    };
    if hash.contains_key(&args[1][..]) {
        return Value::Integer(0);
    }
    hash.insert(Bytes::from(&args[1][..]), Bytes::from(&args[2][..]));
    ctx.log_with(|| effect_of(b"HSET", args));
    ctx.notify_added(created, Class::HASH, "hset", &args[0]);
    Value::Integer(1)
}

/// `HGET key field`.
pub fn hget(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match hash_ref(ctx.db, &args[0], ctx.now) {
        Ok(h) => h
            .and_then(|h| h.get(&args[1][..]))
            .map_or(Value::Null, |v| Value::Bulk(v.to_vec())),
        Err(e) => e,
    }
}

/// `HMGET key field [field ...]`.
pub fn hmget(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match hash_ref(ctx.db, &args[0], ctx.now) {
        Ok(h) => Value::Array(
            args[1..]
                .iter()
                .map(|f| {
                    h.and_then(|h| h.get(&f[..]))
                        .map_or(Value::Null, |v| Value::Bulk(v.to_vec()))
                })
                .collect(),
        ),
        Err(e) => e,
    }
}

/// `HDEL key field [field ...]`: how many were removed.
pub fn hdel(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let hash = match hash_mut(ctx.db, &args[0], ctx.now) {
        Ok(Some(h)) => h,
        Ok(None) => return Value::Integer(0),
        Err(e) => return e,
    };
    let removed = args[1..]
        .iter()
        .filter(|f| hash.remove(&f[..]).is_some())
        .count();
    if removed > 0 {
        let emptied = ctx.db.remove_if_empty(&args[0]);
        ctx.log_with(|| effect_of(b"HDEL", args));
        ctx.notify_removed(emptied, Class::HASH, "hdel", &args[0]);
    }
    Value::Integer(removed as i64)
}

/// `HEXISTS key field`.
pub fn hexists(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match hash_ref(ctx.db, &args[0], ctx.now) {
        Ok(h) => Value::Integer(h.is_some_and(|h| h.contains_key(&args[1][..])) as i64),
        Err(e) => e,
    }
}

/// `HLEN key`.
pub fn hlen(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match hash_ref(ctx.db, &args[0], ctx.now) {
        Ok(h) => Value::Integer(h.map_or(0, |h| h.len() as i64)),
        Err(e) => e,
    }
}

/// `HKEYS key`.
pub fn hkeys(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match hash_ref(ctx.db, &args[0], ctx.now) {
        Ok(h) => Value::Array(
            h.into_iter()
                .flatten()
                .map(|(f, _)| Value::bulk(f))
                .collect(),
        ),
        Err(e) => e,
    }
}

/// `HVALS key`.
pub fn hvals(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match hash_ref(ctx.db, &args[0], ctx.now) {
        Ok(h) => Value::Array(
            h.into_iter()
                .flatten()
                .map(|(_, v)| Value::bulk(v))
                .collect(),
        ),
        Err(e) => e,
    }
}

// ANCHOR: hgetall
/// `HGETALL key`: a map of every field to its value (a flat array in RESP2).
pub fn hgetall(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match hash_ref(ctx.db, &args[0], ctx.now) {
        Ok(h) => Value::Map(
            h.into_iter()
                .flatten()
                .map(|(f, v)| (Value::bulk(f), Value::bulk(v)))
                .collect(),
        ),
        Err(e) => e,
    }
}
// ANCHOR_END: hgetall

// ANCHOR: hincrby
/// `HINCRBY key field increment`: logged as `HSET key field <new>`, so replay cannot add twice.
pub fn hincrby(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let Some(by) = parse_i64(&args[2]) else {
        return Value::not_integer();
    };
    let created = ctx.creates(&args[0]);
    let hash = match hash_or_new(ctx.db, &args[0], ctx.now) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let current = match hash.get(&args[1][..]) {
        None => 0,
        Some(v) => match parse_i64(v) {
            Some(n) => n,
            None => {
                ctx.db.remove_if_empty(&args[0]);
                return Value::error("ERR hash value is not an integer");
            }
        },
    };
    let Some(new) = current.checked_add(by) else {
        ctx.db.remove_if_empty(&args[0]);
        return StoreError::Overflow.into();
    };
    let text = new.to_string().into_bytes();
    hash.insert(Bytes::from(&args[1][..]), Bytes::from(&text[..]));
    ctx.log(&[b"HSET", &args[0], &args[1], &text]);
    ctx.notify_added(created, Class::HASH, "hincrby", &args[0]);
    Value::Integer(new)
}
// ANCHOR_END: hincrby

/// Parses a float argument as Redis does (`strtod`, no leading space, no NaN).
pub(crate) fn parse_float(arg: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(arg).ok()?;
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| !f.is_nan())
}

/// Formats an incremented float: integers without a fraction, others as the shortest text that
/// reads back as the same double.
///
/// Go parity: none. Redis adds in `long double` and prints 17 digits of that, so where the
/// double sum is inexact (`0.1 + 0.2`) it prints `0.3` and we print `0.30000000000000004`; for
/// the common cases (`10.5 + 0.1` → `10.6`) the two agree.
fn format_incr_float(f: f64) -> String {
    if f == f.trunc() && f.abs() < 1e17 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// `HINCRBYFLOAT key field increment`: logged as `HSET key field <new>`.
pub fn hincrbyfloat(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let Some(by) = parse_float(&args[2]) else {
        return StoreError::NotFloat.into();
    };
    if by.is_infinite() {
        return Value::error("ERR value is NaN or Infinity");
    }
    let created = ctx.creates(&args[0]);
    let hash = match hash_or_new(ctx.db, &args[0], ctx.now) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let current = match hash.get(&args[1][..]) {
        None => 0.0,
        Some(v) => match parse_float(v) {
            Some(n) => n,
            None => {
                ctx.db.remove_if_empty(&args[0]);
                return Value::error("ERR hash value is not a float");
            }
        },
    };
    let new = current + by;
    if !new.is_finite() {
        ctx.db.remove_if_empty(&args[0]);
        return StoreError::NanOrInfinity.into();
    }
    let text = format_incr_float(new).into_bytes();
    hash.insert(Bytes::from(&args[1][..]), Bytes::from(&text[..]));
    ctx.log(&[b"HSET", &args[0], &args[1], &text]);
    ctx.notify_added(created, Class::HASH, "hincrbyfloat", &args[0]);
    Value::Bulk(text)
}

/// `HSTRLEN key field`.
pub fn hstrlen(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match hash_ref(ctx.db, &args[0], ctx.now) {
        Ok(h) => Value::Integer(
            h.and_then(|h| h.get(&args[1][..]))
                .map_or(0, |v| v.len() as i64),
        ),
        Err(e) => e,
    }
}

/// `HRANDFIELD key [count [WITHVALUES]]`: random fields; a negative count may repeat them.
pub fn hrandfield(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let with_values = match args.get(2) {
        None => false,
        Some(w) if w.eq_ignore_ascii_case(b"withvalues") && args.len() == 3 => true,
        Some(_) => return Value::syntax_error(),
    };
    let count = match args.get(1).map(|a| parse_rand_count(a)) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => return e,
    };
    let hash = match hash_ref(ctx.db, &args[0], ctx.now) {
        Ok(Some(h)) => h,
        Ok(None) if count.is_some() => return Value::Array(Vec::new()),
        Ok(None) => return Value::Null,
        Err(e) => return e,
    };
    let Some(n) = count else {
        let one = pick(hash.keys(), &distinct_positions(hash.len(), 1));
        return one.first().map_or(Value::Null, Value::bulk);
    };
    let chosen: Vec<(&Bytes, &Bytes)> = if n >= 0 {
        pick(hash.iter(), &distinct_positions(hash.len(), n as usize))
    } else {
        let all: Vec<(&Bytes, &Bytes)> = hash.iter().collect();
        let mut rng = rand::rng();
        (0..n.unsigned_abs())
            .map(|_| all[rng.random_range(0..all.len())])
            .collect()
    };
    let resp3 = ctx.client.protocol == Protocol::Resp3;
    let mut out = Vec::with_capacity(chosen.len() * (1 + with_values as usize));
    for (f, v) in chosen {
        match (with_values, resp3) {
            (false, _) => out.push(Value::bulk(f)),
            // RESP3 pairs each field with its value; RESP2 flattens them.
            (true, true) => out.push(Value::Array(vec![Value::bulk(f), Value::bulk(v)])),
            (true, false) => {
                out.push(Value::bulk(f));
                out.push(Value::bulk(v));
            }
        }
    }
    Value::Array(out)
}

/// `HSCAN key cursor [MATCH pattern] [COUNT count]`: field, value, field, value...
pub fn hscan(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let scan = match parse_scan(&args[1..]) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let hash = match hash_ref(ctx.db, &args[0], ctx.now) {
        Ok(Some(h)) => h,
        Ok(None) => return scan_reply(0, Vec::new()),
        Err(e) => return e,
    };
    let (next, page) = scan_page(hash.iter().map(|(f, v)| (&f[..], v)), hash.len(), &scan);
    let mut out = Vec::with_capacity(page.len() * 2);
    for (f, v) in page {
        out.push(Value::bulk(f));
        out.push(Value::bulk(v));
    }
    scan_reply(next, out)
}
