//! What the server remembers about one connection: [`ClientContext`].
//!
//! Go original: `ClientContext` in `internal/commands/dispatcher.go` (the transaction
//! state; the rest is new here). Explained in: book chapters 3 and 7.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::commands::ClientHandle;
use crate::commands::acl::placeholder_user;
use crate::commands::acl::user::User;
use crate::engine::store::{Key, Store, WatchFlag, WatchTable};
use crate::protocol::resp::{Protocol, Value};

// ANCHOR: client_context
/// Everything the server remembers about one connection.
pub struct ClientContext {
    /// The unique id (`CLIENT ID`).
    pub id: u64,
    /// The shared view of this client (name, address, counters) that `CLIENT LIST` reads.
    pub handle: Arc<ClientHandle>,
    /// RESP2 or RESP3, as chosen by `HELLO`.
    pub protocol: Protocol,
    /// False until `AUTH` succeeds when a password is required.
    pub authenticated: bool,
    /// The user this connection runs as, as the ACL stood at `acl_generation`.
    pub user: Arc<User>,
    /// The ACL's generation when `user` was fetched: if the ACL's is newer, the dispatcher
    /// fetches the user again before checking anything.
    pub acl_generation: u64,
    /// The selected database (`SELECT`), 0 at first.
    pub db: usize,
    /// Commands queued since `MULTI`; `None` outside a transaction.
    pub multi: Option<Vec<Vec<Vec<u8>>>>,
    /// A queue-time error happened since `MULTI`: `EXEC` must answer `EXECABORT`.
    pub multi_error: bool,
    /// Keys this client `WATCH`es: each with its database, and whether it was live (present
    /// and not expired) when watched.
    pub watched: Vec<(usize, Key, bool)>,
    /// Set by any write to a watched key.
    pub watch_flag: WatchFlag,
    /// Number of channels, patterns and shard channels subscribed to; above zero, RESP2 allows
    /// only Pub/Sub commands.
    pub subscriptions: usize,
    /// Set by `QUIT` (or a fatal error): close after sending the reply.
    pub close_after_reply: bool,
    /// Whether replies are sent (`CLIENT REPLY`).
    pub reply_mode: ReplyMode,
    /// Where this connection's output goes once it has subscribed or run `MONITOR`: a queue
    /// that other threads append messages to, written by the connection's writer thread
    /// (see `commands::pubsub`). `None`: replies go straight to the socket.
    pub outbox: Option<Arc<crate::commands::pubsub::Outbox>>,
    /// True for the connection of this replica's master: its writes are never refused.
    pub is_master: bool,
    /// What the client said of itself with `REPLCONF`, should it become a replica.
    pub replconf: crate::commands::replicas::ReplConf,
    /// Set by `SYNC` / `PSYNC`: the connection loop hands the socket to a replica feeder.
    pub sync_request: Option<crate::commands::replicas::SyncRequest>,
    /// True while `EXEC` runs this client's queued commands, under the write guard: a command
    /// that would wait for others (`WAIT`) answers at once instead, as in Redis.
    pub in_exec: bool,
    /// `CLIENT TRACKING on`: its reads are remembered (see `commands::tracking`).
    pub tracking: bool,
    /// `CLIENT CACHING yes|no` was given for the next command or transaction.
    pub caching: bool,
}
// ANCHOR_END: client_context

/// `CLIENT REPLY ON | OFF | SKIP`: whether the server answers this connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    /// Every command is answered (the default).
    On,
    /// No command is answered until `CLIENT REPLY ON`.
    Off,
    /// The next this many replies are dropped: `CLIENT REPLY SKIP` drops its own and the next
    /// command's.
    Skip(u8),
}

impl ClientContext {
    /// A fresh connection's context.
    pub fn new(handle: Arc<ClientHandle>, authenticated: bool) -> Self {
        ClientContext {
            id: handle.id,
            handle,
            protocol: Protocol::Resp2,
            authenticated,
            user: placeholder_user(),
            acl_generation: 0,
            db: 0,
            multi: None,
            multi_error: false,
            watched: Vec::new(),
            watch_flag: Arc::new(AtomicBool::new(false)),
            subscriptions: 0,
            close_after_reply: false,
            reply_mode: ReplyMode::On,
            outbox: None,
            is_master: false,
            replconf: Default::default(),
            sync_request: None,
            in_exec: false,
            tracking: false,
            caching: false,
        }
    }

    /// True in RESP2 subscribed mode, where only Pub/Sub commands, `PING`, `QUIT` and `RESET`
    /// are allowed. (RESP3 clients may mix: their messages are push frames.)
    pub fn in_pubsub_mode(&self) -> bool {
        self.subscriptions > 0 && self.protocol == Protocol::Resp2
    }

    // ANCHOR: reply_allowed
    /// Whether the reply to the command that just ran goes out, as `CLIENT REPLY` decided; a
    /// subscription's confirmation always does, in either protocol, as in Redis. Advances
    /// `SKIP`.
    pub fn reply_allowed(&mut self, reply: &Value) -> bool {
        let mode = self.reply_mode;
        if let ReplyMode::Skip(left) = mode {
            self.reply_mode = if left > 1 {
                ReplyMode::Skip(left - 1)
            } else {
                ReplyMode::On
            };
        }
        mode == ReplyMode::On || matches!(reply, Value::Push(_))
    }
    // ANCHOR_END: reply_allowed

    /// Forgets every watched key (`EXEC`, `DISCARD`, `UNWATCH`, `RESET`, disconnect).
    pub fn unwatch_all(&mut self, watch: &mut WatchTable) {
        for (db, key, _) in self.watched.drain(..) {
            watch.unwatch(db, &key, &self.watch_flag);
        }
        self.watch_flag.store(false, Ordering::Relaxed);
    }

    /// True if a watched key was modified (or expired) since `WATCH`: `EXEC` must fail.
    pub fn watch_failed(&self, store: &Store, now: u64) -> bool {
        if self.watch_flag.load(Ordering::Relaxed) {
            return true;
        }
        // A key that expires after WATCH counts as modified even if nobody deleted it yet.
        self.watched.iter().any(|(db, key, live_when_watched)| {
            *live_when_watched && store.db(*db).deadline(key, 0).is_some_and(|at| at <= now)
        })
    }
}
