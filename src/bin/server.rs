//! The server binary: `cargo run --release -- [config-file] [--port 6379] [--name value ...]`,
//! or `--check-aof FILE [--fix]` to check (and repair) an AOF like `redis-check-aof`.
//!
//! Go original: `cmd/server/main.go`.

use rust_redis::server::{self, Config};

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
    let config = Config::from_args(&args)?;
    server::run(config)
}
