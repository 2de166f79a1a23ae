//! SIGINT and SIGTERM: the one place this crate calls C directly.
//!
//! Go original: `signal.Notify` in `cmd/server/main.go`. Explained in: book chapter
//! "Talking to real clients".
//!
//! Rust's standard library has no signal API, and the project takes no `libc` or
//! `signal-hook` dependency, so this module declares `signal(2)` itself. The handler does the
//! only thing a signal handler may safely do here: one store to a static `AtomicBool`. The
//! `cron` thread polls the flag every 100 ms and starts the same graceful shutdown as the
//! `SHUTDOWN` command, on an ordinary thread where locks, I/O and allocation are allowed.
//! The cost is up to 100 ms between the signal and the shutdown; the alternative, a self-pipe
//! that wakes a thread at once, needs `pipe(2)` and `write(2)` declared by hand as well.

#![allow(unsafe_code)]

use std::ffi::c_int;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the signal handler; read by the `cron` thread.
static REQUESTED: AtomicBool = AtomicBool::new(false);

/// `SIGINT`: Ctrl-C in the terminal.
const SIGINT: c_int = 2;
/// `SIGTERM`: `kill <pid>`, and what service managers send.
const SIGTERM: c_int = 15;
/// `signal(2)` answers this (`(sighandler_t) -1`) when it fails.
const SIG_ERR: usize = usize::MAX;

unsafe extern "C" {
    /// `sighandler_t signal(int signum, sighandler_t handler);` from the C library that std
    /// already links. The handler is passed as a function pointer and the old handler comes
    /// back as a pointer-sized integer, which is all we look at.
    fn signal(signum: c_int, handler: extern "C" fn(c_int)) -> usize;
}

/// The handler: one atomic store, which is async-signal-safe (no lock, no allocation).
extern "C" fn on_signal(_signum: c_int) {
    REQUESTED.store(true, Ordering::SeqCst);
}

// ANCHOR: install
/// Installs the SIGINT/SIGTERM handler. Call once, from `main`; tests never do, so a test
/// binary keeps the default behaviour of both signals.
///
/// # Errors
/// `signal(2)` refused (it does not for these two signals on any Unix).
pub fn install() -> std::io::Result<()> {
    for signum in [SIGINT, SIGTERM] {
        // SAFETY: `signal` is the C library's own, with the signature declared above
        // (`int`, `void (*)(int)`, returning the previous handler). `on_signal` is an
        // `extern "C" fn(c_int)` that lives for the whole program and only stores to an
        // atomic, so running it at any instruction of any thread cannot break an invariant.
        let previous = unsafe { signal(signum, on_signal) };
        if previous == SIG_ERR {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}
// ANCHOR_END: install

/// True once SIGINT or SIGTERM arrived.
pub fn shutdown_requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
