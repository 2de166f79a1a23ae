//! Which arguments of a command are keys, and whether it reads or writes each: what a key
//! pattern like `%R~cache:*` is checked against.
//!
//! Go original: none (go-redis had no ACL). Explained in: book chapter "Who may do what".
//!
//! The registry's (first, last, step) positions cannot say that `ZUNIONSTORE dst 2 a b` reads
//! `a` and `b` after a count, or that `LMOVE src dst` reads and deletes from `src` but only
//! writes `dst`. Redis 7 describes both in key specifications, which `commands::keyspecs` holds
//! and follows (it answers `COMMAND GETKEYSANDFLAGS` too); [`key_refs`] reads its flags as
//! Redis's ACL does: `access` needs the right to read, `insert`, `update` or `delete` the right
//! to write. A command the table does not know falls back to the registry's positions, read if
//! it only reads and read-write if it writes.

use crate::commands::keyspecs::{self, flag};
use crate::commands::registry::{CommandSpec, flags};

/// What a command does with one key, as a key pattern's `%R` and `%W` ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// It reads the value (Redis's `access` flag).
    pub read: bool,
    /// It inserts, updates or deletes it.
    pub write: bool,
}

impl Access {
    /// Reads the value.
    pub const R: Access = Access {
        read: true,
        write: false,
    };
    /// Writes the value, or deletes it.
    pub const W: Access = Access {
        read: false,
        write: true,
    };
    /// Reads and writes.
    pub const RW: Access = Access {
        read: true,
        write: true,
    };
    /// Neither: only looks at whether it is there.
    pub const NONE: Access = Access {
        read: false,
        write: false,
    };
}

// ANCHOR: key_refs
/// The keys among `argv` (name included) of the command `full_name`, by position, with what
/// the command does to each.
pub fn key_refs(spec: &CommandSpec, full_name: &str, argv: &[Vec<u8>]) -> Vec<(usize, Access)> {
    let args = argv.get(1..).unwrap_or_default();
    // `object|encoding` is in the table as such, whether or not the registry knows `OBJECT` as
    // a container.
    if let Some(name) = keyspecs::resolve(full_name, args) {
        let Ok(keys) = keyspecs::keys_of(name, args) else {
            return Vec::new();
        };
        return keys
            .iter()
            .filter(|k| k.flags & flag::NOT_KEY == 0)
            .map(|k| {
                let access = Access {
                    read: k.flags & flag::ACCESS != 0,
                    write: k.flags & (flag::INSERT | flag::UPDATE | flag::DELETE) != 0,
                };
                (k.pos, access)
            })
            .collect();
    }
    let access = if spec.has(flags::WRITE) {
        Access::RW
    } else {
        Access::R
    };
    positions(spec, argv.len()).map(|i| (i, access)).collect()
}
// ANCHOR_END: key_refs

/// The registry's (first, last, step) positions for `argc` arguments.
fn positions(spec: &CommandSpec, argc: usize) -> impl Iterator<Item = usize> {
    let n = argc as i32;
    let last = if spec.last_key < 0 {
        n + spec.last_key
    } else {
        spec.last_key.min(n - 1)
    };
    let range = if spec.first_key <= 0 {
        0..0
    } else {
        spec.first_key as usize..(last + 1).max(0) as usize
    };
    range.step_by(spec.step.max(1) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::Registry;

    fn refs(name: &str, words: &str) -> Vec<(usize, Access)> {
        let argv: Vec<Vec<u8>> = words.split(' ').map(|w| w.as_bytes().to_vec()).collect();
        let mut registry = Registry::new();
        crate::commands::handlers::register_all(&mut registry);
        let spec = registry.lookup(name.as_bytes()).or(registry.lookup(b"get"));
        key_refs(spec.expect("GET is registered"), name, &argv)
    }

    #[test]
    fn keys_are_found_as_redis_finds_them() {
        assert_eq!(refs("get", "get k"), [(1, Access::R)]);
        assert_eq!(refs("set", "set k v"), [(1, Access::W)]);
        assert_eq!(refs("set", "set k v get"), [(1, Access::RW)]);
        assert_eq!(
            refs("lmove", "lmove a b left right"),
            [(1, Access::RW), (2, Access::W)]
        );
        assert_eq!(
            refs("zunionstore", "zunionstore d 2 a b weights 1 2"),
            [(1, Access::W), (3, Access::R), (4, Access::R)]
        );
        assert_eq!(refs("zunionstore", "zunionstore d 9 a b"), []);
        assert_eq!(
            refs("xread", "xread count 1 streams a b 0 0"),
            [(4, Access::R), (5, Access::R)]
        );
        assert_eq!(
            refs("mset", "mset a 1 b 2"),
            [(1, Access::W), (3, Access::W)]
        );
        assert_eq!(refs("exists", "exists a"), [(1, Access::NONE)]);
        assert_eq!(
            refs("sort", "sort k by w* get g* limit 0 1 store d"),
            [(1, Access::R), (10, Access::W)]
        );
        assert_eq!(refs("bitfield", "bitfield k get u8 0"), [(1, Access::R)]);
        assert_eq!(
            refs("georadius", "georadius k 1 2 3 m store d"),
            [(1, Access::R), (7, Access::W)]
        );
        // With KEYS, the keys are the ones after it, as Redis's `migrateGetKeys` finds them.
        assert_eq!(
            refs("migrate", "migrate h p  0 5 keys a b"),
            [(7, Access::RW), (8, Access::RW)]
        );
        assert_eq!(refs("migrate", "migrate h p k 0 5"), [(3, Access::RW)]);
    }
}
