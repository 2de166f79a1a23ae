//! Replication between two of our servers, in-process on `127.0.0.1:0`: the full sync, the
//! stream after it, a replica's refusals, `WAIT`, `ROLE` and `INFO replication`, a partial
//! resync after a brief disconnect, promotion with `REPLICAOF NO ONE`, and the old `SYNC` as a
//! raw socket sees it.
//!
//! Explained in: book chapter "Replication". Every wait is a poll with a deadline.

mod common;
mod replication_support;

use std::io::{BufRead, Read, Write};
use std::time::{Duration, Instant};

use common::TestServer;
use replication_support::{Conn, Keyspace, assert_same, bulks, wait_for};
use rust_redis::protocol::resp::Value;

const LINK_UP: Duration = Duration::from_secs(5);

/// A fresh server made a replica of `master`, returned once its link is up.
fn replica_of(master: &TestServer) -> TestServer {
    replica_with(master, |_| {})
}

/// [`replica_of`], with its configuration adjusted by `tweak` first.
fn replica_with(
    master: &TestServer,
    tweak: impl FnOnce(&mut rust_redis::server::Config),
) -> TestServer {
    let replica = common::start_with(tweak);
    let mut c = Conn::connect(replica.addr());
    c.ok(&["REPLICAOF", "127.0.0.1", &master.addr().port().to_string()]);
    wait_for(LINK_UP, "the replica's link to come up", || {
        c.info_field("replication", "master_link_status") == "up"
    });
    replica
}

/// Waits until the replica has applied the master's whole stream: its offset is the master's.
fn settle(master: &mut Conn, replica: &mut Conn) -> u64 {
    let mut at = 0;
    wait_for(
        LINK_UP,
        "the replica's offset to reach the master's",
        || {
            let m = master.info_field("replication", "master_repl_offset");
            let r = replica.info("replication");
            at = m.parse().unwrap_or(0);
            r.get("slave_repl_offset") == Some(&m) && r.get("master_repl_offset") == Some(&m)
        },
    );
    at
}

/// Some of every type, in databases 0, 3 and 15, some with a deadline.
fn fill(c: &mut Conn) {
    for db in ["0", "3", "15"] {
        c.ok(&["SELECT", db]);
        c.ok(&["SET", "str", &format!("string in {db}")]);
        c.ok(&["SET", "counter", "41"]);
        c.ok(&["INCR", "counter"]);
        c.ok(&["RPUSH", "list", "a", "b", "c", db]);
        c.ok(&["SADD", "set", "x", "y", db]);
        c.ok(&["HSET", "hash", "f1", "v1", "db", db]);
        c.ok(&["ZADD", "zset", "1.5", "one", "-2", "two", db, "three"]);
        c.ok(&["SET", "ttl-str", "soon", "EX", "1000"]);
        c.ok(&["RPUSH", "ttl-list", "x"]);
        c.ok(&["PEXPIRE", "ttl-list", "2000000"]);
        c.cmd_bytes(&[b"SET", b"bin\x00\xffkey", b"bin\r\nvalue\x00"]);
    }
    c.ok(&["SELECT", "0"]);
}

#[test]
fn a_full_sync_copies_every_type_ttl_and_database() {
    let master = common::start();
    let mut m = Conn::connect(master.addr());
    fill(&mut m);
    let replica = replica_of(&master);
    let mut r = Conn::connect(replica.addr());
    let ours = m.keyspace();
    assert_eq!(ours.len(), 27);
    let deadlines = ours.values().filter(|(_, d)| d.is_some()).count();
    assert_eq!(deadlines, 6);
    // The snapshot carries absolute deadlines: they arrive to the millisecond.
    assert_same(&ours, &r.keyspace(), 0);
    assert_eq!(m.info_field("stats", "sync_full"), "1");
}

#[test]
fn the_stream_carries_writes_transactions_expiry_flushall_and_swapdb() {
    let master = common::start();
    let replica = replica_of(&master);
    let (mut m, mut r) = (Conn::connect(master.addr()), Conn::connect(replica.addr()));

    fill(&mut m);
    m.ok(&["SELECT", "3"]);
    m.ok(&["LPOP", "list"]);
    m.ok(&["SPOP", "set"]); // random on the master: the replica must get what was removed
    m.ok(&["HINCRBYFLOAT", "hash", "float", "1.1"]);
    m.ok(&["ZINCRBY", "zset", "0.25", "one"]);
    m.ok(&["EXPIRE", "str", "500"]);
    m.ok(&["MULTI"]);
    m.ok(&["INCR", "counter"]);
    m.ok(&["SET", "in-multi", "yes"]);
    m.ok(&["SELECT", "7"]);
    m.ok(&["SET", "in-multi-7", "yes"]);
    assert!(matches!(m.cmd(&["EXEC"]), Value::Array(a) if a.len() == 4));
    settle(&mut m, &mut r);
    assert_same(&m.keyspace(), &r.keyspace(), 0);
    r.ok(&["SELECT", "3"]);
    assert_eq!(r.cmd(&["GET", "counter"]), Value::Bulk(b"43".to_vec()));
    r.ok(&["SELECT", "7"]);
    assert_eq!(r.cmd(&["GET", "in-multi-7"]), Value::Bulk(b"yes".to_vec()));

    // A key that expires on the master is deleted there by active expiry, and the DEL reaches
    // the replica, which never expires keys itself: until then its index still counts it.
    m.ok(&["SELECT", "9"]);
    m.ok(&["SET", "stays", "1"]);
    m.ok(&["SET", "goes", "1", "PX", "100"]);
    settle(&mut m, &mut r);
    assert!(r.info_field("keyspace", "db9").contains("expires=1"));
    wait_for(
        Duration::from_secs(3),
        "the master's expiry to reach the replica",
        || r.info_field("keyspace", "db9").contains("expires=0"),
    );
    assert!(m.info_field("keyspace", "db9").contains("expires=0"));

    // SWAPDB and FLUSHALL are replayed as they are.
    m.ok(&["SELECT", "1"]);
    m.ok(&["SET", "was-in-1", "x"]);
    m.ok(&["SWAPDB", "1", "9"]);
    settle(&mut m, &mut r);
    r.ok(&["SELECT", "9"]);
    assert_eq!(r.cmd(&["GET", "was-in-1"]), Value::Bulk(b"x".to_vec()));
    r.ok(&["SELECT", "1"]);
    assert_eq!(r.cmd(&["GET", "stays"]), Value::Bulk(b"1".to_vec()));
    assert_same(&m.keyspace(), &r.keyspace(), 0);
    m.ok(&["FLUSHALL"]);
    settle(&mut m, &mut r);
    assert_eq!(r.keyspace(), Keyspace::new());
}

#[test]
fn a_replica_keeps_an_expired_key_for_its_masters_next_command() {
    let master = common::start();
    let replica = replica_with(&master, |c| {
        c.enable_debug_command = rust_redis::config::DebugCommand::Yes
    });
    let (mut m, mut r) = (Conn::connect(master.addr()), Conn::connect(replica.addr()));
    // The replica's store is held for 300 ms (EXEC holds the write guard), so it applies the
    // master's commands after the key's deadline, which the master ran well before it.
    r.ok(&["MULTI"]);
    r.ok(&["DEBUG", "SLEEP", "0.3"]);
    r.send_only(&["EXEC"]);
    // Time for EXEC to take the guard. Should the master's commands come first, the test passes
    // without testing anything; it cannot fail wrongly.
    std::thread::sleep(Duration::from_millis(50));
    m.ok(&["RPUSH", "list", "a"]);
    m.ok(&["PEXPIRE", "list", "100"]);
    m.ok(&["RPUSH", "list", "b"]);
    m.ok(&["PERSIST", "list"]);
    assert!(matches!(r.read(), Value::Array(_)));
    settle(&mut m, &mut r);
    // Had the replica expired the key itself, it would hold [b] and no longer be a copy.
    assert_eq!(
        bulks(r.cmd(&["LRANGE", "list", "0", "-1"])),
        vec![b"a".to_vec(), b"b".to_vec()]
    );
    assert_eq!(r.int(&["PTTL", "list"]), -1);
}

#[test]
fn a_replica_refuses_writes_from_its_clients() {
    let master = common::start();
    let replica = replica_of(&master);
    let mut r = Conn::connect(replica.addr());
    let readonly = Value::Error("READONLY You can't write against a read only replica.".into());
    assert_eq!(r.cmd(&["SET", "k", "v"]), readonly);
    r.ok(&["MULTI"]);
    assert_eq!(r.cmd(&["INCR", "k"]), readonly);
    assert!(matches!(r.cmd(&["EXEC"]), Value::Error(e) if e.starts_with("EXECABORT")));
    // Reads are served, and so are the master's writes.
    assert_eq!(r.cmd(&["GET", "k"]), Value::Null);
    let mut m = Conn::connect(master.addr());
    m.ok(&["SET", "k", "from the master"]);
    settle(&mut m, &mut r);
    assert_eq!(
        r.cmd(&["GET", "k"]),
        Value::Bulk(b"from the master".to_vec())
    );
    assert!(matches!(r.cmd(&["WAIT", "1", "10"]), Value::Error(e) if e.contains("replica")));
}

#[test]
fn wait_answers_once_the_replica_acknowledged_and_times_out_without_one() {
    let lonely = common::start();
    let mut l = Conn::connect(lonely.addr());
    l.ok(&["SET", "k", "v"]);
    let started = Instant::now();
    assert_eq!(l.int(&["WAIT", "1", "200"]), 0);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(190) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert_eq!(l.int(&["WAIT", "0", "0"]), 0);
    // Inside a transaction it answers at once, as in Redis: EXEC holds the write guard, and
    // waiting there would stop every other client.
    l.ok(&["MULTI"]);
    l.ok(&["WAIT", "1", "5000"]);
    let started = Instant::now();
    assert_eq!(l.cmd(&["EXEC"]), Value::Array(vec![Value::Integer(0)]));
    assert!(started.elapsed() < Duration::from_secs(2));
    // A client waiting for ever can still be killed: its thread ends, and it is gone.
    let mut waiter = Conn::connect(lonely.addr());
    let id = waiter.int(&["CLIENT", "ID"]).to_string();
    waiter.send_only(&["WAIT", "1", "0"]);
    assert_eq!(l.info_field("clients", "connected_clients"), "2");
    assert_eq!(l.int(&["CLIENT", "KILL", "ID", &id]), 1);
    wait_for(LINK_UP, "the killed waiter to be gone", || {
        l.info_field("clients", "connected_clients") == "1"
    });

    let master = common::start();
    let _replica = replica_of(&master);
    let mut m = Conn::connect(master.addr());
    for i in 0..20 {
        m.ok(&["SET", &format!("k{i}"), "v"]);
        // It asks with REPLCONF GETACK: far quicker than the replica's once-a-second ACK.
        let started = Instant::now();
        assert_eq!(m.int(&["WAIT", "1", "1000"]), 1);
        assert!(started.elapsed() < Duration::from_millis(900));
    }
    // More replicas than there are: all it has, after the timeout.
    assert_eq!(m.int(&["WAIT", "2", "100"]), 1);
}

#[test]
fn role_and_info_describe_both_sides() {
    let master = common::start();
    let mut m = Conn::connect(master.addr());
    assert_eq!(m.info_field("replication", "role"), "master");
    assert_eq!(m.info_field("replication", "connected_slaves"), "0");
    let replica = replica_of(&master);
    let mut r = Conn::connect(replica.addr());
    m.ok(&["SET", "k", "v"]);
    m.ok(&["RPUSH", "l", "a", "b"]);
    let offset = settle(&mut m, &mut r);
    assert!(offset > 0);
    // The master hears the replica's offset with its next ACK, once a second.
    let port = replica.addr().port();
    let line = format!("ip=127.0.0.1,port={port},state=online,offset={offset},lag=");
    wait_for(
        Duration::from_secs(3),
        "the master to hear the replica's offset",
        || m.info_field("replication", "slave0").starts_with(&line),
    );
    let info = m.info("replication");
    assert_eq!(info["role"], "master");
    assert_eq!(info["connected_slaves"], "1");
    assert_eq!(info["master_repl_offset"], offset.to_string());
    assert_eq!(info["repl_backlog_active"], "1");
    let role = Value::Array(vec![
        Value::Bulk(b"master".to_vec()),
        Value::Integer(offset as i64),
        Value::Array(vec![Value::Array(vec![
            Value::Bulk(b"127.0.0.1".to_vec()),
            Value::Bulk(port.to_string().into_bytes()),
            Value::Bulk(offset.to_string().into_bytes()),
        ])]),
    ]);
    assert_eq!(m.cmd(&["ROLE"]), role);

    let info = r.info("replication");
    assert_eq!(info["role"], "slave");
    assert_eq!(info["master_host"], "127.0.0.1");
    assert_eq!(info["master_port"], master.addr().port().to_string());
    assert_eq!(info["master_link_status"], "up");
    assert_eq!(info["master_sync_in_progress"], "0");
    assert_eq!(info["slave_read_only"], "1");
    assert_eq!(info["connected_slaves"], "0");
    assert_eq!(
        info["master_replid"],
        m.info_field("replication", "master_replid")
    );
    assert_eq!(info["slave_repl_offset"], offset.to_string());
    assert_eq!(info["master_repl_offset"], offset.to_string());
    let role = Value::Array(vec![
        Value::Bulk(b"slave".to_vec()),
        Value::Bulk(b"127.0.0.1".to_vec()),
        Value::Integer(i64::from(master.addr().port())),
        Value::Bulk(b"connected".to_vec()),
        Value::Integer(offset as i64),
    ]);
    assert_eq!(r.cmd(&["ROLE"]), role);
}

#[test]
fn a_brief_disconnect_resumes_with_a_partial_resync() {
    let master = common::start();
    let replica = replica_of(&master);
    let (mut m, mut r) = (Conn::connect(master.addr()), Conn::connect(replica.addr()));
    m.ok(&["SET", "before", "1"]);
    settle(&mut m, &mut r);
    let full = m.info_field("stats", "sync_full");
    assert_eq!(full, "1");

    // From the master's side: its replica's connection is killed.
    assert_eq!(m.int(&["CLIENT", "KILL", "TYPE", "replica"]), 1);
    m.ok(&["SET", "during", "1"]);
    m.ok(&["SELECT", "5"]);
    m.ok(&["RPUSH", "list", "a"]);
    wait_for(LINK_UP, "a partial resync", || {
        m.info_field("stats", "sync_partial_ok") == "1"
    });
    settle(&mut m, &mut r);
    assert_same(&m.keyspace(), &r.keyspace(), 0);

    // From the replica's side: its link to the master is killed.
    assert_eq!(r.int(&["CLIENT", "KILL", "TYPE", "master"]), 1);
    m.ok(&["SET", "during-2", "2"]);
    wait_for(LINK_UP, "a second partial resync", || {
        m.info_field("stats", "sync_partial_ok") == "2"
    });
    settle(&mut m, &mut r);
    assert_same(&m.keyspace(), &r.keyspace(), 0);
    assert_eq!(m.info_field("stats", "sync_full"), "1");
    r.ok(&["SELECT", "5"]);
    assert_eq!(
        bulks(r.cmd(&["LRANGE", "list", "0", "-1"])),
        vec![b"a".to_vec()]
    );
}

#[test]
fn a_partial_resync_resumes_in_the_database_the_stream_had_selected() {
    let master = common::start();
    let replica = replica_of(&master);
    let (mut m, mut r) = (Conn::connect(master.addr()), Conn::connect(replica.addr()));
    m.ok(&["SELECT", "5"]);
    m.ok(&["SET", "before", "1"]);
    settle(&mut m, &mut r);
    // The link drops; the stream still has database 5 selected, so the next write there comes
    // without a `SELECT`, as Redis's stream would send it.
    assert_eq!(r.int(&["CLIENT", "KILL", "TYPE", "master"]), 1);
    m.ok(&["SET", "after", "2"]);
    wait_for(LINK_UP, "a partial resync", || {
        m.info_field("stats", "sync_partial_ok") == "1"
    });
    settle(&mut m, &mut r);
    r.ok(&["SELECT", "5"]);
    assert_eq!(
        bulks(r.cmd(&["MGET", "before", "after"])),
        vec![b"1".to_vec(), b"2".to_vec()]
    );
    r.ok(&["SELECT", "0"]);
    assert_eq!(r.int(&["DBSIZE"]), 0);
}

#[test]
fn a_replica_away_for_longer_than_the_backlog_holds_syncs_in_full() {
    let master = common::start();
    let replica = replica_of(&master);
    let (mut m, mut r) = (Conn::connect(master.addr()), Conn::connect(replica.addr()));
    m.ok(&["CONFIG", "SET", "repl-backlog-size", "16kb"]);
    assert_eq!(m.info_field("replication", "repl_backlog_size"), "16384");
    m.ok(&["SET", "before", "1"]);
    settle(&mut m, &mut r);

    // A wrong password keeps the replica away (the master has none, and refuses AUTH) for as
    // long as the test likes; the kill cuts the link it had.
    r.ok(&["CONFIG", "SET", "masterauth", "wrong"]);
    assert_eq!(r.int(&["CLIENT", "KILL", "TYPE", "master"]), 1);
    wait_for(LINK_UP, "the link to go down", || {
        r.info_field("replication", "master_link_status") == "down"
    });
    let value = "x".repeat(1000);
    let writes: Vec<Vec<Vec<u8>>> = (0..40)
        .map(|i| {
            vec![
                b"SET".to_vec(),
                format!("k{i}").into_bytes(),
                value.clone().into_bytes(),
            ]
        })
        .collect();
    m.pipeline(&writes);
    assert_eq!(m.info_field("replication", "repl_backlog_histlen"), "16384");
    r.ok(&["CONFIG", "SET", "masterauth", ""]);
    // The bytes it missed are gone from the ring: a new snapshot, not a continue.
    wait_for(LINK_UP, "a second full sync", || {
        m.info_field("stats", "sync_full") == "2"
    });
    assert_eq!(m.info_field("stats", "sync_partial_ok"), "0");
    settle(&mut m, &mut r);
    assert_same(&m.keyspace(), &r.keyspace(), 0);
}

#[test]
fn replicaof_no_one_promotes_the_replica() {
    let master = common::start();
    let replica = replica_of(&master);
    let fellow = replica_of(&master);
    let (mut m, mut r, mut f) = (
        Conn::connect(master.addr()),
        Conn::connect(replica.addr()),
        Conn::connect(fellow.addr()),
    );
    m.ok(&["SET", "k", "from the master"]);
    let offset = settle(&mut m, &mut r);
    settle(&mut m, &mut f);
    let old_id = m.info_field("replication", "master_replid");

    r.ok(&["REPLICAOF", "NO", "ONE"]);
    let info = r.info("replication");
    assert_eq!(info["role"], "master");
    assert_ne!(info["master_replid"], old_id);
    assert_eq!(info["master_replid2"], old_id);
    assert_eq!(info["second_repl_offset"], (offset + 1).to_string());
    r.ok(&["SET", "k", "mine now"]);
    assert_eq!(r.cmd(&["GET", "k"]), Value::Bulk(b"mine now".to_vec()));
    assert!(matches!(r.cmd(&["ROLE"]), Value::Array(a) if a[0] == Value::Bulk(b"master".to_vec())));

    // A fellow replica of the old master that follows the new one continues from where the
    // two histories part: a partial resync, then the new master's writes.
    f.ok(&["REPLICAOF", "127.0.0.1", &replica.addr().port().to_string()]);
    r.ok(&["SET", "after", "promotion"]);
    wait_for(LINK_UP, "the fellow's partial resync", || {
        r.info_field("stats", "sync_partial_ok") == "1"
    });
    settle(&mut r, &mut f);
    assert_eq!(r.info_field("stats", "sync_full"), "0");
    assert_eq!(f.cmd(&["GET", "after"]), Value::Bulk(b"promotion".to_vec()));
    assert_eq!(f.cmd(&["GET", "k"]), Value::Bulk(b"mine now".to_vec()));
    // The old master has let both go: its writes reach neither.
    wait_for(LINK_UP, "the old master to drop its replicas", || {
        m.info_field("replication", "connected_slaves") == "0"
    });
}

#[test]
fn a_replica_of_a_replica_gets_the_masters_stream() {
    let master = common::start();
    let middle = replica_of(&master);
    let (mut m, mut mid) = (Conn::connect(master.addr()), Conn::connect(middle.addr()));
    m.ok(&["SET", "before", "1"]);
    settle(&mut m, &mut mid);
    let last = replica_of(&middle);
    let mut l = Conn::connect(last.addr());
    m.ok(&["SELECT", "6"]);
    m.ok(&["RPUSH", "list", "a", "b"]);
    // The middle one passes the master's bytes on as they came: one stream, one id, one offset.
    let offset = settle(&mut m, &mut mid);
    wait_for(
        LINK_UP,
        "the last replica to reach the master's offset",
        || l.info_field("replication", "slave_repl_offset") == offset.to_string(),
    );
    assert_eq!(
        l.info_field("replication", "master_replid"),
        m.info_field("replication", "master_replid")
    );
    assert_same(&m.keyspace(), &l.keyspace(), 0);
}

#[test]
fn sync_from_a_raw_socket_gets_a_snapshot_then_the_stream() {
    let master = common::start();
    let mut m = Conn::connect(master.addr());
    m.ok(&["SELECT", "2"]);
    m.ok(&["SET", "old", "value"]);

    let mut s = Conn::connect(master.addr());
    s.stream.write_all(b"SYNC\r\n").unwrap();
    let mut head = String::new();
    s.raw().read_line(&mut head).unwrap();
    let len: usize = head
        .strip_prefix('$')
        .and_then(|n| n.trim_end().parse().ok())
        .unwrap_or_else(|| panic!("snapshot header: {head:?}"));
    let mut rdb = vec![0; len];
    s.raw().read_exact(&mut rdb).unwrap();
    assert!(
        rdb.starts_with(b"REDIS0010"),
        "{:?}",
        String::from_utf8_lossy(&rdb[..9])
    );
    assert!(rdb.windows(5).any(|w| w == b"value"));

    m.ok(&["SET", "new", "value"]);
    m.ok(&["SELECT", "0"]);
    m.ok(&["SET", "gone", "x", "PX", "50"]);
    m.ok(&["INCR", "n"]);
    let expect = |s: &mut Conn, words: &[&str]| {
        let got = s.read();
        let want = Value::Array(
            words
                .iter()
                .map(|w| Value::Bulk(w.as_bytes().to_vec()))
                .collect(),
        );
        assert_eq!(got, want);
    };
    expect(&mut s, &["SELECT", "2"]);
    expect(&mut s, &["SET", "new", "value"]);
    expect(&mut s, &["SELECT", "0"]);
    // Relative TTLs travel as absolute deadlines, INCR as the value it made.
    match s.read() {
        Value::Array(words) => {
            let words: Vec<Vec<u8>> = words.into_iter().map(replication_support::bulk).collect();
            assert_eq!(
                &words[..4],
                &[
                    b"SET".to_vec(),
                    b"gone".to_vec(),
                    b"x".to_vec(),
                    b"PXAT".to_vec()
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    expect(&mut s, &["SET", "n", "1"]);
    // The master's active expiry deletes the key: the DEL is in the stream.
    expect(&mut s, &["DEL", "gone"]);
}
