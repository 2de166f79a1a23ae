//! One connection to the server under test: requests out as RESP arrays, replies in as the raw
//! bytes of one whole reply each, and failures that say what was sent, what was expected and
//! what came back.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long the tester waits for a reply before it calls the server stuck.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a stage failed: a message for the student, with the exchange that showed it.
#[derive(Debug)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stage check's result.
pub type Check = Result<(), Failure>;

/// Builds a [`Failure`] from a format string.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => { Err($crate::wire::Failure(format!($($arg)*))) };
}

/// Builds a [`Failure`] (not wrapped in `Err`), for `map_err`.
#[macro_export]
macro_rules! failure {
    ($($arg:tt)*) => { $crate::wire::Failure(format!($($arg)*)) };
}

/// Bytes as a reader of the protocol wants to see them: `\r\n` spelled out, other control
/// bytes and non-ASCII as `\xNN`.
pub fn show(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    format!("\"{out}\"")
}

/// A request as words, for messages: `SET "k" "v"`.
pub fn words(args: &[&[u8]]) -> String {
    args.iter()
        .map(|a| match std::str::from_utf8(a) {
            Ok(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic()) => s.to_string(),
            _ => show(a),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The RESP array of bulk strings that carries `args`, as every client sends a command.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A connection to the server under test.
pub struct Conn {
    name: String,
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Conn {
    /// Connects to `addr`; `name` ("client 2") appears in every message about it.
    pub fn open(addr: SocketAddr, name: &str) -> Result<Conn, Failure> {
        let stream = TcpStream::connect_timeout(&addr, REPLY_TIMEOUT).map_err(|e| {
            failure!("{name} could not connect to {addr}: {e}. Is the server listening there?")
        })?;
        let _ = stream.set_nodelay(true);
        let _ = stream.set_read_timeout(Some(REPLY_TIMEOUT));
        let reader = BufReader::new(stream.try_clone().map_err(|e| failure!("{e}"))?);
        Ok(Conn {
            name: name.to_string(),
            stream,
            reader,
        })
    }

    /// Sends raw bytes, as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) -> Check {
        self.stream.write_all(bytes).map_err(|e| {
            failure!(
                "{} could not send {}: {e} (did the server close the connection?)",
                self.name,
                show(bytes)
            )
        })
    }

    /// Sends one command.
    pub fn send(&mut self, args: &[&[u8]]) -> Check {
        self.send_raw(&encode(args))
    }

    /// Reads one whole reply; `what` names the request it answers, for the message.
    pub fn reply(&mut self, what: &str) -> Result<Vec<u8>, Failure> {
        let mut out = Vec::new();
        match read_reply(&mut self.reader, &mut out) {
            Ok(()) => Ok(out),
            Err(e) => {
                let got = if out.is_empty() {
                    String::new()
                } else {
                    format!(" after {}", show(&out))
                };
                match e.kind() {
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => fail!(
                        "{}: sent {what}, and no complete reply came within {} s{got}. Does the \
                         server answer every request, and end each reply with \\r\\n?",
                        self.name,
                        REPLY_TIMEOUT.as_secs()
                    ),
                    io::ErrorKind::UnexpectedEof => fail!(
                        "{}: sent {what}, and the server closed the connection{got}",
                        self.name
                    ),
                    _ => fail!("{}: sent {what}: {e}{got}", self.name),
                }
            }
        }
    }

    /// Sends `args` and returns the reply.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Result<Vec<u8>, Failure> {
        self.send(args)?;
        self.reply(&words(args))
    }

    /// Sends `args` and checks that the reply is exactly `expected`.
    pub fn expect(&mut self, args: &[&[u8]], expected: &[u8]) -> Check {
        let got = self.cmd(args)?;
        if got == expected {
            return Ok(());
        }
        fail!(
            "{}: sent {}\n  expected {}\n  got      {}",
            self.name,
            words(args),
            show(expected),
            show(&got)
        )
    }

    /// Sends `args` and checks that the reply is an error starting with `prefix` (`-ERR`).
    pub fn expect_error(&mut self, args: &[&[u8]], prefix: &str) -> Check {
        let got = self.cmd(args)?;
        if got.starts_with(prefix.as_bytes()) && got.ends_with(b"\r\n") {
            return Ok(());
        }
        fail!(
            "{}: sent {}\n  expected an error reply starting {}\n  got      {}",
            self.name,
            words(args),
            show(prefix.as_bytes()),
            show(&got)
        )
    }

    /// True if the server has closed this connection (a read sees the end), waiting up to
    /// `timeout` for it.
    pub fn closed_within(&mut self, timeout: Duration) -> bool {
        let _ = self.stream.set_read_timeout(Some(timeout));
        let mut byte = [0u8; 1];
        let closed = loop {
            match self.reader.read(&mut byte) {
                Ok(0) => break true,
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    break !matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    );
                }
            }
        };
        let _ = self.stream.set_read_timeout(Some(REPLY_TIMEOUT));
        closed
    }
}

/// Reads one line up to `\r\n`, keeping it (with its ending) in `out`; returns the line's
/// text after its first byte.
fn line(r: &mut impl BufRead, out: &mut Vec<u8>) -> io::Result<String> {
    let start = out.len();
    let n = r.read_until(b'\n', out)?;
    if n == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    let l = &out[start..];
    if !l.ends_with(b"\r\n") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "a reply line that does not end with \\r\\n",
        ));
    }
    Ok(String::from_utf8_lossy(&l[1..l.len() - 2]).into_owned())
}

/// A length from a reply header, or an error naming it.
fn length(text: &str) -> io::Result<i64> {
    text.parse::<i64>().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{text:?} is not a length"),
        )
    })
}

/// Reads one complete RESP2 or RESP3 reply into `out`, as raw bytes.
fn read_reply(r: &mut impl BufRead, out: &mut Vec<u8>) -> io::Result<()> {
    let text = line(r, out)?;
    let kind = out[out.len() - text.len() - 3];
    match kind {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Ok(()),
        b'$' | b'!' | b'=' => {
            let n = length(&text)?;
            if n < 0 {
                return Ok(());
            }
            let start = out.len();
            out.resize(start + n as usize + 2, 0);
            r.read_exact(&mut out[start..])
        }
        b'*' | b'~' | b'>' => {
            let n = length(&text)?;
            for _ in 0..n.max(0) {
                read_reply(r, out)?;
            }
            Ok(())
        }
        b'%' | b'|' => {
            let n = length(&text)?;
            for _ in 0..n.max(0) * 2 {
                read_reply(r, out)?;
            }
            Ok(())
        }
        other => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a reply cannot start with {}", show(&[other])),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        read_reply(&mut &bytes[..], &mut out).map(|()| out)
    }

    #[test]
    fn whole_replies_of_every_shape() {
        for r in [
            &b"+OK\r\n"[..],
            b"$-1\r\n",
            b"$3\r\na\r\n\r\n",
            b"*2\r\n:1\r\n*1\r\n$0\r\n\r\n",
            b"%1\r\n+a\r\n_\r\n",
            b"*-1\r\n",
        ] {
            assert_eq!(one(r).unwrap(), r);
        }
        assert!(one(b"$5\r\nab").is_err());
        assert!(one(b"?x\r\n").is_err());
        assert!(one(b"+OK\n").is_err());
    }

    #[test]
    fn bytes_are_shown_escaped() {
        assert_eq!(show(b"a\r\n\x00\xff"), r#""a\r\n\x00\xff""#);
        assert_eq!(words(&[b"SET", b"k", b"a b"]), r#"SET k "a b""#);
    }
}
