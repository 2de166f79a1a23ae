//! List commands, blocking pops included.
//!
//! Go original: `internal/commands/handlers/lists.go`. Explained in: book chapter 4 (lists) and
//! chapter 4's "Blocking pops" section.
//!
//! A list is the store's packed [`List`] (elements end to end in 4 KiB chunks, as Redis's
//! quicklist): O(1) push and pop at both ends, indexing that walks chunk counts. A list that
//! loses its last element vanishes (`remove_if_empty`).
//!
//! The blocking commands are ordinary write handlers that, when every key is empty, ask the
//! dispatcher to park the client (`ctx.block`). The pop they would have done is factored into
//! functions that take the store alone ([`serve_blocked`]), so that a later push can perform it
//! on the waiter's behalf; see `commands/blocking.rs`.

use super::parse_i64;
use super::sets::effect_of;
use crate::commands::blocking::parse_timeout;
use crate::commands::registry::{KEY1, KeySpec, NO_KEYS, flags::*};
use crate::commands::{BlockOn, Context, Effects, ReadContext, Registry};
use crate::engine::store::{Data, List, Store, StoreError};
use crate::protocol::resp::Value;

/// `BLPOP k1 k2 timeout`: every argument but the last is a key.
const ALL_BUT_LAST: KeySpec = (1, -2, 1);
/// `LMOVE src dst ...`: two keys.
const TWO_KEYS: KeySpec = (1, 2, 1);

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    r.write("lpush", lpush, -3, DENYOOM | FAST, KEY1);
    r.write("rpush", rpush, -3, DENYOOM | FAST, KEY1);
    r.write("lpushx", lpushx, -3, DENYOOM | FAST, KEY1);
    r.write("rpushx", rpushx, -3, DENYOOM | FAST, KEY1);
    r.write("lpop", lpop, -2, FAST, KEY1);
    r.write("rpop", rpop, -2, FAST, KEY1);
    r.read("lrange", lrange, 4, 0, KEY1);
    r.read("llen", llen, 2, FAST, KEY1);
    r.read("lindex", lindex, 3, 0, KEY1);
    r.read("lpos", lpos, -3, 0, KEY1);
    r.write("lset", lset, 4, DENYOOM, KEY1);
    r.write("lrem", lrem, 4, 0, KEY1);
    r.write("ltrim", ltrim, 4, 0, KEY1);
    r.write("linsert", linsert, 5, DENYOOM, KEY1);
    r.write("lmove", lmove, 5, DENYOOM, TWO_KEYS);
    r.write("rpoplpush", rpoplpush, 3, DENYOOM, TWO_KEYS);
    // LMPOP names its keys after a count, which a (first, last, step) spec cannot describe; its
    // effects are LPOP/RPOP, which can, and those are what WATCH looks at.
    r.write("lmpop", lmpop, -4, 0, NO_KEYS);
    r.write("blpop", blpop, -3, BLOCKING, ALL_BUT_LAST);
    r.write("brpop", brpop, -3, BLOCKING, ALL_BUT_LAST);
    r.write("blmove", blmove, 6, DENYOOM | BLOCKING, TWO_KEYS);
    r.write("brpoplpush", brpoplpush, 4, DENYOOM | BLOCKING, TWO_KEYS);
    r.write("blmpop", blmpop, -5, BLOCKING, NO_KEYS);
}

/// The two ends of a list.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum End {
    /// The head (`LPUSH`, `LPOP`).
    Left,
    /// The tail (`RPUSH`, `RPOP`).
    Right,
}

impl End {
    fn parse(arg: &[u8]) -> Option<End> {
        if arg.eq_ignore_ascii_case(b"left") {
            Some(End::Left)
        } else if arg.eq_ignore_ascii_case(b"right") {
            Some(End::Right)
        } else {
            None
        }
    }

    fn word(self) -> &'static [u8] {
        match self {
            End::Left => b"LEFT",
            End::Right => b"RIGHT",
        }
    }

    fn pop_command(self) -> &'static [u8] {
        match self {
            End::Left => b"LPOP",
            End::Right => b"RPOP",
        }
    }
}

/// The list at `key` for reading: `Ok(None)` if there is none, WRONGTYPE for another type.
fn list_ref<'s>(store: &'s Store, key: &[u8], now: u64) -> Result<Option<&'s List>, Value> {
    match store.get(key, now) {
        None => Ok(None),
        Some(Data::List(l)) => Ok(Some(l)),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

/// The list at `key` for writing: `Ok(None)` if there is none, WRONGTYPE for another type.
fn list_mut<'s>(store: &'s mut Store, key: &[u8], now: u64) -> Result<Option<&'s mut List>, Value> {
    match store.get_mut(key, now) {
        None => Ok(None),
        Some(Data::List(l)) => Ok(Some(l)),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

/// Resolves Redis's `start stop` (negative counts from the end) to an inclusive index range
/// inside a list of `len`, or `None` when it selects nothing.
pub fn clamp_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { (start + len).max(0) } else { start };
    let stop = if stop < 0 { stop + len } else { stop };
    if start > stop || start >= len {
        return None;
    }
    Some((start as usize, stop.min(len - 1) as usize))
}

// ANCHOR: push
/// `LPUSH`/`RPUSH`/`LPUSHX`/`RPUSHX`: pushes each element in turn; replies with the new length.
/// The `X` forms only push onto a list that already exists.
fn push(ctx: &mut Context<'_>, args: &[Vec<u8>], end: End, only_existing: bool) -> Value {
    let (key, elements) = (&args[0], &args[1..]);
    let list = if only_existing {
        match list_mut(ctx.store, key, ctx.now) {
            Ok(Some(l)) => l,
            Ok(None) => return Value::Integer(0),
            Err(e) => return e,
        }
    } else {
        match ctx
            .store
            .get_or_insert_with(key, ctx.now, || Data::List(Box::default()))
        {
            Data::List(l) => l,
            _ => return StoreError::WrongType.into(),
        }
    };
    for e in elements {
        match end {
            End::Left => list.push_front(e),
            End::Right => list.push_back(e),
        }
    }
    let len = list.len() as i64;
    let name: &[u8] = match end {
        End::Left => b"LPUSH",
        End::Right => b"RPUSH",
    };
    ctx.log_with(|| effect_of(name, args));
    Value::Integer(len)
}
// ANCHOR_END: push

/// `LPUSH key element [element ...]`.
pub fn lpush(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    push(ctx, args, End::Left, false)
}

/// `RPUSH key element [element ...]`.
pub fn rpush(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    push(ctx, args, End::Right, false)
}

/// `LPUSHX key element [element ...]`: only if the list exists.
pub fn lpushx(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    push(ctx, args, End::Left, true)
}

/// `RPUSHX key element [element ...]`: only if the list exists.
pub fn rpushx(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    push(ctx, args, End::Right, true)
}

/// Pops up to `n` elements from one end of the list at `key`, deletes the key if that emptied
/// it, and logs `LPOP key n` (or without `n` when `count_form` is false).
fn pop_logged(
    store: &mut Store,
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
    store.remove_if_empty(key);
    effects.log_with(|| {
        let mut e = vec![end.pop_command().to_vec(), key.to_vec()];
        if count_form {
            e.push(popped.len().to_string().into_bytes());
        }
        e
    });
    popped
}

/// Parses the optional count of `LPOP key [count]`.
fn parse_pop_count(arg: &[u8]) -> Result<usize, Value> {
    match parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n as usize),
        _ => Err(Value::error("ERR value is out of range, must be positive")),
    }
}

// ANCHOR: pop
/// `LPOP`/`RPOP key [count]`: one element as a bulk string, or with a count an array of up to
/// `count` elements. A missing key is a nil bulk, or a nil array when a count was given.
fn pop(ctx: &mut Context<'_>, args: &[Vec<u8>], end: End) -> Value {
    if args.len() > 2 {
        return Value::syntax_error();
    }
    let count = match args.get(1).map(|a| parse_pop_count(a)) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => return e,
    };
    let key = &args[0];
    match list_mut(ctx.store, key, ctx.now) {
        Err(e) => return e,
        Ok(None) if count.is_some() => return Value::NullArray,
        Ok(None) => return Value::Null,
        Ok(Some(_)) => {}
    }
    let mut popped = pop_logged(
        ctx.store,
        ctx.now,
        key,
        end,
        count.unwrap_or(1),
        count.is_some(),
        ctx.effects,
    );
    match count {
        Some(_) => Value::Array(popped.into_iter().map(Value::Bulk).collect()),
        None => popped.pop().map_or(Value::Null, Value::Bulk),
    }
}
// ANCHOR_END: pop

/// `LPOP key [count]`.
pub fn lpop(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    pop(ctx, args, End::Left)
}

/// `RPOP key [count]`.
pub fn rpop(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    pop(ctx, args, End::Right)
}

// ANCHOR: lrange
/// `LRANGE key start stop`: the elements from `start` to `stop` inclusive; negative indexes
/// count from the end, and out-of-range ones are clamped rather than errors.
pub fn lrange(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let (Some(start), Some(stop)) = (parse_i64(&args[1]), parse_i64(&args[2])) else {
        return Value::not_integer();
    };
    let list = match list_ref(ctx.store, &args[0], ctx.now) {
        Ok(Some(l)) => l,
        Ok(None) => return Value::Array(Vec::new()),
        Err(e) => return e,
    };
    match clamp_range(start, stop, list.len()) {
        Some((a, b)) => Value::Bulks(list.iter_from(a).take(b - a + 1).collect()),
        None => Value::Array(Vec::new()),
    }
}
// ANCHOR_END: lrange

/// `LLEN key`.
pub fn llen(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match list_ref(ctx.store, &args[0], ctx.now) {
        Ok(l) => Value::Integer(l.map_or(0, |l| l.len() as i64)),
        Err(e) => e,
    }
}

/// Resolves one possibly negative index inside a list of `len`.
fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 { index + len as i64 } else { index };
    (0..len as i64).contains(&i).then_some(i as usize)
}

/// `LINDEX key index`.
pub fn lindex(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let Some(index) = parse_i64(&args[1]) else {
        return Value::not_integer();
    };
    match list_ref(ctx.store, &args[0], ctx.now) {
        Ok(Some(l)) => resolve_index(index, l.len())
            .and_then(|i| l.get(i))
            .map_or(Value::Null, |e| Value::Bulk(e.to_vec())),
        Ok(None) => Value::Null,
        Err(e) => e,
    }
}

/// `LSET key index element`.
pub fn lset(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let Some(index) = parse_i64(&args[1]) else {
        return Value::not_integer();
    };
    let list = match list_mut(ctx.store, &args[0], ctx.now) {
        Ok(Some(l)) => l,
        Ok(None) => return StoreError::NoSuchKey.into(),
        Err(e) => return e,
    };
    let Some(i) = resolve_index(index, list.len()) else {
        return StoreError::IndexOutOfRange.into();
    };
    list.set(i, &args[2]);
    ctx.log_with(|| effect_of(b"LSET", args));
    Value::OK
}

/// `LREM key count element`: removes the first `count` occurrences (from the tail when
/// negative, all when 0); replies with how many went.
pub fn lrem(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let Some(count) = parse_i64(&args[1]) else {
        return Value::not_integer();
    };
    let (key, element) = (&args[0], &args[2][..]);
    let list = match list_mut(ctx.store, key, ctx.now) {
        Ok(Some(l)) => l,
        Ok(None) => return Value::Integer(0),
        Err(e) => return e,
    };
    let limit = if count == 0 {
        usize::MAX
    } else {
        count.unsigned_abs() as usize
    };
    // From the tail: keep the first (matches - limit) matches, remove the rest.
    let mut skip = if count < 0 {
        let matches = list.iter().filter(|e| &e[..] == element).count();
        matches.saturating_sub(limit)
    } else {
        0
    };
    let mut removed = 0usize;
    list.retain(|e| {
        if e != element || removed >= limit {
            return true;
        }
        if skip > 0 {
            skip -= 1;
            return true;
        }
        removed += 1;
        false
    });
    if removed > 0 {
        ctx.store.remove_if_empty(key);
        ctx.log_with(|| effect_of(b"LREM", args));
    }
    Value::Integer(removed as i64)
}

/// `LTRIM key start stop`: keeps only the given range.
pub fn ltrim(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let (Some(start), Some(stop)) = (parse_i64(&args[1]), parse_i64(&args[2])) else {
        return Value::not_integer();
    };
    let key = &args[0];
    let list = match list_mut(ctx.store, key, ctx.now) {
        Ok(Some(l)) => l,
        Ok(None) => return Value::OK,
        Err(e) => return e,
    };
    let before = list.len();
    match clamp_range(start, stop, before) {
        Some((a, b)) => {
            list.remove_back(before - (b + 1));
            list.remove_front(a);
        }
        None => list.clear(),
    }
    if list.len() != before {
        ctx.store.remove_if_empty(key);
        ctx.log_with(|| effect_of(b"LTRIM", args));
    }
    Value::OK
}

/// `LINSERT key BEFORE|AFTER pivot element`: the new length, -1 if the pivot is absent, 0 if
/// the key is.
pub fn linsert(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let after = if args[1].eq_ignore_ascii_case(b"after") {
        true
    } else if args[1].eq_ignore_ascii_case(b"before") {
        false
    } else {
        return Value::syntax_error();
    };
    let list = match list_mut(ctx.store, &args[0], ctx.now) {
        Ok(Some(l)) => l,
        Ok(None) => return Value::Integer(0),
        Err(e) => return e,
    };
    let Some(at) = list.iter().position(|e| e[..] == args[2][..]) else {
        return Value::Integer(-1);
    };
    list.insert(at + after as usize, &args[3]);
    let len = list.len() as i64;
    ctx.log_with(|| effect_of(b"LINSERT", args));
    Value::Integer(len)
}

/// `LPOS key element [RANK rank] [COUNT num] [MAXLEN len]`: positions of matching elements.
pub fn lpos(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut maxlen: usize = 0;
    let mut opts = args[2..].chunks(2);
    for pair in &mut opts {
        let [name, value] = pair else {
            return Value::syntax_error();
        };
        let Some(n) = parse_i64(value) else {
            return Value::not_integer();
        };
        if name.eq_ignore_ascii_case(b"rank") {
            if n == 0 {
                return Value::error(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
                     or use negative to start from the end of the list",
                );
            }
            rank = n;
        } else if name.eq_ignore_ascii_case(b"count") {
            if n < 0 {
                return Value::error("ERR COUNT can't be negative");
            }
            count = Some(n as usize);
        } else if name.eq_ignore_ascii_case(b"maxlen") {
            if n < 0 {
                return Value::error("ERR MAXLEN can't be negative");
            }
            maxlen = n as usize;
        } else {
            return Value::syntax_error();
        }
    }
    let list = match list_ref(ctx.store, &args[0], ctx.now) {
        Ok(Some(l)) => l,
        Ok(None) => {
            return if count.is_some() {
                Value::Array(Vec::new())
            } else {
                Value::Null
            };
        }
        Err(e) => return e,
    };
    let element = &args[1][..];
    let len = list.len();
    let scan = if maxlen == 0 { len } else { maxlen.min(len) };
    let want = match count {
        Some(0) => usize::MAX,
        Some(n) => n,
        None => 1,
    };
    let mut skip = rank.unsigned_abs() - 1;
    let mut found = Vec::new();
    // Walk the elements rather than index them: indexing a packed list walks its chunks.
    let candidates: Box<dyn Iterator<Item = (usize, &[u8])>> = if rank > 0 {
        Box::new(list.iter().enumerate().take(scan))
    } else {
        Box::new(list.iter().enumerate().rev().take(scan))
    };
    for (i, e) in candidates {
        if e != element {
            continue;
        }
        if skip > 0 {
            skip -= 1;
            continue;
        }
        found.push(Value::Integer(i as i64));
        if found.len() >= want {
            break;
        }
    }
    match count {
        Some(_) => Value::Array(found),
        None => found.pop().unwrap_or(Value::Null),
    }
}

// ANCHOR: lmove
/// Pops from one end of `src` and pushes onto one end of `dst` (the same list rotates).
/// Checks both types before changing anything; logs `LMOVE src dst from to`.
fn move_element(
    store: &mut Store,
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
    if let Err(e) = list_ref(store, dst, now) {
        return e;
    }
    let Ok(Some(list)) = list_mut(store, src, now) else {
        return Value::Null;
    };
    let Some(element) = (match from {
        End::Left => list.pop_front(),
        End::Right => list.pop_back(),
    }) else {
        return Value::Null;
    };
    store.remove_if_empty(src);
    if let Data::List(target) = store.get_or_insert_with(dst, now, || Data::List(Box::default())) {
        match to {
            End::Left => target.push_front(&element),
            End::Right => target.push_back(&element),
        }
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
    move_element(ctx.store, ctx.now, &args[0], &args[1], from, to, ctx.effects)
}

/// `RPOPLPUSH source destination`: `LMOVE source destination RIGHT LEFT`.
pub fn rpoplpush(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    move_element(
        ctx.store,
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
fn first_nonempty<'k>(store: &Store, now: u64, keys: &'k [Vec<u8>]) -> Result<Option<&'k [u8]>, Value> {
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
    match first_nonempty(ctx.store, ctx.now, m.keys) {
        Ok(Some(key)) => {
            let popped = pop_logged(ctx.store, ctx.now, key, m.end, m.count, true, ctx.effects);
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
    match first_nonempty(ctx.store, ctx.now, keys) {
        Ok(Some(key)) => {
            let mut popped = pop_logged(ctx.store, ctx.now, key, end, 1, false, ctx.effects);
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

fn bmove(ctx: &mut Context<'_>, src: &[u8], dst: &[u8], from: End, to: End, timeout: &[u8]) -> Value {
    let deadline = match parse_timeout(timeout, ctx.now) {
        Ok(d) => d,
        Err(e) => return e,
    };
    match list_ref(ctx.store, src, ctx.now) {
        Err(e) => e,
        Ok(Some(_)) => move_element(ctx.store, ctx.now, src, dst, from, to, ctx.effects),
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
    match first_nonempty(ctx.store, ctx.now, m.keys) {
        Ok(Some(key)) => {
            let popped = pop_logged(ctx.store, ctx.now, key, m.end, m.count, true, ctx.effects);
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
    store: &mut Store,
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
            let end = if name == b"blpop" { End::Left } else { End::Right };
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

#[cfg(test)]
mod tests {
    use super::clamp_range;

    #[test]
    fn ranges_clamp_like_redis() {
        assert_eq!(clamp_range(0, -1, 3), Some((0, 2)));
        assert_eq!(clamp_range(-100, 100, 3), Some((0, 2)));
        assert_eq!(clamp_range(2, 1, 3), None);
        assert_eq!(clamp_range(3, 5, 3), None);
        assert_eq!(clamp_range(-1, -1, 3), Some((2, 2)));
        assert_eq!(clamp_range(0, -4, 3), None);
        assert_eq!(clamp_range(0, 0, 0), None);
    }
}
