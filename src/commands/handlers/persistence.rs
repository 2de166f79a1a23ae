//! Persistence commands: `BGREWRITEAOF`.
//!
//! Go original: none (go-redis had no rewrite). Explained in: book chapter 6.

use crate::commands::registry::{NO_KEYS, flags::*};
use crate::commands::{ClientContext, Handler, Registry, Shared};
use crate::protocol::resp::Value;

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    r.add(
        "bgrewriteaof",
        Handler::Client(bgrewriteaof),
        1,
        ADMIN | NOSCRIPT,
        NO_KEYS,
    );
}

// ANCHOR: bgrewriteaof
/// `BGREWRITEAOF`: compacts the AOF in the background; the reply comes at once.
pub fn bgrewriteaof(shared: &Shared, _client: &mut ClientContext, _args: &[Vec<u8>]) -> Value {
    match shared.aof.start_rewrite() {
        Ok(()) => Value::simple("Background append only file rewriting started"),
        Err(e) => Value::error_owned(e),
    }
}
// ANCHOR_END: bgrewriteaof
