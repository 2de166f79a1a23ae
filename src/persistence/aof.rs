//! The AOF handle and its writer thread: effects in, durable bytes out.
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
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, RwLock, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Effect, encode_command};
use crate::commands::Shared;
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

/// What the writer thread receives, in store order.
pub(crate) enum Msg {
    /// Encoded records, numbered.
    Append { seq: u64, bytes: Vec<u8> },
    /// A rewrite took its snapshot here: from now on, copy every record for the new file too.
    RewriteStart,
    /// The rewrite's snapshot is complete in this temporary file (or failed): finish the swap.
    RewriteDone(Result<PathBuf, String>),
}

/// The sending end and the thread, swapped as a whole by `CONFIG SET appendonly`.
#[derive(Default)]
struct Chan {
    tx: Option<Sender<Msg>>,
    next_seq: u64,
    thread: Option<JoinHandle<()>>,
}

/// How far the writer got; [`Aof::wait`] sleeps on it.
#[derive(Default)]
struct Progress {
    /// Every record up to this sequence number is written and (under `always`) fsynced.
    durable: u64,
    /// The writer has exited: nobody will advance `durable` any more.
    closed: bool,
}

/// The state the dispatcher, the writer thread and the rewrite thread share.
pub(crate) struct Inner {
    path: Mutex<PathBuf>,
    enabled: AtomicBool,
    fsync: AtomicU8,
    chan: Mutex<Chan>,
    progress: Mutex<Progress>,
    progress_cv: Condvar,
    /// `Some(reason)` while the last write failed.
    write_error: Mutex<Option<String>>,
    write_failing: AtomicBool,
    /// Test hook: while non-zero, every write fails with this OS error number.
    injected_errno: AtomicI32,
    stopping: AtomicBool,
    pub(crate) current_size: AtomicU64,
    pub(crate) base_size: AtomicU64,
    pub(crate) rewrite_in_progress: AtomicBool,
    pub(crate) rewrite_started: Mutex<Option<Instant>>,
    pub(crate) last_rewrite_secs: AtomicI64,
    pub(crate) last_rewrite_ok: AtomicBool,
    pub(crate) rewrites: AtomicU64,
    /// Bytes appended but not yet taken by the writer (`aof_buffer_length`).
    queued_bytes: AtomicU64,
    pub(crate) rewrite_failures: AtomicU64,
    auto_percentage: AtomicU64,
    auto_min_size: AtomicU64,
    /// The store, for automatic rewrites started by the writer thread.
    store: OnceLock<Weak<RwLock<Store>>>,
}

/// Locks a mutex of this module. Poisoning means a thread panicked while holding it; every
/// value behind these mutexes is valid between statements, so carrying on is safe.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn policy_to_u8(p: FsyncPolicy) -> u8 {
    match p {
        FsyncPolicy::Always => 0,
        FsyncPolicy::EverySec => 1,
        FsyncPolicy::No => 2,
    }
}

fn policy_from_u8(v: u8) -> FsyncPolicy {
    match v {
        0 => FsyncPolicy::Always,
        1 => FsyncPolicy::EverySec,
        _ => FsyncPolicy::No,
    }
}

/// True under `appendfsync always`, where clients wait for every batch.
fn policy_is_always(inner: &Inner) -> bool {
    policy_from_u8(inner.fsync.load(Ordering::Relaxed)) == FsyncPolicy::Always
}

/// `strerror` text of an I/O error: Redis prints "No space left on device", std appends
/// " (os error 28)", which we drop so the reply matches Redis byte for byte.
pub(crate) fn strerror(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
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

    /// An AOF configured by `config`, not yet writing: [`super::open`] replays the file and then
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
                rewrite_in_progress: AtomicBool::new(false),
                rewrite_started: Mutex::new(None),
                last_rewrite_secs: AtomicI64::new(-1),
                last_rewrite_ok: AtomicBool::new(true),
                rewrites: AtomicU64::new(0),
                queued_bytes: AtomicU64::new(0),
                rewrite_failures: AtomicU64::new(0),
                auto_percentage: AtomicU64::new(config.auto_aof_rewrite_percentage),
                auto_min_size: AtomicU64::new(config.auto_aof_rewrite_min_size),
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
    /// Queues effects for the writer thread, wrapped in `MULTI` … `EXEC` when they come from a
    /// transaction. Called under the write guard so that the log order is the store order
    /// (design invariant 4). Never blocks on disk and never drops an entry: the channel is
    /// unbounded, so a slow disk costs memory, not correctness.
    pub fn append(&self, effects: &[Effect], in_multi: bool) -> Ticket {
        if !self.inner.enabled.load(Ordering::Relaxed) || effects.is_empty() {
            return Ticket::NONE;
        }
        // Encoding here, not on the writer thread, costs the guard a memcpy of the effect but
        // saves cloning the effects into owned vectors to send them: one allocation either way.
        let mut bytes = Vec::with_capacity(64);
        if in_multi {
            encode_command(&mut bytes, &[b"MULTI"]);
        }
        for effect in effects {
            encode_command(&mut bytes, effect);
        }
        if in_multi {
            encode_command(&mut bytes, &[b"EXEC"]);
        }
        // Uncontended: every caller holds the store's write guard already.
        let mut chan = lock(&self.inner.chan);
        let Some(tx) = chan.tx.as_ref() else {
            return Ticket::NONE;
        };
        let seq = chan.next_seq + 1;
        let len = bytes.len();
        if tx.send(Msg::Append { seq, bytes }).is_err() {
            // Only if the writer thread panicked; shout rather than lose writes silently.
            crate::warn!("aof", "the AOF writer thread is gone: writes are no longer logged");
            return Ticket::NONE;
        }
        chan.next_seq = seq;
        self.inner.queued_bytes.fetch_add(len as u64, Ordering::Relaxed);
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
            progress = self.inner.progress_cv.wait(progress).unwrap_or_else(|p| p.into_inner());
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
        let current_rewrite = lock(&i.rewrite_started).map_or(-1, |t| t.elapsed().as_secs() as i64);
        let mut fields = vec![
            ("aof_enabled", flag(enabled)),
            (
                "aof_rewrite_in_progress",
                flag(i.rewrite_in_progress.load(Ordering::Relaxed)),
            ),
            ("aof_rewrite_scheduled", "0".to_string()),
            (
                "aof_last_rewrite_time_sec",
                i.last_rewrite_secs.load(Ordering::Relaxed).to_string(),
            ),
            ("aof_current_rewrite_time_sec", current_rewrite.to_string()),
            (
                "aof_last_bgrewrite_status",
                status(i.last_rewrite_ok.load(Ordering::Relaxed)),
            ),
            ("aof_rewrites", i.rewrites.load(Ordering::Relaxed).to_string()),
            (
                "aof_rewrites_consecutive_failures",
                i.rewrite_failures.load(Ordering::Relaxed).to_string(),
            ),
            (
                "aof_last_write_status",
                status(!i.write_failing.load(Ordering::Relaxed)),
            ),
        ];
        if enabled {
            let pending = i.queued_bytes.load(Ordering::Relaxed);
            fields.extend([
                ("aof_current_size", i.current_size.load(Ordering::Relaxed).to_string()),
                ("aof_base_size", i.base_size.load(Ordering::Relaxed).to_string()),
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
    pub fn set_enabled(&self, shared: &Shared, on: bool) -> Result<(), String> {
        if on == self.is_enabled() {
            return Ok(());
        }
        if !on {
            self.shutdown();
            return Ok(());
        }
        if self.inner.rewrite_in_progress.load(Ordering::SeqCst) {
            return Err("ERR Background append only file rewriting already in progress".to_string());
        }
        {
            let config = shared.config();
            *lock(&self.inner.path) = config.dir.join(&config.appendfilename);
        }
        // No file yet: until the rewrite's snapshot lands, records only go to its buffer.
        self.spawn_writer(None).map_err(|e| format!("ERR {e}"))?;
        self.start_rewrite(shared)
    }

    /// `CONFIG SET appendfsync` at run time.
    pub fn set_fsync(&self, policy: FsyncPolicy) {
        self.inner.fsync.store(policy_to_u8(policy), Ordering::Relaxed);
    }

    /// `CONFIG SET auto-aof-rewrite-percentage` / `auto-aof-rewrite-min-size` at run time.
    pub fn set_auto_rewrite(&self, percentage: u64, min_size: u64) {
        self.inner.auto_percentage.store(percentage, Ordering::Relaxed);
        self.inner.auto_min_size.store(min_size, Ordering::Relaxed);
    }

    /// `BGREWRITEAOF`: starts a rewrite in the background (see [`super::rewrite`]).
    ///
    /// # Errors
    /// The text of the error reply: a rewrite is already running.
    pub fn start_rewrite(&self, shared: &Shared) -> Result<(), String> {
        super::rewrite::start(&self.inner, shared.store.clone())
    }

    /// Makes every following write fail with OS error `errno` (0: stop failing), so tests can
    /// check the disk-full path without filling a disk.
    #[doc(hidden)]
    pub fn inject_write_error(&self, errno: i32) {
        self.inner.injected_errno.store(errno, Ordering::SeqCst);
    }
}

impl Inner {
    /// The path of the AOF.
    pub(crate) fn path(&self) -> PathBuf {
        lock(&self.path).clone()
    }

    /// Sends `msg` to the writer, if one runs; returns false if none does.
    pub(crate) fn send(&self, msg: Msg) -> bool {
        let chan = lock(&self.chan);
        chan.tx.as_ref().is_some_and(|tx| tx.send(msg).is_ok())
    }
}

/// The state of the `aof-writer` thread.
struct Writer {
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
    fn new(inner: Arc<Inner>, file: Option<File>) -> Self {
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
    fn run(mut self, rx: Receiver<Msg>) {
        let mut batch = Vec::with_capacity(64 * 1024);
        loop {
            // Under everysec, wake up in time to fsync what is still dirty; otherwise once a
            // second, to look at the automatic rewrite (an idle writer costs nothing more).
            let everysec = policy_from_u8(self.inner.fsync.load(Ordering::Relaxed)) == FsyncPolicy::EverySec;
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
            for msg in first.into_iter().chain(std::iter::from_fn(|| rx.try_recv().ok())) {
                match msg {
                    Msg::Append { seq, bytes } => {
                        self.inner.queued_bytes.fetch_sub(bytes.len() as u64, Ordering::Relaxed);
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
            if batch.capacity() > 4 * 1024 * 1024 {
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
        if let Some(result) = self.rewrite_buf.take().map(|_| Err("the AOF was closed".to_string())) {
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
                    self.inner.current_size.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    self.dirty = true;
                    if self.inner.write_failing.swap(false, Ordering::SeqCst) {
                        *lock(&self.inner.write_error) = None;
                        crate::info!("aof", "AOF write error looks solved: writes are accepted again");
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
                        crate::warn!("aof", "giving up on {} bytes of the AOF at shutdown", bytes.len());
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
        let started = lock(&self.inner.rewrite_started).take();
        let buffered = self.rewrite_buf.take().unwrap_or_default();
        let outcome = result.and_then(|tmp| self.swap_in(&tmp, &buffered).map_err(|e| e.to_string()));
        let i = &self.inner;
        i.last_rewrite_secs
            .store(started.map_or(0, |t| t.elapsed().as_secs() as i64), Ordering::Relaxed);
        i.last_rewrite_ok.store(outcome.is_ok(), Ordering::Relaxed);
        match outcome {
            Ok(size) => {
                i.rewrites.fetch_add(1, Ordering::Relaxed);
                i.rewrite_failures.store(0, Ordering::Relaxed);
                crate::info!("aof", "Background AOF rewrite finished successfully: {size} bytes");
            }
            Err(e) => {
                i.rewrite_failures.fetch_add(1, Ordering::Relaxed);
                crate::warn!("aof", "Background AOF rewrite failed: {e}");
            }
        }
        i.rewrite_in_progress.store(false, Ordering::SeqCst);
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
        if self.file.is_none() && !i.rewrite_in_progress.load(Ordering::Relaxed) && !i.stopping.load(Ordering::Relaxed)
        {
            // `CONFIG SET appendonly yes` whose first rewrite failed: nothing reaches a file until
            // one succeeds, so try again (once a second); the new snapshot covers everything.
            if let Some(store) = i.store.get().and_then(Weak::upgrade)
                && let Err(e) = super::rewrite::start(i, store)
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
            || i.rewrite_in_progress.load(Ordering::Relaxed)
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
        crate::info!("aof", "Starting automatic rewriting of AOF on {growth}% growth");
        if let Err(e) = super::rewrite::start(i, store) {
            crate::warn!("aof", "automatic rewrite not started: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strerror_drops_the_os_error_suffix() {
        assert_eq!(strerror(&io::Error::from_raw_os_error(28)), "No space left on device");
    }

    #[test]
    fn a_disabled_aof_hands_out_no_tickets() {
        let aof = Aof::disabled();
        let t = aof.append(&[vec![b"SET".to_vec(), b"k".to_vec(), b"v".to_vec()]], false);
        assert_eq!(t, Ticket::NONE);
        aof.wait(t);
        assert!(aof.refuses_writes().is_none());
    }
}
