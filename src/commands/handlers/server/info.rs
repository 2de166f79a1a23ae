//! `INFO`: the server's figures, section by section, and the memory estimate they include.
//!
//! Go original: none (go-redis had no server introspection). Explained in: book chapter
//! "Talking to real clients" (chapter 5 for the expiry figures).
//!
//! The figures that need the keyspace are taken under one short read guard; the rest of `INFO`
//! (reading `/proc`, formatting) runs with no guard held.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use super::memory::dataset_bytes;
use crate::commands::shared::random_id;
use crate::commands::{ReadContext, Shared};
use crate::config::REDIS_VERSION;
use crate::engine::store::Db;
use crate::protocol::resp::Value;

/// Every section, in the order Redis prints them.
const SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
];

/// The sections `INFO` and `INFO default` leave out: they grow with every command name used.
const NOT_DEFAULT: &[&str] = &["commandstats", "latencystats"];

/// Characters Redis replaces with `_` in a name it prints in `INFO`, so a line keeps its shape.
fn info_safe(name: &str) -> String {
    name.replace(['#', ':', '\n', '\r'], "_")
}

/// A random 40-hex-digit id for this process, like Redis's `run_id`.
fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(random_id)
}

/// `1.50M`-style sizes, as Redis's `bytesToHuman`.
fn human(bytes: u64) -> String {
    let b = bytes as f64;
    const K: f64 = 1024.0;
    if b < K {
        format!("{bytes}B")
    } else if b < K * K {
        format!("{:.2}K", b / K)
    } else if b < K * K * K {
        format!("{:.2}M", b / K / K)
    } else {
        format!("{:.2}G", b / K / K / K)
    }
}

fn read_proc(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// User and system CPU seconds of this process, from `/proc/self/stat` (fields 14 and 15, in
/// clock ticks of 1/100 s: Linux fixes `USER_HZ` at 100 for user space).
fn cpu_seconds() -> (f64, f64) {
    let stat = read_proc("/proc/self/stat");
    // The command name (field 2) may contain spaces; the fields after its `)` are fixed.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 100.0
    };
    (tick(11), tick(12))
}

/// `keys=N,expires=M,avg_ttl=T` for a `dbN` line: the average remaining TTL is taken over up to
/// 100 keys spread across the deadline index, as Redis's is an estimate too.
fn keyspace_line(store: &Db, now: u64) -> Option<String> {
    let keys = store.len();
    if keys == 0 {
        return None;
    }
    let index = store.expires();
    let n = index.len();
    let step = (n / 100).max(1);
    let (mut sum, mut count) = (0u64, 0u64);
    for i in (0..n).step_by(step).take(100) {
        if let Some((_, at)) = index.nth(i)
            && at > now
        {
            sum += at - now;
            count += 1;
        }
    }
    let avg_ttl = sum.checked_div(count).unwrap_or(0);
    Some(format!("keys={keys},expires={n},avg_ttl={avg_ttl}"))
}

/// The figures `INFO` needs from the keyspace, taken under one short read guard so that the
/// rest of `INFO` (reading `/proc`, formatting) runs with no guard held (design invariant 1).
struct StoreFigures {
    dataset: u64,
    /// `("db3", "keys=…")` for each database that holds keys.
    keyspace: Vec<(String, String)>,
    stats: crate::engine::store::StoreStats,
    /// `keyspace_hits`, `keyspace_misses`.
    hits_misses: (u64, u64),
}

// ANCHOR: info
/// `INFO [section ...]`: the server's figures as `name:value` lines under `# Section` headers,
/// one bulk string (RESP3: verbatim text). `all`/`everything` print every section, `default`
/// or no argument the usual set; unknown names print nothing, as in Redis.
///
/// A reading handler, given the store by the dispatcher like any read: inside `EXEC` or a
/// script, whose guard is already held on this thread, locking the store here would wait for
/// ever.
pub fn info(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let shared = ctx.shared;
    let mut wanted: Vec<String> = args
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .map(|a| {
            if a == "module_list" {
                "modules".to_string()
            } else {
                a
            }
        })
        .collect();
    if wanted.is_empty() || wanted.iter().any(|w| w == "default") {
        wanted.extend(
            SECTIONS
                .iter()
                .filter(|s| !NOT_DEFAULT.contains(s))
                .map(|s| s.to_string()),
        );
    }
    if wanted.iter().any(|w| w == "all" || w == "everything") {
        wanted.extend(SECTIONS.iter().map(|s| s.to_string()));
    }
    let figures = {
        let (store, now) = (ctx.store, ctx.now);
        StoreFigures {
            // The memory estimate samples the keyspace: only pay for it when asked.
            dataset: if wanted.iter().any(|w| w == "memory") {
                dataset_bytes(store, now)
            } else {
                0
            },
            keyspace: store
                .iter()
                .filter_map(|(i, db)| Some((format!("db{i}"), keyspace_line(db, now)?)))
                .collect(),
            stats: store.stats(),
            hits_misses: store.keyspace_hits_misses(),
        }
    };
    let mut out = String::new();
    for section in SECTIONS {
        if !wanted.iter().any(|w| w == section) {
            continue;
        }
        let lines = info_section(shared, &figures, section);
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let mut title = section.to_string();
        title[..1].make_ascii_uppercase();
        if title == "Cpu" {
            title.make_ascii_uppercase();
        }
        out.push_str(&format!("# {title}\r\n"));
        for (k, v) in lines {
            out.push_str(&format!("{k}:{v}\r\n"));
        }
        if *section == "keyspace" {
            // One line per database that holds keys, as in Redis.
            for (db, line) in &figures.keyspace {
                out.push_str(&format!("{db}:{line}\r\n"));
            }
        }
    }
    Value::Verbatim(out.into_bytes())
}
// ANCHOR_END: info

// ANCHOR: info_replication
/// `INFO replication`: the role and, for a replica, its link; then its own replicas and its
/// stream, in Redis's order.
fn replication(shared: &Shared, config: &crate::config::Config) -> Vec<(String, String)> {
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut add = |k: &str, v: String| lines.push((k.to_string(), v));
    match shared.role.master() {
        None => add("role", "master".into()),
        Some((host, port)) => {
            let link = shared.link.get();
            let up = link.state == "connected";
            let secs =
                |at: Option<std::time::Instant>| at.map_or(-1, |t| t.elapsed().as_secs() as i64);
            add("role", "slave".into());
            add("master_host", host);
            add("master_port", port.to_string());
            add("master_link_status", if up { "up" } else { "down" }.into());
            add("master_last_io_seconds_ago", secs(link.last_io).to_string());
            add(
                "master_sync_in_progress",
                u8::from(link.state == "sync").to_string(),
            );
            add("slave_read_repl_offset", link.offset.to_string());
            add("slave_repl_offset", link.offset.to_string());
            if !up {
                add(
                    "master_link_down_since_seconds",
                    secs(link.down_since).to_string(),
                );
            }
            add("slave_priority", "100".into());
            let read_only = config.get("replica-read-only").as_deref() != Some("no");
            add("slave_read_only", u8::from(read_only).to_string());
            add("replica_announced", "1".into());
        }
    }
    let replicas = shared.replicas.info();
    lines.push(("connected_slaves".into(), replicas.len().to_string()));
    lines.extend(replicas);
    lines.push(("master_failover_state".into(), "no-failover".into()));
    lines.extend(
        shared
            .backlog
            .info()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
    );
    lines
}
// ANCHOR_END: info_replication

fn info_section(shared: &Shared, figures: &StoreFigures, section: &str) -> Vec<(String, String)> {
    let lines = match section {
        "commandstats" => return command_stats(shared),
        "errorstats" => return error_stats(shared),
        "replication" => return replication(shared, &shared.config()),
        "latencystats" => return latency_stats(shared),
        _ => fixed_section(shared, figures, section),
    };
    lines.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

// ANCHOR: command_stats
/// `# Commandstats`: one line per command that ran or was refused since the last
/// `CONFIG RESETSTAT`, summed over every client, with Redis's fields and rounding.
fn command_stats(shared: &Shared) -> Vec<(String, String)> {
    shared
        .clients
        .command_stats()
        .into_iter()
        .filter(|(_, s)| s.calls + s.rejected + s.failed > 0)
        .map(|(name, s)| {
            // Redis divides in single precision, then prints two decimals.
            let per_call = if s.calls == 0 {
                0.0
            } else {
                (s.usec as f32 / s.calls as f32) as f64
            };
            let line = format!(
                "calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
                s.calls, s.usec, s.rejected, s.failed
            );
            (format!("cmdstat_{}", info_safe(name)), line)
        })
        .collect()
}
// ANCHOR_END: command_stats

/// `# Latencystats`: the percentiles `latency-tracking-info-percentiles` names, of each command's
/// latency histogram, in microseconds; nothing with `latency-tracking no`, as in Redis. The
/// histogram's buckets are powers of two, so each figure is the top of the bucket it falls in,
/// where Redis's finer histogram gives the value within 1 %.
fn latency_stats(shared: &Shared) -> Vec<(String, String)> {
    let config = shared.config();
    if !config.latency.tracking {
        return vec![];
    }
    let percentiles = &config.latency.info_percentiles;
    shared
        .clients
        .command_stats()
        .into_iter()
        .filter_map(|(name, s)| {
            let figures: Vec<String> = percentiles
                .iter()
                .map(|&p| {
                    let usec = s.histogram.percentile(p)?;
                    Some(format!(
                        "p{}={usec:.3}",
                        crate::config::latency::percentile_name(p)
                    ))
                })
                .collect::<Option<_>>()?;
            (s.histogram.calls() > 0).then(|| {
                (
                    format!("latency_percentiles_usec_{}", info_safe(name)),
                    figures.join(","),
                )
            })
        })
        .collect()
}

/// `# Errorstats`: how many error replies went out under each code, in byte order as Redis
/// keeps them.
fn error_stats(shared: &Shared) -> Vec<(String, String)> {
    shared
        .stats
        .errors()
        .iter()
        .map(|(code, n)| {
            (
                format!("errorstat_{}", info_safe(code)),
                format!("count={n}"),
            )
        })
        .collect()
}

fn fixed_section(
    shared: &Shared,
    figures: &StoreFigures,
    section: &str,
) -> Vec<(&'static str, String)> {
    let config = shared.config();
    let stats = &shared.stats;
    let relaxed = std::sync::atomic::Ordering::Relaxed;
    match section {
        "server" => {
            let uptime = shared.started.elapsed().as_secs();
            let os = format!(
                "{} {} {}",
                if cfg!(target_os = "linux") {
                    "Linux"
                } else {
                    std::env::consts::OS
                },
                read_proc("/proc/sys/kernel/osrelease").trim(),
                std::env::consts::ARCH
            );
            let now_us = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_micros());
            vec![
                ("redis_version", REDIS_VERSION.to_string()),
                ("rust_redis_version", env!("CARGO_PKG_VERSION").to_string()),
                ("redis_git_sha1", "00000000".into()),
                ("redis_git_dirty", "0".into()),
                ("redis_mode", "standalone".into()),
                ("os", os),
                ("arch_bits", (usize::BITS).to_string()),
                // Go parity: none; Redis prints `epoll` here, this server has a thread per client.
                ("multiplexing_api", "threads".into()),
                ("process_id", std::process::id().to_string()),
                ("process_supervised", "no".into()),
                ("run_id", run_id().to_string()),
                ("tcp_port", shared.local_addr().port().to_string()),
                ("server_time_usec", now_us.to_string()),
                ("uptime_in_seconds", uptime.to_string()),
                ("uptime_in_days", (uptime / 86_400).to_string()),
                ("hz", config.hz.to_string()),
                ("configured_hz", config.hz.to_string()),
                (
                    "executable",
                    std::env::current_exe().map_or(String::new(), |p| p.display().to_string()),
                ),
                (
                    "config_file",
                    config
                        .config_file
                        .as_ref()
                        .map_or(String::new(), |p| p.display().to_string()),
                ),
                ("io_threads_active", "0".into()),
            ]
        }
        "clients" => vec![
            ("connected_clients", shared.clients.len().to_string()),
            ("cluster_connections", "0".into()),
            ("maxclients", config.maxclients.to_string()),
            (
                "blocked_clients",
                (shared.blocking.len() + shared.pause.waiting()).to_string(),
            ),
            (
                "tracking_clients",
                shared.tracking.stats().clients.to_string(),
            ),
        ],
        "memory" => {
            let dataset = figures.dataset;
            // Fixed costs: the empty slot tables, and per client its read and write buffers
            // (16 KiB each) plus the part of its 256 KiB stack it has touched (a few KiB).
            let startup = (crate::engine::store::SLOTS * 48) as u64;
            let clients = shared.clients.len() as u64 * (32 + 8) * 1024;
            // The counting allocator's true figure when the binary installed one (`sys::memory`),
            // else the estimate.
            let used = crate::sys::memory::allocated().unwrap_or(startup + clients + dataset);
            let rss = crate::sys::memory::rss();
            let total = read_proc("/proc/meminfo")
                .lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map_or(0, |kb| kb * 1024);
            let frag = if used == 0 {
                0.0
            } else {
                rss as f64 / used as f64
            };
            vec![
                ("used_memory", used.to_string()),
                ("used_memory_human", human(used)),
                ("used_memory_rss", rss.to_string()),
                ("used_memory_rss_human", human(rss)),
                ("used_memory_overhead", (startup + clients).to_string()),
                ("used_memory_startup", startup.to_string()),
                ("used_memory_dataset", dataset.to_string()),
                ("total_system_memory", total.to_string()),
                ("total_system_memory_human", human(total)),
                ("maxmemory", config.maxmemory.to_string()),
                ("maxmemory_human", human(config.maxmemory)),
                ("maxmemory_policy", config.maxmemory_policy.clone()),
                ("mem_fragmentation_ratio", format!("{frag:.2}")),
                ("mem_allocator", "libc".into()),
                (
                    "lazyfree_pending_objects",
                    shared.lazyfree.pending().to_string(),
                ),
                ("lazyfreed_objects", shared.lazyfree.freed().to_string()),
            ]
        }
        "persistence" => {
            let mut v = vec![("loading", "0".to_string()), ("async_loading", "0".into())];
            v.extend(shared.rdb.info());
            v.extend(shared.aof.info());
            // A rewrite asked for during a background save waits in the snapshots' record.
            if let Some(field) = v
                .iter_mut()
                .find(|(name, _)| *name == "aof_rewrite_scheduled")
            {
                field.1 = if shared.rdb.rewrite_scheduled() {
                    "1"
                } else {
                    "0"
                }
                .into();
            }
            v
        }
        "stats" => {
            let s = &figures.stats;
            let (hits, misses) = figures.hits_misses;
            let (pubsub, tracked) = (shared.pubsub.stats(), shared.tracking.stats());
            vec![
                (
                    "total_connections_received",
                    stats.connections_received.load(relaxed).to_string(),
                ),
                (
                    "total_commands_processed",
                    shared.clients.total_commands().to_string(),
                ),
                (
                    "instantaneous_ops_per_sec",
                    stats.ops_per_sec.load(relaxed).to_string(),
                ),
                (
                    "rejected_connections",
                    stats.rejected_connections.load(relaxed).to_string(),
                ),
                // Redis 7.4's names: clients closed by the query and output limits.
                (
                    "client_query_buffer_limit_disconnections",
                    stats
                        .net
                        .query_limit_disconnections
                        .load(relaxed)
                        .to_string(),
                ),
                (
                    "client_output_buffer_limit_disconnections",
                    pubsub.output_limit_disconnections.to_string(),
                ),
                ("expired_keys", s.expired_keys.to_string()),
                ("expired_stale_perc", format!("{:.2}", s.expired_stale_perc)),
                (
                    "expired_time_cap_reached_count",
                    s.expired_time_cap_reached_count.to_string(),
                ),
                (
                    "expire_cycle_cpu_milliseconds",
                    (s.expire_cycle_time_used_us / 1000).to_string(),
                ),
                (
                    "sync_full",
                    shared.replicas.sync_full.load(relaxed).to_string(),
                ),
                (
                    "sync_partial_ok",
                    shared.replicas.sync_partial_ok.load(relaxed).to_string(),
                ),
                (
                    "sync_partial_err",
                    shared.replicas.sync_partial_err.load(relaxed).to_string(),
                ),
                ("evicted_keys", "0".into()),
                ("keyspace_hits", hits.to_string()),
                ("keyspace_misses", misses.to_string()),
                ("pubsub_channels", pubsub.channels.to_string()),
                ("pubsub_patterns", pubsub.patterns.to_string()),
                ("pubsubshard_channels", pubsub.shard_channels.to_string()),
                ("tracking_total_keys", tracked.keys.to_string()),
                ("tracking_total_items", tracked.items.to_string()),
                ("tracking_total_prefixes", tracked.prefixes.to_string()),
                ("unexpected_error_replies", "0".into()),
                (
                    "total_error_replies",
                    stats.error_replies.load(relaxed).to_string(),
                ),
            ]
        }
        "cpu" => {
            let (user, sys) = cpu_seconds();
            vec![
                ("used_cpu_sys", format!("{sys:.6}")),
                ("used_cpu_user", format!("{user:.6}")),
                ("used_cpu_sys_children", "0.000000".into()),
                ("used_cpu_user_children", "0.000000".into()),
            ]
        }
        "cluster" => vec![("cluster_enabled", "0".into())],
        // Its lines are named after the databases: `info` prints them from the figures.
        "keyspace" => vec![],
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::store::{Data, Store};

    #[test]
    fn sizes_print_like_redis() {
        assert_eq!(human(1000), "1000B");
        assert_eq!(human(966_336), "943.69K");
        assert_eq!(human(7_192_576), "6.86M");
    }

    #[test]
    fn memory_estimate_grows_with_the_data() {
        let mut store = Store::new();
        let empty = dataset_bytes(&store, 0);
        for i in 0..5000 {
            store.db_mut(i % 3).set(
                format!("key:{i}").as_bytes(),
                Data::Str(vec![b'x'; 100].into()),
                0,
            );
        }
        let full = dataset_bytes(&store, 0);
        // 5,000 values of 100 bytes: at least the payload, and not wildly more.
        assert!(full >= empty + 5000 * 100, "{full}");
        assert!(full < 5000 * 400, "{full}");
    }
}
