//! The settings of Redis 7.0 that this server keeps and reports but does not act on.
//!
//! Go original: none (go-redis had no `CONFIG`). Explained in: book chapter "Talking to real
//! clients".
//!
//! Client libraries and Redis's own test suite set Redis's tuning knobs before they start
//! (`CONFIG SET hash-max-ziplist-entries 0` to force a plain encoding, say). A server that
//! answered "unknown option" would stop them at their first line. These settings mean nothing
//! to this server's data structures, or belong to features it does not have (replication,
//! cluster, Lua), so it keeps the value a client sets and reports it back, with Redis 7.0's
//! default until then. The ones Redis refuses to change at run time are refused here too, with
//! the same words. The table was read off a real Redis 7.0.15 (`CONFIG GET *`, then a
//! `CONFIG SET` of each setting to its own value).
//!
//! A few of them are read where they apply nonetheless: `dbfilename`,
//! `aof-use-rdb-preamble`, `stop-writes-on-bgsave-error`, `rdb-key-save-delay` and the
//! `lazyfree-lazy-*` switches.

use super::Mutability;

/// Every such setting: its name, Redis 7.0's default, and whether `CONFIG SET` may change it.
pub const KEPT: &[(&str, &str, Mutability)] = &[
    ("acl-pubsub-default", "resetchannels", Mutability::Runtime),
    ("aclfile", "", Mutability::Startup),
    ("acllog-max-len", "128", Mutability::Runtime),
    ("active-defrag-cycle-max", "25", Mutability::Runtime),
    ("active-defrag-cycle-min", "1", Mutability::Runtime),
    (
        "active-defrag-ignore-bytes",
        "104857600",
        Mutability::Runtime,
    ),
    ("active-defrag-max-scan-fields", "1000", Mutability::Runtime),
    ("active-defrag-threshold-lower", "10", Mutability::Runtime),
    ("active-defrag-threshold-upper", "100", Mutability::Runtime),
    ("active-expire-effort", "1", Mutability::Runtime),
    ("activedefrag", "no", Mutability::Runtime),
    ("activerehashing", "yes", Mutability::Runtime),
    ("always-show-logo", "no", Mutability::Startup),
    ("aof-disable-auto-gc", "no", Mutability::Runtime),
    ("aof-load-truncated", "yes", Mutability::Runtime),
    ("aof-rewrite-incremental-fsync", "yes", Mutability::Runtime),
    ("aof-timestamp-enabled", "no", Mutability::Runtime),
    // Differs from Redis (`yes`): off unless set, so that the AOF stays plain text a learner
    // can read. Acted on by the rewrite.
    ("aof-use-rdb-preamble", "no", Mutability::Runtime),
    ("aof_rewrite_cpulist", "", Mutability::Startup),
    ("appenddirname", "appendonlydir", Mutability::Startup),
    ("bgsave_cpulist", "", Mutability::Startup),
    ("bind-source-addr", "", Mutability::Runtime),
    ("bio_cpulist", "", Mutability::Startup),
    ("busy-reply-threshold", "5000", Mutability::Runtime),
    (
        "cluster-allow-pubsubshard-when-down",
        "yes",
        Mutability::Runtime,
    ),
    ("cluster-allow-reads-when-down", "no", Mutability::Runtime),
    (
        "cluster-allow-replica-migration",
        "yes",
        Mutability::Runtime,
    ),
    ("cluster-announce-bus-port", "0", Mutability::Runtime),
    ("cluster-announce-hostname", "", Mutability::Runtime),
    ("cluster-announce-ip", "", Mutability::Runtime),
    ("cluster-announce-port", "0", Mutability::Runtime),
    ("cluster-announce-tls-port", "0", Mutability::Runtime),
    ("cluster-config-file", "nodes.conf", Mutability::Startup),
    ("cluster-enabled", "no", Mutability::Startup),
    ("cluster-link-sendbuf-limit", "0", Mutability::Runtime),
    ("cluster-migration-barrier", "1", Mutability::Runtime),
    ("cluster-node-timeout", "15000", Mutability::Runtime),
    ("cluster-port", "0", Mutability::Startup),
    ("cluster-preferred-endpoint-type", "ip", Mutability::Runtime),
    ("cluster-replica-no-failover", "no", Mutability::Runtime),
    ("cluster-replica-validity-factor", "10", Mutability::Runtime),
    ("cluster-require-full-coverage", "yes", Mutability::Runtime),
    ("crash-log-enabled", "yes", Mutability::Runtime),
    ("crash-memcheck-enabled", "yes", Mutability::Runtime),
    ("daemonize", "no", Mutability::Startup),
    // Acted on: the RDB file's name inside `dir`. Protected, as in Redis 7.
    ("dbfilename", "dump.rdb", Mutability::Runtime),
    ("disable-thp", "yes", Mutability::Startup),
    ("dynamic-hz", "yes", Mutability::Runtime),
    ("enable-module-command", "no", Mutability::Startup),
    ("enable-protected-configs", "no", Mutability::Startup),
    ("hash-max-listpack-entries", "512", Mutability::Runtime),
    ("hash-max-listpack-value", "64", Mutability::Runtime),
    ("ignore-warnings", "", Mutability::Runtime),
    ("io-threads", "1", Mutability::Startup),
    ("io-threads-do-reads", "no", Mutability::Startup),
    ("jemalloc-bg-thread", "yes", Mutability::Runtime),
    ("lazyfree-lazy-eviction", "no", Mutability::Runtime),
    ("lazyfree-lazy-expire", "no", Mutability::Runtime),
    ("lazyfree-lazy-server-del", "no", Mutability::Runtime),
    ("lazyfree-lazy-user-del", "no", Mutability::Runtime),
    ("lazyfree-lazy-user-flush", "no", Mutability::Runtime),
    ("lfu-decay-time", "1", Mutability::Runtime),
    ("lfu-log-factor", "10", Mutability::Runtime),
    ("list-compress-depth", "0", Mutability::Runtime),
    ("list-max-listpack-size", "-2", Mutability::Runtime),
    ("masterauth", "", Mutability::Runtime),
    ("masteruser", "", Mutability::Runtime),
    ("maxmemory-clients", "0", Mutability::Runtime),
    ("maxmemory-eviction-tenacity", "10", Mutability::Runtime),
    ("maxmemory-samples", "5", Mutability::Runtime),
    ("min-replicas-max-lag", "10", Mutability::Runtime),
    ("min-replicas-to-write", "0", Mutability::Runtime),
    ("no-appendfsync-on-rewrite", "no", Mutability::Runtime),
    ("oom-score-adj", "no", Mutability::Runtime),
    ("oom-score-adj-values", "0 200 800", Mutability::Runtime),
    ("pidfile", "", Mutability::Startup),
    (
        "proc-title-template",
        "{title} {listen-addr} {server-mode}",
        Mutability::Runtime,
    ),
    ("propagation-error-behavior", "ignore", Mutability::Runtime),
    ("rdb-del-sync-files", "no", Mutability::Runtime),
    ("rdb-save-incremental-fsync", "yes", Mutability::Runtime),
    ("rdbchecksum", "yes", Mutability::Startup),
    ("rdbcompression", "yes", Mutability::Runtime),
    ("repl-backlog-size", "1048576", Mutability::Runtime),
    ("repl-backlog-ttl", "3600", Mutability::Runtime),
    ("repl-disable-tcp-nodelay", "no", Mutability::Runtime),
    ("repl-diskless-load", "disabled", Mutability::Runtime),
    ("repl-diskless-sync", "yes", Mutability::Runtime),
    ("repl-diskless-sync-delay", "5", Mutability::Runtime),
    ("repl-diskless-sync-max-replicas", "0", Mutability::Runtime),
    ("repl-ping-replica-period", "10", Mutability::Runtime),
    ("repl-timeout", "60", Mutability::Runtime),
    ("replica-announce-ip", "", Mutability::Runtime),
    ("replica-announce-port", "0", Mutability::Runtime),
    ("replica-announced", "yes", Mutability::Runtime),
    (
        "replica-ignore-disk-write-errors",
        "no",
        Mutability::Runtime,
    ),
    ("replica-ignore-maxmemory", "yes", Mutability::Runtime),
    ("replica-lazy-flush", "no", Mutability::Runtime),
    ("replica-priority", "100", Mutability::Runtime),
    ("replica-read-only", "yes", Mutability::Runtime),
    ("replica-serve-stale-data", "yes", Mutability::Runtime),
    ("replicaof", "", Mutability::Startup),
    ("sanitize-dump-payload", "no", Mutability::Runtime),
    ("server_cpulist", "", Mutability::Startup),
    ("set-max-intset-entries", "512", Mutability::Runtime),
    ("set-proc-title", "yes", Mutability::Startup),
    ("shutdown-on-sigint", "default", Mutability::Runtime),
    ("shutdown-on-sigterm", "default", Mutability::Runtime),
    ("shutdown-timeout", "10", Mutability::Runtime),
    ("slave-announce-ip", "", Mutability::Runtime),
    ("slaveof", "", Mutability::Startup),
    ("socket-mark-id", "0", Mutability::Startup),
    // Acted on: writes are refused while background saves fail (with save points set).
    ("stop-writes-on-bgsave-error", "yes", Mutability::Runtime),
    ("stream-node-max-bytes", "4096", Mutability::Runtime),
    ("stream-node-max-entries", "100", Mutability::Runtime),
    ("supervised", "no", Mutability::Startup),
    ("syslog-enabled", "no", Mutability::Startup),
    ("syslog-facility", "local0", Mutability::Startup),
    ("syslog-ident", "redis", Mutability::Startup),
    ("tcp-backlog", "511", Mutability::Startup),
    ("tls-auth-clients", "yes", Mutability::Runtime),
    ("tls-ca-cert-dir", "", Mutability::Runtime),
    ("tls-ca-cert-file", "", Mutability::Runtime),
    ("tls-cert-file", "", Mutability::Runtime),
    ("tls-ciphers", "", Mutability::Runtime),
    ("tls-ciphersuites", "", Mutability::Runtime),
    ("tls-client-cert-file", "", Mutability::Runtime),
    ("tls-client-key-file", "", Mutability::Runtime),
    ("tls-client-key-file-pass", "", Mutability::Runtime),
    ("tls-cluster", "no", Mutability::Runtime),
    ("tls-dh-params-file", "", Mutability::Runtime),
    ("tls-key-file", "", Mutability::Runtime),
    ("tls-key-file-pass", "", Mutability::Runtime),
    ("tls-port", "0", Mutability::Runtime),
    ("tls-prefer-server-ciphers", "no", Mutability::Runtime),
    ("tls-protocols", "", Mutability::Runtime),
    ("tls-replication", "no", Mutability::Runtime),
    ("tls-session-cache-size", "20480", Mutability::Runtime),
    ("tls-session-cache-timeout", "300", Mutability::Runtime),
    ("tls-session-caching", "yes", Mutability::Runtime),
    ("tracking-table-max-keys", "1000000", Mutability::Runtime),
    ("unixsocket", "", Mutability::Startup),
    ("unixsocketperm", "0", Mutability::Startup),
    ("zset-max-listpack-entries", "128", Mutability::Runtime),
    ("zset-max-listpack-value", "64", Mutability::Runtime),
];

/// Old names Redis still answers to, and the setting each one is: both report one value.
pub const ALIASES: &[(&str, &str)] = &[
    ("cluster-slave-no-failover", "cluster-replica-no-failover"),
    (
        "cluster-slave-validity-factor",
        "cluster-replica-validity-factor",
    ),
    ("hash-max-ziplist-entries", "hash-max-listpack-entries"),
    ("hash-max-ziplist-value", "hash-max-listpack-value"),
    ("list-max-ziplist-size", "list-max-listpack-size"),
    ("lua-time-limit", "busy-reply-threshold"),
    ("min-slaves-max-lag", "min-replicas-max-lag"),
    ("min-slaves-to-write", "min-replicas-to-write"),
    ("repl-ping-slave-period", "repl-ping-replica-period"),
    ("slave-announce-port", "replica-announce-port"),
    ("slave-ignore-maxmemory", "replica-ignore-maxmemory"),
    ("slave-lazy-flush", "replica-lazy-flush"),
    ("slave-priority", "replica-priority"),
    ("slave-read-only", "replica-read-only"),
    ("slave-serve-stale-data", "replica-serve-stale-data"),
    ("zset-max-ziplist-entries", "zset-max-listpack-entries"),
    ("zset-max-ziplist-value", "zset-max-listpack-value"),
];

/// Settings Redis keeps out of `CONFIG GET *` (its test hooks): `CONFIG GET` answers them
/// only when asked by their exact name.
pub const HIDDEN: &[(&str, &str, Mutability)] = &[
    ("key-load-delay", "0", Mutability::Runtime),
    (
        "loading-process-events-interval-bytes",
        "2097152",
        Mutability::Runtime,
    ),
    ("rdb-key-save-delay", "0", Mutability::Runtime),
];

/// Settings `CONFIG SET` changes only when `enable-protected-configs` allows it, as Redis 7
/// protects them: each names a file the server writes.
pub const PROTECTED: &[&str] = &["dbfilename"];

/// Checks a `dbfilename` value, with Redis's error text: a name inside `dir`, not a path.
pub fn dbfilename(value: &str) -> Result<String, String> {
    if value.contains('/') {
        return Err("dbfilename can't be a path, just a filename".to_string());
    }
    Ok(value.to_string())
}

/// The setting `name` (lower case) is, following an alias, with its default and mutability.
pub fn find(name: &str) -> Option<(&'static str, &'static str, Mutability)> {
    let name = ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, to)| to);
    KEPT.iter()
        .chain(HIDDEN)
        .find(|(n, _, _)| *n == name)
        .copied()
}

/// Every name `CONFIG GET` lists from this table, aliases included.
pub fn names() -> impl Iterator<Item = &'static str> {
    KEPT.iter()
        .map(|(n, _, _)| *n)
        .chain(ALIASES.iter().map(|(a, _)| *a))
}

/// The `maxmemory-policy` names Redis 7.0 accepts, in the order its error lists them.
pub const MAXMEMORY_POLICIES: [&str; 8] = [
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];

/// Checks a `maxmemory-policy` value, with Redis's error text.
pub fn maxmemory_policy(value: &str) -> Result<String, String> {
    let policy = value.to_ascii_lowercase();
    if MAXMEMORY_POLICIES.contains(&policy.as_str()) {
        Ok(policy)
    } else {
        Err(format!(
            "argument(s) must be one of the following: {}",
            MAXMEMORY_POLICIES.join(", ")
        ))
    }
}

/// Checks a `maxmemory-clients` value, a memory size or a percentage of `maxmemory`, as Redis
/// does; `memory` reads a size.
pub fn memory_or_percent(
    value: &str,
    memory: impl Fn(&str) -> anyhow::Result<u64>,
) -> Result<String, String> {
    if let Some(percent) = value.strip_suffix('%') {
        return match percent.parse::<u64>() {
            Ok(p) if p <= 100 => Ok(format!("{p}%")),
            Ok(_) => Err("percentage argument must be less or equal to 100".to_string()),
            Err(_) => Err("argument must be a memory or percent value".to_string()),
        };
    }
    memory(value)
        .map(|n| n.to_string())
        .map_err(|_| "argument must be a memory or percent value".to_string())
}

/// Checks a `save` value: pairs of seconds and changes (`3600 1 300 100`), or empty for none.
pub fn save_points(value: &str) -> Result<String, String> {
    let words: Vec<&str> = value.split_whitespace().collect();
    if !words.len().is_multiple_of(2) || words.iter().any(|w| w.parse::<u64>().is_err()) {
        return Err("Invalid save parameters".to_string());
    }
    Ok(words.join(" "))
}

/// A kept setting's value, checked against the kind its default shows: a `yes`/`no` setting takes
/// only those, a number takes a number (memory units allowed, read by `memory`, stored in bytes
/// as Redis reports them), anything else is kept as written.
pub fn kept_value(
    default: &str,
    value: &str,
    memory: impl Fn(&str) -> anyhow::Result<u64>,
) -> Result<String, String> {
    if default == "yes" || default == "no" {
        return match value.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".to_string()),
            "no" => Ok("no".to_string()),
            _ => Err("argument must be 'yes' or 'no'".to_string()),
        };
    }
    if default.parse::<i64>().is_ok() {
        if let Ok(n) = value.parse::<i64>() {
            return Ok(n.to_string());
        }
        return memory(value)
            .map(|n| n.to_string())
            .map_err(|_| "argument couldn't be parsed into an integer".to_string());
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alias_is_the_setting_it_names() {
        let (name, default, _) = find("hash-max-ziplist-entries").unwrap();
        assert_eq!(name, "hash-max-listpack-entries");
        assert_eq!(default, "512");
        assert_eq!(find("daemonize").map(|k| k.2), Some(Mutability::Startup));
        assert!(find("no-such-setting").is_none());
    }
}
