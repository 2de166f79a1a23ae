//! The network layer: the accept loop and one thread per connection.
//!
//! Go original: `internal/netlayer` (`tcp.go`, `conn.go`). Explained in: book chapter 1.
//!
//! Blocking I/O with one OS thread per client: the simplest model that is correct, and, with a
//! small stack per thread and one `write` per pipeline, fast enough to keep pace with Redis's
//! event loop on a few thousand clients. That trade-off is the lesson of chapter 1.

mod connection;

pub use connection::handle_conn;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::server::Shared;

// ANCHOR: stack_size
/// Stack of each client thread. Handlers are flat (no recursion a client can drive), so 256 KB
/// is ample; only the pages a thread touches become resident, so 10,000 idle clients cost
/// tens of megabytes, not the 80 GB that Linux's default 8 MB stacks would reserve.
pub const CLIENT_STACK_SIZE: usize = 256 * 1024;
// ANCHOR_END: stack_size

// ANCHOR: accept_loop
/// Accepts connections until shutdown, giving each its own named thread.
pub fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    for conn in listener.incoming() {
        if shared.shutting_down.load(Ordering::SeqCst) {
            break;
        }
        let stream = match conn {
            Ok(s) => s,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning or exiting; clients that
                // leave free descriptors and the next accept succeeds.
                crate::warn!("net", "accept failed: {e}");
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        shared.count_connection();
        let id = shared.next_client_id();
        let shared = shared.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("client-{id}"))
            .stack_size(CLIENT_STACK_SIZE)
            .spawn(move || handle_conn(shared, stream, id));
        if let Err(e) = spawned {
            crate::warn!("net", "cannot start a thread for client {id}: {e}");
        }
    }
    crate::info!("net", "listener stopped");
}
// ANCHOR_END: accept_loop
