//! Consumer groups: `XGROUP`, `XACK`, `XPENDING`, `XCLAIM`, `XAUTOCLAIM`.
//!
//! A group remembers the last entry it delivered and, per entry delivered and not yet
//! acknowledged, who has it, since when and how many times (the pending entries list). Every
//! change to a pending entry is logged as the `XCLAIM ... FORCE` that sets it exactly, as Redis
//! propagates it; an entry found deleted is logged the same way, which makes the replay drop it.

use super::{not_integer, parse_bound, parse_strict_id, stream_mut, stream_ref};
use crate::commands::registry::{KeySpec, Subcommand, flags::*};
use crate::commands::{Context, ReadContext, Registry};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::stream::{Group, INVALID_ENTRIES_READ, StreamId};
use crate::engine::store::{Bytes, Data, Stream, now_ms};
use crate::protocol::resp::Value;

/// `XGROUP subcommand key ...`: the key is the third word.
pub(super) const KEY2: KeySpec = (2, 2, 1);

/// The `XGROUP` subcommands, with Redis 7.0's arities.
const XGROUP_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("xgroup|create", -5),
    Subcommand::new("xgroup|setid", -5),
    Subcommand::new("xgroup|destroy", 4),
    Subcommand::new("xgroup|createconsumer", 5),
    Subcommand::new("xgroup|delconsumer", 5),
    Subcommand::new("xgroup|help", 2),
];

/// Registers the group commands.
pub(super) fn register(r: &mut Registry) {
    r.write("xgroup", xgroup, -2, 0, KEY2);
    r.subcommands("xgroup", XGROUP_SUBCOMMANDS);
    r.write("xack", xack, -4, FAST, super::KEY1);
    r.read("xpending", xpending, -3, 0, super::KEY1);
}

/// The time group bookkeeping uses: the command's, or the wall clock's while a replay runs with
/// the clock stopped (at 0), so that a replayed consumer is not seen at 1970.
pub(super) fn wall(now: u64) -> u64 {
    if now == 0 { now_ms() } else { now }
}

/// Redis's reply to a wrong subcommand word or count.
fn subcommand_error(args: &[Vec<u8>]) -> Value {
    Value::error_owned(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try XGROUP HELP.",
        String::from_utf8_lossy(&args[0])
    ))
}

/// The effect of a command logged as it came.
fn verbatim(name: &[u8], args: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut argv = vec![name.to_vec()];
    argv.extend(args.iter().cloned());
    argv
}

/// `-NOGROUP No such key '...' or consumer group '...'`.
pub(super) fn no_key_or_group(key: &[u8], group: &[u8]) -> Value {
    Value::error_owned(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        String::from_utf8_lossy(key),
        String::from_utf8_lossy(group)
    ))
}

/// `XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER|HELP ...`.
pub fn xgroup(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let sub = args[0].to_ascii_lowercase();
    if sub == b"help" {
        return Value::Array(
            [
                "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "CREATE <key> <groupname> <id|$> [option]",
                "    Create a new consumer group. Options are:",
                "    * MKSTREAM",
                "      Create the empty stream if it does not exist.",
                "    * ENTRIESREAD entries_read",
                "      Set the group's entries_read counter (internal use).",
                "CREATECONSUMER <key> <groupname> <consumer>",
                "    Create a new consumer in the specified group.",
                "DELCONSUMER <key> <groupname> <consumer>",
                "    Remove the specified consumer.",
                "DESTROY <key> <groupname>",
                "    Remove the specified group.",
                "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
                "    Set the current group ID and entries_read counter.",
                "HELP",
                "    Prints this help.",
            ]
            .iter()
            .map(|l| Value::Simple((*l).into()))
            .collect(),
        );
    }
    let (create, setid) = (sub == b"create", sub == b"setid");
    let mut mkstream = false;
    let mut entries_read = INVALID_ENTRIES_READ;
    let mut i = 4;
    while i < args.len() {
        if create && args[i].eq_ignore_ascii_case(b"mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid)
            && args[i].eq_ignore_ascii_case(b"entriesread")
            && i + 1 < args.len()
        {
            match super::parse_i64(&args[i + 1]) {
                None => return not_integer(),
                Some(n) if n < 0 && n != INVALID_ENTRIES_READ => {
                    return Value::error("ERR value for ENTRIESREAD must be positive or -1");
                }
                Some(n) => entries_read = n,
            }
            i += 2;
        } else {
            return subcommand_error(args);
        }
    }
    let (key, gname) = (&args[1], &args[2]);
    let exists = match stream_ref(ctx.db, key, ctx.now) {
        Ok(s) => s.map(|s| s.groups.contains_key(&gname[..])),
        Err(e) => return e,
    };
    if !mkstream {
        match exists {
            None => {
                return Value::error(
                    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want \
                     to use the MKSTREAM option to create an empty stream automatically.",
                );
            }
            Some(false) if !create && sub != b"destroy" => {
                return Value::error_owned(format!(
                    "NOGROUP No such consumer group '{}' for key name '{}'",
                    String::from_utf8_lossy(gname),
                    String::from_utf8_lossy(key)
                ));
            }
            _ => {}
        }
    }
    let now = wall(ctx.now);
    match sub.as_slice() {
        b"create" if args.len() <= 7 => {
            let last = ctx.db.get(key, ctx.now).and_then(|d| match d {
                Data::Stream(s) => Some(s.last_id),
                _ => None,
            });
            let id = if args[3].as_slice() == b"$" {
                last.unwrap_or(StreamId::MIN)
            } else {
                match parse_strict_id(&args[3], 0) {
                    Ok(id) => id,
                    Err(e) => return e,
                }
            };
            if exists == Some(true) {
                return Value::error("BUSYGROUP Consumer Group name already exists");
            }
            let created = exists.is_none();
            if created {
                ctx.db.set(key, Data::from(Stream::new()), ctx.now);
            }
            let Ok(Some(s)) = stream_mut(ctx.db, key, ctx.now) else {
                return Value::Null;
            };
            s.groups
                .insert(Bytes::from(&gname[..]), Group::new(id, entries_read));
            ctx.log_with(|| verbatim(b"XGROUP", args));
            if created {
                ctx.notify_new(key);
            }
            ctx.notify(Class::STREAM, "xgroup-create", key);
            Value::OK
        }
        b"setid" if args.len() == 4 || args.len() == 6 => {
            let Ok(Some(s)) = stream_mut(ctx.db, key, ctx.now) else {
                return Value::Null;
            };
            let id = if args[3].as_slice() == b"$" {
                s.last_id
            } else {
                match super::parse_id(&args[3], 0) {
                    Ok(id) => id,
                    Err(e) => return e,
                }
            };
            if let Some(g) = s.groups.get_mut(&gname[..]) {
                g.last_id = id;
                g.entries_read = entries_read;
            }
            ctx.log_with(|| verbatim(b"XGROUP", args));
            ctx.notify(Class::STREAM, "xgroup-setid", key);
            Value::OK
        }
        b"destroy" if args.len() == 3 => {
            let Ok(Some(s)) = stream_mut(ctx.db, key, ctx.now) else {
                return Value::Integer(0);
            };
            if s.groups.remove(&gname[..]).is_none() {
                return Value::Integer(0);
            }
            // Logged, this names the key: a client blocked on the group is told it is gone.
            ctx.log_with(|| verbatim(b"XGROUP", args));
            ctx.notify(Class::STREAM, "xgroup-destroy", key);
            Value::Integer(1)
        }
        b"createconsumer" if args.len() == 4 => {
            let Ok(Some(s)) = stream_mut(ctx.db, key, ctx.now) else {
                return Value::Integer(0);
            };
            let Some(g) = s.groups.get_mut(&gname[..]) else {
                return Value::Integer(0);
            };
            let (_, created) = g.consumer(&args[3], now);
            if !created {
                return Value::Integer(0);
            }
            ctx.log_with(|| verbatim(b"XGROUP", args));
            ctx.notify(Class::STREAM, "xgroup-createconsumer", key);
            Value::Integer(1)
        }
        b"delconsumer" if args.len() == 4 => {
            let Ok(Some(s)) = stream_mut(ctx.db, key, ctx.now) else {
                return Value::Integer(0);
            };
            let Some(g) = s.groups.get_mut(&gname[..]) else {
                return Value::Integer(0);
            };
            let Some(pending) = g.remove_consumer(&args[3]) else {
                return Value::Integer(0);
            };
            ctx.log_with(|| verbatim(b"XGROUP", args));
            ctx.notify(Class::STREAM, "xgroup-delconsumer", key);
            Value::Integer(pending as i64)
        }
        _ => subcommand_error(args),
    }
}

/// `XACK key group id [id ...]`: how many of the entries were pending and are no longer.
pub fn xack(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    match stream_ref(ctx.db, &args[0], ctx.now) {
        Err(e) => return e,
        Ok(s) if !s.is_some_and(|s| s.groups.contains_key(&args[1][..])) => {
            return Value::Integer(0);
        }
        Ok(_) => {}
    }
    let ids: Vec<StreamId> = match args[2..].iter().map(|a| parse_strict_id(a, 0)).collect() {
        Ok(ids) => ids,
        Err(e) => return e,
    };
    let Ok(Some(s)) = stream_mut(ctx.db, &args[0], ctx.now) else {
        return Value::Integer(0);
    };
    let Some(g) = s.groups.get_mut(&args[1][..]) else {
        return Value::Integer(0);
    };
    let acked = ids.into_iter().filter(|id| g.ack(*id)).count();
    if acked > 0 {
        ctx.log_with(|| verbatim(b"XACK", args));
    }
    Value::Integer(acked as i64)
}

/// `XPENDING key group [[IDLE min-idle] start end count [consumer]]`: the summary of the
/// group's pending entries, or the entries themselves.
pub fn xpending(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let n = args.len() + 1;
    if n != 3 && !(6..=9).contains(&n) {
        return Value::syntax_error();
    }
    let mut min_idle = 0;
    let mut range = None;
    if n >= 6 {
        let mut at = 2;
        if args[2].eq_ignore_ascii_case(b"idle") {
            match super::parse_i64(&args[3]) {
                Some(v) => min_idle = v,
                None => return not_integer(),
            }
            if n < 8 {
                return Value::syntax_error();
            }
            at += 2;
        }
        let Some(count) = args.get(at + 2).and_then(|a| super::parse_i64(a)) else {
            return not_integer();
        };
        let start = match parse_bound(&args[at], true) {
            Ok(id) => id,
            Err(e) => return e,
        };
        let end = match parse_bound(&args[at + 1], false) {
            Ok(id) => id,
            Err(e) => return e,
        };
        range = Some((start, end, count.max(0) as usize, args.get(at + 3)));
    }
    let s = match stream_ref(ctx.db, &args[0], ctx.now) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let Some(g) = s.and_then(|s| s.groups.get(&args[1][..])) else {
        return no_key_or_group(&args[0], &args[1]);
    };
    let Some((start, end, count, consumer)) = range else {
        if g.pending.is_empty() {
            return Value::Array(vec![
                Value::Integer(0),
                Value::Null,
                Value::Null,
                Value::NullArray,
            ]);
        }
        let first = g.pending.keys().next().copied().unwrap_or_default();
        let last = g.pending.keys().next_back().copied().unwrap_or_default();
        let owners = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pending.is_empty())
            .map(|(name, c)| {
                Value::Array(vec![
                    Value::bulk(name),
                    Value::Bulk(c.pending.len().to_string().into_bytes()),
                ])
            })
            .collect();
        return Value::Array(vec![
            Value::Integer(g.pending.len() as i64),
            Value::Bulk(first.to_bytes()),
            Value::Bulk(last.to_bytes()),
            Value::Array(owners),
        ]);
    };
    let now = wall(ctx.now) as i64;
    let ids: Box<dyn Iterator<Item = &StreamId>> = match consumer {
        Some(name) => match g.consumers.get(&name[..]) {
            Some(c) if start <= end => Box::new(c.pending.range(start..=end)),
            _ => return Value::Array(Vec::new()),
        },
        None if start <= end => Box::new(g.pending.range(start..=end).map(|(id, _)| id)),
        None => return Value::Array(Vec::new()),
    };
    let mut out = Vec::new();
    for id in ids {
        if out.len() >= count {
            break;
        }
        let Some(p) = g.pending.get(id) else { continue };
        let idle = now - p.delivery_time as i64;
        if min_idle != 0 && idle < min_idle {
            continue;
        }
        out.push(Value::Array(vec![
            Value::Bulk(id.to_bytes()),
            Value::bulk(&p.consumer),
            Value::Integer(idle),
            Value::Integer(p.delivery_count as i64),
        ]));
    }
    Value::Array(out)
}
