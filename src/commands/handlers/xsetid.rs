//! `XSETID`: setting the counters a stream keeps about its own history.
//!
//! Go original: none (go-redis had no streams). Explained in: book chapters "Streams" and
//! "Exercises" (ex16).
//!
//! A stream remembers more than its entries: the last ID it handed out (so a deleted tail is
//! never reused), how many entries were ever added, and the greatest ID ever deleted (which
//! consumer groups use to tell whether their lag is still known). `XSETID` sets them, with the
//! checks that keep them consistent; a replica and the AOF get it as the request itself, which
//! names every value and so replays exactly.

use super::parse_i64;
use super::streams::{not_integer, parse_strict_id, stream_mut};
use crate::commands::registry::{KEY1, flags::*};
use crate::commands::{Context, Registry};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::StoreError;
use crate::engine::store::stream::StreamId;
use crate::protocol::resp::Value;

/// Registers `XSETID`.
pub fn register(r: &mut Registry) {
    r.write("xsetid", xsetid, -3, DENYOOM | FAST, KEY1);
}

/// `XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]`: sets the counters `XADD` keeps.
pub fn xsetid(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let id = match parse_strict_id(&args[1], 0) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let mut added: Option<u64> = None;
    let mut max_deleted = StreamId::MIN;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if args[i].eq_ignore_ascii_case(b"entriesadded") && more > 0 {
            match parse_i64(&args[i + 1]) {
                None => return not_integer(),
                Some(n) if n < 0 => return Value::error("ERR entries_added must be positive"),
                Some(n) => added = Some(n as u64),
            }
        } else if args[i].eq_ignore_ascii_case(b"maxdeletedid") && more > 0 {
            match parse_strict_id(&args[i + 1], 0) {
                Err(e) => return e,
                Ok(m) if id < m => {
                    return Value::error(
                        "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                    );
                }
                Ok(m) => max_deleted = m,
            }
        } else {
            return Value::syntax_error();
        }
        i += 2;
    }
    let s = match stream_mut(ctx.db, &args[0], ctx.now) {
        Ok(Some(s)) => s,
        Ok(None) => return StoreError::NoSuchKey.into(),
        Err(e) => return e,
    };
    if let Some(last) = s.last() {
        if id < last.id {
            return Value::error(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            );
        }
        if added.is_some_and(|n| (s.len() as u64) > n) {
            return Value::error(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            );
        }
    }
    s.last_id = id;
    if let Some(n) = added {
        s.entries_added = n;
    }
    if !max_deleted.is_zero() {
        s.max_deleted_id = max_deleted;
    }
    ctx.log_with(|| {
        let mut argv = vec![b"XSETID".to_vec()];
        argv.extend(args.iter().cloned());
        argv
    });
    ctx.notify(Class::STREAM, "xsetid", &args[0]);
    Value::OK
}
