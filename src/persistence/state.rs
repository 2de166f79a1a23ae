//! What the AOF's threads share: the handle's state, the writer's channel and the record of
//! the rewrite.
//!
//! Go original: the `AOF` struct of `internal/persistence/aof.go`. Explained in: book chapter 6.
//!
//! Three threads touch it: client threads append through [`super::Aof`], the `aof-writer` thread
//! ([`super::writer`]) drains the channel, and the `aof-rewrite` thread ([`super::rewrite`]) sends
//! its markers. Each of the three files uses this one and none uses another's internals, so the
//! dependencies run one way.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, RwLock, Weak};
use std::thread::JoinHandle;
use std::time::Instant;

use crate::config::FsyncPolicy;
use crate::engine::store::Store;

/// What the writer thread receives, in store order.
pub(super) enum Msg {
    /// Encoded records, numbered.
    Append { seq: u64, bytes: Vec<u8> },
    /// A rewrite took its snapshot here: from now on, copy every record for the new file too.
    RewriteStart,
    /// The rewrite's snapshot is complete in this temporary file (or failed): finish the swap.
    RewriteDone(Result<PathBuf, String>),
}

/// The sending end and the thread, swapped as a whole by `CONFIG SET appendonly`.
#[derive(Default)]
pub(super) struct Chan {
    pub(super) tx: Option<Sender<Msg>>,
    pub(super) next_seq: u64,
    /// The database the stream sent to the writer is in: the last `SELECT` it holds, or `None`
    /// when the next append must begin with one (a new writer, or a rewrite's new file).
    pub(super) selected_db: Option<usize>,
    pub(super) thread: Option<JoinHandle<()>>,
}

/// How far the writer got; [`Aof::wait`] sleeps on it.
#[derive(Default)]
pub(super) struct Progress {
    /// Every record up to this sequence number is written and (under `always`) fsynced.
    pub(super) durable: u64,
    /// The writer has exited: nobody will advance `durable` any more.
    pub(super) closed: bool,
}

/// The state the dispatcher, the writer thread and the rewrite thread share.
pub(super) struct Inner {
    pub(super) path: Mutex<PathBuf>,
    pub(super) enabled: AtomicBool,
    pub(super) fsync: AtomicU8,
    pub(super) chan: Mutex<Chan>,
    pub(super) progress: Mutex<Progress>,
    pub(super) progress_cv: Condvar,
    /// `Some(reason)` while the last write failed.
    pub(super) write_error: Mutex<Option<String>>,
    pub(super) write_failing: AtomicBool,
    /// Test hook: while non-zero, every write fails with this OS error number.
    pub(super) injected_errno: AtomicI32,
    pub(super) stopping: AtomicBool,
    pub(super) current_size: AtomicU64,
    pub(super) base_size: AtomicU64,
    /// Bytes appended but not yet taken by the writer (`aof_buffer_length`).
    pub(super) queued_bytes: AtomicU64,
    pub(super) auto_percentage: AtomicU64,
    pub(super) auto_min_size: AtomicU64,
    /// `rdb-key-save-delay`: microseconds the rewrite sleeps after each key (0: none), so
    /// tests can hold a rewrite open long enough to write during it, as Redis's tests do.
    pub(super) key_save_delay_us: AtomicU64,
    /// `aof-use-rdb-preamble`: a rewrite writes its snapshot in the RDB format, and the
    /// commands after it stay RESP.
    pub(super) use_rdb_preamble: AtomicBool,
    /// Where the rewrite stands: the one record of it, for `INFO persistence`.
    pub(super) rewrite: RewriteStatus,
    /// The store, for automatic rewrites started by the writer thread.
    pub(super) store: OnceLock<Weak<RwLock<Store>>>,
}

/// Locks a mutex of this module. Poisoning means a thread panicked while holding it; every
/// value behind these mutexes is valid between statements, so carrying on is safe.
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(super) fn policy_to_u8(p: FsyncPolicy) -> u8 {
    match p {
        FsyncPolicy::Always => 0,
        FsyncPolicy::EverySec => 1,
        FsyncPolicy::No => 2,
    }
}

pub(super) fn policy_from_u8(v: u8) -> FsyncPolicy {
    match v {
        0 => FsyncPolicy::Always,
        1 => FsyncPolicy::EverySec,
        _ => FsyncPolicy::No,
    }
}

/// True under `appendfsync always`, where clients wait for every batch.
pub(super) fn policy_is_always(inner: &Inner) -> bool {
    policy_from_u8(inner.fsync.load(Ordering::Relaxed)) == FsyncPolicy::Always
}

/// `strerror` text of an I/O error: Redis prints "No space left on device", std appends
/// " (os error 28)", which we drop so the reply matches Redis byte for byte.
pub(super) fn strerror(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

impl Inner {
    /// The path of the AOF.
    pub(super) fn path(&self) -> PathBuf {
        lock(&self.path).clone()
    }

    /// Sends `msg` to the writer, if one runs; returns false if none does.
    pub(super) fn send(&self, msg: Msg) -> bool {
        let mut chan = lock(&self.chan);
        if matches!(msg, Msg::RewriteStart) {
            // What follows goes to the new file too, which must not depend on the old one's
            // last `SELECT`.
            chan.selected_db = None;
        }
        chan.tx.as_ref().is_some_and(|tx| tx.send(msg).is_ok())
    }
}

// ANCHOR: rewrite_status
/// Where the rewrite stands: whether one runs, since when, and how the last ones ended. The
/// rewrite thread starts one; whichever thread ends it (the writer, after swapping the files, or
/// the rewrite thread itself when the AOF is off) records the end here, so `INFO persistence`
/// reads one record.
pub(super) struct RewriteStatus {
    in_progress: AtomicBool,
    started: Mutex<Option<Instant>>,
    last_secs: AtomicI64,
    last_ok: AtomicBool,
    done: AtomicU64,
    consecutive_failures: AtomicU64,
    /// Signalled, under `started`, whenever a rewrite ends (`Aof::rewrite_and_wait` waits on it).
    ended: Condvar,
}
// ANCHOR_END: rewrite_status

impl RewriteStatus {
    pub(super) fn new() -> Self {
        RewriteStatus {
            in_progress: AtomicBool::new(false),
            started: Mutex::new(None),
            last_secs: AtomicI64::new(-1),
            last_ok: AtomicBool::new(true),
            done: AtomicU64::new(0),
            consecutive_failures: AtomicU64::new(0),
            ended: Condvar::new(),
        }
    }

    /// Waits until no rewrite runs; returns whether the last one that ended succeeded.
    pub(super) fn wait_idle(&self) -> bool {
        let mut started = lock(&self.started);
        while self.running() {
            started = self.ended.wait(started).unwrap_or_else(|p| p.into_inner());
        }
        self.last_ok.load(Ordering::Relaxed)
    }

    /// True while a rewrite runs.
    pub(super) fn running(&self) -> bool {
        self.in_progress.load(Ordering::SeqCst)
    }

    /// Claims the one rewrite slot.
    ///
    /// # Errors
    /// Redis's reply text when a rewrite is already running.
    pub(super) fn begin(&self) -> Result<(), String> {
        if self.in_progress.swap(true, Ordering::SeqCst) {
            return Err(
                "ERR Background append only file rewriting already in progress".to_string(),
            );
        }
        *lock(&self.started) = Some(Instant::now());
        Ok(())
    }

    /// Gives the slot back when the rewrite could not even start.
    pub(super) fn abandon(&self) {
        let mut started = lock(&self.started);
        *started = None;
        self.in_progress.store(false, Ordering::SeqCst);
        self.ended.notify_all();
    }

    /// Records how a rewrite ended (`Ok` with the new file's size when it is known), logs it,
    /// and frees the slot.
    pub(super) fn finish(&self, outcome: Result<Option<u64>, String>) {
        let started = lock(&self.started).take();
        self.last_secs.store(
            started.map_or(0, |t| t.elapsed().as_secs() as i64),
            Ordering::Relaxed,
        );
        self.last_ok.store(outcome.is_ok(), Ordering::Relaxed);
        match outcome {
            Ok(size) => {
                self.done.fetch_add(1, Ordering::Relaxed);
                self.consecutive_failures.store(0, Ordering::Relaxed);
                match size {
                    Some(size) => crate::info!(
                        "aof",
                        "Background AOF rewrite finished successfully: {size} bytes"
                    ),
                    None => crate::info!("aof", "Background AOF rewrite finished successfully"),
                }
            }
            Err(e) => {
                self.consecutive_failures.fetch_add(1, Ordering::Relaxed);
                crate::warn!("aof", "Background AOF rewrite failed: {e}");
            }
        }
        let _started = lock(&self.started);
        self.in_progress.store(false, Ordering::SeqCst);
        self.ended.notify_all();
    }

    /// The `INFO persistence` fields about rewrites, in Redis's order.
    pub(super) fn info(&self) -> [(&'static str, String); 7] {
        let flag = |b: bool| if b { "1" } else { "0" }.to_string();
        let current = lock(&self.started).map_or(-1, |t| t.elapsed().as_secs() as i64);
        [
            ("aof_rewrite_in_progress", flag(self.running())),
            ("aof_rewrite_scheduled", "0".to_string()),
            (
                "aof_last_rewrite_time_sec",
                self.last_secs.load(Ordering::Relaxed).to_string(),
            ),
            ("aof_current_rewrite_time_sec", current.to_string()),
            (
                "aof_last_bgrewrite_status",
                if self.last_ok.load(Ordering::Relaxed) {
                    "ok"
                } else {
                    "err"
                }
                .to_string(),
            ),
            (
                "aof_rewrites",
                self.done.load(Ordering::Relaxed).to_string(),
            ),
            (
                "aof_rewrites_consecutive_failures",
                self.consecutive_failures
                    .load(Ordering::Relaxed)
                    .to_string(),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strerror_drops_the_os_error_suffix() {
        assert_eq!(
            strerror(&io::Error::from_raw_os_error(28)),
            "No space left on device"
        );
    }

    #[test]
    fn one_rewrite_at_a_time() {
        let status = RewriteStatus::new();
        assert!(status.begin().is_ok());
        assert!(status.begin().is_err());
        status.finish(Ok(None));
        assert!(!status.running());
        assert_eq!(status.info()[5].1, "1");
    }
}
