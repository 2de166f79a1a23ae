//! The `cron` thread: the server's once-every-100-ms chores.
//!
//! Go original: none (go-redis had no `INFO stats` and no signal flag to poll). Explained in:
//! book "Talking to real clients" and "RDB snapshots".

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::commands::Shared;

/// How often the `cron` thread wakes: to sample the ops rate and to notice a signal.
pub const CRON_PERIOD: Duration = Duration::from_millis(100);

/// How many samples `instantaneous_ops_per_sec` averages, one every [`CRON_PERIOD`] (Redis: 16).
const OPS_SAMPLES: usize = 16;

/// Starts the `cron` thread: every 100 ms it samples the command rate for
/// `instantaneous_ops_per_sec`, checks whether a signal asked for shutdown, and starts the
/// background saves and rewrites that are due (see [`snapshots`]). It ends when the server
/// shuts down.
///
/// # Errors
/// The thread could not be spawned.
pub fn spawn_cron(shared: Arc<Shared>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("cron".into())
        .spawn(move || {
            let mut samples = [0u64; OPS_SAMPLES];
            let mut next = 0;
            let mut last = (Instant::now(), shared.clients.total_commands());
            let mut last_ping = Instant::now();
            while !shared.shutting_down.load(Ordering::SeqCst) {
                std::thread::sleep(CRON_PERIOD);
                if crate::sys::shutdown_requested() {
                    crate::info!(
                        "server",
                        "Received SIGINT or SIGTERM, scheduling shutdown..."
                    );
                    shared.request_shutdown();
                    break;
                }
                let now = (Instant::now(), shared.clients.total_commands());
                let ms = now.0.duration_since(last.0).as_millis().max(1) as u64;
                samples[next] = now.1.saturating_sub(last.1) * 1000 / ms;
                next = (next + 1) % OPS_SAMPLES;
                last = now;
                let mean = samples.iter().sum::<u64>() / OPS_SAMPLES as u64;
                shared.stats.ops_per_sec.store(mean, Ordering::Relaxed);
                if !shared.cron_paused.load(Ordering::Relaxed) {
                    ping_replicas(&shared, &mut last_ping);
                    snapshots(&shared);
                }
            }
        })?;
    Ok(())
}

// ANCHOR: ping_replicas
/// Every `repl-ping-replica-period` seconds (10), a `PING` into the replication stream, so a
/// replica that hears nothing for `repl-timeout` knows its link is dead, and not just quiet.
fn ping_replicas(shared: &Shared, last: &mut Instant) {
    if !shared.backlog.is_active() || shared.role.master().is_some() {
        return;
    }
    let period = shared
        .config()
        .get("repl-ping-replica-period")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10u64);
    if last.elapsed() >= Duration::from_secs(period.max(1)) {
        *last = Instant::now();
        shared.backlog.append_command(&[b"PING"]);
    }
}
// ANCHOR_END: ping_replicas

// ANCHOR: snapshots
/// The persistence chores of Redis's `serverCron`: a rewrite `BGREWRITEAOF` scheduled while a
/// background save ran starts once it is over; then, with neither running, a scheduled
/// `BGSAVE` or the first save point reached (`save 3600 1 300 100`) starts a background save.
fn snapshots(shared: &Shared) {
    if shared.rdb.take_scheduled_rewrite()
        && let Err(e) = shared.aof.start_rewrite()
    {
        crate::warn!("aof", "scheduled rewrite not started: {e}");
    }
    shared
        .rdb
        .cron(&shared.store, shared.aof.rewrite_in_progress());
}
// ANCHOR_END: snapshots
