//! The benchmark binary: one load generator to point at this server *and* at real Redis.
//!
//! Go original: `cmd/benchmark/main.go`. Explained in: book chapter "Benchmarks".
//!
//! # What it measures
//! For each test it runs `-n` requests over `-c` connections, each connection on its own OS
//! thread with `-P` requests in flight, and reports:
//! - **throughput**: completed requests divided by the wall-clock time from the moment every
//!   connection is open and starts sending to the moment the last reply arrives;
//! - **latency** of every single request, from the write of its pipeline batch to the moment its
//!   reply is complete, kept in a log-bucket histogram (no sample list) and summarised as avg,
//!   min, p50, p99, p99.9 and max;
//! - **error replies** (`-ERR ...`): counted per test and reported with the first one's text, so a
//!   command the server does not know yet shows up as errors, never as a suspiciously fast run.
//!
//! # How it differs from `redis-benchmark`
//! The tests send the same commands with the same key shapes (`key:__rand_int__`, `mylist`,
//! `myset`, ... and with `-r N` the placeholder becomes a random 12-digit number such as
//! `key:000000000042`), so the figures of both tools describe the same work. The differences:
//! - one OS thread per connection with blocking sockets instead of one event loop: this client
//!   costs more CPU per request, which matters when client and server share two cores (and on a
//!   busy machine a server with a thread per client gets more of the CPU than single-threaded
//!   Redis does: compare within one quiet run, never across machines);
//! - with `-P`, each reply is timed on its own; `redis-benchmark` gives every reply of a batch the
//!   latency of the batch's first reply;
//! - `lrange_100` pre-fills `mylist` with 100 `LPUSH`es; `redis-benchmark` first runs a whole `-n`
//!   `LPUSH` benchmark, which only makes the list longer than the 100 elements `LRANGE 0 99` reads;
//! - `ping` is `PING` sent as a RESP array (`redis-benchmark`'s `PING_MBULK`); no inline `PING`;
//! - no `CONFIG GET` at start-up, so it also runs against servers that do not know `CONFIG`;
//! - values are `-d` bytes of `x`, as in the Go original (`redis-benchmark` uses pseudo-random
//!   printable bytes; the size is what costs, not the content).
//!
//! # Running it against both servers
//! ```sh
//! redis-server --port 7399 --save '' --appendonly no --daemonize yes
//! cargo build --release --bin server --bin benchmark
//! target/release/server --port 7398 --appendonly no &
//! target/release/benchmark -p 7399 -c 50 -n 100000 -t ping,set,get -q    # Redis
//! target/release/benchmark -p 7398 -c 50 -n 100000 -t ping,set,get -q    # this server
//! ```
//! `tests/bench/side-by-side.sh` does exactly that and prints one table. The figures in the book
//! come from `tests/bench/compare.sh`, the project's standard driver of
//! `redis-benchmark` (interleaved rounds, medians, CPU accounting); this tool is for the classroom
//! (one small binary, readable code, the same flags as the Go original) and for latency
//! percentiles.
//!
//! # The files
//! | file | what it holds |
//! |------|---------------|
//! | `main.rs` | `main` and the run: resolve the address, one test after another, the warnings |
//! | `args.rs` | the `--help` text and [`Options`], the flags and their parsing |
//! | `workload.rs` | the tests ([`Test`]): their commands, and the RESP [`Template`] each request is cut from |
//! | `connection.rs` | one connection: connecting, reading replies, skipping them without decoding |
//! | `histogram.rs` | the latency [`Histogram`] and its percentiles |
//! | `runner.rs` | one test's run: the client threads, the shared request count, the merge |
//! | `report.rs` | one test's [`Report`] and its three printed shapes (full, `-q`, `--csv`) |
//!
//! [`Options`]: args::Options
//! [`Test`]: workload::Test
//! [`Template`]: workload::Template
//! [`Histogram`]: histogram::Histogram
//! [`Report`]: report::Report

mod args;
mod connection;
mod histogram;
mod report;
mod runner;
mod workload;

use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

use anyhow::Context as _;

use crate::args::{Options, USAGE};
use crate::report::print_report;
use crate::runner::run_test;

fn main() -> ExitCode {
    // A clean one-paragraph message at this edge: anyhow's `Debug` form (what returning the
    // error from `main` prints) adds a backtrace whenever RUST_BACKTRACE is set.
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("benchmark: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The whole run, from the command line to the last report.
fn run(args: Vec<String>) -> anyhow::Result<()> {
    let Some(opts) = Options::parse(&args)? else {
        print!("{USAGE}");
        return Ok(());
    };
    let addrs: Vec<SocketAddr> = (opts.host.as_str(), opts.port)
        .to_socket_addrs()
        .with_context(|| format!("resolving {}", opts.host))?
        .collect();
    if opts.csv {
        println!(
            "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p99_latency_ms\",\
             \"p999_latency_ms\",\"max_latency_ms\",\"errors\""
        );
    }
    let mut with_errors = Vec::new();
    for &test in &opts.tests {
        let report = run_test(&addrs, &opts, test)?;
        print_report(&report, &opts);
        if report.errors.count > 0 {
            with_errors.push(report);
        }
    }
    // Error replies are part of the figures above, but a fast run of errors is not a fast server:
    // say so on stderr whatever the output format.
    for r in &with_errors {
        eprintln!(
            "warning: {}: {} of {} replies were errors (first: {})",
            r.test.title(),
            r.errors.count,
            r.completed,
            r.errors.first.as_deref().unwrap_or("")
        );
    }
    Ok(())
}
