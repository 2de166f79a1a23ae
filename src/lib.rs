//! rust-redis: a Redis server written from scratch, to learn how an in-memory data store works.
//!
//! # Layout
//! | module | Go package (go-redis) | book chapter |
//! |---|---|---|
//! | [`netlayer`] | `internal/netlayer` | 1 Network layer |
//! | [`protocol::resp`] | `internal/protocol/resp` | 2 RESP |
//! | [`commands`] | `internal/commands` | 3 Command dispatch |
//! | [`engine::store`] | `internal/engine/store` | 4 In-memory store, 5 Expiration |
//! | [`persistence`] | `internal/persistence` | 6 AOF persistence |
//! | [`commands::dispatcher`] (`MULTI`/`EXEC`) | `internal/commands` | 7 Transactions |
//! | [`server`] | `internal/server` | Architecture, Talking to real clients |
//!
//! Start with `walkthrough.md`: it follows `SET foo bar` from the socket to `+OK`.

// `deny` rather than `forbid`: the one C shim (`server::sys`: signals, keepalive, listen backlog) opts back in with a
// local `allow` and a SAFETY comment; every other module stays free of `unsafe`.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod commands;
pub mod engine;
pub mod netlayer;
pub mod persistence;
pub mod protocol;
pub mod server;
