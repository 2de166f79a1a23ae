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
//!
//! A write's keyspace notifications travel with its effects ([`Effects::notify`]): collected
//! here when their class is enabled, published by the dispatcher's commit (see
//! `commands::notify`).

use super::{Change, Context, Effect};
use crate::config::KeyspaceEvents;
use crate::engine::store::{Data, Db, Key, Store};

// ANCHOR: notification
/// One event of one write: `event` happened to `key` in database `db`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The database the key is in.
    pub db: usize,
    /// Redis's name of the event (`set`, `lpush`, `expired`, ...).
    pub event: &'static str,
    /// The key.
    pub key: Key,
}
// ANCHOR_END: notification

/// The effects of one write, or of one `EXEC`, collected for the dispatcher's commit, or
/// dropped unbuilt when nobody wants them. A field of [`Context`] of its own, so that helpers
/// which change the store can take it beside `ctx.store` (`pop(ctx.store, .., ctx.effects)`).
pub struct Effects {
    wanted: bool,
    /// Changes logged, counted whether or not they are built: the dirty counter of RDB
    /// snapshots (`rdb_changes_since_last_save`) needs the number even when nobody wants the
    /// records. `None` for the expirer's deletions, which Redis does not count either: a
    /// snapshot leaves expired keys out anyway.
    changes: Option<u64>,
    /// The database the next effects change: the running command's client's.
    db: usize,
    list: Vec<Change>,
    /// The keyspace notification classes enabled when this write began.
    events: KeyspaceEvents,
    /// The notifications of those classes, in the order they happened.
    notes: Vec<Notification>,
}

impl Effects {
    /// Effects that are kept if `wanted`, else never built; they change database `db` until
    /// [`Effects::select`] says otherwise. Notifications of the classes in `events` are kept.
    pub(crate) fn new(wanted: bool, db: usize, events: KeyspaceEvents) -> Self {
        Effects {
            wanted,
            changes: Some(0),
            db,
            list: Vec::new(),
            events,
            notes: Vec::new(),
        }
    }

    /// Effects for the deletions of keys whose time ran out, in database `db`: always built
    /// (the AOF and replicas need them), never counted as changes.
    pub(crate) fn expiries(db: usize, events: KeyspaceEvents) -> Self {
        Effects {
            changes: None,
            ..Effects::new(true, db, events)
        }
    }

    /// How many changes were logged, built or not (see the field).
    pub(crate) fn changes(&self) -> u64 {
        self.changes.unwrap_or(0)
    }

    /// The effects that follow change database `db` (a command after a `SELECT` in `EXEC`).
    pub(crate) fn select(&mut self, db: usize) {
        self.db = db;
    }

    /// Records the effect `build` makes, calling it only if someone wants effects.
    pub fn log_with(&mut self, build: impl FnOnce() -> Effect) {
        if let Some(n) = self.changes.as_mut() {
            *n += 1;
        }
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
        if let Some(n) = self.changes.as_mut() {
            *n += 1;
        }
        if self.wanted {
            self.list.push(Change {
                db,
                effect: build(),
            });
        }
    }

    /// The effects and the notifications recorded, and the classes enabled, for the commit.
    pub(crate) fn into_parts(self) -> (Vec<Change>, Vec<Notification>, KeyspaceEvents) {
        (self.list, self.notes, self.events)
    }

    /// True if any class is enabled: the commit's one test before it looks for notifications.
    #[inline]
    pub(crate) fn notifies_any(&self) -> bool {
        self.events != KeyspaceEvents::NONE
    }

    /// Takes the notifications recorded so far, and the classes enabled.
    pub(crate) fn take_notes(&mut self) -> (Vec<Notification>, KeyspaceEvents) {
        (std::mem::take(&mut self.notes), self.events)
    }

    /// The effects recorded, in order, for the commit.
    pub(crate) fn into_list(self) -> Vec<Change> {
        self.list
    }

    // ANCHOR: effects_notify
    /// True if notifications of `class` are published: the one test every write pays when
    /// none are.
    #[inline]
    pub fn notifies(&self, class: KeyspaceEvents) -> bool {
        self.events.has(class)
    }

    /// Records that `event` (of `class`) happened to `key` in `db`, this write's database, if
    /// that class is enabled: after the keys `db` lost to lazy expiry on the way, which
    /// happened first.
    #[inline]
    pub fn notify(&mut self, db: &mut Db, class: KeyspaceEvents, event: &'static str, key: &[u8]) {
        if self.notifies(class) {
            self.record(db, event, key);
        }
    }

    #[cold]
    #[inline(never)]
    fn record(&mut self, db: &mut Db, event: &'static str, key: &[u8]) {
        let index = self.db;
        self.tell_expired(index, db);
        self.push(index, event, key);
    }

    /// Records that `event` (of `class`) happened to `key` in database `db`, if that class is
    /// enabled, with no look at lazy expiry first: for the expirer, whose deletions are the
    /// expiries.
    pub fn notify_in(&mut self, db: usize, class: KeyspaceEvents, event: &'static str, key: &[u8]) {
        if self.notifies(class) {
            self.push(db, event, key);
        }
    }

    /// How many effects are recorded so far.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// The changes recorded from position `at` on (one command's, inside `EXEC`).
    pub(crate) fn since(&self, at: usize) -> &[Change] {
        &self.list[at.min(self.list.len())..]
    }

    /// Puts the `DEL`s of the keys lazy expiry deleted during one command of a transaction at
    /// position `at`, in front of that command's own effects, each under the number its
    /// database has now: a later `SWAPDB` in the same `EXEC` would renumber it by the commit.
    pub(crate) fn expired_before(&mut self, at: usize, store: &mut Store) {
        if !self.wanted {
            return;
        }
        let mut dels = Vec::new();
        for (index, db) in store.iter_mut().enumerate() {
            if db.has_lazily_expired() {
                self.tell_expired(index, db);
                dels.extend(db.take_lazily_expired().into_iter().map(|k| Change {
                    db: index,
                    effect: vec![b"DEL".to_vec(), k.into_vec()],
                }));
            }
        }
        self.list.splice(at..at, dels);
    }

    /// Records an `expired` notification for each key database `index` (`db`) lost to lazy
    /// expiry since it was last asked, if `x` is enabled.
    pub(crate) fn tell_expired(&mut self, index: usize, db: &mut Db) {
        if self.notifies(KeyspaceEvents::EXPIRED) {
            for key in db.newly_expired() {
                self.notes.push(Notification {
                    db: index,
                    event: "expired",
                    key: key.clone(),
                });
            }
        }
    }

    /// Records `event` on `key` in database `db`, its class already checked.
    pub(crate) fn push(&mut self, db: usize, event: &'static str, key: &[u8]) {
        self.notes.push(Notification {
            db,
            event,
            key: key.into(),
        });
    }
    // ANCHOR_END: effects_notify
}

impl Context<'_> {
    // Go parity: go-redis's AOF logged each request as it arrived, so a replayed `INCR`, relative
    // `EXPIRE` or `SPOP` could rebuild a different state; we log effects (design invariant 5).
    // ANCHOR: log
    /// Records the effect of this command, as a command that replays it. Called while the write
    /// guard is held; the dispatcher sends every effect to the AOF before releasing it (design
    /// invariant 4) and marks the keys it names as modified for `WATCH`.
    pub fn log(&mut self, argv: &[&[u8]]) {
        self.effects
            .log_with(|| argv.iter().map(|a| a.to_vec()).collect());
    }
    // ANCHOR_END: log

    /// Records the effect `build` makes, building it only if someone wants effects.
    pub fn log_with(&mut self, build: impl FnOnce() -> Effect) {
        self.effects.log_with(build);
    }

    // ANCHOR: store_result
    /// Replaces `dst` with a command's result, as every `*STORE` command does, whatever `dst`
    /// held before: the old key goes (logged as `DEL`); a `result` is then stored, logged as the
    /// effect that rebuilds it and told of as `event` (after `new` if the key is new); no result
    /// leaves no key, told of as `del` if there was one.
    pub fn store_result(
        &mut self,
        dst: &[u8],
        result: Option<(Data, Effect)>,
        class: KeyspaceEvents,
        event: &'static str,
    ) {
        let old = self.db.remove(dst, self.now);
        let existed = old.is_some();
        self.discard(old);
        if existed {
            self.log(&[b"DEL", dst]);
        }
        match result {
            Some((data, effect)) => {
                self.db.set(dst, data, self.now);
                self.log_with(|| effect);
                self.notify_added(!existed, class, event, dst);
            }
            None if existed => self.notify(KeyspaceEvents::GENERIC, "del", dst),
            None => {}
        }
    }
    // ANCHOR_END: store_result

    /// Frees a value the command replaced or deleted on the server's own account: on the
    /// `lazyfree` thread if `lazyfree-lazy-server-del` is on and the value is big.
    pub fn discard(&self, old: Option<Data>) {
        if let Some(old) = old {
            let lazyfree = &self.shared.lazyfree;
            lazyfree.free_if(&lazyfree.server_del, old);
        }
    }
}
