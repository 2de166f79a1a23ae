//! The AOF under real crashes: the built server binary, killed with SIGKILL while clients write,
//! while it loads, and while it rewrites; every restart must load and keep what was promised.
//!
//! A SIGKILL ends the process but not the kernel: bytes already handed to `write` survive it
//! even without fsync. What these tests catch is an acknowledged write that was still in the
//! server's memory, and a file left unloadable at any point.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

/// A server process.
struct Proc {
    child: Child,
    addr: SocketAddr,
}

/// Starts the server binary on a free port with the AOF in `dir`; returns once it accepts.
fn spawn(dir: &Path, fsync: &str) -> Proc {
    let mut child = spawn_child(dir, fsync);
    let stderr = child.stderr.take().expect("piped stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut log = String::new();
    let addr = loop {
        let Some(Ok(line)) = lines.next() else {
            panic!("the server exited before it was ready:\n{log}");
        };
        log.push_str(&line);
        log.push('\n');
        if let Some(addr) = line.split("Ready to accept connections tcp on ").nth(1) {
            break addr.trim().parse().expect("address in the ready line");
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Proc { child, addr }
}

fn spawn_child(dir: &Path, fsync: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--port", "0", "--bind", "127.0.0.1", "--appendonly", "yes"])
        .args(["--appendfsync", fsync, "--loglevel", "notice", "--dir"])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the server binary")
}

impl Proc {
    /// `kill -9`.
    fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one command; `None` once the server is gone.
fn try_cmd(stream: &mut BufReader<TcpStream>, args: &[&str]) -> Option<String> {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    stream.get_mut().write_all(&encode(&args)).ok()?;
    let mut line = String::new();
    if stream.read_line(&mut line).ok()? == 0 {
        return None;
    }
    if let Some(n) = line.strip_prefix('$') {
        let n: i64 = n.trim().parse().ok()?;
        if n < 0 {
            return Some(String::new());
        }
        let mut buf = vec![0; n as usize + 2];
        stream.read_exact(&mut buf).ok()?;
        buf.truncate(n as usize);
        return String::from_utf8(buf).ok();
    }
    Some(line.trim_end().to_string())
}

fn connect(addr: SocketAddr) -> BufReader<TcpStream> {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    BufReader::new(s)
}

/// Clients each count up their own key as fast as they can; returns, per client, the instant
/// each value was acknowledged (index n-1 for value n) once the server is killed under them.
fn write_until_killed(p: Proc, clients: usize, run_for: Duration) -> (Vec<Vec<Instant>>, Instant) {
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(Mutex::new(vec![Vec::new(); clients]));
    let threads: Vec<_> = (0..clients)
        .map(|t| {
            let (stop, acks, addr) = (stop.clone(), acks.clone(), p.addr);
            std::thread::spawn(move || {
                let mut c = connect(addr);
                let mut n = 1u64;
                while !stop.load(Ordering::Relaxed) {
                    match try_cmd(&mut c, &["SET", &format!("c{t}"), &n.to_string()]) {
                        Some(r) if r == "+OK" => acks.lock().unwrap()[t].push(Instant::now()),
                        _ => return,
                    }
                    n += 1;
                }
            })
        })
        .collect();
    // Every client has had a write acknowledged (on a loaded machine the first fsyncs can take
    // a while), then the load runs on for `run_for` before the kill.
    let started = wait_until(Duration::from_secs(30), || {
        acks.lock().unwrap().iter().all(|a| !a.is_empty())
    });
    assert!(started, "a client got no reply within 30 s");
    std::thread::sleep(run_for);
    let killed_at = Instant::now();
    p.kill9();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let acks = std::mem::take(&mut *acks.lock().unwrap());
    (acks, killed_at)
}

fn value_of(addr: SocketAddr, key: &str) -> u64 {
    let mut c = connect(addr);
    try_cmd(&mut c, &["GET", key])
        .expect("GET")
        .parse()
        .unwrap_or(0)
}

#[test]
fn appendfsync_always_loses_no_acknowledged_write_under_kill_9() {
    let dir = TempDir::new();
    let (acks, _) = write_until_killed(spawn(&dir.0, "always"), 4, Duration::from_millis(400));
    let p = spawn(&dir.0, "always");
    for (t, acked) in acks.iter().enumerate() {
        let got = value_of(p.addr, &format!("c{t}"));
        let acked = acked.len() as u64;
        eprintln!(
            "always, client {t}: {acked} writes acknowledged before kill -9, {got} found after restart"
        );
        assert!(acked > 0, "client {t} got no reply at all");
        // The write in flight at the kill may or may not have made it; nothing before it may go.
        assert!(
            got == acked || got == acked + 1,
            "client {t}: acknowledged {acked}, replayed {got}"
        );
    }
}

#[test]
fn appendfsync_everysec_loses_at_most_about_a_second_under_kill_9() {
    let dir = TempDir::new();
    let (acks, killed_at) =
        write_until_killed(spawn(&dir.0, "everysec"), 4, Duration::from_millis(400));
    let p = spawn(&dir.0, "everysec");
    for (t, acked) in acks.iter().enumerate() {
        let got = value_of(p.addr, &format!("c{t}")) as usize;
        eprintln!(
            "everysec, client {t}: {} writes acknowledged before kill -9, {got} found after restart",
            acked.len()
        );
        assert!(
            got <= acked.len() + 1,
            "client {t}: replayed {got}, never sent"
        );
        if got < acked.len() {
            // The first lost write was acknowledged within the last second or so.
            let lost_at = acked[got];
            let age = killed_at.duration_since(lost_at);
            assert!(
                age < Duration::from_millis(1500),
                "client {t} lost writes {age:?} old"
            );
        }
    }
}

/// An AOF of `n` SETs, written directly.
fn big_aof(dir: &Path, n: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    for i in 0..n {
        bytes.extend(encode(&[
            b"SET",
            format!("key:{i}").as_bytes(),
            format!("value:{i}").as_bytes(),
        ]));
    }
    std::fs::write(dir.join("appendonly.aof"), &bytes).unwrap();
    bytes
}

#[test]
fn a_kill_9_during_the_load_leaves_the_file_as_it_was() {
    let dir = TempDir::new();
    let original = big_aof(&dir.0, 200_000);
    for delay_ms in [20, 150] {
        let mut child = spawn_child(&dir.0, "everysec");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(
            std::fs::read(dir.0.join("appendonly.aof")).unwrap(),
            original
        );
    }
    let p = spawn(&dir.0, "everysec");
    let mut c = connect(p.addr);
    assert_eq!(try_cmd(&mut c, &["GET", "key:0"]).unwrap(), "value:0");
    assert_eq!(
        try_cmd(&mut c, &["GET", "key:199999"]).unwrap(),
        "value:199999"
    );
}

#[test]
fn a_kill_9_during_a_rewrite_leaves_a_loadable_aof_with_every_write() {
    let dir = TempDir::new();
    big_aof(&dir.0, 50_000);
    let p = spawn(&dir.0, "always");
    let mut c = connect(p.addr);
    assert_eq!(
        try_cmd(&mut c, &["BGREWRITEAOF"]).unwrap(),
        "+Background append only file rewriting started"
    );
    // Acknowledged while the rewrite runs (or just after): must survive whichever file wins.
    for i in 0..50 {
        assert_eq!(
            try_cmd(&mut c, &["SET", &format!("during:{i}"), "x"]).unwrap(),
            "+OK"
        );
    }
    p.kill9();
    let p = spawn(&dir.0, "always");
    let mut c = connect(p.addr);
    assert_eq!(
        try_cmd(&mut c, &["GET", "key:49999"]).unwrap(),
        "value:49999"
    );
    for i in 0..50 {
        assert_eq!(
            try_cmd(&mut c, &["GET", &format!("during:{i}")]).unwrap(),
            "x",
            "during:{i}"
        );
    }
}
