//! The dispatcher: looks a request up, checks it, takes the right guard, runs it, logs it.
//!
//! Go original: `internal/commands/dispatcher.go` (`DispatchWithContext`). Explained in: book
//! chapters 3 and 7.
//!
//! Everything that must happen around every command happens here, once: the arity check, the
//! `MULTI` queue, the choice of read or write guard, sending a write's effects to the AOF while
//! the write guard is still held, marking `WATCH`ed keys, and waiting for the fsync of
//! `appendfsync always` only after the guard is released.

use std::time::Instant;

use super::effects::Notification;
use super::errors::{DEBUG_NOT_ALLOWED, unknown_command};
use super::registry::{CommandSpec, Handler, flags};
use super::registry::{change_keys, db_number};
use super::{BlockOn, Change, Context, Effects, ReadContext, Shared, blocking, scripting::Guarded};
use crate::config::KeyspaceEvents;
use crate::engine::store::{Store, now_ms};

use crate::protocol::resp::Value;

pub use super::client::{ClientContext, ReplyMode};

// ANCHOR: dispatch
/// Runs one request for `client` and returns its reply.
pub fn dispatch(shared: &Shared, client: &mut ClientContext, argv: &[Vec<u8>]) -> Value {
    // Go parity: go-redis answered `QUEUED` to an unknown command inside MULTI; here it is refused
    // at once and the transaction is marked, so EXEC answers EXECABORT, as in Redis.
    let Some(spec) = shared.registry.lookup(&argv[0]) else {
        client.multi_error |= client.multi.is_some();
        return shared.rejected(client, None, unknown_command(argv));
    };
    let reject =
        |client: &mut ClientContext, name, refusal| reject(shared, client, spec, name, refusal);
    if !spec.arity_ok(argv.len()) {
        return reject(client, Some(spec.name), Value::wrong_arity(spec.name));
    }
    let name = match spec.full_name(argv) {
        Ok(name) => name,
        Err((name, refusal)) => return reject(client, name, refusal),
    };
    if spec.has(flags::PROTECTED) && !shared.debug_allowed(client) {
        return reject(client, Some(name), Value::error(DEBUG_NOT_ALLOWED));
    }
    if !client.authenticated && !spec.has(flags::NO_AUTH) {
        return reject(
            client,
            Some(name),
            Value::error("NOAUTH Authentication required."),
        );
    }
    if let Some(refusal) = super::acl::check(shared, client, spec, name, argv) {
        return reject(client, Some(name), refusal);
    }
    if client.in_pubsub_mode() && !spec.has(flags::PUBSUB_OK) {
        let refusal = Value::error_owned(format!(
            "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
             RESET \
             are allowed in this context"
        ));
        return reject(client, Some(name), refusal);
    }
    // Refused before queueing, as Redis does: a write that cannot be logged, or data past
    // `maxmemory`, must not slip into a transaction and run at EXEC; EXEC itself is judged by
    // what it would run, since the server may have changed since the commands were queued.
    let is_exec = spec.has(flags::RUNS_IN_MULTI) && spec.name == "exec";
    let (state_flags, queued) = match &client.multi {
        Some(queue) if is_exec => (exec_flags(shared, queue), false),
        multi => (
            super::scripting::flags_of(shared, spec, argv),
            multi.is_some() && !spec.has(flags::RUNS_IN_MULTI),
        ),
    };
    let refused = || (!client.is_master).then(|| shared.refuses(state_flags, queued));
    if let Some(refusal) = super::scripting::busy(shared, name).or_else(|| refused().flatten()) {
        return reject(client, Some(name), refusal);
    }
    if client.multi.is_some() && spec.has(flags::NO_MULTI) {
        return reject(
            client,
            Some(name),
            Value::error("ERR Command not allowed inside a transaction"),
        );
    }
    // The last check, as in Redis: a paused command waits here for the pause's end.
    if !super::pause::let_through(shared, client, state_flags) {
        return Value::NullArray; // the client is gone; nobody reads this
    }
    if let Some(queue) = client.multi.as_mut()
        && !spec.has(flags::RUNS_IN_MULTI)
    {
        queue.push(argv.to_vec());
        return Value::simple("QUEUED");
    }
    // Redis shows a command to `MONITOR` once it ran, so `EXEC` follows the commands it ran
    // (fed from `exec`); others are shown before they run, so a blocking pop shows at once.
    if !is_exec {
        shared.monitor_feed(client, argv);
    }
    let started = Instant::now();
    let reply = execute(shared, client, spec, argv);
    shared.rdb.after_command(&shared.store);
    if is_exec {
        shared.monitor_feed(client, argv);
    }
    shared.after_command(client, spec, name, argv, started, &reply);
    reply
}
// ANCHOR_END: dispatch

/// Refuses a command before it runs, as Redis's `rejectCommand` does: a transaction being
/// queued is marked, so its `EXEC` aborts, and a refused `EXEC` aborts the transaction at once
/// (with or without one, Redis words its refusal the same way).
fn reject(
    shared: &Shared,
    client: &mut ClientContext,
    spec: &CommandSpec,
    name: Option<&'static str>,
    refusal: Value,
) -> Value {
    if let (true, Value::Error(e)) = (spec.name == "exec", &refusal) {
        client.multi = None;
        client.multi_error = false;
        if !client.watched.is_empty() {
            client.unwatch_all(&mut shared.write_store().watch);
        }
        // Redis drops the `ERR` of the refusals it words itself (arity), and keeps any other
        // code (`NOAUTH`, `NOPERM`, `OOM`, `READONLY`).
        let e = e.strip_prefix("ERR ").unwrap_or(e);
        let abort = format!("EXECABORT Transaction discarded because of: {e}");
        return shared.rejected(client, name, Value::error_owned(abort));
    }
    client.multi_error |= client.multi.is_some();
    shared.rejected(client, name, refusal)
}

/// The flags `EXEC` is judged by: a write, or a command that may add data, if any queued
/// command is one; safe on a stale replica only if every queued command is.
fn exec_flags(shared: &Shared, queue: &[Vec<Vec<u8>>]) -> u32 {
    let (mut any, mut all) = (0, flags::STALE);
    for (spec, argv) in queue
        .iter()
        .filter_map(|argv| Some((shared.registry.lookup(&argv[0])?, argv)))
    {
        let flags = super::scripting::flags_of(shared, spec, argv);
        (any, all) = (any | flags, all & flags);
    }
    (any & !flags::STALE) | all
}

// ANCHOR: execute
/// Runs one command outside a transaction, taking the guard its handler needs.
fn execute(
    shared: &Shared,
    client: &mut ClientContext,
    spec: &CommandSpec,
    argv: &[Vec<u8>],
) -> Value {
    let args = &argv[1..];
    match spec.handler {
        Handler::Client(_) => invoke(spec, args, Call::new(shared, client, 0), Access::None).0,
        Handler::Script(_) => super::scripting::execute(shared, client, spec, argv),
        Handler::Read(_) => {
            let store = shared.read_store();
            let now = clock(client);
            let events = shared.pubsub.keyspace_events();
            let reply = invoke(
                spec,
                args,
                Call::new(shared, client, now),
                Access::Read(&store),
            )
            .0;
            let found_expired = store.db(client.db).has_found_expired();
            if events.has(LOOKUP_EVENTS) {
                tell_lookups(shared, store, spec, argv, client.db, now, events);
            } else {
                drop(store);
            }
            // Nothing expires while clients are paused (see `pause`).
            if found_expired && !shared.pause.active(now) {
                expire_found(shared, client.db, now);
            }
            reply
        }
        Handler::Write(_) => loop {
            let mut store = shared.write_store();
            let now = clock(client);
            let mut effects = Effects::new(
                wants_effects(shared, &store),
                client.db,
                shared.pubsub.keyspace_events(),
            );
            let (reply, block) = invoke(
                spec,
                args,
                Call::new(shared, client, now),
                Access::Write(&mut store, &mut effects),
            );
            if effects.notifies(KeyspaceEvents::EXPIRED) {
                look_up(&mut effects, &mut store, client.db, spec, argv, now, false);
            }
            let ticket = commit(shared, &mut store, now, effects, false);
            let Some(block) = block else {
                drop(store);
                shared.aof.wait(ticket);
                return reply;
            };
            // A blocking command found nothing: register while the guard is still held, so no
            // push can slip in between the check and the registration, then wait without it.
            let waiter = shared
                .blocking
                .register(&client.handle, client.db, &block, argv);
            drop(store);
            // `CLIENT LIST` shows the command a client waits in (blocking ones are never
            // containers, so the name is the full one).
            client.handle.state().last_cmd = spec.name;
            // Messages this pipeline published must not wait for this client's wait to end.
            super::pubsub::Delivery::before_blocking();
            match blocking::wait(shared, client, waiter, &block) {
                blocking::Woken::Served(value) => return value,
                // A nil array, as Redis answers a blocking command's timeout.
                blocking::Woken::TimedOut => return Value::NullArray,
                blocking::Woken::Retry => continue,
            }
        },
    }
}
// ANCHOR_END: execute

// ANCHOR: clock
/// The time `client`'s command runs at, in Unix ms. On a replica, its master's commands run
/// with the clock stopped at 0, as a replay of the AOF does: expiry is the master's to decide,
/// and its `DEL`s follow in the stream. A key whose deadline passed here but whose `DEL` has not
/// come yet must still be there for the master's next command (an `RPUSH`, a `RENAME`), or the
/// replica would stop being a copy; Redis's replica never expires a key for its master either.
/// The master sends every deadline as an absolute time, so no command needs the clock to make one.
fn clock(client: &ClientContext) -> u64 {
    if client.is_master { 0 } else { now_ms() }
}
// ANCHOR_END: clock

/// Who runs a command, and when: the parts of a handler's context that do not depend on the
/// guard.
pub struct Call<'a> {
    shared: &'a Shared,
    client: &'a mut ClientContext,
    now: u64,
    in_exec: bool,
}

impl<'a> Call<'a> {
    /// `client` runs a command at `now` (Unix ms), outside a transaction.
    pub fn new(shared: &'a Shared, client: &'a mut ClientContext, now: u64) -> Self {
        Call {
            shared,
            client,
            now,
            in_exec: false,
        }
    }

    /// Inside `EXEC` (or a replay): blocking commands answer at once instead of blocking.
    pub fn in_exec(mut self) -> Self {
        self.in_exec = true;
        self
    }
}

/// The store as the caller holds it.
pub enum Access<'s> {
    /// No guard: for client-only handlers.
    None,
    /// The read guard.
    Read(&'s Store),
    /// The write guard, and where the command's effects go.
    Write(&'s mut Store, &'s mut Effects),
}

// ANCHOR: invoke
/// Builds the context a handler's kind asks for and runs it: the one place a [`Context`] or a
/// [`ReadContext`] is made, for live commands, `EXEC` and replay alike. Returns the reply and,
/// for a blocking command that found nothing, what it waits for.
// `inline`: every command passes through here, and as a call of its own it cost measurably more
// instructions per command (the Benchmarks chapter, "What the layers cost").
#[inline]
pub fn invoke(
    spec: &CommandSpec,
    args: &[Vec<u8>],
    call: Call<'_>,
    access: Access<'_>,
) -> (Value, Option<BlockOn>) {
    let Call {
        shared,
        client,
        now,
        in_exec,
    } = call;
    // A tracking client's keys are noted under the same guard as the read (`tracking`).
    if client.tracking && matches!(spec.handler, Handler::Read(_)) {
        shared.tracking.remember(client, spec.name, args);
    }
    match (spec.handler, access) {
        (Handler::Client(f), _) => (f(shared, client, args), None),
        (Handler::Read(f), Access::Read(store)) => (
            f(&mut ReadContext::new(store, now, shared, client), args),
            None,
        ),
        (Handler::Read(f), Access::Write(store, _)) => (
            f(&mut ReadContext::new(store, now, shared, client), args),
            None,
        ),
        (Handler::Script(f), Access::Write(store, effects)) => (
            f(Guarded::new(shared, client, store, effects, now), args),
            None,
        ),
        (Handler::Write(f), Access::Write(store, effects)) => {
            effects.select(client.db);
            let mut ctx = Context::new(store, now, shared, client, in_exec, effects);
            let reply = f(&mut ctx, args);
            (reply, ctx.block.take())
        }
        // The callers above pick the guard by the handler's kind; a write without the write
        // guard would be a bug here, so it is refused rather than run.
        (Handler::Write(_) | Handler::Read(_) | Handler::Script(_), _) => (
            Value::error("ERR internal: command run without its guard"),
            None,
        ),
    }
}
// ANCHOR_END: invoke

/// True if a write's effects have a reader: the AOF, a replica, a `WATCH`er, a blocked client or
/// a tracking one. Checked under the write guard, so none can appear before the `commit`.
pub fn wants_effects(shared: &Shared, store: &Store) -> bool {
    shared.aof.is_enabled()
        || shared.backlog.is_active()
        || !store.watch.is_empty()
        || shared.blocking.has_waiters()
        || shared.tracking.is_active()
}

/// The classes a key lookup can tell of: `x` and `m`.
const LOOKUP_EVENTS: KeyspaceEvents =
    KeyspaceEvents(KeyspaceEvents::EXPIRED.0 | KeyspaceEvents::KEY_MISS.0);

// ANCHOR: expire_found_now
/// The expired keys a read came across are deleted at once, with their `DEL`s, as Redis's
/// lookup deletes them, *if the write guard is free*: `try_write` never queues, so when the lock
/// is busy (a million keys expiring, and every client reading them) no reader turns into a
/// waiting writer, and the expirer deletes them at its next cycle instead.
#[cold]
fn expire_found(shared: &Shared, db: usize, now: u64) {
    let mut store = match shared.store.try_write() {
        Ok(guard) => guard,
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return,
    };
    store.db_mut(db).expire_found(now);
    let effects = Effects::new(
        wants_effects(shared, &store),
        db,
        shared.pubsub.keyspace_events(),
    );
    commit(shared, &mut store, now, effects, false);
}
// ANCHOR_END: expire_found_now

// ANCHOR: tell_lookups
/// After a read, what Redis tells of when a command looks its keys up: `expired` for a key whose
/// time had run out, `keymiss` (class `m`) for a key that is not there. Redis deletes an expired
/// key at the look; a read here holds only the read guard (design invariant 2), so one that
/// found such a key takes the write guard after it and deletes it there, re-checked, with its
/// `DEL` effect. Called only when one of the two classes is on.
#[cold]
fn tell_lookups(
    shared: &Shared,
    store: std::sync::RwLockReadGuard<'_, Store>,
    spec: &CommandSpec,
    argv: &[Vec<u8>],
    db: usize,
    now: u64,
    events: KeyspaceEvents,
) {
    let expired = |key: &[u8]| store.db(db).expires().get(key).is_some_and(|at| at <= now);
    let paused = shared.pause.active(now);
    if !events.has(KeyspaceEvents::EXPIRED) || paused || !spec.keys(argv).any(expired) {
        if events.has(KeyspaceEvents::KEY_MISS) {
            let notes: Vec<Notification> = spec
                .keys(argv)
                .filter(|key| !store.db(db).holds(key, now))
                .map(|key| Notification {
                    db,
                    event: "keymiss",
                    key: key.into(),
                })
                .collect();
            shared.pubsub.notify(events, &notes);
        }
        return;
    }
    drop(store);
    let mut store = shared.write_store();
    let mut effects = Effects::new(wants_effects(shared, &store), db, events);
    look_up(&mut effects, &mut store, db, spec, argv, now, true);
    // Nobody waits for an expiry's fsync, as with the expirer's.
    commit(shared, &mut store, now, effects, false);
}
// ANCHOR_END: tell_lookups

/// Looks up the keys `argv` names as Redis's lookup would, under the write guard: deletes each
/// one found expired (its `expired` is told by the next notification or the commit) and, for a
/// read (`misses`), tells of each one not there. A write's handler deletes what it changes, so
/// for a write this catches the keys it only looked at (`LPUSHX` on an expired list).
fn look_up(
    effects: &mut Effects,
    store: &mut Store,
    db: usize,
    spec: &CommandSpec,
    argv: &[Vec<u8>],
    now: u64,
    misses: bool,
) {
    let target = store.db_mut(db);
    for key in spec.keys(argv) {
        target.expire_if_needed(key, now);
        if misses && !target.holds(key, now) {
            // After the key's `expired`, if it had one: `notify` tells of that first.
            effects.notify(target, KeyspaceEvents::KEY_MISS, "keymiss", key);
        }
    }
}

// ANCHOR: commit
/// Finishes a write while its guard is held: publishes its keyspace notifications, turns
/// lazily expired keys into `DEL` effects, lets blocked clients take what was pushed, marks
/// watched keys, tells tracking clients and sends everything to the AOF (design invariants 4
/// and 8). Returns the AOF ticket to wait on after the guard is released.
pub fn commit(
    shared: &Shared,
    store: &mut Store,
    now: u64,
    mut effects: Effects,
    in_multi: bool,
) -> crate::persistence::Ticket {
    if effects.notifies_any() {
        shared.pubsub.notify_write(store, &mut effects);
    }
    shared.rdb.count_changes(effects.changes());
    let mut effects = effects.into_list();
    for value in store.take_expired_values() {
        shared.lazyfree.free_if(&shared.lazyfree.expire, value);
    }
    let expired = store.take_lazily_expired();
    if !expired.is_empty() {
        // The expiry happened before the command's own effects, so its DELs come first.
        let mut all: Vec<Change> = expired
            .into_iter()
            .map(|(db, k)| Change {
                db,
                effect: vec![b"DEL".to_vec(), k.into_vec()],
            })
            .collect();
        all.append(&mut effects);
        effects = all;
    }
    if shared.blocking.has_waiters() {
        blocking::serve(shared, store, now, &mut effects);
    }
    if effects.is_empty() {
        return crate::persistence::Ticket::NONE;
    }
    if !store.watch.is_empty() {
        touch_watched(shared, store, now, &effects);
    }
    if shared.tracking.is_active() {
        // Keys inside `EXEC` were told per command; prefixes are told once per write.
        shared
            .tracking
            .invalidate_here(shared, &effects, (!in_multi, true));
    }
    shared.backlog.append(&effects, in_multi);
    shared.aof.append(&effects, in_multi)
}
// ANCHOR_END: commit

/// Marks every watcher of every key a change wrote, in its database, and for `SWAPDB` every
/// watched key of the two databases that exists on either side. (The flushes mark theirs
/// themselves, while they can still see which watched keys existed.)
fn touch_watched(shared: &Shared, store: &Store, now: u64, changes: &[Change]) {
    for change in changes {
        let effect = &change.effect;
        let name = effect[0].to_ascii_uppercase();
        match name.as_slice() {
            // The flushes touched their watched keys before the keys were gone.
            b"FLUSHALL" | b"FLUSHDB" => {}
            b"SWAPDB" => {
                let swapped: Vec<usize> = effect[1..].iter().filter_map(|a| db_number(a)).collect();
                if let [a, b] = swapped[..] {
                    // Live keys only: an expired one swapped for nothing changed nothing.
                    let exists = |db: usize, key: &[u8]| store.db(db).contains(key, now);
                    store.watch.touch_where(|db, key| {
                        (db == a || db == b) && (exists(a, key) || exists(b, key))
                    });
                }
            }
            _ => change_keys(&shared.registry, change, |db, key| {
                store
                    .watch
                    .touch(db, key, || !store.db(db).contains(key, now))
            }),
        }
    }
}

// ANCHOR: exec
/// `EXEC`: runs the queued commands under one write guard, so no other client's command can
/// run in between (design invariant 8), and logs their effects as one `MULTI` … `EXEC` block.
pub fn exec(shared: &Shared, client: &mut ClientContext) -> Value {
    let Some(queue) = client.multi.take() else {
        return Value::error("ERR EXEC without MULTI");
    };
    let aborted = std::mem::take(&mut client.multi_error);
    // Go parity: go-redis re-dispatched the queued commands one by one, each taking the lock
    // itself, so other clients could run in between; one guard for the whole queue makes EXEC
    // atomic (design invariant 8).
    let mut store = shared.write_store();
    let now = clock(client);
    if aborted {
        client.unwatch_all(&mut store.watch);
        return Value::error("EXECABORT Transaction discarded because of previous errors.");
    }
    if client.watch_failed(&store, now) {
        client.unwatch_all(&mut store.watch);
        return Value::NullArray;
    }
    client.unwatch_all(&mut store.watch);
    // Fixed for the whole batch: nobody can WATCH or block while this guard is held.
    let mut effects = Effects::new(
        wants_effects(shared, &store),
        client.db,
        shared.pubsub.keyspace_events(),
    );
    let mut replies = Vec::with_capacity(queue.len());
    client.in_exec = true;
    for argv in &queue {
        // Queue time checked name and arity, so the lookup succeeds.
        let Some(spec) = shared.registry.lookup(&argv[0]) else {
            replies.push(unknown_command(argv));
            continue;
        };
        if let Some(refusal) = super::acl::recheck(shared, client, spec, argv) {
            replies.push(refusal);
            continue;
        }
        shared.monitor_feed(client, argv);
        let started = Instant::now();
        let mark = effects.len();
        let call = Call::new(shared, client, now).in_exec();
        let (reply, _) = invoke(
            spec,
            &argv[1..],
            call,
            Access::Write(&mut store, &mut effects),
        );
        // A read in a transaction looks its keys up under this write guard.
        let read = matches!(spec.handler, Handler::Read(_));
        if effects.notifies(if read {
            LOOKUP_EVENTS
        } else {
            KeyspaceEvents::EXPIRED
        }) {
            look_up(&mut effects, &mut store, client.db, spec, argv, now, read);
        }
        effects.expired_before(mark, &mut store);
        if shared.tracking.is_active() {
            // Told per command, as Redis tells at each change: a later read re-tracks its key.
            shared
                .tracking
                .invalidate_here(shared, effects.since(mark), (true, false));
        }
        // Queue time checked the subcommand too, so the name is the one it was queued under.
        let name = spec.full_name(argv).unwrap_or(spec.name);
        shared.after_queued(client, spec, name, argv, started, &reply);
        replies.push(reply);
    }
    client.in_exec = false;
    let ticket = commit(shared, &mut store, now, effects, true);
    drop(store);
    shared.aof.wait(ticket);
    Value::Array(replies)
}
// ANCHOR_END: exec
