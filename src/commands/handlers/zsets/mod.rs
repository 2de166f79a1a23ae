//! Sorted set commands.
//!
//! Go original: none (go-redis had no sorted sets). Explained in: book chapter 4.
//!
//! The structure lives in `engine/store/zset.rs`. Scores go out as [`Value::Double`]: a bulk
//! string printed like Redis's `%.17g` in RESP2, a `,` double in RESP3. Writes log what replays
//! exactly: `ZADD key <final score> member` (never a relative `INCR`), `ZREM key <members>` for
//! pops and range removals.
//!
//! This file holds the commands that address members one by one (`ZADD`, `ZSCORE`, `ZRANK`,
//! `ZREM`, ...) and the helpers the whole family shares. The rest are grouped by what they do:
//! `range.rs` (the `ZRANGE` family and the range removals), `pop.rs` (`ZPOPMIN`, `BZPOPMIN` and
//! the pop a later write performs for a parked client) and `combine.rs` (`ZUNIONSTORE`,
//! `ZINTERSTORE`).

use rand::Rng;

use super::hashes::parse_float;
use super::scan::{parse_scan, scan_page, scan_reply};
use super::sets::{distinct_positions, effect_of, parse_rand_count, pick};
use crate::commands::registry::{KEY1, KeySpec, NO_KEYS, flags::*};
use crate::commands::{Context, Effect, ReadContext, Registry};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::zset::{Inserted, LexBound, ScoreBound};
use crate::engine::store::{Bytes, Data, Db, StoreError, ZSet};
use crate::protocol::resp::{Protocol, Value, format_double};

mod combine;
mod pop;
mod range;

pub use combine::{zinter, zintercard, zinterstore, zunion, zunionstore};
pub use pop::{bzpopmax, bzpopmin, serve_blocked, zpopmax, zpopmin};
pub use range::{
    zrange, zrangebylex, zrangebyscore, zremrangebylex, zremrangebyrank, zremrangebyscore,
    zrevrange, zrevrangebylex, zrevrangebyscore,
};

/// `BZPOPMIN k1 k2 timeout`: every argument but the last is a key.
const ALL_BUT_LAST: KeySpec = (1, -2, 1);

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    r.write("zadd", zadd, -4, DENYOOM | FAST, KEY1);
    r.write("zincrby", zincrby, 4, DENYOOM | FAST, KEY1);
    r.read("zscore", zscore, 3, FAST, KEY1);
    r.read("zmscore", zmscore, -3, FAST, KEY1);
    r.read("zcard", zcard, 2, FAST, KEY1);
    r.read("zcount", zcount, 4, FAST, KEY1);
    r.read("zlexcount", zlexcount, 4, FAST, KEY1);
    r.read("zrank", zrank, 3, FAST, KEY1);
    r.read("zrevrank", zrevrank, 3, FAST, KEY1);
    r.write("zrem", zrem, -3, FAST, KEY1);
    r.read("zrange", zrange, -4, 0, KEY1);
    r.read("zrangebyscore", zrangebyscore, -4, 0, KEY1);
    r.read("zrevrangebyscore", zrevrangebyscore, -4, 0, KEY1);
    r.read("zrangebylex", zrangebylex, -4, 0, KEY1);
    r.read("zrevrangebylex", zrevrangebylex, -4, 0, KEY1);
    r.read("zrevrange", zrevrange, -4, 0, KEY1);
    r.write("zremrangebyrank", zremrangebyrank, 4, 0, KEY1);
    r.write("zremrangebyscore", zremrangebyscore, 4, 0, KEY1);
    r.write("zremrangebylex", zremrangebylex, 4, 0, KEY1);
    r.write("zpopmin", zpopmin, -2, FAST, KEY1);
    r.write("zpopmax", zpopmax, -2, FAST, KEY1);
    r.write("bzpopmin", bzpopmin, -3, FAST | BLOCKING, ALL_BUT_LAST);
    r.write("bzpopmax", bzpopmax, -3, FAST | BLOCKING, ALL_BUT_LAST);
    r.write("zunionstore", zunionstore, -4, DENYOOM, KEY1);
    r.write("zinterstore", zinterstore, -4, DENYOOM, KEY1);
    r.read("zunion", zunion, -3, 0, NO_KEYS);
    r.read("zinter", zinter, -3, 0, NO_KEYS);
    r.read("zintercard", zintercard, -3, 0, NO_KEYS);
    r.read("zrandmember", zrandmember, -2, 0, KEY1);
    r.read("zscan", zscan, -3, 0, KEY1);
}

fn zset_ref<'s>(store: &'s Db, key: &[u8], now: u64) -> Result<Option<&'s ZSet>, Value> {
    match store.get(key, now) {
        None => Ok(None),
        Some(Data::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

fn zset_mut<'s>(store: &'s mut Db, key: &[u8], now: u64) -> Result<Option<&'s mut ZSet>, Value> {
    match store.get_mut(key, now) {
        None => Ok(None),
        Some(Data::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

// ANCHOR: parse_score
/// Parses a score: a float, `inf`/`-inf` allowed, NaN refused.
///
/// # Errors
/// `ERR value is not a valid float`.
pub fn parse_score(arg: &[u8]) -> Result<f64, Value> {
    parse_float(arg).ok_or_else(|| StoreError::NotFloat.into())
}
// ANCHOR_END: parse_score

/// Parses a score range bound: `1.5`, `(1.5` (exclusive), `-inf`, `+inf`.
fn parse_score_bound(arg: &[u8]) -> Result<ScoreBound, Value> {
    let (exclusive, text) = match arg.first() {
        Some(b'(') => (true, &arg[1..]),
        _ => (false, arg),
    };
    parse_float(text)
        .map(|value| ScoreBound { value, exclusive })
        .ok_or(Value::error("ERR min or max is not a float"))
}

/// Parses a lex range bound: `-`, `+`, `[member`, `(member`.
fn parse_lex_bound(arg: &[u8]) -> Result<LexBound, Value> {
    match arg {
        b"-" => Ok(LexBound::Min),
        b"+" => Ok(LexBound::Max),
        [b'[', rest @ ..] => Ok(LexBound::Inclusive(rest.to_vec())),
        [b'(', rest @ ..] => Ok(LexBound::Exclusive(rest.to_vec())),
        _ => Err(Value::error("ERR min or max not valid string range item")),
    }
}

/// The `ZADD key score member ...` that rebuilds `z` at `key`: what a `*STORE` command that
/// made a sorted set logs. Scores in `%.17g`, so they read back as the very same doubles.
pub fn zadd_effect(key: &[u8], z: &ZSet) -> Effect {
    let mut effect: Effect = Vec::with_capacity(2 + 2 * z.len());
    effect.push(b"ZADD".to_vec());
    effect.push(key.to_vec());
    for (m, s) in z.iter() {
        effect.push(format_double(s).into_bytes());
        effect.push(m.to_vec());
    }
    effect
}

/// Members with scores as a reply: `[m, s, m, s]` in RESP2, `[[m, s], [m, s]]` in RESP3, as
/// Redis 7 answers `WITHSCORES`; members only without scores.
fn scored_reply(items: &[(&[u8], f64)], with_scores: bool, proto: Protocol) -> Value {
    let mut out = Vec::with_capacity(items.len() * if with_scores { 2 } else { 1 });
    for (m, s) in items {
        match (with_scores, proto) {
            (false, _) => out.push(Value::bulk(m)),
            (true, Protocol::Resp3) => {
                out.push(Value::Array(vec![Value::bulk(m), Value::Double(*s)]))
            }
            (true, Protocol::Resp2) => {
                out.push(Value::bulk(m));
                out.push(Value::Double(*s));
            }
        }
    }
    Value::Array(out)
}

/// `ZADD` flags.
#[derive(Default)]
struct ZaddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

// ANCHOR: zadd
/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`: how many members were
/// added (with `CH`: added or changed), or with `INCR` the new score (nil if a flag refused it).
/// Every score is parsed before anything changes.
pub fn zadd(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let mut f = ZaddFlags::default();
    let mut i = 1;
    // Flags come first; the first word that is not one starts the score/member pairs.
    while let Some(word) = args.get(i) {
        let flag = match word.as_slice() {
            w if w.eq_ignore_ascii_case(b"nx") => &mut f.nx,
            w if w.eq_ignore_ascii_case(b"xx") => &mut f.xx,
            w if w.eq_ignore_ascii_case(b"gt") => &mut f.gt,
            w if w.eq_ignore_ascii_case(b"lt") => &mut f.lt,
            w if w.eq_ignore_ascii_case(b"ch") => &mut f.ch,
            w if w.eq_ignore_ascii_case(b"incr") => &mut f.incr,
            _ => break,
        };
        *flag = true;
        i += 1;
    }
    let pairs = &args[i..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Value::syntax_error();
    }
    if f.nx && f.xx {
        return Value::error("ERR XX and NX options at the same time are not compatible");
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Value::error("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if f.incr && pairs.len() > 2 {
        return Value::error("ERR INCR option supports a single increment-element pair");
    }
    let mut scores = Vec::with_capacity(pairs.len() / 2);
    for p in pairs.chunks_exact(2) {
        match parse_score(&p[0]) {
            Ok(s) => scores.push(s),
            Err(e) => return e,
        }
    }
    let key = &args[0];
    let created = match zset_ref(ctx.db, key, ctx.now) {
        Err(e) => return e,
        Ok(None) if f.xx => {
            return if f.incr {
                Value::Null
            } else {
                Value::Integer(0)
            };
        }
        Ok(found) => found.is_none(),
    };
    // What changed, as (pair, new score): the effect is built from it only if someone wants it.
    // The first change is kept apart so that the common one-member ZADD allocates nothing for it.
    let mut first: Option<(usize, f64)> = None;
    let mut more: Vec<(usize, f64)> = Vec::new();
    let Data::ZSet(z) = ctx
        .db
        .get_or_insert_with(key, ctx.now, || Data::ZSet(Default::default()))
    else {
        return StoreError::WrongType.into();
    };
    let (mut added, mut changed) = (0, 0);
    let mut incr_result = None;
    let mut nan = false;
    for (i, (p, &score)) in pairs.chunks_exact(2).zip(&scores).enumerate() {
        let member = &p[1][..];
        let old = z.score(member);
        if (old.is_some() && f.nx) || (old.is_none() && f.xx) {
            continue;
        }
        let new = match (f.incr, old) {
            (true, Some(o)) => o + score,
            _ => score,
        };
        if new.is_nan() {
            nan = true;
            break;
        }
        if let Some(o) = old
            && ((f.gt && new <= o) || (f.lt && new >= o))
        {
            continue;
        }
        match z.insert(member, new) {
            Inserted::Added => added += 1,
            Inserted::Updated => changed += 1,
            Inserted::Unchanged => {}
        }
        incr_result = Some(new);
        if old != Some(new) {
            match first {
                None => first = Some((i, new)),
                Some(_) => more.push((i, new)),
            }
        }
    }
    let emptied = ctx.db.remove_if_empty(key);
    if created && !emptied {
        ctx.notify_new(key);
    }
    if added + changed > 0 {
        ctx.notify(Class::ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    if first.is_some() {
        ctx.log_with(|| {
            let mut effect: Effect = Vec::with_capacity(4 + 2 * more.len());
            effect.push(b"ZADD".to_vec());
            effect.push(key.clone());
            for (i, score) in first.into_iter().chain(more) {
                effect.push(format_double(score).into_bytes());
                effect.push(pairs[2 * i + 1].clone());
            }
            effect
        });
    }
    if nan {
        return Value::error("ERR resulting score is not a number (NaN)");
    }
    if f.incr {
        return incr_result.map_or(Value::Null, Value::Double);
    }
    Value::Integer(if f.ch { added + changed } else { added })
}
// ANCHOR_END: zadd

/// `ZINCRBY key increment member`: the new score. Logged as `ZADD key <new> member`.
pub fn zincrby(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let by = match parse_score(&args[1]) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let key = &args[0];
    let created = match zset_ref(ctx.db, key, ctx.now) {
        Ok(found) => found.is_none(),
        Err(e) => return e,
    };
    let Data::ZSet(z) = ctx
        .db
        .get_or_insert_with(key, ctx.now, || Data::ZSet(Default::default()))
    else {
        return StoreError::WrongType.into();
    };
    let new = z.score(&args[2]).unwrap_or(0.0) + by;
    if new.is_nan() {
        ctx.db.remove_if_empty(key);
        return Value::error("ERR resulting score is not a number (NaN)");
    }
    let inserted = z.insert(&args[2], new);
    ctx.log(&[b"ZADD", key, format_double(new).as_bytes(), &args[2]]);
    if created {
        ctx.notify_new(key);
    }
    // An increment of 0 changes nothing, and Redis tells of nothing.
    if !matches!(inserted, Inserted::Unchanged) {
        ctx.notify(Class::ZSET, "zincr", key);
    }
    Value::Double(new)
}

/// `ZSCORE key member`.
pub fn zscore(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match zset_ref(ctx.db, &args[0], ctx.now) {
        Ok(z) => z
            .and_then(|z| z.score(&args[1]))
            .map_or(Value::Null, Value::Double),
        Err(e) => e,
    }
}

/// `ZMSCORE key member [member ...]`.
pub fn zmscore(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match zset_ref(ctx.db, &args[0], ctx.now) {
        Ok(z) => Value::Array(
            args[1..]
                .iter()
                .map(|m| {
                    z.and_then(|z| z.score(m))
                        .map_or(Value::Null, Value::Double)
                })
                .collect(),
        ),
        Err(e) => e,
    }
}

/// `ZCARD key`.
pub fn zcard(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match zset_ref(ctx.db, &args[0], ctx.now) {
        Ok(z) => Value::Integer(z.map_or(0, |z| z.len() as i64)),
        Err(e) => e,
    }
}

/// `ZCOUNT key min max`: O(log n + matches).
pub fn zcount(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let (min, max) = match (parse_score_bound(&args[1]), parse_score_bound(&args[2])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    match zset_ref(ctx.db, &args[0], ctx.now) {
        Ok(z) => Value::Integer(z.map_or(0, |z| z.count_by_score(min, max) as i64)),
        Err(e) => e,
    }
}

/// `ZLEXCOUNT key min max`.
pub fn zlexcount(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let (min, max) = match (parse_lex_bound(&args[1]), parse_lex_bound(&args[2])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    match zset_ref(ctx.db, &args[0], ctx.now) {
        Ok(z) => Value::Integer(z.map_or(0, |z| z.count_by_lex(&min, &max) as i64)),
        Err(e) => e,
    }
}

fn rank(ctx: &mut ReadContext<'_>, args: &[Vec<u8>], rev: bool) -> Value {
    if args.len() > 2 {
        return Value::syntax_error();
    }
    match zset_ref(ctx.db, &args[0], ctx.now) {
        Ok(Some(z)) => match z.rank(&args[1]) {
            Some(r) if rev => Value::Integer((z.len() - 1 - r) as i64),
            Some(r) => Value::Integer(r as i64),
            None => Value::Null,
        },
        Ok(None) => Value::Null,
        Err(e) => e,
    }
}

/// `ZRANK key member`.
pub fn zrank(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    rank(ctx, args, false)
}

/// `ZREVRANK key member`.
pub fn zrevrank(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    rank(ctx, args, true)
}

/// Logs `ZREM key <members>` for members just removed, and drops the key if it emptied;
/// notified as `event`.
fn log_removed(
    ctx: &mut Context<'_>,
    key: &[u8],
    removed: Vec<Bytes>,
    event: &'static str,
) -> Value {
    let n = removed.len() as i64;
    if n > 0 {
        let emptied = ctx.db.remove_if_empty(key);
        ctx.notify_removed(emptied, Class::ZSET, event, key);
        let mut e: Effect = Vec::with_capacity(removed.len() + 2);
        e.push(b"ZREM".to_vec());
        e.push(key.to_vec());
        e.extend(removed.into_iter().map(|m| m.into_vec()));
        ctx.log_with(|| e);
    }
    Value::Integer(n)
}

/// `ZREM key member [member ...]`.
pub fn zrem(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let z = match zset_mut(ctx.db, &args[0], ctx.now) {
        Ok(Some(z)) => z,
        Ok(None) => return Value::Integer(0),
        Err(e) => return e,
    };
    let n = args[1..].iter().filter(|m| z.remove(m).is_some()).count();
    if n > 0 {
        let emptied = ctx.db.remove_if_empty(&args[0]);
        ctx.log_with(|| effect_of(b"ZREM", args));
        ctx.notify_removed(emptied, Class::ZSET, "zrem", &args[0]);
    }
    Value::Integer(n as i64)
}

/// `ZRANDMEMBER key [count [WITHSCORES]]`.
pub fn zrandmember(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let with_scores = match args.get(2) {
        None => false,
        Some(w) if w.eq_ignore_ascii_case(b"withscores") && args.len() == 3 => true,
        Some(_) => return Value::syntax_error(),
    };
    let count = match args.get(1).map(|a| parse_rand_count(a)) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => return e,
    };
    let z = match zset_ref(ctx.db, &args[0], ctx.now) {
        Ok(Some(z)) => z,
        Ok(None) if count.is_some() => return Value::Array(Vec::new()),
        Ok(None) => return Value::Null,
        Err(e) => return e,
    };
    let Some(n) = count else {
        let one = pick(z.iter(), &distinct_positions(z.len(), 1));
        return one.first().map_or(Value::Null, |(m, _)| Value::bulk(m));
    };
    let chosen: Vec<(&[u8], f64)> = if n >= 0 {
        pick(z.iter(), &distinct_positions(z.len(), n as usize))
    } else {
        let all: Vec<(&[u8], f64)> = z.iter().collect();
        let mut rng = rand::rng();
        (0..n.unsigned_abs())
            .map(|_| all[rng.random_range(0..all.len())])
            .collect()
    };
    scored_reply(&chosen, with_scores, ctx.client.protocol)
}

/// `ZSCAN key cursor [MATCH pattern] [COUNT count]`: member, score, member, score...
pub fn zscan(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let scan = match parse_scan(&args[1..]) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let z = match zset_ref(ctx.db, &args[0], ctx.now) {
        Ok(Some(z)) => z,
        Ok(None) => return scan_reply(0, Vec::new()),
        Err(e) => return e,
    };
    let (next, page) = scan_page(z.iter(), z.len(), &scan);
    let mut out = Vec::with_capacity(page.len() * 2);
    for (m, s) in page {
        out.push(Value::bulk(m));
        out.push(Value::bulk(format_double(s)));
    }
    scan_reply(next, out)
}
