//! The RDB format against real Redis 7.0: `redis-check-rdb` accepts every file we write, a real
//! `redis-server` started on our `dump.rdb` holds exactly our data, and we load exactly what a
//! real `redis-server` saved, in its compact and its plain encodings — both as a format and
//! through the running server (`SAVE`, and loading `dump.rdb` at start-up).
//!
//! Explained in: book "RDB snapshots". Without `redis-server` the tests pass with a
//! note, unless `CI` is set: there a skipped interop test would prove nothing, so they fail.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TempDir, encode};
use rust_redis::engine::store::{Bytes, Data, List, MemberSet, Str, ZSet, now_ms};
use rust_redis::persistence::rdb::{RdbSummary, RdbWriter, load};
use rust_redis::protocol::resp::{Reader, Value};

fn redis_present() -> bool {
    let found = ["redis-server", "redis-check-rdb"].iter().all(|tool| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but redis-server is missing: apt-get install -y redis-server"
        );
        eprintln!("redis-server or redis-check-rdb not installed: skipping the RDB interop tests");
    }
    found
}

/// A RESP connection to a server, ours or Redis's, that reads whole replies as [`Value`]s.
struct Conn {
    stream: TcpStream,
    reader: Reader<BufReader<TcpStream>>,
}

impl Conn {
    fn connect(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let reader = Reader::new(BufReader::new(stream.try_clone().unwrap()));
        Conn { stream, reader }
    }

    fn cmd_bytes(&mut self, args: &[&[u8]]) -> Value {
        self.stream.write_all(&encode(args)).unwrap();
        self.reader.read_value().unwrap().expect("a reply")
    }

    fn cmd(&mut self, args: &[&str]) -> Value {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.cmd_bytes(&args)
    }

    #[track_caller]
    fn ok(&mut self, args: &[&str]) {
        let reply = self.cmd(args);
        assert!(!reply.is_error(), "{args:?}: {reply:?}");
    }

    /// Everything it holds: every key of every database, with its deadline (`PEXPIRETIME`).
    fn keyspace(&mut self) -> Keyspace {
        let mut out = Keyspace::new();
        for db in 0..16 {
            self.ok(&["SELECT", &db.to_string()]);
            for key in bulks(self.cmd(&["KEYS", "*"])) {
                let kind = self.cmd_bytes(&[b"TYPE", &key]);
                let model = match kind {
                    Value::Simple(t) if t == "string" => {
                        Model::Str(bulk(self.cmd_bytes(&[b"GET", &key])))
                    }
                    Value::Simple(t) if t == "list" => {
                        Model::List(bulks(self.cmd_bytes(&[b"LRANGE", &key, b"0", b"-1"])))
                    }
                    Value::Simple(t) if t == "set" => Model::Set(
                        bulks(self.cmd_bytes(&[b"SMEMBERS", &key]))
                            .into_iter()
                            .collect(),
                    ),
                    Value::Simple(t) if t == "hash" => {
                        let flat = bulks(self.cmd_bytes(&[b"HGETALL", &key]));
                        Model::Hash(
                            flat.chunks(2)
                                .map(|p| (p[0].clone(), p[1].clone()))
                                .collect(),
                        )
                    }
                    Value::Simple(t) if t == "zset" => {
                        let flat =
                            bulks(self.cmd_bytes(&[b"ZRANGE", &key, b"0", b"-1", b"WITHSCORES"]));
                        let score =
                            |s: &[u8]| std::str::from_utf8(s).unwrap().parse::<f64>().unwrap();
                        Model::ZSet(
                            flat.chunks(2)
                                .map(|p| (p[0].clone(), score(&p[1])))
                                .collect(),
                        )
                    }
                    other => panic!("unexpected type {other:?}"),
                };
                let deadline = match self.cmd_bytes(&[b"PEXPIRETIME", &key]) {
                    Value::Integer(-1) => None,
                    Value::Integer(at) => Some(at as u64),
                    other => panic!("PEXPIRETIME: {other:?}"),
                };
                out.insert((db, key), (model, deadline));
            }
        }
        self.ok(&["SELECT", "0"]);
        out
    }

    /// Writes `keys` with commands: the same data, whatever encodings the server picks.
    fn put(&mut self, keys: &Keyspace) {
        for ((db, key), (model, deadline)) in keys {
            self.ok(&["SELECT", &db.to_string()]);
            let mut items: Vec<Vec<u8>> = Vec::new();
            let name: &[u8] = match model {
                Model::Stream(_) => continue,
                Model::Str(s) => {
                    self.cmd_bytes(&[b"SET", key, s]);
                    b""
                }
                Model::List(l) => {
                    items.extend(l.iter().cloned());
                    b"RPUSH"
                }
                Model::Set(s) => {
                    items.extend(s.iter().cloned());
                    b"SADD"
                }
                Model::Hash(h) => {
                    items.extend(h.iter().flat_map(|(f, v)| [f.clone(), v.clone()]));
                    b"HSET"
                }
                Model::ZSet(z) => {
                    items.extend(
                        z.iter()
                            .flat_map(|(m, s)| [format!("{s}").into_bytes(), m.clone()]),
                    );
                    b"ZADD"
                }
            };
            // Chunks of an even length keep HSET's and ZADD's pairs whole.
            for chunk in items.chunks(500) {
                let mut args: Vec<&[u8]> = vec![name, key];
                args.extend(chunk.iter().map(|i| i.as_slice()));
                let reply = self.cmd_bytes(&args);
                assert!(!reply.is_error(), "{reply:?}");
            }
            if let Some(at) = deadline {
                self.cmd_bytes(&[b"PEXPIREAT", key, at.to_string().as_bytes()]);
            }
        }
        self.ok(&["SELECT", "0"]);
    }

    /// A numeric setting (`CONFIG GET name`).
    fn config_number(&mut self, name: &str) -> usize {
        let reply = bulks(self.cmd(&["CONFIG", "GET", name]));
        std::str::from_utf8(&reply[1]).unwrap().parse().unwrap()
    }

    /// The directory's `dump.rdb`, freshly saved.
    fn save(&mut self, dir: &Path) -> Vec<u8> {
        self.ok(&["SAVE"]);
        std::fs::read(dir.join("dump.rdb")).unwrap()
    }
}

/// A real `redis-server` of our own: loopback, a port nobody had a moment ago, its own
/// directory, no saving of its own and no AOF. Stopped (killed if need be) when dropped.
struct RealRedis {
    child: Child,
    conn: Conn,
}

impl std::ops::Deref for RealRedis {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl std::ops::DerefMut for RealRedis {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

impl RealRedis {
    /// Starts one in `dir`, where it loads `dump.rdb` if there is one, and waits until it
    /// answers `PING` (it answers `-LOADING` while it loads).
    fn start(dir: &Path, extra: &[&str]) -> RealRedis {
        let log = dir.join("redis.log");
        for _attempt in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut child = Command::new("redis-server")
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .args(["--daemonize", "no", "--dbfilename", "dump.rdb"])
                .arg("--dir")
                .arg(dir)
                .arg("--logfile")
                .arg(&log)
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn redis-server");
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if child.try_wait().unwrap().is_some() {
                    break; // It exited: the port was taken, or it refused the file (see below).
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    let conn = Conn::connect(SocketAddr::from(([127, 0, 0, 1], port)));
                    let mut redis = RealRedis { child, conn };
                    while redis.cmd(&["PING"]) != Value::Simple("PONG".into()) {
                        assert!(Instant::now() < deadline, "redis-server still loading");
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    return redis;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            // A port taken since we looked is worth another try; anything else is the answer.
            assert!(
                text.contains("Address already in use"),
                "redis-server stopped:\n{text}"
            );
        }
        panic!(
            "redis-server did not start: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self
            .conn
            .stream
            .write_all(&encode(&[b"SHUTDOWN", b"NOSAVE"]));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bulk(v: Value) -> Vec<u8> {
    match v {
        Value::Bulk(b) => b,
        other => panic!("expected a bulk string, got {other:?}"),
    }
}

fn bulks(v: Value) -> Vec<Vec<u8>> {
    match v {
        Value::Array(items) | Value::Set(items) => items.into_iter().map(bulk).collect(),
        other => panic!("expected an array, got {other:?}"),
    }
}

/// A value that compares by content: sets and hashes unordered, sorted sets in order.
#[derive(Debug, PartialEq, Clone)]
enum Model {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    ZSet(Vec<(Vec<u8>, f64)>),
    /// Streams are not in the RDB files yet: only their debug text, to say which one it was.
    Stream(String),
}

type Keyspace = BTreeMap<(usize, Vec<u8>), (Model, Option<u64>)>;

fn model(data: &Data) -> Model {
    match data {
        Data::Str(s) => Model::Str(s.to_vec()),
        Data::List(l) => Model::List(l.iter().map(|e| e.to_vec()).collect()),
        Data::Set(s) => Model::Set(s.iter().map(|m| m.to_vec()).collect()),
        Data::Hash(h) => Model::Hash(h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()),
        Data::ZSet(z) => Model::ZSet(z.iter().map(|(m, s)| (m.to_vec(), s)).collect()),
        Data::Stream(s) => Model::Stream(format!("{s:?}")),
    }
}

fn data(model: &Model) -> Data {
    match model {
        Model::Str(s) => Data::Str(Str::from(s.as_slice())),
        Model::Stream(_) => Data::from(rust_redis::engine::store::Stream::new()),
        Model::List(items) => Data::from(items.iter().map(|e| e.as_slice()).collect::<List>()),
        Model::Set(items) => Data::from(
            items
                .iter()
                .map(|m| Bytes::from(m.as_slice()))
                .collect::<MemberSet>(),
        ),
        Model::Hash(pairs) => Data::from(
            pairs
                .iter()
                .map(|(f, v)| (Bytes::from(f.as_slice()), Bytes::from(v.as_slice())))
                .collect::<HashMap<_, _>>(),
        ),
        Model::ZSet(pairs) => {
            let mut z = ZSet::new();
            for (m, s) in pairs {
                z.insert(m, *s);
            }
            Data::from(z)
        }
    }
}

/// Loads `file` with our reader.
fn our_load(file: &[u8]) -> (Keyspace, RdbSummary) {
    let mut keys = Keyspace::new();
    let summary = load(file, |k| {
        let fresh = keys.insert((k.db, k.key.to_vec()), (model(&k.data), k.deadline_ms));
        if fresh.is_some() {
            Err("duplicate key".into())
        } else {
            Ok(())
        }
    })
    .unwrap_or_else(|e| panic!("{e}"));
    (keys, summary)
}

/// Writes `keys` with our writer, database by database.
fn our_write(keys: &Keyspace) -> Vec<u8> {
    let mut w = RdbWriter::new(Vec::new(), &[]).unwrap();
    let dbs: BTreeSet<usize> = keys.keys().map(|(db, _)| *db).collect();
    for db in dbs {
        let in_db: Vec<_> = keys.iter().filter(|((d, _), _)| *d == db).collect();
        let expires = in_db.iter().filter(|(_, (_, t))| t.is_some()).count();
        w.select_db(db, in_db.len(), expires).unwrap();
        for ((_, key), (m, deadline)) in in_db {
            w.entry(key, &data(m), *deadline).unwrap();
        }
    }
    w.finish().unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn words(prefix: &str, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("{prefix}{i}").into_bytes())
        .collect()
}

/// Every type, small and large, in four databases; deadlines an hour and a day away.
fn our_sample() -> Keyspace {
    let now = now_ms();
    let mut k = Keyspace::new();
    let mut put = |db: usize, key: &str, m: Model, ttl: Option<u64>| {
        k.insert((db, key.as_bytes().to_vec()), (m, ttl.map(|t| now + t)));
    };
    let hour = Some(3_600_000);
    put(0, "str", Model::Str(b"hello".to_vec()), None);
    put(0, "int", Model::Str(b"-12345".to_vec()), hour);
    put(0, "big-int", Model::Str(b"12345678901234".to_vec()), None);
    put(0, "empty", Model::Str(Vec::new()), None);
    put(0, "binary", Model::Str(b"\x00\xff\r\n\x01".to_vec()), None);
    put(
        0,
        "long",
        Model::Str(b"0123456789".repeat(20_000)),
        Some(86_400_000),
    );
    let mut mixed = words("item-", 5000);
    mixed.extend((0..500).map(|i: i64| (i * i * 977 - 40_000).to_string().into_bytes()));
    mixed.push(Vec::new());
    mixed.push(vec![b'x'; 30_000]);
    put(
        0,
        "list",
        Model::List(vec![b"a".to_vec(), b"1".to_vec(), Vec::new()]),
        hour,
    );
    put(0, "biglist", Model::List(mixed), None);
    put(
        0,
        "intset",
        Model::Set(words("", 10).into_iter().collect()),
        None,
    );
    put(
        0,
        "set",
        Model::Set(words("member-", 5).into_iter().collect()),
        hour,
    );
    put(
        3,
        "bigset",
        Model::Set(words("", 2000).into_iter().collect()),
        None,
    );
    let pairs = |n: usize, v: &[u8]| {
        words("field-", n)
            .into_iter()
            .map(|f| (f, v.to_vec()))
            .collect()
    };
    put(3, "hash", Model::Hash(pairs(3, b"v")), None);
    put(3, "bighash", Model::Hash(pairs(1000, b"1")), hour);
    put(3, "longvalues", Model::Hash(pairs(4, &[b'v'; 200])), None);
    let scored = |n: usize| {
        words("m", n)
            .into_iter()
            .enumerate()
            .map(|(i, m)| (m, i as f64 * 0.1 - 3.0))
            .collect()
    };
    put(15, "zset", Model::ZSet(scored(5)), None);
    put(15, "bigzset", Model::ZSet(scored(1000)), Some(86_400_000));
    let mut odd = vec![
        (b"-inf".to_vec(), f64::NEG_INFINITY),
        (b"third".to_vec(), 1.0 / 3.0),
        (b"inf".to_vec(), f64::INFINITY),
    ];
    odd.sort_by(|a, b| a.1.total_cmp(&b.1));
    put(15, "odd-scores", Model::ZSet(odd), None);
    put(7, "lonely", Model::Str(b"in database 7".to_vec()), None);
    // Recompute the order Redis reports a sorted set in: (score, member).
    for (m, _) in k.values_mut() {
        if let Model::ZSet(pairs) = m {
            pairs.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        }
    }
    k
}

#[track_caller]
fn assert_same(ours: &Keyspace, theirs: &Keyspace) {
    let a: Vec<_> = ours.keys().collect();
    let b: Vec<_> = theirs.keys().collect();
    assert_eq!(a, b, "the same keys");
    for (key, value) in ours {
        assert!(theirs.get(key) == Some(value), "key {key:?} differs");
    }
}

/// Fills a real Redis with every RDB type it writes: strings in the integer, LZF and raw
/// encodings; lists of one listpack node, of many (LZF-compressed inner ones) and with a plain
/// node; intsets and hash-table sets; listpack and hash-table hashes; listpack and skip-list
/// sorted sets; several databases; deadlines; a function library. Redis must have been started
/// with `--enable-debug-command local`.
fn fill_real(redis: &mut RealRedis) {
    // Strings: integer encodings, LZF (long and compressible), raw (short, or random).
    redis.ok(&["SET", "int8", "-100"]);
    redis.ok(&["SET", "int16", "30000"]);
    redis.ok(&["SET", "int32", "-2000000000"]);
    redis.ok(&["SET", "int64", "9000000000000000000"]);
    redis.ok(&["SET", "lzf", &"abcdefgh".repeat(1000)]);
    let random: Vec<u8> = (0..600).map(|_| rand::random::<u8>()).collect();
    redis.cmd_bytes(&[b"SET", b"random", &random]);
    redis.ok(&["SET", "short", "hello"]);
    redis.ok(&["SET", "empty", ""]);
    redis.ok(&["SET", "ttl", "v", "EX", "100"]);
    // Lists: one listpack node; many nodes, the inner ones LZF-compressed; a plain node.
    redis.ok(&[
        "RPUSH",
        "list",
        "a",
        "1",
        "-300",
        "70000",
        "",
        "9223372036854775807",
    ]);
    redis.ok(&["CONFIG", "SET", "list-compress-depth", "1"]);
    for chunk in words("element-", 5000).chunks(500) {
        let mut args: Vec<&[u8]> = vec![b"RPUSH", b"biglist"];
        args.extend(chunk.iter().map(|e| e.as_slice()));
        redis.cmd_bytes(&args);
    }
    redis.ok(&["PEXPIRE", "biglist", "3600000"]);
    redis.ok(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"]);
    redis.ok(&["RPUSH", "plainlist", "small", &"p".repeat(500), "small-too"]);
    redis.ok(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"]);
    // Sets: intset, a small hash table, a big one of integers (past set-max-intset-entries).
    redis.ok(&[
        "SADD",
        "intset",
        "1",
        "2",
        "3",
        "-4",
        "100000",
        "-5000000000",
    ]);
    redis.ok(&["SADD", "strset", "a", "b", "c"]);
    // Big means past the compact encoding's limit, whatever this build's defaults are.
    let big_set = redis.config_number("set-max-intset-entries") + 100;
    let big_hash = redis.config_number("hash-max-listpack-entries") + 100;
    let big_zset = redis.config_number("zset-max-listpack-entries") + 100;
    let ints = words("", big_set);
    let mut args: Vec<&[u8]> = vec![b"SADD", b"bigset"];
    args.extend(ints.iter().map(|e| e.as_slice()));
    redis.cmd_bytes(&args);
    // Hashes: a listpack, one too long to be one, one with too long a value.
    redis.ok(&["HSET", "hash", "f", "v", "n", "12", "neg", "-7"]);
    let fields = words("field-", big_hash);
    let mut args: Vec<&[u8]> = vec![b"HSET", b"bighash"];
    for f in &fields {
        args.extend([f.as_slice(), b"value"]);
    }
    redis.cmd_bytes(&args);
    redis.ok(&["HSET", "longhash", "f", &"v".repeat(100)]);
    redis.ok(&["PEXPIRE", "hash", "86400000"]);
    // Sorted sets: a listpack and a skip list.
    redis.ok(&[
        "ZADD", "zset", "1", "a", "2.5", "b", "-inf", "c", "+inf", "d", "-3", "e",
    ]);
    let mut args: Vec<Vec<u8>> = vec![b"ZADD".to_vec(), b"bigzset".to_vec()];
    for (i, m) in words("m", big_zset).into_iter().enumerate() {
        args.push(format!("{}", i as f64 / 3.0).into_bytes());
        args.push(m);
    }
    redis.cmd_bytes(&args.iter().map(|a| a.as_slice()).collect::<Vec<_>>());
    // Other databases.
    redis.ok(&["SELECT", "1"]);
    redis.ok(&["SET", "a", "1"]);
    redis.ok(&["SELECT", "9"]);
    redis.ok(&["ZADD", "z9", "1", "x"]);
    redis.ok(&["SELECT", "15"]);
    redis.ok(&["HSET", "h15", "f", "v"]);
    redis.ok(&["EXPIRE", "h15", "7200"]);
    redis.ok(&["SELECT", "0"]);
    // A function library: skipped, and counted.
    redis.ok(&[
        "FUNCTION",
        "LOAD",
        "#!lua name=lib\nredis.register_function('f', function(keys, args) return 1 end)",
    ]);
}

#[test]
fn redis_check_rdb_accepts_every_file_we_write() {
    if !redis_present() {
        return;
    }
    let dir = TempDir::new();
    let mut only_last_db = Keyspace::new();
    only_last_db.insert((15, b"k".to_vec()), (Model::Str(b"v".to_vec()), None));
    for (name, keys) in [
        ("empty", Keyspace::new()),
        ("sample", our_sample()),
        ("last-db", only_last_db),
    ] {
        let path = dir.0.join(format!("{name}.rdb"));
        std::fs::write(&path, our_write(&keys)).unwrap();
        let out = Command::new("redis-check-rdb").arg(&path).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("RDB looks OK"),
            "{name}:\n{text}"
        );
        assert!(
            text.contains(&format!("{} keys read", keys.len())),
            "{name}:\n{text}"
        );
    }
}

#[test]
fn real_redis_loads_our_file_and_holds_exactly_our_data() {
    if !redis_present() {
        return;
    }
    let dir = TempDir::new();
    let ours = our_sample();
    std::fs::write(dir.0.join("dump.rdb"), our_write(&ours)).unwrap();
    let mut redis = RealRedis::start(&dir.0, &[]);
    let theirs = redis.keyspace();
    assert_same(&ours, &theirs);
    // The TTLs as a client sees them, within what this test can have taken.
    let now = now_ms();
    for ((db, key), (_, deadline)) in &ours {
        redis.ok(&["SELECT", &db.to_string()]);
        let pttl = redis.cmd_bytes(&[b"PTTL", key]);
        match (deadline, pttl) {
            (None, Value::Integer(-1)) => {}
            (Some(at), Value::Integer(ms)) => {
                assert!((*at as i64 - now as i64 - ms).abs() < 10_000, "{key:?}")
            }
            (d, other) => panic!("{key:?}: deadline {d:?}, PTTL {other:?}"),
        }
    }
    // And back: Redis saves what it loaded, in its own encodings, and we read the same data.
    let file = redis.save(&dir.0);
    assert_same(&ours, &our_load(&file).0);
}

#[test]
fn we_load_what_real_redis_saved() {
    if !redis_present() {
        return;
    }
    let dir = TempDir::new();
    let mut redis = RealRedis::start(&dir.0, &["--enable-debug-command", "local"]);
    fill_real(&mut redis);

    // The encodings Redis holds them in, so the file has each RDB type we mean to test.
    for (key, encoding) in [
        ("int8", "int"),
        ("lzf", "raw"),
        ("list", "quicklist"),
        ("intset", "intset"),
        ("strset", "hashtable"),
        ("bigset", "hashtable"),
        ("hash", "listpack"),
        ("bighash", "hashtable"),
        ("longhash", "hashtable"),
        ("zset", "listpack"),
        ("bigzset", "skiplist"),
    ] {
        let got = redis.cmd(&["OBJECT", "ENCODING", key]);
        assert_eq!(got, Value::Bulk(encoding.into()), "{key}");
    }

    let theirs = redis.keyspace();
    let file = redis.save(&dir.0);
    let (ours, summary) = our_load(&file);
    assert_same(&theirs, &ours);
    assert_eq!(summary.version, 10);
    assert_eq!(summary.aux_value("redis-ver"), Some(&b"7.0.15"[..]));
    assert_eq!(summary.functions_skipped, 1);
    assert!(summary.checksum.is_some());
    // The long string really was compressed: key "lzf", then LZF's marker 0xc3.
    assert!(contains(&file, b"\x03lzf\xc3"));
    // The list with a long element has three nodes (listpack, plain, listpack), not one.
    assert!(contains(&file, b"\x12\x09plainlist\x03\x02"));

    // With an eviction policy, each key carries an LRU idle time (IDLE) or an LFU counter (FREQ).
    for policy in ["allkeys-lru", "allkeys-lfu"] {
        redis.ok(&["CONFIG", "SET", "maxmemory-policy", policy]);
        let file = redis.save(&dir.0);
        assert_same(&theirs, &our_load(&file).0);
    }

    // A stream is refused, clearly.
    redis.ok(&["XADD", "stream", "*", "a", "1"]);
    let file = redis.save(&dir.0);
    let err = load(&file[..], |_| Ok(())).unwrap_err();
    assert!(
        err.to_string().contains("streams are not supported"),
        "{err}"
    );
}

#[test]
fn our_save_passes_redis_check_rdb_and_real_redis_loads_exactly_our_data() {
    if !redis_present() {
        return;
    }
    let server = common::start_with(|c| c.appendonly = false);
    let mut ours = Conn::connect(server.addr());
    let sample = our_sample();
    ours.put(&sample);
    let expected = ours.keyspace();
    assert_same(&sample, &expected);
    let file = ours.save(&server.dir.0);
    let path = server.dir.0.join("dump.rdb");
    let out = Command::new("redis-check-rdb").arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("RDB looks OK"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{} keys read", expected.len())),
        "{text}"
    );
    // A real redis-server started on our file holds exactly what ours held.
    let dir = TempDir::new();
    std::fs::write(dir.0.join("dump.rdb"), &file).unwrap();
    let mut redis = RealRedis::start(&dir.0, &[]);
    assert_same(&expected, &redis.keyspace());
}

#[test]
fn a_real_dump_in_our_dir_is_loaded_at_our_start_up() {
    if !redis_present() {
        return;
    }
    let real_dir = TempDir::new();
    let mut redis = RealRedis::start(&real_dir.0, &["--enable-debug-command", "local"]);
    fill_real(&mut redis);
    let theirs = redis.keyspace();
    let file = redis.save(&real_dir.0);
    drop(redis);
    let dir = TempDir::new();
    std::fs::write(dir.0.join("dump.rdb"), &file).unwrap();
    let server = common::start_in(dir, |c| c.appendonly = false);
    let mut ours = Conn::connect(server.addr());
    assert_same(&theirs, &ours.keyspace());
    // And it is ours now: it survives our own save and restart.
    ours.ok(&["SAVE"]);
    let dir = server.stop();
    let server = common::start_in(dir, |c| c.appendonly = false);
    assert_same(&theirs, &Conn::connect(server.addr()).keyspace());
}
