//! The per-connection limits (`proto-max-bulk-len`, `client-query-buffer-limit`, the output
//! limit of normal clients, `client-write-timeout`), shared between `CONFIG SET` and every
//! connection thread.
//!
//! Go original: none (go-redis had no limits). Explained in: book "When clients misbehave".
//!
//! It lives in `commands` because `CONFIG SET` (a handler) writes it and the network layer
//! (above) reads it.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::Config;
use crate::protocol::resp::Limits;

// ANCHOR: net_limits
/// The per-connection limits from the configuration, mirrored into atomics: a client thread
/// checks one `generation` number before each command and re-reads the rest only after a
/// `CONFIG SET`, so `CONFIG SET proto-max-bulk-len` reaches every connected client, as in
/// Redis, without a lock on the hot path.
#[derive(Debug)]
pub struct NetLimits {
    generation: AtomicU64,
    proto_max_bulk_len: AtomicU64,
    query_buffer_limit: AtomicU64,
    output_limit: AtomicU64,
    write_timeout: AtomicU64,
    /// Clients closed for sending a request larger than `client-query-buffer-limit`.
    pub query_limit_disconnections: AtomicU64,
}
// ANCHOR_END: net_limits

impl Default for NetLimits {
    fn default() -> Self {
        let limits = NetLimits {
            generation: AtomicU64::new(0),
            proto_max_bulk_len: AtomicU64::new(0),
            query_buffer_limit: AtomicU64::new(0),
            output_limit: AtomicU64::new(0),
            write_timeout: AtomicU64::new(0),
            query_limit_disconnections: AtomicU64::new(0),
        };
        limits.configure(&Config::default());
        limits
    }
}

/// What one connection applies, read from [`NetLimits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnLimits {
    /// The reader's limits.
    pub reader: Limits,
    /// Hard output limit of a normal client in bytes (0: none).
    pub output: usize,
    /// Seconds a write may block (0: for ever).
    pub write_timeout: u64,
}

impl NetLimits {
    /// Copies the settings from `config` (start-up and every `CONFIG SET`).
    pub fn configure(&self, config: &Config) {
        let relaxed = Ordering::Relaxed;
        self.proto_max_bulk_len
            .store(config.proto_max_bulk_len, relaxed);
        self.query_buffer_limit
            .store(config.client_query_buffer_limit, relaxed);
        self.output_limit
            .store(config.client_output_buffer_limit.normal[0], relaxed);
        self.write_timeout
            .store(config.client_write_timeout, relaxed);
        // Release: a thread that sees the new generation sees the values stored before it.
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// The current generation: changes whenever a setting may have.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The limits a connection applies now.
    pub fn current(&self) -> ConnLimits {
        let relaxed = Ordering::Relaxed;
        let clamp = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        ConnLimits {
            reader: Limits {
                max_bulk_len: clamp(self.proto_max_bulk_len.load(relaxed)),
                max_query_len: clamp(self.query_buffer_limit.load(relaxed)),
                ..Limits::default()
            },
            output: clamp(self.output_limit.load(relaxed)),
            write_timeout: self.write_timeout.load(relaxed),
        }
    }
}
