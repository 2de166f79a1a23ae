//! Persistence commands: `BGREWRITEAOF`, `SAVE`, `BGSAVE`, `LASTSAVE`, and the `DEBUG RELOAD`
//! and `DEBUG LOADAOF` round trips.
//!
//! Go original: none (go-redis had no rewrite). Explained in: book chapter 6.
//!
//! This server's snapshot is its rewritten AOF (there are no RDB files yet), so `SAVE` and
//! `BGSAVE` rewrite the AOF, as `BGREWRITEAOF` does, and answer as Redis answers them.

use std::path::Path;

use crate::commands::load::replay_into;
use crate::commands::registry::{NO_KEYS, flags::*};
use crate::commands::{ClientContext, Handler, Registry, Shared};
use crate::engine::store::now_ms;
use crate::persistence::replay::{self, TornTail};
use crate::persistence::rewrite;
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
    r.add("save", Handler::Client(save), 1, ADMIN | NOSCRIPT | NO_MULTI, NO_KEYS);
    r.add("bgsave", Handler::Client(bgsave), -1, ADMIN | NOSCRIPT, NO_KEYS);
    r.client("lastsave", lastsave, 1, FAST | LOADING | STALE, NO_KEYS);
}

// ANCHOR: bgrewriteaof
/// `BGREWRITEAOF`: compacts the AOF in the background; the reply comes at once.
pub fn bgrewriteaof(shared: &Shared, _client: &mut ClientContext, _args: &[Vec<u8>]) -> Value {
    match shared.aof.start_rewrite() {
        Ok(()) => Value::simple("Background append only file rewriting started"),
        Err(e) => Value::error_owned(e),
    }
}
// ANCHOR_END: bgrewriteaof

/// `SAVE`: rewrites the AOF and replies once the new file is in place.
pub fn save(shared: &Shared, _client: &mut ClientContext, _args: &[Vec<u8>]) -> Value {
    match shared.aof.save() {
        Ok(()) => Value::OK,
        Err(e) => Value::error_owned(e),
    }
}

/// `BGSAVE [SCHEDULE]`: starts a rewrite of the AOF in the background.
pub fn bgsave(shared: &Shared, _client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    match args {
        [] => {}
        [word] if word.eq_ignore_ascii_case(b"SCHEDULE") => {}
        _ => return Value::syntax_error(),
    }
    match shared.aof.start_rewrite() {
        Ok(()) => Value::simple("Background saving started"),
        Err(_) => Value::error("ERR Background save already in progress"),
    }
}

/// `LASTSAVE`: the Unix time of the last successful save, or of start-up.
pub fn lastsave(shared: &Shared, _client: &mut ClientContext, _args: &[Vec<u8>]) -> Value {
    Value::Integer(shared.aof.last_save())
}

// ANCHOR: debug_reload
/// `DEBUG RELOAD`: writes the whole store out as a rewrite would, empties it, and loads it back
/// from that file, under one write guard. What comes back is what the persistence format can
/// say: the test of a snapshot's completeness that Redis's own suite runs after many a test.
pub fn debug_reload(shared: &Shared) -> Value {
    let mut store = shared.write_store();
    let path = shared
        .aof
        .path()
        .with_file_name(format!("temp-reload-{}.aof", std::process::id()));
    let written = rewrite::write_snapshot(&path, store.snapshot(now_ms()));
    let result = written.map_err(anyhow::Error::from).and_then(|()| {
        for db in store.iter_mut() {
            db.clear();
        }
        let file = std::fs::File::open(&path)?;
        replay_into(shared, &mut store, |apply| {
            replay::replay(file, &path, TornTail::Report, apply)
        })
    });
    let _ = std::fs::remove_file(&path);
    match result {
        Ok(_) => Value::OK,
        Err(e) => Value::error_owned(format!("ERR Error trying to load the RDB dump: {e:#}")),
    }
}
// ANCHOR_END: debug_reload

/// `DEBUG LOADAOF`: waits for the AOF to hold every write so far, empties the store and loads
/// the file back, as Redis does.
pub fn debug_loadaof(shared: &Shared) -> Value {
    let mut store = shared.write_store();
    if shared.aof.is_enabled() && !shared.aof.flush() {
        return Value::error("ERR the AOF cannot be written: nothing was reloaded");
    }
    for db in store.iter_mut() {
        db.clear();
    }
    let path = shared.aof.path();
    match replay_into(shared, &mut store, |apply| replay::load(Path::new(&path), apply)) {
        Ok(_) => Value::OK,
        Err(e) => Value::error_owned(format!("ERR Error loading the AOF: {e:#}")),
    }
}
