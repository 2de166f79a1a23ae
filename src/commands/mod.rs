//! Commands: parsing, the registry, the dispatcher, and one handler module per command family.
//!
//! Go original: `internal/commands`. Explained in: book chapter 3.
//!
//! A handler gets a context that matches what it may do: a [`ReadContext`] holds `&Store`
//! (the read guard), a [`Context`] holds `&mut Store` (the write guard) and the list of effects
//! to log, and a client-only handler gets no store at all. The type system so enforces design
//! invariant 1: a handler cannot write through a read guard, and none can lock the store itself.

pub mod blocking;
pub mod command;
pub mod dispatcher;
pub mod handlers;
pub mod registry;

pub use command::Command;
pub use dispatcher::{ClientContext, dispatch};
pub use registry::{CommandSpec, Handler, Registry};

use crate::engine::store::Store;
pub use crate::server::Shared;

/// One logged effect: a command, as words, that replays the change (design invariant 5).
pub type Effect = Vec<Vec<u8>>;

/// What a handler asks the dispatcher for when it has nothing to return yet (`BLPOP` on an
/// empty list): wait for a write to one of `keys`, or until `deadline` (Unix ms; `None`: forever).
#[derive(Debug, Clone)]
pub struct BlockOn {
    /// The keys to wait on.
    pub keys: Vec<Vec<u8>>,
    /// When to give up, in Unix milliseconds.
    pub deadline: Option<u64>,
}

/// What a read-only handler sees: the store under the read guard.
pub struct ReadContext<'a> {
    /// The store, read-only.
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
    /// The store, writable.
    pub store: &'a mut Store,
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
    /// Where this write's effects go, if anyone wants them (see [`Context::logging`]).
    pub(crate) effects: Effects<'a>,
}
// ANCHOR_END: context

/// The effects of one write, collected for the dispatcher's commit, or dropped unbuilt when
/// nobody wants them. A field of [`Context`] of its own, so that helpers which change the store
/// can take it beside `ctx.store` (`pop(ctx.store, .., &mut ctx.effects)`).
pub struct Effects<'a> {
    wanted: bool,
    list: &'a mut Vec<Effect>,
}

impl<'a> Effects<'a> {
    /// Effects appended to `list` if `wanted`, else never built.
    pub(crate) fn new(wanted: bool, list: &'a mut Vec<Effect>) -> Self {
        Effects { wanted, list }
    }

    /// Records the effect `build` makes, calling it only if someone wants effects: copying a
    /// command's arguments costs an allocation per argument, which nobody should pay for a
    /// log that is not kept.
    pub fn push_with(&mut self, build: impl FnOnce() -> Effect) {
        if self.wanted {
            self.list.push(build());
        }
    }
}

impl Context<'_> {
    // Go parity: go-redis's AOF logged each request as it arrived, so a replayed `INCR`, relative
    // `EXPIRE` or `SPOP` could rebuild a different state; we log effects (design invariant 5).
    // ANCHOR: log
    /// Records the effect of this command, as a command that replays it. Called while the write
    /// guard is held; the dispatcher sends every effect to the AOF before releasing it (design
    /// invariant 4) and marks the keys it names as modified for `WATCH`.
    pub fn log(&mut self, argv: &[&[u8]]) {
        self.effects.push_with(|| argv.iter().map(|a| a.to_vec()).collect());
    }
    // ANCHOR_END: log

    /// Records an effect already built as owned words.
    pub fn log_owned(&mut self, argv: Effect) {
        self.effects.push_with(|| argv);
    }

    /// Records the effect `build` makes, only building it if someone wants effects (see
    /// [`Effects::push_with`]).
    pub fn log_with(&mut self, build: impl FnOnce() -> Effect) {
        self.effects.push_with(build);
    }

    /// True if this write's effects are wanted: by the AOF, by a `WATCH`er, or by a client
    /// blocked on a key. When none of them is there, logging is skipped, so a server running
    /// without an AOF copies nothing per write; a handler may also skip building an effect.
    pub fn logging(&self) -> bool {
        self.effects.wanted
    }
}
