//! Sorted sets: members ordered by (score, member), with O(1) score lookup.
//!
//! Explained in: book chapter 4.

/// A sorted set. (Placeholder until the data-types work fills it in.)
#[derive(Clone, Debug, Default)]
pub struct ZSet {
    len: usize,
}

impl ZSet {
    /// Number of members.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Every (member, score) pair in order; the AOF rewrite writes them back as `ZADD`.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> {
        std::iter::empty()
    }

    /// True when there are no members.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
