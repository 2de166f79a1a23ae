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
//! drops the buffer and kills the connection ([`ClientHandle::kill`](crate::commands::ClientHandle::kill)): the shutdown wakes both the
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

//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | [`PubSub`]: who is subscribed to what, `SUBSCRIBE`, `PUBLISH` |
//! | [`outbox`] | a subscriber's [`Outbox`] and writer thread, the batched wake-ups, multi-frame replies |
//! | `monitor` | the `MONITOR` feed |
//! | `keyspace` | keyspace notifications: the enabled classes, the channels each event goes to |
//! | `shard` | sharded Pub/Sub: `SPUBLISH` and the shard channels' listings |

mod keyspace;
mod monitor;
pub mod outbox;
mod shard;

pub use monitor::monitor_line;
pub use outbox::{
    Delivery, Outbox, REPLY_BACKPRESSURE, WakeBatch, encode_reply, frames_of, multi_reply,
    wake_deferred, write_reply,
};

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::ClientContext;
use crate::engine::store::glob_match;
use crate::protocol::resp::Value;
use outbox::Frame;

/// Redis's default hard `client-output-buffer-limit` for Pub/Sub clients: 32 MB.
pub const DEFAULT_OUTPUT_LIMIT: usize = 32 * 1024 * 1024;

/// Locks a mutex, recovering from poisoning: every critical section here only appends to or
/// swaps buffers, so the data is consistent even if a thread panicked holding it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Who is subscribed to what.
#[derive(Default)]
struct Subscriptions {
    /// Channel → its subscribers by client id.
    channels: HashMap<Vec<u8>, HashMap<u64, Arc<Outbox>>>,
    /// Pattern → its subscribers by client id.
    patterns: HashMap<Vec<u8>, HashMap<u64, Arc<Outbox>>>,
    /// Shard channel → its subscribers by client id (`SSUBSCRIBE`).
    shards: HashMap<Vec<u8>, HashMap<u64, Arc<Outbox>>>,
    /// Client id → the channels and patterns it is subscribed to.
    clients: HashMap<u64, ClientSubs>,
}

#[derive(Default)]
struct ClientSubs {
    channels: HashSet<Vec<u8>>,
    patterns: HashSet<Vec<u8>>,
    shards: HashSet<Vec<u8>>,
}

impl ClientSubs {
    /// Every subscription of the client, of all three kinds.
    fn count(&self) -> usize {
        self.channels.len() + self.patterns.len() + self.shards.len()
    }

    fn set(&mut self, kind: Kind) -> &mut HashSet<Vec<u8>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shards,
        }
    }
}

/// Whether a (un)subscription is about a channel, a pattern or a shard channel: the kinds work
/// alike, with different maps and reply words.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn subscribed(self) -> &'static str {
        match self {
            Kind::Channel => "subscribe",
            Kind::Pattern => "psubscribe",
            Kind::Shard => "ssubscribe",
        }
    }

    fn unsubscribed(self) -> &'static str {
        match self {
            Kind::Channel => "unsubscribe",
            Kind::Pattern => "punsubscribe",
            Kind::Shard => "sunsubscribe",
        }
    }
}

impl Subscriptions {
    fn map(&mut self, kind: Kind) -> &mut HashMap<Vec<u8>, HashMap<u64, Arc<Outbox>>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shards,
        }
    }

    /// Removes one subscription; true if it existed.
    fn remove(&mut self, kind: Kind, id: u64, name: &[u8]) -> bool {
        let Some(subs) = self.clients.get_mut(&id) else {
            return false;
        };
        if !subs.set(kind).remove(name) {
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

    /// The count a confirmation of `kind` carries: the client's channels and patterns, or its
    /// shard channels alone, as Redis counts them.
    fn count_of(&self, id: u64, kind: Kind) -> usize {
        self.clients.get(&id).map_or(0, |c| match kind {
            Kind::Shard => c.shards.len(),
            _ => c.channels.len() + c.patterns.len(),
        })
    }

    /// Brings `client`'s own view up to date after a change: its count of every subscription
    /// (RESP2's subscribed mode), and the `sub=`, `psub=` and `ssub=` of its `CLIENT LIST` line.
    fn sync(&self, client: &mut ClientContext) {
        let (sub, psub, ssub) = self.clients.get(&client.id).map_or((0, 0, 0), |c| {
            (c.channels.len(), c.patterns.len(), c.shards.len())
        });
        client.subscriptions = sub + psub + ssub;
        let mut st = client.handle.state();
        (st.sub, st.psub, st.ssub) = (sub, psub, ssub);
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
    /// The keyspace notification classes enabled (`notify-keyspace-events`), as
    /// [`KeyspaceEvents`](crate::config::KeyspaceEvents) bits: every write loads it once.
    keyspace_events: AtomicU32,
    /// Every outbox by its client's id, for messages addressed to a client rather than a
    /// channel (client-side caching's invalidations, see `commands::tracking`).
    outboxes: Mutex<HashMap<u64, Arc<Outbox>>>,
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
            keyspace_events: AtomicU32::new(0),
            outboxes: Mutex::default(),
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
    /// `pubsubshard_channels`: shard channels with at least one subscriber.
    pub shard_channels: usize,
    /// `pubsub_clients`: clients subscribed to at least one channel or pattern.
    pub clients: usize,
    /// Clients in `MONITOR` mode.
    pub monitors: usize,
    /// `client_output_buffer_limit_disconnections`: clients closed for exceeding the limit.
    pub output_limit_disconnections: u64,
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

    /// The client's outbox, created on first use. Its writer thread is started by the
    /// connection once the current command's reply is known (see `netlayer::connection`).
    pub fn outbox_of(&self, client: &mut ClientContext) -> Arc<Outbox> {
        let (protocol, handle) = (client.protocol, client.handle.clone());
        let outbox = client
            .outbox
            .get_or_insert_with(|| Arc::new(Outbox::new(handle, protocol)))
            .clone();
        lock(&self.outboxes).insert(client.id, outbox.clone());
        outbox
    }

    /// The outbox of the client `id`, if it has one.
    pub fn outbox_by_id(&self, id: u64) -> Option<Arc<Outbox>> {
        lock(&self.outboxes).get(&id).cloned()
    }

    /// A client disconnected: it leaves its subscriptions and the outboxes' directory.
    pub fn disconnect(&self, client: &mut ClientContext) {
        self.unsubscribe_all(client);
        lock(&self.outboxes).remove(&client.id);
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

    /// Queues `frame` (RESP2 bytes; a RESP3 receiver gets `>` for a leading `*`) for the client
    /// of `outbox`, under the same limit as any message; with `after_reply`, behind the reply of
    /// the command that client is running.
    pub fn deliver(&self, outbox: &Arc<Outbox>, frame: &[u8], after_reply: bool) {
        if after_reply {
            outbox.hold();
        }
        outbox.push_message(
            &Frame(frame),
            self.output_limit(),
            &self.limit_disconnections,
        );
    }

    /// Figures for `INFO`.
    pub fn stats(&self) -> PubSubStats {
        let subs = self.subs();
        PubSubStats {
            channels: subs.channels.len(),
            patterns: subs.patterns.len(),
            shard_channels: subs.shards.len(),
            clients: subs.clients.len(),
            monitors: self.monitor_count.load(Ordering::Relaxed),
            output_limit_disconnections: self.limit_disconnections.load(Ordering::Relaxed),
        }
    }

    // ANCHOR: subscribe
    /// `SUBSCRIBE` / `PSUBSCRIBE` / `SSUBSCRIBE`: adds each name, answering one confirmation per
    /// name with the client's subscription count after it.
    fn add(&self, client: &mut ClientContext, kind: Kind, names: &[Vec<u8>]) -> Value {
        let outbox = self.outbox_of(client);
        // Messages published from here on wait behind this command's confirmations.
        outbox.hold();
        let mut subs = self.subs();
        let mut frames = Vec::with_capacity(names.len());
        for name in names {
            let mine = subs.clients.entry(client.id).or_default();
            if mine.set(kind).insert(name.clone()) {
                subs.map(kind)
                    .entry(name.clone())
                    .or_default()
                    .insert(client.id, outbox.clone());
            }
            let count = subs.count_of(client.id, kind);
            frames.push(confirmation(kind.subscribed(), Some(name), count));
        }
        subs.sync(client);
        multi_reply(frames)
    }
    // ANCHOR_END: subscribe

    /// `UNSUBSCRIBE` / `PUNSUBSCRIBE` / `SUNSUBSCRIBE`: removes each name, or every
    /// subscription of that kind when none is given. Unsubscribing from nothing answers
    /// `[kind, nil, count]`.
    fn remove(&self, client: &mut ClientContext, kind: Kind, names: &[Vec<u8>]) -> Value {
        let mut subs = self.subs();
        let names: Vec<Vec<u8>> = if names.is_empty() {
            let mut all: Vec<Vec<u8>> = subs
                .clients
                .get_mut(&client.id)
                .map(|c| c.set(kind).iter().cloned().collect())
                .unwrap_or_default();
            // Redis answers in its hash table's order; sorting makes ours repeatable.
            all.sort();
            all
        } else {
            names.to_vec()
        };
        let word = kind.unsubscribed();
        let frames = if names.is_empty() {
            vec![confirmation(word, None, subs.count_of(client.id, kind))]
        } else {
            names
                .iter()
                .map(|name| {
                    subs.remove(kind, client.id, name);
                    confirmation(word, Some(name), subs.count_of(client.id, kind))
                })
                .collect()
        };
        subs.sync(client);
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

    /// `SSUBSCRIBE shardchannel...`: one `ssubscribe` confirmation per shard channel, counting
    /// shard channels only.
    pub fn ssubscribe(&self, client: &mut ClientContext, channels: &[Vec<u8>]) -> Value {
        self.add(client, Kind::Shard, channels)
    }

    /// `SUNSUBSCRIBE [shardchannel...]`: one `sunsubscribe` confirmation per shard channel (all
    /// when none).
    pub fn sunsubscribe(&self, client: &mut ClientContext, channels: &[Vec<u8>]) -> Value {
        self.remove(client, Kind::Shard, channels)
    }

    /// Drops every subscription of `client` and ends its `MONITOR` mode (`RESET`, disconnect).
    pub fn unsubscribe_all(&self, client: &mut ClientContext) {
        if client.subscriptions > 0 {
            let mut subs = self.subs();
            if let Some(mine) = subs.clients.remove(&client.id) {
                for (kind, names) in [
                    (Kind::Channel, mine.channels),
                    (Kind::Pattern, mine.patterns),
                    (Kind::Shard, mine.shards),
                ] {
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
            subs.sync(client);
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
        self.publish_to(&self.subs(), channel, message)
    }

    /// [`PubSub::publish`] with the subscriptions already locked (keyspace notifications
    /// publish several messages under one lock).
    fn publish_to(&self, subs: &Subscriptions, channel: &[u8], message: &[u8]) -> usize {
        let limit = self.output_limit();
        let cut_offs = &self.limit_disconnections;
        let mut receivers = 0;
        if let Some(members) = subs.channels.get(channel) {
            let frame = Value::Array(vec![
                Value::bulk("message"),
                Value::bulk(channel),
                Value::bulk(message),
            ])
            .to_resp2();
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
        self.active(Kind::Channel, pattern)
    }

    /// The active channels of `kind`, matching `pattern` if given, sorted (Redis lists them in
    /// its hash table's order; sorting makes ours repeatable).
    fn active(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Vec<u8>> {
        let mut subs = self.subs();
        let mut names: Vec<Vec<u8>> = subs
            .map(kind)
            .keys()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c)))
            .cloned()
            .collect();
        names.sort();
        names
    }

    /// `PUBSUB NUMSUB`: the subscriber count of each channel (patterns not included).
    pub fn numsub(&self, channels: &[Vec<u8>]) -> Vec<usize> {
        self.subscribers(Kind::Channel, channels)
    }

    /// The subscriber count of each channel of `kind`.
    fn subscribers(&self, kind: Kind, channels: &[Vec<u8>]) -> Vec<usize> {
        let mut subs = self.subs();
        let map = subs.map(kind);
        channels
            .iter()
            .map(|c| map.get(c).map_or(0, HashMap::len))
            .collect()
    }

    /// The channels and the patterns the client `id` is subscribed to (the ACL closes a
    /// subscriber whose rights to them were taken away).
    pub fn subscriptions_of(&self, id: u64) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let subs = self.subs();
        subs.clients.get(&id).map_or_else(Default::default, |c| {
            (
                c.channels.iter().cloned().collect(),
                c.patterns.iter().cloned().collect(),
            )
        })
    }

    /// `PUBSUB NUMPAT`: distinct patterns subscribed to.
    pub fn numpat(&self) -> usize {
        self.subs().patterns.len()
    }

    /// `MONITOR`: from now on, every command any client runs is copied to this client.
    pub fn monitor(&self, client: &mut ClientContext) -> Value {
        let outbox = self.outbox_of(client);
        // The feed starts after the `+OK`.
        outbox.hold();
        let mut monitors = lock(&self.monitors);
        if !monitors.iter().any(|m| Arc::ptr_eq(m, &outbox)) {
            monitors.push(outbox);
        }
        self.monitor_count.store(monitors.len(), Ordering::Relaxed);
        client.handle.state().monitor = true;
        Value::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmations_are_arrays_in_resp2_and_pushes_in_resp3() {
        let sub = confirmation("subscribe", Some(b"ch"), 1);
        assert_eq!(
            sub.to_resp2(),
            b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
        );
        assert_eq!(
            sub.to_resp3(),
            b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
        );
        let none = confirmation("unsubscribe", None, 0);
        assert_eq!(
            none.to_resp2(),
            b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
        );
        assert_eq!(none.to_resp3(), b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
    }
}
