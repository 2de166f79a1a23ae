//! The table of connected clients, for `CLIENT LIST`, `CLIENT KILL`, `INFO clients` and shutdown.
//!
//! Go original: none (go-redis kept no client list). Explained in: book chapter "Talking to real
//! clients".
//!
//! A client's own thread owns its [`ClientContext`](crate::commands::ClientContext); other
//! threads see only its [`ClientHandle`]. The handle's counters are written by the owning thread
//! alone, with plain atomic stores (no read-modify-write), and read by whoever lists clients,
//! so counting a command costs no lock and no shared cache line.

use std::collections::HashMap;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// What `CLIENT LIST` shows about a client besides its address: written by its own thread after
/// each command, read by the thread that lists.
#[derive(Debug, Default, Clone)]
pub struct ClientState {
    /// The last command, lower case, with its subcommand as Redis shows it (`client|list`).
    pub last_cmd: String,
    /// `CLIENT SETINFO lib-name`.
    pub lib_name: Vec<u8>,
    /// `CLIENT SETINFO lib-ver`.
    pub lib_ver: Vec<u8>,
    /// Channels subscribed to.
    pub sub: usize,
    /// Patterns subscribed to.
    pub psub: usize,
    /// Commands queued by `MULTI`, or -1 outside a transaction.
    pub multi: i64,
    /// 2 or 3 (`HELLO`).
    pub resp: u8,
}

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
    /// The socket, shared with the connection thread (one descriptor, design invariant 11);
    /// `None` for a [`ClientHandle::detached`] client.
    pub stream: Option<Arc<TcpStream>>,
    /// `CLIENT SETNAME`.
    pub name: Mutex<Vec<u8>>,
    /// Set when the client is being closed by someone else.
    pub killed: AtomicBool,
    /// Commands this client ran (its share of `total_commands_processed`).
    pub commands: AtomicU64,
    /// When its last command ended, in ms since `created` (`idle=`): monotonic, and kept
    /// without reading the wall clock once more per command.
    pub last_interaction: AtomicU64,
    /// What `CLIENT LIST` prints.
    pub state: Mutex<ClientState>,
}
// ANCHOR_END: client_handle

impl ClientHandle {
    /// A handle for a freshly accepted connection.
    pub fn new(id: u64, stream: Arc<TcpStream>) -> std::io::Result<Self> {
        let (addr, local_addr) = (stream.peer_addr()?, stream.local_addr()?);
        Ok(ClientHandle::with_stream(id, Some(stream), addr, local_addr))
    }

    /// A handle with no connection behind it: the client that replays the AOF, or a tool's.
    /// Its addresses are `0.0.0.0:0`, and killing it only sets the flag.
    pub fn detached(id: u64) -> Self {
        let nowhere = SocketAddr::from(([0, 0, 0, 0], 0));
        ClientHandle::with_stream(id, None, nowhere, nowhere)
    }

    fn with_stream(id: u64, stream: Option<Arc<TcpStream>>, addr: SocketAddr, local_addr: SocketAddr) -> Self {
        ClientHandle {
            id,
            addr,
            local_addr,
            created: Instant::now(),
            stream,
            name: Mutex::new(Vec::new()),
            killed: AtomicBool::new(false),
            commands: AtomicU64::new(0),
            last_interaction: AtomicU64::new(0),
            state: Mutex::new(ClientState {
                multi: -1,
                resp: 2,
                ..ClientState::default()
            }),
        }
    }

    /// Closes the connection from another thread: the client's thread wakes from its blocking
    /// read with end-of-file and exits.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        if let Some(stream) = &self.stream {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// The client's name (`CLIENT GETNAME`).
    pub fn name(&self) -> Vec<u8> {
        self.name.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Sets or clears the client's name.
    pub fn set_name(&self, name: &[u8]) {
        *self.name.lock().unwrap_or_else(|p| p.into_inner()) = name.to_vec();
    }

    /// The state `CLIENT LIST` prints, locked. Only this client's thread writes it, so the
    /// lock is uncontended except while someone lists clients.
    pub fn state(&self) -> MutexGuard<'_, ClientState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one command: a load and a store, not a `fetch_add`, because only the owning
    /// thread writes (a lost count against a concurrent `CONFIG RESETSTAT` is harmless).
    pub fn count_command(&self, ended: Instant) {
        let n = self.commands.load(Ordering::Relaxed);
        self.commands.store(n + 1, Ordering::Relaxed);
        let at = ended.saturating_duration_since(self.created).as_millis() as u64;
        self.last_interaction.store(at, Ordering::Relaxed);
    }

    // ANCHOR: client_line
    /// This client's line in `CLIENT LIST` / `CLIENT INFO`, in Redis 7's field order. Fields
    /// about buffers and memory that a thread-per-client server does not track are printed
    /// with Redis's idle values so that parsers find every field they expect.
    pub fn info_line(&self) -> String {
        let st = self.state().clone();
        let alive = self.created.elapsed();
        let age = alive.as_secs();
        let idle = (alive.as_millis() as u64).saturating_sub(self.last_interaction.load(Ordering::Relaxed)) / 1000;
        let mut flags = String::new();
        if st.multi >= 0 {
            flags.push('x');
        }
        if st.sub + st.psub > 0 {
            flags.push('P');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        format!(
            "id={} addr={} laddr={} fd={} name={} age={age} idle={idle} flags={flags} db=0 sub={} psub={} \
             ssub=0 multi={} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 \
             tot-mem=0 events=r cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.local_addr,
            // No raw descriptors in safe std Rust; Redis's fd is informative only. The id is
            // unique, which is what scripts that parse `fd=` rely on.
            self.id,
            String::from_utf8_lossy(&self.name()),
            st.sub,
            st.psub,
            st.multi,
            if st.last_cmd.is_empty() { "NULL" } else { &st.last_cmd },
            st.resp,
            String::from_utf8_lossy(&st.lib_name),
            String::from_utf8_lossy(&st.lib_ver),
        )
    }
    // ANCHOR_END: client_line
}

/// Every connected client by id.
#[derive(Default)]
pub struct ClientTable {
    clients: Mutex<HashMap<u64, Arc<ClientHandle>>>,
    /// Commands run by clients that have since disconnected.
    departed_commands: AtomicU64,
}

impl ClientTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ClientHandle>>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a client.
    pub fn insert(&self, handle: Arc<ClientHandle>) {
        self.lock().insert(handle.id, handle);
    }

    /// Removes a client that disconnected, keeping its command count for `INFO`.
    pub fn remove(&self, id: u64) {
        if let Some(h) = self.lock().remove(&id) {
            self.departed_commands
                .fetch_add(h.commands.load(Ordering::Relaxed), Ordering::Relaxed);
        }
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

    /// Commands processed since start (or `CONFIG RESETSTAT`): summed over the clients at the
    /// time of asking, so the hot path never touches a shared counter.
    pub fn total_commands(&self) -> u64 {
        let live: u64 = self.lock().values().map(|c| c.commands.load(Ordering::Relaxed)).sum();
        live + self.departed_commands.load(Ordering::Relaxed)
    }

    /// `CONFIG RESETSTAT`: zeroes the command counts.
    pub fn reset_stats(&self) {
        for c in self.lock().values() {
            c.commands.store(0, Ordering::Relaxed);
        }
        self.departed_commands.store(0, Ordering::Relaxed);
    }
}
