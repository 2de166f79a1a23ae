//! Sharded Pub/Sub: `SPUBLISH`, and the shard channels `PUBSUB SHARDCHANNELS` and
//! `PUBSUB SHARDNUMSUB` list.
//!
//! Go original: none (planned in go-redis). Explained in: book chapter "Pub/Sub", "Sharded
//! channels".
//!
//! In a Redis Cluster, a classic `PUBLISH` reaches every node, whoever listens; a shard channel
//! is hashed to a slot like a key, and its messages stay on the nodes that serve that slot. On
//! one server there is one shard, so shard channels work like channels apart: their own
//! namespace (`SPUBLISH news` does not reach `SUBSCRIBE news`), no patterns, their own count
//! in the confirmations, and `smessage` frames. Clients written for a cluster run unchanged.

use super::outbox::Frame;
use super::{Kind, PubSub};
use crate::protocol::resp::Value;

impl PubSub {
    // ANCHOR: spublish
    /// `SPUBLISH`: copies the message into the outbox of every subscriber of the shard channel
    /// as an `smessage` frame; returns how many received it. Patterns never match a shard
    /// channel.
    pub fn spublish(&self, channel: &[u8], message: &[u8]) -> usize {
        let subs = self.subs();
        let Some(members) = subs.shards.get(channel) else {
            return 0;
        };
        let frame = Value::Array(vec![
            Value::bulk("smessage"),
            Value::bulk(channel),
            Value::bulk(message),
        ])
        .to_resp2();
        let limit = self.output_limit();
        for outbox in members.values() {
            outbox.push_message(&Frame(&frame), limit, &self.limit_disconnections);
        }
        members.len()
    }
    // ANCHOR_END: spublish

    /// `PUBSUB SHARDCHANNELS [pattern]`: active shard channels, matching `pattern` if given.
    pub fn shard_channels(&self, pattern: Option<&[u8]>) -> Vec<Vec<u8>> {
        self.active(Kind::Shard, pattern)
    }

    /// `PUBSUB SHARDNUMSUB`: the subscriber count of each shard channel.
    pub fn shard_numsub(&self, channels: &[Vec<u8>]) -> Vec<usize> {
        self.subscribers(Kind::Shard, channels)
    }

    /// The shard channels and their subscribers' count, for tests.
    #[cfg(test)]
    fn shard_counts(&self) -> std::collections::HashMap<Vec<u8>, usize> {
        self.subs()
            .shards
            .iter()
            .map(|(name, members)| (name.clone(), members.len()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{ClientContext, ClientHandle};
    use std::sync::Arc;

    fn client(id: u64) -> ClientContext {
        ClientContext::new(Arc::new(ClientHandle::detached(id)), true)
    }

    #[test]
    fn shard_channels_are_a_namespace_of_their_own() {
        let pubsub = PubSub::default();
        let mut a = client(1);
        pubsub.subscribe(&mut a, &[b"news".to_vec()]);
        pubsub.psubscribe(&mut a, &[b"*".to_vec()]);
        pubsub.ssubscribe(&mut a, &[b"news".to_vec(), b"sport".to_vec()]);
        assert_eq!(a.subscriptions, 4);
        assert_eq!(pubsub.spublish(b"news", b"hi"), 1);
        assert_eq!(pubsub.publish(b"sport", b"hi"), 1); // the pattern only
        assert_eq!(pubsub.shard_channels(Some(b"s*")), vec![b"sport".to_vec()]);
        pubsub.unsubscribe(&mut a, &[]);
        pubsub.punsubscribe(&mut a, &[]);
        assert_eq!(pubsub.shard_numsub(&[b"news".to_vec()]), vec![1]);
        pubsub.unsubscribe_all(&mut a);
        assert!(pubsub.shard_counts().is_empty());
        assert_eq!(a.subscriptions, 0);
    }
}
