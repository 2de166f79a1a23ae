//! Server operations over a real socket: `INFO`, `CONFIG`, `COMMAND`, `TIME`, `SLOWLOG`,
//! `SHUTDOWN`, `maxclients`, the idle `timeout`, protected mode and `rename-command`.

mod common;

use std::net::{IpAddr, TcpStream, UdpSocket};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The value of `field` in an `INFO` reply.
fn info_field(c: &mut Client, section: &str, field: &str) -> String {
    let info = text(c.cmd(&["INFO", section]));
    let prefix = format!("{field}:");
    info.split("\r\n")
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {field} in {info}"))
        .to_string()
}

#[test]
fn info_reports_real_figures_by_section() {
    let s = start();
    let mut c = s.client();
    let info = text(c.cmd(&["INFO"]));
    assert!(info.starts_with('$'), "{info}");
    for header in [
        "# Server\r\n",
        "# Clients\r\n",
        "# Memory\r\n",
        "# Persistence\r\n",
        "# Stats\r\n",
        "# Replication\r\n",
        "# Keyspace\r\n",
    ] {
        assert!(info.contains(header), "{header} missing from {info}");
    }
    assert!(info.contains("\r\nredis_version:7.0.0\r\n"), "{info}");
    assert!(info.contains("\r\nredis_mode:standalone\r\n"), "{info}");
    assert!(
        info.contains(&format!("\r\ntcp_port:{}\r\n", s.addr().port())),
        "{info}"
    );
    assert!(
        info.contains(&format!("\r\nprocess_id:{}\r\n", std::process::id())),
        "{info}"
    );
    assert!(info.contains("\r\nconnected_clients:1\r\n"), "{info}");
    assert!(info.contains("\r\naof_enabled:"), "{info}");
    let rss: u64 = info_field(&mut c, "memory", "used_memory_rss")
        .parse()
        .unwrap();
    assert!(rss > 0);
    // An empty keyspace section has no db0 line, exactly as Redis prints it.
    c.assert(&["INFO", "keyspace"], "$12\r\n# Keyspace\r\n\r\n");
    c.assert(&["SET", "k", "v"], "+OK\r\n");
    c.assert(
        &["INFO", "KEYSPACE"],
        &bulk("# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n"),
    );
    // Several sections, in Redis's order whatever the order asked; unknown ones print nothing.
    let two = text(c.cmd(&["INFO", "keyspace", "nosuch", "cluster"]));
    assert!(
        two.contains("# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace\r\n"),
        "{two}"
    );
    c.assert(&["INFO", "nosuch"], "$0\r\n\r\n");
    // RESP3: verbatim text.
    c.cmd(&["HELLO", "3"]);
    let v = text(c.cmd(&["INFO", "cluster"]));
    assert_eq!(v, "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n");
}

#[test]
fn info_counts_commands_connections_and_memory() {
    let s = start();
    let mut c = s.client();
    for _ in 0..3 {
        c.assert(&["PING"], "+PONG\r\n");
    }
    // Three PINGs ran before this INFO; INFO itself is counted after its reply is built.
    assert_eq!(info_field(&mut c, "stats", "total_commands_processed"), "3");
    assert_eq!(
        info_field(&mut c, "stats", "total_connections_received"),
        "1"
    );
    let mut d = s.client();
    d.assert(&["PING"], "+PONG\r\n");
    d.assert(&["QUIT"], "+OK\r\n");
    // A departed client's commands still count: 3 PINGs, 2 INFOs, d's PING and QUIT, and
    // every INFO of the wait.
    let mut polls = 0;
    assert!(wait_until(Duration::from_secs(5), || {
        polls += 1;
        info_field(&mut c, "clients", "connected_clients") == "1"
    }));
    assert_eq!(
        info_field(&mut c, "stats", "total_commands_processed"),
        (7 + polls).to_string()
    );
    let before: u64 = info_field(&mut c, "memory", "used_memory").parse().unwrap();
    let value = "x".repeat(1000);
    for i in 0..2000 {
        c.send(&["SET", &format!("key:{i}"), &value]);
    }
    for _ in 0..2000 {
        c.read_reply();
    }
    let after: u64 = info_field(&mut c, "memory", "used_memory").parse().unwrap();
    // 2,000 values of 1,000 bytes: the estimate grows by at least the payload.
    assert!(after >= before + 2_000_000, "{before} -> {after}");
    assert!(after < before + 4_000_000, "{before} -> {after}");
    c.assert(&["CONFIG", "RESETSTAT"], "+OK\r\n");
    // RESETSTAT itself counts once it finishes, as in Redis.
    assert_eq!(info_field(&mut c, "stats", "total_commands_processed"), "1");
    assert_eq!(
        info_field(&mut c, "stats", "total_connections_received"),
        "0"
    );
}

#[test]
fn config_get_answers_maps_and_patterns() {
    let s = start();
    let mut c = s.client();
    c.assert(&["CONFIG", "GET", "save"], "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
    c.assert(
        &["CONFIG", "GET", "appendonly"],
        "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n",
    );
    c.assert(&["CONFIG", "GET", "nosuch"], "*0\r\n");
    c.assert(
        &["CONFIG", "GET", "MAXCLIENTS", "timeout", "maxclients"],
        "*4\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n$7\r\ntimeout\r\n$1\r\n0\r\n",
    );
    let all = text(c.cmd(&["CONFIG", "GET", "*"]));
    for name in [
        "port",
        "bind",
        "appendfsync",
        "slowlog-max-len",
        "databases",
        "protected-mode",
    ] {
        assert!(
            all.contains(&format!("\r\n{name}\r\n")),
            "{name} missing from {all}"
        );
    }
    c.cmd(&["HELLO", "3"]);
    c.assert(&["CONFIG", "GET", "hz"], "%1\r\n$2\r\nhz\r\n$2\r\n10\r\n");
    c.assert(
        &["CONFIG", "GET"],
        "-ERR wrong number of arguments for 'config|get' command\r\n",
    );
    c.assert(
        &["CONFIG", "foo"],
        "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n",
    );
}

#[test]
fn config_set_is_all_or_nothing_with_redis_errors() {
    let s = start();
    let mut c = s.client();
    c.assert(
        &["CONFIG", "SET", "foo", "bar"],
        "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "daemonize", "yes"],
        "-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "maxclients", "abc"],
        "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed \
         into an integer\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "maxclients", "7", "timeout", "-1"],
        "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and \
         2147483647 inclusive\r\n",
    );
    c.assert(
        &["CONFIG", "GET", "maxclients"],
        "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "timeout", "1", "timeout", "2"],
        "-ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "appendfsync", "sometimes"],
        "-ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of \
         the following: always, everysec, no\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "protected-mode", "maybe"],
        "-ERR CONFIG SET failed (possibly related to argument 'protected-mode') - argument must be 'yes' \
         or 'no'\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "a"],
        "-ERR wrong number of arguments for 'config|set' command\r\n",
    );
    c.assert(
        &[
            "CONFIG",
            "SET",
            "maxclients",
            "50",
            "loglevel",
            "warning",
            "save",
            "",
        ],
        "+OK\r\n",
    );
    c.assert(
        &["CONFIG", "GET", "maxclients", "loglevel"],
        "*4\r\n$10\r\nmaxclients\r\n$2\r\n50\r\n$8\r\nloglevel\r\n$7\r\nwarning\r\n",
    );
    c.assert(
        &["CONFIG", "REWRITE"],
        "-ERR The server is running without a config file\r\n",
    );
}

#[test]
fn redis_settings_this_server_does_not_act_on_are_kept_and_reported() {
    let s = start();
    let mut c = s.client();
    // Redis's own test suite starts its hash and zset units with these.
    c.assert(
        &["CONFIG", "SET", "hash-max-ziplist-entries", "0"],
        "+OK\r\n",
    );
    c.assert(
        &["CONFIG", "GET", "hash-max-*-entries"],
        "*4\r\n$25\r\nhash-max-listpack-entries\r\n$1\r\n0\r\n$24\r\nhash-max-ziplist-entries\r\n$1\r\n0\r\n",
    );
    // Memory units are stored in bytes; a default is reported until something is set.
    c.assert(
        &["CONFIG", "SET", "zset-max-listpack-value", "1kb"],
        "+OK\r\n",
    );
    c.assert(
        &["CONFIG", "GET", "zset-max-ziplist-value"],
        "*2\r\n$22\r\nzset-max-ziplist-value\r\n$4\r\n1024\r\n",
    );
    c.assert(
        &["CONFIG", "GET", "list-compress-depth"],
        "*2\r\n$19\r\nlist-compress-depth\r\n$1\r\n0\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "hash-max-listpack-entries", "abc"],
        "-ERR CONFIG SET failed (possibly related to argument 'hash-max-listpack-entries') - argument couldn't \
         be parsed into an integer\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "lazyfree-lazy-user-del", "maybe"],
        "-ERR CONFIG SET failed (possibly related to argument 'lazyfree-lazy-user-del') - argument must be \
         'yes' or 'no'\r\n",
    );
    // Settings Redis will not change at run time are refused as immutable, not as unknown.
    c.assert(
        &["CONFIG", "SET", "daemonize", "yes"],
        "-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config\r\n",
    );
}

#[test]
fn memory_usage_estimates_a_key_and_checks_its_options_first() {
    let s = start();
    let mut c = s.client();
    c.assert(&["MEMORY", "USAGE", "nokey"], "$-1\r\n");
    c.assert(
        &["MEMORY", "USAGE", "nokey", "SAMPLES", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    c.assert(
        &["MEMORY", "USAGE", "nokey", "FOO", "1"],
        "-ERR syntax error\r\n",
    );
    c.assert(
        &["MEMORY", "USAGE"],
        "-ERR wrong number of arguments for 'memory|usage' command\r\n",
    );
    c.assert(
        &["MEMORY", "FOO"],
        "-ERR unknown subcommand 'FOO'. Try MEMORY HELP.\r\n",
    );
    c.assert(&["SET", "small", "v"], "+OK\r\n");
    c.assert(&["SET", "big", &"x".repeat(10_000)], "+OK\r\n");
    let usage = |c: &mut Client, key: &str| -> i64 {
        let reply = c.cmd(&["MEMORY", "USAGE", key, "SAMPLES", "0"]);
        let text = String::from_utf8(reply).unwrap();
        text.trim_start_matches(':').trim_end().parse().unwrap()
    };
    let (small, big) = (usage(&mut c, "small"), usage(&mut c, "big"));
    assert!(small > 0 && small < 200, "{small}");
    assert!(big > 10_000 && big < 11_000, "{big}");
}

#[test]
fn config_rewrite_updates_the_file_in_place() {
    let dir = TempDir::new();
    let path = dir.0.join("redis.conf");
    std::fs::write(
        &path,
        "# my settings\nmaxclients 100\nport 0\nmaxclients 200\n",
    )
    .unwrap();
    let s = start_with(|cfg| cfg.config_file = Some(path.clone()));
    let mut c = s.client();
    c.assert(
        &["CONFIG", "SET", "maxclients", "300", "requirepass", "a b"],
        "+OK\r\n",
    );
    c.assert(&["CONFIG", "REWRITE"], "+OK\r\n");
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        written,
        // The test server's own non-default settings are written too.
        "# my settings\nmaxclients 300\nport 0\nappendonly no\nrequirepass \"a b\"\nloglevel warning\n",
        "{written}"
    );
    let mut reread = rust_redis::server::Config::default();
    reread.load_file_text(&written).unwrap();
    assert_eq!(reread.maxclients, 300);
    assert_eq!(reread.requirepass.as_deref(), Some(&b"a b"[..]));
}

#[test]
fn command_describes_the_registry() {
    let s = start();
    let mut c = s.client();
    let count: usize = text(c.cmd(&["COMMAND", "COUNT"]))
        .trim_start_matches(':')
        .trim_end()
        .parse()
        .unwrap();
    assert!(count > 10);
    let list = text(c.cmd(&["COMMAND", "LIST"]));
    assert!(list.starts_with(&format!("*{count}\r\n")), "{list}");
    let all = text(c.cmd(&["COMMAND"]));
    assert!(all.starts_with(&format!("*{count}\r\n*10\r\n")), "{all}");
    c.assert(
        &["COMMAND", "INFO", "get", "nosuch"],
        "*2\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n\
         *3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*0\r\n*0\r\n$-1\r\n",
    );
    c.assert(
        &["COMMAND", "GETKEYS", "set", "a", "b"],
        "*1\r\n$1\r\na\r\n",
    );
    c.assert(
        &["COMMAND", "GETKEYS", "ping", "x"],
        "-ERR The command has no key arguments\r\n",
    );
    c.assert(
        &["COMMAND", "GETKEYS", "foo", "x"],
        "-ERR Invalid command specified\r\n",
    );
    c.assert(
        &["COMMAND", "GETKEYS", "get", "a", "b"],
        "-ERR Invalid number of arguments specified for command\r\n",
    );
    c.assert(
        &["COMMAND", "GETKEYS"],
        "-ERR wrong number of arguments for 'command|getkeys' command\r\n",
    );
    c.assert(
        &["COMMAND", "LIST", "FILTERBY", "PATTERN", "get"],
        "*1\r\n$3\r\nget\r\n",
    );
    c.cmd(&["HELLO", "3"]);
    c.assert(
        &["COMMAND", "INFO", "get"],
        "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n\
         ~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~0\r\n~0\r\n",
    );
    let summary = rust_redis::commands::docs::table()
        .get("get")
        .unwrap()
        .summary;
    c.assert(
        &["COMMAND", "DOCS", "get"],
        &format!(
            "%1\r\n$3\r\nget\r\n%4\r\n$7\r\nsummary\r\n{}$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n\
             $6\r\nstring\r\n$9\r\narguments\r\n*1\r\n%3\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n\
             $14\r\nkey_spec_index\r\n:0\r\n",
            bulk(summary)
        ),
    );
}

#[test]
fn time_answers_seconds_and_microseconds() {
    let s = start();
    let mut c = s.client();
    let reply = text(c.cmd(&["TIME"]));
    let parts: Vec<&str> = reply.split("\r\n").collect();
    assert_eq!(parts[0], "*2", "{reply}");
    let secs: u64 = parts[2].parse().unwrap();
    let micros: u64 = parts[4].parse().unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(secs.abs_diff(now) <= 1);
    assert!(micros < 1_000_000);
}

#[test]
fn slowlog_records_commands_over_the_threshold() {
    // DEBUG, as in Redis, needs `enable-debug-command`.
    let s = start_with(|c| c.enable_debug_command = rust_redis::config::DebugCommand::Yes);
    let mut c = s.client();
    c.assert(&["SLOWLOG", "LEN"], ":0\r\n");
    c.assert(&["CLIENT", "SETNAME", "slowpoke"], "+OK\r\n");
    // A threshold of 0 logs everything, starting with the CONFIG SET itself (as in Redis).
    c.assert(
        &["CONFIG", "SET", "slowlog-log-slower-than", "0"],
        "+OK\r\n",
    );
    let entry = text(c.cmd(&["SLOWLOG", "GET", "1"]));
    let me = c.stream.local_addr().unwrap().to_string();
    let parts: Vec<&str> = entry.split("\r\n").collect();
    assert_eq!(&parts[..3], ["*1", "*6", ":0"], "{entry}");
    let tail = format!(
        "*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$23\r\nslowlog-log-slower-than\r\n$1\r\n0\r\n${}\r\n{me}\r\n$8\r\nslowpoke\r\n",
        me.len()
    );
    assert!(entry.ends_with(&tail), "{entry}");
    c.assert(&["SLOWLOG", "LEN"], ":2\r\n");
    c.assert(&["CONFIG", "SET", "slowlog-max-len", "3"], "+OK\r\n");
    for _ in 0..5 {
        c.assert(&["PING"], "+PONG\r\n");
    }
    c.assert(&["SLOWLOG", "LEN"], ":3\r\n");
    c.assert(&["SLOWLOG", "RESET"], "+OK\r\n");
    // RESET is itself logged once it finishes; ids keep increasing.
    c.assert(&["SLOWLOG", "LEN"], ":1\r\n");
    // Only slow commands once the threshold is real: DEBUG SLEEP makes one on demand.
    c.assert(
        &["CONFIG", "SET", "slowlog-log-slower-than", "50000"],
        "+OK\r\n",
    );
    c.assert(&["SLOWLOG", "RESET"], "+OK\r\n");
    c.assert(&["PING"], "+PONG\r\n");
    c.assert(&["DEBUG", "SLEEP", "0.06"], "+OK\r\n");
    let entry = text(c.cmd(&["SLOWLOG", "GET"]));
    assert!(entry.starts_with("*1\r\n*6\r\n"), "{entry}");
    assert!(
        entry.contains("*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$4\r\n0.06\r\n"),
        "{entry}"
    );
    c.assert(
        &["SLOWLOG", "GET", "x"],
        "-ERR count should be greater than or equal to -1\r\n",
    );
    c.assert(
        &["SLOWLOG", "foo"],
        "-ERR unknown subcommand 'foo'. Try SLOWLOG HELP.\r\n",
    );
}

#[test]
fn shutdown_closes_without_a_reply_and_stops_listening() {
    let s = start();
    let addr = s.addr();
    let mut other = s.client();
    let mut c = s.client();
    c.assert(&["SHUTDOWN", "ABORT"], "-ERR No shutdown in progress.\r\n");
    c.assert(&["SHUTDOWN", "SAVE", "NOSAVE"], "-ERR syntax error\r\n");
    c.send(&["SHUTDOWN", "NOSAVE"]);
    assert!(c.try_read_reply().is_none(), "SHUTDOWN must not reply");
    assert!(other.is_closed());
    assert!(wait_until(Duration::from_secs(5), || TcpStream::connect(
        addr
    )
    .is_err()));
}

#[test]
fn maxclients_refuses_with_redis_error() {
    let s = start_with(|c| c.maxclients = 2);
    let mut a = s.client();
    let mut b = s.client();
    a.assert(&["PING"], "+PONG\r\n");
    b.assert(&["PING"], "+PONG\r\n");
    let mut c = s.client();
    assert_eq!(
        c.try_read_reply().as_deref(),
        Some(&b"-ERR max number of clients reached\r\n"[..])
    );
    assert!(c.is_closed());
    assert_eq!(info_field(&mut a, "stats", "rejected_connections"), "1");
    b.assert(&["QUIT"], "+OK\r\n");
    assert!(b.is_closed());
    assert!(wait_until(Duration::from_secs(5), || {
        let mut d = s.client();
        d.cmd(&["PING"]) == b"+PONG\r\n"
    }));
}

#[test]
fn idle_clients_are_closed_after_timeout() {
    let s = start_with(|c| c.timeout = 1);
    let mut c = s.client();
    c.assert(&["PING"], "+PONG\r\n");
    // The server closes the idle connection after one second (the harness waits up to 30).
    assert!(c.is_closed());
    // CONFIG SET timeout 0 lifts it for existing clients too.
    let mut d = s.client();
    d.assert(&["CONFIG", "SET", "timeout", "0"], "+OK\r\n");
    let mut e = s.client();
    std::thread::sleep(Duration::from_millis(1500));
    d.assert(&["PING"], "+PONG\r\n");
    e.assert(&["PING"], "+PONG\r\n");
}

/// An address of this machine that is not loopback, if it has one.
fn non_loopback_ip() -> Option<IpAddr> {
    // Connecting a UDP socket sends nothing; it only picks the outgoing interface.
    let sock = UdpSocket::bind("0.0.0.0:0").ok()?;
    sock.connect("192.0.2.1:9").ok()?;
    let ip = sock.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn protected_mode_denies_remote_clients_without_a_password() {
    let Some(ip) = non_loopback_ip() else {
        eprintln!("no non-loopback interface: protected mode checked by unit tests only");
        return;
    };
    let s = start_with(|c| c.bind = "0.0.0.0".into());
    let port = s.addr().port();
    let mut remote = Client::connect((ip, port).into());
    let reply = text(remote.try_read_reply().expect("a DENIED line"));
    assert_eq!(reply, rust_redis::netlayer::DENIED);
    assert!(reply.starts_with(
        "-DENIED Redis is running in protected mode because protected mode is enabled"
    ));
    // Loopback is always served; turning protected mode off serves everyone.
    let mut local = Client::connect(([127, 0, 0, 1], port).into());
    local.assert(&["CONFIG", "SET", "protected-mode", "no"], "+OK\r\n");
    let mut remote = Client::connect((ip, port).into());
    remote.assert(&["PING"], "+PONG\r\n");
}

#[test]
fn rename_command_renames_or_disables() {
    let s = start_with(|c| {
        c.rename_commands = vec![
            ("ECHO".into(), String::new()),
            ("config".into(), "cfg-7f3a".into()),
        ]
    });
    let mut c = s.client();
    c.assert(
        &["ECHO", "x"],
        "-ERR unknown command 'ECHO', with args beginning with: 'x' \r\n",
    );
    c.assert(
        &["CONFIG", "GET", "hz"],
        "-ERR unknown command 'CONFIG', with args beginning with: 'GET' 'hz' \r\n",
    );
    c.assert(&["CFG-7F3A", "GET", "hz"], "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n");
}

#[test]
fn info_counts_keyspace_hits_and_misses() {
    let s = start();
    let mut c = s.client();
    let figure = |c: &mut Client, name: &str| -> u64 {
        let info = String::from_utf8(c.cmd(&["INFO", "stats"])).unwrap();
        let line = info
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name}: {info}"));
        line[name.len() + 1..].parse().unwrap()
    };
    c.assert(&["SET", "k", "v"], "+OK\r\n");
    let (hits, misses) = (
        figure(&mut c, "keyspace_hits"),
        figure(&mut c, "keyspace_misses"),
    );
    c.cmd(&["GET", "k"]);
    c.cmd(&["GET", "k"]);
    c.cmd(&["GET", "nosuchkey"]);
    assert_eq!(figure(&mut c, "keyspace_hits"), hits + 2);
    assert_eq!(figure(&mut c, "keyspace_misses"), misses + 1);
    c.assert(&["CONFIG", "RESETSTAT"], "+OK\r\n");
    assert_eq!(figure(&mut c, "keyspace_hits"), 0);
}

/// The scheduling policy (`/proc/<pid>/task/<tid>/stat`, field 41) of this process's thread
/// named `name`: 0 is `SCHED_OTHER`, 3 is `SCHED_BATCH`.
#[cfg(target_os = "linux")]
fn policy_of_thread(name: &str) -> Option<u32> {
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
        // The fields after the parenthesised name start with field 3, the state.
        let rest = &stat[stat.rfind(')')? + 2..];
        return rest.split(' ').nth(41 - 3)?.parse().ok();
    }
    None
}

#[cfg(target_os = "linux")]
#[test]
fn client_threads_run_under_sched_batch_only_when_configured_on() {
    let client_thread = |c: &mut Client| {
        let id = text(c.cmd(&["CLIENT", "ID"]));
        format!("client-{}", id.trim_start_matches(':').trim_end())
    };
    let s = start();
    let mut c = s.client();
    assert_eq!(
        policy_of_thread(&client_thread(&mut c)),
        Some(0),
        "SCHED_OTHER by default"
    );
    c.assert(
        &["CONFIG", "GET", "client-sched-batch"],
        "*2\r\n$18\r\nclient-sched-batch\r\n$2\r\nno\r\n",
    );

    // On at run time: connections accepted from now on run under SCHED_BATCH.
    c.assert(&["CONFIG", "SET", "client-sched-batch", "yes"], OK);
    let mut later = s.client();
    assert_eq!(
        policy_of_thread(&client_thread(&mut later)),
        Some(3),
        "SCHED_BATCH when on"
    );
    c.assert(
        &["CONFIG", "SET", "client-sched-batch", "maybe"],
        "-ERR CONFIG SET failed (possibly related to argument 'client-sched-batch') - argument must be 'yes' or 'no'\r\n",
    );
}

#[test]
fn above_maxmemory_commands_that_add_data_are_refused() {
    let s = start();
    let mut c = s.client();
    let oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
    c.assert(&["SET", "k", "v"], "+OK\r\n");
    c.assert(&["CONFIG", "SET", "maxmemory", "1"], "+OK\r\n");
    c.assert(&["SET", "k2", "v"], oom);
    c.assert(&["GET", "k"], "$1\r\nv\r\n");
    c.assert(&["DEL", "k"], ":1\r\n");
    // Inside MULTI every queued command is refused, and EXEC then aborts.
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["GET", "k"], oom);
    c.assert(
        &["EXEC"],
        "-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    c.assert(&["CONFIG", "SET", "maxmemory", "0"], "+OK\r\n");
    c.assert(&["SET", "k2", "v"], "+OK\r\n");
    c.assert(&["CONFIG", "SET", "maxmemory", "100mb"], "+OK\r\n");
    c.assert(
        &["CONFIG", "GET", "maxmemory"],
        "*2\r\n$9\r\nmaxmemory\r\n$9\r\n104857600\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "maxmemory", "1x"],
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "maxmemory-policy", "bogus"],
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of \
         the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, \
         allkeys-random, noeviction\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
        "+OK\r\n",
    );
    c.assert(
        &["CONFIG", "GET", "maxmemory-policy"],
        "*2\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n",
    );
}

#[test]
fn hidden_settings_answer_only_to_their_exact_name() {
    let s = start();
    let mut c = s.client();
    c.assert(
        &["CONFIG", "GET", "key-load-delay"],
        "*2\r\n$14\r\nkey-load-delay\r\n$1\r\n0\r\n",
    );
    c.assert(&["CONFIG", "GET", "key-load-*"], "*0\r\n");
    let all = c.cmd(&["CONFIG", "GET", "*"]);
    assert!(!String::from_utf8_lossy(&all).contains("key-load-delay"));
    c.assert(&["CONFIG", "SET", "key-load-delay", "5"], "+OK\r\n");
    c.assert(
        &["CONFIG", "GET", "key-load-delay"],
        "*2\r\n$14\r\nkey-load-delay\r\n$1\r\n5\r\n",
    );
}

#[test]
fn config_set_port_moves_the_listener_and_keeps_the_clients() {
    let s = start();
    let mut c = s.client();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    // Taken: refused with Redis's text, and nothing else in the same command changes.
    let reply = String::from_utf8(c.cmd(&[
        "CONFIG",
        "SET",
        "maxmemory",
        "10000001",
        "port",
        &port.to_string(),
    ]))
    .unwrap();
    assert!(
        reply.starts_with(
            "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port: "
        ),
        "{reply}"
    );
    c.assert(
        &["CONFIG", "GET", "maxmemory"],
        "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n",
    );
    drop(free);
    c.assert(&["CONFIG", "SET", "port", &port.to_string()], "+OK\r\n");
    let moved: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    assert!(wait_until(Duration::from_secs(5), || s
        .server
        .as_ref()
        .unwrap()
        .local_addr()
        == moved));
    let mut d = Client::connect(moved);
    d.assert(&["PING"], "+PONG\r\n");
    // The client connected before the move is still served.
    c.assert(&["PING"], "+PONG\r\n");
    c.assert(
        &["CONFIG", "SET", "port", "0"],
        "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port: port 0 would close the only listener\r\n",
    );
}

#[test]
fn slowlog_logs_the_commands_exec_runs_and_not_exec() {
    let s = start();
    let mut c = s.client();
    c.assert(
        &["CONFIG", "SET", "slowlog-log-slower-than", "0"],
        "+OK\r\n",
    );
    c.assert(&["SLOWLOG", "RESET"], "+OK\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["SET", "a", "b"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*1\r\n+OK\r\n");
    c.assert(
        &["CONFIG", "SET", "slowlog-log-slower-than", "-1"],
        "+OK\r\n",
    );
    let log = text(c.cmd(&["SLOWLOG", "GET"]));
    // Newest first: the SET that EXEC ran, MULTI, and the RESET; no EXEC (and the CONFIG SET
    // ran with the log already off).
    let commands: Vec<&str> = log
        .split("\r\n")
        .filter(|l| ["SET", "MULTI", "EXEC", "SLOWLOG", "CONFIG"].contains(l))
        .collect();
    assert_eq!(commands, ["SET", "MULTI", "SLOWLOG"], "{log}");
}

#[test]
fn save_and_maxmemory_clients_are_checked_and_kept_as_redis_does() {
    let s = start();
    let mut c = s.client();
    c.assert(&["CONFIG", "GET", "save"], "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
    c.assert(&["CONFIG", "SET", "save", "3000  5"], "+OK\r\n");
    c.assert(
        &["CONFIG", "GET", "save"],
        "*2\r\n$4\r\nsave\r\n$6\r\n3000 5\r\n",
    );
    let invalid = "-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters\r\n";
    c.assert(&["CONFIG", "SET", "save", "3000"], invalid);
    c.assert(&["CONFIG", "SET", "save", "x 5"], invalid);
    c.assert(&["CONFIG", "SET", "maxmemory-clients", "10%"], "+OK\r\n");
    c.assert(
        &["CONFIG", "GET", "maxmemory-clients"],
        "*2\r\n$17\r\nmaxmemory-clients\r\n$3\r\n10%\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "maxmemory", "10000001", "maxmemory-clients", "200%"],
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be \
         less or equal to 100\r\n",
    );
    c.assert(
        &["CONFIG", "GET", "maxmemory"],
        "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n",
    );
    c.assert(&["CONFIG", "SET", "maxmemory-clients", "1mb"], "+OK\r\n");
    c.assert(
        &["CONFIG", "GET", "maxmemory-clients"],
        "*2\r\n$17\r\nmaxmemory-clients\r\n$7\r\n1048576\r\n",
    );
}

#[test]
fn a_replica_without_its_master_refuses_as_redis_does() {
    let s = start();
    let mut c = s.client();
    let mut admin = s.client();
    c.assert(&["SET", "xx", "1"], "+OK\r\n");
    admin.assert(&["REPLICAOF", "localhost", "0"], "+OK\r\n");
    admin.assert(
        &["REPLICAOF", "localhost", "0"],
        "+OK Already connected to specified master\r\n",
    );
    let info = String::from_utf8(admin.cmd(&["INFO", "replication"])).unwrap();
    assert!(
        info.contains(
            "role:slave\r\nmaster_host:localhost\r\nmaster_port:0\r\nmaster_link_status:down\r\n"
        ),
        "{info}"
    );
    c.assert(
        &["SET", "xx", "2"],
        "-READONLY You can't write against a read only replica.\r\n",
    );
    c.assert(&["GET", "xx"], "$1\r\n1\r\n");
    // A stale replica told not to serve stale data refuses reads too, and EXEC judges what it
    // would run.
    admin.assert(
        &["CONFIG", "SET", "replica-serve-stale-data", "no"],
        "+OK\r\n",
    );
    let masterdown =
        "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
    c.assert(&["GET", "xx"], &format!("-{masterdown}\r\n"));
    admin.assert(&["REPLICAOF", "NO", "ONE"], "+OK\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["GET", "xx"], "+QUEUED\r\n");
    admin.assert(&["REPLICAOF", "localhost", "0"], "+OK\r\n");
    c.assert(
        &["EXEC"],
        &format!("-EXECABORT Transaction discarded because of: {masterdown}\r\n"),
    );
    c.assert(&["EXEC"], "-ERR EXEC without MULTI\r\n");
    admin.assert(&["REPLICAOF", "NO", "ONE"], "+OK\r\n");
    admin.assert(
        &["REPLICAOF", "localhost", "x"],
        "-ERR Invalid master port\r\n",
    );
    // Writes wait for replicas that cannot connect yet.
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["INCR", "xx"], "+QUEUED\r\n");
    admin.assert(&["CONFIG", "SET", "min-replicas-to-write", "2"], "+OK\r\n");
    c.assert(
        &["EXEC"],
        "-EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas to write.\r\n",
    );
    admin.assert(&["CONFIG", "SET", "min-replicas-to-write", "0"], "+OK\r\n");
    c.assert(&["GET", "xx"], "$1\r\n1\r\n");
}
