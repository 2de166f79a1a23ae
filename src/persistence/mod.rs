//! Persistence: the append-only file (AOF), its replay at start-up, and its rewrite.
//!
//! Go original: `internal/persistence` (`aof.go`, `replay.go`). Explained in: book chapter 6.
//!
//! | file | what |
//! |---|---|
//! | [`aof`] | [`Aof`]: the handle the dispatcher appends to |
//! | [`backlog`] | [`Backlog`]: the replication stream, the same changes in the same order, and its recent past |
//! | `writer` | the `aof-writer` thread: one `write` per batch, the fsync policy, the file swap |
//! | `state` | what those threads share, and the one record of the rewrite |
//! | [`replay`] | reading the file back, each command handed to the caller's closure |
//! | [`rewrite`] | `BGREWRITEAOF`: the shortest command list that rebuilds the store |
//! | [`check`] | `--check-aof FILE [--fix]`, like `redis-check-aof` |
//! | [`rdb`] | the RDB snapshot format (`dump.rdb`, version 10): writer and loader |
//!
//! The file is plain RESP: every record is the array of bulk strings a client would have sent,
//! so `cat appendonly.aof` is readable and Redis's own tools understand it.

pub mod aof;
pub mod backlog;
pub mod check;
pub mod rdb;
pub mod replay;
pub mod rewrite;
mod state;
mod writer;

pub use aof::{Aof, Ticket};
pub use backlog::Backlog;

use crate::protocol::resp::encode_command;

/// One logged effect: a command, as words, that replays the change (design invariant 5).
pub type Effect = Vec<Vec<u8>>;

/// An effect and the number of the database it changed: what a write hands the AOF, which
/// writes a `SELECT` before it whenever the database differs from the last one written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The database (`SELECT n`) the effect applies to.
    pub db: usize,
    /// The command that replays it.
    pub effect: Effect,
}

// ANCHOR: encode_changes
/// Encodes one command's changes as the AOF and the replication stream both carry them: in
/// `MULTI` … `EXEC` if a transaction made more than one (a single change is atomic by itself,
/// and Redis 7 leaves it bare too), each preceded by a `SELECT` when its database is not the
/// one the stream is in (`selected`, updated).
pub fn encode_changes(
    changes: &[Change],
    in_multi: bool,
    selected: &mut Option<usize>,
    out: &mut Vec<u8>,
) {
    let in_multi = in_multi && changes.len() > 1;
    if in_multi {
        // Redis writes the transaction's first `SELECT` before its `MULTI`.
        select(selected, changes[0].db, out);
        encode_command(&[b"MULTI"], out);
    }
    for change in changes {
        select(selected, change.db, out);
        encode_command(&change.effect, out);
    }
    if in_multi {
        encode_command(&[b"EXEC"], out);
    }
}
// ANCHOR_END: encode_changes

/// Writes `SELECT db` to `out` unless the stream is in `db` already, and notes that it is now.
fn select(selected: &mut Option<usize>, db: usize, out: &mut Vec<u8>) {
    if *selected != Some(db) {
        encode_command(&[b"SELECT", db.to_string().as_bytes()], out);
        *selected = Some(db);
    }
}
