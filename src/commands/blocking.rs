//! Blocking commands (`BLPOP`, `BRPOP`, `BLMOVE`, `BLMPOP`, `BZPOPMIN`, ...): clients that wait
//! for a key without holding the store lock.
//!
//! Go original: none (go-redis had no blocking pops). Explained in: book chapter 4.

use super::{BlockOn, ClientContext, Effect, Shared};
use crate::engine::store::Store;
use crate::protocol::resp::Value;

/// How a blocked client's wait ended.
pub enum Woken {
    /// Another client's write served this one: here is its reply.
    Served(Value),
    /// The timeout passed.
    TimedOut,
    /// Something changed: run the command again.
    Retry,
}

/// A registered waiter (placeholder until the data-types work fills it in).
pub struct Waiter;

/// Every blocked client. (Placeholder: nothing ever blocks yet.)
#[derive(Default)]
pub struct Blocking {}

impl Blocking {
    /// True if any client is blocked: the fast path of every write checks only this.
    pub fn has_waiters(&self) -> bool {
        false
    }

    /// Registers `client_id` as waiting on `block.keys`; called under the write guard.
    pub fn register(&self, _client_id: u64, _block: &BlockOn, _argv: &[Vec<u8>]) -> Waiter {
        Waiter
    }
}

/// Serves blocked clients whose keys now hold data; called under the write guard after a write.
pub fn serve(_shared: &Shared, _store: &mut Store, _now: u64, _effects: &mut Vec<Effect>) {}

/// Waits, with no guard held, until the waiter is served, woken or timed out.
pub fn wait(_shared: &Shared, _client: &mut ClientContext, _waiter: Waiter, _block: &BlockOn) -> Woken {
    Woken::TimedOut
}
