//! CRC-64 (the "Jones" polynomial, bit-reflected), the checksum at the end of an RDB file.
//!
//! Go original: none. Explained in: book "RDB snapshots".
//!
//! A CRC treats the file as one enormous binary number and keeps the remainder of dividing it
//! by a fixed polynomial; any burst of flipped bits shorter than 64 changes the remainder. The
//! parameters must be exactly Redis's, or neither side could check the other's files: the
//! polynomial `0xad93d23594c935a9`, processed least-significant bit first (so the table below
//! is built from its bit-reversed form), starting from 0, with no final inversion.
//!
//! One table look-up per byte: the plain textbook method. Redis processes eight bytes per
//! step with eight tables ("slicing-by-8"); the result is the same, and a snapshot is written
//! on its own thread, so the plain loop is where we stop.

/// Redis's polynomial, bit-reversed for the least-significant-bit-first loop.
const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

// ANCHOR: crc64_table
/// The remainder of every possible byte, computed once at compile time.
const TABLE: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};
// ANCHOR_END: crc64_table

// ANCHOR: crc64
/// A running CRC-64: feed it bytes in any number of pieces, read the checksum at any time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Crc64(u64);

impl Crc64 {
    /// A checksum of nothing yet (0).
    pub fn new() -> Crc64 {
        Crc64(0)
    }

    /// Folds `bytes` into the checksum.
    pub fn update(&mut self, bytes: &[u8]) {
        let mut crc = self.0;
        for &b in bytes {
            crc = TABLE[((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
        }
        self.0 = crc;
    }

    /// The checksum of everything fed so far.
    pub fn value(&self) -> u64 {
        self.0
    }
}
// ANCHOR_END: crc64

/// The CRC-64 of `bytes` in one call.
pub fn crc64(bytes: &[u8]) -> u64 {
    let mut c = Crc64::new();
    c.update(bytes);
    c.value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_redis_test_vector() {
        // The value Redis's own `crc64` self-test expects for this input.
        assert_eq!(crc64(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn pieces_give_the_same_checksum_as_the_whole() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let mut c = Crc64::new();
        for piece in data.chunks(7) {
            c.update(piece);
        }
        assert_eq!(c.value(), crc64(&data));
        assert_eq!(crc64(b""), 0);
    }

    #[test]
    fn matches_a_real_redis_file() {
        // An empty `dump.rdb` saved by Redis 7.0.15: the last 8 bytes are the checksum of all
        // the bytes before them, little-endian.
        let file: &[u8] =
            b"REDIS0010\xfa\x09redis-ver\x067.0.15\xfa\x0aredis-bits\xc0\x40\xfa\x05ctime\
            \xc2\xf7\x3e\x10\x6b\xfa\x08used-mem\xc2\x38\x23\x15\x00\xfa\x08aof-base\xc0\x00\xff\
            \x40\x9d\x8e\xc1\x10\x95\x35\xfe";
        let (body, sum) = file.split_at(file.len() - 8);
        assert_eq!(crc64(body), u64::from_le_bytes(sum.try_into().unwrap()));
    }
}
