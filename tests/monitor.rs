//! `MONITOR` over real sockets: the line format, what is left out, a stalled watcher, and
//! clean-up on disconnect.

mod common;

use std::time::Duration;

use common::*;

/// Checks one monitor line: `+<secs>.<6 digits> [0 <addr>] <words>\r\n`.
#[track_caller]
fn assert_line(got: &[u8], addr: &str, words: &[u8]) {
    let text = String::from_utf8_lossy(got).into_owned();
    let rest = text
        .strip_prefix('+')
        .unwrap_or_else(|| panic!("not a status line: {text:?}"));
    let (stamp, rest) = rest.split_once(' ').expect("timestamp");
    let (secs, micros) = stamp.split_once('.').expect("secs.micros");
    assert!(
        secs.len() >= 10 && secs.bytes().all(|b| b.is_ascii_digit()),
        "{text:?}"
    );
    assert!(
        micros.len() == 6 && micros.bytes().all(|b| b.is_ascii_digit()),
        "{text:?}"
    );
    let mut want = format!("[0 {addr}] ").into_bytes();
    want.extend_from_slice(words);
    want.extend_from_slice(b"\r\n");
    assert_eq!(rest, String::from_utf8_lossy(&want));
}

#[test]
fn monitor_streams_every_command_as_redis_prints_it() {
    let s = start();
    let mut m = s.client();
    m.assert(&["MONITOR"], "+OK\r\n");
    let mut c = s.client();
    let addr = c.stream.local_addr().unwrap().to_string();
    let value: &[u8] = b"a\x00\x01\xff\"\\\n\r\t\x07\x08 z";
    assert_eq!(c.cmd_bytes(&[b"SET", b"k", value]), b"+OK\r\n");
    c.cmd(&["get", "k"]);
    // Words as the client sent them, quoted like Redis's sdscatrepr.
    assert_line(
        &m.read_reply(),
        &addr,
        br#""SET" "k" "a\x00\x01\xff\"\\\n\r\t\a\b z""#,
    );
    assert_line(&m.read_reply(), &addr, br#""get" "k""#);
    // Unknown commands and arity errors never run, so they are not shown; a second MONITOR
    // (an admin command) is not shown either; the next command is.
    c.cmd(&["NOSUCH"]);
    c.cmd(&["GET"]);
    let mut m2 = s.client();
    m2.assert(&["MONITOR"], "+OK\r\n");
    c.cmd(&["PUBLISH", "ch", "m"]);
    let publish = br#""PUBLISH" "ch" "m""#;
    assert_line(&m.read_reply(), &addr, publish);
    assert_line(&m2.read_reply(), &addr, publish);
}

#[test]
fn a_transaction_and_a_script_show_what_they_run() {
    let s = start();
    let mut m = s.client();
    m.assert(&["MONITOR"], "+OK\r\n");
    let mut c = s.client();
    let addr = c.stream.local_addr().unwrap().to_string();
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["SET", "a", "1"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*1\r\n+OK\r\n");
    c.assert(&["EVAL", "return redis.call('get', 'a')", "0"], &bulk("1"));
    // Queued commands show when `EXEC` runs them, before the `EXEC`; a script's commands
    // after the `EVAL`, as from `lua`, as in Redis 7.0.
    assert_line(&m.read_reply(), &addr, br#""MULTI""#);
    assert_line(&m.read_reply(), &addr, br#""SET" "a" "1""#);
    assert_line(&m.read_reply(), &addr, br#""EXEC""#);
    assert_line(
        &m.read_reply(),
        &addr,
        br#""EVAL" "return redis.call('get', 'a')" "0""#,
    );
    assert_line(&m.read_reply(), "lua", br#""get" "a""#);
}

#[test]
fn monitor_lines_follow_the_ok_even_in_a_pipeline() {
    let s = start();
    let mut m = s.client();
    let mut pipeline = encode(&[b"PING"]);
    pipeline.extend(encode(&[b"MONITOR"]));
    m.send_raw(&pipeline);
    assert_eq!(m.read_reply(), b"+PONG\r\n");
    assert_eq!(m.read_reply(), b"+OK\r\n");
    let mut c = s.client();
    let addr = c.stream.local_addr().unwrap().to_string();
    c.assert(&["ECHO", "hi"], &bulk("hi"));
    assert_line(&m.read_reply(), &addr, br#""ECHO" "hi""#);
}

#[test]
fn a_monitor_that_leaves_costs_nothing_more() {
    let s = start();
    let shared = s.server.as_ref().expect("running").shared().clone();
    let mut m = s.client();
    m.assert(&["MONITOR"], "+OK\r\n");
    assert_eq!(shared.pubsub.stats().monitors, 1);
    drop(m);
    assert!(wait_until(Duration::from_secs(10), || shared
        .pubsub
        .stats()
        .monitors
        == 0));
    let mut c = s.client();
    c.assert(&["PING"], "+PONG\r\n");
}

#[test]
fn a_stalled_monitor_is_cut_off() {
    let s = start();
    let shared = s.server.as_ref().expect("running").shared().clone();
    shared.pubsub.set_output_limit(1024 * 1024);
    let mut m = s.client();
    m.assert(&["MONITOR"], "+OK\r\n");
    // Big commands make big monitor lines; the watcher never reads them.
    let mut c = s.client();
    let value = "v".repeat(64 * 1024);
    let mut sent = 0;
    while shared.pubsub.stats().output_limit_disconnections == 0 {
        assert!(sent < 4096, "the stalled monitor was never disconnected");
        c.assert(&["ECHO", &value], &bulk(&value));
        sent += 1;
    }
    assert!(wait_until(Duration::from_secs(10), || shared
        .pubsub
        .stats()
        .monitors
        == 0));
    c.assert(&["PING"], "+PONG\r\n");
}

#[test]
fn a_transaction_shows_as_multi_its_commands_then_exec_with_the_database() {
    let s = start();
    let mut m = s.client();
    m.assert(&["MONITOR"], "+OK\r\n");
    let mut c = s.client();
    let addr = c.stream.local_addr().unwrap().to_string();
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["SET", "foo", "bar"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*1\r\n+OK\r\n");
    assert_line(&m.read_reply(), &addr, br#""MULTI""#);
    assert_line(&m.read_reply(), &addr, br#""SET" "foo" "bar""#);
    assert_line(&m.read_reply(), &addr, br#""EXEC""#);
    // A transaction aborted at queue time shows only its MULTI and EXEC.
    c.assert(&["MULTI"], "+OK\r\n");
    c.cmd(&["NOSUCH"]);
    c.cmd(&["EXEC"]);
    assert_line(&m.read_reply(), &addr, br#""MULTI""#);
    assert_line(&m.read_reply(), &addr, br#""EXEC""#);
    // The brackets name the client's database.
    c.assert(&["SELECT", "5"], "+OK\r\n");
    c.assert(&["PING"], "+PONG\r\n");
    assert_line(&m.read_reply(), &addr, br#""SELECT" "5""#);
    let line = String::from_utf8(m.read_reply()).unwrap();
    assert!(line.contains(&format!("[5 {addr}] \"PING\"")), "{line}");
}
