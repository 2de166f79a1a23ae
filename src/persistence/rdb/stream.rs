//! Streams in an RDB file: Redis's listpack nodes and consumer groups, written as Redis 7.0
//! writes them (type 19) and read in both the 7.0 layout and the older one of Redis 5 to 6.2
//! (type 15).
//!
//! Go original: none. Explained in: book "RDB snapshots" (and "Streams").
//!
// ANCHOR: rdb_stream_format
//! # The layout
//! Redis keeps a stream as a radix tree of listpacks, each under the ID of its first entry
//! (the node's *master ID*), and an RDB file carries that tree as it is: the nodes in ID order,
//! then the stream's counters, then its consumer groups.
//! ```text
//! <length nodes>
//!   nodes × (<string: master ID, 16 bytes: ms, seq as u64 big-endian> <string: listpack>)
//! <length entries>  <length last ms> <length last seq>
//! type 19 only:     <length first ms> <length first seq>
//!                   <length max-deleted ms> <length max-deleted seq> <length entries added>
//! <length groups>
//!   groups × (<string name> <length last-delivered ms> <length seq>
//!             type 19 only: <length entries read, -1 as 2^64-1: unknown>
//!             <length pending> pending × (<ID, 16 bytes big-endian>
//!                                        <delivery time: u64 LE, Unix ms> <length deliveries>)
//!             <length consumers> consumers × (<string name> <seen time: u64 LE, Unix ms>
//!                                 <length pending> pending × <ID, 16 bytes big-endian>))
//! ```
//! A consumer's pending IDs name entries of its group's list, which holds the details: so the
//! owner of each pending entry is known only once the consumers have been read.
//!
//! Inside a node's listpack, every element is a listpack entry; numbers are integer entries:
//! ```text
//! master entry: <live count> <deleted count> <n fields> <field> ... <0>
//! each entry:   <flags> <ms - master ms> <seq - master seq>
//!               flags & 2 (same fields as the master entry): <value> × n
//!               otherwise:  <n> (<field> <value>) × n
//!               <elements in this entry before this one: 3, + n, + n + 1 without flag 2>
//! ```
//! Flag 1 marks an entry deleted by `XDEL` or an exact trim: Redis leaves it in place, counted,
//! until the whole node goes. The differences are 64-bit two's complement (a sequence number
//! may be below the master's when the milliseconds are above).
// ANCHOR_END: rdb_stream_format
//!
//! We write no deleted entries: our nodes do not keep them. A node's deleted count is then 0,
//! so after a reload Redis (or we) count the node as holding only its live entries when deciding
//! whether it is full; the entries, IDs and counters are exactly the stream's.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use super::compact::{ListpackBuilder, listpack_entries};
use super::read::Input;
use super::write::RdbWriter;
use super::{RdbError, TYPE_STREAM_LISTPACKS};
use crate::engine::store::Bytes;
use crate::engine::store::stream::{Entry, Group, Stream, StreamId};

/// An entry's flag: deleted, kept in place until its node goes.
const FLAG_DELETED: i64 = 1;
/// An entry's flag: its fields are the master entry's, so only the values are stored.
const FLAG_SAME_FIELDS: i64 = 2;

/// An ID as a radix tree key: milliseconds then sequence, each a big-endian u64, so that the
/// keys sort as the IDs do.
fn id_bytes(id: StreamId) -> [u8; 16] {
    let mut raw = [0u8; 16];
    raw[..8].copy_from_slice(&id.ms.to_be_bytes());
    raw[8..].copy_from_slice(&id.seq.to_be_bytes());
    raw
}

fn id_from(raw: &[u8; 16]) -> StreamId {
    let (ms, seq) = raw.split_at(8);
    let word = |b: &[u8]| b.iter().fold(0u64, |n, &x| (n << 8) | x as u64);
    StreamId::new(word(ms), word(seq))
}

impl<W: Write> RdbWriter<W> {
    // ANCHOR: rdb_write_stream
    /// A stream as Redis 7.0 writes it (type 19): its nodes, its counters, its groups.
    pub(super) fn stream(&mut self, s: &Stream) -> io::Result<()> {
        self.len(s.node_count() as u64);
        for (master, entries) in s.nodes() {
            self.string(&id_bytes(master))?;
            self.string(&node_listpack(master, entries))?;
        }
        self.len(s.len() as u64);
        for id in [s.last_id, s.first_id(), s.max_deleted_id] {
            self.len(id.ms);
            self.len(id.seq);
        }
        self.len(s.entries_added);
        self.len(s.groups.len() as u64);
        for (name, g) in &s.groups {
            self.string(name)?;
            self.len(g.last_id.ms);
            self.len(g.last_id.seq);
            // -1, "unknown", is written as the 64-bit length 2^64 - 1, as Redis does.
            self.len(g.entries_read as u64);
            self.len(g.pending.len() as u64);
            for (id, p) in &g.pending {
                self.raw(&id_bytes(*id))?;
                self.raw(&p.delivery_time.to_le_bytes())?;
                self.len(p.delivery_count);
            }
            self.len(g.consumers.len() as u64);
            for (cname, c) in &g.consumers {
                self.string(cname)?;
                self.raw(&c.seen_time.to_le_bytes())?;
                self.len(c.pending.len() as u64);
                for id in &c.pending {
                    self.raw(&id_bytes(*id))?;
                }
            }
        }
        Ok(())
    }
    // ANCHOR_END: rdb_write_stream
}

// ANCHOR: node_listpack
/// One node as Redis's listpack: the master entry (the first entry's fields stand for the
/// node's), then each entry, with only its values when its fields are the master's.
fn node_listpack(master: StreamId, entries: &[Entry]) -> Vec<u8> {
    let master_fields: Vec<&[u8]> = entries
        .first()
        .map(|e| e.elements().step_by(2).collect())
        .unwrap_or_default();
    let mut lp = ListpackBuilder::new();
    lp.push_int(entries.len() as i64);
    lp.push_int(0);
    lp.push_int(master_fields.len() as i64);
    for f in &master_fields {
        lp.push(f);
    }
    lp.push_int(0);
    for e in entries {
        let fields = e.elements().step_by(2);
        let n = e.elements().count() / 2;
        let same = fields.eq(master_fields.iter().copied());
        lp.push_int(if same { FLAG_SAME_FIELDS } else { 0 });
        lp.push_int(e.id.ms.wrapping_sub(master.ms) as i64);
        lp.push_int(e.id.seq.wrapping_sub(master.seq) as i64);
        if same {
            for value in e.elements().skip(1).step_by(2) {
                lp.push(value);
            }
            lp.push_int(3 + n as i64);
        } else {
            lp.push_int(n as i64);
            for element in e.elements() {
                lp.push(element);
            }
            lp.push_int(4 + 2 * n as i64);
        }
    }
    lp.finish()
}
// ANCHOR_END: node_listpack

/// Walks the elements of a node's listpack, each read as what it must be.
struct Items<'a> {
    items: &'a [Vec<u8>],
    at: usize,
}

impl<'a> Items<'a> {
    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let item = self
            .items
            .get(self.at)
            .ok_or("a stream node ends in the middle of an entry")?;
        self.at += 1;
        Ok(item.as_slice())
    }

    fn int(&mut self) -> Result<i64, String> {
        let item = self.bytes()?;
        std::str::from_utf8(item)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| "a stream node has text where a number should be".to_string())
    }

    /// A count: a number that is not negative.
    fn count(&mut self) -> Result<usize, String> {
        usize::try_from(self.int()?).map_err(|_| "a negative count in a stream node".to_string())
    }

    fn done(&self) -> bool {
        self.at >= self.items.len()
    }
}

/// A node read back: its live entries, how many it ever held, the last ID among them.
struct LoadedNode {
    entries: Vec<Entry>,
    appended: usize,
    last: StreamId,
}

// ANCHOR: read_node
/// The entries of the node under `master`, from its listpack's elements.
fn read_node(master: StreamId, items: &[Vec<u8>]) -> Result<LoadedNode, String> {
    let mut it = Items { items, at: 0 };
    let live = it.count()?;
    let deleted = it.count()?;
    let n_master = it.count()?;
    let mut master_fields = Vec::new();
    for _ in 0..n_master {
        master_fields.push(it.bytes()?);
    }
    if it.int()? != 0 {
        return Err("a stream node's master entry does not end with 0".into());
    }
    let mut node = LoadedNode {
        entries: Vec::new(),
        appended: 0,
        last: master,
    };
    let mut elements: Vec<&[u8]> = Vec::new();
    while !it.done() {
        let flags = it.int()?;
        let id = StreamId::new(
            master.ms.wrapping_add(it.int()? as u64),
            master.seq.wrapping_add(it.int()? as u64),
        );
        let same = flags & FLAG_SAME_FIELDS != 0;
        let n = if same { n_master } else { it.count()? };
        elements.clear();
        if same {
            for &field in &master_fields {
                elements.extend([field, it.bytes()?]);
            }
        } else {
            for _ in 0..n {
                elements.extend([it.bytes()?, it.bytes()?]);
            }
        }
        let expected = if same { 3 + n } else { 4 + 2 * n };
        if it.count()? != expected {
            return Err("a stream entry's element count is wrong".into());
        }
        if n == 0 {
            return Err("a stream entry with no fields".into());
        }
        if id < master || (node.appended > 0 && id <= node.last) {
            return Err(format!("stream entry {id} is out of order"));
        }
        if flags & FLAG_DELETED == 0 {
            node.entries.push(Entry::new(id, &elements));
        }
        node.appended += 1;
        node.last = id;
    }
    if node.entries.len() != live || live.checked_add(deleted) != Some(node.appended) {
        return Err(format!(
            "a stream node says {live} entries and {deleted} deleted, it holds {} and {}",
            node.entries.len(),
            node.appended - node.entries.len()
        ));
    }
    Ok(node)
}
// ANCHOR_END: read_node

impl<R: Read> Input<R> {
    fn stream_id(&mut self) -> Result<StreamId, RdbError> {
        Ok(StreamId::new(self.len()?, self.len()?))
    }

    fn raw_id(&mut self) -> Result<StreamId, RdbError> {
        Ok(id_from(&self.array()?))
    }

    fn millis(&mut self) -> Result<u64, RdbError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    // ANCHOR: rdb_read_stream
    /// A stream of type `kind`: 15 (Redis 5 to 6.2) or 19 (Redis 7.0). Every count is read
    /// as the data behind it arrives, never reserved ahead.
    pub(super) fn stream(&mut self, kind: u8) -> Result<Stream, RdbError> {
        let mut s = Stream::new();
        for _ in 0..self.len()? {
            let at = self.offset;
            let key = self.string()?;
            let master = <&[u8; 16]>::try_from(key.as_slice())
                .map(id_from)
                .map_err(|_| self.err(format!("a stream node key of {} bytes", key.len())))?;
            let lp = self.string()?;
            let node = listpack_entries(&lp)
                .and_then(|items| read_node(master, &items))
                .map_err(|m| RdbError::new(at, m))?;
            // A node of deleted entries only: Redis frees such a node, and so do we.
            if !node.entries.is_empty() {
                s.push_node(master, node.entries, node.appended, node.last)
                    .map_err(|m| RdbError::new(at, m))?;
            }
        }
        let length = self.len()?;
        s.last_id = self.stream_id()?;
        if kind == TYPE_STREAM_LISTPACKS {
            // Before 7.0 there were no counters: Redis starts them as if every entry still
            // there was every entry ever added.
            s.entries_added = length;
        } else {
            // The first ID is the first entry's, which we have in hand.
            self.stream_id()?;
            s.max_deleted_id = self.stream_id()?;
            s.entries_added = self.len()?;
        }
        if length != s.len() as u64 {
            return Err(self.err(format!(
                "the stream says {length} entries, its nodes hold {}",
                s.len()
            )));
        }
        if s.last().is_some_and(|e| e.id > s.last_id) {
            return Err(self.err("a stream entry is past the stream's last ID"));
        }
        for _ in 0..self.len()? {
            let name = self.string()?;
            let last = self.stream_id()?;
            let entries_read = if kind == TYPE_STREAM_LISTPACKS {
                s.entries_up_to(last)
            } else {
                self.len()? as i64
            };
            if s.groups.contains_key(&name[..]) {
                return Err(self.err("a consumer group appears twice"));
            }
            let group = self.group(last, entries_read)?;
            s.groups.insert(Bytes::from(name), group);
        }
        Ok(s)
    }
    // ANCHOR_END: rdb_read_stream

    /// A group after its name, last ID and read counter: the pending entries, then the
    /// consumers, each of which claims its pending entries from the group's list.
    fn group(&mut self, last: StreamId, entries_read: i64) -> Result<Group, RdbError> {
        let mut group = Group::new(last, entries_read);
        let mut unowned: BTreeMap<StreamId, (u64, u64)> = BTreeMap::new();
        for _ in 0..self.len()? {
            let id = self.raw_id()?;
            let time = self.millis()?;
            let count = self.len()?;
            if unowned.insert(id, (time, count)).is_some() {
                return Err(self.err(format!("pending entry {id} appears twice")));
            }
        }
        for _ in 0..self.len()? {
            let name = self.string()?;
            let seen = self.millis()?;
            let (_, created) = group.consumer(&name, seen);
            if !created {
                return Err(self.err("a consumer appears twice in its group"));
            }
            for _ in 0..self.len()? {
                let id = self.raw_id()?;
                let Some((time, count)) = unowned.remove(&id) else {
                    return Err(self.err(format!(
                        "a consumer's pending entry {id} is not pending in its group"
                    )));
                };
                group.assign(id, &name, time, count);
            }
        }
        if let Some(id) = unowned.keys().next() {
            return Err(self.err(format!("pending entry {id} has no consumer")));
        }
        Ok(group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::store::Data;
    use crate::engine::store::stream::NodeLimits;
    use crate::persistence::rdb::{decode_value, encode_value};

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    /// Entries, counters and groups by their debug text, and the nodes' keys.
    fn shape(s: &Stream) -> String {
        let nodes: Vec<StreamId> = s.nodes().map(|(k, _)| k).collect();
        format!(
            "{:?}",
            (
                s.iter().collect::<Vec<_>>(),
                nodes,
                s.last_id,
                s.max_deleted_id,
                s.entries_added,
                &s.groups
            )
        )
    }

    fn round_trip(s: &Stream) -> Stream {
        let bytes = encode_value(&Data::from(s.clone()));
        match decode_value(&bytes) {
            Ok(Data::Stream(back)) => (*back).clone(),
            other => panic!("not a stream back: {other:?}"),
        }
    }

    /// Several nodes; entries with the first entry's fields and with others; deletions (one
    /// of them a node's first entry); a sequence below its master's; two groups, one with
    /// pending entries of a deleted entry and two consumers, one unknown read counter.
    fn sample() -> Stream {
        let limits = NodeLimits {
            max_entries: 3,
            max_bytes: 0,
        };
        let mut s = Stream::new();
        let big = vec![b'v'; 300];
        let rows: Vec<(StreamId, Vec<&[u8]>)> = vec![
            (id(1, 5), vec![&b"a"[..], b"1", b"b", b"x"]),
            (id(1, 6), vec![&b"a"[..], b"2", b"b", b"y"]),
            (id(2, 0), vec![&b"other"[..], b"-70000"]),
            (id(2, 1), vec![&b"a"[..], b"", b"b", big.as_slice()]),
            (id(3, 0), vec![&b"a"[..], b"1", b"b", b"2", b"c", b"3"]),
            (id(u64::MAX >> 1, 7), vec![&b"\x00bin"[..], b"\xff"]),
            (
                id(u64::MAX >> 1, 8),
                vec![&b"\x00bin"[..], b"9223372036854775807"],
            ),
        ];
        for (i, e) in rows {
            s.append(i, &e, limits);
        }
        for gone in [id(1, 6), id(2, 1)] {
            assert!(s.remove(gone));
            s.max_deleted_id = s.max_deleted_id.max(gone);
        }
        s.last_id = id(u64::MAX >> 1, 100);
        s.entries_added = 40;
        let mut g = Group::new(id(2, 1), 4);
        g.consumer(b"alice", 1_700_000_000_000);
        g.consumer(b"bob", 1_700_000_000_500);
        g.consumer(b"idle", 12);
        g.assign(id(1, 5), b"alice", 1_700_000_000_100, 1);
        g.assign(id(1, 6), b"bob", 1_700_000_000_200, 3);
        g.assign(id(2, 0), b"alice", 1_700_000_000_300, u64::MAX);
        s.groups.insert(Bytes::from(&b"workers"[..]), g);
        s.groups
            .insert(Bytes::from(&b""[..]), Group::new(StreamId::MIN, -1));
        s
    }

    #[test]
    fn a_stream_round_trips_with_its_nodes_counters_and_groups() {
        let s = sample();
        let back = round_trip(&s);
        assert_eq!(shape(&back), shape(&s));
        assert_eq!(back.len(), 5);
        // The group's lag and read counter work the same on the copy.
        let g = &back.groups[&b"workers"[..]];
        assert_eq!(back.lag(g), s.lag(&s.groups[&b"workers"[..]]));
        // An empty stream with only counters and a group stays a stream.
        let mut empty = Stream::new();
        empty.last_id = id(9, 9);
        empty.entries_added = 3;
        empty
            .groups
            .insert(Bytes::from(&b"g"[..]), Group::new(id(9, 9), 3));
        assert_eq!(shape(&round_trip(&empty)), shape(&empty));
    }

    #[test]
    fn a_node_is_the_listpack_redis_writes() {
        // `XADD s 1-1 a 1` then `XADD s 1-2 a 2 b 3` on Redis 7.0: the master entry
        // (2 live, 0 deleted, 1 field "a", 0), an entry with the master's fields (flag 2,
        // deltas 0 0, the value 1, 4 elements), and one with its own (flag 0, deltas 0 1,
        // 2 fields, a 2 b 3, 8 elements).
        let mut s = Stream::new();
        s.append(id(1, 1), &[b"a", b"1"], NodeLimits::default());
        s.append(id(1, 2), &[b"a", b"2", b"b", b"3"], NodeLimits::default());
        let (master, entries) = s.nodes().next().unwrap();
        let items = listpack_entries(&node_listpack(master, entries)).unwrap();
        let text: Vec<&str> = items
            .iter()
            .map(|i| std::str::from_utf8(i).unwrap())
            .collect();
        assert_eq!(
            text,
            [
                "2", "0", "1", "a", "0", "2", "0", "0", "1", "4", "0", "0", "1", "2", "a", "2",
                "b", "3", "8"
            ]
        );
    }

    #[test]
    fn a_stream_is_written_byte_for_byte_as_redis_writes_it() {
        // Redis 7.0.15, `rdbcompression no`: `XADD x 1-1 a 1`, `XADD x 1-2 a 2 b 3`, `DUMP x`,
        // less its version and checksum.
        let redis: &[u8] = b"\x13\x01\x10\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\
            \x00\x00\x01\x30\x30\x00\x00\x00\x13\x00\x02\x01\x00\x01\x01\x01\x81\x61\x02\x00\x01\
            \x02\x01\x00\x01\x00\x01\x01\x01\x04\x01\x00\x01\x00\x01\x01\x01\x02\x01\x81\x61\x02\
            \x02\x01\x81\x62\x02\x03\x01\x08\x01\xff\x02\x01\x02\x01\x01\x00\x00\x02\x00";
        let mut s = Stream::new();
        s.append(id(1, 1), &[b"a", b"1"], NodeLimits::default());
        s.append(id(1, 2), &[b"a", b"2", b"b", b"3"], NodeLimits::default());
        assert_eq!(encode_value(&Data::from(s)), redis);
    }

    #[test]
    fn a_redis_6_payload_loads_with_estimated_counters() {
        // Redis's own test ("Loading from legacy (Redis <= v6.2.x, rdb_ver < 10) persistence"):
        // XADD x 1-0 .. 6-0 data a..f, XDEL x 3-0, two groups, g1 given four entries by
        // XREADGROUP, then XTRIM x MAXLEN = 2. Its listpack is LZF-compressed.
        let payload: &[u8] = b"\x0F\x01\x10\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\
            \x00\x00\x00\x00\xC3\x40\x4A\x40\x57\x16\x57\x00\x00\x00\x23\x00\x02\x01\x04\x01\x01\
            \x01\x84\x64\x61\x74\x61\x05\x00\x01\x03\x01\x00\x20\x01\x03\x81\x61\x02\x04\x20\x0A\
            \x00\x01\x40\x0A\x00\x62\x60\x0A\x00\x02\x40\x0A\x00\x63\x60\x0A\x40\x22\x01\x81\x64\
            \x20\x0A\x40\x39\x20\x0A\x00\x65\x60\x0A\x00\x05\x40\x0A\x00\x66\x20\x0A\x00\xFF\x02\
            \x06\x00\x02\x02\x67\x31\x05\x00\x04\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\
            \x00\x00\x00\x00\x3E\xF7\x83\x43\x7A\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\
            \x00\x00\x00\x00\x00\x00\x00\x00\x3E\xF7\x83\x43\x7A\x01\x00\x00\x01\x00\x00\x00\x00\
            \x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x3E\xF7\x83\x43\x7A\x01\x00\x00\x01\
            \x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x3E\xF7\x83\x43\x7A\
            \x01\x00\x00\x01\x01\x03\x63\x31\x31\x3E\xF7\x83\x43\x7A\x01\x00\x00\x04\x00\x00\x00\
            \x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\
            \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x02\x67\
            \x32\x00\x00\x00\x00";
        let Ok(Data::Stream(s)) = decode_value(payload) else {
            panic!("the legacy payload did not load");
        };
        let ids: Vec<StreamId> = s.iter().map(|e| e.id).collect();
        assert_eq!(ids, [id(5, 0), id(6, 0)]);
        assert_eq!(
            s.get(id(6, 0)).unwrap().elements().collect::<Vec<_>>(),
            [b"data".as_slice(), b"f"]
        );
        assert_eq!(
            (s.last_id, s.max_deleted_id, s.entries_added),
            (id(6, 0), id(0, 0), 2)
        );
        let g1 = &s.groups[&b"g1"[..]];
        assert_eq!(
            (g1.last_id, g1.entries_read, s.lag(g1)),
            (id(5, 0), 1, Some(1))
        );
        assert_eq!(g1.pending.len(), 4);
        assert_eq!(g1.consumers[&b"c11"[..]].pending.len(), 4);
        let g2 = &s.groups[&b"g2"[..]];
        assert_eq!((g2.entries_read, s.lag(g2)), (0, Some(2)));
    }

    #[test]
    fn damage_is_an_error_never_a_panic() {
        let bytes = encode_value(&Data::from(sample()));
        for n in 0..bytes.len() {
            assert!(decode_value(&bytes[..n]).is_err(), "a prefix of {n} loaded");
        }
        for i in 0..bytes.len() {
            for x in [0x01u8, 0x02, 0x40, 0x80, 0xff] {
                let mut bad = bytes.clone();
                bad[i] ^= x;
                let _ = decode_value(&bad);
            }
        }
    }

    /// A type-19 stream of one node whose listpack is `lp`, then `tail` (the counters on).
    fn one_node(lp: &[u8], tail: &[u8]) -> Vec<u8> {
        let mut v = vec![19, 1, 16];
        v.extend(id_bytes(id(1, 0)));
        v.push(0x40 | (lp.len() >> 8) as u8);
        v.push(lp.len() as u8);
        v.extend(lp);
        v.extend(tail);
        v
    }

    #[test]
    fn inconsistent_streams_are_refused() {
        let entries = [Entry::new(id(1, 0), &[b"f", b"v"])];
        let lp = node_listpack(id(1, 0), &entries);
        let counters = [1, 1, 0, 1, 0, 0, 0, 1];
        let ok = one_node(&lp, &[&counters[..], &[0]].concat());
        assert!(decode_value(&ok).is_ok());
        // The length is not what the nodes hold.
        let bad = one_node(&lp, &[&[2, 1, 0, 1, 0, 0, 0, 1][..], &[0]].concat());
        assert!(
            decode_value(&bad)
                .unwrap_err()
                .message
                .contains("says 2 entries")
        );
        // An entry past the last ID.
        let bad = one_node(&lp, &[&[1, 0, 5, 1, 0, 0, 0, 1][..], &[0]].concat());
        assert!(decode_value(&bad).unwrap_err().message.contains("last ID"));
        // A group whose pending entry has no consumer, or a consumer's entry not pending.
        let mut group = vec![1, 1, b'g', 0, 0, 0, 1];
        group.extend(id_bytes(id(1, 0)));
        group.extend(7u64.to_le_bytes());
        group.push(1);
        let bad = one_node(&lp, &[&counters[..], &group[..], &[0]].concat());
        assert!(
            decode_value(&bad)
                .unwrap_err()
                .message
                .contains("no consumer")
        );
        let mut consumer = vec![1, 1, b'c'];
        consumer.extend(9u64.to_le_bytes());
        consumer.push(1);
        consumer.extend(id_bytes(id(1, 1)));
        let bad = one_node(&lp, &[&counters[..], &group[..], &consumer[..]].concat());
        assert!(
            decode_value(&bad)
                .unwrap_err()
                .message
                .contains("not pending")
        );
        // A node key that is not an ID.
        let mut bad = ok.clone();
        bad[2] = 15;
        assert!(decode_value(&bad).is_err());
    }

    #[test]
    fn huge_counts_allocate_nothing_big() {
        // 2^62 nodes, then 2^62 groups after an empty stream: each ends at the end, with an
        // error, having reserved nothing for the count.
        let mut v = vec![19, 0x81];
        v.extend((1u64 << 62).to_be_bytes());
        assert!(decode_value(&v).is_err());
        let mut v = vec![19, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x81];
        v.extend((1u64 << 62).to_be_bytes());
        assert!(decode_value(&v).is_err());
    }
}
