//! RESP request reader: turns bytes from a socket into commands.
//!
//! Go original: `internal/protocol/resp/reader.go`. Explained in: book chapter 2.
//!
//! Blocking and streaming: it pulls exactly the bytes the next value needs from a
//! `BufRead`, so one call never swallows the next pipelined command, and a frame split across
//! any number of reads parses the same as one that arrived whole.
//!
//! [`Reader::read_command`] parses *requests* the way Redis 7's `networking.c` does
//! (`processMultibulkBuffer`, `processInlineBuffer`): flat arrays of bulk strings, or inline
//! lines split by [`split_args()`], with Redis's limits and Redis's exact error texts. The same
//! `Reader` also parses *replies*, for tools and tests: [`Reader::read_value`], in `reply.rs`,
//! built on the line and bulk primitives of this file.
//!
//! Nothing here trusts a length before the bytes behind it have arrived: a client announcing a
//! 500 MB bulk string and then going quiet costs a few kilobytes, not 500 MB (design invariant 9).
//! And nothing recurses on client input: requests are flat by construction.

use std::io::{self, BufRead, BufReader, Read};

use super::{ProtocolError, split_args};

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
            // Redis parity: Redis 7 accepts up to INT_MAX elements and relies on the
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

// ANCHOR: reader
/// A streaming RESP reader over any `BufRead`.
pub struct Reader<R> {
    pub(super) inner: R,
    pub(super) limits: Limits,
    /// Whether the peer has authenticated; until it has, Redis's tighter request limits apply.
    authenticated: bool,
    /// Scratch space for a line that arrived in pieces; reused, so a long-lived connection
    /// allocates it once.
    pub(super) line: Vec<u8>,
    /// The buffers of earlier requests, handed back through [`Reader::recycle`]: the next
    /// request's arguments are copied into them instead of into fresh allocations.
    spare: Spare,
}
// ANCHOR_END: reader

// ANCHOR: spare
/// Argument buffers kept for reuse. A request costs one allocation per argument plus one for
/// the vector that holds them; a `SET key value` made four, each with its `free`. Kept buffers
/// make a steady stream of small requests allocate nothing. Only small buffers are kept, and
/// few of them, so an idle connection holds at most [`Spare::MAX_BUFFERS`] ×
/// [`Spare::MAX_CAPACITY`] bytes, and one huge value is freed as soon as it was used.
#[derive(Default)]
struct Spare {
    /// An emptied argument vector.
    argv: Vec<Vec<u8>>,
    /// Emptied argument buffers.
    buffers: Vec<Vec<u8>>,
}

impl Spare {
    const MAX_BUFFERS: usize = 32;
    const MAX_CAPACITY: usize = 256;

    /// An empty vector for `count` arguments.
    fn argv(&mut self, count: usize) -> Vec<Vec<u8>> {
        let mut argv = std::mem::take(&mut self.argv);
        argv.reserve(count);
        argv
    }

    /// An empty buffer, reused if one is kept.
    fn buffer(&mut self) -> Vec<u8> {
        self.buffers.pop().unwrap_or_default()
    }

    /// Keeps what is small of a finished request. Its last argument is kept first, so the next
    /// request's first argument (usually a command name) gets the first one's buffer back.
    fn keep(&mut self, mut argv: Vec<Vec<u8>>) {
        for mut arg in argv.drain(..).rev() {
            if self.buffers.len() < Self::MAX_BUFFERS && arg.capacity() <= Self::MAX_CAPACITY {
                arg.clear();
                self.buffers.push(arg);
            }
        }
        if argv.capacity() <= Self::MAX_BUFFERS {
            self.argv = argv;
        }
    }
}
// ANCHOR_END: spare

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
            spare: Spare::default(),
        }
    }

    /// Hands back a request this reader returned, once it is no longer needed, so that its
    /// buffers carry the next one (see `Spare`).
    pub fn recycle(&mut self, argv: Vec<Vec<u8>>) {
        self.spare.keep(argv);
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Changes the limits from the next request on (`CONFIG SET proto-max-bulk-len`).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
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
            Some(n) if n <= 0 || at_most(n, self.limits.max_multibulk_len) => n,
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
        let mut args = self.spare.argv((count as usize).min(1024));
        let mut total = 0usize;
        for _ in 0..count {
            let header = self.read_header(ProtocolError::TooBigBulkCount)?;
            if header.first != b'$' {
                return Err(ProtocolError::ExpectedDollar(header.first));
            }
            let len = match header.number {
                Some(n) if at_most(n, self.limits.max_bulk_len) => n,
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
        if let Some(cr) = find(buf, b'\r')
            && cr + 1 < buf.len()
        {
            if cr > max {
                return Err(too_big);
            }
            let header = parse_header(&buf[..cr]);
            self.inner.consume(cr + 2);
            return Ok(header);
        }
        // Slow path: the line arrives in pieces; gather it in the scratch buffer.
        self.read_line_into_scratch(b'\r', too_big)?;
        self.skip(1)?;
        Ok(parse_header(&self.line))
    }
    // ANCHOR_END: read_header

    /// Reads `len` bytes and the two after them (the `\r\n`, skipped unchecked like Redis does).
    pub(super) fn read_bulk(&mut self, len: usize) -> Result<Vec<u8>, ProtocolError> {
        let buf = fill(&mut self.inner)?;
        if buf.len() >= len.saturating_add(2) {
            let mut data = self.spare.buffer();
            data.extend_from_slice(&buf[..len]);
            self.inner.consume(len + 2);
            return Ok(data);
        }
        // The value is bigger than what has arrived. Grow the vector as bytes come in, doubling
        // up to the announced length, so a peer that announces 512 MB and sends nothing costs
        // one small chunk. `read` (rather than `fill_buf`) lets `BufReader` copy a big value
        // straight from the socket into the vector, past its own buffer.
        let mut data = Vec::new();
        let mut got = 0;
        while got < len {
            if got == data.len() {
                let grown = next_bulk_capacity(data.len(), len);
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
    pub(super) fn read_line_into_scratch(
        &mut self,
        end: u8,
        too_big: ProtocolError,
    ) -> Result<(), ProtocolError> {
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
}

impl<T: Read> Reader<BufReader<T>> {
    /// True when bytes of a further command are already buffered: the connection loop keeps
    /// dispatching instead of flushing replies (design invariant 10).
    pub fn has_buffered(&self) -> bool {
        !self.inner.buffer().is_empty()
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

/// How far to grow a bulk string's buffer that holds `have` bytes of `len`: double it (at least
/// one chunk), never past `len`. Memory follows the bytes received, not the length announced.
fn next_bulk_capacity(have: usize, len: usize) -> usize {
    have.saturating_mul(2).max(BULK_CHUNK).min(len)
}

/// `fill_buf`, retried when a signal interrupts the read. Empty means end of stream.
///
/// A free function over the inner reader alone, so the caller can still use its other fields
/// (the scratch line) while holding the returned slice.
// `inline(always)`: a command calls this several times, and left to itself the compiler's choice
// flips with how the rest of the crate is split into codegen units, so an unrelated change could
// add a call per read to every command (callgrind, `tests/bench/instructions.sh`, shows it).
#[inline(always)]
pub(super) fn fill<R: BufRead>(inner: &mut R) -> io::Result<&[u8]> {
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

/// True when `n` is a length from 0 to `max`. (Comparing as `u64` keeps a limit of
/// `usize::MAX` meaning "no limit" instead of wrapping to -1 as an `i64`.)
pub(super) fn at_most(n: i64, max: usize) -> bool {
    u64::try_from(n).is_ok_and(|n| n <= max as u64)
}

/// The position of `byte` in `buf`.
#[inline]
fn find(buf: &[u8], byte: u8) -> Option<usize> {
    buf.iter().position(|&b| b == byte)
}

/// `line` without one trailing `\r`.
pub(super) fn strip_cr(line: &[u8]) -> &[u8] {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::resp::test_peers::{Interrupting, OneByte};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    type Args = Vec<Vec<u8>>;

    /// Every command in `input`, up to the first error or the end.
    fn commands(input: &[u8]) -> (Vec<Args>, Option<ProtocolError>) {
        commands_with(input, Limits::default())
    }

    fn commands_with(input: &[u8], limits: Limits) -> (Vec<Args>, Option<ProtocolError>) {
        let mut r = Reader::with_limits(input, limits);
        let mut out = Vec::new();
        loop {
            match r.read_command() {
                Ok(Some(args)) => out.push(args),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    fn args(words: &[&[u8]]) -> Args {
        words.iter().map(|w| w.to_vec()).collect()
    }

    /// The exact reply bytes the server sends for the first error in `input`.
    #[track_caller]
    fn error_reply(input: &[u8]) -> String {
        error_reply_with(input, Limits::default())
    }

    #[track_caller]
    fn error_reply_with(input: &[u8], limits: Limits) -> String {
        match commands_with(input, limits).1 {
            Some(e) => match e.reply() {
                Some(v) => String::from_utf8_lossy(&v.to_resp2()).into_owned(),
                None => format!("(no reply: {e})"),
            },
            None => panic!("no error for {:?}", String::from_utf8_lossy(input)),
        }
    }

    fn is_eof(e: &Option<ProtocolError>) -> bool {
        matches!(e, Some(ProtocolError::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof)
    }
    // ---- requests: well formed ----

    #[test]
    fn a_multibulk_request() {
        let (cmds, err) = commands(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n");
        assert_eq!(cmds, vec![args(&[b"SET", b"k", b"hello"])]);
        assert!(err.is_none());
    }

    #[test]
    fn binary_arguments_keep_crlf_and_nul() {
        let (cmds, err) = commands(b"*2\r\n$4\r\na\r\n\0\r\n$0\r\n\r\n");
        assert_eq!(cmds, vec![args(&[b"a\r\n\0", b""])]);
        assert!(err.is_none());
    }

    #[test]
    fn clean_eof_between_commands_is_none_and_mid_frame_is_an_error() {
        assert!(matches!(Reader::new(&b""[..]).read_command(), Ok(None)));
        for cut in [
            &b"*"[..],
            b"*2\r",
            b"*2\r\n",
            b"*2\r\n$3",
            b"*2\r\n$3\r\nGE",
            b"*1\r\n$3\r\nGET\r",
            b"PING",
        ] {
            let (cmds, err) = commands(cut);
            assert!(cmds.is_empty());
            assert!(is_eof(&err), "{cut:?} gave {err:?}");
            assert!(
                err.is_some_and(|e| e.reply().is_none()),
                "an I/O error gets no reply"
            );
        }
    }

    #[test]
    fn empty_and_negative_arrays_are_skipped() {
        let (cmds, err) = commands(b"*0\r\n*-1\r\n*-5\r\n*1\r\n$4\r\nPING\r\n*0\r\n");
        assert_eq!(cmds, vec![args(&[b"PING"])]);
        assert!(err.is_none());
    }

    #[test]
    fn a_pipeline_of_many_commands_in_one_buffer() {
        let mut input = Vec::new();
        for i in 0..1000 {
            let v = i.to_string();
            crate::protocol::resp::encode_command(
                &[b"SET".as_slice(), b"key", v.as_bytes()],
                &mut input,
            );
            input.extend_from_slice(b"PING\r\n");
        }
        let (cmds, err) = commands(&input);
        assert!(err.is_none());
        assert_eq!(cmds.len(), 2000);
        for (i, pair) in cmds.chunks(2).enumerate() {
            assert_eq!(pair[0], args(&[b"SET", b"key", i.to_string().as_bytes()]));
            assert_eq!(pair[1], args(&[b"PING"]));
        }
    }

    #[test]
    fn a_frame_split_across_many_reads() {
        let mut input = Vec::new();
        crate::protocol::resp::encode_command(
            &[b"SET".as_slice(), b"k\r\n", &[7u8; 40_000]],
            &mut input,
        );
        input.extend_from_slice(b"ECHO \"a b\"\n*1\r\n$4\r\nPING\r\n");
        let expected = vec![
            args(&[b"SET", b"k\r\n", &[7u8; 40_000]]),
            args(&[b"ECHO", b"a b"]),
            args(&[b"PING"]),
        ];
        let mut r = Reader::new(BufReader::new(OneByte(&input)));
        for want in &expected {
            assert_eq!(&r.read_command().unwrap().unwrap(), want);
        }
        assert!(r.read_command().unwrap().is_none());
        // Interrupted reads are retried, never reported.
        let mut r = Reader::new(BufReader::new(Interrupting {
            data: &input,
            interrupt: false,
        }));
        for want in &expected {
            assert_eq!(&r.read_command().unwrap().unwrap(), want);
        }
        assert!(r.read_command().unwrap().is_none());
    }

    #[test]
    fn every_split_point_of_a_pipeline_parses_the_same() {
        let input = b"*2\r\n$4\r\nECHO\r\n$3\r\na\0b\r\nSET 'x y' \"\\x41\"\r\n*0\r\n\n*1\r\n$4\r\nPING\r\n";
        let whole = commands(input).0;
        assert_eq!(whole.len(), 3);
        for cut in 0..input.len() {
            let chained = Read::chain(&input[..cut], &input[cut..]);
            // A one-byte buffer forces every line and bulk across the cut through the slow paths.
            let mut r = Reader::new(BufReader::with_capacity(1, chained));
            let mut got = Vec::new();
            while let Some(c) = r.read_command().unwrap() {
                got.push(c);
            }
            assert_eq!(got, whole, "cut at {cut}");
        }
    }

    #[test]
    fn has_buffered_sees_the_next_pipelined_command() {
        let mut r = Reader::new(BufReader::new(&b"PING\r\nPING\r\n"[..]));
        r.read_command().unwrap();
        assert!(r.has_buffered());
        r.read_command().unwrap();
        assert!(!r.has_buffered());
    }

    #[test]
    fn the_bytes_after_a_cr_and_after_a_bulk_are_skipped_unchecked_like_redis() {
        // Redis finds the `\r` of a header and steps over whatever byte follows; it steps over
        // the two bytes after a bulk string the same way. Real Redis answers PONG to both.
        let (cmds, err) = commands(b"*1\r\n$4\r\nPINGxx*1\r\n$4\rXPING\r\n");
        assert_eq!(cmds, vec![args(&[b"PING"]), args(&[b"PING"])]);
        assert!(err.is_none());
    }

    #[test]
    fn lengths_up_to_the_limits_are_accepted() {
        // The header is accepted; only the missing body ends it.
        assert!(is_eof(&commands(b"*1048576\r\n").1));
        assert!(is_eof(&commands(b"*1\r\n$536870912\r\n").1));
        let small = Limits {
            max_bulk_len: 3,
            max_multibulk_len: 2,
            ..Limits::default()
        };
        let (cmds, err) = commands_with(b"*2\r\n$3\r\nabc\r\n$0\r\n\r\n", small);
        assert_eq!(cmds, vec![args(&[b"abc", b""])]);
        assert!(err.is_none());
        assert_eq!(
            error_reply_with(b"*3\r\n", small),
            "-ERR Protocol error: invalid multibulk length\r\n"
        );
        assert_eq!(
            error_reply_with(b"*1\r\n$4\r\n", small),
            "-ERR Protocol error: invalid bulk length\r\n"
        );
    }

    #[test]
    fn an_announced_length_is_not_allocated_before_the_bytes_arrive() {
        // The first buffer for a bulk string that has not arrived is one small chunk, whatever
        // was announced; then it doubles with what has come, and ends exactly at the length.
        assert_eq!(next_bulk_capacity(0, 536_870_000), BULK_CHUNK);
        assert_eq!(next_bulk_capacity(BULK_CHUNK, 536_870_000), 2 * BULK_CHUNK);
        assert_eq!(next_bulk_capacity(0, 10), 10);
        assert_eq!(next_bulk_capacity(300_000_000, 536_870_000), 536_870_000);
        let (cmds, err) = commands(b"*1\r\n$536870000\r\nonly a few bytes");
        assert!(cmds.is_empty());
        assert!(is_eof(&err));
    }

    #[test]
    fn the_query_buffer_limit_closes_without_a_reply() {
        let limits = Limits {
            max_query_len: 10,
            ..Limits::default()
        };
        let (cmds, err) = commands_with(b"*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n", limits);
        assert_eq!(cmds, vec![args(&[b"hello", b"world"])]);
        assert!(err.is_none());
        let (cmds, err) = commands_with(b"*2\r\n$5\r\nhello\r\n$6\r\nworld!\r\n", limits);
        assert!(cmds.is_empty());
        assert!(matches!(err, Some(ProtocolError::QueryBufferLimit)));
        assert_eq!(err.and_then(|e| e.reply()), None);
    }

    #[test]
    fn before_auth_requests_are_small() {
        let mut r = Reader::new(&b"*11\r\n"[..]);
        r.set_authenticated(false);
        let e = r.read_command().unwrap_err();
        assert_eq!(
            e.to_string(),
            "Protocol error: unauthenticated multibulk length"
        );
        let mut r = Reader::new(&b"*10\r\n$16385\r\n"[..]);
        r.set_authenticated(false);
        let e = r.read_command().unwrap_err();
        assert_eq!(e.to_string(), "Protocol error: unauthenticated bulk length");
        // An invalid length is reported as invalid first, as in Redis.
        let mut r = Reader::new(&b"*1\r\n$x\r\n"[..]);
        r.set_authenticated(false);
        assert!(matches!(
            r.read_command(),
            Err(ProtocolError::InvalidBulkLength)
        ));
        let mut r = Reader::new(&b"*10\r\n$16384\r\n"[..]);
        r.set_authenticated(false);
        assert!(matches!(r.read_command(), Err(ProtocolError::Io(_))));
    }

    // ---- requests: malformed, with Redis 7's exact replies ----

    #[test]
    fn malformed_multibulk_requests_get_redis_error_texts() {
        let invalid_mbulk = "-ERR Protocol error: invalid multibulk length\r\n";
        let invalid_bulk = "-ERR Protocol error: invalid bulk length\r\n";
        for input in [
            &b"*x\r\n"[..],
            b"*\r\nPING\r\n",
            b"*01\r\n",
            b"*+1\r\n",
            b"*-0\r\n",
            b"*1X\r\n$4\r\nPING\r\n",
            b"*1 \r\n",
            b"*1048577\r\n",
            b"*2147483648\r\n",
            b"*99999999999999999999\r\n",
            b"*111111111111111111111111111111\r\n",
            b"*3\n$3\r\nfoo\r\n",
        ] {
            assert_eq!(
                error_reply(input),
                invalid_mbulk,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        for input in [
            &b"*1\r\n$-1\r\n"[..],
            b"*1\r\n$x\r\n",
            b"*1\r\n$\r\n",
            b"*1\r\n$-0\r\n",
            b"*1\r\n$00\r\n",
            b"*1\r\n$ 4\r\n",
            b"*1\r\n$+4\r\n",
            b"*1\r\n$\xff\r\n",
            b"*1\r\n$536870913\r\n",
            b"*1\r\n$111111111111111111111111111111\r\n",
            b"*2\r\n$3\nfoo\n$3\nbar\r\n",
        ] {
            assert_eq!(
                error_reply(input),
                invalid_bulk,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn an_array_element_that_is_not_a_bulk_string() {
        assert_eq!(
            error_reply(b"*1\r\nfoo\r\n"),
            "-ERR Protocol error: expected '$', got 'f'\r\n"
        );
        // Requests are flat: a nested array is refused at its first byte.
        assert_eq!(
            error_reply(b"*1\r\n*1\r\n$1\r\na\r\n"),
            "-ERR Protocol error: expected '$', got '*'\r\n"
        );
        assert_eq!(
            error_reply(b"*2\r\n$1\r\na\r\n:1\r\n"),
            "-ERR Protocol error: expected '$', got ':'\r\n"
        );
        // Redis turns a CR or LF in the message into a space.
        assert_eq!(
            error_reply(b"*1\r\n\r\n"),
            "-ERR Protocol error: expected '$', got ' '\r\n"
        );
        assert_eq!(
            error_reply(b"*1\r\n\n\r\n"),
            "-ERR Protocol error: expected '$', got ' '\r\n"
        );
        // The check waits for the whole line, as Redis does: no `\r` yet, no verdict.
        assert!(is_eof(&commands(b"*1\r\nfoo").1));
    }

    #[test]
    fn lines_without_an_end_are_too_big_past_64_kb() {
        let mut input = b"*".to_vec();
        input.extend(std::iter::repeat_n(b'1', 70_000));
        assert_eq!(
            error_reply(&input),
            "-ERR Protocol error: too big mbulk count string\r\n"
        );
        let mut input = b"*1\r\n$".to_vec();
        input.extend(std::iter::repeat_n(b'1', 70_000));
        assert_eq!(
            error_reply(&input),
            "-ERR Protocol error: too big bulk count string\r\n"
        );
        let mut input = b"*1\r\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 70_000));
        assert_eq!(
            error_reply(&input),
            "-ERR Protocol error: too big bulk count string\r\n"
        );
        let input = vec![b'x'; 70_000];
        assert_eq!(
            error_reply(&input),
            "-ERR Protocol error: too big inline request\r\n"
        );
        // The same through the slow path, a byte at a time.
        let mut r = Reader::new(BufReader::new(OneByte(&input)));
        assert!(matches!(r.read_command(), Err(ProtocolError::TooBigInline)));
    }

    #[test]
    fn the_inline_limit_is_exact() {
        let limits = Limits {
            max_inline_len: 8,
            ..Limits::default()
        };
        // Eight bytes before the newline fit, nine do not; the `\r` counts, as in Redis.
        let (cmds, err) = commands_with(b"ECHO abc\nECHO ab\r\n", limits);
        assert_eq!(
            cmds,
            vec![args(&[b"ECHO", b"abc"]), args(&[b"ECHO", b"ab"])]
        );
        assert!(err.is_none());
        assert_eq!(
            error_reply_with(b"ECHO abcd\n", limits),
            "-ERR Protocol error: too big inline request\r\n"
        );
        assert_eq!(
            error_reply_with(b"*1\r\n$123456789\r\n", limits),
            "-ERR Protocol error: too big bulk count string\r\n"
        );
    }

    // ---- requests: inline ----

    #[test]
    fn inline_commands_and_line_endings() {
        let (cmds, err) = commands(b"PING\r\nPING\n\r\n\n   \r\n\t\nSET k  v\r\nECHO a\r\r\n");
        assert_eq!(
            cmds,
            vec![
                args(&[b"PING"]),
                args(&[b"PING"]),
                args(&[b"SET", b"k", b"v"]),
                args(&[b"ECHO", b"a"])
            ]
        );
        assert!(err.is_none());
    }

    #[test]
    fn unbalanced_quotes() {
        for line in [
            &br#"ECHO "a"b"#[..],
            b"ECHO 'a'b",
            b"ECHO \"ab",
            b"ECHO 'ab",
            br#"ECHO "a\""#,
            br#"ECHO "a\"#,
            b"ECHO '",
        ] {
            assert!(
                matches!(split_args(line), Err(ProtocolError::UnbalancedQuotes)),
                "{:?}",
                String::from_utf8_lossy(line)
            );
            let mut input = line.to_vec();
            input.extend_from_slice(b"\r\n");
            assert_eq!(
                error_reply(&input),
                "-ERR Protocol error: unbalanced quotes in request\r\n"
            );
        }
    }

    // ---- numbers ----

    #[test]
    fn string_to_i64_is_as_strict_as_string2ll() {
        assert_eq!(string_to_i64(b"0"), Some(0));
        assert_eq!(string_to_i64(b"-1"), Some(-1));
        assert_eq!(string_to_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string_to_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"00",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"1x",
            b"9223372036854775808",
        ] {
            assert_eq!(
                string_to_i64(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(string_to_i64(b"-9223372036854775809"), None);
        assert_eq!(string_to_i64(b"99999999999999999999"), None);
    }

    // ---- fuzzing ----

    /// Valid frames to mutate: requests and replies of every shape.
    const SEEDS: &[&[u8]] = &[
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n",
        b"*1\r\n$4\r\nPING\r\n*0\r\n*-1\r\n",
        b"SET \"a\\x41 b\" 'c\\'d'\r\nPING\n",
        b"*2\r\n$4\r\na\r\n\0\r\n$0\r\n\r\n",
        b"%2\r\n+a\r\n:1\r\n+b\r\n~1\r\n,1.5\r\n",
        b">2\r\n$7\r\nmessage\r\n*2\r\n#t\r\n_\r\n",
        b"|1\r\n+k\r\n+v\r\n=8\r\ntxt:a\r\nb\r\n!3\r\nERR\r\n(123\r\n",
        b"*1\r\n*1\r\n*1\r\n$-1\r\n-ERR x\r\n",
    ];

    /// Bytes that mean something to the parser, so that random input reaches deep paths.
    const ALPHABET: &[u8] = b"*$+-:_,#=!(%~>|\r\n\r\n0123456789-\"' \\xtf\0A";

    fn mutate(rng: &mut StdRng, input: &mut Vec<u8>) {
        for _ in 0..rng.random_range(1..4) {
            let len = input.len();
            let at = rng.random_range(0..=len);
            match rng.random_range(0..7) {
                0 if at < len => input[at] = rng.random(),
                1 if at < len => input[at] = ALPHABET[rng.random_range(0..ALPHABET.len())],
                2 => input.insert(at, ALPHABET[rng.random_range(0..ALPHABET.len())]),
                3 if at < len => {
                    input.remove(at);
                }
                4 => input.truncate(at),
                5 => {
                    // A random length where a number was: huge, negative, or just off by some.
                    let n = match rng.random_range(0..4) {
                        0 => rng.random::<i64>().to_string(),
                        1 => rng.random_range(-3i64..20).to_string(),
                        2 => rng.random_range(0u64..1 << 31).to_string(),
                        _ => "99999999999999999999999".to_string(),
                    };
                    let at = at.min(len);
                    input.splice(at..at, n.bytes());
                }
                _ => {
                    let end = rng.random_range(at..=len);
                    let copy = input[at..end].to_vec();
                    input.extend_from_slice(&copy);
                }
            }
        }
    }

    /// Runs every parser over `input`; any panic fails the test.
    fn exercise(input: &[u8], limits: Limits) {
        let mut r = Reader::with_limits(input, limits);
        for _ in 0..32 {
            match r.read_command() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    let _ = e.reply();
                    break;
                }
            }
        }
        let mut r = Reader::with_limits(input, limits);
        for _ in 0..32 {
            match r.read_value() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    let _ = e.to_string();
                    break;
                }
            }
        }
        let _ = split_args(input);
    }

    /// A million inputs under `--release`; 100,000 in a debug build, so that `cargo test` stays
    /// fast. Deterministic: a failure reproduces with the same seed.
    #[test]
    fn fuzz_never_panics() {
        let runs = if cfg!(debug_assertions) {
            100_000
        } else {
            1_000_000
        };
        let mut rng = StdRng::seed_from_u64(0x5eed_2e5b);
        let small = Limits {
            max_bulk_len: 16,
            max_multibulk_len: 4,
            max_inline_len: 24,
            max_query_len: 40,
            max_depth: 3,
        };
        let mut input = Vec::new();
        for i in 0..runs {
            input.clear();
            if i % 3 == 0 {
                let len = rng.random_range(0..48);
                input.extend((0..len).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())]));
            } else {
                input.extend_from_slice(SEEDS[rng.random_range(0..SEEDS.len())]);
                mutate(&mut rng, &mut input);
            }
            let limits = if i % 4 == 0 { small } else { Limits::default() };
            exercise(&input, limits);
        }
    }

    #[test]
    fn recycled_buffers_carry_the_next_request_and_big_ones_are_freed() {
        let big = "x".repeat(1000);
        let input = format!(
            "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n$2\r\nk2\r\n*2\r\n$3\r\nSET\r\n$1000\r\n{big}\r\n*1\r\n$4\r\nPING\r\n"
        );
        let mut r = Reader::new(input.as_bytes());
        let first = r.read_command().unwrap().unwrap();
        let (outer, name) = (first.as_ptr(), first[0].as_ptr());
        r.recycle(first);
        let second = r.read_command().unwrap().unwrap();
        assert_eq!(second, vec![b"GET".to_vec(), b"k2".to_vec()]);
        assert_eq!(second.as_ptr(), outer, "the argument vector is reused");
        assert_eq!(
            second[0].as_ptr(),
            name,
            "the command name's buffer is reused"
        );
        r.recycle(second);
        let third = r.read_command().unwrap().unwrap();
        assert_eq!(third[1].len(), 1000);
        r.recycle(third);
        assert!(
            r.spare
                .buffers
                .iter()
                .all(|b| b.capacity() <= Spare::MAX_CAPACITY)
        );
        assert_eq!(r.read_command().unwrap().unwrap(), vec![b"PING".to_vec()]);
    }
}
