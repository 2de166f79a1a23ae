//! Transactions: `MULTI`, `EXEC`, `DISCARD`, `WATCH`, `UNWATCH`.
//!
//! Go original: `DispatchWithContext` in `internal/commands/dispatcher.go`. Explained in: book chapter 7.
//!
//! The queueing happens in the dispatcher (every command but these is queued after `MULTI`);
//! `EXEC` itself is [`crate::commands::dispatcher::exec`], which holds one write guard for the
//! whole batch.

use crate::commands::dispatcher::exec as run_exec;
use crate::commands::registry::{ALL_KEYS, NO_KEYS, flags::*};
use crate::commands::{ClientContext, Context, Handler, Registry, Shared};
use crate::protocol::resp::Value;

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    r.add(
        "multi",
        Handler::Client(multi),
        1,
        NOSCRIPT | LOADING | STALE | FAST | RUNS_IN_MULTI,
        NO_KEYS,
    );
    r.add(
        "exec",
        Handler::Client(exec),
        1,
        NOSCRIPT | LOADING | STALE | RUNS_IN_MULTI | SKIP_SLOWLOG,
        NO_KEYS,
    );
    r.add(
        "discard",
        Handler::Client(discard),
        1,
        NOSCRIPT | LOADING | STALE | FAST | RUNS_IN_MULTI,
        NO_KEYS,
    );
    r.add(
        "watch",
        Handler::Write(watch),
        -2,
        NOSCRIPT | LOADING | STALE | FAST | RUNS_IN_MULTI,
        ALL_KEYS,
    );
    r.add(
        "unwatch",
        Handler::Write(unwatch),
        1,
        NOSCRIPT | LOADING | STALE | FAST,
        NO_KEYS,
    );
}

/// `MULTI`: start queueing.
pub fn multi(_: &Shared, client: &mut ClientContext, _: &[Vec<u8>]) -> Value {
    // Go parity: a nested MULTI reset the queue in go-redis; Redis refuses it and keeps the queue.
    if client.multi.is_some() {
        return Value::error("ERR MULTI calls can not be nested");
    }
    client.multi = Some(Vec::new());
    client.multi_error = false;
    Value::OK
}

/// `EXEC`: run the queue atomically.
pub fn exec(shared: &Shared, client: &mut ClientContext, _: &[Vec<u8>]) -> Value {
    run_exec(shared, client)
}

/// `DISCARD`: drop the queue and every watched key.
pub fn discard(shared: &Shared, client: &mut ClientContext, _: &[Vec<u8>]) -> Value {
    if client.multi.take().is_none() {
        return Value::error("ERR DISCARD without MULTI");
    }
    client.multi_error = false;
    client.unwatch_all(&mut shared.write_store().watch);
    Value::OK
}

// ANCHOR: watch
/// `WATCH key [key ...]`: `EXEC` will fail if any of these keys is modified before it.
pub fn watch(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    if ctx.client.multi.is_some() {
        return Value::error("ERR WATCH inside MULTI is not allowed");
    }
    for key in args {
        let db = ctx.client.db;
        if ctx
            .client
            .watched
            .iter()
            .any(|(d, k, _)| *d == db && **k == key[..])
        {
            continue;
        }
        // Only a key that was live when watched can later count as modified by expiring: one
        // already expired (but not yet deleted), or missing and later swapped in expired by
        // `SWAPDB`, did not change as far as the client could see, as in Redis.
        let live = ctx.db.contains(key, ctx.now);
        let stale = ctx.db.is_stale(key, ctx.now);
        ctx.watch.watch(db, key, &ctx.client.watch_flag, stale);
        ctx.client.watched.push((db, key.as_slice().into(), live));
    }
    Value::OK
}
// ANCHOR_END: watch

/// `UNWATCH`: forget every watched key.
pub fn unwatch(ctx: &mut Context<'_>, _: &[Vec<u8>]) -> Value {
    ctx.client.unwatch_all(ctx.watch);
    Value::OK
}
