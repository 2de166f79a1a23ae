//! The network layer: the accept loop and one thread per connection.
//!
//! Go original: `internal/netlayer` (`listener.go`, `connection.go`, `shutdown.go`). Explained in: book chapter 1.
//!
//! Blocking I/O with one OS thread per client: the simplest model that is correct, and, with a
//! small stack per thread and one `write` per pipeline, fast enough to keep pace with Redis's
//! event loop on a few thousand clients. That trade-off is the lesson of chapter 1.

mod connection;
mod replica;

pub use connection::handle_conn;

use std::io::Write as _;
use std::net::{IpAddr, Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::commands::Shared;

// ANCHOR: stack_size
/// Stack of each client thread. Handlers are flat (no recursion a client can drive), so 256 KB
/// is ample; only the pages a thread touches become resident, so 10,000 idle clients cost
/// tens of megabytes, not the 80 GB that Linux's default 8 MB stacks would reserve.
///
/// Why 256 KB and not less: the deepest path is a command inside `EXEC` with the AOF and a
/// panic unwinding through it, a few tens of KB; 64 KB would work today and break the day a
/// handler grows a big local array. Why not more: a stack is virtual memory, reserved but not
/// resident, so 256 KB costs 2.5 GB of address space for 10,000 clients (free on 64 bit) and,
/// measured, 8 KB of resident stack per idle client, out of about 14.5 KB of RSS in all (the
/// rest is mostly its 4 KB read buffer); see the chapter "When clients misbehave".
pub const CLIENT_STACK_SIZE: usize = 256 * 1024;
// ANCHOR_END: stack_size

/// Length of the accept queue (Redis's `tcp-backlog` default).
pub const LISTEN_BACKLOG: i32 = 511;

/// Redis 7.0's exact refusal for a client from another host while protected mode is on
/// (the "Setup a an" is Redis's own wording, kept so the text matches byte for byte).
pub const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no \
password is set for the default user. In this mode connections are only accepted from the loopback interface. If \
you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable \
protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis \
from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do \
so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by \
editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. \
3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a \
an authentication password for the default user. NOTE: You only need to do one of the above things in order for the \
server to start accepting connections from the outside.\r\n";

/// Redis's refusal when `maxclients` clients are already connected.
pub const MAX_CLIENTS: &str = "-ERR max number of clients reached\r\n";

// ANCHOR: protected_mode
/// True if protected mode refuses a client from `peer`: the mode is on, no password is set,
/// and the client is not on this machine's loopback interface. (A server bound to loopback
/// never sees such a client; one bound to a public address with no password must not serve
/// the world by accident.)
pub fn protected_mode_denies(protected_mode: bool, has_password: bool, peer: IpAddr) -> bool {
    let loopback = match peer {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    };
    protected_mode && !has_password && !loopback
}
// ANCHOR_END: protected_mode

/// Answers a refused connection with one error line and closes it. The write goes to a fresh
/// socket's empty send buffer, so it cannot block the accept loop; a failure means the peer is
/// already gone.
fn refuse(mut stream: TcpStream, text: &str) {
    let _ = stream.write_all(text.as_bytes());
    let _ = stream.shutdown(Shutdown::Both);
}

// ANCHOR: accept_loop
/// Accepts connections until shutdown, giving each its own named thread; refuses those past
/// `maxclients` and, in protected mode, those from other hosts.
pub fn accept_loop(shared: Arc<Shared>, mut listener: TcpListener) {
    widen_backlog(&listener);
    loop {
        let conn = listener.accept().map(|(stream, _)| stream);
        if shared.shutting_down.load(Ordering::SeqCst) {
            break;
        }
        // `CONFIG SET port` opened another listener and woke us: serve that one from now on.
        if let Some(new) = shared
            .new_listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            widen_backlog(&new);
            if let Ok(addr) = new.local_addr() {
                shared.set_local_addr(addr);
                crate::info!("net", "Now accepting connections tcp on {addr}");
            }
            listener = new;
        }
        let stream = match conn {
            Ok(s) => s,
            Err(e) => {
                // EMFILE (no descriptor left) and friends: back off instead of spinning or
                // exiting. The connection stays in the kernel's queue; once clients leave and
                // free descriptors, the next accept takes it. Redis logs and carries on too.
                crate::warn!("net", "Accepting client connection: {e}");
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        let (maxclients, protected) = {
            let config = shared.config.read().unwrap_or_else(|p| p.into_inner());
            (config.maxclients, config.protected_mode)
        };
        // As in Redis, protected mode asks whether `default` needs a password, whoever set it.
        let has_password = !shared.acl.default_user().nopass;
        // Counted here, before the thread exists, so a burst of connects cannot overshoot.
        if shared.stats.connected.load(Ordering::SeqCst) >= maxclients {
            shared
                .stats
                .rejected_connections
                .fetch_add(1, Ordering::Relaxed);
            crate::verbose!(
                "net",
                "Error registering client: max number of clients reached"
            );
            refuse(stream, MAX_CLIENTS);
            continue;
        }
        if let Ok(peer) = stream.peer_addr()
            && protected_mode_denies(protected, has_password, peer.ip())
        {
            crate::verbose!("net", "Denied a connection from {peer}: protected mode");
            refuse(stream, DENIED);
            continue;
        }
        shared.count_connection();
        shared.stats.connected.fetch_add(1, Ordering::SeqCst);
        let id = shared.next_client_id();
        let spawned = std::thread::Builder::new()
            .name(format!("client-{id}"))
            .stack_size(CLIENT_STACK_SIZE)
            .spawn({
                let shared = shared.clone();
                move || {
                    handle_conn(shared.clone(), stream, id);
                    shared.stats.connected.fetch_sub(1, Ordering::SeqCst);
                }
            });
        if let Err(e) = spawned {
            shared.stats.connected.fetch_sub(1, Ordering::SeqCst);
            crate::warn!("net", "cannot start a thread for client {id}: {e}");
        }
    }
    // Shutdown began: no client is served past this point, whoever asked for the shutdown.
    shared.clients.close_all();
    crate::info!("net", "listener stopped");
}
// ANCHOR_END: accept_loop

/// Asks for the accept queue Redis asks for; the kernel may cap it.
fn widen_backlog(listener: &TcpListener) {
    if let Err(e) = crate::sys::widen_backlog(listener, LISTEN_BACKLOG) {
        crate::warn!(
            "net",
            "cannot widen the listen backlog to {LISTEN_BACKLOG}: {e}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_mode_refuses_only_remote_clients_without_a_password() {
        let remote: IpAddr = "192.0.2.7".parse().unwrap();
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert!(protected_mode_denies(true, false, remote));
        assert!(!protected_mode_denies(true, false, local));
        assert!(!protected_mode_denies(true, false, mapped));
        assert!(!protected_mode_denies(true, false, "::1".parse().unwrap()));
        assert!(!protected_mode_denies(true, true, remote));
        assert!(!protected_mode_denies(false, false, remote));
    }
}
