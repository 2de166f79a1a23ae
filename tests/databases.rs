//! Sixteen databases: `SELECT`, `MOVE`, `SWAPDB`, the flushes, and everything that must know
//! which database a key is in (the AOF, `WATCH`, blocked clients, expiry, `INFO keyspace`),
//! each reply as Redis 7.0 gives it.

mod common;

use std::time::Duration;

use common::*;

const OK: &str = "+OK\r\n";

#[test]
fn each_database_is_a_keyspace_of_its_own() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "k", "zero"], OK);
    c.assert(&["SELECT", "9"], OK);
    let info = String::from_utf8(c.cmd(&["CLIENT", "INFO"])).unwrap();
    assert!(info.contains(" db=9 "), "{info}");
    c.assert(&["GET", "k"], "$-1\r\n");
    c.assert(&["SET", "k", "nine"], OK);
    c.assert(&["SET", "other", "x"], OK);
    c.assert(&["DBSIZE"], ":2\r\n");
    assert_eq!(bulks(&c.cmd(&["KEYS", "*"])).len(), 2);
    assert_eq!(bulks(&c.cmd(&["KEYS", "k*"])), vec![b"k".to_vec()]);
    c.assert(&["SELECT", "0"], OK);
    c.assert(&["GET", "k"], &bulk("zero"));
    c.assert(&["DBSIZE"], ":1\r\n");
    // A second connection starts in database 0, whatever the first selected.
    let mut d = s.client();
    d.assert(&["GET", "k"], &bulk("zero"));
    d.assert(&["SELECT", "16"], &err("ERR DB index is out of range"));
    d.assert(&["SELECT", "-1"], &err("ERR DB index is out of range"));
    d.assert(
        &["SELECT", "x"],
        &err("ERR value is not an integer or out of range"),
    );
    d.assert(
        &["SELECT", "99999999999999"],
        &err("ERR value is out of range, value must between -2147483648 and 2147483647"),
    );
    // RESET goes back to database 0.
    d.assert(&["SELECT", "9"], OK);
    d.assert(&["RESET"], "+RESET\r\n");
    d.assert(&["GET", "k"], &bulk("zero"));
}

#[test]
fn info_keyspace_has_a_line_per_database_with_keys() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "a", "1"], OK);
    c.assert(&["SELECT", "3"], OK);
    c.assert(&["SET", "b", "1", "EX", "100"], OK);
    c.assert(&["SET", "c", "1"], OK);
    let info = String::from_utf8(c.cmd(&["INFO", "keyspace"])).unwrap();
    assert!(
        info.contains("db0:keys=1,expires=0,avg_ttl=0\r\n"),
        "{info}"
    );
    assert!(info.contains("db3:keys=2,expires=1,avg_ttl="), "{info}");
    assert!(!info.contains("db1:"), "{info}");
    assert_eq!(
        String::from_utf8(c.cmd(&["CONFIG", "GET", "databases"])).unwrap(),
        "*2\r\n$9\r\ndatabases\r\n$2\r\n16\r\n"
    );
}

#[test]
fn databases_is_a_start_up_setting() {
    let s = start_with(|cfg| cfg.databases = 2);
    let mut c = s.client();
    c.assert(&["SELECT", "1"], OK);
    c.assert(&["SELECT", "2"], &err("ERR DB index is out of range"));
    c.assert(
        &["CONFIG", "SET", "databases", "4"],
        &err("ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"),
    );
}

#[test]
fn move_takes_the_key_and_its_ttl_to_another_database() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "k", "v", "EX", "100"], OK);
    c.assert(&["MOVE", "k", "1"], ":1\r\n");
    c.assert(&["EXISTS", "k"], ":0\r\n");
    c.assert(&["MOVE", "k", "1"], ":0\r\n");
    c.assert(&["SELECT", "1"], OK);
    c.assert(&["GET", "k"], &bulk("v"));
    assert_ttl(&mut c, "k", 100);
    // Not moved over an existing key.
    c.assert(&["SELECT", "0"], OK);
    c.assert(&["SET", "k", "again"], OK);
    c.assert(&["MOVE", "k", "1"], ":0\r\n");
    c.assert(&["GET", "k"], &bulk("again"));
    c.assert(
        &["MOVE", "k", "0"],
        &err("ERR source and destination objects are the same"),
    );
    c.assert(&["MOVE", "k", "16"], &err("ERR DB index is out of range"));
    c.assert(&["MOVE", "k", "-1"], &err("ERR DB index is out of range"));
    c.assert(
        &["MOVE", "k", "x"],
        &err("ERR value is not an integer or out of range"),
    );
}

#[test]
fn copy_into_another_database() {
    let s = start();
    let mut c = s.client();
    c.assert(&["RPUSH", "l", "a", "b"], ":2\r\n");
    c.assert(&["COPY", "l", "l", "DB", "2"], ":1\r\n");
    c.assert(&["COPY", "l", "l", "DB", "2"], ":0\r\n");
    c.assert(&["COPY", "l", "l", "DB", "2", "REPLACE"], ":1\r\n");
    c.assert(
        &["COPY", "l", "l", "DB", "0"],
        &err("ERR source and destination objects are the same"),
    );
    c.assert(&["COPY", "nope", "x", "DB", "2"], ":0\r\n");
    c.assert(&["SELECT", "2"], OK);
    c.assert(&["LRANGE", "l", "0", "-1"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
}

#[test]
fn swapdb_trades_the_keys_of_two_databases() {
    let s = start();
    let mut c = s.client();
    let mut other = s.client();
    c.assert(&["SET", "k", "zero"], OK);
    other.assert(&["SELECT", "1"], OK);
    other.assert(&["SET", "k", "one"], OK);
    c.assert(&["SWAPDB", "0", "1"], OK);
    c.assert(&["GET", "k"], &bulk("one"));
    other.assert(&["GET", "k"], &bulk("zero"));
    // Two databases neither client is in.
    c.assert(&["SELECT", "5"], OK);
    c.assert(&["SET", "five", "5"], OK);
    other.assert(&["SWAPDB", "5", "6"], OK);
    c.assert(&["EXISTS", "five"], ":0\r\n");
    c.assert(&["SELECT", "6"], OK);
    c.assert(&["GET", "five"], &bulk("5"));
    c.assert(&["SWAPDB", "3", "3"], OK);
    c.assert(&["SWAPDB", "x", "1"], &err("ERR invalid first DB index"));
    c.assert(&["SWAPDB", "1", "x"], &err("ERR invalid second DB index"));
    c.assert(&["SWAPDB", "0", "16"], &err("ERR DB index is out of range"));
    c.assert(&["SWAPDB", "-1", "0"], &err("ERR DB index is out of range"));
}

#[test]
fn flushdb_empties_one_database_and_flushall_every_one() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "a", "1"], OK);
    c.assert(&["SELECT", "1"], OK);
    c.assert(&["SET", "b", "1"], OK);
    c.assert(&["FLUSHDB"], OK);
    c.assert(&["DBSIZE"], ":0\r\n");
    c.assert(&["SELECT", "0"], OK);
    c.assert(&["DBSIZE"], ":1\r\n");
    c.assert(&["SELECT", "2"], OK);
    c.assert(&["SET", "c", "1"], OK);
    c.assert(&["FLUSHALL", "ASYNC"], OK);
    c.assert(&["DBSIZE"], ":0\r\n");
    c.assert(&["SELECT", "0"], OK);
    c.assert(&["DBSIZE"], ":0\r\n");
    c.assert(&["FLUSHDB", "x"], &err("ERR syntax error"));
}

#[test]
fn watch_knows_the_database_of_a_key() {
    let s = start();
    let mut c = s.client();
    let mut other = s.client();
    c.assert(&["WATCH", "k"], OK);
    // The same name in another database is another key.
    other.assert(&["SELECT", "1"], OK);
    other.assert(&["SET", "k", "x"], OK);
    c.assert(&["MULTI"], OK);
    c.assert(&["PING"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*1\r\n+PONG\r\n");
    // MOVE into the watched database touches the key there.
    c.assert(&["WATCH", "k"], OK);
    other.assert(&["MOVE", "k", "0"], ":1\r\n");
    c.assert(&["MULTI"], OK);
    c.assert(&["PING"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*-1\r\n");
    // FLUSHDB of another database leaves the watch alone; SWAPDB with ours does not.
    c.assert(&["WATCH", "k"], OK);
    other.assert(&["FLUSHDB"], OK);
    c.assert(&["MULTI"], OK);
    c.assert(&["EXEC"], "*0\r\n");
    c.assert(&["WATCH", "k"], OK);
    other.assert(&["SWAPDB", "0", "1"], OK);
    c.assert(&["MULTI"], OK);
    c.assert(&["EXEC"], "*-1\r\n");
    // A flush touches only watched keys that existed.
    c.assert(&["WATCH", "missing"], OK);
    other.assert(&["FLUSHALL"], OK);
    c.assert(&["MULTI"], OK);
    c.assert(&["EXEC"], "*0\r\n");
}

#[test]
fn select_inside_multi_moves_the_rest_of_the_transaction() {
    let s = start_with(|cfg| cfg.appendonly = true);
    let mut c = s.client();
    c.assert(&["MULTI"], OK);
    c.assert(&["SET", "a", "0"], "+QUEUED\r\n");
    c.assert(&["SELECT", "4"], "+QUEUED\r\n");
    c.assert(&["SET", "a", "4"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*3\r\n+OK\r\n+OK\r\n+OK\r\n");
    c.assert(&["GET", "a"], &bulk("4"));
    c.assert(&["SELECT", "0"], OK);
    c.assert(&["GET", "a"], &bulk("0"));
    // The file says so, and a restart gives it all back.
    let dir = s.stop();
    let s = start_in(dir, |cfg| cfg.appendonly = true);
    let mut c = s.client();
    c.assert(&["GET", "a"], &bulk("0"));
    c.assert(&["SELECT", "4"], OK);
    c.assert(&["GET", "a"], &bulk("4"));
}

#[test]
fn the_aof_selects_databases_as_redis_writes_them() {
    let s = start_with(|cfg| cfg.appendonly = true);
    let mut c = s.client();
    c.assert(&["SET", "a", "1"], OK);
    c.assert(&["SELECT", "3"], OK);
    c.assert(&["SET", "b", "2"], OK);
    c.assert(&["SET", "c", "3"], OK);
    c.assert(&["MOVE", "c", "7"], ":1\r\n");
    c.assert(&["SWAPDB", "3", "8"], OK);
    let path = s.dir.0.join("appendonly.aof");
    let text =
        || String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).replace("\r\n", " ");
    assert!(
        wait_until(Duration::from_secs(5), || text().contains("SWAPDB")),
        "{}",
        text()
    );
    assert_eq!(
        text(),
        "*2 $6 SELECT $1 0 *3 $3 SET $1 a $1 1 *2 $6 SELECT $1 3 *3 $3 SET $1 b $1 2 \
         *3 $3 SET $1 c $1 3 *3 $4 MOVE $1 c $1 7 *3 $6 SWAPDB $1 3 $1 8 "
    );
    // A rewrite writes each database after a SELECT of it; later appends select again.
    c.assert(
        &["BGREWRITEAOF"],
        "+Background append only file rewriting started\r\n",
    );
    assert!(wait_until(Duration::from_secs(10), || text()
        .starts_with("*2 $6 SELECT $1 0 *3 $3 SET $1 a")
        && !text().contains("MOVE")));
    c.assert(&["SET", "d", "4"], OK);
    assert!(
        wait_until(Duration::from_secs(5), || text()
            .ends_with("*2 $6 SELECT $1 3 *3 $3 SET $1 d $1 4 ")),
        "{}",
        text()
    );
    let dir = s.stop();
    let s = start_in(dir, |cfg| cfg.appendonly = true);
    let mut c = s.client();
    c.assert(&["GET", "a"], &bulk("1"));
    for (db, key, value) in [("7", "c", "3"), ("8", "b", "2"), ("3", "d", "4")] {
        c.assert(&["SELECT", db], OK);
        c.assert(&["GET", key], &bulk(value));
    }
    c.assert(&["SELECT", "3"], OK);
    c.assert(&["DBSIZE"], ":1\r\n");
}

#[test]
fn a_file_that_selects_a_missing_database_stops_the_load() {
    let dir = TempDir::new();
    std::fs::write(
        dir.0.join("appendonly.aof"),
        "*2\r\n$6\r\nSELECT\r\n$2\r\n20\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
    )
    .unwrap();
    let mut config = test_config(&dir);
    config.appendonly = true;
    let failed = rust_redis::server::start(config)
        .err()
        .expect("the load fails");
    assert!(format!("{failed:#}").contains("SELECT 20"), "{failed:#}");
}

#[test]
fn a_blocked_pop_waits_on_its_own_database() {
    let s = start();
    let mut waiter = s.client();
    let mut pusher = s.client();
    waiter.assert(&["SELECT", "2"], OK);
    waiter.send(&["BLPOP", "q", "5"]);
    assert!(wait_until(Duration::from_secs(5), || {
        String::from_utf8_lossy(&pusher.cmd(&["INFO", "clients"])).contains("blocked_clients:1")
    }));
    // The same key in database 0 does not serve it.
    pusher.assert(&["RPUSH", "q", "zero"], ":1\r\n");
    pusher.assert(&["SELECT", "2"], OK);
    pusher.assert(&["RPUSH", "q", "two"], ":1\r\n");
    assert_eq!(waiter.read_reply(), b"*2\r\n$1\r\nq\r\n$3\r\ntwo\r\n");
    pusher.assert(&["SELECT", "0"], OK);
    pusher.assert(&["LLEN", "q"], ":1\r\n");
}

#[test]
fn swapdb_serves_a_client_blocked_on_the_other_side() {
    let s = start();
    let mut waiter = s.client();
    let mut other = s.client();
    waiter.send(&["BLPOP", "q", "5"]);
    assert!(wait_until(Duration::from_secs(5), || {
        String::from_utf8_lossy(&other.cmd(&["INFO", "clients"])).contains("blocked_clients:1")
    }));
    other.assert(&["SELECT", "1"], OK);
    other.assert(&["RPUSH", "q", "x"], ":1\r\n");
    other.assert(&["SWAPDB", "0", "1"], OK);
    assert_eq!(waiter.read_reply(), b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
}

#[test]
fn keys_expire_in_every_database() {
    let s = start();
    let mut c = s.client();
    for db in ["0", "5", "15"] {
        c.assert(&["SELECT", db], OK);
        c.assert(&["SET", "k", "v", "PX", "10"], OK);
    }
    // Nobody reads them: only the active expiry can delete them.
    let expired =
        || String::from_utf8_lossy(&c.cmd(&["INFO", "stats"])).contains("expired_keys:3\r\n");
    assert!(wait_until(Duration::from_secs(5), expired));
}

#[test]
fn flushes_and_swapdb_leave_watched_stale_keys_alone() {
    let s = start_with(|cfg| cfg.enable_debug_command = rust_redis::config::DebugCommand::Yes);
    let mut c = s.client();
    c.assert(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"], OK);
    let stale = |c: &mut Client, db: &str| {
        c.assert(&["SELECT", db], OK);
        c.assert(&["SET", "x", "foo", "PX", "1"], OK);
    };
    let pong_after = |c: &mut Client, watch_db: &str, cmd: &[&str]| {
        // Stale: past its deadline, still in memory (the reads below do not delete it).
        assert!(wait_until(Duration::from_secs(2), || c.cmd(&["PTTL", "x"])
            == b":-2\r\n"));
        c.assert(&["SELECT", watch_db], OK);
        c.assert(&["WATCH", "x"], OK);
        c.assert(cmd, OK);
        c.assert(&["MULTI"], OK);
        c.assert(&["PING"], "+QUEUED\r\n");
        c.assert(&["EXEC"], "*1\r\n+PONG\r\n");
        c.assert(&["FLUSHALL"], OK);
    };
    stale(&mut c, "0");
    pong_after(&mut c, "0", &["FLUSHDB"]);
    stale(&mut c, "1");
    pong_after(&mut c, "1", &["SWAPDB", "0", "1"]);
    // A missing key replaced with a stale one did not change either.
    stale(&mut c, "0");
    pong_after(&mut c, "1", &["SWAPDB", "0", "1"]);
    stale(&mut c, "0");
    stale(&mut c, "1");
    pong_after(&mut c, "1", &["SWAPDB", "0", "1"]);
}

#[test]
fn a_key_expired_inside_a_transaction_is_deleted_in_its_own_database_after_a_swapdb() {
    let s = start_with(|cfg| {
        cfg.appendonly = true;
        cfg.enable_debug_command = rust_redis::config::DebugCommand::Yes;
    });
    let mut c = s.client();
    c.assert(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"], OK);
    c.assert(&["SELECT", "1"], OK);
    c.assert(&["SET", "x", "keep"], OK);
    c.assert(&["SELECT", "0"], OK);
    c.assert(&["SET", "x", "stale", "PX", "1"], OK);
    assert!(wait_until(Duration::from_secs(2), || c.cmd(&["PTTL", "x"])
        == b":-2\r\n"));
    // The SET meets the expired x (a lazy DEL in database 0), then the databases trade places.
    c.assert(&["MULTI"], OK);
    c.assert(&["SET", "x", "new"], "+QUEUED\r\n");
    c.assert(&["SWAPDB", "0", "1"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*2\r\n+OK\r\n+OK\r\n");
    c.assert(&["GET", "x"], &bulk("keep"));
    let dir = s.stop();
    // Replayed, the DEL must land where the key was, not on database 1's live key.
    let s = start_in(dir, |cfg| cfg.appendonly = true);
    let mut c = s.client();
    c.assert(&["GET", "x"], &bulk("keep"));
    c.assert(&["SELECT", "1"], OK);
    c.assert(&["GET", "x"], &bulk("new"));
}
