//! The replication stream: every change, as the AOF receives it, numbered by byte offset, with
//! the most recent `repl-backlog-size` bytes kept for replicas that reconnect.
//!
//! Go original: none (go-redis has no replication). Explained in: book chapter "Replication".
//!
// ANCHOR: backlog_design
//! A master and its replicas agree on one thing: a stream of bytes. It is the RESP of every
//! change the master makes, in the order it makes them (the same commands the AOF gets: design
//! invariant 5), and a position in it, the *offset*, says how much of it a replica has applied.
//! The master names its stream with a random *replication id*; "id X, offset N" is the whole
//! state of a replica.
//!
//! A new replica gets a snapshot of the data as an RDB file taken at offset N, then the stream
//! from N on. A replica that lost its connection for a moment asks to continue from where it
//! was: if those bytes are still in the *backlog*, a ring of the stream's most recent bytes,
//! it gets just them (a partial resync); if not, a new snapshot (a full one).
//!
//! Appends happen where the AOF's do, under the store's write guard, so the stream's order is
//! the store's order. Each replica's feeder thread (`netlayer/replica.rs`) reads from the ring
//! at its own pace and sleeps on [`Backlog::wait_beyond`] when it has sent everything.
// ANCHOR_END: backlog_design

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::{Change, encode_changes};
use crate::protocol::resp::encode_command;

/// Redis's default `repl-backlog-size`: 1 MB.
pub const DEFAULT_SIZE: usize = 1024 * 1024;

// ANCHOR: backlog
/// The stream and its recent past.
pub struct Backlog {
    /// False until the first replica connects (as Redis creates its backlog then): until
    /// then nothing is encoded, and a server without replicas pays nothing.
    active: AtomicBool,
    /// True while this server is a replica: its stream is then its master's bytes, as they came
    /// ([`Backlog::append_raw`]), not its own changes.
    following: AtomicBool,
    ring: Mutex<Ring>,
    /// Notified on every append, for the feeders.
    grew: Condvar,
}

struct Ring {
    /// The last bytes of the stream, at most `capacity` of them.
    bytes: VecDeque<u8>,
    capacity: usize,
    /// Offset of the stream's end: bytes ever appended (`master_repl_offset`).
    offset: u64,
    /// The database the stream is in, as the AOF tracks its own.
    selected: Option<usize>,
    /// This stream's name (`master_replid`).
    replid: String,
    /// The name of the stream this one continues (after a replica became a master), and the
    /// first offset that is not part of it (`master_replid2`, `second_repl_offset`).
    replid2: String,
    second_offset: Option<u64>,
}
// ANCHOR_END: backlog

/// Where a replica may continue from, if anywhere.
#[derive(Debug, PartialEq, Eq)]
pub enum Resume {
    /// Send the stream from this offset on.
    From(u64),
    /// The bytes are gone, or it is another stream: a full sync.
    Full,
}

impl Default for Backlog {
    fn default() -> Self {
        Backlog::new(random_id())
    }
}

impl Backlog {
    /// An inactive backlog of a stream named `replid`, at offset 0.
    pub fn new(replid: String) -> Backlog {
        Backlog {
            active: AtomicBool::new(false),
            following: AtomicBool::new(false),
            ring: Mutex::new(Ring {
                bytes: VecDeque::new(),
                capacity: DEFAULT_SIZE,
                offset: 0,
                selected: None,
                replid,
                replid2: "0".repeat(40),
                second_offset: None,
            }),
            grew: Condvar::new(),
        }
    }

    fn ring(&self) -> MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// True once a replica has connected: the dispatcher then collects every write's effects.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// Starts keeping the stream (the first replica connects). The next change starts with a
    /// `SELECT`, since a replica starts in no particular database.
    pub fn activate(&self) {
        let mut ring = self.ring();
        ring.selected = None;
        self.active.store(true, Ordering::Relaxed);
    }

    /// `CONFIG SET repl-backlog-size`: Redis's floor is 16 KB.
    pub fn set_capacity(&self, bytes: usize) {
        let mut ring = self.ring();
        ring.capacity = bytes.max(16 * 1024);
        ring.trim();
    }

    // ANCHOR: append
    /// Adds one command's changes to the stream. Called under the store's write guard, right
    /// beside the AOF's append, so both see the same changes in the same order.
    pub fn append(&self, changes: &[Change], in_multi: bool) {
        if !self.is_active() || changes.is_empty() || self.following.load(Ordering::Relaxed) {
            return;
        }
        let mut ring = self.ring();
        let mut bytes = Vec::with_capacity(64);
        encode_changes(changes, in_multi, &mut ring.selected, &mut bytes);
        ring.push(&bytes);
        drop(ring);
        self.grew.notify_all();
    }
    // ANCHOR_END: append

    /// Adds a command of the master's own to the stream (`PING`, `REPLCONF GETACK *`): it
    /// changes no data, and counts in the offsets like any other.
    pub fn append_command(&self, argv: &[&[u8]]) {
        if !self.is_active() || self.following.load(Ordering::Relaxed) {
            return;
        }
        let mut bytes = Vec::new();
        encode_command(argv, &mut bytes);
        self.ring().push(&bytes);
        self.grew.notify_all();
    }

    /// The stream's name and end offset, read together: what a full sync's snapshot is taken
    /// at. The next change written starts with a `SELECT`, for the replica that loads it.
    pub fn position_for_full_sync(&self) -> (String, u64) {
        let mut ring = self.ring();
        ring.selected = None;
        (ring.replid.clone(), ring.offset)
    }

    /// Whether a replica that has applied stream `replid` up to `offset` (exclusive) can
    /// continue from there.
    pub fn resume(&self, replid: &str, offset: u64) -> Resume {
        let ring = self.ring();
        let ours = replid == ring.replid
            || (replid == ring.replid2 && ring.second_offset.is_some_and(|s| offset <= s));
        let start = ring.offset - ring.bytes.len() as u64;
        if self.is_active() && ours && offset >= start && offset <= ring.offset {
            Resume::From(offset)
        } else {
            Resume::Full
        }
    }

    /// Up to `max` bytes of the stream from `offset` on, waiting up to `wait` for some to
    /// arrive; `None` if `offset` has fallen out of the ring (the replica is too far behind).
    pub fn wait_beyond(&self, offset: u64, max: usize, wait: Duration) -> Option<Vec<u8>> {
        let mut ring = self.ring();
        if ring.offset <= offset && !wait.is_zero() {
            ring = self
                .grew
                .wait_timeout_while(ring, wait, |r| r.offset <= offset)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        let start = ring.offset - ring.bytes.len() as u64;
        if offset < start {
            return None;
        }
        let from = (offset - start) as usize;
        let to = ring.bytes.len().min(from + max);
        Some(ring.bytes.range(from..to).copied().collect())
    }

    /// `master_repl_offset`.
    pub fn offset(&self) -> u64 {
        self.ring().offset
    }

    /// `master_replid`.
    pub fn replid(&self) -> String {
        self.ring().replid.clone()
    }

    /// The `INFO replication` lines about the stream, in Redis's order.
    pub fn info(&self) -> Vec<(&'static str, String)> {
        let ring = self.ring();
        let start = ring.offset - ring.bytes.len() as u64;
        vec![
            ("master_replid", ring.replid.clone()),
            ("master_replid2", ring.replid2.clone()),
            ("master_repl_offset", ring.offset.to_string()),
            (
                "second_repl_offset",
                ring.second_offset
                    .map_or("-1".to_string(), |o| (o + 1).to_string()),
            ),
            (
                "repl_backlog_active",
                u8::from(self.is_active()).to_string(),
            ),
            ("repl_backlog_size", ring.capacity.to_string()),
            ("repl_backlog_first_byte_offset", (start + 1).to_string()),
            ("repl_backlog_histlen", ring.bytes.len().to_string()),
        ]
    }

    // ANCHOR: follow
    /// This server became a replica of stream `replid` at `offset` (a full sync, or a
    /// continue naming a new id): from now on its own stream is that one, so its replicas, and
    /// a later promotion, carry on from it. The ring is kept from now on, as Redis's replica
    /// creates its backlog when it syncs: without it, a fellow replica could not continue from
    /// this one once it is promoted.
    pub fn follow(&self, replid: &str, offset: u64) {
        let mut ring = self.ring();
        self.active.store(true, Ordering::Relaxed);
        ring.replid = replid.to_string();
        ring.offset = offset;
        ring.bytes.clear();
        ring.selected = None;
        ring.second_offset = None;
        self.following.store(true, Ordering::Relaxed);
    }

    /// Bytes this replica received from its master: they enter its own stream as they are, so
    /// offsets mean the same on both.
    pub fn append_raw(&self, bytes: &[u8]) {
        let mut ring = self.ring();
        ring.push(bytes);
        drop(ring);
        self.grew.notify_all();
    }

    /// `REPLICAOF NO ONE`: this replica becomes a master. Its stream gets a new name, and the
    /// old one is kept as `replid2` so its own former fellow replicas can continue from it.
    pub fn promote(&self) {
        let mut ring = self.ring();
        ring.replid2 = std::mem::replace(&mut ring.replid, random_id());
        ring.second_offset = Some(ring.offset);
        // Its own changes start with a `SELECT`: it cannot know the database its master's
        // stream was left in.
        ring.selected = None;
        self.following.store(false, Ordering::Relaxed);
    }
    // ANCHOR_END: follow

    /// `DEBUG CHANGE-REPL-ID`: a new name for the stream.
    pub fn new_replid(&self) {
        self.ring().replid = random_id();
    }
}

impl Ring {
    fn push(&mut self, bytes: &[u8]) {
        self.bytes.extend(bytes);
        self.offset += bytes.len() as u64;
        self.trim();
    }

    fn trim(&mut self) {
        let excess = self.bytes.len().saturating_sub(self.capacity);
        self.bytes.drain(..excess);
    }
}

/// 40 random hex digits: a replication id, as Redis draws them.
pub fn random_id() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..40)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(db: usize, k: &str) -> Change {
        Change {
            db,
            effect: vec![b"SET".to_vec(), k.as_bytes().to_vec(), b"v".to_vec()],
        }
    }

    #[test]
    fn nothing_is_kept_until_a_replica_comes() {
        let b = Backlog::new("a".repeat(40));
        b.append(&[set(0, "k")], false);
        assert_eq!(b.offset(), 0);
        b.activate();
        b.append(&[set(0, "k")], false);
        let all = b.wait_beyond(0, usize::MAX, Duration::ZERO).unwrap();
        assert_eq!(
            all,
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
        );
        assert_eq!(b.offset(), all.len() as u64);
    }

    #[test]
    fn a_replica_continues_only_while_its_bytes_are_in_the_ring() {
        let id = "b".repeat(40);
        let b = Backlog::new(id.clone());
        b.activate();
        b.set_capacity(16 * 1024);
        b.append(&[set(0, "first")], false);
        let after_first = b.offset();
        assert_eq!(b.resume(&id, after_first), Resume::From(after_first));
        assert_eq!(b.resume(&id, 0), Resume::From(0));
        assert_eq!(b.resume(&"c".repeat(40), 0), Resume::Full);
        assert_eq!(b.resume(&id, after_first + 1), Resume::Full);
        for i in 0..1000 {
            b.append(&[set(0, &format!("key{i}"))], false);
        }
        // 16 KB kept: the first bytes are gone.
        assert_eq!(b.resume(&id, 0), Resume::Full);
        assert!(b.wait_beyond(0, 10, Duration::ZERO).is_none());
        let end = b.offset();
        assert_eq!(b.resume(&id, end), Resume::From(end));
        assert_eq!(b.wait_beyond(end, 10, Duration::ZERO), Some(Vec::new()));
    }

    #[test]
    fn a_promoted_replica_still_continues_its_old_stream() {
        let old = "d".repeat(40);
        let b = Backlog::new("e".repeat(40));
        b.activate();
        b.follow(&old, 1000);
        b.append_raw(b"*1\r\n$4\r\nPING\r\n");
        b.promote();
        assert_ne!(b.replid(), old);
        assert_eq!(b.resume(&old, 1014), Resume::From(1014));
        assert_eq!(b.resume(&old, 1015), Resume::Full);
    }
}
