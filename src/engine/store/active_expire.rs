//! Active expiry: the sampling cycle that deletes expired keys nobody reads.
//!
//! Go original: `expireCycle` in `internal/engine/store/store.go`. Explained in: book chapter 5.
//!
//! Lazy expiry (the read path refusing to show a key past its deadline) keeps clients from ever
//! *seeing* an expired key, but a key nobody reads again would sit in memory for ever. Something
//! has to go looking for them, and the question is what that costs.
//!
//! - **go-redis** rebuilt a list of every key with a TTL every 100 ms, under the write lock, and
//!   deleted the expired ones: O(keys with a TTL) per tick. With a million TTL keys each tick holds
//!   the lock for tens of milliseconds, whether or not anything is due.
//! - **mini-redis** (tokio's teaching server) keeps deadlines in a `BTreeSet<(Instant, key)>`
//!   ordered by time, and a background task sleeps until the earliest one. Exact and cheap per key
//!   (O(log n) per TTL change, deletion the moment a key is due), but every `SET .. EX` and every
//!   `EXPIRE` pays for a second ordered structure, and a million keys due at the same instant are
//!   all deleted in one go, under the lock, unless the task is taught to pace itself.
//! - **Redis** (`activeExpireCycle` in `expire.c`), and so this file, *samples*. Ten times a second
//!   (`hz`), take 20 random keys from the TTL index and delete those past their deadline. If more
//!   than 25 % of the sample was expired, expired keys are plentiful: sample again. Stop as soon as
//!   a round finds 25 % or less, or when the cycle has used its time budget, 25 % of the period
//!   (25 ms at `hz` 10).
//!
//! Why 20 and 25 %: the cycle only stops when a sample of 20 held at most 5 expired keys, which is
//! unlikely (a binomial tail) while the true fraction of expired keys is well above 25 %. So, once
//! the cycles keep up, expired-but-undeleted keys stay at roughly a quarter of the TTL keys or less;
//! that is memory, never correctness, because the read path hides them all. Each round costs
//! O(20) whatever the size of the keyspace: keys without a TTL are not in the index and are never
//! looked at, and the time cap bounds even a million keys expiring at once. The price is that
//! deletion is statistical rather than exact; INFO's `expired_stale_perc` shows the estimate.
//!
//! Unlike Redis, whose single thread serves no client during its 25 ms, we release the write guard
//! between rounds, so clients' commands run in between. Not after *every* round, though: each
//! hand-over of the lock wakes every waiting client thread and waits for the scheduler, which on a
//! busy machine costs more than deleting 20 keys. A guard is kept for rounds until
//! [`MAX_GUARD_HOLD`] (1 ms) has passed: a client waits about that long at most, and each
//! hand-over moves many rounds' worth of keys. (Releasing after every round swept fewer keys a
//! second than the 1 ms hold, measured in chapter 5; the rest of the gap to Redis was the
//! sweeper's share of the CPU, which `server/expirer.rs` deals with.) The algorithm takes
//! its clock and its random numbers from the caller, so the unit tests below drive it by hand.

use std::ops::DerefMut;
use std::time::{Duration, Instant};

use rand::Rng;

use super::{Db, Key, Store, StoreStats};

/// Keys looked at per round (Redis: `ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
pub const KEYS_PER_ROUND: usize = 20;

/// Another round follows while more than this percentage of a round's sample had expired.
pub const ACCEPTABLE_STALE_PERC: usize = 25;

/// Percentage of each period (`1/hz`) a cycle may use (Redis: `ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC`).
pub const CYCLE_TIME_PERC: u64 = 25;

/// How long one write guard is kept for consecutive rounds before it is released so clients can
/// run: the longest a client waits for the sweeper.
pub const MAX_GUARD_HOLD: Duration = Duration::from_millis(1);

/// The time budget of one cycle at `hz` cycles per second: 25 % of the period.
pub fn time_budget(hz: u32) -> Duration {
    Duration::from_micros(1_000_000 / u64::from(hz.max(1)) * CYCLE_TIME_PERC / 100)
}

// ANCHOR: clock
/// Where a cycle gets its time from: the system in the server, a hand-moved fake in tests.
pub trait Clock {
    /// Wall-clock Unix milliseconds: what deadlines are compared with.
    fn now_ms(&mut self) -> u64;
    /// Time spent since the cycle began, measured against the budget.
    fn elapsed(&mut self) -> Duration;
}
// ANCHOR_END: clock

/// The real clock: [`super::now_ms`] for deadlines, a monotonic [`Instant`] for the budget.
pub struct SystemClock {
    started: Instant,
}

impl SystemClock {
    /// A clock whose budget starts counting now.
    pub fn start() -> Self {
        SystemClock {
            started: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now_ms(&mut self) -> u64 {
        super::now_ms()
    }

    fn elapsed(&mut self) -> Duration {
        self.started.elapsed()
    }
}

/// What one cycle did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CycleReport {
    /// Sampling rounds run (each under its own write guard).
    pub rounds: u64,
    /// Keys looked at, over all rounds.
    pub sampled: u64,
    /// Keys deleted, over all rounds.
    pub expired: u64,
    /// True if the cycle stopped because its time budget was spent, not because few keys were
    /// expired.
    pub time_cap_reached: bool,
}

// ANCHOR: sample_round
/// One round, under the write guard: looks at up to `limit` keys of the TTL index and deletes
/// those whose deadline is at or before `now`. Returns how many keys it looked at and the keys it
/// deleted, for the caller to log as `DEL` effects.
///
/// A key without a TTL is not in the index, so it is never looked at.
pub fn sample_round(
    store: &mut Db,
    now: u64,
    rng: &mut impl Rng,
    limit: usize,
) -> (usize, Vec<Key>) {
    let mut expired = Vec::new();
    let len = store.expires.len();
    if len <= limit {
        // Few enough to look at every one, which random picks would not promise. Walk from the
        // back: a deletion swaps the last key into the hole, and the last key was already seen.
        for i in (0..len).rev() {
            try_expire(store, i, now, &mut expired);
        }
        return (len, expired);
    }
    // Random picks, with replacement: a key seen twice costs a second look, never a wrong answer.
    // The index shrinks as we delete, so each pick asks for its current length.
    for _ in 0..limit {
        let i = rng.random_range(0..store.expires.len());
        try_expire(store, i, now, &mut expired);
    }
    (limit, expired)
}
// ANCHOR_END: sample_round

/// Deletes the key at position `i` of the TTL index if its deadline has passed.
fn try_expire(store: &mut Db, i: usize, now: u64, expired: &mut Vec<Key>) {
    // The index hands the key over, and it becomes the `DEL` effect.
    expired.extend(store.remove_expired_nth(i, now));
}

// ANCHOR: active_expire_cycle
/// One active-expiry cycle over the databases, from [`Store::next_expire_db`] on: in each, rounds
/// of [`KEYS_PER_ROUND`] samples until a round finds at most [`ACCEPTABLE_STALE_PERC`] % expired;
/// the whole cycle stops when `budget` is spent, and the next one starts at the database after
/// the last it visited, as Redis's does. A database without TTL keys is passed over without a
/// round. The write guard comes from `lock` and is released for clients whenever it has been
/// held for [`MAX_GUARD_HOLD`]. `commit` gets each round's database number and deleted keys
/// while the guard is held, so their `DEL`s reach the AOF and `WATCH` in store order. The
/// cycle's figures go into the store's [`StoreStats`] before the last guard is released.
pub fn active_expire_cycle<G: DerefMut<Target = Store>>(
    mut lock: impl FnMut() -> G,
    clock: &mut impl Clock,
    rng: &mut impl Rng,
    budget: Duration,
    mut commit: impl FnMut(&mut Store, usize, u64, Vec<Key>),
) -> CycleReport {
    let mut report = CycleReport::default();
    // One look at the clock per round; the hold is measured from the look before the guard was
    // taken, so time spent waiting for the lock shortens the hold rather than lengthening it.
    let mut spent = Duration::ZERO;
    let mut visited = 0;
    loop {
        let mut guard = lock();
        let store = &mut *guard;
        let held_since = spent;
        loop {
            let index = store.next_expire_db % store.count();
            let mut finished = store.db(index).expires().is_empty();
            let mut out_of_time = false;
            if !finished {
                let now = clock.now_ms();
                let (sampled, expired) =
                    sample_round(store.db_mut(index), now, rng, KEYS_PER_ROUND);
                report.rounds += 1;
                report.sampled += sampled as u64;
                report.expired += expired.len() as u64;
                let again = expired.len() * 100 > sampled * ACCEPTABLE_STALE_PERC;
                if !expired.is_empty() {
                    commit(store, index, now, expired);
                }
                // The budget is wall time, waits for the guard included: when clients keep the
                // lock busy, the sweeper gets fewer rounds, which is the point.
                spent = clock.elapsed();
                out_of_time = again && spent >= budget;
                finished = !again || out_of_time;
            }
            if finished {
                store.next_expire_db = (index + 1) % store.count();
                visited += 1;
                if out_of_time || visited >= store.count() {
                    report.time_cap_reached = out_of_time;
                    record(&mut store.stats, &report, clock.elapsed());
                    return report;
                }
            }
            if spent.saturating_sub(held_since) >= MAX_GUARD_HOLD {
                break;
            }
        }
        // The guard drops here: other clients' commands run before the next round.
    }
}
// ANCHOR_END: active_expire_cycle

// ANCHOR: record
/// Adds a finished cycle to the `INFO` counters, as Redis does at the end of its cycle.
fn record(stats: &mut StoreStats, report: &CycleReport, elapsed: Duration) {
    stats.expire_cycles += 1;
    stats.expire_cycle_sampled_keys += report.sampled;
    stats.expire_cycle_time_used_us += elapsed.as_micros() as u64;
    if report.time_cap_reached {
        stats.expired_time_cap_reached_count += 1;
    }
    // Redis's estimate of the share of TTL keys that are expired but not yet deleted: this
    // cycle's expired/sampled, smoothed by an exponential moving average (weight 5 %).
    let current = if report.sampled == 0 {
        0.0
    } else {
        report.expired as f64 * 100.0 / report.sampled as f64
    };
    stats.expired_stale_perc = current * 0.05 + stats.expired_stale_perc * 0.95;
}
// ANCHOR_END: record

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};
    use std::collections::HashSet;

    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::super::Data;
    use super::*;

    /// A clock the test moves: `now` for deadlines, and `step` added to the elapsed time at each
    /// look, so a test decides after how many rounds the budget runs out.
    struct FakeClock {
        now: u64,
        elapsed: Duration,
        step: Duration,
    }

    impl FakeClock {
        fn at(now: u64) -> Self {
            FakeClock {
                now,
                elapsed: Duration::ZERO,
                step: Duration::ZERO,
            }
        }
    }

    impl Clock for FakeClock {
        fn now_ms(&mut self) -> u64 {
            self.now
        }
        fn elapsed(&mut self) -> Duration {
            self.elapsed += self.step;
            self.elapsed
        }
    }

    fn rng() -> StdRng {
        StdRng::seed_from_u64(7)
    }

    fn v() -> Data {
        Data::Str(b"v".as_slice().into())
    }

    /// A database with `plain` keys without TTL and `ttl` keys due at `at`.
    fn db_with(plain: usize, ttl: usize, at: u64) -> Db {
        let mut st = Db::new();
        for i in 0..plain {
            st.set(format!("plain:{i}").as_bytes(), v(), 0);
        }
        for i in 0..ttl {
            let k = format!("ttl:{i}");
            st.set(k.as_bytes(), v(), 0);
            st.set_deadline(k.as_bytes(), at, 0);
        }
        st
    }

    /// A store whose database 0 is `db`, the others empty.
    fn store_of(db: Db) -> Store {
        let mut store = Store::new();
        *store.db_mut(0) = db;
        store
    }

    /// A store whose database 0 is [`db_with`]`(plain, ttl, at)`.
    fn store_with(plain: usize, ttl: usize, at: u64) -> Store {
        store_of(db_with(plain, ttl, at))
    }

    /// Runs one cycle with the given clock, returning the report and every committed key.
    fn cycle(st: Store, clock: &mut FakeClock, budget: Duration) -> (Store, CycleReport, Vec<Key>) {
        let cell = RefCell::new(st);
        let mut committed = Vec::new();
        let report = active_expire_cycle(
            || cell.borrow_mut(),
            clock,
            &mut rng(),
            budget,
            |_, _, _, keys| committed.extend(keys),
        );
        (cell.into_inner(), report, committed)
    }

    /// Design invariant 3: every key in the TTL index exists in the keyspace.
    fn assert_index_only_holds_live_entries(st: &Db) {
        for (k, _) in st.expires.iter() {
            assert!(
                st.slot(k).is_some_and(|slot| slot.contains_key(k)),
                "index holds {k:?} with no value"
            );
        }
        assert!(st.expires.len() <= st.raw_len());
    }

    #[test]
    fn budget_is_a_quarter_of_the_period() {
        assert_eq!(time_budget(10), Duration::from_millis(25));
        assert_eq!(time_budget(100), Duration::from_micros(2_500));
        assert_eq!(time_budget(0), Duration::from_millis(250));
    }

    #[test]
    fn a_round_samples_twenty_keys() {
        let mut st = db_with(0, 1000, 50);
        let (sampled, expired) = sample_round(&mut st, 10, &mut rng(), KEYS_PER_ROUND);
        assert_eq!((sampled, expired.len()), (20, 0), "nothing due yet");
        let (sampled, expired) = sample_round(&mut st, 50, &mut rng(), KEYS_PER_ROUND);
        assert_eq!(
            (sampled, expired.len()),
            (20, 20),
            "the deadline itself counts as expired"
        );
        assert_eq!(st.raw_len(), 980);
        assert_eq!(st.expires().len(), 980);
        assert_eq!(st.expired_count(), 20);
    }

    #[test]
    fn a_small_index_is_walked_whole() {
        let mut st = db_with(0, 15, 5);
        st.set_deadline(b"ttl:3", 100, 0);
        let (sampled, expired) = sample_round(&mut st, 5, &mut rng(), KEYS_PER_ROUND);
        assert_eq!((sampled, expired.len()), (15, 14));
        assert_eq!(st.expires().len(), 1);
        assert!(st.get(b"ttl:3", 5).is_some());
    }

    #[test]
    fn keys_without_ttl_are_never_touched() {
        let st = store_with(50_000, 0, 0);
        let (st, report, committed) =
            cycle(st, &mut FakeClock::at(u64::MAX), Duration::from_millis(25));
        assert_eq!(
            report,
            CycleReport::default(),
            "a database without TTL keys is passed over"
        );
        assert!(committed.is_empty());
        assert_eq!(st.db(0).raw_len(), 50_000);
        assert_eq!(st.stats().expire_cycle_sampled_keys, 0);
        assert_eq!(st.stats().expire_cycles, 1);
    }

    #[test]
    fn a_million_keys_without_ttl_cost_nothing() {
        // The same store a server would hold; the cycle's work is counted, not timed.
        let mut st = Db::new();
        for i in 0..1_000_000u32 {
            st.set(&i.to_le_bytes(), v(), 0);
        }
        // Two TTL keys among them: only those two are ever looked at.
        for k in [b"due", b"far"] {
            st.set(k, v(), 0);
        }
        st.set_deadline(b"due", 10, 0);
        st.set_deadline(b"far", 1_000, 0);
        let cell = RefCell::new(store_of(st));
        let mut committed = Vec::new();
        let mut clock = FakeClock::at(10);
        for _ in 0..10 {
            active_expire_cycle(
                || cell.borrow_mut(),
                &mut clock,
                &mut rng(),
                Duration::MAX,
                |_, _, _, k| committed.extend(k),
            );
        }
        let st = cell.into_inner();
        assert_eq!(committed, vec![Key::from(&b"due"[..])]);
        // The first cycle looks at both, then at "far" again (half of its first round had
        // expired); each of the nine others looks at "far" once.
        assert_eq!(st.stats().expire_cycle_sampled_keys, 2 + 1 + 9);
        assert_eq!(st.db(0).raw_len(), 1_000_001);
    }

    #[test]
    fn rounds_repeat_while_more_than_a_quarter_expired() {
        // Everything due: every round is 100 % expired, so the cycle runs until the index is
        // empty, and a database with an empty index gets no more rounds.
        let st = store_with(100, 10_000, 5);
        let (st, report, committed) = cycle(st, &mut FakeClock::at(5), Duration::MAX);
        assert_eq!(report.expired, 10_000);
        assert_eq!(report.rounds, 10_000 / 20);
        assert_eq!(committed.len(), 10_000);
        assert_eq!(
            committed.iter().collect::<HashSet<_>>().len(),
            10_000,
            "each key deleted once"
        );
        assert!(!report.time_cap_reached);
        assert_eq!(st.db(0).raw_len(), 100);
        assert_eq!(st.stats().expired_keys, 10_000);
    }

    #[test]
    fn a_quarter_or_less_expired_ends_the_cycle() {
        // 1 key in 1,000 due: a round of 20 almost never finds more than 5, so one round.
        let mut st = db_with(0, 1000, 1_000);
        st.set_deadline(b"ttl:0", 5, 0);
        let (_, report, _) = cycle(store_of(st), &mut FakeClock::at(5), Duration::MAX);
        assert_eq!(report.rounds, 1);
        assert_eq!(report.sampled, 20);

        // Exactly 25 % expired stops too (the rule is "more than"): 5 of a 20-key index.
        let mut st = db_with(0, 20, 1_000);
        for i in 0..5 {
            st.set_deadline(format!("ttl:{i}").as_bytes(), 5, 0);
        }
        let (st, report, _) = cycle(store_of(st), &mut FakeClock::at(5), Duration::MAX);
        assert_eq!((report.rounds, report.expired), (1, 5));
        assert_eq!(st.db(0).expires().len(), 15);

        // 6 of 20 is more than a quarter: a second round follows (and finds nothing).
        let mut st = db_with(0, 20, 1_000);
        for i in 0..6 {
            st.set_deadline(format!("ttl:{i}").as_bytes(), 5, 0);
        }
        let (_, report, _) = cycle(store_of(st), &mut FakeClock::at(5), Duration::MAX);
        assert_eq!(
            (report.rounds, report.expired, report.sampled),
            (2, 6, 20 + 14)
        );
    }

    #[test]
    fn the_time_cap_stops_a_cycle_and_is_counted() {
        let st = store_with(0, 10_000, 5);
        // Each look at the clock costs 10 ms; the budget is 25 ms, so the third round is the last.
        let mut clock = FakeClock::at(5);
        clock.step = Duration::from_millis(10);
        let (st, report, committed) = cycle(st, &mut clock, Duration::from_millis(25));
        assert_eq!(report.rounds, 3);
        assert_eq!(report.expired, 60);
        assert_eq!(committed.len(), 60);
        assert!(report.time_cap_reached);
        assert_eq!(st.stats().expired_time_cap_reached_count, 1);
        assert_eq!(st.db(0).expires().len(), 10_000 - 60);
        // Every round was all expired: the smoothed estimate moved 5 % of the way to 100.
        assert!((st.stats().expired_stale_perc - 5.0).abs() < 1e-9);
    }

    #[test]
    fn commit_runs_under_the_round_guard_with_that_rounds_keys() {
        let st = store_with(0, 100, 5);
        let cell = RefCell::new(st);
        let guards = Cell::new(0);
        let mut batches = Vec::new();
        // Each round takes the clock 1 ms further: every round gets a guard of its own.
        let mut clock = FakeClock::at(5);
        clock.step = MAX_GUARD_HOLD;
        let report = active_expire_cycle(
            || {
                guards.set(guards.get() + 1);
                cell.borrow_mut()
            },
            &mut clock,
            &mut rng(),
            Duration::MAX,
            |store, db, now, keys| {
                // The keys are already gone when the commit sees them.
                assert!(keys.iter().all(|k| store.db(db).get(k, 0).is_none()));
                assert_eq!(now, 5);
                batches.push(keys.len());
            },
        );
        // One more guard than rounds: the last finds the index empty and ends the cycle.
        assert_eq!(guards.get() as u64, report.rounds + 1);
        assert_eq!(batches, vec![20; 5]);
    }

    #[test]
    fn a_guard_is_kept_for_rounds_until_the_hold_limit() {
        let cell = RefCell::new(store_with(0, 1_000, 5));
        let guards = Cell::new(0);
        let take = || {
            guards.set(guards.get() + 1);
            cell.borrow_mut()
        };
        // A quarter of the hold per round: four rounds per guard.
        let mut clock = FakeClock::at(5);
        clock.step = MAX_GUARD_HOLD / 4;
        let report =
            active_expire_cycle(take, &mut clock, &mut rng(), Duration::MAX, |_, _, _, _| {});
        assert_eq!(report.rounds, 1_000 / 20);
        assert_eq!(guards.get(), report.rounds.div_ceil(4));
        // A clock that never moves: the whole cycle under one guard.
        *cell.borrow_mut() = store_with(0, 1_000, 5);
        guards.set(0);
        let take = || {
            guards.set(guards.get() + 1);
            cell.borrow_mut()
        };
        active_expire_cycle(
            take,
            &mut FakeClock::at(5),
            &mut rng(),
            Duration::MAX,
            |_, _, _, _| {},
        );
        assert_eq!(guards.get(), 1);
    }

    #[test]
    fn the_index_never_holds_a_key_without_ttl() {
        // Every way the store drops a TTL: SET, PERSIST, DEL, overwrite, lazy and active expiry,
        // RENAME (delete + set + deadline), empty collections, FLUSHALL.
        let mut st = db_with(0, 10, 100);
        st.set(b"ttl:0", v(), 0);
        assert!(st.persist(b"ttl:1", 0));
        st.remove(b"ttl:2", 0);
        st.set_keep_ttl(b"ttl:3", v(), 0);
        assert_eq!(st.deadline(b"ttl:3", 0), Some(100), "KEEPTTL keeps it");
        // RENAME ttl:4 → plain: the source and its TTL go, the destination's TTL is the source's.
        let at = st.deadline(b"ttl:4", 0);
        let value = st.remove(b"ttl:4", 0).expect("present");
        st.set(b"renamed", value, 0);
        if let Some(at) = at {
            st.set_deadline(b"renamed", at, 0);
        }
        st.set(b"list", Data::List(Default::default()), 0);
        st.set_deadline(b"list", 100, 0);
        assert!(st.remove_if_empty(b"list"));
        assert!(st.get_mut(b"ttl:5", 100).is_none(), "lazily expired");
        st.take_lazily_expired();
        assert!(
            !st.set_deadline(b"missing", 100, 0),
            "no TTL on a missing key"
        );
        assert_index_only_holds_live_entries(&st);
        let mut left: Vec<_> = st.expires().iter().map(|(k, _)| k.to_vec()).collect();
        left.sort();
        let want: Vec<Vec<u8>> = ["renamed", "ttl:3", "ttl:6", "ttl:7", "ttl:8", "ttl:9"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        assert_eq!(left, want);
        sample_round(&mut st, 100, &mut rng(), KEYS_PER_ROUND);
        assert!(st.expires().is_empty());
        assert_eq!(st.raw_len(), 2, "ttl:0 and ttl:1 lost their TTL and stay");
        st.set(b"k", v(), 0);
        st.set_deadline(b"k", 1, 0);
        st.clear();
        assert!(st.expires().is_empty());
    }

    #[test]
    fn random_operations_keep_the_index_exact() {
        // A model check: thousands of random store operations with a moving clock; after each,
        // the index holds exactly the keys that have a TTL, and a sweep never deletes a live key.
        let mut r = StdRng::seed_from_u64(42);
        let mut st = Db::new();
        let mut now = 1_000u64;
        let names: Vec<Vec<u8>> = (0..64).map(|i| format!("k{i}").into_bytes()).collect();
        for step in 0..20_000 {
            let key = &names[r.random_range(0..names.len())];
            match r.random_range(0..9) {
                0 => {
                    let _ = st.set(key, v(), now);
                }
                1 => {
                    let _ = st.set_keep_ttl(key, v(), now);
                }
                2 => {
                    let _ = st.set_deadline(key, now + r.random_range(0..50), now);
                }
                3 => {
                    let _ = st.persist(key, now);
                }
                4 => {
                    let _ = st.remove(key, now);
                }
                5 => {
                    let _ = st.get_mut(key, now);
                }
                6 => {
                    let _ = st.get_or_insert_with(key, now, v);
                }
                7 => {
                    let (_, gone) = sample_round(&mut st, now, &mut r, 5);
                    for k in gone {
                        assert!(
                            st.expires().get(&k).is_none(),
                            "step {step}: {k:?} left in the index"
                        );
                    }
                }
                _ => now += r.random_range(0..10),
            }
            st.take_lazily_expired();
            assert_index_only_holds_live_entries(&st);
            for k in &names {
                let present = st.slot(k).is_some_and(|slot| slot.contains_key(&k[..]));
                let live = st.get(k, now).is_some();
                match st.expires().get(k) {
                    // A key in the index is present; it is live exactly while its deadline is ahead.
                    Some(at) => assert!(present && live == (at > now), "step {step}"),
                    // A key without a TTL never expires: present means live.
                    None => assert_eq!(present, live, "step {step}"),
                }
            }
        }
    }

    #[test]
    fn an_expired_key_is_invisible_before_the_sweeper_comes() {
        // The state between the deadline and the sweep: present in memory, absent to everyone.
        let mut st = db_with(3, 1, 100);
        for now in [100, 101, u64::MAX] {
            assert!(st.get(b"ttl:0", now).is_none());
            assert!(!st.contains(b"ttl:0", now));
            assert_eq!(st.deadline(b"ttl:0", now), None);
            // Counted until deleted, as Redis's DBSIZE counts it; shown by nothing.
            assert_eq!(st.len(), 4);
            assert!(st.iter(now).all(|(k, _)| k != b"ttl:0"));
            let mut scanned = Vec::new();
            let mut cursor = 0;
            loop {
                cursor = st.scan(cursor, 100, now, |k, _| scanned.push(k.to_vec()));
                if cursor == 0 {
                    break;
                }
            }
            assert_eq!(scanned.len(), 3);
            for seed in 0..20 {
                let k = st
                    .random_key(now, &mut StdRng::seed_from_u64(seed))
                    .expect("live keys");
                assert_ne!(k, b"ttl:0");
            }
        }
        assert_eq!(st.raw_len(), 4, "still in memory until swept");
        assert!(
            st.get(b"ttl:0", 99).is_some(),
            "visible one millisecond before"
        );
        sample_round(&mut st, 100, &mut rng(), KEYS_PER_ROUND);
        assert_eq!(st.raw_len(), 3);
    }

    #[test]
    fn a_cycle_visits_every_database_and_resumes_where_time_ran_out() {
        let mut store = Store::new();
        for db in [2, 7] {
            let d = store.db_mut(db);
            for i in 0..100 {
                let k = format!("ttl:{i}");
                d.set(k.as_bytes(), v(), 0);
                d.set_deadline(k.as_bytes(), 5, 0);
            }
        }
        let mut seen = Vec::new();
        let cell = RefCell::new(store);
        let mut clock = FakeClock::at(5);
        active_expire_cycle(
            || cell.borrow_mut(),
            &mut clock,
            &mut rng(),
            Duration::MAX,
            |_, db, _, keys| seen.extend(keys.iter().map(|_| db)),
        );
        assert_eq!(seen.iter().filter(|&&db| db == 2).count(), 100);
        assert_eq!(seen.iter().filter(|&&db| db == 7).count(), 100);
        // Out of time in database 2: the next cycle starts at 3.
        let mut store = cell.into_inner();
        for i in 0..100 {
            let k = format!("again:{i}");
            store.db_mut(2).set(k.as_bytes(), v(), 0);
            store.db_mut(2).set_deadline(k.as_bytes(), 5, 0);
        }
        store.next_expire_db = 0;
        let mut clock = FakeClock::at(5);
        clock.step = Duration::from_millis(10);
        let cell = RefCell::new(store);
        let report = active_expire_cycle(
            || cell.borrow_mut(),
            &mut clock,
            &mut rng(),
            Duration::from_millis(15),
            |_, _, _, _| {},
        );
        assert!(report.time_cap_reached);
        assert_eq!(cell.borrow().next_expire_db, 3);
    }
}
