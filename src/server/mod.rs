//! The server: shared state, start-up, the background threads and shutdown.
//!
//! Go original: `internal/server/server.go`. Explained in: book chapter 1 and "Architecture".
//!
//! # Concurrency, stated once
//! - One `Arc<RwLock<Store>>`. A guard lives for one command (or one `EXEC`); handlers never
//!   lock it themselves: the dispatcher takes the read guard for reads, the write guard for writes.
//! - Nothing blocks while a guard is held: no socket I/O, no sleep, no fsync. The effects of a
//!   write are *sent* to the AOF thread under the write guard (an in-memory channel send), so the
//!   log order is the store order; the disk work happens on the `aof-writer` thread.
//! - Threads: `listener` (accepts), one `client-<id>` per connection, `expirer` (active expiry),
//!   `aof-writer`, `cron` (ops-rate samples, and the SIGINT/SIGTERM flag of [`sys`]). Shutdown: set the flag, wake the listener, close client sockets, drop the AOF
//!   sender and join its thread, so everything queued is written and fsynced.
//! - A poisoned lock (a thread panicked while holding it) is recovered in [`Shared::write_store`]:
//!   the store's own operations leave it consistent between statements, so serving on is safer
//!   than taking every client down.

pub mod clients;
pub mod config;
pub mod expirer;
pub mod log;
pub mod memory;
pub mod pubsub;
pub mod stats;
pub mod sys;

/// The signal half of [`sys`], under the name it had before the socket shims joined it.
pub use sys as signals;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::Context as _;

pub use clients::ClientHandle;
pub use config::Config;

use crate::commands::Registry;
use crate::commands::blocking::Blocking;
use crate::engine::store::Store;
use crate::persistence::Aof;

// ANCHOR: shared
/// Everything the threads share.
pub struct Shared {
    /// The one keyspace, behind the one lock.
    pub store: Arc<RwLock<Store>>,
    /// The command table.
    pub registry: Registry,
    /// Settings; `CONFIG SET` changes some at run time.
    pub config: RwLock<Config>,
    /// The append-only file.
    pub aof: Aof,
    /// Clients blocked in `BLPOP` and friends.
    pub blocking: Blocking,
    /// Channels, patterns and their subscribers; `MONITOR` watchers.
    pub pubsub: pubsub::PubSub,
    /// Connected clients, for `CLIENT LIST` / `KILL` and shutdown.
    pub clients: clients::ClientTable,
    /// Counters for `INFO stats`.
    pub stats: stats::Stats,
    /// Set once shutdown begins.
    pub shutting_down: AtomicBool,
    /// When the server started.
    pub started: Instant,
    /// The address the listener is bound to.
    pub local_addr: SocketAddr,
    next_client_id: AtomicU64,
}
// ANCHOR_END: shared

impl Shared {
    /// Shared state around `store` (the server's, or a tool's such as `verify_replay`).
    pub fn new(config: Config, store: Store, aof: Aof, local_addr: SocketAddr) -> Shared {
        Shared {
            store: Arc::new(RwLock::new(store)),
            registry: Registry::new(),
            config: RwLock::new(config),
            aof,
            blocking: Blocking::default(),
            pubsub: pubsub::PubSub::default(),
            clients: clients::ClientTable::default(),
            stats: stats::Stats::default(),
            shutting_down: AtomicBool::new(false),
            started: Instant::now(),
            local_addr,
            next_client_id: AtomicU64::new(0),
        }
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
}

/// The Redis version this server reports (`INFO`, `HELLO`). Client libraries compare it to
/// decide what they may send (redis-cli asks for `COMMAND DOCS` from 7.0 on), so it names the
/// Redis release whose behaviour this server follows rather than the crate's own version,
/// which `INFO` reports separately as `rust_redis_version`.
pub const REDIS_VERSION: &str = "7.0.0";

/// A running server: its address, and the way to stop it.
pub struct Server {
    shared: Arc<Shared>,
    listener: Option<JoinHandle<()>>,
    expirer: Option<JoinHandle<()>>,
}

// ANCHOR: start
/// Starts a server: loads the AOF, binds the listener, spawns the background threads.
/// Returns once it accepts connections.
///
/// # Errors
/// The address cannot be bound, or the AOF cannot be loaded.
pub fn start(config: Config) -> anyhow::Result<Server> {
    log::set_level(config.loglevel);
    let mut registry = Registry::new();
    for (from, to) in &config.rename_commands {
        anyhow::ensure!(
            registry.rename(from.as_bytes(), to.as_bytes()),
            "rename-command {from}: no such command"
        );
    }
    let addr = format!("{}:{}", config.bind, config.port);
    let listener = TcpListener::bind(&addr).with_context(|| format!("binding {addr}"))?;
    let local_addr = listener.local_addr()?;
    let aof = Aof::new(&config);
    let mut shared = Shared::new(config, Store::new(), aof, local_addr);
    shared.registry = registry;
    let shared = Arc::new(shared);
    // Replay before the listener thread exists: no client can see a half-loaded store.
    crate::persistence::open(&shared)?;
    shared.aof.attach_store(&shared.store);
    shared.stats.configure(&shared.config());
    let pubsub_limit = shared.config().client_output_buffer_limit.pubsub[0];
    shared.pubsub.set_output_limit(pubsub_limit as usize);
    stats::spawn_cron(shared.clone())?;
    let expirer = expirer::spawn(shared.clone())?;
    let listener = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("listener".into())
            .spawn(move || crate::netlayer::accept_loop(shared, listener))?
    };
    crate::info!("server", "Ready to accept connections tcp on {local_addr}");
    Ok(Server {
        shared,
        listener: Some(listener),
        expirer: Some(expirer),
    })
}
// ANCHOR_END: start

impl Server {
    /// The address clients connect to (tests bind port 0 and ask).
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr
    }

    /// The shared state (for tests and admin tools in-process).
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Blocks until the server shuts down (by `SHUTDOWN` or a signal).
    pub fn wait(mut self) {
        if let Some(t) = self.listener.take() {
            let _ = t.join();
        }
        self.finish();
    }

    /// Stops the server: no new connections, clients closed, the AOF written and fsynced.
    pub fn shutdown(mut self) {
        request_shutdown(&self.shared);
        if let Some(t) = self.listener.take() {
            let _ = t.join();
        }
        self.finish();
    }

    fn finish(&mut self) {
        self.shared.shutting_down.store(true, Ordering::SeqCst);
        if let Some(t) = self.expirer.take() {
            let _ = t.join();
        }
        self.shared.clients.close_all();
        self.shared.aof.shutdown();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.listener.is_some() {
            request_shutdown(&self.shared);
            if let Some(t) = self.listener.take() {
                let _ = t.join();
            }
            self.finish();
        }
    }
}

/// Begins a graceful shutdown from any thread: sets the flag and wakes the listener, which is
/// blocked in `accept`, with one connection to itself.
pub fn request_shutdown(shared: &Shared) {
    if !shared.shutting_down.swap(true, Ordering::SeqCst) {
        let _ = TcpStream::connect(wake_addr(shared.local_addr));
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

/// Runs a server until it shuts down: the body of `src/bin/server.rs`.
///
/// # Errors
/// Start-up failed.
pub fn run(config: Config) -> anyhow::Result<()> {
    if !config.logfile.is_empty() {
        log::set_file(&config.logfile).with_context(|| format!("opening logfile {}", config.logfile))?;
    }
    crate::info!(
        "server",
        "rust-redis {} starting (Redis {} compatible), pid {}, port {}",
        env!("CARGO_PKG_VERSION"),
        REDIS_VERSION,
        std::process::id(),
        config.port
    );
    match &config.config_file {
        Some(path) => crate::info!("server", "Configuration loaded from {}", path.display()),
        None => crate::info!(
            "server",
            "No config file given, using the defaults and the command line"
        ),
    }
    let server = start(config)?;
    server.wait();
    crate::info!("server", "bye");
    Ok(())
}
