//! One client connection: read commands, dispatch them, write replies.
//!
//! Go original: `internal/netlayer/conn.go` (`HandleConn`). Explained in: book chapter 1.

use std::io::{BufReader, ErrorKind};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::commands::{ClientContext, dispatch};
use crate::protocol::resp::{ProtocolError, Reader, Writer};
use crate::server::{ClientHandle, Shared};

/// Replies buffered past this size are written even if more commands are pending, so a long
/// pipeline of large replies does not pile up in memory.
const FLUSH_THRESHOLD: usize = 64 * 1024;

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
    let authenticated = config.requirepass.is_none();
    let mut client = ClientContext::new(handle, authenticated);
    serve(&shared, &stream, &mut client);
    shared.pubsub.unsubscribe_all(&mut client);
    if !client.watched.is_empty() {
        client.unwatch_all(&mut shared.write_store());
    }
    shared.clients.remove(id);
}
// ANCHOR_END: handle_conn

// ANCHOR: serve
/// The read–dispatch–write loop. `&TcpStream` is both `Read` and `Write`, so the reader and the
/// writer share one descriptor (design invariant 11).
fn serve(shared: &Shared, stream: &TcpStream, client: &mut ClientContext) {
    let mut reader = Reader::new(BufReader::with_capacity(16 * 1024, stream));
    let mut writer = Writer::new(stream);
    loop {
        let argv = match reader.read_command() {
            Ok(Some(argv)) => argv,
            Ok(None) => return, // the client closed the connection
            // The idle `timeout` passed. Subscribers are exempt, as in Redis: they wait for
            // messages and may legitimately send nothing for hours.
            Err(ProtocolError::Io(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if client.subscriptions > 0 {
                    continue;
                }
                crate::verbose!("net", "Closing idle client {}", client.id);
                return;
            }
            Err(e) => {
                // Malformed input: answer with Redis's error, then close (design invariant 9).
                if let Some(reply) = e.reply() {
                    writer.write_value(&reply);
                    let _ = writer.flush();
                }
                return;
            }
        };
        let reply = dispatch(shared, client, &argv);
        // HELLO may have switched the protocol: its own reply is already in the new one.
        writer.protocol = client.protocol;
        writer.write_value(&reply);
        if client.close_after_reply || client.handle.killed.load(Ordering::Relaxed) {
            let _ = writer.flush();
            return;
        }
        // Design invariant 10: keep dispatching while the pipeline has more, write once.
        if (!reader.has_buffered() || writer.buffered() > FLUSH_THRESHOLD) && writer.flush().is_err() {
            return;
        }
    }
}
// ANCHOR_END: serve
