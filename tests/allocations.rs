//! Heap allocations per command in a steady state: counts, not times, so the figures hold on any
//! machine. Explained in: book chapter 4, "What a key costs".
//!
//! The test binary installs a counting global allocator, runs the server in this process, warms a
//! connection up, then sends the same command many times one at a time (as `redis-benchmark`
//! without pipelining does) from a client that itself allocates nothing while counting: its
//! request bytes are encoded beforehand and replies are read into a fixed buffer. Background
//! threads (the expirer, the cron sampler) may allocate a little meanwhile; dividing by the
//! number of commands and rounding down absorbs up to one stray allocation per command sent.

#![allow(unsafe_code)]

mod common;
use common::*;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

struct Counting;

// SAFETY: every method forwards to `System` unchanged; counting never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded as received.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded as received.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ROUNDS: u64 = 2000;

/// Sends `request` `ROUNDS` times, each after the previous reply (`reply_len` bytes) arrived,
/// and returns the allocations per command, rounded down.
fn allocations_per_command(conn: &mut TcpStream, request: &[u8], reply_len: usize) -> u64 {
    let mut buf = [0u8; 256];
    let mut round_trip = |conn: &mut TcpStream| {
        conn.write_all(request).expect("send");
        let mut got = 0;
        while got < reply_len {
            let n = conn.read(&mut buf[got..reply_len]).expect("reply");
            assert!(n > 0, "server closed the connection");
            got += n;
        }
    };
    // Warm up: buffers grow to their working size, the key exists, the client's label is set.
    for _ in 0..100 {
        round_trip(conn);
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..ROUNDS {
        round_trip(conn);
    }
    (ALLOCATIONS.load(Ordering::Relaxed) - before) / ROUNDS
}

// ANCHOR: allocations
#[test]
fn get_and_set_allocate_a_fixed_small_number_of_times() {
    let server = start();
    let mut conn = TcpStream::connect(server.addr()).expect("connect");
    conn.set_nodelay(true).expect("nodelay");

    let set = encode(&[b"SET", b"key:000042", b"abc"]);
    let set_allocs = allocations_per_command(&mut conn, &set, b"+OK\r\n".len());
    // SET: none. The reader copies the request into the argument vector and buffers of the
    // previous one (it took 4 allocations before `Reader::recycle`). The key and the 3-byte
    // value are stored inside the table entry, so replacing a value allocates nothing (one more
    // before `Str` kept short values inline), and the effect is not built (no AOF, no WATCH, no
    // blocked client).
    assert_eq!(set_allocs, 0, "allocations per SET");

    let get = encode(&[b"GET", b"key:000042"]);
    let get_allocs = allocations_per_command(&mut conn, &get, b"$3\r\nabc\r\n".len());
    // GET: the reply's copy of the value (1): a `Value` owns its bytes, and the read guard is
    // released before the reply is written.
    assert_eq!(get_allocs, 1, "allocations per GET");

    // MSET of ten keys: none either; its 21 arguments fit the buffers the reader keeps.
    let mut mset: Vec<&[u8]> = vec![b"MSET"];
    let keys: Vec<String> = (0..10).map(|i| format!("key:{i:06}")).collect();
    for k in &keys {
        mset.push(k.as_bytes());
        mset.push(b"abc");
    }
    let mset_allocs = allocations_per_command(&mut conn, &encode(&mset), b"+OK\r\n".len());
    assert_eq!(mset_allocs, 0, "allocations per MSET");

    // HSET and SADD: the effect (a copy of every argument) is built only when someone wants it.
    let hset = encode(&[b"HSET", b"h", b"field", b"abc"]);
    assert_eq!(
        allocations_per_command(&mut conn, &hset, b":0\r\n".len()),
        0,
        "allocations per HSET"
    );
    let sadd = encode(&[b"SADD", b"s", b"member"]);
    assert_eq!(
        allocations_per_command(&mut conn, &sadd, b":0\r\n".len()),
        0,
        "allocations per SADD"
    );
}
// ANCHOR_END: allocations
