//! `ZMPOP` and `BZMPOP`: pop the lowest or highest members of the first non-empty sorted set of
//! several, or wait for one.
//!
//! Go original: none (go-redis had no `ZMPOP`). Explained in: book chapter "Exercises" (ex10).
//!
//! The pop is a function of the store alone, so that a later write can perform it for a client
//! parked in `BZMPOP` ([`serve_blocked`]; see `commands/blocking.rs`), as `BZPOPMIN` does.

use super::parse_i64;
use crate::commands::blocking::parse_timeout;
use crate::commands::registry::{NO_KEYS, flags::*};
use crate::commands::{BlockOn, Context, Effect, Effects, Registry};
use crate::engine::store::{Data, Db, StoreError};
use crate::protocol::resp::Value;

/// Registers `ZMPOP` and `BZMPOP`.
pub fn register(r: &mut Registry) {
    // The keys follow `numkeys`, which a fixed key spec cannot describe; the `ZREM` effect
    // names the key that changed, which is what WATCH needs.
    r.write("zmpop", zmpop, -4, 0, NO_KEYS);
    r.write("bzmpop", bzmpop, -5, BLOCKING, NO_KEYS);
}

/// A parsed `numkeys key [key ...] MIN|MAX [COUNT count]`.
struct Mpop<'a> {
    keys: &'a [Vec<u8>],
    min: bool,
    count: usize,
}

/// Parses `numkeys key [key ...] MIN|MAX [COUNT count]`.
fn parse(args: &[Vec<u8>]) -> Result<Mpop<'_>, Value> {
    let numkeys = match args.first().and_then(|n| parse_i64(n)) {
        Some(n) if n > 0 => n as u64,
        _ => return Err(Value::error("ERR numkeys should be greater than 0")),
    };
    // After the keys there must be at least the MIN|MAX word.
    if numkeys.saturating_add(1) >= args.len() as u64 {
        return Err(Value::syntax_error());
    }
    let (keys, rest) = args[1..].split_at(numkeys as usize);
    let min = match rest[0].to_ascii_lowercase().as_slice() {
        b"min" => true,
        b"max" => false,
        _ => return Err(Value::syntax_error()),
    };
    let count = match &rest[1..] {
        [] => 1,
        [word, n] if word.eq_ignore_ascii_case(b"count") => match parse_i64(n) {
            Some(n) if n > 0 => n as usize,
            _ => return Err(Value::error("ERR count should be greater than 0")),
        },
        _ => return Err(Value::syntax_error()),
    };
    Ok(Mpop { keys, min, count })
}

/// The first of `keys` that holds a sorted set, refusing a key of another type met before it.
fn first_nonempty<'k>(
    store: &mut Db,
    now: u64,
    keys: &'k [Vec<u8>],
) -> Result<Option<&'k [u8]>, Value> {
    for key in keys {
        match store.get_mut(key, now) {
            None => continue,
            Some(Data::ZSet(_)) => return Ok(Some(key)),
            Some(_) => return Err(StoreError::WrongType.into()),
        }
    }
    Ok(None)
}

// ANCHOR: zmpop_pop
/// Pops up to `count` members from the sorted set at `key` and replies `[key, [[member,
/// score], ...]]`. Logged as `ZREM key member ...`: replaying a pop must remove exactly what was
/// popped, whatever the set holds by then.
fn pop(
    store: &mut Db,
    now: u64,
    key: &[u8],
    min: bool,
    count: usize,
    effects: &mut Effects,
) -> Value {
    let Some(Data::ZSet(z)) = store.get_mut(key, now) else {
        return Value::NullArray;
    };
    let mut popped = Vec::with_capacity(count.min(z.len()));
    let mut effect: Effect = vec![b"ZREM".to_vec(), key.to_vec()];
    while popped.len() < count
        && let Some((member, score)) = z.pop(min)
    {
        effect.push(member.to_vec());
        popped.push(Value::Array(vec![
            Value::Bulk(member.into_vec()),
            Value::Double(score),
        ]));
    }
    // A sorted set that lost its last member vanishes.
    let emptied = store.remove_if_empty(key);
    let class = crate::config::KeyspaceEvents::ZSET;
    effects.notify(store, class, if min { "zpopmin" } else { "zpopmax" }, key);
    if emptied {
        effects.notify(store, crate::config::KeyspaceEvents::GENERIC, "del", key);
    }
    effects.log_with(|| effect);
    Value::Array(vec![Value::bulk(key), Value::Array(popped)])
}
// ANCHOR_END: zmpop_pop

// ANCHOR: zmpop
/// `ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]`: from the first key holding a sorted
/// set, pops up to `count` (default 1) members with the lowest (`MIN`) or highest (`MAX`)
/// scores; replies `[key, [[member, score], ...]]`, or a nil array when every key is empty.
pub fn zmpop(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let m = match parse(args) {
        Ok(m) => m,
        Err(e) => return e,
    };
    match first_nonempty(ctx.db, ctx.now, m.keys) {
        Ok(Some(key)) => pop(ctx.db, ctx.now, key, m.min, m.count, ctx.effects),
        Ok(None) => Value::NullArray,
        Err(e) => e,
    }
}
// ANCHOR_END: zmpop

/// `BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]`: `ZMPOP`, or if every key is
/// empty, wait up to `timeout` seconds (0: forever) for one to be filled. Inside `MULTI` it
/// never waits.
pub fn bzmpop(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let deadline = match parse_timeout(&args[0], ctx.now) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let m = match parse(&args[1..]) {
        Ok(m) => m,
        Err(e) => return e,
    };
    match first_nonempty(ctx.db, ctx.now, m.keys) {
        Ok(Some(key)) => pop(ctx.db, ctx.now, key, m.min, m.count, ctx.effects),
        Ok(None) => {
            if !ctx.in_exec {
                ctx.block = Some(BlockOn {
                    keys: m.keys.to_vec(),
                    deadline,
                    serve: serve_blocked,
                    argv: None,
                    shares: false,
                });
            }
            Value::NullArray
        }
        Err(e) => e,
    }
}

/// Runs a parked `BZMPOP` (`argv`, name included) for its client against `key`, which a write
/// just filled; `None` if it holds no sorted set yet. See `commands/blocking.rs`.
pub fn serve_blocked(
    store: &mut Db,
    now: u64,
    argv: &[Vec<u8>],
    key: &[u8],
    effects: &mut Effects,
) -> Option<Value> {
    let m = parse(argv.get(2..)?).ok()?;
    match store.get(key, now) {
        Some(Data::ZSet(z)) if !z.is_empty() => Some(pop(store, now, key, m.min, m.count, effects)),
        _ => None,
    }
}
