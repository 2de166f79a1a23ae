//! `ZRANGESTORE`: `ZRANGE`'s selection, stored in a destination key instead of returned.
//!
//! Go original: none (go-redis had no `ZRANGESTORE`). Explained in: book chapter "Exercises" (ex07).
//!
//! The options are read as Redis 7.0 reads them: each of `BYSCORE`/`BYLEX` and `REV` at most
//! once, `LIMIT` anywhere (and harmless with ranks when its count is -1), score bounds through C's
//! `strtod` (so `" 1"`, `0x10` and the empty string are numbers).

use super::{parse_i64, strtod};
use crate::commands::handlers::zsets::zadd_effect;
use crate::commands::registry::{KeySpec, flags::*};
use crate::commands::{Context, Registry};
use crate::engine::store::zset::{LexBound, ScoreBound};
use crate::engine::store::{Data, StoreError, ZSet};
use crate::protocol::resp::Value;

/// `ZRANGESTORE dst src ...`: the two keys.
const TWO_KEYS: KeySpec = (1, 2, 1);

/// Registers `ZRANGESTORE`.
pub fn register(r: &mut Registry) {
    r.write("zrangestore", zrangestore, -5, DENYOOM, TWO_KEYS);
}

/// How the two bounds are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    Rank,
    Score,
    Lex,
}

/// The parsed bounds.
enum Range {
    Rank(i64, i64),
    Score(ScoreBound, ScoreBound),
    Lex(LexBound, LexBound),
}

/// A score bound: `1.5`, `(1.5` (exclusive), `-inf`, `+inf`, read with `strtod`.
fn score_bound(arg: &[u8]) -> Option<ScoreBound> {
    let (exclusive, text) = match arg.first() {
        Some(b'(') => (true, &arg[1..]),
        _ => (false, arg),
    };
    strtod(text).map(|(value, _)| ScoreBound { value, exclusive })
}

/// A lex bound: `-`, `+`, `[member`, `(member`.
fn lex_bound(arg: &[u8]) -> Option<LexBound> {
    match arg {
        b"-" => Some(LexBound::Min),
        b"+" => Some(LexBound::Max),
        [b'[', rest @ ..] => Some(LexBound::Inclusive(rest.to_vec())),
        [b'(', rest @ ..] => Some(LexBound::Exclusive(rest.to_vec())),
        _ => None,
    }
}

// ANCHOR: zrangestore
/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`: stores the members
/// `ZRANGE src min max ...` would return, with their scores, in `dst`; replies with their number.
/// An empty selection deletes `dst`. Logged as `DEL dst` and `ZADD dst score member ...`.
pub fn zrangestore(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [dst, src, min, max, opts @ ..] = args else {
        return Value::wrong_arity("zrangestore");
    };
    let (mut by, mut rev, mut limit) = (None, false, None);
    let mut i = 0;
    while i < opts.len() {
        match opts[i].to_ascii_lowercase().as_slice() {
            b"limit" if i + 2 < opts.len() => {
                match (parse_i64(&opts[i + 1]), parse_i64(&opts[i + 2])) {
                    (Some(o), Some(c)) => limit = Some((o, c)),
                    _ => return Value::not_integer(),
                }
                i += 2;
            }
            b"rev" if !rev => rev = true,
            b"byscore" if by.is_none() => by = Some(By::Score),
            b"bylex" if by.is_none() => by = Some(By::Lex),
            // WITHSCORES, a repeated REV or BY..., anything else.
            _ => return Value::syntax_error(),
        }
        i += 1;
    }
    let by = by.unwrap_or(By::Rank);
    // Redis tells "no LIMIT" by a count of -1, so `LIMIT 0 -1` passes with ranks.
    if by == By::Rank && limit.is_some_and(|(_, c)| c != -1) {
        return Value::error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
    }
    // With REV the bounds come highest first; swap them so `lo` is always the low end.
    let (lo, hi) = if rev && by != By::Rank {
        (max, min)
    } else {
        (min, max)
    };
    // Parse the bounds before looking at the key, as Redis does: a bad bound is an error
    // whatever the key holds.
    let range = match by {
        By::Rank => match (parse_i64(lo), parse_i64(hi)) {
            (Some(a), Some(b)) => Range::Rank(a, b),
            _ => return Value::not_integer(),
        },
        By::Score => match (score_bound(lo), score_bound(hi)) {
            (Some(a), Some(b)) => Range::Score(a, b),
            _ => return Value::error("ERR min or max is not a float"),
        },
        By::Lex => match (lex_bound(lo), lex_bound(hi)) {
            (Some(a), Some(b)) => Range::Lex(a, b),
            _ => return Value::error("ERR min or max not valid string range item"),
        },
    };
    // A negative offset selects nothing; a negative count means "all the rest".
    let (offset, count) = match limit {
        Some((o, _)) if o < 0 => (usize::MAX, None),
        Some((o, c)) => (o as usize, usize::try_from(c).ok()),
        None => (0, None),
    };
    let empty = ZSet::new();
    let z = match ctx.db.get(src, ctx.now) {
        None => &empty,
        Some(Data::ZSet(z)) => z,
        Some(_) => return StoreError::WrongType.into(),
    };
    let items = match range {
        Range::Rank(a, b) => match super::lists::clamp_range(a, b, z.len()) {
            Some((a, b)) => z.range_by_rank(a, b, rev),
            None => Vec::new(),
        },
        Range::Score(a, b) => z.range_by_score(a, b, rev, offset, count),
        Range::Lex(a, b) => z.range_by_lex(&a, &b, rev, offset, count),
    };
    let mut result = ZSet::new();
    for &(m, s) in &items {
        result.insert(m, s);
    }
    let len = result.len() as i64;
    let stored = (len > 0).then(|| {
        let effect = zadd_effect(dst, &result);
        (Data::from(result), effect)
    });
    ctx.store_result(
        dst,
        stored,
        crate::config::KeyspaceEvents::ZSET,
        "zrangestore",
    );
    Value::Integer(len)
}
// ANCHOR_END: zrangestore
