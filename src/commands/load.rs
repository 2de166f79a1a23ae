//! Loading a log back: each command read from the AOF runs through the same handlers as a
//! live client's, under one write guard, with nothing logged.
//!
//! Go original: `internal/persistence/replay.go` (the applying half; the reading half is
//! `persistence::replay`). Explained in: book chapter 6.
//!
//! `persistence::replay` only reads: it parses the records and hands each command to a closure.
//! The closure is here, in the commands layer, because running a command is this layer's work:
//! [`apply_logged`] looks the command up and calls [`invoke`], as the dispatcher does for a
//! client, for the start-up load, `--check-aof`'s replay and `DEBUG LOADAOF`. [`load_rdb`]
//! loads `dump.rdb` at start-up when the AOF does not hold the data.

use std::sync::Arc;
use std::time::Instant;

use super::dispatcher::{Access, Call, ClientContext, invoke};
use super::{ClientHandle, Effects, Shared};
use crate::config::KeyspaceEvents;
use crate::engine::store::{Store, now_ms};
use crate::persistence::rdb;
use crate::persistence::replay::{self, Applied, Loaded, TornTail};
use crate::protocol::resp::Value;

// ANCHOR: apply_logged
/// Applies one command read back from the AOF: the closure `server` hands to
/// `persistence::replay`. It runs through the same handler as a live client, under the write
/// guard the caller holds for the whole replay (nobody else can be connected yet), with its
/// effects dropped unbuilt: replay does not log (design invariant 6).
///
/// # Errors
/// The command is unknown or has the wrong number of arguments: the file is not one this
/// server wrote, and the replay stops.
pub fn apply_logged(
    shared: &Shared,
    store: &mut Store,
    client: &mut ClientContext,
    argv: &[Vec<u8>],
) -> Result<Applied, String> {
    let Some(spec) = shared.registry.lookup_internal(&argv[0]) else {
        return Err(format!(
            "Unknown command '{}'",
            String::from_utf8_lossy(&argv[0])
        ));
    };
    if !spec.arity_ok(argv.len()) {
        return Err(format!("Wrong number of arguments for '{}'", spec.name));
    }
    // ANCHOR: replay_clock
    // The replay runs with the clock stopped at 0, as Redis does while loading: no key counts as
    // expired until the whole log is applied. Otherwise a key whose deadline passed while the
    // server was down would vanish in the middle of the replay, and a later `APPEND` or
    // `SETRANGE` in the log would recreate it without its deadline. Expired keys are deleted
    // after the load, lazily or by the expirer, and those deletions are logged as `DEL`.
    let now = 0;
    // ANCHOR_END: replay_clock
    // Nor does it notify: nobody can be subscribed yet.
    let mut effects = Effects::new(false, client.db, KeyspaceEvents::NONE);
    let call = Call::new(shared, client, now).in_exec(); // never block
    match invoke(spec, &argv[1..], call, Access::Write(store, &mut effects)).0 {
        // Going on in the wrong database would put the rest of the file's keys where they do
        // not belong: a file written with more databases than this server has stops the load.
        Value::Error(e) if spec.name == "select" => Err(format!(
            "SELECT {} in a server of {} databases: {e}",
            String::from_utf8_lossy(&argv[1]),
            shared.databases
        )),
        Value::Error(e) => Ok(Applied::Refused(e.into_owned())),
        _ => Ok(Applied::Done),
    }
}
// ANCHOR_END: apply_logged

// ANCHOR: load_aof
/// Loads the AOF at `path` into `shared.store`: `persistence::replay` reads the file and
/// [`apply_logged`] runs each command, under one write guard held for the whole load, as a
/// client with no connection behind it.
///
/// # Errors
/// As [`replay::load`].
pub fn load_aof(shared: &Shared, path: &std::path::Path) -> anyhow::Result<Loaded> {
    let started = Instant::now();
    let (loaded, keys) = replay_with(shared, |apply| replay::load(path, apply))?;
    let Some(loaded) = loaded else {
        return Ok(Loaded::default());
    };
    crate::info!(
        "aof",
        "DB loaded from append only file: {keys} keys, {} commands in {:.3} seconds",
        loaded.commands,
        started.elapsed().as_secs_f64()
    );
    Ok(loaded)
}
// ANCHOR_END: load_aof

// ANCHOR: load_rdb
/// Loads `dir/dbfilename` at start-up, unless the AOF is on and holds something: then the AOF
/// is the record, as in Redis. The file is read into a fresh store, swapped in only when all of
/// it has been read and checked, so a torn or corrupt file loads nothing and stops the start.
/// Keys already expired are left out, as a Redis primary leaves them. With the AOF on (and
/// empty), the AOF is then rewritten from the loaded store, so that the next start, which reads
/// the AOF, finds the same data.
///
/// Differs from Redis 7, which with `appendonly yes` ignores `dump.rdb` even when there is no
/// AOF yet: the AOF is on by default here, and a `dump.rdb` put in `dir` should not be ignored.
///
/// # Errors
/// The file is corrupt, torn or unreadable (the message names the offset), or the AOF could
/// not be rewritten from it.
pub fn load_rdb(shared: &Shared) -> anyhow::Result<()> {
    let config = shared.config();
    let aof_path = config.dir.join(&config.appendfilename);
    if config.appendonly && std::fs::metadata(&aof_path).is_ok_and(|m| m.len() > 0) {
        return Ok(());
    }
    let path = shared.rdb.path();
    let started = Instant::now();
    let mut fresh = Store::with_databases(shared.databases);
    let report = match rdb::load_file(&path, &mut fresh, now_ms(), false) {
        Ok(Some(report)) => report,
        Ok(None) => return Ok(()),
        Err(e) => anyhow::bail!(
            "Bad RDB file {} at offset {}: {}. Nothing was loaded. Move the file away (keep a \
             copy) \
             to start without it, or check it with redis-check-rdb.",
            path.display(),
            e.offset,
            e.message
        ),
    };
    rdb::swap_in(&mut shared.write_store(), &mut fresh);
    shared.rdb.loaded(&report);
    crate::info!(
        "rdb",
        "DB loaded from disk: {} keys ({} already expired, left out) in {:.3} seconds",
        report.keys,
        report.expired,
        started.elapsed().as_secs_f64()
    );
    if config.appendonly && report.keys > 0 {
        shared
            .aof
            .rewrite_and_wait()
            .map_err(|e| anyhow::anyhow!("writing the AOF from {}: {e}", path.display()))?;
        crate::info!(
            "aof",
            "The AOF now starts from the snapshot loaded from {}",
            path.display()
        );
    }
    Ok(())
}
// ANCHOR_END: load_rdb

/// Replays `file` into `shared.store` without changing the file, however it ends: for
/// `verify_replay`, which only reports. Returns what the replay found and how many keys the
/// store then holds.
///
/// # Errors
/// As [`replay::replay`].
pub fn verify_aof(
    shared: &Shared,
    file: std::fs::File,
    path: &std::path::Path,
) -> anyhow::Result<(Loaded, usize)> {
    replay_with(shared, |apply| {
        replay::replay(file, path, TornTail::Report, apply)
    })
}

/// Runs `read` with the closure that applies each command, and returns its result with the
/// number of live keys after it. The keys whose deadline passed while the server was down are
/// dropped once the whole log is applied (replay runs with the clock stopped).
fn replay_with<T>(
    shared: &Shared,
    read: impl FnOnce(&mut dyn FnMut(&[Vec<u8>]) -> Result<Applied, String>) -> anyhow::Result<T>,
) -> anyhow::Result<(T, usize)> {
    replay_into(shared, &mut shared.write_store(), read)
}

/// [`replay_with`] into a store whose write guard the caller holds (`DEBUG
/// LOADAOF`).
///
/// # Errors
/// As the `read` it runs.
pub fn replay_into<T>(
    shared: &Shared,
    store: &mut Store,
    read: impl FnOnce(&mut dyn FnMut(&[Vec<u8>]) -> Result<Applied, String>) -> anyhow::Result<T>,
) -> anyhow::Result<(T, usize)> {
    let mut client = ClientContext::new(Arc::new(ClientHandle::detached(0)), true);
    let found = read(&mut |argv| apply_logged(shared, store, &mut client, argv))?;
    store.take_lazily_expired();
    Ok((found, store.len()))
}
