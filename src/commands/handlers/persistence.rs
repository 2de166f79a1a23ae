//! Persistence commands: `SAVE`, `BGSAVE`, `LASTSAVE`, `BGREWRITEAOF`, and the `DEBUG RELOAD`
//! and `DEBUG LOADAOF` round trips.
//!
//! Go original: none (go-redis had no snapshots and no rewrite). Explained in: book chapter 6
//! and "RDB snapshots".
//!
//! The work is done in `persistence` (`rdb::Rdb` for snapshots, `Aof` for the log); these
//! handlers answer as Redis answers. Redis runs one child process at a time, so a `BGSAVE`
//! waits for a rewrite and a `BGREWRITEAOF` for a background save: the same replies here,
//! though our two threads could run side by side.

use std::path::Path;

use crate::commands::load::replay_into;
use crate::commands::registry::{NO_KEYS, flags::*};
use crate::commands::{ClientContext, Handler, Registry, Shared};
use crate::persistence::rdb::ReloadError;
use crate::persistence::replay;
use crate::protocol::resp::Value;

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    r.add(
        "bgrewriteaof",
        Handler::Client(bgrewriteaof),
        1,
        ADMIN | NOSCRIPT,
        NO_KEYS,
    );
    r.add(
        "save",
        Handler::Client(save),
        1,
        ADMIN | NOSCRIPT | NO_MULTI,
        NO_KEYS,
    );
    r.add(
        "bgsave",
        Handler::Client(bgsave),
        -1,
        ADMIN | NOSCRIPT,
        NO_KEYS,
    );
    r.client("lastsave", lastsave, 1, FAST | LOADING | STALE, NO_KEYS);
}

// ANCHOR: bgrewriteaof
/// `BGREWRITEAOF`: compacts the AOF in the background; the reply comes at once. While a
/// background save runs it is scheduled instead, and the cron starts it once the save is over.
pub fn bgrewriteaof(shared: &Shared, _client: &mut ClientContext, _args: &[Vec<u8>]) -> Value {
    if !shared.aof.rewrite_in_progress() && shared.rdb.bgsave_in_progress() {
        shared.rdb.schedule_rewrite();
        return Value::simple("Background append only file rewriting scheduled");
    }
    match shared.aof.start_rewrite() {
        Ok(()) => Value::simple("Background append only file rewriting started"),
        Err(e) => Value::error_owned(e),
    }
}
// ANCHOR_END: bgrewriteaof

/// `SAVE`: writes `dir/dbfilename` and replies once the file is in place. Only this client
/// waits; the others carry on (Redis blocks them all).
pub fn save(shared: &Shared, _client: &mut ClientContext, _args: &[Vec<u8>]) -> Value {
    match shared.rdb.save(&shared.store) {
        Ok(()) => Value::OK,
        Err(e) => Value::error_owned(e),
    }
}

// ANCHOR: bgsave
/// `BGSAVE [SCHEDULE]`: starts a save on the `rdb-bgsave` thread and replies at once. While an
/// AOF rewrite runs it is refused, or with `SCHEDULE` started by the cron once the rewrite is
/// over, with Redis's words.
pub fn bgsave(shared: &Shared, _client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let schedule = match args {
        [] => false,
        [word] if word.eq_ignore_ascii_case(b"SCHEDULE") => true,
        _ => return Value::syntax_error(),
    };
    if shared.rdb.bgsave_in_progress() {
        return Value::error("ERR Background save already in progress");
    }
    if shared.aof.rewrite_in_progress() {
        if schedule {
            shared.rdb.schedule_bgsave();
            return Value::simple("Background saving scheduled");
        }
        return Value::error(
            "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE \
             SCHEDULE in \
             order to schedule a BGSAVE whenever possible.",
        );
    }
    match shared.rdb.start_bgsave(shared.store.clone()) {
        Ok(()) => Value::simple("Background saving started"),
        Err(e) => Value::error_owned(e),
    }
}
// ANCHOR_END: bgsave

/// `LASTSAVE`: the Unix time of the last successful save, or of start-up.
pub fn lastsave(shared: &Shared, _client: &mut ClientContext, _args: &[Vec<u8>]) -> Value {
    Value::Integer(shared.rdb.last_save())
}

// ANCHOR: debug_reload
/// `DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]`: saves the store to `dir/dbfilename`, empties it
/// and loads the file back, as Redis does, all under one write guard (`rdb::Rdb::reload`).
/// What comes back is what the RDB format can say: the test of a snapshot's completeness that
/// Redis's own suite runs after many a test. `NOSAVE` loads the file as it is, `NOFLUSH` adds
/// its keys to the live ones, `MERGE` lets the file's win over a duplicate.
pub fn debug_reload(shared: &Shared, options: &[Vec<u8>]) -> Value {
    let (mut save, mut flush, mut merge) = (true, true, false);
    for option in options {
        match option.to_ascii_lowercase().as_slice() {
            b"merge" => merge = true,
            b"noflush" => flush = false,
            b"nosave" => save = false,
            _ => {
                return Value::error(
                    "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                );
            }
        }
    }
    match shared.rdb.reload(&shared.store, save, flush, merge) {
        Ok(_) => {
            crate::info!("rdb", "DB reloaded by DEBUG RELOAD");
            Value::OK
        }
        Err(ReloadError::Save(e)) => {
            crate::warn!("rdb", "DEBUG RELOAD could not save: {e}");
            Value::error("ERR")
        }
        Err(ReloadError::Load(e)) => {
            crate::warn!("rdb", "DEBUG RELOAD could not load: {e}");
            Value::error("ERR Error trying to load the RDB dump, check server logs.")
        }
    }
}
// ANCHOR_END: debug_reload

/// `DEBUG LOADAOF`: waits for the AOF to hold every write so far, empties the store and loads
/// the file back (its RDB preamble too, if it has one), as Redis does.
pub fn debug_loadaof(shared: &Shared) -> Value {
    let mut store = shared.write_store();
    if shared.aof.is_enabled() && !shared.aof.flush() {
        return Value::error("ERR the AOF cannot be written: nothing was reloaded");
    }
    for db in store.iter_mut() {
        db.clear();
    }
    let path = shared.aof.path();
    match replay_into(shared, &mut store, |apply| {
        replay::load(Path::new(&path), apply)
    }) {
        Ok(_) => Value::OK,
        Err(e) => Value::error_owned(format!("ERR Error loading the AOF: {e:#}")),
    }
}
