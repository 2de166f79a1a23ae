//! RDB snapshots: the binary file format of Redis's `dump.rdb`, version 10 (Redis 7.0), written
//! by [`RdbWriter`] and read by [`load`]; the file on disk ([`write_file`], [`load_file`]); and
//! the saving itself ([`Rdb`]: `SAVE`, `BGSAVE`, save points).
//!
//! Go original: none (go-redis had only the AOF). Explained in: book "RDB snapshots".
//!
//! The format part (`write`, `read` and their helpers) turns keys into bytes and bytes into
//! keys and knows nothing else; `file` puts those bytes on disk safely and loads them into a
//! store; `save` decides when, on which thread and under which lock. The commands and the
//! server's start-up call `save` and `file`; the AOF's rewrite calls the format for its RDB
//! preamble.
//!
// ANCHOR: rdb_format
//! # The idea
//! The AOF records *how* the data came to be; an RDB file records *what it is*, once: every key
//! with its type, its value and its deadline, in a compact binary form that loads far faster
//! than replaying commands. It is a flat stream read from front to back in one pass, with no
//! index and no seeking, so it can be written as it is produced (to a file, or down a socket to
//! a replica) and read the same way.
//!
//! The stream is a header, then a sequence of *opcodes* (one byte each, from 0xf5 up) and
//! *keys*, then a trailer. A byte below 0xf5 where an opcode could be is a value type: a key
//! follows.
//!
//! # Byte by byte
//! ```text
//! "REDIS0010"                         magic and the format version as four ASCII digits
//! 0xfa <string name> <string value>   AUX: a metadata field (redis-ver, ctime, used-mem, ...);
//!                                       a reader skips the ones it does not know
//! 0xfe <length db>                    SELECTDB: the keys that follow belong to database db
//! 0xfb <length keys> <length expires> RESIZEDB: how many keys (and deadlines) the database
//!                                       holds, so the reader can size its tables once
//! 0xfc <u64 little-endian>            EXPIRETIME_MS: the next key's deadline, Unix ms
//! 0xfd <u32 little-endian>            EXPIRETIME: the same in seconds (old files)
//! 0xf8 <length> | 0xf9 <u8>           IDLE / FREQ: the next key's LRU idle time or LFU counter
//! 0xf5 <string>                       FUNCTION2: a function library's source (Redis 7)
//! 0xf7 ...                            MODULE_AUX: a module's own data
//! <type u8> <string key> <value>      one key; the type says how the value is laid out
//! 0xff <u64 little-endian>            EOF, then the CRC-64 of every byte before it (0: none)
//! ```
//!
//! A *length* takes 1, 2, 5 or 9 bytes; its first two bits say which:
//! ```text
//! 00xxxxxx                      6-bit length
//! 01xxxxxx xxxxxxxx             14-bit length, big-endian
//! 10000000 <u32 big-endian>     32-bit length
//! 10000001 <u64 big-endian>     64-bit length
//! 11xxxxxx                      not a length: a string stored specially, as xxxxxx says
//! ```
//! A *string* is a length and that many bytes, or one of the special forms: `0xc0 <i8>`,
//! `0xc1 <i16 LE>`, `0xc2 <i32 LE>` for strings that spell an integer, and
//! `0xc3 <length compressed> <length plain> <LZF bytes>` for a compressed one (see `lzf`).
//!
//! The values, by type byte:
//! ```text
//!  0 string        <string>
//!  1 list          <length n> n × <string>                (Redis 3.0 and before)
//!  2 set           <length n> n × <string>
//!  3 zset          <length n> n × (<string member> <score as text: u8 length, ASCII>)
//!  4 hash          <length n> n × (<string field> <string value>)
//!  5 zset_2        <length n> n × (<string member> <score: f64 little-endian>)
//!  9 hash_zipmap, 10 list_ziplist, 11 set_intset, 12 zset_ziplist, 13 hash_ziplist,
//! 16 hash_listpack, 17 zset_listpack
//!                  <string>: one of Redis's compact in-memory encodings, byte for byte
//! 14 list_quicklist    <length nodes> nodes × <string ziplist>
//! 18 list_quicklist_2  <length nodes> nodes × (<length 1 = plain, 2 = listpack> <string>)
//! 15 stream_listpacks, 19 stream_listpacks_2
//!                  listpack nodes, counters, consumer groups: see `stream`
//! 21 stream_listpacks_3 (Redis 7.2), 6, 7 module values: not supported
//! ```
//! The compact encodings (listpack, ziplist, intset, zipmap) are described in `compact`.
//!
//! `DUMP` carries one value in this encoding, its type byte first, with no key: see
//! [`encode_value`] and [`decode_value`].
// ANCHOR_END: rdb_format
//!
//! | file | what |
//! |---|---|
//! | `write` | [`RdbWriter`]: streams a snapshot out, database by database |
//! | `read` | [`load`]: streams one in, each key handed to the caller's closure |
//! | `compact` | listpack, ziplist, intset and zipmap |
//! | `stream` | streams: listpack nodes and consumer groups |
//! | `lzf` | LZF decompression |
//! | `crc64` | the checksum |
//! | `file` | [`write_file`]: temp file, fsync, rename; [`load_file`]: into a fresh store |
//! | `save` | [`Rdb`]: `SAVE`, `BGSAVE`, save points, the dirty counter; `save/lifecycle`: shutdown, `DEBUG RELOAD`, `INFO persistence` |
//! | `settings` | the save points and `rdb-key-save-delay`, parsed |

mod compact;
pub mod crc64;
mod file;
mod lzf;
mod read;
mod save;
mod settings;
mod stream;
#[cfg(test)]
mod tests;
mod write;

use std::collections::BTreeMap;
use std::fmt;

use crate::engine::store::{Data, Key, Snapshot};

pub use file::{LoadReport, ReloadError, load_file, load_into, swap_in, write_file};
pub use read::{decode_value, load};
pub use save::Rdb;
pub use settings::{SavePoint, ShutdownSave, key_save_delay, save_points};
pub use write::{RdbWriter, encode_value};

// ANCHOR: write_snapshot
/// Writes a whole [`Snapshot`] as one RDB file to `out`: each non-empty database's keys after
/// its `SELECTDB`, expired keys left out, then the checksum. Used by `SAVE`, `BGSAVE`, a
/// rewrite's RDB preamble and a replica's full sync alike; the snapshot is read slot by slot,
/// with no lock held.
///
/// # Errors
/// Writing to `out` failed.
pub fn write_snapshot<W: std::io::Write>(
    out: W,
    snapshot: Snapshot,
    aux: &[(&str, &[u8])],
) -> std::io::Result<W> {
    write_snapshot_paced(out, snapshot, aux, || Ok(()))
}

/// [`write_snapshot`], calling `after_key` after each key: to sleep (`rdb-key-save-delay`), to
/// count, or to stop a save that was cancelled by returning an error.
///
/// # Errors
/// Writing to `out` failed, or `after_key` returned an error.
pub fn write_snapshot_paced<W: std::io::Write>(
    out: W,
    snapshot: Snapshot,
    aux: &[(&str, &[u8])],
    mut after_key: impl FnMut() -> std::io::Result<()>,
) -> std::io::Result<W> {
    let mut w = RdbWriter::new(out, aux)?;
    let taken_at = snapshot.taken_at;
    for db in snapshot.dbs {
        w.select_db(db.db, db.keys, db.expires)?;
        db.drain(taken_at, |key, data, deadline| {
            w.entry(key, data, deadline)?;
            after_key()
        })?;
    }
    w.finish()
}
// ANCHOR_END: write_snapshot

/// The format version this module writes, and the newest it reads (Redis 7.0's).
pub const RDB_VERSION: u32 = 10;

/// Opcode: a metadata field (`AUX`).
pub const OPCODE_AUX: u8 = 0xfa;
/// Opcode: the database the following keys belong to (`SELECTDB`).
pub const OPCODE_SELECTDB: u8 = 0xfe;
/// Opcode: a size hint for the current database (`RESIZEDB`).
pub const OPCODE_RESIZEDB: u8 = 0xfb;
/// Opcode: the next key's deadline in Unix milliseconds (`EXPIRETIME_MS`).
pub const OPCODE_EXPIRETIME_MS: u8 = 0xfc;
/// Opcode: the next key's deadline in Unix seconds (`EXPIRETIME`, files before version 3).
pub const OPCODE_EXPIRETIME: u8 = 0xfd;
/// Opcode: the next key's LRU idle time in seconds (`IDLE`).
pub const OPCODE_IDLE: u8 = 0xf8;
/// Opcode: the next key's LFU counter (`FREQ`).
pub const OPCODE_FREQ: u8 = 0xf9;
/// Opcode: a module's auxiliary data (`MODULE_AUX`).
pub const OPCODE_MODULE_AUX: u8 = 0xf7;
/// Opcode: a function library, in the format of Redis 7.0's release candidates (`FUNCTION`).
pub const OPCODE_FUNCTION_PRE_GA: u8 = 0xf6;
/// Opcode: a function library's source code (`FUNCTION2`).
pub const OPCODE_FUNCTION2: u8 = 0xf5;
/// Opcode: the end of the data; the checksum follows (`EOF`).
pub const OPCODE_EOF: u8 = 0xff;

/// Value type: a string.
pub const TYPE_STRING: u8 = 0;
/// Value type: a list as a sequence of strings.
pub const TYPE_LIST: u8 = 1;
/// Value type: a set as a sequence of strings.
pub const TYPE_SET: u8 = 2;
/// Value type: a sorted set, scores as text.
pub const TYPE_ZSET: u8 = 3;
/// Value type: a hash as field, value pairs.
pub const TYPE_HASH: u8 = 4;
/// Value type: a sorted set, scores as binary doubles.
pub const TYPE_ZSET_2: u8 = 5;
/// Value type: a hash as a zipmap.
pub const TYPE_HASH_ZIPMAP: u8 = 9;
/// Value type: a list as one ziplist.
pub const TYPE_LIST_ZIPLIST: u8 = 10;
/// Value type: a set of integers as an intset.
pub const TYPE_SET_INTSET: u8 = 11;
/// Value type: a sorted set as a ziplist of member, score pairs.
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
/// Value type: a hash as a ziplist of field, value pairs.
pub const TYPE_HASH_ZIPLIST: u8 = 13;
/// Value type: a list as a quicklist of ziplists.
pub const TYPE_LIST_QUICKLIST: u8 = 14;
/// Value type: a hash as a listpack of field, value pairs.
pub const TYPE_HASH_LISTPACK: u8 = 16;
/// Value type: a sorted set as a listpack of member, score pairs.
pub const TYPE_ZSET_LISTPACK: u8 = 17;
/// Value type: a list as a quicklist of listpack and plain nodes.
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
/// Value type: a stream as Redis 5 to 6.2 wrote it, without the 7.0 counters.
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
/// Value type: a stream as Redis 7.0 writes it.
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;
/// Value type: a stream as Redis 7.2 writes it (consumers' active times; not supported).
pub const TYPE_STREAM_LISTPACKS_3: u8 = 21;

/// A quicklist node that holds one element as it is.
pub const QUICKLIST_NODE_PLAIN: u64 = 1;
/// A quicklist node that holds a listpack of elements.
pub const QUICKLIST_NODE_PACKED: u64 = 2;

// ANCHOR: loaded_key
/// One key read from a snapshot, as [`load`] hands it to its caller.
#[derive(Clone, Debug)]
pub struct LoadedKey {
    /// The database it belongs to (the last `SELECTDB` before it; 0 if there was none). Not
    /// checked against any limit: the caller knows how many databases it has.
    pub db: usize,
    /// The key.
    pub key: Key,
    /// The value.
    pub data: Data,
    /// The deadline in Unix milliseconds, if it has one. It may already have passed: Redis,
    /// as a primary, drops such a key on load; the caller decides.
    pub deadline_ms: Option<u64>,
}
// ANCHOR_END: loaded_key

/// What [`load`] found besides the keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RdbSummary {
    /// The format version from the header.
    pub version: u32,
    /// The `AUX` fields, name and value, in file order.
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// How many keys were handed to the caller, per database.
    pub keys_per_db: BTreeMap<usize, usize>,
    /// Keys with an empty collection, skipped as Redis skips them (old versions could write
    /// such keys; a key must never hold an empty collection).
    pub empty_keys_skipped: usize,
    /// `FUNCTION2` libraries skipped: we have no scripting engine to load them into.
    pub functions_skipped: usize,
    /// The checksum, if the file had one and it matched; `None` for a file saved without
    /// (zero) or from before version 5.
    pub checksum: Option<u64>,
    /// Bytes the snapshot took, up to and including the checksum: where the commands of an
    /// AOF with an RDB preamble begin.
    pub length: u64,
}

impl RdbSummary {
    /// The value of the `AUX` field `name`, if the file had one.
    pub fn aux_value(&self, name: &str) -> Option<&[u8]> {
        self.aux
            .iter()
            .find(|(k, _)| k.as_slice() == name.as_bytes())
            .map(|(_, v)| v.as_slice())
    }

    /// Keys handed to the caller, over all databases.
    pub fn total_keys(&self) -> usize {
        self.keys_per_db.values().sum()
    }
}

// ANCHOR: rdb_error
/// Why a snapshot could not be loaded, and where: the byte offset in the file at which
/// reading stopped (for a compact value, where that value's bytes start).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RdbError {
    /// Offset from the start of the file.
    pub offset: u64,
    /// What was wrong, in plain words.
    pub message: String,
}
// ANCHOR_END: rdb_error

impl RdbError {
    /// An error at `offset`.
    pub fn new(offset: u64, message: impl Into<String>) -> RdbError {
        RdbError {
            offset,
            message: message.into(),
        }
    }
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad RDB at offset {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for RdbError {}
