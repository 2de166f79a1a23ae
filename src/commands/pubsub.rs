//! Pub/Sub: channels, patterns, subscribers, and `MONITOR` watchers, with one thread per client.
//!
//! Go original: none (planned in go-redis). Explained in: book chapter "Pub/Sub".
//!
//! # The problem threads give us
//! A subscriber's own thread spends its life in a blocking `read`, waiting for its next command.
//! The messages it must receive come from *other* threads: every client that runs `PUBLISH`, and
//! for `MONITOR`, every client that runs anything. Redis has one event loop, so it simply appends
//! to the subscriber's output buffer and writes it when the socket is ready. We have no event
//! loop, so two questions need an answer: who writes to the subscriber's socket, and what
//! happens when that socket stops taking bytes?
//!
//! # The answer: an outbox and a writer thread per subscriber
//! ```text
//!  publisher threads ──┐  append encoded frames (memcpy under a short mutex; never I/O)
//!  monitor feed ───────┤
//!  own replies ────────┘──► Outbox { buf, held, in_flight, Condvar } ──► writer thread ──► socket
//! ```
//! - The first `SUBSCRIBE`, `PSUBSCRIBE` or `MONITOR` of a connection creates its [`Outbox`], and
//!   the connection starts a writer thread (`client-42-out`) that from then on writes *everything*
//!   that connection sends: messages, and the replies to its own commands too. With one writer
//!   there is no way for a message and a reply to interleave mid-frame, and a single queue keeps
//!   every publisher's messages in publish order.
//! - A publisher only encodes the frame once and copies it into each subscriber's buffer under
//!   that outbox's mutex, which nobody holds across a system call. The writer swaps the whole
//!   buffer out (double buffering) and writes it with one `write_all` after releasing the mutex,
//!   so a burst of messages costs one system call, and **a publisher never waits on a
//!   subscriber's socket**.
//! - Waking a sleeping writer costs a system call and a context switch, so a publisher's
//!   thread wakes the writers it fed once per pipeline, not once per message ([`WakeBatch`]):
//!   the same batching Redis gets from writing at the end of each event-loop iteration.
//! - The reader and the writer share one descriptor: `&TcpStream` is both `Read` and `Write`
//!   (design invariant 11), so the writer thread holds a clone of the connection's
//!   `Arc<TcpStream>`, never a `try_clone`d socket.
//!
//! # A subscriber that stops reading
//! When the peer stops reading, the kernel's socket buffer fills, the writer thread blocks in
//! `write_all`, and the outbox grows. Past `client-output-buffer-limit pubsub` (Redis's hard
//! default, 32 MB; see [`PubSub::set_output_limit`]) the publisher that would cross the limit
//! drops the buffer and kills the connection ([`ClientHandle::kill`]): the shutdown wakes both the
//! blocked writer (its write fails) and the reader (it reads end-of-file), and the connection
//! cleans up as after any disconnect. Memory per subscriber is so bounded by the limit, and the
//! cost to the publisher is one `shutdown` system call. Replies to the client's *own* commands
//! are not limited but throttled instead: the connection thread waits while its outbox holds
//! more than [`REPLY_BACKPRESSURE`] bytes, exactly as it would wait on its own socket.
//!
//! # The alternatives, and why not
//! - *Publishers write to the subscriber's socket directly*, under a per-socket mutex: one slow
//!   subscriber then stalls every publisher, and through the publisher, everyone waiting on it.
//! - *A bounded channel per subscriber* (`mpsc::sync_channel`): a full channel blocks the sender,
//!   the same stall; `try_send` would drop messages silently, where Redis disconnects.
//! - *Non-blocking sockets and a poll loop*: that is Redis's event loop, which needs `libc` or an
//!   async runtime, and this project's lesson is threads.
//!
//! The cost of the design: one more thread (with a small stack) per subscribed connection.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{ClientHandle, Shared};
use crate::commands::ClientContext;
use crate::commands::registry::flags;
use crate::engine::store::glob_match;
use crate::protocol::resp::{Protocol, Value};

/// Redis's default hard `client-output-buffer-limit` for Pub/Sub clients: 32 MB.
pub const DEFAULT_OUTPUT_LIMIT: usize = 32 * 1024 * 1024;

/// While a client's outbox holds more than this, its own connection thread waits before queuing
/// another reply: a client that pipelines commands without reading is slowed down, as a client
/// without an outbox is by its socket, instead of being disconnected.
pub const REPLY_BACKPRESSURE: usize = 1024 * 1024;

/// How long a closing connection waits for its writer thread to send the last replies (`QUIT`'s
/// `+OK`) before cutting the socket.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Locks a mutex, recovering from poisoning: every critical section here only appends to or
/// swaps buffers, so the data is consistent even if a thread panicked holding it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

// ANCHOR: outbox
/// The bytes waiting to be written to one client, and the writer thread that writes them.
///
/// Publishers append to it from any thread; only its writer thread touches the socket.
pub struct Outbox {
    /// The client this outbox writes to (killed when it overflows).
    pub handle: Arc<ClientHandle>,
    state: Mutex<OutState>,
    /// Signalled when there is something to write (or the outbox closes).
    ready: Condvar,
    /// Signalled when the writer has written a batch (or exited).
    drained: Condvar,
    writer: Mutex<Option<JoinHandle<()>>>,
}

struct OutState {
    /// Frames waiting for the writer, in order.
    buf: Vec<u8>,
    /// Frames published while one of the client's own subscription commands was running: they
    /// wait until that command's reply is queued, so a message never overtakes the
    /// confirmation of the subscription that brought it.
    held: Vec<u8>,
    holding: bool,
    /// Bytes the writer took and is writing now (they count against the limit until written).
    in_flight: usize,
    /// How frames for this client are encoded; follows `HELLO`.
    protocol: Protocol,
    /// The writer is asleep on `ready`: a producer must notify it.
    waiting: bool,
    /// Finish writing what is queued, then stop (the connection is closing).
    closing: bool,
    /// Stop now and write nothing more (overflow, write error, or killed).
    dead: bool,
    /// The writer thread has returned.
    exited: bool,
}
// ANCHOR_END: outbox

impl OutState {
    fn pending(&self) -> usize {
        self.buf.len() + self.held.len() + self.in_flight
    }
}

impl Outbox {
    /// A new, empty outbox for `handle`'s connection; no thread runs until
    /// [`Outbox::start_writer`].
    pub fn new(handle: Arc<ClientHandle>, protocol: Protocol) -> Outbox {
        Outbox {
            handle,
            state: Mutex::new(OutState {
                buf: Vec::new(),
                held: Vec::new(),
                holding: false,
                in_flight: 0,
                protocol,
                waiting: false,
                closing: false,
                dead: false,
                exited: false,
            }),
            ready: Condvar::new(),
            drained: Condvar::new(),
            writer: Mutex::new(None),
        }
    }

    /// Bytes queued and not yet written (`omem` in `CLIENT LIST` terms).
    pub fn pending(&self) -> usize {
        lock(&self.state).pending()
    }

    /// Starts the writer thread, which owns the socket's write side from now on.
    ///
    /// # Errors
    /// The thread could not be spawned.
    pub fn start_writer(self: &Arc<Self>, stream: Arc<TcpStream>) -> std::io::Result<()> {
        let outbox = self.clone();
        let thread = std::thread::Builder::new()
            .name(format!("client-{}-out", self.handle.id))
            // The writer only copies buffers and calls write: a small stack is plenty.
            .stack_size(64 * 1024)
            .spawn(move || {
                outbox.write_loop(&stream);
                let mut st = lock(&outbox.state);
                st.exited = true;
                outbox.drained.notify_all();
            })?;
        *lock(&self.writer) = Some(thread);
        Ok(())
    }

    // ANCHOR: write_loop
    /// The writer thread: sleep until there are bytes, take them all, write them without the
    /// lock, repeat.
    fn write_loop(&self, mut stream: &TcpStream) {
        let mut batch = Vec::new();
        loop {
            {
                let mut st = lock(&self.state);
                loop {
                    if st.dead {
                        return;
                    }
                    if !st.buf.is_empty() {
                        break;
                    }
                    if st.closing {
                        return;
                    }
                    st.waiting = true;
                    st = self.ready.wait(st).unwrap_or_else(|p| p.into_inner());
                }
                st.waiting = false;
                // Double buffering: producers keep appending to the (empty) other vector.
                std::mem::swap(&mut st.buf, &mut batch);
                st.in_flight = batch.len();
            }
            let result = stream.write_all(&batch).and_then(|()| stream.flush());
            batch.clear();
            if batch.capacity() > 4 * 1024 * 1024 {
                // A burst should not pin its peak size for the life of the connection.
                batch.shrink_to(64 * 1024);
            }
            let mut st = lock(&self.state);
            st.in_flight = 0;
            self.drained.notify_all();
            if result.is_err() {
                // The peer is gone or the socket was shut down: nothing more can be delivered.
                st.dead = true;
                drop(st);
                self.handle.kill();
                return;
            }
        }
    }
    // ANCHOR_END: write_loop

    // ANCHOR: push
    /// Appends one frame published by another client, unless that would take the outbox past
    /// `limit` bytes (0: no limit), in which case the client is disconnected and counted in
    /// `cut_offs`. Never blocks on the socket.
    fn push_message(self: &Arc<Self>, frame: &Frame<'_>, limit: usize, cut_offs: &AtomicU64) {
        let mut st = lock(&self.state);
        if st.dead || st.closing {
            return;
        }
        if limit > 0 && st.pending() + frame.len() > limit {
            // Redis's hard limit: drop what is queued and close the connection. The shutdown
            // is one non-blocking system call; the client's threads do the rest of the cleanup.
            st.dead = true;
            st.buf = Vec::new();
            st.held = Vec::new();
            self.ready.notify_one();
            self.drained.notify_all();
            drop(st);
            crate::warn!(
                "pubsub",
                "client {} closed: output buffer over the {limit} byte limit",
                self.handle.id
            );
            cut_offs.fetch_add(1, Ordering::Relaxed);
            self.handle.kill();
            return;
        }
        let protocol = st.protocol;
        let target = if st.holding { &mut st.held } else { &mut st.buf };
        frame.encode(protocol, target);
        if st.waiting && !st.holding {
            st.waiting = false;
            drop(st);
            wake_later_or_now(self);
        }
    }
    // ANCHOR_END: push

    /// Holds back messages published from now until the next [`Outbox::reply`]: called by a
    /// subscription command before it registers, so its confirmation comes first.
    pub fn hold(&self) {
        lock(&self.state).holding = true;
    }

    /// Queues the reply to one of the client's own commands (encoded for `protocol`, which also
    /// becomes the protocol of later messages), then releases any held messages behind it.
    /// Waits while the outbox is over [`REPLY_BACKPRESSURE`].
    pub fn reply(&self, reply: &Value, protocol: Protocol) {
        // Wake-ups this thread owes other writers are due before it might wait here.
        wake_deferred();
        let mut st = lock(&self.state);
        while st.pending() > REPLY_BACKPRESSURE && !st.dead {
            st = self.drained.wait(st).unwrap_or_else(|p| p.into_inner());
        }
        if st.dead {
            return;
        }
        st.protocol = protocol;
        encode_reply(reply, protocol, &mut st.buf);
        if st.holding {
            st.holding = false;
            let held = std::mem::take(&mut st.held);
            st.buf.extend_from_slice(&held);
        }
        // Unconditionally: a message this same thread queued may have cleared `waiting` and
        // deferred its wake-up. Notifying a condvar nobody waits on costs an atomic load.
        st.waiting = false;
        self.ready.notify_one();
    }

    /// Stops the outbox when its connection ends: the writer sends what is queued and exits.
    /// A peer that will not take those last bytes within a grace period is cut off.
    pub fn finish(&self) {
        let mut st = lock(&self.state);
        st.closing = true;
        self.ready.notify_one();
        let deadline = Instant::now() + CLOSE_GRACE;
        let started = lock(&self.writer).is_some();
        while started && !st.exited {
            let now = Instant::now();
            if now >= deadline {
                st.dead = true;
                self.handle.kill();
                break;
            }
            st = self
                .drained
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        drop(st);
        if let Some(thread) = lock(&self.writer).take() {
            let _ = thread.join();
        }
    }
}

// ANCHOR: wake_batch
thread_local! {
    /// Outboxes this thread queued messages in whose writer threads still need waking; `None`
    /// when this thread wakes them at once (see [`WakeBatch`]).
    static DEFERRED: RefCell<Option<Vec<Arc<Outbox>>>> = const { RefCell::new(None) };
}

/// Batches the wake-ups of subscribers' writer threads on the current thread.
///
/// Waking a sleeping writer is a system call and a context switch. A publisher that pipelines
/// 100 `PUBLISH`es to 50 subscribers would pay 5,000 of them; with a batch open it pays 50,
/// when its pipeline is drained, and each writer sends 100 messages in one `write`, which is
/// what Redis's event loop does at the end of each iteration. A connection thread opens one for
/// its whole life and calls [`wake_deferred`] whenever its input is drained; dropping the batch
/// wakes whatever is still owed.
pub struct WakeBatch(());

impl WakeBatch {
    /// Starts deferring wake-ups on this thread.
    pub fn start() -> WakeBatch {
        DEFERRED.with(|d| *d.borrow_mut() = Some(Vec::new()));
        WakeBatch(())
    }
}

impl Drop for WakeBatch {
    fn drop(&mut self) {
        wake_deferred();
        DEFERRED.with(|d| *d.borrow_mut() = None);
    }
}

// ANCHOR: delivery
/// The one hook a connection's read loop has into Pub/Sub delivery: [`Delivery::start`] when the
/// connection starts, [`Delivery::before_read`] before every read that may block. Behind it,
/// the wake-ups of the subscribers this thread published to are batched ([`WakeBatch`]).
pub struct Delivery(WakeBatch);

impl Delivery {
    /// Opens this connection thread's batch of wake-ups; dropping it pays what is still owed.
    pub fn start() -> Delivery {
        Delivery(WakeBatch::start())
    }

    /// Wakes the subscriber writers this thread owes: called before the thread may wait for
    /// its client's next bytes, so no message waits on this client's silence.
    pub fn before_read() {
        wake_deferred();
    }
}
// ANCHOR_END: delivery

/// Writes `reply` into `writer`: the frames of a [`multi_reply`] one by one, anything else as
/// one frame.
pub fn write_reply<W: Write>(writer: &mut crate::protocol::resp::Writer<W>, reply: &Value) {
    match frames_of(reply) {
        Some(frames) => frames.iter().for_each(|f| writer.write_value(f)),
        None => writer.write_value(reply),
    }
}

/// Wakes every writer this thread owes a wake-up.
pub fn wake_deferred() {
    let owed = DEFERRED.with(|d| d.borrow_mut().as_mut().map(std::mem::take));
    for outbox in owed.into_iter().flatten() {
        outbox.ready.notify_one();
    }
}

/// Wakes `outbox`'s writer now, or at the end of this thread's batch if one is open.
fn wake_later_or_now(outbox: &Arc<Outbox>) {
    let deferred = DEFERRED.with(|d| match d.borrow_mut().as_mut() {
        Some(owed) => {
            owed.push(outbox.clone());
            true
        }
        None => false,
    });
    if !deferred {
        outbox.ready.notify_one();
    }
}
// ANCHOR_END: wake_batch

/// Encodes a reply: a single value, or the several frames of a [`multi_reply`].
pub fn encode_reply(reply: &Value, protocol: Protocol, out: &mut Vec<u8>) {
    match frames_of(reply) {
        Some(frames) => frames.iter().for_each(|f| f.encode(protocol, out)),
        None => reply.encode(protocol, out),
    }
}

// ANCHOR: multi_reply
/// Several replies to one command, as one `Value`: `SUBSCRIBE a b` answers once per channel.
///
/// They travel as a push whose items are pushes, a shape no single reply ever has (RESP3 push
/// frames are top-level only), and the connection writes each item as its own frame. Inside
/// `EXEC` the shape is written as it is, one array of confirmations in `EXEC`'s reply, where
/// Redis 7 writes them loose (more items than the reply's header counts).
pub fn multi_reply(frames: Vec<Value>) -> Value {
    Value::Push(frames)
}
// ANCHOR_END: multi_reply

/// The frames of a [`multi_reply`], or `None` for an ordinary reply.
pub fn frames_of(reply: &Value) -> Option<&[Value]> {
    match reply {
        Value::Push(items) if matches!(items.first(), Some(Value::Push(_))) => Some(items),
        _ => None,
    }
}

/// A message frame encoded once, in RESP2, and shared by every receiver: RESP3 differs only in
/// its first byte (`>` for `*`), so a RESP3 receiver gets that byte and the same tail.
struct Frame<'a>(&'a [u8]);

impl Frame<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn encode(&self, protocol: Protocol, out: &mut Vec<u8>) {
        match protocol {
            Protocol::Resp3 if self.0.first() == Some(&b'*') => {
                out.push(b'>');
                out.extend_from_slice(&self.0[1..]);
            }
            // RESP2, and monitor lines, which are `+...` status lines in both protocols.
            _ => out.extend_from_slice(self.0),
        }
    }
}

/// Who is subscribed to what.
#[derive(Default)]
struct Subscriptions {
    /// Channel → its subscribers by client id.
    channels: HashMap<Vec<u8>, HashMap<u64, Arc<Outbox>>>,
    /// Pattern → its subscribers by client id.
    patterns: HashMap<Vec<u8>, HashMap<u64, Arc<Outbox>>>,
    /// Client id → the channels and patterns it is subscribed to.
    clients: HashMap<u64, ClientSubs>,
}

#[derive(Default)]
struct ClientSubs {
    channels: HashSet<Vec<u8>>,
    patterns: HashSet<Vec<u8>>,
}

impl ClientSubs {
    fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }
}

/// Whether a (un)subscription is about a channel or a pattern: the two kinds work alike, with
/// different maps and reply words.
#[derive(Clone, Copy)]
enum Kind {
    Channel,
    Pattern,
}

impl Kind {
    fn subscribed(self) -> &'static str {
        match self {
            Kind::Channel => "subscribe",
            Kind::Pattern => "psubscribe",
        }
    }

    fn unsubscribed(self) -> &'static str {
        match self {
            Kind::Channel => "unsubscribe",
            Kind::Pattern => "punsubscribe",
        }
    }
}

impl Subscriptions {
    fn map(&mut self, kind: Kind) -> &mut HashMap<Vec<u8>, HashMap<u64, Arc<Outbox>>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
        }
    }

    /// Removes one subscription; true if it existed.
    fn remove(&mut self, kind: Kind, id: u64, name: &[u8]) -> bool {
        let Some(subs) = self.clients.get_mut(&id) else {
            return false;
        };
        let set = match kind {
            Kind::Channel => &mut subs.channels,
            Kind::Pattern => &mut subs.patterns,
        };
        if !set.remove(name) {
            return false;
        }
        if subs.count() == 0 {
            self.clients.remove(&id);
        }
        let map = self.map(kind);
        if let Some(members) = map.get_mut(name) {
            members.remove(&id);
            // An empty channel disappears, as in Redis: `PUBSUB CHANNELS` lists active ones.
            if members.is_empty() {
                map.remove(name);
            }
        }
        true
    }

    fn count_of(&self, id: u64) -> usize {
        self.clients.get(&id).map_or(0, ClientSubs::count)
    }
}

// ANCHOR: pubsub
/// Channels and patterns with their subscribers; `MONITOR` watchers; the output limit.
pub struct PubSub {
    /// One mutex for all subscriptions: `PUBLISH` holds it while it copies the message into
    /// every receiver's outbox, so all subscribers see all messages in one global order, as
    /// with Redis's single thread. An `RwLock` would let publishers fan out in parallel, at the
    /// price of two publishers' messages reaching two subscribers in different orders.
    subs: Mutex<Subscriptions>,
    /// The outboxes of `MONITOR`ing clients.
    monitors: Mutex<Vec<Arc<Outbox>>>,
    /// `monitors.len()`, readable without the lock: the dispatcher's per-command check.
    monitor_count: AtomicUsize,
    /// The hard output-buffer limit in bytes (0: none).
    output_limit: AtomicUsize,
    /// Clients disconnected for going over the limit, for `INFO`.
    limit_disconnections: AtomicU64,
}
// ANCHOR_END: pubsub

impl Default for PubSub {
    fn default() -> Self {
        PubSub {
            subs: Mutex::default(),
            monitors: Mutex::default(),
            monitor_count: AtomicUsize::new(0),
            output_limit: AtomicUsize::new(DEFAULT_OUTPUT_LIMIT),
            limit_disconnections: AtomicU64::new(0),
        }
    }
}

/// Figures for `INFO` (names as Redis 7.4 prints them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PubSubStats {
    /// `pubsub_channels`: channels with at least one subscriber.
    pub channels: usize,
    /// `pubsub_patterns`: distinct patterns with at least one subscriber.
    pub patterns: usize,
    /// `pubsub_clients`: clients subscribed to at least one channel or pattern.
    pub clients: usize,
    /// Clients in `MONITOR` mode.
    pub monitors: usize,
    /// `client_output_buffer_limit_disconnections`: clients closed for exceeding the limit.
    pub output_limit_disconnections: u64,
}

/// The client's outbox, created on first use. Its writer thread is started by the connection
/// once the current command's reply is known (see `netlayer::connection`).
fn outbox_of(client: &mut ClientContext) -> Arc<Outbox> {
    let protocol = client.protocol;
    let handle = client.handle.clone();
    client
        .outbox
        .get_or_insert_with(|| Arc::new(Outbox::new(handle, protocol)))
        .clone()
}

/// `[kind, name, count]`, the confirmation of one (un)subscription; `name` nil when there was
/// nothing to unsubscribe from.
fn confirmation(word: &'static str, name: Option<&[u8]>, count: usize) -> Value {
    Value::Push(vec![
        Value::bulk(word),
        name.map_or(Value::Null, Value::bulk),
        Value::Integer(count as i64),
    ])
}

impl PubSub {
    fn subs(&self) -> MutexGuard<'_, Subscriptions> {
        lock(&self.subs)
    }

    /// Sets the hard output-buffer limit in bytes (`client-output-buffer-limit pubsub`); 0
    /// means no limit. The same limit covers `MONITOR` clients (Redis gives them the replica
    /// class's). Redis's soft limit (8 MB for 60 s) is not implemented: the hard one is what
    /// bounds memory.
    pub fn set_output_limit(&self, bytes: usize) {
        self.output_limit.store(bytes, Ordering::Relaxed);
    }

    /// Counts a client closed for its output, whatever its class (`INFO stats`'
    /// `client_output_buffer_limit_disconnections`): normal clients that stop reading count too.
    pub fn count_output_limit_disconnection(&self) {
        self.limit_disconnections.fetch_add(1, Ordering::Relaxed);
    }

    /// The hard output-buffer limit in bytes.
    pub fn output_limit(&self) -> usize {
        self.output_limit.load(Ordering::Relaxed)
    }

    /// Figures for `INFO`.
    pub fn stats(&self) -> PubSubStats {
        let subs = self.subs();
        PubSubStats {
            channels: subs.channels.len(),
            patterns: subs.patterns.len(),
            clients: subs.clients.len(),
            monitors: self.monitor_count.load(Ordering::Relaxed),
            output_limit_disconnections: self.limit_disconnections.load(Ordering::Relaxed),
        }
    }

    // ANCHOR: subscribe
    /// `SUBSCRIBE` / `PSUBSCRIBE`: adds each name, answering one confirmation per name with the
    /// client's subscription count after it.
    fn add(&self, client: &mut ClientContext, kind: Kind, names: &[Vec<u8>]) -> Value {
        let outbox = outbox_of(client);
        // Messages published from here on wait behind this command's confirmations.
        outbox.hold();
        let mut subs = self.subs();
        let mut frames = Vec::with_capacity(names.len());
        for name in names {
            let mine = subs.clients.entry(client.id).or_default();
            let set = match kind {
                Kind::Channel => &mut mine.channels,
                Kind::Pattern => &mut mine.patterns,
            };
            if set.insert(name.clone()) {
                subs.map(kind)
                    .entry(name.clone())
                    .or_default()
                    .insert(client.id, outbox.clone());
            }
            frames.push(confirmation(kind.subscribed(), Some(name), subs.count_of(client.id)));
        }
        client.subscriptions = subs.count_of(client.id);
        multi_reply(frames)
    }
    // ANCHOR_END: subscribe

    /// `UNSUBSCRIBE` / `PUNSUBSCRIBE`: removes each name, or every subscription of that kind
    /// when none is given. Unsubscribing from nothing answers `[kind, nil, count]`.
    fn remove(&self, client: &mut ClientContext, kind: Kind, names: &[Vec<u8>]) -> Value {
        let mut subs = self.subs();
        let names: Vec<Vec<u8>> = if names.is_empty() {
            let mut all: Vec<Vec<u8>> = subs
                .clients
                .get(&client.id)
                .map(|c| match kind {
                    Kind::Channel => c.channels.iter().cloned().collect(),
                    Kind::Pattern => c.patterns.iter().cloned().collect(),
                })
                .unwrap_or_default();
            // Redis answers in its hash table's order; sorting makes ours repeatable.
            all.sort();
            all
        } else {
            names.to_vec()
        };
        let word = kind.unsubscribed();
        let frames = if names.is_empty() {
            vec![confirmation(word, None, subs.count_of(client.id))]
        } else {
            names
                .iter()
                .map(|name| {
                    subs.remove(kind, client.id, name);
                    confirmation(word, Some(name), subs.count_of(client.id))
                })
                .collect()
        };
        client.subscriptions = subs.count_of(client.id);
        multi_reply(frames)
    }

    /// `SUBSCRIBE channel...`: one `subscribe` confirmation per channel.
    pub fn subscribe(&self, client: &mut ClientContext, channels: &[Vec<u8>]) -> Value {
        self.add(client, Kind::Channel, channels)
    }

    /// `PSUBSCRIBE pattern...`: one `psubscribe` confirmation per pattern.
    pub fn psubscribe(&self, client: &mut ClientContext, patterns: &[Vec<u8>]) -> Value {
        self.add(client, Kind::Pattern, patterns)
    }

    /// `UNSUBSCRIBE [channel...]`: one `unsubscribe` confirmation per channel (all when none).
    pub fn unsubscribe(&self, client: &mut ClientContext, channels: &[Vec<u8>]) -> Value {
        self.remove(client, Kind::Channel, channels)
    }

    /// `PUNSUBSCRIBE [pattern...]`: one `punsubscribe` confirmation per pattern (all when none).
    pub fn punsubscribe(&self, client: &mut ClientContext, patterns: &[Vec<u8>]) -> Value {
        self.remove(client, Kind::Pattern, patterns)
    }

    /// Drops every subscription of `client` and ends its `MONITOR` mode (`RESET`, disconnect).
    pub fn unsubscribe_all(&self, client: &mut ClientContext) {
        if client.subscriptions > 0 {
            let mut subs = self.subs();
            if let Some(mine) = subs.clients.remove(&client.id) {
                for (kind, names) in [(Kind::Channel, mine.channels), (Kind::Pattern, mine.patterns)] {
                    let map = subs.map(kind);
                    for name in names {
                        if let Some(members) = map.get_mut(&name) {
                            members.remove(&client.id);
                            if members.is_empty() {
                                map.remove(&name);
                            }
                        }
                    }
                }
            }
            client.subscriptions = 0;
        }
        if client.outbox.is_some() && self.monitor_count.load(Ordering::Relaxed) > 0 {
            let mut monitors = lock(&self.monitors);
            monitors.retain(|m| m.handle.id != client.id);
            self.monitor_count.store(monitors.len(), Ordering::Relaxed);
        }
    }

    // ANCHOR: publish
    /// `PUBLISH`: copies the message into the outbox of every subscriber of `channel` and of
    /// every matching pattern; returns how many received it. Never blocks on a socket.
    pub fn publish(&self, channel: &[u8], message: &[u8]) -> usize {
        let limit = self.output_limit();
        let cut_offs = &self.limit_disconnections;
        let mut receivers = 0;
        let subs = self.subs();
        if let Some(members) = subs.channels.get(channel) {
            let frame =
                Value::Array(vec![Value::bulk("message"), Value::bulk(channel), Value::bulk(message)]).to_resp2();
            for outbox in members.values() {
                receivers += 1;
                outbox.push_message(&Frame(&frame), limit, cut_offs);
            }
        }
        for (pattern, members) in &subs.patterns {
            if !glob_match(pattern, channel) {
                continue;
            }
            let frame = Value::Array(vec![
                Value::bulk("pmessage"),
                Value::bulk(pattern),
                Value::bulk(channel),
                Value::bulk(message),
            ])
            .to_resp2();
            for outbox in members.values() {
                receivers += 1;
                outbox.push_message(&Frame(&frame), limit, cut_offs);
            }
        }
        receivers
    }
    // ANCHOR_END: publish

    /// `PUBSUB CHANNELS [pattern]`: active channels, matching `pattern` if given.
    pub fn channels(&self, pattern: Option<&[u8]>) -> Vec<Vec<u8>> {
        let subs = self.subs();
        let mut names: Vec<Vec<u8>> = subs
            .channels
            .keys()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c)))
            .cloned()
            .collect();
        names.sort();
        names
    }

    /// `PUBSUB NUMSUB`: the subscriber count of each channel (patterns not included).
    pub fn numsub(&self, channels: &[Vec<u8>]) -> Vec<usize> {
        let subs = self.subs();
        channels
            .iter()
            .map(|c| subs.channels.get(c).map_or(0, HashMap::len))
            .collect()
    }

    /// `PUBSUB NUMPAT`: distinct patterns subscribed to.
    pub fn numpat(&self) -> usize {
        self.subs().patterns.len()
    }

    /// `MONITOR`: from now on, every command any client runs is copied to this client.
    pub fn monitor(&self, client: &mut ClientContext) -> Value {
        let outbox = outbox_of(client);
        // The feed starts after the `+OK`.
        outbox.hold();
        let mut monitors = lock(&self.monitors);
        if !monitors.iter().any(|m| Arc::ptr_eq(m, &outbox)) {
            monitors.push(outbox);
        }
        self.monitor_count.store(monitors.len(), Ordering::Relaxed);
        Value::OK
    }
}

impl Shared {
    // ANCHOR: monitor_feed
    /// Sends `argv` to every `MONITOR`ing client, as Redis formats it. When nobody monitors,
    /// this is one atomic load.
    pub fn monitor_feed(&self, client: &ClientContext, argv: &[Vec<u8>]) {
        if self.pubsub.monitor_count.load(Ordering::Relaxed) == 0 {
            return;
        }
        // Administrative commands (CONFIG, MONITOR itself, ...) are not shown, as in Redis.
        if self.registry.lookup(&argv[0]).is_some_and(|s| s.has(flags::ADMIN)) {
            return;
        }
        let line = monitor_line(SystemTime::now(), &client.handle.addr.to_string(), argv);
        let limit = self.pubsub.output_limit();
        let monitors = lock(&self.pubsub.monitors);
        for outbox in monitors.iter() {
            outbox.push_message(&Frame(&line), limit, &self.pubsub.limit_disconnections);
        }
    }
    // ANCHOR_END: monitor_feed
}

// ANCHOR: monitor_line
/// One `MONITOR` line: `+1700000000.123456 [0 127.0.0.1:50000] "set" "k" "v"\r\n`, each word
/// quoted as Redis's `sdscatrepr` does, passwords redacted.
pub fn monitor_line(at: SystemTime, addr: &str, argv: &[Vec<u8>]) -> Vec<u8> {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut out = format!("+{}.{:06} [0 {addr}]", since.as_secs(), since.subsec_micros()).into_bytes();
    let name = argv.first().map(|n| n.to_ascii_lowercase()).unwrap_or_default();
    let mut redact_from = usize::MAX;
    for (i, word) in argv.iter().enumerate() {
        // `AUTH` shows none of its arguments; `HELLO` hides the two after its `AUTH` option.
        let redacted = (name == b"auth" && i > 0) || (i >= redact_from && i < redact_from + 2);
        if name == b"hello" && word.eq_ignore_ascii_case(b"auth") {
            redact_from = i + 1;
        }
        out.push(b' ');
        if redacted {
            out.extend_from_slice(b"\"(redacted)\"");
        } else {
            quote(word, &mut out);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}
// ANCHOR_END: monitor_line

/// Redis's `sdscatrepr`: a double-quoted string with C escapes, `\xhh` for unprintable bytes.
fn quote(word: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in word {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            b' '..=b'~' => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::time::Duration;

    #[test]
    fn confirmations_are_arrays_in_resp2_and_pushes_in_resp3() {
        let sub = confirmation("subscribe", Some(b"ch"), 1);
        assert_eq!(sub.to_resp2(), b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
        assert_eq!(sub.to_resp3(), b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
        let none = confirmation("unsubscribe", None, 0);
        assert_eq!(none.to_resp2(), b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
        assert_eq!(none.to_resp3(), b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
    }

    #[test]
    fn a_multi_reply_is_written_as_separate_frames() {
        let reply = multi_reply(vec![
            confirmation("subscribe", Some(b"a"), 1),
            confirmation("subscribe", Some(b"b"), 2),
        ]);
        assert_eq!(frames_of(&reply).map(<[Value]>::len), Some(2));
        let mut out = Vec::new();
        encode_reply(&reply, Protocol::Resp3, &mut out);
        assert_eq!(
            out,
            b">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n>3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
        );
        // Ordinary replies, pushes included, are one frame.
        assert!(frames_of(&Value::OK).is_none());
        assert!(frames_of(&Value::Push(vec![Value::bulk("message")])).is_none());
    }

    #[test]
    fn a_message_frame_is_shared_by_both_protocols() {
        let resp2 = Value::Array(vec![Value::bulk("message"), Value::bulk("c"), Value::bulk("m")]).to_resp2();
        let frame = Frame(&resp2);
        let (mut two, mut three) = (Vec::new(), Vec::new());
        frame.encode(Protocol::Resp2, &mut two);
        frame.encode(Protocol::Resp3, &mut three);
        assert_eq!(two, resp2);
        let push = Value::Push(vec![Value::bulk("message"), Value::bulk("c"), Value::bulk("m")]);
        assert_eq!(three, push.to_resp3());
        // Monitor lines are status lines in both protocols.
        let mut line = Vec::new();
        Frame(b"+1.000000 [0 x] \"a\"\r\n").encode(Protocol::Resp3, &mut line);
        assert_eq!(line, b"+1.000000 [0 x] \"a\"\r\n");
    }

    #[test]
    fn monitor_lines_quote_like_redis_and_hide_passwords() {
        let at = UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456);
        let words = |ws: &[&[u8]]| ws.iter().map(|w| w.to_vec()).collect::<Vec<_>>();
        assert_eq!(
            monitor_line(at, "127.0.0.1:50000", &words(&[b"set", b"k", b"v"])),
            b"+1700000000.123456 [0 127.0.0.1:50000] \"set\" \"k\" \"v\"\r\n"
        );
        assert_eq!(
            monitor_line(at, "a", &words(&[b"SET", b"\x00\x7f\x80\"\\\n\r\t\x07\x08~ "])),
            b"+1700000000.123456 [0 a] \"SET\" \"\\x00\\x7f\\x80\\\"\\\\\\n\\r\\t\\a\\b~ \"\r\n"
        );
        assert_eq!(
            monitor_line(at, "a", &words(&[b"AUTH", b"user", b"pw"])),
            b"+1700000000.123456 [0 a] \"AUTH\" \"(redacted)\" \"(redacted)\"\r\n"
        );
        assert_eq!(
            monitor_line(
                at,
                "a",
                &words(&[b"HELLO", b"3", b"auth", b"u", b"p", b"SETNAME", b"n"])
            ),
            b"+1700000000.123456 [0 a] \"HELLO\" \"3\" \"auth\" \"(redacted)\" \"(redacted)\" \"SETNAME\" \"n\"\r\n"
        );
    }

    /// An outbox over a real loopback connection whose peer never reads.
    fn outbox() -> (Arc<Outbox>, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (ours, _) = listener.accept().unwrap();
        let handle = Arc::new(ClientHandle::new(1, Arc::new(ours)).unwrap());
        (Arc::new(Outbox::new(handle, Protocol::Resp2)), peer)
    }

    #[test]
    fn going_over_the_limit_drops_the_buffer_and_kills_the_client_once() {
        let (outbox, _peer) = outbox();
        let cut_offs = AtomicU64::new(0);
        let frame = vec![b'+'; 100];
        // Without a writer thread nothing drains: the fifth frame would cross 450 bytes.
        for _ in 0..4 {
            outbox.push_message(&Frame(&frame), 450, &cut_offs);
        }
        assert_eq!(outbox.pending(), 400);
        outbox.push_message(&Frame(&frame), 450, &cut_offs);
        assert_eq!(outbox.pending(), 0);
        assert!(outbox.handle.killed.load(Ordering::SeqCst));
        outbox.push_message(&Frame(&frame), 450, &cut_offs);
        assert_eq!(cut_offs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn held_messages_wait_behind_the_reply() {
        let (outbox, _peer) = outbox();
        let cut_offs = AtomicU64::new(0);
        outbox.hold();
        outbox.push_message(&Frame(b"+msg\r\n"), 0, &cut_offs);
        outbox.reply(&Value::simple("reply"), Protocol::Resp2);
        assert_eq!(lock(&outbox.state).buf, b"+reply\r\n+msg\r\n");
    }
}
