//! Sorted set ranges: `ZRANGE` and its older spellings (`ZREVRANGE`, `ZRANGEBYSCORE`,
//! `ZRANGEBYLEX`, ...), and the removals addressed the same way (`ZREMRANGEBYRANK`,
//! `ZREMRANGEBYSCORE`).
//!
//! Go original: none (go-redis had no sorted sets). Explained in: book chapter 4.
//!
//! One engine answers every spelling: ranks, scores or lex bounds, reversed or not, with `LIMIT`
//! and `WITHSCORES` where that spelling allows them.

use super::{log_removed, parse_lex_bound, parse_score_bound, scored_reply, zset_mut, zset_ref};
use crate::commands::handlers::lists::clamp_range;
use crate::commands::handlers::parse_i64;
use crate::commands::{Context, ReadContext};
use crate::engine::store::Bytes;
use crate::engine::store::zset::{LexBound, ScoreBound};
use crate::protocol::resp::Value;

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
    let z = match zset_ref(ctx.db, key, ctx.now) {
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
        Parsed::Rank(a, b) => match clamp_range(a, b, z.len()) {
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
        Ok((by, rev, limit, ws)) => {
            range_generic(ctx, &args[0], &args[1], &args[2], by, rev, limit, ws)
        }
        Err(e) => e,
    }
}

fn old_range(ctx: &mut ReadContext<'_>, args: &[Vec<u8>], by: By, rev: bool) -> Value {
    match range_options(&args[3..], by, false) {
        Ok((by, _, limit, ws)) => {
            range_generic(ctx, &args[0], &args[1], &args[2], by, rev, limit, ws)
        }
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
    let z = match zset_mut(ctx.db, &args[0], ctx.now) {
        Ok(Some(z)) => z,
        Ok(None) => return Value::Integer(0),
        Err(e) => return e,
    };
    let removed = match clamp_range(a, b, z.len()) {
        Some((a, b)) => z.remove_range_by_rank(a, b),
        None => Vec::new(),
    };
    log_removed(ctx, &args[0], removed, "zremrangebyrank")
}

/// `ZREMRANGEBYSCORE key min max`.
pub fn zremrangebyscore(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let bounds = match (parse_score_bound(&args[1]), parse_score_bound(&args[2])) {
        (Ok(a), Ok(b)) => Between::Score(a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    remove_between(ctx, &args[0], bounds, "zremrangebyscore")
}

/// `ZREMRANGEBYLEX key min max`: removes the members between two lexical bounds (meaningful
/// when all members share one score, as for `ZRANGEBYLEX`).
pub fn zremrangebylex(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let bounds = match (parse_lex_bound(&args[1]), parse_lex_bound(&args[2])) {
        (Ok(a), Ok(b)) => Between::Lex(a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    remove_between(ctx, &args[0], bounds, "zremrangebylex")
}

/// The bounds of a removal: by score or by the members' own order.
enum Between {
    Score(ScoreBound, ScoreBound),
    Lex(LexBound, LexBound),
}

/// Removes the members of `key` between score or lexical bounds, and logs and tells of it.
fn remove_between(
    ctx: &mut Context<'_>,
    key: &[u8],
    bounds: Between,
    event: &'static str,
) -> Value {
    let z = match zset_mut(ctx.db, key, ctx.now) {
        Ok(Some(z)) => z,
        Ok(None) => return Value::Integer(0),
        Err(e) => return e,
    };
    let found = match &bounds {
        Between::Score(min, max) => z.range_by_score(*min, *max, false, 0, None),
        Between::Lex(min, max) => z.range_by_lex(min, max, false, 0, None),
    };
    let doomed: Vec<Bytes> = found.into_iter().map(|(m, _)| Bytes::from(m)).collect();
    for m in &doomed {
        z.remove(m);
    }
    log_removed(ctx, key, doomed, event)
}
