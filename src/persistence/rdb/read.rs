//! [`load`]: reads an RDB file front to back and hands each key to the caller's closure.
//!
//! Go original: none. Explained in: book "RDB snapshots".
//!
//! Like the AOF's replay, this module only reads: it knows the format, not the store. Each key
//! is built into a [`Data`] and given to the caller's closure, which puts it wherever it
//! likes. Nothing is checked after the fact: the file is read once, in order, and the checksum
//! at its end is compared last. So the closure may have received keys by the time an error is
//! found (a torn tail, a bad checksum): a caller must load into a fresh store and throw it away
//! on `Err`, never into the live one.
//!
//! A file from disk is input like a client's request: every length in it is checked against
//! the bytes that follow, and nothing is allocated ahead of the data that backs it beyond
//! [`PREALLOC`] entries, so a corrupt length of 2^60 costs an error, not the machine's memory.

use std::collections::HashMap;
use std::io::{self, BufReader, Read};

use super::crc64::Crc64;
use super::{
    LoadedKey, OPCODE_AUX, OPCODE_EOF, OPCODE_EXPIRETIME, OPCODE_EXPIRETIME_MS, OPCODE_FREQ,
    OPCODE_FUNCTION_PRE_GA, OPCODE_FUNCTION2, OPCODE_IDLE, OPCODE_MODULE_AUX, OPCODE_RESIZEDB,
    OPCODE_SELECTDB, QUICKLIST_NODE_PACKED, QUICKLIST_NODE_PLAIN, RDB_VERSION, RdbError,
    RdbSummary, TYPE_HASH, TYPE_HASH_LISTPACK, TYPE_HASH_ZIPLIST, TYPE_HASH_ZIPMAP, TYPE_LIST,
    TYPE_LIST_QUICKLIST, TYPE_LIST_QUICKLIST_2, TYPE_LIST_ZIPLIST, TYPE_SET, TYPE_SET_INTSET,
    TYPE_STREAM_LISTPACKS, TYPE_STREAM_LISTPACKS_2, TYPE_STREAM_LISTPACKS_3, TYPE_STRING,
    TYPE_ZSET, TYPE_ZSET_2, TYPE_ZSET_LISTPACK, TYPE_ZSET_ZIPLIST,
};
use super::{compact, lzf};
use crate::engine::store::zset::Inserted;
use crate::engine::store::{Bytes, Data, List, MemberSet, Str, ZSet};

/// Most entries reserved ahead for a collection: a corrupt file may claim any length, and
/// only the entries really read may cost memory.
const PREALLOC: u64 = 1 << 16;

// ANCHOR: rdb_load
/// Reads an RDB file (versions 1 to 10) from `input`, handing every key to `sink` in file
/// order, and returns what else the file said.
///
/// The sink may refuse a key (a database number it does not have, a key it already holds):
/// its `Err` stops the load, reported at that key's offset. Keys with an empty collection are
/// skipped, as Redis skips them; keys whose deadline has passed are handed over like any other.
///
/// # Errors
/// An [`RdbError`] with the offset and the reason: not an RDB file, a version newer than 10,
/// the file ends early (a torn write), a malformed value, a checksum that does not match, a
/// module value or a stream in Redis 7.2's format (not supported), or the sink's refusal. The
/// sink has then been fed every key before that point: discard them.
pub fn load(
    input: impl Read,
    mut sink: impl FnMut(LoadedKey) -> Result<(), String>,
) -> Result<RdbSummary, RdbError> {
    let mut r = Input::new(input, 64 * 1024);
    let mut summary = RdbSummary {
        version: r.header()?,
        ..RdbSummary::default()
    };
    let mut db = 0;
    let mut deadline: Option<u64> = None;
    loop {
        let at = r.offset;
        match r.byte()? {
            OPCODE_EOF => break,
            OPCODE_AUX => {
                let name = r.string()?;
                let value = r.string()?;
                summary.aux.push((name, value));
            }
            OPCODE_SELECTDB => db = r.size()?,
            OPCODE_RESIZEDB => {
                // Only a hint for sizing tables; our store grows its own.
                r.len()?;
                r.len()?;
            }
            OPCODE_EXPIRETIME_MS => {
                // A signed number in Redis: a negative one is simply long past.
                let ms = i64::from_le_bytes(r.array()?);
                deadline = Some(ms.max(0) as u64);
            }
            OPCODE_EXPIRETIME => {
                let secs = i32::from_le_bytes(r.array()?);
                deadline = Some(secs.max(0) as u64 * 1000);
            }
            // Eviction hints for the next key: we keep no LRU clock or LFU counter to set.
            OPCODE_IDLE => {
                r.len()?;
            }
            OPCODE_FREQ => {
                r.byte()?;
            }
            OPCODE_FUNCTION2 => {
                // A library's source, to be compiled by a Lua engine we do not have.
                r.string()?;
                summary.functions_skipped += 1;
            }
            OPCODE_FUNCTION_PRE_GA => {
                return Err(RdbError::new(
                    at,
                    "functions in the pre-release 7.0 format are not supported",
                ));
            }
            OPCODE_MODULE_AUX => {
                return Err(RdbError::new(
                    at,
                    "module data is not supported (the file needs a Redis module)",
                ));
            }
            kind => {
                let key = r.string()?;
                let data = r.value(kind, at)?;
                match data {
                    Some(data) => {
                        let loaded = LoadedKey {
                            db,
                            key: key.into_boxed_slice(),
                            data,
                            deadline_ms: deadline,
                        };
                        sink(loaded).map_err(|m| RdbError::new(at, m))?;
                        *summary.keys_per_db.entry(db).or_insert(0) += 1;
                    }
                    None => summary.empty_keys_skipped += 1,
                }
                deadline = None;
            }
        }
    }
    if summary.version >= 5 {
        let expected = r.crc.value();
        let at = r.offset;
        let stored = u64::from_le_bytes(r.array()?);
        if stored != 0 && stored != expected {
            return Err(RdbError::new(
                at,
                format!(
                    "checksum mismatch: the file says {stored:016x}, its bytes give {expected:016x}"
                ),
            ));
        }
        summary.checksum = (stored != 0).then_some(stored);
    }
    // Anything after the checksum is not part of the snapshot; Redis ignores it too (an AOF
    // with an RDB preamble goes on with commands there).
    summary.length = r.offset;
    Ok(summary)
}
// ANCHOR_END: rdb_load

// ANCHOR: decode_value
/// Decodes one value in its RDB encoding, a type byte and then the value: what a `DUMP`
/// payload carries before its version and checksum. All of `bytes` must be that one value.
///
/// # Errors
/// An [`RdbError`] with the offset in `bytes`: a malformed or unsupported value, an empty
/// collection (no key may hold one), or bytes left over after the value.
pub fn decode_value(bytes: &[u8]) -> Result<Data, RdbError> {
    let mut r = Input::new(bytes, bytes.len().min(64 * 1024));
    let kind = r.byte()?;
    let data = r
        .value(kind, 0)?
        .ok_or_else(|| RdbError::new(0, "an empty collection"))?;
    if r.offset != bytes.len() as u64 {
        return Err(r.err("bytes left over after the value"));
    }
    Ok(data)
}
// ANCHOR_END: decode_value

/// The file being read: where we are in it, and the checksum of what has been read so far.
pub(super) struct Input<R: Read> {
    inner: BufReader<R>,
    /// Bytes read so far: where the next one is in the file.
    pub(super) offset: u64,
    crc: Crc64,
}

/// A length, or the marker of a specially encoded string in its place.
enum Len {
    Len(u64),
    Special(u8),
}

/// One of `compact`'s decoders: a blob in, its entries out.
type Decoder = fn(&[u8]) -> Result<Vec<Vec<u8>>, String>;

/// An I/O error as the load reports it.
fn io_error(at: u64, e: &io::Error) -> RdbError {
    RdbError::new(at, format!("read error: {e}"))
}

impl<R: Read> Input<R> {
    /// Reads `input` through a buffer of `capacity` bytes.
    fn new(input: R, capacity: usize) -> Self {
        Input {
            inner: BufReader::with_capacity(capacity, input),
            offset: 0,
            crc: Crc64::new(),
        }
    }

    pub(super) fn err(&self, message: impl Into<String>) -> RdbError {
        RdbError::new(self.offset, message)
    }

    fn eof(&self) -> RdbError {
        self.err("unexpected end of file (the file is truncated)")
    }

    /// Exactly `N` bytes.
    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        let mut buf = [0u8; N];
        let mut filled = 0;
        while filled < N {
            match self.inner.read(&mut buf[filled..]) {
                Ok(0) => return Err(self.eof()),
                Ok(n) => {
                    self.crc.update(&buf[filled..filled + n]);
                    self.offset += n as u64;
                    filled += n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(self.offset, &e)),
            }
        }
        Ok(buf)
    }

    fn byte(&mut self) -> Result<u8, RdbError> {
        Ok(self.array::<1>()?[0])
    }

    /// Exactly `n` bytes. Memory grows with the bytes that really arrive, not with `n`.
    fn bytes(&mut self, n: u64) -> Result<Vec<u8>, RdbError> {
        let mut v = Vec::with_capacity(n.min(PREALLOC) as usize);
        let got = (&mut self.inner)
            .take(n)
            .read_to_end(&mut v)
            .map_err(|e| io_error(self.offset, &e))?;
        self.crc.update(&v);
        self.offset += got as u64;
        if (got as u64) < n {
            return Err(self.eof());
        }
        Ok(v)
    }

    /// `REDIS` and four digits; returns the version.
    fn header(&mut self) -> Result<u32, RdbError> {
        let magic: [u8; 9] = self
            .array()
            .map_err(|_| RdbError::new(0, "not an RDB file (too short)"))?;
        if &magic[..5] != b"REDIS" {
            return Err(RdbError::new(0, "not an RDB file (no REDIS signature)"));
        }
        let version = std::str::from_utf8(&magic[5..])
            .ok()
            .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<u32>().ok())
            .ok_or_else(|| RdbError::new(5, "the version is not four digits"))?;
        if !(1..=RDB_VERSION).contains(&version) {
            return Err(RdbError::new(
                5,
                format!("RDB format version {version} is not supported (1 to {RDB_VERSION} are)"),
            ));
        }
        Ok(version)
    }

    // ANCHOR: rdb_read_length
    fn len_or_special(&mut self) -> Result<Len, RdbError> {
        let b = self.byte()?;
        Ok(match b >> 6 {
            0 => Len::Len((b & 0x3f) as u64),
            1 => Len::Len((((b & 0x3f) as u64) << 8) | self.byte()? as u64),
            2 => match b {
                0x80 => Len::Len(u32::from_be_bytes(self.array()?) as u64),
                0x81 => Len::Len(u64::from_be_bytes(self.array()?)),
                _ => return Err(self.err(format!("bad length encoding 0x{b:02x}"))),
            },
            _ => Len::Special(b & 0x3f),
        })
    }

    pub(super) fn len(&mut self) -> Result<u64, RdbError> {
        match self.len_or_special()? {
            Len::Len(n) => Ok(n),
            Len::Special(_) => Err(self.err("a string encoding where a length should be")),
        }
    }

    /// A length that must fit in memory's address space (a database number, a count).
    fn size(&mut self) -> Result<usize, RdbError> {
        let n = self.len()?;
        usize::try_from(n).map_err(|_| self.err(format!("length {n} is too large")))
    }

    /// A string in any of its encodings: plain, integer, or LZF-compressed.
    pub(super) fn string(&mut self) -> Result<Vec<u8>, RdbError> {
        match self.len_or_special()? {
            Len::Len(n) => self.bytes(n),
            Len::Special(0) => Ok((self.byte()? as i8).to_string().into_bytes()),
            Len::Special(1) => Ok(i16::from_le_bytes(self.array()?).to_string().into_bytes()),
            Len::Special(2) => Ok(i32::from_le_bytes(self.array()?).to_string().into_bytes()),
            Len::Special(3) => {
                let compressed_len = self.len()?;
                let plain_len = self.size()?;
                let at = self.offset;
                let compressed = self.bytes(compressed_len)?;
                lzf::decompress(&compressed, plain_len).map_err(|m| RdbError::new(at, m))
            }
            Len::Special(e) => Err(self.err(format!("unknown string encoding {e}"))),
        }
    }
    // ANCHOR_END: rdb_read_length

    /// A string holding one of the compact encodings, decoded by `decode`; errors are
    /// reported at the string's start, naming `what`.
    fn blob(&mut self, what: &str, decode: Decoder) -> Result<Vec<Vec<u8>>, RdbError> {
        let at = self.offset;
        let blob = self.string()?;
        decode(&blob).map_err(|m| RdbError::new(at, format!("{what}: {m}")))
    }

    fn score_text(&mut self) -> Result<f64, RdbError> {
        match self.byte()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let text = self.bytes(n as u64)?;
                parse_score(&text).map_err(|m| self.err(m))
            }
        }
    }

    // ANCHOR: rdb_read_value
    /// The value of type `kind` of the key whose record starts at `at`. `None` for an empty
    /// collection.
    fn value(&mut self, kind: u8, at: u64) -> Result<Option<Data>, RdbError> {
        let here = |m: String| RdbError::new(at, m);
        let data = match kind {
            TYPE_STRING => Data::Str(Str::from(self.string()?)),
            TYPE_LIST => {
                let n = self.len()?;
                let mut list = List::new();
                for _ in 0..n {
                    list.push_back(&self.string()?);
                }
                Data::from(list)
            }
            TYPE_LIST_ZIPLIST => Data::from(list_of(
                self.blob("list ziplist", compact::ziplist_entries)?,
            )),
            TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
                let nodes = self.len()?;
                let mut list = List::new();
                for _ in 0..nodes {
                    let container = if kind == TYPE_LIST_QUICKLIST {
                        QUICKLIST_NODE_PACKED
                    } else {
                        self.len()?
                    };
                    let elements = match container {
                        QUICKLIST_NODE_PLAIN => {
                            let element = self.string()?;
                            if element.is_empty() {
                                // Redis refuses a node of no bytes.
                                return Err(self.err("empty plain quicklist node"));
                            }
                            vec![element]
                        }
                        QUICKLIST_NODE_PACKED if kind == TYPE_LIST_QUICKLIST => {
                            self.blob("quicklist ziplist", compact::ziplist_entries)?
                        }
                        QUICKLIST_NODE_PACKED => {
                            self.blob("quicklist listpack", compact::listpack_entries)?
                        }
                        other => {
                            return Err(self.err(format!("bad quicklist node container {other}")));
                        }
                    };
                    for e in &elements {
                        list.push_back(e);
                    }
                }
                Data::from(list)
            }
            TYPE_SET => {
                let n = self.len()?;
                let mut set = MemberSet::new();
                for _ in 0..n {
                    let member = self.string()?;
                    if !set.insert(Bytes::from(member)) {
                        return Err(self.err("duplicate set member"));
                    }
                }
                Data::from(set)
            }
            TYPE_SET_INTSET => {
                Data::from(set_of(self.blob("intset", compact::intset_members)?).map_err(here)?)
            }
            TYPE_HASH => {
                let n = self.len()?;
                let mut hash = HashMap::with_capacity(n.min(PREALLOC) as usize);
                for _ in 0..n {
                    let field = self.string()?;
                    let value = self.string()?;
                    if hash
                        .insert(Bytes::from(field), Bytes::from(value))
                        .is_some()
                    {
                        return Err(self.err("duplicate hash field"));
                    }
                }
                Data::from(hash)
            }
            TYPE_HASH_ZIPMAP | TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
                let items = match kind {
                    TYPE_HASH_ZIPMAP => self.blob("hash zipmap", compact::zipmap_entries)?,
                    TYPE_HASH_ZIPLIST => self.blob("hash ziplist", compact::ziplist_entries)?,
                    _ => self.blob("hash listpack", compact::listpack_entries)?,
                };
                Data::from(hash_of(items).map_err(here)?)
            }
            TYPE_ZSET | TYPE_ZSET_2 => {
                let n = self.len()?;
                let mut zset = ZSet::new();
                for _ in 0..n {
                    let member = self.string()?;
                    let score = if kind == TYPE_ZSET {
                        self.score_text()?
                    } else {
                        f64::from_le_bytes(self.array()?)
                    };
                    add_scored(&mut zset, &member, score).map_err(|m| self.err(m))?;
                }
                Data::from(zset)
            }
            TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
                let items = if kind == TYPE_ZSET_ZIPLIST {
                    self.blob("zset ziplist", compact::ziplist_entries)?
                } else {
                    self.blob("zset listpack", compact::listpack_entries)?
                };
                Data::from(zset_of(items).map_err(here)?)
            }
            TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 => Data::from(self.stream(kind)?),
            TYPE_STREAM_LISTPACKS_3 => {
                return Err(RdbError::new(
                    at,
                    "streams in the format of Redis 7.2 and later are not supported",
                ));
            }
            6 | 7 => return Err(RdbError::new(at, "module values are not supported")),
            other => return Err(RdbError::new(at, format!("unknown value type {other}"))),
        };
        Ok((!data.is_empty_collection()).then_some(data))
    }
    // ANCHOR_END: rdb_read_value
}

fn list_of(items: Vec<Vec<u8>>) -> List {
    items.iter().map(|e| e.as_slice()).collect()
}

fn set_of(items: Vec<Vec<u8>>) -> Result<MemberSet, String> {
    let mut set = MemberSet::new();
    for member in items {
        if !set.insert(Bytes::from(member)) {
            return Err("duplicate set member".into());
        }
    }
    Ok(set)
}

fn hash_of(items: Vec<Vec<u8>>) -> Result<HashMap<Bytes, Bytes>, String> {
    if !items.len().is_multiple_of(2) {
        return Err("a hash with a field but no value".into());
    }
    let mut hash = HashMap::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(field), Some(value)) = (it.next(), it.next()) {
        if hash
            .insert(Bytes::from(field), Bytes::from(value))
            .is_some()
        {
            return Err("duplicate hash field".into());
        }
    }
    Ok(hash)
}

fn zset_of(items: Vec<Vec<u8>>) -> Result<ZSet, String> {
    if !items.len().is_multiple_of(2) {
        return Err("a sorted set member with no score".into());
    }
    let mut zset = ZSet::new();
    for pair in items.chunks_exact(2) {
        add_scored(&mut zset, &pair[0], parse_score(&pair[1])?)?;
    }
    Ok(zset)
}

/// Adds a member read from the file, refusing what no sorted set may hold.
fn add_scored(zset: &mut ZSet, member: &[u8], score: f64) -> Result<(), String> {
    if score.is_nan() {
        return Err("a sorted set score is NaN".into());
    }
    match zset.insert(member, score) {
        Inserted::Added => Ok(()),
        _ => Err("duplicate sorted set member".into()),
    }
}

/// A score written as text (`%.17g`, or an integer in a compact encoding).
fn parse_score(text: &[u8]) -> Result<f64, String> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or_else(|| format!("bad sorted set score {:?}", String::from_utf8_lossy(text)))
}
