//! The server's place in a replication setup: a master, or a replica of some master, and the
//! rules that refuse commands because of it.
//!
//! Go original: none (go-redis had no replication). Explained in: book chapter "Talking to real
//! clients", "Replicas, so far".
//!
//! The link that copies a master's data is `server/replica_link.rs`; what is here is the part a
//! client sees. `REPLICAOF host port` makes this server a replica: it refuses writes
//! (`READONLY`, while `replica-read-only` is `yes`) and, with `replica-serve-stale-data no`
//! while its link is down, every command not flagged `stale` (`MASTERDOWN`).
//! `min-replicas-to-write N` refuses writes while fewer than N replicas acknowledged within
//! `min-replicas-max-lag` seconds (`NOREPLICAS`). The dispatcher asks [`Role::refusal`]
//! before it runs or queues a command, and before `EXEC` with the flags of everything queued,
//! as Redis does.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::Config;
use crate::protocol::resp::Value;

/// The role, and the settings that decide what it refuses.
#[derive(Default)]
pub struct Role {
    /// True while any rule could refuse a command: every command checks only this when none
    /// can.
    guarded: AtomicBool,
    /// True while a replica's link to its master is up (`MASTERDOWN` is refused only while
    /// it is down).
    link_up: AtomicBool,
    state: Mutex<State>,
}

#[derive(Default, Clone)]
struct State {
    /// The master this server replicates, as `REPLICAOF` named it.
    master: Option<(String, u16)>,
    min_replicas_to_write: u64,
    min_replicas_max_lag: u64,
    serve_stale_data: bool,
    read_only: bool,
}

impl Role {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        let mut state = self.state();
        change(&mut state);
        let guarded = state.master.is_some() || state.min_replicas_to_write > 0;
        self.guarded.store(guarded, Ordering::Release);
    }

    /// Reads the replication settings (start-up and every `CONFIG SET`).
    pub fn configure(&self, config: &Config) {
        let get = |name: &str| config.get(name).unwrap_or_default();
        self.update(|s| {
            s.min_replicas_to_write = get("min-replicas-to-write").parse().unwrap_or(0);
            s.min_replicas_max_lag = get("min-replicas-max-lag").parse().unwrap_or(10);
            s.serve_stale_data = get("replica-serve-stale-data") != "no";
            s.read_only = get("replica-read-only") != "no";
        });
    }

    /// Makes this server a replica of `master`, or a master again with `None`
    /// (`REPLICAOF NO ONE`).
    pub fn set_master(&self, master: Option<(String, u16)>) {
        self.update(|s| s.master = master);
    }

    /// The link thread tells whether the link to the master is up.
    pub fn set_link_up(&self, up: bool) {
        self.link_up.store(up, Ordering::Release);
    }

    /// The master `REPLICAOF` named, if this server is a replica.
    pub fn master(&self) -> Option<(String, u16)> {
        self.state().master.clone()
    }

    // ANCHOR: refusal
    /// The error a command gets because of the role, if any, checked in Redis's order: `write`
    /// if it writes, `stale_ok` if it is flagged `stale` (safe on a replica whose data may be
    /// old).
    /// `good_replicas(max_lag)` counts the replicas that acknowledged within `max_lag`.
    pub fn refusal(
        &self,
        write: bool,
        stale_ok: bool,
        good_replicas: impl FnOnce(std::time::Duration) -> usize,
    ) -> Option<Value> {
        if !self.guarded.load(Ordering::Acquire) {
            return None;
        }
        let s = self.state().clone();
        if write
            && s.master.is_none()
            && s.min_replicas_to_write > 0
            && (good_replicas(std::time::Duration::from_secs(s.min_replicas_max_lag)) as u64)
                < s.min_replicas_to_write
        {
            return Some(Value::error(
                "NOREPLICAS Not enough good replicas to write.",
            ));
        }
        if write && s.master.is_some() && s.read_only {
            return Some(Value::error(
                "READONLY You can't write against a read only replica.",
            ));
        }
        if s.master.is_some()
            && !s.serve_stale_data
            && !stale_ok
            && !self.link_up.load(Ordering::Acquire)
        {
            return Some(Value::error(
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            ));
        }
        None
    }
    // ANCHOR_END: refusal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_master_without_rules_refuses_nothing() {
        let role = Role::default();
        role.configure(&Config::default());
        assert!(role.refusal(true, false, |_| 0).is_none());
    }

    #[test]
    fn a_replica_refuses_writes_and_when_told_so_stale_reads() {
        let role = Role::default();
        let mut config = Config::default();
        config.set("replica-serve-stale-data", "no").unwrap();
        role.configure(&config);
        role.set_master(Some(("localhost".into(), 6379)));
        let text = |v: Option<Value>| match v {
            Some(Value::Error(e)) => e.split(' ').next().unwrap_or_default().to_string(),
            _ => String::new(),
        };
        assert_eq!(text(role.refusal(true, false, |_| 0)), "READONLY");
        assert_eq!(text(role.refusal(false, false, |_| 0)), "MASTERDOWN");
        assert_eq!(text(role.refusal(false, true, |_| 0)), "");
        role.set_master(None);
        assert!(role.refusal(true, false, |_| 0).is_none());
    }

    #[test]
    fn min_replicas_to_write_refuses_writes_without_replicas() {
        let role = Role::default();
        let mut config = Config::default();
        config.set("min-replicas-to-write", "2").unwrap();
        role.configure(&config);
        assert!(
            matches!(role.refusal(true, false, |_| 0), Some(Value::Error(e)) if e.starts_with("NOREPLICAS"))
        );
        assert!(role.refusal(false, false, |_| 0).is_none());
    }
}
