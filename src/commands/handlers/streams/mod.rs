//! Stream commands: `XADD`, `XRANGE`, `XREVRANGE`, `XLEN`, `XDEL`, `XTRIM` here; reading
//! (`XREAD`, `XREADGROUP`) in `read.rs`, consumer groups in `groups.rs`, `XINFO` in `info.rs`.
//! `XSETID` is the classroom exercise ex16, in `handlers/xsetid.rs`.
//!
//! Go original: none (go-redis had no streams). Explained in: book chapter "Streams".
//!
//! The stream itself is `engine::store::stream`; these handlers parse, check every argument
//! before changing anything, and log effects that replay exactly: an `XADD` is logged with the
//! ID it made, and an approximate trim (`~`) as the exact trim it turned out to be.

mod claim;
mod groups;
mod info;
mod read;

use super::parse_i64;
use crate::commands::registry::{KEY1, flags::*};
use crate::commands::{Context, ReadContext, Registry, Shared};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::stream::{Entry, NodeLimits, StreamId, Trim, TrimLimit};
use crate::engine::store::{Data, Db, StoreError, Stream};
use crate::protocol::resp::Value;

pub use read::serve_blocked;

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    r.write("xadd", xadd, -5, DENYOOM | FAST, KEY1);
    r.read("xrange", xrange, -4, 0, KEY1);
    r.read("xrevrange", xrevrange, -4, 0, KEY1);
    r.read("xlen", xlen, 2, FAST, KEY1);
    r.write("xdel", xdel, -3, FAST, KEY1);
    r.write("xtrim", xtrim, -4, 0, KEY1);
    read::register(r);
    groups::register(r);
    r.write("xclaim", claim::xclaim, -6, FAST, KEY1);
    r.write("xautoclaim", claim::xautoclaim, -6, FAST, KEY1);
    info::register(r);
}

/// `ERR Invalid stream ID specified as stream command argument`.
fn invalid_id() -> Value {
    Value::error("ERR Invalid stream ID specified as stream command argument")
}

/// `ERR value is not an integer or out of range`.
pub(super) fn not_integer() -> Value {
    StoreError::NotInteger.into()
}

/// An ID where `-` and `+` mean the smallest and the greatest (Redis's `streamParseIDOrReply`).
fn parse_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, Value> {
    match arg {
        b"-" => Ok(StreamId::MIN),
        b"+" => Ok(StreamId::MAX),
        _ => StreamId::parse(arg, missing_seq).ok_or_else(invalid_id),
    }
}

/// An ID where `-` and `+` are refused (Redis's `streamParseStrictIDOrReply`).
pub(super) fn parse_strict_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, Value> {
    StreamId::parse(arg, missing_seq).ok_or_else(invalid_id)
}

/// A range bound: an ID, `-`/`+`, or `(ID` for an exclusive one, moved inwards by one.
fn parse_bound(arg: &[u8], start: bool) -> Result<StreamId, Value> {
    let missing_seq = if start { 0 } else { u64::MAX };
    match arg.strip_prefix(b"(") {
        Some(rest) if !rest.is_empty() => {
            let id = parse_strict_id(rest, missing_seq)?;
            let moved = if start { id.next() } else { id.prev() };
            moved.ok_or_else(|| {
                Value::error(if start {
                    "ERR invalid start ID for the interval"
                } else {
                    "ERR invalid end ID for the interval"
                })
            })
        }
        _ => parse_id(arg, missing_seq),
    }
}

/// The stream at `key`, if any; WRONGTYPE for another type.
fn stream_ref<'s>(db: &'s Db, key: &[u8], now: u64) -> Result<Option<&'s Stream>, Value> {
    match db.get(key, now) {
        None => Ok(None),
        Some(Data::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

/// The stream at `key`, writable, if any; WRONGTYPE for another type.
pub(super) fn stream_mut<'s>(
    db: &'s mut Db,
    key: &[u8],
    now: u64,
) -> Result<Option<&'s mut Stream>, Value> {
    match db.get_mut(key, now) {
        None => Ok(None),
        Some(Data::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

/// The node limits in force (`stream-node-max-entries`, `stream-node-max-bytes`).
fn node_limits(shared: &Shared) -> NodeLimits {
    let config = shared.config.read().unwrap_or_else(|p| p.into_inner());
    let get = |name: &str, default: usize| {
        config
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    NodeLimits {
        max_entries: get("stream-node-max-entries", 100),
        max_bytes: get("stream-node-max-bytes", 4096),
    }
}

/// An entry as replies carry it: `[id, [field, value, ...]]`.
fn entry_reply(e: &Entry) -> Value {
    Value::Array(vec![
        Value::Bulk(e.id.to_bytes()),
        Value::Array(e.elements().map(Value::bulk).collect()),
    ])
}

/// True when the command comes from the AOF or a master: Redis then obeys a trim exactly and
/// ignores `LIMIT` ("mustObeyClient"). The replay's client is the detached client 0.
fn obeys(ctx: &Context<'_>) -> bool {
    ctx.client.is_master || ctx.client.id == 0
}

/// The trimming options of `XADD` and `XTRIM`, parsed.
#[derive(Default)]
struct TrimArgs {
    trim: Option<Trim>,
    approx: bool,
    limit: Option<u64>,
    /// Where the trim's value is (to rewrite it in the effect), and the `~`, if any.
    value_at: usize,
    tilde_at: Option<usize>,
    nomkstream: bool,
    /// `XADD`'s ID and where it is.
    id_at: usize,
}

// ANCHOR: parse_trim
/// Parses `[MAXLEN|MINID [=|~] threshold] [LIMIT count] [NOMKSTREAM]` from `args[1..]`, and
/// for `XADD` (`xadd`) stops at the ID. Redis's texts and order of checks.
fn parse_trim(args: &[Vec<u8>], xadd: bool, obey: bool) -> Result<TrimArgs, Value> {
    let mut t = TrimArgs::default();
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i];
        if xadd && opt.as_slice() == b"*" {
            break;
        } else if (opt.eq_ignore_ascii_case(b"maxlen") || opt.eq_ignore_ascii_case(b"minid"))
            && more > 0
        {
            if t.trim.is_some() {
                return Err(Value::error(
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            t.approx = false;
            let next = args[i + 1].as_slice();
            if more >= 2 && (next == b"~" || next == b"=") {
                t.approx = next == b"~";
                t.tilde_at = t.approx.then_some(i + 1);
                i += 1;
            }
            let value = &args[i + 1];
            t.trim = Some(if opt.eq_ignore_ascii_case(b"maxlen") {
                let n = parse_i64(value).ok_or_else(not_integer)?;
                if n < 0 {
                    return Err(Value::error("ERR The MAXLEN argument must be >= 0."));
                }
                Trim::MaxLen(n as u64)
            } else {
                Trim::MinId(parse_strict_id(value, 0)?)
            });
            i += 1;
            t.value_at = i;
        } else if opt.eq_ignore_ascii_case(b"limit") && more > 0 {
            let n = parse_i64(&args[i + 1]).ok_or_else(not_integer)?;
            if n < 0 {
                return Err(Value::error("ERR The LIMIT argument must be >= 0."));
            }
            t.limit = Some(n as u64);
            i += 1;
        } else if xadd && opt.eq_ignore_ascii_case(b"nomkstream") {
            t.nomkstream = true;
        } else if xadd {
            break;
        } else {
            return Err(Value::syntax_error());
        }
        i += 1;
    }
    t.id_at = i;
    if t.limit.is_some_and(|n| n > 0) && t.trim.is_none() {
        return Err(Value::error(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && t.trim.is_none() {
        return Err(Value::error(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if obey {
        t.limit = Some(0);
    } else if t.limit.is_some() && !t.approx {
        return Err(Value::error(
            "ERR syntax error, LIMIT cannot be used without the special ~ option",
        ));
    }
    Ok(t)
}
// ANCHOR_END: parse_trim

impl TrimArgs {
    /// How exact the trim is; an approximate one without `LIMIT` may remove at most 100 nodes'
    /// worth of entries, as in Redis.
    fn limit(&self, limits: NodeLimits) -> TrimLimit {
        if !self.approx {
            return TrimLimit::Exact;
        }
        match self.limit {
            Some(n) => TrimLimit::Approx(n),
            None => TrimLimit::Approx(
                (100 * limits.max_entries as u64)
                    .clamp(1, 1_000_000)
                    .max(if limits.max_entries == 0 { 10_000 } else { 1 }),
            ),
        }
    }
}

/// The effect of an approximate trim: the same command with `=` and the threshold it reached
/// (the length, or the first ID left), so that a replay removes exactly what this run removed.
fn exact_trim_effect(args: &[Vec<u8>], t: &TrimArgs, s: &Stream) -> Vec<Vec<u8>> {
    let mut argv: Vec<Vec<u8>> = args.to_vec();
    if let Some(at) = t.tilde_at {
        argv[at] = b"=".to_vec();
        argv[t.value_at] = match t.trim {
            Some(Trim::MaxLen(_)) => s.len().to_string().into_bytes(),
            _ => match s.first() {
                Some(e) => e.id.to_bytes(),
                None => StreamId::MAX.to_bytes(),
            },
        };
    }
    argv
}

// ANCHOR: xadd
/// `XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ...`:
/// appends an entry and answers its ID. Logged with that ID, so the replay adds the same one.
pub fn xadd(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let t = match parse_trim(args, true, obeys(ctx)) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let fields = &args[(t.id_at + 1).min(args.len())..];
    if fields.len() < 2 || !fields.len().is_multiple_of(2) {
        return Value::wrong_arity("xadd");
    }
    let Some(want) = StreamId::parse_new(&args[t.id_at]) else {
        return invalid_id();
    };
    if want == crate::engine::store::stream::NewId::Explicit(StreamId::MIN) {
        return Value::error("ERR The ID specified in XADD must be greater than 0-0");
    }
    let key = &args[0];
    let created = match stream_ref(ctx.db, key, ctx.now) {
        Err(e) => return e,
        Ok(None) if t.nomkstream => return Value::Null,
        Ok(found) => found.is_none(),
    };
    let limits = node_limits(ctx.shared);
    if created {
        ctx.db.set(key, Data::from(Stream::new()), ctx.now);
    }
    let Ok(Some(s)) = stream_mut(ctx.db, key, ctx.now) else {
        return Value::Null;
    };
    if s.last_id == StreamId::MAX {
        return Value::error(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        );
    }
    // The clock of a replay is stopped; its IDs are explicit anyway.
    let Some(id) = s.next_id(want, crate::engine::store::now_ms()) else {
        if created {
            ctx.db.remove(key, ctx.now);
        }
        return Value::error(
            "ERR The ID specified in XADD is equal or smaller than the target stream top item",
        );
    };
    s.append(id, fields, limits);
    let trimmed = match t.trim {
        Some(trim) => s.trim(trim, t.limit(limits)),
        None => 0,
    };
    let mut effect = exact_trim_effect(args, &t, s);
    effect[t.id_at] = id.to_bytes();
    ctx.log_with(|| {
        let mut argv = vec![b"XADD".to_vec()];
        argv.extend(effect);
        argv
    });
    ctx.notify_added(created, Class::STREAM, "xadd", key);
    if trimmed > 0 {
        ctx.notify(Class::STREAM, "xtrim", key);
    }
    Value::Bulk(id.to_bytes())
}
// ANCHOR_END: xadd

/// `XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]`: how many entries it removed.
pub fn xtrim(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let t = match parse_trim(args, false, obeys(ctx)) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let limits = node_limits(ctx.shared);
    let key = &args[0];
    let s = match stream_mut(ctx.db, key, ctx.now) {
        Ok(Some(s)) => s,
        Ok(None) => return Value::Integer(0),
        Err(e) => return e,
    };
    let Some(trim) = t.trim else {
        return Value::Integer(0);
    };
    let trimmed = s.trim(trim, t.limit(limits));
    if trimmed > 0 {
        let effect = exact_trim_effect(args, &t, s);
        ctx.log_with(|| {
            let mut argv = vec![b"XTRIM".to_vec()];
            argv.extend(effect);
            argv
        });
        ctx.notify(Class::STREAM, "xtrim", key);
    }
    Value::Integer(trimmed as i64)
}

/// `XRANGE`/`XREVRANGE`: the entries between two bounds, at most `COUNT`.
fn range(ctx: &ReadContext<'_>, args: &[Vec<u8>], rev: bool) -> Value {
    let (start_arg, end_arg) = if rev {
        (&args[2], &args[1])
    } else {
        (&args[1], &args[2])
    };
    let start = match parse_bound(start_arg, true) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let end = match parse_bound(end_arg, false) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let mut count: i64 = -1;
    let mut rest = &args[3..];
    while !rest.is_empty() {
        match rest {
            [word, n, tail @ ..] if word.eq_ignore_ascii_case(b"count") => {
                match parse_i64(n) {
                    Some(n) => count = n.max(0),
                    None => return not_integer(),
                }
                rest = tail;
            }
            _ => return Value::syntax_error(),
        }
    }
    let s = match stream_ref(ctx.db, &args[0], ctx.now) {
        Ok(Some(s)) => s,
        Ok(None) => return Value::Array(Vec::new()),
        Err(e) => return e,
    };
    if count == 0 {
        return Value::NullArray;
    }
    let take = if count < 0 {
        usize::MAX
    } else {
        count as usize
    };
    let entries = if rev {
        s.rev_range(start, end)
    } else {
        s.range(start, end)
    };
    Value::Array(entries.take(take).map(entry_reply).collect())
}

/// `XRANGE key start end [COUNT count]`.
pub fn xrange(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    range(ctx, args, false)
}

/// `XREVRANGE key end start [COUNT count]`.
pub fn xrevrange(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    range(ctx, args, true)
}

/// `XLEN key`.
pub fn xlen(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match stream_ref(ctx.db, &args[0], ctx.now) {
        Ok(s) => Value::Integer(s.map_or(0, |s| s.len() as i64)),
        Err(e) => e,
    }
}

/// `XDEL key id [id ...]`: how many of the entries existed and went. Every ID is checked
/// before any is deleted.
pub fn xdel(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let ids: Vec<StreamId> = match args[1..].iter().map(|a| parse_strict_id(a, 0)).collect() {
        Ok(ids) => ids,
        Err(e) => return e,
    };
    let s = match stream_mut(ctx.db, &args[0], ctx.now) {
        Ok(Some(s)) => s,
        Ok(None) => return Value::Integer(0),
        Err(e) => return e,
    };
    let mut deleted = 0;
    for id in ids {
        if s.remove(id) {
            s.max_deleted_id = s.max_deleted_id.max(id);
            deleted += 1;
        }
    }
    if deleted > 0 {
        ctx.log_with(|| {
            let mut argv = vec![b"XDEL".to_vec()];
            argv.extend(args.iter().cloned());
            argv
        });
        ctx.notify(Class::STREAM, "xdel", &args[0]);
    }
    Value::Integer(deleted)
}
