//! Wire protocols. Only RESP lives here.
//!
//! Go original: `internal/protocol`. Explained in: book chapter 2.

pub mod resp;
