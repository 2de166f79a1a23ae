//! The numbered databases: what lives behind the server's one lock.
//!
//! Go original: none (go-redis had one keyspace). Explained in: book chapter 4, "Sixteen
//! databases".
//!
//! Redis gives every server `databases` keyspaces (16 by default), numbered from 0; a client
//! starts in database 0 and `SELECT n` moves it. Each database is a [`Db`] of its own: its own
//! keys, its own TTL index, its own `DBSIZE`. What they share is kept here, once: the lock (the
//! one `Arc<RwLock<Store>>`), the `WATCH` table (a watcher names the database it watches in),
//! the active-expiry cycle's figures, and where the next cycle starts.
//!
//! A write handler works on its client's database as `ctx.db`; the few commands that reach
//! across (`MOVE`, `SWAPDB`, `COPY … DB`, `FLUSHALL`) get the others through [`OtherDbs`], a
//! borrow of every database but the selected one, which is how Rust lets one command hold two
//! databases mutably at once.

use super::{Data, Db, Key, StoreStats, WatchTable};

/// Every database, and what they share.
pub struct Store {
    dbs: Vec<Db>,
    /// Who watches which key in which database (`WATCH`); here because it changes under the
    /// same lock, and because `SWAPDB` swaps databases but not their watchers.
    pub watch: WatchTable,
    /// The active-expiry cycle's figures for `INFO` (`expired_keys` is summed from the
    /// databases by [`Store::stats`]).
    pub stats: StoreStats,
    /// The database the next active-expiry cycle starts at: a cycle that runs out of time
    /// leaves the rest for the next one, as Redis's `current_db` does.
    pub next_expire_db: usize,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    /// Redis's default number of databases (`databases 16`).
    pub const DEFAULT_DATABASES: usize = 16;

    /// A store of [`Store::DEFAULT_DATABASES`] empty databases.
    pub fn new() -> Self {
        Store::with_databases(Store::DEFAULT_DATABASES)
    }

    /// A store of `count` empty databases (at least one).
    pub fn with_databases(count: usize) -> Self {
        Store {
            dbs: (0..count.max(1)).map(|_| Db::new()).collect(),
            watch: WatchTable::default(),
            stats: StoreStats::default(),
            next_expire_db: 0,
        }
    }

    /// How many databases there are: `SELECT` takes 0 to this minus one.
    pub fn count(&self) -> usize {
        self.dbs.len()
    }

    /// Database `index`.
    ///
    /// # Panics
    /// If `index` is not below [`Store::count`]: callers check client input first (`SELECT`
    /// refuses such a number), so this is a bug, not bad input.
    pub fn db(&self, index: usize) -> &Db {
        &self.dbs[index]
    }

    /// Database `index`, writable. Panics as [`Store::db`] does.
    pub fn db_mut(&mut self, index: usize) -> &mut Db {
        &mut self.dbs[index]
    }

    /// Number of keys stored in all the databases together (see [`Db::len`]).
    pub fn len(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }

    /// True when no database holds a key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every database with its number, in order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Db)> {
        self.dbs.iter().enumerate()
    }

    /// Every database, writable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Db> {
        self.dbs.iter_mut()
    }

    // ANCHOR: split
    /// Database `index` apart from all the others, so a command can change its own database
    /// and another one at once (`MOVE`), and the `WATCH` table beside them. Panics as
    /// [`Store::db`] does.
    pub fn split(&mut self, index: usize) -> (&mut Db, OtherDbs<'_>, &mut WatchTable) {
        let (before, rest) = self.dbs.split_at_mut(index);
        let (selected, after) = rest
            .split_first_mut()
            .expect("database index checked by the caller");
        (selected, OtherDbs { before, after }, &mut self.watch)
    }
    // ANCHOR_END: split

    /// Puts the databases of `new` in place of these (a replica's full sync), marks every
    /// watched key as touched, and hands back the old databases for the caller to free.
    pub fn replace_dbs(&mut self, new: Store) -> Vec<Db> {
        self.watch.touch_where(|_, _| true);
        std::mem::replace(&mut self.dbs, new.dbs)
    }

    /// Takes, from every database, the keys lazy expiry deleted since the last call, each with
    /// its database's number.
    pub fn take_lazily_expired(&mut self) -> Vec<(usize, Key)> {
        let mut all = Vec::new();
        for (index, db) in self.dbs.iter_mut().enumerate() {
            if db.has_lazily_expired() {
                all.extend(db.take_lazily_expired().into_iter().map(|k| (index, k)));
            }
        }
        all
    }

    /// Takes, from every database, the big values expiry deleted since the last call.
    pub fn take_expired_values(&mut self) -> Vec<Data> {
        let mut all = Vec::new();
        for db in &mut self.dbs {
            all.append(&mut db.take_expired_values());
        }
        all
    }

    /// The `INFO` counters, with `expired_keys` summed over the databases.
    pub fn stats(&self) -> StoreStats {
        let mut stats = self.stats.clone();
        stats.expired_keys = self.dbs.iter().map(Db::expired_count).sum();
        stats
    }

    /// `keyspace_hits` and `keyspace_misses`, summed over the databases.
    pub fn keyspace_hits_misses(&self) -> (u64, u64) {
        self.dbs
            .iter()
            .map(Db::keyspace_hits_misses)
            .fold((0, 0), |(h, m), (dh, dm)| (h + dh, m + dm))
    }

    /// Zeroes every counter `CONFIG RESETSTAT` resets.
    pub fn reset_stats(&mut self) {
        self.stats = StoreStats::default();
        for db in &mut self.dbs {
            db.reset_counters();
        }
    }

    /// Swaps the contents of databases `a` and `b` (`SWAPDB`): their clients now see each
    /// other's keys. The watchers stay with the numbers: the caller touches them.
    pub fn swap(&mut self, a: usize, b: usize) {
        self.dbs.swap(a, b);
    }
}

/// Every database except the selected one, borrowed beside it (see [`Store::split`]).
pub struct OtherDbs<'a> {
    before: &'a mut [Db],
    after: &'a mut [Db],
}

impl OtherDbs<'_> {
    /// Database `index`, or `None` if `index` is the selected database or out of range.
    pub fn get_mut(&mut self, index: usize) -> Option<&mut Db> {
        let selected = self.before.len();
        match index.cmp(&selected) {
            std::cmp::Ordering::Less => self.before.get_mut(index),
            std::cmp::Ordering::Equal => None,
            std::cmp::Ordering::Greater => self.after.get_mut(index - selected - 1),
        }
    }

    /// Database `index` read-only, as [`OtherDbs::get_mut`].
    pub fn get(&self, index: usize) -> Option<&Db> {
        let selected = self.before.len();
        match index.cmp(&selected) {
            std::cmp::Ordering::Less => self.before.get(index),
            std::cmp::Ordering::Equal => None,
            std::cmp::Ordering::Greater => self.after.get(index - selected - 1),
        }
    }

    /// How many databases there are, the selected one included.
    pub fn count(&self) -> usize {
        self.before.len() + 1 + self.after.len()
    }

    /// The selected database's number: the one these are all the others of.
    pub fn selected(&self) -> usize {
        self.before.len()
    }

    /// Every other database, writable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Db> {
        self.before.iter_mut().chain(self.after.iter_mut())
    }

    /// Every other database with its number, writable.
    pub fn numbered_mut(&mut self) -> impl Iterator<Item = (usize, &mut Db)> {
        let skip = self.before.len() + 1;
        let before = self.before.iter_mut().enumerate();
        before.chain(
            self.after
                .iter_mut()
                .enumerate()
                .map(move |(i, db)| (i + skip, db)),
        )
    }

    /// Swaps two databases, neither of them the selected one. Returns false, changing nothing,
    /// if either is the selected one or out of range.
    pub fn swap(&mut self, a: usize, b: usize) -> bool {
        let selected = self.selected();
        let count = self.count();
        if a == selected || b == selected || a >= count || b >= count {
            return false;
        }
        if a != b {
            // Through an empty database: the two may lie on different sides of the selected one.
            let taken = std::mem::take(self.get_mut(a).expect("in range, not selected"));
            let other = std::mem::replace(self.get_mut(b).expect("in range, not selected"), taken);
            *self.get_mut(a).expect("in range, not selected") = other;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::store::Data;

    fn put(db: &mut Db, key: &str) {
        db.set(key.as_bytes(), Data::Str(b"v".as_slice().into()), 0);
    }

    #[test]
    fn databases_are_separate_keyspaces() {
        let mut store = Store::new();
        assert_eq!(store.count(), 16);
        put(store.db_mut(0), "a");
        put(store.db_mut(9), "b");
        assert!(store.db(0).contains(b"a", 0) && !store.db(0).contains(b"b", 0));
        assert!(store.db(9).contains(b"b", 0) && !store.db(9).contains(b"a", 0));
    }

    #[test]
    fn split_gives_the_selected_database_and_every_other() {
        let mut store = Store::with_databases(4);
        put(store.db_mut(3), "x");
        let (selected, mut others, _) = store.split(1);
        put(selected, "mine");
        assert!(others.get_mut(1).is_none());
        assert!(others.get_mut(4).is_none());
        assert!(others.get(3).is_some_and(|db| db.contains(b"x", 0)));
        assert_eq!(others.iter_mut().count(), 3);
        let numbers: Vec<usize> = others.numbered_mut().map(|(n, _)| n).collect();
        assert_eq!(numbers, vec![0, 2, 3]);
        assert!(others.swap(0, 3));
        assert!(!others.swap(1, 3));
        assert!(store.db(0).contains(b"x", 0));
        assert!(store.db(1).contains(b"mine", 0));
    }

    #[test]
    fn lazily_expired_keys_carry_their_database() {
        let mut store = Store::with_databases(3);
        put(store.db_mut(2), "k");
        store.db_mut(2).set_deadline(b"k", 10, 0);
        assert!(store.db_mut(2).get_mut(b"k", 20).is_none());
        // Told of once as it happens, and still there for the commit's DEL.
        assert_eq!(store.db_mut(2).newly_expired(), &[Key::from(&b"k"[..])]);
        assert!(store.db_mut(2).newly_expired().is_empty());
        assert_eq!(store.take_lazily_expired(), vec![(2, Key::from(&b"k"[..]))]);
        assert_eq!(store.stats().expired_keys, 1);
        store.reset_stats();
        assert_eq!(store.stats().expired_keys, 0);
    }
}
