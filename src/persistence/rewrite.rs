//! AOF rewrite (compaction): replaces the log with the shortest command list that rebuilds the
//! current store, while the server keeps serving and logging.
//!
//! Go original: none — go-redis only planned it (`internal/persistence/aof.go`, "TODO: rewrite").
//! Explained in: book chapter 6.
//!
// ANCHOR: rewrite_design
//! # How it works, and how it differs from Redis
//! Redis `fork()`s: the child inherits a copy-on-write image of the whole dataset frozen at one
//! instant, writes it out at leisure, and the parent buffers the commands that arrive meanwhile
//! and appends them to the new file before renaming it over the old one. The freeze is free
//! (the kernel copies a page only when the parent writes to it), and the parent never stops.
//!
//! We have no `fork` (std-only, no `unsafe`, and a forked child of a multi-threaded process may
//! only call async-signal-safe functions anyway). So the freeze is made by hand, with the same
//! copy-on-write idea one level up (`engine/store/snapshot.rs`):
//! 1. Under the store's **read** guard, the `aof-rewrite` thread takes a [`Snapshot`]: it
//!    shares every slot table of every database (a reference count each, microseconds for any
//!    number of keys), and sends a `RewriteStart` marker down the writer's channel. Every append
//!    happens under the *write* guard, so none can slip in between: the marker splits the log
//!    exactly into "in the snapshot" and "after it".
//! 2. With no lock held, it writes the snapshot to a temporary file as `SET`, `RPUSH`, `SADD`,
//!    `HSET` and `ZADD` commands (64 elements each) and `PEXPIREAT` for deadlines (or, under
//!    `aof-use-rdb-preamble yes`, as one RDB snapshot: chapter "RDB snapshots"), slot by slot,
//!    letting each slot go once written, and fsyncs it. Meanwhile a writer that changes a slot
//!    the snapshot still holds copies that slot first (one 4,096th of the keys): the snapshot
//!    never sees the change, and the writer waits for one slot's copy at most.
//! 3. The `aof-writer` thread, which copied every record after the marker into a buffer, appends
//!    that buffer to the temporary file, fsyncs it, `rename`s it over the AOF (atomic) and fsyncs
//!    the directory. A crash before the rename leaves the old file; after it, the new one.
//!
//! The cost, as with `fork`: memory for what the writers change while the rewrite runs (the
//! slots they copy, and the collections they write to), freed as the rewrite moves on.
// ANCHOR_END: rewrite_design

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::rdb;
use super::state::{Inner, Msg};
use crate::engine::store::{Data, Snapshot, Store, Stream, now_ms};
use crate::protocol::resp::{encode_command, format_double};

/// Elements per `RPUSH`/`SADD`/`HSET`/`ZADD` command: Redis's `AOF_REWRITE_ITEMS_PER_CMD`.
pub const ITEMS_PER_CMD: usize = 64;

// ANCHOR: write_entry
/// Appends the commands that rebuild one key, with its deadline, to `out`.
pub fn write_entry(out: &mut Vec<u8>, key: &[u8], data: &Data, deadline: Option<u64>) {
    entry_commands(key, data, deadline, |argv| encode_command(argv, out));
}

/// Calls `emit` with each command that rebuilds one key: one `SET`, or `RPUSH`, `SADD`,
/// `HSET`, `ZADD` of at most [`ITEMS_PER_CMD`] items each, then `PEXPIREAT` for a deadline.
/// The rewrite encodes them; the replay of an RDB preamble runs them.
pub fn entry_commands(
    key: &[u8],
    data: &Data,
    deadline: Option<u64>,
    mut emit: impl FnMut(&[&[u8]]),
) {
    match data {
        Data::Str(s) => emit(&[b"SET", key, s]),
        Data::List(l) => chunked(&mut emit, b"RPUSH", key, l.iter().map(|v| vec![v])),
        Data::Set(s) => chunked(&mut emit, b"SADD", key, s.iter().map(|v| vec![&v[..]])),
        Data::Hash(h) => chunked(
            &mut emit,
            b"HSET",
            key,
            h.iter().map(|(f, v)| vec![&f[..], &v[..]]),
        ),
        Data::ZSet(z) => {
            // `%.17g` text reads back as the very same double.
            let scored: Vec<(String, &[u8])> =
                z.iter().map(|(m, s)| (format_double(s), m)).collect();
            chunked(
                &mut emit,
                b"ZADD",
                key,
                scored.iter().map(|(s, m)| vec![s.as_bytes(), *m]),
            );
        }
        Data::Stream(s) => stream_commands(&mut emit, key, s),
    }
    if let Some(at) = deadline {
        emit(&[b"PEXPIREAT", key, at.to_string().as_bytes()]);
    }
}
// ANCHOR_END: write_entry

// ANCHOR: stream_commands
/// Emits the commands that rebuild a stream, as Redis's `rewriteStreamObject` does: an `XADD`
/// with its explicit ID per entry (an empty stream is made by adding one entry and trimming it
/// away), `XSETID` for the counters no `XADD` can set, then for each group an `XGROUP CREATE`
/// with its read counter and an `XCLAIM ... FORCE` per pending entry, which makes the consumer
/// and its entry with their times and counts; a consumer with nothing pending is made with
/// `XGROUP CREATECONSUMER`.
fn stream_commands(emit: &mut impl FnMut(&[&[u8]]), key: &[u8], s: &Stream) {
    for entry in s.iter() {
        let id = entry.id.to_bytes();
        let mut argv: Vec<&[u8]> = vec![b"XADD", key, &id];
        argv.extend(entry.elements());
        emit(&argv);
    }
    if s.is_empty() {
        emit(&[b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]);
    }
    let last = s.last_id.to_bytes();
    let added = s.entries_added.to_string();
    let max_deleted = s.max_deleted_id.to_bytes();
    emit(&[
        b"XSETID",
        key,
        &last,
        b"ENTRIESADDED",
        added.as_bytes(),
        b"MAXDELETEDID",
        &max_deleted,
    ]);
    for (name, group) in &s.groups {
        let last = group.last_id.to_bytes();
        let read = group.entries_read.to_string();
        emit(&[
            b"XGROUP",
            b"CREATE",
            key,
            name,
            &last,
            b"ENTRIESREAD",
            read.as_bytes(),
        ]);
        for (consumer, c) in &group.consumers {
            if c.pending.is_empty() {
                emit(&[b"XGROUP", b"CREATECONSUMER", key, name, consumer]);
            }
            for id in &c.pending {
                let Some(p) = group.pending.get(id) else {
                    continue;
                };
                let (id, time, count) = (
                    id.to_bytes(),
                    p.delivery_time.to_string(),
                    p.delivery_count.to_string(),
                );
                emit(&[
                    b"XCLAIM",
                    key,
                    name,
                    consumer,
                    b"0",
                    &id,
                    b"TIME",
                    time.as_bytes(),
                    b"RETRYCOUNT",
                    count.as_bytes(),
                    b"JUSTID",
                    b"FORCE",
                ]);
            }
        }
    }
}
// ANCHOR_END: stream_commands

/// Emits `name key item...` commands of at most [`ITEMS_PER_CMD`] items each.
fn chunked<'a>(
    emit: &mut impl FnMut(&[&[u8]]),
    name: &[u8],
    key: &'a [u8],
    items: impl Iterator<Item = Vec<&'a [u8]>>,
) {
    let mut argv: Vec<&[u8]> = vec![name, key];
    let mut n = 0;
    for item in items {
        argv.extend(item);
        n += 1;
        if n == ITEMS_PER_CMD {
            emit(&argv);
            argv.truncate(2);
            n = 0;
        }
    }
    if n > 0 {
        emit(&argv);
    }
}

/// Writes the snapshot to `path`, each database's keys after a `SELECT` of it, and fsyncs it.
///
/// # Errors
/// The file cannot be created or written.
pub fn write_snapshot(path: &Path, snapshot: Snapshot) -> io::Result<()> {
    write_snapshot_paced(path, snapshot, Duration::ZERO, false)
}

// ANCHOR: preamble
/// [`write_snapshot`], sleeping `per_key` after each key (`rdb-key-save-delay`); with
/// `preamble` (`aof-use-rdb-preamble yes`) the snapshot is written as an RDB file instead of
/// commands, marked `aof-base 1` as Redis marks it. The writer thread appends the commands
/// that came in meanwhile after it, in RESP as always: replay reads the RDB part, then those.
fn write_snapshot_paced(
    path: &Path,
    snapshot: Snapshot,
    per_key: Duration,
    preamble: bool,
) -> io::Result<()> {
    let pace = || {
        if !per_key.is_zero() {
            std::thread::sleep(per_key);
        }
        Ok(())
    };
    if preamble {
        let out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        let out = rdb::write_snapshot_paced(out, snapshot, &[("aof-base", b"1")], pace)?;
        return out.into_inner().map_err(|e| e.into_error())?.sync_all();
    }
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut buf = Vec::with_capacity(64 * 1024);
    let taken_at = snapshot.taken_at;
    for db in snapshot.dbs {
        encode_command(&[b"SELECT", db.db.to_string().as_bytes()], &mut buf);
        db.drain(taken_at, |key, data, deadline| {
            write_entry(&mut buf, key, data, deadline);
            pace()?;
            if buf.len() >= 64 * 1024 {
                w.write_all(&buf)?;
                buf.clear();
            }
            Ok::<(), io::Error>(())
        })?;
    }
    w.write_all(&buf)?;
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}
// ANCHOR_END: preamble

// Go parity: go-redis planned an AOF rewrite ("TODO: rewrite") and never built it.
// ANCHOR: start
/// Starts a rewrite on a new `aof-rewrite` thread.
///
/// # Errors
/// The text of the error reply: a rewrite is already running, or no thread could be spawned.
pub(super) fn start(inner: &Arc<Inner>, store: Arc<RwLock<Store>>) -> Result<(), String> {
    inner.rewrite.begin()?;
    let inner2 = inner.clone();
    let spawned = std::thread::Builder::new()
        .name("aof-rewrite".into())
        .spawn(move || run(&inner2, &store));
    if let Err(e) = spawned {
        inner.rewrite.abandon();
        return Err(format!(
            "ERR Can't rewrite append only file in background: {e}"
        ));
    }
    Ok(())
}
// ANCHOR_END: start

/// The body of the `aof-rewrite` thread.
fn run(inner: &Arc<Inner>, store: &RwLock<Store>) {
    let started = Instant::now();
    let (snapshot, writer_running) = {
        let guard = store.read().unwrap_or_else(|p| p.into_inner());
        let snapshot = guard.snapshot(now_ms());
        // Still under the read guard: no append can come between the freeze and the marker.
        let running = inner.send(Msg::RewriteStart);
        (snapshot, running)
    };
    // The only moment of the rewrite writers wait for: the freeze, under the read guard.
    crate::log::latency::record("aof-rewrite", started.elapsed());
    crate::verbose!(
        "aof",
        "rewrite snapshot of {} keys took {:?}",
        snapshot.keys(),
        started.elapsed()
    );
    let path = inner.path();
    let tmp = temp_path(&path);
    let per_key = Duration::from_micros(inner.key_save_delay_us.load(Ordering::Relaxed));
    let preamble = inner.use_rdb_preamble.load(Ordering::Relaxed);
    let written = write_snapshot_paced(&tmp, snapshot, per_key, preamble)
        .map_err(|e| format!("writing {}: {e}", tmp.display()));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    if writer_running {
        // The writer appends what it buffered, swaps the files and reports.
        if inner.send(Msg::RewriteDone(written.map(|()| tmp.clone()))) {
            return;
        }
        let _ = std::fs::remove_file(&tmp);
        inner
            .rewrite
            .finish(Err("the AOF was turned off during the rewrite".to_string()));
        return;
    }
    // The AOF is off: nothing is being appended, so the snapshot is the whole file.
    // Differs from Redis: Redis 7 with `appendonly no` rewrites and keeps nothing; we keep the
    // file, so that turning the AOF on later (or a restart with it on) starts from it.
    let result = written.and_then(|()| {
        std::fs::rename(&tmp, &path).map_err(|e| format!("renaming {}: {e}", tmp.display()))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    inner.rewrite.finish(result.map(|()| None));
}

/// `temp-rewriteaof-bg-<pid>.aof` next to the AOF, as Redis names it: same directory, so the
/// rename stays within one filesystem and is atomic.
fn temp_path(path: &Path) -> PathBuf {
    // A rewrite abandoned by `CONFIG SET appendonly no` may still be writing its file when the
    // next one starts: a counter keeps their names apart.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!("temp-rewriteaof-bg-{}-{n}.aof", std::process::id());
    match path.parent() {
        Some(dir) => dir.join(name),
        None => PathBuf::from(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::store::List;

    #[test]
    fn collections_are_written_in_chunks_of_64() {
        let items: Vec<String> = (0..130).map(|i: u32| i.to_string()).collect();
        let list: List = items.iter().map(|s| s.as_bytes()).collect();
        let mut out = Vec::new();
        write_entry(&mut out, b"l", &Data::from(list), Some(1234));
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("RPUSH").count(), 3);
        assert!(text.starts_with("*66\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\n0\r\n"));
        assert!(text.ends_with("*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nl\r\n$4\r\n1234\r\n"));
    }

    #[test]
    fn strings_are_one_set() {
        let mut out = Vec::new();
        write_entry(&mut out, b"k", &Data::Str(b"v".as_slice().into()), None);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    }
}
