//! The `WATCH` table: which clients watch which keys.
//!
//! Go original: none (go-redis planned WATCH). Explained in: book chapter 7.
//!
//! A write must cost nothing when nobody watches, so the table holds only watched keys, each
//! with the flags of the clients watching it. A write that touches a key sets those flags
//! (the client's transaction is now doomed) and that is all: checking `is_empty` is the whole
//! cost of a write in a server where nobody uses `WATCH`.

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
    keys: HashMap<Key, Vec<(usize, WatchFlag)>>,
}
// ANCHOR_END: watch_table

impl WatchTable {
    /// True when nobody watches anything: the fast path of every write.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Adds `flag` as a watcher of `key` in database `db`.
    pub fn watch(&mut self, db: usize, key: &[u8], flag: &WatchFlag) {
        let list = self.keys.entry(key.into()).or_default();
        if !list.iter().any(|(d, f)| *d == db && Arc::ptr_eq(f, flag)) {
            list.push((db, flag.clone()));
        }
    }

    /// Removes `flag` from the watchers of `key` in database `db`.
    pub fn unwatch(&mut self, db: usize, key: &[u8], flag: &WatchFlag) {
        if let Some(list) = self.keys.get_mut(key) {
            list.retain(|(d, f)| !(*d == db && Arc::ptr_eq(f, flag)));
            if list.is_empty() {
                self.keys.remove(key);
            }
        }
    }

    // ANCHOR: touch
    /// Marks every watcher of `key` in database `db`: their `EXEC` will fail.
    pub fn touch(&self, db: usize, key: &[u8]) {
        if let Some(list) = self.keys.get(key) {
            for (_, f) in list.iter().filter(|(d, _)| *d == db) {
                f.store(true, Ordering::Relaxed);
            }
        }
    }
    // ANCHOR_END: touch

    /// Marks every watcher of a key in a database for which `changed(db, key)` is true:
    /// `FLUSHALL` touches the keys it deleted (a watched key that did not exist is not changed
    /// by a flush), `SWAPDB` the keys that exist on either side of the swap.
    pub fn touch_where(&self, mut changed: impl FnMut(usize, &[u8]) -> bool) {
        for (k, list) in &self.keys {
            for (db, f) in list {
                if changed(*db, k) {
                    f.store(true, Ordering::Relaxed);
                }
            }
        }
    }

    /// Number of watched keys (`INFO`'s `watching_clients`-style figures).
    pub fn len(&self) -> usize {
        self.keys.len()
    }
}
