//! `ACL`: users and their rights — `SETUSER`, `GETUSER`, `DELUSER`, `LIST`, `USERS`, `WHOAMI`,
//! `CAT`, `GENPASS`, `LOG`, `DRYRUN`, `LOAD`, `SAVE`, `HELP`.
//!
//! Go original: none (go-redis had no ACL). Explained in: book chapter "Who may do what".
//!
//! The rules themselves live in `commands::acl`; this file reads the arguments, words the
//! replies as Redis does, and closes the connections a change leaves without rights.

use std::collections::BTreeMap;

use rand::Rng;

use super::super::parse_i64;
use crate::commands::acl::log::Reason;
use crate::commands::acl::user::{User, merge_selectors};
use crate::commands::acl::{self, categories};
use crate::commands::registry::{NO_KEYS, Subcommand, flags::*};
use crate::commands::{ClientContext, Registry, Shared};
use crate::engine::store::now_ms;
use crate::protocol::resp::Value;

/// The `ACL` subcommands, with Redis's arities.
const ACL_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("acl|cat", -2),
    Subcommand::new("acl|deluser", -3),
    Subcommand::new("acl|dryrun", -4),
    Subcommand::new("acl|genpass", -2),
    Subcommand::new("acl|getuser", 3),
    Subcommand::new("acl|help", 2),
    Subcommand::new("acl|list", 2),
    Subcommand::new("acl|load", 2),
    Subcommand::new("acl|log", -2),
    Subcommand::new("acl|save", 2),
    Subcommand::new("acl|setuser", -3),
    Subcommand::new("acl|users", 2),
    Subcommand::new("acl|whoami", 2),
];

/// Registers `ACL`.
pub fn register(r: &mut Registry) {
    r.client("acl", acl, -2, ADMIN | NOSCRIPT | LOADING | STALE, NO_KEYS);
    r.subcommands("acl", ACL_SUBCOMMANDS);
}

const HELP: &[&str] = &[
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help.",
];

const NO_ACL_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may \
     want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming \
     you have a Redis configuration file set) in order to store users in the Redis configuration.";

fn text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// True if `acl-pubsub-default` gives new users every channel.
fn pubsub_all(shared: &Shared) -> bool {
    shared.config().get("acl-pubsub-default").as_deref() == Some("allchannels")
}

// ANCHOR: acl
/// `ACL subcommand ...`.
pub fn acl(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    // The dispatcher checked the subcommand and its arity (`ACL_SUBCOMMANDS`).
    let sub = args[0].to_ascii_lowercase();
    let rest = &args[1..];
    let aclfile = shared.config().get("aclfile").unwrap_or_default();
    match (sub.as_slice(), rest) {
        (b"setuser", [name, rules @ ..]) => setuser(shared, client, name, rules),
        (b"deluser", names) => deluser(shared, client, names),
        (b"getuser", [name]) => match shared.acl.user(name) {
            Some(user) => user.reply(shared.acl.table()),
            None => Value::Null,
        },
        (b"list", []) => Value::bulk_array(
            shared
                .acl
                .users()
                .iter()
                .map(|u| format!("user {} {}", text(&u.name), u.describe(shared.acl.table()))),
        ),
        (b"users", []) => Value::bulk_array(shared.acl.users().iter().map(|u| u.name.clone())),
        (b"whoami", []) => Value::bulk(&client.user.name),
        (b"load" | b"save", _) if aclfile.is_empty() => Value::error(NO_ACL_FILE),
        (b"load", []) => match load_file(shared, &aclfile) {
            Ok(users) => {
                shared.acl.replace_all(users);
                // Redis frees every user it had, and with them their connections: all but
                // those of `default` must log in again.
                acl::close_clients_where(shared, client, |user| user != b"default");
                Value::OK
            }
            Err(errors) => Value::error_owned(format!("ERR {errors}")),
        },
        (b"save", []) => match save_file(shared, &aclfile) {
            Ok(()) => Value::OK,
            Err(e) => {
                crate::warn!("acl", "Saving the ACL file {aclfile}: {e}");
                Value::error(
                    "ERR There was an error trying to save the ACLs. Please check the server \
                     logs for more information",
                )
            }
        },
        (b"cat", []) => Value::bulk_array(categories::NAMES),
        (b"cat", [name]) => {
            let Some(bit) = categories::bit(name) else {
                let name = &name[..name.len().min(128)];
                return Value::error_owned(format!("ERR Unknown category '{}'", text(name)));
            };
            let table = shared.acl.table();
            Value::bulk_array(
                table
                    .entries()
                    .filter(|(_, e)| e.categories & bit != 0)
                    .map(|(_, e)| e.name),
            )
        }
        (b"genpass", [] | [_]) => genpass(rest.first()),
        (b"log", [] | [_]) => log(shared, rest.first()),
        (b"dryrun", [name, argv @ ..]) => dryrun(shared, name, argv),
        (b"help", []) => Value::Array(HELP.iter().map(|l| Value::simple(l)).collect()),
        _ => Value::error_owned(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try ACL HELP.",
            text(&args[0][..args[0].len().min(128)])
        )),
    }
}
// ANCHOR_END: acl

// ANCHOR: setuser
/// `ACL SETUSER name rule...`: every rule applies to a copy of the user (a new one if there is
/// none), and the copy replaces the user only if all of them did, as in Redis.
fn setuser(shared: &Shared, client: &mut ClientContext, name: &[u8], rules: &[Vec<u8>]) -> Value {
    if name
        .iter()
        .any(|&b| b.is_ascii_whitespace() || b == 0 || b == 0x0b)
    {
        return Value::error("ERR Usernames can't contain spaces or null characters");
    }
    let rules = match merge_selectors(rules) {
        Ok(rules) => rules,
        Err(open) => {
            return Value::error_owned(format!(
                "ERR Unmatched parenthesis in acl selector starting at '{}'.",
                text(&open)
            ));
        }
    };
    let all_channels = pubsub_all(shared);
    let old = shared.acl.user(name);
    let base = old
        .as_deref()
        .cloned()
        .unwrap_or_else(|| User::new(name, all_channels));
    let user = match base.with_rules(shared.acl.table(), &rules, all_channels) {
        Ok(user) => user,
        Err(e) => return e.reply(),
    };
    if let Some(old) = &old {
        acl::close_subscribers_if_needed(shared, client, old, &user);
    }
    shared.acl.put(user);
    Value::OK
}
// ANCHOR_END: setuser

/// `ACL DELUSER name...`: how many existed; their connections are closed.
fn deluser(shared: &Shared, client: &mut ClientContext, names: &[Vec<u8>]) -> Value {
    if names.iter().any(|n| n == b"default") {
        return Value::error("ERR The 'default' user cannot be removed");
    }
    let mut deleted = 0;
    for name in names {
        if shared.acl.remove(name) {
            acl::close_clients_of(shared, client, name);
            deleted += 1;
        }
    }
    Value::Integer(deleted)
}

/// `ACL GENPASS [bits]`: that many random bits (256 by default) as hex digits.
fn genpass(bits: Option<&Vec<u8>>) -> Value {
    const MAX_BITS: i64 = 4096;
    let bits = match bits.map(|b| parse_i64(b)) {
        None => 256,
        Some(Some(n)) => n,
        Some(None) => return Value::not_integer(),
    };
    if bits <= 0 || bits > MAX_BITS {
        return Value::error_owned(format!(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a \
             positive number up to {MAX_BITS}"
        ));
    }
    let mut rng = rand::rng();
    let hex: String = (0..(bits + 3) / 4)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect();
    Value::bulk(hex)
}

/// `ACL LOG [count | RESET]`.
fn log(shared: &Shared, arg: Option<&Vec<u8>>) -> Value {
    let count = match arg {
        None => 10,
        Some(a) if a.eq_ignore_ascii_case(b"RESET") => {
            shared.acl.log().clear();
            return Value::OK;
        }
        Some(a) => match parse_i64(a) {
            Some(n) => n.max(0) as usize,
            None => return Value::not_integer(),
        },
    };
    shared.acl.log().reply(count, now_ms())
}

fn fits(arity: i32, argc: usize) -> bool {
    let argc = argc as i32;
    if arity >= 0 {
        argc == arity
    } else {
        argc >= -arity
    }
}

// ANCHOR: dryrun
/// `ACL DRYRUN user command [arg ...]`: `+OK` if `user` could run it, or why not as a bulk
/// string, without running it or logging anything.
fn dryrun(shared: &Shared, name: &[u8], argv: &[Vec<u8>]) -> Value {
    let Some(user) = shared.acl.user(name) else {
        return Value::error_owned(format!("ERR User '{}' not found", text(name)));
    };
    let not_found = || Value::error_owned(format!("ERR Command '{}' not found", text(&argv[0])));
    let Some(spec) = shared.registry.lookup(&argv[0]) else {
        return not_found();
    };
    let (full_name, arity) = match (spec.subcommands.is_empty(), argv.get(1)) {
        (false, Some(word)) => match spec
            .subcommands
            .iter()
            .find(|s| s.word().as_bytes().eq_ignore_ascii_case(word))
        {
            Some(sub) => (sub.name, sub.arity),
            None => return not_found(),
        },
        _ => (spec.name, spec.arity),
    };
    if !fits(arity, argv.len()) {
        return Value::wrong_arity(full_name);
    }
    match acl::denial(&shared.acl, &user, spec, full_name, argv) {
        None => Value::OK,
        Some((Reason::Command, _)) => Value::bulk(format!(
            "This user has no permissions to run the '{full_name}' command"
        )),
        Some((Reason::Key, at)) => Value::bulk(format!(
            "This user has no permissions to access the '{}' key",
            text(&argv[at])
        )),
        Some((_, at)) => Value::bulk(format!(
            "This user has no permissions to access the '{}' channel",
            text(&argv[at])
        )),
    }
}
// ANCHOR_END: dryrun

// ---------------------------------------------------------------------------- the ACL file

/// Reads the ACL file at `path`: every user, or every mistake found, in Redis's words. Nothing
/// is applied unless the whole file is right.
///
/// # Errors
/// One sentence per mistake, each with the file and line, as `ACL LOAD` answers them.
pub fn load_file(shared: &Shared, path: &str) -> Result<BTreeMap<Vec<u8>, User>, String> {
    let contents = std::fs::read(path)
        .map_err(|e| format!("Error loading ACLs, opening file '{path}': {e}"))?;
    read_users(shared, path, &contents)
}

fn read_users(
    shared: &Shared,
    path: &str,
    contents: &[u8],
) -> Result<BTreeMap<Vec<u8>, User>, String> {
    let table = shared.acl.table();
    let all_channels = pubsub_all(shared);
    let mut users = BTreeMap::new();
    let mut errors = String::new();
    for (n, line) in contents.split(|&b| b == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        // Redis splits the ACL file at single spaces, with no quoting.
        let words: Vec<Vec<u8>> = line.split(|&b| b == b' ').map(<[u8]>::to_vec).collect();
        let lineno = n + 1;
        let (Some(b"user"), Some(name)) = (words.first().map(Vec::as_slice), words.get(1)) else {
            errors.push_str(&format!(
                "{path}:{lineno} should start with user keyword followed by the username. "
            ));
            continue;
        };
        if users.contains_key(name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {lineno}. ",
                text(name)
            ));
            continue;
        }
        let Ok(rules) = merge_selectors(&words[2..]) else {
            errors.push_str(&format!(
                "{path}:{lineno}: Unmatched parenthesis in selector definition."
            ));
            continue;
        };
        let mut user = User::new(name, all_channels);
        for rule in &rules {
            if let Err(e) = user.apply(table, rule.trim_ascii(), all_channels) {
                errors.push_str(&format!("{path}:{lineno}: {}. ", e.message()));
            }
        }
        users.insert(name.clone(), user);
    }
    if errors.is_empty() {
        Ok(users)
    } else {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was \
             performed",
        );
        Err(errors)
    }
}

/// Writes every user to `path` in the ACL file's format, through a temporary file renamed over
/// it, so a crash leaves the old file or the new one, never half of one.
fn save_file(shared: &Shared, path: &str) -> std::io::Result<()> {
    let table = shared.acl.table();
    let mut out = String::new();
    for user in shared.acl.users() {
        out.push_str(&format!(
            "user {} {}\n",
            text(&user.name),
            user.describe(table)
        ));
    }
    let temp = format!("{path}.tmp-{}-{}", std::process::id(), now_ms());
    let written = std::fs::write(&temp, out).and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Loads the users the configuration names at start-up: `user` lines of the config file, or
/// the `aclfile`, not both, as Redis insists.
///
/// # Errors
/// Both are set, a rule is wrong, or the file cannot be read or has mistakes.
pub fn load_at_startup(shared: &Shared) -> Result<(), String> {
    let config = shared.config();
    let aclfile = config.get("aclfile").unwrap_or_default();
    if !aclfile.is_empty() && !config.users.is_empty() {
        return Err(
            "Configuring Redis with users defined in redis.conf and at the same setting \
                    an ACL file path is invalid. This setup is very likely to lead to \
                    configuration errors and security holes, please define either an ACL file \
                    or declare users directly in your redis.conf, but not both."
                .into(),
        );
    }
    let table = shared.acl.table();
    let all_channels = pubsub_all(shared);
    for words in &config.users {
        let Some((name, rules)) = words.split_first() else {
            continue;
        };
        let rules: Vec<Vec<u8>> = rules.iter().map(|r| r.as_bytes().to_vec()).collect();
        let rules = merge_selectors(&rules)
            .map_err(|open| format!("Unmatched parenthesis at '{}'", text(&open)))?;
        let base = match shared.acl.user(name.as_bytes()) {
            // Only `default` can be there already; its rules start again from nothing.
            Some(_) => User::new(name.as_bytes(), all_channels)
                .with_rules(table, &[b"reset".to_vec()], all_channels)
                .map_err(|e| e.error.message().to_string())?,
            None => User::new(name.as_bytes(), all_channels),
        };
        let user = base.with_rules(table, &rules, all_channels).map_err(|e| {
            format!(
                "Error loading ACL rule '{}' for the user named '{name}': {}",
                text(&e.rule),
                e.error.message()
            )
        })?;
        shared.acl.put(user);
    }
    if !aclfile.is_empty() {
        let users = load_file(shared, &aclfile)?;
        shared.acl.replace_all(users);
    }
    Ok(())
}
