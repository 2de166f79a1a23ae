//! `SET` and its options, the older forms built on it (`GETSET`, `SETNX`, `SETEX`, `PSETEX`), and
//! `GETDEL` and `GETEX`.
//!
//! Go original: `internal/commands/handlers/strings.go`. Explained in: book chapter 4.
//!
//! One parser reads the options of `SET` and `GETEX`, and one body (`set_generic`) serves every
//! form of `SET`. A relative TTL is logged as its absolute deadline, so a replay does not restart
//! the clock.

use super::string_at;
use crate::commands::Context;
use crate::commands::handlers::parse_i64;
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::{Data, Str};
use crate::protocol::resp::Value;

// ANCHOR: expire_option
/// How a `SET` or `GETEX` option names a deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ExpireUnit {
    /// `EX seconds`: relative.
    Ex,
    /// `PX milliseconds`: relative.
    Px,
    /// `EXAT unix-seconds`: absolute.
    ExAt,
    /// `PXAT unix-milliseconds`: absolute.
    PxAt,
}

/// Turns an expire argument into an absolute deadline in Unix ms, as Redis's
/// `getExpireMillisecondsOrReply`: a non-integer is `ERR value is not an integer or out of range`;
/// zero, a negative time, or one that overflows once scaled and added to `now` is
/// `ERR invalid expire time in '<command>' command`.
fn deadline_from(raw: &[u8], unit: ExpireUnit, now: u64, command: &str) -> Result<u64, Value> {
    let Some(n) = parse_i64(raw) else {
        return Err(Value::not_integer());
    };
    let invalid = || Value::error_owned(format!("ERR invalid expire time in '{command}' command"));
    let seconds = matches!(unit, ExpireUnit::Ex | ExpireUnit::ExAt);
    if n <= 0 || (seconds && n > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut ms = if seconds { n * 1000 } else { n };
    if matches!(unit, ExpireUnit::Ex | ExpireUnit::Px) {
        // Redis adds with wrapping arithmetic and then rejects the negative result; checked
        // addition says the same thing without relying on overflow.
        ms = ms.checked_add(now as i64).ok_or_else(invalid)?;
    }
    Ok(ms as u64)
}
// ANCHOR_END: expire_option

/// The options of `SET` (`NX XX GET KEEPTTL EX PX EXAT PXAT`) or `GETEX` (`PERSIST EX PX EXAT
/// PXAT`), parsed but not yet validated as numbers.
#[derive(Default)]
struct StringOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<(ExpireUnit, &'a [u8])>,
}

// ANCHOR: parse_string_options
/// Parses the options after the key (and value), as Redis's `parseExtendedStringArgumentsOrReply`:
/// options that contradict each other (`NX XX`, two different TTL forms, `KEEPTTL` with a TTL),
/// an unknown word or a TTL option without its number all answer `ERR syntax error`. Repeating
/// the same option is allowed; the last number wins.
fn parse_string_options(opts: &[Vec<u8>], for_set: bool) -> Result<StringOptions<'_>, Value> {
    let mut o = StringOptions::default();
    let mut i = 0;
    while i < opts.len() {
        let word = opts[i].to_ascii_uppercase();
        let unit = match word.as_slice() {
            b"EX" => Some(ExpireUnit::Ex),
            b"PX" => Some(ExpireUnit::Px),
            b"EXAT" => Some(ExpireUnit::ExAt),
            b"PXAT" => Some(ExpireUnit::PxAt),
            _ => None,
        };
        match (word.as_slice(), unit) {
            (b"NX", _) if for_set && !o.xx => o.nx = true,
            (b"XX", _) if for_set && !o.nx => o.xx = true,
            (b"GET", _) if for_set => o.get = true,
            (b"KEEPTTL", _) if for_set && o.expire.is_none() => o.keep_ttl = true,
            (b"PERSIST", _) if !for_set && o.expire.is_none() => o.persist = true,
            (_, Some(unit))
                if !o.keep_ttl && !o.persist && o.expire.is_none_or(|(u, _)| u == unit) =>
            {
                let Some(raw) = opts.get(i + 1) else {
                    return Err(Value::syntax_error());
                };
                o.expire = Some((unit, raw));
                i += 1;
            }
            _ => return Err(Value::syntax_error()),
        }
        i += 1;
    }
    Ok(o)
}
// ANCHOR_END: parse_string_options

// ANCHOR: set
/// `SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL]`.
///
/// Replies `OK`, or nil when `NX`/`XX` stopped it; with `GET`, the old string (or nil) either
/// way. Logged as `SET key value` (plus `KEEPTTL`), or `SET key value PXAT <deadline>` when it
/// sets a TTL, so a replay does not restart a relative clock.
pub fn set(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, value, opts @ ..] = args else {
        return Value::wrong_arity("set");
    };
    let o = match parse_string_options(opts, true) {
        Ok(o) => o,
        Err(e) => return e,
    };
    set_generic(ctx, key, value, &o, "set")
}
// ANCHOR_END: set

/// The body of `SET`, shared with `GETSET`, `SETEX` and `PSETEX`: checks everything, then
/// changes the store.
fn set_generic(
    ctx: &mut Context<'_>,
    key: &[u8],
    value: &[u8],
    o: &StringOptions<'_>,
    command: &str,
) -> Value {
    let deadline = match o.expire {
        Some((unit, raw)) => match deadline_from(raw, unit, ctx.now, command) {
            Ok(at) => Some(at),
            Err(e) => return e,
        },
        None => None,
    };
    // A plain `SET` overwrites whatever is there, so only `GET`, `NX` and `XX` look first: the
    // common case pays one table lookup, not two.
    let existing = if o.get || o.nx || o.xx {
        ctx.db.get(key, ctx.now)
    } else {
        None
    };
    // `SET ... GET` on a list must fail before anything changes, so check the type first.
    if o.get
        && let Err(e) = string_at(existing)
    {
        return e;
    }
    let found = existing.is_some();
    if (o.nx && found) || (o.xx && !found) {
        let reply = match existing {
            Some(Data::Str(old)) if o.get => Value::Bulk(old.to_vec()),
            _ => Value::Null,
        };
        if o.get && !found {
            ctx.notify_miss(key);
        }
        return reply;
    }
    if o.get && !found {
        ctx.notify_miss(key);
    }
    let data = Data::Str(Str::from(value));
    let old = if o.keep_ttl {
        ctx.db.set_keep_ttl(key, data, ctx.now)
    } else {
        ctx.db.set(key, data, ctx.now)
    };
    if old.is_none() {
        ctx.notify_new(key);
    }
    ctx.notify(Class::STRING, "set", key);
    match deadline {
        Some(at) => {
            ctx.db.set_deadline(key, at, ctx.now);
            ctx.log(&[b"SET", key, value, b"PXAT", at.to_string().as_bytes()]);
            ctx.notify(Class::GENERIC, "expire", key);
        }
        None if o.keep_ttl => ctx.log(&[b"SET", key, value, b"KEEPTTL"]),
        None => ctx.log(&[b"SET", key, value]),
    }
    if !o.get {
        ctx.discard(old);
        return Value::OK;
    }
    match old {
        Some(Data::Str(s)) => Value::Bulk(s.into_vec()),
        // `SET .. GET` over a collection is refused before this point.
        other => {
            ctx.discard(other);
            Value::Null
        }
    }
}

/// `GETSET key value`: `SET key value GET`, the form Redis keeps for old clients.
pub fn getset(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, value] = args else {
        return Value::wrong_arity("getset");
    };
    let o = StringOptions {
        get: true,
        ..StringOptions::default()
    };
    set_generic(ctx, key, value, &o, "getset")
}

/// `SETNX key value`: sets only a missing key; replies 1 if it did, 0 if not.
pub fn setnx(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, value] = args else {
        return Value::wrong_arity("setnx");
    };
    if ctx.db.contains(key, ctx.now) {
        return Value::Integer(0);
    }
    ctx.db
        .set(key, Data::Str(Str::from(value.as_slice())), ctx.now);
    ctx.log(&[b"SET", key, value]);
    ctx.notify_new(key);
    ctx.notify(Class::STRING, "set", key);
    Value::Integer(1)
}

/// `SETEX key seconds value`: `SET key value EX seconds`.
pub fn setex(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    set_with_ttl(ctx, args, ExpireUnit::Ex, "setex")
}

/// `PSETEX key milliseconds value`: `SET key value PX milliseconds`.
pub fn psetex(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    set_with_ttl(ctx, args, ExpireUnit::Px, "psetex")
}

fn set_with_ttl(ctx: &mut Context<'_>, args: &[Vec<u8>], unit: ExpireUnit, command: &str) -> Value {
    let [key, ttl, value] = args else {
        return Value::wrong_arity(command);
    };
    let o = StringOptions {
        expire: Some((unit, ttl)),
        ..StringOptions::default()
    };
    set_generic(ctx, key, value, &o, command)
}

/// `GETDEL key`: the string at `key`, deleting the key. Logged as `DEL key`.
pub fn getdel(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key] = args else {
        return Value::wrong_arity("getdel");
    };
    if let Err(e) = string_at(ctx.db.get(key, ctx.now)) {
        return e;
    }
    let Some(Data::Str(old)) = ctx.db.remove(key, ctx.now) else {
        ctx.notify_miss(key);
        return Value::Null;
    };
    ctx.log(&[b"DEL", key]);
    ctx.notify(Class::GENERIC, "del", key);
    Value::Bulk(old.into_vec())
}

// ANCHOR: getex
/// `GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST]`: `GET` that also sets or clears
/// the TTL. A deadline already past deletes the key (logged as `DEL`), as `EXPIREAT` does; a
/// new deadline is logged as `PEXPIREAT`, a cleared one as `PERSIST`.
pub fn getex(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, opts @ ..] = args else {
        return Value::wrong_arity("getex");
    };
    let o = match parse_string_options(opts, false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    // Redis looks the key up before it checks the time: `GETEX missing EX 0` is nil, not an error.
    let value = match string_at(ctx.db.get(key, ctx.now)) {
        Ok(Some(s)) => s.to_vec(),
        Ok(None) => {
            ctx.notify_miss(key);
            return Value::Null;
        }
        Err(e) => return e,
    };
    let deadline = match o.expire {
        Some((unit, raw)) => match deadline_from(raw, unit, ctx.now, "getex") {
            Ok(at) => Some(at),
            Err(e) => return e,
        },
        None => None,
    };
    match deadline {
        Some(at) if at <= ctx.now => {
            ctx.db.remove(key, ctx.now);
            ctx.log(&[b"DEL", key]);
            ctx.notify(Class::GENERIC, "del", key);
        }
        Some(at) => {
            ctx.db.set_deadline(key, at, ctx.now);
            ctx.log(&[b"PEXPIREAT", key, at.to_string().as_bytes()]);
            ctx.notify(Class::GENERIC, "expire", key);
        }
        None if o.persist && ctx.db.persist(key, ctx.now) => {
            ctx.log(&[b"PERSIST", key]);
            ctx.notify(Class::GENERIC, "persist", key);
        }
        None => {}
    }
    Value::Bulk(value)
}
// ANCHOR_END: getex

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expire_arguments() {
        let now = 1_000;
        assert_eq!(
            deadline_from(b"10", ExpireUnit::Ex, now, "set").ok(),
            Some(11_000)
        );
        assert_eq!(
            deadline_from(b"10", ExpireUnit::Px, now, "set").ok(),
            Some(1_010)
        );
        assert_eq!(
            deadline_from(b"10", ExpireUnit::ExAt, now, "set").ok(),
            Some(10_000)
        );
        assert_eq!(
            deadline_from(b"1", ExpireUnit::PxAt, now, "set").ok(),
            Some(1)
        );
        let invalid = Value::error("ERR invalid expire time in 'set' command");
        for (raw, unit) in [
            (&b"0"[..], ExpireUnit::Ex),
            (b"-1", ExpireUnit::Px),
            (b"9223372036854775", ExpireUnit::Ex),
            (b"9223372036854775807", ExpireUnit::Px),
            (b"9223372036854776", ExpireUnit::ExAt),
        ] {
            assert_eq!(
                deadline_from(raw, unit, now, "set").err(),
                Some(invalid.clone()),
                "{unit:?}"
            );
        }
        assert_eq!(
            deadline_from(b"1.5", ExpireUnit::Ex, now, "set").err(),
            Some(Value::not_integer())
        );
    }
}
