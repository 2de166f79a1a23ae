//! ACL: users, what each may do, and the check before every command.
//!
//! Go original: none (go-redis had one password and no users). Explained in: book chapter
//! "Who may do what".
//!
//! It sits in the commands layer, beside the registry, because every question it answers is
//! about commands: which categories a command is in, which of its arguments are keys and what
//! it does to them, which channels it names. Below the commands layer it would need all of
//! that handed down as tables; here it reads the registry's entries directly, and nothing
//! under `commands` needs to know users exist.

pub mod categories;
