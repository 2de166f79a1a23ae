//! Sorted set combinations: `ZUNIONSTORE` and `ZINTERSTORE`.
//!
//! Go original: none (go-redis had no sorted sets). Explained in: book chapter 4.
//!
//! The inputs may be sorted sets or plain sets, whose members all score 1. The result replaces
//! the destination and is logged as its final contents, never as the combination to redo.

use crate::commands::handlers::hashes::parse_float;
use crate::commands::handlers::parse_i64;
use crate::commands::{Context, Effect};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::{Data, Db, StoreError, ZSet};
use crate::protocol::resp::{Value, format_double};

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
fn input_items<'s>(store: &'s Db, key: &[u8], now: u64) -> Result<Option<Scored<'s>>, Value> {
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
fn zstore(ctx: &mut Context<'_>, args: &[Vec<u8>], union: bool, name: &'static str) -> Value {
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
    if ctx.notifies(Class::KEY_MISS) {
        // Redis reads each source in turn, stopping at a wrong type, and tells of each miss.
        for k in keys {
            match ctx.db.get(k, ctx.now) {
                None => ctx.notify_miss(k),
                Some(Data::ZSet(_) | Data::Set(_)) => {}
                Some(_) => break,
            }
        }
    }
    let mut inputs = Vec::with_capacity(n);
    for k in keys {
        match input_items(ctx.db, k, ctx.now) {
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
    let existed = ctx.db.remove(dst, ctx.now).is_some();
    if existed || len > 0 {
        ctx.log(&[b"DEL", dst]);
    }
    if len > 0 {
        let mut e: Effect = vec![b"ZADD".to_vec(), dst.clone()];
        for (m, s) in result.iter() {
            e.push(format_double(s).into_bytes());
            e.push(m.to_vec());
        }
        ctx.db.set(dst, Data::ZSet(Box::new(result)), ctx.now);
        ctx.log_with(|| e);
        ctx.notify_added(!existed, Class::ZSET, name, dst);
    } else if existed {
        ctx.notify(Class::GENERIC, "del", dst);
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
