//! `ZRANGESTORE`: `ZRANGE`'s selection, stored in a destination key instead of returned.
//!
//! Go original: none (go-redis had no `ZRANGESTORE`). Explained in: book chapter "Exercises" (ex07).

use super::{parse_f64, parse_i64};
use crate::commands::registry::{KeySpec, flags::*};
use crate::commands::{Context, Effect, Registry};
use crate::engine::store::zset::{LexBound, ScoreBound};
use crate::engine::store::{Data, StoreError, ZSet};
use crate::protocol::resp::{Value, format_double};

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

fn score_bound(arg: &[u8]) -> Result<ScoreBound, Value> {
    let (exclusive, text) = match arg.first() {
        Some(b'(') => (true, &arg[1..]),
        _ => (false, arg),
    };
    parse_f64(text)
        .map(|value| ScoreBound { value, exclusive })
        .ok_or(Value::error("ERR min or max is not a float"))
}

fn lex_bound(arg: &[u8]) -> Result<LexBound, Value> {
    match arg {
        b"-" => Ok(LexBound::Min),
        b"+" => Ok(LexBound::Max),
        [b'[', rest @ ..] => Ok(LexBound::Inclusive(rest.to_vec())),
        [b'(', rest @ ..] => Ok(LexBound::Exclusive(rest.to_vec())),
        _ => Err(Value::error("ERR min or max not valid string range item")),
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
    let (mut by, mut rev, mut limit) = (By::Rank, false, None);
    let mut i = 0;
    while i < opts.len() {
        match opts[i].to_ascii_lowercase().as_slice() {
            b"byscore" => by = By::Score,
            b"bylex" => by = By::Lex,
            b"rev" => rev = true,
            b"limit" if i + 2 < opts.len() => {
                match (parse_i64(&opts[i + 1]), parse_i64(&opts[i + 2])) {
                    (Some(o), Some(c)) => limit = Some((o, c)),
                    _ => return Value::not_integer(),
                }
                i += 2;
            }
            _ => return Value::syntax_error(),
        }
        i += 1;
    }
    if limit.is_some() && by == By::Rank {
        return Value::error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    }
    // With REV the bounds come highest first; swap them so `lo` is always the low end.
    let (lo, hi) = if rev && by != By::Rank { (max, min) } else { (min, max) };
    // A negative offset selects nothing; a negative count means "all the rest".
    let (offset, count) = match limit {
        Some((o, _)) if o < 0 => (usize::MAX, None),
        Some((o, c)) => (o as usize, (c >= 0).then_some(c as usize)),
        None => (0, None),
    };
    // Parse the bounds before looking at the key, as Redis does: a bad bound is a syntax
    // problem whatever the key holds.
    let range = match by {
        By::Rank => match (parse_i64(lo), parse_i64(hi)) {
            (Some(a), Some(b)) => Range::Rank(a, b),
            _ => return Value::not_integer(),
        },
        By::Score => match (score_bound(lo), score_bound(hi)) {
            (Ok(a), Ok(b)) => Range::Score(a, b),
            (Err(e), _) | (_, Err(e)) => return e,
        },
        By::Lex => match (lex_bound(lo), lex_bound(hi)) {
            (Ok(a), Ok(b)) => Range::Lex(a, b),
            (Err(e), _) | (_, Err(e)) => return e,
        },
    };
    let empty = ZSet::new();
    let z = match ctx.store.get(src, ctx.now) {
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
    let mut effect: Effect = vec![b"ZADD".to_vec(), dst.clone()];
    for &(m, s) in &items {
        result.insert(m, s);
        effect.push(format_double(s).into_bytes());
        effect.push(m.to_vec());
    }
    let len = result.len() as i64;
    if ctx.store.remove(dst, ctx.now).is_some() || len > 0 {
        ctx.log(&[b"DEL", dst]);
    }
    if len > 0 {
        ctx.store.set(dst, Data::ZSet(Box::new(result)), ctx.now);
        ctx.log_with(|| effect);
    }
    Value::Integer(len)
}
// ANCHOR_END: zrangestore
