//! `RESET`: a connection back as it was when it connected.
//!
//! Go original: none. Explained in: book chapters "Talking to real clients" and "Exercises"
//! (ex18).
//!
//! A connection pool hands one connection to many users in turn, and cannot know what the last
//! one left behind: a `MULTI` half queued, watched keys, subscriptions, tracking, `CLIENT REPLY
//! OFF`, another database, RESP3, a name, another user. `RESET` clears all of it in one round
//! trip, which is why it is allowed where almost nothing else is: inside `MULTI` (it is not
//! queued), in RESP2 subscribed mode, and before `AUTH`.

use crate::commands::acl;
use crate::commands::dispatcher::ReplyMode;
use crate::commands::registry::{NO_KEYS, flags::*};
use crate::commands::{ClientContext, Handler, Registry, Shared};
use crate::protocol::resp::{Protocol, Value};

/// Registers `RESET`.
pub fn register(r: &mut Registry) {
    r.add(
        "reset",
        Handler::Client(reset),
        1,
        FAST | NO_AUTH | RUNS_IN_MULTI | NOSCRIPT | LOADING | STALE | PUBSUB_OK,
        NO_KEYS,
    );
}

// ANCHOR: reset
/// `RESET`: out of `MULTI`, no watched keys, no subscriptions, no tracking, replies on,
/// database 0, RESP2, no name, and the `default` user again: logged in only if `default` needs
/// no password.
pub fn reset(shared: &Shared, client: &mut ClientContext, _: &[Vec<u8>]) -> Value {
    client.multi = None;
    client.multi_error = false;
    if !client.watched.is_empty() {
        client.unwatch_all(&mut shared.write_store().watch);
    }
    shared.pubsub.unsubscribe_all(client);
    shared.tracking.disable(client);
    // `CLIENT REPLY SKIP` skips the next command's reply whatever that command is, so when it
    // is this one, its `+RESET` is skipped too (as in Redis); replies are on after it.
    client.reply_mode = match client.reply_mode {
        ReplyMode::Skip(_) => ReplyMode::Skip(1),
        _ => ReplyMode::On,
    };
    client.db = 0;
    client
        .handle
        .db
        .store(0, std::sync::atomic::Ordering::Relaxed);
    client.protocol = Protocol::Resp2;
    client.handle.set_name(b"");
    acl::log_out(shared, client);
    Value::simple("RESET")
}
// ANCHOR_END: reset
