//! Redis's compact encodings, as they appear inside an RDB file: listpack (both ways), and the
//! older ziplist, intset and zipmap (decoding only).
//!
//! Go original: none. Explained in: book "RDB snapshots".
//!
//! Redis keeps a small collection as one flat byte array instead of a hash table or a list of
//! nodes, and an RDB file stores that array as one string, byte for byte. To load such a value
//! we walk the array ourselves. Every walk here checks each length against the bytes that are
//! really there: the array came from a file, and a corrupt one must give an error, never a
//! read past the end.
//!
//! All four formats are little-endian, except where noted.
//!
//! ```text
//! listpack: <total bytes u32> <count u16> <entry> ... <0xff>
//!   entry:  <encoding + data> <backlen: the size of encoding + data, 1-5 bytes, read right to left>
//! ziplist:  <total bytes u32> <offset of last entry u32> <count u16> <entry> ... <0xff>
//!   entry:  <size of previous entry: 1 byte, or 0xfe + u32> <encoding> <data>
//! intset:   <width u32: 2, 4 or 8> <count u32> <integers of that width, ascending>
//! zipmap:   <count u8> (<len> <key> <len> <free u8> <value> <free bytes>)... <0xff>
//! ```

/// Reads `len` bytes at `at` of `blob`, or says which structure ran out.
fn take<'a>(blob: &'a [u8], at: usize, len: usize, what: &str) -> Result<&'a [u8], String> {
    at.checked_add(len)
        .and_then(|end| blob.get(at..end))
        .ok_or_else(|| format!("{what}: an entry at byte {at} runs past the end"))
}

/// A little-endian signed integer of `bytes.len()` (1 to 8) bytes, sign-extended.
fn int_le(bytes: &[u8]) -> i64 {
    let mut buf = [0u8; 8];
    buf[..bytes.len()].copy_from_slice(bytes);
    let shift = 64 - 8 * bytes.len() as u32;
    (i64::from_le_bytes(buf) << shift) >> shift
}

/// A little-endian unsigned 32-bit number at `at`.
fn u32_at(blob: &[u8], at: usize, what: &str) -> Result<u32, String> {
    let b = take(blob, at, 4, what)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A little-endian unsigned 16-bit number at `at`.
fn u16_at(blob: &[u8], at: usize, what: &str) -> Result<u16, String> {
    let b = take(blob, at, 2, what)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

/// The decimal text of `n`: how a compact encoding's integer entry reads as a string.
fn int_text(n: i64) -> Vec<u8> {
    n.to_string().into_bytes()
}

/// The integer `s` spells in canonical decimal (no sign but `-`, no leading zeros, no `-0`),
/// if it does. Only such strings may be stored as integers: reading one back must give the
/// very same bytes.
pub fn canonical_int(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let n: i64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    (n.to_string().as_bytes() == s).then_some(n)
}

// ANCHOR: listpack_entry
/// Decodes one listpack entry at `at`: its value and the position after its backlen.
fn listpack_entry(lp: &[u8], at: usize) -> Result<(Vec<u8>, usize), String> {
    const W: &str = "listpack";
    let b = lp[at];
    // (bytes of encoding before the data, the data's length, an integer's value if it is one)
    let (header, len, int): (usize, usize, Option<i64>) = match b {
        0x00..=0x7f => (1, 0, Some(b as i64)),
        0x80..=0xbf => (1, (b & 0x3f) as usize, None),
        0xc0..=0xdf => {
            let low = take(lp, at + 1, 1, W)?[0];
            let v = (((b & 0x1f) as i64) << 8) | low as i64;
            // 13-bit two's complement.
            (2, 0, Some(if v >= 1 << 12 { v - (1 << 13) } else { v }))
        }
        0xe0..=0xef => (
            2,
            (((b & 0x0f) as usize) << 8) | take(lp, at + 1, 1, W)?[0] as usize,
            None,
        ),
        0xf0 => (5, u32_at(lp, at + 1, W)? as usize, None),
        0xf1..=0xf4 => {
            let width = match b {
                0xf1 => 2,
                0xf2 => 3,
                0xf3 => 4,
                _ => 8,
            };
            (1 + width, 0, Some(int_le(take(lp, at + 1, width, W)?)))
        }
        _ => {
            return Err(format!(
                "listpack: bad entry encoding 0x{b:02x} at byte {at}"
            ));
        }
    };
    let value = match int {
        Some(n) => {
            // The integer's bytes are part of the header for the backlen's sake.
            take(lp, at, header, W)?;
            int_text(n)
        }
        None => take(lp, at + header, len, W)?.to_vec(),
    };
    let size = header + len;
    let mut backlen = [0u8; 5];
    let n = encode_backlen(size, &mut backlen);
    if take(lp, at + size, n, W)? != &backlen[..n] {
        return Err(format!(
            "listpack: the entry at byte {at} has a wrong back length"
        ));
    }
    Ok((value, at + size + n))
}
// ANCHOR_END: listpack_entry

// ANCHOR: listpack_decode
/// The entries of a listpack, integers as their decimal text.
///
/// # Errors
/// A message if the bytes are not a well-formed listpack.
pub fn listpack_entries(lp: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if lp.len() < 7 {
        return Err(format!("listpack of {} bytes is too short", lp.len()));
    }
    let total = u32_at(lp, 0, "listpack")? as usize;
    if total != lp.len() {
        return Err(format!("listpack says {total} bytes but has {}", lp.len()));
    }
    let count = u16_at(lp, 4, "listpack")?;
    let end = lp.len() - 1;
    if lp[end] != 0xff {
        return Err("listpack does not end with 0xff".into());
    }
    let mut out = Vec::with_capacity((count as usize).min(lp.len()));
    let mut at = 6;
    while at < end {
        let (value, next) = listpack_entry(&lp[..end], at)?;
        out.push(value);
        at = next;
    }
    // 65535 means "too many to count here".
    if count != u16::MAX && count as usize != out.len() {
        return Err(format!(
            "listpack says {count} entries but has {}",
            out.len()
        ));
    }
    Ok(out)
}
// ANCHOR_END: listpack_decode

/// Writes the backlen of an entry of `size` bytes into `buf`; returns how many bytes it took.
/// The high bit of each byte but the leftmost says "more to the left", so it reads back from
/// the right: the trick that lets a listpack be walked from its end.
fn encode_backlen(size: usize, buf: &mut [u8; 5]) -> usize {
    let n = match size {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    };
    for (i, slot) in buf[..n].iter_mut().enumerate() {
        let shift = 7 * (n - 1 - i);
        let bits = ((size >> shift) & 0x7f) as u8;
        *slot = if i == 0 { bits } else { bits | 0x80 };
    }
    n
}

// ANCHOR: listpack_encode
/// Builds listpacks from strings, as Redis lays them out: integers in canonical decimal are
/// stored as integers, everything else as strings.
pub struct ListpackBuilder {
    bytes: Vec<u8>,
    count: usize,
}

impl Default for ListpackBuilder {
    fn default() -> Self {
        ListpackBuilder::new()
    }
}

impl ListpackBuilder {
    /// An empty listpack.
    pub fn new() -> Self {
        ListpackBuilder {
            bytes: vec![0; 6],
            count: 0,
        }
    }

    /// Appends one entry: as an integer if it spells one in canonical decimal, else as bytes.
    pub fn push(&mut self, element: &[u8]) {
        match canonical_int(element) {
            Some(n) => self.push_int(n),
            None => {
                let start = self.bytes.len();
                let b = &mut self.bytes;
                let len = element.len();
                if len < 64 {
                    b.push(0x80 | len as u8);
                } else if len < 4096 {
                    b.extend_from_slice(&[0xe0 | (len >> 8) as u8, len as u8]);
                } else {
                    b.push(0xf0);
                    b.extend_from_slice(&(len as u32).to_le_bytes());
                }
                b.extend_from_slice(element);
                self.end_entry(start);
            }
        }
    }

    /// Appends one integer entry, in the narrowest of the integer encodings.
    pub fn push_int(&mut self, n: i64) {
        let start = self.bytes.len();
        let b = &mut self.bytes;
        match n {
            0..=127 => b.push(n as u8),
            -4096..=4095 => {
                let v = (n as u16) & 0x1fff;
                b.extend_from_slice(&[0xc0 | (v >> 8) as u8, v as u8]);
            }
            _ if i16::try_from(n).is_ok() => {
                b.push(0xf1);
                b.extend_from_slice(&(n as i16).to_le_bytes());
            }
            -8_388_608..=8_388_607 => {
                b.push(0xf2);
                b.extend_from_slice(&n.to_le_bytes()[..3]);
            }
            _ if i32::try_from(n).is_ok() => {
                b.push(0xf3);
                b.extend_from_slice(&(n as i32).to_le_bytes());
            }
            _ => {
                b.push(0xf4);
                b.extend_from_slice(&n.to_le_bytes());
            }
        }
        self.end_entry(start);
    }

    /// Ends the entry that started at byte `start`: its backlen, and one more in the count.
    fn end_entry(&mut self, start: usize) {
        let mut backlen = [0u8; 5];
        let n = encode_backlen(self.bytes.len() - start, &mut backlen);
        self.bytes.extend_from_slice(&backlen[..n]);
        self.count += 1;
    }

    /// The finished listpack: header filled in, end marker appended.
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes.push(0xff);
        let total = self.bytes.len() as u32;
        self.bytes[..4].copy_from_slice(&total.to_le_bytes());
        let count = u16::try_from(self.count).unwrap_or(u16::MAX);
        self.bytes[4..6].copy_from_slice(&count.to_le_bytes());
        self.bytes
    }
}
// ANCHOR_END: listpack_encode

// ANCHOR: ziplist_decode
/// The entries of a ziplist (the listpack's predecessor, written by Redis before 7.0),
/// integers as their decimal text.
///
/// # Errors
/// A message if the bytes are not a well-formed ziplist.
pub fn ziplist_entries(zl: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    const W: &str = "ziplist";
    if zl.len() < 11 {
        return Err(format!("ziplist of {} bytes is too short", zl.len()));
    }
    let total = u32_at(zl, 0, W)? as usize;
    if total != zl.len() {
        return Err(format!("ziplist says {total} bytes but has {}", zl.len()));
    }
    let tail = u32_at(zl, 4, W)? as usize;
    let count = u16_at(zl, 8, W)?;
    let end = zl.len() - 1;
    if zl[end] != 0xff {
        return Err("ziplist does not end with 0xff".into());
    }
    let body = &zl[..end];
    let mut out = Vec::with_capacity((count as usize).min(zl.len()));
    let (mut at, mut prev_size, mut last) = (10, 0, 10);
    while at < end {
        last = at;
        let (prev, mut p) = match body[at] {
            0xfe => (u32_at(body, at + 1, W)? as usize, at + 5),
            0xff => return Err(format!("ziplist: bad previous-length byte at {at}")),
            n => (n as usize, at + 1),
        };
        if prev != prev_size {
            return Err(format!(
                "ziplist: the entry at byte {at} has a wrong previous length"
            ));
        }
        let e = take(body, p, 1, W)?[0];
        let value = match e >> 6 {
            0 => {
                let v = take(body, p + 1, (e & 0x3f) as usize, W)?.to_vec();
                p += 1 + v.len();
                v
            }
            1 => {
                let len = (((e & 0x3f) as usize) << 8) | take(body, p + 1, 1, W)?[0] as usize;
                let v = take(body, p + 2, len, W)?.to_vec();
                p += 2 + len;
                v
            }
            2 => {
                // The one big-endian length in the format.
                let b = take(body, p + 1, 4, W)?;
                let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
                let v = take(body, p + 5, len, W)?.to_vec();
                p += 5 + len;
                v
            }
            _ => {
                let width = match e {
                    0xc0 => 2,
                    0xd0 => 4,
                    0xe0 => 8,
                    0xf0 => 3,
                    0xfe => 1,
                    0xf1..=0xfd => 0,
                    _ => return Err(format!("ziplist: bad entry encoding 0x{e:02x} at byte {p}")),
                };
                let n = if width == 0 {
                    (e & 0x0f) as i64 - 1
                } else {
                    int_le(take(body, p + 1, width, W)?)
                };
                p += 1 + width;
                int_text(n)
            }
        };
        out.push(value);
        prev_size = p - at;
        at = p;
    }
    if tail != last {
        return Err(format!(
            "ziplist says its last entry is at {tail}, it is at {last}"
        ));
    }
    if count != u16::MAX && count as usize != out.len() {
        return Err(format!(
            "ziplist says {count} entries but has {}",
            out.len()
        ));
    }
    Ok(out)
}
// ANCHOR_END: ziplist_decode

/// The members of an intset (a set of integers only, as one sorted array), as decimal text.
///
/// # Errors
/// A message if the bytes are not a well-formed, non-empty, strictly ascending intset.
pub fn intset_members(is: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let width = u32_at(is, 0, "intset")? as usize;
    let count = u32_at(is, 4, "intset")? as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err(format!("intset of {width}-byte integers"));
    }
    if count.checked_mul(width).and_then(|n| n.checked_add(8)) != Some(is.len()) {
        return Err(format!(
            "intset says {count} integers but has {} bytes",
            is.len()
        ));
    }
    if count == 0 {
        return Err("empty intset".into());
    }
    let mut out = Vec::with_capacity(count);
    let mut prev = None;
    for chunk in is[8..].chunks_exact(width) {
        let n = int_le(chunk);
        if prev.is_some_and(|p| p >= n) {
            return Err("intset is not strictly ascending".into());
        }
        prev = Some(n);
        out.push(int_text(n));
    }
    Ok(out)
}

/// The fields and values of a zipmap (hashes of Redis 2.4 and before), alternating.
///
/// # Errors
/// A message if the bytes are not a well-formed zipmap.
pub fn zipmap_entries(zm: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    const W: &str = "zipmap";
    let mut out = Vec::new();
    let mut at = 1;
    // A length: one byte up to 253, or 254 and four more.
    let len_at = |at: usize| -> Result<(usize, usize), String> {
        match take(zm, at, 1, W)?[0] {
            254 => Ok((u32_at(zm, at + 1, W)? as usize, at + 5)),
            n => Ok((n as usize, at + 1)),
        }
    };
    loop {
        if take(zm, at, 1, W)?[0] == 0xff {
            if at + 1 != zm.len() {
                return Err("zipmap has bytes after its end marker".into());
            }
            break;
        }
        let (klen, p) = len_at(at)?;
        out.push(take(zm, p, klen, W)?.to_vec());
        let (vlen, p) = len_at(p + klen)?;
        let free = take(zm, p, 1, W)?[0] as usize;
        out.push(take(zm, p + 1, vlen, W)?.to_vec());
        at = p + 1 + vlen + free;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::rdb::tests::ziplist;

    #[test]
    fn listpack_round_trip_of_every_encoding() {
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let items: Vec<&[u8]> = vec![
            b"0",
            b"127",
            b"128",
            b"-1",
            b"4095",
            b"-4096",
            b"4096",
            b"-32768",
            b"32767",
            b"8388607",
            b"-8388608",
            b"8388608",
            b"2147483647",
            b"-2147483649",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"",
            b"007",
            b"-0",
            b"+5",
            b"hello",
            &mid,
            &long,
        ];
        let mut b = ListpackBuilder::new();
        for i in &items {
            b.push(i);
        }
        let lp = b.finish();
        let back = listpack_entries(&lp).unwrap();
        assert_eq!(back, items.iter().map(|i| i.to_vec()).collect::<Vec<_>>());
    }

    #[test]
    fn backlen_sizes_match_redis() {
        let mut buf = [0u8; 5];
        assert_eq!(encode_backlen(127, &mut buf), 1);
        assert_eq!(encode_backlen(128, &mut buf), 2);
        assert_eq!(buf[..2], [1, 0x80]);
        assert_eq!(encode_backlen(16382, &mut buf), 2);
        assert_eq!(encode_backlen(16383, &mut buf), 3);
    }

    #[test]
    fn a_listpack_redis_wrote() {
        // `HSET h a 1 b hello` on Redis 7.0.15, the blob of its HASH_LISTPACK value.
        let lp = b"\x16\x00\x00\x00\x04\x00\x81a\x02\x01\x01\x81b\x02\x85hello\x06\xff";
        assert_eq!(
            listpack_entries(lp).unwrap(),
            vec![
                b"a".to_vec(),
                b"1".to_vec(),
                b"b".to_vec(),
                b"hello".to_vec()
            ]
        );
    }

    #[test]
    fn ziplist_with_strings_and_integers() {
        let big = vec![b'z'; 300];
        let items: Vec<&[u8]> = vec![b"a", b"0", b"12", b"13", b"-5", b"100000", &big, b"after"];
        let zl = ziplist(&items);
        assert_eq!(
            ziplist_entries(&zl).unwrap(),
            items.iter().map(|i| i.to_vec()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn intset_and_zipmap() {
        let mut is = vec![4, 0, 0, 0, 3, 0, 0, 0];
        for n in [-70000i32, 5, 70000] {
            is.extend_from_slice(&n.to_le_bytes());
        }
        assert_eq!(
            intset_members(&is).unwrap(),
            vec![b"-70000".to_vec(), b"5".to_vec(), b"70000".to_vec()]
        );
        // The example of Redis's zipmap documentation, with one free byte after "bar".
        let zm = b"\x02\x03foo\x03\x01barX\x05hello\x05\x00world\xff";
        let got = zipmap_entries(zm).unwrap();
        assert_eq!(
            got,
            vec![
                b"foo".to_vec(),
                b"bar".to_vec(),
                b"hello".to_vec(),
                b"world".to_vec()
            ]
        );
    }

    #[test]
    fn every_damaged_blob_is_an_error_or_a_value_never_a_panic() {
        let mut b = ListpackBuilder::new();
        for i in [&b"1"[..], b"-3000", b"hello", &[b'q'; 200], b"70000"] {
            b.push(i);
        }
        let lp = b.finish();
        let zl = ziplist(&[b"a", b"7", b"-2", &[b'w'; 300], b"99999999999"]);
        let mut is = vec![2, 0, 0, 0, 2, 0, 0, 0];
        is.extend_from_slice(&[1, 0, 2, 0]);
        let zm = b"\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff".to_vec();
        for blob in [&lp, &zl, &is, &zm] {
            for n in 0..blob.len() {
                let _ = listpack_entries(&blob[..n]);
                let _ = ziplist_entries(&blob[..n]);
                let _ = intset_members(&blob[..n]);
                let _ = zipmap_entries(&blob[..n]);
                for x in [0x01u8, 0x80, 0xff] {
                    let mut bad = blob.clone();
                    bad[n] ^= x;
                    let _ = listpack_entries(&bad);
                    let _ = ziplist_entries(&bad);
                    let _ = intset_members(&bad);
                    let _ = zipmap_entries(&bad);
                }
            }
        }
        assert!(listpack_entries(&lp[..lp.len() - 1]).is_err());
        assert!(ziplist_entries(&zl[..zl.len() - 1]).is_err());
    }
}
