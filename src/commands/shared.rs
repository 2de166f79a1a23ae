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

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use super::Registry;
use super::acl::Acl;
use super::blocking::Blocking;
use super::clients::ClientTable;
use super::pause::Pause;
use super::pubsub::PubSub;
use super::registry::flags;
use super::replicas::{Link, Replicas};
use super::role::Role;
use super::stats::Stats;
use super::tracking::Tracking;
use crate::config::{Config, DebugCommand};
use crate::engine::store::Store;
use crate::engine::store::lazyfree::LazyFree;
use crate::persistence::rdb::Rdb;
use crate::persistence::{Aof, Backlog};
use crate::protocol::resp::Value;

/// `repl-backlog-size`: how much of the replication stream is kept for replicas that reconnect
/// (start-up and every `CONFIG SET`).
pub fn configure_backlog(backlog: &Backlog, config: &Config) {
    if let Some(bytes) = config.get("repl-backlog-size").and_then(|v| v.parse().ok()) {
        backlog.set_capacity(bytes);
    }
}

/// Copies the `lazyfree-lazy-*` settings of `config` into the handle the handlers read.
pub fn configure_lazyfree(lazyfree: &LazyFree, config: &Config) {
    let yes = |name: &str| config.kept.get(name).is_some_and(|v| v == "yes");
    lazyfree
        .user_del
        .store(yes("lazyfree-lazy-user-del"), Ordering::Relaxed);
    lazyfree
        .user_flush
        .store(yes("lazyfree-lazy-user-flush"), Ordering::Relaxed);
    lazyfree
        .expire
        .store(yes("lazyfree-lazy-expire"), Ordering::Relaxed);
    lazyfree
        .server_del
        .store(yes("lazyfree-lazy-server-del"), Ordering::Relaxed);
}

// ANCHOR: shared
/// Everything the threads share.
pub struct Shared {
    /// The databases, behind the one lock.
    pub store: Arc<RwLock<Store>>,
    /// How many databases the store holds (`databases`, fixed at start-up): what `SELECT`
    /// checks against without taking the lock.
    pub databases: usize,
    /// `maxmemory` in bytes (0: no limit), mirrored from the settings for the dispatcher's
    /// check before every command that adds data.
    pub maxmemory: AtomicU64,
    /// Master or replica, and what that refuses.
    pub role: Role,
    /// The command table.
    pub registry: Registry,
    /// Users and their rights.
    pub acl: Acl,
    /// Settings; `CONFIG SET` changes some at run time.
    pub config: RwLock<Config>,
    /// The append-only file.
    pub aof: Aof,
    /// RDB snapshots: `SAVE`, `BGSAVE`, the save points and the dirty counter.
    pub rdb: Rdb,
    /// Clients blocked in `BLPOP` and friends.
    pub blocking: Blocking,
    /// `CLIENT PAUSE`: the pause in force, and the clients waiting for its end.
    pub pause: Pause,
    /// Channels, patterns and their subscribers; `MONITOR` watchers.
    pub pubsub: PubSub,
    /// Connected clients, for `CLIENT LIST` / `KILL` and shutdown.
    pub clients: ClientTable,
    /// Counters for `INFO stats`.
    pub stats: Stats,
    /// Client-side caching: who tracks which keys (`CLIENT TRACKING`).
    pub tracking: Tracking,
    /// The scripts and function libraries the server knows (`EVAL`, `FUNCTION LOAD`).
    pub scripts: super::scripting::Scripts,
    /// The `lazyfree` thread, and the `lazyfree-lazy-*` settings that send values to it.
    pub lazyfree: LazyFree,
    /// Set once shutdown begins.
    pub shutting_down: AtomicBool,
    /// False after `DEBUG SET-ACTIVE-EXPIRE 0`: the expirer skips its cycles, and keys expire only
    /// lazily, when a command touches them (tests use it to see lazy expiry alone).
    pub active_expire: AtomicBool,
    /// True after `DEBUG PAUSE-CRON 1`: the server's periodic work (the expirer's cycles, the
    /// client-side caching table's limit, the save points) waits until `DEBUG PAUSE-CRON 0`, so a
    /// test can see what happens between two cycles.
    pub cron_paused: AtomicBool,
    /// When the server started.
    pub started: Instant,
    /// The address the listener is bound to (`CONFIG SET port` moves it).
    listen_addr: Mutex<SocketAddr>,
    /// A listener `CONFIG SET port` or `bind` opened, for the accept loop to take over.
    pub new_listener: Mutex<Option<TcpListener>>,
    /// The replication stream (its id, offset and backlog), fed beside the AOF.
    pub backlog: Backlog,
    /// The replicas of this server, and how far each has got.
    pub replicas: Replicas,
    /// This server's link to its master, when it is a replica.
    pub link: Link,
    next_client_id: AtomicU64,
}
// ANCHOR_END: shared

impl Shared {
    /// Shared state around `store`, answering the commands of `registry` (the server's, or a
    /// tool's such as `verify_replay`).
    pub fn new(
        config: Config,
        registry: Registry,
        store: Store,
        aof: Aof,
        local_addr: SocketAddr,
    ) -> Shared {
        let pubsub = PubSub::default();
        pubsub.set_keyspace_events(config.notify_keyspace_events);
        let lazyfree = LazyFree::start();
        configure_lazyfree(&lazyfree, &config);
        let backlog = Backlog::default();
        configure_backlog(&backlog, &config);
        let tracking = Tracking::default();
        tracking.configure(&config);
        Shared {
            databases: store.count(),
            maxmemory: AtomicU64::new(config.maxmemory),
            role: {
                let role = Role::default();
                role.configure(&config);
                role
            },
            store: Arc::new(RwLock::new(store)),
            acl: Acl::new(&registry, config.requirepass.as_deref()),
            registry,
            rdb: Rdb::new(&config),
            config: RwLock::new(config),
            aof,
            blocking: Blocking::default(),
            pause: Pause::default(),
            pubsub,
            clients: ClientTable::default(),
            stats: Stats::default(),
            tracking,
            scripts: Default::default(),
            lazyfree,
            shutting_down: AtomicBool::new(false),
            active_expire: AtomicBool::new(true),
            cron_paused: AtomicBool::new(false),
            started: Instant::now(),
            listen_addr: Mutex::new(local_addr),
            new_listener: Mutex::new(None),
            backlog,
            replicas: Replicas::default(),
            link: Link::default(),
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
        Shared::new(
            config,
            registry,
            Store::new(),
            aof,
            SocketAddr::from(([0, 0, 0, 0], 0)),
        )
    }

    // ANCHOR: refuses
    /// Why the server's state refuses a command with `command_flags` now, in Redis's order: the
    /// last background save or the AOF failed (a write), memory is above `maxmemory` (a command
    /// that may add data, or any command `MULTI` would queue: `queued`), or the role forbids
    /// it. `EXEC` is judged by the flags of all it would run.
    pub fn refuses(&self, command_flags: u32, queued: bool) -> Option<Value> {
        if command_flags & flags::WRITE != 0 {
            if let Some(err) = self.rdb.refuses_writes() {
                return Some(Value::error(err));
            }
            if let Some(err) = self.aof.refuses_writes() {
                return Some(err);
            }
        }
        if (command_flags & flags::DENYOOM != 0 || queued) && self.out_of_memory() {
            return Some(Value::error(
                "OOM command not allowed when used memory > 'maxmemory'.",
            ));
        }
        self.role.refusal(
            command_flags & flags::WRITE != 0,
            command_flags & flags::STALE != 0,
            |max_lag| self.replicas.good(max_lag),
        )
    }
    // ANCHOR_END: refuses

    /// True when `maxmemory` is set and the server uses more: commands that add data are then
    /// refused, as Redis's `noeviction` policy refuses them.
    pub fn out_of_memory(&self) -> bool {
        let max = self.maxmemory.load(Ordering::Relaxed);
        max > 0 && crate::sys::memory::used() > max
    }

    /// The read guard of the store.
    pub fn read_store(&self) -> RwLockReadGuard<'_, Store> {
        // Poisoning means a handler panicked mid-command; see the module comment.
        self.store
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The write guard of the store.
    pub fn write_store(&self) -> RwLockWriteGuard<'_, Store> {
        self.store
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A snapshot of the settings.
    pub fn config(&self) -> Config {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// True if `enable-debug-command` lets `client` run `DEBUG`: `yes` for anyone, `local` for
    /// a loopback connection only.
    pub fn debug_allowed(&self, client: &super::ClientContext) -> bool {
        match self
            .config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .enable_debug_command
        {
            DebugCommand::Yes => true,
            DebugCommand::Local => client.handle.addr.ip().is_loopback(),
            DebugCommand::No => false,
        }
    }

    /// The current replication id.
    pub fn replid(&self) -> String {
        self.backlog.replid()
    }

    /// Draws a new replication id, as Redis's `changeReplicationId` does.
    pub fn change_replid(&self) {
        self.backlog.new_replid();
    }

    /// The next client id (`CLIENT ID`), starting at 1 as in Redis.
    pub fn next_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Begins a graceful shutdown from any thread (`SHUTDOWN`, a signal, a test): sets the flag
    /// and wakes the listener, which is blocked in `accept`, with one connection to itself.
    pub fn request_shutdown(&self) {
        if !self.shutting_down.swap(true, Ordering::SeqCst) {
            let _ = TcpStream::connect(wake_addr(self.local_addr()));
        }
    }

    /// The address the listener is bound to now.
    pub fn local_addr(&self) -> SocketAddr {
        *self.listen_addr.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that the listener now listens on `addr` (the accept loop, after taking over a
    /// new listener).
    pub fn set_local_addr(&self, addr: SocketAddr) {
        *self.listen_addr.lock().unwrap_or_else(|p| p.into_inner()) = addr;
    }

    // ANCHOR: rebind
    /// Opens a listener on `bind`:`port` and hands it to the accept loop, which serves it from
    /// its next `accept` on and closes the old one; the connection that wakes it is served like
    /// any other. Clients already connected stay connected, as in Redis.
    ///
    /// # Errors
    /// Redis's text when the address cannot be bound (in use, not local, ...).
    pub fn rebind(&self, bind: &str, port: u16) -> Result<(), String> {
        if port == 0 {
            // Redis then stops listening on TCP, which here would leave no way in at all.
            return Err(
                "Unable to listen on this port: port 0 would close the only listener".into(),
            );
        }
        let listener = TcpListener::bind(format!("{bind}:{port}"))
            .map_err(|e| format!("Unable to listen on this port: {e}"))?;
        *self.new_listener.lock().unwrap_or_else(|p| p.into_inner()) = Some(listener);
        let _ = TcpStream::connect(wake_addr(self.local_addr()));
        Ok(())
    }
    // ANCHOR_END: rebind
}

/// 40 random hexadecimal digits, the shape of Redis's run and replication ids.
pub fn random_id() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..40)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
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
