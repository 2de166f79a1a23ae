//! [`Rdb`]: `SAVE`, `BGSAVE` on the `rdb-bgsave` thread, the save points, the dirty counter,
//! and the one record of it all that `INFO persistence` and `LASTSAVE` read.
//!
//! Go original: none (go-redis had only the AOF). Explained in: book "RDB snapshots".
//!
// ANCHOR: save_design
//! # How a snapshot is saved without `fork`
//! Redis saves in a `fork()`ed child: the child has a frozen copy-on-write image of the data
//! and writes it out while the parent serves on. Here the freeze is the store's own
//! copy-on-write [`Snapshot`] (`engine/store/snapshot.rs`), taken under the **read** guard in
//! microseconds; the file is then written with no lock held, while writers carry on and copy
//! only the slots they change. So `SAVE` blocks only the client that sent it (Redis's blocks
//! every client), and `BGSAVE` blocks nobody.
//!
//! One file at a time: every writer of `dump.rdb` (`SAVE`, the `rdb-bgsave` thread, `FLUSHALL`,
//! `DEBUG RELOAD`, shutdown) holds the file lock while it writes, so two never share the
//! temporary file. Nobody waits for that lock while holding the store's guard (a saver takes
//! the file first and the guard second, or lets go of the guard first), so no cycle of waits
//! can form.
//!
//! # The dirty counter
//! Every change a write commits adds to `changes` (under the write guard, in the dispatcher's
//! `commit`). A save remembers the count it saw when it took its snapshot and, once the file is
//! in place, records it as saved: `rdb_changes_since_last_save` is the difference. Writers that
//! went on during the save stay counted, as Redis's `dirty - dirty_before_bgsave` keeps them.
// ANCHOR_END: save_design

use std::cell::Cell;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use super::file::write_file;
use super::settings::{SavePoint, key_save_delay, save_points};
use crate::config::Config;
use crate::engine::store::{Store, now_ms};

mod lifecycle;

/// Seconds Redis waits before retrying a background save that failed
/// (`CONFIG_BGSAVE_RETRY_DELAY`).
const RETRY_DELAY_SECS: i64 = 5;

/// Unix seconds.
fn unix_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Locks a mutex of this module; poisoning means a saving thread panicked between statements
/// that each leave the value whole, so carrying on is safe.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The background save that runs now.
struct Running {
    started: Instant,
    /// Set to make it stop at its next key (`FLUSHALL`, shutdown).
    cancel: Arc<AtomicBool>,
    /// Keys written so far, and in its snapshot (`current_save_keys_*`).
    done: Arc<AtomicU64>,
    total: u64,
}

// ANCHOR: rdb_state
/// The state every saver shares; `Rdb` is a handle to it.
struct Inner {
    /// `dir/dbfilename`.
    path: Mutex<PathBuf>,
    points: Mutex<Vec<SavePoint>>,
    key_save_delay_us: AtomicU64,
    stop_writes_on_error: AtomicBool,
    /// Held by whoever writes the file (see the module comment).
    file: Mutex<()>,
    /// Changes committed since start-up, and how many of them the last save holds.
    changes: AtomicU64,
    saved_changes: AtomicU64,
    bg: Mutex<Option<Running>>,
    bg_ended: Condvar,
    /// `BGSAVE SCHEDULE` while a rewrite ran: start one when it is over.
    scheduled: AtomicBool,
    /// `BGREWRITEAOF` while a background save ran: the cron starts it when the save is over.
    rewrite_scheduled: AtomicBool,
    last_save: AtomicI64,
    last_bgsave_ok: AtomicBool,
    last_bgsave_secs: AtomicI64,
    last_bgsave_try: AtomicI64,
    saves: AtomicU64,
    loaded_keys: AtomicU64,
    loaded_expired: AtomicU64,
    shutdown: AtomicU8,
}
// ANCHOR_END: rdb_state

/// The RDB snapshots as the rest of the server sees them: cheap to share, safe from any thread.
pub struct Rdb {
    inner: Arc<Inner>,
}

thread_local! {
    /// Set by a command that must be followed by a save once its guard is released
    /// (`FLUSHALL` with save points): a handler runs under the write guard, and a save must
    /// not fsync there. The client's own thread carries it out before it replies.
    static SAVE_AFTER_COMMAND: Cell<bool> = const { Cell::new(false) };
}

impl Rdb {
    /// The snapshots of a server configured by `config`; nothing is saved until asked.
    pub fn new(config: &Config) -> Rdb {
        let rdb = Rdb {
            inner: Arc::new(Inner {
                path: Mutex::new(PathBuf::new()),
                points: Mutex::new(Vec::new()),
                key_save_delay_us: AtomicU64::new(0),
                stop_writes_on_error: AtomicBool::new(true),
                file: Mutex::new(()),
                changes: AtomicU64::new(0),
                saved_changes: AtomicU64::new(0),
                bg: Mutex::new(None),
                bg_ended: Condvar::new(),
                scheduled: AtomicBool::new(false),
                rewrite_scheduled: AtomicBool::new(false),
                last_save: AtomicI64::new(unix_secs()),
                last_bgsave_ok: AtomicBool::new(true),
                last_bgsave_secs: AtomicI64::new(-1),
                last_bgsave_try: AtomicI64::new(0),
                saves: AtomicU64::new(0),
                loaded_keys: AtomicU64::new(0),
                loaded_expired: AtomicU64::new(0),
                shutdown: AtomicU8::new(0),
            }),
        };
        rdb.configure(config);
        rdb
    }

    /// Takes the settings this module follows: `dir`, `dbfilename`, `save`,
    /// `rdb-key-save-delay`, `stop-writes-on-bgsave-error` (at start-up and after `CONFIG SET`).
    pub fn configure(&self, config: &Config) {
        let i = &self.inner;
        let name = config
            .get("dbfilename")
            .unwrap_or_else(|| "dump.rdb".to_string());
        *lock(&i.path) = config.dir.join(name);
        *lock(&i.points) = save_points(&config.save);
        i.key_save_delay_us
            .store(key_save_delay(config), Ordering::Relaxed);
        let stop = config
            .get("stop-writes-on-bgsave-error")
            .is_none_or(|v| v == "yes");
        i.stop_writes_on_error.store(stop, Ordering::Relaxed);
    }

    /// The file snapshots are saved to and loaded from: `dir/dbfilename`.
    pub fn path(&self) -> PathBuf {
        lock(&self.inner.path).clone()
    }

    /// True if save points are set (`save` is not empty).
    pub fn has_save_points(&self) -> bool {
        !lock(&self.inner.points).is_empty()
    }

    // ANCHOR: count_changes
    /// Counts `n` changes just committed. Called under the write guard, so a snapshot taken
    /// under the read guard sees a count that matches it exactly.
    #[inline]
    pub fn count_changes(&self, n: u64) {
        if n > 0 {
            self.inner.changes.fetch_add(n, Ordering::Relaxed);
        }
    }
    // ANCHOR_END: count_changes

    /// Changes committed since the last successful save (`rdb_changes_since_last_save`).
    pub fn changes_since_save(&self) -> u64 {
        let i = &self.inner;
        i.changes
            .load(Ordering::Relaxed)
            .saturating_sub(i.saved_changes.load(Ordering::Relaxed))
    }

    /// Unix seconds of the last successful save, or of start-up (`LASTSAVE`).
    pub fn last_save(&self) -> i64 {
        self.inner.last_save.load(Ordering::Relaxed)
    }

    /// True while a background save runs.
    pub fn bgsave_in_progress(&self) -> bool {
        lock(&self.inner.bg).is_some()
    }

    /// The `MISCONF` refusal of writes while the last background save failed, save points are
    /// set and `stop-writes-on-bgsave-error` is `yes`, as Redis refuses them.
    pub fn refuses_writes(&self) -> Option<&'static str> {
        let i = &self.inner;
        let failing = !i.last_bgsave_ok.load(Ordering::Relaxed)
            && i.stop_writes_on_error.load(Ordering::Relaxed)
            && self.has_save_points();
        failing.then_some(
            "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. \
             Commands that may modify the data set are disabled, because this instance is configured to \
             report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). \
             Please check the Redis logs for details about the RDB error.",
        )
    }

    // ANCHOR: save
    /// `SAVE`: writes the store to the file and returns once it is in place. Only the instant
    /// of the snapshot holds the store's (read) guard.
    ///
    /// # Errors
    /// Redis's reply text: a background save runs, or this one failed (`ERR`; the reason is
    /// logged).
    pub fn save(&self, store: &RwLock<Store>) -> Result<(), String> {
        if self.bgsave_in_progress() {
            return Err("ERR Background save already in progress".to_string());
        }
        self.inner.saves.fetch_add(1, Ordering::Relaxed);
        self.save_now(store)
            .map(|_| ())
            .map_err(|_| "ERR".to_string())
    }

    /// Saves, whatever else runs: the body of `SAVE`, and of the saves Redis makes on its own
    /// (`FLUSHALL`, shutdown).
    fn save_now(&self, store: &RwLock<Store>) -> Result<u64, String> {
        let i = &self.inner;
        let _file = lock(&i.file);
        let (snapshot, mark) = {
            let guard = store.read().unwrap_or_else(|p| p.into_inner());
            (guard.snapshot(now_ms()), i.changes.load(Ordering::Relaxed))
        };
        let per_key = Duration::from_micros(i.key_save_delay_us.load(Ordering::Relaxed));
        let written = write_file(&self.path(), snapshot, || {
            if !per_key.is_zero() {
                std::thread::sleep(per_key);
            }
            Ok(())
        });
        match &written {
            Ok(_) => {
                i.saved(mark);
                i.last_bgsave_ok.store(true, Ordering::Relaxed);
                crate::info!("rdb", "DB saved on disk");
            }
            Err(e) => crate::warn!("rdb", "{e}"),
        }
        written
    }
    // ANCHOR_END: save

    // ANCHOR: start_bgsave
    /// `BGSAVE`: starts a save on the `rdb-bgsave` thread and returns at once. The thread
    /// takes its snapshot first (the caller's writes before this call are in it), then writes
    /// the file with no lock held.
    ///
    /// # Errors
    /// Redis's reply text: a background save already runs, or no thread could be spawned.
    pub fn start_bgsave(&self, store: Arc<RwLock<Store>>) -> Result<(), String> {
        let i = &self.inner;
        let cancel = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        {
            let mut bg = lock(&i.bg);
            if bg.is_some() {
                return Err("ERR Background save already in progress".to_string());
            }
            *bg = Some(Running {
                started: Instant::now(),
                cancel: cancel.clone(),
                done: done.clone(),
                total: 0,
            });
        }
        i.saves.fetch_add(1, Ordering::Relaxed);
        i.last_bgsave_try.store(unix_secs(), Ordering::Relaxed);
        i.scheduled.store(false, Ordering::Relaxed);
        let inner = self.inner.clone();
        let path = self.path();
        let spawned = std::thread::Builder::new()
            .name("rdb-bgsave".into())
            .spawn(move || inner.run_bgsave(&store, path, &cancel, &done));
        if let Err(e) = spawned {
            *lock(&i.bg) = None;
            i.bg_ended.notify_all();
            return Err(format!("ERR Can't save in background: {e}"));
        }
        crate::info!("rdb", "Background saving started");
        Ok(())
    }
    // ANCHOR_END: start_bgsave

    /// Asks the running background save, if any, to stop at its next key and remove its
    /// temporary file (`FLUSHALL`; Redis kills the child). Its status stays as it was.
    pub fn cancel_bgsave(&self) {
        if let Some(running) = lock(&self.inner.bg).as_ref() {
            running.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Waits until no background save runs.
    pub fn wait_bgsave(&self) {
        let mut bg = lock(&self.inner.bg);
        while bg.is_some() {
            bg = self
                .inner
                .bg_ended
                .wait(bg)
                .unwrap_or_else(|p| p.into_inner());
        }
    }

    /// `BGSAVE SCHEDULE` while a rewrite runs: the cron starts it once no rewrite runs.
    pub fn schedule_bgsave(&self) {
        self.inner.scheduled.store(true, Ordering::Relaxed);
    }

    /// `BGREWRITEAOF` while a background save runs: remembered until the save is over.
    pub fn schedule_rewrite(&self) {
        self.inner.rewrite_scheduled.store(true, Ordering::Relaxed);
    }

    /// True, once, when a scheduled rewrite may start: no background save runs any more.
    pub fn take_scheduled_rewrite(&self) -> bool {
        !self.bgsave_in_progress() && self.inner.rewrite_scheduled.swap(false, Ordering::Relaxed)
    }

    /// True while a rewrite waits for a background save to end (`aof_rewrite_scheduled`).
    pub fn rewrite_scheduled(&self) -> bool {
        self.inner.rewrite_scheduled.load(Ordering::Relaxed)
    }

    // ANCHOR: cron
    /// The periodic check (the `cron` thread, ten times a second), as Redis's `serverCron`:
    /// with no background save and no rewrite running, start the scheduled `BGSAVE`, or the
    /// save of the first save point reached — at least `changes` changes and more than
    /// `seconds` since the last save. After a failed save, wait [`RETRY_DELAY_SECS`] first.
    pub fn cron(&self, store: &Arc<RwLock<Store>>, rewrite_running: bool) {
        let i = &self.inner;
        if rewrite_running || self.bgsave_in_progress() {
            return;
        }
        let now = unix_secs();
        let may_try = i.last_bgsave_ok.load(Ordering::Relaxed)
            || now - i.last_bgsave_try.load(Ordering::Relaxed) > RETRY_DELAY_SECS;
        if !may_try {
            return;
        }
        if i.scheduled.load(Ordering::Relaxed) {
            if let Err(e) = self.start_bgsave(store.clone()) {
                crate::warn!("rdb", "scheduled background save not started: {e}");
            }
            return;
        }
        let (changes, since) = (self.changes_since_save(), now - self.last_save());
        let points = lock(&i.points).clone();
        if let Some(p) = points
            .iter()
            .find(|p| changes >= p.changes && since > p.seconds)
        {
            crate::info!(
                "rdb",
                "{} changes in {} seconds. Saving...",
                p.changes,
                p.seconds
            );
            if let Err(e) = self.start_bgsave(store.clone()) {
                crate::warn!("rdb", "background save not started: {e}");
            }
        }
    }
    // ANCHOR_END: cron

    /// `FLUSHALL` (under the write guard): stops a background save, whose snapshot holds what
    /// was just deleted, and, with save points set and a `live` client, asks for a save of the
    /// emptied store once the guard is released ([`Rdb::after_command`]), as Redis saves after
    /// a `FLUSHALL`. A replayed `FLUSHALL` (no connection) saves nothing.
    pub fn flushed(&self, live: bool) {
        self.cancel_bgsave();
        if live && self.has_save_points() {
            SAVE_AFTER_COMMAND.with(|s| s.set(true));
        }
    }

    /// Runs after every command on the client's thread, with no guard held: carries out the
    /// save a `FLUSHALL` asked for, before the client gets its reply.
    #[inline]
    pub fn after_command(&self, store: &RwLock<Store>) {
        if SAVE_AFTER_COMMAND.with(|s| s.replace(false)) {
            // The cancelled background save lets go of the file at its next key.
            let _ = self.save_now(store);
        }
    }
}

impl Inner {
    /// A save that took its snapshot when `mark` changes were committed succeeded.
    fn saved(&self, mark: u64) {
        self.saved_changes.fetch_max(mark, Ordering::Relaxed);
        self.last_save.store(unix_secs(), Ordering::Relaxed);
    }

    /// The body of the `rdb-bgsave` thread.
    fn run_bgsave(
        &self,
        store: &RwLock<Store>,
        path: PathBuf,
        cancel: &AtomicBool,
        done: &AtomicU64,
    ) {
        let (snapshot, mark) = {
            let guard = store.read().unwrap_or_else(|p| p.into_inner());
            (
                guard.snapshot(now_ms()),
                self.changes.load(Ordering::Relaxed),
            )
        };
        if let Some(r) = lock(&self.bg).as_mut() {
            r.total = snapshot.keys() as u64;
        }
        let per_key = Duration::from_micros(self.key_save_delay_us.load(Ordering::Relaxed));
        let result = {
            let _file = lock(&self.file);
            if cancel.load(Ordering::Relaxed) {
                // Cancelled before it began (a FLUSHALL while it waited for its snapshot or for
                // the file): the file stays as it is.
                Err("cancelled".to_string())
            } else {
                write_file(&path, snapshot, || {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(io::Error::other("cancelled"));
                    }
                    if !per_key.is_zero() {
                        std::thread::sleep(per_key);
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                })
            }
        };
        let mut bg = lock(&self.bg);
        if let Some(r) = bg.as_ref() {
            self.last_bgsave_secs
                .store(r.started.elapsed().as_secs() as i64, Ordering::Relaxed);
        }
        match result {
            _ if cancel.load(Ordering::Relaxed) => {
                crate::warn!("rdb", "Background saving cancelled");
            }
            Ok(_) => {
                self.saved(mark);
                self.last_bgsave_ok.store(true, Ordering::Relaxed);
                crate::info!("rdb", "Background saving terminated with success");
            }
            Err(e) => {
                self.last_bgsave_ok.store(false, Ordering::Relaxed);
                crate::warn!("rdb", "Background saving error: {e}");
            }
        }
        *bg = None;
        self.bg_ended.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::store::Data;

    fn rdb_in(name: &str) -> (Rdb, PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("rust-redis-save-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = Config {
            dir: dir.clone(),
            ..Config::default()
        };
        (Rdb::new(&config), dir)
    }

    #[test]
    fn a_save_counts_what_it_holds_and_keeps_later_changes() {
        let (rdb, dir) = rdb_in("dirty");
        let store = Arc::new(RwLock::new(Store::new()));
        store
            .write()
            .unwrap()
            .db_mut(0)
            .set(b"k", Data::Str(b"v".as_slice().into()), 0);
        rdb.count_changes(3);
        assert_eq!(rdb.changes_since_save(), 3);
        rdb.save(&store).unwrap();
        assert_eq!(rdb.changes_since_save(), 0);
        assert!(dir.join("dump.rdb").exists());
        rdb.count_changes(2);
        rdb.start_bgsave(store.clone()).unwrap();
        rdb.wait_bgsave();
        assert_eq!(rdb.changes_since_save(), 0);
        let fields = rdb.info();
        let get = |n: &str| {
            fields
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("rdb_saves"), "2");
        assert_eq!(get("rdb_bgsave_in_progress"), "0");
        assert_eq!(get("rdb_last_bgsave_status"), "ok");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
