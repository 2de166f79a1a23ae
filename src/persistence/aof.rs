//! The AOF handle: effects in, durable bytes out (the writer thread is in `writer.rs`).
//!
//! Go original: `internal/persistence/aof.go` (`NewAOF`, `Append`, the writer goroutine).
//! Explained in: book chapter 6.
//!
//! # How a write reaches the disk
//! 1. A write command runs under the store's write guard and logs its effects; `commit()` calls
//!    [`Aof::append`], still under the guard, which encodes them as RESP and sends them down an
//!    unbounded `mpsc` channel with a sequence number. A channel send is a memory operation, so
//!    the guard is never held across disk I/O, and since every append happens under the one
//!    write guard the channel order *is* the store order (design invariant 4).
//! 2. The `aof-writer` thread wakes, drains *everything* queued, and writes it with one `write`.
//! 3. It applies `appendfsync`: `always` fsyncs that batch and only then publishes the batch's
//!    last sequence number, which is what [`Aof::wait`] (called after the guard is released)
//!    waits for. One fsync serves every client of the batch: *group commit*. The busier the
//!    server, the bigger the batches, the cheaper each write's share of the fsync.
//!    `everysec` fsyncs from the same thread at most once a second while clients carry on;
//!    `no` leaves it to the OS.
//!
//! The alternative, each client writing and fsyncing the file itself, would need a lock around
//! the file, and a disk's fsync (milliseconds) would serialise every writer behind it.
//!
//! # When the disk fails
//! A failed `write` (disk full, EIO) is rolled back to the last good length (a short write must
//! not leave half a record that the retry would then follow with a whole one), retried with a
//! growing pause, reported by `INFO` (`aof_last_write_status:err`) and, until a write succeeds,
//! every write command is refused with Redis's `MISCONF` error: accepting writes that cannot be
//! logged would make promises the file cannot keep. Under `always` the clients of the failing
//! batch keep waiting for their reply until the retry succeeds (Redis instead exits, so that a
//! supervisor restarts it); at shutdown the writer gives up after three more attempts.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, OnceLock, RwLock, Weak};

use super::Change;
use super::rdb::key_save_delay;
use super::rewrite;
use super::state::{Chan, Inner, Msg, Progress, RewriteStatus, lock, policy_from_u8, policy_to_u8};
use super::writer::Writer;
use crate::config::{Config, FsyncPolicy};
use crate::engine::store::Store;
use crate::protocol::resp::Value;

/// A position in the AOF stream that a client may have to wait for (`appendfsync always`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket(pub u64);

impl Ticket {
    /// Nothing to wait for.
    pub const NONE: Ticket = Ticket(0);
}

// ANCHOR: aof
/// The AOF as the rest of the server sees it: cheap to append to, safe to share.
pub struct Aof {
    inner: Arc<Inner>,
}
// ANCHOR_END: aof

impl Default for Aof {
    fn default() -> Self {
        Aof::disabled()
    }
}

impl Aof {
    /// An AOF that logs nothing until [`Aof::start`] or `CONFIG SET appendonly yes`.
    pub fn disabled() -> Self {
        Aof::new(&Config {
            appendonly: false,
            ..Config::default()
        })
    }

    /// An AOF configured by `config`, not yet writing: the server replays the file and then
    /// calls [`Aof::start`].
    pub fn new(config: &Config) -> Self {
        Aof {
            inner: Arc::new(Inner {
                path: Mutex::new(config.dir.join(&config.appendfilename)),
                enabled: AtomicBool::new(false),
                fsync: AtomicU8::new(policy_to_u8(config.appendfsync)),
                chan: Mutex::new(Chan::default()),
                progress: Mutex::new(Progress::default()),
                progress_cv: Condvar::new(),
                write_error: Mutex::new(None),
                write_failing: AtomicBool::new(false),
                injected_errno: AtomicI32::new(0),
                stopping: AtomicBool::new(false),
                current_size: AtomicU64::new(0),
                base_size: AtomicU64::new(0),
                queued_bytes: AtomicU64::new(0),
                auto_percentage: AtomicU64::new(config.auto_aof_rewrite_percentage),
                auto_min_size: AtomicU64::new(config.auto_aof_rewrite_min_size),
                key_save_delay_us: AtomicU64::new(key_save_delay(config)),
                use_rdb_preamble: AtomicBool::new(rdb_preamble(config)),
                rewrite: RewriteStatus::new(),
                store: OnceLock::new(),
            }),
        }
    }

    /// Opens `path` for appending (creating it) and starts the `aof-writer` thread.
    /// `size` is the file's length after loading: the base for automatic rewrites.
    ///
    /// # Errors
    /// The file cannot be opened or the thread cannot be spawned.
    pub fn start(&self, path: &Path, size: u64) -> anyhow::Result<()> {
        use anyhow::Context as _;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening the AOF {}", path.display()))?;
        *lock(&self.inner.path) = path.to_path_buf();
        self.inner.current_size.store(size, Ordering::Relaxed);
        self.inner.base_size.store(size, Ordering::Relaxed);
        self.spawn_writer(Some(file))?;
        Ok(())
    }

    fn spawn_writer(&self, file: Option<File>) -> io::Result<()> {
        let mut chan = lock(&self.inner.chan);
        let (tx, rx) = mpsc::channel();
        *lock(&self.inner.progress) = Progress {
            durable: chan.next_seq,
            closed: false,
        };
        // A new writer may open a file that ends in any database: say which one first.
        chan.selected_db = None;
        self.inner.stopping.store(false, Ordering::SeqCst);
        let inner = self.inner.clone();
        let thread = std::thread::Builder::new()
            .name("aof-writer".into())
            .spawn(move || Writer::new(inner, file).run(rx))?;
        chan.tx = Some(tx);
        chan.thread = Some(thread);
        self.inner.enabled.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Lets the writer thread start automatic rewrites: it needs the store to snapshot.
    pub fn attach_store(&self, store: &Arc<RwLock<Store>>) {
        let _ = self.inner.store.set(Arc::downgrade(store));
    }

    // ANCHOR: append
    /// Queues effects for the writer thread, wrapped in `MULTI` … `EXEC` when a transaction
    /// made more than one (a single change is atomic by itself, and Redis 7 leaves it bare too),
    /// each preceded by a `SELECT` when its database is not the one the file is in, as Redis
    /// writes them. Called under the write guard so that the log order is the store
    /// order (design invariant 4). Never blocks on disk and never drops an entry: the channel is
    /// unbounded, so a slow disk costs memory, not correctness.
    pub fn append(&self, changes: &[Change], in_multi: bool) -> Ticket {
        if !self.inner.enabled.load(Ordering::Relaxed) || changes.is_empty() {
            return Ticket::NONE;
        }
        // Uncontended: every caller holds the store's write guard already.
        let mut chan = lock(&self.inner.chan);
        if chan.tx.is_none() {
            return Ticket::NONE;
        }
        // Encoding here, not on the writer thread, costs the guard a memcpy of the effect but
        // saves cloning the effects into owned vectors to send them: one allocation either way.
        let mut bytes = Vec::with_capacity(64);
        super::encode_changes(changes, in_multi, &mut chan.selected_db, &mut bytes);
        let Some(tx) = chan.tx.as_ref() else {
            return Ticket::NONE;
        };
        let seq = chan.next_seq + 1;
        let len = bytes.len();
        if tx.send(Msg::Append { seq, bytes }).is_err() {
            // Only if the writer thread panicked; shout rather than lose writes silently.
            crate::warn!(
                "aof",
                "the AOF writer thread is gone: writes are no longer logged"
            );
            return Ticket::NONE;
        }
        chan.next_seq = seq;
        self.inner
            .queued_bytes
            .fetch_add(len as u64, Ordering::Relaxed);
        Ticket(seq)
    }
    // ANCHOR_END: append

    // ANCHOR: wait
    /// Waits until `ticket` is durable as the fsync policy promises: under `appendfsync always`,
    /// until the batch holding it is written *and* fsynced; otherwise not at all. Called after
    /// the write guard is released, so other clients keep running (and joining the next batch).
    pub fn wait(&self, ticket: Ticket) {
        if ticket == Ticket::NONE || self.fsync_policy() != FsyncPolicy::Always {
            return;
        }
        let mut progress = lock(&self.inner.progress);
        while progress.durable < ticket.0 && !progress.closed {
            progress = self
                .inner
                .progress_cv
                .wait(progress)
                .unwrap_or_else(|p| p.into_inner());
        }
    }
    // ANCHOR_END: wait

    // ANCHOR: refuses_writes
    /// The `MISCONF` error to refuse writes with while the AOF cannot be written, as Redis words
    /// it: `MISCONF Errors writing to the AOF file: No space left on device`.
    pub fn refuses_writes(&self) -> Option<Value> {
        if !self.inner.write_failing.load(Ordering::Relaxed) {
            return None;
        }
        let reason = lock(&self.inner.write_error).clone()?;
        Some(Value::error_owned(format!(
            "MISCONF Errors writing to the AOF file: {reason}"
        )))
    }
    // ANCHOR_END: refuses_writes

    /// Writes and fsyncs everything queued, then stops the writer thread.
    pub fn shutdown(&self) {
        let (tx, thread) = {
            let mut chan = lock(&self.inner.chan);
            (chan.tx.take(), chan.thread.take())
        };
        self.inner.stopping.store(true, Ordering::SeqCst);
        // Dropping the only sender ends the writer's loop once it has drained the channel.
        drop(tx);
        if let Some(t) = thread {
            let _ = t.join();
        }
        self.inner.enabled.store(false, Ordering::SeqCst);
    }

    /// The current `appendfsync` policy.
    pub fn fsync_policy(&self) -> FsyncPolicy {
        policy_from_u8(self.inner.fsync.load(Ordering::Relaxed))
    }

    /// True while the AOF is on.
    pub fn is_enabled(&self) -> bool {
        self.inner.enabled.load(Ordering::Relaxed)
    }

    /// The `INFO persistence` fields about the AOF, in Redis's order.
    pub fn info(&self) -> Vec<(&'static str, String)> {
        let i = &self.inner;
        let enabled = self.is_enabled();
        let flag = |b: bool| if b { "1" } else { "0" }.to_string();
        let status = |ok: bool| if ok { "ok" } else { "err" }.to_string();
        let mut fields = vec![("aof_enabled", flag(enabled))];
        fields.extend(i.rewrite.info());
        fields.push((
            "aof_last_write_status",
            status(!i.write_failing.load(Ordering::Relaxed)),
        ));
        if enabled {
            let pending = i.queued_bytes.load(Ordering::Relaxed);
            fields.extend([
                (
                    "aof_current_size",
                    i.current_size.load(Ordering::Relaxed).to_string(),
                ),
                (
                    "aof_base_size",
                    i.base_size.load(Ordering::Relaxed).to_string(),
                ),
                ("aof_pending_rewrite", "0".to_string()),
                ("aof_buffer_length", pending.to_string()),
                ("aof_pending_bio_fsync", "0".to_string()),
                ("aof_delayed_fsync", "0".to_string()),
            ]);
        }
        fields
    }

    /// `CONFIG SET appendonly yes|no` at run time. Turning it on writes the whole store to a
    /// fresh file in the background (a rewrite), as Redis does; records appended meanwhile are
    /// kept and land in the new file after the snapshot.
    ///
    /// # Errors
    /// The text of the error reply when the AOF cannot be switched on.
    pub fn set_enabled(&self, on: bool, path: PathBuf) -> Result<(), String> {
        if on == self.is_enabled() {
            return Ok(());
        }
        if !on {
            self.shutdown();
            return Ok(());
        }
        if self.inner.rewrite.running() {
            return Err(
                "ERR Background append only file rewriting already in progress".to_string(),
            );
        }
        *lock(&self.inner.path) = path;
        // No file yet: until the rewrite's snapshot lands, records only go to its buffer.
        self.spawn_writer(None).map_err(|e| format!("ERR {e}"))?;
        self.start_rewrite()
    }

    /// `CONFIG SET appendfsync` at run time.
    pub fn set_fsync(&self, policy: FsyncPolicy) {
        self.inner
            .fsync
            .store(policy_to_u8(policy), Ordering::Relaxed);
    }

    /// `CONFIG SET auto-aof-rewrite-percentage` / `auto-aof-rewrite-min-size` at run time.
    pub fn set_auto_rewrite(&self, percentage: u64, min_size: u64) {
        self.inner
            .auto_percentage
            .store(percentage, Ordering::Relaxed);
        self.inner.auto_min_size.store(min_size, Ordering::Relaxed);
    }

    /// `CONFIG SET rdb-key-save-delay` and `aof-use-rdb-preamble` at run time.
    pub fn set_key_save_delay(&self, config: &Config) {
        self.inner
            .key_save_delay_us
            .store(key_save_delay(config), Ordering::Relaxed);
        self.inner
            .use_rdb_preamble
            .store(rdb_preamble(config), Ordering::Relaxed);
    }

    /// True while a rewrite runs (`BGSAVE` then waits, as Redis waits for its one child).
    pub fn rewrite_in_progress(&self) -> bool {
        self.inner.rewrite.running()
    }

    /// `BGREWRITEAOF`: starts a rewrite of the store given to [`Aof::attach_store`] in the
    /// background (see [`super::rewrite`]).
    ///
    /// # Errors
    /// The text of the error reply: a rewrite is already running, or there is no store.
    pub fn start_rewrite(&self) -> Result<(), String> {
        let Some(store) = self.inner.store.get().and_then(Weak::upgrade) else {
            return Err("ERR no store to rewrite".to_string());
        };
        rewrite::start(&self.inner, store)
    }

    /// Rewrites the AOF and waits for the new file: at start-up, when the store was loaded
    /// from `dump.rdb` and the AOF must begin with what it holds.
    ///
    /// # Errors
    /// A rewrite already runs, or this one failed.
    pub fn rewrite_and_wait(&self) -> Result<(), String> {
        self.start_rewrite()?;
        if self.inner.rewrite.wait_idle() {
            Ok(())
        } else {
            Err("the rewrite failed (see the log)".to_string())
        }
    }

    /// Waits until every record appended so far is written to the file (not necessarily
    /// fsynced), so that reading the file back sees them all (`DEBUG LOADAOF`). Returns false,
    /// without waiting, while writes are failing.
    pub fn flush(&self) -> bool {
        let target = lock(&self.inner.chan).next_seq;
        let mut progress = lock(&self.inner.progress);
        while progress.durable < target && !progress.closed {
            if self.inner.write_failing.load(Ordering::SeqCst) {
                return false;
            }
            let (p, _) = self
                .inner
                .progress_cv
                .wait_timeout(progress, std::time::Duration::from_millis(100))
                .unwrap_or_else(|p| p.into_inner());
            progress = p;
        }
        true
    }

    /// The AOF's path, whether or not it is on.
    pub fn path(&self) -> PathBuf {
        self.inner.path()
    }

    /// Makes every following write fail with OS error `errno` (0: stop failing), so tests can
    /// check the disk-full path without filling a disk.
    #[doc(hidden)]
    pub fn inject_write_error(&self, errno: i32) {
        self.inner.injected_errno.store(errno, Ordering::SeqCst);
    }
}

/// `aof-use-rdb-preamble yes`. Differs from Redis: off unless set (Redis: on), so that a
/// learner's AOF stays readable with `cat`.
fn rdb_preamble(config: &Config) -> bool {
    config
        .get("aof-use-rdb-preamble")
        .is_some_and(|v| v == "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disabled_aof_hands_out_no_tickets() {
        let aof = Aof::disabled();
        let set = Change {
            db: 0,
            effect: vec![b"SET".to_vec(), b"k".to_vec(), b"v".to_vec()],
        };
        let t = aof.append(&[set], false);
        assert_eq!(t, Ticket::NONE);
        aof.wait(t);
        assert!(aof.refuses_writes().is_none());
    }
}
