//! Persistence: the append-only file (AOF), its replay at start-up, and its rewrite.
//!
//! Go original: `internal/persistence` (`aof.go`, `replay.go`). Explained in: book chapter 6.
//!
//! | file | what |
//! |---|---|
//! | [`aof`] | [`Aof`]: the handle the dispatcher appends to |
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
pub mod check;
pub mod rdb;
pub mod replay;
pub mod rewrite;
mod state;
mod writer;

pub use aof::{Aof, Ticket};

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
