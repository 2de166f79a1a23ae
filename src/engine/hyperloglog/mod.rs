//! HyperLogLog: a distinct count in at most 12 KB, stored as an ordinary string in Redis's
//! exact byte layout, so values move between this server and Redis unchanged.
//!
//! Go original: none (go-redis had no HyperLogLog). Explained in: book chapter "HyperLogLog".
//!
//! The layout (all of it is a plain string value, which is why `GET`, `SET`, `DUMP`, the AOF and
//! the RDB carry it without knowing what it is):
//!
//! | bytes | what |
//! |---|---|
//! | 0..4 | `HYLL` |
//! | 4 | encoding: 0 dense, 1 sparse |
//! | 5..8 | unused, zero |
//! | 8..16 | cached cardinality, little-endian; bit 7 of byte 15 set means "stale" |
//! | 16.. | the registers, dense or sparse (see [`codec`]) |
//!
//! Every byte after the magic may be anything a client wrote with `SETRANGE`: nothing here
//! indexes without a bound, and a sparse stream that does not cover exactly the 16384
//! registers is reported as corrupt, never trusted.

pub mod codec;
pub mod estimate;

pub use codec::{decode_sparse_text, encode_dense, encode_sparse, registers};
pub use estimate::{estimate, murmur64a, pattern};

/// Bits of the hash that pick a register.
pub const P: u32 = 14;
/// Bits of the hash left for the run of zeros.
pub const Q: usize = 64 - P as usize;
/// Number of registers.
pub const REGISTERS: usize = 1 << P;
/// Size of the header.
pub const HEADER: usize = 16;
/// Size of a dense value: the header and 16384 registers of 6 bits.
pub const DENSE_SIZE: usize = HEADER + (REGISTERS * 6).div_ceil(8);
/// The largest register value the sparse `VAL` opcode can hold.
pub const SPARSE_VAL_MAX: u8 = 32;

/// The two encodings a stored value can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// 16384 six-bit registers packed in 12288 bytes.
    Dense,
    /// Run-length opcodes, for values whose registers are mostly zero.
    Sparse,
}

/// Why a string cannot be used as a HyperLogLog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HllError {
    /// Not a HyperLogLog at all (bad magic, encoding or dense length): Redis's `WRONGTYPE`.
    NotHll,
    /// The header is right but the registers are broken: Redis's `INVALIDOBJ`.
    Corrupt,
}

/// The register values, one byte each (Redis's "raw" encoding, used only in memory).
pub type Registers = Box<[u8; REGISTERS]>;

/// Checks the header as Redis's `isHLLObjectOrReply` does and returns the encoding.
///
/// # Errors
/// [`HllError::NotHll`] for a string too short, without the magic, with an unknown encoding,
/// or dense with the wrong length.
pub fn check(value: &[u8]) -> Result<Encoding, HllError> {
    if value.len() < HEADER || &value[..4] != b"HYLL" {
        return Err(HllError::NotHll);
    }
    match value[4] {
        0 if value.len() == DENSE_SIZE => Ok(Encoding::Dense),
        1 => Ok(Encoding::Sparse),
        _ => Err(HllError::NotHll),
    }
}

/// A new, empty value: sparse, one `XZERO` run over every register, cached cardinality 0.
pub fn new_sparse() -> Vec<u8> {
    encode_sparse(&Box::new([0u8; REGISTERS]), [0; 8]).unwrap_or_default()
}

/// The cached cardinality, if the cache is valid. The caller has checked the header.
pub fn cached(value: &[u8]) -> Option<u64> {
    let card: [u8; 8] = value.get(8..16)?.try_into().ok()?;
    (card[7] & 0x80 == 0).then(|| u64::from_le_bytes(card))
}

/// Stores a freshly computed cardinality in the header cache.
pub fn set_cached(value: &mut [u8], card: u64) {
    if let Some(slot) = value.get_mut(8..16) {
        slot.copy_from_slice(&(card & !(1u64 << 63)).to_le_bytes());
    }
}

/// Marks the header cache stale (after registers changed).
pub fn invalidate(value: &mut [u8]) {
    if let Some(b) = value.get_mut(15) {
        *b |= 0x80;
    }
}

/// The cardinality of registers (any number of values merged by register-wise maximum).
pub fn count(regs: &[u8; REGISTERS]) -> u64 {
    let mut histogram = [0u32; 64];
    for &r in regs.iter() {
        histogram[(r & 63) as usize] += 1;
    }
    estimate(&histogram)
}

/// Adds elements to a checked value in place; `true` if a register grew. A sparse value that
/// would outgrow `sparse_max_bytes`, or needs a register above 32, becomes dense, as in Redis.
///
/// # Errors
/// [`HllError::Corrupt`] for a sparse value whose opcodes do not cover the registers exactly;
/// the value is then left as it was.
pub fn add<'a>(
    value: &mut Vec<u8>,
    elements: impl IntoIterator<Item = &'a [u8]>,
    sparse_max_bytes: u64,
) -> Result<bool, HllError> {
    if check(value)? == Encoding::Dense {
        // In place: a dense value is always well formed, so no decoding is needed.
        let body = &mut value[HEADER..];
        let mut changed = false;
        for element in elements {
            let (index, run) = pattern(element);
            if codec::get_dense(body, index) < run {
                codec::set_dense(body, index, run);
                changed = true;
            }
        }
        if changed {
            invalidate(value);
        }
        return Ok(changed);
    }
    // Sparse: decode once, apply every element, encode once (promoting if it grew too big).
    // No element, no decoding: Redis answers 0 then even for a corrupt body.
    let mut elements = elements.into_iter().peekable();
    if elements.peek().is_none() {
        return Ok(false);
    }
    let mut regs = registers(value)?;
    let mut changed = false;
    for element in elements {
        let (index, run) = pattern(element);
        if regs[index] < run {
            regs[index] = run;
            changed = true;
        }
    }
    if !changed {
        return Ok(false);
    }
    let mut header = [0u8; 8];
    header.copy_from_slice(&value[8..16]);
    *value = store(&regs, header, false, sparse_max_bytes);
    invalidate(value);
    Ok(true)
}

/// Encodes registers as a value with the given cache bytes: sparse when it fits in
/// `sparse_max_bytes` and no register exceeds 32 (and `dense` is false), else dense.
pub fn store(regs: &[u8; REGISTERS], card: [u8; 8], dense: bool, sparse_max_bytes: u64) -> Vec<u8> {
    if !dense
        && let Some(v) = encode_sparse(regs, card)
        && v.len() as u64 <= sparse_max_bytes
    {
        return v;
    }
    encode_dense(regs, card)
}

#[cfg(test)]
mod tests;
