//! The command table: name → handler, arity, flags and key positions.
//!
//! Go original: `internal/commands/registry.go`. Explained in: book chapter 3.
//!
//! Every command is one entry. The dispatcher reads the entry to check arity, to pick the read
//! or the write guard, and to find the keys a write touched (for `WATCH`); `COMMAND INFO` prints
//! the same entries, so what the server says about itself is what it does.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::{Change, ClientContext, Context, ReadContext, Shared};
use crate::engine::store::Fnv1a;
use crate::protocol::resp::Value;

/// A handler that only reads the store: runs under the read guard.
pub type ReadFn = fn(&mut ReadContext<'_>, &[Vec<u8>]) -> Value;
/// A handler that may change the store: runs under the write guard.
pub type WriteFn = fn(&mut Context<'_>, &[Vec<u8>]) -> Value;
/// A handler that never touches the store (connection and server commands): runs with no guard.
pub type ClientFn = fn(&Shared, &mut ClientContext, &[Vec<u8>]) -> Value;
/// A script runner: the store and the effects of the guard its caller holds, and the time.
pub type ScriptFn =
    fn(crate::commands::scripting::Guarded<'_>, &[Vec<u8>]) -> crate::protocol::resp::Value;

/// What runs a command, and so which guard the dispatcher takes for it.
#[derive(Clone, Copy)]
pub enum Handler {
    /// Runs under the store's read guard.
    Read(ReadFn),
    /// Runs under the store's write guard.
    Write(WriteFn),
    /// Runs without touching the store.
    Client(ClientFn),
    /// Runs under the write guard with the whole store, and runs other commands itself: a
    /// script (`EVAL`, `FCALL`).
    Script(ScriptFn),
}

/// Command flags, as `COMMAND INFO` names them.
pub mod flags {
    /// May change the store.
    pub const WRITE: u32 = 1 << 0;
    /// Only reads the store.
    pub const READONLY: u32 = 1 << 1;
    /// May grow memory.
    pub const DENYOOM: u32 = 1 << 2;
    /// An administrative command.
    pub const ADMIN: u32 = 1 << 3;
    /// A Pub/Sub command.
    pub const PUBSUB: u32 = 1 << 4;
    /// Not allowed inside `MULTI`.
    pub const NOSCRIPT: u32 = 1 << 5;
    /// May block the client.
    pub const BLOCKING: u32 = 1 << 6;
    /// Allowed while loading.
    pub const LOADING: u32 = 1 << 7;
    /// Allowed on stale data.
    pub const STALE: u32 = 1 << 8;
    /// O(1) or O(log n).
    pub const FAST: u32 = 1 << 9;
    /// Allowed before `AUTH`.
    pub const NO_AUTH: u32 = 1 << 10;
    /// Refused inside `MULTI` (`SHUTDOWN`), with Redis's "Command not allowed inside a
    /// transaction".
    pub const NO_MULTI: u32 = 1 << 11;
    /// Connection-level command.
    pub const CONNECTION: u32 = 1 << 12;
    /// Allowed in RESP2 subscribed mode.
    pub const PUBSUB_OK: u32 = 1 << 13;
    /// Refused unless `enable-debug-command` allows the caller (`DEBUG`). Redis hides this flag
    /// from `COMMAND INFO` too.
    pub const PROTECTED: u32 = 1 << 15;
    /// Never in the slow log itself (`EXEC`: the commands it runs are logged one by one).
    pub const SKIP_SLOWLOG: u32 = 1 << 16;
    /// Not queued by `MULTI`: runs at once even inside a transaction (`EXEC`, `DISCARD`, `WATCH`,
    /// ...). Redis decides this by name rather than by a flag, so `COMMAND INFO` does not show it.
    pub const RUNS_IN_MULTI: u32 = 1 << 14;
    /// Reaches the replication stream though it writes no key (`PUBLISH`): a `CLIENT PAUSE
    /// WRITE` holds it back too. Redis 7.0's `may_replicate`, which its `COMMAND INFO` does not
    /// show either.
    pub const MAY_REPLICATE: u32 = 1 << 17;

    /// The name of each flag, in the order `COMMAND INFO` prints them.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (NO_MULTI, "no_multi"),
    ];
}

// ANCHOR: command_spec
/// One command's entry in the table.
#[derive(Clone, Copy)]
pub struct CommandSpec {
    /// Lower-case name, as Redis prints it.
    pub name: &'static str,
    /// What runs it.
    pub handler: Handler,
    /// Redis arity: `n` means exactly n words (name included), `-n` at least n.
    pub arity: i32,
    /// Bits of [`flags`].
    pub flags: u32,
    /// Position of the first key (0: none).
    pub first_key: i32,
    /// Position of the last key (-1: the last argument).
    pub last_key: i32,
    /// Distance between keys (2 for `MSET k v k v`).
    pub step: i32,
    /// For a container command (`CLIENT`, `CONFIG`), the subcommands it answers; empty for
    /// every other command.
    pub subcommands: &'static [Subcommand],
}
// ANCHOR_END: command_spec

// ANCHOR: subcommand
/// One subcommand of a container command, as Redis 7 declares it: checked before the command
/// runs, and counted apart in `INFO commandstats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subcommand {
    /// The full name Redis prints (`client|list`).
    pub name: &'static str,
    /// Its own arity, counting the container's name too (`CLIENT LIST` is at least 2 words).
    pub arity: i32,
}
// ANCHOR_END: subcommand

impl Subcommand {
    /// The subcommand `name` (`"client|list"`) with `arity`.
    pub const fn new(name: &'static str, arity: i32) -> Self {
        Subcommand { name, arity }
    }

    /// The word after the container's name (`list` of `client|list`).
    pub fn word(&self) -> &'static str {
        self.name.split_once('|').map_or(self.name, |(_, w)| w)
    }
}

/// True if `argc` words fit `arity` (Redis's convention: `n` exactly, `-n` at least `n`).
fn fits(arity: i32, argc: usize) -> bool {
    let argc = argc as i32;
    if arity >= 0 {
        argc == arity
    } else {
        argc >= -arity
    }
}

/// Redis's `%.128s` of a word in an error: at most 128 bytes, read as text.
fn clip(word: &[u8]) -> String {
    String::from_utf8_lossy(&word[..word.len().min(128)]).replace(['\r', '\n'], " ")
}

impl CommandSpec {
    /// True if `argc` words (name included) fit this command's arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        fits(self.arity, argc)
    }

    // ANCHOR: full_name
    /// The name this call runs under: the command's own (`get`), or for a container its
    /// subcommand's (`client|list`), which must exist and have its own arity. Redis refuses
    /// both mistakes before anything runs, inside `MULTI` too, and so does the dispatcher.
    ///
    /// # Errors
    /// Redis's reply to an unknown subcommand (with no name to count it under) or to a
    /// subcommand's wrong arity (with the subcommand's name).
    pub fn full_name(
        &self,
        argv: &[Vec<u8>],
    ) -> Result<&'static str, (Option<&'static str>, Value)> {
        let (Some(word), false) = (argv.get(1), self.subcommands.is_empty()) else {
            return Ok(self.name);
        };
        let Some(sub) = self
            .subcommands
            .iter()
            .find(|s| s.word().as_bytes().eq_ignore_ascii_case(word))
        else {
            let reply = Value::error_owned(format!(
                "ERR unknown subcommand '{}'. Try {} HELP.",
                clip(word),
                clip(&argv[0]).to_ascii_uppercase()
            ));
            return Err((None, reply));
        };
        if !fits(sub.arity, argv.len()) {
            return Err((Some(sub.name), Value::wrong_arity(sub.name)));
        }
        Ok(sub.name)
    }
    // ANCHOR_END: full_name

    /// True if the flag bits `f` are all set.
    pub fn has(&self, f: u32) -> bool {
        self.flags & f == f
    }

    /// The keys among `argv` (name included), by this entry's key positions.
    pub fn keys<'a>(&self, argv: &'a [Vec<u8>]) -> impl Iterator<Item = &'a [u8]> + 'a {
        let n = argv.len() as i32;
        let first = self.first_key;
        let last = if self.last_key < 0 {
            n + self.last_key
        } else {
            self.last_key.min(n - 1)
        };
        let step = self.step.max(1);
        let range = if first <= 0 { 0..0 } else { first..last + 1 };
        range
            .step_by(step as usize)
            .filter_map(move |i| argv.get(i as usize).map(Vec::as_slice))
    }
}

// ANCHOR: name_hasher
/// A map keyed by command name, hashed with FNV-1a. Every request looks its command up, and
/// std's default SipHash cost more than the rest of the lookup for a name of three letters.
/// SipHash's keyed randomness protects tables that grow from what clients send; this one is
/// built at start-up and never grows, so a client choosing colliding names gains nothing.
type NameMap = HashMap<Vec<u8>, CommandSpec, BuildHasherDefault<Fnv1a>>;
// ANCHOR_END: name_hasher

/// The table of every command the server knows.
#[derive(Default)]
pub struct Registry {
    /// By the name clients use (after any `rename-command`).
    commands: NameMap,
    /// By the original name, whatever clients call it: effects (`DEL`, `SET`, ...) and the AOF
    /// use these names, so a renamed or disabled command still replays and still marks
    /// `WATCH`ed keys.
    internal: NameMap,
}

/// The key positions of a command: (first, last, step).
pub type KeySpec = (i32, i32, i32);

/// No keys.
pub const NO_KEYS: KeySpec = (0, 0, 0);
/// One key, at position 1.
pub const KEY1: KeySpec = (1, 1, 1);
/// Every argument is a key.
pub const ALL_KEYS: KeySpec = (1, -1, 1);

fn lookup_in<'a>(table: &'a NameMap, name: &[u8]) -> Option<&'a CommandSpec> {
    let mut buf = [0u8; 32];
    if name.len() > buf.len() {
        return None;
    }
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    table.get(&lower[..])
}

impl Registry {
    /// An empty table. The registry knows no handler: whoever builds the server fills it,
    /// each handler family registering its own commands (`handlers::register_all`).
    pub fn new() -> Self {
        Registry::default()
    }

    /// Adds a command that reads the store.
    pub fn read(&mut self, name: &'static str, f: ReadFn, arity: i32, flags: u32, keys: KeySpec) {
        self.add(name, Handler::Read(f), arity, flags | flags::READONLY, keys);
    }

    /// Adds a command that writes the store.
    pub fn write(&mut self, name: &'static str, f: WriteFn, arity: i32, flags: u32, keys: KeySpec) {
        self.add(name, Handler::Write(f), arity, flags | flags::WRITE, keys);
    }

    /// Adds a command that does not touch the store.
    pub fn client(
        &mut self,
        name: &'static str,
        f: ClientFn,
        arity: i32,
        flags: u32,
        keys: KeySpec,
    ) {
        self.add(name, Handler::Client(f), arity, flags, keys);
    }

    /// Adds a command with exactly the flags given (no `readonly`/`write` added): for commands
    /// like `WATCH` that need the write guard for bookkeeping but change no data.
    pub fn add(
        &mut self,
        name: &'static str,
        handler: Handler,
        arity: i32,
        flags: u32,
        keys: KeySpec,
    ) {
        let (first_key, last_key, step) = keys;
        let spec = CommandSpec {
            name,
            handler,
            arity,
            flags,
            first_key,
            last_key,
            step,
            subcommands: &[],
        };
        self.commands
            .insert(name.as_bytes().to_ascii_lowercase(), spec);
        self.internal
            .insert(name.as_bytes().to_ascii_lowercase(), spec);
    }

    /// Declares the subcommands of the container command `name`, registered before.
    pub fn subcommands(&mut self, name: &str, subs: &'static [Subcommand]) {
        for table in [&mut self.commands, &mut self.internal] {
            if let Some(spec) = table.get_mut(name.as_bytes()) {
                spec.subcommands = subs;
            }
        }
    }

    /// Removes a command (`rename-command NAME ""`), or gives it another name.
    pub fn rename(&mut self, name: &[u8], new_name: &[u8]) -> bool {
        let Some(spec) = self.commands.remove(&name.to_ascii_lowercase()) else {
            return false;
        };
        if !new_name.is_empty() {
            self.commands.insert(new_name.to_ascii_lowercase(), spec);
        }
        true
    }

    // ANCHOR: lookup
    /// The entry for a command name in any letter case. Names are lower-cased into a stack
    /// buffer, so the lookup allocates nothing.
    pub fn lookup(&self, name: &[u8]) -> Option<&CommandSpec> {
        lookup_in(&self.commands, name)
    }
    // ANCHOR_END: lookup

    /// The entry for a command by its original name, ignoring `rename-command`: for effects and
    /// AOF replay, which always use the original names.
    pub fn lookup_internal(&self, name: &[u8]) -> Option<&CommandSpec> {
        lookup_in(&self.internal, name)
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &CommandSpec> {
        self.commands.values()
    }

    /// Every entry under its original name, whatever `rename-command` did (the ACL's view).
    pub fn iter_internal(&self) -> impl Iterator<Item = &CommandSpec> {
        self.internal.values()
    }

    /// Number of commands.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// True if the table is empty.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }
} // ANCHOR: change_keys
/// Calls `visit` with each key `change` wrote, in the database it lives in: the keys its command
/// names, in the change's database, except where a command writes another database (`MOVE key
/// db`, `COPY src dst DB db`). `WATCH` and the blocked clients find their keys through this.
/// `SWAPDB` and the flushes name no keys: their callers handle them whole.
pub fn change_keys<'e>(
    registry: &Registry,
    change: &'e Change,
    mut visit: impl FnMut(usize, &'e [u8]),
) {
    let effect = &change.effect;
    let Some(spec) = registry.lookup_internal(&effect[0]) else {
        return;
    };
    match spec.name {
        "move" => {
            visit(change.db, &effect[1]);
            if let Some(db) = effect.get(2).and_then(|a| db_number(a)) {
                visit(db, &effect[1]);
            }
        }
        "copy" => {
            // `COPY src dst [DB db] [REPLACE]`: the source is only read.
            let target = effect
                .iter()
                .position(|a| a.eq_ignore_ascii_case(b"DB"))
                .and_then(|i| effect.get(i + 1))
                .and_then(|a| db_number(a));
            visit(target.unwrap_or(change.db), &effect[2]);
        }
        _ => {
            for key in spec.keys(effect) {
                visit(change.db, key);
            }
        }
    }
}
// ANCHOR_END: change_keys

/// A database number as a logged effect writes it.
pub fn db_number(arg: &[u8]) -> Option<usize> {
    std::str::from_utf8(arg).ok()?.parse().ok()
}
