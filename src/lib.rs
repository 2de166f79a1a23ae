//! rust-redis: a Redis server written from scratch, to learn how an in-memory data store works.
//!
//! # Layout
//! | module | layer | Go package (go-redis) | book chapter |
//! |---|---|---|---|
//! | [`server`] | 6 wiring | `internal/server` | Architecture |
//! | [`netlayer`] | 5 network | `internal/netlayer` | 1 Network layer |
//! | [`commands`] | 4 commands | `internal/commands` | 3 Command dispatch, 7 Transactions, Scripts, Pub/Sub |
//! | [`persistence`] | 3 persistence | `internal/persistence` | 6 AOF persistence, RDB snapshots |
//! | [`engine::store`] | 2 store | `internal/engine/store` | 4 In-memory store, 5 Expiration |
//! | [`protocol::resp`] | 1 protocol | `internal/protocol/resp` | 2 RESP |
//! | [`config`], [`log`], [`sys`] | leaves | flags of `cmd/server` | Talking to real clients |
//!
//! A module uses its own layer and the ones below it, never one above (`tests/layers.rs`
//! checks). The book's "Architecture" page draws the map and says why each type lives where.
//!
//! Start with `walkthrough.md`: it follows `SET foo bar` from the socket to `+OK`.
//!
//! "Design invariant N" in comments refers to the book page *The invariants*
//! (`book/src/invariants.md`): the numbered promises the whole server keeps, each with its tests.

// `deny` rather than `forbid`: the one C shim (`sys`: signals, keepalive, listen backlog, scheduling, the counting allocator) opts back in with a
// local `allow` and a SAFETY comment; every other module stays free of `unsafe`.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod commands;
pub mod config;
pub mod engine;
pub mod log;
pub mod netlayer;
pub mod persistence;
pub mod protocol;
pub mod server;
pub mod sys;

/// Every chapter of the book, compiled as documentation so that `cargo test` runs its standalone
/// Rust snippets (fences tagged plain `rust`) as doctests. Listings quoted from `src/` are
/// `rust,ignore`: they are the real code, already compiled as such.
#[cfg(doctest)]
mod book_snippets {
    macro_rules! chapters {
        ($($name:ident = $file:literal),* $(,)?) => {
            $(
                #[doc = include_str!(concat!("../book/src/", $file))]
                struct $name;
            )*
        };
    }
    chapters! {
        Introduction = "introduction.md",
        Architecture = "architecture.md",
        Invariants = "invariants.md",
        Network = "ch01-network.md",
        Resp = "ch02-resp.md",
        Dispatch = "ch03-dispatch.md",
        Store = "ch04-store.md",
        Expiration = "ch05-expiration.md",
        Aof = "ch06-aof.md",
        Transactions = "ch07-transactions.md",
        PubSub = "pubsub.md",
        Clients = "clients.md",
        Misbehave = "misbehave.md",
        Benchmarks = "benchmarks.md",
        Exercises = "exercises.md",
        GoDifferences = "appendix-a-go-differences.md",
        Errors = "appendix-b-errors.md",
        Testing = "appendix-c-testing.md",
    }
}
