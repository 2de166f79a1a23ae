//! The two register encodings: dense (6-bit fields) and sparse (run-length opcodes).
//!
//! Go original: none (go-redis had no HyperLogLog). Explained in: book chapter "HyperLogLog".
//!
//! Sparse opcodes, as Redis defines them:
//! - `00xxxxxx` ZERO: 1..=64 registers at zero;
//! - `01xxxxxx yyyyyyyy` XZERO: 1..=16384 registers at zero (14-bit length);
//! - `1vvvvvxx` VAL: 1..=4 registers at value 1..=32.

use super::{DENSE_SIZE, Encoding, HEADER, HllError, REGISTERS, Registers, SPARSE_VAL_MAX, check};

/// Register `index` of dense register bytes: six bits starting at bit `index * 6`, least
/// significant bits first, possibly straddling two bytes.
pub fn get_dense(regs: &[u8], index: usize) -> u8 {
    let (byte, shift) = (index * 6 / 8, (index * 6 % 8) as u32);
    let lo = regs.get(byte).copied().unwrap_or(0) as u16;
    let hi = regs.get(byte + 1).copied().unwrap_or(0) as u16;
    (((lo | (hi << 8)) >> shift) & 63) as u8
}

/// Sets register `index` of dense register bytes to `value` (< 64).
pub fn set_dense(regs: &mut [u8], index: usize, value: u8) {
    let (byte, shift) = (index * 6 / 8, (index * 6 % 8) as u32);
    let word = ((value as u16) & 63) << shift;
    let mask = 63u16 << shift;
    if let Some(b) = regs.get_mut(byte) {
        *b = (*b & !(mask as u8)) | word as u8;
    }
    if let Some(b) = regs.get_mut(byte + 1) {
        *b = (*b & !((mask >> 8) as u8)) | (word >> 8) as u8;
    }
}

/// One sparse opcode, decoded.
enum Op {
    Zero(usize),
    Val(u8, usize),
}

/// Reads the opcodes of a sparse body; `None` if one is cut off.
fn ops(body: &[u8]) -> impl Iterator<Item = Option<Op>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let &b = body.get(i)?;
        i += 1;
        Some(match b >> 6 {
            0 => Some(Op::Zero((b & 63) as usize + 1)),
            1 => body.get(i).map(|&lo| {
                i += 1;
                Op::Zero((((b & 63) as usize) << 8 | lo as usize) + 1)
            }),
            _ => Some(Op::Val(((b >> 2) & 31) + 1, (b & 3) as usize + 1)),
        })
    })
}

/// The registers of a value whose header passed [`check`].
///
/// # Errors
/// [`HllError::Corrupt`] for a sparse body that is cut off, runs past the last register or
/// stops short of it; [`HllError::NotHll`] for a bad header.
pub fn registers(value: &[u8]) -> Result<Registers, HllError> {
    let mut regs: Registers = Box::new([0u8; REGISTERS]);
    let body = &value[HEADER.min(value.len())..];
    match check(value)? {
        Encoding::Dense => {
            for (i, r) in regs.iter_mut().enumerate() {
                *r = get_dense(body, i);
            }
        }
        Encoding::Sparse => {
            let mut at = 0usize;
            for op in ops(body) {
                let (v, len) = match op.ok_or(HllError::Corrupt)? {
                    Op::Zero(len) => (0, len),
                    Op::Val(v, len) => (v, len),
                };
                let end = at
                    .checked_add(len)
                    .filter(|&e| e <= REGISTERS)
                    .ok_or(HllError::Corrupt)?;
                regs[at..end].fill(v);
                at = end;
            }
            if at != REGISTERS {
                return Err(HllError::Corrupt);
            }
        }
    }
    Ok(regs)
}

// ANCHOR: encode_sparse
/// Encodes registers sparsely after the given cache bytes: runs of zeros as ZERO (up to 64) or
/// XZERO (up to 16384), runs of one value as VAL opcodes of up to four registers each. `None`
/// when a register exceeds 32, which only the dense encoding can hold.
pub fn encode_sparse(regs: &[u8; REGISTERS], card: [u8; 8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(HEADER + 16);
    out.extend_from_slice(b"HYLL\x01\0\0\0");
    out.extend_from_slice(&card);
    let mut i = 0;
    while i < REGISTERS {
        let v = regs[i];
        let run = regs[i..].iter().take_while(|&&r| r == v).count();
        if v == 0 {
            if run <= 64 {
                out.push((run - 1) as u8);
            } else {
                let len = run - 1; // at most 16383: fits the 14 bits
                out.push(0x40 | (len >> 8) as u8);
                out.push(len as u8);
            }
        } else if v > SPARSE_VAL_MAX {
            return None;
        } else {
            for chunk in 0..run.div_ceil(4) {
                let len = (run - chunk * 4).min(4);
                out.push(0x80 | ((v - 1) << 2) | (len - 1) as u8);
            }
        }
        i += run;
    }
    Some(out)
}
// ANCHOR_END: encode_sparse

/// Encodes registers densely after the given cache bytes.
pub fn encode_dense(regs: &[u8; REGISTERS], card: [u8; 8]) -> Vec<u8> {
    let mut out = vec![0u8; DENSE_SIZE];
    out[..8].copy_from_slice(b"HYLL\0\0\0\0");
    out[8..16].copy_from_slice(&card);
    for (i, &r) in regs.iter().enumerate() {
        set_dense(&mut out[HEADER..], i, r);
    }
    out
}

/// `PFDEBUG DECODE`'s text for a sparse value: `z:N` (ZERO), `Z:N` (XZERO), `v:V,N` (VAL),
/// separated by spaces. `None` if the body is cut off.
pub fn decode_sparse_text(value: &[u8]) -> Option<String> {
    let body = value.get(HEADER..)?;
    let mut words = Vec::new();
    let mut i = 0;
    while let Some(&b) = body.get(i) {
        match b >> 6 {
            0 => words.push(format!("z:{}", (b & 63) as usize + 1)),
            1 => {
                let lo = *body.get(i + 1)?;
                words.push(format!(
                    "Z:{}",
                    (((b & 63) as usize) << 8 | lo as usize) + 1
                ));
                i += 1;
            }
            _ => words.push(format!("v:{},{}", ((b >> 2) & 31) + 1, (b & 3) + 1)),
        }
        i += 1;
    }
    Some(words.join(" "))
}
