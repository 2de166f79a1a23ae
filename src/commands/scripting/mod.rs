//! Scripting: `EVAL`, `EVALSHA`, `SCRIPT`, `FUNCTION`, `FCALL`, and the Lua they run.
//!
//! Go original: none (go-redis had no scripting). Explained in: book chapter "Scripts".
//!
//! A script runs as a transaction whose commands are chosen while it runs: under one write
//! guard, its commands' effects logged as one `MULTI` … `EXEC` block, as Redis 7 replicates
//! scripts by their effects.

pub mod lua;
