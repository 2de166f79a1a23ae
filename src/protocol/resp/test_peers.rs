//! Test peers that deliver bytes the awkward ways a real socket can: one at a time, or with
//! reads interrupted by signals. The readers' tests use them to reach their slow paths.
//!
//! Go original: none (test support). Explained in: book chapter 2.

use std::io::{self, Read};

/// A peer whose bytes trickle in one per `read`, as over a very slow network.
pub(super) struct OneByte<'a>(pub(super) &'a [u8]);

impl Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// A peer whose every other read is interrupted by a signal.
pub(super) struct Interrupting<'a> {
    pub(super) data: &'a [u8],
    pub(super) interrupt: bool,
}

impl Read for Interrupting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = buf.len().min(self.data.len()).min(3);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}
