//! `ACL LOG`: the latest refusals — which user, which command, key or channel, from where.
//!
//! Go original: none (go-redis had no ACL). Explained in: book chapter "Who may do what".
//!
//! As in Redis, a refusal like one among the last ten (same reason, context, object and user,
//! within a minute) bumps that entry's count and moves it to the front instead of adding
//! another, so a client retrying in a loop does not push everything else out.

use std::collections::VecDeque;

use crate::protocol::resp::Value;

/// Why a command was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// The user may not run the command.
    Command,
    /// Nor touch one of its keys.
    Key,
    /// A wrong password or a disabled user.
    Auth,
    /// Nor use one of its channels.
    Channel,
}

impl Reason {
    fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Auth => "auth",
            Reason::Channel => "channel",
        }
    }
}

/// Where a refused command came from, as the log's `context` field names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Sent by the client.
    Toplevel,
    /// Queued by `MULTI`, or run by `EXEC`.
    Multi,
    /// Called by a script (`redis.call`).
    Lua,
}

impl Origin {
    fn name(self) -> &'static str {
        match self {
            Origin::Toplevel => "toplevel",
            Origin::Multi => "multi",
            Origin::Lua => "lua",
        }
    }
}

/// One entry of the log.
#[derive(Clone, Debug)]
pub struct Entry {
    /// How many refusals it stands for.
    pub count: u64,
    /// Why.
    pub reason: Reason,
    /// Where the command came from.
    pub context: Origin,
    /// The command's full name, the key, the channel, or for `AUTH` the command as sent.
    pub object: Vec<u8>,
    /// The user refused (for `AUTH`, the one asked for).
    pub username: Vec<u8>,
    /// When it last happened, in Unix milliseconds.
    pub time: u64,
    /// The client's `CLIENT LIST` line at that moment.
    pub client_info: String,
}

/// Entries considered for merging, from the newest.
const MERGE_SCAN: usize = 10;
/// How far apart two refusals may be to merge, in milliseconds.
const MERGE_WINDOW: u64 = 60_000;

/// The log, newest first.
#[derive(Debug, Default)]
pub struct AclLog {
    entries: VecDeque<Entry>,
}

impl AclLog {
    /// Adds `entry`, or merges it into a recent one like it; keeps at most `max_len`.
    pub fn add(&mut self, entry: Entry, max_len: usize) {
        let similar = self.entries.iter().take(MERGE_SCAN).position(|e| {
            e.reason == entry.reason
                && e.context == entry.context
                && e.time.abs_diff(entry.time) <= MERGE_WINDOW
                && e.object == entry.object
                && e.username == entry.username
        });
        match similar.and_then(|at| self.entries.remove(at)) {
            Some(mut old) => {
                old.count += 1;
                old.time = entry.time;
                old.client_info = entry.client_info;
                self.entries.push_front(old);
            }
            None => {
                self.entries.push_front(entry);
                self.entries.truncate(max_len);
            }
        }
    }

    /// `ACL LOG RESET`.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The newest `count` entries as `ACL LOG` answers them, with their ages at `now` (ms).
    pub fn reply(&self, count: usize, now: u64) -> Value {
        Value::Array(
            self.entries
                .iter()
                .take(count)
                .map(|e| {
                    let age = now.saturating_sub(e.time) as f64 / 1000.0;
                    Value::Map(vec![
                        (Value::bulk("count"), Value::Integer(e.count as i64)),
                        (Value::bulk("reason"), Value::bulk(e.reason.name())),
                        (Value::bulk("context"), Value::bulk(e.context.name())),
                        (Value::bulk("object"), Value::bulk(&e.object)),
                        (Value::bulk("username"), Value::bulk(&e.username)),
                        (Value::bulk("age-seconds"), Value::Double(age)),
                        (Value::bulk("client-info"), Value::bulk(&e.client_info)),
                    ])
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(object: &str, time: u64) -> Entry {
        Entry {
            count: 1,
            reason: Reason::Key,
            context: Origin::Toplevel,
            object: object.into(),
            username: b"u".to_vec(),
            time,
            client_info: String::new(),
        }
    }

    #[test]
    fn like_refusals_merge_and_move_to_the_front() {
        let mut log = AclLog::default();
        log.add(entry("a", 0), 10);
        log.add(entry("b", 1), 10);
        log.add(entry("a", 2), 10);
        assert_eq!(log.entries.len(), 2);
        assert_eq!((log.entries[0].count, log.entries[0].time), (2, 2));
        log.add(entry("a", 2 + MERGE_WINDOW + 1), 10);
        assert_eq!(log.entries.len(), 3);
        log.add(entry("c", 0), 2);
        assert_eq!(log.entries.len(), 2);
    }
}
