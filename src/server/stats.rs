//! Server-wide counters for `INFO stats`, and what runs after every command.
//!
//! Explained in: book chapter "Talking to real clients".

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::Shared;
use crate::commands::ClientContext;

/// Counters shared by every thread.
#[derive(Default)]
pub struct Stats {
    /// Connections accepted since start.
    pub connections_received: AtomicU64,
    /// Connections refused (`maxclients`).
    pub rejected_connections: AtomicU64,
}

impl Shared {
    /// Runs after every command outside a transaction (slow log, counters).
    pub fn after_command(&self, _client: &mut ClientContext, _argv: &[Vec<u8>], _took: Duration) {}

    /// Counts an accepted connection.
    pub fn count_connection(&self) {
        self.stats.connections_received.fetch_add(1, Ordering::Relaxed);
    }
}
