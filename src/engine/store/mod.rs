//! The in-memory store: binary-safe keys, typed values, deadlines, in numbered databases.
//!
//! Go original: `internal/engine/store/store.go`. Explained in: book chapter 4.
//!
//! One `Store` lives behind one `Arc<RwLock<Store>>` (see `server/mod.rs`). It holds the
//! server's numbered databases (`SELECT 0` … `SELECT 15`), each a [`Db`]: a keyspace of its own,
//! with its own TTL index (see `databases.rs`). Neither does locking or I/O of its own: callers
//! hold the read guard to call `&self` methods and the write guard for `&mut self` ones, and pass
//! the current time in, so tests can move the clock by hand.
//!
//! A database's keyspace is split into a fixed number of hash-addressed *slots* (each a `HashMap`). A key
//! never changes slot, so a `SCAN` cursor that is simply "the next slot to visit" returns every key
//! that stays present for the whole scan, whatever else is added or deleted meanwhile. Redis gets
//! the same guarantee from its reverse-binary bucket cursor; std's `HashMap` hides its buckets, so
//! we make our own coarse ones.

pub mod active_expire;
mod compact;
mod cow;
mod data;
mod databases;
mod expiry;
mod fnv;
pub mod glob;
pub mod lazyfree;
mod list;
mod set;
mod snapshot;
pub mod stream;
mod watch;
pub mod zset;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub use compact::InlineBytes;
pub use compact::Str;
pub use cow::CowBox;
pub use data::{Data, StoreError};
pub use databases::{OtherDbs, Store};
pub use expiry::ExpiryIndex;
pub use fnv::{Fnv1a, fnv1a};
pub use glob::glob_match;
pub use list::List;
pub use set::MemberSet;
pub use snapshot::{DbSnapshot, Snapshot};
pub use stream::Stream;
pub use watch::{WatchFlag, WatchTable};
pub use zset::ZSet;

/// One slot of a database's keyspace: key → value.
pub type KeySlot = HashMap<InlineBytes, Data>;

/// A key: an immutable byte string (16 bytes inline, the bytes on the heap).
pub type Key = Box<[u8]>;

/// An element of a set, hash or sorted set: inline up to 22 bytes (see [`InlineBytes`]).
pub type Bytes = InlineBytes;

// ANCHOR: slots
/// How many slots the keyspace is split into (a power of two). 4,096 empty maps cost ~200 KB;
/// a million keys put ~250 in each, which is what one `SCAN` call returns at that size.
pub const SLOTS: usize = 4096;
// ANCHOR_END: slots

// ANCHOR: store_stats
/// Counters the store keeps for `INFO`, over all databases.
#[derive(Debug, Default, Clone)]
pub struct StoreStats {
    /// Keys deleted because their deadline passed (lazily or by the sweeper), summed over the
    /// databases by [`Store::stats`].
    pub expired_keys: u64,
    /// Estimated percentage (0–100) of TTL keys that are expired but not yet deleted: each
    /// active-expiry cycle's expired/sampled, smoothed as Redis does. `INFO`: two decimals.
    pub expired_stale_perc: f64,
    /// Active-expiry cycles that stopped at their time budget rather than for lack of work.
    pub expired_time_cap_reached_count: u64,
    /// Time spent in active-expiry cycles, in microseconds (`INFO` shows
    /// `expire_cycle_cpu_milliseconds`, this divided by 1,000).
    pub expire_cycle_time_used_us: u64,
    /// Active-expiry cycles run (not in Redis's `INFO`; tests and the book use it).
    pub expire_cycles: u64,
    /// Keys the active-expiry cycles have looked at (not in Redis's `INFO`): stays 0 in a store
    /// without TTLs, however many keys it holds.
    pub expire_cycle_sampled_keys: u64,
}
// ANCHOR_END: store_stats

// ANCHOR: store
/// One database: the keyspace `SELECT n` picks.
pub struct Db {
    // Keys and short values live inside the table entries (`compact.rs`): 48 bytes an entry
    // and no heap block at all for a typical `SET key:1234 value`. Empty until the first key
    // arrives, so the fifteen databases most servers never use cost nothing.
    slots: Vec<CowBox<KeySlot>>,
    len: usize,
    expires: ExpiryIndex,
    /// Keys removed by lazy expiry since the dispatcher last looked; each becomes a `DEL`
    /// effect (AOF, `WATCH`) of the command that found it.
    lazily_expired: Vec<Key>,
    /// How many of `lazily_expired` [`Db::newly_expired`] has already handed out.
    lazily_seen: usize,
    /// Big values (see [`lazyfree`]) deleted because their deadline passed, kept for the
    /// server to free as `lazyfree-lazy-expire` says, under the guard or in the background.
    big_expired: Vec<Data>,
    /// Keys deleted because their deadline passed, lazily or by the sweeper (`expired_keys`).
    expired: u64,
    /// Expired keys that reads came across: a read holds only the read guard and cannot delete
    /// them (design invariant 2), so it notes them here, and the dispatcher deletes them under a
    /// write guard right after, with their `DEL`s, as Redis deletes at the look. Bounded.
    found_expired: Mutex<Vec<Key>>,
    /// True while `found_expired` has keys: the one check a read pays.
    found_any: AtomicBool,
    /// Reads that found their key (`keyspace_hits`). Reads run under the *read* guard, so
    /// these two are atomics rather than plain counters; relaxed increments, summed by `INFO`.
    hits: AtomicU64,
    /// Reads that did not (`keyspace_misses`).
    misses: AtomicU64,
}
// ANCHOR_END: store

impl Default for Db {
    fn default() -> Self {
        Db::new()
    }
}

/// Milliseconds since the Unix epoch: the unit of every deadline in the store.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

// ANCHOR: slot_of
/// Which slot a key lives in: FNV-1a, cheap for short keys. The slot's `HashMap` still hashes
/// with std's keyed SipHash, so crafted keys can at worst crowd one slot, not degrade lookups.
fn slot_of(key: &[u8]) -> usize {
    (fnv1a(key) as usize) & (SLOTS - 1)
}
// ANCHOR_END: slot_of

impl Db {
    /// An empty database.
    pub fn new() -> Self {
        Db {
            slots: Vec::new(),
            len: 0,
            expires: ExpiryIndex::default(),
            lazily_expired: Vec::new(),
            lazily_seen: 0,
            big_expired: Vec::new(),
            found_expired: Mutex::new(Vec::new()),
            found_any: AtomicBool::new(false),
            expired: 0,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The slot of `key`, if the table exists yet.
    fn slot(&self, key: &[u8]) -> Option<&KeySlot> {
        self.slots.get(slot_of(key)).map(|s| &**s)
    }

    /// The slot of `key`, creating the table on a database's first key.
    fn slot_mut(&mut self, key: &[u8]) -> &mut KeySlot {
        if self.slots.is_empty() {
            // Every slot starts as the same empty table: one allocation, not 4,096. A slot's
            // first write finds it shared and makes it its own (`CowBox`), so a database pays
            // for the slots its keys are in.
            self.slots = vec![CowBox::default(); SLOTS];
        }
        &mut self.slots[slot_of(key)]
    }

    fn is_expired(&self, key: &[u8], now: u64) -> bool {
        // The common case, no TTL anywhere, costs one length check.
        !self.expires.is_empty() && self.expires.get(key).is_some_and(|at| at <= now)
    }

    // ANCHOR: get
    /// The live value of `key`: `None` if it is missing or its deadline has passed.
    ///
    /// This is the read path under the read guard, so it cannot delete an expired key; it only
    /// refuses to show it (design invariant 2). A write or the sweeper deletes it later.
    pub fn get(&self, key: &[u8], now: u64) -> Option<&Data> {
        let found = if self.is_expired(key, now) {
            self.note_expired(key);
            None
        } else {
            self.slot(key).and_then(|slot| slot.get(key))
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Notes an expired key a read came across, for [`Db::expire_found`].
    #[cold]
    fn note_expired(&self, key: &[u8]) {
        let mut found = self.found_expired.lock().unwrap_or_else(|p| p.into_inner());
        if found.len() < 1024 {
            found.push(key.into());
        }
        self.found_any.store(true, Ordering::Relaxed);
    }

    /// True if reads came across expired keys since the last [`Db::expire_found`].
    pub fn has_found_expired(&self) -> bool {
        self.found_any.load(Ordering::Relaxed)
    }

    /// Deletes the expired keys reads came across (re-checked: a key given a new value or
    /// deadline since is kept), as lazy expiry does, so their `DEL`s follow.
    pub fn expire_found(&mut self, now: u64) {
        let found = std::mem::take(
            self.found_expired
                .get_mut()
                .unwrap_or_else(|p| p.into_inner()),
        );
        self.found_any.store(false, Ordering::Relaxed);
        for key in found {
            self.expire_if_needed(&key, now);
        }
    }

    /// `keyspace_hits` and `keyspace_misses`: lookups through [`Db::get`] that found their key
    /// and lookups that did not. Unlike Redis, which counts only reads, a write's existence check
    /// through `get` counts too.
    pub fn keyspace_hits_misses(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Zeroes the hit and miss counts (`CONFIG RESETSTAT`).
    pub fn reset_hits_misses(&self) {
        self.hits.store(0, Ordering::Relaxed);
        self.misses.store(0, Ordering::Relaxed);
    }
    // ANCHOR_END: get

    /// The live value of `key` for changing in place; deletes it first if it has expired.
    pub fn get_mut(&mut self, key: &[u8], now: u64) -> Option<&mut Data> {
        self.expire_if_needed(key, now);
        let slot = self.slots.get_mut(slot_of(key))?;
        // A shared slot is copied by the write access below: not for a key it does not hold.
        if CowBox::is_shared(slot) && !slot.contains_key(key) {
            return None;
        }
        slot.get_mut(key)
    }

    /// True if `key` is still stored but past its deadline: expired, not yet deleted.
    pub fn is_stale(&self, key: &[u8], now: u64) -> bool {
        self.is_expired(key, now)
    }

    /// True if `key` exists and has not expired.
    pub fn contains(&self, key: &[u8], now: u64) -> bool {
        self.get(key, now).is_some()
    }

    /// As [`Db::contains`], without counting a hit or a miss: for the server's own looks
    /// (keyspace notifications), which are not a client's reads.
    pub fn holds(&self, key: &[u8], now: u64) -> bool {
        !self.is_expired(key, now) && self.slot(key).is_some_and(|slot| slot.contains_key(key))
    }

    // ANCHOR: expire_if_needed
    /// Deletes `key` if its deadline has passed, remembering it for the `DEL` effect.
    /// Returns whether it did.
    pub fn expire_if_needed(&mut self, key: &[u8], now: u64) -> bool {
        if !self.is_expired(key, now) {
            return false;
        }
        let old = self.remove_entry(key);
        self.keep_if_big(old);
        self.lazily_expired.push(key.into());
        self.expired += 1;
        true
    }
    // ANCHOR_END: expire_if_needed

    /// True if lazy expiry deleted keys since the last [`Db::take_lazily_expired`].
    pub fn has_lazily_expired(&self) -> bool {
        !self.lazily_expired.is_empty()
    }

    /// Takes the keys deleted by lazy expiry since the last call.
    pub fn take_lazily_expired(&mut self) -> Vec<Key> {
        self.lazily_seen = 0;
        std::mem::take(&mut self.lazily_expired)
    }

    /// The keys lazy expiry deleted since the last call (or the last
    /// [`Db::take_lazily_expired`]), which stay listed for `take_lazily_expired`: for a caller
    /// that tells of each expiry as it happens (keyspace notifications), while the `DEL`
    /// effects of the same expiries wait for the end of the command.
    pub fn newly_expired(&mut self) -> &[Key] {
        let from = std::mem::replace(&mut self.lazily_seen, self.lazily_expired.len());
        &self.lazily_expired[from..]
    }

    /// Stores `data` under `key`, replacing any value and dropping any TTL (like `SET`).
    /// Returns the previous live value.
    pub fn set(&mut self, key: &[u8], data: Data, now: u64) -> Option<Data> {
        self.expire_if_needed(key, now);
        self.expires.remove(key);
        self.insert_raw(key, data)
    }

    /// Stores `data` under `key`, keeping the key's TTL if it has one (like `SET ... KEEPTTL`).
    pub fn set_keep_ttl(&mut self, key: &[u8], data: Data, now: u64) -> Option<Data> {
        self.expire_if_needed(key, now);
        self.insert_raw(key, data)
    }

    fn insert_raw(&mut self, key: &[u8], data: Data) -> Option<Data> {
        let slot = self.slot_mut(key);
        if let Some(v) = slot.get_mut(key) {
            return Some(std::mem::replace(v, data));
        }
        slot.insert(InlineBytes::from(key), data);
        self.len += 1;
        None
    }

    /// The value at `key`, created with `make` if the key is missing (or expired).
    pub fn get_or_insert_with(
        &mut self,
        key: &[u8],
        now: u64,
        make: impl FnOnce() -> Data,
    ) -> &mut Data {
        self.expire_if_needed(key, now);
        if !self.slot_mut(key).contains_key(key) {
            self.slot_mut(key).insert(InlineBytes::from(key), make());
            self.len += 1;
        }
        // Just inserted or already present: the lookup cannot fail.
        self.slot_mut(key).get_mut(key).expect("key present")
    }

    /// Deletes `key` and its TTL; returns its live value.
    pub fn remove(&mut self, key: &[u8], now: u64) -> Option<Data> {
        self.expire_if_needed(key, now);
        self.remove_entry(key)
    }

    // ANCHOR: remove_entry
    fn remove_entry(&mut self, key: &[u8]) -> Option<Data> {
        self.expires.remove(key);
        self.remove_value(key)
    }

    /// [`Db::remove_entry`] without the TTL index, for a key already out of it.
    fn remove_value(&mut self, key: &[u8]) -> Option<Data> {
        let slot = self.slots.get_mut(slot_of(key))?;
        if CowBox::is_shared(slot) && !slot.contains_key(key) {
            return None;
        }
        let slot: &mut KeySlot = slot;
        let old = slot.remove(key);
        if old.is_some() {
            self.len -= 1;
            // A std `HashMap` never gives memory back by itself: after a mass delete the
            // tables would stay sized for the peak. Shrink a slot once it is less than 1/8
            // full, to twice its size, as Redis shrinks a dict below 1/8 (7.0: 1/10). The
            // gap between the two (shrink at 1/8, grow again at 1/1) means a key count
            // hovering around a boundary never rehashes back and forth; each shrink moves
            // a few hundred entries at most, since a slot holds 1/4096 of the keys.
            if slot.capacity() > 64 && slot.len() * 8 < slot.capacity() {
                slot.shrink_to(slot.len() * 2);
            }
        }
        old
    }
    // ANCHOR_END: remove_entry

    // ANCHOR: remove_if_empty
    /// Deletes `key` if it holds an empty collection: a list, set, hash or sorted set that lost
    /// its last element vanishes, as in Redis. Returns whether it did.
    pub fn remove_if_empty(&mut self, key: &[u8]) -> bool {
        let empty = self
            .slot(key)
            .and_then(|slot| slot.get(key))
            .is_some_and(Data::is_empty_collection);
        if empty {
            self.remove_entry(key);
        }
        empty
    }
    // ANCHOR_END: remove_if_empty

    /// Deletes the key at position `i` of the TTL index for the active sweeper, if its deadline
    /// is at or before `now`, and returns it for the caller to log as a `DEL`.
    pub fn remove_expired_nth(&mut self, i: usize, now: u64) -> Option<Key> {
        let (_, at) = self.expires.nth(i)?;
        if at > now {
            return None;
        }
        let (key, _) = self.expires.remove_nth(i)?;
        let old = self.remove_value(&key);
        self.keep_if_big(old);
        self.expired += 1;
        Some(key)
    }

    /// Keeps an expired value for [`Db::take_expired_values`] if freeing it is real work.
    fn keep_if_big(&mut self, old: Option<Data>) {
        if let Some(old) = old
            && lazyfree::free_effort(&old) > lazyfree::LAZYFREE_THRESHOLD
        {
            self.big_expired.push(old);
        }
    }

    /// Takes the big values expiry deleted since the last call, for the caller to free.
    pub fn take_expired_values(&mut self) -> Vec<Data> {
        std::mem::take(&mut self.big_expired)
    }

    /// The deadline of a live `key` (Unix ms), or `None` if it has none or does not exist.
    pub fn deadline(&self, key: &[u8], now: u64) -> Option<u64> {
        if self.is_expired(key, now) {
            return None;
        }
        self.expires.get(key)
    }

    /// Gives `key` a deadline; returns false if the key does not exist.
    pub fn set_deadline(&mut self, key: &[u8], at: u64, now: u64) -> bool {
        if self.get_mut(key, now).is_none() {
            return false;
        }
        self.expires.set(key, at);
        true
    }

    /// Removes the deadline of `key`; returns whether it had one.
    pub fn persist(&mut self, key: &[u8], now: u64) -> bool {
        self.expire_if_needed(key, now);
        self.expires.remove(key)
    }

    /// The TTL index, for the active sweeper and `INFO keyspace`.
    pub fn expires(&self) -> &ExpiryIndex {
        &self.expires
    }

    /// Number of keys stored, counting keys whose deadline passed but which are not deleted yet.
    pub fn raw_len(&self) -> usize {
        self.len
    }

    // ANCHOR: len
    /// Number of keys stored (`DBSIZE`, `INFO keyspace`): as in Redis, a key whose deadline has
    /// passed counts until it is deleted, by the sweeper or by the first command that comes
    /// across it. O(1): a count that walked the TTL index to leave expired keys out would hold
    /// the lock for as long as a million keys take to visit, which is a pause for everyone.
    pub fn len(&self) -> usize {
        self.len
    }
    // ANCHOR_END: len

    /// True when no key is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Deletes every key and hands back what they were stored in, for the caller to drop
    /// where it likes (`FLUSHALL ASYNC` drops it on the `lazyfree` thread). Returns the tables
    /// and how many keys they hold.
    pub fn take_contents(&mut self) -> (impl Send + 'static, usize) {
        let slots = std::mem::take(&mut self.slots);
        let expires = std::mem::take(&mut self.expires);
        let len = std::mem::replace(&mut self.len, 0);
        ((slots, expires), len)
    }

    /// Deletes every key, and gives the tables' memory back.
    pub fn clear(&mut self) {
        self.slots = Vec::new();
        self.expires.clear();
        self.len = 0;
    }

    /// Keys this database deleted because their deadline passed (`expired_keys`, summed).
    pub fn expired_count(&self) -> u64 {
        self.expired
    }

    /// Zeroes the counters `CONFIG RESETSTAT` resets: expired keys, hits and misses.
    pub fn reset_counters(&mut self) {
        self.expired = 0;
        self.reset_hits_misses();
    }

    /// Every live key with its value, in no particular order.
    pub fn iter(&self, now: u64) -> impl Iterator<Item = (&[u8], &Data)> {
        self.slots
            .iter()
            .flat_map(|s| s.iter())
            .map(|(k, v)| (k.as_bytes(), v))
            .filter(move |(k, _)| !self.is_expired(k, now))
    }

    // ANCHOR: scan
    /// One step of `SCAN`: visits whole slots from `cursor` until at least `count` keys were
    /// seen, calling `visit` for each live key; returns the next cursor, 0 when the walk is done.
    pub fn scan(
        &self,
        cursor: u64,
        count: usize,
        now: u64,
        mut visit: impl FnMut(&[u8], &Data),
    ) -> u64 {
        let mut slot = cursor as usize;
        let mut seen = 0;
        if self.slots.is_empty() {
            return 0;
        }
        while slot < SLOTS && seen < count.max(1) {
            for (k, v) in self.slots[slot].iter() {
                if !self.is_expired(k, now) {
                    visit(k, v);
                } else {
                    self.note_expired(k);
                }
                seen += 1;
            }
            slot += 1;
        }
        if slot >= SLOTS { 0 } else { slot as u64 }
    }
    // ANCHOR_END: scan

    /// A random live key, or `None` in an empty database (`RANDOMKEY`).
    ///
    /// Like Redis, it picks a random non-empty slot, then a random key inside it: O(keys / SLOTS)
    /// rather than O(keys), at the price of favouring keys in sparse slots slightly (Redis's
    /// bucket-then-chain choice has the same bias). A small or mostly expired store falls back to
    /// counting live keys, which is exact.
    pub fn random_key(&self, now: u64, rng: &mut impl rand::Rng) -> Option<&[u8]> {
        if self.len >= SLOTS && !self.slots.is_empty() {
            for _ in 0..64 {
                let slot = &self.slots[rng.random_range(0..SLOTS)];
                if slot.is_empty() {
                    continue;
                }
                let key = slot.keys().nth(rng.random_range(0..slot.len()))?;
                if !self.is_expired(key, now) {
                    return Some(key.as_bytes());
                }
                self.note_expired(key);
            }
        }
        let live = self
            .slots
            .iter()
            .flat_map(|s| s.keys())
            .filter(|k| {
                let expired = self.is_expired(k, now);
                if expired {
                    self.note_expired(k);
                }
                !expired
            })
            .count();
        if live == 0 {
            return None;
        }
        let n = rng.random_range(0..live);
        self.slots
            .iter()
            .flat_map(|s| s.keys())
            .map(InlineBytes::as_bytes)
            .filter(|k| {
                let expired = self.is_expired(k, now);
                if expired {
                    self.note_expired(k);
                }
                !expired
            })
            .nth(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Data {
        Data::Str(v.as_bytes().into())
    }

    #[test]
    fn expired_keys_are_invisible_then_deleted() {
        let mut st = Db::new();
        st.set(b"k", s("v"), 0);
        st.set_deadline(b"k", 100, 0);
        assert!(st.get(b"k", 99).is_some());
        assert!(st.get(b"k", 100).is_none());
        assert_eq!(st.len(), 1);
        assert_eq!(st.raw_len(), 1);
        assert!(st.get_mut(b"k", 100).is_none());
        assert_eq!(st.raw_len(), 0);
        assert_eq!(st.take_lazily_expired(), vec![Key::from(&b"k"[..])]);
        assert!(st.expires().is_empty());
    }

    #[test]
    fn set_drops_ttl_and_keep_ttl_keeps_it() {
        let mut st = Db::new();
        st.set(b"k", s("a"), 0);
        st.set_deadline(b"k", 1000, 0);
        st.set_keep_ttl(b"k", s("b"), 0);
        assert_eq!(st.deadline(b"k", 0), Some(1000));
        st.set(b"k", s("c"), 0);
        assert_eq!(st.deadline(b"k", 0), None);
        assert!(st.expires().is_empty());
    }

    #[test]
    fn scan_visits_every_stable_key_exactly_once_despite_churn() {
        let mut st = Db::new();
        for i in 0..2000 {
            st.set(format!("stable:{i}").as_bytes(), s("x"), 0);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            let mut batch = Vec::new();
            cursor = st.scan(cursor, 10, 0, |k, _| batch.push(k.to_vec()));
            for k in batch {
                if k.starts_with(b"stable:") {
                    assert!(seen.insert(k), "returned twice");
                }
            }
            // Churn between calls: add and delete other keys.
            st.set(format!("churn:{round}").as_bytes(), s("y"), 0);
            if round % 2 == 0 {
                st.remove(format!("churn:{}", round / 2).as_bytes(), 0);
            }
            round += 1;
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 2000);
    }

    #[test]
    fn slots_give_memory_back_after_mass_deletes() {
        let mut st = Db::new();
        let keys: Vec<String> = (0..SLOTS * 128).map(|i| format!("key:{i}")).collect();
        for k in &keys {
            st.set(k.as_bytes(), s("v"), 0);
        }
        let peak = st.slots.iter().map(|s| s.capacity()).max().unwrap_or(0);
        assert!(peak >= 128);
        for k in &keys[..keys.len() - SLOTS] {
            st.remove(k.as_bytes(), 0);
        }
        // About one key per slot is left: every table is back to the smallest sizes.
        assert!(st.slots.iter().all(|s| s.capacity() <= 64));
        assert_eq!(st.raw_len(), SLOTS);
        assert!(
            keys[keys.len() - SLOTS..]
                .iter()
                .all(|k| st.contains(k.as_bytes(), 0))
        );
    }

    #[test]
    fn empty_collections_vanish() {
        let mut st = Db::new();
        st.set(b"l", Data::List(Default::default()), 0);
        assert!(st.remove_if_empty(b"l"));
        assert_eq!(st.raw_len(), 0);
    }
}
