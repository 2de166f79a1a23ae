//! Serving a replica: after `SYNC` or `PSYNC`, the connection's thread becomes the replica's
//! feeder: a snapshot (or nothing, for a partial resync), then the replication stream as it
//! grows, while a second thread reads the replica's acknowledgements.
//!
//! Go original: none (go-redis had no replication). Explained in: book chapter "Replication".
//!
// ANCHOR: feeder_design
//! The thread that served the connection carries on as the replica's feeder. It sends bytes
//! from the backlog (`persistence::backlog`) in order, sleeping on the backlog's condition
//! variable when it has sent everything, so a write reaches every replica as soon as its command
//! commits, and the writers never wait for a replica: a slow one only falls behind in the ring,
//! and one that falls out of it is disconnected (it will reconnect and sync in full).
//!
//! A second, scoped thread reads what the replica sends: `REPLCONF ACK <offset>`, which `WAIT`
//! and `INFO` report. It blocks on the socket, so an acknowledgement is recorded the moment it
//! arrives and a `WAIT` answers in a round trip. One thread cannot sleep on the condition
//! variable and on the socket at once: polling the socket between sends would make every
//! `WAIT` wait for the next poll. The two share the one socket (`&TcpStream` reads and writes),
//! and whichever ends first shuts it down, which ends the other.
// ANCHOR_END: feeder_design

use std::io::{self, BufWriter, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::commands::replicas::SyncRequest;
use crate::commands::{ClientContext, Shared};
use crate::engine::store::now_ms;
use crate::persistence::backlog::{Resume, random_id};
use crate::persistence::rdb;

/// Bytes of stream sent per write.
const CHUNK: usize = 64 * 1024;

/// How long the feeder sleeps, with nothing to send, before it looks again at the flags that
/// end it (shutdown, `CLIENT KILL`, the replica gone).
const CHECK_EVERY: Duration = Duration::from_millis(100);

/// Most bytes of acknowledgements kept while a frame is incomplete: a replica that sends more
/// than this without finishing a frame is not a replica.
const MAX_PENDING_INPUT: usize = 16 * 1024;

/// Serves `client`, which asked for `request`, as a replica until it disconnects.
pub fn feed(shared: &Shared, stream: &TcpStream, client: &mut ClientContext, request: SyncRequest) {
    let id = client.id;
    let ip = client.handle.addr.ip().to_string();
    let port = client.replconf.listening_port;
    crate::info!("repl", "Replica {ip}:{port} asks for synchronization");
    shared.replicas.add(id, ip.clone(), port);
    match serve(shared, stream, client, request) {
        Ok(()) => crate::info!("repl", "Connection with replica {ip}:{port} closed"),
        Err(e) => crate::info!("repl", "Connection with replica {ip}:{port} lost: {e}"),
    }
    shared.replicas.remove(id);
}

// ANCHOR: serve_replica
fn serve(
    shared: &Shared,
    stream: &TcpStream,
    client: &mut ClientContext,
    request: SyncRequest,
) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(CHUNK, stream);
    let request_was_psync = matches!(request, SyncRequest::Psync { .. });
    let sent = match request {
        SyncRequest::Psync { replid, offset } if offset > 0 => {
            // Redis counts from 1: offset N asks for the stream from its Nth byte.
            match shared.backlog.resume(&replid, offset as u64 - 1) {
                Resume::From(from) => {
                    crate::info!(
                        "repl",
                        "Partial resynchronization accepted, from offset {offset}"
                    );
                    shared
                        .replicas
                        .sync_partial_ok
                        .fetch_add(1, Ordering::Relaxed);
                    write!(out, "+CONTINUE {}\r\n", shared.backlog.replid())?;
                    from
                }
                Resume::Full => {
                    shared
                        .replicas
                        .sync_partial_err
                        .fetch_add(1, Ordering::Relaxed);
                    full_sync(shared, &mut out, client, true)?
                }
            }
        }
        SyncRequest::Psync { .. } => full_sync(shared, &mut out, client, true)?,
        SyncRequest::Sync => full_sync(shared, &mut out, client, false)?,
    };
    out.flush()?;
    shared.replicas.set_state(client.id, "online");
    // An old `SYNC` replica never acknowledges, so only a `PSYNC` one is timed out, as in Redis.
    let timeout = request_was_psync.then(|| Duration::from_secs(repl_timeout(shared)));
    let (id, gone) = (client.id, AtomicBool::new(false));
    std::thread::scope(|scope| {
        let acks = std::thread::Builder::new()
            .name(format!("replica-acks-{id}"))
            .spawn_scoped(scope, || {
                let result = read_acks(shared, stream, id, timeout);
                gone.store(true, Ordering::Relaxed);
                result
            })?;
        let result = send_stream(shared, &mut out, client, sent, &gone);
        // Ends the reader's blocking read, if the replica did not end it first.
        let _ = stream.shutdown(Shutdown::Both);
        let acks = acks.join().unwrap_or(Ok(()));
        result.and(acks)
    })
}

/// Sends the stream from offset `sent` on, as it grows, until the server shuts down, the client
/// is killed, the acknowledgement reader saw the replica go, or the replica fell out of the ring.
fn send_stream(
    shared: &Shared,
    out: &mut BufWriter<&TcpStream>,
    client: &ClientContext,
    mut sent: u64,
    gone: &AtomicBool,
) -> io::Result<()> {
    loop {
        if shared.shutting_down.load(Ordering::Relaxed)
            || client.handle.killed.load(Ordering::Relaxed)
            || gone.load(Ordering::Relaxed)
        {
            return Ok(());
        }
        let Some(bytes) = shared.backlog.wait_beyond(sent, CHUNK, CHECK_EVERY) else {
            crate::warn!(
                "repl",
                "Replica {} fell out of the backlog: closing its link",
                client.id
            );
            return Ok(());
        };
        if !bytes.is_empty() {
            out.write_all(&bytes)?;
            out.flush()?;
            sent += bytes.len() as u64;
        }
    }
}
// ANCHOR_END: serve_replica

// ANCHOR: full_sync
/// Sends `+FULLRESYNC replid offset` (for `PSYNC`) and a snapshot taken at that offset, and
/// returns the offset the stream continues from. The snapshot and the offset are read under one
/// read guard, so no write falls between them; the file is then written with no lock held.
fn full_sync(
    shared: &Shared,
    out: &mut BufWriter<&TcpStream>,
    client: &ClientContext,
    psync: bool,
) -> io::Result<u64> {
    let started = Instant::now();
    let (snapshot, replid, offset) = {
        let store = shared.read_store();
        shared.backlog.activate();
        let (replid, offset) = shared.backlog.position_for_full_sync();
        (store.snapshot(now_ms()), replid, offset)
    };
    crate::info!(
        "repl",
        "Starting a full sync of {} keys at offset {offset}",
        snapshot.keys()
    );
    shared.replicas.sync_full.fetch_add(1, Ordering::Relaxed);
    if psync {
        write!(out, "+FULLRESYNC {replid} {offset}\r\n")?;
    }
    shared.replicas.set_state(client.id, "send_bulk");
    let offset_text = offset.to_string();
    let aux: [(&str, &[u8]); 2] = [
        ("repl-id", replid.as_bytes()),
        ("repl-offset", offset_text.as_bytes()),
    ];
    if psync && client.replconf.capa_eof {
        // Streamed as it is written: `$EOF:<mark>`, the file, the mark again.
        let mark = random_id();
        write!(out, "$EOF:{mark}\r\n")?;
        let out = rdb::write_snapshot(out, snapshot, &aux)?;
        out.write_all(mark.as_bytes())?;
    } else {
        // The length goes first, so the file is made in memory.
        let file = rdb::write_snapshot(Vec::new(), snapshot, &aux)?;
        write!(out, "${}\r\n", file.len())?;
        out.write_all(&file)?;
    }
    crate::info!(
        "repl",
        "Snapshot sent to the replica in {:?}",
        started.elapsed()
    );
    Ok(offset)
}
// ANCHOR_END: full_sync

/// `repl-timeout`, in seconds: how long a replica may stay silent before it counts as gone.
fn repl_timeout(shared: &Shared) -> u64 {
    let config = shared.config();
    config
        .get("repl-timeout")
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
        .max(1)
}

// ANCHOR: read_acks
/// Reads what the replica sends, blocking, and records its acknowledgements, until it closes
/// the connection, the feeder shuts the socket down, or it is silent for `timeout` (a replica
/// acknowledges once a second, so silence means it is gone without closing).
fn read_acks(
    shared: &Shared,
    mut stream: &TcpStream,
    id: u64,
    timeout: Option<Duration>,
) -> io::Result<()> {
    stream.set_read_timeout(timeout)?;
    let mut input = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => input.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    "no acknowledgement within repl-timeout",
                ));
            }
            Err(e) => return Err(e),
        }
        while let Some((frame, used)) = parse_frame(&input) {
            input.drain(..used);
            if let [name, sub, offset, ..] = &frame[..]
                && name.eq_ignore_ascii_case(b"REPLCONF")
                && sub.eq_ignore_ascii_case(b"ACK")
                && let Some(offset) = std::str::from_utf8(offset)
                    .ok()
                    .and_then(|s| s.parse().ok())
            {
                shared.replicas.ack(id, offset);
            }
        }
        if input.len() > MAX_PENDING_INPUT {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                "the replica sent an oversized frame",
            ));
        }
    }
}
// ANCHOR_END: read_acks

/// One complete `*N` array of bulk strings at the start of `input`, and its length in bytes;
/// `None` while it is incomplete. A line that is not such an array (a bare newline, say) is
/// skipped as an empty frame.
fn parse_frame(input: &[u8]) -> Option<(Vec<Vec<u8>>, usize)> {
    let line = |at: usize| -> Option<(&[u8], usize)> {
        let end = input.get(at..)?.windows(2).position(|w| w == b"\r\n")? + at;
        Some((&input[at..end], end + 2))
    };
    let (head, mut at) = line(0)?;
    let Some(count) = head.strip_prefix(b"*") else {
        return Some((Vec::new(), at));
    };
    let count: usize = std::str::from_utf8(count)
        .ok()?
        .parse()
        .ok()
        .filter(|&n| n <= 16)?;
    let mut frame = Vec::with_capacity(count);
    for _ in 0..count {
        let (len, next) = line(at)?;
        let len: usize = std::str::from_utf8(len.strip_prefix(b"$")?)
            .ok()?
            .parse()
            .ok()?;
        let bytes = input.get(next..next + len)?;
        if input.get(next + len..next + len + 2)? != b"\r\n" {
            return None;
        }
        frame.push(bytes.to_vec());
        at = next + len + 2;
    }
    Some((frame, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_whole_or_not_at_all() {
        let ack = b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$3\r\n123\r\n";
        for cut in 0..ack.len() {
            assert!(parse_frame(&ack[..cut]).is_none(), "cut {cut}");
        }
        let (frame, used) = parse_frame(ack).unwrap();
        assert_eq!(used, ack.len());
        assert_eq!(
            frame,
            vec![b"REPLCONF".to_vec(), b"ACK".to_vec(), b"123".to_vec()]
        );
        assert_eq!(parse_frame(b"\r\n*1"), Some((Vec::new(), 2)));
    }
}
