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
