//! `WAIT numreplicas timeout`: block this client until enough replicas hold every write so far.
//!
//! Go original: none (go-redis had no replication). Explained in: book chapters "Replication"
//! and "Exercises" (ex11).
//!
//! The counting is not here: the replication layer keeps each replica's acknowledged offset
//! (`commands/replicas.rs`) and wakes waiters when one moves. This handler decides what to ask
//! for and how long to wait.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::parse_i64;
use crate::commands::registry::{NO_KEYS, flags::*};
use crate::commands::{ClientContext, Registry, Shared};
use crate::protocol::resp::Value;

/// Registers `WAIT`.
pub fn register(r: &mut Registry) {
    r.client("wait", wait, 3, NOSCRIPT, NO_KEYS);
}

// ANCHOR: wait_command
/// `WAIT numreplicas timeout`: blocks this client (not the server) until that many replicas
/// have acknowledged every write made so far, or `timeout` ms passed (0: for ever); replies how
/// many did. It asks them at once with `REPLCONF GETACK *` rather than waiting for their
/// once-a-second acknowledgement.
pub fn wait(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    // Redis's order: a replica refuses before it looks at the arguments.
    if shared.role.master().is_some() {
        return Value::error(
            "ERR WAIT cannot be used with replica instances. Please also note that since Redis \
             4.0 if a replica is configured to be writable (which is not the default) writes to \
             replicas are just local and are not propagated.",
        );
    }
    let Some(wanted) = parse_i64(&args[0]) else {
        return Value::error("ERR value is not an integer or out of range");
    };
    let timeout = match parse_i64(&args[1]) {
        Some(t) if t < 0 => return Value::error("ERR timeout is negative"),
        Some(t) => t as u64,
        None => return Value::error("ERR timeout is not an integer or out of range"),
    };
    let offset = shared.backlog.offset();
    let wanted = wanted.max(0) as usize;
    let have = shared
        .replicas
        .wait_for(offset, wanted, Some(Duration::ZERO), || false);
    // Inside `EXEC` the write guard is held: waiting would stop every other client.
    if have >= wanted || client.in_exec {
        return Value::Integer(have as i64);
    }
    shared
        .backlog
        .append_command(&[b"REPLCONF", b"GETACK", b"*"]);
    let timeout = (timeout > 0).then(|| Duration::from_millis(timeout));
    // A killed client, or a server shutting down, stops waiting (its reply goes nowhere).
    let give_up = || {
        shared.shutting_down.load(Ordering::Relaxed) || client.handle.killed.load(Ordering::Relaxed)
    };
    Value::Integer(shared.replicas.wait_for(offset, wanted, timeout, give_up) as i64)
}
// ANCHOR_END: wait_command
