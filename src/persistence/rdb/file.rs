//! The dump file on disk: written whole or not at all, loaded whole or not at all.
//!
//! Go original: none. Explained in: book "RDB snapshots".
//!
//! Writing goes to `temp-<pid>.rdb` in the file's own directory, which is fsynced, renamed
//! over `dump.rdb` and followed by an fsync of the directory, as Redis does it. `rename` within
//! one filesystem is atomic, so a crash at any moment leaves the old file or the new one, never
//! a mix; the directory's fsync makes the rename itself survive a power cut.
//!
//! Loading reads the file into a *fresh* [`Store`] that the caller swaps in only once the whole
//! file has been read and its checksum has matched: the format module hands keys over as it
//! reads them (see `read`), so loading into the live store would leave half a file there when
//! the other half turns out to be torn.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use super::{LoadedKey, RdbError, RdbSummary, load, write_snapshot_paced};
use crate::engine::store::{Snapshot, Store};

// ANCHOR: write_file
/// Writes `snapshot` to `path` through a temporary file, calling `after_key` after each key
/// (see [`write_snapshot_paced`]); returns the file's size. On any error the temporary file is
/// removed and `path` is left as it was.
///
/// # Errors
/// Redis's wording of what failed: opening the temporary file, writing or fsyncing it, or
/// moving it into place.
pub fn write_file(
    path: &Path,
    snapshot: Snapshot,
    after_key: impl FnMut() -> io::Result<()>,
) -> Result<u64, String> {
    let dir = parent_dir(path);
    let tmp = dir.join(format!("temp-{}.rdb", std::process::id()));
    let shown_dir = dir.canonicalize().unwrap_or_else(|_| dir.clone());
    let file = File::create(&tmp).map_err(|e| {
        format!(
            "Failed opening the temp RDB file {} (in server root dir {}) for saving: {e}",
            tmp.display(),
            shown_dir.display()
        )
    })?;
    let written = write_snapshot_paced(
        BufWriter::with_capacity(1 << 20, file),
        snapshot,
        &[],
        after_key,
    )
    .and_then(|out| out.into_inner().map_err(|e| e.into_error()))
    .and_then(|file| {
        // The data must be on the disk before the name points at it.
        file.sync_all()?;
        file.metadata().map(|m| m.len())
    });
    let size = match written {
        Ok(size) => size,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(format!("Write error saving DB on disk: {e}"));
        }
    };
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!(
            "Error moving temp DB file {} on the final destination {} (in server root dir {}): {e}",
            tmp.display(),
            path.display(),
            shown_dir.display()
        ));
    }
    // Directories can be opened and fsynced on Unix; elsewhere this is best effort.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(size)
}
// ANCHOR_END: write_file

/// The directory `path` is in (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// What a load put into the store.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    /// Keys stored.
    pub keys: u64,
    /// Keys left out because their deadline had already passed.
    pub expired: u64,
    /// What else the file said (version, `AUX` fields, checksum).
    pub summary: RdbSummary,
}

// ANCHOR: load_into
/// Reads an RDB stream into `store`, which should be empty, as a Redis primary loads one: a
/// key whose deadline is at or before `now` is left out (a replica would keep it for its
/// primary to expire), a database number the store does not have is refused, and so is a key
/// that appears twice, unless `replace` lets the later one win (`DEBUG RELOAD MERGE`).
///
/// # Errors
/// As [`load`]: the offset and the reason. `store` then holds part of the file: throw it away.
pub fn load_into(
    input: impl io::Read,
    store: &mut Store,
    now: u64,
    replace: bool,
) -> Result<LoadReport, RdbError> {
    let (mut keys, mut expired) = (0, 0);
    let databases = store.count();
    let summary = load(input, |k: LoadedKey| {
        if k.db >= databases {
            return Err(format!(
                "the file has keys in database {}, but this server has {databases} databases \
                 (raise `databases` to load it)",
                k.db
            ));
        }
        if k.deadline_ms.is_some_and(|at| at <= now) {
            expired += 1;
            return Ok(());
        }
        let db = store.db_mut(k.db);
        // The clock at 0: nothing in a store being loaded counts as expired yet.
        if !replace && db.contains(&k.key, 0) {
            return Err(format!(
                "duplicate key '{}' in database {} (the file is corrupt)",
                String::from_utf8_lossy(&k.key),
                k.db
            ));
        }
        db.set(&k.key, k.data, 0);
        if let Some(at) = k.deadline_ms {
            db.set_deadline(&k.key, at, 0);
        }
        keys += 1;
        Ok(())
    })?;
    Ok(LoadReport {
        keys,
        expired,
        summary,
    })
}
// ANCHOR_END: load_into

/// [`load_into`] from the file at `path`; `Ok(None)` if there is no such file.
///
/// # Errors
/// The file exists but cannot be opened (offset 0), or as [`load_into`].
pub fn load_file(
    path: &Path,
    store: &mut Store,
    now: u64,
    replace: bool,
) -> Result<Option<LoadReport>, RdbError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(RdbError::new(0, format!("cannot open the file: {e}"))),
    };
    load_into(file, store, now, replace).map(Some)
}

/// Why `DEBUG RELOAD` failed: saving the file (Redis answers a bare `ERR`), or loading it back
/// (nothing changed then).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReloadError {
    /// Writing the file failed.
    Save(String),
    /// Reading it back failed.
    Load(String),
}

/// Puts every database of `fresh` (a store just loaded) in place of `live`'s, and `live`'s old
/// ones into `fresh`, for the caller to drop: O(databases), whatever they hold.
pub fn swap_in(live: &mut Store, fresh: &mut Store) {
    for index in 0..live.count().min(fresh.count()) {
        std::mem::swap(live.db_mut(index), fresh.db_mut(index));
    }
}

/// Adds every key of `from` to `live` (`DEBUG RELOAD NOFLUSH`): all or nothing, so a duplicate
/// (refused unless `merge`) is found before anything is added.
pub(super) fn merge_into(live: &mut Store, from: &Store, merge: bool) -> Result<(), String> {
    for (index, db) in from.iter() {
        if !merge
            && let Some((key, _)) = db.iter(0).find(|(key, _)| live.db(index).contains(key, 0))
        {
            return Err(format!(
                "duplicate key '{}' in database {index}",
                String::from_utf8_lossy(key)
            ));
        }
    }
    for (index, db) in from.iter() {
        for (key, data) in db.iter(0) {
            // A clone shares a collection's contents until one side writes to it.
            live.db_mut(index).set(key, data.clone(), 0);
            if let Some(at) = db.deadline(key, 0) {
                live.db_mut(index).set_deadline(key, at, 0);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::store::{Data, List};

    fn dir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("rust-redis-rdbfile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn sample(now: u64) -> Store {
        let mut st = Store::new();
        st.db_mut(0).set(b"a", Data::Str(b"1".as_slice().into()), 0);
        let list: List = [b"x".as_slice(), b"y"].into_iter().collect();
        st.db_mut(2).set(b"l", Data::from(list), 0);
        st.db_mut(2).set(b"t", Data::Str(b"t".as_slice().into()), 0);
        st.db_mut(2).set_deadline(b"t", now + 60_000, 0);
        st
    }

    #[test]
    fn a_written_file_loads_back_and_leaves_no_temp_file() {
        let d = dir("roundtrip");
        let path = d.join("dump.rdb");
        let now = 1_000_000;
        let size = write_file(&path, sample(now).snapshot(now), || Ok(())).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
        assert_eq!(
            std::fs::read_dir(&d).unwrap().count(),
            1,
            "only dump.rdb is left"
        );
        let mut st = Store::new();
        let report = load_file(&path, &mut st, now, false).unwrap().unwrap();
        assert_eq!((report.keys, report.expired), (3, 0));
        assert_eq!(st.db(2).deadline(b"t", now), Some(now + 60_000));
        // Later, the key with a deadline is left out.
        let mut st = Store::new();
        let report = load_file(&path, &mut st, now + 60_000, false)
            .unwrap()
            .unwrap();
        assert_eq!((report.keys, report.expired), (2, 1));
        assert!(
            load_file(&d.join("none.rdb"), &mut st, now, false)
                .unwrap()
                .is_none()
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let d = dir("failed");
        let path = d.join("dump.rdb");
        std::fs::write(&path, b"old").unwrap();
        let err = write_file(&path, sample(0).snapshot(0), || {
            Err(io::Error::other("stop"))
        })
        .unwrap_err();
        assert!(
            err.starts_with("Write error saving DB on disk: stop"),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(
            std::fs::read_dir(&d).unwrap().count(),
            1,
            "the temp file is gone"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn too_few_databases_and_duplicates_are_refused() {
        let mut out = Vec::new();
        let mut w = super::super::RdbWriter::new(&mut out, &[]).unwrap();
        w.select_db(5, 2, 0).unwrap();
        w.entry(b"k", &Data::Str(b"1".as_slice().into()), None)
            .unwrap();
        w.entry(b"k", &Data::Str(b"2".as_slice().into()), None)
            .unwrap();
        w.finish().unwrap();
        let err = load_into(&out[..], &mut Store::with_databases(4), 0, false).unwrap_err();
        assert!(
            err.message.contains("database 5, but this server has 4"),
            "{err}"
        );
        let err = load_into(&out[..], &mut Store::new(), 0, false).unwrap_err();
        assert!(
            err.message.contains("duplicate key 'k' in database 5"),
            "{err}"
        );
        let mut st = Store::new();
        load_into(&out[..], &mut st, 0, true).unwrap();
        assert!(matches!(st.db(5).get(b"k", 0), Some(Data::Str(s)) if &s[..] == b"2"));
    }
}
