//! Consumer groups: a shared read position, the consumers, and the pending entries list (PEL)
//! of entries delivered but not yet acknowledged.

use std::collections::{BTreeMap, BTreeSet};

use super::StreamId;
use crate::engine::store::Bytes;

/// A group's `entries_read` when it cannot be known (Redis's `SCG_INVALID_ENTRIES_READ`).
pub const INVALID_ENTRIES_READ: i64 = -1;

/// One delivered, unacknowledged entry: who has it, since when, how many times it was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The consumer that owns it now.
    pub consumer: Bytes,
    /// When it was last delivered, in Unix milliseconds.
    pub delivery_time: u64,
    /// How many times it was delivered.
    pub delivery_count: u64,
}

/// A consumer of a group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consumer {
    /// When it last read or claimed, in Unix milliseconds.
    pub seen_time: u64,
    /// The IDs of the pending entries it owns (the details are in the group's PEL).
    pub pending: BTreeSet<StreamId>,
}

// ANCHOR: group
/// A consumer group of a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The last entry delivered to any of its consumers: `>` reads after it.
    pub last_id: StreamId,
    /// How many entries of the stream it has read, or [`INVALID_ENTRIES_READ`]: with the
    /// stream's `entries_added`, this gives the group's lag without a walk.
    pub entries_read: i64,
    /// Every pending entry of the group, by ID.
    pub pending: BTreeMap<StreamId, Pending>,
    /// The consumers, by name.
    pub consumers: BTreeMap<Bytes, Consumer>,
}
// ANCHOR_END: group

impl Group {
    /// A group that has read up to `last_id`, `entries_read` entries.
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            pending: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// The consumer `name`, made (seen at `now`) if the group has none by that name; the flag
    /// says whether it was made.
    pub fn consumer(&mut self, name: &[u8], now: u64) -> (&mut Consumer, bool) {
        let created = !self.consumers.contains_key(name);
        let consumer = self
            .consumers
            .entry(Bytes::from(name))
            .or_insert_with(|| Consumer {
                seen_time: now,
                pending: BTreeSet::new(),
            });
        (consumer, created)
    }

    /// Gives `id` to `consumer` (which must exist), taking it from whoever had it, delivered at
    /// `time` for the `count`th time.
    pub fn assign(&mut self, id: StreamId, consumer: &[u8], time: u64, count: u64) {
        if let Some(old) = self.pending.get(&id)
            && let Some(owner) = self.consumers.get_mut(&old.consumer[..])
        {
            owner.pending.remove(&id);
        }
        self.pending.insert(
            id,
            Pending {
                consumer: Bytes::from(consumer),
                delivery_time: time,
                delivery_count: count,
            },
        );
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pending.insert(id);
        }
    }

    /// Acknowledges `id`: it leaves the PEL. False if it was not pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(p) = self.pending.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&p.consumer[..]) {
            c.pending.remove(&id);
        }
        true
    }

    /// Deletes consumer `name` and its pending entries; how many it had, or `None` if there
    /// was no such consumer.
    pub fn remove_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pending {
            self.pending.remove(id);
        }
        Some(c.pending.len())
    }

    /// Roughly the heap bytes this group holds.
    pub fn heap_bytes(&self) -> usize {
        let consumers: usize = self
            .consumers
            .iter()
            .map(|(n, c)| n.len() + 64 + c.pending.len() * 24)
            .sum();
        self.pending.len() * 80 + consumers + 64
    }
}
