//! The RDB format against real Redis 7.0: `redis-check-rdb` accepts every file we write, a real
//! `redis-server` started on our `dump.rdb` holds exactly our data, and we load exactly what a
//! real `redis-server` saved, in its compact and its plain encodings — both as a format and
//! through the running server (`SAVE`, and loading `dump.rdb` at start-up); and `DUMP` payloads
//! of every type restore both ways.
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
use rust_redis::engine::store::stream::{Group, NodeLimits, StreamId};
use rust_redis::engine::store::{Bytes, Data, List, MemberSet, Str, Stream, ZSet, now_ms};
use rust_redis::persistence::rdb::{RDB_VERSION, RdbSummary, RdbWriter, encode_value, load};
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
        // A probe that found the port open may have met something else (a port just freed, a
        // socket connected to itself): give the server a moment to be the one listening.
        let deadline = Instant::now() + Duration::from_secs(5);
        let stream = loop {
            match TcpStream::connect(addr) {
                Ok(stream) => break stream,
                Err(e) if Instant::now() > deadline => panic!("connect {addr}: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
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
                    Value::Simple(t) if t == "stream" => Model::Stream(xinfo_model(
                        self.cmd_bytes(&[b"XINFO", b"STREAM", &key, b"FULL", b"COUNT", b"0"]),
                    )),
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
                Model::Stream(_) => {
                    // No command sets a consumer's seen time: the stream comes whole, as a
                    // payload.
                    let reply = self.cmd_bytes(&[b"RESTORE", key, b"0", &payload(&data(model))]);
                    assert!(!reply.is_error(), "{reply:?}");
                    b""
                }
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
    Stream(StreamModel),
}

/// A stream as `XINFO STREAM key FULL COUNT 0` shows it, less the figures of the radix tree
/// (Redis's inner nodes are not ours): every entry, counter, group, pending entry and consumer.
#[derive(Debug, PartialEq, Clone, Default)]
struct StreamModel {
    entries: Vec<(String, Vec<Vec<u8>>)>,
    last_id: String,
    max_deleted_id: String,
    entries_added: i64,
    first_id: String,
    groups: Vec<GroupModel>,
}

#[derive(Debug, PartialEq, Clone, Default)]
struct GroupModel {
    name: Vec<u8>,
    last_id: String,
    entries_read: Option<i64>,
    lag: Option<i64>,
    /// ID, consumer, delivery time, deliveries.
    pending: Vec<(String, Vec<u8>, i64, i64)>,
    consumers: Vec<ConsumerModel>,
}

/// A consumer: its name, its seen time, its pending entries (ID, delivery time, deliveries).
type ConsumerModel = (Vec<u8>, i64, Vec<(String, i64, i64)>);

/// The fields of a map reply, by name: a RESP2 flat array or a RESP3 map.
fn fields(v: Value) -> BTreeMap<String, Value> {
    let pairs: Vec<(Value, Value)> = match v {
        Value::Map(pairs) => pairs,
        Value::Array(flat) => {
            let mut it = flat.into_iter();
            std::iter::from_fn(|| Some((it.next()?, it.next()?))).collect()
        }
        other => panic!("expected a map, got {other:?}"),
    };
    pairs
        .into_iter()
        .map(|(k, v)| (String::from_utf8(bulk(k)).unwrap(), v))
        .collect()
}

fn int(v: Value) -> i64 {
    match v {
        Value::Integer(n) => n,
        other => panic!("expected an integer, got {other:?}"),
    }
}

fn text(v: Value) -> String {
    String::from_utf8(bulk(v)).unwrap()
}

fn array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        other => panic!("expected an array, got {other:?}"),
    }
}

fn maybe_int(v: Value) -> Option<i64> {
    match v {
        Value::Null | Value::NullArray => None,
        v => Some(int(v)),
    }
}

/// A stream from its `XINFO STREAM ... FULL COUNT 0`.
fn xinfo_model(reply: Value) -> StreamModel {
    let mut f = fields(reply);
    let mut take = |name: &str| f.remove(name).unwrap_or_else(|| panic!("no {name}"));
    let entries = array(take("entries"))
        .into_iter()
        .map(|e| {
            let mut e = array(e).into_iter();
            (text(e.next().unwrap()), bulks(e.next().unwrap()))
        })
        .collect();
    let groups = array(take("groups"))
        .into_iter()
        .map(|g| {
            let mut g = fields(g);
            let mut take = |name: &str| g.remove(name).unwrap_or_else(|| panic!("no {name}"));
            let pending = array(take("pending"))
                .into_iter()
                .map(|p| {
                    let mut p = array(p).into_iter();
                    let mut next = || p.next().unwrap();
                    (text(next()), bulk(next()), int(next()), int(next()))
                })
                .collect();
            let consumers = array(take("consumers"))
                .into_iter()
                .map(|c| {
                    let mut c = fields(c);
                    let mut take = |name: &str| c.remove(name).unwrap();
                    let own = array(take("pending"))
                        .into_iter()
                        .map(|p| {
                            let mut p = array(p).into_iter();
                            let mut next = || p.next().unwrap();
                            (text(next()), int(next()), int(next()))
                        })
                        .collect();
                    (bulk(take("name")), int(take("seen-time")), own)
                })
                .collect();
            GroupModel {
                name: bulk(take("name")),
                last_id: text(take("last-delivered-id")),
                entries_read: maybe_int(take("entries-read")),
                lag: maybe_int(take("lag")),
                pending,
                consumers,
            }
        })
        .collect();
    StreamModel {
        entries,
        last_id: text(take("last-generated-id")),
        max_deleted_id: text(take("max-deleted-entry-id")),
        entries_added: int(take("entries-added")),
        first_id: text(take("recorded-first-entry-id")),
        groups,
    }
}

/// The model of a stream of ours, as `XINFO` would show it.
fn stream_model(s: &Stream) -> StreamModel {
    let groups = s
        .groups
        .iter()
        .map(|(name, g)| GroupModel {
            name: name.to_vec(),
            last_id: g.last_id.to_string(),
            entries_read: (g.entries_read != -1).then_some(g.entries_read),
            lag: s.lag(g),
            pending: g
                .pending
                .iter()
                .map(|(id, p)| {
                    let (time, count) = (p.delivery_time as i64, p.delivery_count as i64);
                    (id.to_string(), p.consumer.to_vec(), time, count)
                })
                .collect(),
            consumers: g
                .consumers
                .iter()
                .map(|(cname, c)| {
                    let own = c
                        .pending
                        .iter()
                        .map(|id| {
                            let p = &g.pending[id];
                            let (time, count) = (p.delivery_time as i64, p.delivery_count as i64);
                            (id.to_string(), time, count)
                        })
                        .collect();
                    (cname.to_vec(), c.seen_time as i64, own)
                })
                .collect(),
        })
        .collect();
    StreamModel {
        entries: s
            .iter()
            .map(|e| (e.id.to_string(), e.elements().map(|x| x.to_vec()).collect()))
            .collect(),
        last_id: s.last_id.to_string(),
        max_deleted_id: s.max_deleted_id.to_string(),
        entries_added: s.entries_added as i64,
        first_id: s.first_id().to_string(),
        groups,
    }
}

fn parse_id(id: &str) -> StreamId {
    StreamId::parse(id.as_bytes(), 0).unwrap()
}

/// The stream a model describes.
fn stream_of(m: &StreamModel) -> Stream {
    let mut s = Stream::new();
    for (id, elements) in &m.entries {
        s.append(parse_id(id), elements, NodeLimits::default());
    }
    s.last_id = parse_id(&m.last_id);
    s.max_deleted_id = parse_id(&m.max_deleted_id);
    s.entries_added = m.entries_added as u64;
    for gm in &m.groups {
        let mut g = Group::new(parse_id(&gm.last_id), gm.entries_read.unwrap_or(-1));
        for (name, seen, _) in &gm.consumers {
            g.consumer(name, *seen as u64);
        }
        for (id, owner, time, count) in &gm.pending {
            g.assign(parse_id(id), owner, *time as u64, *count as u64);
        }
        s.groups.insert(Bytes::from(gm.name.as_slice()), g);
    }
    s
}

/// A `DUMP` payload of `data`, framed here by hand: the RDB encoding, the version, the CRC-64.
fn payload(data: &Data) -> Vec<u8> {
    let mut p = encode_value(data);
    p.extend((RDB_VERSION as u16).to_le_bytes());
    let sum = rust_redis::persistence::rdb::crc64::crc64(&p);
    p.extend(sum.to_le_bytes());
    p
}

type Keyspace = BTreeMap<(usize, Vec<u8>), (Model, Option<u64>)>;

fn model(data: &Data) -> Model {
    match data {
        Data::Str(s) => Model::Str(s.to_vec()),
        Data::List(l) => Model::List(l.iter().map(|e| e.to_vec()).collect()),
        Data::Set(s) => Model::Set(s.iter().map(|m| m.to_vec()).collect()),
        Data::Hash(h) => Model::Hash(h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()),
        Data::ZSet(z) => Model::ZSet(z.iter().map(|(m, s)| (m.to_vec(), s)).collect()),
        Data::Stream(s) => Model::Stream(stream_model(s)),
    }
}

fn data(model: &Model) -> Data {
    match model {
        Model::Str(s) => Data::Str(Str::from(s.as_slice())),
        Model::Stream(m) => Data::from(stream_of(m)),
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
    for (db, key, stream, ttl) in sample_streams(now) {
        put(db, key, Model::Stream(stream_model(&stream)), ttl);
    }
    // Recompute the order Redis reports a sorted set in: (score, member).
    for (m, _) in k.values_mut() {
        if let Model::ZSet(pairs) = m {
            pairs.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        }
    }
    k
}

/// Streams of every shape: several nodes; entries of one to four fields; deleted entries; a
/// group with pending entries (one of them of a deleted entry) and consumers with and without;
/// a group that has read nothing; one entry of a 100 KB value; an empty stream that keeps its
/// group and counters.
fn sample_streams(now: u64) -> Vec<(usize, &'static str, Stream, Option<u64>)> {
    let id = |i: u64| StreamId::new(1_700_000_000_000 + i / 3, i % 3);
    let mut s = Stream::new();
    for i in 1..=250u64 {
        let elements: Vec<Vec<u8>> = (0..i % 4 + 1)
            .flat_map(|f| [format!("field-{f}"), (i * 1000 + f).to_string()])
            .map(String::into_bytes)
            .collect();
        s.append(id(i), &elements, NodeLimits::default());
    }
    for i in [1, 100, 101, 200] {
        assert!(s.remove(id(i)));
    }
    s.max_deleted_id = id(200);
    let mut g = Group::new(id(120), 116);
    g.consumer(b"alice", now - 5_000);
    g.consumer(b"bob", now - 1_000);
    g.consumer(b"carol", now);
    for (n, i) in [5u64, 6, 7, 100].into_iter().enumerate() {
        g.assign(id(i), b"alice", now - 4_000 + n as u64, n as u64 + 1);
    }
    g.assign(id(50), b"bob", now - 900, 7);
    s.groups.insert(Bytes::from(&b"workers"[..]), g);
    s.groups
        .insert(Bytes::from(&b"late"[..]), Group::new(id(250), 250));
    s.groups
        .insert(Bytes::from(&b"unknown"[..]), Group::new(id(150), -1));

    let mut big = Stream::new();
    big.append(
        StreamId::new(7, 7),
        &[&b"blob"[..], vec![b'b'; 100_000].as_slice()],
        NodeLimits::default(),
    );
    let mut empty = Stream::new();
    empty.last_id = StreamId::new(5, 5);
    empty.max_deleted_id = StreamId::new(5, 5);
    empty.entries_added = 7;
    empty.groups.insert(
        Bytes::from(&b"waiting"[..]),
        Group::new(StreamId::new(5, 5), 7),
    );
    vec![
        (0, "stream", s, None),
        (3, "big-stream", big, Some(now + 3_600_000)),
        (15, "empty-stream", empty, None),
    ]
}

/// Streams made with commands, the same on any server: entries of one to five fields,
/// deletions and an exact trim, a group that read, acknowledged and claimed, one that read
/// nothing yet, an empty stream that keeps its group.
fn fill_streams(c: &mut Conn) {
    for i in 1..=300u32 {
        let id = format!("{}-{}", 1000 + i / 4, i % 4);
        let mut args = vec!["XADD".to_string(), "events".into(), id];
        for f in 0..i % 5 + 1 {
            args.extend([format!("f{f}"), format!("value-{i}-{f}")]);
        }
        c.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    c.ok(&["XDEL", "events", "1000-1", "1010-2", "1050-0"]);
    c.ok(&["XTRIM", "events", "MAXLEN", "=", "280"]);
    c.ok(&["XGROUP", "CREATE", "events", "readers", "0"]);
    let got = c.cmd(&[
        "XREADGROUP",
        "GROUP",
        "readers",
        "alice",
        "COUNT",
        "10",
        "STREAMS",
        "events",
        ">",
    ]);
    // [[events, [[id, fields], ...]]]: acknowledge alice's second entry.
    let entries = array(array(array(got).remove(0)).remove(1));
    let second = text(array(entries[1].clone()).remove(0));
    c.ok(&["XACK", "events", "readers", &second]);
    c.ok(&[
        "XREADGROUP",
        "GROUP",
        "readers",
        "bob",
        "COUNT",
        "5",
        "STREAMS",
        "events",
        ">",
    ]);
    let third = text(array(entries[2].clone()).remove(0));
    c.ok(&[
        "XCLAIM",
        "events",
        "readers",
        "bob",
        "0",
        &third,
        "RETRYCOUNT",
        "4",
    ]);
    c.ok(&["XGROUP", "CREATE", "events", "late", "$"]);
    c.ok(&["XGROUP", "CREATECONSUMER", "events", "late", "nobody"]);
    c.ok(&["XADD", "emptied", "1-1", "f", "v"]);
    c.ok(&["XGROUP", "CREATE", "emptied", "g", "$"]);
    c.ok(&["XDEL", "emptied", "1-1"]);
}

/// The same keys with no deadlines: `RESTORE key 0` gives none.
fn without_deadlines(keys: Keyspace) -> Keyspace {
    keys.into_iter().map(|(k, (m, _))| (k, (m, None))).collect()
}

/// `DUMP` of every key of `keys` on `from`, `RESTORE` of it (with no TTL) on `to`.
fn copy_keys(from: &mut Conn, to: &mut Conn, keys: &Keyspace) {
    for (db, key) in keys.keys() {
        from.ok(&["SELECT", &db.to_string()]);
        to.ok(&["SELECT", &db.to_string()]);
        let p = bulk(from.cmd_bytes(&[b"DUMP", key]));
        let reply = to.cmd_bytes(&[b"RESTORE", key, b"0", &p]);
        assert!(!reply.is_error(), "RESTORE {key:?}: {reply:?}");
    }
    from.ok(&["SELECT", "0"]);
    to.ok(&["SELECT", "0"]);
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
/// sorted sets; streams (with deleted entries inside their listpacks); several databases;
/// deadlines; a function library. Redis must have been started
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
    fill_streams(redis);
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
    // Deep sanitization: Redis walks every listpack and consumer group as it loads them.
    let mut redis = RealRedis::start(&dir.0, &["--sanitize-dump-payload", "yes"]);
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
    // The streams are what the commands made: trimmed, with groups, pending entries, consumers.
    let Some((Model::Stream(events), None)) = theirs.get(&(0, b"events".to_vec())) else {
        panic!("no stream events");
    };
    assert_eq!(events.entries.len(), 280);
    let readers = &events.groups[1];
    assert_eq!((readers.pending.len(), readers.consumers.len()), (14, 2));
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
    let mut redis = RealRedis::start(&dir.0, &["--sanitize-dump-payload", "yes"]);
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

#[test]
fn dump_and_restore_carry_every_type_between_redis_and_us() {
    if !redis_present() {
        return;
    }
    let dir = TempDir::new();
    let mut redis = RealRedis::start(&dir.0, &["--enable-debug-command", "local"]);
    fill_real(&mut redis);
    let theirs = without_deadlines(redis.keyspace());
    let server = common::start_with(|c| c.appendonly = false);
    let mut ours = Conn::connect(server.addr());
    copy_keys(&mut redis, &mut ours, &theirs);
    assert_same(&theirs, &without_deadlines(ours.keyspace()));
    // And back, to a Redis that checks every payload deeply: what came from Redis, then our
    // sample and the streams our own commands made.
    let strict_dir = TempDir::new();
    let mut strict = RealRedis::start(&strict_dir.0, &["--sanitize-dump-payload", "yes"]);
    copy_keys(&mut ours, &mut strict, &theirs);
    assert_same(&theirs, &without_deadlines(strict.keyspace()));
    ours.ok(&["FLUSHALL"]);
    strict.ok(&["FLUSHALL"]);
    ours.put(&without_deadlines(our_sample()));
    ours.ok(&["SELECT", "4"]);
    fill_streams(&mut ours);
    ours.ok(&["SELECT", "0"]);
    let all = without_deadlines(ours.keyspace());
    copy_keys(&mut ours, &mut strict, &all);
    assert_same(&all, &without_deadlines(strict.keyspace()));
}
