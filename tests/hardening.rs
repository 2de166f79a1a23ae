//! Hostile and broken clients: protocol limits, clients that never read, slow and idle
//! clients, and a panic inside a command. In each case the server stays up, other clients
//! are served, and no data is lost. Explained in: book chapter "When clients misbehave".

mod common;
use common::*;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// One field of `INFO`, as a number.
fn info_field(c: &mut Client, section: &str, field: &str) -> u64 {
    let reply = String::from_utf8_lossy(&c.cmd(&["INFO", section])).into_owned();
    reply
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO {section}"))
        .trim()
        .parse()
        .unwrap()
}

/// The resident memory of this process (the in-process server included), in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[test]
fn the_protocol_limits_are_settings_and_bind_connected_clients_too() {
    let s = start();
    let mut admin = s.client();
    admin.assert(
        &["CONFIG", "GET", "proto-max-bulk-len"],
        "*2\r\n$18\r\nproto-max-bulk-len\r\n$9\r\n536870912\r\n",
    );
    admin.assert(
        &["CONFIG", "GET", "client-query-buffer-limit"],
        "*2\r\n$25\r\nclient-query-buffer-limit\r\n$10\r\n1073741824\r\n",
    );
    admin.assert(
        &["CONFIG", "SET", "proto-max-bulk-len", "1"],
        "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be \
         between 1048576 and 9223372036854775807 inclusive\r\n",
    );
    // A client connected before the change is bound by it too, as in Redis.
    let mut early = s.client();
    early.assert(&["PING"], "+PONG\r\n");
    admin.assert(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"], "+OK\r\n");
    // From its next command on: the one it was already waiting for was read under the old limits.
    early.assert(&["PING"], "+PONG\r\n");
    early.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n");
    assert_eq!(
        early.read_reply(),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
    assert!(early.is_closed());
    // Exactly the limit is accepted.
    let mut ok = s.client();
    let big = vec![b'x'; 1024 * 1024];
    assert_eq!(ok.cmd_bytes(&[b"SET", b"k", &big]), b"+OK\r\n");
    assert_eq!(ok.cmd(&["STRLEN", "k"]), b":1048576\r\n");
}

#[test]
fn a_request_past_the_query_buffer_limit_closes_without_a_reply() {
    let s = start();
    let mut admin = s.client();
    admin.assert(
        &["CONFIG", "SET", "client-query-buffer-limit", "1mb"],
        "+OK\r\n",
    );
    let mut c = s.client();
    // Two arguments of 600,000 bytes: each fits, together they pass 1 MB. The refusal comes
    // at the second header, before its bytes are read or allocated.
    c.send_raw(b"*4\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$600000\r\n");
    c.send_raw(&vec![b'a'; 600_000]);
    c.send_raw(b"\r\n$600000\r\n");
    assert_eq!(c.try_read_reply(), None);
    assert_eq!(
        info_field(
            &mut admin,
            "stats",
            "client_query_buffer_limit_disconnections"
        ),
        1
    );
    admin.assert(&["EXISTS", "l"], ":0\r\n");
}

#[test]
fn one_reply_past_the_output_limit_costs_its_client_the_connection() {
    let s = start();
    let mut admin = s.client();
    admin.assert(
        &["CONFIG", "GET", "client-output-buffer-limit"],
        &format!(
            "*2\r\n$26\r\nclient-output-buffer-limit\r\n{}",
            bulk("normal 268435456 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
        ),
    );
    admin.assert(
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 1mb 0 0",
        ],
        "+OK\r\n",
    );
    let big = vec![b'v'; 2 * 1024 * 1024];
    assert_eq!(admin.cmd_bytes(&[b"SET", b"big", &big]), b"+OK\r\n");
    let mut greedy = s.client();
    greedy.send(&["GET", "big"]);
    assert!(greedy.is_closed());
    assert_eq!(
        info_field(
            &mut admin,
            "stats",
            "client_output_buffer_limit_disconnections"
        ),
        1
    );
    // Under the limit is fine, and the data is untouched.
    admin.assert(&["STRLEN", "big"], ":2097152\r\n");
    admin.assert(
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 0 0 0",
        ],
        "+OK\r\n",
    );
    assert_eq!(s.client().cmd(&["GET", "big"]).len(), 2 * 1024 * 1024 + 12);
}

#[test]
fn a_client_that_never_reads_is_held_back_and_then_closed_while_others_are_served() {
    let s = start();
    let mut admin = s.client();
    admin.assert(
        &["CONFIG", "GET", "client-write-timeout"],
        "*2\r\n$20\r\nclient-write-timeout\r\n$2\r\n60\r\n",
    );
    admin.assert(&["CONFIG", "SET", "client-write-timeout", "1"], "+OK\r\n");
    let value = vec![b'x'; 10 * 1024];
    assert_eq!(admin.cmd_bytes(&[b"SET", b"ten-kb", &value]), b"+OK\r\n");
    admin.assert(&["SET", "canary", "alive"], "+OK\r\n");
    let before = rss();
    // 100,000 GETs of a 10 KB value ask for 1 GB of replies; the client reads none of them.
    let hog = TcpStream::connect(s.addr()).unwrap();
    let mut writer = hog.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let one = encode(&[b"GET", b"ten-kb"]);
        let batch: Vec<u8> = one.iter().copied().cycle().take(one.len() * 1000).collect();
        for _ in 0..100 {
            // Blocks once the server stops reading; fails once it has closed us.
            if writer.write_all(&batch).is_err() {
                break;
            }
        }
    });
    // While it is stuck, everyone else is served.
    let mut other = s.client();
    other.assert(&["PING"], "+PONG\r\n");
    other.assert(&["GET", "canary"], &bulk("alive"));
    assert!(
        wait_until(Duration::from_secs(60), || {
            info_field(
                &mut admin,
                "stats",
                "client_output_buffer_limit_disconnections",
            ) == 1
        }),
        "the stalled client was never closed"
    );
    // Its thread blocked in `write` with the socket buffers full instead of buffering 1 GB.
    let grown = rss().saturating_sub(before);
    assert!(grown < 256 * 1024 * 1024, "memory grew by {grown} bytes");
    drop(hog);
    sender.join().unwrap();
    other.assert(&["GET", "canary"], &bulk("alive"));
    admin.assert(&["DBSIZE"], ":2\r\n");
}

#[test]
fn a_slow_client_does_not_delay_the_others() {
    let s = start();
    let mut slow = TcpStream::connect(s.addr()).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let frame = encode(&[b"SET", b"slow", b"done"]);
    let (half, rest) = frame.split_at(frame.len() / 2);
    // Slowloris: a command one byte at a time, never finished while the others work.
    for b in half {
        slow.write_all(&[*b]).unwrap();
    }
    let mut fast = s.client();
    for i in 0..200 {
        let n = i.to_string();
        fast.assert(&["SET", &format!("k{i}"), &n], "+OK\r\n");
        fast.assert(&["GET", &format!("k{i}")], &bulk(&n));
    }
    for b in rest {
        slow.write_all(&[*b]).unwrap();
    }
    let mut reply = [0u8; 5];
    slow.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"+OK\r\n");
    fast.assert(&["GET", "slow"], &bulk("done"));
}

#[test]
fn idle_clients_are_closed_after_timeout_and_keepalive_is_on() {
    let s = start();
    let mut admin = s.client();
    admin.assert(
        &["CONFIG", "GET", "tcp-keepalive"],
        "*2\r\n$13\r\ntcp-keepalive\r\n$3\r\n300\r\n",
    );
    // The kernel shows a keepalive timer on the server's end of the connection (`ss` is
    // iproute2's; without it this part is skipped).
    let filter = format!(
        "( sport = :{} and dport = :{} )",
        s.addr().port(),
        admin.stream.local_addr().unwrap().port()
    );
    if let Ok(out) = std::process::Command::new("ss")
        .args(["-tnoH", "state", "established", &filter])
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("timer:(keepalive"),
            "no keepalive timer: {text}"
        );
    }
    admin.assert(&["CONFIG", "SET", "timeout", "1"], "+OK\r\n");
    let mut idle = s.client();
    idle.assert(&["PING"], "+PONG\r\n");
    // The server closes it; `is_closed` waits up to 30 s for the end of the stream.
    assert!(idle.is_closed());
    // `admin` sat idle as long, so it is gone too; a new client is served.
    assert!(admin.is_closed());
    s.client().assert(&["PING"], "+PONG\r\n");
}

#[test]
fn debug_panic_is_refused_unless_enabled() {
    let s = start();
    let mut c = s.client();
    c.assert(
        &["DEBUG", "PANIC"],
        "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can \
         run it from a local connection, otherwise you need to set this option in the configuration file, \
         and then restart the server.\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "enable-debug-command", "yes"],
        "-ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't set immutable \
         config\r\n",
    );
}

#[test]
fn a_panic_in_one_client_closes_only_that_client() {
    let s = start_with(|c| c.enable_debug_command = rust_redis::config::DebugCommand::Local);
    let mut other = s.client();
    other.assert(&["SET", "canary", "still here"], "+OK\r\n");
    other.assert(&["RPUSH", "list", "a", "b"], ":2\r\n");
    let mut doomed = s.client();
    doomed.assert(&["PING"], "+PONG\r\n");
    doomed.send(&["DEBUG", "PANIC"]);
    assert!(doomed.is_closed());
    // The store's lock was poisoned by the panic under the write guard; reads and writes go on.
    other.assert(&["PING"], "+PONG\r\n");
    other.assert(&["GET", "canary"], &bulk("still here"));
    other.assert(&["RPUSH", "list", "c"], ":3\r\n");
    let mut fresh = s.client();
    fresh.assert(
        &["LRANGE", "list", "0", "-1"],
        "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
    );
    assert!(wait_until(Duration::from_secs(10), || {
        String::from_utf8_lossy(&fresh.cmd(&["CLIENT", "LIST"]))
            .matches("id=")
            .count()
            == 2
    }));
    // The panicking client's half-open socket is gone too.
    let _ = doomed.stream.shutdown(Shutdown::Both);
}

/// Commands that name `key` (and `public:dst`, a key the user may use) in every way a command
/// can: reading, writing, moving, counting, watching, blocking.
fn reaching_for(key: &str) -> Vec<Vec<String>> {
    let lines = [
        "GET {k}",
        "SET {k} v",
        "APPEND {k} v",
        "STRLEN {k}",
        "EXISTS public:dst {k}",
        "TYPE {k}",
        "TTL {k}",
        "PTTL {k}",
        "OBJECT ENCODING {k}",
        "DUMP {k}",
        "RENAME {k} public:dst",
        "RENAME public:dst {k}",
        "COPY {k} public:dst",
        "LMOVE {k} public:dst LEFT LEFT",
        "SMOVE {k} public:dst m",
        "SUNIONSTORE public:dst {k}",
        "ZUNIONSTORE public:dst 1 {k}",
        "ZINTERCARD 1 {k}",
        "LMPOP 1 {k} LEFT",
        "BLPOP {k} 0.01",
        "XREAD STREAMS {k} 0",
        "MGET public:dst {k}",
        "MSET public:dst v {k} v",
        "DEL public:dst {k}",
        "UNLINK {k}",
        "EXPIRE {k} 100",
        "PERSIST {k}",
        "TOUCH {k}",
        "WATCH {k}",
        "GETDEL {k}",
        "HGETALL {k}",
        "LRANGE {k} 0 -1",
        "SMEMBERS {k}",
        "ZRANGE {k} 0 -1",
        "PFCOUNT {k}",
        "PFMERGE public:dst {k}",
        "BITOP OR public:dst {k}",
        "BITCOUNT {k}",
        "SETRANGE {k} 0 x",
        "INCR {k}",
        "MEMORY USAGE {k}",
    ];
    lines
        .iter()
        .map(|l| l.replace("{k}", key).split(' ').map(String::from).collect())
        .collect()
}

#[test]
fn a_user_without_rights_to_a_key_cannot_read_write_or_detect_it() {
    let s = start();
    let mut admin = s.client();
    admin.assert(&["SET", "secret:there", "treasure"], "+OK\r\n");
    admin.assert(
        &[
            "ACL",
            "SETUSER",
            "mallory",
            "on",
            ">pw",
            "~public:*",
            "&public:*",
            "+@read",
            "+@write",
            "+@blocking",
            "+@pubsub",
            "+@connection",
            "+@transaction",
            "-@dangerous",
            "-scan",
            "-randomkey",
            "-dbsize",
            "-pubsub",
            "+object",
        ],
        "+OK\r\n",
    );
    let mut m = s.client();
    m.assert(&["AUTH", "mallory", "pw"], "+OK\r\n");
    let noperm_key =
        "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n";
    for (there, missing) in reaching_for("secret:there")
        .into_iter()
        .zip(reaching_for("secret:missing"))
    {
        let words: Vec<&str> = there.iter().map(String::as_str).collect();
        let reply = String::from_utf8_lossy(&m.cmd(&words)).into_owned();
        assert!(reply.starts_with("-NOPERM"), "{words:?} answered {reply:?}");
        assert!(
            !reply.contains("secret"),
            "{words:?} names the key: {reply:?}"
        );
        let other: Vec<&str> = missing.iter().map(String::as_str).collect();
        // An existing key and a missing one are refused alike: the refusal tells nothing.
        assert_eq!(
            reply,
            String::from_utf8_lossy(&m.cmd(&other)),
            "{words:?} and {other:?}"
        );
        assert_eq!(reply, noperm_key, "{words:?}");
    }
    // Inside a transaction too, and the transaction is then refused whole.
    m.assert(&["MULTI"], "+OK\r\n");
    m.assert(&["GET", "secret:there"], noperm_key);
    m.assert(&["SET", "public:dst", "v"], "+QUEUED\r\n");
    m.assert(
        &["EXEC"],
        "-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    // Commands that list keys whatever their names are not the user's at all.
    for cmd in [
        &["SCAN", "0"][..],
        &["RANDOMKEY"],
        &["KEYS", "*"],
        &["DBSIZE"],
    ] {
        let reply = String::from_utf8_lossy(&m.cmd(cmd)).into_owned();
        assert!(
            reply.starts_with("-NOPERM this user has no permissions to run"),
            "{cmd:?}"
        );
    }
    // Channels: neither listening nor speaking outside `public:*`, not even by pattern.
    let noperm_channel =
        "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n";
    m.assert(&["PUBLISH", "secret", "m"], noperm_channel);
    m.assert(&["SUBSCRIBE", "public:a", "secret"], noperm_channel);
    m.assert(&["PSUBSCRIBE", "*"], noperm_channel);
    m.assert(
        &["PSUBSCRIBE", "public:*"],
        "*3\r\n$10\r\npsubscribe\r\n$8\r\npublic:*\r\n:1\r\n",
    );
    // Nothing was touched.
    admin.assert(&["GET", "secret:there"], "$8\r\ntreasure\r\n");
    admin.assert(&["EXISTS", "secret:missing"], ":0\r\n");
    admin.assert(&["TTL", "secret:there"], ":-1\r\n");
}

#[test]
fn acl_rules_that_are_hostile_input_are_refused_without_harm() {
    let s = start();
    let mut c = s.client();
    let long = "x".repeat(100_000);
    for rule in [
        &format!(">{long}")[..],
        "~\u{0}",
        "%",
        "%~",
        "(",
        ")",
        "()",
        "(((",
        "+|",
        "+@",
        "-@",
        "#",
        "!",
        "<",
        "&",
        "~",
    ] {
        let reply = c.cmd(&["ACL", "SETUSER", "h", rule]);
        assert!(
            reply.starts_with(b"+OK") || reply.starts_with(b"-ERR"),
            "{rule:?}: {:?}",
            String::from_utf8_lossy(&reply)
        );
    }
    // A selector that opens and never closes names the word it began at.
    c.assert(
        &["ACL", "SETUSER", "h", "(+get", "~a"],
        "-ERR Unmatched parenthesis in acl selector starting at '(+get'.\r\n",
    );
    c.assert(&["PING"], "+PONG\r\n");
}
