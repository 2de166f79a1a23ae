//! Scripts: `EVAL` and friends, `SCRIPT`, `FUNCTION` and `FCALL`. The same scripts go to a real
//! `redis-server` and to ours and the replies are compared byte for byte (skipped, with a note,
//! where Redis is not installed); then what needs two clients or the log: atomicity, `SCRIPT
//! KILL`, pauses, tracking, the AOF.

mod common;

use std::time::Duration;

use common::*;

/// Script exchanges whose replies must match Redis's exactly: conversions both ways, errors
/// raised and caught, the refusals of `redis.call`, shebang flags, the script cache, functions.
const CASES: &[&[&str]] = &[
    &["SET", "s", "x"],
    &[
        "EVAL",
        "return redis.call('set', KEYS[1], ARGV[1])",
        "1",
        "k",
        "v",
    ],
    &["EVAL", "return redis.call('get', KEYS[1])", "1", "k"],
    &["EVAL", "return redis.call('get', 'missing')", "0"],
    &["EVAL", "return {1, 2, {3, 'x'}, nil, 4}", "0"],
    &["EVAL", "return {1e20, -2.7, 3.99}", "0"],
    &["EVAL", "return {true, false, 'a'}", "0"],
    &["EVAL", "return redis.status_reply('FINE')", "0"],
    &["EVAL", "return redis.error_reply('MY err')", "0"],
    &["EVAL", "return {err = 'X y'}", "0"],
    &["EVAL", "return {err = 'X\\r\\n+injected'}", "0"],
    &["EVAL", "return {ok = 'fine\\r\\n:1'}", "0"],
    &["EVAL", "return redis.pcall('lpush', 's', 'a')", "0"],
    &["EVAL", "return redis.call('lpush', 's', 'a')", "0"],
    &["EVAL", "return redis.call('nosuch')", "0"],
    &["EVAL", "return redis.call('get')", "0"],
    &["EVAL", "return redis.call('multi')", "0"],
    &["EVAL", "return x", "0"],
    &["EVAL", "x = 1", "0"],
    &["EVAL", "return 1 +", "0"],
    &["EVAL", "error('boom')", "0"],
    &["EVAL", "error({err = 'MY boom'})", "0"],
    &["EVAL", "local t = {}\nlocal x = 1\nreturn t.a.b", "0"],
    &["EVAL", "return 1 + {}", "0"],
    &["EVAL", "return 'a' .. nil", "0"],
    &[
        "EVAL",
        "return #KEYS .. ARGV[1] .. ARGV[2]",
        "1",
        "k",
        "v",
        "w",
    ],
    &["EVAL", "return tostring(1/3) .. ' ' .. tostring(10/2)", "0"],
    &[
        "EVAL",
        "return string.format('%d %s %5.2f', 3, 'x', 3.14159)",
        "0",
    ],
    &[
        "EVAL",
        "local r = {} for i, v in ipairs({'a','b'}) do r[#r+1] = v .. i end return r",
        "0",
    ],
    &["EVAL", "return redis.sha1hex('')", "0"],
    &["EVAL", "return redis.call('incrby', KEYS[1], 5)", "1", "n"],
    &[
        "EVAL",
        "return redis.call('hset', 'h', 'f', 1) + redis.call('hlen', 'h')",
        "0",
    ],
    &["EVAL", "return redis.call('hgetall', 'h')", "0"],
    &["EVAL", "return 1", "-1"],
    &["EVAL", "return 1", "2", "k"],
    &["EVAL", "return 1", "x"],
    &["EVAL", "return 1 +", "x"],
    &["EVAL", "return 1 +", "5", "a"],
    &["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "-1"],
    &["FCALL", "nosuch", "x"],
    &["EVAL_RO", "return redis.call('set', 'a', 'b')", "0"],
    &["EVAL_RO", "return redis.call('get', 'k')", "1", "k"],
    &[
        "EVAL",
        "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')",
        "0",
    ],
    &[
        "EVAL",
        "#!lua flags=no-writes\nreturn redis.call('publish', 'ch', 'm')",
        "0",
    ],
    &["EVAL", "#!lua\nreturn x", "0"],
    &["EVAL", "#!python\nreturn 1", "0"],
    &["EVAL", "#!lua flags=bad\nreturn 1", "0"],
    &["EVAL", "#!lua foo=bar\nreturn 1", "0"],
    &["SCRIPT", "LOAD", "return 'cached'"],
    &["EVALSHA", "b0cb0f5ba9f82cd4ef2bf95c8f2e8dd7a1be1c13", "0"],
    &[
        "SCRIPT",
        "EXISTS",
        "b0cb0f5ba9f82cd4ef2bf95c8f2e8dd7a1be1c13",
        "ffff",
    ],
    &["SCRIPT", "FLUSH"],
    &["EVALSHA", "b0cb0f5ba9f82cd4ef2bf95c8f2e8dd7a1be1c13", "0"],
    &["SCRIPT", "KILL"],
    &[
        "FUNCTION",
        "LOAD",
        "#!lua name=lib\nredis.register_function('f1', function(keys, args) return redis.call('get', keys[1]) end)",
    ],
    &["FCALL", "f1", "1", "k"],
    &[
        "FUNCTION",
        "LOAD",
        "#!lua name=lib\nredis.register_function('f1', function() return 1 end)",
    ],
    &["FUNCTION", "LOAD", "return 1"],
    &["FUNCTION", "LOAD", "#!lua name=lib2\nreturn 1"],
    &[
        "FUNCTION",
        "LOAD",
        "#!lua name=lib3\nredis.register_function{function_name='f3', callback=function() return redis.call('set','a','b') end, flags={'no-writes'}}",
    ],
    &["FCALL", "f3", "0"],
    &["FCALL", "nosuch", "0"],
    &["FCALL_RO", "f1", "1", "k"],
    &["FUNCTION", "DELETE", "nolib"],
    &["FUNCTION", "DELETE", "lib"],
    &["FCALL", "f1", "0"],
    &["FUNCTION", "FLUSH"],
    &["FUNCTION", "LIST"],
    // On a read-only replica a script may read, and its writes are refused as a client's.
    &["REPLICAOF", "127.0.0.1", "1"],
    &["EVAL", "return redis.call('set', 'a', 'b')", "0"],
    &["EVAL", "#!lua\nreturn redis.call('set', 'a', 'b')", "0"],
    &["EVAL", "return redis.call('get', 'k')", "0"],
    &["REPLICAOF", "NO", "ONE"],
];

#[test]
fn scripts_answer_as_redis_does() {
    let Some(real) = RealRedis::start("scripts_answer_as_redis_does") else {
        return;
    };
    let s = start();
    let (mut ours, mut theirs) = (s.client(), Client::connect(real.addr));
    for case in CASES {
        let want = theirs.cmd(case);
        let got = ours.cmd(case);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "{case:?}"
        );
    }
}

/// A script is one transaction: another client never sees it half done.
#[test]
fn a_script_runs_atomically() {
    let s = start();
    let mut c = s.client();
    let script = "for i = 1, 2000 do redis.call('incr', KEYS[1]) end \
                  redis.call('del', KEYS[1]) return 1";
    let mut other = s.client();
    let writer = std::thread::spawn(move || {
        for _ in 0..20 {
            c.assert(&["EVAL", script, "1", "n"], ":1\r\n");
        }
    });
    for _ in 0..200 {
        // Either before or after a whole script: never a count part way.
        other.assert(&["GET", "n"], "$-1\r\n");
    }
    writer.join().expect("the scripts ran");
}

/// Past `busy-reply-threshold` the other clients get `BUSY` instead of waiting, and `SCRIPT
/// KILL` stops an endless script that wrote nothing.
#[test]
fn script_kill_stops_an_endless_loop() {
    let s = start();
    let mut admin = s.client();
    admin.assert(&["CONFIG", "SET", "busy-reply-threshold", "50"], OK);
    let mut looping = s.client();
    looping.send(&["EVAL", "while true do end", "0"]);
    // `PING` needs no store, so it answers at once: `PONG` until the script is busy, then `BUSY`.
    let busy = "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN \
                NOSAVE.\r\n";
    assert!(wait_until(Duration::from_secs(10), || {
        admin.cmd(&["PING"]) == busy.as_bytes()
    }));
    assert!(wait_until(Duration::from_secs(10), || {
        admin.cmd(&["SCRIPT", "KILL"]) == b"+OK\r\n"
    }));
    let reply = String::from_utf8_lossy(&looping.read_reply()).into_owned();
    assert!(
        reply.starts_with("-ERR Script killed by user with SCRIPT KILL... script: "),
        "{reply}"
    );
    looping.assert(&["PING"], "+PONG\r\n");
}

/// A script's writes reach the AOF as their effects inside `MULTI` … `EXEC`, and a function
/// library as its `FUNCTION LOAD`: a restart has the same data and can still call it.
#[test]
fn scripts_are_logged_by_their_effects() {
    let lib = "#!lua name=counter\nredis.register_function('bump', \
               function(keys) return redis.call('incr', keys[1]) end)";
    let aof_on = |cfg: &mut rust_redis::config::Config| {
        cfg.appendonly = true;
        cfg.appendfsync = rust_redis::config::FsyncPolicy::Always;
    };
    let s = start_with(aof_on);
    let mut c = s.client();
    c.assert(
        &["EVAL", "return redis.call('incrby', KEYS[1], 41)", "1", "n"],
        ":41\r\n",
    );
    c.assert(&["FUNCTION", "LOAD", lib], &bulk("counter"));
    c.assert(&["FCALL", "bump", "1", "n"], ":42\r\n");
    let log = std::fs::read(s.dir.0.join("appendonly.aof")).unwrap_or_default();
    let log = String::from_utf8_lossy(&log).into_owned();
    // `INCRBY` is logged as the `SET` of its result, like any client's.
    assert!(log.contains("SET\r\n$1\r\nn\r\n$2\r\n41\r\n"), "{log}");
    assert!(!log.contains("EVAL") && !log.contains("FCALL"), "{log}");
    let s = start_in(s.stop(), aof_on);
    let mut c = s.client();
    c.assert(&["GET", "n"], &bulk("42"));
    c.assert(&["FCALL", "bump", "1", "n"], ":43\r\n");
}

/// A script that returns deep recursion or runs out of stack answers an error, and the server
/// goes on.
#[test]
fn hostile_scripts_get_errors() {
    let s = start();
    let mut c = s.client();
    for script in [
        "local function f() return f() + 1 end return f()",
        "return string.rep('x', 1e12)",
        &format!("return {}1{}", "(".repeat(100_000), ")".repeat(100_000)),
        &format!("return {}", vec!["1"; 100_000].join("+")),
    ] {
        let reply = c.cmd(&["EVAL", script, "0"]);
        assert!(
            reply.starts_with(b"-"),
            "{}",
            String::from_utf8_lossy(&reply)
        );
    }
    c.assert(&["PING"], "+PONG\r\n");
}
