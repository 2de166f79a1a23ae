//! The RESP reader over a real socket: Redis's exact replies to malformed requests (then the
//! connection closes), inline commands with quoting, big values, long pipelines, binary data, and
//! clients that vanish mid-frame.

mod common;

use std::io::{Read, Write};
use std::thread;
use std::time::Duration;

use common::*;

/// Sends `input` on a fresh connection and asserts the reply bytes, then that the server hung up.
#[track_caller]
fn assert_rejected(s: &TestServer, input: &[u8], reply: &str) {
    let mut c = s.client();
    c.send_raw(input);
    let got = c.read_reply();
    assert_eq!(
        String::from_utf8_lossy(&got),
        reply,
        "reply to {:?}",
        String::from_utf8_lossy(&input[..input.len().min(40)])
    );
    assert!(c.is_closed(), "the connection stays open after {reply:?}");
}

#[test]
fn malformed_requests_get_redis_errors_and_are_closed() {
    let s = start();
    let invalid_mbulk = "-ERR Protocol error: invalid multibulk length\r\n";
    let invalid_bulk = "-ERR Protocol error: invalid bulk length\r\n";
    // Each input ends where the error is found, so the server has read every byte we sent and
    // closes cleanly (unread bytes would make the kernel reset the connection).
    let cases: &[(&[u8], &str)] = &[
        (b"*x\r\n", invalid_mbulk),
        (b"*01\r\n", invalid_mbulk),
        (b"*1048577\r\n", invalid_mbulk),
        (b"*99999999999999999999\r\n", invalid_mbulk),
        (b"*1\r\n$-1\r\n", invalid_bulk),
        (b"*1\r\n$x\r\n", invalid_bulk),
        (b"*1\r\n$536870913\r\n", invalid_bulk),
        (
            b"*1\r\nfoo\r\n",
            "-ERR Protocol error: expected '$', got 'f'\r\n",
        ),
        (
            b"*1\r\n*1\r\n",
            "-ERR Protocol error: expected '$', got '*'\r\n",
        ),
        (
            b"*2\r\n$3\r\nGET\r\n:1\r\n",
            "-ERR Protocol error: expected '$', got ':'\r\n",
        ),
        (
            b"*1\r\n\r\n",
            "-ERR Protocol error: expected '$', got ' '\r\n",
        ),
        (
            b"ECHO \"a\"b\r\n",
            "-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
        (
            b"ECHO 'abc\r\n",
            "-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
    ];
    for (input, reply) in cases {
        assert_rejected(&s, input, reply);
    }
}

#[test]
fn lines_over_64_kb_without_an_end_are_too_big() {
    let s = start();
    let max = 64 * 1024;
    let mut input = vec![b'x'; max + 1];
    assert_rejected(
        &s,
        &input,
        "-ERR Protocol error: too big inline request\r\n",
    );
    input = b"*".to_vec();
    input.extend(std::iter::repeat_n(b'1', max));
    assert_rejected(
        &s,
        &input,
        "-ERR Protocol error: too big mbulk count string\r\n",
    );
    input = b"*1\r\n$".to_vec();
    input.extend(std::iter::repeat_n(b'1', max));
    assert_rejected(
        &s,
        &input,
        "-ERR Protocol error: too big bulk count string\r\n",
    );
}

#[test]
fn an_error_ends_the_pipeline_after_the_good_commands() {
    let s = start();
    let mut c = s.client();
    c.send_raw(b"PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$-5\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    assert_eq!(
        c.read_reply(),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
    assert!(c.is_closed());
}

#[test]
fn inline_commands_with_quoting() {
    let s = start();
    let mut c = s.client();
    c.send_raw(b"SET \"a b\" 'c\\'d'\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    c.assert(&["GET", "a b"], &bulk("c'd"));
    c.send_raw(b"GET \"a\\x20b\"\r\n");
    assert_eq!(c.read_reply(), bulk("c'd").as_bytes());
    c.send_raw(b"ECHO \"tab\\there\\n\\\"q\\\"\"\n");
    assert_eq!(c.read_reply(), b"$12\r\ntab\there\n\"q\"\r\n");
    // Empty lines, blank lines and empty arrays are no commands at all.
    c.send_raw(b"\r\n\n  \t \r\n*0\r\n*-1\r\nPING\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    c.send_raw(b"PING\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    c.send_raw(b"ECHO a\"b c\" ''\r\n");
    assert_eq!(
        c.read_reply(),
        b"-ERR wrong number of arguments for 'echo' command\r\n"
    );
    c.send_raw(b"ECHO a\"b c\"\r\n");
    assert_eq!(c.read_reply(), b"$4\r\nab c\r\n");
}

#[test]
fn a_ten_megabyte_value_round_trips() {
    let s = start();
    let mut c = s.client();
    let value: Vec<u8> = (0..10 * 1024 * 1024)
        .map(|i: u32| (i % 251) as u8)
        .collect();
    assert_eq!(c.cmd_bytes(&[b"SET", b"big", &value]), b"+OK\r\n");
    let reply = c.cmd(&["GET", "big"]);
    let header = format!("${}\r\n", value.len());
    assert!(reply.starts_with(header.as_bytes()));
    assert_eq!(&reply[header.len()..reply.len() - 2], &value[..]);
    assert!(reply.ends_with(b"\r\n"));
    c.assert(&["PING"], "+PONG\r\n");
}

#[test]
fn ten_thousand_pipelined_commands_in_one_write() {
    let s = start();
    let mut c = s.client();
    let mut pipeline = Vec::new();
    let mut expected = Vec::new();
    for i in 0..10_000 {
        let key = format!("key:{}", i / 3);
        let value = format!("value:{i}");
        match i % 3 {
            0 => {
                pipeline.extend_from_slice(&encode(&[b"PING"]));
                expected.push("+PONG\r\n".to_string());
            }
            1 => {
                pipeline.extend_from_slice(&encode(&[b"SET", key.as_bytes(), value.as_bytes()]));
                expected.push("+OK\r\n".to_string());
            }
            _ => {
                pipeline.extend_from_slice(&encode(&[b"GET", key.as_bytes()]));
                expected.push(bulk(&format!("value:{}", i - 1)));
            }
        }
    }
    // Write from another thread: the replies must be read while the requests are still going
    // out, or both socket buffers could fill and each side would wait for the other.
    let mut writer = c.stream.try_clone().unwrap();
    let sender = thread::spawn(move || writer.write_all(&pipeline));
    for (i, want) in expected.iter().enumerate() {
        let got = c.read_reply();
        assert_eq!(String::from_utf8_lossy(&got), *want, "reply {i}");
    }
    sender.join().unwrap().unwrap();
}

#[test]
fn binary_keys_and_values_with_crlf_and_nul() {
    let s = start();
    let mut c = s.client();
    let key: &[u8] = b"k\r\n\0\xff*1\r\n";
    let value: &[u8] = b"\0\r\n$3\r\nv\r\n\0\xfe";
    assert_eq!(c.cmd_bytes(&[b"SET", key, value]), b"+OK\r\n");
    let mut want = format!("${}\r\n", value.len()).into_bytes();
    want.extend_from_slice(value);
    want.extend_from_slice(b"\r\n");
    assert_eq!(c.cmd_bytes(&[b"GET", key]), want);
    assert_eq!(c.cmd_bytes(&[b"GET", b"k\r\n\0\xff*1\r"]), b"$-1\r\n");
    assert_eq!(c.cmd_bytes(&[b"SET", b"", b""]), b"+OK\r\n");
    assert_eq!(c.cmd_bytes(&[b"GET", b""]), b"$0\r\n\r\n");
}

#[test]
fn a_frame_trickling_in_byte_by_byte() {
    let s = start();
    let mut c = s.client();
    c.stream.set_nodelay(true).unwrap();
    for b in encode(&[b"SET", b"slow", b"a\r\nb"])
        .iter()
        .chain(b"GET slow\r\n")
    {
        c.send_raw(&[*b]);
    }
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.read_reply(), b"$4\r\na\r\nb\r\n");
}

#[test]
fn half_a_frame_then_silence_or_a_hang_up_does_not_stop_the_server() {
    let s = start();
    // One client goes quiet mid-frame after announcing a huge value, another hangs up mid-frame.
    let mut quiet = s.client();
    quiet.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$536870000\r\nabc");
    let mut gone = s.client();
    gone.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhel");
    drop(gone);
    let mut other = s.client();
    other.assert(&["PING"], "+PONG\r\n");
    other.assert(&["SET", "x", "1"], "+OK\r\n");
    other.assert(&["GET", "x"], &bulk("1"));
    // Neither half command ran.
    other.assert(&["GET", "k"], "$-1\r\n");
    other.assert(&["GET", "q"], "$-1\r\n");
    // The quiet client can still hang up later; the server stays up.
    quiet.stream.shutdown(std::net::Shutdown::Both).unwrap();
    let mut last = s.client();
    last.assert(&["PING"], "+PONG\r\n");
}

#[test]
fn a_client_may_half_close_after_its_last_command() {
    let s = start();
    let mut c = s.client();
    c.send_raw(b"PING\r\nECHO hi\r\n");
    c.stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut all = Vec::new();
    c.stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    c.stream.read_to_end(&mut all).unwrap();
    assert_eq!(all, b"+PONG\r\n$2\r\nhi\r\n");
}
