//! The store's lock, measured: the one `RwLock` the server uses, one `Mutex` in its place, and
//! the keyspace split over several `RwLock`s by slot (the store already hashes every key into
//! one of `SLOTS` slots): 64 stripes of 64 slots, and a lock per slot.
//!
//! Explained in: book chapter 3, "The lock, measured". The measurement drives the real `Db` from
//! many threads in-process, without sockets, so what differs is the lock alone:
//!
//! ```text
//! cargo test --release --test lock_choice -- --ignored --nocapture
//! ```
//!
//! The plain `cargo test` runs only the check that all three hold the same data.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use rust_redis::engine::store::{Data, Db, SLOTS, Str};

/// One way to guard the keyspace: a `GET` and a `SET` of a string, each under the guard it needs.
trait Keyspace: Sync {
    fn name(&self) -> &'static str;
    /// The value under `key`, if it is a string.
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;
    fn set(&self, key: &[u8], value: &[u8]);
}

fn read(db: &Db, key: &[u8]) -> Option<Vec<u8>> {
    match db.get(key, 0) {
        Some(Data::Str(s)) => Some(s.as_bytes().to_vec()),
        _ => None,
    }
}

fn write(db: &mut Db, key: &[u8], value: &[u8]) {
    db.set(key, Data::Str(Str::from(value)), 0);
}

/// What the server does: readers share the guard, a writer has it alone.
struct OneRwLock(RwLock<Db>);

impl Keyspace for OneRwLock {
    fn name(&self) -> &'static str {
        "one RwLock"
    }
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        read(&self.0.read().unwrap(), key)
    }
    fn set(&self, key: &[u8], value: &[u8]) {
        write(&mut self.0.write().unwrap(), key, value)
    }
}

/// Every command alone, readers included.
struct OneMutex(Mutex<Db>);

impl Keyspace for OneMutex {
    fn name(&self) -> &'static str {
        "one Mutex"
    }
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        read(&self.0.lock().unwrap(), key)
    }
    fn set(&self, key: &[u8], value: &[u8]) {
        write(&mut self.0.lock().unwrap(), key, value)
    }
}

/// The keyspace split over `n` locks by the key's slot: two commands wait for each other only
/// when their keys' slots share a lock. With `n` = `SLOTS` it is a lock per slot; each part is a
/// `Db` of its own, with its own table of slots, so a lock per slot also costs a table per slot.
struct Striped(Vec<RwLock<Db>>, &'static str);

impl Striped {
    fn new(n: usize, name: &'static str) -> Self {
        Striped((0..n).map(|_| RwLock::new(Db::new())).collect(), name)
    }
    fn slot(&self, key: &[u8]) -> &RwLock<Db> {
        // FNV-1a, as the store hashes keys into its slots.
        let hash = key.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        let slot = hash as usize % SLOTS;
        &self.0[slot % self.0.len()]
    }
}

impl Keyspace for Striped {
    fn name(&self) -> &'static str {
        self.1
    }
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        read(&self.slot(key).read().unwrap(), key)
    }
    fn set(&self, key: &[u8], value: &[u8]) {
        write(&mut self.slot(key).write().unwrap(), key, value)
    }
}

fn contenders() -> Vec<Box<dyn Keyspace>> {
    vec![
        Box::new(OneRwLock(RwLock::new(Db::new()))),
        Box::new(OneMutex(Mutex::new(Db::new()))),
        Box::new(Striped::new(64, "64 stripes")),
        Box::new(Striped::new(SLOTS, "a lock per slot")),
    ]
}

/// A cheap, deterministic random sequence per thread (xorshift), so runs are comparable.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

const KEYS: u64 = 100_000;

fn key(n: u64) -> Vec<u8> {
    format!("key:{n}").into_bytes()
}

#[test]
fn every_contender_holds_what_was_written() {
    for keyspace in contenders() {
        let mut state = 42;
        let mut model = std::collections::HashMap::new();
        for i in 0..20_000u64 {
            let k = key(next(&mut state) % 1_000);
            if i % 3 == 0 {
                let value = i.to_string().into_bytes();
                keyspace.set(&k, &value);
                model.insert(k, value);
            } else {
                assert_eq!(
                    keyspace.get(&k),
                    model.get(&k).cloned(),
                    "{}",
                    keyspace.name()
                );
            }
        }
        // And from several threads at once: every thread's last write to its own keys stays.
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let keyspace = &keyspace;
                s.spawn(move || {
                    for i in 0..2_000u64 {
                        keyspace.set(&key(10_000 + t * 10_000 + i % 100), &i.to_le_bytes());
                    }
                });
            }
        });
        for t in 0..4u64 {
            for i in 1_900..2_000u64 {
                let k = key(10_000 + t * 10_000 + i % 100);
                assert_eq!(
                    keyspace.get(&k),
                    Some(i.to_le_bytes().to_vec()),
                    "{}",
                    keyspace.name()
                );
            }
        }
    }
}

/// Operations a second for `threads` threads, each doing `reads` % GETs and the rest SETs on
/// random keys, for `time`.
fn throughput(keyspace: &dyn Keyspace, threads: u64, reads: u64, time: Duration) -> f64 {
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (stop, done) = (&stop, &done);
            s.spawn(move || {
                let mut state = 0x9e37_79b9_7f4a_7c15 ^ (t + 1);
                let mut ops = 0;
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..64 {
                        let r = next(&mut state);
                        let k = key(r % KEYS);
                        if r % 100 < reads {
                            std::hint::black_box(keyspace.get(&k));
                        } else {
                            keyspace.set(&k, b"xyz");
                        }
                    }
                    ops += 64;
                }
                done.fetch_add(ops, Ordering::Relaxed);
            });
        }
        std::thread::sleep(time);
        stop.store(true, Ordering::Relaxed);
    });
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

#[test]
#[ignore = "a measurement: cargo test --release --test lock_choice -- --ignored --nocapture"]
fn measure_the_locks() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("{cores} cores; millions of operations a second, median of 3 runs of 1 s each");
    let names: Vec<&str> = contenders().iter().map(|k| k.name()).collect();
    println!("| GET share | threads | {} |", names.join(" | "));
    println!("|---|---:|{}", "---:|".repeat(names.len()));
    let keyspaces = contenders();
    for keyspace in &keyspaces {
        for n in 0..KEYS {
            keyspace.set(&key(n), b"xyz");
        }
    }
    for reads in [100, 90, 50] {
        for threads in [1, 2, 4, 16] {
            // Interleaved: round r of every contender before round r + 1 of any, so a change in
            // the machine's other load falls on all of them alike.
            let mut runs = vec![Vec::new(); keyspaces.len()];
            for _ in 0..3 {
                for (i, keyspace) in keyspaces.iter().enumerate() {
                    runs[i].push(throughput(
                        keyspace.as_ref(),
                        threads,
                        reads,
                        Duration::from_secs(1),
                    ));
                }
            }
            let row: Vec<f64> = runs
                .iter_mut()
                .map(|r| {
                    r.sort_by(f64::total_cmp);
                    r[1] / 1e6
                })
                .collect();
            let cells: Vec<String> = row.iter().map(|r| format!("{r:.2}")).collect();
            println!("| {reads} % | {threads} | {} |", cells.join(" | "));
        }
    }
}
