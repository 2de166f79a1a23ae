//! Sorted set pops: `ZPOPMIN`/`ZPOPMAX` and their blocking forms `BZPOPMIN`/`BZPOPMAX`.
//!
//! Go original: none (go-redis had no sorted sets). Explained in: book chapter 4, and for the
//! waiting its "Blocking pops" section.
//!
//! As with lists, the pop is a function of the store alone, so that a later write can perform it
//! on a parked client's behalf ([`serve_blocked`]; see `commands/blocking.rs`). Every pop is
//! logged as `ZREM key <members>`.

use super::{scored_reply, zset_mut, zset_ref};
use crate::commands::blocking::parse_timeout;
use crate::commands::handlers::parse_i64;
use crate::commands::{BlockOn, Context, Effect, Effects};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::{Bytes, Db};
use crate::protocol::resp::{Protocol, Value};

/// Pops up to `n` of the lowest (`min`) or highest members of `key`, logs `ZREM key ...`;
/// notified as `zpopmin` or `zpopmax`, then `del` if the set is gone.
fn pop_logged(
    store: &mut Db,
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
        let emptied = store.remove_if_empty(key);
        effects.notify(
            store,
            Class::ZSET,
            if min { "zpopmin" } else { "zpopmax" },
            key,
        );
        if emptied {
            effects.notify(store, Class::GENERIC, "del", key);
        }
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
    if let Err(e) = zset_ref(ctx.db, &args[0], ctx.now) {
        return e;
    }
    let popped = pop_logged(
        ctx.db,
        ctx.now,
        &args[0],
        min,
        count.unwrap_or(1),
        ctx.effects,
    );
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
        match zset_ref(ctx.db, key, ctx.now) {
            Err(e) => return e,
            Ok(Some(z)) if !z.is_empty() => {
                let popped = pop_logged(ctx.db, ctx.now, key, min, 1, ctx.effects);
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
            argv: None,
            shares: false,
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
    store: &mut Db,
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
