//! Transactions (design invariant 8): MULTI/EXEC/DISCARD replies byte for byte, isolation under
//! concurrent clients, WATCH for every kind of modification, and optimistic-locking counters.

mod common;

use std::thread;
use std::time::Duration;

use common::*;

#[test]
fn multi_exec_discard_replies() {
    let s = start();
    let mut c = s.client();
    c.assert(&["EXEC"], "-ERR EXEC without MULTI\r\n");
    c.assert(&["DISCARD"], "-ERR DISCARD without MULTI\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["MULTI"], "-ERR MULTI calls can not be nested\r\n");
    c.assert(&["SET", "k", "v"], "+QUEUED\r\n");
    c.assert(&["GET", "k"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*2\r\n+OK\r\n$1\r\nv\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["SET", "k", "other"], "+QUEUED\r\n");
    c.assert(&["DISCARD"], "+OK\r\n");
    c.assert(&["GET", "k"], "$1\r\nv\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["EXEC"], "*0\r\n");
}

#[test]
fn queue_time_errors_abort_exec() {
    let s = start();
    let mut c = s.client();
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["SET", "k", "v"], "+QUEUED\r\n");
    c.assert(
        &["NOSUCHCMD", "x"],
        "-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' \r\n",
    );
    c.assert(
        &["GET"],
        "-ERR wrong number of arguments for 'get' command\r\n",
    );
    c.assert(
        &["EXEC"],
        "-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    c.assert(&["GET", "k"], "$-1\r\n");
    // The connection is out of MULTI again.
    c.assert(&["EXEC"], "-ERR EXEC without MULTI\r\n");
}

#[test]
fn run_time_errors_do_not_roll_back() {
    let s = start();
    let mut c = s.client();
    c.assert(&["RPUSH", "list", "a"], ":1\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["SET", "a", "1"], "+QUEUED\r\n");
    c.assert(&["INCR", "list"], "+QUEUED\r\n");
    c.assert(&["INCR", "a"], "+QUEUED\r\n");
    c.assert(
        &["EXEC"],
        "*3\r\n+OK\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n:2\r\n",
    );
}

#[test]
fn watch_inside_multi_is_refused() {
    let s = start();
    let mut c = s.client();
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(
        &["WATCH", "k"],
        "-ERR WATCH inside MULTI is not allowed\r\n",
    );
    c.assert(&["EXEC"], "*0\r\n");
}

#[test]
fn shutdown_inside_multi_is_refused_and_aborts_the_transaction() {
    let s = start();
    let mut c = s.client();
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["SET", "k", "v"], "+QUEUED\r\n");
    c.assert(
        &["SHUTDOWN"],
        "-ERR Command not allowed inside a transaction\r\n",
    );
    c.assert(
        &["EXEC"],
        "-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    // The server is still up, and nothing of the transaction ran.
    c.assert(&["EXISTS", "k"], ":0\r\n");
}

/// Runs `modify` on a second connection between WATCH and EXEC and checks EXEC fails.
fn assert_watch_broken_by(setup: &[&[&str]], modify: &[&[&str]]) {
    let s = start();
    let mut a = s.client();
    let mut b = s.client();
    for cmd in setup {
        a.cmd(cmd);
    }
    a.assert(&["WATCH", "w"], "+OK\r\n");
    for cmd in modify {
        b.cmd(cmd);
    }
    a.assert(&["MULTI"], "+OK\r\n");
    a.assert(&["SET", "result", "done"], "+QUEUED\r\n");
    a.assert(&["EXEC"], "*-1\r\n");
    a.assert(&["GET", "result"], "$-1\r\n");
    // WATCH state is gone after EXEC: the next transaction succeeds.
    a.assert(&["MULTI"], "+OK\r\n");
    a.assert(&["EXEC"], "*0\r\n");
}

#[test]
fn watch_fails_on_write_by_another_client() {
    assert_watch_broken_by(&[&["SET", "w", "1"]], &[&["SET", "w", "2"]]);
    assert_watch_broken_by(&[&["SET", "w", "1"]], &[&["INCR", "w"]]);
    assert_watch_broken_by(&[&["SET", "w", "1"]], &[&["DEL", "w"]]);
    assert_watch_broken_by(&[], &[&["SET", "w", "new"]]);
    assert_watch_broken_by(&[&["RPUSH", "w", "a"]], &[&["LPOP", "w"]]);
}

#[test]
fn watch_fails_on_flush_and_rename() {
    assert_watch_broken_by(&[&["SET", "w", "1"]], &[&["FLUSHALL"]]);
    assert_watch_broken_by(&[&["SET", "w", "1"]], &[&["FLUSHDB"]]);
    assert_watch_broken_by(&[&["SET", "w", "1"]], &[&["RENAME", "w", "x"]]);
    assert_watch_broken_by(&[&["SET", "src", "1"]], &[&["RENAME", "src", "w"]]);
}

#[test]
fn watch_fails_on_another_transaction() {
    assert_watch_broken_by(
        &[&["SET", "w", "1"]],
        &[&["MULTI"], &["DEL", "w"], &["EXEC"]],
    );
}

#[test]
fn watch_fails_on_expiry() {
    let s = start();
    let mut a = s.client();
    a.assert(&["SET", "w", "1", "PX", "100"], "+OK\r\n");
    a.assert(&["WATCH", "w"], "+OK\r\n");
    // Wait past the deadline without touching the key (margin: 100 ms TTL, wait >= 200 ms).
    thread::sleep(Duration::from_millis(250));
    a.assert(&["MULTI"], "+OK\r\n");
    a.assert(&["SET", "result", "done"], "+QUEUED\r\n");
    a.assert(&["EXEC"], "*-1\r\n");
}

#[test]
fn watch_survives_unrelated_writes_and_no_op_writes() {
    let s = start();
    let mut a = s.client();
    let mut b = s.client();
    a.assert(&["SET", "w", "1"], "+OK\r\n");
    a.assert(&["WATCH", "w"], "+OK\r\n");
    b.assert(&["SET", "other", "x"], "+OK\r\n");
    // SET NX on an existing key changes nothing, so it does not touch the watch.
    b.assert(&["SET", "w", "2", "NX"], "$-1\r\n");
    a.assert(&["MULTI"], "+OK\r\n");
    a.assert(&["GET", "w"], "+QUEUED\r\n");
    a.assert(&["EXEC"], "*1\r\n$1\r\n1\r\n");
}

#[test]
fn unwatch_and_discard_forget_watched_keys() {
    let s = start();
    let mut a = s.client();
    let mut b = s.client();
    a.assert(&["WATCH", "w"], "+OK\r\n");
    a.assert(&["UNWATCH"], "+OK\r\n");
    b.assert(&["SET", "w", "1"], "+OK\r\n");
    a.assert(&["MULTI"], "+OK\r\n");
    a.assert(&["EXEC"], "*0\r\n");

    a.assert(&["WATCH", "w"], "+OK\r\n");
    a.assert(&["MULTI"], "+OK\r\n");
    a.assert(&["DISCARD"], "+OK\r\n");
    b.assert(&["SET", "w", "2"], "+OK\r\n");
    a.assert(&["MULTI"], "+OK\r\n");
    a.assert(&["EXEC"], "*0\r\n");
}

/// Two keys that always sum to 1000: transfers in transactions from many clients, and readers
/// that check the sum inside their own transactions. Any interleaving inside an EXEC would show.
#[test]
fn exec_is_isolated_from_other_clients() {
    let s = start();
    let mut c = s.client();
    c.assert(&["MSET", "a", "500", "b", "500"], "+OK\r\n");
    let addr = s.addr();
    let writers: Vec<_> = (0..4)
        .map(|_| {
            thread::spawn(move || {
                let mut c = Client::connect(addr);
                for i in 0..300 {
                    let amount = (i % 7 + 1).to_string();
                    c.cmd(&["MULTI"]);
                    c.cmd(&["DECRBY", "a", &amount]);
                    c.cmd(&["INCRBY", "b", &amount]);
                    let reply = c.cmd(&["EXEC"]);
                    assert!(
                        reply.starts_with(b"*2\r\n:"),
                        "{}",
                        String::from_utf8_lossy(&reply)
                    );
                }
            })
        })
        .collect();
    let mut reader = s.client();
    for _ in 0..300 {
        reader.cmd(&["MULTI"]);
        reader.cmd(&["GET", "a"]);
        reader.cmd(&["GET", "b"]);
        let reply = String::from_utf8(reader.cmd(&["EXEC"])).unwrap();
        let nums: Vec<i64> = reply.lines().filter_map(|l| l.parse().ok()).collect();
        assert_eq!(nums.len(), 2, "{reply}");
        assert_eq!(
            nums[0] + nums[1],
            1000,
            "a transaction was interleaved: {reply}"
        );
    }
    for w in writers {
        w.join().unwrap();
    }
}

/// N clients each do M check-and-set increments with WATCH/GET/MULTI/SET/EXEC, retrying on a
/// nil reply. Lost updates would leave the counter below N × M.
#[test]
fn optimistic_locking_counters_never_lose_an_update() {
    const N: usize = 6;
    const M: usize = 60;
    let s = start();
    s.client().assert(&["SET", "counter", "0"], "+OK\r\n");
    let addr = s.addr();
    let clients: Vec<_> = (0..N)
        .map(|_| {
            thread::spawn(move || {
                let mut c = Client::connect(addr);
                let mut retries = 0;
                for _ in 0..M {
                    loop {
                        c.cmd(&["WATCH", "counter"]);
                        let got = String::from_utf8(c.cmd(&["GET", "counter"])).unwrap();
                        let value: i64 = got.lines().nth(1).unwrap().parse().unwrap();
                        c.cmd(&["MULTI"]);
                        c.cmd(&["SET", "counter", &(value + 1).to_string()]);
                        if c.cmd(&["EXEC"]) != b"*-1\r\n" {
                            break;
                        }
                        retries += 1;
                    }
                }
                retries
            })
        })
        .collect();
    let retries: usize = clients.into_iter().map(|t| t.join().unwrap()).sum();
    s.client()
        .assert(&["GET", "counter"], &bulk(&(N * M).to_string()));
    // With six clients racing, some EXECs must have been refused; if none were, WATCH was not
    // exercised and the test would prove nothing.
    assert!(retries > 0, "no transaction was ever refused");
}

#[test]
fn smove_of_a_member_the_destination_has_leaves_its_watchers_alone() {
    let s = start();
    let mut c = s.client();
    let mut other = s.client();
    c.assert(&["SADD", "src", "a", "b"], ":2\r\n");
    c.assert(&["SADD", "dst", "a"], ":1\r\n");
    c.assert(&["WATCH", "dst"], "+OK\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["SADD", "dst", "c"], "+QUEUED\r\n");
    other.assert(&["SMOVE", "src", "dst", "a"], ":1\r\n");
    c.assert(&["EXEC"], "*1\r\n:1\r\n");
    c.assert(&["SCARD", "dst"], ":2\r\n");
    c.assert(&["SMEMBERS", "src"], "*1\r\n$1\r\nb\r\n");
}

#[test]
fn deleting_a_key_that_was_already_expired_when_watched_does_not_fail_exec() {
    let s = start_with(|cfg| cfg.enable_debug_command = rust_redis::config::DebugCommand::Yes);
    let mut c = s.client();
    c.assert(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"], "+OK\r\n");
    c.assert(&["SET", "x", "foo", "PX", "1"], "+OK\r\n");
    let gone = wait_until(Duration::from_secs(2), || {
        c.cmd(&["PTTL", "x"]) == b":-2\r\n"
    });
    assert!(gone, "x did not expire");
    // x is past its deadline but still stored: watched stale, then deleted by a read.
    c.assert(&["WATCH", "x"], "+OK\r\n");
    c.assert(&["EXISTS", "x"], ":0\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["PING"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*1\r\n+PONG\r\n");
    // A stale watched key that someone writes afterwards is a change like any other.
    c.assert(&["SET", "y", "foo", "PX", "1"], "+OK\r\n");
    let gone = wait_until(Duration::from_secs(2), || {
        c.cmd(&["PTTL", "y"]) == b":-2\r\n"
    });
    assert!(gone, "y did not expire");
    c.assert(&["WATCH", "y"], "+OK\r\n");
    let mut other = s.client();
    other.assert(&["SET", "y", "new"], "+OK\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["PING"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*-1\r\n");
}

/// The commands that read the store on their own, without a guard from the dispatcher, would wait
/// for ever inside `EXEC`, whose guard this thread already holds, and every other client with
/// them: `INFO` gets the store from the dispatcher, the rest are refused there.
#[test]
fn commands_that_read_the_store_themselves_do_not_hang_exec() {
    let s = start_with(|cfg| cfg.enable_debug_command = rust_redis::config::DebugCommand::Yes);
    let mut c = s.client();
    c.assert(&["SET", "x", "1"], "+OK\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    for queued in [
        &["INFO", "keyspace"][..],
        &["DEBUG", "RELOAD"],
        &["CONFIG", "RESETSTAT"],
    ] {
        c.assert(queued, "+QUEUED\r\n");
    }
    let refused = "-ERR This command cannot run inside MULTI/EXEC or a script\r\n";
    let info = "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n";
    c.assert(
        &["EXEC"],
        &format!("*3\r\n${}\r\n{info}\r\n{refused}{refused}", info.len()),
    );
    // Another client still gets the store.
    s.client().assert(&["GET", "x"], "$1\r\n1\r\n");
}
