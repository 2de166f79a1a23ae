//! The TTL index: every key that has a deadline, sampleable in O(1).
//!
//! Go original: the `expires` map of `internal/engine/store/store.go`. Explained in: book chapter 5.
//!
//! Redis samples random keys with a TTL to expire them actively. A `HashMap` cannot pick a random
//! member in O(1), so the index keeps the keys in a `Vec` as well, with each key's position
//! beside its deadline; removal swaps the last key into the hole (O(1), order does not matter).
//! Only keys with a TTL are here: the index never holds a key without one (design invariant 3).

use std::collections::HashMap;

use super::compact::InlineBytes;
use super::{CowBox, Key, SLOTS, slot_of};

/// One slot's share of the deadlines: key → (deadline in ms, position in the dense array).
/// Keys are kept as the keyspace keeps them, short ones inside the entry, so neither a lookup
/// nor the sweeper's walk follows a pointer to compare or hash a key.
pub(super) type DeadlineSlot = HashMap<InlineBytes, (u64, usize)>;

// Go parity: go-redis's sweeper rebuilt a list of every key with a TTL every 100 ms, under the
// write lock: O(keys) per tick, however few had expired. This index samples in O(1) instead.
// ANCHOR: expiry_index
/// Deadlines (Unix milliseconds) of the keys that have one.
///
/// The deadlines are split into the keyspace's slots (a key's deadline sits in the slot its
/// value sits in), each in a [`CowBox`], so that a snapshot shares them as it shares the values.
#[derive(Default, Debug)]
pub struct ExpiryIndex {
    /// key → (deadline in ms, position in `keys`), by slot; empty until the first deadline.
    slots: Vec<CowBox<DeadlineSlot>>,
    /// The same keys with the same deadlines, densely packed, for O(1) random sampling: the
    /// sweeper reads a sampled key's deadline here, without hashing it.
    keys: Vec<(InlineBytes, u64)>,
}
// ANCHOR_END: expiry_index

impl ExpiryIndex {
    fn slot(&self, key: &[u8]) -> Option<&DeadlineSlot> {
        self.slots.get(slot_of(key)).map(|s| &**s)
    }

    fn slot_mut(&mut self, key: &[u8]) -> &mut DeadlineSlot {
        if self.slots.is_empty() {
            // One shared empty table to start with, as the keyspace's slots (`Db::slot_mut`).
            self.slots = vec![CowBox::default(); SLOTS];
        }
        &mut self.slots[slot_of(key)]
    }

    /// The deadline of `key`, if it has one.
    pub fn get(&self, key: &[u8]) -> Option<u64> {
        if self.keys.is_empty() {
            return None;
        }
        self.slot(key)?.get(key).map(|&(at, _)| at)
    }

    /// Sets or moves the deadline of `key`.
    pub fn set(&mut self, key: &[u8], at: u64) {
        let pos = self.keys.len();
        let slot = self.slot_mut(key);
        if let Some(entry) = slot.get_mut(key) {
            entry.0 = at;
            let pos = entry.1;
            self.keys[pos].1 = at;
            return;
        }
        let key = InlineBytes::from(key);
        slot.insert(key.clone(), (at, pos));
        self.keys.push((key, at));
    }

    /// Forgets the deadline of `key`; returns whether it had one.
    pub fn remove(&mut self, key: &[u8]) -> bool {
        // Every `SET` clears its key's TTL; with no TTL anywhere that costs no hashing.
        if self.keys.is_empty() {
            return false;
        }
        let slot = &mut self.slots[slot_of(key)];
        // A table the snapshot shares is copied by the first change: not for a key it lacks.
        if CowBox::is_shared(slot) && !slot.contains_key(key) {
            return false;
        }
        let Some((_, pos)) = slot.remove(key) else {
            return false;
        };
        self.keys.swap_remove(pos);
        self.moved_to(pos);
        true
    }

    /// Forgets the deadline of the key at position `i` (taken modulo the length, as by
    /// [`ExpiryIndex::nth`]) and hands the key over: what the sweeper deletes, found by its
    /// position rather than looked up by name.
    pub fn remove_nth(&mut self, i: usize) -> Option<(Key, u64)> {
        if self.keys.is_empty() {
            return None;
        }
        let pos = i % self.keys.len();
        let (key, at) = self.keys.swap_remove(pos);
        self.slots[slot_of(&key)].remove(key.as_bytes());
        self.moved_to(pos);
        Some((key.into_vec().into_boxed_slice(), at))
    }

    /// After a `swap_remove` at `pos`: the former last key now lives there.
    fn moved_to(&mut self, pos: usize) {
        if let Some((moved, _)) = self.keys.get(pos)
            && let Some(entry) = self.slots[slot_of(moved)].get_mut(moved.as_bytes())
        {
            entry.1 = pos;
        }
    }

    /// The key at position `i` of the dense array with its deadline; `i` is taken modulo the
    /// length, so any random number picks a uniformly random key in O(1).
    pub fn nth(&self, i: usize) -> Option<(&[u8], u64)> {
        if self.keys.is_empty() {
            return None;
        }
        let (key, at) = &self.keys[i % self.keys.len()];
        Some((key.as_bytes(), *at))
    }

    /// How many keys have a deadline.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key has a deadline.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Forgets every deadline.
    pub fn clear(&mut self) {
        self.slots = Vec::new();
        self.keys = Vec::new();
    }

    /// Every (key, deadline) pair, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u64)> {
        self.keys.iter().map(|(k, at)| (k.as_bytes(), *at))
    }

    /// The per-slot tables, shared: what a snapshot keeps (empty if no key has a deadline).
    pub(super) fn share_slots(&self) -> Vec<CowBox<DeadlineSlot>> {
        self.slots.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_remove_keeps_positions_right() {
        let mut idx = ExpiryIndex::default();
        for (i, k) in [b"a", b"b", b"c", b"d"].iter().enumerate() {
            idx.set(&k[..], i as u64);
        }
        assert!(idx.remove(b"b"));
        assert!(!idx.remove(b"b"));
        assert_eq!(idx.len(), 3);
        for k in [b"a", b"c", b"d"] {
            assert!(idx.remove(k), "{:?}", k);
        }
        assert!(idx.is_empty());
    }

    #[test]
    fn remove_nth_hands_the_key_over_and_keeps_the_rest_findable() {
        let mut idx = ExpiryIndex::default();
        for (i, k) in [b"a", b"b", b"c"].iter().enumerate() {
            idx.set(&k[..], i as u64);
        }
        // A moved deadline is what `nth` reads back, and the sweeper acts on.
        idx.set(b"a", 9);
        assert_eq!(
            idx.nth(0).map(|(k, at)| (k.to_vec(), at)),
            Some((b"a".to_vec(), 9))
        );
        // Position 3 is position 0, as in `nth`.
        assert_eq!(idx.remove_nth(3), Some((Box::from(&b"a"[..]), 9)));
        // `c` moved into the hole, and is still found by name.
        assert_eq!(idx.get(b"c"), Some(2));
        assert!(idx.remove(b"c"));
        assert_eq!(idx.len(), 1);
        assert_eq!(
            idx.remove_nth(0).map(|(k, _)| k.to_vec()),
            Some(b"b".to_vec())
        );
        assert_eq!(idx.remove_nth(0), None);
        assert!(idx.get(b"b").is_none());
    }

    #[test]
    fn nth_samples_every_key() {
        let mut idx = ExpiryIndex::default();
        idx.set(b"x", 5);
        idx.set(b"y", 6);
        idx.set(b"x", 7);
        let mut seen: Vec<_> = (0..2)
            .filter_map(|i| idx.nth(i))
            .map(|(k, at)| (k.to_vec(), at))
            .collect();
        seen.sort();
        assert_eq!(seen, vec![(b"x".to_vec(), 7), (b"y".to_vec(), 6)]);
    }
}
