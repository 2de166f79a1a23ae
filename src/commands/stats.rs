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

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::clients::CommandStats;
use super::registry::{CommandSpec, flags};
use super::{ClientContext, Shared};
use crate::config::Config;
use crate::log::latency;
use crate::protocol::resp::{Protocol, Value};

/// One call of a command that ran: its time, whether it answered an error (a failed call), and,
/// with `latency-tracking` on (`tracking`), its place in the command's latency histogram.
fn count_call(stats: &mut CommandStats, micros: u64, reply: &Value, tracking: bool) {
    stats.calls += 1;
    stats.usec += micros;
    if reply.is_error() {
        stats.failed += 1;
    }
    if tracking {
        stats.histogram.count(micros);
    }
}

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
    /// `total_error_replies`: every error reply, whoever answered it.
    pub error_replies: AtomicU64,
    /// `INFO errorstats`: error replies by their first word (`ERR`, `WRONGTYPE`), in byte order.
    pub errors: Mutex<BTreeMap<String, u64>>,
    /// `latency-tracking no`, mirrored here for the hot path. Kept negated so that the
    /// default, all zeros, is Redis's default: tracking on.
    pub latency_tracking_off: AtomicBool,
}

/// Most distinct error codes counted; past them, new codes count only in `total_error_replies`.
/// Every code is the first word of one of this server's own error texts, so the bound is never
/// reached by what clients send; it is there so that no future text can make it grow unbounded.
const MAX_ERROR_CODES: usize = 128;

// ANCHOR: error_code
/// The code an error reply is counted under, as Redis takes it: the text up to its first
/// space, if there is one among its first 31 bytes (Redis searches 32 bytes of the reply, its
/// leading `-` included), else `ERR`.
fn error_code(text: &str) -> &str {
    let head = &text.as_bytes()[..text.len().min(31)];
    match head.iter().position(|&b| b == b' ') {
        Some(at) => &text[..at],
        None => "ERR",
    }
}
// ANCHOR_END: error_code

impl Stats {
    /// Copies the run-time-changeable settings the hot path reads into atomics.
    pub fn configure(&self, config: &Config) {
        self.slowlog_slower_than
            .store(config.slowlog_log_slower_than, Ordering::Relaxed);
        self.slowlog_max_len
            .store(config.slowlog_max_len, Ordering::Relaxed);
        let mut log = self.slowlog();
        let max = config.slowlog_max_len as usize;
        log.entries.truncate(max);
        self.net.configure(config);
        self.latency_tracking_off
            .store(!config.latency.tracking, Ordering::Relaxed);
        crate::log::latency::set_threshold_ms(config.latency.monitor_threshold_ms);
    }

    /// True if commands are counted in their latency histograms (`latency-tracking`).
    #[inline]
    pub fn latency_tracking(&self) -> bool {
        !self.latency_tracking_off.load(Ordering::Relaxed)
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
        self.error_replies.store(0, Ordering::Relaxed);
        self.errors().clear();
    }

    /// The error counts, locked.
    pub fn errors(&self) -> MutexGuard<'_, BTreeMap<String, u64>> {
        self.errors.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts `reply` if it is an error: in `total_error_replies` and under its code. Errors are
    /// rare next to commands, so one shared lock costs the hot path nothing.
    pub fn count_error(&self, reply: &Value) {
        let Value::Error(text) = reply else { return };
        self.error_replies.fetch_add(1, Ordering::Relaxed);
        let code = error_code(text);
        let mut errors = self.errors();
        if let Some(n) = errors.get_mut(code) {
            *n += 1;
        } else if errors.len() < MAX_ERROR_CODES {
            errors.insert(code.to_string(), 1);
        }
    }
}

/// True for a word Redis keeps out of the slow log: a password (`AUTH`, `HELLO ... AUTH u p`)
/// or a user's rules (`ACL SETUSER`), which may hold passwords too.
fn redacted(argv: &[Vec<u8>], i: usize) -> bool {
    let is = |at: usize, word: &[u8]| argv.get(at).is_some_and(|a| a.eq_ignore_ascii_case(word));
    (is(0, b"auth") && i > 0)
        || (is(0, b"acl") && is(1, b"setuser") && i > 1)
        || (is(0, b"hello") && i >= 3 && (is(i - 1, b"auth") || is(i - 2, b"auth")))
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
        } else if redacted(argv, i) {
            out.push(b"(redacted)".to_vec());
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

/// The latency monitor's event for a slow command: Redis tells apart the commands it flags
/// `fast`, whose slowness says more about the machine than about the command.
fn latency_event(spec: &CommandSpec) -> &'static str {
    if spec.has(flags::FAST) {
        "fast-command"
    } else {
        "command"
    }
}

impl Shared {
    // ANCHOR: after_command
    /// Runs after every command outside a transaction: counts it on the client's own handle
    /// (its share of `total_commands_processed` and of `INFO commandstats`), counts an error
    /// reply, refreshes what `CLIENT LIST` shows, and records the command in the slow log and
    /// the latency monitor if it was slow. `name` is its full name (`client|list`); `started`
    /// is when it began: one clock read here serves both the duration and the client's idle
    /// time (a command costs two clock reads besides the store's own).
    pub fn after_command(
        &self,
        client: &mut ClientContext,
        spec: &CommandSpec,
        name: &'static str,
        argv: &[Vec<u8>],
        started: Instant,
        reply: &Value,
    ) {
        let ended = Instant::now();
        let took = ended.saturating_duration_since(started);
        let micros = took.as_micros() as u64;
        let handle = &client.handle;
        handle.count_command(ended);
        let tracking = self.stats.latency_tracking();
        {
            let mut st = handle.state();
            st.last_cmd = name;
            st.multi = client.multi.as_ref().map_or(-1, |q| q.len() as i64);
            st.resp = if client.protocol == Protocol::Resp3 {
                3
            } else {
                2
            };
            count_call(st.stats_for(name), micros, reply, tracking);
        }
        // `CLIENT CACHING` covers the next command, or the next transaction, only.
        if client.multi.is_none() && spec.name != "client" {
            client.caching = false;
        }
        if reply.is_error() {
            self.stats.count_error(reply);
        }
        // A blocking command's time includes its wait for data, which is no stall of the
        // server's: Redis times only its runs, so it is left out of the latency monitor.
        if !spec.has(flags::BLOCKING) {
            latency::record(latency_event(spec), took);
        }
        if !spec.has(flags::SKIP_SLOWLOG) {
            self.slowlog_if_slow(client, argv, micros);
        }
    }
    // ANCHOR_END: after_command

    fn slowlog_if_slow(&self, client: &ClientContext, argv: &[Vec<u8>], micros: u64) {
        let threshold = self.stats.slowlog_slower_than.load(Ordering::Relaxed);
        if threshold >= 0 && micros >= threshold as u64 {
            self.slowlog_push(client, argv, micros);
        }
    }

    /// Runs after each command `EXEC` runs from its queue: counted as Redis counts it, as a
    /// call of its own, and logged in the slow log and the latency monitor if slow (`EXEC`
    /// itself is counted by [`Shared::after_command`], and never in the slow log).
    pub fn after_queued(
        &self,
        client: &ClientContext,
        spec: &CommandSpec,
        name: &'static str,
        argv: &[Vec<u8>],
        started: Instant,
        reply: &Value,
    ) {
        let took = started.elapsed();
        let micros = took.as_micros() as u64;
        let handle = &client.handle;
        let n = handle.commands.load(Ordering::Relaxed);
        handle.commands.store(n + 1, Ordering::Relaxed);
        let tracking = self.stats.latency_tracking();
        count_call(handle.state().stats_for(name), micros, reply, tracking);
        latency::record(latency_event(spec), took);
        if reply.is_error() {
            self.stats.count_error(reply);
        }
        self.slowlog_if_slow(client, argv, micros);
    }

    // ANCHOR: rejected
    /// A command refused before it ran (unknown, wrong arity, `NOAUTH`, ...): counted as a
    /// rejected call of `name` (none for an unknown command or subcommand, as in Redis) and as
    /// an error reply. Returns the refusal, for the dispatcher to answer with.
    pub fn rejected(
        &self,
        client: &ClientContext,
        name: Option<&'static str>,
        refusal: Value,
    ) -> Value {
        {
            let mut st = client.handle.state();
            st.last_cmd = name.unwrap_or("");
            if let Some(name) = name {
                st.stats_for(name).rejected += 1;
            }
        }
        self.stats.count_error(&refusal);
        refusal
    }
    // ANCHOR_END: rejected

    fn slowlog_push(&self, client: &ClientContext, argv: &[Vec<u8>], micros: u64) {
        let max = self.stats.slowlog_max_len.load(Ordering::Relaxed) as usize;
        let entry_argv = slowlog_argv(argv);
        let name = client.handle.name();
        let time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
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
        self.stats
            .connections_received
            .fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn slowlog_hides_passwords_and_acl_rules() {
        let words =
            |w: &[&str]| -> Vec<Vec<u8>> { w.iter().map(|s| s.as_bytes().to_vec()).collect() };
        let hidden = |w: &[&str]| slowlog_argv(&words(w));
        assert_eq!(
            hidden(&["AUTH", "u", "p"]),
            words(&["AUTH", "(redacted)", "(redacted)"])
        );
        assert_eq!(
            hidden(&["acl", "setuser", "u", ">p"]),
            words(&["acl", "setuser", "(redacted)", "(redacted)"])
        );
        assert_eq!(
            hidden(&["HELLO", "3", "AUTH", "u", "p", "SETNAME", "n"]),
            words(&[
                "HELLO",
                "3",
                "AUTH",
                "(redacted)",
                "(redacted)",
                "SETNAME",
                "n"
            ])
        );
        assert_eq!(hidden(&["ACL", "LIST"]), words(&["ACL", "LIST"]));
    }

    #[test]
    fn errors_count_under_their_first_word() {
        assert_eq!(error_code("ERR syntax error"), "ERR");
        assert_eq!(error_code("WRONGTYPE Operation against a key"), "WRONGTYPE");
        assert_eq!(error_code("NOAUTH Authentication required."), "NOAUTH");
        assert_eq!(error_code("OOPS"), "ERR");
        // A first word of 30 bytes still counts; one of 31 is past Redis's 32-byte window.
        let w30 = format!("{} x", "A".repeat(30));
        let w31 = format!("{} x", "A".repeat(31));
        assert_eq!(error_code(&w30), "A".repeat(30));
        assert_eq!(error_code(&w31), "ERR");
    }

    #[test]
    fn error_codes_are_bounded() {
        let stats = Stats::default();
        for i in 0..MAX_ERROR_CODES + 10 {
            stats.count_error(&Value::error_owned(format!("E{i} x")));
        }
        stats.count_error(&Value::OK);
        assert_eq!(stats.errors().len(), MAX_ERROR_CODES);
        assert_eq!(
            stats.error_replies.load(Ordering::Relaxed),
            MAX_ERROR_CODES as u64 + 10
        );
        stats.reset();
        assert!(stats.errors().is_empty());
    }
}
