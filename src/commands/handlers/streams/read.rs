//! `XREAD` and `XREADGROUP`, and the serving of the clients they park.
//!
//! A read that finds nothing new and was given `BLOCK` parks like a blocking list pop (see
//! `commands/blocking.rs`), with one difference: an entry is not taken away by the reader it
//! is given to, so one `XADD` serves every client waiting on the stream, not just the first
//! (`BlockOn::shares`). An `XREAD` parks with its `$` already replaced by the stream's last ID,
//! so that it waits for entries added after it blocked, not after it is woken.

use super::{entry_reply, invalid_id, not_integer, parse_strict_id, stream_mut, stream_ref};
use crate::commands::registry::{Handler, NO_KEYS, flags::*};
use crate::commands::{BlockOn, Context, Effects, Registry};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::stream::StreamId;
use crate::engine::store::{Bytes, Db};
use crate::protocol::resp::Value;

/// A blocked read with no `COUNT` gets at most this many entries (Redis's
/// `XREAD_BLOCKED_DEFAULT_COUNT`): a low ID must not make it swallow a whole stream.
const BLOCKED_DEFAULT_COUNT: usize = 1000;

/// Registers `XREAD` and `XREADGROUP`.
pub(super) fn register(r: &mut Registry) {
    // `XREAD` changes nothing, but it may park, which needs the write guard (as `BLPOP`).
    r.add(
        "xread",
        Handler::Write(xread),
        -4,
        READONLY | BLOCKING,
        NO_KEYS,
    );
    r.write("xreadgroup", xreadgroup, -7, BLOCKING, NO_KEYS);
}

/// A parsed `XREAD`/`XREADGROUP`.
struct ReadArgs<'a> {
    /// `BLOCK`'s milliseconds: `Some(0)` waits forever.
    block: Option<u64>,
    /// At most this many entries per stream; 0 for no limit.
    count: usize,
    group: Option<(&'a [u8], &'a [u8])>,
    noack: bool,
    keys: &'a [Vec<u8>],
    ids: &'a [Vec<u8>],
}

/// Parses `args` (the command's name left out) as Redis's `xreadCommand` does.
fn parse_read(args: &[Vec<u8>], grouped: bool) -> Result<ReadArgs<'_>, Value> {
    let mut r = ReadArgs {
        block: None,
        count: 0,
        group: None,
        noack: false,
        keys: &[],
        ids: &[],
    };
    let mut streams = None;
    let mut i = 0;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i];
        if opt.eq_ignore_ascii_case(b"block") && more > 0 {
            i += 1;
            let ms = super::parse_i64(&args[i]).ok_or(Value::error(
                "ERR timeout is not an integer or out of range",
            ))?;
            if ms < 0 {
                return Err(Value::error("ERR timeout is negative"));
            }
            r.block = Some(ms as u64);
        } else if opt.eq_ignore_ascii_case(b"count") && more > 0 {
            i += 1;
            let n = super::parse_i64(&args[i]).ok_or_else(not_integer)?;
            r.count = usize::try_from(n.max(0)).unwrap_or(usize::MAX);
        } else if opt.eq_ignore_ascii_case(b"streams") && more > 0 {
            let rest = &args[i + 1..];
            if !rest.len().is_multiple_of(2) {
                return Err(Value::error(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            streams = Some(rest.split_at(rest.len() / 2));
            break;
        } else if opt.eq_ignore_ascii_case(b"group") && more >= 2 {
            if !grouped {
                return Err(Value::error(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            r.group = Some((&args[i + 1], &args[i + 2]));
            i += 2;
        } else if opt.eq_ignore_ascii_case(b"noack") {
            if !grouped {
                return Err(Value::error(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            r.noack = true;
        } else {
            return Err(Value::syntax_error());
        }
        i += 1;
    }
    let Some((keys, ids)) = streams else {
        return Err(Value::syntax_error());
    };
    if grouped && r.group.is_none() {
        return Err(Value::error("ERR Missing GROUP option for XREADGROUP"));
    }
    r.keys = keys;
    r.ids = ids;
    Ok(r)
}

/// Where a read starts on one stream.
#[derive(Clone, Copy)]
enum Start {
    /// After this ID.
    After(StreamId),
    /// `>`: the entries the group has not delivered yet.
    New,
}

/// `-NOGROUP No such key '...' or consumer group '...' in XREADGROUP with GROUP option`.
fn no_group(key: &[u8], group: &[u8]) -> Value {
    Value::error_owned(format!(
        "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
        String::from_utf8_lossy(key),
        String::from_utf8_lossy(group)
    ))
}

/// Resolves each stream's start, checking types and groups first, as Redis does.
fn resolve(db: &Db, now: u64, r: &ReadArgs<'_>) -> Result<Vec<Start>, Value> {
    let mut starts = Vec::with_capacity(r.keys.len());
    for (key, id) in r.keys.iter().zip(r.ids) {
        let s = stream_ref(db, key, now)?;
        if let Some((group, _)) = r.group
            && !s.is_some_and(|s| s.groups.contains_key(group))
        {
            return Err(no_group(key, group));
        }
        starts.push(match id.as_slice() {
            b"$" if r.group.is_some() => {
                return Err(Value::error(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history \
                     of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ \
                     ID would just return an empty result set.",
                ));
            }
            b"$" => Start::After(s.map_or(StreamId::MIN, |s| s.last_id)),
            b">" if r.group.is_none() => {
                return Err(Value::error(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> \
                     <consumer> option.",
                ));
            }
            b">" => Start::New,
            _ => Start::After(parse_strict_id(id, 0)?),
        });
    }
    Ok(starts)
}

// ANCHOR: read_group
/// Gives consumer `cname` of group `gname` the entries of the stream at `key` after `start`
/// (its own pending ones for an ID; new ones for `>`), at most `count` (0: all). New entries go
/// into the pending list unless `noack`, each logged as the `XCLAIM ... FORCE` that recreates
/// it, and the group's new position as `XGROUP SETID` for `NOACK`: what Redis propagates.
#[allow(clippy::too_many_arguments)]
fn read_group(
    db: &mut Db,
    now: u64,
    key: &[u8],
    gname: &[u8],
    cname: &[u8],
    start: Start,
    count: usize,
    noack: bool,
    effects: &mut Effects,
) -> Value {
    let Ok(Some(s)) = stream_mut(db, key, now) else {
        return Value::Array(Vec::new());
    };
    let Some(mut group) = s.groups.remove(gname) else {
        return Value::Array(Vec::new());
    };
    let (consumer, created) = group.consumer(cname, now);
    consumer.seen_time = now;
    let take = if count == 0 { usize::MAX } else { count };
    let mut replies = Vec::new();
    let mut logged: Vec<Vec<Vec<u8>>> = Vec::new();
    match start {
        Start::After(after) => {
            // History: the consumer's own pending entries, re-delivered.
            let from = after.next().unwrap_or(StreamId::MAX);
            let ids: Vec<StreamId> = consumer.pending.range(from..).take(take).copied().collect();
            for id in ids {
                match s.get(id) {
                    Some(e) => {
                        replies.push(entry_reply(e));
                        if let Some(p) = group.pending.get_mut(&id) {
                            p.delivery_time = now;
                            p.delivery_count += 1;
                        }
                    }
                    // Deleted since it was delivered: the ID with a nil body, as Redis says.
                    None => replies.push(Value::Array(vec![
                        Value::Bulk(id.to_bytes()),
                        Value::NullArray,
                    ])),
                }
            }
        }
        Start::New => {
            let from = group.last_id.next().unwrap_or(StreamId::MAX);
            let ids: Vec<StreamId> = s
                .range(from, StreamId::MAX)
                .take(take)
                .map(|e| e.id)
                .collect();
            for id in ids {
                s.advance_group(&mut group, id);
                if let Some(e) = s.get(id) {
                    replies.push(entry_reply(e));
                }
                if !noack {
                    group.assign(id, cname, now, 1);
                    let last = group.last_id.to_bytes();
                    logged.push(vec![
                        b"XCLAIM".to_vec(),
                        key.to_vec(),
                        gname.to_vec(),
                        cname.to_vec(),
                        b"0".to_vec(),
                        id.to_bytes(),
                        b"TIME".to_vec(),
                        now.to_string().into_bytes(),
                        b"RETRYCOUNT".to_vec(),
                        b"1".to_vec(),
                        b"FORCE".to_vec(),
                        b"JUSTID".to_vec(),
                        b"LASTID".to_vec(),
                        last,
                    ]);
                }
            }
            if noack && !replies.is_empty() {
                logged.push(vec![
                    b"XGROUP".to_vec(),
                    b"SETID".to_vec(),
                    key.to_vec(),
                    gname.to_vec(),
                    group.last_id.to_bytes(),
                    b"ENTRIESREAD".to_vec(),
                    group.entries_read.to_string().into_bytes(),
                ]);
            }
        }
    }
    s.groups.insert(Bytes::from(gname), group);
    if created {
        effects.notify(db, Class::STREAM, "xgroup-createconsumer", key);
        if noack {
            effects.log_with(|| {
                vec![
                    b"XGROUP".to_vec(),
                    b"CREATECONSUMER".to_vec(),
                    key.to_vec(),
                    gname.to_vec(),
                    cname.to_vec(),
                ]
            });
        }
    }
    for effect in logged {
        effects.log_with(|| effect);
    }
    Value::Array(replies)
}
// ANCHOR_END: read_group

/// The entries after `after` of the stream at `key`, at most `count` (0: all).
fn read_plain(db: &Db, now: u64, key: &[u8], after: StreamId, count: usize) -> Value {
    let Ok(Some(s)) = stream_ref(db, key, now) else {
        return Value::Array(Vec::new());
    };
    let Some(from) = after.next() else {
        return Value::Array(Vec::new());
    };
    let take = if count == 0 { usize::MAX } else { count };
    Value::Array(
        s.range(from, StreamId::MAX)
            .take(take)
            .map(entry_reply)
            .collect(),
    )
}

/// The shared body of `XREAD` and `XREADGROUP`.
fn read(ctx: &mut Context<'_>, args: &[Vec<u8>], grouped: bool) -> Value {
    let r = match parse_read(args, grouped) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let starts = match resolve(ctx.db, ctx.now, &r) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let mut pairs = Vec::new();
    for ((key, id), start) in r.keys.iter().zip(r.ids).zip(&starts) {
        let Ok(Some(s)) = stream_ref(ctx.db, key, ctx.now) else {
            continue;
        };
        let last = s.last().map(|e| e.id);
        let ready = match (r.group, *start) {
            (Some(_), Start::After(_)) => true,
            (Some((g, _)), Start::New) => s
                .groups
                .get(g)
                .is_some_and(|g| last.is_some_and(|l| l > g.last_id)),
            (None, Start::After(after)) => last.is_some_and(|l| l > after),
            (None, Start::New) => false,
        };
        if !ready {
            continue;
        }
        let entries = match (r.group, *start) {
            (Some((g, c)), start) => read_group(
                ctx.db,
                ctx.now,
                key,
                g,
                c,
                start,
                r.count,
                r.noack,
                ctx.effects,
            ),
            (None, Start::After(after)) => read_plain(ctx.db, ctx.now, key, after, r.count),
            (None, Start::New) => continue,
        };
        let _ = id;
        pairs.push((Value::bulk(key), entries));
    }
    if !pairs.is_empty() {
        return Value::PairMap(pairs);
    }
    if let Some(ms) = r.block
        && !ctx.in_exec
    {
        // Park with every `$` fixed to the last ID it stood for now.
        let mut argv: Vec<Vec<u8>> = Vec::with_capacity(args.len() + 1);
        argv.push(if grouped {
            b"xreadgroup".to_vec()
        } else {
            b"xread".to_vec()
        });
        argv.extend(args.iter().cloned());
        let first_id = argv.len() - r.ids.len();
        for (i, start) in starts.iter().enumerate() {
            if let Start::After(id) = start {
                argv[first_id + i] = id.to_bytes();
            }
        }
        ctx.block = Some(BlockOn {
            keys: r.keys.to_vec(),
            deadline: (ms > 0).then(|| ctx.now.saturating_add(ms)),
            serve: serve_blocked,
            argv: Some(argv),
            shares: true,
        });
    }
    Value::NullArray
}

/// `XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...]`.
pub fn xread(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    read(ctx, args, false)
}

/// `XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key ... id ...`.
pub fn xreadgroup(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    read(ctx, args, true)
}

// ANCHOR: serve_blocked
/// Serves a parked `XREAD`/`XREADGROUP` (`argv`, name included) once a write touched `key`:
/// the entries after the ID it waits for, or for a group those after the group's last
/// delivered ID. `None` if there is nothing newer yet; an error if the group (or, for a group
/// read, the key) is gone. Called under the write guard by `blocking::serve`.
pub fn serve_blocked(
    db: &mut Db,
    now: u64,
    argv: &[Vec<u8>],
    key: &[u8],
    effects: &mut Effects,
) -> Option<Value> {
    let grouped = argv.first()?.eq_ignore_ascii_case(b"xreadgroup");
    let r = parse_read(argv.get(1..)?, grouped).ok()?;
    let at = r.keys.iter().position(|k| k[..] == key[..])?;
    let count = if r.count == 0 {
        BLOCKED_DEFAULT_COUNT
    } else {
        r.count
    };
    let s = match stream_ref(db, key, now) {
        Ok(Some(s)) => s,
        // A group read does not outlive its stream: deleted, flushed, or now another type.
        Ok(None) | Err(_) if grouped => {
            return Some(Value::error("UNBLOCKED the stream key no longer exists"));
        }
        _ => return None,
    };
    let entries = match r.group {
        Some((g, c)) => {
            let Some(group) = s.groups.get(g) else {
                return Some(Value::error(
                    "NOGROUP the consumer group this client was blocked on no longer exists",
                ));
            };
            if s.last_id <= group.last_id {
                return None;
            }
            read_group(db, now, key, g, c, Start::New, count, r.noack, effects)
        }
        None => {
            let after = StreamId::parse(&r.ids[at], 0)
                .ok_or(())
                .map_err(|_| invalid_id())
                .ok()?;
            if s.last_id <= after {
                return None;
            }
            read_plain(db, now, key, after, count)
        }
    };
    Some(Value::PairMap(vec![(Value::bulk(key), entries)]))
}
// ANCHOR_END: serve_blocked
