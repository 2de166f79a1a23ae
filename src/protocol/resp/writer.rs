//! RESP writer: buffers encoded replies and writes them in one go.
//!
//! Go original: `internal/protocol/resp/writer.go`. Explained in: book chapter 2.
//!
//! Replies are encoded into one reusable `Vec<u8>` and written when the connection has no more
//! input buffered, so a pipeline of N commands costs one `write` system call, not N.

use std::io::{self, Write};

use super::{Protocol, Value};

/// A buffered RESP writer over any `Write`.
pub struct Writer<W> {
    inner: W,
    buf: Vec<u8>,
    /// The protocol replies are encoded in; switched by `HELLO`.
    pub protocol: Protocol,
}

impl<W: Write> Writer<W> {
    /// A writer speaking RESP2.
    pub fn new(inner: W) -> Self {
        Writer {
            inner,
            buf: Vec::with_capacity(16 * 1024),
            protocol: Protocol::Resp2,
        }
    }

    /// Encodes `value` into the buffer; nothing is sent until [`Writer::flush`].
    pub fn write_value(&mut self, value: &Value) {
        value.encode(self.protocol, &mut self.buf);
    }

    /// Appends bytes that are already RESP-encoded.
    pub fn write_raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// How many bytes wait to be sent.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Sends everything buffered in one `write_all` and empties the buffer.
    ///
    /// # Errors
    /// The socket's error, if the peer went away.
    pub fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
            // A pipeline that produced a huge reply should not pin that much memory forever.
            if self.buf.capacity() > 1024 * 1024 {
                self.buf.shrink_to(16 * 1024);
            }
        }
        self.inner.flush()
    }

    /// The wrapped writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }
}
