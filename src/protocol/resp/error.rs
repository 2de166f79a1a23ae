//! The errors of the RESP readers: a malformed or over-limit request or reply.
//!
//! Go original: part of `internal/protocol/resp/reader.go`. Explained in: book chapter 2;
//! appendix B lists every text.
//!
//! Each request error prints the text Redis 7 sends for the same fault, so that a client sees
//! the reply real Redis gives it; [`ProtocolError::reply`] says whether anyone is told at all.

use std::fmt;
use std::io;

use super::Value;

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
    /// A reply whose type byte is unknown (only
    /// [`Reader::read_value`](super::Reader::read_value)).
    UnknownReplyType(u8),
    /// A reply nested deeper than `max_depth` (only
    /// [`Reader::read_value`](super::Reader::read_value)).
    TooDeep,
    /// A reply whose line does not parse, with what was wrong (only
    /// [`Reader::read_value`](super::Reader::read_value)).
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
    pub(super) fn eof() -> ProtocolError {
        ProtocolError::Io(io::ErrorKind::UnexpectedEof.into())
    }
}
