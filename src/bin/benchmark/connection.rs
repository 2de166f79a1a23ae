//! One benchmark connection on the wire: connecting, and reading replies without decoding them.
//!
//! Go original: `cmd/benchmark/main.go`. Explained in: book chapter "Benchmarks".
//!
//! The client never builds a reply value: [`skip_reply`] only finds where each reply ends and
//! whether it is an error, so reading costs a scan of the bytes, the same for every server. Only
//! the first error reply's text is ever copied, into [`Errors`].

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context as _, bail};

use crate::args::Options;

/// How long a client waits for a reply before declaring the server stuck. A server that sends
/// nothing back for an error (go-redis does that for unknown commands) would otherwise hang the
/// benchmark forever.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens one connection with the benchmark's socket settings.
pub(crate) fn connect(addrs: &[SocketAddr], opts: &Options) -> anyhow::Result<TcpStream> {
    let stream = TcpStream::connect(addrs).with_context(|| {
        format!(
            "could not connect to {}:{} (is the server running? `cargo run --release -- --port {}` \
             or `redis-server --port {}`)",
            opts.host, opts.port, opts.port, opts.port
        )
    })?;
    // Requests are batched by hand; Nagle's algorithm would only delay them (hiredis, under
    // redis-benchmark, turns it off too).
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(REPLY_TIMEOUT))?;
    Ok(stream)
}

// ANCHOR: skip_reply
/// Where one complete reply ends, and whether it is an error.
#[derive(Debug, PartialEq, Eq)]
struct Skipped {
    len: usize,
    error: bool,
}

/// Finds the end of the first complete RESP2 reply in `buf` without allocating or decoding it.
/// `Ok(None)`: the reply is not complete yet, read more.
///
/// An array is skipped without recursion: `remaining` counts the values still to skip, and an
/// array header adds its element count to it. Only a top-level `-` reply counts as an error (an
/// error inside an `EXEC` result array is that transaction's business, not the benchmark's).
///
/// # Errors
/// Bytes that are not RESP2: an unknown type byte, a bad length, a missing `\r\n`.
fn skip_reply(buf: &[u8]) -> anyhow::Result<Option<Skipped>> {
    let error = buf.first() == Some(&b'-');
    let mut pos = 0;
    let mut remaining: u64 = 1;
    while remaining > 0 {
        remaining -= 1;
        let Some(kind) = buf.get(pos).copied() else {
            return Ok(None);
        };
        let Some(nl) = buf[pos..].iter().position(|&b| b == b'\n') else {
            return Ok(None);
        };
        let line_end = pos + nl; // the '\n'
        if nl < 2 || buf[line_end - 1] != b'\r' {
            bail!("malformed reply: a line without \\r\\n at byte {pos}");
        }
        let line = &buf[pos + 1..line_end - 1];
        pos = line_end + 1;
        match kind {
            b'+' | b'-' | b':' => {}
            b'$' => {
                if let Some(n) = parse_len(line)? {
                    let end = pos.saturating_add(n).saturating_add(2);
                    if buf.len() < end {
                        return Ok(None);
                    }
                    if &buf[end - 2..end] != b"\r\n" {
                        bail!("malformed reply: bulk string of {n} bytes not followed by \\r\\n");
                    }
                    pos = end;
                }
            }
            b'*' => {
                if let Some(n) = parse_len(line)? {
                    remaining += n as u64;
                }
            }
            other => bail!(
                "unexpected reply type {:?}: this client speaks RESP2 only",
                char::from(other)
            ),
        }
    }
    Ok(Some(Skipped { len: pos, error }))
}
// ANCHOR_END: skip_reply

/// Parses the length of a `$` or `*` header: `None` for `-1` (nil).
fn parse_len(digits: &[u8]) -> anyhow::Result<Option<usize>> {
    if digits == b"-1" {
        return Ok(None);
    }
    let mut n: usize = 0;
    for &d in digits {
        if !d.is_ascii_digit() || digits.len() > 18 {
            bail!(
                "malformed reply: bad length {:?}",
                String::from_utf8_lossy(digits)
            );
        }
        n = n * 10 + usize::from(d - b'0');
    }
    if digits.is_empty() {
        bail!("malformed reply: empty length");
    }
    Ok(Some(n))
}

/// Error replies seen, and the text of the first one (the only reply this client ever copies).
#[derive(Debug, Default)]
pub(crate) struct Errors {
    /// How many replies were errors.
    pub(crate) count: u64,
    /// The first error's text, without the `-` and the `\r\n`.
    pub(crate) first: Option<String>,
}

impl Errors {
    /// Adds `other`'s count; keeps this first error, or takes `other`'s if there was none.
    pub(crate) fn merge(&mut self, other: Errors) {
        self.count += other.count;
        self.first = self.first.take().or(other.first);
    }
}

/// Bytes read from the socket that replies have not consumed yet.
pub(crate) struct ReplyBuffer {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReplyBuffer {
    /// An empty 64 KiB buffer; it grows when one reply is larger.
    pub(crate) fn new() -> ReplyBuffer {
        ReplyBuffer {
            buf: vec![0; 64 * 1024],
            start: 0,
            end: 0,
        }
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Consumes the next reply, reading from `stream` until it is complete, and counts it in
    /// `errors` if it is an error.
    ///
    /// # Errors
    /// The connection failed, closed, or stayed silent past [`REPLY_TIMEOUT`]; or the bytes are
    /// not RESP2.
    pub(crate) fn next_reply(
        &mut self,
        stream: &mut TcpStream,
        errors: &mut Errors,
    ) -> anyhow::Result<()> {
        loop {
            if let Some(reply) = skip_reply(self.pending())? {
                if reply.error {
                    errors.count += 1;
                    if errors.first.is_none() {
                        let text = &self.pending()[1..reply.len - 2];
                        errors.first = Some(String::from_utf8_lossy(text).into_owned());
                    }
                }
                self.start += reply.len;
                if self.start == self.end {
                    (self.start, self.end) = (0, 0);
                }
                return Ok(());
            }
            self.fill(stream)?;
        }
    }

    /// Reads more bytes. Makes room first: slides an unfinished reply to the front, or doubles
    /// the buffer when one reply is larger than all of it.
    fn fill(&mut self, stream: &mut TcpStream) -> anyhow::Result<()> {
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        loop {
            match stream.read(&mut self.buf[self.end..]) {
                Ok(0) => bail!("the server closed the connection"),
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    bail!(
                        "no reply within {} s: the server may not answer this command at all",
                        REPLY_TIMEOUT.as_secs()
                    )
                }
                Err(e) => return Err(e).context("reading replies"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_reply_finds_the_end_of_each_reply_type() {
        let cases: &[(&[u8], usize, bool)] = &[
            (b"+OK\r\n", 5, false),
            (b"-ERR unknown command 'INCR'\r\n", 29, true),
            (b":42\r\n", 5, false),
            (b"$3\r\nbar\r\n", 9, false),
            (b"$0\r\n\r\n", 6, false),
            (b"$-1\r\n", 5, false),
            (b"*-1\r\n", 5, false),
            (b"*0\r\n", 4, false),
            (b"*2\r\n$1\r\na\r\n*2\r\n:1\r\n-ERR x\r\n", 27, false),
        ];
        for &(bytes, len, error) in cases {
            // Alone, and followed by the next reply of a pipeline, which must be left alone.
            assert_eq!(
                skip_reply(bytes).unwrap(),
                Some(Skipped { len, error }),
                "{bytes:?}"
            );
            let mut two = bytes.to_vec();
            two.extend_from_slice(b"+PONG\r\n");
            assert_eq!(
                skip_reply(&two).unwrap(),
                Some(Skipped { len, error }),
                "{bytes:?}"
            );
            // Every strict prefix is incomplete, never an error and never a wrong length.
            for cut in 0..bytes.len() {
                assert_eq!(
                    skip_reply(&bytes[..cut]).unwrap(),
                    None,
                    "{:?}",
                    &bytes[..cut]
                );
            }
        }
    }

    #[test]
    fn skip_reply_rejects_what_is_not_resp2() {
        for bad in [
            &b"%1\r\n"[..],
            b"$x\r\n",
            b"$-2\r\n",
            b"+OK\n",
            b"$3\r\nbarXY",
            b"hello\r\n",
        ] {
            assert!(skip_reply(bad).is_err(), "{bad:?}");
        }
    }
}
