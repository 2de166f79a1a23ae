//! Connections at scale: `maxclients` refuses the one too many with Redis's error, and the
//! accept loop survives running out of file descriptors. The 10,000-client memory figures come
//! from a script (`tests/bench/conns.sh`), not from `cargo test`. Explained in: book chapter
//! "When clients misbehave".

mod common;
use common::*;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

#[test]
fn the_client_past_maxclients_is_refused_with_redis_error() {
    let s = start_with(|c| c.maxclients = 50);
    let mut held: Vec<Client> = (0..50).map(|_| s.client()).collect();
    for c in &mut held {
        c.assert(&["PING"], "+PONG\r\n");
    }
    let mut extra = s.client();
    assert_eq!(
        extra.read_reply(),
        b"-ERR max number of clients reached\r\n"
    );
    assert!(extra.is_closed());
    let stats = String::from_utf8_lossy(&held[0].cmd(&["INFO", "stats"])).into_owned();
    assert!(stats.contains("rejected_connections:1\r\n"), "{stats}");
    // One leaves; its place is free again once its thread has ended.
    drop(held.pop());
    assert!(wait_until(Duration::from_secs(10), || {
        let mut c = s.client();
        c.send(&["PING"]);
        c.try_read_reply().is_some_and(|r| r == b"+PONG\r\n")
    }));
}

/// The server binary, started under a limit of 64 open files, killed when dropped.
struct Limited {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Limited {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ping(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reply = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

#[test]
fn the_accept_loop_survives_running_out_of_file_descriptors() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("prlimit (util-linux) not found: skipped");
        return;
    }
    let dir = TempDir::new();
    // A free port: bind one, note it, let it go (the server binds it a moment later).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let child = Command::new("prlimit")
        .args(["--nofile=64:64", "--"])
        .arg(env!("CARGO_BIN_EXE_server"))
        .args([
            "--port",
            &port.to_string(),
            "--appendonly",
            "no",
            "--loglevel",
            "warning",
        ])
        .arg("--dir")
        .arg(&dir.0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the server under prlimit");
    let mut server = Limited { child, addr };
    assert!(
        wait_until(Duration::from_secs(30), || ping(server.addr)),
        "server did not start"
    );
    let mut keep = TcpStream::connect(addr).unwrap();
    keep.write_all(b"SET canary alive\r\n").unwrap();
    let mut ok = [0u8; 5];
    keep.read_exact(&mut ok).unwrap();
    // 100 connections against 64 descriptors: the kernel completes every handshake (the
    // backlog holds them), the server accepts until `accept` fails with EMFILE, then backs off.
    let flood: Vec<TcpStream> = (0..100)
        .filter_map(|_| TcpStream::connect(addr).ok())
        .collect();
    assert!(flood.len() > 64, "only {} connects succeeded", flood.len());
    // `prlimit` execs the server in its own process: count that process's descriptors until
    // it has used them all and `accept` is failing.
    let fds = format!("/proc/{}/fd", server.child.id());
    assert!(
        wait_until(Duration::from_secs(30), || std::fs::read_dir(&fds)
            .map_or(0, |d| d.count())
            >= 63),
        "the server never ran out of descriptors"
    );
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server exited"
    );
    drop(flood);
    // Once they are gone, descriptors are free and new clients are served again.
    assert!(
        wait_until(Duration::from_secs(30), || ping(server.addr)),
        "not serving again"
    );
    keep.write_all(b"GET canary\r\n").unwrap();
    let mut reply = [0u8; 11];
    keep.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"$5\r\nalive\r\n");
    assert!(server.child.try_wait().unwrap().is_none());
}
