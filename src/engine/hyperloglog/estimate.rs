//! The arithmetic of HyperLogLog: the hash, the pattern an element sets, and the estimator.
//!
//! Go original: none (go-redis had no HyperLogLog). Explained in: book chapter "HyperLogLog".

use super::{P, Q, REGISTERS};

/// The seed Redis passes to MurmurHash64A, so that an element lands on the same register with
/// the same run length here and in Redis, and a value made by either counts the same in both.
const SEED: u64 = 0xadc8_3b19;

/// MurmurHash64A (Austin Appleby), 8-byte blocks read little-endian as Redis reads them.
pub fn murmur64a(data: &[u8]) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = SEED ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let mut b = [0u8; 8];
        b.copy_from_slice(block);
        let mut k = u64::from_le_bytes(b).wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &byte) in tail.iter().enumerate() {
            h ^= (byte as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

// ANCHOR: pattern
/// Which register an element touches and the value it offers there: the low `P` bits of its
/// hash pick the register, and the remaining `Q` bits give "how many zeros before the first
/// one, plus one" (1 ..= Q + 1). A long run of zeros is rare, so seeing one hints at many
/// distinct elements.
pub fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    // A sentinel bit at position Q caps the run, so an all-zero rest counts Q + 1.
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}
// ANCHOR_END: pattern

/// Ertl's sigma function (the correction for registers still zero).
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if z == before {
            return z;
        }
    }
}

/// Ertl's tau function (the correction for registers at their maximum).
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if z == before {
            return z / 3.0;
        }
    }
}

// ANCHOR: estimate
/// The estimated cardinality from a histogram of register values (`histogram[v]` = how many
/// registers hold `v`), by Otmar Ertl's improved estimator, as Redis 7 computes it. The core is
/// a harmonic mean of 2^-register; sigma and tau correct the two ends, where the plain formula
/// is biased (few elements: many registers still zero; huge counts: registers saturate).
pub fn estimate(histogram: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histogram[Q + 1] as f64) / m);
    for j in (1..=Q).rev() {
        z += histogram[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histogram[0] as f64 / m);
    // 1 / (2 ln 2): the bias constant of the estimator as m grows.
    const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
    (ALPHA_INF * m * m / z).round() as u64
}
// ANCHOR_END: estimate

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_histogram_estimates_zero() {
        let mut h = [0u32; 64];
        h[0] = REGISTERS as u32;
        assert_eq!(estimate(&h), 0);
    }

    #[test]
    fn pattern_is_in_range() {
        for i in 0..10_000u32 {
            let (idx, count) = pattern(i.to_string().as_bytes());
            assert!(idx < REGISTERS);
            assert!((1..=Q as u8 + 1).contains(&count));
        }
    }
}
