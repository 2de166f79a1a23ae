//! RESP reader: turns bytes from a socket into commands and [`Value`]s.
//!
//! Go original: `internal/protocol/resp/reader.go`. Explained in: book chapter 2.
//!
//! Blocking and streaming: it pulls exactly the bytes the next value needs from a
//! `BufRead`, so one call never swallows the next pipelined command, and a frame split across
//! any number of reads parses the same as one that arrived whole.
//!
//! Two entry points:
//! - [`Reader::read_command`] parses *requests* the way Redis 7's `networking.c` does
//!   (`processMultibulkBuffer`, `processInlineBuffer`, `sdssplitargs`): flat arrays of bulk
//!   strings, or inline lines, with Redis's limits and Redis's exact error texts.
//! - [`Reader::read_value`] parses any RESP2 or RESP3 *reply*, for tools and tests.
//!
//! Nothing here trusts a length before the bytes behind it have arrived: a client announcing a
//! 500 MB bulk string and then going quiet costs a few kilobytes, not 500 MB (design invariant 9).
//! And nothing recurses on client input: requests are flat by construction, and replies are
//! parsed with an explicit stack of bounded depth.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};

use super::Value;

// ANCHOR: limits
/// Limits that keep one client from making the server allocate without bound (design invariant 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest bulk string accepted (`proto-max-bulk-len`, 512 MB).
    pub max_bulk_len: usize,
    /// Most elements in one request array (1,048,576).
    pub max_multibulk_len: usize,
    /// Longest inline command line, and longest `*`/`$` header line (64 KB, Redis's
    /// `PROTO_INLINE_MAX_SIZE`).
    pub max_inline_len: usize,
    /// Most argument bytes one request may carry in total (1 GB, `client-query-buffer-limit`).
    pub max_query_len: usize,
    /// Deepest nesting of aggregates [`Reader::read_value`] accepts in a reply (128).
    pub max_depth: usize,
}
// ANCHOR_END: limits

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            // Go parity / Redis parity: Redis 7 accepts up to INT_MAX elements and relies on the
            // query-buffer limit; we keep Redis 6's 1,048,576, which no real command needs to pass.
            max_multibulk_len: 1024 * 1024,
            max_inline_len: 64 * 1024,
            max_query_len: 1024 * 1024 * 1024,
            max_depth: 128,
        }
    }
}

/// Redis refuses long requests from a client that still has to `AUTH` (`authRequired`):
/// at most 10 arguments of at most 16 KB each, so an anonymous peer cannot make the server buffer
/// much before it has proven anything.
const UNAUTH_MAX_MULTIBULK_LEN: i64 = 10;
const UNAUTH_MAX_BULK_LEN: i64 = 16 * 1024;

/// The first allocation for a bulk string that has not fully arrived. Later ones double what has
/// arrived, so memory tracks the bytes received, never the length announced.
const BULK_CHUNK: usize = 8 * 1024;

// ANCHOR: protocol_error
/// A malformed or over-limit request or reply, or the socket failing under it.
#[derive(Debug)]
pub enum ProtocolError {
    /// The connection failed, or closed in the middle of a frame.
    Io(io::Error),
    /// `Protocol error: invalid bulk length`: not a number, negative, or past `max_bulk_len`.
    InvalidBulkLength,
    /// `Protocol error: invalid multibulk length`: not a number, or past `max_multibulk_len`.
    InvalidMultibulkLength,
    /// `Protocol error: expected '$', got 'x'`: an array element that is not a bulk string
    /// (a nested array in a request lands here too).
    ExpectedDollar(u8),
    /// `Protocol error: unbalanced quotes in request`: an inline line with an open quote, or a
    /// closing quote followed by something other than a space.
    UnbalancedQuotes,
    /// `Protocol error: too big inline request`: no newline within `max_inline_len` bytes.
    TooBigInline,
    /// `Protocol error: too big mbulk count string`: no `\r` after `*` within `max_inline_len`.
    TooBigMultibulkCount,
    /// `Protocol error: too big bulk count string`: no `\r` after `$` within `max_inline_len`.
    TooBigBulkCount,
    /// `Protocol error: unauthenticated multibulk length`: more than 10 arguments before `AUTH`.
    UnauthenticatedMultibulkLength,
    /// `Protocol error: unauthenticated bulk length`: an argument over 16 KB before `AUTH`.
    UnauthenticatedBulkLength,
    /// One request carries more than `max_query_len` bytes. Redis closes such a client without a
    /// reply, and so do we.
    QueryBufferLimit,
    /// A reply whose type byte is unknown (only [`Reader::read_value`]).
    UnknownReplyType(u8),
    /// A reply nested deeper than `max_depth` (only [`Reader::read_value`]).
    TooDeep,
    /// A reply whose line does not parse, with what was wrong (only [`Reader::read_value`]).
    InvalidReply(&'static str),
}
// ANCHOR_END: protocol_error

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            ProtocolError::Io(e) => return write!(f, "I/O error: {e}"),
            ProtocolError::ExpectedDollar(b) => {
                // Redis formats the byte with `%c` and then turns CR and LF into spaces, so that
                // the error line cannot break the reply stream.
                let c = match *b {
                    b'\r' | b'\n' => ' ',
                    // Redis writes any other byte raw; an error reply here is text, so a byte
                    // past ASCII shows as the Latin-1 character of the same number.
                    other => char::from(other),
                };
                return write!(f, "Protocol error: expected '$', got '{c}'");
            }
            ProtocolError::UnknownReplyType(b) => {
                return write!(f, "Protocol error: unknown reply type byte 0x{b:02x}");
            }
            ProtocolError::InvalidReply(what) => return write!(f, "Protocol error: {what}"),
            ProtocolError::InvalidBulkLength => "invalid bulk length",
            ProtocolError::InvalidMultibulkLength => "invalid multibulk length",
            ProtocolError::UnbalancedQuotes => "unbalanced quotes in request",
            ProtocolError::TooBigInline => "too big inline request",
            ProtocolError::TooBigMultibulkCount => "too big mbulk count string",
            ProtocolError::TooBigBulkCount => "too big bulk count string",
            ProtocolError::UnauthenticatedMultibulkLength => "unauthenticated multibulk length",
            ProtocolError::UnauthenticatedBulkLength => "unauthenticated bulk length",
            ProtocolError::QueryBufferLimit => "query buffer limit reached",
            ProtocolError::TooDeep => "reply nested too deeply",
        };
        write!(f, "Protocol error: {text}")
    }
}

impl std::error::Error for ProtocolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProtocolError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for ProtocolError {
    fn from(e: io::Error) -> Self {
        ProtocolError::Io(e)
    }
}

impl ProtocolError {
    /// The error reply sent before the connection is closed, or `None` when there is nobody to
    /// tell (an I/O failure) or Redis closes without a word (the query-buffer limit).
    pub fn reply(&self) -> Option<Value> {
        match self {
            ProtocolError::Io(_) | ProtocolError::QueryBufferLimit => None,
            other => Some(Value::error_owned(format!("ERR {other}"))),
        }
    }

    /// The peer hung up in the middle of a frame.
    fn eof() -> ProtocolError {
        ProtocolError::Io(io::ErrorKind::UnexpectedEof.into())
    }
}

// ANCHOR: reader
/// A streaming RESP reader over any `BufRead`.
pub struct Reader<R> {
    inner: R,
    limits: Limits,
    /// Whether the peer has authenticated; until it has, Redis's tighter request limits apply.
    authenticated: bool,
    /// Scratch space for a line that arrived in pieces; reused, so a long-lived connection
    /// allocates it once.
    line: Vec<u8>,
}
// ANCHOR_END: reader

/// What a `*` or `$` header line holds: its first byte and the number after it, if it is one.
struct Header {
    first: u8,
    number: Option<i64>,
}

impl<R: BufRead> Reader<R> {
    /// A reader with the default limits.
    pub fn new(inner: R) -> Self {
        Reader::with_limits(inner, Limits::default())
    }

    /// A reader with explicit limits.
    pub fn with_limits(inner: R, limits: Limits) -> Self {
        Reader {
            inner,
            limits,
            authenticated: true,
            line: Vec::new(),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Tells the reader whether the peer still has to `AUTH`. A reader starts authenticated;
    /// while it is not, requests of more than 10 arguments or with an argument over 16 KB are
    /// protocol errors, as in Redis.
    pub fn set_authenticated(&mut self, authenticated: bool) {
        self.authenticated = authenticated;
    }

    /// The wrapped reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The wrapped reader, mutably. Reading from it directly desynchronises the stream.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Gives back the wrapped reader, with whatever it still has buffered.
    pub fn into_inner(self) -> R {
        self.inner
    }

    // ANCHOR: read_command
    /// Reads one request: an array of bulk strings or an inline command line.
    ///
    /// Returns `Ok(None)` when the peer closed the connection between commands. Empty inline
    /// lines, `*0` and `*-1` are skipped, as Redis skips them.
    ///
    /// # Errors
    /// A [`ProtocolError`] for malformed or over-limit input (the caller sends
    /// [`ProtocolError::reply`] and closes), or an I/O failure, `UnexpectedEof` included when the
    /// peer hangs up mid-frame.
    pub fn read_command(&mut self) -> Result<Option<Vec<Vec<u8>>>, ProtocolError> {
        loop {
            let first = match fill(&mut self.inner)?.first() {
                None => return Ok(None),
                Some(&b) => b,
            };
            // Redis decides per request, on its first byte: `*` starts a multibulk request,
            // anything else an inline one (`processInputBuffer`).
            let args = if first == b'*' {
                self.read_multibulk()?
            } else {
                self.read_inline()?
            };
            if !args.is_empty() {
                return Ok(Some(args));
            }
        }
    }
    // ANCHOR_END: read_command

    // ANCHOR: read_multibulk
    /// `*<count>\r\n` then `count` times `$<len>\r\n<bytes>\r\n` (`processMultibulkBuffer`).
    fn read_multibulk(&mut self) -> Result<Vec<Vec<u8>>, ProtocolError> {
        let header = self.read_header(ProtocolError::TooBigMultibulkCount)?;
        let count = match header.number {
            Some(n) if n <= self.limits.max_multibulk_len as i64 => n,
            _ => return Err(ProtocolError::InvalidMultibulkLength),
        };
        if count > UNAUTH_MAX_MULTIBULK_LEN && !self.authenticated {
            return Err(ProtocolError::UnauthenticatedMultibulkLength);
        }
        if count <= 0 {
            return Ok(Vec::new()); // `*0` and `*-1` are no command at all
        }
        // The count is only a claim: reserve for at most 1,024 arguments (as Redis does) and let
        // the vector grow as real arguments arrive.
        let mut args = Vec::with_capacity((count as usize).min(1024));
        let mut total = 0usize;
        for _ in 0..count {
            let header = self.read_header(ProtocolError::TooBigBulkCount)?;
            if header.first != b'$' {
                return Err(ProtocolError::ExpectedDollar(header.first));
            }
            let len = match header.number {
                Some(n) if n >= 0 && n <= self.limits.max_bulk_len as i64 => n,
                _ => return Err(ProtocolError::InvalidBulkLength),
            };
            if len > UNAUTH_MAX_BULK_LEN && !self.authenticated {
                return Err(ProtocolError::UnauthenticatedBulkLength);
            }
            let len = len as usize;
            total = total.saturating_add(len);
            if total > self.limits.max_query_len {
                return Err(ProtocolError::QueryBufferLimit);
            }
            args.push(self.read_bulk(len)?);
        }
        Ok(args)
    }
    // ANCHOR_END: read_multibulk

    // ANCHOR: read_header
    /// Reads a `*<n>` or `$<n>` line up to its `\r` and the byte after it.
    ///
    /// Redis looks for the `\r` alone and steps over the next byte without checking that it is
    /// `\n`; we do the same, so every byte stream gets the reply real Redis gives it.
    fn read_header(&mut self, too_big: ProtocolError) -> Result<Header, ProtocolError> {
        let max = self.limits.max_inline_len;
        // Fast path: the whole line is already buffered (nearly always, in a pipeline), so parse
        // it where it lies, with no copy.
        let buf = fill(&mut self.inner)?;
        if let Some(cr) = find(buf, b'\r') {
            if cr + 1 < buf.len() {
                if cr > max {
                    return Err(too_big);
                }
                let header = parse_header(&buf[..cr]);
                self.inner.consume(cr + 2);
                return Ok(header);
            }
        }
        // Slow path: the line arrives in pieces; gather it in the scratch buffer.
        self.read_line_into_scratch(b'\r', too_big)?;
        self.skip(1)?;
        Ok(parse_header(&self.line))
    }
    // ANCHOR_END: read_header

    /// Reads `len` bytes and the two after them (the `\r\n`, skipped unchecked like Redis does).
    fn read_bulk(&mut self, len: usize) -> Result<Vec<u8>, ProtocolError> {
        let buf = fill(&mut self.inner)?;
        if buf.len() >= len.saturating_add(2) {
            let data = buf[..len].to_vec();
            self.inner.consume(len + 2);
            return Ok(data);
        }
        // The value is bigger than what has arrived. Grow the vector as bytes come in, doubling
        // up to the announced length, so a peer that announces 512 MB and sends nothing costs
        // one small chunk. `read` (rather than `fill_buf`) lets `BufReader` copy a big value
        // straight from the socket into the vector, past its own 16 KB buffer.
        let mut data = Vec::new();
        let mut got = 0;
        while got < len {
            if got == data.len() {
                let grown = (data.len() * 2).max(BULK_CHUNK).min(len);
                data.reserve_exact(grown - data.len());
                data.resize(grown, 0);
            }
            let n = match self.inner.read(&mut data[got..]) {
                Ok(0) => return Err(ProtocolError::eof()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            got += n;
        }
        self.skip(2)?;
        Ok(data)
    }

    // ANCHOR: read_inline
    /// One inline line, split into arguments (`processInlineBuffer` + `sdssplitargs`).
    fn read_inline(&mut self) -> Result<Vec<Vec<u8>>, ProtocolError> {
        let max = self.limits.max_inline_len;
        let buf = fill(&mut self.inner)?;
        if let Some(nl) = find(buf, b'\n') {
            if nl > max {
                return Err(ProtocolError::TooBigInline);
            }
            let args = split_args(strip_cr(&buf[..nl]));
            self.inner.consume(nl + 1);
            return args;
        }
        self.read_line_into_scratch(b'\n', ProtocolError::TooBigInline)?;
        split_args(strip_cr(&self.line))
    }
    // ANCHOR_END: read_inline

    /// Gathers bytes into `self.line` up to `end` (consumed, not stored), failing with `too_big`
    /// once more than `max_inline_len` bytes have come without it.
    fn read_line_into_scratch(&mut self, end: u8, too_big: ProtocolError) -> Result<(), ProtocolError> {
        let max = self.limits.max_inline_len;
        self.line.clear();
        // Long-lived scratch space should not keep a 64 KB line's capacity for ever.
        self.line.shrink_to(1024);
        loop {
            let buf = fill(&mut self.inner)?;
            if buf.is_empty() {
                return Err(ProtocolError::eof());
            }
            match find(buf, end) {
                Some(i) => {
                    if self.line.len() + i > max {
                        return Err(too_big);
                    }
                    self.line.extend_from_slice(&buf[..i]);
                    self.inner.consume(i + 1);
                    return Ok(());
                }
                None => {
                    let n = buf.len();
                    if self.line.len() + n > max {
                        return Err(too_big);
                    }
                    self.line.extend_from_slice(buf);
                    self.inner.consume(n);
                }
            }
        }
    }

    /// Skips `n` bytes, waiting for them if they have not arrived.
    fn skip(&mut self, mut n: usize) -> Result<(), ProtocolError> {
        while n > 0 {
            let available = fill(&mut self.inner)?.len();
            if available == 0 {
                return Err(ProtocolError::eof());
            }
            let step = available.min(n);
            self.inner.consume(step);
            n -= step;
        }
        Ok(())
    }

    // ANCHOR: read_value
    /// Reads one RESP2 or RESP3 reply of any type, nested aggregates included.
    ///
    /// Returns `Ok(None)` when the peer closed the connection between replies. RESP3 nulls
    /// (`_`) read as [`Value::Null`], big numbers (`(`) as bulk strings, blob errors (`!`) as
    /// errors; attributes (`|`) are read and dropped. Nesting is tracked on an explicit stack
    /// bounded by `max_depth`, so a hostile peer cannot overflow the call stack.
    ///
    /// # Errors
    /// A [`ProtocolError`] for a malformed or over-limit reply, or an I/O failure.
    pub fn read_value(&mut self) -> Result<Option<Value>, ProtocolError> {
        let mut stack: Vec<Aggregate> = Vec::new();
        loop {
            if stack.is_empty() && fill(&mut self.inner)?.is_empty() {
                return Ok(None);
            }
            let mut value = match self.read_item()? {
                Item::Value(v) => v,
                Item::Open(kind, n) => {
                    let aggregate = Aggregate {
                        kind,
                        remaining: n,
                        items: Vec::with_capacity(n.min(1024)),
                    };
                    if n == 0 {
                        match aggregate.finish() {
                            Some(v) => v,
                            None => continue, // an empty attribute: nothing to keep
                        }
                    } else {
                        if stack.len() >= self.limits.max_depth {
                            return Err(ProtocolError::TooDeep);
                        }
                        stack.push(aggregate);
                        continue;
                    }
                }
            };
            // Hand the finished value to its parent; a parent that is thereby complete becomes
            // the value handed to its own parent, and so on up.
            loop {
                let Some(top) = stack.last_mut() else {
                    return Ok(Some(value));
                };
                top.items.push(value);
                top.remaining -= 1;
                if top.remaining > 0 {
                    break;
                }
                let Some(done) = stack.pop() else { break };
                match done.finish() {
                    Some(v) => value = v,
                    None => break, // an attribute: dropped, it is not an element of anything
                }
            }
        }
    }
    // ANCHOR_END: read_value

    /// Reads one reply header, and the payload of a scalar.
    fn read_item(&mut self) -> Result<Item, ProtocolError> {
        self.read_line_into_scratch(b'\n', ProtocolError::InvalidReply("line too long"))?;
        let line = strip_cr(&self.line);
        let Some((&tag, body)) = line.split_first() else {
            return Err(ProtocolError::InvalidReply("empty line"));
        };
        let text = |body: &[u8]| Cow::Owned(String::from_utf8_lossy(body).into_owned());
        let item = match tag {
            b'+' => Item::Value(Value::Simple(text(body))),
            b'-' => Item::Value(Value::Error(text(body))),
            b':' => Item::Value(Value::Integer(
                string_to_i64(body).ok_or(ProtocolError::InvalidReply("invalid integer"))?,
            )),
            b'(' if !body.is_empty()
                && body
                    .iter()
                    .enumerate()
                    .all(|(i, &b)| b.is_ascii_digit() || (i == 0 && b == b'-')) =>
            {
                Item::Value(Value::Bulk(body.to_vec()))
            }
            b'(' => return Err(ProtocolError::InvalidReply("invalid big number")),
            b',' => Item::Value(Value::Double(
                parse_double(body).ok_or(ProtocolError::InvalidReply("invalid double"))?,
            )),
            b'#' => match body {
                b"t" => Item::Value(Value::Boolean(true)),
                b"f" => Item::Value(Value::Boolean(false)),
                _ => return Err(ProtocolError::InvalidReply("invalid boolean")),
            },
            b'_' if body.is_empty() => Item::Value(Value::Null),
            b'_' => return Err(ProtocolError::InvalidReply("invalid null")),
            b'$' | b'=' | b'!' => {
                let len = match string_to_i64(body) {
                    Some(-1) if tag == b'$' => return Ok(Item::Value(Value::Null)),
                    Some(n) if n >= 0 && n <= self.limits.max_bulk_len as i64 => n as usize,
                    _ => return Err(ProtocolError::InvalidBulkLength),
                };
                let data = self.read_bulk(len)?;
                match tag {
                    b'$' => Item::Value(Value::Bulk(data)),
                    b'!' => Item::Value(Value::Error(text(&data))),
                    // Verbatim text starts with a three-letter format and a colon (`txt:`).
                    _ if data.len() >= 4 && data[3] == b':' => Item::Value(Value::Verbatim(data[4..].to_vec())),
                    _ => return Err(ProtocolError::InvalidReply("invalid verbatim string")),
                }
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let kind = match tag {
                    b'*' => Kind::Array,
                    b'~' => Kind::Set,
                    b'>' => Kind::Push,
                    b'%' => Kind::Map,
                    _ => Kind::Attribute,
                };
                let n = match string_to_i64(body) {
                    Some(-1) if tag == b'*' => return Ok(Item::Value(Value::NullArray)),
                    Some(n) if n >= 0 && n <= self.limits.max_multibulk_len as i64 => n as usize,
                    _ => return Err(ProtocolError::InvalidMultibulkLength),
                };
                // A map of n pairs holds 2n values.
                let n = if matches!(kind, Kind::Map | Kind::Attribute) {
                    n * 2
                } else {
                    n
                };
                Item::Open(kind, n)
            }
            other => return Err(ProtocolError::UnknownReplyType(other)),
        };
        Ok(item)
    }
}

impl<T: Read> Reader<BufReader<T>> {
    /// True when bytes of a further command are already buffered: the connection loop keeps
    /// dispatching instead of flushing replies (design invariant 10).
    pub fn has_buffered(&self) -> bool {
        !self.inner.buffer().is_empty()
    }
}

/// One step of [`Reader::read_value`]: a complete value, or the start of an aggregate of `n`.
enum Item {
    Value(Value),
    Open(Kind, usize),
}

#[derive(Clone, Copy)]
enum Kind {
    Array,
    Set,
    Push,
    Map,
    Attribute,
}

/// An aggregate reply being filled in by [`Reader::read_value`].
struct Aggregate {
    kind: Kind,
    remaining: usize,
    items: Vec<Value>,
}

impl Aggregate {
    /// The finished value, or `None` for an attribute, which is metadata and not a value.
    fn finish(self) -> Option<Value> {
        Some(match self.kind {
            Kind::Array => Value::Array(self.items),
            Kind::Set => Value::Set(self.items),
            Kind::Push => Value::Push(self.items),
            Kind::Map => {
                let mut pairs = Vec::with_capacity(self.items.len() / 2);
                let mut items = self.items.into_iter();
                while let (Some(k), Some(v)) = (items.next(), items.next()) {
                    pairs.push((k, v));
                }
                Value::Map(pairs)
            }
            Kind::Attribute => return None,
        })
    }
}

/// A header line's first byte and number. An empty line reports `\r` as its first byte: that
/// is the byte Redis finds there (it reads the `\r` that ends the line).
fn parse_header(line: &[u8]) -> Header {
    match line.split_first() {
        Some((&first, rest)) => Header {
            first,
            number: string_to_i64(rest),
        },
        None => Header {
            first: b'\r',
            number: None,
        },
    }
}

/// `fill_buf`, retried when a signal interrupts the read. Empty means end of stream.
///
/// A free function over the inner reader alone, so the caller can still use its other fields
/// (the scratch line) while holding the returned slice.
fn fill<R: BufRead>(inner: &mut R) -> io::Result<&[u8]> {
    loop {
        match inner.fill_buf() {
            Ok([]) => return Ok(&[]),
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    // Asking twice costs nothing when data is buffered (no second `read`): the borrow checker
    // cannot yet see that returning the first answer from inside the loop is sound.
    inner.fill_buf()
}

/// The position of `byte` in `buf`.
#[inline]
fn find(buf: &[u8], byte: u8) -> Option<usize> {
    buf.iter().position(|&b| b == byte)
}

/// `line` without one trailing `\r`.
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

// ANCHOR: string_to_i64
/// Redis's `string2ll`: an optional `-`, then digits with no leading zero (`0` alone is fine),
/// nothing else: no `+`, no spaces, no `-0`, no overflow. Lengths and counts must pass it.
pub(crate) fn string_to_i64(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s {
        [b'0'] => return Some(0),
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') if digits.len() <= 19 => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    if negative {
        0i64.checked_sub_unsigned(v)
    } else {
        i64::try_from(v).ok()
    }
}
// ANCHOR_END: string_to_i64

/// A RESP3 double: `inf`, `-inf`, `nan`, or a decimal number.
fn parse_double(s: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(s).ok()?;
    match s {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" | "-nan" => Some(f64::NAN),
        // Rust would also take "infinity" and "NaN"; Redis never sends those, so refuse them.
        _ if s.bytes().any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') => None,
        _ => s.parse().ok(),
    }
}

/// C's `isspace` in the "C" locale: what `sdssplitargs` skips between arguments.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

// ANCHOR: split_args
/// Splits an inline command line into arguments with Redis's quoting rules (`sdssplitargs`).
///
/// Arguments are separated by whitespace. In `"double quotes"`, `\n \r \t \b \a` are control
/// characters, `\xHH` is a byte, and a backslash before anything else stands for that thing
/// (`\"`, `\\`). In `'single quotes'`, only `\'` is special. A quote may start in the middle of
/// an argument (`a"b c"` is `ab c`), but a closing quote must be followed by whitespace or the end.
///
/// # Errors
/// [`ProtocolError::UnbalancedQuotes`] for an unterminated quote or a closing quote followed by
/// something other than whitespace.
pub fn split_args(line: &[u8]) -> Result<Vec<Vec<u8>>, ProtocolError> {
    // Go parity / Redis parity: Redis scans the line as a C string, so a NUL byte ends it there
    // (and an inline request containing one is never answered). We treat NUL as an ordinary
    // byte: keys and values stay binary safe even inline.
    let mut args = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && is_space(line[i]) {
            i += 1;
        }
        if i == n {
            return Ok(args);
        }
        let mut arg = Vec::new();
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = line.get(i).copied();
            if in_double {
                match c {
                    None => return Err(ProtocolError::UnbalancedQuotes),
                    Some(b'\\') if line.get(i + 1) == Some(&b'x') => {
                        let hi = line.get(i + 2).copied().and_then(hex_value);
                        let lo = line.get(i + 3).copied().and_then(hex_value);
                        if let (Some(hi), Some(lo)) = (hi, lo) {
                            arg.push(hi * 16 + lo);
                            i += 4;
                        } else {
                            arg.push(b'x'); // `\x` without two hex digits is a plain `x`
                            i += 2;
                        }
                    }
                    Some(b'\\') if i + 1 < n => {
                        arg.push(match line[i + 1] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => b'\x08',
                            b'a' => b'\x07',
                            other => other,
                        });
                        i += 2;
                    }
                    Some(b'"') => {
                        if i + 1 < n && !is_space(line[i + 1]) {
                            return Err(ProtocolError::UnbalancedQuotes);
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        arg.push(other);
                        i += 1;
                    }
                }
            } else if in_single {
                match c {
                    None => return Err(ProtocolError::UnbalancedQuotes),
                    Some(b'\\') if line.get(i + 1) == Some(&b'\'') => {
                        arg.push(b'\'');
                        i += 2;
                    }
                    Some(b'\'') => {
                        if i + 1 < n && !is_space(line[i + 1]) {
                            return Err(ProtocolError::UnbalancedQuotes);
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        arg.push(other);
                        i += 1;
                    }
                }
            } else {
                match c {
                    // Only these four end an unquoted argument; a vertical tab or form feed is
                    // part of it (though skipped between arguments), exactly as in Redis.
                    None | Some(b' ' | b'\n' | b'\r' | b'\t') => break,
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(_) => {
                        // Copy the whole run of plain bytes at once rather than byte by byte.
                        let run = line[i..]
                            .iter()
                            .position(|&b| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'"' | b'\''))
                            .unwrap_or(n - i);
                        arg.extend_from_slice(&line[i..i + run]);
                        i += run;
                        continue;
                    }
                }
                i += 1;
            }
        }
        args.push(arg);
    }
}
// ANCHOR_END: split_args
