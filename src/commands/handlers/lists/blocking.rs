//! List moves and blocking pops: `LMOVE`, `RPOPLPUSH` and `LMPOP`, their blocking forms `BLMOVE`,
//! `BRPOPLPUSH` and `BLMPOP`, and `BLPOP`/`BRPOP`.
//!
//! Go original: `internal/commands/handlers/lists.go`. Explained in: book chapter 4's "Blocking
//! pops" section.
//!
//! The blocking commands are ordinary write handlers that, when every key is empty, ask the
//! dispatcher to park the client (`ctx.block`). The pop they would have done is factored into
//! functions that take the store alone ([`serve_blocked`]), so that a later push can perform it
//! on the waiter's behalf; see `commands/blocking.rs`.

use super::{End, list_mut, list_ref};
use crate::commands::blocking::parse_timeout;
use crate::commands::handlers::parse_i64;
use crate::commands::{BlockOn, Context, Effects};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::{Data, Db};
use crate::protocol::resp::Value;

/// Pops up to `n` elements from one end of the list at `key`, deletes the key if that emptied
/// it, and logs `LPOP key n` (or without `n` when `count_form` is false). Notified as `lpop` or
/// `rpop`, then `del` if the list is gone.
pub(super) fn pop_logged(
    store: &mut Db,
    now: u64,
    key: &[u8],
    end: End,
    n: usize,
    count_form: bool,
    effects: &mut Effects,
) -> Vec<Vec<u8>> {
    let Ok(Some(list)) = list_mut(store, key, now) else {
        return Vec::new();
    };
    let n = n.min(list.len());
    let popped: Vec<Vec<u8>> = match end {
        End::Left => (0..n).filter_map(|_| list.pop_front()).collect(),
        End::Right => (0..n).filter_map(|_| list.pop_back()).collect(),
    };
    if popped.is_empty() {
        return popped;
    }
    let emptied = store.remove_if_empty(key);
    effects.notify(store, Class::LIST, end.pop_event(), key);
    if emptied {
        effects.notify(store, Class::GENERIC, "del", key);
    }
    effects.log_with(|| {
        let mut e = vec![end.pop_command().to_vec(), key.to_vec()];
        if count_form {
            e.push(popped.len().to_string().into_bytes());
        }
        e
    });
    popped
}

// ANCHOR: lmove
/// Pops from one end of `src` and pushes onto one end of `dst` (the same list rotates).
/// Checks both types before changing anything; logs `LMOVE src dst from to`. Notified as
/// Redis does: the push on `dst` (after `new` if it creates it), then the pop on `src`, then
/// `del` if `src` is gone.
fn move_element(
    store: &mut Db,
    now: u64,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
    effects: &mut Effects,
) -> Value {
    match list_ref(store, src, now) {
        Ok(Some(_)) => {}
        Ok(None) => return Value::Null,
        Err(e) => return e,
    }
    let creates = match list_ref(store, dst, now) {
        Ok(found) => found.is_none(),
        Err(e) => return e,
    };
    let Ok(Some(list)) = list_mut(store, src, now) else {
        return Value::Null;
    };
    let Some(element) = (match from {
        End::Left => list.pop_front(),
        End::Right => list.pop_back(),
    }) else {
        return Value::Null;
    };
    // Push before the emptied source goes, so a one-element list rotating onto itself is never
    // deleted (and keeps its TTL), as in Redis.
    if let Data::List(target) =
        store.get_or_insert_with(dst, now, || Data::List(Default::default()))
    {
        match to {
            End::Left => target.push_front(&element),
            End::Right => target.push_back(&element),
        }
    }
    let emptied = store.remove_if_empty(src);
    if creates {
        effects.notify(store, Class::NEW, "new", dst);
    }
    effects.notify(store, Class::LIST, to.push_event(), dst);
    effects.notify(store, Class::LIST, from.pop_event(), src);
    if emptied {
        effects.notify(store, Class::GENERIC, "del", src);
    }
    let reply = Value::Bulk(element);
    effects.log_with(|| {
        vec![
            b"LMOVE".to_vec(),
            src.to_vec(),
            dst.to_vec(),
            from.word().to_vec(),
            to.word().to_vec(),
        ]
    });
    reply
}
// ANCHOR_END: lmove

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`.
pub fn lmove(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let (Some(from), Some(to)) = (End::parse(&args[2]), End::parse(&args[3])) else {
        return Value::syntax_error();
    };
    move_element(ctx.db, ctx.now, &args[0], &args[1], from, to, ctx.effects)
}

/// `RPOPLPUSH source destination`: `LMOVE source destination RIGHT LEFT`.
pub fn rpoplpush(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    move_element(
        ctx.db,
        ctx.now,
        &args[0],
        &args[1],
        End::Right,
        End::Left,
        ctx.effects,
    )
}

/// A parsed `[B]LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]`.
struct Mpop<'a> {
    keys: &'a [Vec<u8>],
    end: End,
    count: usize,
}

fn parse_mpop(args: &[Vec<u8>]) -> Result<Mpop<'_>, Value> {
    let numkeys = match parse_i64(&args[0]) {
        Some(n) if n > 0 => n as usize,
        _ => return Err(Value::error("ERR numkeys should be greater than 0")),
    };
    if numkeys >= args.len() - 1 {
        return Err(Value::syntax_error());
    }
    let keys = &args[1..=numkeys];
    let rest = &args[numkeys + 1..];
    let Some(end) = End::parse(&rest[0]) else {
        return Err(Value::syntax_error());
    };
    let count = match &rest[1..] {
        [] => 1,
        [word, n] if word.eq_ignore_ascii_case(b"count") => match parse_i64(n) {
            Some(n) if n > 0 => n as usize,
            _ => return Err(Value::error("ERR count should be greater than 0")),
        },
        _ => return Err(Value::syntax_error()),
    };
    Ok(Mpop { keys, end, count })
}

/// The reply of `[B]LMPOP`: `[key, [elements...]]`.
fn mpop_reply(key: &[u8], popped: Vec<Vec<u8>>) -> Value {
    Value::Array(vec![
        Value::bulk(key),
        Value::Array(popped.into_iter().map(Value::Bulk).collect()),
    ])
}

/// The first of `keys` that holds a non-empty list; WRONGTYPE if one holding another type
/// comes first, as Redis checks them in order.
fn first_nonempty<'k>(
    store: &Db,
    now: u64,
    keys: &'k [Vec<u8>],
) -> Result<Option<&'k [u8]>, Value> {
    for key in keys {
        if let Some(l) = list_ref(store, key, now)?
            && !l.is_empty()
        {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

/// `LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]`: pops from the first non-empty list.
pub fn lmpop(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let m = match parse_mpop(args) {
        Ok(m) => m,
        Err(e) => return e,
    };
    match first_nonempty(ctx.db, ctx.now, m.keys) {
        Ok(Some(key)) => {
            let popped = pop_logged(ctx.db, ctx.now, key, m.end, m.count, true, ctx.effects);
            mpop_reply(key, popped)
        }
        Ok(None) => Value::NullArray,
        Err(e) => e,
    }
}

/// Parks the client on `keys` until `deadline` when it may block; inside `EXEC` a blocking
/// command that finds nothing answers at once with the timeout reply, as in Redis.
fn block_on(ctx: &mut Context<'_>, keys: &[Vec<u8>], deadline: Option<u64>, nil: Value) -> Value {
    if !ctx.in_exec {
        ctx.block = Some(BlockOn {
            keys: keys.to_vec(),
            deadline,
            serve: serve_blocked,
            argv: None,
            shares: false,
        });
    }
    nil
}

// ANCHOR: blpop
/// `BLPOP`/`BRPOP key [key ...] timeout`: pops from the first non-empty list, or waits for one.
fn bpop(ctx: &mut Context<'_>, args: &[Vec<u8>], end: End) -> Value {
    let (keys, timeout) = args.split_at(args.len() - 1);
    let deadline = match parse_timeout(&timeout[0], ctx.now) {
        Ok(d) => d,
        Err(e) => return e,
    };
    match first_nonempty(ctx.db, ctx.now, keys) {
        Ok(Some(key)) => {
            let mut popped = pop_logged(ctx.db, ctx.now, key, end, 1, false, ctx.effects);
            match popped.pop() {
                Some(e) => Value::Array(vec![Value::bulk(key), Value::Bulk(e)]),
                None => Value::NullArray,
            }
        }
        Ok(None) => block_on(ctx, keys, deadline, Value::NullArray),
        Err(e) => e,
    }
}
// ANCHOR_END: blpop

/// `BLPOP key [key ...] timeout`.
pub fn blpop(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    bpop(ctx, args, End::Left)
}

/// `BRPOP key [key ...] timeout`.
pub fn brpop(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    bpop(ctx, args, End::Right)
}

/// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`.
pub fn blmove(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let (Some(from), Some(to)) = (End::parse(&args[2]), End::parse(&args[3])) else {
        return Value::syntax_error();
    };
    bmove(ctx, &args[0], &args[1], from, to, &args[4])
}

/// `BRPOPLPUSH source destination timeout`.
pub fn brpoplpush(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    bmove(ctx, &args[0], &args[1], End::Right, End::Left, &args[2])
}

fn bmove(
    ctx: &mut Context<'_>,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
    timeout: &[u8],
) -> Value {
    let deadline = match parse_timeout(timeout, ctx.now) {
        Ok(d) => d,
        Err(e) => return e,
    };
    match list_ref(ctx.db, src, ctx.now) {
        Err(e) => e,
        Ok(Some(_)) => move_element(ctx.db, ctx.now, src, dst, from, to, ctx.effects),
        // Redis answers a timed-out BLMOVE with a nil *array* (`*-1`), like every blocking
        // list command, although a non-blocking LMOVE that finds nothing answers `$-1`.
        Ok(None) => block_on(ctx, &[src.to_vec()], deadline, Value::NullArray),
    }
}

/// `BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]`.
pub fn blmpop(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let deadline = match parse_timeout(&args[0], ctx.now) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let m = match parse_mpop(&args[1..]) {
        Ok(m) => m,
        Err(e) => return e,
    };
    match first_nonempty(ctx.db, ctx.now, m.keys) {
        Ok(Some(key)) => {
            let popped = pop_logged(ctx.db, ctx.now, key, m.end, m.count, true, ctx.effects);
            mpop_reply(key, popped)
        }
        Ok(None) => block_on(ctx, m.keys, deadline, Value::NullArray),
        Err(e) => e,
    }
}

// ANCHOR: serve_blocked
/// Runs a parked list command (`argv`, name included) on behalf of its client, against `key`,
/// which a write just filled. Returns the client's reply, or `None` if `key` holds no list with
/// elements yet (the client stays parked). Called under the write guard by `blocking::serve`.
pub fn serve_blocked(
    store: &mut Db,
    now: u64,
    argv: &[Vec<u8>],
    key: &[u8],
    effects: &mut Effects,
) -> Option<Value> {
    match list_ref(store, key, now) {
        Ok(Some(l)) if !l.is_empty() => {}
        _ => return None,
    }
    let name = argv[0].to_ascii_lowercase();
    let args = &argv[1..];
    match name.as_slice() {
        b"blpop" | b"brpop" => {
            let end = if name == b"blpop" {
                End::Left
            } else {
                End::Right
            };
            let e = pop_logged(store, now, key, end, 1, false, effects).pop()?;
            Some(Value::Array(vec![Value::bulk(key), Value::Bulk(e)]))
        }
        b"blmove" | b"brpoplpush" => {
            let (from, to) = if name == b"blmove" {
                (End::parse(&args[2])?, End::parse(&args[3])?)
            } else {
                (End::Right, End::Left)
            };
            Some(move_element(store, now, key, &args[1], from, to, effects))
        }
        b"blmpop" => {
            let m = parse_mpop(&args[1..]).ok()?;
            let popped = pop_logged(store, now, key, m.end, m.count, true, effects);
            Some(mpop_reply(key, popped))
        }
        _ => None,
    }
}
// ANCHOR_END: serve_blocked
