//! The checks of stages 10–17: blocking, the log, transactions, Pub/Sub, RESP3, hostile input.

use std::time::{Duration, Instant};

use crate::checks_a::{bulk, bulks, int};
use crate::fail;
use crate::stages::Run;
use crate::target::{Launch, Stop};
use crate::wire::{Check, Failure, show};

/// Stage 10.
pub fn blpop(run: &mut Run) -> Check {
    let mut waiter = run.target.connect("client 1 (BLPOP)")?;
    let mut pusher = run.target.connect("client 2 (RPUSH)")?;
    let q = run.key("queue");
    waiter.send(&[b"BLPOP", &q, b"5"])?;
    // The push comes while client 1 waits; give its request time to arrive first.
    std::thread::sleep(Duration::from_millis(200));
    let v = run.key("job");
    pusher.expect(&[b"RPUSH", &q, &v], &int(1))?;
    let got = waiter.reply(&format!(
        "BLPOP {} 5 (then client 2 pushed)",
        String::from_utf8_lossy(&q)
    ))?;
    if got != bulks(&[&q, &v]) {
        return fail!(
            "client 1: sent BLPOP, then client 2 pushed {}\n  expected {}\n  got      {}",
            show(&v),
            show(&bulks(&[&q, &v])),
            show(&got)
        );
    }
    pusher.expect(&[b"LLEN", &q], &int(0))?;
    // Something already there: no waiting at all.
    pusher.expect(&[b"RPUSH", &q, b"a", b"b"], &int(2))?;
    waiter.expect(&[b"BLPOP", &q, b"1"], &bulks(&[&q, b"a"]))?;
    // A timeout: a nil array, after about the time asked for.
    let empty = run.key("empty");
    let began = Instant::now();
    waiter.expect(&[b"BLPOP", &empty, b"0.3"], b"*-1\r\n")?;
    let took = began.elapsed();
    if took < Duration::from_millis(250) {
        return fail!("client 1: BLPOP with a 0.3 s timeout answered after {took:?}: too soon");
    }
    // Waiting blocks one client, not the server.
    waiter.send(&[b"BLPOP", &empty, b"0.5"])?;
    pusher.expect(&[b"PING"], b"+PONG\r\n")?;
    let _ = waiter.reply("BLPOP with a 0.5 s timeout")?;
    Ok(())
}

/// The launched server, or the message that says why a stage needs one.
fn launched<'r>(run: &'r mut Run, stage: &str) -> Result<&'r mut Launch, Failure> {
    match run.target.launched() {
        Some(l) => Ok(l),
        None => fail!(
            "{stage} restarts the server, so the tester must start it: use --server 'your \
             command with {{PORT}}' instead of --addr"
        ),
    }
}

/// Starts the server again with `extra` arguments, after stopping it `how`.
fn restart(run: &mut Run, stage: &str, how: Stop) -> Check {
    let l = launched(run, stage)?;
    l.stop(how);
    l.start()
}

/// Stage 11.
pub fn aof_restart(run: &mut Run) -> Check {
    let stage = "Stage 11 (the AOF)";
    {
        let l = launched(run, stage)?;
        l.stop(Stop::Kill);
        l.set_extra(&["--appendonly", "yes"]);
        l.start()?;
    }
    let mut c = run.target.connect("client 1")?;
    let (k, v) = (run.key("kept"), run.bytes(40));
    c.expect(&[b"SET", &k, &v], b"+OK\r\n")?;
    let n = run.key("count");
    for i in 1..=3 {
        c.expect(&[b"INCR", &n], &int(i))?;
    }
    let l = run.key("list");
    c.expect(&[b"RPUSH", &l, b"a", b"b", b"c"], &int(3))?;
    c.expect(&[b"LPOP", &l], &bulk(b"a"))?;
    let gone = run.key("gone");
    c.expect(&[b"SET", &gone, b"x"], b"+OK\r\n")?;
    c.expect(&[b"DEL", &gone], &int(1))?;
    drop(c);
    restart(run, stage, Stop::Gently)?;
    let mut c = run.target.connect("client 1, after the restart")?;
    c.expect(&[b"GET", &k], &bulk(&v))?;
    c.expect(&[b"GET", &n], &bulk(b"3"))?;
    c.expect(&[b"LRANGE", &l, b"0", b"-1"], &bulks(&[b"b", b"c"]))?;
    c.expect(&[b"GET", &gone], b"$-1\r\n")?;
    // A second restart: replaying must not have logged the log again.
    drop(c);
    restart(run, stage, Stop::Gently)?;
    let mut c = run.target.connect("client 1, after a second restart")?;
    c.expect(&[b"INCR", &n], &int(4))?;
    c.expect(&[b"LLEN", &l], &int(2))
}

/// Stage 12.
pub fn fsync_always(run: &mut Run) -> Check {
    let stage = "Stage 12 (appendfsync always)";
    {
        let l = launched(run, stage)?;
        l.stop(Stop::Kill);
        l.set_extra(&["--appendonly", "yes", "--appendfsync", "always"]);
        l.start()?;
    }
    let mut c = run.target.connect("client 1")?;
    let mut written = Vec::new();
    for _ in 0..50 {
        let (k, v) = (run.key("durable"), run.bytes(16));
        c.expect(&[b"SET", &k, &v], b"+OK\r\n")?;
        written.push((k, v));
    }
    // Killed the moment the last reply arrived: nothing may be left only in a buffer.
    restart(run, stage, Stop::Kill)?;
    let mut c = run
        .target
        .connect("client 1, after kill -9 and a restart")?;
    for (k, v) in &written {
        c.expect(&[b"GET", k], &bulk(v))?;
    }
    Ok(())
}

/// Stage 13.
pub fn multi_exec(run: &mut Run) -> Check {
    let mut c = run.target.connect("client 1")?;
    let (k, n) = (run.key("tx"), run.key("txcount"));
    c.expect(&[b"MULTI"], b"+OK\r\n")?;
    c.expect(&[b"SET", &k, b"v"], b"+QUEUED\r\n")?;
    c.expect(&[b"INCR", &n], b"+QUEUED\r\n")?;
    c.expect(&[b"INCR", &n], b"+QUEUED\r\n")?;
    c.expect(&[b"GET", &k], b"+QUEUED\r\n")?;
    c.expect(&[b"EXEC"], b"*4\r\n+OK\r\n:1\r\n:2\r\n$1\r\nv\r\n")?;
    c.expect(&[b"EXEC"], b"-ERR EXEC without MULTI\r\n")?;
    c.expect(&[b"DISCARD"], b"-ERR DISCARD without MULTI\r\n")?;
    c.expect(&[b"MULTI"], b"+OK\r\n")?;
    c.expect(&[b"INCR", &n], b"+QUEUED\r\n")?;
    c.expect(&[b"MULTI"], b"-ERR MULTI calls can not be nested\r\n")?;
    c.expect(&[b"DISCARD"], b"+OK\r\n")?;
    c.expect(&[b"GET", &n], &bulk(b"2"))?;
    // A command refused at queue time aborts the whole transaction.
    c.expect(&[b"MULTI"], b"+OK\r\n")?;
    c.expect(&[b"INCR", &n], b"+QUEUED\r\n")?;
    c.expect_error(&[b"NOSUCHCOMMAND"], "-ERR unknown command")?;
    c.expect(
        &[b"EXEC"],
        b"-EXECABORT Transaction discarded because of previous errors.\r\n",
    )?;
    c.expect(&[b"GET", &n], &bulk(b"2"))?;
    // A command that fails when it runs fails alone.
    c.expect(&[b"MULTI"], b"+OK\r\n")?;
    c.expect(&[b"INCR", &k], b"+QUEUED\r\n")?;
    c.expect(&[b"INCR", &n], b"+QUEUED\r\n")?;
    c.expect(
        &[b"EXEC"],
        b"*2\r\n-ERR value is not an integer or out of range\r\n:3\r\n",
    )?;
    // While one client's transaction is open, others are served.
    c.expect(&[b"MULTI"], b"+OK\r\n")?;
    let mut other = run.target.connect("client 2")?;
    other.expect(&[b"INCR", &n], &int(4))?;
    c.expect(&[b"GET", &n], b"+QUEUED\r\n")?;
    c.expect(&[b"EXEC"], b"*1\r\n$1\r\n4\r\n")
}

/// Stage 14.
pub fn watch(run: &mut Run) -> Check {
    let mut c = run.target.connect("client 1")?;
    let mut other = run.target.connect("client 2")?;
    let k = run.key("watched");
    c.expect(&[b"SET", &k, b"1"], b"+OK\r\n")?;
    c.expect(&[b"WATCH", &k], b"+OK\r\n")?;
    other.expect(&[b"SET", &k, b"theirs"], b"+OK\r\n")?;
    c.expect(&[b"MULTI"], b"+OK\r\n")?;
    c.expect(&[b"SET", &k, b"mine"], b"+QUEUED\r\n")?;
    c.expect(&[b"EXEC"], b"*-1\r\n")?;
    c.expect(&[b"GET", &k], &bulk(b"theirs"))?;
    // Nobody touched it: the transaction runs. EXEC also ends the watch.
    c.expect(&[b"WATCH", &k], b"+OK\r\n")?;
    c.expect(&[b"MULTI"], b"+OK\r\n")?;
    c.expect(&[b"SET", &k, b"mine"], b"+QUEUED\r\n")?;
    c.expect(&[b"EXEC"], b"*1\r\n+OK\r\n")?;
    other.expect(&[b"SET", &k, b"later"], b"+OK\r\n")?;
    c.expect(&[b"MULTI"], b"+OK\r\n")?;
    c.expect(&[b"GET", &k], b"+QUEUED\r\n")?;
    c.expect(&[b"EXEC"], b"*1\r\n$5\r\nlater\r\n")?;
    // UNWATCH forgets; a key that did not exist counts too.
    let fresh = run.key("fresh");
    c.expect(&[b"WATCH", &k, &fresh], b"+OK\r\n")?;
    c.expect(&[b"UNWATCH"], b"+OK\r\n")?;
    other.expect(&[b"SET", &k, b"again"], b"+OK\r\n")?;
    c.expect(&[b"MULTI"], b"+OK\r\n")?;
    c.expect(&[b"EXEC"], b"*0\r\n")?;
    c.expect(&[b"WATCH", &fresh], b"+OK\r\n")?;
    other.expect(&[b"SET", &fresh, b"born"], b"+OK\r\n")?;
    c.expect(&[b"MULTI"], b"+OK\r\n")?;
    c.expect(&[b"EXEC"], b"*-1\r\n")
}

/// Stage 15.
pub fn pubsub(run: &mut Run) -> Check {
    let mut sub = run.target.connect("client 1 (subscriber)")?;
    let mut publisher = run.target.connect("client 2 (publisher)")?;
    let (ch, other) = (run.key("channel"), run.key("elsewhere"));
    let confirm = |kind: &[u8], ch: &[u8], n: i64| {
        let mut out = b"*3\r\n".to_vec();
        out.extend(bulk(kind));
        out.extend(bulk(ch));
        out.extend(int(n));
        out
    };
    sub.expect(&[b"SUBSCRIBE", &ch], &confirm(b"subscribe", &ch, 1))?;
    let msg = run.bytes(12);
    publisher.expect(&[b"PUBLISH", &ch, &msg], &int(1))?;
    let got = sub.reply("nothing (waiting for the published message)")?;
    if got != bulks(&[b"message", &ch, &msg]) {
        return fail!(
            "client 1: subscribed, then client 2 published {}\n  expected {}\n  got      {}",
            show(&msg),
            show(&bulks(&[b"message", &ch, &msg])),
            show(&got)
        );
    }
    publisher.expect(&[b"PUBLISH", &other, b"x"], &int(0))?;
    sub.expect(&[b"PING"], b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")?;
    sub.expect(&[b"UNSUBSCRIBE", &ch], &confirm(b"unsubscribe", &ch, 0))?;
    publisher.expect(&[b"PUBLISH", &ch, b"x"], &int(0))?;
    // Out of subscribed mode, the connection is an ordinary one again.
    sub.expect(&[b"PING"], b"+PONG\r\n")
}

/// Stage 16.
pub fn resp3(run: &mut Run) -> Check {
    let mut c = run.target.connect("client 1")?;
    let missing = run.key("missing");
    c.expect(&[b"GET", &missing], b"$-1\r\n")?;
    let hello = c.cmd(&[b"HELLO", b"3"])?;
    let proto3 = b"$5\r\nproto\r\n:3\r\n";
    if !hello.starts_with(b"%") || !hello.windows(proto3.len()).any(|w| w == proto3) {
        return fail!(
            "client 1: sent HELLO 3\n  expected a RESP3 map (%...) holding proto 3 ({})\n  got      {}",
            show(proto3),
            show(&hello)
        );
    }
    c.expect(&[b"GET", &missing], b"_\r\n")?;
    c.expect(&[b"PING"], b"+PONG\r\n")?;
    let hello = c.cmd(&[b"HELLO", b"2"])?;
    if !hello.starts_with(b"*") {
        return fail!(
            "client 1: sent HELLO 2\n  expected a RESP2 array (*...)\n  got      {}",
            show(&hello)
        );
    }
    c.expect(&[b"GET", &missing], b"$-1\r\n")?;
    c.expect_error(&[b"HELLO", b"4"], "-NOPROTO")?;
    c.expect(&[b"GET", &missing], b"$-1\r\n")
}

/// Stage 17.
pub fn hostile(run: &mut Run) -> Check {
    let mut bystander = run.target.connect("client 1 (well behaved)")?;
    let k = run.key("safe");
    bystander.expect(&[b"SET", &k, b"v"], b"+OK\r\n")?;
    for (what, bytes, prefix) in [
        (
            "a bulk length of a trillion",
            &b"*1\r\n$999999999999\r\n"[..],
            "-ERR Protocol error",
        ),
        (
            "a negative bulk length",
            b"*1\r\n$-7\r\n",
            "-ERR Protocol error",
        ),
        (
            "an array of a hundred billion",
            b"*99999999999\r\n",
            "-ERR Protocol error",
        ),
        (
            "a length that is not a number",
            b"*1\r\n$abc\r\n",
            "-ERR Protocol error",
        ),
    ] {
        let mut bad = run.target.connect(&format!("client 2 (sends {what})"))?;
        bad.send_raw(bytes)?;
        let got = bad.reply(&show(bytes))?;
        if !got.starts_with(prefix.as_bytes()) {
            return fail!(
                "client 2: sent {what}, {}\n  expected an error starting {}\n  got      {}",
                show(bytes),
                show(prefix.as_bytes()),
                show(&got)
            );
        }
        if !bad.closed_within(Duration::from_secs(2)) {
            return fail!(
                "client 2: sent {what}, {}: the server answered but kept the connection open; it must close it (what follows cannot be trusted)",
                show(bytes)
            );
        }
        if let Some(l) = run.target.launched()
            && let Some(why) = l.exited()
        {
            return fail!("client 2 sent {what}, {}, and {why}", show(bytes));
        }
        bystander.expect(&[b"GET", &k], &bulk(b"v"))?;
    }
    Ok(())
}
