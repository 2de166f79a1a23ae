//! The checks of stages 1–9: the network, the protocol, strings, expiry, errors, lists.

use std::time::{Duration, Instant};

use crate::fail;
use crate::stages::Run;
use crate::wire::{Check, Conn, show, words};

/// A bulk-string reply.
pub fn bulk(v: &[u8]) -> Vec<u8> {
    let mut out = format!("${}\r\n", v.len()).into_bytes();
    out.extend_from_slice(v);
    out.extend_from_slice(b"\r\n");
    out
}

/// An integer reply.
pub fn int(n: i64) -> Vec<u8> {
    format!(":{n}\r\n").into_bytes()
}

/// An array reply of bulk strings.
pub fn bulks(items: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", items.len()).into_bytes();
    for i in items {
        out.extend(bulk(i));
    }
    out
}

/// Polls `check` every 20 ms until it is true or `timeout` passes.
pub fn eventually(
    timeout: Duration,
    mut check: impl FnMut() -> Result<bool, crate::wire::Failure>,
) -> Result<bool, crate::wire::Failure> {
    let began = Instant::now();
    loop {
        if check()? {
            return Ok(true);
        }
        if began.elapsed() > timeout {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stage 1.
pub fn ping(run: &mut Run) -> Check {
    let mut c = run.target.connect("client 1")?;
    c.expect(&[b"PING"], b"+PONG\r\n")
}

/// Stage 2.
pub fn resp(run: &mut Run) -> Check {
    let mut c = run.target.connect("client 1")?;
    c.expect(&[b"PING"], b"+PONG\r\n")?;
    c.expect(&[b"PING"], b"+PONG\r\n")?;
    c.expect(&[b"ping"], b"+PONG\r\n")?;
    let word = run.key("hello");
    c.expect(&[b"ECHO", &word], &bulk(&word))?;
    // Bytes a line-based parser would trip over.
    let mut tricky = b"a\r\nb\r\n".to_vec();
    tricky.extend(run.bytes(20));
    c.expect(&[b"ECHO", &tricky], &bulk(&tricky))?;
    c.expect(&[b"ECHO", b""], b"$0\r\n\r\n")?;
    c.expect(&[b"PING", &word], &bulk(&word))
}

/// Stage 3.
pub fn many_clients(run: &mut Run) -> Check {
    let mut silent = run.target.connect("client 1 (sends nothing)")?;
    let mut others = Vec::new();
    for i in 2..=11 {
        others.push(run.target.connect(&format!("client {i}"))?);
    }
    // Each asks in turn, twice over: a server that serves one client to the end before the
    // next, or waits on the silent one, hangs here.
    for _ in 0..2 {
        for c in others.iter_mut() {
            c.expect(&[b"PING"], b"+PONG\r\n")?;
        }
    }
    silent.expect(&[b"PING"], b"+PONG\r\n")
}

/// Stage 4.
pub fn set_get(run: &mut Run) -> Check {
    let mut c = run.target.connect("client 1")?;
    let (k, v) = (run.key("key"), run.bytes(32));
    c.expect(&[b"GET", &k], b"$-1\r\n")?;
    c.expect(&[b"SET", &k, &v], b"+OK\r\n")?;
    c.expect(&[b"GET", &k], &bulk(&v))?;
    let v2 = run.bytes(5);
    c.expect(&[b"set", &k, &v2], b"+OK\r\n")?;
    c.expect(&[b"get", &k], &bulk(&v2))?;
    let empty = run.key("empty");
    c.expect(&[b"SET", &empty, b""], b"+OK\r\n")?;
    c.expect(&[b"GET", &empty], b"$0\r\n\r\n")?;
    // Another client sees the same store.
    let mut other = run.target.connect("client 2")?;
    other.expect(&[b"GET", &k], &bulk(&v2))?;
    let missing = run.key("missing");
    other.expect(&[b"DEL", &k, &empty, &missing], &int(2))?;
    c.expect(&[b"GET", &k], b"$-1\r\n")
}

/// Stage 5.
pub fn pipelining(run: &mut Run) -> Check {
    let mut c = run.target.connect("client 1")?;
    let mut batch = Vec::new();
    let mut expected = Vec::new();
    let mut sent = Vec::new();
    for i in 0..200 {
        let k = run.key("pipe");
        let v = format!("value-{i}").into_bytes();
        batch.extend(crate::wire::encode(&[b"SET", &k, &v]));
        batch.extend(crate::wire::encode(&[b"GET", &k]));
        expected.push(b"+OK\r\n".to_vec());
        expected.push(bulk(&v));
        sent.push(words(&[b"SET", &k, &v]));
        sent.push(words(&[b"GET", &k]));
    }
    c.send_raw(&batch)?;
    for (i, want) in expected.iter().enumerate() {
        let got = c.reply(&format!(
            "{} (request {} of 400, all sent in one write)",
            sent[i],
            i + 1
        ))?;
        if &got != want {
            return fail!(
                "client 1: sent 400 requests in one write; reply {} (to {}):\n  expected {}\n  got      {}",
                i + 1,
                sent[i],
                show(want),
                show(&got)
            );
        }
    }
    // One request in three pieces, with pauses between them.
    let k = run.key("slow");
    let whole = crate::wire::encode(&[b"SET", &k, b"pieces"]);
    let (a, rest) = whole.split_at(5);
    let (b, tail) = rest.split_at(rest.len() / 2);
    for piece in [a, b, tail] {
        c.send_raw(piece)?;
        std::thread::sleep(Duration::from_millis(50));
    }
    let got = c.reply("SET in three pieces")?;
    if got != b"+OK\r\n" {
        return fail!(
            "client 1: sent SET in three pieces\n  expected \"+OK\\r\\n\"\n  got      {}",
            show(&got)
        );
    }
    c.expect(&[b"GET", &k], &bulk(b"pieces"))
}

// ANCHOR: lazy_expiry
/// Stage 6.
pub fn lazy_expiry(run: &mut Run) -> Check {
    let mut c = run.target.connect("client 1")?;
    let (k, v) = (run.key("ttl"), run.bytes(8));
    c.expect(&[b"SET", &k, &v, b"PX", b"300"], b"+OK\r\n")?;
    c.expect(&[b"GET", &k], &bulk(&v))?;
    let long = run.key("long");
    c.expect(&[b"SET", &long, b"x", b"EX", b"100"], b"+OK\r\n")?;
    std::thread::sleep(Duration::from_millis(500));
    c.expect(&[b"GET", &k], b"$-1\r\n")?;
    c.expect(&[b"GET", &long], &bulk(b"x"))?;
    // A plain SET replaces the deadline with none.
    let again = run.key("again");
    c.expect(&[b"SET", &again, b"1", b"px", b"200"], b"+OK\r\n")?;
    c.expect(&[b"SET", &again, b"2"], b"+OK\r\n")?;
    std::thread::sleep(Duration::from_millis(400));
    c.expect(&[b"GET", &again], &bulk(b"2"))?;
    c.expect_error(&[b"SET", &k, b"v", b"PX", b"0"], "-ERR")?;
    c.expect_error(&[b"SET", &k, b"v", b"EX", b"-5"], "-ERR")?;
    c.expect_error(&[b"SET", &k, b"v", b"PX", b"soon"], "-ERR")
}
// ANCHOR_END: lazy_expiry

/// Stage 7.
pub fn active_expiry(run: &mut Run) -> Check {
    let mut c = run.target.connect("client 1")?;
    let dbsize = |c: &mut Conn| -> Result<i64, crate::wire::Failure> {
        let got = c.cmd(&[b"DBSIZE"])?;
        let text = String::from_utf8_lossy(&got);
        match text
            .strip_prefix(':')
            .and_then(|t| t.trim_end().parse().ok())
        {
            Some(n) => Ok(n),
            None => fail!(
                "client 1: sent DBSIZE\n  expected an integer reply like \":3\\r\\n\"\n  got      {}",
                show(&got)
            ),
        }
    };
    let before = dbsize(&mut c)?;
    let keep = run.key("keep");
    c.expect(&[b"SET", &keep, b"v"], b"+OK\r\n")?;
    for _ in 0..100 {
        let k = run.key("gone");
        c.expect(&[b"SET", &k, b"v", b"PX", b"100"], b"+OK\r\n")?;
    }
    let now = dbsize(&mut c)?;
    if now != before + 101 {
        return fail!(
            "client 1: DBSIZE answered {now} after 101 new keys on {before}: it should count every key stored"
        );
    }
    let swept =
        crate::checks_a::eventually(Duration::from_secs(5), || Ok(dbsize(&mut c)? == before + 1))?;
    if !swept {
        let left = dbsize(&mut c)?;
        return fail!(
            "client 1: 100 keys expired 5 s ago and nobody read them, but DBSIZE still answers \
             {left} (expected {}). Delete expired keys in the background, not only when read.",
            before + 1
        );
    }
    c.expect(&[b"GET", &keep], &bulk(b"v"))
}

/// Stage 8.
pub fn incr_errors(run: &mut Run) -> Check {
    let mut c = run.target.connect("client 1")?;
    let n = run.key("counter");
    c.expect(&[b"INCR", &n], &int(1))?;
    c.expect(&[b"INCR", &n], &int(2))?;
    c.expect(&[b"DECR", &n], &int(1))?;
    let start = run.number(-1000..1000);
    let m = run.key("number");
    c.expect(&[b"SET", &m, start.to_string().as_bytes()], b"+OK\r\n")?;
    c.expect(&[b"INCR", &m], &int(start + 1))?;
    c.expect(&[b"GET", &m], &bulk((start + 1).to_string().as_bytes()))?;
    let text = run.key("text");
    c.expect(&[b"SET", &text, b"abc"], b"+OK\r\n")?;
    c.expect(
        &[b"INCR", &text],
        b"-ERR value is not an integer or out of range\r\n",
    )?;
    c.expect(&[b"SET", &text, b"9223372036854775807"], b"+OK\r\n")?;
    c.expect(
        &[b"INCR", &text],
        b"-ERR increment or decrement would overflow\r\n",
    )?;
    c.expect(&[b"GET", &text], &bulk(b"9223372036854775807"))?;
    c.expect_error(&[b"NOSUCHCOMMAND", b"x"], "-ERR unknown command")?;
    c.expect(
        &[b"GET"],
        b"-ERR wrong number of arguments for 'get' command\r\n",
    )?;
    c.expect(
        &[b"INCR", &n, &m],
        b"-ERR wrong number of arguments for 'incr' command\r\n",
    )?;
    // An error is a reply like any other: the connection goes on.
    c.expect(&[b"PING"], b"+PONG\r\n")
}

/// Stage 9.
pub fn lists(run: &mut Run) -> Check {
    let mut c = run.target.connect("client 1")?;
    let l = run.key("list");
    c.expect(&[b"RPUSH", &l, b"b", b"c"], &int(2))?;
    c.expect(&[b"LPUSH", &l, b"a", b"z"], &int(4))?;
    c.expect(
        &[b"LRANGE", &l, b"0", b"-1"],
        &bulks(&[b"z", b"a", b"b", b"c"]),
    )?;
    c.expect(&[b"LRANGE", &l, b"1", b"2"], &bulks(&[b"a", b"b"]))?;
    c.expect(&[b"LRANGE", &l, b"-2", b"100"], &bulks(&[b"b", b"c"]))?;
    c.expect(&[b"LRANGE", &l, b"3", b"1"], b"*0\r\n")?;
    c.expect(&[b"LLEN", &l], &int(4))?;
    c.expect(&[b"LPOP", &l], &bulk(b"z"))?;
    c.expect(&[b"RPOP", &l], &bulk(b"c"))?;
    let missing = run.key("nolist");
    c.expect(&[b"LLEN", &missing], &int(0))?;
    c.expect(&[b"LPOP", &missing], b"$-1\r\n")?;
    c.expect(&[b"LRANGE", &missing, b"0", b"-1"], b"*0\r\n")?;
    c.expect(&[b"LPOP", &l], &bulk(b"a"))?;
    c.expect(&[b"LPOP", &l], &bulk(b"b"))?;
    // The last element gone, the key is gone: GET finds nothing, not a list.
    c.expect(&[b"GET", &l], b"$-1\r\n")?;
    c.expect(&[b"SET", &l, b"now a string"], b"+OK\r\n")?;
    c.expect_error(&[b"LPUSH", &l, b"x"], "-WRONGTYPE")?;
    let list = run.key("list2");
    c.expect(&[b"RPUSH", &list, b"x"], &int(1))?;
    c.expect_error(&[b"GET", &list], "-WRONGTYPE")?;
    c.expect_error(&[b"INCR", &list], "-WRONGTYPE")
}
