//! Blocking commands (`BLPOP`, `BRPOP`, `BLMOVE`, `BRPOPLPUSH`, `BLMPOP`, `BZPOPMIN`,
//! `BZPOPMAX`): clients that wait for a key without holding the store lock.
//!
//! Go original: none (go-redis had no blocking pops). Explained in: book chapter 4, "Blocking
//! pops".
//!
//! # Design
//! Redis is single-threaded: a blocked client is just a flag, and right after each command the
//! event loop serves the clients blocked on the keys that command filled. With one thread per
//! client we keep that exact behaviour by doing the same work in the same place:
//!
//! 1. **Park.** A blocking handler that finds every key empty sets `ctx.block`. The dispatcher,
//!    still under the write guard, [`Blocking::register`]s the client: a `Slot` goes to the back
//!    of a FIFO queue for each key. Registering under the guard means no push can slip in
//!    between "the list is empty" and "I am waiting".
//! 2. **Sleep.** The dispatcher drops the guard and calls [`wait`]: the client's thread sleeps on
//!    its slot's `Condvar`. It holds no lock and does not spin.
//! 3. **Serve.** Every write ends in `dispatcher::commit`, which (still under the write guard,
//!    when [`Blocking::has_waiters`] — one atomic load — says anyone waits) calls [`serve`]. For
//!    each key the write's effects name, the longest-waiting client is served *by the writer*:
//!    the pop runs on its behalf (the [`ServeFn`] the command parked with, such as
//!    `lists::serve_blocked`), its effect (`LPOP key`, `LMOVE ...`) is
//!    appended to the writer's effects so the AOF and `WATCH` see it, and the reply is put in the
//!    slot and the sleeper notified. Elements go to waiters in arrival order, nothing can steal
//!    them in between, and no wake-up is lost: the reply is already in the slot when the sleeper
//!    looks. A `BLMOVE` served this way pushes onto its destination, whose effect is appended
//!    too, so a client blocked on *that* key is served in the same pass, as in Redis.
//! 4. **Give up.** A timeout, or a peer that hung up, makes the sleeper take the write guard and
//!    leave the queues itself; if a writer served it just before, it keeps that reply instead.
//!
//! A push inside `MULTI` wakes nobody until `EXEC`, because `commit` runs once, after the whole
//! transaction. The alternative design — wake the sleeper and let it retry the command — is
//! simpler but lets a third client steal the element between the wake-up and the retry, and
//! makes every waiter race for the lock after each push.
//!
//! A parked thread is not reading its socket, so it cannot see the client hang up. It wakes
//! every [`POLL`] to look (a non-blocking `peek` that reads 0 bytes means the peer closed), and
//! a writer about to serve a slot looks too, so an element is never handed to a client that is
//! already gone. The look is one non-blocking system call: it never waits, so it is allowed
//! under the guard.

use std::collections::{HashMap, VecDeque};
use std::io::ErrorKind;
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::registry::{change_keys, db_number};
use super::{BlockOn, Change, ClientContext, Effects, ServeFn, Shared};
use crate::commands::ClientHandle;
use crate::engine::store::{Key, Store, now_ms};
use crate::protocol::resp::Value;

/// How often a parked client wakes to check that its peer is still connected.
pub const POLL: Duration = Duration::from_millis(100);

/// How a blocked client's wait ended.
pub enum Woken {
    /// Another client's write served this one: here is its reply.
    Served(Value),
    /// The timeout passed (or the client went away).
    TimedOut,
    /// Something changed: run the command again.
    Retry,
}

/// Where a parked client is in its wait.
enum State {
    Waiting,
    Served(Value),
    /// The client disconnected (noticed by a writer): stop waiting.
    Gone,
}

// ANCHOR: slot
/// One parked client: its command, the keys it waits on, and the place its reply goes.
struct Slot {
    handle: Arc<ClientHandle>,
    /// The database the client had selected: its keys are that database's.
    db: usize,
    argv: Vec<Vec<u8>>,
    keys: Vec<Key>,
    serve: ServeFn,
    /// Serving it leaves the data for the next waiter (see [`BlockOn::shares`]).
    shares: bool,
    state: Mutex<State>,
    ready: Condvar,
}
// ANCHOR_END: slot

impl Slot {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned slot only means a panic elsewhere; the state itself is always whole.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A registered waiter, handed from [`Blocking::register`] to [`wait`].
pub struct Waiter(Arc<Slot>);

// Go parity: go-redis had no blocking pops; these follow Redis 7, arrival order included.
// ANCHOR: blocking
/// A key of a database: what a blocked client waits on.
type DbKey = (usize, Key);

/// Every blocked client, by key, in arrival order.
#[derive(Default)]
pub struct Blocking {
    /// Number of parked clients: lets every write skip [`serve`] with one atomic load.
    waiting: AtomicUsize,
    /// (database, key) → clients waiting on it, longest-waiting first. Only touched under the
    /// store's write guard; the mutex is there to make `Shared` `Sync` and is never contended.
    queues: Mutex<HashMap<DbKey, VecDeque<Arc<Slot>>>>,
}
// ANCHOR_END: blocking

impl Blocking {
    fn lock(&self) -> MutexGuard<'_, HashMap<DbKey, VecDeque<Arc<Slot>>>> {
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// True if any client is blocked: the fast path of every write checks only this.
    pub fn has_waiters(&self) -> bool {
        self.waiting.load(Ordering::Acquire) > 0
    }

    /// Number of blocked clients (`INFO clients`' `blocked_clients`).
    pub fn len(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// True when no client is blocked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Registers `client` as waiting on `block.keys` of database `db` to run `argv`; called
    /// under the write guard, right after the command found nothing.
    pub fn register(
        &self,
        client: &Arc<ClientHandle>,
        db: usize,
        block: &BlockOn,
        argv: &[Vec<u8>],
    ) -> Waiter {
        let mut keys: Vec<Key> = Vec::with_capacity(block.keys.len());
        for k in &block.keys {
            // `BLPOP k k 0` waits once on k.
            if !keys.iter().any(|have| have[..] == k[..]) {
                keys.push(k.as_slice().into());
            }
        }
        let slot = Arc::new(Slot {
            handle: client.clone(),
            db,
            argv: block.argv.clone().unwrap_or_else(|| argv.to_vec()),
            keys,
            serve: block.serve,
            shares: block.shares,
            state: Mutex::new(State::Waiting),
            ready: Condvar::new(),
        });
        let mut queues = self.lock();
        for k in &slot.keys {
            queues
                .entry((db, k.clone()))
                .or_default()
                .push_back(slot.clone());
        }
        self.waiting.fetch_add(1, Ordering::AcqRel);
        // `CLIENT LIST` shows the wait as flag `b`, until `wait` returns.
        client.blocked.store(true, Ordering::Relaxed);
        Waiter(slot)
    }

    /// Takes `slot` out of every queue it is in. The caller holds the write guard.
    fn forget(&self, queues: &mut HashMap<DbKey, VecDeque<Arc<Slot>>>, slot: &Arc<Slot>) {
        let mut found = false;
        for k in &slot.keys {
            // Cloned to look up a tuple key; only blocked clients pay for it.
            let at = (slot.db, k.clone());
            if let Some(q) = queues.get_mut(&at) {
                if let Some(i) = q.iter().position(|s| Arc::ptr_eq(s, slot)) {
                    q.remove(i);
                    found = true;
                }
                if q.is_empty() {
                    queues.remove(&at);
                }
            }
        }
        if found {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// True if the peer of `stream` has closed its side (or the socket failed). A non-blocking
/// `peek`: it never waits, and reads nothing the client thread will miss.
pub(crate) fn peer_gone(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    let gone = match stream.peek(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != ErrorKind::WouldBlock && e.kind() != ErrorKind::Interrupted,
    };
    let _ = stream.set_nonblocking(false);
    gone
}

// ANCHOR: serve
/// Serves blocked clients whose keys now hold data; called under the write guard after a
/// write, with that write's effects (to which the pops done here are appended).
pub fn serve(shared: &Shared, store: &mut Store, now: u64, effects: &mut Vec<Change>) {
    let blocking = &shared.blocking;
    let mut queues = blocking.lock();
    // Effects appended while serving (a BLMOVE's push) are visited too: the loop re-reads len.
    let mut i = 0;
    while i < effects.len() && !queues.is_empty() {
        let keys = ready_keys(shared, &queues, &effects[i]);
        i += 1;
        for at in keys {
            // Waiters that could not be served yet but do not hold up the rest (stream reads).
            let mut skipped = 0;
            while let Some(slot) = queues.get(&at).and_then(|q| q.get(skipped)).cloned() {
                let mut state = slot.lock();
                if slot.handle.stream.as_deref().is_some_and(peer_gone) {
                    *state = State::Gone;
                } else {
                    // Always wanted: these effects drive this very loop, whatever else listens.
                    let mut served = Effects::new(true, slot.db, shared.pubsub.keyspace_events());
                    // A waited-on key whose time ran out is deleted here, as Redis's lookup does.
                    store.db_mut(slot.db).expire_if_needed(&at.1, now);
                    let reply =
                        (slot.serve)(store.db_mut(slot.db), now, &slot.argv, &at.1, &mut served);
                    // Its `DEL` follows the change that woke the client, as Redis propagates it.
                    let expired = store.db_mut(slot.db).take_lazily_expired();
                    effects.extend(expired.into_iter().map(|key| Change {
                        db: slot.db,
                        effect: vec![b"DEL".to_vec(), key.into_vec()],
                    }));
                    let (changes, notes, events) = served.into_parts();
                    // What the pop changed is the served client's doing: its own tracking
                    // message follows its reply. (`BCAST` clients hear of it with the commit.)
                    if shared.tracking.is_active() {
                        shared
                            .tracking
                            .invalidate(shared, &changes, slot.handle.id, (true, false));
                    }
                    // The pop's events follow the push that woke it, as in Redis.
                    if !notes.is_empty() {
                        shared.pubsub.notify(events, &notes);
                    }
                    effects.extend(changes);
                    match reply {
                        Some(reply) => *state = State::Served(reply),
                        None if slot.shares => {
                            skipped += 1;
                            continue;
                        }
                        None => break,
                    }
                }
                drop(state);
                blocking.forget(&mut queues, &slot);
                slot.ready.notify_one();
            }
        }
    }
}
// ANCHOR_END: serve

/// The waited-on keys `change` may have filled: the keys it wrote; for `SWAPDB`, every
/// waited-on key of the two databases it swapped.
fn ready_keys(
    shared: &Shared,
    queues: &HashMap<DbKey, VecDeque<Arc<Slot>>>,
    change: &Change,
) -> Vec<DbKey> {
    let effect = &change.effect;
    // A flush names no key but empties them all: their waiters look again (a list waiter
    // finds nothing and waits on; a group read learns its stream is gone).
    if effect[0].eq_ignore_ascii_case(b"FLUSHALL") || effect[0].eq_ignore_ascii_case(b"FLUSHDB") {
        let all = effect[0].eq_ignore_ascii_case(b"FLUSHALL");
        return queues
            .keys()
            .filter(|(db, _)| all || *db == change.db)
            .cloned()
            .collect();
    }
    if effect[0].eq_ignore_ascii_case(b"SWAPDB") {
        let swapped: Vec<usize> = effect[1..].iter().filter_map(|a| db_number(a)).collect();
        return queues
            .keys()
            .filter(|(db, _)| swapped.contains(db))
            .cloned()
            .collect();
    }
    let mut ready = Vec::new();
    change_keys(&shared.registry, change, |db, key| {
        let at = (db, Key::from(key));
        if queues.contains_key(&at) {
            ready.push(at);
        }
    });
    ready
}

// ANCHOR: wait
/// Waits, with no guard held, until the waiter is served, times out or its client goes away.
pub fn wait(shared: &Shared, client: &mut ClientContext, waiter: Waiter, block: &BlockOn) -> Woken {
    // A client waiting is not running: what was held behind its reply goes now.
    if let Some(outbox) = &client.outbox {
        outbox.release();
    }
    let woken = wait_for(shared, client, waiter, block);
    client.handle.blocked.store(false, Ordering::Relaxed);
    woken
}

fn wait_for(shared: &Shared, client: &mut ClientContext, waiter: Waiter, block: &BlockOn) -> Woken {
    let slot = waiter.0;
    let mut state = slot.lock();
    loop {
        match std::mem::replace(&mut *state, State::Waiting) {
            State::Served(reply) => return Woken::Served(reply),
            State::Gone => return Woken::TimedOut,
            State::Waiting => {}
        }
        let now = now_ms();
        let timed_out = block.deadline.is_some_and(|d| now >= d);
        let leaving = timed_out
            || shared.shutting_down.load(Ordering::Relaxed)
            || client.handle.killed.load(Ordering::Relaxed)
            || client.handle.stream.as_deref().is_some_and(peer_gone);
        if leaving {
            drop(state);
            return give_up(shared, &slot);
        }
        let nap = match block.deadline {
            Some(d) => POLL.min(Duration::from_millis(d - now)),
            None => POLL,
        };
        state = slot
            .ready
            .wait_timeout(state, nap)
            .map(|(g, _)| g)
            .unwrap_or_else(|p| p.into_inner().0);
    }
}
// ANCHOR_END: wait

/// `CLIENT UNBLOCK id [TIMEOUT | ERROR]`: ends the wait of client `id` as if its timeout had
/// passed, or with Redis's `UNBLOCKED` error. Returns false if that client is not blocked.
pub fn unblock(shared: &Shared, id: u64, error: bool) -> bool {
    let _guard = shared.write_store();
    let mut queues = shared.blocking.lock();
    let Some(slot) = queues
        .values()
        .flatten()
        .find(|s| s.handle.id == id)
        .cloned()
    else {
        return false;
    };
    let mut state = slot.lock();
    *state = if error {
        State::Served(Value::error(
            "UNBLOCKED client unblocked via CLIENT UNBLOCK",
        ))
    } else {
        // `wait` reads `Gone` as its timeout.
        State::Gone
    };
    drop(state);
    shared.blocking.forget(&mut queues, &slot);
    slot.ready.notify_one();
    true
}

// ANCHOR: give_up
/// Leaves the queues under the write guard, unless a writer served the slot first: then that
/// reply stands (the element is already popped and logged for this client).
fn give_up(shared: &Shared, slot: &Arc<Slot>) -> Woken {
    let _guard = shared.write_store();
    let mut queues = shared.blocking.lock();
    let mut state = slot.lock();
    if let State::Served(reply) = std::mem::replace(&mut *state, State::Gone) {
        return Woken::Served(reply);
    }
    shared.blocking.forget(&mut queues, slot);
    Woken::TimedOut
}
// ANCHOR_END: give_up

// ANCHOR: parse_timeout
/// Parses a blocking command's timeout (seconds, fractions allowed; 0 waits forever) into a
/// deadline in Unix milliseconds.
///
/// # Errors
/// `ERR timeout is not a float or out of range`, `ERR timeout is negative`, or
/// `ERR timeout is out of range` for one too large to represent.
pub fn parse_timeout(arg: &[u8], now: u64) -> Result<Option<u64>, Value> {
    let secs: f64 = std::str::from_utf8(arg)
        .ok()
        .filter(|s| !s.starts_with(|c: char| c.is_ascii_whitespace()))
        .and_then(|s| s.parse().ok())
        .filter(|f: &f64| !f.is_nan())
        .ok_or(Value::error("ERR timeout is not a float or out of range"))?;
    if secs < 0.0 {
        return Err(Value::error("ERR timeout is negative"));
    }
    // Go parity: none. Redis 7.0 answers `timeout is negative` for an infinite timeout (an
    // overflow in its conversion); 7.2 says `timeout is out of range`, which we follow.
    let ms = secs * 1000.0;
    if !ms.is_finite() || ms > (i64::MAX / 2) as f64 {
        return Err(Value::error("ERR timeout is out of range"));
    }
    let ms = ms.ceil() as u64;
    Ok((ms > 0).then(|| now.saturating_add(ms)))
}
// ANCHOR_END: parse_timeout

#[cfg(test)]
mod tests {
    use super::parse_timeout;
    use crate::protocol::resp::Value;

    #[test]
    fn timeouts_parse_like_redis() {
        assert_eq!(parse_timeout(b"0", 1000), Ok(None));
        assert_eq!(parse_timeout(b"0.1", 1000), Ok(Some(1100)));
        assert_eq!(parse_timeout(b"2", 1000), Ok(Some(3000)));
        assert_eq!(
            parse_timeout(b"-1", 0),
            Err(Value::error("ERR timeout is negative"))
        );
        for bad in [&b"abc"[..], b"", b" 1", b"nan", b"1s"] {
            assert_eq!(
                parse_timeout(bad, 0),
                Err(Value::error("ERR timeout is not a float or out of range"))
            );
        }
        assert_eq!(
            parse_timeout(b"inf", 0),
            Err(Value::error("ERR timeout is out of range"))
        );
    }
}
