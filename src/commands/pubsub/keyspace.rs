//! Keyspace notifications on the wire: the enabled classes, and the two messages each event
//! becomes.
//!
//! Go original: none (go-redis had no notifications). Explained in: book chapter "Pub/Sub",
//! section "Keyspace notifications".
//!
//! A write says what happened to which key (a [`Notification`], collected in its
//! [`Effects`]); the dispatcher's commit hands them here while the write guard is still held,
//! and each one goes out as Redis's `notifyKeyspaceEvent` sends it: `__keyspace@<db>__:<key>` with the
//! event as the message, and `__keyevent@<db>__:<event>` with the key as the message, through
//! the same [`PubSub::publish`] as any `PUBLISH`.

use std::sync::atomic::Ordering;

use super::PubSub;
use crate::commands::effects::{Effects, Notification};
use crate::config::KeyspaceEvents;
use crate::engine::store::Store;

impl PubSub {
    /// Sets the classes published from now on (`notify-keyspace-events`). Without `K` or `E`
    /// no event has a channel to go to, so none is collected at all.
    pub fn set_keyspace_events(&self, events: KeyspaceEvents) {
        let channels = KeyspaceEvents(KeyspaceEvents::KEYSPACE.0 | KeyspaceEvents::KEYEVENT.0);
        let effective = if events.has(channels) {
            events
        } else {
            KeyspaceEvents::NONE
        };
        self.keyspace_events.store(effective.0, Ordering::Relaxed);
    }

    /// The classes published now: what each write reads once, when it starts.
    #[inline]
    pub fn keyspace_events(&self) -> KeyspaceEvents {
        KeyspaceEvents(self.keyspace_events.load(Ordering::Relaxed))
    }

    // ANCHOR: notify
    /// Publishes `notes` on the channels `events` asks for: `__keyspace@<db>__:<key>` → event
    /// (`K`) and `__keyevent@<db>__:<event>` → key (`E`), in this order, as Redis does. Each
    /// note's class was checked when it was collected. One lock of the subscriptions serves
    /// them all, and with nobody subscribed to anything that lock is all they cost.
    pub fn notify(&self, events: KeyspaceEvents, notes: &[Notification]) {
        let subs = self.subs();
        if subs.channels.is_empty() && subs.patterns.is_empty() {
            return;
        }
        let mut channel = Vec::new();
        for note in notes {
            if events.has(KeyspaceEvents::KEYSPACE) {
                name_channel(&mut channel, "__keyspace@", note.db, &note.key);
                self.publish_to(&subs, &channel, note.event.as_bytes());
            }
            if events.has(KeyspaceEvents::KEYEVENT) {
                name_channel(&mut channel, "__keyevent@", note.db, note.event.as_bytes());
                self.publish_to(&subs, &channel, &note.key);
            }
        }
    }
    // ANCHOR_END: notify

    /// Publishes a write's notifications, after adding `expired` for the keys lazy expiry
    /// deleted after the last of them (or in a write that had none): the commit's part, under
    /// the write guard, so every subscriber sees the writes' events in store order.
    #[cold]
    pub fn notify_write(&self, store: &mut Store, effects: &mut Effects) {
        let (mut notes, events) = effects.take_notes();
        if events.has(KeyspaceEvents::EXPIRED) {
            for (index, db) in store.iter_mut().enumerate() {
                let expired = db.newly_expired().iter().map(|key| Notification {
                    db: index,
                    event: "expired",
                    key: key.clone(),
                });
                notes.extend(expired);
            }
        }
        if !notes.is_empty() {
            self.notify(events, &notes);
        }
    }
}

/// Writes `<prefix><db>__:<name>` into `channel`, reusing its buffer.
fn name_channel(channel: &mut Vec<u8>, prefix: &str, db: usize, name: &[u8]) {
    use std::io::Write;
    channel.clear();
    // Writing into a `Vec` cannot fail.
    let _ = write!(channel, "{prefix}{db}__:");
    channel.extend_from_slice(name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classes_set_are_the_classes_read() {
        let pubsub = PubSub::default();
        assert_eq!(pubsub.keyspace_events(), KeyspaceEvents::NONE);
        // Classes without a channel to publish on are as good as none.
        pubsub.set_keyspace_events(KeyspaceEvents::parse("A").unwrap());
        assert_eq!(pubsub.keyspace_events(), KeyspaceEvents::NONE);
        let events = KeyspaceEvents::parse("KEA").unwrap();
        pubsub.set_keyspace_events(events);
        assert_eq!(pubsub.keyspace_events(), events);
        // Nobody listens: publishing is harmless.
        let note = Notification {
            db: 3,
            event: "set",
            key: Box::from(&b"k"[..]),
        };
        pubsub.notify(events, &[note]);
    }

    #[test]
    fn channels_are_named_as_in_redis() {
        let mut channel = b"left over".to_vec();
        name_channel(&mut channel, "__keyspace@", 12, b"a\r\nb");
        assert_eq!(channel, b"__keyspace@12__:a\r\nb");
        name_channel(&mut channel, "__keyevent@", 0, b"set");
        assert_eq!(channel, b"__keyevent@0__:set");
    }
}
