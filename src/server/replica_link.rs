//! The replica's side of replication: the `replica-link` thread connects to the master that
//! `REPLICAOF` names, copies its data, then applies its stream, and reconnects when the link
//! drops, continuing where it stopped when the master still has the bytes.
//!
//! Go original: none (go-redis had no replication). Explained in: book chapter "Replication".
//!
// ANCHOR: link_design
//! The handshake, as a Redis replica does it: `PING`, `AUTH` if `masterauth` is set,
//! `REPLCONF listening-port`, `REPLCONF capa eof capa psync2`, then `PSYNC <replid> <offset+1>`:
//! "I have stream `replid` up to `offset`". The master answers `+CONTINUE` (the bytes are in its
//! backlog: they follow) or `+FULLRESYNC <replid> <offset>` and a snapshot, as `$<length>` or,
//! streamed, `$EOF:<mark>` … `<mark>`. The snapshot is loaded into a fresh store, which then
//! takes the place of the old one in one write guard. From then on every command the master
//! sends is run as a client's would be, by the dispatcher, with the flag that lets a master's
//! writes past `replica-read-only`; its bytes count in the offset. A second thread,
//! `replica-ack`, fed by a channel, tells the master that offset once a second, and at once when
//! the master asks (`REPLCONF GETACK`).
// ANCHOR_END: link_design

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};

use crate::commands::{ClientContext, ClientHandle, Shared, dispatch};
use crate::engine::store::{Store, now_ms};
use crate::persistence::rdb;
use crate::protocol::resp::{Reader, Value, encode_command};

/// Longest line of the handshake the master may send.
const MAX_LINE: u64 = 1024;

/// Longest snapshot accepted (Redis's own limit is the memory it has): 64 GB.
const MAX_SNAPSHOT: u64 = 64 << 30;

/// Starts the `replica-link` thread. It idles while this server is a master.
pub fn spawn(shared: Arc<Shared>) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("replica-link".into())
        .spawn(move || run(&shared))
}

fn run(shared: &Shared) {
    while !shared.shutting_down.load(Ordering::Relaxed) {
        let Some((host, port)) = shared.role.master() else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        shared.link.update(|l| l.state = "connecting");
        let result = follow(shared, &host, port);
        shared.link.set_socket(None);
        shared.role.set_link_up(false);
        let was_up = shared.link.get().state == "connected";
        shared.link.update(|l| {
            l.state = "connect";
            l.down_since = Some(Instant::now());
        });
        match result {
            Ok(()) => crate::info!("repl", "Link with master {host}:{port} closed"),
            Err(e) => crate::warn!("repl", "Link with master {host}:{port} failed: {e:#}"),
        }
        // A link that was up is tried again at once, as Redis does: every moment away lets the
        // master's backlog move on past this replica's offset. A master that could not be
        // reached or refused the sync is tried once a second, as Redis's cron does.
        if was_up {
            continue;
        }
        let until = Instant::now() + Duration::from_secs(1);
        while Instant::now() < until && shared.role.master() == Some((host.clone(), port)) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// One link: handshake, sync, stream; returns when the link drops or the role changes.
fn follow(shared: &Shared, host: &str, port: u16) -> anyhow::Result<()> {
    let addr = (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| anyhow!("cannot resolve {host}"))?;
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    let _ = stream.set_nodelay(true);
    shared.link.set_socket(Some(stream.try_clone()?));
    if shared.role.master() != Some((host.to_string(), port)) {
        return Ok(());
    }
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut input = BufReader::with_capacity(64 * 1024, stream.try_clone()?);
    let mut output = stream.try_clone()?;
    handshake(shared, &mut input, &mut output)?;
    let replid = shared.backlog.replid();
    let wanted = shared.backlog.offset() + 1;
    send(
        &mut output,
        &[b"PSYNC", replid.as_bytes(), wanted.to_string().as_bytes()],
    )?;
    // A master waiting to start its snapshot sends newlines to keep the link alive.
    let answer = loop {
        let l = line(&mut input)?;
        if !l.is_empty() {
            break l;
        }
    };
    let words: Vec<&str> = answer.split_whitespace().collect();
    match words.as_slice() {
        ["+FULLRESYNC", id, offset] => {
            let offset: u64 = offset.parse().context("bad offset in +FULLRESYNC")?;
            shared.link.update(|l| {
                l.state = "sync";
                l.stream_db = 0;
            });
            full_sync(shared, &mut input, id, offset)?;
        }
        ["+CONTINUE", rest @ ..] => {
            if let Some(id) = rest.first()
                && *id != replid
            {
                shared.backlog.follow(id, shared.backlog.offset());
            }
            crate::info!("repl", "Partial resynchronization from offset {wanted}");
        }
        _ => bail!("the master refused PSYNC: {answer}"),
    }
    // The master's stream: no read timeout shorter than `repl-timeout` (the master pings every
    // `repl-ping-replica-period` seconds, 10 by default).
    let timeout = shared
        .config()
        .get("repl-timeout")
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    stream.set_read_timeout(Some(Duration::from_secs(timeout)))?;
    shared.role.set_link_up(true);
    shared.link.update(|l| {
        l.state = "connected";
        l.offset = shared.backlog.offset();
        l.last_io = Some(Instant::now());
        l.down_since = None;
    });
    crate::info!(
        "repl",
        "MASTER <-> REPLICA sync: the link with {host}:{port} is up"
    );
    apply_stream(shared, input, output, host, port)
}

// ANCHOR: handshake
fn handshake(
    shared: &Shared,
    input: &mut impl BufRead,
    output: &mut TcpStream,
) -> anyhow::Result<()> {
    send(output, &[b"PING"])?;
    let pong = line(input)?;
    // A master with a password answers the PING with -NOAUTH; AUTH comes next either way.
    if !pong.starts_with("+PONG") && !pong.starts_with("-NOAUTH") && !pong.starts_with("-NOPERM") {
        bail!("the master answered PING with {pong}");
    }
    let config = shared.config();
    if let Some(password) = config.get("masterauth").filter(|p| !p.is_empty()) {
        match config.get("masteruser").filter(|u| !u.is_empty()) {
            Some(user) => send(output, &[b"AUTH", user.as_bytes(), password.as_bytes()])?,
            None => send(output, &[b"AUTH", password.as_bytes()])?,
        }
        let ok = line(input)?;
        if !ok.starts_with("+OK") {
            bail!("the master refused AUTH: {ok}");
        }
    }
    let port = shared.local_addr().port().to_string();
    send(output, &[b"REPLCONF", b"listening-port", port.as_bytes()])?;
    let _ = line(input)?;
    send(output, &[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"])?;
    let _ = line(input)?;
    Ok(())
}
// ANCHOR_END: handshake

// ANCHOR: replica_full_sync
/// Reads the master's snapshot and puts it in place of this server's data.
fn full_sync(
    shared: &Shared,
    input: &mut impl BufRead,
    replid: &str,
    offset: u64,
) -> anyhow::Result<()> {
    let started = Instant::now();
    // Newlines keep the link alive while the master prepares the snapshot.
    let head = loop {
        let l = line(input)?;
        if !l.is_empty() {
            break l;
        }
    };
    let payload = if let Some(mark) = head.strip_prefix("$EOF:") {
        read_until_mark(input, mark.as_bytes())?
    } else {
        let len: u64 = head
            .strip_prefix('$')
            .and_then(|n| n.parse().ok())
            .filter(|&n| n <= MAX_SNAPSHOT)
            .ok_or_else(|| anyhow!("bad snapshot header from the master: {head}"))?;
        let mut payload = Vec::with_capacity(len.min(1 << 20) as usize);
        input.take(len).read_to_end(&mut payload)?;
        if payload.len() as u64 != len {
            bail!("the link dropped in the middle of the snapshot");
        }
        payload
    };
    let mut fresh = Store::with_databases(shared.databases);
    let count = fresh.count();
    let now = now_ms();
    let summary = rdb::load(&payload[..], |k| {
        if k.db >= count {
            return Err(format!("database {} is out of range", k.db));
        }
        let db = fresh.db_mut(k.db);
        db.set(&k.key, k.data, now);
        if let Some(at) = k.deadline_ms {
            db.set_deadline(&k.key, at, now);
        }
        Ok(())
    })
    .map_err(|e| anyhow!("{e}"))?;
    drop(payload);
    let old = {
        let mut store = shared.write_store();
        let old = store.replace_dbs(fresh);
        shared.backlog.follow(replid, offset);
        old
    };
    shared.lazyfree.free(old, summary.total_keys() as u64);
    // The AOF still describes the old data: rewrite it from the new.
    if shared.aof.is_enabled() {
        let _ = shared.aof.start_rewrite();
    }
    crate::info!(
        "repl",
        "MASTER <-> REPLICA sync: loaded {} keys in {:?}",
        summary.total_keys(),
        started.elapsed()
    );
    Ok(())
}
// ANCHOR_END: replica_full_sync

/// Reads a streamed snapshot up to its closing `mark`.
fn read_until_mark(input: &mut impl BufRead, mark: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut payload = Vec::new();
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            bail!("the link dropped in the middle of the snapshot");
        }
        let n = buf.len();
        payload.extend_from_slice(buf);
        input.consume(n);
        if payload.ends_with(mark) {
            payload.truncate(payload.len() - mark.len());
            return Ok(payload);
        }
        if payload.len() as u64 > MAX_SNAPSHOT {
            bail!("the master's snapshot is larger than this replica accepts");
        }
    }
}

// ANCHOR: apply_stream
/// Runs the master's commands as they come, counting their bytes, until the link drops or
/// the role changes.
fn apply_stream(
    shared: &Shared,
    input: BufReader<TcpStream>,
    output: TcpStream,
    host: &str,
    port: u16,
) -> anyhow::Result<()> {
    let applied = Arc::new(AtomicU64::new(shared.backlog.offset()));
    // Each message asks for an acknowledgement of the offset it carries.
    let (ask, asked) = mpsc::channel::<u64>();
    let acker = {
        let applied = applied.clone();
        let mut output = output;
        std::thread::Builder::new()
            .name("replica-ack".into())
            .spawn(move || {
                loop {
                    let offset = match asked.recv_timeout(Duration::from_secs(1)) {
                        Ok(offset) => offset,
                        Err(RecvTimeoutError::Timeout) => applied.load(Ordering::Relaxed),
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                    .to_string();
                    if send(&mut output, &[b"REPLCONF", b"ACK", offset.as_bytes()]).is_err() {
                        return;
                    }
                }
            })?
    };
    // The first acknowledgement goes at once, as Redis's replica sends it: the master learns
    // the offset the sync left this replica at without waiting a second.
    let _ = ask.send(applied.load(Ordering::Relaxed));
    let mut master = ClientContext::new(
        Arc::new(ClientHandle::detached(shared.next_client_id())),
        true,
    );
    master.is_master = true;
    // Where the stream left off: Redis's replica keeps its master's client, database and all,
    // across a partial resync.
    master.db = shared.link.get().stream_db;
    let mut reader = Reader::new(input);
    reader.set_authenticated(true);
    let mut bytes = Vec::new();
    let result = loop {
        if shared.role.master() != Some((host.to_string(), port)) {
            break Ok(());
        }
        let argv = match reader.read_command() {
            Ok(Some(argv)) => argv,
            Ok(None) => break Ok(()),
            Err(e) => break Err(anyhow!("reading the master's stream: {e:?}")),
        };
        bytes.clear();
        encode_command(&argv, &mut bytes);
        let getack = argv.len() >= 2
            && argv[0].eq_ignore_ascii_case(b"REPLCONF")
            && argv[1].eq_ignore_ascii_case(b"GETACK");
        if getack {
            // The offset before this command's own bytes, as Redis's replica answers.
            let _ = ask.send(applied.load(Ordering::Relaxed));
        } else if !argv[0].eq_ignore_ascii_case(b"PING")
            && let Value::Error(e) = dispatch(shared, &mut master, &argv)
        {
            // The master ran it: an error here means the replica is no longer a copy. Redis
            // logs it the same way, and carries on.
            crate::warn!(
                "repl",
                "The master's {} failed on this replica: {e}",
                String::from_utf8_lossy(&argv[0])
            );
        }
        shared.backlog.append_raw(&bytes);
        let offset = applied.fetch_add(bytes.len() as u64, Ordering::Relaxed) + bytes.len() as u64;
        shared.link.update(|l| {
            l.offset = offset;
            l.last_io = Some(Instant::now());
            l.stream_db = master.db;
        });
        reader.recycle(argv);
    };
    drop(ask);
    let _ = acker.join();
    result
}
// ANCHOR_END: apply_stream

/// Writes one command.
fn send(output: &mut impl Write, argv: &[&[u8]]) -> io::Result<()> {
    let mut bytes = Vec::new();
    encode_command(argv, &mut bytes);
    output.write_all(&bytes)
}

/// One line of the handshake, without its CRLF.
fn line(input: &mut impl BufRead) -> anyhow::Result<String> {
    let mut raw = Vec::new();
    input.take(MAX_LINE).read_until(b'\n', &mut raw)?;
    if raw.is_empty() {
        bail!("the master closed the connection");
    }
    while raw.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        raw.pop();
    }
    Ok(String::from_utf8_lossy(&raw).into_owned())
}
