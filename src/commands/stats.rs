//! Server-wide counters for `INFO stats`, the slow log, and what runs after every command.
//!
//! Go original: none (go-redis had no `INFO`). Explained in: book chapter "Talking to real
//! clients".
//!
//! The hot path is [`Shared::after_command`], run once per command. It touches only the calling
//! client's own handle (a plain store to its counter, an uncontended lock on its own state) and
//! reads two atomics; the global slow-log lock is taken only for a command that was slow. Totals
//! such as `total_commands_processed` are summed over the clients when `INFO` asks, rather than
//! kept in one shared counter that every thread would bounce between CPU caches.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::{ClientContext, Shared};
use crate::config::Config;
use crate::protocol::resp::Protocol;

/// Commands whose first argument names a subcommand: `CLIENT LIST` shows `cmd=client|list`.
const CONTAINERS: &[&str] = &[
    "client", "command", "config", "slowlog", "debug", "object", "memory", "pubsub", "xinfo", "xgroup", "script",
    "function", "acl", "latency", "module", "cluster",
];

// ANCHOR: slowlog_entry
/// One slow-log entry, as `SLOWLOG GET` prints it.
#[derive(Clone, Debug)]
pub struct SlowlogEntry {
    /// Increasing id, never reused (not even after `SLOWLOG RESET`).
    pub id: u64,
    /// When the command ran, in Unix seconds.
    pub time: u64,
    /// How long it took, in microseconds.
    pub micros: u64,
    /// The command, shortened as Redis does: at most 32 words, each at most 128 bytes.
    pub argv: Vec<Vec<u8>>,
    /// The client's `ip:port`.
    pub addr: String,
    /// The client's name.
    pub name: Vec<u8>,
}
// ANCHOR_END: slowlog_entry

/// The slow log: the newest entries first, at most `slowlog-max-len` of them.
#[derive(Default)]
pub struct Slowlog {
    next_id: u64,
    /// Newest first.
    pub entries: VecDeque<SlowlogEntry>,
}

/// Counters shared by every thread.
#[derive(Default)]
pub struct Stats {
    /// Connections accepted since start.
    pub connections_received: AtomicU64,
    /// Connections refused (`maxclients`, protected mode).
    pub rejected_connections: AtomicU64,
    /// Connections open now, counted by the accept loop so that `maxclients` holds even while
    /// new client threads have not registered yet.
    pub connected: AtomicUsize,
    /// `slowlog-log-slower-than`, mirrored here so the hot path reads an atomic, not the config.
    pub slowlog_slower_than: AtomicI64,
    /// `slowlog-max-len`, mirrored likewise.
    pub slowlog_max_len: AtomicU64,
    /// The slow log.
    pub slowlog: Mutex<Slowlog>,
    /// `instantaneous_ops_per_sec`, updated by the `cron` thread.
    pub ops_per_sec: AtomicU64,
    /// The connection limits client threads read before each command, and their counters.
    pub net: super::limits::NetLimits,
}

impl Stats {
    /// Copies the run-time-changeable settings the hot path reads into atomics.
    pub fn configure(&self, config: &Config) {
        self.slowlog_slower_than
            .store(config.slowlog_log_slower_than, Ordering::Relaxed);
        self.slowlog_max_len.store(config.slowlog_max_len, Ordering::Relaxed);
        let mut log = self.slowlog();
        let max = config.slowlog_max_len as usize;
        log.entries.truncate(max);
        self.net.configure(config);
    }

    /// The slow log, locked.
    pub fn slowlog(&self) -> MutexGuard<'_, Slowlog> {
        self.slowlog.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `CONFIG RESETSTAT`: zeroes the server-wide counters.
    pub fn reset(&self) {
        self.connections_received.store(0, Ordering::Relaxed);
        self.rejected_connections.store(0, Ordering::Relaxed);
        self.ops_per_sec.store(0, Ordering::Relaxed);
    }
}

/// Shortens a command for the slow log as Redis does: past 32 words the last says how many
/// more there were, and a word past 128 bytes says how many bytes were cut.
fn slowlog_argv(argv: &[Vec<u8>]) -> Vec<Vec<u8>> {
    const MAX_ARGS: usize = 32;
    const MAX_BYTES: usize = 128;
    let shown = argv.len().min(MAX_ARGS);
    let mut out = Vec::with_capacity(shown);
    for (i, arg) in argv.iter().take(shown).enumerate() {
        if i == MAX_ARGS - 1 && argv.len() > MAX_ARGS {
            out.push(format!("... ({} more arguments)", argv.len() - MAX_ARGS + 1).into_bytes());
        } else if arg.len() > MAX_BYTES {
            let mut a = arg[..MAX_BYTES].to_vec();
            a.extend_from_slice(format!("... ({} more bytes)", arg.len() - MAX_BYTES).as_bytes());
            out.push(a);
        } else {
            out.push(arg.clone());
        }
    }
    out
}

/// True if `last` already spells the command of `argv` (so the common case rewrites nothing).
fn same_cmd(last: &str, argv: &[Vec<u8>]) -> bool {
    let name = &argv[0];
    let (head, sub) = match last.split_once('|') {
        Some((h, s)) => (h, Some(s)),
        None => (last, None),
    };
    if !head.as_bytes().eq_ignore_ascii_case(name) {
        return false;
    }
    match (sub, argv.get(1)) {
        (None, _) => !CONTAINERS.contains(&head),
        (Some(s), Some(a)) => s.as_bytes().eq_ignore_ascii_case(a),
        (Some(_), None) => false,
    }
}

fn cmd_label(argv: &[Vec<u8>]) -> String {
    let mut s = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    if CONTAINERS.contains(&s.as_str())
        && let Some(sub) = argv.get(1)
    {
        s.push('|');
        s.push_str(&String::from_utf8_lossy(sub).to_ascii_lowercase());
    }
    s
}

impl Shared {
    // ANCHOR: after_command
    /// Runs after every command outside a transaction: counts it on the client's own handle,
    /// refreshes what `CLIENT LIST` shows, and records it in the slow log if it was slow.
    /// `started` is when it began; one clock read here serves both the duration and the
    /// client's idle time (a command costs two clock reads besides the store's own).
    pub fn after_command(&self, client: &mut ClientContext, argv: &[Vec<u8>], started: Instant) {
        let ended = Instant::now();
        let took = ended.saturating_duration_since(started);
        let handle = &client.handle;
        handle.count_command(ended);
        {
            let mut st = handle.state();
            if !same_cmd(&st.last_cmd, argv) {
                st.last_cmd = cmd_label(argv);
            }
            st.multi = client.multi.as_ref().map_or(-1, |q| q.len() as i64);
            st.resp = if client.protocol == Protocol::Resp3 { 3 } else { 2 };
            st.sub = client.subscriptions;
        }
        let threshold = self.stats.slowlog_slower_than.load(Ordering::Relaxed);
        let micros = took.as_micros() as u64;
        if threshold >= 0 && micros >= threshold as u64 {
            self.slowlog_push(client, argv, micros);
        }
    }
    // ANCHOR_END: after_command

    fn slowlog_push(&self, client: &ClientContext, argv: &[Vec<u8>], micros: u64) {
        let max = self.stats.slowlog_max_len.load(Ordering::Relaxed) as usize;
        let entry_argv = slowlog_argv(argv);
        let name = client.handle.name();
        let time = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut log = self.stats.slowlog();
        let id = log.next_id;
        log.next_id += 1;
        log.entries.push_front(SlowlogEntry {
            id,
            time,
            micros,
            argv: entry_argv,
            addr: client.handle.addr.to_string(),
            name,
        });
        log.entries.truncate(max);
    }

    /// Counts an accepted connection.
    pub fn count_connection(&self) {
        self.stats.connections_received.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<Vec<u8>> {
        ws.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn slowlog_shortens_like_redis() {
        let long = vec![b'x'; 130];
        let got = slowlog_argv(&[b"SET".to_vec(), long]);
        assert_eq!(got[1].len(), 128 + "... (2 more bytes)".len());
        let many: Vec<Vec<u8>> = (0..40).map(|i| i.to_string().into_bytes()).collect();
        let got = slowlog_argv(&many);
        assert_eq!(got.len(), 32);
        assert_eq!(got[31], b"... (9 more arguments)");
    }

    #[test]
    fn command_labels_name_subcommands() {
        assert_eq!(cmd_label(&words(&["CLIENT", "List"])), "client|list");
        assert_eq!(cmd_label(&words(&["GET", "k"])), "get");
        assert!(same_cmd("client|list", &words(&["client", "LIST"])));
        assert!(!same_cmd("client|list", &words(&["client", "id"])));
        assert!(same_cmd("get", &words(&["GET", "x"])));
        assert!(!same_cmd("", &words(&["GET"])));
    }
}
