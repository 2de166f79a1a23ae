//! A subscriber's outbox and its writer thread, the batched wake-ups of those threads, and the
//! replies that are several frames.
//!
//! Go original: none (planned in go-redis). Explained in: book chapter "Pub/Sub".
//!
//! Why an outbox and a writer thread per subscriber, and not publishers writing to sockets: the
//! module comment of [`super`].

use std::cell::RefCell;
use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::lock;
use crate::commands::ClientHandle;
use crate::protocol::resp::{Protocol, Value};

/// While a client's outbox holds more than this, its own connection thread waits before queuing
/// another reply: a client that pipelines commands without reading is slowed down, as a client
/// without an outbox is by its socket, instead of being disconnected.
pub const REPLY_BACKPRESSURE: usize = 1024 * 1024;

/// How long a closing connection waits for its writer thread to send the last replies (`QUIT`'s
/// `+OK`) before cutting the socket.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

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
    pub(crate) fn push_message(
        self: &Arc<Self>,
        frame: &Frame<'_>,
        limit: usize,
        cut_offs: &AtomicU64,
    ) {
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
        let target = if st.holding {
            &mut st.held
        } else {
            &mut st.buf
        };
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

    /// Releases held messages without a reply in front of them: the command's reply is not
    /// sent (`CLIENT REPLY OFF`).
    pub fn release(&self) {
        let mut st = lock(&self.state);
        if st.holding {
            st.holding = false;
            let held = std::mem::take(&mut st.held);
            st.buf.extend_from_slice(&held);
            st.waiting = false;
            self.ready.notify_one();
        }
    }

    /// The protocol this client's frames are encoded in now.
    pub fn protocol(&self) -> Protocol {
        lock(&self.state).protocol
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
/// connection starts, [`Delivery::before_blocking`] before the thread may block. Behind it,
/// the wake-ups of the subscribers this thread published to are batched ([`WakeBatch`]): one per
/// subscriber per pipeline instead of one per message, which the Pub/Sub chapter's exercise
/// measures.
pub struct Delivery(WakeBatch);

impl Delivery {
    /// Opens this connection thread's batch of wake-ups; dropping it pays what is still owed.
    pub fn start() -> Delivery {
        Delivery(WakeBatch::start())
    }

    /// Wakes the subscriber writers this thread owes: called before the thread may block (on
    /// its client's next bytes, in a blocking pop, or handing its socket to a writer thread),
    /// so no message waits on this client's silence.
    pub fn before_blocking() {
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
pub(crate) struct Frame<'a>(pub(crate) &'a [u8]);

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

#[cfg(test)]
mod tests {
    use super::super::confirmation;
    use super::*;
    use std::net::TcpListener;

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
        let resp2 = Value::Array(vec![
            Value::bulk("message"),
            Value::bulk("c"),
            Value::bulk("m"),
        ])
        .to_resp2();
        let frame = Frame(&resp2);
        let (mut two, mut three) = (Vec::new(), Vec::new());
        frame.encode(Protocol::Resp2, &mut two);
        frame.encode(Protocol::Resp3, &mut three);
        assert_eq!(two, resp2);
        let push = Value::Push(vec![
            Value::bulk("message"),
            Value::bulk("c"),
            Value::bulk("m"),
        ]);
        assert_eq!(three, push.to_resp3());
        // Monitor lines are status lines in both protocols.
        let mut line = Vec::new();
        Frame(b"+1.000000 [0 x] \"a\"\r\n").encode(Protocol::Resp3, &mut line);
        assert_eq!(line, b"+1.000000 [0 x] \"a\"\r\n");
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
