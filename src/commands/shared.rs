//! The state every thread shares: the store behind its one lock, the command table, the
//! settings, the AOF, the blocked clients, Pub/Sub, the client table and the counters.
//!
//! Go original: the `Server` struct of `internal/server/server.go`. Explained in: book
//! "Architecture" and chapter 3.
//!
//! It lives in `commands`, not in `server`, because the dispatcher, the handlers and the
//! network layer all need it, and none of them may reach up into the wiring that starts the
//! threads: `server` builds one `Shared` at start-up and hands an `Arc` of it to every thread.
//!
//! A poisoned lock (a thread panicked while holding it) is recovered in [`Shared::write_store`]:
//! the store's own operations leave it consistent between statements, so serving on is safer
//! than taking every client down.

use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use super::Registry;
use super::blocking::Blocking;
use super::clients::ClientTable;
use super::pubsub::PubSub;
use super::stats::Stats;
use crate::config::Config;
use crate::engine::store::Store;
use crate::persistence::Aof;

// ANCHOR: shared
/// Everything the threads share.
pub struct Shared {
    /// The databases, behind the one lock.
    pub store: Arc<RwLock<Store>>,
    /// How many databases the store holds (`databases`, fixed at start-up): what `SELECT`
    /// checks against without taking the lock.
    pub databases: usize,
    /// The command table.
    pub registry: Registry,
    /// Settings; `CONFIG SET` changes some at run time.
    pub config: RwLock<Config>,
    /// The append-only file.
    pub aof: Aof,
    /// Clients blocked in `BLPOP` and friends.
    pub blocking: Blocking,
    /// Channels, patterns and their subscribers; `MONITOR` watchers.
    pub pubsub: PubSub,
    /// Connected clients, for `CLIENT LIST` / `KILL` and shutdown.
    pub clients: ClientTable,
    /// Counters for `INFO stats`.
    pub stats: Stats,
    /// Set once shutdown begins.
    pub shutting_down: AtomicBool,
    /// False after `DEBUG SET-ACTIVE-EXPIRE 0`: the expirer skips its cycles, and keys expire only
    /// lazily, when a command touches them (tests use it to see lazy expiry alone).
    pub active_expire: AtomicBool,
    /// When the server started.
    pub started: Instant,
    /// The address the listener is bound to.
    pub local_addr: SocketAddr,
    next_client_id: AtomicU64,
}
// ANCHOR_END: shared

impl Shared {
    /// Shared state around `store`, answering the commands of `registry` (the server's, or a
    /// tool's such as `verify_replay`).
    pub fn new(config: Config, registry: Registry, store: Store, aof: Aof, local_addr: SocketAddr) -> Shared {
        let pubsub = PubSub::default();
        pubsub.set_keyspace_events(config.notify_keyspace_events);
        Shared {
            databases: store.count(),
            store: Arc::new(RwLock::new(store)),
            registry,
            config: RwLock::new(config),
            aof,
            blocking: Blocking::default(),
            pubsub,
            clients: ClientTable::default(),
            stats: Stats::default(),
            shutting_down: AtomicBool::new(false),
            active_expire: AtomicBool::new(true),
            started: Instant::now(),
            local_addr,
            next_client_id: AtomicU64::new(0),
        }
    }

    /// State for a tool that runs commands without serving anyone (`verify_replay`): an empty
    /// store, the default settings with the AOF off, no listener.
    pub fn offline(registry: Registry) -> Shared {
        let config = Config {
            appendonly: false,
            ..Config::default()
        };
        let aof = Aof::new(&config);
        Shared::new(config, registry, Store::new(), aof, SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// The read guard of the store.
    pub fn read_store(&self) -> RwLockReadGuard<'_, Store> {
        // Poisoning means a handler panicked mid-command; see the module comment.
        self.store.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The write guard of the store.
    pub fn write_store(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A snapshot of the settings.
    pub fn config(&self) -> Config {
        self.config.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The next client id (`CLIENT ID`), starting at 1 as in Redis.
    pub fn next_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Begins a graceful shutdown from any thread (`SHUTDOWN`, a signal, a test): sets the flag
    /// and wakes the listener, which is blocked in `accept`, with one connection to itself.
    pub fn request_shutdown(&self) {
        if !self.shutting_down.swap(true, Ordering::SeqCst) {
            let _ = TcpStream::connect(wake_addr(self.local_addr));
        }
    }
}

/// Where to connect to wake our own listener: a wildcard bind is reached through loopback.
fn wake_addr(addr: SocketAddr) -> SocketAddr {
    let mut a = addr;
    if a.ip().is_unspecified() {
        a.set_ip(if a.is_ipv4() {
            [127, 0, 0, 1].into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    a
}
