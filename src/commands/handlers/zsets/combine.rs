//! Sorted set combinations: `ZUNION`, `ZINTER`, `ZINTERCARD`, `ZUNIONSTORE` and `ZINTERSTORE`.
//!
//! Go original: none (go-redis had no sorted sets). Explained in: book chapter 4.
//!
//! The inputs may be sorted sets or plain sets, whose members all score 1. The result replaces
//! the destination and is logged as its final contents, never as the combination to redo.

use std::collections::HashMap;

use super::scored_reply;
use crate::commands::handlers::hashes::parse_float;
use crate::commands::handlers::parse_i64;
use crate::commands::{Context, ReadContext};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::{Data, Db, StoreError, ZSet};
use crate::protocol::resp::Value;

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

/// The members of a combination's input: a sorted set, or a plain set whose
/// members all score 1.
fn input_items<'s>(store: &'s Db, key: &[u8], now: u64) -> Result<Option<Scored<'s>>, Value> {
    match store.get(key, now) {
        None => Ok(None),
        Some(Data::ZSet(z)) => Ok(Some(z.iter().collect())),
        Some(Data::Set(s)) => Ok(Some(s.iter().map(|m| (&m[..], 1.0)).collect())),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

/// What a combination's words ask for: the input keys, their weights, the aggregate, and
/// whether to reply with scores (`ZUNION`, `ZINTER` only).
struct Combination<'a> {
    keys: &'a [Vec<u8>],
    weights: Vec<f64>,
    aggregate: Aggregate,
    with_scores: bool,
}

/// Parses `numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]`, and `WITHSCORES` too
/// when `scores_allowed`, with Redis's error texts.
fn parse<'a>(
    args: &'a [Vec<u8>],
    name: &str,
    scores_allowed: bool,
) -> Result<Combination<'a>, Value> {
    let n = numkeys(args, name)?;
    let mut c = Combination {
        keys: &args[1..=n],
        weights: vec![1.0; n],
        aggregate: Aggregate::Sum,
        with_scores: false,
    };
    let mut rest = &args[1 + n..];
    while !rest.is_empty() {
        let word = rest[0].to_ascii_lowercase();
        if word == b"weights" && rest.len() > n {
            for (w, arg) in c.weights.iter_mut().zip(&rest[1..=n]) {
                *w = parse_float(arg)
                    .ok_or_else(|| Value::error("ERR weight value is not a float"))?;
            }
            rest = &rest[n + 1..];
        } else if word == b"aggregate" && rest.len() > 1 {
            c.aggregate = match rest[1].to_ascii_lowercase().as_slice() {
                b"sum" => Aggregate::Sum,
                b"min" => Aggregate::Min,
                b"max" => Aggregate::Max,
                _ => return Err(Value::syntax_error()),
            };
            rest = &rest[2..];
        } else if word == b"withscores" && scores_allowed {
            c.with_scores = true;
            rest = &rest[1..];
        } else {
            return Err(Value::syntax_error());
        }
    }
    Ok(c)
}

/// The `numkeys` of a combination, checked against the words that follow it.
fn numkeys(args: &[Vec<u8>], name: &str) -> Result<usize, Value> {
    let n = match parse_i64(&args[0]) {
        Some(n) if n > 0 => n as usize,
        Some(_) => {
            return Err(Value::error_owned(format!(
                "ERR at least 1 input key is needed for '{name}' command"
            )));
        }
        None => return Err(Value::not_integer()),
    };
    if n > args.len() - 1 {
        return Err(Value::syntax_error());
    }
    Ok(n)
}

/// The union or intersection the combination describes, read from `db`.
fn combine(db: &Db, now: u64, c: &Combination<'_>, union: bool) -> Result<ZSet, Value> {
    let mut inputs = Vec::with_capacity(c.keys.len());
    for k in c.keys {
        inputs.push(input_items(db, k, now)?);
    }
    let weights = &c.weights;
    let agg = c.aggregate;
    let weighted = |s: f64, w: f64| {
        let v = s * w;
        if v.is_nan() { 0.0 } else { v }
    };
    let mut result = ZSet::new();
    if union {
        let mut acc: HashMap<&[u8], f64> = HashMap::new();
        for (items, &w) in inputs.iter().zip(weights) {
            for &(m, s) in items.iter().flatten() {
                let v = weighted(s, w);
                acc.entry(m)
                    .and_modify(|a| *a = agg.apply(*a, v))
                    .or_insert(v);
            }
        }
        for (m, s) in acc {
            result.insert(m, s);
        }
    } else if inputs.iter().all(Option::is_some) {
        let maps: Vec<HashMap<&[u8], f64>> = inputs
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
    Ok(result)
}

// ANCHOR: zstore
/// `ZUNIONSTORE`/`ZINTERSTORE destination numkeys key [key ...] [WEIGHTS w ...]
/// [AGGREGATE SUM|MIN|MAX]`: stores the combination and replies with its size. Logged as
/// `DEL destination` plus one `ZADD` with the final scores.
fn zstore(ctx: &mut Context<'_>, args: &[Vec<u8>], union: bool, name: &'static str) -> Value {
    let dst = &args[0];
    let c = match parse(&args[1..], name, false) {
        Ok(c) => c,
        Err(e) => return e,
    };
    if ctx.notifies(Class::KEY_MISS) {
        // Redis reads each source in turn, stopping at a wrong type, and tells of each miss.
        for k in c.keys {
            match ctx.db.get(k, ctx.now) {
                None => ctx.notify_miss(k),
                Some(Data::ZSet(_) | Data::Set(_)) => {}
                Some(_) => break,
            }
        }
    }
    let result = match combine(ctx.db, ctx.now, &c, union) {
        Ok(result) => result,
        Err(e) => return e,
    };
    let len = result.len() as i64;
    let stored = (len > 0).then(|| {
        let effect = super::zadd_effect(dst, &result);
        (Data::from(result), effect)
    });
    ctx.store_result(dst, stored, Class::ZSET, name);
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

/// `ZUNION`/`ZINTER numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES]`: the
/// combination as a reply, in score order.
fn zcombine(ctx: &mut ReadContext<'_>, args: &[Vec<u8>], union: bool, name: &str) -> Value {
    let c = match parse(args, name, true) {
        Ok(c) => c,
        Err(e) => return e,
    };
    match combine(ctx.db, ctx.now, &c, union) {
        Ok(result) => {
            let items: Vec<(&[u8], f64)> = result.iter().collect();
            scored_reply(&items, c.with_scores, ctx.client.protocol)
        }
        Err(e) => e,
    }
}

/// `ZUNION numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES]`.
pub fn zunion(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    zcombine(ctx, args, true, "zunion")
}

/// `ZINTER numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES]`.
pub fn zinter(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    zcombine(ctx, args, false, "zinter")
}

/// `ZINTERCARD numkeys key [key ...] [LIMIT limit]`: how many members all the inputs share,
/// counting stopped at `limit` when it is not 0.
pub fn zintercard(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let n = match numkeys(args, "zintercard") {
        Ok(n) => n,
        Err(e) => return e,
    };
    let mut limit = 0usize;
    let mut rest = &args[1 + n..];
    while !rest.is_empty() {
        if rest[0].eq_ignore_ascii_case(b"limit") && rest.len() > 1 {
            match parse_i64(&rest[1]).filter(|l| *l >= 0) {
                Some(l) => limit = l as usize,
                None => return Value::error("ERR LIMIT can't be negative"),
            }
            rest = &rest[2..];
        } else {
            return Value::syntax_error();
        }
    }
    let c = Combination {
        keys: &args[1..=n],
        weights: vec![1.0; n],
        aggregate: Aggregate::Sum,
        with_scores: false,
    };
    match combine(ctx.db, ctx.now, &c, false) {
        Ok(result) if limit > 0 => Value::Integer(result.len().min(limit) as i64),
        Ok(result) => Value::Integer(result.len() as i64),
        Err(e) => e,
    }
}
