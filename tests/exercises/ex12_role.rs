//! Exercise 12: `ROLE`.

use std::time::Duration;

use crate::common::*;
use crate::{caught_up, info_field, replica_of};

#[test]
fn ex12_a_master_without_replicas() {
    let s = start();
    let mut c = s.client();
    c.assert(&["ROLE"], "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
    c.assert(
        &["ROLE", "x"],
        "-ERR wrong number of arguments for 'role' command\r\n",
    );
}

#[test]
fn ex12_a_master_lists_its_replicas_with_their_offsets() {
    let master = start();
    let replica = replica_of(&master);
    let mut m = master.client();
    let mut r = replica.client();
    m.assert(&["SET", "k", "v"], "+OK\r\n");
    m.assert(&["WAIT", "1", "10000"], ":1\r\n");
    let offset = caught_up(&mut m, &mut r);
    // The replica's offset is what it last acknowledged: poll until its once-a-second
    // `REPLCONF ACK` (or the answer to WAIT's GETACK) has reached the master.
    let port = replica.addr().port().to_string();
    let expected = format!(
        "*3\r\n$6\r\nmaster\r\n:{offset}\r\n*1\r\n*3\r\n{}{}{}",
        bulk("127.0.0.1"),
        bulk(&port),
        bulk(&offset)
    );
    let mut got = String::new();
    let agreed = wait_until(Duration::from_secs(10), || {
        got = String::from_utf8_lossy(&m.cmd(&["ROLE"])).into_owned();
        got == expected
    });
    assert!(agreed, "ROLE on the master: {got:?}, expected {expected:?}");
}

#[test]
fn ex12_a_replica_names_its_master_and_how_far_it_is() {
    let master = start();
    let replica = replica_of(&master);
    let mut m = master.client();
    let mut r = replica.client();
    m.assert(&["SET", "k", "v"], "+OK\r\n");
    let offset = caught_up(&mut m, &mut r);
    let port = master.addr().port().to_string();
    r.assert(
        &["ROLE"],
        &format!(
            "*5\r\n$5\r\nslave\r\n{}:{port}\r\n$9\r\nconnected\r\n:{offset}\r\n",
            bulk("127.0.0.1")
        ),
    );
}

#[test]
fn ex12_further_a_replica_whose_master_is_not_there() {
    let s = start();
    let mut c = s.client();
    // Nothing listens on port 1: the link keeps trying, and has no offset yet.
    c.assert(&["REPLICAOF", "127.0.0.1", "1"], "+OK\r\n");
    assert_eq!(
        info_field(&mut c, "replication", "master_link_status"),
        "down"
    );
    let reply = String::from_utf8_lossy(&c.cmd(&["ROLE"])).into_owned();
    let trying = ["connect", "connecting"].map(|state| {
        format!(
            "*5\r\n$5\r\nslave\r\n{}:1\r\n{}:-1\r\n",
            bulk("127.0.0.1"),
            bulk(state)
        )
    });
    assert!(trying.contains(&reply), "ROLE: {reply:?}");
}
