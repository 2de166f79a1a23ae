//! Effects: what a write logs, built only when someone wants it.
//!
//! Go original: none (go-redis logged each request as it arrived). Explained in: book chapters 3
//! and 6, and, for the speed-up, the Benchmarks chapter.
//!
//! The idea first: every write records, as a command, what it changed (`INCR` → `SET key 11`),
//! and the dispatcher sends those records to the AOF, marks `WATCH`ed keys with them and serves
//! blocked clients from them (design invariants 4 and 5). A handler says what it changed with
//! [`Context::log`], or [`Context::log_with`] when the record takes work to build.
//!
//! The speed-up, fenced here: with no AOF, no `WATCH`er and no blocked client, nobody reads an
//! effect, so the dispatcher creates an [`Effects`] that is not *wanted* and the records are
//! never built. `log_with` takes a closure for exactly that reason: copying a command's
//! arguments into a record costs an allocation per argument, which nobody should pay for a log
//! that is not kept. A handler never asks whether effects are wanted; it only logs. What this
//! buys, per command, is in the Benchmarks chapter ("What each optimisation bought").

use super::{Change, Context, Effect};

/// The effects of one write, or of one `EXEC`, collected for the dispatcher's commit, or
/// dropped unbuilt when nobody wants them. A field of [`Context`] of its own, so that helpers
/// which change the store can take it beside `ctx.store` (`pop(ctx.store, .., ctx.effects)`).
pub struct Effects {
    wanted: bool,
    /// The database the next effects change: the running command's client's.
    db: usize,
    list: Vec<Change>,
}

impl Effects {
    /// Effects that are kept if `wanted`, else never built; they change database `db` until
    /// [`Effects::select`] says otherwise.
    pub(crate) fn new(wanted: bool, db: usize) -> Self {
        Effects {
            wanted,
            db,
            list: Vec::new(),
        }
    }

    /// The effects that follow change database `db` (a command after a `SELECT` in `EXEC`).
    pub(crate) fn select(&mut self, db: usize) {
        self.db = db;
    }

    /// Records the effect `build` makes, calling it only if someone wants effects.
    pub fn log_with(&mut self, build: impl FnOnce() -> Effect) {
        if self.wanted {
            self.list.push(Change {
                db: self.db,
                effect: build(),
            });
        }
    }

    /// Records `effect` as a change of database `db`, which need not be the client's: `MOVE`
    /// deletes here and adds there.
    pub fn log_in(&mut self, db: usize, build: impl FnOnce() -> Effect) {
        if self.wanted {
            self.list.push(Change { db, effect: build() });
        }
    }

    /// The effects recorded, in order, for the dispatcher's commit.
    pub(crate) fn into_list(self) -> Vec<Change> {
        self.list
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
        self.effects.log_with(|| argv.iter().map(|a| a.to_vec()).collect());
    }
    // ANCHOR_END: log

    /// Records the effect `build` makes, building it only if someone wants effects.
    pub fn log_with(&mut self, build: impl FnOnce() -> Effect) {
        self.effects.log_with(build);
    }
}
