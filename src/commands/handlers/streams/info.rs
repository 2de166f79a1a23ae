//! `XINFO STREAM|GROUPS|CONSUMERS`: what a stream, its groups and their consumers hold.

use super::groups::{KEY2, wall};
use super::{entry_reply, not_integer, stream_ref};
use crate::commands::registry::Subcommand;
use crate::commands::{ReadContext, Registry};
use crate::engine::store::stream::{Group, INVALID_ENTRIES_READ, StreamId};
use crate::engine::store::{StoreError, Stream};
use crate::protocol::resp::Value;

/// The `XINFO` subcommands, with Redis 7.0's arities.
const XINFO_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("xinfo|consumers", 4),
    Subcommand::new("xinfo|groups", 3),
    Subcommand::new("xinfo|stream", -3),
    Subcommand::new("xinfo|help", 2),
];

/// Registers `XINFO`.
pub(super) fn register(r: &mut Registry) {
    r.read("xinfo", xinfo, -2, 0, KEY2);
    r.subcommands("xinfo", XINFO_SUBCOMMANDS);
}

fn field(name: &'static str) -> Value {
    Value::Bulk(name.as_bytes().to_vec())
}

fn id(id: StreamId) -> Value {
    Value::Bulk(id.to_bytes())
}

fn entries_read(g: &Group) -> Value {
    match g.entries_read {
        INVALID_ENTRIES_READ => Value::Null,
        n => Value::Integer(n),
    }
}

fn lag(s: &Stream, g: &Group) -> Value {
    s.lag(g).map_or(Value::Null, Value::Integer)
}

fn syntax(args: &[Vec<u8>]) -> Value {
    Value::error_owned(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try XINFO HELP.",
        String::from_utf8_lossy(&args[0])
    ))
}

/// `XINFO CONSUMERS key group | GROUPS key | STREAM key [FULL [COUNT n]] | HELP`.
pub fn xinfo(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let sub = args[0].to_ascii_lowercase();
    if sub == b"help" {
        return Value::Array(
            [
                "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "CONSUMERS <key> <groupname>",
                "    Show consumers of <groupname>.",
                "GROUPS <key>",
                "    Show the stream consumer groups.",
                "STREAM <key> [FULL [COUNT <count>]",
                "    Show information about the stream.",
                "HELP",
                "    Prints this help.",
            ]
            .iter()
            .map(|l| Value::Simple((*l).into()))
            .collect(),
        );
    }
    let s = match stream_ref(ctx.db, &args[1], ctx.now) {
        Ok(Some(s)) => s,
        Ok(None) => return StoreError::NoSuchKey.into(),
        Err(e) => return e,
    };
    let now = wall(ctx.now) as i64;
    match sub.as_slice() {
        b"consumers" => {
            let Some(g) = s.groups.get(&args[2][..]) else {
                return Value::error_owned(format!(
                    "NOGROUP No such consumer group '{}' for key name '{}'",
                    String::from_utf8_lossy(&args[2]),
                    String::from_utf8_lossy(&args[1])
                ));
            };
            Value::Array(
                g.consumers
                    .iter()
                    .map(|(name, c)| {
                        Value::Map(vec![
                            (field("name"), Value::bulk(name)),
                            (field("pending"), Value::Integer(c.pending.len() as i64)),
                            (
                                field("idle"),
                                Value::Integer((now - c.seen_time as i64).max(0)),
                            ),
                        ])
                    })
                    .collect(),
            )
        }
        b"groups" => Value::Array(
            s.groups
                .iter()
                .map(|(name, g)| {
                    Value::Map(vec![
                        (field("name"), Value::bulk(name)),
                        (field("consumers"), Value::Integer(g.consumers.len() as i64)),
                        (field("pending"), Value::Integer(g.pending.len() as i64)),
                        (field("last-delivered-id"), id(g.last_id)),
                        (field("entries-read"), entries_read(g)),
                        (field("lag"), lag(s, g)),
                    ])
                })
                .collect(),
        ),
        b"stream" => stream_info(s, args),
        _ => syntax(args),
    }
}

// ANCHOR: stream_info
/// `XINFO STREAM key [FULL [COUNT n]]`.
fn stream_info(s: &Stream, args: &[Vec<u8>]) -> Value {
    let opts = &args[2..];
    let full = !opts.is_empty();
    let mut count: i64 = 10;
    match opts {
        [] => {}
        [f] if f.eq_ignore_ascii_case(b"full") => {}
        [f, c, n] if f.eq_ignore_ascii_case(b"full") && c.eq_ignore_ascii_case(b"count") => {
            match super::parse_i64(n) {
                Some(n) => count = if n < 0 { 10 } else { n },
                None => return not_integer(),
            }
        }
        _ => return syntax(args),
    }
    let take = if count == 0 {
        usize::MAX
    } else {
        count as usize
    };
    let mut map = vec![
        (field("length"), Value::Integer(s.len() as i64)),
        (
            field("radix-tree-keys"),
            Value::Integer(s.node_count() as i64),
        ),
        // Redis counts the inner nodes of its radix tree; ours has none, so this is our count
        // of nodes plus the root, a figure of the same order.
        (
            field("radix-tree-nodes"),
            Value::Integer(s.node_count() as i64 + 1),
        ),
        (field("last-generated-id"), id(s.last_id)),
        (field("max-deleted-entry-id"), id(s.max_deleted_id)),
        (
            field("entries-added"),
            Value::Integer(s.entries_added as i64),
        ),
        (field("recorded-first-entry-id"), id(s.first_id())),
    ];
    if !full {
        map.push((field("groups"), Value::Integer(s.groups.len() as i64)));
        map.push((
            field("first-entry"),
            s.first().map_or(Value::Null, entry_reply),
        ));
        map.push((
            field("last-entry"),
            s.last().map_or(Value::Null, entry_reply),
        ));
        return Value::Map(map);
    }
    map.push((
        field("entries"),
        Value::Array(s.iter().take(take).map(entry_reply).collect()),
    ));
    let groups = s
        .groups
        .iter()
        .map(|(name, g)| {
            let pending = g
                .pending
                .iter()
                .take(take)
                .map(|(pid, p)| {
                    Value::Array(vec![
                        id(*pid),
                        Value::bulk(&p.consumer),
                        Value::Integer(p.delivery_time as i64),
                        Value::Integer(p.delivery_count as i64),
                    ])
                })
                .collect();
            let consumers = g
                .consumers
                .iter()
                .map(|(cname, c)| {
                    let own = c
                        .pending
                        .iter()
                        .take(take)
                        .filter_map(|pid| g.pending.get(pid).map(|p| (pid, p)))
                        .map(|(pid, p)| {
                            Value::Array(vec![
                                id(*pid),
                                Value::Integer(p.delivery_time as i64),
                                Value::Integer(p.delivery_count as i64),
                            ])
                        })
                        .collect();
                    Value::Map(vec![
                        (field("name"), Value::bulk(cname)),
                        (field("seen-time"), Value::Integer(c.seen_time as i64)),
                        (field("pel-count"), Value::Integer(c.pending.len() as i64)),
                        (field("pending"), Value::Array(own)),
                    ])
                })
                .collect();
            Value::Map(vec![
                (field("name"), Value::bulk(name)),
                (field("last-delivered-id"), id(g.last_id)),
                (field("entries-read"), entries_read(g)),
                (field("lag"), lag(s, g)),
                (field("pel-count"), Value::Integer(g.pending.len() as i64)),
                (field("pending"), Value::Array(pending)),
                (field("consumers"), Value::Array(consumers)),
            ])
        })
        .collect();
    map.push((field("groups"), Value::Array(groups)));
    Value::Map(map)
}
// ANCHOR_END: stream_info
