//! The server: start-up, the background threads and shutdown. Wiring only: the state those
//! threads share is [`Shared`], one layer down in `commands`.
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
//!   `aof-writer`, `cron` (ops-rate samples, and the SIGINT/SIGTERM flag of [`crate::sys`]). Shutdown: set
//!   the flag, wake the listener, close client sockets, drop the AOF sender and join its
//!   thread, so everything queued is written and fsynced.
//! - A poisoned lock (a thread panicked while holding it) is recovered in [`Shared::write_store`]:
//!   the store's own operations leave it consistent between statements, so serving on is safer
//!   than taking every client down.

pub mod cron;
pub mod expirer;
pub mod replica_link;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;

use anyhow::Context as _;

pub use crate::config::Config;

use crate::commands::{Registry, Shared, handlers, load};
use crate::engine::store::Store;
use crate::log;
use crate::persistence::Aof;

/// A running server: its address, and the way to stop it.
pub struct Server {
    shared: Arc<Shared>,
    listener: Option<JoinHandle<()>>,
    expirer: Option<JoinHandle<()>>,
}

// ANCHOR: start
/// Starts a server: fills the command table, binds the listener (so a busy port fails before
/// any loading), loads the AOF or the RDB file into the store, spawns the background threads
/// and the listener thread last. Returns once it accepts connections.
///
/// # Errors
/// The address cannot be bound, or the AOF cannot be loaded.
pub fn start(config: Config) -> anyhow::Result<Server> {
    log::set_level(config.loglevel);
    let mut registry = Registry::new();
    handlers::register_all(&mut registry);
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
    let store = Store::with_databases(config.databases);
    let shared = Arc::new(Shared::new(config, registry, store, aof, local_addr));
    handlers::server::acl::load_at_startup(&shared).map_err(|e| anyhow::anyhow!("ACL: {e}"))?;
    // Replay before the listener thread exists: no client can see a half-loaded store.
    open_aof(&shared)?;
    shared.aof.attach_store(&shared.store);
    load::load_rdb(&shared)?;
    shared.stats.configure(&shared.config());
    let pubsub_limit = shared.config().client_output_buffer_limit.pubsub[0];
    shared.pubsub.set_output_limit(pubsub_limit as usize);
    cron::spawn_cron(shared.clone())?;
    let expirer = expirer::spawn(shared.clone())?;
    replica_link::spawn(shared.clone())?;
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
        self.shared.local_addr()
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
        self.shared.request_shutdown();
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
        self.shared.rdb.shutdown(&self.shared.store);
        self.shared.aof.shutdown();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.listener.is_some() {
            self.shared.request_shutdown();
            if let Some(t) = self.listener.take() {
                let _ = t.join();
            }
            self.finish();
        }
    }
}

// ANCHOR: open
/// Loads the AOF named by the configuration into `shared.store` (if the AOF is on), then starts
/// the writer thread. Called by [`start`] before the listener accepts anyone, so no client
/// ever sees a half-loaded store.
///
/// # Errors
/// The file cannot be read, or it is corrupt before its last record (the message names the
/// offset and the `--check-aof FILE --fix` repair).
pub fn open_aof(shared: &Shared) -> anyhow::Result<()> {
    let config = shared.config();
    if !config.appendonly {
        return Ok(());
    }
    let path = config.dir.join(&config.appendfilename);
    let loaded = load::load_aof(shared, &path)?;
    shared.aof.start(&path, loaded.size)?;
    Ok(())
}
// ANCHOR_END: open

/// Runs a server until it shuts down: the body of `src/bin/server.rs`.
///
/// # Errors
/// Start-up failed.
pub fn run(config: Config) -> anyhow::Result<()> {
    if !config.logfile.is_empty() {
        log::set_file(&config.logfile)
            .with_context(|| format!("opening logfile {}", config.logfile))?;
    }
    crate::info!(
        "server",
        "rust-redis {} starting (Redis {} compatible), pid {}, port {}",
        env!("CARGO_PKG_VERSION"),
        crate::config::REDIS_VERSION,
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
