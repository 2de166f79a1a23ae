//! Which arguments of a command are keys, and whether it reads or writes each: what a key
//! pattern like `%R~cache:*` is checked against.
//!
//! Go original: none (go-redis had no ACL). Explained in: book chapter "Who may do what".
//!
//! The registry's (first, last, step) positions cannot say that `ZUNIONSTORE dst 2 a b` reads
//! `a` and `b` after a count, or that `LMOVE src dst` reads and deletes from `src` but only
//! writes `dst`. Redis 7 describes both in key specifications; `keyspecs.txt`, beside this
//! file, holds them for every command that has keys, and [`key_refs`] follows them the way
//! Redis's `getKeysUsingKeySpecs` does. A command the file does not know falls back to the
//! registry's positions, read if it only reads and read-write if it writes.

use std::collections::HashMap;
use std::sync::OnceLock;

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

#[derive(Debug)]
enum Begin {
    Index(usize),
    /// After this word, looked for from this position on (back from the end if negative).
    Keyword(String, i64),
}

#[derive(Debug)]
enum Find {
    Range {
        last: i64,
        step: usize,
        limit: usize,
    },
    KeyNum {
        index: usize,
        first: usize,
        step: usize,
    },
}

#[derive(Debug)]
struct Spec {
    begin: Begin,
    find: Find,
    access: Access,
}

const TABLE: &str = include_str!("keyspecs.txt");

/// Reads one specification (`@1 numkeys=0 R`).
fn read_spec(text: &str) -> Option<Spec> {
    let mut words = text.split_whitespace();
    let begin = words.next()?;
    let begin = match begin.split_once('@')? {
        ("", at) => Begin::Index(at.parse().ok()?),
        (word, at) => Begin::Keyword(word.to_string(), at.parse().ok()?),
    };
    let mut numbers: HashMap<&str, i64> = HashMap::new();
    let mut access = None;
    for word in words {
        match word.split_once('=') {
            Some((name, n)) => {
                numbers.insert(name, n.parse().ok()?);
            }
            None => {
                access = Some(match word {
                    "R" => Access::R,
                    "W" => Access::W,
                    "RW" => Access::RW,
                    "-" => Access::NONE,
                    _ => return None,
                })
            }
        }
    }
    let get = |name, default: i64| numbers.get(name).copied().unwrap_or(default);
    let find = if let Some(&index) = numbers.get("numkeys") {
        Find::KeyNum {
            index: usize::try_from(index).ok()?,
            first: usize::try_from(get("first", 1)).ok()?,
            step: usize::try_from(get("step", 1)).ok()?.max(1),
        }
    } else {
        Find::Range {
            last: *numbers.get("last")?,
            step: usize::try_from(get("step", 1)).ok()?.max(1),
            limit: usize::try_from(get("limit", 0)).ok()?,
        }
    };
    Some(Spec {
        begin,
        find,
        access: access?,
    })
}

/// The table, read once; a line that does not read is left out (a unit test keeps them all
/// readable).
fn table() -> &'static HashMap<&'static str, Vec<Spec>> {
    static SPECS: OnceLock<HashMap<&'static str, Vec<Spec>>> = OnceLock::new();
    SPECS.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|line| {
                let (name, specs) = line.split_once(' ')?;
                let specs: Option<Vec<Spec>> = specs.split('|').map(read_spec).collect();
                Some((name, specs?))
            })
            .collect()
    })
}

/// Where the keys of one specification are among `argv`; `None` if the arguments do not fit
/// it (a count that is not a number, too few arguments), which makes the whole command keyless
/// as in Redis: it will refuse the arguments itself.
fn find(spec: &Spec, argv: &[Vec<u8>], out: &mut Vec<(usize, Access)>) -> Option<()> {
    let argc = argv.len();
    let begin = match &spec.begin {
        Begin::Index(i) => *i,
        Begin::Keyword(word, from) => {
            let at = |i: &usize| argv[*i].eq_ignore_ascii_case(word.as_bytes());
            let found = if *from > 0 {
                // The last argument cannot be the word: a key must follow it.
                (*from as usize..argc.saturating_sub(1)).find(at)
            } else {
                let start = argc.checked_sub(from.unsigned_abs() as usize)?;
                (1..=start).rev().find(at)
            };
            // No such word: this specification names no key, the others still count.
            let Some(found) = found else { return Some(()) };
            found + 1
        }
    };
    let (first, last, step) = match spec.find {
        Find::Range { last, step, limit } => {
            let last = if last >= 0 {
                begin as i64 + last
            } else if limit == 0 {
                argc as i64 + last
            } else {
                begin as i64 + ((argc as i64 - begin as i64) / limit as i64 + last)
            };
            (begin, last, step)
        }
        Find::KeyNum { index, first, step } => {
            let count = argv.get(begin + index)?;
            let count: i64 = std::str::from_utf8(count).ok()?.parse().ok()?;
            if count < 0 {
                return None;
            }
            let first = begin + first;
            (first, first as i64 + count - 1, step)
        }
    };
    if last >= argc as i64 || last < first as i64 || first >= argc {
        return None;
    }
    out.extend(
        (first..=last as usize)
            .step_by(step)
            .map(|i| (i, spec.access)),
    );
    Some(())
}

// ANCHOR: key_refs
/// The keys among `argv` (name included) of the command `full_name`, by position, with what
/// the command does to each.
pub fn key_refs(spec: &CommandSpec, full_name: &str, argv: &[Vec<u8>]) -> Vec<(usize, Access)> {
    let mut out = Vec::new();
    match (full_name, table().get(full_name)) {
        ("sort" | "sort_ro", _) => sort_keys(full_name, argv, &mut out),
        (_, Some(specs)) => {
            for s in specs {
                if find(s, argv, &mut out).is_none() {
                    return Vec::new();
                }
            }
            variable_access(full_name, argv, &mut out);
        }
        (_, None) => {
            let access = if spec.has(flags::WRITE) {
                Access::RW
            } else {
                Access::R
            };
            out.extend(positions(spec, argv.len()).map(|i| (i, access)));
        }
    }
    out
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

/// `SET` writes without reading unless asked for the old value (`GET`); `BITFIELD` only reads
/// unless it has a `SET` or `INCRBY`: the two commands whose access depends on their words.
fn variable_access(name: &str, argv: &[Vec<u8>], out: &mut [(usize, Access)]) {
    let access = match name {
        "set" if !argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"GET")) => Access::W,
        "bitfield" if bitfield_reads_only(argv) => Access::R,
        _ => return,
    };
    for key in out {
        key.1 = access;
    }
}

fn bitfield_reads_only(argv: &[Vec<u8>]) -> bool {
    let mut i = 2;
    while i < argv.len() {
        let left = argv.len() - i - 1;
        let word = argv[i].to_ascii_lowercase();
        match word.as_slice() {
            b"get" if left >= 2 => i += 2,
            b"set" | b"incrby" if left >= 3 => return false,
            b"overflow" if left >= 1 => i += 1,
            _ => {}
        }
        i += 1;
    }
    true
}

/// `SORT key ... [STORE dst]`: the key is read, the last `STORE`'s destination written; the
/// `BY` and `GET` patterns name keys only once expanded, and Redis does not count them.
fn sort_keys(name: &str, argv: &[Vec<u8>], out: &mut Vec<(usize, Access)>) {
    if argv.len() < 2 {
        return;
    }
    out.push((1, Access::R));
    if name != "sort" {
        return;
    }
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let word = argv[i].to_ascii_lowercase();
        let skip = match word.as_slice() {
            b"limit" => 2,
            b"get" | b"by" => 1,
            b"store" => {
                store = Some(i + 1);
                1
            }
            _ => 0,
        };
        i += skip + 1;
    }
    if let Some(at) = store.filter(|&at| at < argv.len()) {
        out.push((at, Access::W));
    }
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
    fn every_line_of_the_table_reads() {
        let lines = TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .count();
        assert_eq!(table().len(), lines);
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
        assert_eq!(
            refs("migrate", "migrate h p  0 5 keys a b"),
            [(3, Access::RW), (7, Access::RW), (8, Access::RW)]
        );
    }
}
