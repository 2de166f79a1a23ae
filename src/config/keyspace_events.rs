//! The `notify-keyspace-events` setting: which keyspace notifications the server publishes.
//!
//! Go original: none (go-redis had no notifications). Explained in: book chapter "Pub/Sub",
//! section "Keyspace notifications".
//!
//! The value is a word of one-letter classes, as in Redis: `K` and `E` choose the channels
//! (`__keyspace@<db>__:<key>`, `__keyevent@<db>__:<event>`), the others choose which events go
//! out (`g` generic, `$` strings, `l` lists, `s` sets, `h` hashes, `z` sorted sets, `x`
//! expired, `e` evicted, `t` streams, `m` key misses, `d` modules, `n` new keys, `A` all of
//! `g$lshzxetd`). Nothing is published unless one channel letter *and* the event's class are
//! set. The bits are Redis's own, so a value reads the same in both servers; `CONFIG GET`
//! answers Redis's canonical spelling of it (`KEA` reads back as `AKE`).

use std::fmt;

// ANCHOR: keyspace_events
/// A set of notification classes: the parsed `notify-keyspace-events`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyspaceEvents(pub u32);

impl KeyspaceEvents {
    /// No notifications at all: the default.
    pub const NONE: KeyspaceEvents = KeyspaceEvents(0);
    /// `K`: publish on `__keyspace@<db>__:<key>`, the event as the message.
    pub const KEYSPACE: KeyspaceEvents = KeyspaceEvents(1 << 0);
    /// `E`: publish on `__keyevent@<db>__:<event>`, the key as the message.
    pub const KEYEVENT: KeyspaceEvents = KeyspaceEvents(1 << 1);
    /// `g`: commands of no one type (`DEL`, `EXPIRE`, `RENAME`, ...).
    pub const GENERIC: KeyspaceEvents = KeyspaceEvents(1 << 2);
    /// `$`: string commands.
    pub const STRING: KeyspaceEvents = KeyspaceEvents(1 << 3);
    /// `l`: list commands.
    pub const LIST: KeyspaceEvents = KeyspaceEvents(1 << 4);
    /// `s`: set commands.
    pub const SET: KeyspaceEvents = KeyspaceEvents(1 << 5);
    /// `h`: hash commands.
    pub const HASH: KeyspaceEvents = KeyspaceEvents(1 << 6);
    /// `z`: sorted set commands.
    pub const ZSET: KeyspaceEvents = KeyspaceEvents(1 << 7);
    /// `x`: a key deleted because its time to live ran out.
    pub const EXPIRED: KeyspaceEvents = KeyspaceEvents(1 << 8);
    /// `e`: a key evicted for `maxmemory` (this server never evicts).
    pub const EVICTED: KeyspaceEvents = KeyspaceEvents(1 << 9);
    /// `t`: stream commands (this server has no streams).
    pub const STREAM: KeyspaceEvents = KeyspaceEvents(1 << 10);
    /// `m`: a read that found no key. Not part of `A`, as in Redis.
    pub const KEY_MISS: KeyspaceEvents = KeyspaceEvents(1 << 11);
    /// `d`: module events (this server has no modules).
    pub const MODULE: KeyspaceEvents = KeyspaceEvents(1 << 13);
    /// `n`: a key created. Not part of `A`, as in Redis.
    pub const NEW: KeyspaceEvents = KeyspaceEvents(1 << 14);
    /// `A`: every event class but `m` and `n`.
    pub const ALL: KeyspaceEvents = KeyspaceEvents(
        Self::GENERIC.0
            | Self::STRING.0
            | Self::LIST.0
            | Self::SET.0
            | Self::HASH.0
            | Self::ZSET.0
            | Self::EXPIRED.0
            | Self::EVICTED.0
            | Self::STREAM.0
            | Self::MODULE.0,
    );

    /// True if any class of `other` is in `self`.
    #[inline]
    pub fn has(self, other: KeyspaceEvents) -> bool {
        self.0 & other.0 != 0
    }

    /// Parses a `notify-keyspace-events` word, as Redis's `keyspaceEventsStringToFlags`;
    /// `None` if a character names no class.
    pub fn parse(word: &str) -> Option<KeyspaceEvents> {
        let mut bits = 0;
        for c in word.chars() {
            bits |= match c {
                'A' => Self::ALL,
                'g' => Self::GENERIC,
                '$' => Self::STRING,
                'l' => Self::LIST,
                's' => Self::SET,
                'h' => Self::HASH,
                'z' => Self::ZSET,
                'x' => Self::EXPIRED,
                'e' => Self::EVICTED,
                'K' => Self::KEYSPACE,
                'E' => Self::KEYEVENT,
                't' => Self::STREAM,
                'm' => Self::KEY_MISS,
                'd' => Self::MODULE,
                'n' => Self::NEW,
                _ => return None,
            }
            .0;
        }
        Some(KeyspaceEvents(bits))
    }
}

/// Redis's canonical spelling (`keyspaceEventsFlagsToString`): `A` for all of `g$lshzxetd`, or
/// those letters one by one, then `K`, `E` and `m`. Redis forgets `n` beside `A` when it
/// spells the value (`An` reads back as `A`, though new-key events still go out); so does this.
impl fmt::Display for KeyspaceEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        if self.0 & Self::ALL.0 == Self::ALL.0 {
            out.push('A');
        } else {
            for (class, letter) in [
                (Self::GENERIC, 'g'),
                (Self::STRING, '$'),
                (Self::LIST, 'l'),
                (Self::SET, 's'),
                (Self::HASH, 'h'),
                (Self::ZSET, 'z'),
                (Self::EXPIRED, 'x'),
                (Self::EVICTED, 'e'),
                (Self::STREAM, 't'),
                (Self::MODULE, 'd'),
                (Self::NEW, 'n'),
            ] {
                if self.has(class) {
                    out.push(letter);
                }
            }
        }
        for (class, letter) in [
            (Self::KEYSPACE, 'K'),
            (Self::KEYEVENT, 'E'),
            (Self::KEY_MISS, 'm'),
        ] {
            if self.has(class) {
                out.push(letter);
            }
        }
        f.write_str(&out)
    }
}
// ANCHOR_END: keyspace_events

/// Redis's words for a value that does not parse.
pub const INVALID: &str = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(word: &str) -> Option<String> {
        KeyspaceEvents::parse(word).map(|e| e.to_string())
    }

    #[test]
    fn values_read_back_as_redis_spells_them() {
        // Each pair as a real Redis 7.0.15 answers `CONFIG GET` after `CONFIG SET`.
        for (set, get) in [
            ("KEA", "AKE"),
            ("gKE", "gKE"),
            ("$lshzxeKE", "$lshzxeKE"),
            ("KA", "AK"),
            ("EA", "AE"),
            ("Kx", "xK"),
            ("Kmn", "nKm"),
            ("g$lshzxetd", "A"),
            ("g$lshzxetdKEmn", "AKEm"),
            ("AAn", "A"),
            ("Ae", "A"),
            ("", ""),
        ] {
            assert_eq!(canonical(set).as_deref(), Some(get), "{set}");
        }
    }

    #[test]
    fn an_unknown_letter_refuses_the_whole_value() {
        for bad in ["KEX", "Kq", "KE A", "é"] {
            assert_eq!(canonical(bad), None, "{bad}");
        }
    }

    #[test]
    fn all_leaves_out_misses_and_new_keys() {
        let all = KeyspaceEvents::parse("A").unwrap();
        assert!(all.has(KeyspaceEvents::EXPIRED));
        assert!(!all.has(KeyspaceEvents::NEW));
        assert!(!all.has(KeyspaceEvents::KEY_MISS));
        assert!(!all.has(KeyspaceEvents::KEYSPACE));
    }
}
