//! Pub/Sub: channels, patterns, subscribers, and `MONITOR` watchers.
//!
//! Go original: none (planned in go-redis). Explained in: book chapter "Pub/Sub".

use super::Shared;
use crate::commands::ClientContext;

/// Channels and patterns with their subscribers. (Placeholder until the Pub/Sub work lands.)
#[derive(Default)]
pub struct PubSub {}

impl PubSub {
    /// Drops every subscription of `client` (`RESET`, disconnect).
    pub fn unsubscribe_all(&self, _client: &mut ClientContext) {}
}

impl Shared {
    /// Sends `argv` to every `MONITOR`ing client, as Redis formats it.
    pub fn monitor_feed(&self, _client: &ClientContext, _argv: &[Vec<u8>]) {}
}
