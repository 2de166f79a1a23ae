//! The commands as the ACL sees them: a number for every command and subcommand, its
//! categories, and which subcommands belong to which container.
//!
//! Go original: none (go-redis had no ACL). Explained in: book chapter "Who may do what".
//!
//! A user's commands are a bit set indexed by these numbers, as Redis keeps them: `+@read`
//! sets the bit of every command in `@read`, `-get` clears one, and the check before a command
//! tests one bit. The table is built once from the registry's original names, so
//! `rename-command` changes nothing here, as in Redis.

use std::collections::HashMap;
use std::ops::Range;

use super::categories::{self, Categories};
use crate::commands::Registry;
use crate::commands::registry::flags;

/// One command or subcommand.
#[derive(Debug)]
pub struct Entry {
    /// Its full name (`get`, `client|list`).
    pub name: &'static str,
    /// Its categories.
    pub categories: Categories,
    /// The numbers of its subcommands: they follow their container's.
    pub subcommands: Range<usize>,
    /// True for a subcommand.
    pub is_subcommand: bool,
    /// True for a command anyone may run, logged in or not (`AUTH`, `HELLO`, `QUIT`).
    pub no_auth: bool,
}

/// Every command and subcommand, numbered: commands in name order, each container followed by
/// its subcommands.
#[derive(Debug, Default)]
pub struct CommandTable {
    entries: Vec<Entry>,
    by_name: HashMap<&'static str, usize>,
}

impl CommandTable {
    /// The table of every command `registry` knows by its original name.
    pub fn new(registry: &Registry) -> Self {
        let mut specs: Vec<_> = registry.iter_internal().collect();
        specs.sort_by_key(|s| s.name);
        let mut table = CommandTable::default();
        for spec in specs {
            let id = table.entries.len();
            let first_sub = id + 1;
            table.push(Entry {
                name: spec.name,
                categories: categories::of_command(spec),
                subcommands: first_sub..first_sub + spec.subcommands.len(),
                is_subcommand: false,
                no_auth: spec.has(flags::NO_AUTH),
            });
            for sub in spec.subcommands {
                table.push(Entry {
                    name: sub.name,
                    categories: categories::of_subcommand(spec, sub),
                    subcommands: 0..0,
                    is_subcommand: true,
                    no_auth: false,
                });
            }
        }
        table
    }

    fn push(&mut self, entry: Entry) {
        self.by_name.insert(entry.name, self.entries.len());
        self.entries.push(entry);
    }

    /// How many commands and subcommands there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The number of the command or subcommand `full_name` (lower case).
    pub fn id(&self, full_name: &str) -> Option<usize> {
        self.by_name.get(full_name).copied()
    }

    /// The number of a name as a user writes it in a rule (`GET`, `Config|Get`).
    pub fn find(&self, name: &[u8]) -> Option<usize> {
        let name = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
        self.id(&name)
    }

    /// The entry numbered `id`.
    pub fn entry(&self, id: usize) -> &Entry {
        &self.entries[id]
    }

    /// Every entry with its number, in order.
    pub fn entries(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries.iter().enumerate()
    }
}
