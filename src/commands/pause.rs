//! `CLIENT PAUSE`: holding clients' commands back for a while, without refusing them.
//!
//! Go original: none (go-redis had no `CLIENT PAUSE`). Explained in: book "Talking to real
//! clients", "Pausing clients".
//!
//! An operator pauses a primary before promoting one of its replicas: for the pause, nothing
//! changes the data, so the replica can catch up to the last byte. Redis 7.0 does it this way:
//! a paused client's command is not refused but postponed (`blockPostponeClient`): it runs when
//! the pause ends, by its timeout or by `CLIENT UNPAUSE`. `WRITE` pauses only what may change
//! the data or reach the replication stream (write commands, `PUBLISH`, an `EXEC` with such a
//! command queued); `ALL` pauses every command, `CLIENT UNPAUSE` included. While any pause
//! lasts, keys do not expire either: a read of a key whose time ran out answers nil but leaves
//! it where it is, and the sweeper rests, so the dataset is still while the clients are.
//!
//! Here, a paused command's own thread waits on a condition variable just before it runs, with
//! no lock of the store held: the dispatcher calls [`let_through`] after every check that can
//! refuse the command (so a wrong arity is answered at once, as in Redis) and before queueing
//! or running it. With no pause in force that costs one relaxed atomic load.
//!
//! One difference: Redis resumes its postponed clients in the order they were paused; here they
//! all wake together and take the store's lock in whatever order the scheduler gives them.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::blocking::{POLL, peer_gone};
use super::registry::flags;
use super::{ClientContext, Shared};
use crate::engine::store::now_ms;

/// What a pause holds back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PauseKind {
    /// Commands that may write or reach the replication stream (`CLIENT PAUSE ... WRITE`).
    Write = 1,
    /// Every command (`CLIENT PAUSE ...` or `... ALL`).
    All = 2,
}

/// No pause in force, in [`Pause`]'s `level`.
const NONE: u8 = 0;

// ANCHOR: pause
/// The pause in force, if any, and the clients waiting for it to end.
#[derive(Default)]
pub struct Pause {
    /// `NONE`, or the [`PauseKind`] in force as a number: the one load every command pays.
    level: AtomicU8,
    /// The kind and the end, changed only with this mutex held; `level` mirrors the kind.
    state: Mutex<State>,
    /// Notified when the pause ends or becomes less strict.
    lifted: Condvar,
    /// Clients waiting now (they count in `INFO`'s `blocked_clients`, as in Redis).
    waiting: AtomicUsize,
}
// ANCHOR_END: pause

#[derive(Default)]
struct State {
    /// `NONE` or a [`PauseKind`].
    kind: u8,
    /// When the pause ends, in Unix ms.
    end: u64,
}

impl State {
    /// True if this pause holds back a command that may write (`writes`) or not.
    fn holds(&self, writes: bool) -> bool {
        self.kind == PauseKind::All as u8 || (self.kind == PauseKind::Write as u8 && writes)
    }
}

impl Pause {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is two plain numbers, always whole: a panic elsewhere leaves nothing broken.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `CLIENT PAUSE`: pauses `kind` until `end` (Unix ms). A pause already in force keeps the
    /// stricter kind and the later end of the two, as in Redis.
    pub fn pause(&self, kind: PauseKind, end: u64) {
        let mut st = self.lock();
        if st.kind == NONE {
            st.end = end;
        } else {
            st.end = st.end.max(end);
        }
        st.kind = st.kind.max(kind as u8);
        self.level.store(st.kind, Ordering::Relaxed);
    }

    /// `CLIENT UNPAUSE`, or the end of the pause's time: every waiting client runs its command.
    pub fn unpause(&self) {
        let mut st = self.lock();
        self.end(&mut st);
    }

    fn end(&self, st: &mut State) {
        st.kind = NONE;
        st.end = 0;
        self.level.store(NONE, Ordering::Relaxed);
        self.lifted.notify_all();
    }

    /// True while a pause of any kind is in force at `now` (Unix ms): keys must not expire then.
    /// A pause whose time has passed ends here, as Redis's `checkClientPauseTimeoutAndReturnIfPaused`
    /// ends it at its next look.
    pub fn active(&self, now: u64) -> bool {
        if self.level.load(Ordering::Relaxed) == NONE {
            return false;
        }
        let mut st = self.lock();
        if st.kind != NONE && st.end <= now {
            self.end(&mut st);
        }
        st.kind != NONE
    }

    /// Clients waiting for the pause to end.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
}

/// True if a command with these flags may write or reach the replication stream: what a
/// `WRITE` pause holds back (Redis's `CMD_WRITE | CMD_MAY_REPLICATE`).
fn writes(command_flags: u32) -> bool {
    command_flags & (flags::WRITE | flags::MAY_REPLICATE) != 0
}

// ANCHOR: let_through
/// Called by the dispatcher just before a command with `command_flags` runs or is queued (for
/// `EXEC`, the flags of all it would run): waits, holding no lock of the store, while a pause
/// holds such a command back. Returns false if the client went away meanwhile: the command
/// must then not run.
#[inline]
pub fn let_through(shared: &Shared, client: &ClientContext, command_flags: u32) -> bool {
    let level = shared.pause.level.load(Ordering::Relaxed);
    if level == NONE || (level == PauseKind::Write as u8 && !writes(command_flags)) {
        return true;
    }
    wait(shared, client, writes(command_flags))
}
// ANCHOR_END: let_through

/// The slow path of [`let_through`]: sleeps on the pause's condition variable until the pause
/// ends or lets this command through. It wakes every [`POLL`] to see whether its client hung up
/// or was killed (its thread reads nothing meanwhile, so it cannot tell otherwise), as a
/// blocked `BLPOP` does. `CLIENT UNBLOCK` does not reach it: only the pause's end does, as in
/// Redis.
#[cold]
fn wait(shared: &Shared, client: &ClientContext, writes: bool) -> bool {
    let pause = &shared.pause;
    let handle = &client.handle;
    // A client waiting is not running: what was held behind its reply goes now.
    if let Some(outbox) = &client.outbox {
        outbox.release();
    }
    pause.waiting.fetch_add(1, Ordering::Relaxed);
    // `CLIENT LIST` shows the wait as flag `b`, as Redis does.
    handle.blocked.store(true, Ordering::Relaxed);
    let mut st = pause.lock();
    let stays = loop {
        let now = now_ms();
        if st.kind != NONE && st.end <= now {
            pause.end(&mut st);
        }
        if !st.holds(writes) {
            break true;
        }
        // Non-blocking looks, so they may run under the pause's mutex.
        if shared.shutting_down.load(Ordering::Relaxed)
            || handle.killed.load(Ordering::Relaxed)
            || handle.stream.as_deref().is_some_and(peer_gone)
        {
            break false;
        }
        let nap = POLL.min(Duration::from_millis(st.end - now));
        st = pause
            .lifted
            .wait_timeout(st, nap)
            .map(|(g, _)| g)
            .unwrap_or_else(|p| p.into_inner().0);
    };
    drop(st);
    handle.blocked.store(false, Ordering::Relaxed);
    pause.waiting.fetch_sub(1, Ordering::Relaxed);
    stays
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_pause_keeps_the_stricter_kind_and_the_later_end() {
        let pause = Pause::default();
        pause.pause(PauseKind::All, 2_000);
        pause.pause(PauseKind::Write, 1_000);
        {
            let st = pause.lock();
            assert_eq!((st.kind, st.end), (PauseKind::All as u8, 2_000));
        }
        pause.pause(PauseKind::Write, 3_000);
        let st = pause.lock();
        assert_eq!((st.kind, st.end), (PauseKind::All as u8, 3_000));
    }

    #[test]
    fn a_pause_ends_at_its_time_or_at_unpause() {
        let pause = Pause::default();
        assert!(!pause.active(0));
        pause.pause(PauseKind::Write, 1_000);
        assert!(pause.active(999));
        assert!(!pause.active(1_000));
        assert_eq!(pause.level.load(Ordering::Relaxed), NONE);
        pause.pause(PauseKind::All, u64::MAX);
        assert!(pause.active(5_000));
        pause.unpause();
        assert!(!pause.active(5_000));
    }

    #[test]
    fn a_write_pause_holds_only_what_may_write() {
        let st = State {
            kind: PauseKind::Write as u8,
            end: 1,
        };
        assert!(st.holds(true));
        assert!(!st.holds(false));
        assert!(writes(flags::WRITE));
        assert!(writes(flags::MAY_REPLICATE | flags::PUBSUB));
        assert!(!writes(flags::READONLY | flags::FAST));
        let all = State {
            kind: PauseKind::All as u8,
            end: 1,
        };
        assert!(all.holds(false));
    }
}
