//! Persistence: the append-only file (AOF), its replay at start-up, and its rewrite.
//!
//! Go original: `internal/persistence` (`aof.go`, `replay.go`). Explained in: book chapter 6.
//!
//! | file | what |
//! |---|---|
//! | [`aof`] | [`Aof`]: the handle the dispatcher appends to, and the `aof-writer` thread |
//! | [`replay`] | reading the file back through the real command handlers |
//! | [`rewrite`] | `BGREWRITEAOF`: the shortest command list that rebuilds the store |
//! | [`check`] | `--check-aof FILE [--fix]`, like `redis-check-aof` |
//!
//! The file is plain RESP: every record is the array of bulk strings a client would have sent,
//! so `cat appendonly.aof` is readable and Redis's own tools understand it.

pub mod aof;
pub mod check;
pub mod replay;
pub mod rewrite;

pub use aof::{Aof, Ticket};

/// One logged effect: a command, as words, that replays the change (design invariant 5).
pub type Effect = Vec<Vec<u8>>;

// ANCHOR: encode_command
/// Appends one command to `out` as a RESP array of bulk strings: the format of every AOF record.
pub fn encode_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, argv: &[A]) {
    out.push(b'*');
    out.extend_from_slice(argv.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for arg in argv {
        let arg = arg.as_ref();
        out.push(b'$');
        out.extend_from_slice(arg.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}
// ANCHOR_END: encode_command

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_resp_arrays_of_bulk_strings() {
        let mut out = Vec::new();
        encode_command(&mut out, &[&b"SET"[..], b"k", b"a\r\nb"]);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n");
    }
}
