//! Streams: an append-only log of entries, each a list of field/value pairs under a unique,
//! ever-growing 128-bit ID, with consumer groups that remember what each reader was given.
//!
//! Go original: none (go-redis had no streams). Explained in: book chapter "Streams".
//!
//! # The structure, and why
//! Entries live in *nodes* of up to `stream-node-max-entries` entries (100 by default), kept in a
//! `BTreeMap` keyed by the ID of the first entry ever appended to the node. That is the shape of
//! Redis's radix tree of listpacks, one level up, and we choose it over the plainer
//! `BTreeMap<StreamId, Entry>` for two reasons:
//!
//! 1. **Approximate trimming is defined by nodes.** `XADD ... MAXLEN ~ 1000` lets Redis stop at a
//!    node boundary: it removes whole nodes only, and the length a client sees afterwards depends
//!    on where Redis's nodes split. Splitting ours where Redis splits (by entry count, counting
//!    deleted entries as Redis does, or by bytes) gives the same lengths, so clients and Redis's
//!    own tests see the same stream.
//! 2. **Fewer allocations.** The tree holds one key per node instead of one per entry, and each
//!    entry packs all of its fields and values into one buffer (a varint length before each
//!    element), so an entry costs one allocation, not two per pair.
//!
//! What we do not copy is Redis's delta encoding of IDs against the node's first ID and its
//! "same fields as the master entry" flag: they save bytes, at the price of a decoder that every
//! read goes through. The book's chapter measures what that leaves between us and Redis.
//!
//! A node's entries are sorted by ID, so a lookup is a tree step to the node and a binary search
//! inside it. Deleting an entry removes it from its node's vector (a node is at most a few
//! hundred entries), and a node whose last live entry goes is removed from the tree.

mod group;
mod id;
mod trim;

use std::collections::BTreeMap;

pub use group::{Consumer, Group, INVALID_ENTRIES_READ, Pending};
pub use id::{NewId, StreamId};
pub use trim::{Trim, TrimLimit};

use super::Bytes;

/// One entry: its ID and its field/value pairs, packed into one buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The entry's ID.
    pub id: StreamId,
    /// Field, value, field, value, ... each as a LEB128 length and then the bytes.
    packed: Box<[u8]>,
}

impl Entry {
    /// An entry holding `elements` (field, value, field, value, ...).
    pub fn new<E: AsRef<[u8]>>(id: StreamId, elements: &[E]) -> Entry {
        let total: usize = elements.iter().map(|e| e.as_ref().len() + 5).sum();
        let mut packed = Vec::with_capacity(total);
        for e in elements {
            let e = e.as_ref();
            let mut n = e.len();
            loop {
                let byte = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    packed.push(byte);
                    break;
                }
                packed.push(byte | 0x80);
            }
            packed.extend_from_slice(e);
        }
        Entry {
            id,
            packed: packed.into_boxed_slice(),
        }
    }

    /// The elements: field, value, field, value, ...
    pub fn elements(&self) -> Elements<'_> {
        Elements(&self.packed)
    }

    /// The bytes of the packed buffer (for memory estimates).
    pub fn packed_len(&self) -> usize {
        self.packed.len()
    }
}

/// The elements of an [`Entry`], in order.
pub struct Elements<'a>(&'a [u8]);

impl<'a> Iterator for Elements<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let mut n = 0usize;
        let mut shift = 0;
        let mut at = 0;
        loop {
            let byte = *self.0.get(at)?;
            n |= ((byte & 0x7f) as usize) << shift;
            at += 1;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        let element = self.0.get(at..at + n)?;
        self.0 = &self.0[at + n..];
        Some(element)
    }
}

/// A node: up to `stream-node-max-entries` entries, in ID order.
#[derive(Clone, Debug, Default)]
struct Node {
    entries: Vec<Entry>,
    /// Entries ever appended here, deleted ones included: Redis counts both when it decides that
    /// a node is full.
    appended: usize,
    /// Roughly the bytes Redis's listpack for this node would take.
    bytes: usize,
    /// The ID of the last entry appended here (it may since be deleted).
    last: StreamId,
}

/// When the tail node is full and an append starts a new one (`stream-node-max-entries`,
/// `stream-node-max-bytes`; 0 means no limit).
#[derive(Clone, Copy, Debug)]
pub struct NodeLimits {
    /// At most this many entries (live or deleted) in a node.
    pub max_entries: usize,
    /// At most about this many bytes in a node.
    pub max_bytes: usize,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits {
            max_entries: 100,
            max_bytes: 4096,
        }
    }
}

/// A stream: its entries, its counters and its consumer groups.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    nodes: BTreeMap<StreamId, Node>,
    len: usize,
    /// The ID of the last entry ever added (or set by `XSETID`): new IDs must be greater.
    pub last_id: StreamId,
    /// The greatest ID ever deleted by `XDEL` (trimming does not count).
    pub max_deleted_id: StreamId,
    /// How many entries were ever added.
    pub entries_added: u64,
    /// The consumer groups, by name, in name order (as `XINFO GROUPS` lists them).
    pub groups: BTreeMap<Bytes, Group>,
}

/// Redis's estimate of a listpack element: its bytes, an encoding byte and a back-length byte.
fn element_bytes(e: &[u8]) -> usize {
    e.len() + 2
}

impl Stream {
    /// An empty stream.
    pub fn new() -> Stream {
        Stream::default()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if the stream has no entries (an empty stream is still a key: Redis keeps it).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of nodes (`XINFO STREAM`'s `radix-tree-nodes` stands in for Redis's figure).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The first entry, if any.
    pub fn first(&self) -> Option<&Entry> {
        self.nodes.values().next().and_then(|n| n.entries.first())
    }

    /// The last entry, if any.
    pub fn last(&self) -> Option<&Entry> {
        self.nodes
            .values()
            .next_back()
            .and_then(|n| n.entries.last())
    }

    /// The ID of the first entry, or 0-0 when there is none (Redis's `first_id`).
    pub fn first_id(&self) -> StreamId {
        self.first().map_or(StreamId::MIN, |e| e.id)
    }

    /// The ID the next entry gets for `req` at time `now_ms`, or `None` if it would not be
    /// greater than [`Stream::last_id`] (`ERR The ID specified in XADD is equal or smaller ...`).
    pub fn next_id(&self, req: NewId, now_ms: u64) -> Option<StreamId> {
        let last = self.last_id;
        let id = match req {
            NewId::Auto if now_ms > last.ms => StreamId::new(now_ms, 0),
            NewId::Auto => last.next()?,
            NewId::AutoSeq(ms) if ms == last.ms => StreamId::new(ms, last.seq.checked_add(1)?),
            NewId::AutoSeq(ms) => StreamId::new(ms, 0),
            NewId::Explicit(id) => id,
        };
        (id > last).then_some(id)
    }

    // ANCHOR: append
    /// Appends an entry with `elements` under `id`, which the caller made greater than
    /// [`Stream::last_id`] (see [`Stream::next_id`]): into the tail node, or a new node when the
    /// tail is full by `limits`.
    pub fn append<E: AsRef<[u8]>>(&mut self, id: StreamId, elements: &[E], limits: NodeLimits) {
        let bytes: usize = 8 + elements
            .iter()
            .map(|e| element_bytes(e.as_ref()))
            .sum::<usize>();
        let max_bytes = match limits.max_bytes {
            0 => 1 << 30,
            n => n.min(1 << 30),
        };
        let tail_fits = self.nodes.values().next_back().is_some_and(|tail| {
            tail.bytes + bytes < max_bytes
                && (limits.max_entries == 0 || tail.appended < limits.max_entries)
        });
        if !tail_fits {
            // A new node starts with Redis's header and "master entry" (the first fields).
            let header = 16
                + elements
                    .iter()
                    .step_by(2)
                    .map(|f| element_bytes(f.as_ref()))
                    .sum::<usize>();
            self.nodes.insert(
                id,
                Node {
                    bytes: header,
                    ..Node::default()
                },
            );
        }
        if let Some(tail) = self.nodes.values_mut().next_back() {
            tail.entries.push(Entry::new(id, elements));
            tail.appended += 1;
            tail.bytes += bytes;
            tail.last = id;
        }
        self.len += 1;
        self.last_id = id;
        self.entries_added += 1;
    }
    // ANCHOR_END: append

    /// The key of the node that holds `id`, if one could.
    fn node_of(&self, id: StreamId) -> Option<StreamId> {
        self.nodes.range(..=id).next_back().map(|(k, _)| *k)
    }

    /// The entry with `id`, if the stream has it.
    pub fn get(&self, id: StreamId) -> Option<&Entry> {
        let node = self.nodes.get(&self.node_of(id)?)?;
        let at = node.entries.binary_search_by(|e| e.id.cmp(&id)).ok()?;
        node.entries.get(at)
    }

    /// Deletes the entry with `id`; false if there was none. Does not touch
    /// [`Stream::max_deleted_id`]: `XDEL` does that, trimming does not.
    pub fn remove(&mut self, id: StreamId) -> bool {
        let Some(key) = self.node_of(id) else {
            return false;
        };
        let Some(node) = self.nodes.get_mut(&key) else {
            return false;
        };
        let Ok(at) = node.entries.binary_search_by(|e| e.id.cmp(&id)) else {
            return false;
        };
        node.entries.remove(at);
        if node.entries.is_empty() {
            self.nodes.remove(&key);
        }
        self.len -= 1;
        true
    }

    /// The entries with `start <= id <= end`, in ID order.
    pub fn range(&self, start: StreamId, end: StreamId) -> Box<dyn Iterator<Item = &Entry> + '_> {
        if start > end {
            return Box::new(std::iter::empty());
        }
        let from = self.node_of(start).unwrap_or(start);
        Box::new(
            self.nodes
                .range(from..=end)
                .flat_map(|(_, n)| n.entries.iter())
                .skip_while(move |e| e.id < start)
                .take_while(move |e| e.id <= end),
        )
    }

    /// The entries with `start <= id <= end`, last first.
    pub fn rev_range(
        &self,
        start: StreamId,
        end: StreamId,
    ) -> Box<dyn Iterator<Item = &Entry> + '_> {
        if start > end {
            return Box::new(std::iter::empty());
        }
        let from = self.node_of(start).unwrap_or(start);
        Box::new(
            self.nodes
                .range(from..=end)
                .rev()
                .flat_map(|(_, n)| n.entries.iter().rev())
                .skip_while(move |e| e.id > end)
                .take_while(move |e| e.id >= start),
        )
    }

    /// Every entry, in ID order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.nodes.values().flat_map(|n| n.entries.iter())
    }

    /// The nodes, oldest first: each one's key (the ID of the first entry ever appended to it,
    /// which an RDB file calls the node's master ID) and its entries.
    pub fn nodes(&self) -> impl Iterator<Item = (StreamId, &[Entry])> + '_ {
        self.nodes
            .iter()
            .map(|(key, n)| (*key, n.entries.as_slice()))
    }

    /// Appends a whole node as a snapshot holds it: its key `master`, its live `entries` in ID
    /// order, how many entries it ever held (`appended`, deleted ones included) and the ID of
    /// the last of those (`last`, perhaps a deleted one). The counters (`last_id` and the
    /// others) are the caller's to set; only the length follows.
    ///
    /// # Errors
    /// The node is empty, or out of order (an entry below `master`, IDs not ascending, a node
    /// that does not start after the last one here); nothing is changed.
    pub fn push_node(
        &mut self,
        master: StreamId,
        entries: Vec<Entry>,
        appended: usize,
        last: StreamId,
    ) -> Result<(), &'static str> {
        let (Some(first), Some(tail)) = (entries.first(), entries.last()) else {
            return Err("a stream node with no entries");
        };
        let after_previous = self
            .nodes
            .values()
            .next_back()
            .is_none_or(|n| n.last < master);
        let ascending = entries.windows(2).all(|w| w[0].id < w[1].id);
        if !after_previous || !ascending || first.id < master || tail.id > last {
            return Err("stream entries out of order");
        }
        // The same estimate `append` keeps: a header and the first entry's fields, then each
        // entry's elements.
        let header = 16
            + first
                .elements()
                .step_by(2)
                .map(element_bytes)
                .sum::<usize>();
        let bytes = entries
            .iter()
            .map(|e| 8 + e.elements().map(element_bytes).sum::<usize>())
            .sum::<usize>();
        self.len += entries.len();
        let node = Node {
            appended: appended.max(entries.len()),
            entries,
            bytes: header + bytes,
            last,
        };
        self.nodes.insert(master, node);
        Ok(())
    }

    /// Roughly the heap bytes this stream holds (`MEMORY USAGE`).
    pub fn heap_bytes(&self) -> usize {
        const ALLOC: usize = 16;
        let entries: usize = self
            .iter()
            .map(|e| std::mem::size_of::<Entry>() + e.packed_len() + ALLOC)
            .sum();
        let nodes = self.nodes.len() * (std::mem::size_of::<Node>() + 16 + 2 * ALLOC);
        let groups: usize = self
            .groups
            .iter()
            .map(|(n, g)| n.len() + g.heap_bytes())
            .sum();
        entries + nodes + groups
    }

    /// True if an `XDEL` left a hole at or after `start` (Redis's `streamRangeHasTombstones`
    /// with no end): a group's read counter cannot then be trusted to count the entries ahead.
    pub fn has_tombstones_from(&self, start: StreamId) -> bool {
        if self.is_empty() || self.max_deleted_id.is_zero() {
            return false;
        }
        if self.first_id() > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id
    }

    /// How many entries were added up to and including `id`, if that can be known (Redis's
    /// `streamEstimateDistanceFromFirstEverEntry`): exact at the ends, unknown past a hole.
    pub fn entries_up_to(&self, id: StreamId) -> i64 {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return 0;
        }
        if self.is_empty() && id <= self.last_id {
            return added;
        }
        if id == self.last_id {
            return added;
        } else if id > self.last_id {
            return INVALID_ENTRIES_READ;
        }
        let first = self.first_id();
        if self.max_deleted_id.is_zero() || self.max_deleted_id < first {
            if id < first {
                return added - self.len as i64;
            } else if id == first {
                return added - self.len as i64 + 1;
            }
        }
        INVALID_ENTRIES_READ
    }

    /// The lag of `group`: how many entries it has yet to be given, if that can be known.
    pub fn lag(&self, group: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if group.entries_read != INVALID_ENTRIES_READ && !self.has_tombstones_from(group.last_id) {
            return Some(self.entries_added as i64 - group.entries_read);
        }
        match self.entries_up_to(group.last_id) {
            INVALID_ENTRIES_READ => None,
            read => Some(self.entries_added as i64 - read),
        }
    }

    /// Moves `group`'s last delivered ID forward to `id` (an entry it is being given), keeping
    /// its read counter as Redis does.
    pub fn advance_group(&self, group: &mut Group, id: StreamId) {
        if id <= group.last_id {
            return;
        }
        if group.entries_read != INVALID_ENTRIES_READ && !self.has_tombstones_from(id) {
            group.entries_read += 1;
        } else if self.entries_added != 0 {
            group.entries_read = self.entries_up_to(id);
        }
        group.last_id = id;
    }
}

#[cfg(test)]
mod tests;
