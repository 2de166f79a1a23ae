//! ACL categories: which of Redis's 21 command groups (`@read`, `@string`, `@dangerous`, ...)
//! each command and subcommand belongs to.
//!
//! Go original: none (go-redis had no ACL). Explained in: book chapter "Who may do what".
//!
//! Redis writes the categories into each command's JSON file by hand. Most of them follow from
//! two facts this server already keeps: the command's flags (`write` makes `@write`, `admin`
//! makes `@admin` and `@dangerous`, no `fast` makes `@slow`) and the group the command table
//! puts it in (`== list ==` makes `@list`, `== generic ==` makes `@keyspace`). What does not
//! follow is listed in [`EXCEPTIONS`], and a differential test holds the result to a real
//! `redis-server`'s `COMMAND INFO` and `ACL CAT`.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::commands::registry::{CommandSpec, Subcommand, flags};

/// A set of categories, one bit each, in [`NAMES`] order.
pub type Categories = u32;

/// Every category, in the order Redis lists them (`ACL CAT`) and prints a command's
/// (`COMMAND INFO`): bit `i` of [`Categories`] is `NAMES[i]`.
pub const NAMES: [&str; 21] = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The bit of the category `name` (without its `@`), in any letter case.
pub fn bit(name: &[u8]) -> Option<Categories> {
    NAMES
        .iter()
        .position(|n| n.as_bytes().eq_ignore_ascii_case(name))
        .map(|i| 1 << i)
}

const fn cat(i: usize) -> Categories {
    1 << i
}

const KEYSPACE: Categories = cat(0);
const READ: Categories = cat(1);
const WRITE: Categories = cat(2);
const SET: Categories = cat(3);
const SORTEDSET: Categories = cat(4);
const LIST: Categories = cat(5);
const PUBSUB: Categories = cat(12);
const ADMIN: Categories = cat(13);
const FAST: Categories = cat(14);
const SLOW: Categories = cat(15);
const BLOCKING: Categories = cat(16);
const DANGEROUS: Categories = cat(17);
const CONNECTION: Categories = cat(18);
const SCRIPTING: Categories = cat(20);

/// The category of each group of the command table; `server` gives none.
fn of_group(group: &str) -> Categories {
    let name = match group {
        "generic" => "keyspace",
        "sorted-set" => "sortedset",
        "transactions" => "transaction",
        "server" | "cluster" | "sentinel" => return 0,
        other => other,
    };
    bit(name.as_bytes()).unwrap_or(0)
}

/// The categories Redis derives from a command's flags (its `setImplicitACLCategories`).
fn of_flags(bits: u32) -> Categories {
    let mut c = 0;
    for (flag, category) in [
        (flags::WRITE, WRITE),
        (flags::READONLY, READ),
        (flags::ADMIN, ADMIN | DANGEROUS),
        (flags::PUBSUB, PUBSUB),
        (flags::FAST, FAST),
        (flags::BLOCKING, BLOCKING),
    ] {
        if bits & flag != 0 {
            c |= category;
        }
    }
    c
}

/// What Redis's command files say beyond the flags and the group: (full name, categories
/// added, categories taken away).
pub const EXCEPTIONS: &[(&str, Categories, Categories)] = &[
    ("keys", DANGEROUS, 0),
    ("restore", DANGEROUS, 0),
    ("migrate", DANGEROUS, 0),
    ("info", DANGEROUS, 0),
    ("flushall", DANGEROUS | KEYSPACE, 0),
    ("flushdb", DANGEROUS | KEYSPACE, 0),
    ("swapdb", DANGEROUS | KEYSPACE, 0),
    ("dbsize", KEYSPACE, 0),
    ("lastsave", ADMIN | DANGEROUS, 0),
    ("role", ADMIN | DANGEROUS, 0),
    ("sort", DANGEROUS | LIST | SET | SORTEDSET, KEYSPACE),
    ("sort_ro", DANGEROUS | LIST | SET | SORTEDSET, KEYSPACE),
    ("wait", CONNECTION, KEYSPACE),
    // A container in Redis (`OBJECT ENCODING` ...), and so only `@slow` there.
    ("object", 0, KEYSPACE | READ),
    // Redis flags it `readonly` although it may cache its count in the value.
    ("pfcount", READ, WRITE),
    ("pfselftest", 0, WRITE),
    ("command", CONNECTION, 0),
    ("command|count", CONNECTION, 0),
    ("command|docs", CONNECTION, 0),
    ("command|getkeys", CONNECTION, 0),
    ("command|getkeysandflags", CONNECTION, 0),
    ("command|help", CONNECTION, 0),
    ("command|info", CONNECTION, 0),
    ("command|list", CONNECTION, 0),
    ("pubsub|help", 0, PUBSUB),
    ("function|delete", WRITE, 0),
    ("function|flush", WRITE, 0),
    ("function|load", WRITE, 0),
    ("client|kill", ADMIN | DANGEROUS, 0),
    ("client|list", ADMIN | DANGEROUS, 0),
    ("client|no-evict", ADMIN | DANGEROUS, 0),
    ("client|unblock", ADMIN | DANGEROUS, 0),
    ("client|pause", ADMIN | DANGEROUS, 0),
    ("client|unpause", ADMIN | DANGEROUS, 0),
    ("acl|cat", 0, ADMIN | DANGEROUS),
    ("acl|genpass", 0, ADMIN | DANGEROUS),
    ("acl|whoami", 0, ADMIN | DANGEROUS),
    ("memory|doctor", 0, READ),
    ("memory|malloc-stats", 0, READ),
    ("memory|purge", 0, READ),
    ("memory|stats", 0, READ),
];

/// `categories` with the exceptions for `full_name` applied, and `@slow` for whatever is not
/// `@fast` ("in this binary world", as Redis's source puts it).
fn finish(full_name: &str, mut categories: Categories) -> Categories {
    if let Some((_, add, remove)) = EXCEPTIONS.iter().find(|(n, _, _)| *n == full_name) {
        categories = (categories | add) & !remove;
    }
    if categories & FAST == 0 {
        categories |= SLOW;
    }
    categories
}

/// The command table's group of each command, by lower-case name: its `== group ==` lines,
/// read here rather than through `commands::docs`. That module uses the registry, and the ACL
/// is part of the machinery the registry knots with (`tests/layers.rs`), which may use no module
/// that uses it. A subcommand is in its container's group, as the table's own test insists.
fn group_of(full_name: &str) -> Categories {
    static GROUPS: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    let groups = GROUPS.get_or_init(|| {
        let mut group = "generic";
        let mut groups = HashMap::new();
        for line in include_str!("../docs/table.txt").lines() {
            if let Some(name) = line.strip_prefix("== ").and_then(|g| g.strip_suffix(" ==")) {
                group = name;
            } else if line.starts_with(|c: char| c.is_ascii_alphabetic())
                && let Some(command) = line.split_whitespace().next()
            {
                groups.insert(command.to_ascii_lowercase(), group);
            }
        }
        groups
    });
    let command = full_name.split('|').next().unwrap_or(full_name);
    groups.get(command).map_or(0, |group| of_group(group))
}

// ANCHOR: of_command
/// The categories of a command. A container (`CLIENT`, `CONFIG`) is only `@slow`, as in Redis:
/// what its subcommands may do is theirs ([`of_subcommand`]).
pub fn of_command(spec: &CommandSpec) -> Categories {
    if !spec.subcommands.is_empty() {
        return finish(spec.name, 0);
    }
    let group = group_of(spec.name);
    let mut implied = of_flags(spec.flags);
    // As Redis's `setImplicitACLCategories`: a read-only script runner is not `@read`.
    if group & SCRIPTING != 0 {
        implied &= !READ;
    }
    finish(spec.name, implied | group)
}
// ANCHOR_END: of_command

/// The categories of one subcommand of `container`: its group's and its container's flags',
/// never `@fast` or `@blocking`; a `HELP` subcommand only reads a text, so it has no more than
/// its group's.
pub fn of_subcommand(container: &CommandSpec, sub: &Subcommand) -> Categories {
    let mut categories = group_of(sub.name);
    if sub.word() != "help" {
        categories |= of_flags(container.flags) & !(FAST | BLOCKING);
    }
    finish(sub.name, categories)
}

/// `+@name` words for `categories`, as `COMMAND INFO` prints them.
pub fn names(categories: Categories) -> impl Iterator<Item = &'static str> {
    NAMES
        .iter()
        .enumerate()
        .filter(move |(i, _)| categories & (1 << i) != 0)
        .map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_bits_agree() {
        assert_eq!(bit(b"keyspace"), Some(KEYSPACE));
        assert_eq!(bit(b"CONNECTION"), Some(CONNECTION));
        assert_eq!(bit(b"all"), None);
        assert_eq!(names(READ | FAST).collect::<Vec<_>>(), ["read", "fast"]);
    }
}
