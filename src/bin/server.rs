//! The server binary: `cargo run --release -- [config-file] [--port 6379] [--name value ...]`.
//!
//! Go original: `cmd/server/main.go`.

use rust_redis::server::{self, Config};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = Config::from_args(&args)?;
    server::run(config)
}
