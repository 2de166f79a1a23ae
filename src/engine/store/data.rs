//! The values a key can hold, one variant per Redis type, and the errors of store operations.
//!
//! Go original: `internal/engine/store/store.go`. Explained in: book chapter 4.

use std::collections::HashMap;

use super::{Bytes, CowBox, List, MemberSet, Str, Stream, ZSet};

// ANCHOR: data
/// The value stored under a key; each variant is one Redis type.
///
/// The collections are boxed so that a plain string key, by far the most common, pays for a
/// 24-byte enum rather than the size of the largest collection header. The box is a
/// [`CowBox`]: a snapshot shares the collection, and a write while it does copies it first.
#[derive(Clone, Debug)]
pub enum Data {
    /// A string: up to 15 bytes inline in the entry, else a `Vec` so that `APPEND` grows it in
    /// amortised O(1) (see [`Str`]).
    Str(Str),
    // Go parity: go-redis's LPUSH was O(n), which held it to 7 % of Redis's throughput; our
    // list pushes and pops at either end in O(1).
    /// A list: elements packed in chunks, O(1) pushes and pops at both ends (see [`List`]).
    List(CowBox<List>),
    /// A set of unique members, O(1) random picks included (see [`MemberSet`]).
    Set(CowBox<MemberSet>),
    /// A hash of field → value.
    Hash(CowBox<HashMap<Bytes, Bytes>>),
    /// A sorted set: members ordered by (score, member).
    ZSet(CowBox<ZSet>),
    /// A stream: an append-only log of entries with consumer groups (see [`Stream`]).
    Stream(CowBox<Stream>),
}
// ANCHOR_END: data

impl From<List> for Data {
    fn from(l: List) -> Data {
        Data::List(CowBox::new(l))
    }
}

impl From<MemberSet> for Data {
    fn from(s: MemberSet) -> Data {
        Data::Set(CowBox::new(s))
    }
}

impl From<HashMap<Bytes, Bytes>> for Data {
    fn from(h: HashMap<Bytes, Bytes>) -> Data {
        Data::Hash(CowBox::new(h))
    }
}

impl From<ZSet> for Data {
    fn from(z: ZSet) -> Data {
        Data::ZSet(CowBox::new(z))
    }
}

impl From<Stream> for Data {
    fn from(s: Stream) -> Data {
        Data::Stream(CowBox::new(s))
    }
}

impl Data {
    /// The name `TYPE` answers for this value.
    pub fn type_name(&self) -> &'static str {
        match self {
            Data::Str(_) => "string",
            Data::List(_) => "list",
            Data::Set(_) => "set",
            Data::Hash(_) => "hash",
            Data::ZSet(_) => "zset",
            Data::Stream(_) => "stream",
        }
    }

    /// True for a collection with no elements: such a key must vanish (Redis never keeps one).
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Data::Str(_) => false,
            Data::List(l) => l.is_empty(),
            Data::Set(s) => s.is_empty(),
            Data::Hash(h) => h.is_empty(),
            Data::ZSet(z) => z.is_empty(),
            // An empty stream stays: its last ID and groups still mean something, as in Redis.
            Data::Stream(_) => false,
        }
    }
}

// ANCHOR: store_error
/// Errors of store operations; each converts into Redis's exact reply text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// `WRONGTYPE Operation against a key holding the wrong kind of value`
    WrongType,
    /// `ERR value is not an integer or out of range`
    NotInteger,
    /// `ERR value is not a valid float`
    NotFloat,
    /// `ERR increment or decrement would overflow`
    Overflow,
    /// `ERR increment would produce NaN or Infinity`
    NanOrInfinity,
    /// `ERR no such key`
    NoSuchKey,
    /// `ERR index out of range`
    IndexOutOfRange,
    /// `ERR string exceeds maximum allowed size (proto-max-bulk-len)`
    StringTooLong,
}

// ANCHOR_END: store_error
