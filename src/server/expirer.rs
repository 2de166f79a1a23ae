//! The `expirer` thread: active expiry of keys nobody reads.
//!
//! Go original: `StartExpirer` / `expireCycle` in `internal/engine/store/store.go`.
//! Explained in: book chapter 5.
//!
//! The algorithm lives in [`crate::engine::store::active_expire`]; this thread gives it the real
//! clock, a random generator, the store's write guard (released at least every millisecond, so
//! clients run between rounds) and the path every write takes: each deleted key becomes a `DEL` effect
//! handed to [`commit`], under the same guard, so the AOF logs it in store order and the
//! `WATCH`ers of the key see it as modified.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::commands::dispatcher::commit;
use crate::commands::{Effects, Shared};
use crate::config::KeyspaceEvents;
use crate::engine::store::Key;
use crate::engine::store::active_expire::{
    CycleReport, SystemClock, active_expire_cycle, time_budget,
};

/// The longest the thread sleeps without looking at the shutdown flag.
const SHUTDOWN_CHECK: Duration = Duration::from_millis(50);

/// Starts the expirer thread; it stops when the server shuts down.
///
/// # Errors
/// The thread could not be spawned.
pub fn spawn(shared: Arc<Shared>) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("expirer".into())
        .spawn(move || run(&shared))
}

// ANCHOR: expirer_run
/// The thread's body: one cycle every `1/hz` seconds until shutdown.
///
/// Go parity: go-redis's expirer listed every key with a TTL each tick under the write lock,
/// O(keys); this one samples, O(20) per round, like Redis's `activeExpireCycle`.
fn run(shared: &Shared) {
    let mut rng = rand::rng();
    while !shared.shutting_down.load(Ordering::SeqCst) {
        // Read every cycle, so `CONFIG SET hz` takes effect at the next one.
        let config = shared.config();
        let hz = config.hz.max(1);
        let period = Duration::from_micros(1_000_000 / u64::from(hz));
        if shared.cron_paused.load(Ordering::Relaxed) {
            std::thread::sleep(period);
            continue;
        }
        // Client-side caching's table has a size limit, kept at every cycle, as Redis's cron does
        // (and before every command, in the dispatcher).
        shared.tracking.enforce_limit(shared);
        let started = Instant::now();
        // A replica leaves expiry to its master, whose `DEL`s reach it in the stream; until
        // then reads hide its expired keys, as everywhere. While clients are paused nothing
        // expires at all, lazily or actively (`CLIENT PAUSE`).
        let paused = shared.pause.active(crate::engine::store::now_ms());
        let active = !paused
            && shared.active_expire.load(Ordering::Relaxed)
            && shared.role.master().is_none();
        if !paused {
            expire_found(shared);
        }
        let capped = active && run_cycle(shared, &mut rng, time_budget(hz)).time_cap_reached;
        if active {
            crate::log::latency::record("expire-cycle", started.elapsed());
        }
        if capped {
            // A backlog: start the next cycle at once instead of sleeping. Redis keeps to 25 %
            // of its one thread; ours is one thread among one per client, and with many busy
            // clients the scheduler gives it a small share of the CPU, so at a 25 % duty cycle a
            // million expiring keys would take many times longer to sweep than back to back
            // (chapter 5 measures both). Clients still get the lock at least every millisecond
            // (`MAX_GUARD_HOLD`); they pay in CPU shared with the sweeper while the backlog lasts.
            continue;
        }
        // Sleep out the rest of the period in short naps, so that shutdown (which joins this
        // thread) never waits a whole period at a low `hz`.
        while !shared.shutting_down.load(Ordering::SeqCst) {
            let left = period.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(SHUTDOWN_CHECK));
        }
    }
}
// ANCHOR_END: expirer_run

// ANCHOR: expire_found
/// Deletes the expired keys reads came across since the last cycle (`Db::expire_found`), with
/// their `DEL`s: the read path's lazy expiry, finished here rather than by each reader, whose
/// read guard cannot delete. One write guard for all of them, and none at all when there are
/// none: were every reader to take a write guard after its read, a million keys expiring at once
/// would turn every client into a writer, and readers would queue behind writers for as long as
/// the storm lasts. Runs even with active expiry off (`DEBUG SET-ACTIVE-EXPIRE 0`): this is the
/// lazy kind. Within a period (100 ms at `hz 10`) of the read.
fn expire_found(shared: &Shared) {
    let found = |store: &crate::engine::store::Store| {
        (0..store.count()).any(|db| store.db(db).has_found_expired())
    };
    if !found(&shared.read_store()) {
        return;
    }
    let mut store = shared.write_store();
    let now = crate::engine::store::now_ms();
    for db in 0..store.count() {
        if store.db(db).has_found_expired() {
            store.db_mut(db).expire_found(now);
            let effects = Effects::new(true, db, shared.pubsub.keyspace_events());
            commit(shared, &mut store, now, effects, false);
        }
    }
}
// ANCHOR_END: expire_found

/// How long the sweeper steps away from the lock between two guards of a busy cycle: the
/// clients' turn. About a fifth of the 1 ms a guard is held.
const BETWEEN_GUARDS: Duration = Duration::from_micros(100);

// ANCHOR: run_cycle
/// Runs one active-expiry cycle against the server's store.
pub fn run_cycle(shared: &Shared, rng: &mut impl rand::Rng, budget: Duration) -> CycleReport {
    let mut first = true;
    active_expire_cycle(
        || {
            // Between guards, step away before asking for the lock again. Releasing a std
            // `RwLock` wakes the waiting readers, but they need microseconds to be scheduled
            // while this thread could take the lock back in nanoseconds, and a waiting writer
            // shuts new readers out. A `yield_now` was not enough: with fifty clients on two
            // cores, a million keys expiring at once kept some clients out for hundreds of
            // milliseconds (`tests/bench/pauses.sh`). A short sleep lets every woken reader in.
            if !std::mem::take(&mut first) {
                std::thread::sleep(BETWEEN_GUARDS);
            }
            shared.write_store()
        },
        &mut SystemClock::start(),
        rng,
        budget,
        |store, db, now, keys| {
            let effects = del_effects(db, keys, shared.pubsub.keyspace_events());
            // Nobody waits for an expiry's fsync: the ticket is dropped, the entry still written.
            commit(shared, store, now, effects, false);
        },
    )
}
// ANCHOR_END: run_cycle

/// One `DEL key` effect per key deleted from database `db`: what replays an expiry (design
/// invariant 5), and what marks the key as modified for `WATCH`. Redis propagates expiries the
/// same way. Each is also an `expired` notification, if `events` has class `x`.
fn del_effects(db: usize, keys: Vec<Key>, events: KeyspaceEvents) -> Effects {
    let mut effects = Effects::expiries(db, events);
    for key in keys {
        effects.notify_in(db, KeyspaceEvents::EXPIRED, "expired", &key);
        effects.log_with(|| vec![b"DEL".to_vec(), key.into_vec()]);
    }
    effects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_deleted_key_is_one_del_effect() {
        let keys: Vec<Key> = vec![Box::from(&b"a"[..]), Box::from(&b"b\r\n"[..])];
        let events = KeyspaceEvents::parse("Ex").unwrap();
        let (changes, notes, _) = del_effects(3, keys, events).into_parts();
        let changes: Vec<(usize, Vec<Vec<u8>>)> =
            changes.into_iter().map(|c| (c.db, c.effect)).collect();
        assert_eq!(
            changes,
            vec![
                (3, vec![b"DEL".to_vec(), b"a".to_vec()]),
                (3, vec![b"DEL".to_vec(), b"b\r\n".to_vec()])
            ]
        );
        let notes: Vec<(usize, &str, &[u8])> =
            notes.iter().map(|n| (n.db, n.event, &n.key[..])).collect();
        assert_eq!(
            notes,
            vec![(3, "expired", &b"a"[..]), (3, "expired", &b"b\r\n"[..])]
        );
        let quiet = del_effects(0, vec![Box::from(&b"a"[..])], KeyspaceEvents::NONE).into_parts();
        assert!(quiet.1.is_empty());
    }
}
