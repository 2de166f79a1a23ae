//! The set type: O(1) add, remove and membership like any hash set, and — what std's `HashSet`
//! cannot give — a random member in O(1), which `SPOP` and `SRANDMEMBER` need.
//!
//! Go original: none (go-redis listed sets as planned). Explained in: book chapter 4, "A set
//! that can pick at random".
//!
//! Redis picks a random member by probing random buckets of its dict. std's `HashSet` hides its
//! buckets, so the only way to its n-th member is to walk n of them: `SPOP` on a set of 100,000
//! members ran at 0.2× Redis when it did that. So the members live in a dense `Vec`, where a
//! random member is a random index, and a small open-addressing table maps each member to its
//! position in that `Vec`. Removing a member swaps the last one into its place (the trick the
//! TTL index of chapter 5 uses), so the `Vec` never has holes.
//!
//! The table holds 8 bytes per slot — 32 bits of the member's hash and its position — and is
//! at most three quarters full, so a member costs its 24-byte [`Bytes`] plus 11–21 bytes of
//! table: no more than the std `HashSet` it replaces.

use std::hash::{BuildHasher, RandomState};

use rand::Rng;

use super::Bytes;

// ANCHOR: member_set
/// A set of byte strings, with members addressable by position for random picks.
///
/// Iteration order is the order of positions: insertion order until removals move the last
/// member into a freed place. Like Redis's, it is unspecified.
#[derive(Clone, Default)]
pub struct MemberSet {
    /// The members, without holes.
    members: Vec<Bytes>,
    /// Open addressing with linear probing; the length is zero or a power of two.
    table: Box<[Slot]>,
    /// Hashes members (SipHash with a random key per set, so nobody can choose colliding
    /// members in advance).
    hasher: RandomState,
}

/// One entry of the table: which member (its position) and part of its hash, so that a probe
/// compares member bytes only when the hashes agree, and resizing never rehashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    /// The low 32 bits of the member's hash; its home slot is `hash & mask`.
    hash: u32,
    /// Index into `members`, or [`EMPTY`].
    pos: u32,
}
// ANCHOR_END: member_set

/// The position of a free slot.
const EMPTY: u32 = u32::MAX;

const FREE: Slot = Slot {
    hash: 0,
    pos: EMPTY,
};

/// The smallest table, once there is one.
const MIN_SLOTS: usize = 8;

impl MemberSet {
    /// An empty set; allocates nothing until the first insert.
    pub fn new() -> MemberSet {
        MemberSet::default()
    }

    /// How many members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True if there are no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// True if `member` is in the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        self.find(member, self.hash(member)).is_ok()
    }

    /// Adds `member`; false if it was already there.
    pub fn insert(&mut self, member: Bytes) -> bool {
        let hash = self.hash(&member);
        if self.find(&member, hash).is_ok() {
            return false;
        }
        // Grow before the table passes three quarters full: linear probing gets slow beyond.
        if (self.members.len() + 1) * 4 > self.table.len() * 3 {
            self.resize((self.table.len() * 2).max(MIN_SLOTS));
        }
        // A `u32` position caps a set at 2^32 - 1 members, as Redis caps its sets; that many
        // members would take over 100 GB before this line could be reached.
        let pos = u32::try_from(self.members.len())
            .ok()
            .filter(|&p| p != EMPTY)
            .expect("a set holds fewer than 2^32 - 1 members");
        let Err(free) = self.find(&member, hash) else {
            unreachable!("checked above that the member is absent")
        };
        self.table[free] = Slot { hash, pos };
        self.members.push(member);
        true
    }

    /// Removes `member`; false if it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.find(member, self.hash(member)) {
            Ok(slot) => {
                let pos = self.table[slot].pos as usize;
                self.unlink(slot, pos);
                true
            }
            Err(_) => false,
        }
    }

    // ANCHOR: random
    /// Removes and returns a random member, in O(1): a random position, then the same removal
    /// as [`MemberSet::remove`]. `None` if the set is empty.
    pub fn pop_random(&mut self, rng: &mut impl Rng) -> Option<Bytes> {
        if self.members.is_empty() {
            return None;
        }
        let pos = rng.random_range(0..self.members.len());
        let slot = self.slot_of(pos);
        Some(self.unlink(slot, pos))
    }

    /// A random member, in O(1). `None` if the set is empty.
    pub fn random(&self, rng: &mut impl Rng) -> Option<&Bytes> {
        match self.members.len() {
            0 => None,
            n => Some(&self.members[rng.random_range(0..n)]),
        }
    }
    // ANCHOR_END: random

    /// The member at `pos` (`0..len`), for picking several distinct members by position.
    pub fn get(&self, pos: usize) -> Option<&Bytes> {
        self.members.get(pos)
    }

    /// The members, in position order.
    pub fn iter(&self) -> std::slice::Iter<'_, Bytes> {
        self.members.iter()
    }

    /// Takes every member out, leaving the set empty.
    pub fn drain(&mut self) -> std::vec::IntoIter<Bytes> {
        self.table = Box::default();
        std::mem::take(&mut self.members).into_iter()
    }

    /// Heap bytes the set owns: the member array, the table and members too long to be inline.
    pub fn heap_bytes(&self) -> usize {
        self.members.capacity() * std::mem::size_of::<Bytes>()
            + self.table.len() * std::mem::size_of::<Slot>()
            + self
                .members
                .iter()
                .filter(|m| matches!(m, Bytes::Heap(_)))
                .map(|m| m.len())
                .sum::<usize>()
    }

    fn hash(&self, member: &[u8]) -> u32 {
        self.hasher.hash_one(member) as u32
    }

    fn mask(&self) -> usize {
        self.table.len().wrapping_sub(1)
    }

    // ANCHOR: find
    /// Probes for `member` from its home slot: `Ok(slot)` where it is, or `Err(slot)` of the
    /// first free slot, where it would go. The table is never full, so the walk ends.
    fn find(&self, member: &[u8], hash: u32) -> Result<usize, usize> {
        if self.table.is_empty() {
            return Err(0);
        }
        let mut i = hash as usize & self.mask();
        loop {
            let slot = self.table[i];
            if slot.pos == EMPTY {
                return Err(i);
            }
            if slot.hash == hash && self.members[slot.pos as usize].as_bytes() == member {
                return Ok(i);
            }
            i = (i + 1) & self.mask();
        }
    }
    // ANCHOR_END: find

    /// The table slot that points at position `pos`.
    fn slot_of(&self, pos: usize) -> usize {
        let mut i = self.hash(&self.members[pos]) as usize & self.mask();
        while self.table[i].pos as usize != pos {
            i = (i + 1) & self.mask();
        }
        i
    }

    // ANCHOR: unlink
    /// Removes the member at `pos`, whose table entry is `slot`, and returns it.
    ///
    /// Two repairs keep both structures whole. In the `Vec`, the last member moves into the hole
    /// (`swap_remove`), so its slot must learn its new position. In the table, a free slot would
    /// cut the probe path of any member stored past it; instead of leaving a tombstone, the
    /// entries after the hole shift back into it where their home slot allows ("backward-shift
    /// deletion"), so lookups never slow down after many removals.
    fn unlink(&mut self, slot: usize, pos: usize) -> Bytes {
        let last = self.members.len() - 1;
        if pos != last {
            let moved = self.slot_of(last);
            self.table[moved].pos = pos as u32;
        }
        let member = self.members.swap_remove(pos);

        let mask = self.mask();
        let (mut hole, mut i) = (slot, (slot + 1) & mask);
        while self.table[i].pos != EMPTY {
            let home = self.table[i].hash as usize & mask;
            // The entry may fill the hole if the hole lies on its probe path, i.e. its home is
            // no further from `i` than the hole is.
            if i.wrapping_sub(home) & mask >= i.wrapping_sub(hole) & mask {
                self.table[hole] = self.table[i];
                hole = i;
            }
            i = (i + 1) & mask;
        }
        self.table[hole] = FREE;

        // Give memory back after mass removals, as Redis shrinks its dicts.
        if self.table.len() > MIN_SLOTS && self.members.len() * 8 < self.table.len() {
            self.resize(self.table.len() / 2);
            self.members.shrink_to(self.members.len() * 2);
        }
        member
    }
    // ANCHOR_END: unlink

    /// Rebuilds the table with `slots` slots (a power of two), from the stored hashes.
    fn resize(&mut self, slots: usize) {
        let old = std::mem::replace(&mut self.table, vec![FREE; slots].into_boxed_slice());
        let mask = slots - 1;
        for slot in old.iter().filter(|s| s.pos != EMPTY) {
            let mut i = slot.hash as usize & mask;
            while self.table[i].pos != EMPTY {
                i = (i + 1) & mask;
            }
            self.table[i] = *slot;
        }
    }
}

impl FromIterator<Bytes> for MemberSet {
    fn from_iter<I: IntoIterator<Item = Bytes>>(items: I) -> MemberSet {
        let mut set = MemberSet::new();
        set.extend(items);
        set
    }
}

impl Extend<Bytes> for MemberSet {
    fn extend<I: IntoIterator<Item = Bytes>>(&mut self, items: I) {
        for m in items {
            self.insert(m);
        }
    }
}

impl std::fmt::Debug for MemberSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.members.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::from(s.as_bytes())
    }

    /// Every member is found at the position its slot names, and every slot is reachable from
    /// its home without crossing a free slot.
    fn check_invariants(set: &MemberSet) {
        let used: Vec<&Slot> = set.table.iter().filter(|s| s.pos != EMPTY).collect();
        assert_eq!(used.len(), set.len());
        for (pos, m) in set.members.iter().enumerate() {
            let slot = set
                .find(m, set.hash(m))
                .expect("member reachable from its home slot");
            assert_eq!(set.table[slot].pos as usize, pos);
        }
        assert!(set.len() * 4 <= set.table.len() * 3);
    }

    #[test]
    fn behaves_like_a_hash_set_under_random_operations() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut ours = MemberSet::new();
        let mut model: HashSet<Vec<u8>> = HashSet::new();
        for round in 0..20_000 {
            let m = format!("m{}", rng.random_range(0..500)).into_bytes();
            match rng.random_range(0..3) {
                0 => assert_eq!(ours.remove(&m), model.remove(&m)),
                1 => {
                    if let Some(p) = ours.pop_random(&mut rng) {
                        assert!(model.remove(p.as_bytes()));
                    } else {
                        assert!(model.is_empty());
                    }
                }
                _ => assert_eq!(ours.insert(Bytes::from(&m[..])), model.insert(m.clone())),
            }
            assert_eq!(ours.contains(&m), model.contains(&m));
            if round % 1000 == 0 {
                check_invariants(&ours);
            }
        }
        check_invariants(&ours);
        let got: HashSet<Vec<u8>> = ours.iter().map(|m| m.to_vec()).collect();
        assert_eq!(got, model);
    }

    #[test]
    fn long_members_and_colliding_homes_survive_removal() {
        // Many members in a small table wrap around its end; removing them in a different
        // order exercises backward shifts across the wrap.
        let long = "x".repeat(40);
        let members: Vec<Bytes> = (0..6).map(|i| b(&format!("{long}{i}"))).collect();
        let mut set: MemberSet = members.iter().cloned().collect();
        check_invariants(&set);
        for m in members.iter().rev().step_by(2) {
            assert!(set.remove(m));
            check_invariants(&set);
        }
        assert_eq!(set.len(), 3);
        assert!(set.heap_bytes() >= 3 * 41);
    }

    #[test]
    fn shrinks_after_mass_removal_and_drains() {
        let mut set: MemberSet = (0..10_000).map(|i| b(&i.to_string())).collect();
        let big = set.table.len();
        for i in 0..9_990 {
            assert!(set.remove(i.to_string().as_bytes()));
        }
        assert!(
            set.table.len() < big / 100,
            "table shrank from {big} to {}",
            set.table.len()
        );
        check_invariants(&set);
        let rest: Vec<Bytes> = set.drain().collect();
        assert_eq!(rest.len(), 10);
        assert!(set.is_empty() && !set.contains(b"9999"));
        assert!(set.insert(b("again")));
    }

    #[test]
    fn random_picks_reach_every_member() {
        let mut rng = StdRng::seed_from_u64(1);
        let set: MemberSet = ["a", "b", "c"].into_iter().map(b).collect();
        let seen: HashSet<Vec<u8>> = (0..200)
            .filter_map(|_| set.random(&mut rng))
            .map(|m| m.to_vec())
            .collect();
        assert_eq!(seen.len(), 3);
        assert!(MemberSet::new().random(&mut rng).is_none());
        assert!(MemberSet::new().pop_random(&mut rng).is_none());
    }
}
