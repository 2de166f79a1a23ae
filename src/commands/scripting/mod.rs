//! Scripting: `EVAL`, `EVALSHA`, `SCRIPT`, `FUNCTION`, `FCALL`, and the Lua they run.
//!
//! Go original: none (go-redis had no scripting). Explained in: book chapter "Scripts".
//!
//! A script runs as a transaction whose commands are chosen while it runs: under one write
//! guard, taken by the dispatcher like `EXEC`'s, so no other client's command runs in between,
//! and its commands' effects are logged as one `MULTI` … `EXEC` block, as Redis 7 replicates
//! scripts by their effects, never by their text. A script's flags (`#!lua flags=no-writes`)
//! stand for `EVAL`'s own when the server decides whether it may run at all (`CLIENT PAUSE
//! WRITE`, a read-only replica, `maxmemory`): [`flags_of`].
//!
//! A running script holds the write guard, so other clients' commands wait for it; past
//! `busy-reply-threshold` they get Redis's `BUSY` instead ([`busy`]), and `SCRIPT KILL` stops
//! it. Known gap: functions are kept in memory and in the AOF (their `FUNCTION LOAD`), not in
//! RDB files.

pub mod commands;
pub mod lua;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::acl::log::Origin;
use super::dispatcher::{Access, Call, commit, invoke, wants_effects};
use super::registry::{CommandSpec, Handler, flags};
use super::{ClientContext, Effects, Shared};
use crate::engine::store::{Store, now_ms};
use crate::protocol::resp::Value;

/// `#!lua flags=no-writes`: the script writes nothing.
pub const NO_WRITES: u32 = 1;
/// `allow-oom`: may run past `maxmemory`.
pub const ALLOW_OOM: u32 = 2;
/// `allow-stale`: may run on a replica whose link is down.
pub const ALLOW_STALE: u32 = 4;
/// The flags Redis accepts (`no-cluster` and `allow-cross-slot-keys` mean nothing here).
const FLAG_NAMES: &[(&str, u32)] = &[
    ("no-writes", NO_WRITES),
    ("allow-oom", ALLOW_OOM),
    ("allow-stale", ALLOW_STALE),
    ("no-cluster", 0),
    ("allow-cross-slot-keys", 0),
];

/// A compiled script, and the flags its shebang declared (`None`: no shebang, Redis's
/// compatibility mode, where `EVAL`'s own flags apply).
pub struct Script {
    /// The parsed body.
    pub chunk: lua::Chunk,
    /// Declared flags, or `None` without a shebang.
    pub flags: Option<u32>,
}

/// A `FUNCTION LOAD`ed library.
pub struct Library {
    /// Its source, as loaded (for `FUNCTION LIST WITHCODE` and the AOF).
    pub code: Vec<u8>,
    /// Its body, run again for each `FCALL` in a fresh state.
    pub chunk: Arc<lua::Chunk>,
    /// Its functions' names and flags, in registration order.
    pub functions: Vec<(Vec<u8>, u32)>,
}

/// The scripts and libraries the server knows, and the running script's state.
#[derive(Default)]
pub struct Scripts {
    cache: Mutex<HashMap<String, Arc<Script>>>,
    libraries: Mutex<BTreeMap<Vec<u8>, Library>>,
    /// A script is running (for `SCRIPT KILL`).
    running: AtomicBool,
    /// The running script has written: `SCRIPT KILL` can no longer stop it.
    wrote: AtomicBool,
    /// `SCRIPT KILL` asked the running script to stop.
    kill: AtomicBool,
    /// When the running script started, in Unix ms, and whether it is a function's.
    started: AtomicU64,
    function: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while the cache was locked leaves it as it was: every insert is one call.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Scripts {
    /// The cached script of this SHA-1, if any.
    pub fn get(&self, sha: &str) -> Option<Arc<Script>> {
        lock(&self.cache).get(sha).cloned()
    }

    /// Compiles `body` (unless cached) and caches it under its SHA-1.
    ///
    /// # Errors
    /// Redis's text for a bad shebang or a script that does not compile.
    pub fn load(&self, body: &[u8]) -> Result<(String, Arc<Script>), Value> {
        let sha = lua::sha1_hex(body);
        if let Some(script) = self.get(&sha) {
            return Ok((sha, script));
        }
        let flags = shebang(body)?;
        // The shebang line is left out, its newline kept, so line numbers stay the sent text's.
        let source = if flags.is_some() {
            &body[line_end(body)..]
        } else {
            body
        };
        let chunk = lua::compile(source, "user_script").map_err(|e| {
            Value::error_owned(format!(
                "ERR Error compiling script (new function): {}",
                one_line(e.as_bytes())
            ))
        })?;
        let script = Arc::new(Script { chunk, flags });
        lock(&self.cache).insert(sha.clone(), script.clone());
        Ok((sha, script))
    }

    /// `SCRIPT FLUSH`.
    pub fn flush(&self) {
        lock(&self.cache).clear();
    }

    /// The libraries, locked.
    pub fn libraries(&self) -> MutexGuard<'_, BTreeMap<Vec<u8>, Library>> {
        lock(&self.libraries)
    }

    /// `SCRIPT KILL` / `FUNCTION KILL`: Redis's reply, and the request if it can be met.
    pub fn kill(&self) -> Value {
        if !self.running.load(Ordering::SeqCst) {
            Value::error("NOTBUSY No scripts in execution right now.")
        } else if self.wrote.load(Ordering::SeqCst) {
            Value::error(
                "UNKILLABLE Sorry the script already executed write commands against the \
                 dataset. You can either wait the script termination or kill the server in a \
                 hard way using the SHUTDOWN NOSAVE command.",
            )
        } else {
            self.kill.store(true, Ordering::SeqCst);
            Value::OK
        }
    }
}

/// The flags a `#!lua [flags=a,b]` first line declares, read from that line alone; `None`
/// without a shebang.
fn shebang(body: &[u8]) -> Result<Option<u32>, Value> {
    if !body.starts_with(b"#!") {
        return Ok(None);
    }
    let line = String::from_utf8_lossy(&body[..line_end(body)]).into_owned();
    let mut words = line.split_ascii_whitespace();
    if words.next() != Some("#!lua") {
        return Err(Value::error_owned(format!(
            "ERR Unexpected engine in script shebang: {}",
            one_line(line.as_bytes())
        )));
    }
    let mut flags = 0;
    for word in words {
        let Some(list) = word.strip_prefix("flags=") else {
            return Err(Value::error_owned(format!(
                "ERR Unknown lua shebang option: {}",
                one_line(word.as_bytes())
            )));
        };
        flags |= parse_flags(list.split(',').filter(|f| !f.is_empty()))?;
    }
    Ok(Some(flags))
}

/// Where a script's first line ends (its newline, or the end).
fn line_end(body: &[u8]) -> usize {
    body.iter().position(|&b| b == b'\n').unwrap_or(body.len())
}

/// The bits of the named script flags.
///
/// # Errors
/// `ERR Unexpected flag in script shebang: x` for a name Redis does not know.
pub fn parse_flags<'a>(names: impl Iterator<Item = &'a str>) -> Result<u32, Value> {
    let mut bits = 0;
    for name in names {
        match FLAG_NAMES.iter().find(|(n, _)| *n == name) {
            Some((_, bit)) => bits |= bit,
            None => {
                return Err(Value::error_owned(format!(
                    "ERR Unexpected flag in script shebang: {}",
                    one_line(name.as_bytes())
                )));
            }
        }
    }
    Ok(bits)
}

/// Text for a one-line error reply.
fn one_line(text: &[u8]) -> String {
    String::from_utf8_lossy(text).replace(['\r', '\n'], " ")
}

// ANCHOR: flags_of
/// The flags the server judges a command by before it runs: a script runner's are its
/// script's, as Redis's `scriptFlagsToCmdFlags` turns them, when the script declared any; for
/// every other command (and a script in compatibility mode) its own.
pub fn flags_of(shared: &Shared, spec: &CommandSpec, argv: &[Vec<u8>]) -> u32 {
    if !matches!(spec.handler, Handler::Script(_)) || argv.len() < 2 {
        return spec.flags;
    }
    let declared = if spec.name.starts_with("fcall") {
        function_flags(shared, &argv[1])
    } else if spec.name.starts_with("evalsha") {
        let sha = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
        shared.scripts.get(&sha).and_then(|s| s.flags)
    } else {
        // Read from the first line, not the cache: no digest of the whole body per `EVAL`.
        shebang(&argv[1]).ok().flatten()
    };
    let Some(declared) = declared else {
        return spec.flags;
    };
    let mut out =
        spec.flags & !(flags::STALE | flags::DENYOOM | flags::WRITE | flags::MAY_REPLICATE);
    if declared & (ALLOW_OOM | NO_WRITES) == 0 {
        out |= flags::DENYOOM;
    }
    if declared & NO_WRITES == 0 {
        out |= flags::WRITE;
    }
    if declared & ALLOW_STALE != 0 {
        out |= flags::STALE;
    }
    out
}
// ANCHOR_END: flags_of

/// The flags of the library function `name`, if there is one.
fn function_flags(shared: &Shared, name: &[u8]) -> Option<u32> {
    shared
        .scripts
        .libraries()
        .values()
        .flat_map(|lib| lib.functions.iter())
        .find(|(n, _)| n == name)
        .map(|(_, f)| *f)
}

// ANCHOR: execute
/// Runs a script command outside `EXEC`: the write guard for the whole script, its effects
/// committed as one transaction, and the fsync waited for after the guard is released.
pub fn execute(
    shared: &Shared,
    client: &mut ClientContext,
    spec: &CommandSpec,
    argv: &[Vec<u8>],
) -> Value {
    let mut store = shared.write_store();
    let now = if client.is_master { 0 } else { now_ms() };
    let mut effects = Effects::new(
        wants_effects(shared, &store),
        client.db,
        shared.pubsub.keyspace_events(),
    );
    let (reply, _) = invoke(
        spec,
        &argv[1..],
        Call::new(shared, client, now),
        Access::Write(&mut store, &mut effects),
    );
    let ticket = commit(shared, &mut store, now, effects, true);
    drop(store);
    shared.aof.wait(ticket);
    reply
}
// ANCHOR_END: execute

/// What a script command runs against, as the dispatcher hands it over: the caller's write
/// guard's store, the effects it collects, and the time.
pub struct Guarded<'a> {
    /// Server-wide state.
    pub shared: &'a Shared,
    /// The client running the command.
    pub client: &'a mut ClientContext,
    /// The store, under the write guard the caller holds.
    pub store: &'a mut Store,
    /// Where the commands' effects go.
    pub effects: &'a mut Effects,
    /// The time the command runs at.
    pub now: u64,
}

impl<'a> Guarded<'a> {
    /// The dispatcher's hand-over, under its write guard.
    pub fn new(
        shared: &'a Shared,
        client: &'a mut ClientContext,
        store: &'a mut Store,
        effects: &'a mut Effects,
        now: u64,
    ) -> Self {
        Guarded {
            shared,
            client,
            store,
            effects,
            now,
        }
    }
}

/// Where a script runs: the dispatcher's hand-over (who runs it, the store under the guard,
/// where effects go, and the time, fixed for the whole script as in Redis), and what the
/// script may do and has done.
pub struct Run<'a> {
    /// What the script's command was handed.
    pub g: Guarded<'a>,
    /// `EVAL_RO`, or a script flagged `no-writes`: write commands are refused.
    pub read_only: bool,
    /// The script called a read-only command (its declared keys are then tracked).
    pub read_any: bool,
    /// Why an uncaught error names the script: its SHA-1 or its function's name.
    pub name: String,
}

// ANCHOR: host_call
impl lua::Host for Run<'_> {
    /// `redis.call`: the checks Redis makes of a command from a script, then the command,
    /// run like one queued in `EXEC`.
    fn call(&mut self, argv: Vec<Vec<u8>>) -> Value {
        let shared = self.g.shared;
        let Some(spec) = argv.first().and_then(|name| shared.registry.lookup(name)) else {
            return Value::error("ERR Unknown Redis command called from script");
        };
        if !spec.arity_ok(argv.len()) {
            return Value::error("ERR Wrong number of args calling Redis command from script");
        }
        if spec.has(flags::NOSCRIPT) {
            return Value::error("ERR This Redis command is not allowed from script");
        }
        if let Some(refusal) =
            super::acl::recheck_from(shared, self.g.client, spec, &argv, Origin::Lua)
        {
            return refusal;
        }
        let writes = spec.has(flags::WRITE) || spec.has(flags::MAY_REPLICATE);
        if writes && self.read_only {
            return Value::error("ERR Write commands are not allowed from read-only scripts.");
        }
        // A write is refused where a client's would be: on a read-only replica, or while
        // writes fail to reach the disk.
        if let Some(refusal) = (writes && !self.g.client.is_master)
            .then(|| shared.refuses(spec.flags & flags::WRITE, false))
            .flatten()
        {
            return refusal;
        }
        self.read_any |= matches!(spec.handler, Handler::Read(_));
        shared.monitor_feed_script(self.g.client, &argv);
        let mark = self.g.effects.len();
        // A tracking client tracks the script's declared keys, not those its commands name.
        let tracking = std::mem::replace(&mut self.g.client.tracking, false);
        let (reply, _) = invoke(
            spec,
            &argv[1..],
            Call::new(shared, self.g.client, self.g.now).in_exec(),
            Access::Write(self.g.store, self.g.effects),
        );
        self.g.client.tracking = tracking;
        self.g.effects.expired_before(mark, self.g.store);
        if self.g.effects.len() > mark {
            shared.scripts.wrote.store(true, Ordering::SeqCst);
            if shared.tracking.is_active() {
                shared
                    .tracking
                    .invalidate_here(shared, self.g.effects.since(mark), (true, false));
            }
        }
        reply
    }

    fn interrupt(&mut self) -> Option<String> {
        shared_kill(self.g.shared).then(|| "ERR Script killed by user with SCRIPT KILL...".into())
    }

    fn log(&mut self, level: i64, message: &[u8]) {
        let text = String::from_utf8_lossy(message);
        match level {
            3 => crate::warn!("script", "{text}"),
            2 => crate::info!("script", "{text}"),
            _ => {}
        }
    }
}
// ANCHOR_END: host_call

fn shared_kill(shared: &Shared) -> bool {
    shared.scripts.kill.load(Ordering::Relaxed)
}

/// Marks the start and the end of a script (`function`: an `FCALL`), for `SCRIPT KILL` and
/// `BUSY`.
pub fn running(shared: &Shared, on: bool, function: bool) {
    let s = &shared.scripts;
    s.started.store(now_ms(), Ordering::SeqCst);
    s.function.store(function, Ordering::SeqCst);
    s.running.store(on, Ordering::SeqCst);
    s.wrote.store(false, Ordering::SeqCst);
    s.kill.store(false, Ordering::SeqCst);
}

// ANCHOR: busy
/// Redis's `BUSY` refusal, for a command `name` that arrives while a script has run longer
/// than `busy-reply-threshold` (5 s): such a command would only wait for the script's guard,
/// and the one way out, `SCRIPT KILL`, must still get through. `None` when no script is that
/// busy, or for the commands that do not need the store.
pub fn busy(shared: &Shared, name: &str) -> Option<Value> {
    let s = &shared.scripts;
    if !s.running.load(Ordering::Relaxed)
        || matches!(
            name,
            "script|kill" | "function|kill" | "shutdown" | "multi" | "auth" | "hello"
        )
    {
        return None;
    }
    let threshold = shared
        .config()
        .get("busy-reply-threshold")
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000u64);
    if now_ms().saturating_sub(s.started.load(Ordering::Relaxed)) < threshold {
        return None;
    }
    Some(Value::error(if s.function.load(Ordering::Relaxed) {
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    } else {
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    }))
}
// ANCHOR_END: busy

/// A script's error as the client sees it: the message, then which script and where.
pub fn error_reply(e: lua::ScriptError, name: &str) -> Value {
    let message = one_line(&e.message);
    let message = if e.is_reply {
        message
    } else {
        format!("ERR {message}")
    };
    Value::error_owned(format!(
        "{message} script: {name}, on @{}:{}.",
        e.source, e.line
    ))
}
