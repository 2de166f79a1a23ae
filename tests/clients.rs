//! Real clients' connect sequences, replayed as the exact bytes each library or tool sends,
//! and the connection commands they rely on: `HELLO`, `AUTH`, `CLIENT`, `RESET`.

mod common;

use std::io::Write;
use std::time::Duration;

use common::*;
use rand::Rng;

/// `HELLO`'s map in RESP3 for this server and connection id.
fn hello3(id: i64) -> String {
    format!(
        "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.0.0\r\n$5\r\nproto\r\n:3\r\n\
         $2\r\nid\r\n:{id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n\
         $7\r\nmodules\r\n*0\r\n"
    )
}

/// The same map flattened into a RESP2 array.
fn hello2(id: i64) -> String {
    hello3(id)
        .replacen("%7", "*14", 1)
        .replace(":3\r\n$2", ":2\r\n$2")
}

/// The id of a fresh connection, asked with `CLIENT ID`.
fn client_id(c: &mut Client) -> i64 {
    let reply = String::from_utf8(c.cmd(&["CLIENT", "ID"])).unwrap();
    reply.trim_start_matches(':').trim_end().parse().unwrap()
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn redis_py_8_opens_with_hello_3() {
    let s = start();
    let mut c = s.client();
    c.send_raw(b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n");
    let hello = text(c.read_reply());
    let id = client_id(&mut c);
    assert_eq!(hello, hello3(id));
    // From here every reply is RESP3: a missing name is `_`, a map is `%`.
    c.assert(&["CLIENT", "GETNAME"], "_\r\n");
    c.assert(
        &["CONFIG", "GET", "maxclients"],
        "%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n",
    );
    c.send_raw(b"*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$8\r\nLIB-NAME\r\n$8\r\nredis-py\r\n");
    assert_eq!(text(c.read_reply()), "+OK\r\n");
    c.send_raw(b"*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$7\r\nLIB-VER\r\n$5\r\n8.0.0\r\n");
    assert_eq!(text(c.read_reply()), "+OK\r\n");
    // CLIENT INFO is verbatim text in RESP3.
    let info = text(c.cmd(&["CLIENT", "INFO"]));
    assert!(info.starts_with('='), "{info}");
    assert!(info.contains("txt:id="), "{info}");
    // Redis 7.0's line ends at `resp=`: the library's name and version are stored, not shown.
    assert!(info.ends_with(" resp=3\n\r\n"), "{info}");
}

#[test]
fn redis_py_5_sends_two_client_setinfo() {
    let s = start();
    let mut c = s.client();
    c.send_raw(b"*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$8\r\nLIB-NAME\r\n$8\r\nredis-py\r\n");
    assert_eq!(text(c.read_reply()), "+OK\r\n");
    c.send_raw(b"*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$7\r\nLIB-VER\r\n$5\r\n5.0.1\r\n");
    assert_eq!(text(c.read_reply()), "+OK\r\n");
    let list = text(c.cmd(&["CLIENT", "LIST"]));
    assert!(list.contains(" resp=2\n"), "{list}");
}

#[test]
fn go_redis_v9_sends_hello_then_pipelines_setinfo() {
    let s = start();
    let mut c = s.client();
    c.send_raw(b"*2\r\n$5\r\nhello\r\n$1\r\n3\r\n");
    let hello = text(c.read_reply());
    assert!(hello.starts_with("%7\r\n$6\r\nserver\r\n"), "{hello}");
    // Both SETINFOs in one write; the replies come back in order.
    c.send_raw(
        b"*4\r\n$6\r\nclient\r\n$7\r\nsetinfo\r\n$8\r\nLIB-NAME\r\n$19\r\ngo-redis(,go1.22.5)\r\n\
          *4\r\n$6\r\nclient\r\n$7\r\nsetinfo\r\n$7\r\nLIB-VER\r\n$5\r\n9.7.0\r\n",
    );
    assert_eq!(text(c.read_reply()), "+OK\r\n");
    assert_eq!(text(c.read_reply()), "+OK\r\n");
    let info = text(c.cmd(&["CLIENT", "INFO"]));
    assert!(
        info.ends_with(" cmd=client|info user=default redir=-1 resp=3\n\r\n"),
        "{info}"
    );
}

#[test]
fn redis_rs_sends_its_setup_in_one_write() {
    let s = start();
    let mut c = s.client();
    c.send_raw(
        b"*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$8\r\nLIB-NAME\r\n$8\r\nredis-rs\r\n\
          *4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$7\r\nLIB-VER\r\n$6\r\n0.27.5\r\n",
    );
    assert_eq!(text(c.read_reply()), "+OK\r\n");
    assert_eq!(text(c.read_reply()), "+OK\r\n");
}

#[test]
fn ioredis_ready_check_reads_info() {
    let s = start();
    let mut c = s.client();
    c.send_raw(b"*1\r\n$4\r\ninfo\r\n");
    let info = text(c.read_reply());
    assert!(info.starts_with('$'), "{info}");
    // ioredis waits while `loading` is not 0 and reads `redis_version`.
    assert!(info.contains("\r\nloading:0\r\n"), "{info}");
    assert!(
        info.contains("# Server\r\nredis_version:7.0.0\r\n"),
        "{info}"
    );
}

#[test]
fn interactive_redis_cli_asks_for_command_docs() {
    let s = start();
    let mut c = s.client();
    c.send_raw(b"*2\r\n$7\r\nCOMMAND\r\n$4\r\nDOCS\r\n");
    let docs = text(c.read_reply());
    // A map of every command to its docs, flattened for RESP2.
    let count: usize = text(c.cmd(&["COMMAND", "COUNT"]))
        .trim_start_matches(':')
        .trim_end()
        .parse()
        .unwrap();
    assert!(docs.starts_with(&format!("*{}\r\n", count * 2)), "{docs}");
    // redis-cli builds its hint for `LPUSH ` from these arguments: `key element [element ...]`.
    // From `arguments` on, the bytes are Redis 7.0.15's.
    let summary = rust_redis::commands::docs::table()
        .get("lpush")
        .unwrap()
        .summary;
    let lpush = format!(
        "$5\r\nlpush\r\n*8\r\n$7\r\nsummary\r\n{}$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$4\r\nlist\r\n\
         $9\r\narguments\r\n*2\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\n\
         key_spec_index\r\n:0\r\n*6\r\n$4\r\nname\r\n$7\r\nelement\r\n$4\r\ntype\r\n$6\r\nstring\r\n\
         $5\r\nflags\r\n*1\r\n+multiple\r\n",
        bulk(summary)
    );
    assert!(docs.contains(&lpush), "{docs}");
    c.assert(&["COMMAND", "DOCS", "lpush"], &format!("*2\r\n{lpush}"));
}

#[test]
fn redis_cli_pipe_ends_with_a_random_echo() {
    let s = start();
    let mut c = s.client();
    let mut magic = [0u8; 20];
    rand::rng().fill(&mut magic);
    let mut bytes = Vec::new();
    for i in 0..100 {
        bytes.extend_from_slice(&encode(&[b"SET", format!("k{i}").as_bytes(), b"v"]));
    }
    // redis-cli appends "\r\n" (an empty inline line) and then the ECHO of 20 random bytes.
    bytes.extend_from_slice(b"\r\n*2\r\n$4\r\nECHO\r\n$20\r\n");
    bytes.extend_from_slice(&magic);
    bytes.extend_from_slice(b"\r\n");
    c.stream.write_all(&bytes).unwrap();
    for _ in 0..100 {
        assert_eq!(text(c.read_reply()), "+OK\r\n");
    }
    let mut expected = b"$20\r\n".to_vec();
    expected.extend_from_slice(&magic);
    expected.extend_from_slice(b"\r\n");
    assert_eq!(c.read_reply(), expected);
}

#[test]
fn redis_benchmark_reads_config_then_pings_inline() {
    let s = start();
    let mut c = s.client();
    c.send_raw(
        b"*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$10\r\nappendonly\r\n",
    );
    assert_eq!(text(c.read_reply()), "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
    assert_eq!(
        text(c.read_reply()),
        "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"
    );
    c.send_raw(b"PING\r\nPING\r\n");
    assert_eq!(text(c.read_reply()), "+PONG\r\n");
    assert_eq!(text(c.read_reply()), "+PONG\r\n");
}

#[test]
fn hello_switches_protocols_and_checks_its_arguments() {
    let s = start();
    let mut c = s.client();
    c.assert(&["HELLO", "4"], "-NOPROTO unsupported protocol version\r\n");
    c.assert(&["HELLO", "1"], "-NOPROTO unsupported protocol version\r\n");
    c.assert(
        &["HELLO", "x"],
        "-ERR Protocol version is not an integer or out of range\r\n",
    );
    c.assert(
        &["HELLO", "3", "auth", "u"],
        "-ERR Syntax error in HELLO option 'auth'\r\n",
    );
    c.assert(
        &["HELLO", "3", "foo"],
        "-ERR Syntax error in HELLO option 'foo'\r\n",
    );
    c.assert(
        &["HELLO", "3", "SETNAME", "a b"],
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
    );
    c.assert(
        &["HELLO", "3", "AUTH", "bob", "x"],
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n",
    );
    // Failed HELLOs changed nothing: still RESP2.
    c.assert(&["CLIENT", "GETNAME"], "$-1\r\n");
    let id = client_id(&mut c);
    // With no password, the default user takes any password, as in Redis.
    let reply = text(c.cmd(&[
        "HELLO", "2", "AUTH", "default", "anything", "SETNAME", "app",
    ]));
    assert_eq!(reply, hello2(id));
    c.assert(&["CLIENT", "GETNAME"], &bulk("app"));
    // HELLO with no version reports the current protocol.
    assert_eq!(text(c.cmd(&["HELLO"])), hello2(id));
    assert_eq!(text(c.cmd(&["HELLO", "3"])), hello3(id));
    assert_eq!(text(c.cmd(&["HELLO"])), hello3(id));
    c.assert(&["GET", "missing"], "_\r\n");
    assert_eq!(text(c.cmd(&["HELLO", "2"])), hello2(id));
    c.assert(&["GET", "missing"], "$-1\r\n");
}

#[test]
fn auth_without_a_password_configured() {
    let s = start();
    let mut c = s.client();
    c.assert(
        &["AUTH", "x"],
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure \
         your configuration is correct?\r\n",
    );
    c.assert(&["AUTH", "default", "x"], "+OK\r\n");
    c.assert(
        &["AUTH", "bob", "x"],
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n",
    );
    c.assert(&["AUTH", "a", "b", "c"], "-ERR syntax error\r\n");
}

#[test]
fn requirepass_gates_every_command_until_auth() {
    let s = start_with(|c| c.requirepass = Some(b"s3cret".to_vec()));
    let mut c = s.client();
    c.assert(&["PING"], "-NOAUTH Authentication required.\r\n");
    c.assert(&["GET", "k"], "-NOAUTH Authentication required.\r\n");
    c.assert(
        &["HELLO", "3"],
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> \
         AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol \
         version at the same time\r\n",
    );
    c.assert(
        &["AUTH", "wrong"],
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n",
    );
    c.assert(
        &["AUTH", "s3cret", "x"],
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n",
    );
    c.assert(&["PING"], "-NOAUTH Authentication required.\r\n");
    c.assert(&["AUTH", "s3cret"], "+OK\r\n");
    c.assert(&["PING"], "+PONG\r\n");

    // HELLO ... AUTH authenticates and switches protocol in one step (redis-py 8, go-redis v9).
    let mut d = s.client();
    let reply = text(d.cmd(&[
        "HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "worker",
    ]));
    assert!(reply.starts_with("%7\r\n"), "{reply}");
    d.assert(&["CLIENT", "GETNAME"], &bulk("worker"));
    // RESET forgets the authentication: the password is needed again.
    d.assert(&["RESET"], "+RESET\r\n");
    d.assert(&["PING"], "-NOAUTH Authentication required.\r\n");
    d.assert(&["QUIT"], "+OK\r\n");
    assert!(d.is_closed());
}

#[test]
fn reset_returns_the_connection_to_its_first_state() {
    let s = start();
    let mut c = s.client();
    c.cmd(&["HELLO", "3"]);
    c.assert(&["CLIENT", "SETNAME", "x"], "+OK\r\n");
    c.assert(&["WATCH", "k"], "+OK\r\n");
    c.assert(&["MULTI"], "+OK\r\n");
    c.assert(&["SET", "k", "v"], "+QUEUED\r\n");
    // RESET is never queued.
    c.assert(&["RESET"], "+RESET\r\n");
    c.assert(&["EXEC"], "-ERR EXEC without MULTI\r\n");
    c.assert(&["GET", "k"], "$-1\r\n"); // RESP2 again, and the SET never ran
    c.assert(&["CLIENT", "GETNAME"], "$-1\r\n");
}

#[test]
fn client_subcommands_answer_like_redis() {
    let s = start();
    let mut c = s.client();
    let id = client_id(&mut c);
    assert!(id > 0);
    c.assert(&["CLIENT", "GETNAME"], "$-1\r\n");
    c.assert(
        &["CLIENT", "SETNAME", "a b"],
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
    );
    c.assert(&["CLIENT", "SETNAME", "conn-1"], "+OK\r\n");
    c.assert(&["CLIENT", "GETNAME"], &bulk("conn-1"));
    c.assert(&["CLIENT", "SETNAME", ""], "+OK\r\n");
    c.assert(&["CLIENT", "GETNAME"], "$-1\r\n");
    c.assert(
        &["CLIENT", "SETNAME"],
        "-ERR wrong number of arguments for 'client|setname' command\r\n",
    );
    c.assert(
        &["CLIENT", "foo"],
        "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n",
    );
    c.assert(
        &["CLIENT", "SETINFO", "lib-foo", "x"],
        "-ERR Unrecognized option 'lib-foo'\r\n",
    );
    c.assert(
        &["CLIENT", "SETINFO", "lib-name", "a b"],
        "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n",
    );
    c.assert(&["CLIENT", "NO-EVICT", "on"], "+OK\r\n");
    c.assert(&["CLIENT", "NO-TOUCH", "off"], "+OK\r\n");
    c.assert(&["CLIENT", "NO-EVICT", "maybe"], "-ERR syntax error\r\n");
    c.assert(
        &["CLIENT", "LIST", "TYPE", "foo"],
        "-ERR Unknown client type 'foo'\r\n",
    );
    c.assert(&["CLIENT", "LIST", "ID", "x"], "-ERR Invalid client ID\r\n");
    c.assert(
        &["CLIENT", "KILL", "ID", "abc"],
        "-ERR client-id should be greater than 0\r\n",
    );
    c.assert(
        &["CLIENT", "KILL", "ID", "1", "SKIPME", "maybe"],
        "-ERR syntax error\r\n",
    );
    c.assert(&["CLIENT", "KILL", "1.2.3.4:5"], "-ERR No such client\r\n");
    c.assert(&["CLIENT", "KILL", "ID", "999999"], ":0\r\n");
    let help = text(c.cmd(&["CLIENT", "HELP"]));
    assert!(
        help.starts_with('*') && help.contains("+SETNAME <name>\r\n"),
        "{help}"
    );
}

#[test]
fn client_list_shows_every_client_in_redis_format() {
    let s = start();
    let mut a = s.client();
    let mut b = s.client();
    b.assert(&["CLIENT", "SETNAME", "bee"], "+OK\r\n");
    b.assert(&["GET", "x"], "$-1\r\n");
    let a_id = client_id(&mut a);
    let list = text(a.cmd(&["CLIENT", "LIST"]));
    let body = list.split_once("\r\n").unwrap().1;
    let lines: Vec<&str> = body.trim_end_matches("\r\n").lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    let mine = lines
        .iter()
        .find(|l| l.starts_with(&format!("id={a_id} ")))
        .unwrap();
    let fields: Vec<&str> = mine
        .split(' ')
        .map(|f| f.split('=').next().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "id",
            "addr",
            "laddr",
            "fd",
            "name",
            "age",
            "idle",
            "flags",
            "db",
            "sub",
            "psub",
            "ssub",
            "multi",
            "qbuf",
            "qbuf-free",
            "argv-mem",
            "multi-mem",
            "rbs",
            "rbp",
            "obl",
            "oll",
            "omem",
            "tot-mem",
            "events",
            "cmd",
            "user",
            "redir",
            "resp"
        ]
    );
    assert!(
        mine.contains(&format!("addr={} ", a.stream.local_addr().unwrap())),
        "{mine}"
    );
    assert!(mine.contains(&format!("laddr={} ", s.addr())), "{mine}");
    assert!(mine.contains(" flags=N db=0 "), "{mine}");
    assert!(mine.contains(" cmd=client|list user=default "), "{mine}");
    let theirs = lines
        .iter()
        .find(|l| !l.starts_with(&format!("id={a_id} ")))
        .unwrap();
    assert!(theirs.contains(" name=bee "), "{theirs}");
    assert!(theirs.contains(" cmd=get "), "{theirs}");
    // Filters.
    let only = text(a.cmd(&["CLIENT", "LIST", "ID", &a_id.to_string()]));
    assert_eq!(only.matches("id=").count(), 1, "{only}");
    let normal = text(a.cmd(&["CLIENT", "LIST", "TYPE", "normal"]));
    assert_eq!(normal.matches("laddr=").count(), 2, "{normal}");
    a.assert(&["CLIENT", "LIST", "TYPE", "master"], "$0\r\n\r\n");
    // A client inside MULTI shows flag x.
    b.assert(&["MULTI"], "+OK\r\n");
    b.assert(&["CLIENT", "LIST", "ID", "1"], "+QUEUED\r\n");
    let list = text(a.cmd(&["CLIENT", "LIST"]));
    assert!(list.contains(" flags=x "), "{list}");
}

#[test]
fn client_kill_closes_the_right_connection() {
    let s = start();
    let mut killer = s.client();
    let mut victim = s.client();
    let mut other = s.client();
    let victim_id = client_id(&mut victim);
    other.assert(&["PING"], "+PONG\r\n");
    killer.assert(&["CLIENT", "KILL", "ID", &victim_id.to_string()], ":1\r\n");
    assert!(victim.is_closed());
    other.assert(&["PING"], "+PONG\r\n");
    // Old form by address: +OK.
    let addr = other.stream.local_addr().unwrap().to_string();
    killer.assert(&["CLIENT", "KILL", &addr], "+OK\r\n");
    assert!(other.is_closed());
    // SKIPME yes (the default) spares the caller; SKIPME no closes it after the reply.
    let me = killer.stream.local_addr().unwrap().to_string();
    killer.assert(&["CLIENT", "KILL", "ADDR", &me], ":0\r\n");
    killer.assert(&["CLIENT", "KILL", "ADDR", &me, "SKIPME", "no"], ":1\r\n");
    assert!(killer.is_closed());
    let mut c = s.client();
    assert!(wait_until(std::time::Duration::from_secs(5), || {
        text(c.cmd(&["CLIENT", "LIST"])).matches("id=").count() == 1
    }));
}

#[test]
fn client_reply_off_skip_and_on() {
    let s = start();
    let mut c = s.client();
    // OFF: nothing comes back until ON, whose OK does.
    c.send(&["CLIENT", "REPLY", "OFF"]);
    c.send(&["PING", "pong"]);
    c.send(&["PING", "pong2"]);
    c.send(&["CLIENT", "REPLY", "ON"]);
    assert_eq!(c.read_reply(), b"+OK\r\n");
    c.assert(&["PING", "pong3"], "$5\r\npong3\r\n");
    // SKIP: its own reply and the next command's are dropped.
    c.send(&["CLIENT", "REPLY", "SKIP"]);
    c.send(&["PING", "pong"]);
    c.assert(&["PING", "pong2"], "$5\r\npong2\r\n");
    // SKIP then ON: ON answers.
    c.send(&["CLIENT", "REPLY", "SKIP"]);
    c.assert(&["CLIENT", "REPLY", "ON"], "+OK\r\n");
    c.assert(&["CLIENT", "REPLY", "MAYBE"], "-ERR syntax error\r\n");
    // A subscriber still gets its confirmations and messages, in RESP2 too.
    let mut sub2 = s.client();
    sub2.send(&["CLIENT", "REPLY", "OFF"]);
    sub2.send(&["PSUBSCRIBE", "*"]);
    assert_eq!(
        sub2.read_reply(),
        b"*3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:1\r\n"
    );
    drop(sub2);
    // And in RESP3, where they are pushes.
    let mut sub = s.client();
    sub.cmd(&["HELLO", "3"]);
    sub.send(&["CLIENT", "REPLY", "OFF"]);
    sub.send(&["SUBSCRIBE", "ch"]);
    assert_eq!(
        sub.read_reply(),
        b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    );
    c.assert(&["PUBLISH", "ch", "hi"], ":1\r\n");
    assert_eq!(
        sub.read_reply(),
        b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
    );
}

#[test]
fn client_unblock_ends_a_blocking_pop_as_a_timeout_or_an_error() {
    let s = start();
    let mut waiter = s.client();
    let mut c = s.client();
    let id = String::from_utf8(waiter.cmd(&["CLIENT", "ID"])).unwrap();
    let id = id.trim_start_matches(':').trim_end().to_string();
    let blocked = |c: &mut Client| {
        String::from_utf8_lossy(&c.cmd(&["INFO", "clients"])).contains("blocked_clients:1")
    };
    waiter.send(&["BLPOP", "q", "0"]);
    assert!(wait_until(Duration::from_secs(5), || blocked(&mut c)));
    c.assert(&["CLIENT", "UNBLOCK", &id], ":1\r\n");
    assert_eq!(waiter.read_reply(), b"*-1\r\n");
    waiter.send(&["BLPOP", "q", "0"]);
    assert!(wait_until(Duration::from_secs(5), || blocked(&mut c)));
    c.assert(&["CLIENT", "UNBLOCK", &id, "ERROR"], ":1\r\n");
    assert_eq!(
        waiter.read_reply(),
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    c.assert(&["CLIENT", "UNBLOCK", &id], ":0\r\n");
    c.assert(
        &["CLIENT", "UNBLOCK", &id, "FOO"],
        "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n",
    );
    c.assert(
        &["CLIENT", "UNBLOCK", "x"],
        "-ERR value is not an integer or out of range\r\n",
    );
    // The waiter is free again.
    waiter.assert(&["PING"], "+PONG\r\n");
}
