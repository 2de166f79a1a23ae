//! Pub/Sub over real sockets: reply shapes byte for byte, subscribed mode, fan-out, patterns,
//! publish order, and a stalled subscriber that is cut off while everyone else carries on.

mod common;

use std::net::TcpStream;
use std::time::Duration;

use common::*;
use rust_redis::engine::store::glob_match;

/// `[kind, name, count]` as RESP2 bytes; `None` for the nil name.
fn frame(kind: &str, name: Option<&str>, count: i64) -> String {
    let name = name.map_or("$-1\r\n".to_string(), bulk);
    format!("*3\r\n{}{name}{}", bulk(kind), int(count))
}

fn message(channel: &str, msg: &str) -> String {
    format!("*3\r\n{}{}{}", bulk("message"), bulk(channel), bulk(msg))
}

fn pmessage(pattern: &str, channel: &str, msg: &str) -> String {
    format!(
        "*4\r\n{}{}{}{}",
        bulk("pmessage"),
        bulk(pattern),
        bulk(channel),
        bulk(msg)
    )
}

/// Reads one reply per expected frame and compares each.
#[track_caller]
fn expect(c: &mut Client, frames: &[String]) {
    for want in frames {
        let got = c.read_reply();
        assert_eq!(String::from_utf8_lossy(&got), *want);
    }
}

/// Sends a command whose reply is several frames, and checks them all.
#[track_caller]
fn assert_frames(c: &mut Client, args: &[&str], frames: &[String]) {
    c.send(args);
    expect(c, frames);
}

fn numsub(c: &mut Client, channel: &str) -> Vec<u8> {
    c.cmd(&["PUBSUB", "NUMSUB", channel])
}

#[test]
fn subscribe_and_unsubscribe_reply_like_redis() {
    let s = start();
    let mut c = s.client();
    assert_frames(
        &mut c,
        &["SUBSCRIBE", "a", "b", "a"],
        &[
            frame("subscribe", Some("a"), 1),
            frame("subscribe", Some("b"), 2),
            frame("subscribe", Some("a"), 2),
        ],
    );
    assert_frames(
        &mut c,
        &["PSUBSCRIBE", "n*"],
        &[frame("psubscribe", Some("n*"), 3)],
    );
    assert_frames(
        &mut c,
        &["UNSUBSCRIBE", "zz"],
        &[frame("unsubscribe", Some("zz"), 3)],
    );
    // Without arguments: every channel, each with the count left after it.
    assert_frames(
        &mut c,
        &["UNSUBSCRIBE"],
        &[
            frame("unsubscribe", Some("a"), 2),
            frame("unsubscribe", Some("b"), 1),
        ],
    );
    assert_frames(&mut c, &["UNSUBSCRIBE"], &[frame("unsubscribe", None, 1)]);
    assert_frames(
        &mut c,
        &["PUNSUBSCRIBE"],
        &[frame("punsubscribe", Some("n*"), 0)],
    );
    assert_frames(&mut c, &["PUNSUBSCRIBE"], &[frame("punsubscribe", None, 0)]);
    // Out of subscribed mode again: ordinary commands work.
    c.assert(&["GET", "x"], "$-1\r\n");
    c.assert(&["PING"], "+PONG\r\n");
}

#[test]
fn unsubscribe_before_any_subscription() {
    let s = start();
    let mut c = s.client();
    c.assert(&["UNSUBSCRIBE"], &frame("unsubscribe", None, 0));
    c.assert(&["PUNSUBSCRIBE"], &frame("punsubscribe", None, 0));
    assert_frames(
        &mut c,
        &["UNSUBSCRIBE", "x", "y"],
        &[
            frame("unsubscribe", Some("x"), 0),
            frame("unsubscribe", Some("y"), 0),
        ],
    );
    c.assert(&["PING"], "+PONG\r\n");
}

#[test]
fn subscribed_mode_allows_only_pubsub_commands() {
    let s = start();
    let mut c = s.client();
    c.assert(&["SUBSCRIBE", "ch"], &frame("subscribe", Some("ch"), 1));
    c.assert(
        &["GET", "x"],
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET \
         are allowed in this context\r\n",
    );
    c.assert(
        &["PUBLISH", "ch", "m"],
        "-ERR Can't execute 'publish': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
         RESET are allowed in this context\r\n",
    );
    c.assert(&["PING"], "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    c.assert(&["PING", "m"], "*2\r\n$4\r\npong\r\n$1\r\nm\r\n");
    c.assert(
        &["SUBSCRIBE"],
        "-ERR wrong number of arguments for 'subscribe' command\r\n",
    );
    c.assert(&["QUIT"], "+OK\r\n");
    assert!(c.is_closed());
}

#[test]
fn pipelined_replies_keep_their_order_across_the_switch_to_the_writer_thread() {
    let s = start();
    let mut c = s.client();
    let mut pipeline = encode(&[b"PING"]);
    pipeline.extend(encode(&[b"SUBSCRIBE", b"ch"]));
    pipeline.extend(encode(&[b"PING"]));
    pipeline.extend(encode(&[b"UNSUBSCRIBE"]));
    pipeline.extend(encode(&[b"ECHO", b"back"]));
    c.send_raw(&pipeline);
    expect(
        &mut c,
        &[
            "+PONG\r\n".into(),
            frame("subscribe", Some("ch"), 1),
            "*2\r\n$4\r\npong\r\n$0\r\n\r\n".into(),
            frame("unsubscribe", Some("ch"), 0),
            bulk("back"),
        ],
    );
}

#[test]
fn publish_counts_receivers_and_delivers_to_channels_and_patterns() {
    let s = start();
    let mut p = s.client();
    let mut a = s.client();
    let mut b = s.client();
    let mut all = s.client();
    p.assert(&["PUBLISH", "ch", "nobody"], &int(0));
    a.assert(&["SUBSCRIBE", "ch"], &frame("subscribe", Some("ch"), 1));
    b.assert(&["SUBSCRIBE", "ch"], &frame("subscribe", Some("ch"), 1));
    all.assert(&["PSUBSCRIBE", "*"], &frame("psubscribe", Some("*"), 1));
    p.assert(&["PUBLISH", "ch", "hi"], &int(3));
    p.assert(&["PUBLISH", "other", "x"], &int(1));
    expect(&mut a, &[message("ch", "hi")]);
    expect(&mut b, &[message("ch", "hi")]);
    expect(
        &mut all,
        &[pmessage("*", "ch", "hi"), pmessage("*", "other", "x")],
    );
    // A client on both the channel and a matching pattern gets (and counts as) two receivers.
    a.assert(&["PSUBSCRIBE", "*"], &frame("psubscribe", Some("*"), 2));
    p.assert(&["PUBLISH", "ch", "2"], &int(4));
    let mut got = vec![
        String::from_utf8_lossy(&a.read_reply()).into_owned(),
        String::from_utf8_lossy(&a.read_reply()).into_owned(),
    ];
    got.sort();
    let mut want = vec![message("ch", "2"), pmessage("*", "ch", "2")];
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn binary_channels_and_messages_are_delivered_intact() {
    let s = start();
    let mut p = s.client();
    let mut c = s.client();
    let channel: &[u8] = b"c\x00\r\nh";
    let msg: &[u8] = b"\xff\x00\r\n";
    c.cmd_bytes(&[b"SUBSCRIBE", channel]);
    assert_eq!(p.cmd_bytes(&[b"PUBLISH", channel, msg]), b":1\r\n");
    let mut want = b"*3\r\n$7\r\nmessage\r\n$5\r\nc\x00\r\nh\r\n$4\r\n".to_vec();
    want.extend_from_slice(b"\xff\x00\r\n\r\n");
    assert_eq!(c.read_reply(), want);
}

#[test]
fn pattern_delivery_agrees_with_glob_match() {
    let s = start();
    let mut p = s.client();
    let patterns = ["news.*", "*", "h?llo", "exact", "[ab]x", "n*s"];
    let channels = [
        "news.tech",
        "news",
        "hello",
        "hallo",
        "exact",
        "ax",
        "bx",
        "cx",
        "nets",
        "x",
    ];
    let mut subs: Vec<Client> = patterns
        .iter()
        .map(|pat| {
            let mut c = s.client();
            c.assert(&["PSUBSCRIBE", pat], &frame("psubscribe", Some(pat), 1));
            c.assert(&["SUBSCRIBE", "end"], &frame("subscribe", Some("end"), 2));
            c
        })
        .collect();
    for ch in channels {
        let want = patterns
            .iter()
            .filter(|pat| glob_match(pat.as_bytes(), ch.as_bytes()))
            .count();
        p.assert(&["PUBLISH", ch, "m"], &int(want as i64));
    }
    let end_patterns = patterns
        .iter()
        .filter(|pat| glob_match(pat.as_bytes(), b"end"))
        .count();
    p.assert(
        &["PUBLISH", "end", "."],
        &int((patterns.len() + end_patterns) as i64),
    );
    for (pat, c) in patterns.iter().zip(&mut subs) {
        let mut want: Vec<String> = channels
            .iter()
            .filter(|ch| glob_match(pat.as_bytes(), ch.as_bytes()))
            .map(|ch| pmessage(pat, ch, "m"))
            .collect();
        // Channel subscribers are served before pattern subscribers, as in Redis.
        want.push(message("end", "."));
        if glob_match(pat.as_bytes(), b"end") {
            want.push(pmessage(pat, "end", "."));
        }
        expect(c, &want);
    }
}

#[test]
fn messages_from_one_publisher_arrive_in_publish_order() {
    let s = start();
    let mut p = s.client();
    let mut subs: Vec<Client> = (0..3)
        .map(|_| {
            let mut c = s.client();
            c.assert(&["SUBSCRIBE", "seq"], &frame("subscribe", Some("seq"), 1));
            c
        })
        .collect();
    // One pipelined burst: the publisher never waits for a subscriber in between.
    let n = 2000;
    let mut burst = Vec::new();
    for i in 0..n {
        burst.extend(encode(&[b"PUBLISH", b"seq", i.to_string().as_bytes()]));
    }
    p.send_raw(&burst);
    for _ in 0..n {
        assert_eq!(p.read_reply(), b":3\r\n");
    }
    for c in &mut subs {
        for i in 0..n {
            assert_eq!(
                String::from_utf8_lossy(&c.read_reply()),
                message("seq", &i.to_string())
            );
        }
    }
}

#[test]
fn fan_out_to_many_subscribers_from_concurrent_publishers() {
    let s = start();
    let subscribers = 50;
    let publishers = 4;
    let per_publisher = 100;
    let mut subs: Vec<Client> = (0..subscribers)
        .map(|_| {
            let mut c = s.client();
            c.assert(&["SUBSCRIBE", "fan"], &frame("subscribe", Some("fan"), 1));
            c
        })
        .collect();
    let addr = s.addr();
    let threads: Vec<_> = (0..publishers)
        .map(|p| {
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                for i in 0..per_publisher {
                    let msg = format!("{p}:{i}");
                    assert_eq!(
                        c.cmd(&["PUBLISH", "fan", &msg]),
                        int(subscribers).as_bytes()
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("publisher");
    }
    // Every subscriber gets every message, and each publisher's in its order.
    for c in &mut subs {
        let mut next = vec![0; publishers];
        for _ in 0..publishers * per_publisher {
            let reply = String::from_utf8_lossy(&c.read_reply()).into_owned();
            let body = reply
                .rsplit("\r\n")
                .nth(1)
                .expect("message body")
                .to_string();
            let (p, i) = body.split_once(':').expect("p:i");
            let (p, i): (usize, usize) = (p.parse().unwrap(), i.parse().unwrap());
            assert_eq!(i, next[p], "publisher {p} out of order");
            next[p] += 1;
        }
    }
}

#[test]
fn pubsub_introspection() {
    let s = start();
    let mut q = s.client();
    let mut a = s.client();
    let mut b = s.client();
    q.assert(&["PUBSUB", "CHANNELS"], "*0\r\n");
    q.assert(&["PUBSUB", "NUMSUB"], "*0\r\n");
    q.assert(&["PUBSUB", "NUMPAT"], &int(0));
    assert_frames(
        &mut a,
        &["SUBSCRIBE", "news.tech", "sport"],
        &[
            frame("subscribe", Some("news.tech"), 1),
            frame("subscribe", Some("sport"), 2),
        ],
    );
    b.assert(
        &["SUBSCRIBE", "sport"],
        &frame("subscribe", Some("sport"), 1),
    );
    b.assert(&["PSUBSCRIBE", "n*"], &frame("psubscribe", Some("n*"), 2));
    a.assert(&["PSUBSCRIBE", "n*"], &frame("psubscribe", Some("n*"), 3));
    q.assert(
        &["PUBSUB", "CHANNELS"],
        &format!("*2\r\n{}{}", bulk("news.tech"), bulk("sport")),
    );
    q.assert(
        &["pubsub", "channels", "sport"],
        &format!("*1\r\n{}", bulk("sport")),
    );
    q.assert(
        &["PUBSUB", "NUMSUB", "sport", "news.tech", "none"],
        &format!(
            "*6\r\n{}{}{}{}{}{}",
            bulk("sport"),
            int(2),
            bulk("news.tech"),
            int(1),
            bulk("none"),
            int(0)
        ),
    );
    // Distinct patterns, not subscriptions.
    q.assert(&["PUBSUB", "NUMPAT"], &int(1));
    q.assert(
        &["PUBSUB"],
        "-ERR wrong number of arguments for 'pubsub' command\r\n",
    );
    q.assert(
        &["PUBSUB", "FOO"],
        "-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n",
    );
    q.assert(
        &["PUBSUB", "CHANNELS", "a", "b"],
        "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n",
    );
    q.assert(
        &["PUBSUB", "NUMPAT", "x"],
        "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n",
    );
    q.assert(
        &["PUBLISH", "a"],
        "-ERR wrong number of arguments for 'publish' command\r\n",
    );
    let help = q.cmd(&["PUBSUB", "HELP"]);
    assert!(
        help.starts_with(b"*14\r\n+PUBSUB <subcommand>"),
        "{}",
        String::from_utf8_lossy(&help)
    );
}

#[test]
fn a_disconnected_subscriber_is_removed() {
    let s = start();
    let mut q = s.client();
    let mut a = s.client();
    let mut b = s.client();
    a.assert(&["SUBSCRIBE", "ch"], &frame("subscribe", Some("ch"), 1));
    b.assert(&["PSUBSCRIBE", "c*"], &frame("psubscribe", Some("c*"), 1));
    assert_eq!(
        numsub(&mut q, "ch"),
        format!("*2\r\n{}{}", bulk("ch"), int(1)).as_bytes()
    );
    drop(a);
    drop(b);
    let gone = format!("*2\r\n{}{}", bulk("ch"), int(0));
    assert!(wait_until(Duration::from_secs(10), || numsub(&mut q, "ch")
        == gone.as_bytes()));
    assert!(wait_until(Duration::from_secs(10), || q
        .cmd(&["PUBSUB", "NUMPAT"])
        == b":0\r\n"));
    q.assert(&["PUBSUB", "CHANNELS"], "*0\r\n");
    q.assert(&["PUBLISH", "ch", "x"], &int(0));
}

#[test]
fn a_stalled_subscriber_is_cut_off_while_everyone_else_carries_on() {
    let s = start();
    let shared = s.server.as_ref().expect("running").shared().clone();
    // A tiny hard limit: the stalled client is over it as soon as the kernel's socket buffers
    // (a few MB on loopback) are full.
    shared.pubsub.set_output_limit(1024 * 1024);
    let mut stalled = s.client();
    stalled.assert(&["SUBSCRIBE", "ch"], &frame("subscribe", Some("ch"), 1));
    let mut healthy = s.client();
    healthy.assert(&["SUBSCRIBE", "ch"], &frame("subscribe", Some("ch"), 1));
    let payload = "x".repeat(64 * 1024);
    let want = message("ch", &payload);
    // The healthy subscriber reads in its own thread until the publisher's last word.
    let reader = std::thread::spawn(move || {
        let mut n = 0usize;
        loop {
            let got = healthy.read_reply();
            if got == message("ch", "done").as_bytes() {
                return n;
            }
            assert_eq!(got, want.as_bytes());
            n += 1;
        }
    });
    // Publish until the stalled client has been cut off (at most 256 MB, so a broken limit
    // fails the test instead of looping forever). The publisher never blocks on it.
    let mut p = s.client();
    let mut sent = 0usize;
    while shared.pubsub.stats().output_limit_disconnections == 0 {
        assert!(sent < 4096, "the stalled subscriber was never disconnected");
        let receivers = p.cmd(&["PUBLISH", "ch", &payload]);
        assert!(receivers == b":2\r\n" || receivers == b":1\r\n");
        sent += 1;
    }
    // The cut-off client leaves the channel; the publisher and the healthy subscriber go on.
    let one = format!("*2\r\n{}{}", bulk("ch"), int(1));
    assert!(wait_until(Duration::from_secs(10), || numsub(&mut p, "ch")
        == one.as_bytes()));
    for _ in 0..10 {
        p.assert(&["PUBLISH", "ch", &payload], &int(1));
        sent += 1;
    }
    p.assert(&["PUBLISH", "ch", "done"], &int(1));
    assert_eq!(reader.join().expect("healthy reader"), sent);
    assert_eq!(shared.pubsub.stats().output_limit_disconnections, 1);
    // The stalled client finds its connection closed once it reads what the kernel held.
    stalled
        .stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert!(drains_to_eof(stalled.stream));
}

/// Reads until end-of-file; false if the connection stays open (read timeout).
fn drains_to_eof(mut stream: TcpStream) -> bool {
    use std::io::Read;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// Fan-out benchmark, not a test: one publisher, 50 subscribers, figures printed.
///
/// `cargo test --release --test pubsub -- --ignored --nocapture fan_out_benchmark`; set
/// `PUBSUB_BENCH_ADDR=127.0.0.1:6379` to measure another server (Redis 7) the same way, and
/// `PUBSUB_BENCH_N` for the number of messages (default 100,000).
#[test]
#[ignore = "benchmark: run by hand in release mode"]
fn fan_out_benchmark() {
    use std::io::{Read, Write};
    use std::time::Instant;
    let local = std::env::var("PUBSUB_BENCH_ADDR").is_err().then(start);
    let addr: std::net::SocketAddr = match &local {
        Some(s) => s.addr(),
        None => std::env::var("PUBSUB_BENCH_ADDR")
            .unwrap()
            .parse()
            .expect("host:port"),
    };
    let n: usize = std::env::var("PUBSUB_BENCH_N").map_or(100_000, |v| v.parse().expect("a count"));
    let subscribers = 50;
    let payload = "0123456789abcdef";
    let frame_len = message("bench", payload).len();
    let threads: Vec<_> = (0..subscribers)
        .map(|_| {
            let mut c = Client::connect(addr);
            c.assert(
                &["SUBSCRIBE", "bench"],
                &frame("subscribe", Some("bench"), 1),
            );
            std::thread::spawn(move || {
                // Count bytes, not frames: the reader must not be the bottleneck.
                let mut left = n * frame_len;
                let mut buf = vec![0u8; 256 * 1024];
                while left > 0 {
                    let got = c.stream.read(&mut buf).expect("read");
                    assert!(got > 0, "server closed a subscriber");
                    left = left.saturating_sub(got);
                }
                Instant::now()
            })
        })
        .collect();
    let mut p = Client::connect(addr);
    let batch = 100;
    let one = encode(&[b"PUBLISH", b"bench", payload.as_bytes()]);
    let burst: Vec<u8> = one.repeat(batch);
    let started = Instant::now();
    let mut sent = 0;
    while sent < n {
        let k = batch.min(n - sent);
        p.stream.write_all(&burst[..k * one.len()]).expect("write");
        for _ in 0..k {
            p.read_reply();
        }
        sent += k;
    }
    let published = started.elapsed();
    let done = threads
        .into_iter()
        .map(|t| t.join().expect("reader"))
        .max()
        .expect("readers");
    let delivered = done - started;
    println!(
        "fan-out 1 -> {subscribers}: {n} messages published in {:.2?} ({:.0} msg/s), all \
         delivered in {:.2?} ({:.0} msg/s in, {:.0} deliveries/s out)",
        published,
        n as f64 / published.as_secs_f64(),
        delivered,
        n as f64 / delivered.as_secs_f64(),
        (n * subscribers) as f64 / delivered.as_secs_f64()
    );
}

#[test]
fn a_publisher_that_stalls_mid_command_does_not_hold_back_its_messages() {
    let s = start();
    let mut sub = s.client();
    sub.assert(&["SUBSCRIBE", "ch"], &frame("subscribe", Some("ch"), 1));
    let mut p = s.client();
    // A whole PUBLISH and the first half of the next command, then silence.
    let mut bytes = encode(&[b"PUBLISH", b"ch", b"first"]);
    bytes.extend_from_slice(b"*3\r\n$7\r\nPUBLISH\r\n");
    p.send_raw(&bytes);
    expect(&mut sub, &[message("ch", "first")]);
    p.send_raw(b"$2\r\nch\r\n$6\r\nsecond\r\n");
    assert_eq!(p.read_reply(), b":1\r\n");
    assert_eq!(p.read_reply(), b":1\r\n");
    expect(&mut sub, &[message("ch", "second")]);
}
