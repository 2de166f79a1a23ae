//! The table of connected clients, for `CLIENT LIST`, `CLIENT KILL`, `INFO clients` and shutdown.
//!
//! Go original: none (go-redis kept no client list). Explained in: book chapter "Talking to real
//! clients".
//!
//! A client's own thread owns its [`ClientContext`](crate::commands::ClientContext); other
//! threads see only its [`ClientHandle`]. The handle's counters are written by the owning thread
//! alone, with plain atomic stores (no read-modify-write), and read by whoever lists clients,
//! so counting a command costs no lock and no shared cache line.

use std::collections::{BTreeMap, HashMap};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use super::histogram::LatencyHistogram;

/// One command's figures in `INFO commandstats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommandStats {
    /// Times it ran.
    pub calls: u64,
    /// Microseconds it ran for, in all.
    pub usec: u64,
    /// Times it was refused before running (wrong arity, `NOAUTH`, inside `MULTI`, ...).
    pub rejected: u64,
    /// Times it ran and answered an error.
    pub failed: u64,
    /// How long its calls took, for `LATENCY HISTOGRAM` and `INFO latencystats`.
    pub histogram: LatencyHistogram,
}

impl CommandStats {
    /// Adds `other`'s figures to these.
    pub fn add(&mut self, other: &CommandStats) {
        self.calls += other.calls;
        self.usec += other.usec;
        self.rejected += other.rejected;
        self.failed += other.failed;
        self.histogram.add(&other.histogram);
    }
}

/// What `CLIENT LIST` shows about a client besides its address: written by its own thread after
/// each command, read by the thread that lists.
#[derive(Debug, Default, Clone)]
pub struct ClientState {
    /// The last command's full name as Redis shows it (`get`, `client|list`); empty before the
    /// first.
    pub last_cmd: &'static str,
    /// `CLIENT SETINFO lib-name`.
    pub lib_name: Vec<u8>,
    /// `CLIENT SETINFO lib-ver`.
    pub lib_ver: Vec<u8>,
    /// Channels subscribed to.
    pub sub: usize,
    /// Patterns subscribed to.
    pub psub: usize,
    /// Shard channels subscribed to.
    pub ssub: usize,
    /// With `CLIENT TRACKING` on: where invalidations go (0: this connection), whether in
    /// `BCAST` mode, and whether the redirection broke.
    pub tracking: Option<(u64, bool, bool)>,
    /// Commands queued by `MULTI`, or -1 outside a transaction.
    pub multi: i64,
    /// 2 or 3 (`HELLO`).
    pub resp: u8,
    /// Ran `MONITOR`.
    pub monitor: bool,
    /// The user it is logged in as (`CLIENT LIST`'s `user=`, and whom `ACL DELUSER` closes).
    pub user: Vec<u8>,
    /// This client's share of `INFO commandstats`, by full command name: a handful of entries
    /// for most clients, so a short list beats a map.
    pub commands: Vec<(&'static str, CommandStats)>,
}

impl ClientState {
    /// The figures of the command `name`, added at its first use.
    pub fn stats_for(&mut self, name: &'static str) -> &mut CommandStats {
        let at = match self.commands.iter().position(|(n, _)| *n == name) {
            Some(at) => at,
            None => {
                self.commands.push((name, CommandStats::default()));
                self.commands.len() - 1
            }
        };
        &mut self.commands[at].1
    }
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
    /// The database it has selected (`SELECT`), as `CLIENT LIST` shows it.
    pub db: AtomicUsize,
    /// The socket, shared with the connection thread (one descriptor, design invariant 11);
    /// `None` for a [`ClientHandle::detached`] client.
    pub stream: Option<Arc<TcpStream>>,
    /// `CLIENT SETNAME`.
    pub name: Mutex<Vec<u8>>,
    /// Set when the client is being closed by someone else.
    pub killed: AtomicBool,
    /// Set while it waits in a blocking command (`BLPOP`).
    pub blocked: AtomicBool,
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
        Ok(ClientHandle::with_stream(
            id,
            Some(stream),
            addr,
            local_addr,
        ))
    }

    /// A handle with no connection behind it: the client that replays the AOF, or a tool's.
    /// Its addresses are `0.0.0.0:0`, and killing it only sets the flag.
    pub fn detached(id: u64) -> Self {
        let nowhere = SocketAddr::from(([0, 0, 0, 0], 0));
        ClientHandle::with_stream(id, None, nowhere, nowhere)
    }

    fn with_stream(
        id: u64,
        stream: Option<Arc<TcpStream>>,
        addr: SocketAddr,
        local_addr: SocketAddr,
    ) -> Self {
        ClientHandle {
            id,
            addr,
            local_addr,
            created: Instant::now(),
            db: AtomicUsize::new(0),
            stream,
            name: Mutex::new(Vec::new()),
            killed: AtomicBool::new(false),
            blocked: AtomicBool::new(false),
            commands: AtomicU64::new(0),
            last_interaction: AtomicU64::new(0),
            state: Mutex::new(ClientState {
                multi: -1,
                resp: 2,
                // Every connection starts as `default`, as in Redis.
                user: b"default".to_vec(),
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
    /// This client's line in `CLIENT LIST` / `CLIENT INFO`, with Redis 7.0's fields in its
    /// order. `running` is the request this client is running as it asks (for its own line):
    /// Redis counts it in `qbuf` (its bytes in the query buffer) and `argv-mem` (its words).
    /// The other fields about buffers and memory, which a thread-per-client server does not
    /// track, are printed with an idle Redis client's values, so that parsers find every field
    /// they expect.
    pub fn info_line(&self, running: Option<&[&[u8]]>) -> String {
        let (qbuf, argv_mem) = running.map_or((0, 0), |argv| {
            let words: usize = argv.iter().map(|w| w.len()).sum();
            // `*<n>\r\n` and `$<len>\r\n<word>\r\n` per word, as clients send requests.
            let headers: usize = argv.iter().map(|w| w.len().to_string().len() + 5).sum();
            (argv.len().to_string().len() + 3 + headers + words, words)
        });
        let st = self.state().clone();
        let alive = self.created.elapsed();
        let age = alive.as_secs();
        let idle = (alive.as_millis() as u64)
            .saturating_sub(self.last_interaction.load(Ordering::Relaxed))
            / 1000;
        format!(
            "id={} addr={} laddr={} fd={} name={} age={age} idle={idle} flags={} db={} sub={} psub={} \
             ssub={} multi={} qbuf={qbuf} qbuf-free=0 argv-mem={argv_mem} multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 \
             tot-mem=0 events=r cmd={} user={} redir={} resp={}",
            self.id,
            self.addr,
            self.local_addr,
            self.fd(),
            String::from_utf8_lossy(&self.name()),
            flags(&st, self.blocked.load(Ordering::Relaxed)),
            self.db.load(Ordering::Relaxed),
            st.sub,
            st.psub,
            st.ssub,
            st.multi,
            if st.last_cmd.is_empty() {
                "NULL"
            } else {
                st.last_cmd
            },
            String::from_utf8_lossy(&st.user),
            st.tracking.map_or(-1, |(to, _, _)| to as i64),
            st.resp,
        )
    }
    // ANCHOR_END: client_line

    /// The socket's descriptor, as Redis's `fd=` shows it; -1 for a client with no connection.
    fn fd(&self) -> i64 {
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            self.stream
                .as_ref()
                .map_or(-1, |s| i64::from(s.as_raw_fd()))
        }
        #[cfg(not(unix))]
        {
            // No descriptor numbers elsewhere; the id is unique, which is what parsers rely on.
            self.stream.as_ref().map_or(-1, |_| self.id as i64)
        }
    }
}

/// `flags=`: Redis's letters for the states this server has, in Redis's order; `N` for none.
fn flags(st: &ClientState, blocked: bool) -> String {
    let mut flags = String::new();
    if st.monitor {
        flags.push('O');
    }
    if st.sub + st.psub + st.ssub > 0 {
        flags.push('P');
    }
    if st.multi >= 0 {
        flags.push('x');
    }
    if blocked {
        flags.push('b');
    }
    if let Some((_, bcast, broken)) = st.tracking {
        flags.push('t');
        if broken {
            flags.push('R');
        }
        if bcast {
            flags.push('B');
        }
    }
    if flags.is_empty() {
        flags.push('N');
    }
    flags
}

/// Every connected client by id.
#[derive(Default)]
pub struct ClientTable {
    clients: Mutex<HashMap<u64, Arc<ClientHandle>>>,
    /// Commands run by clients that have since disconnected.
    departed_commands: AtomicU64,
    /// Their `INFO commandstats` figures.
    departed_stats: Mutex<BTreeMap<&'static str, CommandStats>>,
}

impl ClientTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ClientHandle>>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a client.
    pub fn insert(&self, handle: Arc<ClientHandle>) {
        self.lock().insert(handle.id, handle);
    }

    /// Removes a client that disconnected, keeping its figures for `INFO`.
    pub fn remove(&self, id: u64) {
        let mut clients = self.lock();
        if let Some(h) = clients.remove(&id) {
            self.departed_commands
                .fetch_add(h.commands.load(Ordering::Relaxed), Ordering::Relaxed);
            let st = h.state();
            if !st.commands.is_empty() {
                let mut departed = self.departed();
                for (name, stats) in &st.commands {
                    departed.entry(name).or_default().add(stats);
                }
            }
        }
    }

    fn departed(&self) -> MutexGuard<'_, BTreeMap<&'static str, CommandStats>> {
        self.departed_stats
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// `INFO commandstats`: every command's figures, summed over the clients connected and
    /// gone, by full name.
    pub fn command_stats(&self) -> BTreeMap<&'static str, CommandStats> {
        let clients = self.lock();
        let mut all = self.departed().clone();
        for c in clients.values() {
            for (name, stats) in &c.state().commands {
                all.entry(name).or_default().add(stats);
            }
        }
        all
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
        let live: u64 = self
            .lock()
            .values()
            .map(|c| c.commands.load(Ordering::Relaxed))
            .sum();
        live + self.departed_commands.load(Ordering::Relaxed)
    }

    /// `CONFIG RESETSTAT`: zeroes the command counts and figures.
    pub fn reset_stats(&self) {
        for c in self.lock().values() {
            c.commands.store(0, Ordering::Relaxed);
            c.state().commands.clear();
        }
        self.departed_commands.store(0, Ordering::Relaxed);
        self.departed().clear();
    }
}
