//! LZF decompression: Redis compresses every string longer than 20 bytes in an RDB file when
//! that makes it shorter (`rdbcompression yes`, the default), listpacks and ziplists included.
//!
//! Go original: none. Explained in: book "RDB snapshots".
//!
//! LZF is a tiny member of the LZ77 family. The compressed bytes are a sequence of
//! instructions, each starting with a control byte `c`:
//! - `c < 32`: a *literal run*: copy the next `c + 1` bytes to the output as they are;
//! - otherwise a *back reference*: copy `len + 2` bytes that were already output, starting
//!   `distance + 1` bytes back. `len` is the top three bits of `c`; the value 7 means "7 plus
//!   the next byte". `distance` is the low five bits of `c` and then one more byte (13 bits,
//!   so at most 8 KiB back).
//!
//! A reference may overlap the bytes it produces (distance 0, length 10 repeats one byte ten
//! times), so it is copied a byte at a time, never with one slice copy.
//!
//! We only decompress: our writer stores strings as they are, which Redis loads just as well.

// ANCHOR: lzf_decompress
/// Decompresses `input`, which must expand to exactly `expected_len` bytes.
///
/// # Errors
/// A message if the data is not valid LZF: a reference reaches before the start of the
/// output, an instruction runs past the end of the input, or the output is not exactly
/// `expected_len` bytes long.
pub fn decompress(input: &[u8], expected_len: usize) -> Result<Vec<u8>, String> {
    // Each input byte yields at most ~132 output bytes, so what we allocate is bounded by the
    // input we really have, whatever length a corrupt header claims.
    let mut out = Vec::with_capacity(
        expected_len
            .min(input.len().saturating_mul(132))
            .min(1 << 26),
    );
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let literal = input
                .get(i..i + run)
                .ok_or("LZF literal run past the end of the data")?;
            if out.len() + run > expected_len {
                return Err("LZF data expands past its stated length".into());
            }
            out.extend_from_slice(literal);
            i += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input
                    .get(i)
                    .ok_or("LZF reference past the end of the data")?
                    as usize;
                i += 1;
            }
            let low = *input
                .get(i)
                .ok_or("LZF reference past the end of the data")? as usize;
            i += 1;
            let distance = ((ctrl & 0x1f) << 8) + low + 1;
            let len = len + 2;
            let Some(start) = out.len().checked_sub(distance) else {
                return Err("LZF reference before the start of the output".into());
            };
            if out.len() + len > expected_len {
                return Err("LZF data expands past its stated length".into());
            }
            for k in start..start + len {
                let byte = out[k];
                out.push(byte);
            }
        }
    }
    if out.len() != expected_len {
        return Err(format!(
            "LZF data expands to {} bytes, the header says {expected_len}",
            out.len()
        ));
    }
    Ok(out)
}
// ANCHOR_END: lzf_decompress

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_redis_wrote() {
        // `SET k abcabc…` (60 bytes) saved by Redis 7.0.15: the bytes after `c3 0b 3c`
        // (LZF, 11 bytes compressed, 60 bytes plain). A four-byte literal "abca", one
        // reference of 54 bytes three back, then a literal "bc".
        let compressed = [
            0x03, b'a', b'b', b'c', b'a', 0xe0, 0x2d, 0x02, 0x01, b'b', b'c',
        ];
        let plain = decompress(&compressed, 60).unwrap();
        assert_eq!(plain, b"abc".repeat(20));
    }

    #[test]
    fn a_short_reference_and_an_overlapping_one() {
        // "xy", then a 3-byte reference two back ("xyx"), then 9 copies of the last byte.
        let compressed = [0x01, b'x', b'y', 0x20, 0x01, 0xe0, 0x00, 0x00];
        assert_eq!(decompress(&compressed, 14).unwrap(), b"xyxyxxxxxxxxxx");
    }

    #[test]
    fn corrupt_data_is_an_error_not_a_panic() {
        // A reference before the start.
        assert!(decompress(&[0x20, 0x05], 3).is_err());
        // A literal run past the end.
        assert!(decompress(&[0x05, b'a'], 6).is_err());
        // A reference missing its second byte.
        assert!(decompress(&[0x00, b'a', 0x20], 4).is_err());
        // Longer or shorter than stated.
        assert!(decompress(&[0x01, b'a', b'b'], 1).is_err());
        assert!(decompress(&[0x01, b'a', b'b'], 3).is_err());
        // Every prefix of a good stream fails cleanly.
        let good = [
            0x03, b'a', b'b', b'c', b'a', 0xe0, 0x2d, 0x02, 0x01, b'b', b'c',
        ];
        for n in 0..good.len() {
            assert!(decompress(&good[..n], 60).is_err());
        }
    }
}
