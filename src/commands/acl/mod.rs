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
//!
//! A connection holds an `Arc` of its user as the ACL stood when it last looked, with the
//! ACL's generation at that moment. Every change to any user bumps the generation, and the
//! check before a command first compares the two numbers: one atomic load. A user whose rules
//! allow everything (`default`, unless changed) is marked `unrestricted`, so for it that load
//! and one flag are the whole check; only a restricted user pays for finding keys and matching
//! patterns.

pub mod categories;
pub mod keys;
pub mod log;
pub mod selector;
pub mod table;
pub mod user;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};

use self::keys::key_refs;
use self::log::{AclLog, Entry, Origin, Reason};
use self::selector::{Selector, channel_listed};
use self::table::CommandTable;
use self::user::User;
use crate::commands::registry::CommandSpec;
use crate::commands::{ClientContext, Registry, Shared};
use crate::engine::store::now_ms;
use crate::protocol::resp::Value;

// ANCHOR: acl
/// Every user, the ACL log, and the command table the rules refer to.
pub struct Acl {
    table: CommandTable,
    /// By name, in byte order (the order `ACL LIST` prints them).
    users: RwLock<BTreeMap<Vec<u8>, Arc<User>>>,
    /// Bumped by every change to any user; connections compare it with theirs.
    generation: AtomicU64,
    log: Mutex<AclLog>,
}
// ANCHOR_END: acl

/// Redis's reply to a wrong password or a disabled user.
pub const WRONGPASS: Value =
    Value::error("WRONGPASS invalid username-password pair or user is disabled.");

impl Acl {
    /// The ACL of a fresh server: the `default` user with every right, and `requirepass` as its
    /// password if set.
    pub fn new(registry: &Registry, requirepass: Option<&[u8]>) -> Self {
        let table = CommandTable::new(registry);
        let default = User::default_user(&table, requirepass);
        Acl {
            users: RwLock::new(BTreeMap::from([(b"default".to_vec(), Arc::new(default))])),
            table,
            // Connections start at 0, so their first command fetches their user.
            generation: AtomicU64::new(1),
            log: Mutex::new(AclLog::default()),
        }
    }

    /// The commands and subcommands the rules name.
    pub fn table(&self) -> &CommandTable {
        &self.table
    }

    /// The generation of the rules: it changes whenever any user does.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<Vec<u8>, Arc<User>>> {
        // Poisoning: every write below replaces whole entries, so the map is never half done.
        self.users.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<Vec<u8>, Arc<User>>> {
        self.users.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The user called `name`.
    pub fn user(&self, name: &[u8]) -> Option<Arc<User>> {
        self.read().get(name).cloned()
    }

    /// The `default` user, which always exists.
    pub fn default_user(&self) -> Arc<User> {
        self.user(b"default")
            .unwrap_or_else(|| Arc::new(User::default_user(&self.table, None)))
    }

    /// Every user, by name.
    pub fn users(&self) -> Vec<Arc<User>> {
        self.read().values().cloned().collect()
    }

    /// Stores `user` under its name, replacing any user of that name.
    pub fn put(&self, user: User) {
        self.write().insert(user.name.clone(), Arc::new(user));
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Removes the user `name`; returns whether there was one.
    pub fn remove(&self, name: &[u8]) -> bool {
        let removed = self.write().remove(name).is_some();
        self.generation.fetch_add(1, Ordering::AcqRel);
        removed
    }

    /// Replaces every user (`ACL LOAD`); a set without `default` gets a fresh one.
    pub fn replace_all(&self, mut users: BTreeMap<Vec<u8>, User>) {
        users
            .entry(b"default".to_vec())
            .or_insert_with(|| User::default_user(&self.table, None));
        *self.write() = users.into_iter().map(|(k, u)| (k, Arc::new(u))).collect();
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Sets the `default` user's one password, or `nopass` (`requirepass`, `CONFIG SET`).
    pub fn set_default_password(&self, password: Option<&[u8]>) {
        let mut user = (*self.default_user()).clone();
        user.set_password(password);
        self.put(user);
    }

    /// True if a new connection is logged in as `default` without a word: `nopass` and `on`.
    pub fn default_needs_no_password(&self) -> bool {
        let user = self.default_user();
        user.nopass && user.enabled
    }

    /// The log.
    pub fn log(&self) -> MutexGuard<'_, AclLog> {
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The user of a context no connection drives (the AOF replay, a replica's master, a tool),
/// and of a connection until its first command fetches its real one (generation 0 never
/// matches): every right, as Redis's clients without a user have.
pub fn placeholder_user() -> Arc<User> {
    static PLACEHOLDER: OnceLock<Arc<User>> = OnceLock::new();
    PLACEHOLDER
        .get_or_init(|| Arc::new(User::default_user(&CommandTable::default(), None)))
        .clone()
}

/// True if `user` may name any key at all, the test Redis puts to `SORT ... BY pattern` and
/// `GET pattern`: the keys those patterns make are read unchecked.
pub fn may_name_any_key(user: &User) -> bool {
    user.selectors
        .iter()
        .any(|s| s.permits_key(b"*", keys::Access::NONE))
}

// ---------------------------------------------------------------------------- the check

// ANCHOR: check
/// Whether `client` may run `argv` (the command `spec`, `name` its full name): `None`, or the
/// `NOPERM` refusal, logged. Called by the dispatcher after the arity check and before any lock.
#[inline]
pub fn check(
    shared: &Shared,
    client: &mut ClientContext,
    spec: &CommandSpec,
    name: &'static str,
    argv: &[Vec<u8>],
) -> Option<Value> {
    if client.acl_generation != shared.acl.generation() {
        refresh(shared, client);
    }
    if client.user.unrestricted || client.is_master {
        return None;
    }
    refuse(shared, client, spec, name, argv)
}
// ANCHOR_END: check

/// Fetches the connection's user again after the rules changed. A user deleted meanwhile
/// leaves the connection as `default`, logged out, and closes it, as Redis does.
#[cold]
fn refresh(shared: &Shared, client: &mut ClientContext) {
    // Read before the lookup: a change in between makes the next command look again.
    client.acl_generation = shared.acl.generation();
    match shared.acl.user(&client.user.name) {
        Some(user) => client.user = user,
        None => {
            client.user = shared.acl.default_user();
            client.authenticated = false;
            client.close_after_reply = true;
        }
    }
}

#[cold]
fn refuse(
    shared: &Shared,
    client: &mut ClientContext,
    spec: &CommandSpec,
    name: &'static str,
    argv: &[Vec<u8>],
) -> Option<Value> {
    let (reason, at) = denial(&shared.acl, &client.user, spec, name, argv)?;
    let object = match reason {
        Reason::Command => name.as_bytes().to_vec(),
        _ => argv[at].clone(),
    };
    log_refusal(shared, client, reason, object, None, argv, None);
    Some(Value::error_owned(match reason {
        Reason::Command => {
            format!("NOPERM this user has no permissions to run the '{name}' command")
        }
        Reason::Key => {
            "NOPERM this user has no permissions to access one of the keys used as arguments".into()
        }
        _ => "NOPERM this user has no permissions to access one of the channels used as \
              arguments"
            .into(),
    }))
}

/// `EXEC`'s second look at a queued command, in case the rules changed since it was queued:
/// Redis's refusal inside the `EXEC` reply, logged, or `None`.
pub fn recheck(
    shared: &Shared,
    client: &mut ClientContext,
    spec: &CommandSpec,
    argv: &[Vec<u8>],
) -> Option<Value> {
    recheck_from(shared, client, spec, argv, Origin::Multi)
}

/// The check of a command that does not come from the client itself: one about to run inside
/// `EXEC` (`from` is [`Origin::Multi`]) or one a script calls ([`Origin::Lua`]). Redis's
/// refusal for that place, logged, or `None`.
pub fn recheck_from(
    shared: &Shared,
    client: &mut ClientContext,
    spec: &CommandSpec,
    argv: &[Vec<u8>],
    from: Origin,
) -> Option<Value> {
    if client.acl_generation != shared.acl.generation() {
        refresh(shared, client);
    }
    if client.user.unrestricted || client.is_master {
        return None;
    }
    let name = spec.full_name(argv).unwrap_or(spec.name);
    let (reason, at) = denial(&shared.acl, &client.user, spec, name, argv)?;
    let object = match reason {
        Reason::Command => name.as_bytes().to_vec(),
        _ => argv[at].clone(),
    };
    log_refusal(shared, client, reason, object, None, argv, Some(from));
    let text = if from == Origin::Lua {
        let why = match reason {
            Reason::Command => "run this command or subcommand",
            Reason::Key => "access at least one of the keys mentioned in the command arguments",
            _ => "publish to the channel mentioned in the command",
        };
        format!("ERR The user executing the script can't {why}")
    } else {
        let why = match reason {
            Reason::Command => "no permission to execute the command or subcommand",
            Reason::Key => "no permission to touch the specified keys",
            _ => "no permission to access one of the channels used as arguments",
        };
        format!(
            "NOPERM ACLs rules changed between the moment the transaction was accumulated and \
             the EXEC call. This command is no longer allowed for the following reason: {why}"
        )
    };
    Some(Value::error_owned(text))
}

// ANCHOR: denial
/// Why `user` may not run `argv`, and the argument at fault (a key or channel), or `None`.
/// Every selector is tried; when all refuse, the refusal reported is the one Redis reports:
/// a channel before a key before the command, and the later argument of two.
pub fn denial(
    acl: &Acl,
    user: &User,
    spec: &CommandSpec,
    name: &str,
    argv: &[Vec<u8>],
) -> Option<(Reason, usize)> {
    let Some(id) = acl.table.id(name) else {
        return Some((Reason::Command, 0));
    };
    let mut keys = None;
    let mut worst: Option<(Reason, usize)> = None;
    for selector in &user.selectors {
        match refusal_of(selector, acl, id, spec, name, argv, &mut keys) {
            None => return None,
            Some(found) => worst = worst.max(Some(found)),
        }
    }
    worst
}
// ANCHOR_END: denial

/// Why one selector refuses the command, if it does.
fn refusal_of(
    selector: &Selector,
    acl: &Acl,
    id: usize,
    spec: &CommandSpec,
    name: &str,
    argv: &[Vec<u8>],
    keys: &mut Option<Vec<(usize, keys::Access)>>,
) -> Option<(Reason, usize)> {
    if !selector.permits_command(&acl.table, id, argv) {
        return Some((Reason::Command, 0));
    }
    if !selector.all_keys() {
        // Found once for all the selectors that need them.
        let keys = keys.get_or_insert_with(|| key_refs(spec, name, argv));
        if let Some(&(at, _)) = keys
            .iter()
            .find(|(at, access)| !selector.permits_key(&argv[*at], *access))
        {
            return Some((Reason::Key, at));
        }
    }
    if !selector.all_channels() {
        let (channels, literal) = match spec.name {
            "publish" | "spublish" => (1..2.min(argv.len()), false),
            "subscribe" | "ssubscribe" => (1..argv.len(), false),
            "psubscribe" => (1..argv.len(), true),
            _ => (0..0, false),
        };
        if let Some(at) = channels
            .into_iter()
            .find(|&at| !selector.permits_channel(&argv[at], literal))
        {
            return Some((Reason::Channel, at));
        }
    }
    None
}

/// Adds a refusal to the log: `username` is the client's own unless given (a failed `AUTH`
/// names the user it tried); `from` is where the command came from, unless the client's own
/// state says it (`MULTI` or not).
pub fn log_refusal(
    shared: &Shared,
    client: &ClientContext,
    reason: Reason,
    object: Vec<u8>,
    username: Option<&[u8]>,
    argv: &[Vec<u8>],
    from: Option<Origin>,
) {
    let running: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
    let in_multi = client.multi.is_some() || client.in_exec;
    let entry = Entry {
        count: 1,
        reason,
        context: from.unwrap_or(if in_multi {
            Origin::Multi
        } else {
            Origin::Toplevel
        }),
        object,
        username: username.unwrap_or(client.user.name.as_slice()).to_vec(),
        time: now_ms(),
        client_info: client.handle.info_line(Some(&running)),
    };
    let max_len = shared
        .config()
        .get("acllog-max-len")
        .and_then(|v| v.parse().ok())
        .unwrap_or(128);
    shared.acl.log().add(entry, max_len);
}

// ---------------------------------------------------------------------------- logging in

// ANCHOR: authenticate
/// Logs `client` in as `name` with `password` (`AUTH`, `HELLO ... AUTH`), or logs the failure
/// and answers `WRONGPASS`, whether the user is missing, disabled or the password wrong: the
/// reply never tells which.
///
/// # Errors
/// `WRONGPASS`.
pub fn authenticate(
    shared: &Shared,
    client: &mut ClientContext,
    name: &[u8],
    password: &[u8],
    command: &[u8],
) -> Result<(), Value> {
    let generation = shared.acl.generation();
    match shared.acl.user(name) {
        Some(user) if user.accepts(password) => {
            client.user = user;
            client.acl_generation = generation;
            client.authenticated = true;
            client.handle.state().user = name.to_vec();
            Ok(())
        }
        _ => {
            let argv = [command.to_vec()];
            log_refusal(
                shared,
                client,
                Reason::Auth,
                command.to_vec(),
                Some(name),
                &argv,
                None,
            );
            Err(WRONGPASS)
        }
    }
}
// ANCHOR_END: authenticate

/// Back to `default` (`RESET`): logged in only if `default` needs no password.
pub fn log_out(shared: &Shared, client: &mut ClientContext) {
    client.acl_generation = shared.acl.generation();
    client.user = shared.acl.default_user();
    client.authenticated = shared.acl.default_needs_no_password();
    client.handle.state().user = b"default".to_vec();
}

// ---------------------------------------------------------------------------- closing clients

/// Closes every connection logged in as `name` (`ACL DELUSER`): the caller's own after its
/// reply.
pub fn close_clients_of(shared: &Shared, me: &mut ClientContext, name: &[u8]) {
    close_clients_where(shared, me, |user| user == name);
}

/// Closes every connection whose user's name passes `doomed`: the caller's own after its reply.
pub fn close_clients_where(
    shared: &Shared,
    me: &mut ClientContext,
    doomed: impl Fn(&[u8]) -> bool,
) {
    for c in shared.clients.snapshot() {
        if !doomed(&c.state().user) {
            continue;
        }
        if c.id == me.id {
            me.close_after_reply = true;
        } else {
            c.kill();
        }
    }
}

/// After `ACL SETUSER` changed `old` into `new`: closes the user's subscribers whose channels
/// or patterns the new rules no longer allow, as Redis does. A user that may still use every
/// channel, or every channel it could before, closes nobody.
pub fn close_subscribers_if_needed(
    shared: &Shared,
    me: &mut ClientContext,
    old: &User,
    new: &User,
) {
    if new.selectors.iter().any(Selector::all_channels) {
        return;
    }
    let allowed: Vec<Vec<u8>> = new
        .selectors
        .iter()
        .flat_map(|s| s.channels().iter().cloned())
        .collect();
    let kept = old
        .selectors
        .iter()
        .flat_map(|s| s.channels())
        .all(|c| allowed.contains(c));
    if kept {
        return;
    }
    for c in shared.clients.snapshot() {
        if c.state().user != old.name {
            continue;
        }
        let (channels, patterns) = shared.pubsub.subscriptions_of(c.id);
        let revoked = patterns.iter().any(|p| !channel_listed(&allowed, p, true))
            || channels
                .iter()
                .any(|ch| !channel_listed(&allowed, ch, false));
        if !revoked {
            continue;
        }
        if c.id == me.id {
            me.close_after_reply = true;
        } else {
            c.kill();
        }
    }
}
