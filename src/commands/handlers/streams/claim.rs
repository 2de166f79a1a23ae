//! `XCLAIM` and `XAUTOCLAIM`: handing pending entries of a group to another consumer.
//!
//! Each entry claimed is logged as the `XCLAIM ... FORCE JUSTID LASTID` that sets it exactly
//! (owner, delivery time, count), as Redis propagates it; a pending entry found deleted from the
//! stream is logged the same way, which makes the replay drop it too.

use super::groups::{no_key_or_group, wall};
use super::{entry_reply, parse_bound, parse_strict_id, stream_mut, stream_ref};
use crate::commands::Context;
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::stream::{Group, StreamId};
use crate::engine::store::{Bytes, StoreError};
use crate::protocol::resp::Value;

/// The `XCLAIM ... FORCE JUSTID LASTID` that sets pending entry `id` of group `gname` exactly
/// as it is now (Redis's `streamPropagateXCLAIM`).
fn claim_effect(
    key: &[u8],
    gname: &[u8],
    g: &Group,
    id: StreamId,
    owner: &[u8],
    time: u64,
    count: u64,
) -> Vec<Vec<u8>> {
    vec![
        b"XCLAIM".to_vec(),
        key.to_vec(),
        gname.to_vec(),
        owner.to_vec(),
        b"0".to_vec(),
        id.to_bytes(),
        b"TIME".to_vec(),
        time.to_string().into_bytes(),
        b"RETRYCOUNT".to_vec(),
        count.to_string().into_bytes(),
        b"FORCE".to_vec(),
        b"JUSTID".to_vec(),
        b"LASTID".to_vec(),
        g.last_id.to_bytes(),
    ]
}

/// An integer option of `XCLAIM`, or Redis's error naming it.
fn claim_number(arg: &[u8], what: &'static str) -> Result<i64, Value> {
    super::parse_i64(arg).ok_or(Value::error(what))
}

// ANCHOR: xclaim
/// `XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n]
/// [FORCE] [JUSTID] [LASTID id]`: gives `consumer` the pending entries idle at least
/// `min-idle-time`, and answers them (or their IDs).
pub fn xclaim(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let (key, gname, cname) = (&args[0], &args[1], &args[2]);
    match stream_ref(ctx.db, key, ctx.now) {
        Err(e) => return e,
        Ok(s) if !s.is_some_and(|s| s.groups.contains_key(&gname[..])) => {
            return no_key_or_group(key, gname);
        }
        Ok(_) => {}
    }
    let min_idle = match claim_number(&args[3], "ERR Invalid min-idle-time argument for XCLAIM") {
        Ok(n) => n.max(0),
        Err(e) => return e,
    };
    let now = wall(ctx.now);
    let mut ids = Vec::new();
    let mut j = 4;
    while let Some(id) = args.get(j).and_then(|a| StreamId::parse(a, 0)) {
        ids.push(id);
        j += 1;
    }
    let (mut force, mut justid) = (false, false);
    let mut time: Option<i64> = None;
    let mut retry: Option<i64> = None;
    let mut last_id = StreamId::MIN;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = &args[j];
        if opt.eq_ignore_ascii_case(b"force") {
            force = true;
        } else if opt.eq_ignore_ascii_case(b"justid") {
            justid = true;
        } else if opt.eq_ignore_ascii_case(b"idle") && more > 0 {
            j += 1;
            match claim_number(&args[j], "ERR Invalid IDLE option argument for XCLAIM") {
                Ok(ms) => time = Some(now as i64 - ms),
                Err(e) => return e,
            }
        } else if opt.eq_ignore_ascii_case(b"time") && more > 0 {
            j += 1;
            match claim_number(&args[j], "ERR Invalid TIME option argument for XCLAIM") {
                Ok(t) => time = Some(t),
                Err(e) => return e,
            }
        } else if opt.eq_ignore_ascii_case(b"retrycount") && more > 0 {
            j += 1;
            match claim_number(
                &args[j],
                "ERR Invalid RETRYCOUNT option argument for XCLAIM",
            ) {
                Ok(n) => retry = Some(n),
                Err(e) => return e,
            }
        } else if opt.eq_ignore_ascii_case(b"lastid") && more > 0 {
            j += 1;
            match parse_strict_id(&args[j], 0) {
                Ok(id) => last_id = id,
                Err(e) => return e,
            }
        } else {
            return Value::error_owned(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                String::from_utf8_lossy(opt)
            ));
        }
        j += 1;
    }
    let delivery = match time {
        Some(t) if t >= 0 && t as u64 <= now => t as u64,
        _ => now,
    };
    let Ok(Some(s)) = stream_mut(ctx.db, key, ctx.now) else {
        return Value::Array(Vec::new());
    };
    let Some(mut g) = s.groups.remove(&gname[..]) else {
        return Value::Array(Vec::new());
    };
    let mut set_last = false;
    if last_id > g.last_id {
        g.last_id = last_id;
        set_last = true;
    }
    let mut replies = Vec::new();
    let mut effects = Vec::new();
    let mut consumer_made = false;
    for id in ids {
        let pending = g.pending.get(&id).cloned();
        if s.get(id).is_none() {
            // Deleted from the stream: it leaves the pending list, and the replay follows.
            if let Some(p) = pending {
                effects.push(claim_effect(
                    key,
                    gname,
                    &g,
                    id,
                    &p.consumer,
                    p.delivery_time,
                    p.delivery_count,
                ));
                set_last = false;
                g.ack(id);
            }
            continue;
        }
        if pending.is_none() && !force {
            continue;
        }
        if let Some(p) = &pending
            && min_idle > 0
            && (now as i64 - p.delivery_time as i64) < min_idle
        {
            continue;
        }
        let (c, made) = g.consumer(cname, now);
        c.seen_time = now;
        consumer_made |= made;
        let old = pending.map_or(0, |p| p.delivery_count);
        let count = match retry {
            Some(n) if n >= 0 => n as u64,
            _ if !justid => old + 1,
            _ => old,
        };
        g.assign(id, cname, delivery, count);
        replies.push(match (justid, s.get(id)) {
            (false, Some(e)) => entry_reply(e),
            _ => Value::Bulk(id.to_bytes()),
        });
        effects.push(claim_effect(key, gname, &g, id, cname, delivery, count));
        set_last = false;
    }
    if set_last {
        effects.push(vec![
            b"XGROUP".to_vec(),
            b"SETID".to_vec(),
            key.to_vec(),
            gname.to_vec(),
            g.last_id.to_bytes(),
            b"ENTRIESREAD".to_vec(),
            g.entries_read.to_string().into_bytes(),
        ]);
    }
    s.groups.insert(Bytes::from(&gname[..]), g);
    if consumer_made {
        ctx.notify(Class::STREAM, "xgroup-createconsumer", key);
    }
    for e in effects {
        ctx.log_with(|| e);
    }
    Value::Array(replies)
}
// ANCHOR_END: xclaim

/// `XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]`: `XCLAIM` of the
/// pending entries from `start` on, at most `count`; answers the ID to go on from, the claimed
/// entries, and the IDs it found deleted (and dropped).
pub fn xautoclaim(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let (key, gname, cname) = (&args[0], &args[1], &args[2]);
    let min_idle = match claim_number(
        &args[3],
        "ERR Invalid min-idle-time argument for XAUTOCLAIM",
    ) {
        Ok(n) => n.max(0),
        Err(e) => return e,
    };
    let start = match parse_bound(&args[4], true) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let mut count: usize = 100;
    let mut justid = false;
    let mut j = 5;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if args[j].eq_ignore_ascii_case(b"count") && more > 0 {
            let max = i64::MAX / 16;
            match super::parse_i64(&args[j + 1]) {
                Some(n) if (1..=max).contains(&n) => {
                    count = usize::try_from(n).unwrap_or(usize::MAX)
                }
                _ => return Value::error("ERR COUNT must be > 0"),
            }
            j += 1;
        } else if args[j].eq_ignore_ascii_case(b"justid") {
            justid = true;
        } else {
            return Value::syntax_error();
        }
        j += 1;
    }
    match stream_ref(ctx.db, key, ctx.now) {
        Err(e) => return e,
        Ok(s) if !s.is_some_and(|s| s.groups.contains_key(&gname[..])) => {
            return no_key_or_group(key, gname);
        }
        Ok(_) => {}
    }
    let now = wall(ctx.now);
    let Ok(Some(s)) = stream_mut(ctx.db, key, ctx.now) else {
        return StoreError::NoSuchKey.into();
    };
    let Some(mut g) = s.groups.remove(&gname[..]) else {
        return Value::Array(Vec::new());
    };
    let mut attempts = count.saturating_mul(10);
    let mut claimed = Vec::new();
    let mut deleted = Vec::new();
    let mut effects = Vec::new();
    let mut consumer_made = false;
    let mut next = StreamId::MIN;
    let candidates: Vec<StreamId> = g.pending.range(start..).map(|(id, _)| *id).collect();
    let mut it = candidates.into_iter();
    while attempts > 0 && count > 0 {
        let Some(id) = it.next() else { break };
        attempts -= 1;
        let Some(p) = g.pending.get(&id).cloned() else {
            continue;
        };
        if s.get(id).is_none() {
            effects.push(claim_effect(
                key,
                gname,
                &g,
                id,
                &p.consumer,
                p.delivery_time,
                p.delivery_count,
            ));
            g.ack(id);
            deleted.push(Value::Bulk(id.to_bytes()));
            count -= 1;
            continue;
        }
        if min_idle > 0 && (now as i64 - p.delivery_time as i64) < min_idle {
            continue;
        }
        let (c, made) = g.consumer(cname, now);
        c.seen_time = now;
        consumer_made |= made;
        let times = if justid {
            p.delivery_count
        } else {
            p.delivery_count + 1
        };
        g.assign(id, cname, now, times);
        claimed.push(match (justid, s.get(id)) {
            (false, Some(e)) => entry_reply(e),
            _ => Value::Bulk(id.to_bytes()),
        });
        effects.push(claim_effect(key, gname, &g, id, cname, now, times));
        count -= 1;
    }
    if let Some(id) = it.next() {
        next = id;
    }
    s.groups.insert(Bytes::from(&gname[..]), g);
    if consumer_made {
        ctx.notify(Class::STREAM, "xgroup-createconsumer", key);
    }
    for e in effects {
        ctx.log_with(|| e);
    }
    Value::Array(vec![
        Value::Bulk(next.to_bytes()),
        Value::Array(claimed),
        Value::Array(deleted),
    ])
}
