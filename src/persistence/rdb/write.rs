//! [`RdbWriter`]: streams a snapshot out in Redis 7.0's RDB format, key by key.
//!
//! Go original: none. Explained in: book "RDB snapshots".
//!
//! The writer never holds the file: bytes gather in a small buffer that goes to the output
//! (and through the checksum) whenever it passes [`FLUSH_AT`], and a value bigger than that
//! goes straight through. So a snapshot of any size costs a few tens of kilobytes here, plus
//! the listpack of one list or stream node being built.
//!
//! Of the encodings a reader must understand, the writer uses the plainest that Redis 7.0 loads
//! into its usual in-memory forms: strings as they are (integers in the integer encodings, as
//! Redis does, but no LZF compression), sets and hashes as sequences of strings, sorted sets
//! with binary scores, and lists as quicklists of listpack nodes. Redis converts small sets,
//! hashes and sorted sets to its compact encodings as it loads them, so the file need not.
//! Streams have one encoding only, Redis's listpack nodes (see `stream`).

use std::borrow::Cow;
use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use super::compact::{ListpackBuilder, canonical_int};
use super::crc64::Crc64;
use super::*;
use crate::config::REDIS_VERSION;
use crate::engine::store::List;

/// The buffer goes to the output once it holds this many bytes.
const FLUSH_AT: usize = 64 * 1024;

/// A list node's listpack stops growing at this size: Redis's default node size
/// (`list-max-listpack-size -2`), so a list loads into the same shape Redis would build.
const NODE_BYTES: usize = 8 * 1024;

/// Elements at least this long get a plain node of their own, as in Redis 7.0: a listpack
/// cannot hold more than 1 GiB.
const PLAIN_AT: usize = 1 << 30;

// ANCHOR: rdb_writer
/// Writes one RDB file: the header in [`RdbWriter::new`], then for each database a
/// [`RdbWriter::select_db`] and its keys through [`RdbWriter::entry`], then the trailer in
/// [`RdbWriter::finish`].
///
/// A writer dropped without `finish` leaves a file with no end marker, which every reader,
/// ours and Redis's, refuses: a half-written snapshot can never pass for a whole one.
pub struct RdbWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    crc: Crc64,
}
// ANCHOR_END: rdb_writer

impl<W: Write> RdbWriter<W> {
    // ANCHOR: rdb_writer_new
    /// Starts a file on `out`: the magic `REDIS0010` and the `AUX` fields Redis 7.0 writes —
    /// `redis-ver`, `redis-bits`, `ctime`, `used-mem` (0 unless given), then the caller's
    /// `aux` fields (`repl-id`, say), then `aof-base` (0 unless given). A field of `aux` with
    /// one of those names replaces its default in place.
    ///
    /// # Errors
    /// Writing to `out` failed.
    pub fn new(out: W, aux: &[(&str, &[u8])]) -> io::Result<Self> {
        let mut w = RdbWriter {
            out,
            buf: Vec::with_capacity(FLUSH_AT + 1024),
            crc: Crc64::new(),
        };
        w.buf
            .extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
        let ctime = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut fields: Vec<(&str, Cow<[u8]>)> = vec![
            ("redis-ver", Cow::Borrowed(REDIS_VERSION.as_bytes())),
            (
                "redis-bits",
                Cow::Owned(usize::BITS.to_string().into_bytes()),
            ),
            ("ctime", Cow::Owned(ctime.to_string().into_bytes())),
            ("used-mem", Cow::Borrowed(b"0")),
        ];
        let mut aof_base: &[u8] = b"0";
        for &(name, value) in aux {
            if name == "aof-base" {
                aof_base = value;
            } else if let Some(field) = fields.iter_mut().find(|(n, _)| *n == name) {
                field.1 = Cow::Borrowed(value);
            } else {
                fields.push((name, Cow::Borrowed(value)));
            }
        }
        fields.push(("aof-base", Cow::Borrowed(aof_base)));
        for (name, value) in &fields {
            w.buf.push(OPCODE_AUX);
            w.string(name.as_bytes())?;
            w.string(value)?;
        }
        w.spill()?;
        Ok(w)
    }
    // ANCHOR_END: rdb_writer_new

    /// Starts database `db`: `SELECTDB`, then `RESIZEDB` with the number of keys that will
    /// follow and how many of them have a deadline (a hint for the reader's tables).
    ///
    /// # Errors
    /// Writing to the output failed.
    pub fn select_db(&mut self, db: usize, keys: usize, expires: usize) -> io::Result<()> {
        self.buf.push(OPCODE_SELECTDB);
        self.len(db as u64);
        self.buf.push(OPCODE_RESIZEDB);
        self.len(keys as u64);
        self.len(expires as u64);
        self.maybe_spill()
    }

    // ANCHOR: rdb_entry
    /// Writes one key: its deadline (Unix ms) if it has one, its type, the key and the value.
    /// An empty collection is not written at all: Redis would skip it on load, and a key never
    /// holds one.
    ///
    /// # Errors
    /// Writing to the output failed.
    pub fn entry(&mut self, key: &[u8], data: &Data, deadline_ms: Option<u64>) -> io::Result<()> {
        if data.is_empty_collection() {
            return Ok(());
        }
        if let Some(at) = deadline_ms {
            self.buf.push(OPCODE_EXPIRETIME_MS);
            self.buf.extend_from_slice(&at.to_le_bytes());
        }
        self.buf.push(value_type(data));
        self.string(key)?;
        self.value(data)?;
        self.maybe_spill()
    }
    // ANCHOR_END: rdb_entry

    // ANCHOR: rdb_value
    /// A value, after its type byte (see [`value_type`]).
    fn value(&mut self, data: &Data) -> io::Result<()> {
        match data {
            Data::Str(s) => self.string(s),
            Data::List(list) => self.list(list),
            Data::Set(set) => {
                self.len(set.len() as u64);
                set.iter().try_for_each(|member| self.string(member))
            }
            Data::Hash(hash) => {
                self.len(hash.len() as u64);
                for (field, value) in hash.iter() {
                    self.string(field)?;
                    self.string(value)?;
                }
                Ok(())
            }
            Data::ZSet(zset) => {
                self.len(zset.len() as u64);
                for (member, score) in zset.iter() {
                    self.string(member)?;
                    self.buf.extend_from_slice(&score.to_le_bytes());
                }
                Ok(())
            }
            Data::Stream(stream) => self.stream(stream),
        }
    }
    // ANCHOR_END: rdb_value

    /// Ends the file: the `EOF` opcode and the CRC-64 of every byte before the checksum, then
    /// flushes and hands the output back (for the caller to `sync_all` and rename).
    ///
    /// # Errors
    /// Writing to or flushing the output failed.
    pub fn finish(mut self) -> io::Result<W> {
        self.buf.push(OPCODE_EOF);
        self.spill()?;
        self.out.write_all(&self.crc.value().to_le_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }

    // ANCHOR: rdb_list
    /// A list as a `QUICKLIST_2`: the number of nodes, then each node. Elements are packed
    /// into listpacks of up to [`NODE_BYTES`]; a huge element gets a plain node. The number of
    /// nodes comes first, so a first pass over the list plans the nodes (sizes only) and a
    /// second one writes them.
    fn list(&mut self, list: &List) -> io::Result<()> {
        let plan = plan_nodes(list);
        self.len(plan.len() as u64);
        let mut elements = list.iter();
        for node in plan {
            match node {
                Node::Plain => {
                    let element = elements.next().unwrap_or_default();
                    self.len(QUICKLIST_NODE_PLAIN);
                    self.string(element)?;
                }
                Node::Packed(count) => {
                    let mut lp = ListpackBuilder::new();
                    for element in elements.by_ref().take(count) {
                        lp.push(element);
                    }
                    self.len(QUICKLIST_NODE_PACKED);
                    self.string(&lp.finish())?;
                }
            }
        }
        Ok(())
    }
    // ANCHOR_END: rdb_list

    // ANCHOR: rdb_length
    /// A length in the fewest bytes: 6 bits, 14 bits, 32 bits or 64 bits.
    pub(super) fn len(&mut self, n: u64) {
        let b = &mut self.buf;
        if n < 1 << 6 {
            b.push(n as u8);
        } else if n < 1 << 14 {
            b.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
        } else if let Ok(n) = u32::try_from(n) {
            b.push(0x80);
            b.extend_from_slice(&n.to_be_bytes());
        } else {
            b.push(0x81);
            b.extend_from_slice(&n.to_be_bytes());
        }
    }

    /// A string: an integer encoding if it spells an integer that fits 32 bits (and reads back
    /// as the same bytes), else its length and its bytes.
    pub(super) fn string(&mut self, s: &[u8]) -> io::Result<()> {
        if s.len() <= 11
            && let Some(n) = canonical_int(s)
        {
            if let Ok(n) = i8::try_from(n) {
                self.buf.extend_from_slice(&[0xc0, n as u8]);
                return Ok(());
            } else if let Ok(n) = i16::try_from(n) {
                self.buf.push(0xc1);
                self.buf.extend_from_slice(&n.to_le_bytes());
                return Ok(());
            } else if let Ok(n) = i32::try_from(n) {
                self.buf.push(0xc2);
                self.buf.extend_from_slice(&n.to_le_bytes());
                return Ok(());
            }
        }
        self.len(s.len() as u64);
        self.raw(s)
    }
    // ANCHOR_END: rdb_length

    /// Bytes as they are: into the buffer, or past it straight to the output if they are big.
    pub(super) fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.len() >= FLUSH_AT {
            self.spill()?;
            self.crc.update(bytes);
            return self.out.write_all(bytes);
        }
        self.buf.extend_from_slice(bytes);
        self.maybe_spill()
    }

    fn maybe_spill(&mut self) -> io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.spill()
        } else {
            Ok(())
        }
    }

    /// Sends the buffer to the output, through the checksum.
    fn spill(&mut self) -> io::Result<()> {
        self.crc.update(&self.buf);
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

/// The type byte of `data` as the writer writes it.
fn value_type(data: &Data) -> u8 {
    match data {
        Data::Str(_) => TYPE_STRING,
        Data::List(_) => TYPE_LIST_QUICKLIST_2,
        Data::Set(_) => TYPE_SET,
        Data::Hash(_) => TYPE_HASH,
        Data::ZSet(_) => TYPE_ZSET_2,
        Data::Stream(_) => TYPE_STREAM_LISTPACKS_2,
    }
}

// ANCHOR: encode_value
/// The RDB encoding of one value, its type byte and then the value, with no key, deadline or
/// file around it: what a `DUMP` payload carries before its version and checksum.
pub fn encode_value(data: &Data) -> Vec<u8> {
    let mut w = RdbWriter {
        out: Vec::new(),
        buf: Vec::new(),
        crc: Crc64::new(),
    };
    w.buf.push(value_type(data));
    let written = w.value(data).and_then(|()| w.spill());
    debug_assert!(written.is_ok(), "writing into a Vec cannot fail");
    w.out
}
// ANCHOR_END: encode_value

/// One planned list node.
#[derive(Debug, PartialEq, Eq)]
enum Node {
    /// One element, as it is.
    Plain,
    /// A listpack of this many elements.
    Packed(usize),
}

/// Splits a list into nodes: consecutive elements share a listpack while it stays within
/// [`NODE_BYTES`] (a node always takes at least one element); huge ones stand alone.
fn plan_nodes(list: &List) -> Vec<Node> {
    let mut plan = Vec::new();
    let (mut count, mut bytes) = (0, 7);
    for element in list.iter() {
        if element.len() >= PLAIN_AT {
            if count > 0 {
                plan.push(Node::Packed(count));
                (count, bytes) = (0, 7);
            }
            plan.push(Node::Plain);
            continue;
        }
        let size = entry_size(element);
        if count > 0 && (bytes + size > NODE_BYTES || count == u16::MAX as usize - 1) {
            plan.push(Node::Packed(count));
            (count, bytes) = (0, 7);
        }
        count += 1;
        bytes += size;
    }
    if count > 0 {
        plan.push(Node::Packed(count));
    }
    plan
}

/// Bytes `element` takes in a listpack (an upper bound is enough for planning; this is exact
/// for strings and at most 9 too many for integers).
fn entry_size(element: &[u8]) -> usize {
    let len = element.len();
    let header = if len < 64 {
        1
    } else if len < 4096 {
        2
    } else {
        5
    };
    let size = header + len;
    let backlen = match size {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    };
    size + backlen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_take_the_fewest_bytes() {
        let mut w = RdbWriter::new(Vec::new(), &[]).unwrap();
        w.spill().unwrap();
        let start = w.out.len();
        for n in [
            0u64,
            63,
            64,
            16383,
            16384,
            u32::MAX as u64,
            u32::MAX as u64 + 1,
        ] {
            w.len(n);
        }
        w.spill().unwrap();
        assert_eq!(
            &w.out[start..],
            b"\x00\x3f\x40\x40\x7f\xff\x80\x00\x00\x40\x00\x80\xff\xff\xff\xff\x81\x00\x00\x00\x01\x00\x00\x00\x00"
        );
    }

    #[test]
    fn integers_use_the_integer_encodings_and_others_do_not() {
        let mut w = RdbWriter::new(Vec::new(), &[]).unwrap();
        w.spill().unwrap();
        let start = w.out.len();
        for s in [&b"-1"[..], b"300", b"70000", b"007", b"4294967296"] {
            w.string(s).unwrap();
        }
        w.spill().unwrap();
        assert_eq!(
            &w.out[start..],
            b"\xc0\xff\xc1\x2c\x01\xc2\x70\x11\x01\x00\x03007\x0a4294967296"
        );
    }

    #[test]
    fn the_header_has_redis_aux_fields_and_the_callers() {
        let w = RdbWriter::new(
            Vec::new(),
            &[
                ("repl-id", b"abc"),
                ("used-mem", b"1000"),
                ("aof-base", b"1"),
            ],
        )
        .unwrap();
        let out = w.finish().unwrap();
        assert!(out.starts_with(b"REDIS0010\xfa\x09redis-ver"));
        let text = String::from_utf8_lossy(&out);
        let order = [
            "redis-ver",
            "redis-bits",
            "ctime",
            "used-mem",
            "repl-id",
            "aof-base",
        ];
        let at: Vec<usize> = order.iter().map(|n| text.find(n).unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
        let has = |needle: &[u8]| out.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"\x08used-mem\xc1\xe8\x03"));
        assert!(has(b"\x07repl-id\x03abc"));
        assert!(has(b"\x08aof-base\xc0\x01"));
    }

    #[test]
    fn lists_split_into_nodes_of_about_8_kib() {
        let small: List = (0..5000).map(|_| &b"0123456789"[..]).collect();
        let plan = plan_nodes(&small);
        // 12 bytes an element: 682 fit in 8 KiB.
        assert!(
            plan.len() > 5
                && plan
                    .iter()
                    .all(|n| matches!(n, Node::Packed(c) if *c <= 682))
        );
        let total: usize = plan
            .iter()
            .map(|n| match n {
                Node::Packed(c) => *c,
                Node::Plain => 1,
            })
            .sum();
        assert_eq!(total, 5000);
        let big = vec![b'x'; 20_000];
        let list: List = [&b"a"[..], &big, b"b"].into_iter().collect();
        assert_eq!(
            plan_nodes(&list),
            vec![Node::Packed(1), Node::Packed(1), Node::Packed(1)]
        );
    }
}
