//! Who replicates from this server, how far each has got, and this server's own link to its
//! master when it is a replica: what `INFO replication`, `ROLE` and `WAIT` report.
//!
//! Go original: none (go-redis had no replication). Explained in: book chapter "Replication".
//!
//! The threads that move the bytes live above: a replica's feeder in `netlayer/replica.rs`, the
//! link to a master in `server/replica_link.rs`. They record what they do here, and the commands
//! read it.

use std::net::{Shutdown, TcpStream};
use std::sync::atomic::AtomicU64;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How a client asked to become a replica, handed from the command to the connection loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncRequest {
    /// `PSYNC replid offset`: continue stream `replid` from byte `offset` (Redis counts from 1:
    /// the offset of the first byte wanted), or `PSYNC ? -1` for a full sync.
    Psync {
        /// The stream the replica has.
        replid: String,
        /// The first byte it wants.
        offset: i64,
    },
    /// `SYNC`: the old protocol, always a full sync, the snapshot sent with its length.
    Sync,
}

/// What a replica said about itself with `REPLCONF` before its `PSYNC`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplConf {
    /// `listening-port`: where it serves its own clients (`INFO`'s `slaveN:port`).
    pub listening_port: u16,
    /// `capa eof`: it takes a snapshot of unknown length, ended by a 40-byte mark.
    pub capa_eof: bool,
}

/// A connected replica, as `INFO replication` lists it.
#[derive(Debug, Clone)]
pub struct Replica {
    /// The client id of its connection.
    pub id: u64,
    /// Its address.
    pub ip: String,
    /// Its `listening-port`.
    pub port: u16,
    /// `wait_bgsave`, `send_bulk` or `online`, as Redis names the steps.
    pub state: &'static str,
    /// The offset it last acknowledged (`REPLCONF ACK`).
    pub ack_offset: u64,
    /// When it last did.
    pub last_ack: Instant,
}

// ANCHOR: replicas
/// The replicas of this server.
#[derive(Default)]
pub struct Replicas {
    /// Full syncs served (`sync_full`).
    pub sync_full: AtomicU64,
    /// Partial resyncs accepted (`sync_partial_ok`).
    pub sync_partial_ok: AtomicU64,
    /// Partial resyncs asked for and refused (`sync_partial_err`).
    pub sync_partial_err: AtomicU64,
    list: Mutex<Vec<Replica>>,
    /// Notified on every acknowledgement, for `WAIT`.
    acked: Condvar,
}
// ANCHOR_END: replicas

impl Replicas {
    fn list(&self) -> MutexGuard<'_, Vec<Replica>> {
        self.list.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A replica connected on client `id`.
    pub fn add(&self, id: u64, ip: String, port: u16) {
        self.list().push(Replica {
            id,
            ip,
            port,
            state: "wait_bgsave",
            ack_offset: 0,
            last_ack: Instant::now(),
        });
    }

    /// Replica `id` moved to the next step.
    pub fn set_state(&self, id: u64, state: &'static str) {
        if let Some(r) = self.list().iter_mut().find(|r| r.id == id) {
            r.state = state;
        }
    }

    /// Replica `id` acknowledged everything up to `offset`.
    pub fn ack(&self, id: u64, offset: u64) {
        if let Some(r) = self.list().iter_mut().find(|r| r.id == id) {
            r.ack_offset = r.ack_offset.max(offset);
            r.last_ack = Instant::now();
        }
        self.acked.notify_all();
    }

    /// Replica `id` disconnected.
    pub fn remove(&self, id: u64) {
        self.list().retain(|r| r.id != id);
        self.acked.notify_all();
    }

    /// True if client `id` is a replica.
    pub fn contains(&self, id: u64) -> bool {
        self.list().iter().any(|r| r.id == id)
    }

    /// Every replica, as now.
    pub fn all(&self) -> Vec<Replica> {
        self.list().clone()
    }

    /// Replicas that are online and acknowledged within `max_lag` (`min-replicas-max-lag`).
    pub fn good(&self, max_lag: Duration) -> usize {
        self.list()
            .iter()
            .filter(|r| r.state == "online" && r.last_ack.elapsed() <= max_lag)
            .count()
    }

    // ANCHOR: wait
    /// `WAIT`: blocks until `wanted` replicas have acknowledged `offset`, `timeout` (none: for
    /// ever) has passed, or `give_up` says to (the client was killed, the server stops);
    /// returns how many have.
    pub fn wait_for(
        &self,
        offset: u64,
        wanted: usize,
        timeout: Option<Duration>,
        give_up: impl Fn() -> bool,
    ) -> usize {
        let deadline = timeout.map(|t| Instant::now() + t);
        let count = |list: &[Replica]| list.iter().filter(|r| r.ack_offset >= offset).count();
        let mut list = self.list();
        loop {
            let have = count(&list);
            if have >= wanted || give_up() {
                return have;
            }
            // Wake at least every 100 ms, to look at `give_up` again.
            let step = Duration::from_millis(100);
            let wait = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left.min(step),
                    _ => return have,
                },
                None => step,
            };
            list = self
                .acked
                .wait_timeout(list, wait)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
    // ANCHOR_END: wait

    /// `INFO replication`'s `slaveN:` lines.
    pub fn info(&self) -> Vec<(String, String)> {
        self.list()
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    format!("slave{i}"),
                    format!(
                        "ip={},port={},state={},offset={},lag={}",
                        r.ip,
                        r.port,
                        r.state,
                        r.ack_offset,
                        r.last_ack.elapsed().as_secs()
                    ),
                )
            })
            .collect()
    }
}

/// This server's link to its master, when it is a replica.
#[derive(Debug, Clone)]
pub struct LinkState {
    /// `connect`, `connecting`, `sync` or `connected`, as `ROLE` says.
    pub state: &'static str,
    /// When the link last read anything from the master.
    pub last_io: Option<Instant>,
    /// When the link went down (`master_link_down_since_seconds`).
    pub down_since: Option<Instant>,
    /// Bytes of the master's stream applied (`slave_repl_offset`).
    pub offset: u64,
    /// The database the master's stream has selected. A partial resync continues the stream
    /// where it stopped, without a new `SELECT`, so the next link starts here; a full sync
    /// starts again at 0 (its stream begins with a `SELECT`).
    pub stream_db: usize,
}

impl Default for LinkState {
    fn default() -> Self {
        LinkState {
            state: "connect",
            last_io: None,
            down_since: None,
            offset: 0,
            stream_db: 0,
        }
    }
}

/// Where the link stands: written by the link thread, read by `INFO` and `ROLE`.
#[derive(Default)]
pub struct Link {
    state: Mutex<LinkState>,
    /// The socket to the master, so `REPLICAOF` can cut a link the thread is blocked reading.
    socket: Mutex<Option<TcpStream>>,
}

impl Link {
    /// The state now.
    pub fn get(&self) -> LinkState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Changes the state.
    pub fn update(&self, change: impl FnOnce(&mut LinkState)) {
        change(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// The link thread's socket to its master, or none.
    pub fn set_socket(&self, socket: Option<TcpStream>) {
        *self.socket.lock().unwrap_or_else(|p| p.into_inner()) = socket;
    }

    /// Cuts the link (`REPLICAOF` another master, or `NO ONE`): the thread's read fails at
    /// once, and it looks at the role again.
    pub fn disconnect(&self) {
        if let Some(s) = self.socket.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_counts_replicas_that_acknowledged_the_offset() {
        let r = Replicas::default();
        r.add(1, "127.0.0.1".into(), 7000);
        r.add(2, "127.0.0.1".into(), 7001);
        r.ack(1, 100);
        assert_eq!(
            r.wait_for(100, 1, Some(Duration::from_millis(10)), || false),
            1
        );
        assert_eq!(
            r.wait_for(100, 2, Some(Duration::from_millis(10)), || false),
            1
        );
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(20));
                r.ack(2, 150);
            });
            assert_eq!(
                r.wait_for(100, 2, Some(Duration::from_secs(5)), || false),
                2
            );
        });
        r.remove(1);
        assert_eq!(
            r.wait_for(100, 2, Some(Duration::from_millis(1)), || false),
            1
        );
    }
}
