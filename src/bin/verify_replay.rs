//! `verify_replay FILE`: replays an AOF into a fresh, private store and prints what it found:
//! how many keys and commands, each command's count, and the first bad offset if any. The file
//! is only read, never changed, and no server is started.
//!
//! Go original: `cmd/verify_replay/main.go`. Explained in: book chapter 6.

use std::path::Path;

use anyhow::Context as _;
use rust_redis::commands::{Registry, Shared, handlers, load};
use rust_redis::persistence::check;

fn main() -> anyhow::Result<()> {
    let Some(file) = std::env::args().nth(1) else {
        anyhow::bail!("usage: verify_replay FILE");
    };
    let path = Path::new(&file);
    // The structural check first: it names the first bad offset even where replay would stop.
    let report = check::check(path)?;
    println!(
        "file:           {} ({} bytes, {} records)",
        path.display(),
        report.size,
        report.records
    );
    match &report.problem {
        None => println!("structure:      valid"),
        Some(p) => println!(
            "structure:      NOT valid from offset {}: {p}",
            report.ok_up_to
        ),
    }
    // Replayed through the real handlers into a private store; no server, no socket.
    let mut registry = Registry::new();
    handlers::register_all(&mut registry);
    let shared = Shared::offline(registry);
    let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    match load::verify_aof(&shared, f, path) {
        Ok((loaded, keys)) => {
            if let Some(keys) = loaded.preamble_keys {
                println!("rdb preamble:   {keys} keys");
            }
            println!("commands:       {}", loaded.commands);
            println!("keys:           {keys}");
            if let Some((at, len)) = loaded.torn {
                println!(
                    "torn tail:      {len} bytes at offset {at} (the server cuts them off on start)"
                );
            }
            if let Some((at, e)) = &loaded.first_error {
                println!(
                    "errors:         {} (first at offset {at}: {e})",
                    loaded.errors
                );
            }
            for (name, n) in &loaded.by_command {
                println!("  {name:<14}{n}");
            }
            Ok(())
        }
        Err(e) => {
            println!("replay stopped: {e:#}");
            std::process::exit(1);
        }
    }
}
