//! What the server says about itself, byte for byte as Redis 7.0.15 says it: `INFO errorstats`
//! and `INFO commandstats` (refused calls apart from failed ones), `CLIENT LIST`'s fields and
//! flags.
//!
//! Explained in: book chapter "Talking to real clients". The expected texts were read off a real
//! `redis-server` 7.0.15 given the same commands; only the measured microseconds differ.

mod common;

use std::time::Duration;

use common::*;

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The body of a bulk-string reply (`INFO`, `CLIENT LIST`), without its length line.
fn body(reply: Vec<u8>) -> String {
    let reply = text(reply);
    reply
        .split_once("\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// `calls=..,rejected_calls=..,failed_calls=..` of one command in `INFO commandstats`, with the
/// measured time left out; `None` if the command has no line.
fn cmdstat(c: &mut Client, name: &str) -> Option<String> {
    let info = body(c.cmd(&["INFO", "commandstats"]));
    let line = info
        .lines()
        .find_map(|l| l.strip_prefix(&format!("cmdstat_{name}:")))?;
    let fields: Vec<&str> = line.split(',').filter(|f| !f.starts_with("usec")).collect();
    Some(fields.join(","))
}

/// `total_error_replies` from `INFO stats`.
fn total_errors(c: &mut Client) -> u64 {
    let info = body(c.cmd(&["INFO", "stats"]));
    let value = info
        .lines()
        .find_map(|l| l.strip_prefix("total_error_replies:"));
    value.expect("total_error_replies").parse().unwrap()
}

#[test]
fn errorstats_count_each_error_reply_under_its_first_word() {
    let s = start();
    let mut c = s.client();
    c.assert(&["INFO", "errorstats"], "$14\r\n# Errorstats\r\n\r\n");
    c.assert(&["SET", "k", "v"], "+OK\r\n");
    c.assert(
        &["LPUSH", "k", "x"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    c.assert(
        &["GET"],
        "-ERR wrong number of arguments for 'get' command\r\n",
    );
    c.assert(
        &["NOSUCH"],
        "-ERR unknown command 'NOSUCH', with args beginning with: \r\n",
    );
    c.assert(
        &["INFO", "errorstats"],
        "$66\r\n# Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_WRONGTYPE:count=1\r\n\r\n",
    );
    assert_eq!(total_errors(&mut c), 3);
    // Errors inside EXEC count one by one; EXEC's own array is not an error.
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["INCR", "k"], "+QUEUED\r\n");
    c.assert(
        &["EXEC"],
        "*1\r\n-ERR value is not an integer or out of range\r\n",
    );
    assert_eq!(total_errors(&mut c), 4);
    c.assert(&["CONFIG", "RESETSTAT"], "+OK\r\n");
    c.assert(&["INFO", "errorstats"], "$14\r\n# Errorstats\r\n\r\n");
    assert_eq!(total_errors(&mut c), 0);
}

#[test]
fn commandstats_tell_refused_calls_from_failed_ones() {
    let s = start();
    let mut c = s.client();
    c.assert(&["CONFIG", "RESETSTAT"], "+OK\r\n");
    // A wrong arity is refused before the command runs.
    c.assert(
        &["SET", "k"],
        "-ERR wrong number of arguments for 'set' command\r\n",
    );
    assert_eq!(
        cmdstat(&mut c, "set").as_deref(),
        Some("calls=0,rejected_calls=1,failed_calls=0")
    );
    c.assert(&["SET", "k1", "v1"], "+OK\r\n");
    c.assert(&["SET", "k2", "v2"], "+OK\r\n");
    assert_eq!(
        cmdstat(&mut c, "set").as_deref(),
        Some("calls=2,rejected_calls=1,failed_calls=0")
    );
    // AUTH with no password set runs, and fails.
    c.assert(
        &["AUTH", "k"],
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure \
         your configuration is correct?\r\n",
    );
    assert_eq!(
        cmdstat(&mut c, "auth").as_deref(),
        Some("calls=1,rejected_calls=0,failed_calls=1")
    );
    // An unknown command has no line of its own; an unknown subcommand neither.
    c.assert(
        &["CLIENT", "NOSUCH"],
        "-ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.\r\n",
    );
    assert_eq!(cmdstat(&mut c, "client|nosuch"), None);
    // A subcommand's own arity is checked before it runs, and counted under its full name.
    c.assert(
        &["CLIENT", "KILL"],
        "-ERR wrong number of arguments for 'client|kill' command\r\n",
    );
    assert_eq!(
        cmdstat(&mut c, "client|kill").as_deref(),
        Some("calls=0,rejected_calls=1,failed_calls=0")
    );
}

#[test]
fn commandstats_inside_a_transaction_count_each_queued_command() {
    let s = start();
    let mut c = s.client();
    c.assert(&["CONFIG", "RESETSTAT"], "+OK\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["SET", "a", "b"], "+QUEUED\r\n");
    c.assert(&["AUTH", "a"], "+QUEUED\r\n");
    let exec = text(c.cmd(&["EXEC"]));
    assert!(
        exec.starts_with("*2\r\n+OK\r\n-ERR AUTH <password> called"),
        "{exec}"
    );
    assert_eq!(
        cmdstat(&mut c, "set").as_deref(),
        Some("calls=1,rejected_calls=0,failed_calls=0")
    );
    assert_eq!(
        cmdstat(&mut c, "auth").as_deref(),
        Some("calls=1,rejected_calls=0,failed_calls=1")
    );
    assert_eq!(
        cmdstat(&mut c, "exec").as_deref(),
        Some("calls=1,rejected_calls=0,failed_calls=0")
    );
    c.assert(&["EXEC"], "-ERR EXEC without MULTI\r\n");
    assert_eq!(
        cmdstat(&mut c, "exec").as_deref(),
        Some("calls=2,rejected_calls=0,failed_calls=1")
    );
    // A refusal at queue time aborts the transaction: EXEC runs and fails.
    c.assert(&["CONFIG", "RESETSTAT"], "+OK\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(
        &["SET"],
        "-ERR wrong number of arguments for 'set' command\r\n",
    );
    c.assert(
        &["CONFIG", "NOSUCH"],
        "-ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP.\r\n",
    );
    c.assert(
        &["EXEC"],
        "-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    assert_eq!(
        cmdstat(&mut c, "set").as_deref(),
        Some("calls=0,rejected_calls=1,failed_calls=0")
    );
    assert_eq!(
        cmdstat(&mut c, "multi").as_deref(),
        Some("calls=1,rejected_calls=0,failed_calls=0")
    );
    assert_eq!(
        cmdstat(&mut c, "exec").as_deref(),
        Some("calls=1,rejected_calls=0,failed_calls=1")
    );
    c.assert(
        &["INFO", "errorstats"],
        "$66\r\n# Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_EXECABORT:count=1\r\n\r\n",
    );
}

#[test]
fn commandstats_sum_over_clients_gone_and_connected() {
    let s = start();
    let mut c = s.client();
    {
        let mut gone = s.client();
        gone.assert(&["GET", "x"], "$-1\r\n");
        gone.assert(&["GET", "x"], "$-1\r\n");
    }
    c.assert(&["GET", "x"], "$-1\r\n");
    // The departed client's figures are kept once its thread has noticed the close.
    assert!(wait_until(Duration::from_secs(5), || {
        cmdstat(&mut c, "get").as_deref() == Some("calls=3,rejected_calls=0,failed_calls=0")
    }));
    let info = body(c.cmd(&["INFO", "commandstats"]));
    let line = info
        .lines()
        .find(|l| l.starts_with("cmdstat_get:"))
        .unwrap();
    // `usec_per_call` has two decimals, as Redis prints it.
    let per_call = line
        .split(',')
        .find_map(|f| f.strip_prefix("usec_per_call="))
        .unwrap();
    let (_, decimals) = per_call.split_once('.').unwrap();
    assert_eq!(decimals.len(), 2, "{line}");
}

#[test]
fn info_sections_follow_redis_defaults() {
    let s = start();
    let mut c = s.client();
    let headers = |c: &mut Client, args: &[&str]| -> Vec<String> {
        body(c.cmd(args))
            .lines()
            .filter_map(|l| l.strip_prefix("# ").map(str::to_string))
            .collect()
    };
    let default = [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Modules",
        "Errorstats",
        "Cluster",
        "Keyspace",
    ];
    assert_eq!(headers(&mut c, &["INFO"]), default);
    assert_eq!(headers(&mut c, &["INFO", "default"]), default);
    let all = [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Modules",
        "Commandstats",
        "Errorstats",
        "Latencystats",
        "Cluster",
        "Keyspace",
    ];
    assert_eq!(headers(&mut c, &["INFO", "all"]), all);
    assert_eq!(headers(&mut c, &["INFO", "everything"]), all);
    assert_eq!(
        headers(&mut c, &["INFO", "cpu", "COMMANDstats"]),
        ["CPU", "Commandstats"]
    );
    assert_eq!(headers(&mut c, &["INFO", "module_list"]), ["Modules"]);
    assert!(!body(c.cmd(&["INFO"])).contains("rejected_calls"));
    assert!(body(c.cmd(&["INFO", "all"])).contains("cmdstat_info:calls="));
}

#[test]
fn client_list_prints_redis_7_0_fields_and_flags() {
    let s = start();
    let mut me = s.client();
    let mut subscriber = s.client();
    subscriber.assert(
        &["SUBSCRIBE", "ch"],
        "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n",
    );
    let mut queuing = s.client();
    queuing.assert(&["MULTI"], "+OK\r\n");
    let mut monitor = s.client();
    monitor.assert(&["MONITOR"], "+OK\r\n");
    let mut blocked = s.client();
    blocked.send(&["BLPOP", "nothing", "0"]);
    assert!(wait_until(Duration::from_secs(5), || {
        body(me.cmd(&["INFO", "clients"])).contains("\r\nblocked_clients:1\r\n")
    }));
    let list = body(me.cmd(&["CLIENT", "LIST"]));
    let lines: Vec<&str> = list.lines().filter(|l| l.starts_with("id=")).collect();
    assert_eq!(lines.len(), 5, "{list}");
    let flags: Vec<&str> = lines
        .iter()
        .map(|l| l.split(' ').find_map(|f| f.strip_prefix("flags=")).unwrap())
        .collect();
    assert_eq!(flags, ["N", "P", "x", "O", "b"], "{list}");
    let mut fds: Vec<i64> = lines
        .iter()
        .map(|l| {
            l.split(' ')
                .find_map(|f| f.strip_prefix("fd="))
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    fds.dedup();
    assert_eq!(fds.len(), 5, "descriptors are real and distinct: {list}");
    assert!(
        lines[1].contains(" db=0 sub=1 psub=0 ssub=0 multi=-1 "),
        "{list}"
    );
    assert!(
        lines[4].contains(" cmd=blpop user=default redir=-1 resp=2"),
        "{list}"
    );
    assert!(
        lines[0].ends_with(" events=r cmd=client|list user=default redir=-1 resp=2"),
        "{list}"
    );
}
