//! Active expiry over a real server: keys nobody touches are swept, keys without a TTL cost the
//! sweeper nothing, and an expired key is invisible to every command before and after the sweep.
//!
//! Deadlines are set in-process through the store API (`set_deadline`), so these tests do not
//! depend on the TTL commands; black-box TTL command tests live in `tests/ttl.rs`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

use common::*;
use rust_redis::engine::store::{StoreStats, now_ms};

/// Generous: the sweep of 200,000 keys takes about a second; a loaded machine may take more.
const SWEEP_DEADLINE: Duration = Duration::from_secs(60);

fn stats(s: &TestServer) -> StoreStats {
    shared(s).read_store().stats()
}

fn shared(s: &TestServer) -> &rust_redis::commands::Shared {
    s.server.as_ref().expect("running").shared()
}

/// Sends `SET <prefix><i> v` for `0..n` in pipelined batches and checks every reply is `+OK`.
fn load(s: &TestServer, prefix: &str, n: usize) {
    let c = s.client();
    let mut reader = BufReader::new(c.stream.try_clone().expect("clone"));
    let mut writer = &c.stream;
    let mut line = Vec::new();
    for start in (0..n).step_by(1000) {
        let end = (start + 1000).min(n);
        let mut batch = Vec::new();
        for i in start..end {
            let key = format!("{prefix}{i}");
            batch.extend(encode(&[b"SET", key.as_bytes(), b"v"]));
        }
        writer.write_all(&batch).expect("write");
        for _ in start..end {
            line.clear();
            reader.read_until(b'\n', &mut line).expect("reply");
            assert_eq!(line, b"+OK\r\n");
        }
    }
}

/// Gives `<prefix><i>` for `0..n` a TTL of `ttl_ms`, in-process; returns the deadline (Unix ms).
fn set_ttls(s: &TestServer, prefix: &str, n: usize, ttl_ms: u64) -> u64 {
    let mut guard = shared(s).write_store();
    let store = guard.db_mut(0);
    let now = now_ms();
    for i in 0..n {
        assert!(store.set_deadline(format!("{prefix}{i}").as_bytes(), now + ttl_ms, now));
    }
    now + ttl_ms
}

#[test]
fn untouched_keys_with_a_ttl_are_all_swept() {
    let s = start();
    load(&s, "ttl:", 200_000);
    load(&s, "plain:", 1_000);
    let at = set_ttls(&s, "ttl:", 200_000, 1_000);

    // Nobody reads the keys: only the sweeper can delete them.
    let swept = wait_until(SWEEP_DEADLINE, || {
        shared(&s).read_store().db(0).raw_len() == 1_000
    });
    let st = stats(&s);
    assert!(
        swept,
        "left: {} keys; {st:?}",
        shared(&s).read_store().db(0).raw_len()
    );
    assert!(now_ms() >= at, "nothing is deleted before its deadline");
    {
        let guard = shared(&s).read_store();
        let store = guard.db(0);
        assert_eq!(store.len(), 1_000, "DBSIZE");
        assert!(store.expires().is_empty());
    }
    assert_eq!(st.expired_keys, 200_000);
    assert!(st.expired_stale_perc > 0.0, "{st:?}");
    // O(sample): each key was looked at once when it went, plus one round of 20 per cycle
    // that found nothing due (before the deadline, or at the end of a cycle).
    assert!(
        st.expire_cycle_sampled_keys <= 200_000 + 20 * st.expire_cycles,
        "{st:?}"
    );
    // The keys without a TTL are still there.
    let mut c = s.client();
    c.assert(&["GET", "plain:999"], &bulk("v"));
    c.assert(&["GET", "ttl:0"], "$-1\r\n");
}

#[test]
fn keys_without_a_ttl_cost_the_sweeper_nothing() {
    // hz 100: ten cycles in about 100 ms. (The unit tests of `active_expire` do this with a
    // million keys and a fake clock.)
    let s = start_with(|cfg| cfg.hz = 100);
    {
        let mut guard = shared(&s).write_store();
        let store = guard.db_mut(0);
        let now = now_ms();
        for i in 0..100_000u32 {
            store.set(
                &i.to_be_bytes(),
                rust_redis::engine::store::Data::Str(b"v".as_slice().into()),
                now,
            );
        }
    }
    let cycles = stats(&s).expire_cycles;
    assert!(wait_until(SWEEP_DEADLINE, || stats(&s).expire_cycles >= cycles + 10));
    let st = stats(&s);
    assert_eq!(st.expire_cycle_sampled_keys, 0, "{st:?}");
    assert_eq!(st.expired_keys, 0);
    assert_eq!(shared(&s).read_store().db(0).raw_len(), 100_000);
}

/// Asserts the reply to `args`, or that the command does not exist in this build.
#[track_caller]
fn assert_absent(c: &mut Client, args: &[&str], expected: &str) -> bool {
    let got = String::from_utf8_lossy(&c.cmd(args)).into_owned();
    if got.starts_with("-ERR unknown command") {
        return false;
    }
    assert_eq!(got, expected, "reply to {args:?} after the deadline");
    true
}

#[test]
fn an_expired_key_is_never_visible_through_any_command() {
    // hz 1: the sweeper comes once a second, so the checks usually run while the key is expired
    // but still in memory; either way every command must answer as if it were gone.
    let s = start_with(|cfg| cfg.hz = 1);
    let mut c = s.client();
    for round in 0..3 {
        c.assert(&["SET", "k", "hello"], "+OK\r\n");
        let at = now_ms() + 50;
        assert!(
            shared(&s)
                .write_store()
                .db_mut(0)
                .set_deadline(b"k", at, now_ms())
        );
        let before = c.cmd(&["GET", "k"]);
        if now_ms() < at {
            // Answered before the deadline (a loaded machine may get here too late to know).
            assert_eq!(before, bulk("hello").into_bytes());
        }
        assert!(wait_until(Duration::from_secs(5), || now_ms() > at));

        c.assert(&["GET", "k"], "$-1\r\n");
        let checks: &[(&[&str], &str)] = &[
            (&["EXISTS", "k"], ":0\r\n"),
            (&["TYPE", "k"], "+none\r\n"),
            (&["KEYS", "*"], "*0\r\n"),
            (&["SCAN", "0"], "*2\r\n$1\r\n0\r\n*0\r\n"),
            // (DBSIZE counts it until it is deleted, as Redis's does.)
            (&["RANDOMKEY"], "$-1\r\n"),
            (&["TTL", "k"], ":-2\r\n"),
            (&["PTTL", "k"], ":-2\r\n"),
            (&["EXPIRETIME", "k"], ":-2\r\n"),
            (&["STRLEN", "k"], ":0\r\n"),
            (&["MGET", "k"], "*1\r\n$-1\r\n"),
            (&["GETRANGE", "k", "0", "-1"], "$0\r\n\r\n"),
            (&["LLEN", "k"], ":0\r\n"),
            // Writes find it gone too (and delete it lazily).
            (&["PERSIST", "k"], ":0\r\n"),
            (&["RENAME", "k", "k2"], "-ERR no such key\r\n"),
            (&["GETDEL", "k"], "$-1\r\n"),
            (&["DEL", "k"], ":0\r\n"),
        ];
        let checked = checks
            .iter()
            .filter(|(args, want)| assert_absent(&mut c, args, want))
            .count();
        if round == 0 {
            eprintln!(
                "checked {} of {} commands besides GET in this build",
                checked,
                checks.len()
            );
        }
        assert!(wait_until(SWEEP_DEADLINE, || shared(&s)
            .read_store()
            .db(0)
            .raw_len()
            == 0));
        c.assert(&["GET", "k"], "$-1\r\n");
    }
}

#[test]
fn a_swept_key_counts_as_modified_for_watch() {
    let s = start_with(|cfg| cfg.hz = 100);
    let mut c = s.client();
    c.assert(&["SET", "k", "v"], "+OK\r\n");
    let at = now_ms() + 50;
    assert!(
        shared(&s)
            .write_store()
            .db_mut(0)
            .set_deadline(b"k", at, now_ms())
    );
    c.assert(&["WATCH", "k"], "+OK\r\n");
    // Deleted by the sweeper, not by any command.
    assert!(wait_until(SWEEP_DEADLINE, || shared(&s)
        .read_store()
        .db(0)
        .raw_len()
        == 0));
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["GET", "k"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*-1\r\n");
}

#[test]
fn with_active_expiry_off_only_a_touch_deletes_an_expired_key() {
    // DEBUG, as in Redis, needs `enable-debug-command`.
    let s = start_with(|c| c.enable_debug_command = rust_redis::config::DebugCommand::Yes);
    let mut c = s.client();
    c.assert(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"], "+OK\r\n");
    load(&s, "k", 100);
    {
        let mut guard = shared(&s).write_store();
        let store = guard.db_mut(0);
        let now = now_ms();
        for i in 0..100 {
            assert!(store.set_deadline(format!("k{i}").as_bytes(), now + 20, now));
        }
    }
    // Long enough for many cycles at hz 10 had the sweeper been on.
    let cycles = stats(&s).expire_cycles;
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(stats(&s).expire_cycles, cycles, "the sweeper ran");
    assert_eq!(shared(&s).read_store().db(0).raw_len(), 100, "still stored");
    // Invisible all the same (design invariant 2), and a write that touches one deletes it.
    // DBSIZE counts what is stored, as Redis's does: the hundred are there until deleted.
    c.assert(&["DBSIZE"], ":100\r\n");
    c.assert(&["DEL", "k0"], ":0\r\n");
    assert_eq!(shared(&s).read_store().db(0).raw_len(), 99);
    // Back on, the sweeper takes the rest by itself.
    c.assert(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"], "+OK\r\n");
    assert!(wait_until(SWEEP_DEADLINE, || shared(&s)
        .read_store()
        .db(0)
        .raw_len()
        == 0));
}
