//! Streams over a real socket: entries, groups, blocking reads, and an AOF restart.

mod common;

use std::time::Duration;

use common::*;
use rust_redis::config::FsyncPolicy;

#[test]
fn entries_go_in_with_growing_ids_and_come_out_by_range() {
    let s = start();
    let mut c = s.client();
    c.assert(&["XADD", "s", "1-1", "a", "1"], &bulk("1-1"));
    c.assert(&["XADD", "s", "1-*", "b", "2"], &bulk("1-2"));
    c.assert(
        &["XADD", "s", "1-1", "a", "1"],
        &err("ERR The ID specified in XADD is equal or smaller than the target stream top item"),
    );
    c.assert(
        &["XADD", "s", "0-0", "a", "1"],
        &err("ERR The ID specified in XADD must be greater than 0-0"),
    );
    c.assert(&["XLEN", "s"], &int(2));
    c.assert(&["TYPE", "s"], "+stream\r\n");
    c.assert(
        &["XRANGE", "s", "(1-1", "+"],
        "*1\r\n*2\r\n$3\r\n1-2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
    );
    c.assert(&["XDEL", "s", "1-1"], &int(1));
    c.assert(&["XTRIM", "s", "MAXLEN", "0"], &int(1));
    // An empty stream is still a key.
    c.assert(&["EXISTS", "s"], &int(1));
    c.assert(&["SET", "str", "x"], "+OK\r\n");
    c.assert(
        &["XADD", "str", "*", "a", "1"],
        &err("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
}

#[test]
fn a_blocked_xread_is_served_by_the_next_xadd() {
    let s = start();
    let mut reader = s.client();
    let mut writer = s.client();
    reader.send(&["XREAD", "BLOCK", "5000", "STREAMS", "s", "$"]);
    assert!(wait_until(Duration::from_secs(5), || {
        String::from_utf8_lossy(&writer.cmd(&["CLIENT", "LIST"])).contains("flags=b")
    }));
    writer.assert(&["XADD", "s", "7-0", "f", "v"], &bulk("7-0"));
    assert_eq!(
        String::from_utf8_lossy(&reader.read_reply()),
        "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n7-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
}

#[test]
fn groups_and_pending_entries_survive_an_aof_restart() {
    let aof = |c: &mut rust_redis::server::Config| {
        c.appendonly = true;
        c.appendfsync = FsyncPolicy::Always;
    };
    let s = start_with(aof);
    let mut c = s.client();
    c.assert(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], "+OK\r\n");
    c.assert(&["XADD", "s", "1-0", "a", "1"], &bulk("1-0"));
    c.assert(&["XADD", "s", "2-0", "b", "2"], &bulk("2-0"));
    c.cmd(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"]);
    c.assert(&["XACK", "s", "g", "1-0"], &int(1));
    let before = c.cmd(&["XPENDING", "s", "g"]);
    let dir = s.stop();
    let s = start_in(dir, aof);
    let mut c = s.client();
    assert_eq!(c.cmd(&["XPENDING", "s", "g"]), before);
    c.assert(&["XLEN", "s"], &int(2));
    // The group's position came back too: nothing new to read.
    c.assert(
        &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
        "*-1\r\n",
    );
}
