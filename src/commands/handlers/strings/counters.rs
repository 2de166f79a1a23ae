//! String counters: `INCR`, `DECR`, `INCRBY`, `DECRBY` and `INCRBYFLOAT`.
//!
//! Go original: `internal/commands/handlers/strings.go`. Explained in: book chapter 4.
//!
//! A counter is a string that reads as a number. Each change is logged as the `SET` of its result
//! (with the key's deadline, if it has one), never as the increment, so a replayed log can never
//! count twice.

use super::string_at;
use crate::commands::Context;
use crate::commands::handlers::{format_incr_float, parse_f64, parse_i64};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::{Data, StoreError, Str};
use crate::protocol::resp::Value;

// ANCHOR: store_counter
/// Stores a counter's new value, keeping the key's TTL, and logs its effect: `SET key <new>`,
/// or `SET key <new> PXAT <deadline>` when the key has a TTL.
///
/// `SET key <new> KEEPTTL` would also keep the TTL, but only if the replay still finds the key;
/// a replay that has already dropped it as expired would recreate it with no TTL at all. Naming
/// the deadline makes the entry self-contained whatever happened before it.
///
/// Notified as `event` (`incrby`, `incrbyfloat`), after `new` for a key it creates.
fn store_counter(ctx: &mut Context<'_>, key: &[u8], text: Vec<u8>, event: &'static str) {
    match ctx.db.deadline(key, ctx.now) {
        Some(at) => ctx.log(&[b"SET", key, &text, b"PXAT", at.to_string().as_bytes()]),
        None => ctx.log(&[b"SET", key, &text]),
    }
    if ctx
        .db
        .set_keep_ttl(key, Data::Str(Str::from(text)), ctx.now)
        .is_none()
    {
        ctx.notify_new(key);
    }
    ctx.notify(Class::STRING, event, key);
}
// ANCHOR_END: store_counter

// ANCHOR: incr_by
/// Adds `delta` to the integer at `key` (a missing key counts as 0) and replies with the result.
fn incr_by(ctx: &mut Context<'_>, key: &[u8], delta: i64) -> Value {
    let current = match string_at(ctx.db.get(key, ctx.now)) {
        Ok(None) => 0,
        Ok(Some(s)) => match parse_i64(s) {
            Some(n) => n,
            None => return StoreError::NotInteger.into(),
        },
        Err(e) => return e,
    };
    let Some(new) = current.checked_add(delta) else {
        return StoreError::Overflow.into();
    };
    // `DECR` too: Redis names every integer step `incrby`.
    store_counter(ctx, key, new.to_string().into_bytes(), "incrby");
    Value::Integer(new)
}
// ANCHOR_END: incr_by

/// `INCR key`: adds 1.
pub fn incr(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key] = args else {
        return Value::wrong_arity("incr");
    };
    incr_by(ctx, key, 1)
}

/// `DECR key`: subtracts 1.
pub fn decr(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key] = args else {
        return Value::wrong_arity("decr");
    };
    incr_by(ctx, key, -1)
}

/// `INCRBY key increment`.
pub fn incrby(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, delta] = args else {
        return Value::wrong_arity("incrby");
    };
    match parse_i64(delta) {
        Some(delta) => incr_by(ctx, key, delta),
        None => Value::not_integer(),
    }
}

/// `DECRBY key decrement`. The smallest `i64` has no positive twin, so it cannot be negated.
pub fn decrby(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, delta] = args else {
        return Value::wrong_arity("decrby");
    };
    match parse_i64(delta) {
        Some(i64::MIN) => Value::error("ERR decrement would overflow"),
        Some(delta) => incr_by(ctx, key, -delta),
        None => Value::not_integer(),
    }
}

// ANCHOR: incrbyfloat
/// `INCRBYFLOAT key increment`: adds a float and replies with the result as Redis 7.0 prints it
/// (see [`format_incr_float`]). Logged as `SET` of that text, so a replay never re-rounds.
pub fn incrbyfloat(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, incr] = args else {
        return Value::wrong_arity("incrbyfloat");
    };
    // Redis checks the stored value before the increment.
    let current = match string_at(ctx.db.get(key, ctx.now)) {
        Ok(None) => 0.0,
        Ok(Some(s)) => match parse_f64(s) {
            Some(v) => v,
            None => return StoreError::NotFloat.into(),
        },
        Err(e) => return e,
    };
    let Some(incr) = parse_f64(incr) else {
        return StoreError::NotFloat.into();
    };
    let new = current + incr;
    if !new.is_finite() {
        return StoreError::NanOrInfinity.into();
    }
    let text = format_incr_float(new).into_bytes();
    store_counter(ctx, key, text.clone(), "incrbyfloat");
    Value::Bulk(text)
}
// ANCHOR_END: incrbyfloat
