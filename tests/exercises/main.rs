//! The classroom exercises: each module is the specification of one feature of this server,
//! written as black-box tests over a real socket, which a student writes again.
//!
//! Explained in: book chapter "Exercises". The server holds every reference solution, so these
//! tests pass in a plain `cargo test`. A student starts an exercise by taking its solution out,
//! which leaves the tree building and that exercise's tests failing until the feature is back:
//!
//! ```text
//! tests/exercises/start.sh ex01               # takes ex01's solution out
//! cargo test --test exercises ex01_           # its specification
//! tests/exercises/start.sh --solution ex01    # puts the reference solution back
//! ```
//!
//! The tests speak RESP only (never a function the solution adds), so they compile whether the
//! feature is there or not. Each reference solution is a patch, `book/solutions/exNN-*.patch`: one
//! file under `src/commands/handlers/` and its two lines in `mod.rs`. `tests/check_exercises.sh`
//! proves both halves for every exercise (the tests pass with the solution, every one of them
//! fails without it) and rebuilds the patches from the tree after a refactor (`--regenerate`).
//! Tests named `exNN_further_*` cover what the reference does beyond the exercise's core.

#[path = "../common/mod.rs"]
mod common;

mod ex01_object_encoding;
mod ex02_setbit_getbit;
mod ex03_bitcount;
mod ex04_bitop;
mod ex05_lcs;
mod ex06_dump_restore;
mod ex07_zrangestore;
mod ex08_zdiff;
mod ex09_sort;
mod ex10_zmpop;
mod ex11_wait;
mod ex12_role;
mod ex13_bitpos;
mod ex14_geodist_geohash;
mod ex15_pfmerge;
mod ex16_xsetid;
mod ex17_auth;
mod ex18_reset;

use std::time::Duration;

use common::{Client, TempDir, TestServer, start, start_in, wait_until};

/// Restarts `server` on its own directory with the AOF on: what the log replays is what the
/// restarted server holds. (`appendfsync always`: the reply of a write means it is on disk.)
pub fn restart_with_aof(server: TestServer) -> (TestServer, Client) {
    let dir: TempDir = server.stop();
    let server = start_in(dir, aof_on);
    let client = server.client();
    (server, client)
}

/// A config tweak: AOF on, fsynced before every reply.
pub fn aof_on(cfg: &mut rust_redis::server::Config) {
    cfg.appendonly = true;
    cfg.appendfsync = rust_redis::config::FsyncPolicy::Always;
}

/// A fresh server made a replica of `master` (with `REPLICAOF`, which is not an exercise),
/// returned once its link to the master is up.
pub fn replica_of(master: &TestServer) -> TestServer {
    let replica = start();
    let mut c = replica.client();
    let port = master.addr().port().to_string();
    c.assert(&["REPLICAOF", "127.0.0.1", &port], "+OK\r\n");
    let up = wait_until(Duration::from_secs(10), || {
        info_field(&mut c, "replication", "master_link_status") == "up"
    });
    assert!(up, "the replica's link to the master did not come up");
    replica
}

/// One field of an `INFO` section, or the empty string when it is missing.
pub fn info_field(c: &mut Client, section: &str, field: &str) -> String {
    // The reply is one bulk string: `$<length>\r\n`, then the text.
    let reply = c.cmd(&["INFO", section]);
    let text = String::from_utf8_lossy(&reply);
    let prefix = format!("{field}:");
    text.lines()
        .skip(1)
        .find_map(|line| line.strip_prefix(&prefix).map(str::to_owned))
        .unwrap_or_default()
}

/// Waits until `replica` has applied everything `master` wrote: the two offsets agree.
pub fn caught_up(master: &mut Client, replica: &mut Client) -> String {
    let mut offset = String::new();
    let agreed = wait_until(Duration::from_secs(10), || {
        offset = info_field(master, "replication", "master_repl_offset");
        info_field(replica, "replication", "slave_repl_offset") == offset
    });
    assert!(
        agreed,
        "the replica did not catch up with the master's offset {offset}"
    );
    offset
}
