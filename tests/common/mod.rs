//! Test harness: a real server in-process on `127.0.0.1:0`, and a client that speaks raw RESP.
//!
//! Every integration test starts its own server with its own temporary directory, so tests run
//! in parallel without sharing keys or files.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rust_redis::server::{self, Config, Server};

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty temporary directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates a new unique directory under the system temp dir.
    pub fn new() -> TempDir {
        let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let path = std::env::temp_dir().join(format!(
            "rust-redis-test-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server running in this process, with its own directory.
pub struct TestServer {
    /// The running server (dropped before the directory).
    pub server: Option<Server>,
    /// Its directory (AOF files live here).
    pub dir: TempDir,
}

/// A config for tests: port 0, loopback, its own dir, AOF off unless a test turns it on.
pub fn test_config(dir: &TempDir) -> Config {
    Config {
        port: 0,
        bind: "127.0.0.1".into(),
        dir: dir.0.clone(),
        appendonly: false,
        loglevel: rust_redis::log::Level::Warning,
        ..Config::default()
    }
}

/// Starts a server with the test defaults.
pub fn start() -> TestServer {
    start_with(|_| {})
}

/// Starts a server after `tweak` adjusts the test config.
pub fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
    let dir = TempDir::new();
    let mut config = test_config(&dir);
    tweak(&mut config);
    let server = server::start(config).expect("server starts");
    TestServer {
        server: Some(server),
        dir,
    }
}

/// Starts a server on an existing directory (restart tests).
pub fn start_in(dir: TempDir, tweak: impl FnOnce(&mut Config)) -> TestServer {
    let mut config = test_config(&dir);
    tweak(&mut config);
    let server = server::start(config).expect("server starts");
    TestServer {
        server: Some(server),
        dir,
    }
}

impl TestServer {
    /// The address to connect to.
    pub fn addr(&self) -> SocketAddr {
        self.server.as_ref().expect("running").local_addr()
    }

    /// A new connection.
    pub fn client(&self) -> Client {
        Client::connect(self.addr())
    }

    /// Shuts the server down gracefully and hands back its directory (for restarts).
    pub fn stop(mut self) -> TempDir {
        if let Some(s) = self.server.take() {
            s.shutdown();
        }
        let dir = std::mem::replace(&mut self.dir, TempDir(PathBuf::new()));
        std::mem::forget(self);
        dir
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown();
        }
    }
}

/// Encodes a command as a RESP array of bulk strings.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A raw RESP client: sends bytes, reads exactly one reply's bytes at a time.
pub struct Client {
    /// The socket (for raw writes and shutdowns).
    pub stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    /// Connects, with a generous read timeout so a missing reply fails the test, not hangs it.
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        Client { stream, reader }
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Sends one command without reading the reply.
    pub fn send(&mut self, args: &[&str]) {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.send_raw(&encode(&args));
    }

    /// Sends a command (string words) and returns the raw bytes of its reply.
    pub fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.cmd_bytes(&args)
    }

    /// Sends a command (binary words) and returns the raw bytes of its reply.
    pub fn cmd_bytes(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send_raw(&encode(args));
        self.read_reply()
    }

    /// Sends a command and asserts its reply bytes, shown as text on failure.
    #[track_caller]
    pub fn assert(&mut self, args: &[&str], expected: &str) {
        let got = self.cmd(args);
        assert_eq!(
            String::from_utf8_lossy(&got),
            expected,
            "reply to {:?}",
            args
        );
    }

    /// Reads the bytes of exactly one reply (any RESP2 or RESP3 type).
    pub fn read_reply(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.read_into(&mut out);
        out
    }

    /// Reads one reply, or `None` if the server closed the connection first.
    pub fn try_read_reply(&mut self) -> Option<Vec<u8>> {
        let mut line = Vec::new();
        match self.reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                let mut out = line.clone();
                self.read_rest(&line, &mut out);
                Some(out)
            }
        }
    }

    fn read_into(&mut self, out: &mut Vec<u8>) {
        let mut line = Vec::new();
        let n = self
            .reader
            .read_until(b'\n', &mut line)
            .expect("read reply");
        assert!(n > 0, "server closed the connection");
        out.extend_from_slice(&line);
        self.read_rest(&line, out);
    }

    fn read_rest(&mut self, line: &[u8], out: &mut Vec<u8>) {
        let body = std::str::from_utf8(&line[1..line.len() - 2]).unwrap_or("0");
        match line[0] {
            b'$' | b'=' | b'!' => {
                let n: i64 = body.parse().unwrap();
                if n >= 0 {
                    let mut buf = vec![0; n as usize + 2];
                    self.reader.read_exact(&mut buf).unwrap();
                    out.extend_from_slice(&buf);
                }
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let n: i64 = body.parse().unwrap();
                let items = if matches!(line[0], b'%' | b'|') {
                    n * 2
                } else {
                    n
                };
                for _ in 0..items.max(0) {
                    self.read_into(out);
                }
                // An attribute map comes before the reply it describes: read that too.
                if line[0] == b'|' {
                    self.read_into(out);
                }
            }
            _ => {}
        }
    }

    /// True once the server has closed this connection (reads EOF within the timeout).
    pub fn is_closed(&mut self) -> bool {
        let mut buf = [0u8; 1];
        matches!(self.reader.read(&mut buf), Ok(0) | Err(_))
    }
}

/// Polls `check` until it is true or `timeout` passes; returns whether it became true.
pub fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A RESP bulk string, as text: `bulk("bar")` is `"$3\r\nbar\r\n"`.
pub fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}

/// The elements of a flat aggregate reply of bulk strings (`*3\r\n$1\r\na...`, or a RESP3
/// set), in reply order.
pub fn bulks(reply: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = reply
        .iter()
        .position(|&b| b == b'\n')
        .map_or(reply.len(), |p| p + 1);
    while i < reply.len() {
        assert_eq!(reply[i], b'$', "{:?}", String::from_utf8_lossy(reply));
        let nl = i + reply[i..].iter().position(|&b| b == b'\n').unwrap();
        let n: usize = std::str::from_utf8(&reply[i + 1..nl - 1])
            .unwrap()
            .parse()
            .unwrap();
        out.push(reply[nl + 1..nl + 1 + n].to_vec());
        i = nl + 1 + n + 2;
    }
    out
}

/// A RESP integer, as text.
pub fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

/// `+OK\r\n`.
pub const OK: &str = "+OK\r\n";
/// The nil bulk string.
pub const NIL: &str = "$-1\r\n";
/// Redis's type error.
pub const WRONGTYPE: &str =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
/// Redis's integer parsing error.
pub const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
/// `-ERR syntax error\r\n`.
pub const SYNTAX: &str = "-ERR syntax error\r\n";

/// An error reply, as text: `err("ERR no such key")` is `"-ERR no such key\r\n"`.
pub fn err(text: &str) -> String {
    format!("-{text}\r\n")
}

/// True if this server knows `name`. A classroom exercise's command is missing while a student
/// has taken it out; a test that only uses it in passing leaves it out then, and says so.
pub fn knows(c: &mut Client, name: &str) -> bool {
    let reply = c.cmd(&["COMMAND", "INFO", name]);
    let known = !reply.starts_with(b"-") && reply != b"*1\r\n*-1\r\n" && reply != b"*1\r\n$-1\r\n";
    if !known {
        eprintln!("note: this server has no {name} (an exercise taken out?): left out");
    }
    known
}

/// Stores a one-element list under `key` (for `WRONGTYPE` and `TYPE` checks).
pub fn make_list(s: &TestServer, key: &str) {
    s.client().assert(&["RPUSH", key, "x"], ":1\r\n");
}

/// Asserts the TTL of `key` is `secs`, or one less if the machine stalled for half a second
/// between setting it and asking (TTL rounds to the nearest second).
#[track_caller]
pub fn assert_ttl(c: &mut Client, key: &str, secs: i64) {
    let got = c.cmd(&["TTL", key]);
    assert!(
        got == int(secs).as_bytes() || got == int(secs - 1).as_bytes(),
        "TTL {key}: {}",
        String::from_utf8_lossy(&got)
    );
}

/// True if `redis-server` is installed. If not, the test named by `skipping` says it skipped,
/// and where `CI` is set the test fails instead: there a skipped comparison would prove nothing.
pub fn real_redis_installed(skipping: &str) -> bool {
    let installed = std::process::Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but redis-server is missing: apt-get install -y redis-server"
        );
        eprintln!("redis-server not installed: skipping {skipping}");
    }
    installed
}

/// A real `redis-server` on a loopback port of its own, in a directory of its own, with no
/// persistence; shut down when dropped. For the tests that compare our replies with Redis's.
pub struct RealRedis {
    child: std::process::Child,
    /// Where it listens.
    pub addr: SocketAddr,
    _dir: TempDir,
}

impl RealRedis {
    /// Starts one, or `None` when `redis-server` is not installed (then the test named by
    /// `skipping` says it skipped; where `CI` is set, a missing server is a failure).
    pub fn start(skipping: &str) -> Option<RealRedis> {
        use std::process::{Command, Stdio};
        if !real_redis_installed(skipping) {
            return None;
        }
        let dir = TempDir::new();
        for _attempt in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let mut child = Command::new("redis-server")
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                ])
                .args(["--appendonly", "no", "--daemonize", "no"])
                .arg("--dir")
                .arg(&dir.0)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn redis-server");
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let pid = child.id();
            let up = wait_until(Duration::from_secs(10), || {
                child.try_wait().ok().flatten().is_some() || answers_as(addr, pid)
            });
            if up && child.try_wait().ok().flatten().is_none() {
                return Some(RealRedis {
                    child,
                    addr,
                    _dir: dir,
                });
            }
            // The port was taken since we looked: try another.
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server did not start");
    }
}

/// True if the server at `addr` is the process `pid`: a port found free may be taken by
/// another server (of another test) before ours binds it, and then ours exits while the other
/// answers.
fn answers_as(addr: SocketAddr, pid: u32) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(&encode(&[b"INFO", b"server"])).is_err() {
        return false;
    }
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    let wanted = format!("process_id:{pid}\r\n");
    while let Ok(n) = std::io::Read::read(&mut stream, &mut buf) {
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
        if String::from_utf8_lossy(&reply).contains(&wanted) {
            return true;
        }
        if reply.ends_with(b"\r\n\r\n") {
            break;
        }
    }
    false
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        if let Ok(mut stream) = TcpStream::connect(self.addr) {
            let _ = stream.write_all(&encode(&[b"SHUTDOWN", b"NOSAVE"]));
        }
        let stopped = wait_until(Duration::from_secs(5), || {
            self.child.try_wait().ok().flatten().is_some()
        });
        if !stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
