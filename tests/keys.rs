//! Key commands over a real socket: DEL, EXISTS, TYPE, RENAME, COPY, KEYS, SCAN, RANDOMKEY,
//! DBSIZE and FLUSHALL, with Redis 7's exact replies.

mod common;
use std::collections::HashSet;

use common::*;

/// The keys of an array-of-bulks reply, sorted (KEYS answers in no particular order).
fn parse_bulks(reply: &[u8]) -> Vec<Vec<u8>> {
    let mut out = bulks(reply);
    out.sort();
    out
}

/// One SCAN step: the next cursor and the keys returned.
fn scan_step(c: &mut Client, args: &[&str]) -> (String, Vec<Vec<u8>>) {
    let reply = c.cmd(args);
    // *2\r\n$<n>\r\n<cursor>\r\n*<m>\r\n...
    let text = String::from_utf8_lossy(&reply).to_string();
    let mut lines = text.split("\r\n");
    assert_eq!(lines.next(), Some("*2"));
    lines.next();
    let cursor = lines.next().unwrap().to_string();
    let header = 4 + format!("${}\r\n{}\r\n", cursor.len(), cursor).len();
    (cursor, parse_bulks(&reply[header..]))
}

fn sorted(items: &[&str]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = items.iter().map(|s| s.as_bytes().to_vec()).collect();
    v.sort();
    v
}

#[test]
fn del_exists_touch_type() {
    let s = start();
    let mut c = s.client();
    c.assert(&["MSET", "a", "1", "b", "2"], OK);
    c.assert(&["EXISTS", "a", "a", "nokey"], ":2\r\n");
    c.assert(&["TOUCH", "a", "b", "a", "nokey"], ":3\r\n");
    c.assert(&["DEL", "a", "a", "nokey"], ":1\r\n");
    c.assert(&["UNLINK", "b"], ":1\r\n");
    c.assert(&["UNLINK", "b"], ":0\r\n");
    c.assert(
        &["DEL"],
        &err("ERR wrong number of arguments for 'del' command"),
    );
    c.assert(&["SET", "s", "v"], OK);
    make_list(&s, "l");
    c.assert(&["TYPE", "s"], "+string\r\n");
    c.assert(&["TYPE", "l"], "+list\r\n");
    c.assert(&["TYPE", "nokey"], "+none\r\n");
    // The other types, where their commands are present in this build.
    for (make, name) in [
        (&["SADD", "set", "m"][..], "set"),
        (&["HSET", "hash", "f", "v"], "hash"),
        (&["ZADD", "zset", "1", "m"], "zset"),
    ] {
        if c.cmd(make).starts_with(b":") {
            c.assert(&["TYPE", make[1]], &format!("+{name}\r\n"));
        }
    }
}

#[test]
fn rename_and_renamenx() {
    let s = start();
    let mut c = s.client();
    c.assert(&["RENAME", "nokey", "b"], &err("ERR no such key"));
    c.assert(&["RENAME", "nokey", "nokey"], &err("ERR no such key"));
    c.assert(&["RENAMENX", "nokey", "b"], &err("ERR no such key"));
    c.assert(&["SET", "a", "1", "EX", "100"], OK);
    c.assert(&["RENAME", "a", "a"], OK);
    c.assert(&["RENAMENX", "a", "a"], ":0\r\n");
    c.assert(&["SET", "b", "old"], OK);
    c.assert(&["RENAME", "a", "b"], OK);
    c.assert(&["EXISTS", "a"], ":0\r\n");
    c.assert(&["GET", "b"], &bulk("1"));
    assert_ttl(&mut c, "b", 100);
    c.assert(&["SET", "c", "x"], OK);
    c.assert(&["RENAMENX", "b", "c"], ":0\r\n");
    c.assert(&["RENAMENX", "b", "d"], ":1\r\n");
    assert_ttl(&mut c, "d", 100);
    make_list(&s, "l");
    c.assert(&["RENAME", "l", "c"], OK);
    c.assert(&["TYPE", "c"], "+list\r\n");
    c.assert(&["TTL", "c"], ":-1\r\n");
}

#[test]
fn copy() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "a", "1", "EX", "100"], OK);
    c.assert(
        &["COPY", "a", "a"],
        &err("ERR source and destination objects are the same"),
    );
    c.assert(
        &["COPY", "a", "b", "DB", "16"],
        &err("ERR DB index is out of range"),
    );
    c.assert(
        &["COPY", "a", "b", "DB", "x"],
        &err("ERR value is not an integer or out of range"),
    );
    c.assert(
        &["COPY", "a", "b", "DB", "99999999999"],
        &err("ERR value is out of range, value must between -2147483648 and 2147483647"),
    );
    c.assert(&["COPY", "a", "b", "DB"], SYNTAX);
    c.assert(&["COPY", "a", "b", "FOO"], SYNTAX);
    c.assert(&["COPY", "nokey", "b"], ":0\r\n");
    c.assert(&["COPY", "a", "b"], ":1\r\n");
    assert_ttl(&mut c, "b", 100);
    c.assert(&["COPY", "a", "b"], ":0\r\n");
    c.assert(&["COPY", "a", "b", "DB", "0", "REPLACE"], ":1\r\n");
    // A copy is deep: changing it leaves the source alone.
    make_list(&s, "l");
    c.assert(&["COPY", "l", "l2"], ":1\r\n");
    c.assert(&["TYPE", "l2"], "+list\r\n");
    let shared = s.server.as_ref().unwrap().shared();
    let mut store = shared.write_store();
    let now = rust_redis::engine::store::now_ms();
    if let Some(rust_redis::engine::store::Data::List(l)) = store.db_mut(0).get_mut(b"l2", now) {
        l.push_back(b"y");
    }
    match store.db(0).get(b"l", now) {
        Some(rust_redis::engine::store::Data::List(l)) => assert_eq!(l.len(), 1),
        _ => panic!("the source list is gone"),
    }
}

#[test]
fn keys_glob_and_binary_keys() {
    let s = start();
    let mut c = s.client();
    c.assert(&["KEYS", "*"], "*0\r\n");
    for k in ["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "x"] {
        c.assert(&["SET", k, "1"], OK);
    }
    assert_eq!(c.cmd_bytes(&[b"SET", b"bin\r\n\0key", b"v"]), b"+OK\r\n");
    c.assert(&["SET", "", "empty"], OK);
    let keys = |c: &mut Client, p: &str| parse_bulks(&c.cmd(&["KEYS", p]));
    assert_eq!(
        keys(&mut c, "h?llo"),
        sorted(&["h*llo", "hallo", "hello", "hxllo"])
    );
    assert_eq!(
        keys(&mut c, "h*llo"),
        sorted(&["h*llo", "hallo", "heeeello", "hello", "hllo", "hxllo"])
    );
    assert_eq!(keys(&mut c, "h[ae]llo"), sorted(&["hallo", "hello"]));
    assert_eq!(
        keys(&mut c, "h[^e]llo"),
        sorted(&["h*llo", "hallo", "hxllo"])
    );
    assert_eq!(keys(&mut c, "h[a-b]llo"), sorted(&["hallo"]));
    assert_eq!(keys(&mut c, "h[z-w]llo"), sorted(&["hxllo"]));
    assert_eq!(keys(&mut c, r"h\*llo"), sorted(&["h*llo"]));
    assert_eq!(keys(&mut c, "nomatch*"), sorted(&[]));
    assert_eq!(
        parse_bulks(&c.cmd_bytes(&[b"KEYS", b"bin\r\n\0*"])),
        vec![b"bin\r\n\0key".to_vec()]
    );
    // `*` lists every key, the empty one included; `**` does not match it, as in Redis.
    assert_eq!(keys(&mut c, "*").len(), 9);
    assert_eq!(keys(&mut c, "**").len(), 8);
}

#[test]
fn scan_options_and_errors() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SCAN", "0"], "*2\r\n$1\r\n0\r\n*0\r\n");
    c.assert(&["SCAN", "x"], &err("ERR invalid cursor"));
    c.assert(&["SCAN", " 0"], &err("ERR invalid cursor"));
    c.assert(
        &["SCAN", "18446744073709551616"],
        &err("ERR invalid cursor"),
    );
    c.assert(&["SCAN", "x", "COUNT", "0"], &err("ERR invalid cursor"));
    c.assert(&["SCAN", "0", "COUNT", "0"], SYNTAX);
    c.assert(
        &["SCAN", "0", "COUNT", "x"],
        &err("ERR value is not an integer or out of range"),
    );
    c.assert(&["SCAN", "0", "COUNT"], SYNTAX);
    c.assert(&["SCAN", "0", "FOO", "bar"], SYNTAX);
    c.assert(&["SCAN", "-1"], "*2\r\n$1\r\n0\r\n*0\r\n");
    c.assert(&["SET", "a", "1"], OK);
    make_list(&s, "l");
    c.assert(
        &["SCAN", "0", "TYPE", "STRING"],
        "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n",
    );
    c.assert(
        &["SCAN", "0", "TYPE", "list", "COUNT", "1000"],
        "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nl\r\n",
    );
    c.assert(&["SCAN", "0", "TYPE", "nosuch"], "*2\r\n$1\r\n0\r\n*0\r\n");
    c.assert(
        &["SCAN", "0", "MATCH", "a*", "COUNT", "5"],
        "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n",
    );
}

#[test]
fn scan_returns_every_stable_key_despite_churn() {
    let s = start();
    let mut c = s.client();
    let mut other = s.client();
    let mut stable = HashSet::new();
    for i in 0..500 {
        let k = format!("stable:{i}");
        c.assert(&["SET", &k, "v"], OK);
        stable.insert(k.into_bytes());
    }
    for i in 0..200 {
        other.assert(&["SET", &format!("churn:{i}"), "v"], OK);
    }
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut round = 0;
    loop {
        let (next, batch) = scan_step(&mut c, &["SCAN", &cursor, "COUNT", "20"]);
        seen.extend(batch.into_iter().filter(|k| k.starts_with(b"stable:")));
        // Another client adds and deletes other keys between the steps.
        other.cmd(&["SET", &format!("new:{round}"), "v"]);
        other.cmd(&["DEL", &format!("churn:{round}")]);
        round += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen, stable);
    assert!(round > 1, "the walk took several steps");
}

#[test]
fn randomkey_dbsize_flush() {
    let s = start();
    let mut c = s.client();
    c.assert(&["RANDOMKEY"], "$-1\r\n");
    c.assert(&["DBSIZE"], ":0\r\n");
    c.assert(&["MSET", "a", "1", "b", "2"], OK);
    let k = c.cmd(&["RANDOMKEY"]);
    assert!(k == bulk("a").as_bytes() || k == bulk("b").as_bytes());
    c.assert(&["DBSIZE"], ":2\r\n");
    c.assert(
        &["DBSIZE", "x"],
        &err("ERR wrong number of arguments for 'dbsize' command"),
    );
    c.assert(&["FLUSHALL", "foo"], SYNTAX);
    c.assert(&["FLUSHDB", "SYNC", "x"], SYNTAX);
    c.assert(&["DBSIZE"], ":2\r\n");
    c.assert(&["FLUSHALL", "ASYNC"], OK);
    c.assert(&["DBSIZE"], ":0\r\n");
    c.assert(&["SET", "a", "1"], OK);
    c.assert(&["FLUSHDB", "sync"], OK);
    c.assert(&["KEYS", "*"], "*0\r\n");
    c.assert(&["FLUSHALL"], OK);
}

#[test]
fn key_commands_queue_in_multi() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SET", "a", "1"], OK);
    c.assert(&["MULTI"], OK);
    c.assert(&["RENAME", "a", "b"], "+QUEUED\r\n");
    c.assert(&["RENAME", "a", "c"], "+QUEUED\r\n");
    c.assert(&["EXISTS", "a", "b"], "+QUEUED\r\n");
    c.assert(&["DEL", "b"], "+QUEUED\r\n");
    c.assert(&["DBSIZE"], "+QUEUED\r\n");
    c.assert(
        &["EXEC"],
        "*5\r\n+OK\r\n-ERR no such key\r\n:1\r\n:1\r\n:0\r\n",
    );
}

/// Each write logs an effect naming the keys it changed (WATCH is derived from those effects),
/// and a write that changed nothing logs nothing.
#[test]
fn effects_name_the_keys_they_change() {
    let s = start();
    let mut c = s.client();
    let mut other = s.client();
    c.assert(&["MSET", "a", "1", "k", "1"], OK);
    let cases: [(&str, &[&str], bool); 8] = [
        ("b", &["RENAME", "a", "b"], true),
        ("k", &["INCR", "k"], true),
        ("k", &["EXPIRE", "k", "100"], true),
        ("k", &["PERSIST", "k"], true),
        ("k", &["SET", "k", "v", "NX"], false),
        ("k", &["PERSIST", "k"], false),
        ("nokey", &["DEL", "nokey"], false),
        ("k", &["COPY", "b", "k", "REPLACE"], true),
    ];
    for (watched, write, touches) in cases {
        c.assert(&["WATCH", watched], OK);
        other.cmd(write);
        c.assert(&["MULTI"], OK);
        c.assert(&["PING"], "+QUEUED\r\n");
        let expected = if touches {
            "*-1\r\n"
        } else {
            "*1\r\n+PONG\r\n"
        };
        c.assert(&["EXEC"], expected);
    }
}
