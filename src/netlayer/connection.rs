//! One client connection: read commands, dispatch them, write replies.
//!
//! Go original: `internal/netlayer/connection.go` (`HandleConn`). Explained in: book chapter 1.

use std::cell::RefCell;
use std::io::{self, BufReader, ErrorKind, Read};
use std::net::{Shutdown, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::commands::limits::{ConnLimits, NetLimits};
use crate::commands::pubsub::{Delivery, Outbox, write_reply};
use crate::commands::{ClientContext, dispatch};
use crate::commands::{ClientHandle, Shared};
use crate::protocol::resp::{ProtocolError, Reader, Writer};

/// Replies buffered past this size are written even if more commands are pending, so a long
/// pipeline of large replies does not pile up in memory.
const FLUSH_THRESHOLD: usize = 64 * 1024;

/// Each client's read buffer: 4 KB, not Redis's 16 KB. std's `BufReader` zeroes its whole
/// buffer before the first read into it through a plain `Read`, so all of it is resident for as
/// long as the client stays connected: the smaller buffer halves what an idle client costs, and
/// bulk loading does not notice (values larger than the buffer are read straight into their own
/// vector anyway). The Benchmarks chapter measures both ("Memory").
const READ_BUFFER: usize = 4 * 1024;

// ANCHOR: handle_conn
/// Serves one client until it disconnects, sends `QUIT`, breaks the protocol, or is killed.
pub fn handle_conn(shared: Arc<Shared>, stream: TcpStream, id: u64) {
    // Redis sets TCP_NODELAY too: replies are already batched per pipeline, so Nagle's
    // algorithm would only add latency.
    let _ = stream.set_nodelay(true);
    let stream = Arc::new(stream);
    let handle = match ClientHandle::new(id, stream.clone()) {
        Ok(h) => Arc::new(h),
        Err(_) => return, // the peer vanished before we looked at it
    };
    shared.clients.insert(handle.clone());
    let config = shared.config();
    // Idle `timeout`: a blocking read that waits longer fails, and the loop closes the client.
    if config.timeout > 0 {
        let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(config.timeout)));
    }
    // A peer that vanished without a word (a crashed machine, a dropped NAT entry) would
    // leave this thread blocked in `read` for ever; keepalive probes make that read fail.
    if config.tcp_keepalive > 0
        && let Err(e) = crate::sys::set_keepalive(&stream, config.tcp_keepalive)
    {
        crate::verbose!("net", "Cannot set keepalive for client {id}: {e}");
    }
    // With `client-sched-batch yes`, woken by its next request, this thread waits for the
    // running one to block rather than preempting it (see `sys::batch_scheduling`).
    if config.client_sched_batch
        && let Err(e) = crate::sys::batch_scheduling()
    {
        crate::verbose!(
            "net",
            "Cannot set the scheduling policy of client {id}: {e}"
        );
    }
    let authenticated = shared.acl.default_needs_no_password();
    let mut client = ClientContext::new(handle, authenticated);
    // A bug in one handler must cost one connection, not the server: the panic unwinds to
    // here, the client is closed, and every lock it held is released on the way (the store's
    // `RwLock` is then poisoned, which `Shared::write_store` knows to recover from).
    // `AssertUnwindSafe`: after a panic nothing below reads the client's half-updated state
    // except to tear it down.
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| serve(&shared, &stream, &mut client))) {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        crate::warn!(
            "net",
            "Client {id} closed after a panic in its command: {what}"
        );
        let _ = stream.shutdown(Shutdown::Both);
    }
    // Gone from here on for whoever looks (a tracker redirecting here), though still listed.
    client.handle.killed.store(true, Ordering::Relaxed);
    shared.tracking.disable(&mut client);
    shared.pubsub.disconnect(&mut client);
    if let Some(outbox) = client.outbox.take() {
        // Let the writer thread send what is queued (`QUIT`'s `+OK`), then stop it.
        outbox.finish();
    }
    if !client.watched.is_empty() {
        client.unwatch_all(&mut shared.write_store().watch);
    }
    shared.clients.remove(id);
}
// ANCHOR_END: handle_conn

// ANCHOR: serve
/// The read–dispatch–write loop. `&TcpStream` is both `Read` and `Write`, so the reader and the
/// writer share one descriptor (design invariant 11).
///
/// Once the client subscribes or runs `MONITOR`, other threads have messages for it too, so its
/// output moves to an outbox and a writer thread (see `commands::pubsub`): from then on this
/// thread only reads, dispatches and queues its replies there.
fn serve(shared: &Shared, stream: &TcpStream, client: &mut ClientContext) {
    // The writer is shared with the reader's socket adapter, which flushes it whenever the
    // reader is about to wait for more bytes (see `FlushThenRead`).
    let writer = RefCell::new(Writer::new(stream));
    let socket = FlushThenRead {
        stream,
        writer: &writer,
    };
    let mut reader = Reader::new(BufReader::with_capacity(READ_BUFFER, socket));
    let mut limits = Applied::new(shared, stream, &mut reader);
    let mut outbox: Option<Arc<Outbox>> = None;
    // Messages this thread publishes are delivered through one hook (see `Delivery`).
    let _delivery = Delivery::start();
    // Changes made on this thread are this client's, for client-side caching.
    crate::commands::tracking::set_current(client.id);
    loop {
        limits.refresh(stream, &mut reader);
        reader.set_authenticated(client.authenticated);
        let argv = match reader.read_command() {
            Ok(Some(argv)) => argv,
            Ok(None) => return, // the client closed the connection
            Err(e) if keeps_waiting(&e, client) => continue,
            Err(e) => return read_failed(shared, client, e, &outbox, &writer, &limits),
        };
        // Client-side caching's table is kept within its limit before each command, as Redis
        // does; what that tells this client comes before the command's reply.
        if shared.tracking.is_active() {
            shared.tracking.enforce_limit(shared);
        }
        if client.tracking
            && let Some(outbox) = &outbox
        {
            // Invalidations that arrive while the command runs follow its reply, as they would
            // in Redis, where no other client runs meanwhile (see `commands::tracking`).
            outbox.hold();
        }
        let reply = dispatch(shared, client, &argv);
        if let Some(request) = client.sync_request.take() {
            // `SYNC` / `PSYNC`: from here on this connection carries the replication stream.
            if writer.borrow_mut().flush().is_ok() {
                super::replica::feed(shared, stream, client, request);
            }
            return;
        }
        if outbox.is_none() && client.outbox.is_some() {
            let Some(started) = start_outbox(client, &writer) else {
                return;
            };
            outbox = Some(started);
        }
        let send = client.reply_allowed(&reply);
        let closing = client.close_after_reply || client.handle.killed.load(Ordering::Relaxed);
        if closing {
            // Gone from here on for whoever looks (a tracker redirecting here), reply or not.
            client.handle.killed.store(true, Ordering::Relaxed);
        }
        if let Some(outbox) = &outbox {
            if send {
                outbox.reply(&reply, client.protocol);
            } else {
                // Messages held behind this command's reply go anyway (`CLIENT REPLY OFF`).
                outbox.release();
            }
            if closing {
                return;
            }
            continue;
        }
        let mut writer = writer.borrow_mut();
        // HELLO may have switched the protocol: its own reply is already in the new one.
        writer.protocol = client.protocol;
        // `UNSUBSCRIBE a b` before any subscription answers one frame per channel.
        if send {
            write_reply(&mut writer, &reply);
        }
        drop(reply);
        reader.recycle(argv);
        if closing {
            let _ = writer.flush();
            return;
        }
        if over_output_limit(shared, client.id, &writer, &limits) {
            return;
        }
        // Design invariant 10: replies stay buffered while the pipeline has more commands and
        // are written when the reader next needs bytes from the socket; only a large backlog
        // is written early, so a pipeline of huge replies does not pile up in memory.
        if writer.buffered() > FLUSH_THRESHOLD
            && let Err(e) = writer.flush()
        {
            if is_output_stalled(&e) {
                output_stalled(shared, client.id, limits.now.write_timeout);
            }
            return;
        }
    }
}
// ANCHOR_END: serve

/// The limits this connection applies, and the generation they were read at.
struct Applied<'a> {
    net: &'a NetLimits,
    generation: u64,
    now: ConnLimits,
}

impl<'a> Applied<'a> {
    /// Reads the limits in force and applies them to the socket and the reader.
    fn new<R: Read>(
        shared: &'a Shared,
        stream: &TcpStream,
        reader: &mut Reader<BufReader<R>>,
    ) -> Self {
        let net = &shared.stats.net;
        let applied = Applied {
            net,
            generation: net.generation(),
            now: net.current(),
        };
        set_write_timeout(stream, applied.now.write_timeout);
        reader.set_limits(applied.now.reader);
        applied
    }

    /// One atomic load per command; the limits are re-read only after a `CONFIG SET`.
    /// Redis parity: Redis checks the limit in force when the bytes arrive; here a client
    /// already waiting for its next command reads that one under the old limits.
    fn refresh<R: Read>(&mut self, stream: &TcpStream, reader: &mut Reader<BufReader<R>>) {
        if self.net.generation() == self.generation {
            return;
        }
        self.generation = self.net.generation();
        let new = self.net.current();
        if new.write_timeout != self.now.write_timeout {
            set_write_timeout(stream, new.write_timeout);
        }
        self.now = new;
        reader.set_limits(self.now.reader);
    }
}

/// The idle `timeout` passed for a subscriber: it keeps its connection, as in Redis, because
/// subscribers wait for messages and may legitimately send nothing for hours.
fn keeps_waiting(e: &ProtocolError, client: &ClientContext) -> bool {
    client.subscriptions > 0 && matches!(e, ProtocolError::Io(io) if is_idle_timeout(io))
}

/// A read that timed out, not a write inside it (see [`OutputStalled`]).
fn is_idle_timeout(e: &io::Error) -> bool {
    !e.get_ref().is_some_and(|inner| inner.is::<OutputStalled>())
        && matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Ends a connection whose next command could not be read: the client stopped reading its
/// replies, stayed idle past `timeout`, sent too large a request, or broke the protocol.
fn read_failed(
    shared: &Shared,
    client: &ClientContext,
    e: ProtocolError,
    outbox: &Option<Arc<Outbox>>,
    writer: &RefCell<Writer<&TcpStream>>,
    limits: &Applied,
) {
    let net = &shared.stats.net;
    match e {
        ProtocolError::Io(e) if is_idle_timeout(&e) => {
            crate::verbose!("net", "Closing idle client {}", client.id);
        }
        ProtocolError::Io(e) if e.get_ref().is_some_and(|inner| inner.is::<OutputStalled>()) => {
            output_stalled(shared, client.id, limits.now.write_timeout);
        }
        ProtocolError::QueryBufferLimit => {
            // Redis closes such a client without a reply, and logs it.
            net.query_limit_disconnections
                .fetch_add(1, Ordering::Relaxed);
            crate::warn!(
                "net",
                "Closing client {} that reached max query buffer length",
                client.id
            );
        }
        e => {
            // Go parity: in go-redis a malformed frame killed the whole process; here it ends
            // this one connection, after Redis's error reply, and every other client carries on.
            // Malformed input: answer with Redis's error, then close (design invariant 9).
            if let Some(reply) = e.reply() {
                shared.stats.count_error(&reply);
                match outbox {
                    Some(outbox) => outbox.reply(&reply, client.protocol),
                    None => {
                        let mut writer = writer.borrow_mut();
                        writer.write_value(&reply);
                        let _ = writer.flush();
                    }
                }
            }
        }
    }
}

/// The command just run created the client's outbox (`SUBSCRIBE`, `MONITOR`). Replies still
/// buffered here answer earlier commands, so they go to the socket first; then the writer
/// thread takes over. `None`: the socket failed, and the connection ends.
fn start_outbox(
    client: &ClientContext,
    writer: &RefCell<Writer<&TcpStream>>,
) -> Option<Arc<Outbox>> {
    let new = client.outbox.as_ref()?;
    Delivery::before_blocking();
    let socket = client.handle.stream.clone()?;
    if writer.borrow_mut().flush().is_err() || new.start_writer(socket).is_err() {
        return None;
    }
    Some(new.clone())
}

/// The buffer holds at most 64 KB of earlier replies plus this one, so only one huge reply can
/// cross the hard limit; the client loses its connection, not the server its memory
/// (`client-output-buffer-limit normal`).
fn over_output_limit(
    shared: &Shared,
    id: u64,
    writer: &Writer<&TcpStream>,
    limits: &Applied,
) -> bool {
    let over = limits.now.output > 0 && writer.buffered() > limits.now.output;
    if over {
        shared.pubsub.count_output_limit_disconnection();
        crate::warn!(
            "net",
            "Client {id} closed for overcoming of output buffer limits ({} bytes buffered).",
            writer.buffered()
        );
    }
    over
}

// ANCHOR: write_timeout
/// A client that stops reading fills its socket's send buffer, and then this thread blocks in
/// `write`: it stops reading the client's next commands, so the client cannot make the server
/// buffer more (back-pressure, for free). The write timeout bounds how long the thread waits:
/// once the socket has accepted no byte for that long, the client is closed. (Any byte the
/// kernel accepts restarts the clock, and it keeps accepting a little for a few seconds while
/// it grows the send buffer, so the close comes somewhat later than the timeout.)
fn set_write_timeout(stream: &TcpStream, seconds: u64) {
    let _ = stream.set_write_timeout((seconds > 0).then(|| Duration::from_secs(seconds)));
}

/// True for a write that failed because the write timeout passed (the socket reports a
/// timed-out blocking call as `WouldBlock`).
fn is_output_stalled(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Closes a client that stopped reading, counting it with the output-limit disconnections.
fn output_stalled(shared: &Shared, id: u64, seconds: u64) {
    shared.pubsub.count_output_limit_disconnection();
    crate::warn!(
        "net",
        "Client {id} closed: it read none of its replies for {seconds} s"
    );
}

/// Marks a failed *write* inside a read, so the loop does not take it for the idle `timeout`
/// (a timed-out read and a timed-out write both surface as `WouldBlock`).
#[derive(Debug)]
struct OutputStalled;

impl std::fmt::Display for OutputStalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the client reads none of its replies")
    }
}

impl std::error::Error for OutputStalled {}
// ANCHOR_END: write_timeout

// ANCHOR: flush_then_read
/// The socket's read side. Before every read that may block it writes the replies buffered so
/// far and pays this thread's owed subscriber wake-ups: the server never waits for input while
/// holding output. A pipeline already in the buffer is answered with one `write`; a command whose
/// second half is still in flight does not hold back the replies to the commands before it.
struct FlushThenRead<'a> {
    stream: &'a TcpStream,
    writer: &'a RefCell<Writer<&'a TcpStream>>,
}

impl Read for FlushThenRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Delivery::before_blocking();
        if let Err(e) = self.writer.borrow_mut().flush() {
            return Err(match e.kind() {
                ErrorKind::WouldBlock | ErrorKind::TimedOut => io::Error::other(OutputStalled),
                _ => e,
            });
        }
        self.stream.read(buf)
    }
}
// ANCHOR_END: flush_then_read
