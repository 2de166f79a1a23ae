//! The table of connected clients, for `CLIENT LIST`, `CLIENT KILL`, `INFO clients` and shutdown.
//!
//! Go original: none (go-redis kept no client list). Explained in: book chapter "Talking to real
//! clients".

use std::collections::HashMap;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

// ANCHOR: client_handle
/// The part of a client other threads may see: who it is, and its socket, so that
/// `CLIENT KILL` and shutdown can close it.
pub struct ClientHandle {
    /// Unique id.
    pub id: u64,
    /// The peer's address.
    pub addr: SocketAddr,
    /// Our side's address.
    pub local_addr: SocketAddr,
    /// When it connected.
    pub created: Instant,
    /// The socket, shared with the connection thread (one descriptor, design invariant 11).
    pub stream: Arc<TcpStream>,
    /// `CLIENT SETNAME`.
    pub name: Mutex<Vec<u8>>,
    /// Set when the client is being closed by someone else.
    pub killed: AtomicBool,
}
// ANCHOR_END: client_handle

impl ClientHandle {
    /// A handle for a freshly accepted connection.
    pub fn new(id: u64, stream: Arc<TcpStream>) -> std::io::Result<Self> {
        Ok(ClientHandle {
            id,
            addr: stream.peer_addr()?,
            local_addr: stream.local_addr()?,
            created: Instant::now(),
            stream,
            name: Mutex::new(Vec::new()),
            killed: AtomicBool::new(false),
        })
    }

    /// Closes the connection from another thread: the client's thread wakes from its blocking
    /// read with end-of-file and exits.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// Every connected client by id.
#[derive(Default)]
pub struct ClientTable {
    clients: Mutex<HashMap<u64, Arc<ClientHandle>>>,
}

impl ClientTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ClientHandle>>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a client.
    pub fn insert(&self, handle: Arc<ClientHandle>) {
        self.lock().insert(handle.id, handle);
    }

    /// Removes a client that disconnected.
    pub fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Number of connected clients.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no client is connected.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// A snapshot of every client, for listing.
    pub fn snapshot(&self) -> Vec<Arc<ClientHandle>> {
        let mut v: Vec<_> = self.lock().values().cloned().collect();
        v.sort_by_key(|c| c.id);
        v
    }

    /// The client with this id.
    pub fn get(&self, id: u64) -> Option<Arc<ClientHandle>> {
        self.lock().get(&id).cloned()
    }

    /// Closes every connection (shutdown).
    pub fn close_all(&self) {
        for c in self.snapshot() {
            c.kill();
        }
    }
}
