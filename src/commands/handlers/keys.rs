//! Key and TTL commands: `DEL`, `EXISTS`, `TYPE`, `RENAME`, `COPY`, `KEYS`, `SCAN`, `RANDOMKEY`,
//! `DBSIZE`, `FLUSHALL`, the `EXPIRE` family, `TTL` and friends, `PERSIST`, `TOUCH`.
//!
//! Go original: `DEL`, `EXISTS`, `EXPIRE`, `TTL` in `internal/commands/handlers/strings.go`.
//! Explained in: book chapters 4 and 5.
//!
//! Every command passes `ctx.now` to the store, which never shows a key whose deadline has
//! passed (design invariant 2): `KEYS`, `SCAN`, `DBSIZE`, `EXISTS` and `TYPE` included.

use super::databases::db_index;
use super::parse_i64;
use crate::commands::registry::{ALL_KEYS, KEY1, KeySpec, NO_KEYS, flags::*};
use std::sync::atomic::Ordering;

use crate::commands::{Context, ReadContext, Registry, Shared};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::lazyfree::LAZYFREE_THRESHOLD;
use crate::engine::store::{Db, StoreError, glob_match};
use crate::protocol::resp::Value;

/// `RENAME src dst`, `COPY src dst`: the first two arguments are keys.
const TWO_KEYS: KeySpec = (1, 2, 1);

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    r.write("del", del, -2, 0, ALL_KEYS);
    r.write("unlink", unlink, -2, FAST, ALL_KEYS);
    r.read("exists", exists, -2, FAST, ALL_KEYS);
    r.read("touch", exists, -2, FAST, ALL_KEYS);
    r.read("type", type_, 2, FAST, KEY1);
    r.write("rename", rename, 3, 0, TWO_KEYS);
    r.write("renamenx", renamenx, 3, FAST, TWO_KEYS);
    r.write("copy", copy, -3, DENYOOM, TWO_KEYS);
    r.read("keys", keys, 2, 0, NO_KEYS);
    r.read("scan", scan, -2, 0, NO_KEYS);
    r.read("randomkey", randomkey, 1, 0, NO_KEYS);
    r.read("dbsize", dbsize, 1, FAST, NO_KEYS);
    r.write("flushdb", flushdb, -1, 0, NO_KEYS);
    r.write("flushall", flushall, -1, 0, NO_KEYS);
    r.write("expire", expire, -3, FAST, KEY1);
    r.write("pexpire", pexpire, -3, FAST, KEY1);
    r.write("expireat", expireat, -3, FAST, KEY1);
    r.write("pexpireat", pexpireat, -3, FAST, KEY1);
    r.read("ttl", ttl, 2, FAST, KEY1);
    r.read("pttl", pttl, 2, FAST, KEY1);
    r.read("expiretime", expiretime, 2, FAST, KEY1);
    r.read("pexpiretime", pexpiretime, 2, FAST, KEY1);
    r.write("persist", persist, 2, FAST, KEY1);
}

// ANCHOR: del
/// `DEL key [key ...]`: deletes the keys, replies how many existed. A big value is freed on the
/// `lazyfree` thread when `lazyfree-lazy-user-del` is on, as `UNLINK` always does.
pub fn del(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let lazy = ctx.shared.lazyfree.user_del.load(Ordering::Relaxed);
    delete(ctx, args, lazy)
}

/// `UNLINK key [key ...]`: `DEL`, with big values freed in the background.
pub fn unlink(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    delete(ctx, args, true)
}

fn delete(ctx: &mut Context<'_>, args: &[Vec<u8>], lazy: bool) -> Value {
    // The keys that existed, by reference: the effect copies them only if it is wanted.
    let mut existed: Vec<&Vec<u8>> = Vec::new();
    for key in args {
        if let Some(old) = ctx.db.remove(key, ctx.now) {
            if lazy {
                ctx.shared.lazyfree.free_value(old);
            }
            existed.push(key);
            ctx.notify(Class::GENERIC, "del", key);
        }
    }
    if !existed.is_empty() {
        ctx.log_with(|| {
            let mut effect = Vec::with_capacity(existed.len() + 1);
            effect.push(b"DEL".to_vec());
            effect.extend(existed.iter().map(|key| key.to_vec()));
            effect
        });
    }
    Value::Integer(existed.len() as i64)
}
// ANCHOR_END: del

/// `EXISTS key [key ...]` (and `TOUCH`, which in Redis also refreshes the access time we do not
/// keep): how many of the keys exist, a key named twice counted twice.
pub fn exists(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let n = args.iter().filter(|k| ctx.db.contains(k, ctx.now)).count();
    Value::Integer(n as i64)
}

/// `TYPE key`: `string`, `list`, `set`, `hash`, `zset`, or `none`.
pub fn type_(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let [key] = args else {
        return Value::wrong_arity("type");
    };
    Value::simple(ctx.db.get(key, ctx.now).map_or("none", |d| d.type_name()))
}

// ANCHOR: rename
/// `RENAME src dst`: moves the value, and its TTL, to `dst`, replacing whatever was there.
/// `ERR no such key` if `src` is missing (even when `src` and `dst` are the same).
pub fn rename(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    match rename_generic(ctx, args, false) {
        Ok(_) => Value::OK,
        Err(e) => e,
    }
}
// ANCHOR_END: rename

/// `RENAMENX src dst`: `RENAME` only if `dst` does not exist; 1 if it renamed, 0 if not.
pub fn renamenx(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    match rename_generic(ctx, args, true) {
        Ok(done) => Value::Integer(done as i64),
        Err(e) => e,
    }
}

/// The body of both renames; `Ok(false)` when nothing moved. Logged as `RENAME src dst`, which
/// replays the same way for either command once we know the move happened.
fn rename_generic(ctx: &mut Context<'_>, args: &[Vec<u8>], nx: bool) -> Result<bool, Value> {
    let [src, dst] = args else {
        return Err(Value::wrong_arity(if nx { "renamenx" } else { "rename" }));
    };
    if !ctx.db.contains(src, ctx.now) {
        return Err(StoreError::NoSuchKey.into());
    }
    if src == dst {
        // Nothing to move; RENAMENX still says "not renamed", as Redis does.
        return Ok(!nx);
    }
    if nx && ctx.db.contains(dst, ctx.now) {
        return Ok(false);
    }
    let deadline = ctx.db.deadline(src, ctx.now);
    let Some(data) = ctx.db.remove(src, ctx.now) else {
        return Err(StoreError::NoSuchKey.into());
    };
    let replaced = ctx.db.set(dst, data, ctx.now);
    ctx.discard(replaced);
    if let Some(at) = deadline {
        ctx.db.set_deadline(dst, at, ctx.now);
    }
    ctx.log(&[b"RENAME", src, dst]);
    // Redis deletes a `dst` that exists before it adds the moved value: `dst` is always new.
    ctx.notify_new(dst);
    ctx.notify(Class::GENERIC, "rename_from", src);
    ctx.notify(Class::GENERIC, "rename_to", dst);
    Ok(true)
}

// ANCHOR: copy
/// `COPY src dst [DB db] [REPLACE]`: copies the value and its TTL, into database `db` if given;
/// 1 if it copied, 0 if `src` is missing or `dst` exists without `REPLACE`.
///
/// Go parity: none in go-redis.
pub fn copy(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [src, dst, opts @ ..] = args else {
        return Value::wrong_arity("copy");
    };
    let mut replace = false;
    let mut target = ctx.client.db;
    let mut i = 0;
    while i < opts.len() {
        if opts[i].eq_ignore_ascii_case(b"REPLACE") {
            replace = true;
        } else if opts[i].eq_ignore_ascii_case(b"DB") && i + 1 < opts.len() {
            match db_index(&opts[i + 1], ctx.others.count()) {
                Ok(db) => target = db,
                Err(e) => return e,
            }
            i += 1;
        } else {
            return Value::syntax_error();
        }
        i += 1;
    }
    let same_db = target == ctx.client.db;
    if same_db && src == dst {
        return Value::error("ERR source and destination objects are the same");
    }
    let Some(data) = ctx.db.get(src, ctx.now).cloned() else {
        ctx.notify_miss(src);
        return Value::Integer(0);
    };
    let deadline = ctx.db.deadline(src, ctx.now);
    let now = ctx.now;
    let Some(into) = (if same_db {
        Some(&mut *ctx.db)
    } else {
        ctx.others.get_mut(target)
    }) else {
        return Value::Integer(0);
    };
    if !replace && into.contains(dst, now) {
        return Value::Integer(0);
    }
    into.set(dst, data, now);
    if let Some(at) = deadline {
        into.set_deadline(dst, at, now);
    }
    if same_db {
        ctx.log(&[b"COPY", src, dst, b"REPLACE"]);
    } else {
        ctx.log(&[
            b"COPY",
            src,
            dst,
            b"DB",
            target.to_string().as_bytes(),
            b"REPLACE",
        ]);
    }
    // Replaced or not, `dst` is new: Redis deletes the old one first, as `RENAME` does.
    ctx.notify_in(target, Class::NEW, "new", dst);
    ctx.notify_in(target, Class::GENERIC, "copy_to", dst);
    Value::Integer(1)
}
// ANCHOR_END: copy

// ANCHOR: keys
/// `KEYS pattern`: every live key matching the glob `pattern`, in no particular order.
/// O(keys) under the read guard, like Redis's own: fine for a classroom, `SCAN` for production.
pub fn keys(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let [pattern] = args else {
        return Value::wrong_arity("keys");
    };
    // `*` skips the matcher, as in Redis, so it lists the empty key too (see `glob_match`).
    let all = pattern.as_slice() == b"*";
    let found = ctx
        .db
        .iter(ctx.now)
        .filter(|(k, _)| all || glob_match(pattern, k))
        .map(|(k, _)| Value::Bulk(k.to_vec()))
        .collect();
    Value::Array(found)
}
// ANCHOR_END: keys

/// Parses a `SCAN` cursor as C's `strtoul` does for Redis: an optional sign (a negative number
/// wraps around, an empty argument is 0), digits, nothing else, no overflow.
fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let (negative, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        Some(_) => (false, arg),
        None => return Some(0),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

// ANCHOR: scan
/// `SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]`: one step of a walk over the keyspace.
/// Replies with the next cursor (0 when the walk is over) and the keys of this step. A key that
/// exists for the whole walk is returned at least once, whatever is added or deleted meanwhile
/// (the store's slot cursor guarantees it; see `Db::scan`).
pub fn scan(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let [cursor, opts @ ..] = args else {
        return Value::wrong_arity("scan");
    };
    let Some(cursor) = parse_cursor(cursor) else {
        return Value::error("ERR invalid cursor");
    };
    let mut count = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 0;
    while i < opts.len() {
        let Some(arg) = opts.get(i + 1) else {
            return Value::syntax_error();
        };
        let word = &opts[i];
        if word.eq_ignore_ascii_case(b"COUNT") {
            match parse_i64(arg) {
                Some(n) if n >= 1 => count = usize::try_from(n).unwrap_or(usize::MAX),
                Some(_) => return Value::syntax_error(),
                None => return Value::not_integer(),
            }
        } else if word.eq_ignore_ascii_case(b"MATCH") {
            pattern = (arg.as_slice() != b"*").then_some(arg.as_slice());
        } else if word.eq_ignore_ascii_case(b"TYPE") {
            // An unknown type name matches nothing, as in Redis 7.0.
            type_name = Some(arg.as_slice());
        } else {
            return Value::syntax_error();
        }
        i += 2;
    }
    let mut found = Vec::new();
    // A cursor past the last slot (any number a client makes up) just ends the walk.
    let next = ctx.db.scan(cursor, count, ctx.now, |key, data| {
        if pattern.is_some_and(|p| !glob_match(p, key)) {
            return;
        }
        if type_name.is_some_and(|t| !t.eq_ignore_ascii_case(data.type_name().as_bytes())) {
            return;
        }
        found.push(Value::Bulk(key.to_vec()));
    });
    Value::Array(vec![Value::bulk(next.to_string()), Value::Array(found)])
}
// ANCHOR_END: scan

/// `RANDOMKEY`: a uniformly chosen live key, or nil when there is none.
pub fn randomkey(ctx: &mut ReadContext<'_>, _: &[Vec<u8>]) -> Value {
    match ctx.db.random_key(ctx.now, &mut rand::rng()) {
        Some(k) => Value::Bulk(k.to_vec()),
        None => Value::Null,
    }
}

/// `DBSIZE`: the number of live keys.
pub fn dbsize(ctx: &mut ReadContext<'_>, _: &[Vec<u8>]) -> Value {
    Value::Integer(ctx.db.len() as i64)
}

// ANCHOR: flushall
/// `FLUSHALL [ASYNC | SYNC]`: deletes every key of every database; with `ASYNC` the memory is
/// given back on the `lazyfree` thread, and the reply does not wait for it. Logged as `FLUSHALL`, as Redis
/// propagates it even when there was nothing to delete; with save points set, `dump.rdb` is
/// saved empty before the reply.
pub fn flushall(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let lazy = match flush_mode(ctx, args) {
        Ok(lazy) => lazy,
        Err(e) => return e,
    };
    // Before the keys go: a watched key is touched only if it was live, as in Redis 7 (an
    // expired key that is flushed away changed nothing a client could see).
    let (db, others, selected, now) = (&*ctx.db, &ctx.others, ctx.client.db, ctx.now);
    ctx.watch.touch_where(|index, key| {
        let db = if index == selected {
            Some(db)
        } else {
            others.get(index)
        };
        db.is_some_and(|db| db.contains(key, now))
    });
    flush(ctx.shared, ctx.db, lazy);
    for db in ctx.others.iter_mut() {
        flush(ctx.shared, db, lazy);
    }
    // As Redis: a background save of what is gone stops, and with save points set the empty
    // store is saved (once this guard is released; a replay saves nothing).
    ctx.shared.rdb.flushed(ctx.client.handle.stream.is_some());
    ctx.log(&[b"FLUSHALL"]);
    Value::OK
}

/// `FLUSHDB [ASYNC | SYNC]`: deletes every key of the selected database.
pub fn flushdb(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let lazy = match flush_mode(ctx, args) {
        Ok(lazy) => lazy,
        Err(e) => return e,
    };
    let (db, selected, now) = (&*ctx.db, ctx.client.db, ctx.now);
    ctx.watch
        .touch_where(|index, key| index == selected && db.contains(key, now));
    flush(ctx.shared, ctx.db, lazy);
    ctx.log(&[b"FLUSHDB"]);
    Value::OK
}

/// Checks a flush's optional `ASYNC` or `SYNC`: true to free in the background (`ASYNC`, or
/// neither with `lazyfree-lazy-user-flush` on).
fn flush_mode(ctx: &Context<'_>, args: &[Vec<u8>]) -> Result<bool, Value> {
    match args {
        [] => Ok(ctx.shared.lazyfree.user_flush.load(Ordering::Relaxed)),
        [mode] if mode.eq_ignore_ascii_case(b"SYNC") => Ok(false),
        [mode] if mode.eq_ignore_ascii_case(b"ASYNC") => Ok(true),
        _ => Err(Value::syntax_error()),
    }
}

/// Empties `db`: its tables go to the `lazyfree` thread if `lazy` and there are more keys than
/// the lazy-free threshold, else they are dropped here.
fn flush(shared: &Shared, db: &mut Db, lazy: bool) {
    let (contents, keys) = db.take_contents();
    if lazy && keys > LAZYFREE_THRESHOLD {
        shared.lazyfree.free(contents, keys as u64);
    }
}
// ANCHOR_END: flushall

// ANCHOR: expire_generic
/// The body of `EXPIRE`, `PEXPIRE`, `EXPIREAT` and `PEXPIREAT key time [NX | XX | GT | LT]`,
/// as Redis's `expireGenericCommand`. `base` is added to the time (the current time for the
/// relative forms, 0 for the absolute ones). Replies 1 if the TTL was set, 0 if the key is
/// missing or a condition failed.
///
/// A deadline already past deletes the key at once (Redis 7's rule), logged as `DEL`; any other
/// deadline is logged as `PEXPIREAT key <absolute ms>`, so a replay does not restart the clock.
fn expire_generic(
    ctx: &mut Context<'_>,
    args: &[Vec<u8>],
    base: i64,
    seconds: bool,
    name: &str,
) -> Value {
    let [key, when, opts @ ..] = args else {
        return Value::wrong_arity(name);
    };
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in opts {
        match opt.to_ascii_uppercase().as_slice() {
            b"NX" => nx = true,
            b"XX" => xx = true,
            b"GT" => gt = true,
            b"LT" => lt = true,
            _ => {
                return Value::error_owned(format!(
                    "ERR Unsupported option {}",
                    String::from_utf8_lossy(opt)
                ));
            }
        }
    }
    if nx && (xx || gt || lt) {
        return Value::error("ERR NX and XX, GT or LT options at the same time are not compatible");
    }
    if gt && lt {
        return Value::error("ERR GT and LT options at the same time are not compatible");
    }
    let Some(mut when) = parse_i64(when) else {
        return Value::not_integer();
    };
    let invalid = || Value::error_owned(format!("ERR invalid expire time in '{name}' command"));
    if seconds {
        match when.checked_mul(1000) {
            Some(ms) => when = ms,
            None => return invalid(),
        }
    }
    match when.checked_add(base) {
        Some(at) => when = at,
        None => return invalid(),
    }
    if !ctx.db.contains(key, ctx.now) {
        return Value::Integer(0);
    }
    let current = ctx.db.deadline(key, ctx.now).map(|at| at as i64);
    // No TTL counts as an infinite one: GT never beats it, LT always does.
    let refused = (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|cur| when <= cur))
        || (lt && current.is_some_and(|cur| when >= cur));
    if refused {
        return Value::Integer(0);
    }
    // A deadline in the past is a deletion, and Redis tells of it as one.
    if when <= ctx.now as i64 {
        ctx.db.remove(key, ctx.now);
        ctx.log(&[b"DEL", key]);
        ctx.notify(Class::GENERIC, "del", key);
    } else {
        ctx.db.set_deadline(key, when as u64, ctx.now);
        ctx.log(&[b"PEXPIREAT", key, when.to_string().as_bytes()]);
        ctx.notify(Class::GENERIC, "expire", key);
    }
    Value::Integer(1)
}
// ANCHOR_END: expire_generic

/// `EXPIRE key seconds [NX | XX | GT | LT]`.
pub fn expire(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let now = ctx.now as i64;
    expire_generic(ctx, args, now, true, "expire")
}

/// `PEXPIRE key milliseconds [NX | XX | GT | LT]`.
pub fn pexpire(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let now = ctx.now as i64;
    expire_generic(ctx, args, now, false, "pexpire")
}

/// `EXPIREAT key unix-seconds [NX | XX | GT | LT]`.
pub fn expireat(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    expire_generic(ctx, args, 0, true, "expireat")
}

/// `PEXPIREAT key unix-milliseconds [NX | XX | GT | LT]`.
pub fn pexpireat(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    expire_generic(ctx, args, 0, false, "pexpireat")
}

// ANCHOR: ttl_generic
/// The body of `TTL`, `PTTL`, `EXPIRETIME` and `PEXPIRETIME`: -2 for a missing key, -1 for a key
/// without a TTL, else the time left (or the deadline, when `absolute`). Seconds are rounded to
/// the nearest, as Redis does (`(ms + 500) / 1000`), so a fresh `EXPIRE k 10` reads 10, not 9.
fn ttl_generic(ctx: &ReadContext<'_>, args: &[Vec<u8>], millis: bool, absolute: bool) -> Value {
    let [key] = args else {
        return Value::wrong_arity("ttl");
    };
    if !ctx.db.contains(key, ctx.now) {
        return Value::Integer(-2);
    }
    let Some(at) = ctx.db.deadline(key, ctx.now) else {
        return Value::Integer(-1);
    };
    let ms = if absolute {
        at as i128
    } else {
        (at as i128 - ctx.now as i128).max(0)
    };
    let out = if millis { ms } else { (ms + 500) / 1000 };
    Value::Integer(out.min(i64::MAX as i128) as i64)
}
// ANCHOR_END: ttl_generic

/// `TTL key`: seconds left.
pub fn ttl(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    ttl_generic(ctx, args, false, false)
}

/// `PTTL key`: milliseconds left.
pub fn pttl(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    ttl_generic(ctx, args, true, false)
}

/// `EXPIRETIME key`: the deadline in Unix seconds.
pub fn expiretime(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    ttl_generic(ctx, args, false, true)
}

/// `PEXPIRETIME key`: the deadline in Unix milliseconds.
pub fn pexpiretime(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    ttl_generic(ctx, args, true, true)
}

/// `PERSIST key`: removes the TTL; 1 if there was one. Logged as itself only then.
pub fn persist(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key] = args else {
        return Value::wrong_arity("persist");
    };
    if ctx.db.persist(key, ctx.now) {
        ctx.log(&[b"PERSIST", key]);
        ctx.notify(Class::GENERIC, "persist", key);
        return Value::Integer(1);
    }
    Value::Integer(0)
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+12"), Some(12));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        for bad in [&b"18446744073709551616"[..], b" 0", b"x", b"-", b"1x"] {
            assert_eq!(parse_cursor(bad), None);
        }
    }
}
