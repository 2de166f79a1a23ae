//! The one place this crate calls C directly or needs `unsafe`: SIGINT/SIGTERM, TCP keepalive,
//! the listen backlog, the scheduling policy of client threads, and the counting allocator
//! behind `INFO memory`'s `used_memory`.
//!
//! Go original: `signal.Notify` in `cmd/server/main.go`, and the keepalive Go's `net` package
//! turns on by itself. Explained in: book chapters 1 ("Who runs when a request arrives"),
//! "Talking to real clients" and "When clients misbehave".
//!
//! Every `extern "C"` declaration lives here, each behind a safe wrapper, so the rest of the
//! crate stays `unsafe`-free. They are functions of the C library that std already links; the
//! project takes no `libc` dependency, so their signatures and constants are declared by hand
//! (Linux values; on other systems the socket wrappers do nothing).
//!
//! # Signals
//! Rust's standard library has no signal API, and the project takes no `libc` or
//! `signal-hook` dependency, so this module declares `signal(2)` itself. The handler does the
//! only thing a signal handler may safely do here: one store to a static `AtomicBool`. The
//! `cron` thread polls the flag every 100 ms and starts the same graceful shutdown as the
//! `SHUTDOWN` command, on an ordinary thread where locks, I/O and allocation are allowed.
//! The cost is up to 100 ms between the signal and the shutdown; the alternative, a self-pipe
//! that wakes a thread at once, needs `pipe(2)` and `write(2)` declared by hand as well.

#![allow(unsafe_code)]

pub mod memory;

use std::alloc::{GlobalAlloc, Layout, System};
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

// ------------------------------------------------------------------------------------ sockets

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::c_int;

    pub const SOL_SOCKET: c_int = 1;
    pub const SO_KEEPALIVE: c_int = 9;
    pub const IPPROTO_TCP: c_int = 6;
    pub const TCP_KEEPIDLE: c_int = 4;
    pub const TCP_KEEPINTVL: c_int = 5;
    pub const TCP_KEEPCNT: c_int = 6;

    /// `SCHED_BATCH`, from `<sched.h>`.
    pub const SCHED_BATCH: c_int = 3;

    /// `struct sched_param`: one `int`, the static priority (0 for the non-real-time policies).
    #[repr(C)]
    pub struct SchedParam {
        pub sched_priority: c_int,
    }

    unsafe extern "C" {
        /// `int setsockopt(int fd, int level, int name, const void *value, socklen_t len);`
        pub fn setsockopt(
            fd: c_int,
            level: c_int,
            name: c_int,
            value: *const c_int,
            len: u32,
        ) -> c_int;
        /// `int listen(int fd, int backlog);`
        pub fn listen(fd: c_int, backlog: c_int) -> c_int;
        /// `int sched_setscheduler(pid_t pid, int policy, const struct sched_param *param);`
        pub fn sched_setscheduler(pid: c_int, policy: c_int, param: *const SchedParam) -> c_int;
    }
}

/// Sets one `int` socket option.
#[cfg(target_os = "linux")]
fn set_int_option(
    fd: std::os::fd::RawFd,
    level: c_int,
    name: c_int,
    value: c_int,
) -> std::io::Result<()> {
    // SAFETY: `setsockopt` is the C library's, declared with its real signature. `fd` comes
    // from a live std socket borrowed by the caller for the whole call; `value` points to an
    // `int` on this stack frame and `len` is exactly its size, so the kernel reads only it.
    let rc = unsafe { linux::setsockopt(fd, level, name, &value, size_of::<c_int>() as u32) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

// ANCHOR: keepalive
/// Turns on TCP keepalive with Redis's timing: the first probe after `interval` idle seconds,
/// then one every `interval / 3`, and the connection is dead after 3 unanswered probes. A peer
/// that vanished without a FIN (a pulled cable, a crashed VM) is then noticed in about twice
/// `interval`: the blocked read fails and the client's thread ends. std has no setter for
/// this (only `TcpStream::set_nodelay`), hence the shim.
///
/// # Errors
/// `setsockopt(2)` refused.
pub fn set_keepalive(stream: &std::net::TcpStream, interval: u64) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd as _;
        let fd = stream.as_raw_fd();
        let idle = interval.clamp(1, i32::MAX as u64) as c_int;
        set_int_option(fd, linux::SOL_SOCKET, linux::SO_KEEPALIVE, 1)?;
        set_int_option(fd, linux::IPPROTO_TCP, linux::TCP_KEEPIDLE, idle)?;
        set_int_option(
            fd,
            linux::IPPROTO_TCP,
            linux::TCP_KEEPINTVL,
            (idle / 3).max(1),
        )?;
        set_int_option(fd, linux::IPPROTO_TCP, linux::TCP_KEEPCNT, 3)?;
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (stream, interval);
    Ok(())
}
// ANCHOR_END: keepalive

// ANCHOR: widen_backlog
/// Widens the accept queue of a listening socket to `backlog` (Redis: `tcp-backlog 511`; the
/// kernel caps it at `net.core.somaxconn`). std listens with 128, so a burst of more connects
/// than that before the accept loop catches up is answered with SYN retransmits, a second of
/// delay each. Calling `listen(2)` again on a listening socket only changes the queue length.
///
/// # Errors
/// `listen(2)` refused.
pub fn widen_backlog(listener: &std::net::TcpListener, backlog: i32) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd as _;
        // SAFETY: `listen` is the C library's, declared with its real signature, and the
        // descriptor belongs to a listening std socket the caller borrows for the whole call.
        let rc = unsafe { linux::listen(listener.as_raw_fd(), backlog) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (listener, backlog);
    Ok(())
}
// ANCHOR_END: widen_backlog

// ------------------------------------------------------------------------------------ scheduling

// ANCHOR: batch_scheduling
/// Puts the calling thread under Linux's `SCHED_BATCH` policy. A client thread becomes runnable
/// each time its socket receives a request; under the default policy the scheduler then often
/// *preempts* whatever runs on that core — another client thread in the middle of its command,
/// perhaps holding the store's lock, or the load generator on a shared machine — to run the
/// woken one at once. A batch thread is queued instead and runs when the current thread blocks,
/// which a client thread does within microseconds. The policy changes only that: batch threads
/// get the same share of the CPU, and an idle core still runs a woken thread at once.
///
/// It buys throughput and far fewer waits for the store's lock; the Benchmarks chapter ("Who
/// gets the core") measures both. The price appears when a CPU-bound program shares the cores (a
/// load generator on the same machine): a woken client thread may then wait for the end of that
/// program's time slice, and the slowest requests take milliseconds instead of a fraction of
/// one. That is the common case for this server (a laptop running both), so the policy is off
/// unless `client-sched-batch yes` asks for it.
///
/// # Errors
/// `sched_setscheduler(2)` refused (it allows any thread to move between the normal policies).
pub fn batch_scheduling() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let param = linux::SchedParam { sched_priority: 0 };
        // SAFETY: `sched_setscheduler` is the C library's, declared with its real signature.
        // Pid 0 names the calling thread; `param` points to a `struct sched_param` on this
        // stack frame, which the kernel only reads during the call.
        let rc = unsafe { linux::sched_setscheduler(0, linux::SCHED_BATCH, &param) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}
// ANCHOR_END: batch_scheduling

// ANCHOR: counting_alloc
/// The system allocator, counting the bytes it hands out so that `INFO memory` can report a
/// true `used_memory` (see [`memory`]).
pub struct CountingAlloc;

// SAFETY: every method forwards to `System` with the caller's own arguments and returns its
// result unchanged, so `System`'s guarantees hold; the counting beside it never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received (see the impl).
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            memory::on_alloc(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            memory::on_alloc(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) };
        memory::on_dealloc(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as received.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        // On failure the old block is still allocated, unchanged.
        if !p.is_null() {
            memory::on_dealloc(layout.size());
            memory::on_alloc(new_size);
        }
        p
    }
}
// ANCHOR_END: counting_alloc

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn the_socket_wrappers_accept_real_sockets() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        widen_backlog(&listener, 511).unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (served, _) = listener.accept().unwrap();
        set_keepalive(&served, 300).unwrap();
        // Intervals below 3 s still give a positive probe interval.
        set_keepalive(&client, 1).unwrap();
    }
}
