//! RDB snapshots in the running server: `SAVE` and a restart bring every type back, `BGSAVE`
//! writes one instant while writers carry on, a damaged `dump.rdb` stops the start, `DEBUG
//! RELOAD` goes through the file, the AOF's RDB preamble round trip, save points, `FLUSHALL`,
//! `SHUTDOWN`, and Redis's replies when saves collide or fail.
//!
//! Explained in: book "RDB snapshots".

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use common::*;
use rust_redis::engine::store::{Data, now_ms};
use rust_redis::persistence::{check, rdb};
use rust_redis::server::{self, Config};

/// The AOF off: the snapshot is the only record.
fn rdb_only(save: &'static str) -> impl FnOnce(&mut Config) {
    move |c: &mut Config| {
        c.appendonly = false;
        c.save = save.to_string();
        c.set("enable-debug-command", "yes").unwrap();
    }
}

fn dump(dir: &TempDir) -> PathBuf {
    dir.0.join("dump.rdb")
}

/// One `INFO persistence` field.
fn field(c: &mut Client, name: &str) -> String {
    let info = String::from_utf8(c.cmd(&["INFO", "persistence"])).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {info}"))
        .trim()
        .to_string()
}

/// What a `dump.rdb` holds, read with the server's own loader: (db, key) → (value, deadline).
fn file_keys(path: &std::path::Path) -> BTreeMap<(usize, Vec<u8>), (String, Option<u64>)> {
    let mut keys = BTreeMap::new();
    rdb::load(std::fs::File::open(path).unwrap(), |k| {
        let text = match &k.data {
            Data::Str(s) => String::from_utf8_lossy(s).into_owned(),
            other => other.type_name().to_string(),
        };
        keys.insert((k.db, k.key.to_vec()), (text, k.deadline_ms));
        Ok(())
    })
    .unwrap();
    keys
}

/// Every type, TTLs, three databases.
fn fill(c: &mut Client) {
    c.assert(&["SET", "s", "hello"], OK);
    c.assert(&["SET", "n", "12345"], OK);
    c.assert(&["SET", "ttl", "v", "EX", "1000"], OK);
    c.assert(&["RPUSH", "l", "a", "b", "", "3"], ":4\r\n");
    c.assert(&["SADD", "set", "x", "y", "1"], ":3\r\n");
    c.assert(&["SELECT", "5"], OK);
    c.assert(&["HSET", "h", "f", "v", "g", "w"], ":2\r\n");
    c.assert(&["PEXPIRE", "h", "5000000"], ":1\r\n");
    c.assert(&["ZADD", "z", "1.5", "a", "-inf", "b", "3", "c"], ":3\r\n");
    c.assert(&["SELECT", "15"], OK);
    c.cmd_bytes(&[b"SET", b"bin\x00key", b"\x00\xff\r\n"]);
    let many: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
    let mut args = vec!["SADD", "bigset"];
    args.extend(many.iter().map(|s| s.as_str()));
    c.assert(&args, ":1000\r\n");
    c.assert(&["SELECT", "0"], OK);
}

/// Everything [`fill`] wrote, as replies.
fn contents(c: &mut Client) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (db, cmds) in [
        (
            "0",
            vec![
                vec!["GET", "s"],
                vec!["GET", "n"],
                vec!["GET", "ttl"],
                vec!["LRANGE", "l", "0", "-1"],
                vec!["SORT", "set", "ALPHA"],
                vec!["DBSIZE"],
            ],
        ),
        (
            "5",
            vec![
                // A hash's order is its table's: compare the fields, not HGETALL.
                vec!["HMGET", "h", "f", "g", "new"],
                vec!["HLEN", "h"],
                vec!["ZRANGE", "z", "0", "-1", "WITHSCORES"],
                vec!["DBSIZE"],
            ],
        ),
        ("15", vec![vec!["SCARD", "bigset"], vec!["DBSIZE"]]),
    ] {
        c.cmd(&["SELECT", db]);
        for cmd in cmds {
            out.push(c.cmd(&cmd));
        }
    }
    out.push(c.cmd_bytes(&[b"GET", b"bin\x00key"]));
    c.cmd(&["SELECT", "0"]);
    out
}

#[test]
fn save_then_restart_restores_every_type_ttls_and_databases() {
    let s = start_with(rdb_only(""));
    let mut c = s.client();
    fill(&mut c);
    let before = contents(&mut c);
    assert_eq!(field(&mut c, "rdb_changes_since_last_save"), "10");
    c.assert(&["SAVE"], OK);
    assert_eq!(field(&mut c, "rdb_changes_since_last_save"), "0");
    assert_eq!(field(&mut c, "rdb_saves"), "1");
    let lastsave = c.cmd(&["LASTSAVE"]);
    assert!(
        lastsave.starts_with(b":17") || lastsave.starts_with(b":18"),
        "{lastsave:?}"
    );
    let dir = s.stop();
    assert!(dump(&dir).exists());
    let s = start_in(dir, rdb_only(""));
    let mut c = s.client();
    assert_eq!(contents(&mut c), before);
    assert_ttl(&mut c, "ttl", 1000);
    c.assert(&["SELECT", "5"], OK);
    let pttl = String::from_utf8(c.cmd(&["PTTL", "h"])).unwrap();
    let ms: i64 = pttl.trim_start_matches(':').trim().parse().unwrap();
    assert!((4_900_000..=5_000_000).contains(&ms), "{pttl}");
    c.assert(&["SELECT", "0"], OK);
    assert_eq!(field(&mut c, "rdb_last_load_keys_loaded"), "9");
    assert_eq!(field(&mut c, "rdb_changes_since_last_save"), "0");
}

#[test]
fn bgsave_while_writers_write_holds_exactly_one_instant() {
    let s = start_with(rdb_only(""));
    let mut c = s.client();
    for i in 0..300 {
        c.assert(&["SET", &format!("k{i}"), "old"], OK);
    }
    // 2 ms a key: the save stays open for about 600 ms, long enough to write during it.
    c.assert(&["CONFIG", "SET", "rdb-key-save-delay", "2000"], OK);
    c.assert(&["BGSAVE"], "+Background saving started\r\n");
    c.assert(&["BGSAVE"], "-ERR Background save already in progress\r\n");
    c.assert(&["SAVE"], "-ERR Background save already in progress\r\n");
    // Each transaction is one instant: the file must hold the state after some number of them,
    // never half of one, and nothing written after that.
    let (mut total, mut during) = (0, 0);
    loop {
        let running = field(&mut c, "rdb_bgsave_in_progress") == "1";
        c.assert(&["MULTI"], OK);
        c.assert(
            &["SET", &format!("k{}", total % 300), &format!("new{total}")],
            "+QUEUED\r\n",
        );
        c.assert(&["SET", &format!("w{total}"), "x"], "+QUEUED\r\n");
        c.assert(&["SET", "last", &total.to_string()], "+QUEUED\r\n");
        c.assert(&["EXEC"], "*3\r\n+OK\r\n+OK\r\n+OK\r\n");
        total += 1;
        if running {
            during += 1;
        } else {
            break;
        }
    }
    assert!(
        during >= 10,
        "only {during} writes landed while the save ran"
    );
    assert_eq!(field(&mut c, "rdb_last_bgsave_status"), "ok");
    let keys = file_keys(&dump(&s.dir));
    let in_file = match keys.get(&(0, b"last".to_vec())) {
        Some((last, _)) => last.parse::<usize>().unwrap() + 1,
        None => 0,
    };
    let mut expected = BTreeMap::new();
    for i in 0..300 {
        expected.insert((0, format!("k{i}").into_bytes()), ("old".to_string(), None));
    }
    for n in 0..in_file {
        expected.insert(
            (0, format!("k{}", n % 300).into_bytes()),
            (format!("new{n}"), None),
        );
        expected.insert((0, format!("w{n}").into_bytes()), ("x".to_string(), None));
        expected.insert((0, b"last".to_vec()), (n.to_string(), None));
    }
    assert!(
        in_file < total - 5,
        "the snapshot came late: {in_file} of {total} writes in it"
    );
    assert_eq!(
        keys, expected,
        "the file holds the state after {in_file} writes"
    );
    // What came after the snapshot is still unsaved: three changes a transaction.
    let unsaved: usize = field(&mut c, "rdb_changes_since_last_save")
        .parse()
        .unwrap();
    assert_eq!(unsaved, 3 * (total - in_file));
}

#[test]
fn a_damaged_dump_refuses_start_up_and_names_the_offset() {
    let s = start_with(rdb_only(""));
    let mut c = s.client();
    fill(&mut c);
    c.assert(&["SAVE"], OK);
    let dir = s.stop();
    let good = std::fs::read(dump(&dir)).unwrap();
    let start = |dir: &TempDir| {
        let mut config = test_config(dir);
        rdb_only("")(&mut config);
        server::start(config).map(|_| ()).unwrap_err().to_string()
    };
    // Torn: the end is missing.
    std::fs::write(dump(&dir), &good[..good.len() - 20]).unwrap();
    let err = start(&dir);
    assert!(
        err.contains("Bad RDB file") && err.contains("at offset"),
        "{err}"
    );
    assert!(err.contains("truncated"), "{err}");
    // A byte changed in the middle: the checksum at the end says so, with its offset.
    let mut bad = good.clone();
    let at = bad.windows(5).position(|w| w == b"hello").unwrap();
    bad[at] = b'j';
    std::fs::write(dump(&dir), &bad).unwrap();
    let err = start(&dir);
    assert!(
        err.contains(&format!("at offset {}", good.len() - 8)),
        "{err}"
    );
    assert!(err.contains("checksum"), "{err}");
    // A type byte no RDB has.
    let mut bad = good.clone();
    let at = bad
        .windows(9)
        .position(|w| w == b"\x00\x01s\x05hello")
        .unwrap();
    bad[at] = 0x42;
    std::fs::write(dump(&dir), &bad).unwrap();
    let err = start(&dir);
    assert!(err.contains(&format!("at offset {at}")), "{err}");
}

/// A dump written by hand with our writer, for the cases a server never writes.
fn write_dump(dir: &TempDir, db: usize, entries: &[(&[u8], Option<u64>)]) {
    let mut w = rdb::RdbWriter::new(Vec::new(), &[]).unwrap();
    w.select_db(db, entries.len(), 0).unwrap();
    for (key, deadline) in entries {
        w.entry(key, &Data::Str(b"v".as_slice().into()), *deadline)
            .unwrap();
    }
    std::fs::write(dump(dir), w.finish().unwrap()).unwrap();
}

#[test]
fn expired_keys_are_left_out_and_bad_databases_and_duplicates_refused() {
    let dir = TempDir::new();
    let now = now_ms();
    write_dump(
        &dir,
        2,
        &[(b"gone", Some(now - 1000)), (b"kept", Some(now + 600_000))],
    );
    let s = start_in(dir, rdb_only(""));
    let mut c = s.client();
    c.assert(&["SELECT", "2"], OK);
    c.assert(&["DBSIZE"], ":1\r\n");
    assert_ttl(&mut c, "kept", 600);
    assert_eq!(field(&mut c, "rdb_last_load_keys_expired"), "1");
    let dir = s.stop();
    let start = |dir: &TempDir, databases: usize| {
        let mut config = test_config(dir);
        config.databases = databases;
        server::start(config).map(|_| ()).unwrap_err().to_string()
    };
    write_dump(&dir, 20, &[(b"k", None)]);
    let err = start(&dir, 16);
    assert!(
        err.contains("database 20, but this server has 16 databases"),
        "{err}"
    );
    write_dump(&dir, 0, &[(b"twice", None), (b"twice", None)]);
    let err = start(&dir, 16);
    assert!(err.contains("duplicate key 'twice' in database 0"), "{err}");
}

#[test]
fn debug_reload_goes_through_the_dump_and_keeps_the_data() {
    let s = start_with(rdb_only(""));
    let mut c = s.client();
    fill(&mut c);
    let before = contents(&mut c);
    c.assert(&["DEBUG", "RELOAD"], OK);
    assert_eq!(contents(&mut c), before);
    assert_ttl(&mut c, "ttl", 1000);
    assert!(
        dump(&s.dir).exists(),
        "DEBUG RELOAD saves to dump.rdb, as Redis does"
    );
    assert_eq!(field(&mut c, "rdb_changes_since_last_save"), "0");
    // NOSAVE loads the file as it is: a key set since is gone again.
    c.assert(&["SET", "later", "1"], OK);
    c.assert(&["DEBUG", "RELOAD", "NOSAVE"], OK);
    c.assert(&["EXISTS", "later"], ":0\r\n");
    // NOFLUSH adds the file's keys to the live ones; a duplicate needs MERGE.
    c.assert(&["SET", "later", "1"], OK);
    c.assert(&["DEL", "s"], ":1\r\n");
    c.assert(
        &["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"],
        "-ERR Error trying to load the RDB dump, check server logs.\r\n",
    );
    c.assert(&["EXISTS", "s"], ":0\r\n");
    c.assert(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"], OK);
    c.assert(&["DEL", "later"], ":1\r\n");
    assert_eq!(contents(&mut c), before);
    // Nothing to load: an error, and the data stays.
    std::fs::remove_file(dump(&s.dir)).unwrap();
    c.assert(
        &["DEBUG", "RELOAD", "NOSAVE"],
        "-ERR Error trying to load the RDB dump, check server logs.\r\n",
    );
    assert_eq!(contents(&mut c), before);
    // The save fails (a directory where the file goes): Redis's bare error, and the data stays.
    std::fs::create_dir(dump(&s.dir)).unwrap();
    c.assert(&["DEBUG", "RELOAD"], "-ERR\r\n");
    assert_eq!(contents(&mut c), before);
}

#[test]
fn an_aof_with_an_rdb_preamble_round_trips() {
    let preamble = |c: &mut Config| {
        c.appendonly = true;
        c.set("aof-use-rdb-preamble", "yes").unwrap();
        c.set("enable-debug-command", "yes").unwrap();
    };
    let s = start_with(preamble);
    let mut c = s.client();
    fill(&mut c);
    c.assert(
        &["BGREWRITEAOF"],
        "+Background append only file rewriting started\r\n",
    );
    assert!(wait_until(Duration::from_secs(10), || {
        field(&mut c, "aof_rewrite_in_progress") == "0" && field(&mut c, "aof_rewrites") == "1"
    }));
    // The tail: commands after the preamble, in another database too.
    c.assert(&["SET", "s", "changed"], OK);
    c.assert(&["SELECT", "5"], OK);
    c.assert(&["HSET", "h", "new", "field"], ":1\r\n");
    c.assert(&["SELECT", "0"], OK);
    c.assert(&["DEBUG", "LOADAOF"], OK);
    let before = contents(&mut c);
    assert_eq!(before[0], bulk("changed").into_bytes());
    let dir = s.stop();
    let path = dir.0.join("appendonly.aof");
    let file = std::fs::read(&path).unwrap();
    assert!(
        file.starts_with(b"REDIS0010"),
        "the AOF starts with an RDB preamble"
    );
    let tail = String::from_utf8_lossy(&file);
    assert!(tail.contains("$7\r\nchanged\r\n"), "the tail is RESP");
    let report = check::check(&path).unwrap();
    assert!(report.is_valid(), "{report:?}");
    assert!(
        report
            .preamble
            .is_some_and(|len| len > 0 && len < report.size)
    );
    let s = start_in(dir, preamble);
    let mut c = s.client();
    assert_eq!(contents(&mut c), before);
    assert_ttl(&mut c, "ttl", 1000);
    // A damaged preamble stops the start, and `--check-aof` will not cut it away.
    let dir = s.stop();
    let mut bad = std::fs::read(&path).unwrap();
    let at = bad.windows(5).position(|w| w == b"hello").unwrap();
    bad[at] = b'j';
    std::fs::write(&path, &bad).unwrap();
    let mut config = test_config(&dir);
    preamble(&mut config);
    let err = server::start(config).map(|_| ()).unwrap_err().to_string();
    assert!(
        err.contains("Bad RDB preamble") && err.contains("checksum"),
        "{err}"
    );
    let report = check::check(&path).unwrap();
    assert_eq!(report.preamble, Some(0));
    assert_eq!(check::run(&path, true).unwrap(), 1);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bad,
        "--fix left the file alone"
    );
}

#[test]
fn a_save_point_starts_a_background_save() {
    let s = start_with(rdb_only("1 1"));
    let mut c = s.client();
    let started = c.cmd(&["LASTSAVE"]);
    c.assert(&["SET", "k", "v"], OK);
    // `save 1 1`: one change, and more than a second since the last save (start-up).
    assert!(
        wait_until(Duration::from_secs(10), || c.cmd(&["LASTSAVE"]) != started),
        "no save within 10 s"
    );
    assert!(file_keys(&dump(&s.dir)).contains_key(&(0, b"k".to_vec())));
    assert_eq!(field(&mut c, "rdb_changes_since_last_save"), "0");
    assert_eq!(field(&mut c, "rdb_last_bgsave_status"), "ok");
}

#[test]
fn flushall_stops_a_save_and_with_save_points_saves_the_empty_store() {
    let s = start_with(rdb_only(""));
    let mut c = s.client();
    c.assert(&["SET", "key", "value"], OK);
    c.assert(&["FLUSHALL"], OK);
    // Redis's own tests (`unit/other.tcl`): no save points, so the counter stays.
    assert_ne!(field(&mut c, "rdb_changes_since_last_save"), "0");
    assert!(!dump(&s.dir).exists());
    c.assert(&["CONFIG", "SET", "save", "3600 1 300 100 60 10000"], OK);
    c.assert(&["SET", "key", "value"], OK);
    c.assert(&["FLUSHALL"], OK);
    assert_eq!(field(&mut c, "rdb_changes_since_last_save"), "0");
    assert!(file_keys(&dump(&s.dir)).is_empty());
    // A FLUSHALL stops a running background save, which then counts as neither done nor failed
    // (Redis's `integration/rdb.tcl`, "bgsave cancel").
    for i in 0..2000 {
        c.assert(&["SET", &format!("k{i}"), "v"], OK);
    }
    c.assert(&["CONFIG", "SET", "save", ""], OK);
    c.assert(&["CONFIG", "SET", "rdb-key-save-delay", "1000"], OK);
    c.assert(&["BGSAVE"], "+Background saving started\r\n");
    assert_eq!(field(&mut c, "rdb_bgsave_in_progress"), "1");
    c.assert(&["FLUSHALL"], OK);
    assert!(wait_until(Duration::from_secs(1), || field(
        &mut c,
        "rdb_bgsave_in_progress"
    ) == "0"));
    let unsaved: u64 = field(&mut c, "rdb_changes_since_last_save")
        .parse()
        .unwrap();
    assert!(unsaved > 1999, "{unsaved}");
    assert_eq!(field(&mut c, "rdb_last_bgsave_status"), "ok");
    assert!(
        file_keys(&dump(&s.dir)).is_empty(),
        "the cancelled save left the file alone"
    );
}

#[test]
fn shutdown_saves_with_save_points_or_save_and_not_with_nosave() {
    for (save, args, saved) in [
        ("3600 1", vec!["SHUTDOWN"], true),
        ("3600 1", vec!["SHUTDOWN", "NOSAVE"], false),
        ("", vec!["SHUTDOWN"], false),
        ("", vec!["SHUTDOWN", "SAVE"], true),
    ] {
        let s = start_with(rdb_only(save));
        let mut c = s.client();
        c.assert(&["SET", "k", "v"], OK);
        c.send(&args);
        assert!(c.is_closed(), "{args:?} closes the connection");
        let dir = s.stop();
        assert_eq!(dump(&dir).exists(), saved, "{save:?} {args:?}");
        if saved {
            assert!(file_keys(&dump(&dir)).contains_key(&(0, b"k".to_vec())));
        }
    }
    // A signal (or the embedding program) shutting down saves when save points are set.
    let s = start_with(rdb_only("3600 1"));
    s.client().assert(&["SET", "k", "v"], OK);
    let dir = s.stop();
    assert!(file_keys(&dump(&dir)).contains_key(&(0, b"k".to_vec())));
}

#[test]
fn a_failing_save_answers_as_redis_and_stops_writes_with_save_points() {
    let s = start_with(rdb_only(""));
    let mut c = s.client();
    // A directory where the file should go: the rename into place fails.
    std::fs::create_dir(dump(&s.dir)).unwrap();
    c.assert(&["SET", "k", "v"], OK);
    c.assert(&["SAVE"], "-ERR\r\n");
    assert_eq!(
        field(&mut c, "rdb_last_bgsave_status"),
        "ok",
        "a failed SAVE is no failed BGSAVE"
    );
    c.assert(&["BGSAVE"], "+Background saving started\r\n");
    assert!(wait_until(Duration::from_secs(5), || field(
        &mut c,
        "rdb_bgsave_in_progress"
    ) == "0"));
    assert_eq!(field(&mut c, "rdb_last_bgsave_status"), "err");
    // Without save points, writes go on; with them, they are refused until a save works.
    c.assert(&["SET", "k", "v2"], OK);
    c.assert(&["CONFIG", "SET", "save", "3600 1"], OK);
    let refused = String::from_utf8(c.cmd(&["SET", "k", "v3"])).unwrap();
    assert!(
        refused.starts_with("-MISCONF Redis is configured to save RDB snapshots"),
        "{refused}"
    );
    c.assert(&["GET", "k"], &bulk("v2"));
    c.assert(
        &["SHUTDOWN"],
        "-ERR Errors trying to SHUTDOWN. Check logs.\r\n",
    );
    c.assert(&["PING"], "+PONG\r\n");
    std::fs::remove_dir(dump(&s.dir)).unwrap();
    c.assert(&["BGSAVE"], "+Background saving started\r\n");
    assert!(wait_until(Duration::from_secs(5), || field(
        &mut c,
        "rdb_last_bgsave_status"
    ) == "ok"));
    c.assert(&["SET", "k", "v3"], OK);
}

#[test]
fn saves_and_rewrites_wait_for_each_other_as_redis_children_do() {
    let s = start_with(|c| {
        c.appendonly = true;
    });
    let mut c = s.client();
    for i in 0..200 {
        c.assert(&["SET", &format!("k{i}"), "v"], OK);
    }
    c.assert(&["CONFIG", "SET", "rdb-key-save-delay", "2000"], OK);
    c.assert(
        &["BGREWRITEAOF"],
        "+Background append only file rewriting started\r\n",
    );
    c.assert(
        &["BGSAVE"],
        "-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in \
         order to schedule a BGSAVE whenever possible.\r\n",
    );
    c.assert(&["BGSAVE", "SCHEDULE"], "+Background saving scheduled\r\n");
    c.assert(&["BGSAVE", "SCHEDULE", "NOW"], SYNTAX);
    // Once the rewrite is over, the cron starts the scheduled save.
    assert!(wait_until(Duration::from_secs(10), || field(
        &mut c,
        "rdb_saves"
    ) == "1"));
    assert_eq!(field(&mut c, "rdb_bgsave_in_progress"), "1");
    c.assert(
        &["BGREWRITEAOF"],
        "+Background append only file rewriting scheduled\r\n",
    );
    assert_eq!(field(&mut c, "aof_rewrite_scheduled"), "1");
    assert!(wait_until(Duration::from_secs(10), || field(
        &mut c,
        "aof_rewrites"
    ) == "2"));
    assert_eq!(field(&mut c, "aof_rewrite_scheduled"), "0");
    assert_eq!(file_keys(&dump(&s.dir)).len(), 200);
}

#[test]
fn dbfilename_is_protected_and_names_the_file() {
    let s = start_with(rdb_only(""));
    let mut c = s.client();
    c.assert(
        &["CONFIG", "SET", "dbfilename", "other.rdb"],
        "-ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config\r\n",
    );
    let dir = s.stop();
    let s = start_in(dir, |c| {
        rdb_only("")(c);
        c.set("enable-protected-configs", "yes").unwrap();
    });
    let mut c = s.client();
    c.assert(
        &["CONFIG", "SET", "dbfilename", "a/b.rdb"],
        "-ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a \
         filename\r\n",
    );
    c.assert(&["CONFIG", "SET", "dbfilename", "other.rdb"], OK);
    c.assert(
        &["CONFIG", "GET", "dbfilename"],
        "*2\r\n$10\r\ndbfilename\r\n$9\r\nother.rdb\r\n",
    );
    c.assert(&["SET", "k", "v"], OK);
    c.assert(&["SAVE"], OK);
    assert!(s.dir.0.join("other.rdb").exists() && !dump(&s.dir).exists());
    // Set at start-up, it names the file loaded too.
    let dir = s.stop();
    let s = start_in(dir, |c| {
        rdb_only("")(c);
        c.set("dbfilename", "other.rdb").unwrap();
    });
    s.client().assert(&["GET", "k"], &bulk("v"));
}

#[test]
fn a_dump_is_loaded_with_the_aof_on_and_empty_and_the_aof_then_holds_it() {
    let s = start_with(rdb_only(""));
    let mut c = s.client();
    fill(&mut c);
    let before = contents(&mut c);
    c.assert(&["SAVE"], OK);
    let dir = s.stop();
    let aof_on = |c: &mut Config| c.appendonly = true;
    let s = start_in(dir, aof_on);
    assert_eq!(contents(&mut s.client()), before);
    // The next start reads the AOF, which now holds the data; the dump is not needed.
    let dir = s.stop();
    std::fs::remove_file(dump(&dir)).unwrap();
    let s = start_in(dir, aof_on);
    assert_eq!(contents(&mut s.client()), before);
    // With data in the AOF, the AOF wins over a dump.
    s.client().assert(&["SET", "s", "from-aof"], OK);
    let dir = s.stop();
    write_dump(&dir, 0, &[(b"s", None)]);
    let s = start_in(dir, aof_on);
    s.client().assert(&["GET", "s"], &bulk("from-aof"));
}
