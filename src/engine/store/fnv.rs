//! FNV-1a: a small, fixed, unkeyed hash, for the places where std's SipHash buys nothing.
//!
//! Go original: none (Go has `hash/fnv`). Explained in: book chapters 3 ("the command table")
//! and 4 ("the keyspace: slots").
//!
//! SipHash's random key protects a hash table that grows from what clients send: nobody can
//! choose keys that all land in one bucket. Three places need no such protection and want
//! speed or a hash that never changes: which slot a key lives in (the slot's own `HashMap`
//! still uses SipHash), the order of a collection scan (a cursor must mean the same thing on
//! every call), and the command table (built at start-up, never grown by clients).

use std::hash::Hasher;

// ANCHOR: fnv
/// FNV-1a as a [`Hasher`]: xor each byte in, multiply by the FNV prime.
#[derive(Clone, Copy, Debug)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325) // the offset basis
    }
}

impl Hasher for Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The FNV-1a hash of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a::default();
    h.write(bytes);
    h.finish()
}
// ANCHOR_END: fnv

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_test_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
