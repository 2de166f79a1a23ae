//! The `aof-writer` thread: drains the channel, writes each batch with one `write`, fsyncs as
//! `appendfsync` says, finishes rewrites and starts the automatic ones.
//!
//! Go original: the writer goroutine of `internal/persistence/aof.go`. Explained in: book
//! chapter 6.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::rewrite;
use super::state::{Inner, Msg, lock, policy_from_u8, policy_is_always, strerror};
use crate::config::FsyncPolicy;

/// The state of the `aof-writer` thread.
pub(super) struct Writer {
    inner: Arc<Inner>,
    /// `None` after `CONFIG SET appendonly yes` until the first rewrite creates the file.
    file: Option<File>,
    /// Bytes written since the last fsync.
    dirty: bool,
    last_fsync: Instant,
    /// While a rewrite runs: every record since its snapshot, for the new file.
    rewrite_buf: Option<Vec<u8>>,
}

impl Writer {
    pub(super) fn new(inner: Arc<Inner>, file: Option<File>) -> Self {
        Writer {
            inner,
            file,
            dirty: false,
            last_fsync: Instant::now(),
            rewrite_buf: None,
        }
    }

    // ANCHOR: writer_loop
    /// The thread body: wait for records, drain every queued one, write them in one go, fsync as
    /// the policy says, repeat until every sender is gone; then a last write and fsync.
    pub(super) fn run(mut self, rx: Receiver<Msg>) {
        let mut batch = Vec::with_capacity(64 * 1024);
        loop {
            // Under everysec, wake up in time to fsync what is still dirty; otherwise once a
            // second, to look at the automatic rewrite (an idle writer costs nothing more).
            let everysec =
                policy_from_u8(self.inner.fsync.load(Ordering::Relaxed)) == FsyncPolicy::EverySec;
            let timeout = if everysec && self.dirty {
                Duration::from_secs(1)
                    .saturating_sub(self.last_fsync.elapsed())
                    .max(Duration::from_millis(1))
            } else {
                Duration::from_secs(1)
            };
            let first = match rx.recv_timeout(timeout) {
                Ok(msg) => Some(msg),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            if first.is_some() && !policy_is_always(&self.inner) {
                // Not `always`: nobody waits for this batch, so let it fill for a moment. While
                // this thread sleeps instead of blocking in `recv`, a client's send is a plain
                // queue push with no wake-up system call, and the batch becomes one write
                // instead of dozens. Durability moves by a millisecond; `everysec` allows 1000.
                std::thread::sleep(Duration::from_millis(1));
            }
            let mut max_seq = 0;
            let mut done = None;
            // Drain all that is queued: this is what makes one write and one fsync serve many.
            for msg in first
                .into_iter()
                .chain(std::iter::from_fn(|| rx.try_recv().ok()))
            {
                match msg {
                    Msg::Append { seq, bytes } => {
                        self.inner
                            .queued_bytes
                            .fetch_sub(bytes.len() as u64, Ordering::Relaxed);
                        batch.extend_from_slice(&bytes);
                        if let Some(buf) = self.rewrite_buf.as_mut() {
                            buf.extend_from_slice(&bytes);
                        }
                        max_seq = seq;
                    }
                    Msg::RewriteStart => self.rewrite_buf = Some(Vec::new()),
                    Msg::RewriteDone(result) => {
                        // Finish what came before the swap first, so both files stay complete.
                        done = Some(result);
                        break;
                    }
                }
            }
            self.write_batch(&batch);
            batch.clear();
            self.apply_fsync_policy(max_seq);
            if let Some(result) = done {
                self.finish_rewrite(result);
            }
            self.maybe_auto_rewrite();
            // A batch that grew past its usual size (one huge command, a burst) gives the
            // memory back, as Redis frees an AOF buffer bigger than a few KB after each write.
            if batch.capacity() > 64 * 1024 {
                batch = Vec::with_capacity(64 * 1024);
            }
        }
        // Shutdown or AOF off: everything is drained; make it durable whatever the policy.
        if let Some(f) = self.file.as_ref()
            && self.dirty
            && let Err(e) = f.sync_data()
        {
            crate::warn!("aof", "fsync at shutdown failed: {e}");
        }
        if let Some(result) = self
            .rewrite_buf
            .take()
            .map(|_| Err("the AOF was closed".to_string()))
        {
            self.finish_rewrite(result);
        }
        let mut p = lock(&self.inner.progress);
        p.closed = true;
        self.inner.progress_cv.notify_all();
    }
    // ANCHOR_END: writer_loop

    // ANCHOR: write_batch
    /// Writes `bytes` at the end of the file, retrying until it works (or the AOF is stopping).
    fn write_batch(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let Some(file) = self.file.as_mut() else {
            return; // waiting for the first rewrite: the records are in its buffer
        };
        let mut pause = Duration::from_millis(50);
        let mut attempts = 0;
        loop {
            let good_len = self.inner.current_size.load(Ordering::Relaxed);
            let injected = self.inner.injected_errno.load(Ordering::SeqCst);
            let result = if injected != 0 {
                Err(io::Error::from_raw_os_error(injected))
            } else {
                file.write_all(bytes)
            };
            match result {
                Ok(()) => {
                    self.inner
                        .current_size
                        .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    self.dirty = true;
                    if self.inner.write_failing.swap(false, Ordering::SeqCst) {
                        *lock(&self.inner.write_error) = None;
                        crate::info!(
                            "aof",
                            "AOF write error looks solved: writes are accepted again"
                        );
                    }
                    return;
                }
                Err(e) => {
                    // A short write left part of a record: cut it off so the retry starts clean.
                    let _ = file.set_len(good_len);
                    let reason = strerror(&e);
                    if !self.inner.write_failing.swap(true, Ordering::SeqCst) {
                        crate::warn!(
                            "aof",
                            "error writing to the AOF: {reason}; refusing writes until it works"
                        );
                    }
                    *lock(&self.inner.write_error) = Some(reason);
                    attempts += 1;
                    if self.inner.stopping.load(Ordering::SeqCst) && attempts >= 3 {
                        crate::warn!(
                            "aof",
                            "giving up on {} bytes of the AOF at shutdown",
                            bytes.len()
                        );
                        return;
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
            }
        }
    }
    // ANCHOR_END: write_batch

    // ANCHOR: fsync_policy
    /// Fsyncs as `appendfsync` says, then publishes how far the log is durable.
    fn apply_fsync_policy(&mut self, max_seq: u64) {
        let policy = policy_from_u8(self.inner.fsync.load(Ordering::Relaxed));
        let due = match policy {
            // Group commit: one fsync for the whole batch, before anyone in it gets a reply.
            FsyncPolicy::Always => max_seq > 0,
            FsyncPolicy::EverySec => self.last_fsync.elapsed() >= Duration::from_secs(1),
            FsyncPolicy::No => false,
        };
        if due && self.dirty {
            if let Some(f) = self.file.as_ref()
                && let Err(e) = f.sync_data()
            {
                crate::warn!("aof", "fsync of the AOF failed: {e}");
            }
            self.dirty = false;
        }
        if due {
            self.last_fsync = Instant::now();
        }
        if max_seq > 0 {
            let mut p = lock(&self.inner.progress);
            p.durable = p.durable.max(max_seq);
            self.inner.progress_cv.notify_all();
        }
    }
    // ANCHOR_END: fsync_policy

    // ANCHOR: finish_rewrite
    /// The last step of a rewrite, on this thread so no record can slip in between: append the
    /// records buffered since the snapshot to the new file, fsync it, rename it over the old
    /// one (atomic: a crash leaves either file, both loadable), fsync the directory so the
    /// rename itself survives a crash, and carry on appending to the new file.
    fn finish_rewrite(&mut self, result: Result<PathBuf, String>) {
        let buffered = self.rewrite_buf.take().unwrap_or_default();
        let outcome =
            result.and_then(|tmp| self.swap_in(&tmp, &buffered).map_err(|e| e.to_string()));
        self.inner.rewrite.finish(outcome.map(Some));
    }
    // ANCHOR_END: finish_rewrite

    fn swap_in(&mut self, tmp: &Path, buffered: &[u8]) -> io::Result<u64> {
        let path = self.inner.path();
        let mut file = OpenOptions::new().append(true).open(tmp)?;
        file.write_all(buffered)?;
        file.sync_all()?;
        std::fs::rename(tmp, &path)?;
        if let Some(dir) = path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            // Directories can be opened and fsynced on Unix; elsewhere this is best effort.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        let size = file.metadata()?.len();
        // The renamed file is the same open file: keep appending to it.
        self.file = Some(file);
        self.dirty = false;
        self.inner.current_size.store(size, Ordering::Relaxed);
        self.inner.base_size.store(size, Ordering::Relaxed);
        Ok(size)
    }

    /// Starts a rewrite when the file has grown by `auto-aof-rewrite-percentage` since the last
    /// one (or the load) and is at least `auto-aof-rewrite-min-size`, as Redis's `serverCron` does.
    fn maybe_auto_rewrite(&self) {
        let i = &self.inner;
        if self.file.is_none() && !i.rewrite.running() && !i.stopping.load(Ordering::Relaxed) {
            // `CONFIG SET appendonly yes` whose first rewrite failed: nothing reaches a file until
            // one succeeds, so try again (once a second); the new snapshot covers everything.
            if let Some(store) = i.store.get().and_then(Weak::upgrade)
                && let Err(e) = rewrite::start(i, store)
            {
                crate::warn!("aof", "retrying the first rewrite failed: {e}");
            }
            return;
        }
        let pct = i.auto_percentage.load(Ordering::Relaxed);
        let size = i.current_size.load(Ordering::Relaxed);
        if pct == 0
            || self.file.is_none()
            || i.stopping.load(Ordering::Relaxed)
            || size < i.auto_min_size.load(Ordering::Relaxed)
            || i.rewrite.running()
        {
            return;
        }
        let base = i.base_size.load(Ordering::Relaxed).max(1);
        let growth = (size.saturating_sub(base)) * 100 / base;
        if growth < pct {
            return;
        }
        let Some(store) = i.store.get().and_then(Weak::upgrade) else {
            return;
        };
        crate::info!(
            "aof",
            "Starting automatic rewriting of AOF on {growth}% growth"
        );
        if let Err(e) = rewrite::start(i, store) {
            crate::warn!("aof", "automatic rewrite not started: {e}");
        }
    }
}
