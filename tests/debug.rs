//! `DEBUG`, byte for byte as Redis 7.0.15 answers it: refused unless `enable-debug-command`
//! allows it, and the subcommands Redis's test suite relies on (`PROTOCOL`, `SLEEP`,
//! `QUICKLIST-PACKED-THRESHOLD`, `CHANGE-REPL-ID`, ...).
//!
//! Explained in: book chapter "Talking to real clients". The expected bytes were read off a
//! real `redis-server` 7.0.15.

mod common;

use std::time::Instant;

use common::*;
use rust_redis::config::DebugCommand;

fn start_debug() -> TestServer {
    start_with(|c| c.enable_debug_command = DebugCommand::Yes)
}

const NOT_ALLOWED: &str = "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \
     \"local\", you can run it from a local connection, otherwise you need to set this option in the \
     configuration file, and then restart the server.\r\n";

#[test]
fn debug_is_refused_before_it_runs_unless_enabled() {
    let s = start();
    let mut c = s.client();
    for args in [
        &["DEBUG", "HELP"][..],
        &["DEBUG", "SLEEP", "0"],
        &["DEBUG", "NOSUCH"],
    ] {
        c.assert(args, NOT_ALLOWED);
    }
    // Refused, not failed: the call never ran.
    let info = String::from_utf8(c.cmd(&["INFO", "commandstats"])).unwrap();
    assert!(
        info.contains(
            "cmdstat_debug:calls=0,usec=0,usec_per_call=0.00,rejected_calls=3,failed_calls=0\r\n"
        ),
        "{info}"
    );
    // Inside MULTI the refusal aborts the transaction.
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["DEBUG", "SLEEP", "0"], NOT_ALLOWED);
    c.assert(
        &["EXEC"],
        "-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    // `local` allows a loopback connection.
    let local = start_with(|c| c.enable_debug_command = DebugCommand::Local);
    local.client().assert(&["DEBUG", "SLEEP", "0"], "+OK\r\n");
}

#[test]
fn debug_protocol_answers_every_resp3_type() {
    let s = start_debug();
    let mut c = s.client();
    let resp2: &[(&str, &str)] = &[
        ("string", "$11\r\nHello World\r\n"),
        ("integer", ":12345\r\n"),
        ("double", "$5\r\n3.141\r\n"),
        ("bignum", "$37\r\n1234567999999999999999999999999999999\r\n"),
        ("null", "$-1\r\n"),
        ("array", "*3\r\n:0\r\n:1\r\n:2\r\n"),
        ("set", "*3\r\n:0\r\n:1\r\n:2\r\n"),
        ("map", "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n"),
        (
            "attrib",
            "$39\r\nSome real reply following the attribute\r\n",
        ),
        ("push", "-ERR RESP2 is not supported by this command\r\n"),
        ("verbatim", "$25\r\nThis is a verbatim\nstring\r\n"),
        ("true", ":1\r\n"),
        ("false", ":0\r\n"),
        (
            "nope",
            "-ERR Wrong protocol type name. Please use one of the following: \
             string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false\r\n",
        ),
    ];
    for (kind, expected) in resp2 {
        c.assert(&["DEBUG", "PROTOCOL", kind], expected);
    }
    c.cmd(&["HELLO", "3"]);
    let resp3: &[(&str, &str)] = &[
        ("string", "$11\r\nHello World\r\n"),
        ("double", ",3.141\r\n"),
        ("bignum", "(1234567999999999999999999999999999999\r\n"),
        ("null", "_\r\n"),
        ("set", "~3\r\n:0\r\n:1\r\n:2\r\n"),
        ("map", "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"),
        (
            "attrib",
            "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n\
             $39\r\nSome real reply following the attribute\r\n",
        ),
        ("verbatim", "=29\r\ntxt:This is a verbatim\nstring\r\n"),
        ("true", "#t\r\n"),
        ("false", "#f\r\n"),
    ];
    for (kind, expected) in resp3 {
        c.assert(&["DEBUG", "PROTOCOL", kind], expected);
    }
    // A push, then the reply proper.
    c.send(&["DEBUG", "PROTOCOL", "push"]);
    let push = String::from_utf8(c.read_reply()).unwrap();
    let reply = String::from_utf8(c.read_reply()).unwrap();
    assert_eq!(push, ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n");
    assert_eq!(reply, "$40\r\nSome real reply following the push reply\r\n");
}

#[test]
fn debug_subcommands_answer_as_redis() {
    let s = start_debug();
    let mut c = s.client();
    // C's strtod: garbage is 0 seconds, a number prefix counts.
    c.assert(&["DEBUG", "SLEEP", "0"], "+OK\r\n");
    c.assert(&["DEBUG", "SLEEP", "abc"], "+OK\r\n");
    let started = Instant::now();
    c.assert(&["DEBUG", "SLEEP", "0.1s"], "+OK\r\n");
    assert!(started.elapsed().as_millis() >= 100);
    for size in ["1b", "0", "4095mb", "1GB"] {
        c.assert(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", size], "+OK\r\n");
    }
    for size in ["5gb", "4gb", "x", "-1", "1.5mb"] {
        c.assert(
            &["DEBUG", "QUICKLIST-PACKED-THRESHOLD", size],
            "-ERR argument must be a memory value bigger than 1 and smaller than 4gb\r\n",
        );
    }
    c.assert(
        &["DEBUG", "SLEEP"],
        "-ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP.\r\n",
    );
    c.assert(
        &["DEBUG", "nosuch", "x"],
        "-ERR unknown subcommand or wrong number of arguments for 'nosuch'. Try DEBUG HELP.\r\n",
    );
    c.assert(
        &["DEBUG"],
        "-ERR wrong number of arguments for 'debug' command\r\n",
    );
    let help = String::from_utf8(c.cmd(&["DEBUG", "HELP"])).unwrap();
    assert!(
        help.contains("\r\n+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"),
        "{help}"
    );
    assert!(
        help.ends_with("+HELP\r\n+    Prints this help.\r\n"),
        "{help}"
    );
}

#[test]
fn debug_change_repl_id_draws_a_new_replication_id() {
    let s = start_debug();
    let mut c = s.client();
    let replid = |c: &mut Client| {
        let info = String::from_utf8(c.cmd(&["INFO", "replication"])).unwrap();
        let line = info
            .lines()
            .find_map(|l| l.strip_prefix("master_replid:"))
            .unwrap()
            .to_string();
        assert_eq!(line.len(), 40, "{info}");
        assert!(info.contains("\r\nmaster_replid2:0000000000000000000000000000000000000000\r\n"));
        line
    };
    let before = replid(&mut c);
    c.assert(&["DEBUG", "CHANGE-REPL-ID"], "+OK\r\n");
    assert_ne!(replid(&mut c), before);
}

#[test]
fn debug_object_shows_where_a_value_lives_and_what_object_says() {
    let s = start_debug();
    let mut c = s.client();
    c.assert(&["SET", "foo", "20000"], "+OK\r\n");
    c.assert(&["INCR", "foo"], ":20001\r\n");
    let line = |c: &mut Client| String::from_utf8(c.cmd(&["DEBUG", "OBJECT", "foo"])).unwrap();
    let old = line(&mut c);
    assert!(
        old.starts_with("+Value at:0x")
            && old.contains(" refcount:1 encoding:int serializedlength:"),
        "{old}"
    );
    c.assert(&["INCR", "foo"], ":20002\r\n");
    let new = line(&mut c);
    // INCR changes the value where it lies.
    assert_eq!(old.split(' ').nth(1), new.split(' ').nth(1));
    c.assert(&["HSET", "h", "f", &"a".repeat(1024)], ":1\r\n");
    let h = String::from_utf8(c.cmd(&["DEBUG", "OBJECT", "h"])).unwrap();
    assert!(h.contains("encoding:hashtable"), "{h}");
    c.assert(&["DEBUG", "OBJECT", "missing"], "-ERR no such key\r\n");
}
