//! `MONITOR`: every command any client runs, as a line, to every watcher.
//!
//! Go original: none (go-redis had no `MONITOR`). Explained in: book chapter "Pub/Sub".
//!
//! A watcher is a subscriber of everything: its outbox and writer thread are the ones of
//! [`super::outbox`], and the feed costs every other client one atomic load while nobody watches.

use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use super::lock;
use super::outbox::Frame;
use crate::commands::registry::flags;
use crate::commands::{ClientContext, Shared};

impl Shared {
    // ANCHOR: monitor_feed
    /// Sends `argv` to every `MONITOR`ing client, as Redis formats it. When nobody monitors,
    /// this is one atomic load.
    pub fn monitor_feed(&self, client: &ClientContext, argv: &[Vec<u8>]) {
        self.feed_monitors(client, argv, false);
    }

    /// [`Shared::monitor_feed`] for a command a script calls: Redis shows it as coming from
    /// `lua` rather than from the script's caller.
    pub fn monitor_feed_script(&self, client: &ClientContext, argv: &[Vec<u8>]) {
        self.feed_monitors(client, argv, true);
    }

    fn feed_monitors(&self, client: &ClientContext, argv: &[Vec<u8>], from_script: bool) {
        if self.pubsub.monitor_count.load(Ordering::Relaxed) == 0 {
            return;
        }
        // Administrative commands (CONFIG, MONITOR itself, ...) are not shown, as in Redis.
        if self
            .registry
            .lookup(&argv[0])
            .is_some_and(|s| s.has(flags::ADMIN))
        {
            return;
        }
        let source = match from_script {
            true => "lua".to_string(),
            false => client.handle.addr.to_string(),
        };
        let line = monitor_line(SystemTime::now(), client.db, &source, argv);
        let limit = self.pubsub.output_limit();
        let monitors = lock(&self.pubsub.monitors);
        for outbox in monitors.iter() {
            outbox.push_message(&Frame(&line), limit, &self.pubsub.limit_disconnections);
        }
    }
    // ANCHOR_END: monitor_feed
}

// ANCHOR: monitor_line
/// One `MONITOR` line: `+1700000000.123456 [0 127.0.0.1:50000] "set" "k" "v"\r\n`, with the
/// client's database and address in the brackets, each word quoted as Redis's `sdscatrepr`
/// does, passwords redacted.
pub fn monitor_line(at: SystemTime, db: usize, addr: &str, argv: &[Vec<u8>]) -> Vec<u8> {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut out = format!(
        "+{}.{:06} [{db} {addr}]",
        since.as_secs(),
        since.subsec_micros()
    )
    .into_bytes();
    let name = argv
        .first()
        .map(|n| n.to_ascii_lowercase())
        .unwrap_or_default();
    let mut redact_from = usize::MAX;
    for (i, word) in argv.iter().enumerate() {
        // `AUTH` shows none of its arguments; `HELLO` hides the two after its `AUTH` option.
        let redacted = (name == b"auth" && i > 0) || (i >= redact_from && i < redact_from + 2);
        if name == b"hello" && word.eq_ignore_ascii_case(b"auth") {
            redact_from = i + 1;
        }
        out.push(b' ');
        if redacted {
            out.extend_from_slice(b"\"(redacted)\"");
        } else {
            quote(word, &mut out);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}
// ANCHOR_END: monitor_line

/// Redis's `sdscatrepr`: a double-quoted string with C escapes, `\xhh` for unprintable bytes.
fn quote(word: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in word {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            b' '..=b'~' => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn monitor_lines_quote_like_redis_and_hide_passwords() {
        let at = UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456);
        let words = |ws: &[&[u8]]| ws.iter().map(|w| w.to_vec()).collect::<Vec<_>>();
        assert_eq!(
            monitor_line(at, 0, "127.0.0.1:50000", &words(&[b"set", b"k", b"v"])),
            b"+1700000000.123456 [0 127.0.0.1:50000] \"set\" \"k\" \"v\"\r\n"
        );
        assert_eq!(
            monitor_line(
                at,
                0,
                "a",
                &words(&[b"SET", b"\x00\x7f\x80\"\\\n\r\t\x07\x08~ "])
            ),
            b"+1700000000.123456 [0 a] \"SET\" \"\\x00\\x7f\\x80\\\"\\\\\\n\\r\\t\\a\\b~ \"\r\n"
        );
        assert_eq!(
            monitor_line(at, 0, "a", &words(&[b"AUTH", b"user", b"pw"])),
            b"+1700000000.123456 [0 a] \"AUTH\" \"(redacted)\" \"(redacted)\"\r\n"
        );
        assert_eq!(
            monitor_line(
                at,
                3,
                "a",
                &words(&[b"HELLO", b"3", b"auth", b"u", b"p", b"SETNAME", b"n"])
            ),
            b"+1700000000.123456 [3 a] \"HELLO\" \"3\" \"auth\" \"(redacted)\" \"(redacted)\" \"SETNAME\" \"n\"\r\n"
        );
    }
}
