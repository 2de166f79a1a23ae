//! What `COMMAND DOCS` says about each command: a summary, the Redis version that brought it,
//! its group, and its arguments as a tree, from this project's own command table.
//!
//! Go original: none (go-redis had no `COMMAND`). Explained in: book chapter "Talking to real
//! clients".
//!
//! Interactive `redis-cli` asks for `COMMAND DOCS` as it starts, and builds from the reply both
//! `HELP lpush` and the grey hint it prints as you type (`LPUSH ` shows `key element
//! [element ...]`). The table it reads is `table.txt`, beside this file, one entry per command
//! and subcommand:
//!
//! ```text
//! == list ==
//! LPUSH key element [element ...]
//!     1.0.0 Adds the elements to the head of the list, making the list if the key has none.
//! ```
//!
//! A `== group ==` line gives the group of the entries below it. An entry starts with the
//! command's syntax in the notation of every Redis manual (read by [`syntax`], which explains
//! it), and goes on with indented lines: first the version and a sentence, then, when needed,
//! `types: name=type ...` for values the naming conventions would type wrongly, `deprecated:
//! VERSION what to use instead`, and `flags: syscmd` for a command meant for tools rather than
//! applications. Lines starting with `#` are comments.
//!
//! The versions, groups and interfaces are facts about Redis; the sentences are this project's
//! own. The registry decides which commands and subcommands exist, and a test holds the table to
//! it: an entry for each, each line readable, each arity the registry's.

pub mod syntax;

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::commands::registry::{CommandSpec, Registry, Subcommand};
use crate::protocol::resp::Value;
use syntax::{Arg, Kind, Syntax};

/// The command table, as written.
const TABLE: &str = include_str!("table.txt");

/// The groups Redis sorts its commands into, as `COMMAND DOCS` names them.
const GROUPS: &[&str] = &[
    "generic",
    "string",
    "list",
    "set",
    "sorted-set",
    "hash",
    "pubsub",
    "transactions",
    "connection",
    "server",
    "scripting",
    "hyperloglog",
    "cluster",
    "sentinel",
    "geo",
    "stream",
    "bitmap",
];

/// One command's or subcommand's entry in the table.
#[derive(Debug)]
pub struct Entry {
    /// The full name, lower case (`lpush`, `client|list`).
    pub name: String,
    /// Its group (`list`).
    pub group: &'static str,
    /// The Redis version that brought it.
    pub since: &'static str,
    /// One sentence on what it does.
    pub summary: &'static str,
    /// Its syntax line, read.
    pub syntax: Syntax,
    /// Since when it is deprecated, and what to use instead.
    pub deprecated: Option<(&'static str, &'static str)>,
    /// A command for tools and tests rather than applications (`DEBUG`).
    pub syscmd: bool,
}

/// Every entry by full name, and what could not be read.
pub struct Table {
    by_name: HashMap<String, Entry>,
    /// One line per entry the table could not read, with its line number.
    pub errors: Vec<String>,
}

impl Table {
    /// The entry of the command or subcommand `full_name` (`client|list`).
    pub fn get(&self, full_name: &str) -> Option<&Entry> {
        self.by_name.get(full_name)
    }

    /// Every entry, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.by_name.values()
    }
}

/// The table, read on first use. An entry that does not read is logged and left out: its
/// command then answers as if undescribed, and every other one is still there.
pub fn table() -> &'static Table {
    static TABLE_READ: OnceLock<Table> = OnceLock::new();
    TABLE_READ.get_or_init(|| {
        let table = read_table(TABLE);
        for error in &table.errors {
            crate::warn!("server", "Command table: {error}");
        }
        table
    })
}

/// An entry being read: its first line's number, its syntax line and its indented lines.
type Pending = (usize, &'static str, Vec<&'static str>);

/// Reads the table's text: groups, entries and their indented lines.
fn read_table(text: &'static str) -> Table {
    let mut table = Table {
        by_name: HashMap::new(),
        errors: Vec::new(),
    };
    let mut group = "generic";
    let mut pending: Option<Pending> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            match &mut pending {
                Some((_, _, details)) => details.push(trimmed),
                None => table
                    .errors
                    .push(format!("line {}: an indented line with no entry", n + 1)),
            }
            continue;
        }
        table.finish(pending.take(), group);
        if let Some(name) = trimmed
            .strip_prefix("== ")
            .and_then(|g| g.strip_suffix(" =="))
        {
            match GROUPS.iter().find(|g| **g == name) {
                Some(g) => group = g,
                None => table
                    .errors
                    .push(format!("line {}: no group is called {name}", n + 1)),
            }
        } else {
            pending = Some((n + 1, trimmed, Vec::new()));
        }
    }
    table.finish(pending, group);
    table
}

impl Table {
    /// Adds the entry read so far, if any, or says why it cannot.
    fn finish(&mut self, pending: Option<Pending>, group: &'static str) {
        let Some((at, line, details)) = pending else {
            return;
        };
        match read_entry(group, line, &details) {
            Ok(entry) if self.by_name.contains_key(&entry.name) => {
                self.errors
                    .push(format!("line {at}: a second entry for {}", entry.name));
            }
            Ok(entry) => {
                self.by_name.insert(entry.name.clone(), entry);
            }
            Err(e) => self.errors.push(format!("line {at}: {e}")),
        }
    }
}

/// One entry from its syntax line and indented lines.
fn read_entry(group: &'static str, line: &str, details: &[&'static str]) -> Result<Entry, String> {
    let mut syntax = syntax::parse(line).map_err(|e| e.to_string())?;
    let Some((since, summary)) = details.first().and_then(|d| d.split_once(' ')) else {
        return Err(format!("{line}: no version and summary"));
    };
    if !since.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("{line}: `{since}` is not a version"));
    }
    let (mut deprecated, mut syscmd) = (None, false);
    for detail in &details[1..] {
        if let Some(types) = detail.strip_prefix("types:") {
            for pair in types.split_whitespace() {
                let (name, kind) = pair
                    .split_once('=')
                    .ok_or(format!("{line}: `{pair}` is not name=type"))?;
                let kind =
                    Kind::value_type(kind).ok_or(format!("{line}: no type is called {kind}"))?;
                if !syntax.set_type(name, &kind) {
                    return Err(format!("{line}: no value is called {name}"));
                }
            }
        } else if let Some(rest) = detail.strip_prefix("deprecated:") {
            deprecated = Some(
                rest.trim()
                    .split_once(' ')
                    .ok_or(format!("{line}: deprecated since when?"))?,
            );
        } else if detail.strip_prefix("flags:").map(str::trim) == Some("syscmd") {
            syscmd = true;
        } else {
            return Err(format!("{line}: cannot read `{detail}`"));
        }
    }
    // A type changed may have made a key of a value, or a value of a key.
    syntax.number_keys();
    Ok(Entry {
        name: syntax.full_name(),
        group,
        since,
        summary,
        syntax,
        deprecated,
        syscmd,
    })
}

// ---------------------------------------------------------------------------------- the reply

fn bulk(s: &str) -> Value {
    Value::bulk(s)
}

/// `COMMAND DOCS [name ...]`: every command's docs, or those of the commands and subcommands
/// named (`client|list`), by full name; a name the server does not know is left out.
pub fn command_docs(registry: &Registry, names: &[Vec<u8>]) -> Value {
    if names.is_empty() {
        let mut specs: Vec<&CommandSpec> = registry.iter().collect();
        specs.sort_by_key(|s| s.name);
        return Value::Map(specs.into_iter().map(|s| (bulk(s.name), docs(s))).collect());
    }
    let mut out = Vec::new();
    for full_name in names {
        let mut parts = full_name.splitn(2, |&b| b == b'|');
        let Some(spec) = parts.next().and_then(|base| registry.lookup(base)) else {
            continue;
        };
        match parts.next() {
            None => out.push((bulk(spec.name), docs(spec))),
            Some(word) => {
                if let Some(sub) = spec
                    .subcommands
                    .iter()
                    .find(|s| s.word().as_bytes().eq_ignore_ascii_case(word))
                {
                    out.push((bulk(sub.name), subcommand_docs(sub)));
                }
            }
        }
    }
    Value::Map(out)
}

/// One command's docs; a container's nest its subcommands' by full name, as Redis's do.
pub fn docs(spec: &CommandSpec) -> Value {
    let mut map = fields(spec.name);
    if !spec.subcommands.is_empty() {
        let subs = spec
            .subcommands
            .iter()
            .map(|s| (bulk(s.name), subcommand_docs(s)))
            .collect();
        map.push((bulk("subcommands"), Value::Map(subs)));
    }
    Value::Map(map)
}

/// One subcommand's docs (`client|list`).
pub fn subcommand_docs(sub: &Subcommand) -> Value {
    Value::Map(fields(sub.name))
}

/// The fields of an entry, in the order Redis writes them. A command with no entry still gets
/// a summary, a version and a group: `redis-cli` reads all three of every command it is told of.
fn fields(full_name: &str) -> Vec<(Value, Value)> {
    let Some(entry) = table().get(full_name) else {
        return vec![
            (bulk("summary"), bulk("")),
            (bulk("since"), bulk("")),
            (bulk("group"), bulk("generic")),
        ];
    };
    let mut map = vec![
        (bulk("summary"), bulk(entry.summary)),
        (bulk("since"), bulk(entry.since)),
        (bulk("group"), bulk(entry.group)),
    ];
    let mut doc_flags = Vec::new();
    if entry.deprecated.is_some() {
        doc_flags.push(Value::simple("deprecated"));
    }
    if entry.syscmd {
        doc_flags.push(Value::simple("syscmd"));
    }
    if !doc_flags.is_empty() {
        map.push((bulk("doc_flags"), Value::Set(doc_flags)));
    }
    if let Some((since, instead)) = entry.deprecated {
        map.push((bulk("deprecated_since"), bulk(since)));
        map.push((bulk("replaced_by"), bulk(instead)));
    }
    if !entry.syntax.args.is_empty() {
        map.push((bulk("arguments"), arguments(&entry.syntax.args)));
    }
    map
}

// ANCHOR: arguments
/// An argument tree as Redis prints it: a map per argument, its fields in Redis's order, the
/// parts of a choice or a block nested under `arguments`. This is what `redis-cli` turns into
/// the hint it shows after a command's name.
fn arguments(args: &[Arg]) -> Value {
    Value::Array(
        args.iter()
            .map(|arg| {
                let mut map = vec![
                    (bulk("name"), bulk(&arg.name)),
                    (bulk("type"), bulk(arg.kind.name())),
                ];
                if let Some(i) = arg.key_spec_index {
                    map.push((bulk("key_spec_index"), Value::Integer(i as i64)));
                }
                if let Some(token) = &arg.token {
                    map.push((bulk("token"), bulk(token)));
                }
                let flags: Vec<Value> = [
                    (arg.optional, "optional"),
                    (arg.multiple, "multiple"),
                    (arg.multiple_token, "multiple_token"),
                ]
                .into_iter()
                .filter(|(on, _)| *on)
                .map(|(_, flag)| Value::simple(flag))
                .collect();
                if !flags.is_empty() {
                    map.push((bulk("flags"), Value::Set(flags)));
                }
                if let Kind::OneOf(parts) | Kind::Block(parts) = &arg.kind {
                    map.push((bulk("arguments"), arguments(parts)));
                }
                Value::Map(map)
            })
            .collect(),
    )
}
// ANCHOR_END: arguments

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        let mut registry = Registry::new();
        crate::commands::handlers::register_all(&mut registry);
        registry
    }

    #[test]
    fn the_table_reads_whole() {
        assert_eq!(table().errors, Vec::<String>::new());
        let lpush = table().get("lpush").unwrap();
        assert_eq!((lpush.group, lpush.since), ("list", "1.0.0"));
        assert_eq!(table().get("client|list").unwrap().group, "connection");
    }

    #[test]
    fn every_command_and_subcommand_has_an_entry_with_its_arity() {
        // `QUIT` is documented bare, and Redis accepts and ignores any words after it (arity -1).
        const LOOSER: &[&str] = &["quit"];
        let registry = registry();
        let mut missing = Vec::new();
        let mut wrong = Vec::new();
        for spec in registry.iter() {
            match table().get(spec.name) {
                None => missing.push(spec.name),
                // A container's own arity counts its subcommand's name, which is no argument
                // of its own; `COMMAND` also runs alone. Its subcommands are checked one by one.
                Some(_) if !spec.subcommands.is_empty() => assert!(spec.arity < 0, "{}", spec.name),
                Some(entry)
                    if entry.syntax.arity() != spec.arity && !LOOSER.contains(&spec.name) =>
                {
                    wrong.push(format!(
                        "{}: {} by the table, {} by the registry",
                        spec.name,
                        entry.syntax.arity(),
                        spec.arity
                    ));
                }
                Some(_) => {}
            }
            for sub in spec.subcommands {
                match table().get(sub.name) {
                    None => missing.push(sub.name),
                    Some(entry) if entry.syntax.arity() != sub.arity => {
                        wrong.push(format!(
                            "{}: {} by the table, {} by the registry",
                            sub.name,
                            entry.syntax.arity(),
                            sub.arity
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
        assert_eq!(missing, Vec::<&str>::new(), "commands with no entry");
        assert_eq!(wrong, Vec::<String>::new(), "arities that differ");
    }

    #[test]
    fn a_subcommand_follows_its_container() {
        for entry in table().entries() {
            if let Some((container, _)) = entry.name.split_once('|') {
                let parent = table()
                    .get(container)
                    .unwrap_or_else(|| panic!("{} has no container", entry.name));
                assert!(
                    parent.syntax.args.is_empty(),
                    "{container} takes arguments of its own"
                );
                assert_eq!(parent.group, entry.group, "{}", entry.name);
            }
        }
    }

    #[test]
    fn summaries_are_sentences() {
        for entry in table().entries() {
            assert!(
                entry.summary.ends_with('.') && entry.summary.starts_with(char::is_uppercase),
                "{}: {:?}",
                entry.name,
                entry.summary
            );
        }
    }

    #[test]
    fn mistakes_in_the_table_are_reported_with_their_line() {
        let table = read_table(
            "== list ==\nLPUSH key element [element ...]\n    1.0.0 Adds.\n== nosuch ==\nGET [key\n    1.0.0 \
             Reads.\nGET key\nSET key value\n    1.0.0 Writes.\n    types: value=nosuch\n    odd\nDEL key\n    \
             1.0.0 Deletes.\nDEL key\n    1.0.0 Again.\n",
        );
        assert_eq!(table.get("lpush").unwrap().summary, "Adds.");
        assert_eq!(table.get("del").unwrap().summary, "Deletes.");
        assert_eq!(
            table.errors,
            [
                "line 4: no group is called nosuch",
                "line 5: expected `]` at the end",
                "line 7: GET key: no version and summary",
                "line 8: SET key value: no type is called nosuch",
                "line 14: a second entry for del",
            ]
        );
    }
}
