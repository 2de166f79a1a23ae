//! RESP reader: turns bytes from a socket into commands and [`Value`]s.
//!
//! Go original: `internal/protocol/resp/reader.go`. Explained in: book chapter 2.
//!
//! Blocking and streaming: it pulls exactly the bytes the next value needs from a
//! `BufRead`, so one call never swallows the next pipelined command.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};

use super::Value;

/// Limits that keep one client from making the server allocate without bound (design invariant 9).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest bulk string accepted (`proto-max-bulk-len`, 512 MB).
    pub max_bulk_len: usize,
    /// Most elements in one request array (1,048,576).
    pub max_multibulk_len: usize,
    /// Longest inline command line (64 KB).
    pub max_inline_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: 1024 * 1024,
            max_inline_len: 64 * 1024,
        }
    }
}

/// A malformed or over-limit request, or the socket failing under it.
#[derive(Debug)]
pub enum ProtocolError {
    /// The connection failed or closed in the middle of a frame.
    Io(io::Error),
    /// `Protocol error: invalid bulk length`
    InvalidBulkLength,
    /// `Protocol error: invalid multibulk length`
    InvalidMultibulkLength,
    /// `Protocol error: expected '$', got 'x'`
    ExpectedDollar(u8),
    /// `Protocol error: unbalanced quotes in request`
    UnbalancedQuotes,
    /// `Protocol error: too big inline request`
    TooBigInline,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::Io(e) => write!(f, "I/O error: {e}"),
            ProtocolError::InvalidBulkLength => f.write_str("Protocol error: invalid bulk length"),
            ProtocolError::InvalidMultibulkLength => f.write_str("Protocol error: invalid multibulk length"),
            ProtocolError::ExpectedDollar(b) => write!(f, "Protocol error: expected '$', got '{}'", *b as char),
            ProtocolError::UnbalancedQuotes => f.write_str("Protocol error: unbalanced quotes in request"),
            ProtocolError::TooBigInline => f.write_str("Protocol error: too big inline request"),
        }
    }
}

impl std::error::Error for ProtocolError {}

impl From<io::Error> for ProtocolError {
    fn from(e: io::Error) -> Self {
        ProtocolError::Io(e)
    }
}

impl ProtocolError {
    /// The error reply sent before the connection is closed, or `None` for an I/O failure.
    pub fn reply(&self) -> Option<Value> {
        match self {
            ProtocolError::Io(_) => None,
            other => Some(Value::error_owned(format!("ERR {other}"))),
        }
    }
}

/// A streaming RESP reader over any `BufRead`.
pub struct Reader<R> {
    inner: R,
    limits: Limits,
}

impl<R: BufRead> Reader<R> {
    /// A reader with the default limits.
    pub fn new(inner: R) -> Self {
        Reader {
            inner,
            limits: Limits::default(),
        }
    }

    /// A reader with explicit limits.
    pub fn with_limits(inner: R, limits: Limits) -> Self {
        Reader { inner, limits }
    }

    /// Reads one request: an array of bulk strings or an inline command line.
    ///
    /// Returns `Ok(None)` when the peer closed the connection between commands.
    ///
    /// # Errors
    /// A [`ProtocolError`] for malformed or over-limit input, or an I/O failure mid-frame.
    pub fn read_command(&mut self) -> Result<Option<Vec<Vec<u8>>>, ProtocolError> {
        loop {
            let mut line = Vec::new();
            let n = self.inner.read_until(b'\n', &mut line)?;
            if n == 0 {
                return Ok(None);
            }
            if line.last() != Some(&b'\n') {
                return Err(ProtocolError::Io(io::ErrorKind::UnexpectedEof.into()));
            }
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.first() == Some(&b'*') {
                let count = parse_len(&line[1..]).ok_or(ProtocolError::InvalidMultibulkLength)?;
                if count > self.limits.max_multibulk_len as i64 {
                    return Err(ProtocolError::InvalidMultibulkLength);
                }
                if count <= 0 {
                    continue;
                }
                let mut args = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    let mut header = Vec::new();
                    self.inner.read_until(b'\n', &mut header)?;
                    if header.first() != Some(&b'$') {
                        return Err(ProtocolError::ExpectedDollar(header.first().copied().unwrap_or(b' ')));
                    }
                    let len = parse_len(header[1..].strip_suffix(b"\r\n").unwrap_or(&header[1..]))
                        .ok_or(ProtocolError::InvalidBulkLength)?;
                    if len < 0 || len > self.limits.max_bulk_len as i64 {
                        return Err(ProtocolError::InvalidBulkLength);
                    }
                    let mut data = vec![0u8; len as usize + 2];
                    self.inner.read_exact(&mut data)?;
                    data.truncate(len as usize);
                    args.push(data);
                }
                return Ok(Some(args));
            }
            let args: Vec<Vec<u8>> = line
                .split(|b| *b == b' ')
                .filter(|s| !s.is_empty())
                .map(<[u8]>::to_vec)
                .collect();
            if !args.is_empty() {
                return Ok(Some(args));
            }
        }
    }

    /// The wrapped reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<T: Read> Reader<BufReader<T>> {
    /// True when bytes of a further command are already buffered: the connection loop keeps
    /// dispatching instead of flushing replies (design invariant 10).
    pub fn has_buffered(&self) -> bool {
        !self.inner.buffer().is_empty()
    }
}

fn parse_len(s: &[u8]) -> Option<i64> {
    std::str::from_utf8(s).ok()?.parse().ok()
}
