//! What `COMMAND DOCS` says about each command, from this project's own command table.
//!
//! Go original: none (go-redis had no `COMMAND`). Explained in: book chapter "Talking to real
//! clients".
//!
//! [`syntax`] reads a command's syntax line into the argument tree `COMMAND DOCS` answers.

pub mod syntax;
