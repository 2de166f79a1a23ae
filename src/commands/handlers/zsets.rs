//! Sorted set commands.
//!
//! Go original: none (go-redis had no sorted sets). Explained in: book chapter 4.
//!
//! The structure lives in `engine/store/zset.rs`. Scores go out as [`Value::Double`]: a bulk
//! string printed like Redis's `%.17g` in RESP2, a `,` double in RESP3. Writes log what replays
//! exactly: `ZADD key <final score> member` (never a relative `INCR`), `ZREM key <members>` for
//! pops and range removals.

use rand::Rng;

use super::hashes::parse_float;
use super::parse_i64;
use super::sets::{distinct_positions, effect_of, parse_rand_count, parse_scan, pick, scan_page, scan_reply};
use crate::commands::blocking::parse_timeout;
use crate::commands::registry::{KEY1, KeySpec, flags::*};
use crate::commands::{BlockOn, Context, Effect, Effects, ReadContext, Registry};
use crate::engine::store::zset::{Inserted, LexBound, ScoreBound};
use crate::engine::store::{Bytes, Data, Store, StoreError, ZSet};
use crate::protocol::resp::{Protocol, Value, format_double};

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
    r.write("zpopmin", zpopmin, -2, FAST, KEY1);
    r.write("zpopmax", zpopmax, -2, FAST, KEY1);
    r.write("bzpopmin", bzpopmin, -3, FAST | BLOCKING, ALL_BUT_LAST);
    r.write("bzpopmax", bzpopmax, -3, FAST | BLOCKING, ALL_BUT_LAST);
    r.write("zunionstore", zunionstore, -4, DENYOOM, KEY1);
    r.write("zinterstore", zinterstore, -4, DENYOOM, KEY1);
    r.read("zrandmember", zrandmember, -2, 0, KEY1);
    r.read("zscan", zscan, -3, 0, KEY1);
}

fn zset_ref<'s>(store: &'s Store, key: &[u8], now: u64) -> Result<Option<&'s ZSet>, Value> {
    match store.get(key, now) {
        None => Ok(None),
        Some(Data::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

fn zset_mut<'s>(store: &'s mut Store, key: &[u8], now: u64) -> Result<Option<&'s mut ZSet>, Value> {
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

/// Members with scores as a reply: `[m, s, m, s]` in RESP2, `[[m, s], [m, s]]` in RESP3, as
/// Redis 7 answers `WITHSCORES`; members only without scores.
fn scored_reply(items: &[(&[u8], f64)], with_scores: bool, proto: Protocol) -> Value {
    let mut out = Vec::with_capacity(items.len() * if with_scores { 2 } else { 1 });
    for (m, s) in items {
        match (with_scores, proto) {
            (false, _) => out.push(Value::bulk(m)),
            (true, Protocol::Resp3) => out.push(Value::Array(vec![Value::bulk(m), Value::Double(*s)])),
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
    match zset_ref(ctx.store, key, ctx.now) {
        Err(e) => return e,
        Ok(None) if f.xx => return if f.incr { Value::Null } else { Value::Integer(0) },
        _ => {}
    }
    // What changed, as (pair, new score): the effect is built from it only if someone wants it.
    let mut changes: Vec<(usize, f64)> = Vec::new();
    let Data::ZSet(z) = ctx
        .store
        .get_or_insert_with(key, ctx.now, || Data::ZSet(Box::default()))
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
            changes.push((i, new));
        }
    }
    ctx.store.remove_if_empty(key);
    if !changes.is_empty() {
        ctx.log_with(|| {
            let mut effect: Effect = Vec::with_capacity(2 + 2 * changes.len());
            effect.push(b"ZADD".to_vec());
            effect.push(key.clone());
            for (i, score) in changes {
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
    if let Err(e) = zset_ref(ctx.store, key, ctx.now) {
        return e;
    }
    let Data::ZSet(z) = ctx
        .store
        .get_or_insert_with(key, ctx.now, || Data::ZSet(Box::default()))
    else {
        return StoreError::WrongType.into();
    };
    let new = z.score(&args[2]).unwrap_or(0.0) + by;
    if new.is_nan() {
        ctx.store.remove_if_empty(key);
        return Value::error("ERR resulting score is not a number (NaN)");
    }
    z.insert(&args[2], new);
    ctx.log(&[b"ZADD", key, format_double(new).as_bytes(), &args[2]]);
    Value::Double(new)
}

/// `ZSCORE key member`.
pub fn zscore(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match zset_ref(ctx.store, &args[0], ctx.now) {
        Ok(z) => z.and_then(|z| z.score(&args[1])).map_or(Value::Null, Value::Double),
        Err(e) => e,
    }
}

/// `ZMSCORE key member [member ...]`.
pub fn zmscore(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match zset_ref(ctx.store, &args[0], ctx.now) {
        Ok(z) => Value::Array(
            args[1..]
                .iter()
                .map(|m| z.and_then(|z| z.score(m)).map_or(Value::Null, Value::Double))
                .collect(),
        ),
        Err(e) => e,
    }
}

/// `ZCARD key`.
pub fn zcard(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match zset_ref(ctx.store, &args[0], ctx.now) {
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
    match zset_ref(ctx.store, &args[0], ctx.now) {
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
    match zset_ref(ctx.store, &args[0], ctx.now) {
        Ok(z) => Value::Integer(z.map_or(0, |z| z.count_by_lex(&min, &max) as i64)),
        Err(e) => e,
    }
}

fn rank(ctx: &mut ReadContext<'_>, args: &[Vec<u8>], rev: bool) -> Value {
    if args.len() > 2 {
        return Value::syntax_error();
    }
    match zset_ref(ctx.store, &args[0], ctx.now) {
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

/// Logs `ZREM key <members>` for members just removed, and drops the key if it emptied.
fn log_removed(ctx: &mut Context<'_>, key: &[u8], removed: Vec<Bytes>) -> Value {
    let n = removed.len() as i64;
    if n > 0 {
        ctx.store.remove_if_empty(key);
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
    let z = match zset_mut(ctx.store, &args[0], ctx.now) {
        Ok(Some(z)) => z,
        Ok(None) => return Value::Integer(0),
        Err(e) => return e,
    };
    let n = args[1..].iter().filter(|m| z.remove(m).is_some()).count();
    if n > 0 {
        ctx.store.remove_if_empty(&args[0]);
        ctx.log_with(|| effect_of(b"ZREM", args));
    }
    Value::Integer(n as i64)
}

/// How a range is addressed.
#[derive(Clone, Copy, PartialEq)]
enum By {
    Rank,
    Score,
    Lex,
}

// ANCHOR: zrange
/// The one range engine behind `ZRANGE` and its older spellings: `start`/`stop` are ranks,
/// scores or lex bounds by `by`; with `rev` they are given high end first, as Redis wants.
#[allow(clippy::too_many_arguments)]
fn range_generic(
    ctx: &mut ReadContext<'_>,
    key: &[u8],
    start: &[u8],
    stop: &[u8],
    by: By,
    rev: bool,
    limit: Option<(i64, i64)>,
    with_scores: bool,
) -> Value {
    let proto = ctx.client.protocol;
    // Parse before looking at the key: a bad range is an error even on a missing key.
    enum Parsed {
        Rank(i64, i64),
        Score(ScoreBound, ScoreBound),
        Lex(LexBound, LexBound),
    }
    let parsed = match by {
        By::Rank => match (parse_i64(start), parse_i64(stop)) {
            (Some(a), Some(b)) => Parsed::Rank(a, b),
            _ => return Value::not_integer(),
        },
        By::Score => match (parse_score_bound(start), parse_score_bound(stop)) {
            (Ok(a), Ok(b)) => Parsed::Score(a, b),
            (Err(e), _) | (_, Err(e)) => return e,
        },
        By::Lex => match (parse_lex_bound(start), parse_lex_bound(stop)) {
            (Ok(a), Ok(b)) => Parsed::Lex(a, b),
            (Err(e), _) | (_, Err(e)) => return e,
        },
    };
    let z = match zset_ref(ctx.store, key, ctx.now) {
        Ok(Some(z)) => z,
        Ok(None) => return Value::Array(Vec::new()),
        Err(e) => return e,
    };
    // LIMIT offset count: a negative offset selects nothing, a negative count means all.
    let (offset, count) = match limit {
        None => (0, None),
        Some((o, _)) if o < 0 => return Value::Array(Vec::new()),
        Some((o, c)) => (o as usize, (c >= 0).then_some(c as usize)),
    };
    let items = match parsed {
        Parsed::Rank(a, b) => match super::lists::clamp_range(a, b, z.len()) {
            Some((a, b)) => z.range_by_rank(a, b, rev),
            None => Vec::new(),
        },
        // With REV the bounds come as max, min.
        Parsed::Score(a, b) if rev => z.range_by_score(b, a, true, offset, count),
        Parsed::Score(a, b) => z.range_by_score(a, b, false, offset, count),
        Parsed::Lex(a, b) if rev => z.range_by_lex(&b, &a, true, offset, count),
        Parsed::Lex(a, b) => z.range_by_lex(&a, &b, false, offset, count),
    };
    scored_reply(&items, with_scores, proto)
}
// ANCHOR_END: zrange

/// Parses the options after `key start stop`: `BYSCORE`, `BYLEX`, `REV`, `LIMIT o c`,
/// `WITHSCORES` (each allowed only where the spelling in `allow` permits).
fn range_options(opts: &[Vec<u8>], mut by: By, allow_by: bool) -> Result<RangeOptions, Value> {
    let (mut rev, mut limit, mut with_scores) = (false, None, false);
    let mut i = 0;
    while i < opts.len() {
        let o = opts[i].to_ascii_lowercase();
        match o.as_slice() {
            b"withscores" => with_scores = true,
            b"byscore" if allow_by => by = By::Score,
            b"bylex" if allow_by => by = By::Lex,
            b"rev" if allow_by => rev = true,
            b"limit" if i + 2 < opts.len() => {
                match (parse_i64(&opts[i + 1]), parse_i64(&opts[i + 2])) {
                    (Some(a), Some(b)) => limit = Some((a, b)),
                    _ => return Err(Value::not_integer()),
                }
                i += 2;
            }
            _ => return Err(Value::syntax_error()),
        }
        i += 1;
    }
    if limit.is_some() && by == By::Rank {
        return Err(Value::error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if with_scores && by == By::Lex {
        return Err(Value::error(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    Ok((by, rev, limit, with_scores))
}

/// Parsed range options: how, reversed, `LIMIT`, `WITHSCORES`.
type RangeOptions = (By, bool, Option<(i64, i64)>, bool);

/// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`.
pub fn zrange(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match range_options(&args[3..], By::Rank, true) {
        Ok((by, rev, limit, ws)) => range_generic(ctx, &args[0], &args[1], &args[2], by, rev, limit, ws),
        Err(e) => e,
    }
}

fn old_range(ctx: &mut ReadContext<'_>, args: &[Vec<u8>], by: By, rev: bool) -> Value {
    match range_options(&args[3..], by, false) {
        Ok((by, _, limit, ws)) => range_generic(ctx, &args[0], &args[1], &args[2], by, rev, limit, ws),
        Err(e) => e,
    }
}

/// `ZREVRANGE key start stop [WITHSCORES]`.
pub fn zrevrange(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    old_range(ctx, args, By::Rank, true)
}

/// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`.
pub fn zrangebyscore(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    old_range(ctx, args, By::Score, false)
}

/// `ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]`.
pub fn zrevrangebyscore(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    old_range(ctx, args, By::Score, true)
}

/// `ZRANGEBYLEX key min max [LIMIT offset count]`.
pub fn zrangebylex(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    old_range(ctx, args, By::Lex, false)
}

/// `ZREVRANGEBYLEX key max min [LIMIT offset count]`.
pub fn zrevrangebylex(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    old_range(ctx, args, By::Lex, true)
}

/// `ZREMRANGEBYRANK key start stop`.
pub fn zremrangebyrank(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let (Some(a), Some(b)) = (parse_i64(&args[1]), parse_i64(&args[2])) else {
        return Value::not_integer();
    };
    let z = match zset_mut(ctx.store, &args[0], ctx.now) {
        Ok(Some(z)) => z,
        Ok(None) => return Value::Integer(0),
        Err(e) => return e,
    };
    let removed = match super::lists::clamp_range(a, b, z.len()) {
        Some((a, b)) => z.remove_range_by_rank(a, b),
        None => Vec::new(),
    };
    log_removed(ctx, &args[0], removed)
}

/// `ZREMRANGEBYSCORE key min max`.
pub fn zremrangebyscore(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let (min, max) = match (parse_score_bound(&args[1]), parse_score_bound(&args[2])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let z = match zset_mut(ctx.store, &args[0], ctx.now) {
        Ok(Some(z)) => z,
        Ok(None) => return Value::Integer(0),
        Err(e) => return e,
    };
    let doomed: Vec<Bytes> = z
        .range_by_score(min, max, false, 0, None)
        .into_iter()
        .map(|(m, _)| Bytes::from(m))
        .collect();
    for m in &doomed {
        z.remove(m);
    }
    log_removed(ctx, &args[0], doomed)
}

/// Pops up to `n` of the lowest (`min`) or highest members of `key`, logs `ZREM key ...`.
fn pop_logged(
    store: &mut Store,
    now: u64,
    key: &[u8],
    min: bool,
    n: usize,
    effects: &mut Effects,
) -> Vec<(Bytes, f64)> {
    let Ok(Some(z)) = zset_mut(store, key, now) else {
        return Vec::new();
    };
    let popped: Vec<(Bytes, f64)> = (0..n).map_while(|_| z.pop(min)).collect();
    if !popped.is_empty() {
        store.remove_if_empty(key);
        effects.log_with(|| {
            let mut e: Effect = vec![b"ZREM".to_vec(), key.to_vec()];
            e.extend(popped.iter().map(|(m, _)| m.to_vec()));
            e
        });
    }
    popped
}

fn zpop(ctx: &mut Context<'_>, args: &[Vec<u8>], min: bool) -> Value {
    if args.len() > 2 {
        return Value::syntax_error();
    }
    let count = match args.get(1).map(|a| parse_i64(a)) {
        None => None,
        Some(Some(n)) if n >= 0 => Some(n as usize),
        Some(_) => return Value::error("ERR value is out of range, must be positive"),
    };
    if let Err(e) = zset_ref(ctx.store, &args[0], ctx.now) {
        return e;
    }
    let popped = pop_logged(ctx.store, ctx.now, &args[0], min, count.unwrap_or(1), ctx.effects);
    let items: Vec<(&[u8], f64)> = popped.iter().map(|(m, s)| (&m[..], *s)).collect();
    match (count, ctx.client.protocol) {
        // With a count, RESP3 pairs each member with its score; without, one flat pair.
        (Some(_), Protocol::Resp3) => scored_reply(&items, true, Protocol::Resp3),
        _ => scored_reply(&items, true, Protocol::Resp2),
    }
}

/// `ZPOPMIN key [count]`.
pub fn zpopmin(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    zpop(ctx, args, true)
}

/// `ZPOPMAX key [count]`.
pub fn zpopmax(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    zpop(ctx, args, false)
}

/// The reply of a blocking pop: `[key, member, score]`.
fn bzpop_reply(key: &[u8], popped: Vec<(Bytes, f64)>) -> Option<Value> {
    let (m, s) = popped.into_iter().next()?;
    Some(Value::Array(vec![
        Value::bulk(key),
        Value::Bulk(m.into_vec()),
        Value::Double(s),
    ]))
}

fn bzpop(ctx: &mut Context<'_>, args: &[Vec<u8>], min: bool) -> Value {
    let (keys, timeout) = args.split_at(args.len() - 1);
    let deadline = match parse_timeout(&timeout[0], ctx.now) {
        Ok(d) => d,
        Err(e) => return e,
    };
    for key in keys {
        match zset_ref(ctx.store, key, ctx.now) {
            Err(e) => return e,
            Ok(Some(z)) if !z.is_empty() => {
                let popped = pop_logged(ctx.store, ctx.now, key, min, 1, ctx.effects);
                return bzpop_reply(key, popped).unwrap_or(Value::NullArray);
            }
            Ok(_) => {}
        }
    }
    if !ctx.in_exec {
        ctx.block = Some(BlockOn {
            keys: keys.to_vec(),
            deadline,
            serve: serve_blocked,
        });
    }
    Value::NullArray
}

/// `BZPOPMIN key [key ...] timeout`.
pub fn bzpopmin(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    bzpop(ctx, args, true)
}

/// `BZPOPMAX key [key ...] timeout`.
pub fn bzpopmax(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    bzpop(ctx, args, false)
}

/// Runs a parked `BZPOPMIN`/`BZPOPMAX` for its client against `key`, which a write just
/// filled; `None` if it holds no sorted set yet. See `commands/blocking.rs`.
pub fn serve_blocked(
    store: &mut Store,
    now: u64,
    argv: &[Vec<u8>],
    key: &[u8],
    effects: &mut Effects,
) -> Option<Value> {
    match zset_ref(store, key, now) {
        Ok(Some(z)) if !z.is_empty() => {}
        _ => return None,
    }
    let min = argv[0].eq_ignore_ascii_case(b"bzpopmin");
    bzpop_reply(key, pop_logged(store, now, key, min, 1, effects))
}

/// Members with their scores.
type Scored<'a> = Vec<(&'a [u8], f64)>;

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            // inf + -inf is NaN; Redis makes it 0.
            Aggregate::Sum => {
                let s = a + b;
                if s.is_nan() { 0.0 } else { s }
            }
            Aggregate::Min => a.min(b),
            Aggregate::Max => a.max(b),
        }
    }
}

/// The members of a `ZUNIONSTORE`/`ZINTERSTORE` input: a sorted set, or a plain set whose
/// members all score 1.
fn input_items<'s>(store: &'s Store, key: &[u8], now: u64) -> Result<Option<Scored<'s>>, Value> {
    match store.get(key, now) {
        None => Ok(None),
        Some(Data::ZSet(z)) => Ok(Some(z.iter().collect())),
        Some(Data::Set(s)) => Ok(Some(s.iter().map(|m| (&m[..], 1.0)).collect())),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

// ANCHOR: zstore
/// `ZUNIONSTORE`/`ZINTERSTORE destination numkeys key [key ...] [WEIGHTS w ...]
/// [AGGREGATE SUM|MIN|MAX]`: stores the combination and replies with its size. Logged as
/// `DEL destination` plus one `ZADD` with the final scores.
fn zstore(ctx: &mut Context<'_>, args: &[Vec<u8>], union: bool, name: &str) -> Value {
    let dst = &args[0];
    let n = match parse_i64(&args[1]) {
        Some(n) if n > 0 => n as usize,
        Some(0) => {
            return Value::error_owned(format!("ERR at least 1 input key is needed for '{name}' command"));
        }
        Some(_) => return Value::error("ERR numkeys should be greater than 0"),
        None => return Value::not_integer(),
    };
    if n > args.len() - 2 {
        return Value::syntax_error();
    }
    let keys = &args[2..2 + n];
    let mut weights = vec![1.0; n];
    let mut agg = Aggregate::Sum;
    let mut rest = &args[2 + n..];
    while !rest.is_empty() {
        let word = rest[0].to_ascii_lowercase();
        if word == b"weights" && rest.len() > n {
            for (w, arg) in weights.iter_mut().zip(&rest[1..=n]) {
                match parse_float(arg) {
                    Some(f) => *w = f,
                    None => return Value::error("ERR weight value is not a float"),
                }
            }
            rest = &rest[n + 1..];
        } else if word == b"aggregate" && rest.len() > 1 {
            agg = match rest[1].to_ascii_lowercase().as_slice() {
                b"sum" => Aggregate::Sum,
                b"min" => Aggregate::Min,
                b"max" => Aggregate::Max,
                _ => return Value::syntax_error(),
            };
            rest = &rest[2..];
        } else {
            return Value::syntax_error();
        }
    }
    let mut inputs = Vec::with_capacity(n);
    for k in keys {
        match input_items(ctx.store, k, ctx.now) {
            Ok(items) => inputs.push(items),
            Err(e) => return e,
        }
    }
    let weighted = |s: f64, w: f64| {
        let v = s * w;
        if v.is_nan() { 0.0 } else { v }
    };
    let mut result = ZSet::new();
    if union {
        let mut acc: std::collections::HashMap<&[u8], f64> = std::collections::HashMap::new();
        for (items, &w) in inputs.iter().zip(&weights) {
            for &(m, s) in items.iter().flatten() {
                let v = weighted(s, w);
                acc.entry(m).and_modify(|a| *a = agg.apply(*a, v)).or_insert(v);
            }
        }
        for (m, s) in acc {
            result.insert(m, s);
        }
    } else if inputs.iter().all(Option::is_some) {
        let maps: Vec<std::collections::HashMap<&[u8], f64>> = inputs
            .iter()
            .flatten()
            .map(|items| items.iter().copied().collect())
            .collect();
        if let Some((first, others)) = inputs[0].as_ref().map(|f| (f, &maps[1..])) {
            'member: for &(m, s) in first {
                let mut acc = weighted(s, weights[0]);
                for (map, &w) in others.iter().zip(&weights[1..]) {
                    match map.get(m) {
                        Some(&o) => acc = agg.apply(acc, weighted(o, w)),
                        None => continue 'member,
                    }
                }
                result.insert(m, acc);
            }
        }
    }
    let len = result.len() as i64;
    let existed = ctx.store.remove(dst, ctx.now).is_some();
    if existed || len > 0 {
        ctx.log(&[b"DEL", dst]);
    }
    if len > 0 {
        let mut e: Effect = vec![b"ZADD".to_vec(), dst.clone()];
        for (m, s) in result.iter() {
            e.push(format_double(s).into_bytes());
            e.push(m.to_vec());
        }
        ctx.store.set(dst, Data::ZSet(Box::new(result)), ctx.now);
        ctx.log_with(|| e);
    }
    Value::Integer(len)
}
// ANCHOR_END: zstore

/// `ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...]`.
pub fn zunionstore(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    zstore(ctx, args, true, "zunionstore")
}

/// `ZINTERSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...]`.
pub fn zinterstore(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    zstore(ctx, args, false, "zinterstore")
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
    let z = match zset_ref(ctx.store, &args[0], ctx.now) {
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
    let z = match zset_ref(ctx.store, &args[0], ctx.now) {
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
