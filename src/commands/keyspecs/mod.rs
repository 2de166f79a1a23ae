//! Key specifications: which arguments of a command are keys, and what it does with each, as
//! Redis 7.0 declares them; `COMMAND GETKEYS` and `COMMAND GETKEYSANDFLAGS` answer from here.
//!
//! Go original: none (go-redis had no `COMMAND`). Explained in: book chapter "Talking to real
//! clients".
//!
//! The registry's `(first, last, step)` positions, Redis's older scheme, cannot say where the
//! keys of `ZUNIONSTORE dest 2 a b` are (their number is an argument), nor that `LMOVE` takes
//! from its first key and adds to its second. Redis 7.0 describes each group of keys with a
//! *key specification*: where the search for them begins (an argument index, or the argument
//! after a keyword such as `STREAMS`), how to find them from there (a range, or a count held
//! in an argument), and flags for what happens to them (`RW access delete`: read, then
//! removed from). The facts are in `keyspecs.txt`, beside this file, one line per command.
//!
//! A few commands' flags depend on their arguments (`SET k v GET` reads the old value, `SET k v`
//! only overwrites), or their keys cannot be described by a spec at all (`SORT ... STORE dst`);
//! Redis finds those with a function of its own per command, and so does [`keys_of`].

use std::collections::HashMap;
use std::sync::OnceLock;

/// The table, as written.
const TABLE: &str = include_str!("keyspecs.txt");

// ANCHOR: key_flags
/// The flags of a key, as bits, in the order `COMMAND GETKEYSANDFLAGS` prints them.
pub mod flag {
    /// Only read.
    pub const RO: u16 = 1 << 0;
    /// Read and written.
    pub const RW: u16 = 1 << 1;
    /// Overwritten: its old value is not read.
    pub const OW: u16 = 1 << 2;
    /// Removed.
    pub const RM: u16 = 1 << 3;
    /// Its value is returned or used.
    pub const ACCESS: u16 = 1 << 4;
    /// Its value is changed.
    pub const UPDATE: u16 = 1 << 5;
    /// Something is added to it.
    pub const INSERT: u16 = 1 << 6;
    /// Something is taken out of it.
    pub const DELETE: u16 = 1 << 7;
    /// Not a key, though found like one (a sharded channel).
    pub const NOT_KEY: u16 = 1 << 8;
    /// The spec may miss some keys.
    pub const INCOMPLETE: u16 = 1 << 9;
    /// The flags depend on the other arguments.
    pub const VARIABLE_FLAGS: u16 = 1 << 10;

    /// Each flag's name, in print order.
    pub const NAMES: &[(u16, &str)] = &[
        (RO, "RO"),
        (RW, "RW"),
        (OW, "OW"),
        (RM, "RM"),
        (ACCESS, "access"),
        (UPDATE, "update"),
        (INSERT, "insert"),
        (DELETE, "delete"),
        (NOT_KEY, "not_key"),
        (INCOMPLETE, "incomplete"),
        (VARIABLE_FLAGS, "variable_flags"),
    ];
}
// ANCHOR_END: key_flags

/// Where the search for a spec's keys begins.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Begin {
    /// At this argument.
    Index(usize),
    /// At the argument after this keyword, looked for from this argument on (from the end
    /// backwards when negative).
    Keyword(String, i64),
    /// Only the command's own function knows.
    Unknown,
}

/// How a spec's keys are found from where the search began.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Find {
    /// Keys up to `last` arguments on (counted from the end when negative), every `step`; with
    /// `last` -1, `limit` above 1 takes only that share of what is left (`XREAD`'s keys are
    /// the first half of the arguments after `STREAMS`).
    Range { last: i64, step: usize, limit: i64 },
    /// The argument `index` after the start holds the number of keys, the first one `first`
    /// after the start, every `step`.
    Keynum {
        index: usize,
        first: usize,
        step: usize,
    },
    /// Only the command's own function knows.
    Unknown,
}

/// One key specification.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeySpec {
    flags: u16,
    begin: Begin,
    find: Find,
}

/// One key of a command: its position among the arguments (the name is 0) and its flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRef {
    /// Index in the command's words.
    pub pos: usize,
    /// Bits of [`flag`].
    pub flags: u16,
}

/// The arguments do not fit the command's key specifications (`COMMAND GETKEYS` answers
/// "Invalid arguments specified for command").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

fn parse_flags(text: &str) -> Option<u16> {
    text.split(',').try_fold(0, |acc, name| {
        let (bit, _) = flag::NAMES.iter().find(|(_, n)| *n == name)?;
        Some(acc | bit)
    })
}

/// Reads one spec: `FLAGS BEGIN FIND`, as the table's header describes.
fn parse_spec(text: &str) -> Option<KeySpec> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let flags = parse_flags(words.first()?)?;
    let (begin, rest) = match words.get(1..)? {
        ["index", n, rest @ ..] => (Begin::Index(n.parse().ok()?), rest),
        ["keyword", word, from, rest @ ..] => {
            (Begin::Keyword(word.to_string(), from.parse().ok()?), rest)
        }
        ["unknown", rest @ ..] => (Begin::Unknown, rest),
        _ => return None,
    };
    let find = match rest {
        ["range", last, step, limit] => Find::Range {
            last: last.parse().ok()?,
            step: step.parse().ok()?,
            limit: limit.parse().ok()?,
        },
        ["keynum", index, first, step] => Find::Keynum {
            index: index.parse().ok()?,
            first: first.parse().ok()?,
            step: step.parse().ok()?,
        },
        ["unknown"] => Find::Unknown,
        _ => return None,
    };
    Some(KeySpec { flags, begin, find })
}

/// The table, read once. A line that does not read is a bug in the table, which a unit test
/// below catches; at run time it is skipped.
fn table() -> &'static HashMap<&'static str, Vec<KeySpec>> {
    static TABLE_READ: OnceLock<HashMap<&'static str, Vec<KeySpec>>> = OnceLock::new();
    TABLE_READ.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|line| {
                let (name, specs) = line.split_once(' ')?;
                let specs: Option<Vec<KeySpec>> = specs.split(';').map(parse_spec).collect();
                Some((name, specs?))
            })
            .collect()
    })
}

/// True if the command `name` (a full name: `get`, `memory|usage`) has key arguments, as
/// Redis's `doesCommandHaveKeys` says: a spec that is not `not_key`.
pub fn has_keys(name: &str) -> bool {
    table()
        .get(name)
        .is_some_and(|specs| specs.iter().any(|s| s.flags & flag::NOT_KEY == 0))
}

/// True if the table knows the command `name`, or subcommands of it.
pub fn knows(name: &str) -> bool {
    let sub = format!("{name}|");
    table().keys().any(|k| *k == name || k.starts_with(&sub))
}

/// True if the keys of the command `name` are not at fixed positions: one of its specs starts
/// at a keyword or counts its keys from an argument (`ZUNIONSTORE`, `XREAD`, `SORT`), what
/// `COMMAND INFO` flags `movablekeys`. A client that places keys by the old (first, last, step)
/// positions must ask `COMMAND GETKEYS` for these.
pub fn movable(name: &str) -> bool {
    table().get(name).is_some_and(|specs| {
        specs
            .iter()
            .any(|s| !matches!((&s.begin, &s.find), (Begin::Index(_), Find::Range { .. })))
    })
}

/// The table's name for a command run as `name` with arguments `args`: `name` itself, or for
/// a container `name|subcommand` (`memory|usage`, `object|encoding`); `None` for a command the
/// table does not know, which has no keys.
pub fn resolve(name: &str, args: &[Vec<u8>]) -> Option<&'static str> {
    let table = table();
    if let Some((known, _)) = table.get_key_value(name) {
        return Some(known);
    }
    let sub = String::from_utf8_lossy(args.first()?).to_ascii_lowercase();
    let full = format!("{name}|{sub}");
    table.get_key_value(full.as_str()).map(|(known, _)| *known)
}

/// A command's words as the specs count them: the name is word 0, its arguments follow.
struct Words<'a>(&'a [Vec<u8>]);

impl Words<'_> {
    /// How many words, the name included.
    fn len(&self) -> usize {
        self.0.len() + 1
    }

    /// Word `i` (`i` ≥ 1).
    fn at(&self, i: usize) -> &[u8] {
        &self.0[i - 1]
    }

    fn is(&self, i: usize, word: &[u8]) -> bool {
        i >= 1 && i < self.len() && self.at(i).eq_ignore_ascii_case(word)
    }
}

// ANCHOR: keys_of
/// The keys of a command run as `name` with arguments `args` (its name left out), with their
/// flags, in Redis's order; `not_key` specs (sharded channels) are left out. Each key's `pos`
/// counts the name as 0, so the key is `args[pos - 1]`. The specs answer unless their flags
/// depend on the arguments or they cannot find every key; then the command's own function
/// does, as in Redis.
///
/// # Errors
/// [`Invalid`] when the arguments do not fit the specs (a key count past the end).
pub fn keys_of(name: &str, args: &[Vec<u8>]) -> Result<Vec<KeyRef>, Invalid> {
    let argv = Words(args);
    let Some(specs) = table().get(name) else {
        return Ok(Vec::new());
    };
    let variable = specs.iter().any(|s| s.flags & flag::VARIABLE_FLAGS != 0);
    if !variable && let Ok(keys) = by_specs(specs, &argv) {
        return Ok(keys);
    }
    match name {
        "set" => Ok(vec![set_key(&argv)]),
        "bitfield" => Ok(vec![bitfield_key(&argv)]),
        "sort" => Ok(sort_keys(&argv)),
        "migrate" => Ok(migrate_keys(&argv)),
        "sort_ro" => Ok(vec![KeyRef {
            pos: 1,
            flags: flag::RO | flag::ACCESS,
        }]),
        _ => Err(Invalid),
    }
}
// ANCHOR_END: keys_of

/// Runs every spec of a command over `argv`, as Redis's `getKeysUsingKeySpecs` does.
fn by_specs(specs: &[KeySpec], argv: &Words<'_>) -> Result<Vec<KeyRef>, Invalid> {
    let argc = argv.len() as i64;
    let mut keys = Vec::new();
    for spec in specs {
        if spec.flags & flag::NOT_KEY != 0 {
            continue;
        }
        let first = match &spec.begin {
            Begin::Index(i) => *i as i64,
            Begin::Keyword(word, from) => {
                // Never the last argument (no key could follow it), nor the name.
                let is_word = |&i: &i64| argv.is(i as usize, word.as_bytes());
                let found = if *from > 0 {
                    (*from..argc - 1).find(is_word)
                } else {
                    (2..=argc + from).rev().find(is_word)
                };
                // A keyword that is not there means no keys of this kind (`GEORADIUS` without
                // `STORE`).
                let Some(at) = found else { continue };
                at + 1
            }
            Begin::Unknown => return Err(Invalid),
        };
        let (first, last, step) = match spec.find {
            Find::Range { last, step, limit } => {
                let end = if last >= 0 {
                    first + last
                } else if limit <= 1 {
                    argc + last
                } else {
                    first + (argc - first) / limit + last
                };
                (first, end, step.max(1))
            }
            Find::Keynum {
                index,
                first: offset,
                step,
            } => {
                let at = (first + index as i64) as usize;
                let count = (at < argv.len())
                    .then(|| count_of(argv.at(at)))
                    .flatten()
                    .ok_or(Invalid)?;
                let start = first + offset as i64;
                (start, start + count - 1, step.max(1))
            }
            Find::Unknown => return Err(Invalid),
        };
        if last >= argc || last < first || first >= argc {
            return Err(Invalid);
        }
        keys.extend((first..=last).step_by(step).map(|pos| KeyRef {
            pos: pos as usize,
            flags: spec.flags,
        }));
        if spec.flags & flag::INCOMPLETE != 0 {
            return Err(Invalid);
        }
    }
    Ok(keys)
}

/// A key count: decimal digits only, as Redis's `string2ll` reads a non-negative number.
fn count_of(arg: &[u8]) -> Option<i64> {
    if arg.is_empty() || !arg.iter().all(u8::is_ascii_digit) || (arg[0] == b'0' && arg.len() > 1) {
        return None;
    }
    std::str::from_utf8(arg).ok()?.parse().ok()
}

/// `SET key value [... GET ...]`: with `GET` it reads the old value too.
fn set_key(argv: &Words<'_>) -> KeyRef {
    let get = (3..argv.len()).any(|i| argv.is(i, b"GET"));
    let flags = if get {
        flag::RW | flag::ACCESS | flag::UPDATE
    } else {
        flag::OW | flag::UPDATE
    };
    KeyRef { pos: 1, flags }
}

/// `BITFIELD key [GET ... | SET ... | INCRBY ... | OVERFLOW ...]`: read-only when it only
/// reads; a `SET`, an `INCRBY` or anything it cannot read counts as a write, as in Redis.
fn bitfield_key(argv: &Words<'_>) -> KeyRef {
    let mut readonly = true;
    let mut i = 2;
    while i < argv.len() {
        let left = argv.len() - i - 1;
        let arg = argv.at(i).to_ascii_lowercase();
        match arg.as_slice() {
            b"get" if left >= 2 => i += 3,
            b"overflow" if left >= 1 => i += 2,
            _ => {
                readonly = false;
                break;
            }
        }
    }
    let flags = if readonly {
        flag::RO | flag::ACCESS
    } else {
        flag::RW | flag::ACCESS | flag::UPDATE
    };
    KeyRef { pos: 1, flags }
}

/// `MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH ...] [KEYS key ...]`: the key,
/// or, with `KEYS` (and an empty key argument), the keys after it, as Redis's
/// `migrateGetKeys` finds them. A `KEYS` with a key argument too names no key at all.
fn migrate_keys(argv: &Words<'_>) -> Vec<KeyRef> {
    let flags = flag::RW | flag::ACCESS | flag::DELETE;
    let key = |pos| KeyRef { pos, flags };
    match (6..argv.len()).find(|&i| argv.is(i, b"KEYS")) {
        Some(_) if argv.len() > 3 && !argv.at(3).is_empty() => Vec::new(),
        Some(at) => (at + 1..argv.len()).map(key).collect(),
        None if argv.len() > 3 => vec![key(3)],
        None => Vec::new(),
    }
}

/// `SORT key [BY p] [LIMIT o c] [GET p ...] [ASC | DESC] [ALPHA] [STORE dst]`: the key, and
/// the last `STORE` destination. The `BY` and `GET` patterns name keys too, but which ones
/// only the data can tell, so they are not reported, as in Redis.
fn sort_keys(argv: &Words<'_>) -> Vec<KeyRef> {
    let mut keys = vec![KeyRef {
        pos: 1,
        flags: flag::RO | flag::ACCESS,
    }];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let arg = argv.at(i).to_ascii_lowercase();
        match arg.as_slice() {
            b"limit" => i += 2,
            b"get" | b"by" => i += 1,
            b"store" if i + 1 < argv.len() => store = Some(i + 1),
            _ => {}
        }
        i += 1;
    }
    if let Some(pos) = store {
        keys.push(KeyRef {
            pos,
            flags: flag::OW | flag::UPDATE,
        });
    }
    keys
}

/// The names of the bits of `flags`, in print order.
pub fn flag_names(flags: u16) -> impl Iterator<Item = &'static str> {
    flag::NAMES
        .iter()
        .filter(move |(bit, _)| flags & bit != 0)
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
    }

    fn found(name: &str, line: &str) -> Vec<(String, Vec<&'static str>)> {
        let argv = argv(line);
        keys_of(name, &argv[1..])
            .unwrap()
            .into_iter()
            .map(|k| {
                let word = String::from_utf8(argv[k.pos].clone()).unwrap();
                (word, flag_names(k.flags).collect())
            })
            .collect()
    }

    #[test]
    fn every_line_of_the_table_reads() {
        let lines = TABLE
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .count();
        assert_eq!(table().len(), lines);
    }

    #[test]
    fn specs_find_the_keys_redis_finds() {
        assert_eq!(
            found("lmove", "LMOVE a b left right"),
            [
                ("a".into(), vec!["RW", "access", "delete"]),
                ("b".into(), vec!["RW", "insert"])
            ]
        );
        assert_eq!(
            found("mset", "MSET a 1 b 2"),
            [
                ("a".into(), vec!["OW", "update"]),
                ("b".into(), vec!["OW", "update"])
            ]
        );
        let zunion = found("zunionstore", "ZUNIONSTORE d 2 x y WEIGHTS 1 2");
        let words: Vec<&str> = zunion.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(words, ["d", "x", "y"]);
        let xread = found("xread", "XREAD COUNT 2 STREAMS s1 s2 0 0");
        let words: Vec<&str> = xread.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(words, ["s1", "s2"]);
        let geo = found("georadius", "GEORADIUS g 1 2 3 km STORE dst");
        let words: Vec<&str> = geo.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(words, ["g", "dst"]);
        assert_eq!(
            keys_of("zunionstore", &argv("ZUNIONSTORE d 5 x")[1..]),
            Err(Invalid)
        );
    }

    #[test]
    fn argument_dependent_flags_come_from_the_commands_own_rules() {
        assert_eq!(
            found("set", "SET k v"),
            [("k".into(), vec!["OW", "update"])]
        );
        assert_eq!(
            found("set", "SET k v get"),
            [("k".into(), vec!["RW", "access", "update"])]
        );
        assert_eq!(
            found("sort", "SORT k BY w STORE d"),
            [
                ("k".into(), vec!["RO", "access"]),
                ("d".into(), vec!["OW", "update"])
            ]
        );
        assert_eq!(
            found("bitfield", "BITFIELD k GET u8 0"),
            [("k".into(), vec!["RO", "access"])]
        );
        assert!(!has_keys("spublish"));
        assert!(has_keys("memory|usage"));
        for name in ["zunionstore", "xread", "sort", "sort_ro", "georadius"] {
            assert!(movable(name), "{name}");
        }
        for name in [
            "set",
            "mset",
            "bitfield",
            "lmove",
            "blpop",
            "georadius_ro",
            "memory|usage",
        ] {
            assert!(!movable(name), "{name}");
        }
    }
}
