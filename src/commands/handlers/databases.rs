//! The commands that choose or reach across databases: `SELECT`, `MOVE`, `SWAPDB`.
//!
//! Go original: none (go-redis had one keyspace). Explained in: book chapter 4, "Sixteen
//! databases".
//!
//! `SELECT` changes only the connection, so it needs no guard. `MOVE` and `SWAPDB` change two
//! databases under one write guard: the handler's own database is `ctx.db`, the others are in
//! `ctx.others`. Each logs itself as it ran, which replays the same change; `WATCH` and blocked
//! clients find the other database's keys through `effects::change_keys`.

use super::parse_i64;
use crate::commands::registry::{KEY1, NO_KEYS, flags::*};
use crate::commands::{ClientContext, Context, Registry, Shared};
use crate::config::KeyspaceEvents as Class;
use crate::protocol::resp::Value;

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    r.client("select", select, 2, FAST | LOADING | STALE, NO_KEYS);
    r.write("move", move_, 3, FAST, KEY1);
    r.write("swapdb", swapdb, 3, FAST, NO_KEYS);
}

// ANCHOR: db_index
/// Reads a database number as Redis does: an integer that fits in 32 bits, then one of the
/// `count` databases.
pub fn db_index(arg: &[u8], count: usize) -> Result<usize, Value> {
    let Some(n) = parse_i64(arg) else {
        return Err(Value::not_integer());
    };
    if i32::try_from(n).is_err() {
        return Err(Value::error(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    usize::try_from(n)
        .ok()
        .filter(|&i| i < count)
        .ok_or_else(|| Value::error("ERR DB index is out of range"))
}
// ANCHOR_END: db_index

// ANCHOR: select
/// `SELECT index`: the connection's later commands use database `index`.
pub fn select(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    match db_index(&args[0], shared.databases) {
        Ok(db) => {
            client.db = db;
            client
                .handle
                .db
                .store(db, std::sync::atomic::Ordering::Relaxed);
            Value::OK
        }
        Err(e) => e,
    }
}
// ANCHOR_END: select

// ANCHOR: move
/// `MOVE key db`: moves `key`, with its TTL, to database `db`; 1 if it moved, 0 if it is missing
/// here or already exists there.
pub fn move_(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, target] = args else {
        return Value::wrong_arity("move");
    };
    let count = ctx.others.count();
    let db = match db_index(target, count) {
        Ok(db) => db,
        Err(e) => return e,
    };
    let Some(dst) = ctx.others.get_mut(db) else {
        return Value::error("ERR source and destination objects are the same");
    };
    if !ctx.db.contains(key, ctx.now) || dst.contains(key, ctx.now) {
        return Value::Integer(0);
    }
    let deadline = ctx.db.deadline(key, ctx.now);
    let Some(data) = ctx.db.remove(key, ctx.now) else {
        return Value::Integer(0);
    };
    dst.set(key, data, ctx.now);
    if let Some(at) = deadline {
        dst.set_deadline(key, at, ctx.now);
    }
    ctx.log(&[b"MOVE", key, db.to_string().as_bytes()]);
    ctx.notify_in(db, Class::NEW, "new", key);
    ctx.notify(Class::GENERIC, "move_from", key);
    ctx.notify_in(db, Class::GENERIC, "move_to", key);
    Value::Integer(1)
}
// ANCHOR_END: move

// ANCHOR: swapdb
/// `SWAPDB a b`: databases `a` and `b` trade their keys; every client connected to one now sees
/// what was in the other.
pub fn swapdb(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let count = ctx.others.count();
    let mut index = [0usize; 2];
    for (i, (arg, which)) in args.iter().zip(["first", "second"]).enumerate() {
        let Some(n) = parse_i64(arg).filter(|n| i32::try_from(*n).is_ok()) else {
            return Value::error_owned(format!("ERR invalid {which} DB index"));
        };
        match usize::try_from(n).ok().filter(|&n| n < count) {
            Some(n) => index[i] = n,
            None => return Value::error("ERR DB index is out of range"),
        }
    }
    let [a, b] = index;
    if a != b {
        let selected = ctx.others.selected();
        if a == selected || b == selected {
            let other = if a == selected { b } else { a };
            if let Some(db) = ctx.others.get_mut(other) {
                std::mem::swap(ctx.db, db);
            }
        } else {
            ctx.others.swap(a, b);
        }
    }
    // Redis 7.0 tells of no event here (nor for `FLUSHDB` and `FLUSHALL`).
    ctx.log(&[
        b"SWAPDB",
        a.to_string().as_bytes(),
        b.to_string().as_bytes(),
    ]);
    Value::OK
}
// ANCHOR_END: swapdb
