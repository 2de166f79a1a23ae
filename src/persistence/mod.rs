//! Persistence: the append-only file.
//!
//! Go original: `internal/persistence`. Explained in: book chapter 6.

use crate::commands::Effect;
use crate::engine::store::Store;
use crate::protocol::resp::Value;
use crate::server::Config;

/// Loads the AOF named by `config` (if enabled) into a new store and opens it for appending.
///
/// # Errors
/// The file cannot be read or is corrupt before its last record.
pub fn open(_config: &Config) -> anyhow::Result<(Store, Aof)> {
    Ok((Store::new(), Aof::disabled()))
}

/// A position in the AOF stream that a client may have to wait for (`appendfsync always`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket(pub u64);

impl Ticket {
    /// Nothing to wait for.
    pub const NONE: Ticket = Ticket(0);
}

/// The AOF as the rest of the server sees it. (Disabled placeholder until the AOF work lands.)
#[derive(Default)]
pub struct Aof {}

impl Aof {
    /// An AOF that logs nothing.
    pub fn disabled() -> Self {
        Aof {}
    }

    /// Queues effects for the writer thread; called under the write guard so the log order is
    /// the store order (design invariant 4). Never blocks on disk.
    pub fn append(&self, _effects: &[Effect], _in_multi: bool) -> Ticket {
        Ticket::NONE
    }

    /// Waits until `ticket` is durable as the fsync policy promises; called with no guard held.
    pub fn wait(&self, _ticket: Ticket) {}

    /// The `MISCONF`-style error to refuse writes with while the AOF cannot be written.
    pub fn refuses_writes(&self) -> Option<Value> {
        None
    }

    /// Writes and fsyncs everything queued, then stops the writer thread.
    pub fn shutdown(&self) {}

    /// The `INFO persistence` fields (`aof_enabled`, `aof_rewrite_in_progress`, ...).
    pub fn info(&self) -> Vec<(&'static str, String)> {
        vec![("aof_enabled", "0".to_string())]
    }

    /// `CONFIG SET appendonly yes|no` at run time.
    ///
    /// # Errors
    /// The text of the error reply when the AOF cannot be switched on.
    pub fn set_enabled(&self, _shared: &crate::server::Shared, _on: bool) -> Result<(), String> {
        Err("ERR the AOF is not available yet".to_string())
    }

    /// `CONFIG SET appendfsync` at run time.
    pub fn set_fsync(&self, _policy: crate::server::config::FsyncPolicy) {}

    /// `BGREWRITEAOF`: starts a rewrite in the background.
    ///
    /// # Errors
    /// The text of the error reply (a rewrite already running, AOF off, ...).
    pub fn start_rewrite(&self, _shared: &std::sync::Arc<crate::server::Shared>) -> Result<(), String> {
        Err("ERR the AOF is not available yet".to_string())
    }
}
