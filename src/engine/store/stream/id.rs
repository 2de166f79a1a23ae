//! Stream IDs: `<milliseconds>-<sequence>`, two unsigned 64-bit numbers compared in that order.

use std::fmt;

/// A stream entry's ID: the time it was added (or any number the client chose) and a sequence
/// number that tells apart entries of the same millisecond.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    /// The milliseconds part.
    pub ms: u64,
    /// The sequence part.
    pub seq: u64,
}

/// The ID an `XADD` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewId {
    /// `*`: the current time, or one more than the last ID if the clock is behind it.
    Auto,
    /// `<ms>-*`: this millisecond, with the next free sequence number.
    AutoSeq(u64),
    /// `<ms>-<seq>` (or `<ms>`, sequence 0).
    Explicit(StreamId),
}

impl StreamId {
    /// 0-0, the smallest ID (never an entry's).
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// The greatest ID.
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// The ID `ms-seq`.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// True for 0-0.
    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The ID right after this one, or `None` after the greatest.
    pub fn next(self) -> Option<StreamId> {
        match self.seq.checked_add(1) {
            Some(seq) => Some(StreamId::new(self.ms, seq)),
            None => Some(StreamId::new(self.ms.checked_add(1)?, 0)),
        }
    }

    /// The ID right before this one, or `None` before 0-0.
    pub fn prev(self) -> Option<StreamId> {
        match self.seq.checked_sub(1) {
            Some(seq) => Some(StreamId::new(self.ms, seq)),
            None => Some(StreamId::new(self.ms.checked_sub(1)?, u64::MAX)),
        }
    }

    /// Parses `<ms>-<seq>` or `<ms>` (then the sequence is `missing_seq`). `-` and `+` are the
    /// caller's business: they mean different things to different commands.
    pub fn parse(arg: &[u8], missing_seq: u64) -> Option<StreamId> {
        // Redis copies the argument into a 128-byte buffer first and refuses longer ones.
        if arg.len() > 127 {
            return None;
        }
        let text = std::str::from_utf8(arg).ok()?;
        match text.split_once('-') {
            Some((ms, seq)) => Some(StreamId::new(number(ms)?, number(seq)?)),
            None => Some(StreamId::new(number(text)?, missing_seq)),
        }
    }

    /// Parses an `XADD` ID: `*`, `<ms>-*`, or an explicit one.
    pub fn parse_new(arg: &[u8]) -> Option<NewId> {
        if arg == b"*" {
            return Some(NewId::Auto);
        }
        if let Some(ms) = arg.strip_suffix(b"-*") {
            let ms = number(std::str::from_utf8(ms).ok()?)?;
            return Some(NewId::AutoSeq(ms));
        }
        StreamId::parse(arg, 0).map(NewId::Explicit)
    }

    /// The ID as the bytes a reply carries.
    pub fn to_bytes(self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

/// An unsigned decimal as Redis's `string2ull` reads one (a leading `+` is allowed).
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || s.starts_with('-') {
        return None;
    }
    s.parse().ok()
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}
