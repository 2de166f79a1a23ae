//! Lazy freeing: big values are unlinked under the lock and dropped on a background thread.
//!
//! Go original: none (Go's garbage collector frees in the background on its own). Explained in:
//! book chapter 4, "Freeing without stopping".
//!
// ANCHOR: lazyfree_design
//! Deleting a key is two jobs: unlinking it from the keyspace, O(1), and giving its memory back,
//! which for a set of a million members is a million small frees. Done under the write guard,
//! the second job stops every client for as long as it takes. Redis's answer, which this file
//! follows, is to unlink under the lock and hand the value to a background thread that drops it
//! (`UNLINK`, `FLUSHALL ASYNC`, and the `lazyfree-lazy-*` settings for `DEL`, flushes, expiry and
//! the server's own deletions). Handing over costs a channel send, so small values, whose drop
//! is cheaper than the send, are still freed in place: a value goes to the thread only when
//! freeing it takes more than [`LAZYFREE_THRESHOLD`] allocations' worth of work, as in Redis.
// ANCHOR_END: lazyfree_design

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};

use super::Data;

/// Above this much work (about one allocation an element), a value is freed in the background
/// (Redis's `LAZYFREE_THRESHOLD`).
pub const LAZYFREE_THRESHOLD: usize = 64;

/// Roughly how many allocations dropping `data` frees: 1 for a string, the element count for a
/// set, hash or sorted set, the chunk count for a list (Redis's `lazyfreeGetFreeEffort`).
pub fn free_effort(data: &Data) -> usize {
    match data {
        Data::Str(_) => 1,
        Data::List(l) => l.chunk_count(),
        Data::Set(s) => s.len(),
        Data::Hash(h) => h.len(),
        Data::ZSet(z) => z.len(),
        // Redis counts the stream's nodes, and for each group itself and its pending entries.
        Data::Stream(s) => {
            s.node_count()
                + s.groups
                    .values()
                    .map(|g| 1 + g.pending.len())
                    .sum::<usize>()
        }
    }
}

/// Something to drop on the thread, and how many objects it counts as in `INFO`.
type Job = (Box<dyn Send>, u64);

// ANCHOR: lazyfree
/// The handle of the `lazyfree` thread: send it what to drop.
pub struct LazyFree {
    /// `None` if the thread could not be started: everything is then freed in place.
    tx: Option<Sender<Job>>,
    counters: Arc<Counters>,
    /// `lazyfree-lazy-user-del`: `DEL` frees as `UNLINK` does.
    pub user_del: AtomicBool,
    /// `lazyfree-lazy-user-flush`: `FLUSHALL` and `FLUSHDB` without a mode free as `ASYNC`.
    pub user_flush: AtomicBool,
    /// `lazyfree-lazy-expire`: keys deleted because their deadline passed.
    pub expire: AtomicBool,
    /// `lazyfree-lazy-server-del`: values the server itself deletes, such as the old value a
    /// `SET` or a `RENAME` replaces.
    pub server_del: AtomicBool,
}

#[derive(Default)]
struct Counters {
    /// Objects sent and not dropped yet (`lazyfree_pending_objects`).
    pending: AtomicU64,
    /// Objects dropped by the thread (`lazyfreed_objects`).
    freed: AtomicU64,
}

impl LazyFree {
    /// Starts the `lazyfree` thread. It ends when this handle is dropped.
    pub fn start() -> LazyFree {
        let counters = Arc::new(Counters::default());
        let (tx, rx) = channel::<Job>();
        let shared = counters.clone();
        let spawned = std::thread::Builder::new()
            .name("lazyfree".into())
            .spawn(move || {
                for (garbage, objects) in rx {
                    let started = std::time::Instant::now();
                    drop(garbage);
                    // The time a client would have waited, had this been freed in place.
                    crate::log::latency::record("lazyfree", started.elapsed());
                    shared.pending.fetch_sub(objects, Ordering::Relaxed);
                    shared.freed.fetch_add(objects, Ordering::Relaxed);
                }
            });
        LazyFree {
            tx: spawned.ok().map(|_| tx),
            counters,
            user_del: AtomicBool::new(false),
            user_flush: AtomicBool::new(false),
            expire: AtomicBool::new(false),
            server_del: AtomicBool::new(false),
        }
    }

    /// Drops `garbage` on the thread, counting it as `objects` objects.
    pub fn free<T: Send + 'static>(&self, garbage: T, objects: u64) {
        let Some(tx) = &self.tx else { return };
        self.counters.pending.fetch_add(objects, Ordering::Relaxed);
        if let Err(returned) = tx.send((Box::new(garbage), objects)) {
            // The thread is gone: drop here, and take the count back.
            self.counters.pending.fetch_sub(objects, Ordering::Relaxed);
            drop(returned);
        }
    }

    /// Frees a deleted value: on the thread if it is big, else in place. Returns whether it
    /// went to the thread.
    pub fn free_value(&self, data: Data) -> bool {
        let big = free_effort(&data) > LAZYFREE_THRESHOLD && self.tx.is_some();
        if big {
            self.free(data, 1);
        }
        big
    }
    // ANCHOR_END: lazyfree

    /// Frees `data` as the `lazyfree-lazy-*` setting `when` says: on the thread if it is set
    /// and the value is big, else in place.
    pub fn free_if(&self, when: &AtomicBool, data: Data) {
        if when.load(Ordering::Relaxed) {
            self.free_value(data);
        }
    }

    /// Objects waiting to be freed (`INFO`'s `lazyfree_pending_objects`).
    pub fn pending(&self) -> u64 {
        self.counters.pending.load(Ordering::Relaxed)
    }

    /// Objects freed on the thread so far (`lazyfreed_objects`).
    pub fn freed(&self) -> u64 {
        self.counters.freed.load(Ordering::Relaxed)
    }

    /// Zeroes `lazyfreed_objects` (`CONFIG RESETSTAT`).
    pub fn reset_freed(&self) {
        self.counters.freed.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::engine::store::MemberSet;

    fn wait_until(mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !done() {
            assert!(Instant::now() < deadline, "timed out");
            std::thread::yield_now();
        }
    }

    #[test]
    fn big_values_go_to_the_thread_small_ones_stay() {
        let lazy = LazyFree::start();
        let big: MemberSet = (0..1000)
            .map(|i: u32| i.to_string().into_bytes().into())
            .collect();
        let small: MemberSet = (0..10)
            .map(|i: u32| i.to_string().into_bytes().into())
            .collect();
        assert!(!lazy.free_value(Data::from(small)));
        assert!(!lazy.free_value(Data::Str(b"x".as_slice().into())));
        assert!(lazy.free_value(Data::from(big)));
        wait_until(|| lazy.freed() == 1);
        assert_eq!(lazy.pending(), 0);
        lazy.reset_freed();
        assert_eq!(lazy.freed(), 0);
    }

    #[test]
    fn whole_databases_count_as_their_keys() {
        let lazy = LazyFree::start();
        lazy.free(vec![0u8; 1 << 20], 1000);
        wait_until(|| lazy.freed() == 1000);
        assert_eq!(lazy.pending(), 0);
    }
}
