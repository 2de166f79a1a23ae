//! The snapshot's place in the server's life: the save a `SHUTDOWN` makes, what the start-up
//! load found, `DEBUG RELOAD`, and `INFO persistence`'s RDB fields.
//!
//! Go original: none (go-redis had no RDB). Explained in: book chapter "RDB snapshots".

use std::sync::RwLock;
use std::sync::atomic::Ordering;

use super::super::file::{LoadReport, ReloadError, load_file, merge_into, swap_in, write_file};
use super::super::settings::ShutdownSave;
use super::{Rdb, lock};
use crate::engine::store::{Store, now_ms};

impl Rdb {
    /// `SHUTDOWN`'s say on saving; [`Rdb::shutdown`] acts on it.
    pub fn set_shutdown_save(&self, mode: ShutdownSave) {
        let code = match mode {
            ShutdownSave::Default => 0,
            ShutdownSave::Save => 1,
            ShutdownSave::NoSave => 2,
            ShutdownSave::Saved => 3,
        };
        self.inner.shutdown.store(code, Ordering::Relaxed);
    }

    /// True if a shutdown with `mode` saves: `SAVE`, or save points set and not `NOSAVE`.
    pub fn saves_at_shutdown(&self, mode: ShutdownSave) -> bool {
        match mode {
            ShutdownSave::Save => true,
            ShutdownSave::NoSave => false,
            ShutdownSave::Default | ShutdownSave::Saved => self.has_save_points(),
        }
    }

    /// The save `SHUTDOWN` makes before it shuts down: any background save is stopped first,
    /// as Redis kills its child.
    ///
    /// # Errors
    /// The save failed; the reason is logged.
    pub fn save_for_shutdown(&self, store: &RwLock<Store>) -> Result<(), String> {
        self.cancel_bgsave();
        self.wait_bgsave();
        crate::info!("rdb", "Saving the final RDB snapshot before exiting.");
        self.save_now(store).map(|_| ())
    }

    // ANCHOR: shutdown
    /// The last step of a shutdown, once no client is left: stops a background save and saves
    /// as `SHUTDOWN` (or, for a signal, the save points) said. Clients are gone by then, so
    /// every write that was acknowledged is in the file. A failure is logged: there is nobody
    /// left to tell.
    pub fn shutdown(&self, store: &RwLock<Store>) {
        self.cancel_bgsave();
        self.wait_bgsave();
        let mode = match self.inner.shutdown.load(Ordering::Relaxed) {
            1 => ShutdownSave::Save,
            2 => ShutdownSave::NoSave,
            3 => ShutdownSave::Saved,
            _ => ShutdownSave::Default,
        };
        let fresh = mode == ShutdownSave::Saved && self.changes_since_save() == 0;
        if self.saves_at_shutdown(mode) && !fresh {
            crate::info!("rdb", "Saving the final RDB snapshot before exiting.");
            if let Err(e) = self.save_now(store) {
                crate::warn!("rdb", "Error trying to save the DB at shutdown: {e}");
            }
        }
    }
    // ANCHOR_END: shutdown

    /// Records what the start-up load found (`rdb_last_load_keys_*`).
    pub fn loaded(&self, report: &LoadReport) {
        self.inner.loaded_keys.store(report.keys, Ordering::Relaxed);
        self.inner
            .loaded_expired
            .store(report.expired, Ordering::Relaxed);
    }

    // ANCHOR: reload
    /// `DEBUG RELOAD`: saves the store to the file (unless `save` is false: `NOSAVE`), loads
    /// the file into a fresh store and swaps it in (or, without `flush`, adds its keys to the
    /// live ones, a duplicate refused unless `merge`). All under one write guard: no command
    /// may run between the save and the load, or the load would undo it. A debugging command,
    /// so the file I/O under the guard is accepted here, as Redis blocks for it too. Nothing
    /// changes if the file cannot be read back.
    ///
    /// # Errors
    /// Why the save or the load failed.
    pub fn reload(
        &self,
        store: &RwLock<Store>,
        save: bool,
        flush: bool,
        merge: bool,
    ) -> Result<LoadReport, ReloadError> {
        let i = &self.inner;
        let _file = lock(&i.file);
        let mut live = store.write().unwrap_or_else(|p| p.into_inner());
        let now = now_ms();
        let path = self.path();
        if save {
            let mark = i.changes.load(Ordering::Relaxed);
            write_file(&path, live.snapshot(now), || Ok(())).map_err(ReloadError::Save)?;
            i.saved(mark);
            i.last_bgsave_ok.store(true, Ordering::Relaxed);
        }
        let mut fresh = Store::with_databases(live.count());
        let report = load_file(&path, &mut fresh, now, merge)
            .map_err(|e| ReloadError::Load(e.to_string()))?
            .ok_or_else(|| ReloadError::Load(format!("no file at {}", path.display())))?;
        if !flush {
            merge_into(&mut live, &fresh, merge).map_err(ReloadError::Load)?;
        } else {
            swap_in(&mut live, &mut fresh);
        }
        // Every watched key may have changed, as after a FLUSHALL.
        live.watch.touch_where(|_, _| true);
        Ok(report)
    }
    // ANCHOR_END: reload

    /// The `INFO persistence` fields about RDB snapshots, in Redis's order. Copy-on-write
    /// sizes are 0: there is no child process whose pages could be copied.
    pub fn info(&self) -> Vec<(&'static str, String)> {
        let i = &self.inner;
        let (current, done, total) = match lock(&i.bg).as_ref() {
            Some(r) => (
                r.started.elapsed().as_secs() as i64,
                r.done.load(Ordering::Relaxed),
                r.total,
            ),
            None => (-1, 0, 0),
        };
        let flag = |b: bool| if b { "1" } else { "0" }.to_string();
        vec![
            ("current_cow_peak", "0".into()),
            ("current_cow_size", "0".into()),
            ("current_cow_size_age", "0".into()),
            ("current_fork_perc", "0.00".into()),
            ("current_save_keys_processed", done.to_string()),
            ("current_save_keys_total", total.to_string()),
            (
                "rdb_changes_since_last_save",
                self.changes_since_save().to_string(),
            ),
            ("rdb_bgsave_in_progress", flag(current >= 0)),
            ("rdb_last_save_time", self.last_save().to_string()),
            (
                "rdb_last_bgsave_status",
                if i.last_bgsave_ok.load(Ordering::Relaxed) {
                    "ok"
                } else {
                    "err"
                }
                .into(),
            ),
            (
                "rdb_last_bgsave_time_sec",
                i.last_bgsave_secs.load(Ordering::Relaxed).to_string(),
            ),
            ("rdb_current_bgsave_time_sec", current.to_string()),
            ("rdb_saves", i.saves.load(Ordering::Relaxed).to_string()),
            ("rdb_last_cow_size", "0".into()),
            (
                "rdb_last_load_keys_expired",
                i.loaded_expired.load(Ordering::Relaxed).to_string(),
            ),
            (
                "rdb_last_load_keys_loaded",
                i.loaded_keys.load(Ordering::Relaxed).to_string(),
            ),
        ]
    }
}
