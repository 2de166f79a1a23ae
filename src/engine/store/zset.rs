//! Sorted sets: members ordered by (score, member), with O(1) score lookup.
//!
//! Go original: none (go-redis had no sorted sets). Explained in: book chapter 4.
//!
//! Redis keeps a skip list (ordered by score, then member) beside a hash table (member →
//! score). We keep the same pair with std types: a `BTreeSet<(Score, member)>` for order and a
//! `HashMap<member, f64>` for `ZSCORE`. The B-tree gives O(log n) insert, delete and the start
//! of any score or lex range; what it lacks is the skip list's span counters, so a *rank*
//! (`ZRANK`, `ZRANGE 1000 1010`) costs O(rank) instead of O(log n). We walk from whichever end is
//! nearer, which halves the worst case; an order-statistic tree would remove it, at the cost of
//! writing and teaching a balanced tree by hand.
//!
//! Each member is stored twice (once in each structure). Sharing it through an `Rc` would save
//! the copy but make the type `!Send`, and the store must move between threads. A member of up
//! to 22 bytes is an [`InlineBytes`](super::InlineBytes) kept in the node and the table entry
//! themselves, so the second copy costs 24 bytes and no allocation.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

use super::Bytes;

// ANCHOR: score
/// A score with a total order, so it can key a B-tree. NaN never gets in (every entry point
/// rejects it) and `-0` is stored as `0`, as Redis does, so `total_cmp` agrees with `==`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score(pub f64);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}
// ANCHOR_END: score

/// One end of a score range (`ZRANGEBYSCORE key (1 5`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreBound {
    /// The score.
    pub value: f64,
    /// True for an exclusive bound (`(1`).
    pub exclusive: bool,
}

/// One end of a lex range (`ZRANGEBYLEX key [a (c`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: below every member.
    Min,
    /// `+`: above every member.
    Max,
    /// `[m`: this member included.
    Inclusive(Vec<u8>),
    /// `(m`: this member excluded.
    Exclusive(Vec<u8>),
}

impl ScoreBound {
    /// True if `s` is on the inner side of this bound used as a minimum.
    pub fn below(&self, s: f64) -> bool {
        if self.exclusive {
            self.value < s
        } else {
            self.value <= s
        }
    }

    /// True if `s` is on the inner side of this bound used as a maximum.
    pub fn above(&self, s: f64) -> bool {
        if self.exclusive {
            s < self.value
        } else {
            s <= self.value
        }
    }
}

impl LexBound {
    /// True if `m` is on the inner side of this bound used as a minimum.
    pub fn below(&self, m: &[u8]) -> bool {
        match self {
            LexBound::Min => true,
            LexBound::Max => false,
            LexBound::Inclusive(b) => b.as_slice() <= m,
            LexBound::Exclusive(b) => b.as_slice() < m,
        }
    }

    /// True if `m` is on the inner side of this bound used as a maximum.
    pub fn above(&self, m: &[u8]) -> bool {
        match self {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Inclusive(b) => m <= b.as_slice(),
            LexBound::Exclusive(b) => m < b.as_slice(),
        }
    }
}

/// What [`ZSet::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// A new member.
    Added,
    /// An existing member got a different score.
    Updated,
    /// An existing member already had this score.
    Unchanged,
}

// Go parity: go-redis had no sorted sets; these follow Redis 7.
// ANCHOR: zset
/// A sorted set.
#[derive(Clone, Debug, Default)]
pub struct ZSet {
    /// Members in (score, member) order: ranges and ranks walk this.
    order: BTreeSet<(Score, Bytes)>,
    /// member → score: `ZSCORE`, and finding a member's place in `order`.
    scores: HashMap<Bytes, f64>,
}
// ANCHOR_END: zset

/// Normalises a score for storage: `-0` becomes `0` (Redis prints `0` for it).
fn clean(score: f64) -> f64 {
    score + 0.0
}

impl ZSet {
    /// An empty sorted set.
    pub fn new() -> Self {
        ZSet::default()
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// True when there are no members.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    // ANCHOR: insert
    /// Sets the score of `member`, adding it if new. O(log n).
    ///
    /// # Panics
    /// Never for a non-NaN score; callers reject NaN before they get here.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Inserted {
        debug_assert!(!score.is_nan());
        let score = clean(score);
        match self.scores.get_mut(member) {
            Some(old) if *old == score => Inserted::Unchanged,
            Some(old) => {
                // Move the member: take its (old score, member) entry out and reuse the bytes.
                let (_, key) = self
                    .order
                    .take(&(Score(*old), Bytes::from(member)))
                    .unwrap_or_else(|| (Score(*old), Bytes::from(member)));
                *old = score;
                self.order.insert((Score(score), key));
                Inserted::Updated
            }
            None => {
                let key: Bytes = member.into();
                self.order.insert((Score(score), key.clone()));
                self.scores.insert(key, score);
                Inserted::Added
            }
        }
    }
    // ANCHOR_END: insert

    /// Removes `member`; returns its score if it was there. O(log n).
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (key, score) = self.scores.remove_entry(member)?;
        self.order.remove(&(Score(score), key));
        Some(score)
    }

    /// Removes and returns the lowest (`min`) or highest member.
    pub fn pop(&mut self, min: bool) -> Option<(Bytes, f64)> {
        let (score, member) = if min {
            self.order.pop_first()?
        } else {
            self.order.pop_last()?
        };
        self.scores.remove(&member);
        Some((member, score.0))
    }

    /// Every member in order, lowest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&[u8], f64)> + '_ {
        self.order.iter().map(|(s, m)| (&m[..], s.0))
    }

    /// The 0-based rank of `member`, lowest score first. O(rank): see the module comment.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        let probe = (Score(score), Bytes::from(member));
        Some(self.order.range(..&probe).count())
    }

    /// Members with rank in `start..=stop` (0-based, already clamped to the set), lowest first
    /// or, with `rev`, highest first (ranks counted from the top). Walks from the nearer end.
    pub fn range_by_rank(&self, start: usize, stop: usize, rev: bool) -> Vec<(&[u8], f64)> {
        let n = self.len();
        if start > stop || start >= n {
            return Vec::new();
        }
        let stop = stop.min(n - 1);
        let take = stop - start + 1;
        // Ranks from the bottom of the set, whatever the direction asked.
        let (lo, hi) = if rev {
            (n - 1 - stop, n - 1 - start)
        } else {
            (start, stop)
        };
        let mut out: Vec<(&[u8], f64)> = if lo <= n - 1 - hi {
            self.iter().skip(lo).take(take).collect()
        } else {
            let mut v: Vec<_> = self.iter().rev().skip(n - 1 - hi).take(take).collect();
            v.reverse();
            v
        };
        if rev {
            out.reverse();
        }
        out
    }

    /// The B-tree iterator over scores in `[min, max]` (bounds as given), lowest first.
    fn score_range(
        &self,
        min: ScoreBound,
        max: ScoreBound,
    ) -> std::collections::btree_set::Range<'_, (Score, Bytes)> {
        // An empty member sorts before every other, so (score, "") starts a score's run.
        let lo = Bound::Included((Score(clean(min.value)), Bytes::default()));
        let hi = if max.value == f64::INFINITY || max.value.is_nan() {
            Bound::Unbounded
        } else {
            // Everything with a score at most max: end before (next score up, "").
            Bound::Excluded((Score(next_up(clean(max.value))), Bytes::default()))
        };
        if min.value > max.value {
            // An empty range: BTreeSet::range panics when start > end.
            let empty = (Score(f64::INFINITY), Bytes::default());
            return self
                .order
                .range((Bound::Excluded(empty.clone()), Bound::Included(empty)));
        }
        self.order.range((lo, hi))
    }

    /// Members with a score between `min` and `max`, lowest first (`rev`: highest first),
    /// skipping `offset` and returning at most `limit` (`None`: all). O(log n + offset + limit).
    pub fn range_by_score(
        &self,
        min: ScoreBound,
        max: ScoreBound,
        rev: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Vec<(&[u8], f64)> {
        let limit = limit.unwrap_or(usize::MAX);
        let it = self
            .score_range(min, max)
            .filter(move |(s, _)| min.below(s.0) && max.above(s.0))
            .map(|(s, m)| (&m[..], s.0));
        if rev {
            it.rev().skip(offset).take(limit).collect()
        } else {
            it.skip(offset).take(limit).collect()
        }
    }

    /// Number of members with a score between `min` and `max`. O(log n + matches).
    pub fn count_by_score(&self, min: ScoreBound, max: ScoreBound) -> usize {
        self.score_range(min, max)
            .filter(|(s, _)| min.below(s.0) && max.above(s.0))
            .count()
    }

    /// Members between two lex bounds, for a set whose members all share one score (what
    /// `BYLEX` is defined for). When they do, this is a B-tree range: O(log n + matches); when
    /// they do not, Redis's answer is unspecified and we filter every member in order.
    pub fn range_by_lex(
        &self,
        min: &LexBound,
        max: &LexBound,
        rev: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Vec<(&[u8], f64)> {
        let limit = limit.unwrap_or(usize::MAX);
        let it = self.lex_iter(min, max);
        if rev {
            it.rev().skip(offset).take(limit).collect()
        } else {
            it.skip(offset).take(limit).collect()
        }
    }

    /// Number of members between two lex bounds (`ZLEXCOUNT`).
    pub fn count_by_lex(&self, min: &LexBound, max: &LexBound) -> usize {
        self.lex_iter(min, max).count()
    }

    fn lex_iter<'a: 'b, 'b>(
        &'a self,
        min: &'b LexBound,
        max: &'b LexBound,
    ) -> Box<dyn DoubleEndedIterator<Item = (&'a [u8], f64)> + 'b> {
        let inside = move |e: &&(Score, Bytes)| min.below(&e.1) && max.above(&e.1);
        let pair = |e: &'a (Score, Bytes)| (&e.1[..], e.0.0);
        let (Some(first), Some(last)) = (self.order.first(), self.order.last()) else {
            return Box::new(std::iter::empty());
        };
        if first.0 != last.0 {
            return Box::new(self.order.iter().filter(inside).map(pair));
        }
        let score = first.0;
        let bound = |b: &LexBound| match b {
            LexBound::Inclusive(m) => Bound::Included((score, Bytes::from(&m[..]))),
            LexBound::Exclusive(m) => Bound::Excluded((score, Bytes::from(&m[..]))),
            LexBound::Min | LexBound::Max => Bound::Unbounded,
        };
        let (lo, hi) = (bound(min), bound(max));
        // BTreeSet::range panics on an inverted range; such a range is simply empty.
        let valid = match (&lo, &hi) {
            (Bound::Included(a), Bound::Included(b)) => a <= b,
            (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) => {
                a < b
            }
            _ => true,
        };
        if !valid {
            return Box::new(std::iter::empty());
        }
        // The filter still applies: `-` and `+` map to an unbounded end, `[+` to a real member.
        Box::new(self.order.range((lo, hi)).filter(inside).map(pair))
    }

    /// Removes every member with rank in `start..=stop` (clamped); returns how many went.
    pub fn remove_range_by_rank(&mut self, start: usize, stop: usize) -> Vec<Bytes> {
        let doomed: Vec<Bytes> = self
            .range_by_rank(start, stop, false)
            .into_iter()
            .map(|(m, _)| Bytes::from(m))
            .collect();
        for m in &doomed {
            self.remove(m);
        }
        doomed
    }
}

/// The smallest double above `x` (`f64::next_up`, spelled out for older toolchains).
fn next_up(x: f64) -> f64 {
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x == 0.0 {
        return f64::from_bits(1);
    }
    let bits = x.to_bits();
    if x > 0.0 {
        f64::from_bits(bits + 1)
    } else {
        f64::from_bits(bits - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sb(value: f64, exclusive: bool) -> ScoreBound {
        ScoreBound { value, exclusive }
    }

    #[test]
    fn insert_update_remove_keep_both_views_in_step() {
        let mut z = ZSet::new();
        assert_eq!(z.insert(b"a", 1.0), Inserted::Added);
        assert_eq!(z.insert(b"b", 2.0), Inserted::Added);
        assert_eq!(z.insert(b"a", 1.0), Inserted::Unchanged);
        assert_eq!(z.insert(b"a", 3.0), Inserted::Updated);
        let all: Vec<_> = z.iter().collect();
        assert_eq!(all, vec![(&b"b"[..], 2.0), (&b"a"[..], 3.0)]);
        assert_eq!(z.rank(b"a"), Some(1));
        assert_eq!(z.remove(b"b"), Some(2.0));
        assert_eq!(z.len(), 1);
        assert_eq!(z.pop(true), Some((Bytes::from(&b"a"[..]), 3.0)));
        assert!(z.is_empty());
    }

    #[test]
    fn ties_order_by_member_bytes_and_negative_zero_is_zero() {
        let mut z = ZSet::new();
        z.insert(b"b", 0.0);
        z.insert(b"a", -0.0);
        z.insert(b"c", f64::NEG_INFINITY);
        let all: Vec<_> = z.iter().map(|(m, _)| m.to_vec()).collect();
        assert_eq!(all, vec![b"c".to_vec(), b"a".to_vec(), b"b".to_vec()]);
        assert!(z.score(b"a").is_some_and(|s| s.is_sign_positive()));
    }

    #[test]
    fn score_ranges_honour_exclusive_bounds_and_infinities() {
        let mut z = ZSet::new();
        for (i, m) in [b"a", b"b", b"c", b"d"].iter().enumerate() {
            z.insert(*m, i as f64);
        }
        let names =
            |v: Vec<(&[u8], f64)>| v.into_iter().map(|(m, _)| m.to_vec()).collect::<Vec<_>>();
        assert_eq!(
            names(z.range_by_score(sb(1.0, false), sb(2.0, false), false, 0, None)),
            vec![b"b".to_vec(), b"c".to_vec()]
        );
        assert_eq!(
            names(z.range_by_score(sb(1.0, true), sb(3.0, true), false, 0, None)),
            vec![b"c".to_vec()]
        );
        assert_eq!(
            z.count_by_score(sb(f64::NEG_INFINITY, false), sb(f64::INFINITY, false)),
            4
        );
        assert_eq!(z.count_by_score(sb(3.0, false), sb(1.0, false)), 0);
        assert_eq!(
            names(z.range_by_score(sb(0.0, false), sb(9.0, false), true, 1, Some(2))),
            vec![b"c".to_vec(), b"b".to_vec()]
        );
    }

    #[test]
    fn lex_ranges_and_rank_ranges() {
        let mut z = ZSet::new();
        for m in [b"a", b"b", b"c", b"d"] {
            z.insert(m, 0.0);
        }
        let names =
            |v: Vec<(&[u8], f64)>| v.into_iter().map(|(m, _)| m.to_vec()).collect::<Vec<_>>();
        let got = z.range_by_lex(
            &LexBound::Exclusive(b"a".to_vec()),
            &LexBound::Inclusive(b"c".to_vec()),
            false,
            0,
            None,
        );
        assert_eq!(names(got), vec![b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(z.count_by_lex(&LexBound::Min, &LexBound::Max), 4);
        assert_eq!(
            z.count_by_lex(
                &LexBound::Inclusive(b"c".to_vec()),
                &LexBound::Exclusive(b"a".to_vec())
            ),
            0
        );
        assert_eq!(
            names(z.range_by_rank(1, 2, true)),
            vec![b"c".to_vec(), b"b".to_vec()]
        );
        assert_eq!(
            names(z.range_by_rank(2, 10, false)),
            vec![b"c".to_vec(), b"d".to_vec()]
        );
        z.insert(b"e", 1.0);
        assert_eq!(
            z.count_by_lex(&LexBound::Inclusive(b"b".to_vec()), &LexBound::Max),
            4
        );
        assert_eq!(z.remove_range_by_rank(0, 1).len(), 2);
        assert_eq!(z.len(), 3);
    }
}
