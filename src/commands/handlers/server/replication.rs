//! Replication commands: `REPLICAOF`, `SYNC`, `PSYNC` and `REPLCONF`. (`WAIT` and `ROLE` are
//! the classroom exercises ex11 and ex12: `handlers/wait.rs`, `handlers/role.rs`.)
//!
//! Go original: none (go-redis had no replication). Explained in: book chapter "Replication".
//!
//! `SYNC` and `PSYNC` only leave word for the connection loop: once their reply would go out,
//! `netlayer/replica.rs` takes the socket over, sends the snapshot and then the stream. The link
//! to a master runs on its own thread (`server/replica_link.rs`), which watches the role that
//! `REPLICAOF` sets.

use crate::commands::client::ReplyMode;
use crate::commands::replicas::SyncRequest;
use crate::commands::{ClientContext, Shared};
use crate::protocol::resp::Value;

use super::super::parse_i64;

// ANCHOR: replicaof
/// `REPLICAOF host port` (and its old name `SLAVEOF`): this server becomes a replica of that
/// master, and `REPLICAOF NO ONE` a master again. The link thread notices the change, drops
/// any link it had and connects to the new master.
pub fn replicaof(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let [host, port] = args else {
        return Value::wrong_arity("replicaof");
    };
    if client.multi.is_some() {
        return Value::error("ERR Command is not allowed in MULTI");
    }
    if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
        if shared.role.master().is_some() {
            crate::info!("server", "MASTER MODE enabled (user request)");
            // A new history starts here; replicas of the old master may still continue ours.
            shared.backlog.promote();
        }
        shared.role.set_master(None);
        shared.link.disconnect();
        return Value::OK;
    }
    let Some(port) = parse_i64(port).and_then(|p| u16::try_from(p).ok()) else {
        return Value::error("ERR Invalid master port");
    };
    let master = (String::from_utf8_lossy(host).into_owned(), port);
    if shared.role.master().as_ref() == Some(&master) {
        return Value::simple("OK Already connected to specified master");
    }
    crate::info!(
        "server",
        "REPLICAOF {}:{} enabled (user request)",
        master.0,
        master.1
    );
    shared.link.update(|l| {
        l.state = "connect";
        l.down_since.get_or_insert_with(std::time::Instant::now);
    });
    shared.role.set_master(Some(master));
    shared.link.disconnect();
    Value::OK
}
// ANCHOR_END: replicaof

/// Redis's refusal of a sync on a replica that has no data from its master yet.
fn refuse_sync_on_replica(shared: &Shared) -> Option<Value> {
    (shared.role.master().is_some() && shared.link.get().state != "connected")
        .then(|| Value::error("NOMASTERLINK Can't SYNC while not connected with my master"))
}

/// `SYNC`: the old full sync.
pub fn sync(shared: &Shared, client: &mut ClientContext, _args: &[Vec<u8>]) -> Value {
    if let Some(refusal) = refuse_sync_on_replica(shared) {
        return refusal;
    }
    client.sync_request = Some(SyncRequest::Sync);
    Value::OK
}

/// `PSYNC replid offset`.
pub fn psync(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    if let Some(refusal) = refuse_sync_on_replica(shared) {
        return refusal;
    }
    let [replid, offset, ..] = args else {
        return Value::wrong_arity("psync");
    };
    let Some(offset) = parse_i64(offset) else {
        return Value::error("ERR value is not an integer or out of range");
    };
    client.sync_request = Some(SyncRequest::Psync {
        replid: String::from_utf8_lossy(replid).into_owned(),
        offset,
    });
    Value::OK
}

// ANCHOR: replconf
/// `REPLCONF option value ...`: a replica describing itself before `PSYNC` (`listening-port`,
/// `ip-address`, `capa`). `ACK` and `GETACK` travel inside a replication link and are handled
/// there; on an ordinary connection they are ignored, as Redis does.
pub fn replconf(_shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    if !args.len().is_multiple_of(2) {
        return Value::syntax_error();
    }
    for pair in args.chunks(2) {
        let (option, value) = (pair[0].to_ascii_lowercase(), &pair[1]);
        match option.as_slice() {
            b"listening-port" => match parse_i64(value).and_then(|p| u16::try_from(p).ok()) {
                Some(port) => client.replconf.listening_port = port,
                None => return Value::error("ERR value is not an integer or out of range"),
            },
            b"capa" => {
                if value.eq_ignore_ascii_case(b"eof") {
                    client.replconf.capa_eof = true;
                }
            }
            b"ack" | b"getack" => {
                // No reply, as in Redis: the one skipped is this command's own.
                client.reply_mode = ReplyMode::Skip(1);
                return Value::OK;
            }
            b"ip-address" | b"rdb-only" | b"rdb-filter-only" => {}
            _ => {
                return Value::error_owned(format!(
                    "ERR Unrecognized REPLCONF option: {}",
                    String::from_utf8_lossy(&pair[0])
                ));
            }
        }
    }
    Value::OK
}
// ANCHOR_END: replconf
