//! Client-side caching: what a tracking client hears of when the keys it read change, expire,
//! or are flushed, and when its redirection breaks. The exact frames are compared with a real
//! Redis in `pubsub_diff.rs`; these are the cases that need time or a departing client.

mod common;

use std::time::Duration;

use common::*;

/// `>2 invalidate [key]` as RESP3 writes it.
fn invalidate(key: &str) -> String {
    format!(">2\r\n$10\r\ninvalidate\r\n*1\r\n{}", bulk(key))
}

fn resp3_tracker(s: &TestServer) -> Client {
    let mut c = s.client();
    c.cmd(&["HELLO", "3"]);
    c.assert(&["CLIENT", "TRACKING", "on"], OK);
    c
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn a_key_read_then_written_by_another_client_is_invalidated_once() {
    let s = start();
    let mut tracker = resp3_tracker(&s);
    let mut other = s.client();
    other.assert(&["SET", "k", "1"], OK);
    tracker.assert(&["GET", "k"], &bulk("1"));
    other.assert(&["SET", "k", "2"], OK);
    assert_eq!(text(tracker.read_reply()), invalidate("k"));
    // Forgotten once told: the next write says nothing until the key is read again.
    other.assert(&["SET", "k", "3"], OK);
    tracker.assert(&["PING"], "+PONG\r\n");
    let mut info = s.client();
    let stats = text(info.cmd(&["INFO", "stats"]));
    assert!(stats.contains("tracking_total_keys:0\r\n"), "{stats}");
    let clients = text(info.cmd(&["INFO", "clients"]));
    assert!(clients.contains("tracking_clients:1\r\n"), "{clients}");
}

#[test]
fn expiry_invalidates_like_a_write() {
    let s = start();
    let mut tracker = resp3_tracker(&s);
    let mut other = s.client();
    other.assert(&["SET", "k", "v", "PX", "50"], OK);
    tracker.assert(&["GET", "k"], &bulk("v"));
    // The sweeper (or the next read) deletes it; either way the tracker hears of it.
    assert_eq!(text(tracker.read_reply()), invalidate("k"));
}

#[test]
fn a_served_blocked_pop_is_told_after_its_reply() {
    let s = start();
    let mut tracker = resp3_tracker(&s);
    let mut other = s.client();
    other.assert(&["RPUSH", "dst", "a"], &int(1));
    tracker.assert(
        &["LRANGE", "dst", "0", "-1"],
        &format!("*1\r\n{}", bulk("a")),
    );
    tracker.send(&["BLMOVE", "src", "dst", "LEFT", "LEFT", "0"]);
    assert!(wait_until(Duration::from_secs(5), || {
        text(other.cmd(&["INFO", "clients"])).contains("blocked_clients:1\r\n")
    }));
    other.assert(&["RPUSH", "src", "x"], &int(1));
    assert_eq!(text(tracker.read_reply()), bulk("x"));
    assert_eq!(text(tracker.read_reply()), invalidate("dst"));
}

#[test]
fn a_tracker_learns_that_its_redirection_is_gone() {
    let s = start();
    let mut target = s.client();
    let id = text(target.cmd(&["CLIENT", "ID"]));
    let id = id.trim_start_matches(':').trim_end().to_string();
    let mut tracker = s.client();
    tracker.cmd(&["HELLO", "3"]);
    tracker.assert(&["CLIENT", "TRACKING", "on", "REDIRECT", &id], OK);
    let line = text(tracker.cmd(&["CLIENT", "INFO"]));
    assert!(
        line.contains(" flags=t ") && line.contains(&format!(" redir={id} ")),
        "{line}"
    );
    tracker.assert(&["GET", "k"], "_\r\n");
    target.assert(&["QUIT"], OK);
    assert!(target.is_closed());
    let mut other = s.client();
    // The target's thread may still be on its way out: write until the tracker is told.
    let broken = format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{id}\r\n");
    let mut told = false;
    for n in 0..100 {
        other.assert(&["SET", "k", &n.to_string()], OK);
        let reply = text(tracker.cmd(&["PING"]));
        if reply == broken {
            assert_eq!(text(tracker.read_reply()), "+PONG\r\n");
            told = true;
            break;
        }
        assert_eq!(reply, "+PONG\r\n");
        // Not gone yet: read the key again, so the next write is tracked.
        tracker.assert(&["GET", "k"], &bulk(&n.to_string()));
    }
    assert!(told, "never told of the broken redirection");
    let info = text(tracker.cmd(&["CLIENT", "TRACKINGINFO"]));
    assert!(info.contains("broken_redirect"), "{info}");
    let line = text(tracker.cmd(&["CLIENT", "INFO"]));
    assert!(line.contains(" flags=tR "), "{line}");
}

#[test]
fn the_table_keeps_to_its_size_limit() {
    let s = start();
    let mut target = s.client();
    let id = text(target.cmd(&["CLIENT", "ID"]));
    let id = id.trim_start_matches(':').trim_end().to_string();
    target.assert(
        &["SUBSCRIBE", "__redis__:invalidate"],
        &format!(
            "*3\r\n$9\r\nsubscribe\r\n{}:1\r\n",
            bulk("__redis__:invalidate")
        ),
    );
    let mut tracker = s.client();
    tracker.assert(&["CLIENT", "TRACKING", "on", "REDIRECT", &id], OK);
    for i in 0..20 {
        tracker.cmd(&["GET", &format!("key{i}")]);
    }
    tracker.assert(&["CONFIG", "SET", "tracking-table-max-keys", "5"], OK);
    // Fifteen keys are forgotten, each with its invalidation, by the server's cron.
    for _ in 0..15 {
        let msg = text(target.read_reply());
        assert!(msg.contains("__redis__:invalidate"), "{msg}");
    }
    let stats = text(tracker.cmd(&["INFO", "stats"]));
    assert!(stats.contains("tracking_total_keys:5\r\n"), "{stats}");
}

/// With the cron stopped (`DEBUG PAUSE-CRON 1`), a lowered limit still holds from the next
/// command on, even one `MULTI` only queues: the invalidation comes before `QUEUED`.
#[test]
fn a_lowered_limit_holds_from_the_next_command() {
    let s = start_with(|cfg| cfg.enable_debug_command = rust_redis::config::DebugCommand::Yes);
    let mut admin = s.client();
    admin.assert(&["CONFIG", "SET", "tracking-table-max-keys", "2"], OK);
    admin.assert(&["DEBUG", "PAUSE-CRON", "1"], OK);
    let mut tracker = resp3_tracker(&s);
    tracker.assert(&["MGET", "a", "b"], "*2\r\n_\r\n_\r\n");
    tracker.assert(&["MULTI"], OK);
    admin.assert(&["CONFIG", "SET", "tracking-table-max-keys", "1"], OK);
    tracker.send(&["PING"]);
    let told = text(tracker.read_reply());
    assert!(told == invalidate("a") || told == invalidate("b"), "{told}");
    assert_eq!(text(tracker.read_reply()), "+QUEUED\r\n");
    tracker.assert(&["EXEC"], "*1\r\n+PONG\r\n");
    admin.assert(&["DEBUG", "PAUSE-CRON", "0"], OK);
}
