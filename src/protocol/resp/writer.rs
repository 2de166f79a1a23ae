//! RESP writer: buffers encoded replies and writes them in one go.
//!
//! Go original: `internal/protocol/resp/writer.go`. Explained in: book chapter 2.
//!
//! Replies are encoded into one reusable `Vec<u8>` and written when the connection has no more
//! input buffered, so a pipeline of N commands costs one `write` system call, not N.

use std::io::{self, Write};

use super::{Protocol, Value, push_int};

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
            // Grown by the first replies to what the connection needs, then reused. Reserving
            // 16 KB up front cost every idle client 8 KB of resident memory: the allocator
            // writes to the pages at both ends of the block.
            buf: Vec::new(),
            protocol: Protocol::Resp2,
        }
    }

    /// Encodes `value` into the buffer; nothing is sent until [`Writer::flush`].
    pub fn write_value(&mut self, value: &Value) {
        value.encode(self.protocol, &mut self.buf);
    }

    /// Encodes a request (an array of bulk strings), as a client or the AOF sends one.
    pub fn write_command<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        encode_command(args, &mut self.buf);
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

// ANCHOR: encode_command
/// Appends `args` as a request: `*<n>\r\n` then `$<len>\r\n<bytes>\r\n` per argument, the only
/// form [`Reader::read_command`](super::Reader::read_command) parses without an inline line's
/// quoting rules, and so the form that carries any bytes at all.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A], out: &mut Vec<u8>) {
    out.push(b'*');
    push_int(out, args.len() as i64);
    out.extend_from_slice(b"\r\n");
    for arg in args {
        let arg = arg.as_ref();
        out.push(b'$');
        push_int(out, arg.len() as i64);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}
// ANCHOR_END: encode_command

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Write` that records each `write` call, to count system calls a socket would see.
    #[derive(Default)]
    struct Recorder {
        writes: Vec<Vec<u8>>,
    }

    impl Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.writes.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_pipeline_of_replies_is_one_write() {
        let mut w = Writer::new(Recorder::default());
        w.write_value(&Value::OK);
        w.write_value(&Value::Integer(7));
        w.write_value(&Value::Null);
        assert_eq!(w.buffered(), 5 + 4 + 5);
        assert!(
            w.get_ref().writes.is_empty(),
            "nothing is sent before flush"
        );
        w.flush().unwrap();
        assert_eq!(w.get_ref().writes, vec![b"+OK\r\n:7\r\n$-1\r\n".to_vec()]);
        assert_eq!(w.buffered(), 0);
        w.flush().unwrap();
        assert_eq!(w.get_ref().writes.len(), 1, "an empty flush writes nothing");
    }

    #[test]
    fn the_protocol_switch_applies_to_later_replies() {
        let mut w = Writer::new(Vec::new());
        w.write_value(&Value::Null);
        w.protocol = Protocol::Resp3;
        w.write_value(&Value::Null);
        w.write_raw(b"+raw\r\n");
        w.flush().unwrap();
        assert_eq!(w.get_ref(), b"$-1\r\n_\r\n+raw\r\n");
    }

    #[test]
    fn commands_encode_as_arrays_of_bulk_strings() {
        let mut w = Writer::new(Vec::new());
        w.write_command(&["SET", "k", ""]);
        w.write_command::<&[u8]>(&[b"a\r\n\0"]);
        w.flush().unwrap();
        assert_eq!(
            w.get_ref(),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n*1\r\n$4\r\na\r\n\0\r\n"
        );
    }

    #[test]
    fn a_huge_buffer_is_released_after_flush() {
        let mut w = Writer::new(Vec::new());
        w.write_value(&Value::Bulk(vec![b'x'; 4 * 1024 * 1024]));
        w.flush().unwrap();
        assert!(w.buf.capacity() <= 1024 * 1024);
        assert_eq!(w.get_ref().len(), 4 * 1024 * 1024 + 12);
    }
}
