//! List commands, blocking pops included.
//!
//! Go original: `internal/commands/handlers/lists.go`. Explained in: book chapter 4 (lists) and
//! chapter 4's "Blocking pops" section.
//!
//! A list is the store's packed [`List`] (elements end to end in 4 KiB chunks, as Redis's
//! quicklist): O(1) push and pop at both ends, indexing that walks chunk counts. A list that
//! loses its last element vanishes (`remove_if_empty`).
//!
//! This file holds the commands on one list: pushes, pops, indexing, `LRANGE`, `LPOS`, and the
//! helpers the family shares. The commands that move elements between lists, pop from the first
//! of several or wait for an element (`LMOVE`, `LMPOP`, `BLPOP`, `BLMOVE`, ...) are in
//! `blocking.rs`, with the pop that a later push performs for a parked client
//! ([`serve_blocked`]).

use super::parse_i64;
use super::sets::effect_of;
use crate::commands::registry::{KEY1, KeySpec, NO_KEYS, flags::*};
use crate::commands::{Context, ReadContext, Registry};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::{Data, Db, List, StoreError};
use crate::protocol::resp::Value;

mod blocking;

use blocking::pop_logged;
pub use blocking::{
    blmove, blmpop, blpop, brpop, brpoplpush, lmove, lmpop, rpoplpush, serve_blocked,
};

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

    /// The keyspace event of a push at this end.
    fn push_event(self) -> &'static str {
        match self {
            End::Left => "lpush",
            End::Right => "rpush",
        }
    }

    /// The keyspace event of a pop from this end.
    fn pop_event(self) -> &'static str {
        match self {
            End::Left => "lpop",
            End::Right => "rpop",
        }
    }
}

/// The list at `key` for reading: `Ok(None)` if there is none, WRONGTYPE for another type.
fn list_ref<'s>(store: &'s Db, key: &[u8], now: u64) -> Result<Option<&'s List>, Value> {
    match store.get(key, now) {
        None => Ok(None),
        Some(Data::List(l)) => Ok(Some(l)),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

/// The list at `key` for writing: `Ok(None)` if there is none, WRONGTYPE for another type.
fn list_mut<'s>(store: &'s mut Db, key: &[u8], now: u64) -> Result<Option<&'s mut List>, Value> {
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
    let start = if start < 0 {
        (start + len).max(0)
    } else {
        start
    };
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
    let created = !only_existing && ctx.creates(key);
    let list = if only_existing {
        match list_mut(ctx.db, key, ctx.now) {
            Ok(Some(l)) => l,
            Ok(None) => return Value::Integer(0),
            Err(e) => return e,
        }
    } else {
        match ctx
            .db
            .get_or_insert_with(key, ctx.now, || Data::List(Default::default()))
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
    ctx.notify_added(created, Class::LIST, end.push_event(), key);
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
    // Redis's arity for both is "at least two words"; a third argument is refused here with the
    // same arity error, not as a syntax error.
    if args.len() > 2 {
        return Value::wrong_arity(if end == End::Left { "lpop" } else { "rpop" });
    }
    let count = match args.get(1).map(|a| parse_pop_count(a)) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => return e,
    };
    let key = &args[0];
    match list_mut(ctx.db, key, ctx.now) {
        Err(e) => return e,
        Ok(None) if count.is_some() => return Value::NullArray,
        Ok(None) => return Value::Null,
        Ok(Some(_)) => {}
    }
    let mut popped = pop_logged(
        ctx.db,
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
    let list = match list_ref(ctx.db, &args[0], ctx.now) {
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
    match list_ref(ctx.db, &args[0], ctx.now) {
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
    match list_ref(ctx.db, &args[0], ctx.now) {
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
    let list = match list_mut(ctx.db, &args[0], ctx.now) {
        Ok(Some(l)) => l,
        Ok(None) => return StoreError::NoSuchKey.into(),
        Err(e) => return e,
    };
    let Some(i) = resolve_index(index, list.len()) else {
        return StoreError::IndexOutOfRange.into();
    };
    list.set(i, &args[2]);
    ctx.log_with(|| effect_of(b"LSET", args));
    ctx.notify(Class::LIST, "lset", &args[0]);
    Value::OK
}

/// `LREM key count element`: removes the first `count` occurrences (from the tail when
/// negative, all when 0); replies with how many went.
pub fn lrem(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let Some(count) = parse_i64(&args[1]) else {
        return Value::not_integer();
    };
    let (key, element) = (&args[0], &args[2][..]);
    let list = match list_mut(ctx.db, key, ctx.now) {
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
        let emptied = ctx.db.remove_if_empty(key);
        ctx.log_with(|| effect_of(b"LREM", args));
        ctx.notify_removed(emptied, Class::LIST, "lrem", key);
    }
    Value::Integer(removed as i64)
}

/// `LTRIM key start stop`: keeps only the given range.
pub fn ltrim(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let (Some(start), Some(stop)) = (parse_i64(&args[1]), parse_i64(&args[2])) else {
        return Value::not_integer();
    };
    let key = &args[0];
    let list = match list_mut(ctx.db, key, ctx.now) {
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
    let changed = list.len() != before;
    let emptied = changed && ctx.db.remove_if_empty(key);
    if changed {
        ctx.log_with(|| effect_of(b"LTRIM", args));
    }
    // Redis tells of a trim even when it kept every element.
    ctx.notify_removed(emptied, Class::LIST, "ltrim", key);
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
    let list = match list_mut(ctx.db, &args[0], ctx.now) {
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
    ctx.notify(Class::LIST, "linsert", &args[0]);
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
    let list = match list_ref(ctx.db, &args[0], ctx.now) {
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
