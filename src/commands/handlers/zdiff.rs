//! `ZDIFF` and `ZDIFFSTORE`: the members of the first sorted set that no other input holds.
//!
//! Go original: none (go-redis had no `ZDIFF`). Explained in: book chapter "Exercises" (ex08).
//!
//! As in Redis, a plain set is accepted as an input, each member with score 1.

use std::collections::HashSet;

use super::parse_i64;
use crate::commands::handlers::zsets::zadd_effect;
use crate::commands::registry::{KEY1, NO_KEYS, flags::*};
use crate::commands::{Context, ReadContext, Registry};
use crate::engine::store::{Data, Db, StoreError, ZSet};
use crate::protocol::resp::{Protocol, Value};

/// Registers `ZDIFF` and `ZDIFFSTORE`.
pub fn register(r: &mut Registry) {
    // The keys follow `numkeys`, which a fixed key spec cannot describe (Redis uses a
    // "keynum" spec); the effects of ZDIFFSTORE name the key it changes, which is what WATCH needs.
    r.read("zdiff", zdiff, -3, 0, NO_KEYS);
    r.write("zdiffstore", zdiffstore, -4, DENYOOM, KEY1);
}

/// The keys and the words after them.
type Split<'a> = (&'a [Vec<u8>], &'a [Vec<u8>]);

/// Splits `numkeys key [key ...] rest...` into the keys and the rest.
fn split_keys<'a>(args: &'a [Vec<u8>], name: &str) -> Result<Split<'a>, Value> {
    let Some(n) = parse_i64(&args[0]) else {
        return Err(Value::not_integer());
    };
    if n < 1 {
        return Err(Value::error_owned(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    let rest = &args[1..];
    if n as u64 > rest.len() as u64 {
        return Err(Value::syntax_error());
    }
    Ok(rest.split_at(n as usize))
}

/// The value at each key, refused with `WRONGTYPE` if any is neither a sorted set nor a set.
/// Redis checks this before it reads the options that follow the keys.
fn inputs<'s>(store: &'s Db, keys: &[Vec<u8>], now: u64) -> Result<Vec<Option<&'s Data>>, Value> {
    let mut inputs = Vec::with_capacity(keys.len());
    for key in keys {
        let input = store.get(key, now);
        if !matches!(input, None | Some(Data::ZSet(_)) | Some(Data::Set(_))) {
            return Err(StoreError::WrongType.into());
        }
        inputs.push(input);
    }
    Ok(inputs)
}

// ANCHOR: diff
/// The first input minus every other, in (score, member) order.
fn diff(inputs: &[Option<&Data>]) -> ZSet {
    let mut removed: HashSet<&[u8]> = HashSet::new();
    for input in &inputs[1..] {
        match input {
            Some(Data::ZSet(z)) => removed.extend(z.iter().map(|(m, _)| m)),
            Some(Data::Set(s)) => removed.extend(s.iter().map(|m| &m[..])),
            _ => {}
        }
    }
    let mut out = ZSet::new();
    match inputs[0] {
        Some(Data::ZSet(z)) => z
            .iter()
            .filter(|(m, _)| !removed.contains(m))
            .for_each(|(m, s)| {
                out.insert(m, s);
            }),
        Some(Data::Set(s)) => s
            .iter()
            .filter(|m| !removed.contains(&m[..]))
            .for_each(|m| {
                out.insert(m, 1.0);
            }),
        _ => {}
    }
    out
}
// ANCHOR_END: diff

/// `ZDIFF numkeys key [key ...] [WITHSCORES]`.
pub fn zdiff(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let (keys, rest) = match split_keys(args, "zdiff") {
        Ok(split) => split,
        Err(e) => return e,
    };
    let inputs = match inputs(ctx.db, keys, ctx.now) {
        Ok(i) => i,
        Err(e) => return e,
    };
    // Redis takes WITHSCORES any number of times.
    if !rest.iter().all(|o| o.eq_ignore_ascii_case(b"withscores")) {
        return Value::syntax_error();
    }
    let with_scores = !rest.is_empty();
    let mut out = Vec::new();
    for (m, s) in diff(&inputs).iter() {
        // Redis 7 answers WITHSCORES as pairs in RESP3 and flat in RESP2.
        match (with_scores, ctx.client.protocol) {
            (false, _) => out.push(Value::bulk(m)),
            (true, Protocol::Resp3) => {
                out.push(Value::Array(vec![Value::bulk(m), Value::Double(s)]))
            }
            (true, Protocol::Resp2) => out.extend([Value::bulk(m), Value::Double(s)]),
        }
    }
    Value::Array(out)
}

/// `ZDIFFSTORE destination numkeys key [key ...]`: stores the difference and replies with its
/// size; an empty one deletes `destination`. Logged as `DEL` plus one `ZADD` of the result.
pub fn zdiffstore(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let dst = &args[0];
    let (keys, rest) = match split_keys(&args[1..], "zdiffstore") {
        Ok(split) => split,
        Err(e) => return e,
    };
    let result = match inputs(ctx.db, keys, ctx.now) {
        Ok(_) if !rest.is_empty() => return Value::syntax_error(),
        Ok(inputs) => diff(&inputs),
        Err(e) => return e,
    };
    let len = result.len() as i64;
    let stored = (len > 0).then(|| {
        let effect = zadd_effect(dst, &result);
        (Data::from(result), effect)
    });
    ctx.store_result(
        dst,
        stored,
        crate::config::KeyspaceEvents::ZSET,
        "zdiffstore",
    );
    Value::Integer(len)
}
