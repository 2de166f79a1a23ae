//! `CLIENT PAUSE` and `CLIENT UNPAUSE`: paused commands wait rather than fail, `WRITE` holds back
//! only what may write, and nothing expires while a pause lasts.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// A field of `INFO`, as text.
fn info_field(c: &mut Client, section: &str, field: &str) -> String {
    let reply = String::from_utf8(c.cmd(&["INFO", section])).unwrap();
    let prefix = format!("{field}:");
    reply
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {field} in {reply}"))
        .to_string()
}

fn blocked_clients(c: &mut Client) -> String {
    info_field(c, "clients", "blocked_clients")
}

fn client_id(c: &mut Client) -> String {
    let reply = String::from_utf8(c.cmd(&["CLIENT", "ID"])).unwrap();
    reply.trim_start_matches(':').trim_end().to_string()
}

#[test]
fn a_write_pause_lets_reads_through_and_holds_writes_until_unpause() {
    let s = start();
    let mut admin = s.client();
    admin.assert(&["SET", "k", "before"], OK);
    admin.assert(&["CLIENT", "PAUSE", "100000", "WRITE"], OK);
    let mut reader = s.client();
    reader.assert(&["GET", "k"], &bulk("before"));
    reader.assert(&["PING"], "+PONG\r\n");
    assert_eq!(blocked_clients(&mut admin), "0");

    let mut writer = s.client();
    let writer_id = client_id(&mut writer);
    writer.send(&["SET", "k", "after"]);
    assert!(wait_until(Duration::from_secs(5), || blocked_clients(
        &mut admin
    ) == "1"));
    // Waiting, not refused: nothing has run, and the reply is still to come.
    admin.assert(&["GET", "k"], &bulk("before"));
    let list = String::from_utf8(admin.cmd(&["CLIENT", "LIST", "ID", &writer_id])).unwrap();
    assert!(list.contains("flags=b"), "{list}");
    // Only the pause's end lets it go: CLIENT UNBLOCK does not.
    admin.assert(&["CLIENT", "UNBLOCK", &writer_id], &int(0));
    admin.assert(&["CLIENT", "UNPAUSE"], OK);
    assert_eq!(String::from_utf8(writer.read_reply()).unwrap(), OK);
    admin.assert(&["GET", "k"], &bulk("after"));
    assert_eq!(blocked_clients(&mut admin), "0");
}

#[test]
fn a_pause_ends_by_itself_when_its_time_is_up() {
    let s = start();
    let mut admin = s.client();
    let started = Instant::now();
    admin.assert(&["CLIENT", "PAUSE", "300", "WRITE"], OK);
    let mut writer = s.client();
    writer.assert(&["INCR", "n"], &int(1));
    assert!(started.elapsed() >= Duration::from_millis(250));
    // `ALL` holds reads back too.
    let started = Instant::now();
    admin.assert(&["CLIENT", "PAUSE", "300", "ALL"], OK);
    writer.assert(&["GET", "n"], &bulk("1"));
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[test]
fn publish_and_a_writing_exec_wait_a_reading_exec_does_not() {
    let s = start();
    let mut admin = s.client();
    admin.assert(&["SET", "k", "v"], OK);
    let mut tx = s.client();
    tx.assert(&["MULTI"], OK);
    tx.assert(&["SET", "k", "w"], "+QUEUED\r\n");
    admin.assert(&["CLIENT", "PAUSE", "100000", "WRITE"], OK);
    let mut reads = s.client();
    reads.assert(&["MULTI"], OK);
    reads.assert(&["GET", "k"], "+QUEUED\r\n");
    reads.assert(&["EXEC"], &format!("*1\r\n{}", bulk("v")));
    tx.send(&["EXEC"]);
    let mut publisher = s.client();
    publisher.send(&["PUBLISH", "ch", "hi"]);
    assert!(wait_until(Duration::from_secs(5), || blocked_clients(
        &mut admin
    ) == "2"));
    admin.assert(&["CLIENT", "UNPAUSE"], OK);
    assert_eq!(
        String::from_utf8(tx.read_reply()).unwrap(),
        format!("*1\r\n{OK}")
    );
    assert_eq!(String::from_utf8(publisher.read_reply()).unwrap(), int(0));
}

#[test]
fn bad_calls_are_answered_at_once_during_a_pause() {
    let s = start();
    let mut c = s.client();
    c.assert(&["CLIENT", "PAUSE", "100000", "WRITE"], OK);
    c.assert(
        &["SET", "k"],
        &err("ERR wrong number of arguments for 'set' command"),
    );
    c.assert(
        &["CLIENT", "PAUSE", "abc"],
        &err("ERR timeout is not an integer or out of range"),
    );
    c.assert(&["CLIENT", "PAUSE", "-1"], &err("ERR timeout is negative"));
    c.assert(
        &["CLIENT", "PAUSE", "10", "reads"],
        &err("ERR CLIENT PAUSE mode must be WRITE or ALL"),
    );
    c.assert(
        &["CLIENT", "PAUSE", "1", "2", "3"],
        &err("ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."),
    );
    c.assert(
        &["CLIENT", "UNPAUSE", "x"],
        &err("ERR wrong number of arguments for 'client|unpause' command"),
    );
    c.assert(&["CLIENT", "UNPAUSE"], OK);
    c.assert(&["CLIENT", "PAUSE", "0"], OK);
    c.assert(&["SET", "k", "v"], OK);
}

#[test]
fn keys_do_not_expire_while_clients_are_paused() {
    let s = start();
    let mut c = s.client();
    let expired = info_field(&mut c, "stats", "expired_keys");
    c.assert(&["MULTI"], OK);
    c.assert(&["SET", "a", "1", "PX", "10"], "+QUEUED\r\n");
    c.assert(&["SET", "b", "1", "PX", "10"], "+QUEUED\r\n");
    c.assert(&["CLIENT", "PAUSE", "100000", "WRITE"], "+QUEUED\r\n");
    c.assert(&["EXEC"], &format!("*3\r\n{OK}{OK}{OK}"));
    // Gone for readers, but not deleted: neither a read nor the sweeper removes them.
    assert!(wait_until(Duration::from_secs(5), || {
        c.cmd(&["GET", "a"]) == NIL.as_bytes() && c.cmd(&["GET", "b"]) == NIL.as_bytes()
    }));
    std::thread::sleep(Duration::from_millis(250)); // two sweeper periods
    assert_eq!(info_field(&mut c, "stats", "expired_keys"), expired);
    c.assert(&["CLIENT", "UNPAUSE"], OK);
    c.assert(&["GET", "a"], NIL);
    c.assert(&["GET", "b"], NIL);
    let now: u64 = info_field(&mut c, "stats", "expired_keys").parse().unwrap();
    assert_eq!(now, expired.parse::<u64>().unwrap() + 2);
}
