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
/// Watched key → the flags of its watchers.
#[derive(Default)]
pub struct WatchTable {
    keys: HashMap<Key, Vec<WatchFlag>>,
}
// ANCHOR_END: watch_table

impl WatchTable {
    /// True when nobody watches anything: the fast path of every write.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Adds `flag` as a watcher of `key`.
    pub fn watch(&mut self, key: &[u8], flag: &WatchFlag) {
        let list = self.keys.entry(key.into()).or_default();
        if !list.iter().any(|f| Arc::ptr_eq(f, flag)) {
            list.push(flag.clone());
        }
    }

    /// Removes `flag` from the watchers of `key`.
    pub fn unwatch(&mut self, key: &[u8], flag: &WatchFlag) {
        if let Some(list) = self.keys.get_mut(key) {
            list.retain(|f| !Arc::ptr_eq(f, flag));
            if list.is_empty() {
                self.keys.remove(key);
            }
        }
    }

    // ANCHOR: touch
    /// Marks every watcher of `key`: their `EXEC` will fail.
    pub fn touch(&self, key: &[u8]) {
        if let Some(list) = self.keys.get(key) {
            for f in list {
                f.store(true, Ordering::Relaxed);
            }
        }
    }
    // ANCHOR_END: touch

    /// Marks every watcher of every key for which `exists` is true (`FLUSHALL` touches the keys
    /// it deleted; a watched key that did not exist is not changed by a flush).
    pub fn touch_where(&self, mut exists: impl FnMut(&[u8]) -> bool) {
        for (k, list) in &self.keys {
            if exists(k) {
                for f in list {
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
