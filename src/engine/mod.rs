//! The storage engine: the keyspace and everything that lives in it.
//!
//! Go original: `internal/engine`. Explained in: book chapters 4 and 5.

pub mod hyperloglog;
pub mod sha256;
pub mod store;
