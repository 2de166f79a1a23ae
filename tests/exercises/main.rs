//! The classroom exercises: each module is the specification of one feature this server does
//! not have yet, written as black-box tests over a real socket.
//!
//! Explained in: book chapter "Exercises". Every test is `#[ignore]`d, so a plain `cargo test`
//! skips them; run one exercise with
//!
//! ```text
//! cargo test --test exercises -- --ignored ex01
//! ```
//!
//! The tests speak RESP only (never a function the solution adds), so they compile before the
//! feature exists and fail until it works. `tests/check_exercises.sh` proves both halves: every
//! exercise fails on the plain tree and passes once its reference solution
//! (`book/solutions/exNN-*.patch`) is applied.

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

use common::{Client, TempDir, TestServer, start_in};

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
