//! Keyspace notifications over real sockets: the `notify-keyspace-events` classes as `CONFIG`
//! reads and writes them, and the messages each command family publishes, byte for byte and in
//! the order real Redis 7.0.15 publishes them (each expected list below was read off a real
//! Redis running the same commands), expiries lazy and active, and the database in the channel.
//!
//! A subscriber `PSUBSCRIBE`s to `__key*__:*` and also `SUBSCRIBE`s to a fence channel; after a
//! test's commands the writer publishes to the fence, and since messages go out in one global
//! order, everything read before the fence is everything those commands published.

mod common;

use std::time::Duration;

use common::*;
use rust_redis::engine::store::now_ms;

const FENCE: &str = "fence";

/// A writer and a subscriber on one server, with `notify-keyspace-events` set to `flags`.
struct Watch {
    s: TestServer,
    c: Client,
    sub: Client,
}

impl Watch {
    fn new(flags: &str) -> Watch {
        // DEBUG SET-ACTIVE-EXPIRE lets a test watch lazy expiry alone.
        Watch::on(
            start_with(|c| c.enable_debug_command = rust_redis::config::DebugCommand::Yes),
            flags,
        )
    }

    fn on(s: TestServer, flags: &str) -> Watch {
        let mut c = s.client();
        c.assert(
            &["CONFIG", "SET", "notify-keyspace-events", flags],
            "+OK\r\n",
        );
        let mut sub = s.client();
        sub.send(&["PSUBSCRIBE", "__key*__:*"]);
        sub.read_reply();
        sub.send(&["SUBSCRIBE", FENCE]);
        sub.read_reply();
        Watch { s, c, sub }
    }

    /// Runs each command on the writer (replies unchecked).
    fn run(&mut self, commands: &[&[&str]]) {
        for command in commands {
            self.c.cmd(command);
        }
    }

    /// Every message published since the last call, as `channel message`, up to the fence.
    fn messages(&mut self) -> Vec<String> {
        self.c.assert(&["PUBLISH", FENCE, "-"], ":1\r\n");
        let mut out = Vec::new();
        loop {
            let frame = bulks(&self.sub.read_reply());
            let text = |i: usize| String::from_utf8_lossy(&frame[i]).into_owned();
            match frame.len() {
                3 => return out, // `message fence -`
                _ => out.push(format!("{} {}", text(2), text(3))),
            }
        }
    }

    /// The key-event messages only, as `event key` (for tests run with `E` alone).
    fn events(&mut self) -> Vec<String> {
        self.messages()
            .into_iter()
            .map(|m| {
                let (channel, key) = m.split_once(' ').expect("channel and message");
                let event = channel.split_once("__:").expect("a keyevent channel").1;
                format!("{event} {key}")
            })
            .collect()
    }

    /// Runs `commands`, then checks the events they published.
    #[track_caller]
    fn expect(&mut self, commands: &[&[&str]], events: &[&str]) {
        self.run(commands);
        assert_eq!(self.events(), events, "after {commands:?}");
    }
}

/// Gives the live `key` of database `db` a deadline already past, without deleting it: the
/// state a key is in between its deadline and the look that deletes it, reached without a wait.
fn expire_now(s: &TestServer, db: usize, key: &str) {
    let mut store = s.server.as_ref().expect("running").shared().write_store();
    let now = now_ms();
    assert!(
        store.db_mut(db).set_deadline(key.as_bytes(), now - 1, now),
        "{key} exists"
    );
}

#[test]
fn flags_read_back_as_redis_spells_them() {
    let s = start();
    let mut c = s.client();
    let get = |c: &mut Client| bulks(&c.cmd(&["CONFIG", "GET", "notify-keyspace-events"]));
    assert_eq!(
        get(&mut c),
        [b"notify-keyspace-events".to_vec(), Vec::new()]
    );
    for (set, read) in [
        ("KEA", "AKE"),
        ("gKE", "gKE"),
        ("$lshzxeKE", "$lshzxeKE"),
        ("KA", "AK"),
        ("EA", "AE"),
        ("Kx", "xK"),
        ("Kmn", "nKm"),
        ("g$lshzxetd", "A"),
        ("AKEnm", "AKEm"),
        ("", ""),
    ] {
        c.assert(&["CONFIG", "SET", "notify-keyspace-events", set], "+OK\r\n");
        assert_eq!(get(&mut c)[1], read.as_bytes(), "{set}");
    }
    c.assert(
        &["CONFIG", "SET", "notify-keyspace-events", "KEA"],
        "+OK\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "notify-keyspace-events", "KEX"],
        "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid \
         event class character. Use 'Ag$lshzxeKEtmdn'.\r\n",
    );
    // A refused value changes nothing.
    assert_eq!(get(&mut c)[1], b"AKE");
}

#[test]
fn the_setting_can_come_from_the_start_up_configuration() {
    let flags = rust_redis::config::KeyspaceEvents::parse("Eg").unwrap();
    let mut w = Watch::on(start_with(|c| c.notify_keyspace_events = flags), "Eg");
    w.expect(&[&["SET", "k", "v"], &["DEL", "k"]], &["del k"]);
    assert!(
        rust_redis::config::Config::from_args(&["--notify-keyspace-events".into(), "Q".into()])
            .is_err()
    );
}

#[test]
fn each_event_goes_to_both_channels_byte_for_byte() {
    let mut w = Watch::new("KEA");
    w.c.assert(&["SET", "foo", "bar"], "+OK\r\n");
    let keyspace = w.sub.read_reply();
    assert_eq!(
        String::from_utf8_lossy(&keyspace),
        "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$18\r\n__keyspace@0__:foo\r\n$3\r\nset\r\n"
    );
    let keyevent = w.sub.read_reply();
    assert_eq!(
        String::from_utf8_lossy(&keyevent),
        "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$18\r\n__keyevent@0__:set\r\n$3\r\nfoo\r\n"
    );
    // Binary keys travel as they are.
    w.c.cmd_bytes(&[b"DEL", b"foo", b"a\r\n\x00b"]);
    w.c.cmd_bytes(&[b"SET", b"a\r\n\x00b", b"v"]);
    assert_eq!(
        w.messages(),
        [
            "__keyspace@0__:foo del",
            "__keyevent@0__:del foo",
            "__keyspace@0__:a\r\n\0b set",
            "__keyevent@0__:set a\r\n\0b"
        ]
    );
}

#[test]
fn the_classes_mask_the_events_and_a_channel_letter_is_needed() {
    let mut w = Watch::new("KEl");
    w.run(&[&["SET", "foo", "bar"], &["LPUSH", "mylist", "a"]]);
    assert_eq!(
        w.messages(),
        ["__keyspace@0__:mylist lpush", "__keyevent@0__:lpush mylist"]
    );
    // Keyspace only.
    w.c.assert(
        &["CONFIG", "SET", "notify-keyspace-events", "Kl"],
        "+OK\r\n",
    );
    w.run(&[&["RPUSH", "mylist", "b"]]);
    assert_eq!(w.messages(), ["__keyspace@0__:mylist rpush"]);
    // Every class but no channel: nothing at all, as with the setting off.
    for flags in ["A", ""] {
        w.c.assert(
            &["CONFIG", "SET", "notify-keyspace-events", flags],
            "+OK\r\n",
        );
        w.run(&[
            &["SET", "foo", "bar"],
            &["RPUSH", "mylist", "c"],
            &["DEL", "foo"],
        ]);
        assert_eq!(w.messages(), Vec::<String>::new(), "{flags:?}");
    }
}

#[test]
fn string_commands() {
    let mut w = Watch::new("E$g");
    w.expect(
        &[
            &["SET", "s", "1"],
            &["SET", "s", "2", "EX", "100"],
            &["SET", "s", "3", "KEEPTTL"],
            &["SET", "s", "4", "NX"],
            &["SET", "none", "4", "XX"],
            &["SETNX", "n", "1"],
            &["SETEX", "x", "100", "v"],
            &["PSETEX", "p", "100000", "v"],
            &["GETSET", "s", "9"],
            &["GETDEL", "s"],
            &["GETDEL", "s"],
            &["MSET", "a", "1", "b", "2", "a", "3"],
            &["MSETNX", "a", "1", "c", "2"],
        ],
        &[
            "set s", "set s", "expire s", "set s", "set n", "set x", "expire x", "set p",
            "expire p", "set s", "del s", "set a", "set b", "set a",
        ],
    );
    w.expect(
        &[
            &["APPEND", "ap", "x"],
            &["APPEND", "ap", ""],
            &["SETRANGE", "sr", "2", "ab"],
            &["SETRANGE", "sr", "0", ""],
            &["INCR", "i"],
            &["DECRBY", "i", "2"],
            &["INCRBYFLOAT", "f", "1.5"],
            &["INCR", "ap"],
            &["GETEX", "x", "PERSIST"],
            &["GETEX", "x", "PERSIST"],
            &["GETEX", "x", "PX", "100000"],
            &["GETEX", "x", "EXAT", "1"],
        ],
        &[
            // Redis tells of an append of nothing too, though it changes nothing.
            "append ap",
            "append ap",
            "setrange sr",
            "incrby i",
            "incrby i",
            "incrbyfloat f",
            "persist x",
            "expire x",
            "del x",
        ],
    );
}

#[test]
fn generic_commands() {
    let mut w = Watch::new("Eg");
    w.expect(
        &[
            &["SET", "a", "1"],
            &["SET", "b", "2"],
            &["DEL", "a", "b", "c"],
            &["SET", "r", "1"],
            &["RENAME", "r", "r2"],
            &["RENAMENX", "r2", "r2"],
            &["EXPIRE", "r2", "100"],
            &["EXPIRE", "r2", "100", "NX"],
            &["PEXPIREAT", "r2", "99999999999000", "GT"],
            &["PERSIST", "r2"],
            &["PERSIST", "r2"],
            &["EXPIRE", "r2", "-1"],
            &["EXPIRE", "r2", "10"],
        ],
        &[
            "del a",
            "del b",
            "rename_from r",
            "rename_to r2",
            "expire r2",
            "expire r2",
            "persist r2",
            // A deadline in the past deletes, and is told as a deletion.
            "del r2",
        ],
    );
    w.expect(
        &[
            &["SET", "c", "1"],
            &["COPY", "c", "d"],
            &["COPY", "c", "d"],
            &["COPY", "c", "d", "REPLACE"],
            &["SWAPDB", "0", "1"],
            &["SWAPDB", "0", "1"],
            &["FLUSHDB"],
            &["FLUSHALL"],
        ],
        // Redis 7.0 tells of no swap and no flush.
        &["copy_to d", "copy_to d"],
    );
}

#[test]
fn database_numbers_name_the_channels() {
    let mut w = Watch::new("KEg");
    w.run(&[
        &["SELECT", "5"],
        &["SET", "k", "v"],
        &["DEL", "k"],
        &["SET", "k", "v"],
        &["MOVE", "k", "2"],
        &["SELECT", "2"],
        &["COPY", "k", "k", "DB", "11"],
    ]);
    assert_eq!(
        w.messages(),
        [
            "__keyspace@5__:k del",
            "__keyevent@5__:del k",
            "__keyspace@5__:k move_from",
            "__keyevent@5__:move_from k",
            "__keyspace@2__:k move_to",
            "__keyevent@2__:move_to k",
            "__keyspace@11__:k copy_to",
            "__keyevent@11__:copy_to k",
        ]
    );
}

#[test]
fn list_commands() {
    let mut w = Watch::new("Elg");
    w.expect(
        &[
            &["LPUSH", "l", "a", "b"],
            &["RPUSH", "l", "c"],
            &["LPUSHX", "l", "d"],
            &["LPUSHX", "nol", "d"],
            &["LINSERT", "l", "BEFORE", "a", "z"],
            &["LINSERT", "l", "BEFORE", "nopivot", "z"],
            &["LSET", "l", "0", "q"],
            &["LREM", "l", "0", "zz"],
            &["LREM", "l", "1", "q"],
            &["LTRIM", "l", "0", "100"],
            &["LPOP", "l"],
            &["RPOP", "l", "2"],
            &["LPOP", "l", "0"],
        ],
        &[
            "lpush l",
            "rpush l",
            "lpush l",
            "linsert l",
            "lset l",
            "lrem l",
            // Told even when it keeps every element.
            "ltrim l",
            "lpop l",
            "rpop l",
        ],
    );
    w.expect(
        &[
            &["RPUSH", "l", "a", "b"],
            &["LMOVE", "l", "l2", "LEFT", "RIGHT"],
            &["LMOVE", "l2", "l2", "LEFT", "RIGHT"],
            &["RPOPLPUSH", "l", "l2"],
            &["LMPOP", "2", "nol", "l2", "LEFT", "COUNT", "10"],
            &["RPUSH", "t", "a", "b"],
            &["LTRIM", "t", "1", "0"],
        ],
        &[
            "rpush l", // The push comes first, then the pop, then the deletion of an emptied source.
            "rpush l2", "lpop l", "rpush l2", "lpop l2", "lpush l2", "rpop l", "lpop l2", "del l2",
            "rpush t", "ltrim t", "del t",
        ],
    );
}

#[test]
fn a_blocked_pop_is_told_after_the_push_that_served_it() {
    let mut w = Watch::new("Elg");
    let mut blocked = w.s.client();
    for (block, push, events) in [
        (
            &["BLPOP", "q", "5"][..],
            &["LPUSH", "q", "x"][..],
            &["lpush q", "lpop q", "del q"][..],
        ),
        (
            &["BLMOVE", "q", "d", "LEFT", "RIGHT", "5"],
            &["RPUSH", "q", "x", "y"],
            &["rpush q", "rpush d", "lpop q"],
        ),
    ] {
        blocked.send(block);
        wait_blocked(&w.s);
        w.c.cmd(push);
        blocked.read_reply();
        assert_eq!(w.events(), events, "{block:?}");
    }
    let mut w = Watch::new("Ezg");
    let mut blocked = w.s.client();
    blocked.send(&["BZPOPMIN", "z", "5"]);
    wait_blocked(&w.s);
    w.expect(
        &[&["ZADD", "z", "1", "a"]],
        &["zadd z", "zpopmin z", "del z"],
    );
    blocked.read_reply();
}

/// Waits until one client is parked in a blocking command.
fn wait_blocked(s: &TestServer) {
    let shared = s.server.as_ref().expect("running").shared();
    assert!(wait_until(Duration::from_secs(10), || shared
        .blocking
        .len()
        == 1));
}

#[test]
fn set_commands() {
    let mut w = Watch::new("Esg");
    w.expect(
        &[
            &["SADD", "s", "a", "b"],
            &["SADD", "s", "a"],
            &["SREM", "s", "x"],
            &["SREM", "s", "a"],
            &["SMOVE", "s", "t", "b"],
            &["SADD", "t", "z"],
            &["SMOVE", "t", "t", "z"],
            &["SADD", "u", "z"],
            &["SMOVE", "t", "u", "z"],
            &["SPOP", "t"],
            &["SPOP", "u", "0"],
            &["SPOP", "u", "10"],
        ],
        &[
            "sadd s", "srem s", "srem s", "del s", "sadd t", "sadd t", "sadd u",
            // `u` had the member already: only the source is told of.
            "srem t", "spop t", "del t", "spop u", "del u",
        ],
    );
    w.expect(
        &[
            &["SADD", "k1", "a", "b", "c"],
            &["SADD", "k2", "b", "c", "d"],
            &["SINTERSTORE", "dst", "k1", "k2"],
            &["SUNIONSTORE", "dst", "k1", "k2"],
            &["SDIFFSTORE", "dst", "k1", "k2"],
            &["SINTERSTORE", "dst", "k1", "nokey"],
            &["SINTERSTORE", "dst", "k1", "nokey"],
        ],
        &[
            "sadd k1",
            "sadd k2",
            "sinterstore dst",
            "sunionstore dst",
            "sdiffstore dst",
            "del dst",
        ],
    );
}

#[test]
fn hash_commands() {
    let mut w = Watch::new("Ehg");
    w.expect(
        &[
            &["HSET", "h", "a", "1", "b", "2"],
            &["HSET", "h", "a", "1"],
            &["HMSET", "h", "c", "4"],
            &["HSETNX", "h", "a", "1"],
            &["HSETNX", "h", "z", "1"],
            &["HINCRBY", "h", "i", "1"],
            &["HINCRBYFLOAT", "h", "f", "1.5"],
            &["HINCRBY", "h", "a", "x"],
            &["HDEL", "h", "nosuch"],
            &["HDEL", "h", "a", "b"],
            &["HDEL", "h", "c", "z", "i", "f"],
        ],
        &[
            "hset h",
            // Set to the value it had: still told.
            "hset h",
            "hset h",
            "hset h",
            "hincrby h",
            "hincrbyfloat h",
            "hdel h",
            "hdel h",
            "del h",
        ],
    );
}

#[test]
fn sorted_set_commands() {
    let mut w = Watch::new("Ezg");
    w.expect(
        &[
            &["ZADD", "z", "1", "a", "2", "b"],
            &["ZADD", "z", "1", "a"],
            &["ZADD", "z", "NX", "5", "a"],
            &["ZADD", "z", "CH", "6", "a"],
            &["ZADD", "z", "INCR", "1", "a"],
            &["ZINCRBY", "z", "0", "a"],
            &["ZINCRBY", "z", "1", "a"],
            &["ZREM", "z", "nosuch"],
            &["ZREM", "z", "a"],
            &["ZADD", "z", "1", "a", "2", "c", "3", "d"],
            &["ZREMRANGEBYRANK", "z", "0", "0"],
            &["ZREMRANGEBYRANK", "z", "10", "20"],
            &["ZREMRANGEBYSCORE", "z", "2", "2"],
            &["ZPOPMIN", "z"],
            &["ZPOPMAX", "z", "0"],
            &["ZPOPMAX", "z", "5"],
        ],
        &[
            "zadd z",
            "zadd z",
            "zincr z",
            // An increment of nothing changes nothing and is not told.
            "zincr z",
            "zrem z",
            "zadd z",
            "zremrangebyrank z",
            "zremrangebyscore z",
            "zpopmin z",
            "del z",
        ],
    );
    w.expect(
        &[
            &["ZADD", "za", "1", "a", "2", "b"],
            &["ZADD", "zb", "2", "b", "3", "c"],
            &["ZUNIONSTORE", "zd", "2", "za", "zb"],
            &["ZINTERSTORE", "zd", "2", "za", "zb"],
            &["ZINTERSTORE", "zd", "2", "za", "nokey"],
            &["ZINTERSTORE", "zd", "2", "za", "nokey"],
        ],
        &[
            "zadd za",
            "zadd zb",
            "zunionstore zd",
            "zinterstore zd",
            "del zd",
        ],
    );
}

#[test]
fn new_keys_are_told_of_once_when_created() {
    let mut w = Watch::new("En");
    w.expect(
        &[
            &["SET", "foo", "bar"],
            &["SET", "foo", "baz"],
            &["SET", "bar", "bar"],
            &["LPUSH", "l", "a"],
            &["LPUSH", "l", "b"],
            &["RENAME", "l", "foo"],
            &["HINCRBY", "h", "f", "1"],
            &["ZADD", "z", "XX", "1", "a"],
            &["SINTERSTORE", "dst", "h", "nokey"],
        ],
        // `RENAME` deletes an existing destination first: the moved key is new there.
        &["new foo", "new bar", "new l", "new foo", "new h"],
    );
}

#[test]
fn key_misses_are_told_for_reads_and_the_reads_inside_writes() {
    let mut w = Watch::new("Em");
    w.expect(
        &[
            &["SET", "k", "v"],
            &["GET", "k"],
            &["GET", "nokey"],
            &["MGET", "k", "nokey", "nokey"],
            &["EXISTS", "nokey"],
            &["SET", "k2", "v", "GET"],
            &["GETDEL", "nokey"],
            &["SUNIONSTORE", "dst", "nokey", "k3"],
        ],
        &[
            "keymiss nokey",
            "keymiss nokey",
            "keymiss nokey",
            "keymiss nokey",
            "keymiss k2",
            "keymiss nokey",
            "keymiss nokey",
            "keymiss k3",
        ],
    );
}

#[test]
fn a_key_expired_by_a_lookup_is_told_of_before_what_the_command_does() {
    let mut w = Watch::new("Exgn$m");
    w.c.assert(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"], "+OK\r\n");
    w.run(&[
        &["SET", "r", "v"],
        &["SET", "w", "v"],
        &["SET", "a", "v"],
        &["SET", "d", "v"],
    ]);
    assert_eq!(
        w.events(),
        [
            "new r", "set r", "new w", "set w", "new a", "set a", "new d", "set d"
        ]
    );
    for key in ["r", "w", "d"] {
        expire_now(&w.s, 0, key);
    }
    // A read deletes the key it finds expired, then misses it.
    w.expect(&[&["GET", "r"]], &["expired r", "keymiss r"]);
    // A write: expired, then new, then the write itself.
    w.expect(&[&["SET", "w", "x"]], &["expired w", "new w", "set w"]);
    // In the order Redis's loop meets the keys.
    w.expect(&[&["DEL", "a", "d"]], &["del a", "expired d"]);
    w.c.assert(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"], "+OK\r\n");
}

#[test]
fn lazy_expiry_in_a_transaction_and_in_a_look_only_write() {
    let mut w = Watch::new("Exl$");
    w.c.assert(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"], "+OK\r\n");
    w.run(&[
        &["SET", "k", "v"],
        &["SET", "k2", "v"],
        &["RPUSH", "l", "a"],
    ]);
    assert_eq!(w.events(), ["set k", "set k2", "rpush l"]);
    for key in ["k", "k2", "l"] {
        expire_now(&w.s, 0, key);
    }
    // `LPUSHX` only looks at the list it will not push to: the look deletes it all the same.
    w.expect(&[&["LPUSHX", "l", "b"]], &["expired l"]);
    w.c.assert(&["MULTI"], "+OK\r\n");
    for command in [&["SET", "a", "1"][..], &["GET", "k"], &["SET", "k2", "x"]] {
        w.c.assert(command, "+QUEUED\r\n");
    }
    w.c.cmd(&["EXEC"]);
    assert_eq!(w.events(), ["set a", "expired k", "expired k2", "set k2"]);
    w.c.assert(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"], "+OK\r\n");
}

#[test]
fn the_expirer_tells_of_what_it_deletes_in_each_database() {
    let mut w = Watch::new("KEx");
    w.run(&[&["SELECT", "3"], &["SET", "k", "v"]]);
    expire_now(&w.s, 3, "k");
    // Nobody touches the key: the active cycle finds it.
    assert_eq!(
        bulks(&w.sub.read_reply())[2..],
        [b"__keyspace@3__:k".to_vec(), b"expired".to_vec()]
    );
    assert_eq!(
        bulks(&w.sub.read_reply())[2..],
        [b"__keyevent@3__:expired".to_vec(), b"k".to_vec()]
    );
}

#[test]
fn a_subscribed_writer_gets_its_events_before_its_reply() {
    let s = start();
    let mut c = s.client();
    c.assert(
        &["CONFIG", "SET", "notify-keyspace-events", "E$"],
        "+OK\r\n",
    );
    c.cmd(&["HELLO", "3"]);
    c.send(&["PSUBSCRIBE", "__keyevent@*"]);
    c.read_reply();
    c.send(&["SET", "k", "v"]);
    assert_eq!(
        String::from_utf8_lossy(&c.read_reply()),
        ">4\r\n$8\r\npmessage\r\n$12\r\n__keyevent@*\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n"
    );
    assert_eq!(c.read_reply(), b"+OK\r\n");
}
