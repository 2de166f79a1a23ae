//! Set commands, and the cursor used by `SSCAN`, `HSCAN` and `ZSCAN`.
//!
//! Go original: `internal/commands/handlers/sets.go`. Explained in: book chapter 4.
//!
//! A set is a [`MemberSet`]: O(1) add, remove and membership, and O(1) random picks for `SPOP`
//! and `SRANDMEMBER`, which std's `HashSet` could not give (see `engine/store/set.rs`).

use std::collections::HashSet;

use super::parse_i64;
use super::scan::{parse_scan, scan_page, scan_reply};
use crate::commands::registry::{ALL_KEYS, KEY1, KeySpec, NO_KEYS, flags::*};
use crate::commands::{Context, Effect, ReadContext, Registry};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::{Bytes, Data, Db, MemberSet, StoreError};
use crate::protocol::resp::Value;

/// `SMOVE src dst member`: two keys.
const TWO_KEYS: KeySpec = (1, 2, 1);

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    r.write("sadd", sadd, -3, DENYOOM | FAST, KEY1);
    r.write("srem", srem, -3, FAST, KEY1);
    r.read("smembers", smembers, 2, 0, KEY1);
    r.read("sismember", sismember, 3, FAST, KEY1);
    r.read("smismember", smismember, -3, FAST, KEY1);
    r.read("scard", scard, 2, FAST, KEY1);
    r.read("sunion", sunion, -2, 0, ALL_KEYS);
    r.read("sinter", sinter, -2, 0, ALL_KEYS);
    r.read("sdiff", sdiff, -2, 0, ALL_KEYS);
    r.write("sunionstore", sunionstore, -3, DENYOOM, ALL_KEYS);
    r.write("sinterstore", sinterstore, -3, DENYOOM, ALL_KEYS);
    r.write("sdiffstore", sdiffstore, -3, DENYOOM, ALL_KEYS);
    r.read("sintercard", sintercard, -3, 0, NO_KEYS);
    r.write("spop", spop, -2, FAST, KEY1);
    r.read("srandmember", srandmember, -2, 0, KEY1);
    r.write("smove", smove, 4, FAST, TWO_KEYS);
    r.read("sscan", sscan, -3, 0, KEY1);
}

type Set = MemberSet;

/// The set at `key` for reading: `Ok(None)` if there is none, WRONGTYPE for another type.
fn set_ref<'s>(store: &'s Db, key: &[u8], now: u64) -> Result<Option<&'s Set>, Value> {
    match store.get(key, now) {
        None => Ok(None),
        Some(Data::Set(s)) => Ok(Some(s)),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

/// The set at `key` for writing: `Ok(None)` if there is none, WRONGTYPE for another type.
fn set_mut<'s>(store: &'s mut Db, key: &[u8], now: u64) -> Result<Option<&'s mut Set>, Value> {
    match store.get_mut(key, now) {
        None => Ok(None),
        Some(Data::Set(s)) => Ok(Some(s)),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

/// An effect made of a command name and the handler's arguments, unchanged.
pub(crate) fn effect_of(name: &[u8], args: &[Vec<u8>]) -> Effect {
    let mut e = Vec::with_capacity(args.len() + 1);
    e.push(name.to_vec());
    e.extend(args.iter().cloned());
    e
}

fn members_reply<'a>(members: impl Iterator<Item = &'a Bytes>) -> Value {
    Value::Set(members.map(|m| Value::Bulk(m.to_vec())).collect())
}

/// `SADD key member [member ...]`: how many were new.
pub fn sadd(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let created = ctx.creates(&args[0]);
    let set = match ctx
        .db
        .get_or_insert_with(&args[0], ctx.now, || Data::Set(Default::default()))
    {
        Data::Set(s) => s,
        _ => return StoreError::WrongType.into(),
    };
    let mut added = 0;
    for m in &args[1..] {
        if !set.contains(&m[..]) {
            set.insert(Bytes::from(&m[..]));
            added += 1;
        }
    }
    if added > 0 {
        ctx.log_with(|| effect_of(b"SADD", args));
    }
    if added > 0 {
        ctx.notify_added(created, Class::SET, "sadd", &args[0]);
    }
    Value::Integer(added)
}

/// `SREM key member [member ...]`: how many were removed.
pub fn srem(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let set = match set_mut(ctx.db, &args[0], ctx.now) {
        Ok(Some(s)) => s,
        Ok(None) => return Value::Integer(0),
        Err(e) => return e,
    };
    let removed = args[1..].iter().filter(|m| set.remove(&m[..])).count();
    if removed > 0 {
        let emptied = ctx.db.remove_if_empty(&args[0]);
        ctx.log_with(|| effect_of(b"SREM", args));
        ctx.notify_removed(emptied, Class::SET, "srem", &args[0]);
    }
    Value::Integer(removed as i64)
}

/// `SMEMBERS key`.
pub fn smembers(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match set_ref(ctx.db, &args[0], ctx.now) {
        Ok(Some(s)) => members_reply(s.iter()),
        Ok(None) => Value::Set(Vec::new()),
        Err(e) => e,
    }
}

/// `SISMEMBER key member`.
pub fn sismember(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match set_ref(ctx.db, &args[0], ctx.now) {
        Ok(s) => Value::Integer(s.is_some_and(|s| s.contains(&args[1][..])) as i64),
        Err(e) => e,
    }
}

/// `SMISMEMBER key member [member ...]`.
pub fn smismember(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match set_ref(ctx.db, &args[0], ctx.now) {
        Ok(s) => Value::Array(
            args[1..]
                .iter()
                .map(|m| Value::Integer(s.is_some_and(|s| s.contains(&m[..])) as i64))
                .collect(),
        ),
        Err(e) => e,
    }
}

/// `SCARD key`.
pub fn scard(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match set_ref(ctx.db, &args[0], ctx.now) {
        Ok(s) => Value::Integer(s.map_or(0, |s| s.len() as i64)),
        Err(e) => e,
    }
}

#[derive(Clone, Copy)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

// ANCHOR: set_op
/// Computes a union, intersection or difference of the sets at `keys` (missing keys are empty
/// sets). Every key is type-checked first, as Redis does. The intersection walks the smallest
/// set and probes the others.
fn compute<'s>(
    store: &'s Db,
    now: u64,
    keys: &[Vec<u8>],
    op: SetOp,
) -> Result<Vec<&'s Bytes>, Value> {
    let mut sets: Vec<Option<&Set>> = Vec::with_capacity(keys.len());
    for k in keys {
        sets.push(set_ref(store, k, now)?);
    }
    Ok(match op {
        SetOp::Union => {
            let mut seen: HashSet<&Bytes> = HashSet::new();
            for s in sets.iter().flatten() {
                seen.extend(s.iter());
            }
            seen.into_iter().collect()
        }
        SetOp::Inter => {
            if sets.iter().any(Option::is_none) {
                return Ok(Vec::new());
            }
            let mut all: Vec<&Set> = sets.into_iter().flatten().collect();
            all.sort_by_key(|s| s.len());
            let (smallest, rest) = all
                .split_first()
                .map_or((None, &[][..]), |(a, b)| (Some(*a), b));
            smallest
                .into_iter()
                .flat_map(|s| s.iter())
                .filter(|m| rest.iter().all(|o| o.contains(m)))
                .collect()
        }
        SetOp::Diff => {
            let Some(Some(first)) = sets.first() else {
                return Ok(Vec::new());
            };
            first
                .iter()
                .filter(|m| sets[1..].iter().flatten().all(|o| !o.contains(m)))
                .collect()
        }
    })
}
// ANCHOR_END: set_op

fn read_op(ctx: &mut ReadContext<'_>, args: &[Vec<u8>], op: SetOp) -> Value {
    match compute(ctx.db, ctx.now, args, op) {
        Ok(members) => members_reply(members.into_iter()),
        Err(e) => e,
    }
}

/// `SUNION key [key ...]`.
pub fn sunion(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    read_op(ctx, args, SetOp::Union)
}

/// `SINTER key [key ...]`.
pub fn sinter(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    read_op(ctx, args, SetOp::Inter)
}

/// `SDIFF key [key ...]`.
pub fn sdiff(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    read_op(ctx, args, SetOp::Diff)
}

// ANCHOR: store_op
/// `S*STORE destination key [key ...]`: stores the result (replacing `destination`, whatever
/// its type) and replies with its size. An empty result deletes `destination`. Logged as
/// `DEL destination` then `SADD destination members...`, which replays to the same set.
/// Notified as `event` (`sinterstore` ...), or `del` when an empty result deleted the key.
fn store_op(ctx: &mut Context<'_>, args: &[Vec<u8>], op: SetOp, event: &'static str) -> Value {
    let (dst, keys) = (&args[0], &args[1..]);
    if ctx.notifies(Class::KEY_MISS) {
        // Redis reads each source in turn, stopping at a wrong type, and tells of each miss.
        for key in keys {
            match set_ref(ctx.db, key, ctx.now) {
                Ok(None) => ctx.notify_miss(key),
                Ok(Some(_)) => {}
                Err(_) => break,
            }
        }
    }
    let result: Set = match compute(ctx.db, ctx.now, keys, op) {
        Ok(members) => members.into_iter().cloned().collect(),
        Err(e) => return e,
    };
    let len = result.len() as i64;
    let stored = (!result.is_empty()).then(|| {
        let mut effect: Effect = Vec::with_capacity(result.len() + 2);
        effect.push(b"SADD".to_vec());
        effect.push(dst.clone());
        effect.extend(result.iter().map(|m| m.to_vec()));
        (Data::from(result), effect)
    });
    ctx.store_result(dst, stored, Class::SET, event);
    Value::Integer(len)
}
// ANCHOR_END: store_op

/// `SUNIONSTORE destination key [key ...]`.
pub fn sunionstore(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    store_op(ctx, args, SetOp::Union, "sunionstore")
}

/// `SINTERSTORE destination key [key ...]`.
pub fn sinterstore(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    store_op(ctx, args, SetOp::Inter, "sinterstore")
}

/// `SDIFFSTORE destination key [key ...]`.
pub fn sdiffstore(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    store_op(ctx, args, SetOp::Diff, "sdiffstore")
}

/// The keys of a `numkeys key [key ...]` list, and the words after them.
type KeysAndRest<'a> = (&'a [Vec<u8>], &'a [Vec<u8>]);

/// Parses `numkeys key [key ...]` at the start of `args`; returns the keys and the rest.
pub(crate) fn parse_numkeys(args: &[Vec<u8>]) -> Result<KeysAndRest<'_>, Value> {
    let n = match parse_i64(&args[0]) {
        Some(n) if n > 0 => n as usize,
        _ => return Err(Value::error("ERR numkeys should be greater than 0")),
    };
    if n > args.len() - 1 {
        return Err(Value::error(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    Ok((&args[1..=n], &args[n + 1..]))
}

/// `SINTERCARD numkeys key [key ...] [LIMIT limit]`: the size of the intersection, counting
/// stops at `limit` (0: no limit).
pub fn sintercard(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let (keys, mut rest) = match parse_numkeys(args) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let mut limit = 0usize;
    while !rest.is_empty() {
        match rest {
            [word, n, tail @ ..] if word.eq_ignore_ascii_case(b"limit") => {
                match parse_i64(n) {
                    Some(n) if n >= 0 => limit = n as usize,
                    _ => return Value::error("ERR LIMIT can't be negative"),
                }
                rest = tail;
            }
            _ => return Value::syntax_error(),
        }
    }
    match compute(ctx.db, ctx.now, keys, SetOp::Inter) {
        Ok(m) if limit > 0 => Value::Integer(m.len().min(limit) as i64),
        Ok(m) => Value::Integer(m.len() as i64),
        Err(e) => e,
    }
}

/// Parses a non-negative count (`SPOP key count`).
fn parse_positive(arg: &[u8]) -> Result<usize, Value> {
    match parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n as usize),
        _ => Err(Value::error("ERR value is out of range, must be positive")),
    }
}

/// Parses a signed count for `SRANDMEMBER`/`HRANDFIELD`/`ZRANDMEMBER`, refusing magnitudes
/// that could not be answered (Redis 7.2 does the same; 7.0 tries and runs out of memory).
pub(crate) fn parse_rand_count(arg: &[u8]) -> Result<i64, Value> {
    match parse_i64(arg) {
        Some(n) if n.unsigned_abs() <= (i64::MAX / 2) as u64 => Ok(n),
        Some(_) => Err(Value::error("ERR value is out of range")),
        None => Err(Value::not_integer()),
    }
}

/// `count` distinct positions below `len`, ascending (for one pass over a hash set).
pub(crate) fn distinct_positions(len: usize, count: usize) -> Vec<usize> {
    let mut rng = rand::rng();
    let mut idx = rand::seq::index::sample(&mut rng, len, count.min(len)).into_vec();
    idx.sort_unstable();
    idx
}

/// Picks the members at `positions` (ascending) from an iterator, in one pass.
pub(crate) fn pick<T>(items: impl Iterator<Item = T>, positions: &[usize]) -> Vec<T> {
    let mut out = Vec::with_capacity(positions.len());
    let mut want = positions.iter().peekable();
    for (i, item) in items.enumerate() {
        match want.peek() {
            Some(&&p) if p == i => {
                out.push(item);
                want.next();
            }
            Some(_) => {}
            None => break,
        }
    }
    out
}

// ANCHOR: spop
/// `SPOP key [count]`: removes and returns random members. Logged as `SREM key <popped...>`,
/// so the log replays what happened, not a new roll of the dice (design invariant 5).
pub fn spop(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    if args.len() > 2 {
        return Value::syntax_error();
    }
    let count = match args.get(1).map(|a| parse_positive(a)) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => return e,
    };
    let key = &args[0];
    let set = match set_mut(ctx.db, key, ctx.now) {
        Ok(Some(s)) => s,
        Ok(None) if count.is_some() => return Value::Set(Vec::new()),
        Ok(None) => return Value::Null,
        Err(e) => return e,
    };
    // Each pop is O(1) (a random position, swap-remove), so `SPOP key n` costs O(n) whatever
    // the set's size; popping it whole just takes the members.
    let popped: Vec<Bytes> = if count.is_some_and(|n| n >= set.len()) {
        set.drain().collect()
    } else {
        let mut rng = rand::rng();
        (0..count.unwrap_or(1))
            .filter_map(|_| set.pop_random(&mut rng))
            .collect()
    };
    if !popped.is_empty() {
        let emptied = ctx.db.remove_if_empty(key);
        ctx.notify_removed(emptied, Class::SET, "spop", key);
        ctx.log_with(|| {
            let mut effect: Effect = Vec::with_capacity(popped.len() + 2);
            effect.push(b"SREM".to_vec());
            effect.push(key.clone());
            effect.extend(popped.iter().map(|m| m.to_vec()));
            effect
        });
    }
    match count {
        Some(_) => members_reply(popped.iter()),
        None => popped
            .into_iter()
            .next()
            .map_or(Value::Null, |m| Value::Bulk(m.into_vec())),
    }
}
// ANCHOR_END: spop

/// `SRANDMEMBER key [count]`: random members; a negative count may repeat them.
pub fn srandmember(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    if args.len() > 2 {
        return Value::syntax_error();
    }
    let count = match args.get(1).map(|a| parse_rand_count(a)) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => return e,
    };
    let set = match set_ref(ctx.db, &args[0], ctx.now) {
        Ok(Some(s)) => s,
        Ok(None) if count.is_some() => return Value::Array(Vec::new()),
        Ok(None) => return Value::Null,
        Err(e) => return e,
    };
    let bulk = |m: &Bytes| Value::Bulk(m.to_vec());
    let mut rng = rand::rng();
    match count {
        None => set.random(&mut rng).map_or(Value::Null, bulk),
        // Distinct members: distinct positions, each read directly.
        Some(n) if n >= 0 => {
            let positions =
                rand::seq::index::sample(&mut rng, set.len(), (n as usize).min(set.len()));
            Value::Array(
                positions
                    .iter()
                    .filter_map(|p| set.get(p))
                    .map(bulk)
                    .collect(),
            )
        }
        Some(n) => Value::Array(
            (0..n.unsigned_abs())
                .filter_map(|_| set.random(&mut rng))
                .map(bulk)
                .collect(),
        ),
    }
}

/// `SMOVE source destination member`.
pub fn smove(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let (src, dst, member) = (&args[0], &args[1], &args[2][..]);
    let present = match set_ref(ctx.db, src, ctx.now) {
        Ok(Some(s)) => s.contains(member),
        Ok(None) => return Value::Integer(0),
        Err(e) => return e,
    };
    if let Err(e) = set_ref(ctx.db, dst, ctx.now) {
        return e;
    }
    if !present {
        return Value::Integer(0);
    }
    if src == dst {
        return Value::Integer(1);
    }
    let created = ctx.creates(dst);
    if let Ok(Some(s)) = set_mut(ctx.db, src, ctx.now) {
        s.remove(member);
    }
    let emptied = ctx.db.remove_if_empty(src);
    ctx.notify_removed(emptied, Class::SET, "srem", src);
    let added = match ctx
        .db
        .get_or_insert_with(dst, ctx.now, || Data::Set(Default::default()))
    {
        Data::Set(d) => d.insert(member.into()),
        _ => false,
    };
    // A member `dst` already had is not news there (a new `dst` never has it): only the source
    // changed, so only it is logged, and a `WATCH` on `dst` holds, as in Redis.
    if added {
        ctx.log_with(|| effect_of(b"SMOVE", args));
        ctx.notify_added(created, Class::SET, "sadd", dst);
    } else {
        ctx.log(&[b"SREM", src, member]);
    }
    Value::Integer(1)
}

/// `SSCAN key cursor [MATCH pattern] [COUNT count]`.
pub fn sscan(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let scan = match parse_scan(&args[1..]) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let set = match set_ref(ctx.db, &args[0], ctx.now) {
        Ok(Some(s)) => s,
        Ok(None) => return scan_reply(0, Vec::new()),
        Err(e) => return e,
    };
    let (next, page) = scan_page(set.iter().map(|m| (&m[..], ())), set.len(), &scan);
    scan_reply(
        next,
        page.into_iter().map(|(m, _)| Value::bulk(m)).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_follow_positions() {
        assert_eq!(pick(10..20, &[0, 3, 9]), vec![10, 13, 19]);
        let p = distinct_positions(5, 10);
        assert_eq!(p, vec![0, 1, 2, 3, 4]);
    }
}
