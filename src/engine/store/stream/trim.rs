//! Trimming a stream from its oldest end: `XTRIM`, and `XADD`'s `MAXLEN`/`MINID`.

use super::{Stream, StreamId};

/// What to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trim {
    /// At most this many entries.
    MaxLen(u64),
    /// No entry below this ID.
    MinId(StreamId),
}

/// How exact a trim is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrimLimit {
    /// `=`: remove every entry the strategy names.
    Exact,
    /// `~`: remove whole nodes only, and at most this many entries (0: no cap).
    Approx(u64),
}

impl Stream {
    // ANCHOR: trim
    /// Removes entries from the front as `trim` says; returns how many went. An approximate trim
    /// removes only whole nodes, so it stops at the first node it would have to cut into, and
    /// stops before a node that would take it past its cap (Redis's `streamTrim`).
    pub fn trim(&mut self, trim: Trim, limit: TrimLimit) -> u64 {
        let mut deleted = 0u64;
        while let Some(mut first) = self.nodes.first_entry() {
            if let Trim::MaxLen(max) = trim
                && self.len as u64 <= max
            {
                break;
            }
            let node = first.get_mut();
            let entries = node.entries.len() as u64;
            if let TrimLimit::Approx(cap) = limit
                && cap > 0
                && deleted + entries > cap
            {
                break;
            }
            let whole = match trim {
                Trim::MaxLen(max) => self.len as u64 - entries >= max,
                Trim::MinId(min) => node.last < min,
            };
            if whole {
                first.remove();
                self.len -= entries as usize;
                deleted += entries;
                continue;
            }
            if limit != TrimLimit::Exact {
                break;
            }
            let cut = match trim {
                Trim::MaxLen(max) => (self.len as u64 - max) as usize,
                Trim::MinId(min) => node.entries.partition_point(|e| e.id < min),
            };
            node.entries.drain(..cut);
            if node.entries.is_empty() {
                first.remove();
            }
            self.len -= cut;
            deleted += cut as u64;
            // The rest of the nodes are all newer than what this one kept.
            break;
        }
        deleted
    }
    // ANCHOR_END: trim
}
