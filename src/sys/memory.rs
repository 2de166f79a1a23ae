//! The heap figure behind `INFO memory`'s `used_memory`: bytes currently allocated.
//!
//! Go original: none (go-redis had no `INFO`; Go would ask `runtime.ReadMemStats`). Explained
//! in: book chapter 4 ("What a key costs").
//!
//! Rust's allocator keeps no running total to ask, so the server binary installs a counting
//! global allocator (`src/bin/server.rs`): a thin wrapper around the system allocator that adds
//! and subtracts each block's size here. The counting itself is safe code; only the wrapper's
//! `unsafe impl GlobalAlloc` lives in the binary. A process without the wrapper (the tests, a
//! program embedding the library) gets `None` from [`allocated`] and `INFO` falls back to its
//! sampled estimate.
//!
//! Cost: one uncontended atomic add per allocation and per free. A single shared counter was
//! tried first and cost a large share of an allocation-heavy command such as `LRANGE mylist 0
//! 99` (each request allocates a few hundred times, and many threads bounced the counter's
//! cache line between cores; chapter 4 gives the figure), so the count is sharded: each thread adds to one of 64 counters on cache lines of their own, and
//! `INFO` sums them. The sum stays exact (a thread that exits leaves its contribution in its
//! shard); it is only read rarely, so 64 loads there cost nothing that matters.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};

/// Number of counters; threads beyond that share them (still correct, slightly contended).
const SHARDS: usize = 64;

/// One counter alone on its 64-byte cache line, so that threads on different cores never
/// write the same line.
#[repr(align(64))]
struct Shard(AtomicIsize);

// Relaxed ordering throughout: the figure is a statistic, read on its own; no other memory is
// published through it, so nothing needs to be ordered around it. A shard may go negative when
// one thread frees what another allocated: only the sum means anything.
static SHARD: [Shard; SHARDS] = [const { Shard(AtomicIsize::new(0)) }; SHARDS];
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);
static COUNTING: AtomicBool = AtomicBool::new(false);

thread_local! {
    // `const` and without a destructor: reading it never allocates, which matters because the
    // allocator itself calls this.
    static MY_SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// This thread's counter, chosen round robin the first time the thread allocates.
#[inline]
fn shard() -> &'static AtomicIsize {
    let i = MY_SHARD
        .try_with(|c| {
            let mut i = c.get();
            if i == usize::MAX {
                i = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
                c.set(i);
            }
            i
        })
        // During thread teardown the slot may be gone: count on shard 0 then.
        .unwrap_or(0);
    &SHARD[i].0
}

// ANCHOR: counting
/// Records `size` bytes allocated. Called by the binary's global allocator, so it must never
/// allocate itself.
#[inline]
pub fn on_alloc(size: usize) {
    shard().fetch_add(size as isize, Ordering::Relaxed);
}

/// Records `size` bytes freed.
#[inline]
pub fn on_dealloc(size: usize) {
    shard().fetch_sub(size as isize, Ordering::Relaxed);
}

/// Says that a counting allocator has been installed since the process started, so
/// [`allocated`] is the true figure.
pub fn mark_counting() {
    COUNTING.store(true, Ordering::Relaxed);
}

/// Bytes allocated on the heap right now, or `None` when no counting allocator is installed.
///
/// This is what Redis reports as `used_memory` (its allocator's figure): requested sizes, not
/// counting the allocator's own headers and padding, which show in `used_memory_rss`.
pub fn allocated() -> Option<u64> {
    if !COUNTING.load(Ordering::Relaxed) {
        return None;
    }
    let sum: isize = SHARD.iter().map(|s| s.0.load(Ordering::Relaxed)).sum();
    Some(sum.max(0) as u64)
}
// ANCHOR_END: counting

/// Resident memory in bytes, from `/proc/self/statm` (its second field counts pages; Linux's
/// page is 4 KiB on every architecture this server is built for, and std offers no `sysconf`).
/// 0 where there is no `/proc`.
pub fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .unwrap_or_default()
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// The memory `maxmemory` is compared with: [`allocated`] when a counting allocator is
/// installed, else the resident size, which is larger (it holds the allocator's padding and
/// what the process has freed but not returned).
pub fn used() -> u64 {
    allocated().unwrap_or_else(rss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_sum_across_threads() {
        // Without `mark_counting` the figure is not offered; the shards still add up.
        let before: isize = SHARD.iter().map(|s| s.0.load(Ordering::Relaxed)).sum();
        let threads: Vec<_> = (0..8)
            .map(|_| std::thread::spawn(|| (0..1000).for_each(|_| on_alloc(3))))
            .collect();
        threads.into_iter().for_each(|t| t.join().expect("thread"));
        on_dealloc(24_000);
        let after: isize = SHARD.iter().map(|s| s.0.load(Ordering::Relaxed)).sum();
        assert_eq!(after, before);
    }
}
