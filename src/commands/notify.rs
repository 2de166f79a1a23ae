//! Keyspace notifications from a handler: `ctx.notify(class, event, key)`.
//!
//! Go original: none (go-redis had no notifications). Explained in: book chapter "Pub/Sub",
//! section "Keyspace notifications".
//!
//! The idea: with `notify-keyspace-events` set, every change to a key is also a Pub/Sub
//! message, so a client can watch keys instead of polling them. A handler says what happened
//! right where it says what to log, with Redis's name for the event (`SET` → `set`, `LPUSH` →
//! `lpush`, a collection that lost its last element → `del`). The notification is not sent at
//! once: it joins the write's [`Effects`](super::Effects), and the dispatcher's `commit`
//! publishes the whole list while the write guard is still held, before the command's reply
//! is returned. So subscribers see every write's events in the order the writes happened,
//! and before the writer sees its reply, as with Redis, which publishes inside the command.
//!
//! Keys that expire on the way are told of too (`expired`), in their place: lazy expiry
//! happens in the store, which knows nothing of Pub/Sub, so each notification first asks the
//! databases which keys they lost since the last one ([`Db::newly_expired`]), and the commit
//! asks once more for those that expired after the last notification.
//!
//! The cost when notifications are off: each write loads the enabled classes once (one
//! relaxed atomic load, when its `Effects` is made), and each `notify` is one test of that
//! copy. Nothing is allocated, no key is looked up.
//!
//! [`Db::newly_expired`]: crate::engine::store::Db::newly_expired

use super::Context;
use crate::config::KeyspaceEvents;

// ANCHOR: context_notify
impl Context<'_> {
    /// Records that `event` (of `class`) happened to `key` in the client's database, for the
    /// subscribers of keyspace notifications, if that class is enabled.
    #[inline]
    pub fn notify(&mut self, class: KeyspaceEvents, event: &'static str, key: &[u8]) {
        if self.effects.notifies(class) {
            let db = self.others.selected();
            self.record(db, event, key);
        }
    }

    /// As [`Context::notify`], for a key in database `db` (`MOVE`'s `move_to`, `COPY ... DB`).
    #[inline]
    pub fn notify_in(&mut self, db: usize, class: KeyspaceEvents, event: &'static str, key: &[u8]) {
        if self.effects.notifies(class) {
            self.record(db, event, key);
        }
    }

    /// True if notifications of `class` are published: for a handler that must look before it
    /// can tell (`keymiss` among a command's source keys).
    #[inline]
    pub fn notifies(&self, class: KeyspaceEvents) -> bool {
        self.effects.notifies(class)
    }

    /// Records that a read of `key` inside a write found nothing (class `m`): after deleting
    /// the key if it had expired, so that its `expired` comes first, as Redis's lookup tells.
    #[inline]
    pub fn notify_miss(&mut self, key: &[u8]) {
        if self.effects.notifies(KeyspaceEvents::KEY_MISS) {
            self.db.expire_if_needed(key, self.now);
            let db = self.others.selected();
            self.record(db, "keymiss", key);
        }
    }

    /// Records that the command created `key` (class `n`): where Redis adds a key to its
    /// dictionary, after any lazy expiry of the same key.
    #[inline]
    pub fn notify_new(&mut self, key: &[u8]) {
        self.notify(KeyspaceEvents::NEW, "new", key);
    }

    /// Records `event` (of `class`) on `key`, after `new` if the command `created` the key:
    /// the pair a write that may create its key tells of (`LPUSH`, `SADD`, `HSET`, ...).
    #[inline]
    pub fn notify_added(
        &mut self,
        created: bool,
        class: KeyspaceEvents,
        event: &'static str,
        key: &[u8],
    ) {
        if created {
            self.notify_new(key);
        }
        self.notify(class, event, key);
    }

    /// Records `event` (of `class`) on `key`, then `del` if that `emptied` the collection:
    /// Redis deletes a list, set, hash or sorted set with its last element, and says so.
    #[inline]
    pub fn notify_removed(
        &mut self,
        emptied: bool,
        class: KeyspaceEvents,
        event: &'static str,
        key: &[u8],
    ) {
        self.notify(class, event, key);
        if emptied {
            self.notify(KeyspaceEvents::GENERIC, "del", key);
        }
    }

    /// True if `key` does not exist and `n` notifications are on: asked before a write that
    /// may create the key, when the write itself does not say whether it did. Looks nothing
    /// up when they are off.
    #[inline]
    pub fn creates(&self, key: &[u8]) -> bool {
        self.effects.notifies(KeyspaceEvents::NEW) && !self.db.holds(key, self.now)
    }

    /// The slow path: the keys that expired since the last notification come first, from
    /// every database (a `MOVE` may find its key expired in the target database). Out of
    /// line, so that the test in front of it is all a write pays when nothing is told.
    #[cold]
    #[inline(never)]
    fn record(&mut self, db: usize, event: &'static str, key: &[u8]) {
        if self.effects.notifies(KeyspaceEvents::EXPIRED) {
            self.effects.tell_expired(self.others.selected(), self.db);
            for (index, other) in self.others.numbered_mut() {
                self.effects.tell_expired(index, other);
            }
        }
        self.effects.push(db, event, key);
    }
}
// ANCHOR_END: context_notify
