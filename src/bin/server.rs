//! The server binary: `cargo run --release -- [config-file] [--port 6379] [--name value ...]`,
//! or `--check-aof FILE [--fix]` to check (and repair) an AOF like `redis-check-aof`.
//!
//! Go original: `cmd/server/main.go`. Explained in: book chapter "Talking to real clients".

#![forbid(unsafe_code)]

use rust_redis::config::{Config, REDIS_VERSION};
use rust_redis::sys::CountingAlloc;
use rust_redis::{server, sys};

// ANCHOR: global_allocator
/// Every heap byte of the server goes through a counter (see `sys::memory`), so `INFO memory`
/// reports a true `used_memory`. The allocator itself lives in `sys`, the crate's one
/// module that may use `unsafe`.
#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;
// ANCHOR_END: global_allocator

const USAGE: &str = "\
Usage: server [/path/to/redis.conf] [options]
       server -v or --version
       server -h or --help

Options are redis.conf settings spelled as flags, each followed by its value(s):
  --port 6379                  TCP port (0: any free port)
  --bind 127.0.0.1             address to listen on
  --dir .                      directory of the append-only file
  --appendonly yes|no          keep an append-only file (default yes)
  --appendfsync always|everysec|no
  --appendfilename appendonly.aof
  --requirepass <password>     require AUTH
  --maxclients 10000           most clients connected at once
  --timeout 0                  close clients idle this many seconds (0: never)
  --loglevel debug|verbose|notice|warning
  --logfile <path>             log to a file instead of standard error
  --hz 10                      active expiry cycles per second
  --slowlog-log-slower-than 10000   microseconds; -1 turns the slow log off
  --slowlog-max-len 128
  --protected-mode yes|no      refuse other hosts while no password is set
  --client-sched-batch yes|no  run client threads under SCHED_BATCH (default no; not in Redis)
  --rename-command NAME NEW    rename a command (\"\" disables it)
  --save \"\" / --databases 16   accepted for compatibility and ignored

Examples:
       server --port 7777
       server /etc/rust-redis.conf --loglevel verbose
";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--check-aof") {
        let Some(file) = args.get(1) else {
            anyhow::bail!("usage: server --check-aof FILE [--fix]");
        };
        let fix = args.get(2).map(String::as_str) == Some("--fix");
        let code = rust_redis::persistence::check::run(std::path::Path::new(file), fix)?;
        std::process::exit(code);
    }
    match args.first().map(String::as_str) {
        Some("-h" | "--help") => {
            print!("{USAGE}");
            return Ok(());
        }
        Some("-v" | "--version") => {
            println!(
                "rust-redis server v={} (Redis {REDIS_VERSION} compatible) bits={}",
                env!("CARGO_PKG_VERSION"),
                usize::BITS
            );
            return Ok(());
        }
        _ => {}
    }
    let config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            // One clear line naming what was wrong, then a non-zero exit, as redis-server does.
            eprintln!("*** FATAL CONFIG ERROR *** {e:#}");
            std::process::exit(1);
        }
    };
    sys::memory::mark_counting();
    sys::install()?;
    server::run(config)
}
