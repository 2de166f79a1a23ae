//! Commands: parsing, the registry, the dispatcher, and one handler module per command family.
//!
//! Go original: `internal/commands`. Explained in: book chapter 3.
//!
//! A handler gets a context that matches what it may do: a [`ReadContext`] holds its client's
//! database as `&Db` (under the read guard), a [`Context`] holds it as `&mut Db` (under the write
//! guard) with the other databases and the list of effects to log, and a client-only handler
//! gets no store at all. The type system so enforces design
//! invariant 1: a handler cannot write through a read guard, and none can lock the store itself.

pub mod acl;
pub mod blocking;
pub mod client;
pub mod clients;
pub mod dispatcher;
pub mod docs;
pub mod effects;
pub mod errors;
pub mod handlers;
pub mod histogram;
pub mod keyspecs;
pub mod limits;
pub mod load;
pub mod notify;
pub mod pause;
pub mod pubsub;
pub mod registry;
pub mod replicas;
pub mod role;
pub mod scripting;
pub mod shared;
pub mod stats;
pub mod tracking;

pub use client::ClientContext;
pub use clients::ClientHandle;
pub use dispatcher::dispatch;
pub use effects::Effects;
pub use registry::{CommandSpec, Handler, Registry};
pub use shared::Shared;

use crate::engine::store::{Db, OtherDbs, Store, WatchTable};
pub use crate::persistence::{Change, Effect};
use crate::protocol::resp::Value;

/// Serves a parked blocking command for its client once `key` may hold data: runs it against
/// the client's database `db` under the writer's guard, logs what it popped, and returns the
/// reply, or `None` if it still finds nothing. Each blocking family brings its own
/// (`lists::serve_blocked`).
pub type ServeFn =
    fn(db: &mut Db, now: u64, argv: &[Vec<u8>], key: &[u8], effects: &mut Effects) -> Option<Value>;

/// What a handler asks the dispatcher for when it has nothing to return yet (`BLPOP` on an
/// empty list): wait for a write to one of `keys`, or until `deadline` (Unix ms; `None`: forever),
/// and then be served by `serve`.
#[derive(Debug, Clone)]
pub struct BlockOn {
    /// The keys to wait on.
    pub keys: Vec<Vec<u8>>,
    /// When to give up, in Unix milliseconds.
    pub deadline: Option<u64>,
    /// How a writer serves this command when one of the keys fills.
    pub serve: ServeFn,
    /// The command to park instead of the one the client sent, when some of its arguments
    /// must be fixed at the moment it blocks (`XREAD ... $` becomes the stream's last ID).
    pub argv: Option<Vec<Vec<u8>>>,
    /// True if serving this client leaves the data for the next one (a stream read takes
    /// nothing away): then a waiter that cannot be served yet does not hold up those behind
    /// it, and every waiter is tried.
    pub shares: bool,
}

/// What a read-only handler sees: the store under the read guard.
pub struct ReadContext<'a> {
    /// The client's selected database, read-only.
    pub db: &'a Db,
    /// Every database (`INFO keyspace`).
    pub store: &'a Store,
    /// The time of this command, in Unix milliseconds: every expiry check uses it.
    pub now: u64,
    /// Server-wide state (config, clients, stats).
    pub shared: &'a Shared,
    /// The calling client.
    pub client: &'a mut ClientContext,
}

// ANCHOR: context
/// What a writing handler sees: the store under the write guard, and the effects to log.
pub struct Context<'a> {
    /// The client's selected database, writable.
    pub db: &'a mut Db,
    /// Every other database, for the commands that reach across (`MOVE`, `SWAPDB`, `FLUSHALL`).
    pub others: OtherDbs<'a>,
    /// Who watches which key in which database (`WATCH`).
    pub watch: &'a mut WatchTable,
    /// The time of this command, in Unix milliseconds.
    pub now: u64,
    /// Server-wide state (config, clients, stats).
    pub shared: &'a Shared,
    /// The calling client.
    pub client: &'a mut ClientContext,
    /// True while running inside `EXEC`: blocking commands must not block there.
    pub in_exec: bool,
    /// Set by a blocking command that found nothing to pop.
    pub block: Option<BlockOn>,
    /// Where this write's effects go: reached only through [`Context::log`] and
    /// [`Context::log_with`] (see the `effects` module).
    pub(crate) effects: &'a mut Effects,
}
// ANCHOR_END: context

impl<'a> ReadContext<'a> {
    /// A read handler's context: `client` runs a command at `now` against `store`.
    pub fn new(
        store: &'a Store,
        now: u64,
        shared: &'a Shared,
        client: &'a mut ClientContext,
    ) -> Self {
        ReadContext {
            db: store.db(client.db),
            store,
            now,
            shared,
            client,
        }
    }
}

impl<'a> Context<'a> {
    /// A write handler's context; built only by [`dispatcher::invoke`].
    pub(crate) fn new(
        store: &'a mut Store,
        now: u64,
        shared: &'a Shared,
        client: &'a mut ClientContext,
        in_exec: bool,
        effects: &'a mut Effects,
    ) -> Self {
        let (db, others, watch) = store.split(client.db);
        Context {
            db,
            others,
            watch,
            now,
            shared,
            client,
            in_exec,
            block: None,
            effects,
        }
    }
}
