//! Client-side caching: which clients read which keys (`CLIENT TRACKING`), and the invalidation
//! messages they get when those keys change.
//!
//! Go original: none (go-redis had no client-side caching). Explained in: book "Talking to real
//! clients", "Client-side caching".
//!
//! A client that keeps copies of values it read must learn when they go stale. With tracking on,
//! the server remembers, for each key a read-only command of that client looked at, that the
//! client may hold a copy; the next write to the key (or its expiry, or a flush) sends the
//! client an invalidation, and the key is forgotten until the client reads it again. In RESP3
//! that is a push frame, `>2 invalidate [key]`, on the client's own connection; a RESP2
//! connection cannot take pushes, so it names another connection (`REDIRECT id`) that has
//! subscribed, and the invalidation arrives there as a message on `__redis__:invalidate`.
//! `BCAST` inverts the bookkeeping: nothing is remembered per key, and the client hears of every
//! change to keys under the prefixes it registered, in one message per prefix per write.
//!
//! # Where it runs
//! - **Remembering** happens while the read runs under the store's read guard
//!   ([`Tracking::remember`], from `dispatcher::invoke`): a write cannot slip in between the read
//!   and the note that the client holds a copy, or the client would keep a stale value for good.
//! - **Invalidating** happens in `dispatcher::commit`, under the write guard, from the same list of
//!   changes the AOF and `WATCH` read, so every write, expiry included, is covered once. The
//!   messages go into the receivers' outboxes (`commands::pubsub`): no socket is written under
//!   the guard. A message for a client that is running a command (its own, which made the
//!   change, or another that runs at the same time on its own thread) waits behind that
//!   command's reply: in Redis, with one thread, no message can land inside a reply either.
//! - When nobody tracks, a write pays one relaxed atomic load ([`Tracking::is_active`]).
//!
//! A RESP3 client receives pushes through its outbox, which it creates when it turns tracking on;
//! a redirection target must have one too, by subscribing (RESP2, as Redis requires) or by
//! tracking. Redis also pushes to a RESP3 target that did neither; here such a target gets
//! nothing, because its connection thread is blocked reading and no other thread may write to
//! its socket.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::keyspecs;
use super::pubsub::Outbox;
use super::registry::change_keys;
use super::{Change, ClientContext, Shared};
use crate::protocol::resp::{Protocol, Value};

/// `CLIENT TRACKING on` options besides `REDIRECT` and `PREFIX`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// `BCAST`: hear of every change under the prefixes, remember nothing per key.
    pub bcast: bool,
    /// `OPTIN`: remember only the keys of a command right after `CLIENT CACHING yes`.
    pub optin: bool,
    /// `OPTOUT`: remember every key except those of a command right after `CLIENT CACHING no`.
    pub optout: bool,
    /// `NOLOOP`: not told of the changes this client makes itself.
    pub noloop: bool,
}

/// One tracking client.
struct Tracker {
    options: Options,
    /// Where its invalidations go: another client's id, or 0 for its own connection.
    redirect: u64,
    /// The redirection target went away (`tracking-redir-broken`).
    broken: bool,
    /// Its `BCAST` prefixes.
    prefixes: BTreeSet<Vec<u8>>,
    /// Its own outbox, for its own invalidations and `tracking-redir-broken`.
    outbox: Arc<Outbox>,
}

// ANCHOR: tracking_table
/// The tracking table.
#[derive(Default)]
struct Table {
    /// Key → the clients that read it since it last changed. Keys are names alone, whatever the
    /// database, as in Redis.
    keys: HashMap<Vec<u8>, HashSet<u64>>,
    /// Sum of the sets' sizes (`tracking_total_items`).
    items: usize,
    /// `BCAST` prefix → the clients registered for it.
    prefixes: BTreeMap<Vec<u8>, HashSet<u64>>,
    /// Every client with tracking on.
    trackers: HashMap<u64, Tracker>,
}
// ANCHOR_END: tracking_table

/// Client-side caching's state: the table, and how many clients track.
#[derive(Default)]
pub struct Tracking {
    /// Clients with tracking on: the check every write pays.
    clients: AtomicUsize,
    /// `tracking-table-max-keys` (0: no limit).
    max_keys: AtomicUsize,
    table: Mutex<Table>,
}

thread_local! {
    /// The client whose connection thread this is (0 on other threads): a change made here is
    /// that client's own, for `NOLOOP` and for messages that wait behind its reply.
    static CURRENT: Cell<u64> = const { Cell::new(0) };
}

/// Marks the calling thread as client `id`'s connection thread.
pub fn set_current(id: u64) {
    CURRENT.with(|c| c.set(id));
}

/// Figures for `INFO`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrackingStats {
    /// `tracking_clients`.
    pub clients: usize,
    /// `tracking_total_keys`.
    pub keys: usize,
    /// `tracking_total_items`.
    pub items: usize,
    /// `tracking_total_prefixes`.
    pub prefixes: usize,
}

/// What an invalidation names: keys, or everything (a flush, sent as null).
enum Invalidated<'a> {
    Keys(&'a [&'a [u8]]),
    All,
}

/// True if one of two prefixes starts the other: Redis refuses such pairs for one client, as
/// every key under the longer would be reported twice.
fn overlap(a: &[u8], b: &[u8]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

impl Tracking {
    fn lock(&self) -> MutexGuard<'_, Table> {
        // Every change to the table completes before the guard drops; a panic elsewhere
        // leaves it whole.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// True while any client tracks: the one relaxed load a write pays when nobody does.
    #[inline]
    pub fn is_active(&self) -> bool {
        self.clients.load(Ordering::Relaxed) > 0
    }

    // ANCHOR: enable
    /// `CLIENT TRACKING on ...` for `client`, after its options were read: checks them against
    /// each other and against the client's current mode, as Redis does, and turns tracking on
    /// (again). `BCAST` prefixes add to those already registered.
    ///
    /// # Errors
    /// Redis's error reply for options that do not go together.
    pub fn enable(
        &self,
        shared: &Shared,
        client: &mut ClientContext,
        redirect: u64,
        options: Options,
        prefixes: &[Vec<u8>],
    ) -> Result<(), Value> {
        if !options.bcast && !prefixes.is_empty() {
            return Err(Value::error(
                "ERR PREFIX option requires BCAST mode to be enabled",
            ));
        }
        let mut table = self.lock();
        let current = table.trackers.get(&client.id);
        if let Some(t) = current
            && t.options.bcast != options.bcast
        {
            return Err(Value::error(
                "ERR You can't switch BCAST mode on/off before disabling tracking for this \
                 client, and then re-enabling it with a different mode.",
            ));
        }
        if options.bcast && (options.optin || options.optout) {
            return Err(Value::error(
                "ERR OPTIN and OPTOUT are not compatible with BCAST",
            ));
        }
        if options.optin && options.optout {
            return Err(Value::error(
                "ERR You can't specify both OPTIN mode and OPTOUT mode",
            ));
        }
        if let Some(t) = current
            && ((options.optin && t.options.optout) || (options.optout && t.options.optin))
        {
            return Err(Value::error(
                "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this \
                 client, and then re-enabling it with a different mode.",
            ));
        }
        if options.bcast {
            let existing = current.map(|t| &t.prefixes);
            check_prefixes(existing, prefixes)?;
        }
        let outbox = shared.pubsub.outbox_of(client);
        let old = table.trackers.remove(&client.id);
        if old.is_none() {
            self.clients.fetch_add(1, Ordering::Relaxed);
        }
        let mut mine = old.map_or_else(BTreeSet::new, |t| t.prefixes);
        if options.bcast {
            let wanted: Vec<Vec<u8>> = if prefixes.is_empty() {
                vec![Vec::new()]
            } else {
                prefixes.to_vec()
            };
            for prefix in wanted {
                table
                    .prefixes
                    .entry(prefix.clone())
                    .or_default()
                    .insert(client.id);
                mine.insert(prefix);
            }
        }
        let tracker = Tracker {
            options,
            redirect,
            broken: false,
            prefixes: mine,
            outbox,
        };
        table.trackers.insert(client.id, tracker);
        client.tracking = true;
        client.handle.state().tracking = Some((redirect, options.bcast, false));
        Ok(())
    }
    // ANCHOR_END: enable

    /// `CLIENT TRACKING off`, `RESET`, or a disconnect: forgets the client's mode and prefixes.
    /// Its ids stay in the key table until those keys change, as in Redis, and are skipped then;
    /// when the last tracker goes, the table is emptied, since nobody is left to tell (Redis
    /// keeps it until the next flush, which here, with nobody tracking, costs writes nothing).
    pub fn disable(&self, client: &mut ClientContext) {
        client.caching = false;
        if !std::mem::take(&mut client.tracking) {
            return;
        }
        client.handle.state().tracking = None;
        let mut table = self.lock();
        if let Some(t) = table.trackers.remove(&client.id) {
            self.clients.fetch_sub(1, Ordering::Relaxed);
            if table.trackers.is_empty() {
                table.keys = HashMap::new();
                table.items = 0;
            }
            for prefix in t.prefixes {
                if let Some(members) = table.prefixes.get_mut(&prefix) {
                    members.remove(&client.id);
                    if members.is_empty() {
                        table.prefixes.remove(&prefix);
                    }
                }
            }
        }
    }

    /// `CLIENT TRACKINGINFO` and `CLIENT GETREDIR`: the client's flags as Redis names them, its
    /// redirection (-1 with tracking off), and its prefixes.
    pub fn info(&self, client: &ClientContext) -> (Vec<&'static str>, i64, Vec<Vec<u8>>) {
        let table = self.lock();
        let Some(t) = table.trackers.get(&client.id) else {
            return (vec!["off"], -1, Vec::new());
        };
        let o = t.options;
        let mut flags = vec!["on"];
        let named = [
            (o.bcast, "bcast"),
            (o.optin, "optin"),
            (o.optin && client.caching, "caching-yes"),
            (o.optout, "optout"),
            (o.optout && client.caching, "caching-no"),
            (o.noloop, "noloop"),
            (t.broken, "broken_redirect"),
        ];
        flags.extend(named.iter().filter(|(on, _)| *on).map(|(_, name)| *name));
        let prefixes = t.prefixes.iter().cloned().collect();
        (flags, t.redirect as i64, prefixes)
    }

    /// The client's `OPTIN` / `OPTOUT` mode, for `CLIENT CACHING`; `None` with tracking off.
    pub fn options(&self, client: &ClientContext) -> Option<Options> {
        self.lock().trackers.get(&client.id).map(|t| t.options)
    }

    // ANCHOR: remember
    /// After a read-only command of `client` (`name` with `args`), still under the read
    /// guard: notes that the client may now hold a copy of each key it read. Not in `BCAST`
    /// mode, and in `OPTIN` / `OPTOUT` mode only as `CLIENT CACHING` decided.
    pub fn remember(&self, client: &ClientContext, name: &str, args: &[Vec<u8>]) {
        let Some(name) = keyspecs::resolve(name, args) else {
            return;
        };
        let mut table = self.lock();
        let Some(t) = table.trackers.get(&client.id) else {
            return;
        };
        let o = t.options;
        if o.bcast || (o.optin && !client.caching) || (o.optout && client.caching) {
            return;
        }
        let Ok(keys) = keyspecs::keys_of(name, args) else {
            return;
        };
        for key in keys {
            let word = &args[key.pos - 1];
            let ids = table.keys.entry(word.clone()).or_default();
            if ids.insert(client.id) {
                table.items += 1;
            }
        }
    }
    // ANCHOR_END: remember

    // ANCHOR: invalidate
    /// Under the write guard, after a write: tells the trackers of every key `changes` wrote,
    /// and everyone after a flush (`keys`), and the `BCAST` clients of each prefix those keys
    /// fall under, one message per prefix (`bcast`). `origin` is the client whose command made
    /// the changes (0: the server itself, expiring keys).
    pub fn invalidate(
        &self,
        shared: &Shared,
        changes: &[Change],
        origin: u64,
        (keys, bcast): (bool, bool),
    ) {
        let mut table = self.lock();
        // `BCAST` keys are gathered per prefix, with who changed them, and sent at the end:
        // one message per prefix per write.
        let mut broadcast: BTreeMap<Vec<u8>, Vec<(Vec<u8>, u64)>> = BTreeMap::new();
        for change in changes {
            let name = &change.effect[0];
            if name.eq_ignore_ascii_case(b"FLUSHALL") || name.eq_ignore_ascii_case(b"FLUSHDB") {
                if keys {
                    table.keys.clear();
                    table.items = 0;
                    let ids: Vec<u64> = table.trackers.keys().copied().collect();
                    for id in ids {
                        send(shared, &mut table, id, Invalidated::All, id == origin);
                    }
                }
                continue;
            }
            change_keys(&shared.registry, change, |_, key| {
                if bcast {
                    for (prefix, _) in table.prefixes.iter().filter(|(p, _)| key.starts_with(p)) {
                        let pending = broadcast.entry(prefix.clone()).or_default();
                        pending.push((key.to_vec(), origin));
                    }
                }
                let Some(ids) = table.keys.remove(key).filter(|_| keys) else {
                    return;
                };
                table.items -= ids.len();
                for id in ids {
                    let Some(options) = table.trackers.get(&id).map(|t| t.options) else {
                        continue;
                    };
                    // A client that switched to `BCAST` since it read the key is told by prefix.
                    if options.bcast || (options.noloop && id == origin) {
                        continue;
                    }
                    let what = Invalidated::Keys(&[key]);
                    send(shared, &mut table, id, what, id == origin);
                }
            });
        }
        for (prefix, pending) in broadcast {
            let ids: Vec<u64> = table
                .prefixes
                .get(&prefix)
                .into_iter()
                .flatten()
                .copied()
                .collect();
            for id in ids {
                let noloop = table.trackers.get(&id).is_some_and(|t| t.options.noloop);
                let told: Vec<&[u8]> = pending
                    .iter()
                    .filter(|(_, by)| !(noloop && *by == id))
                    .map(|(key, _)| key.as_slice())
                    .collect();
                if !told.is_empty() {
                    send(
                        shared,
                        &mut table,
                        id,
                        Invalidated::Keys(&told),
                        id == origin,
                    );
                }
            }
        }
    }
    // ANCHOR_END: invalidate

    /// [`Tracking::invalidate`] for changes made on this thread: by this thread's client.
    pub fn invalidate_here(&self, shared: &Shared, changes: &[Change], what: (bool, bool)) {
        self.invalidate(shared, changes, CURRENT.with(Cell::get), what);
    }

    /// Takes `tracking-table-max-keys` from the configuration (at start and at `CONFIG SET`).
    pub fn configure(&self, config: &crate::config::Config) {
        let max = config
            .kept
            .get("tracking-table-max-keys")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000);
        self.max_keys.store(max, Ordering::Relaxed);
    }

    // ANCHOR: enforce_limit
    /// `tracking-table-max-keys`: while the table remembers more keys than the limit, forgets
    /// keys, telling their trackers as if the keys had changed, so that what clients cache stays
    /// bounded by what the server can remember. Run by the server's cron and, as in Redis,
    /// before every command while anyone tracks: a lowered limit holds from the next command on,
    /// even one that is only queued by `MULTI`.
    pub fn enforce_limit(&self, shared: &Shared) {
        let max = self.max_keys.load(Ordering::Relaxed);
        if max == 0 || !self.is_active() {
            return;
        }
        let over: Vec<Vec<u8>> = {
            let table = self.lock();
            let excess = table.keys.len().saturating_sub(max);
            // A `HashMap`'s order is arbitrary: as good as Redis's random walk.
            table.keys.keys().take(excess).cloned().collect()
        };
        if over.is_empty() {
            return;
        }
        let changes: Vec<Change> = over
            .into_iter()
            .map(|key| Change {
                db: 0,
                effect: vec![b"DEL".to_vec(), key],
            })
            .collect();
        self.invalidate(shared, &changes, 0, (true, false));
    }
    // ANCHOR_END: enforce_limit

    /// Figures for `INFO`.
    pub fn stats(&self) -> TrackingStats {
        let table = self.lock();
        TrackingStats {
            clients: table.trackers.len(),
            keys: table.keys.len(),
            items: table.items,
            prefixes: table.prefixes.len(),
        }
    }
}

/// Checks new `BCAST` prefixes against the client's `existing` ones and against each other.
fn check_prefixes(existing: Option<&BTreeSet<Vec<u8>>>, new: &[Vec<u8>]) -> Result<(), Value> {
    let text = |p: &[u8]| String::from_utf8_lossy(p).into_owned();
    for (i, prefix) in new.iter().enumerate() {
        if let Some(old) = existing
            .into_iter()
            .flatten()
            .find(|old| overlap(old, prefix))
        {
            return Err(Value::error_owned(format!(
                "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single \
                 client must not overlap.",
                text(prefix),
                text(old)
            )));
        }
        if let Some(other) = new[i + 1..].iter().find(|other| overlap(prefix, other)) {
            return Err(Value::error_owned(format!(
                "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a \
                 single client must not overlap.",
                text(prefix),
                text(other)
            )));
        }
    }
    Ok(())
}

/// True if the client of `outbox` is in Pub/Sub mode (subscribed to anything).
fn subscribed(outbox: &Outbox) -> bool {
    let st = outbox.handle.state();
    st.sub + st.psub + st.ssub > 0
}

// ANCHOR: send
/// Sends one invalidation to tracker `id`: on its own connection in RESP3, or to the client it
/// redirects to (a push in RESP3, an `__redis__:invalidate` message to a RESP2 subscriber). A
/// redirection whose target is gone marks the tracker and, in RESP3, tells it so. `own`: the
/// tracker is the client whose command is running, so the message waits behind its reply.
fn send(shared: &Shared, table: &mut Table, id: u64, what: Invalidated<'_>, own: bool) {
    let Some(tracker) = table.trackers.get_mut(&id) else {
        return;
    };
    let tracker_protocol = tracker.outbox.protocol();
    let mut keys = Vec::new();
    match what {
        // A flush names no key: a null, in the tracker's own protocol, as Redis sends it.
        Invalidated::All if tracker_protocol == Protocol::Resp3 => keys.extend_from_slice(b"_\r\n"),
        Invalidated::All => keys.extend_from_slice(b"$-1\r\n"),
        Invalidated::Keys(names) => {
            keys.extend_from_slice(format!("*{}\r\n", names.len()).as_bytes());
            for name in names {
                keys.extend_from_slice(&Value::bulk(*name).to_resp2());
            }
        }
    }
    let (outbox, redirected) = if tracker.redirect == 0 {
        (Some(tracker.outbox.clone()), false)
    } else if shared
        .clients
        .get(tracker.redirect)
        .is_none_or(|c| c.killed.load(Ordering::Relaxed))
    {
        tracker.broken = true;
        if let Some(shown) = tracker.outbox.handle.state().tracking.as_mut() {
            shown.2 = true;
        }
        if tracker_protocol == Protocol::Resp3 {
            let frame = format!(
                ">2\r\n$21\r\ntracking-redir-broken\r\n:{}\r\n",
                tracker.redirect
            );
            shared
                .pubsub
                .deliver(&tracker.outbox, frame.as_bytes(), own);
        }
        return;
    } else {
        (shared.pubsub.outbox_by_id(tracker.redirect), true)
    };
    let Some(outbox) = outbox else {
        return;
    };
    let mut frame = Vec::new();
    if outbox.protocol() == Protocol::Resp3 {
        frame.extend_from_slice(b">2\r\n$10\r\ninvalidate\r\n");
    } else if redirected && subscribed(&outbox) {
        frame.extend_from_slice(b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n");
    } else {
        // RESP2 has no pushes: only a subscribed connection can be told anything.
        return;
    }
    frame.extend_from_slice(&keys);
    // Only the tracker's own connection runs the command that made the change.
    shared.pubsub.deliver(&outbox, &frame, own && !redirected);
}
// ANCHOR_END: send

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_that_start_one_another_overlap() {
        assert!(overlap(b"foo", b"foobar"));
        assert!(overlap(b"foobar", b"foo"));
        assert!(overlap(b"", b"x"));
        assert!(!overlap(b"foo", b"bar"));
        let mut existing = BTreeSet::new();
        existing.insert(b"FOO".to_vec());
        let err = check_prefixes(Some(&existing), &[b"FO".to_vec()]).unwrap_err();
        assert!(format!("{err:?}").contains("Prefix 'FO' overlaps with an existing prefix 'FOO'"));
        let err = check_prefixes(None, &[b"FOOBAR".to_vec(), b"FOO".to_vec()]).unwrap_err();
        assert!(
            format!("{err:?}").contains("'FOOBAR' overlaps with another provided prefix 'FOO'")
        );
        assert!(check_prefixes(None, &[b"a:".to_vec(), b"b:".to_vec()]).is_ok());
    }
}
