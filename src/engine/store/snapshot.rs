//! Snapshots: the whole keyspace frozen at one instant, taken in microseconds under the read
//! guard and read at leisure with no lock held.
//!
//! Go original: none. Explained in: book chapter 6, "A snapshot without `fork`".
//!
// ANCHOR: snapshot_design
//! A database's keys and deadlines are split into [`SLOTS`](super::SLOTS) tables, each in a
//! [`CowBox`]. Taking a snapshot clones the boxes: 4,096 reference-count increments a
//! database, however many keys it holds. From then on the live store and the snapshot share
//! every table until a writer changes one: its first write to a shared table copies that table
//! (about 1/4096 of the keys, and only the collection *headers*: the collections are `CowBox`es
//! too, shared until written). So no writer waits longer than one slot's copy, and the memory a
//! snapshot costs is what the writers change while it lives, as with `fork`.
//!
//! The reader of a snapshot walks it slot by slot and lets each slot go as soon as it has
//! written it out ([`DbSnapshot::drain`]): from then on a writer to that slot finds it unshared
//! again and copies nothing.
// ANCHOR_END: snapshot_design

use super::expiry::DeadlineSlot;
use super::{CowBox, Data, Db, KeySlot, Store};

/// One database frozen: its slots and the deadlines beside them.
pub struct DbSnapshot {
    /// The database's number.
    pub db: usize,
    /// Keys stored when the snapshot was taken (some may be expired: see [`DbSnapshot::drain`]).
    pub keys: usize,
    /// Keys with a deadline when the snapshot was taken.
    pub expires: usize,
    slots: Vec<CowBox<KeySlot>>,
    deadlines: Vec<CowBox<DeadlineSlot>>,
}

/// Every non-empty database frozen at one instant.
pub struct Snapshot {
    /// The time it was taken (Unix ms): keys whose deadline had passed are left out.
    pub taken_at: u64,
    /// The non-empty databases, in number order.
    pub dbs: Vec<DbSnapshot>,
}

impl Snapshot {
    /// Keys in the snapshot, counting expired ones not yet deleted.
    pub fn keys(&self) -> usize {
        self.dbs.iter().map(|db| db.keys).sum()
    }
}

impl Db {
    /// Freezes this database: O(slots), not O(keys).
    pub fn snapshot(&self, index: usize) -> DbSnapshot {
        DbSnapshot {
            db: index,
            keys: self.raw_len(),
            expires: self.expires().len(),
            slots: self.slots.clone(),
            deadlines: self.expires().share_slots(),
        }
    }
}

impl Store {
    // ANCHOR: store_snapshot
    /// Freezes every non-empty database. Call under the read guard: no write can come between
    /// two databases, so the snapshot is one instant of the whole store.
    pub fn snapshot(&self, now: u64) -> Snapshot {
        Snapshot {
            taken_at: now,
            dbs: self
                .iter()
                .filter(|(_, db)| db.raw_len() > 0)
                .map(|(index, db)| db.snapshot(index))
                .collect(),
        }
    }
    // ANCHOR_END: store_snapshot
}

impl DbSnapshot {
    // ANCHOR: drain
    /// Visits every key that was live at `taken_at` with its value and deadline, slot by slot,
    /// releasing each slot once visited so that writers stop copying it. Stops at the first
    /// error `visit` returns.
    ///
    /// # Errors
    /// Whatever `visit` returns.
    pub fn drain<E>(
        self,
        taken_at: u64,
        mut visit: impl FnMut(&[u8], &Data, Option<u64>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut deadlines = self.deadlines.into_iter();
        for slot in self.slots {
            let deadline_slot = deadlines.next();
            for (key, data) in slot.iter() {
                let key = key.as_bytes();
                let deadline = deadline_slot
                    .as_ref()
                    .and_then(|d| d.get(key))
                    .map(|&(at, _)| at);
                if deadline.is_some_and(|at| at <= taken_at) {
                    continue;
                }
                visit(key, data, deadline)?;
            }
            // `slot` and `deadline_slot` drop here: the live store owns them alone again.
        }
        Ok(())
    }
    // ANCHOR_END: drain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::store::{List, Store};

    fn collect(snap: Snapshot) -> Vec<(usize, Vec<u8>, String, Option<u64>)> {
        let at = snap.taken_at;
        let mut out = Vec::new();
        for db in snap.dbs {
            let n = db.db;
            db.drain(at, |k, d, dl| {
                let v = match d {
                    Data::Str(s) => String::from_utf8_lossy(s).into_owned(),
                    Data::List(l) => {
                        format!("{:?}", l.iter().map(|e| e.to_vec()).collect::<Vec<_>>())
                    }
                    other => other.type_name().to_string(),
                };
                out.push((n, k.to_vec(), v, dl));
                Ok::<(), ()>(())
            })
            .unwrap();
        }
        out.sort();
        out
    }

    #[test]
    fn writes_after_the_snapshot_do_not_show_in_it() {
        let mut st = Store::new();
        st.db_mut(0).set(b"a", Data::Str(b"1".as_slice().into()), 0);
        let list: List = [b"x".as_slice()].into_iter().collect();
        st.db_mut(3).set(b"l", Data::from(list), 0);
        st.db_mut(3).set(b"t", Data::Str(b"t".as_slice().into()), 0);
        st.db_mut(3).set_deadline(b"t", 500, 0);
        st.db_mut(3)
            .set(b"gone", Data::Str(b"g".as_slice().into()), 0);
        st.db_mut(3).set_deadline(b"gone", 10, 0);

        let snap = st.snapshot(100);
        // Change everything after the freeze: new keys, a deleted key, an element pushed.
        st.db_mut(0)
            .set(b"a", Data::Str(b"2".as_slice().into()), 100);
        st.db_mut(0)
            .set(b"new", Data::Str(b"n".as_slice().into()), 100);
        st.db_mut(3).remove(b"t", 100);
        if let Some(Data::List(l)) = st.db_mut(3).get_mut(b"l", 100) {
            l.push_back(b"y");
        }

        let seen = collect(snap);
        assert_eq!(
            seen,
            vec![
                (0, b"a".to_vec(), "1".into(), None),
                (3, b"l".to_vec(), format!("{:?}", vec![b"x".to_vec()]), None),
                (3, b"t".to_vec(), "t".into(), Some(500)),
            ]
        );
        // And the live store has the changes.
        let Some(Data::List(l)) = st.db(3).get(b"l", 100) else {
            panic!()
        };
        assert_eq!(l.len(), 2);
        assert!(st.db(3).get(b"t", 100).is_none());
    }

    #[test]
    fn a_drained_slot_is_no_longer_shared() {
        let mut st = Store::new();
        st.db_mut(0).set(b"k", Data::Str(b"v".as_slice().into()), 0);
        let slot = super::super::slot_of(b"k");
        let snap = st.snapshot(0);
        assert!(CowBox::is_shared(&st.db(0).slots[slot]));
        for db in snap.dbs {
            db.drain(0, |_, _, _| Ok::<(), ()>(())).unwrap();
        }
        assert!(!CowBox::is_shared(&st.db(0).slots[slot]));
    }
}
