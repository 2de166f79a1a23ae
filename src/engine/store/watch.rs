//! The `WATCH` table: which clients watch which keys.
//!
//! Go original: none (go-redis planned WATCH). Explained in: book chapter 7.
//!
//! A write must cost nothing when nobody watches, so the table holds only watched keys, each
//! with the flags of the clients watching it. A write that touches a key sets those flags
//! (the client's transaction is now doomed) and that is all: checking `is_empty` is the whole
//! cost of a write in a server where nobody uses `WATCH`.

use std::cell::LazyCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Key;

/// A client's "one of my watched keys changed" flag. Written and read under the store lock;
/// atomic only so the store stays `Sync`.
pub type WatchFlag = Arc<AtomicBool>;

// Go parity: go-redis planned WATCH and never built it. This table costs a write nothing
// while nobody watches (book chapter 7).
// ANCHOR: watch_table
/// Watched key → its watchers: each the number of the database it watches the key in, and
/// the flag to set.
#[derive(Default)]
pub struct WatchTable {
    keys: HashMap<Key, Vec<Watcher>>,
}
// ANCHOR_END: watch_table

/// One client watching one key.
struct Watcher {
    db: usize,
    flag: WatchFlag,
    /// The key was past its deadline, not yet deleted, when watched: its deletion changes
    /// nothing the client saw (Redis 7.0's `expired` mark of a watched key). Cleared by that
    /// deletion, so any later change counts.
    stale: AtomicBool,
}

impl WatchTable {
    /// True when nobody watches anything: the fast path of every write.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Adds `flag` as a watcher of `key` in database `db`; `stale` if the key is there but past
    /// its deadline.
    pub fn watch(&mut self, db: usize, key: &[u8], flag: &WatchFlag, stale: bool) {
        let list = self.keys.entry(key.into()).or_default();
        if !list
            .iter()
            .any(|w| w.db == db && Arc::ptr_eq(&w.flag, flag))
        {
            list.push(Watcher {
                db,
                flag: flag.clone(),
                stale: AtomicBool::new(stale),
            });
        }
    }

    /// Removes `flag` from the watchers of `key` in database `db`.
    pub fn unwatch(&mut self, db: usize, key: &[u8], flag: &WatchFlag) {
        if let Some(list) = self.keys.get_mut(key) {
            list.retain(|w| !(w.db == db && Arc::ptr_eq(&w.flag, flag)));
            if list.is_empty() {
                self.keys.remove(key);
            }
        }
    }

    // ANCHOR: touch
    /// Marks every watcher of `key` in database `db`: their `EXEC` will fail. `gone` says
    /// whether the key no longer exists after the change, asked only of a key someone watched
    /// stale: for that watcher the change is the deletion of a key it already could not see,
    /// and no change.
    pub fn touch(&self, db: usize, key: &[u8], gone: impl FnOnce() -> bool) {
        let Some(list) = self.keys.get(key) else {
            return;
        };
        let gone = LazyCell::new(gone);
        for w in list.iter().filter(|w| w.db == db) {
            if w.stale.load(Ordering::Relaxed) && *gone {
                w.stale.store(false, Ordering::Relaxed);
                continue;
            }
            w.flag.store(true, Ordering::Relaxed);
        }
    }
    // ANCHOR_END: touch

    /// Marks every watcher of a key in a database for which `changed(db, key)` is true:
    /// `FLUSHALL` touches the keys it deleted (a watched key that did not exist is not changed
    /// by a flush), `SWAPDB` the keys that exist on either side of the swap.
    pub fn touch_where(&self, mut changed: impl FnMut(usize, &[u8]) -> bool) {
        for (k, list) in &self.keys {
            for w in list {
                if changed(w.db, k) {
                    w.flag.store(true, Ordering::Relaxed);
                }
            }
        }
    }

    /// Number of watched keys (`INFO`'s `watching_clients`-style figures).
    pub fn len(&self) -> usize {
        self.keys.len()
    }
}
