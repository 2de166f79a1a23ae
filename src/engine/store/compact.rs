//! Compact byte strings: short keys, string values and collection elements live inside the
//! hash-table entry (or tree node) itself, with no heap allocation of their own.
//!
//! Go original: none (go-redis stores a Go `string` key and an `interface{}` value per entry).
//! Explained in: book chapter 4, "What a key costs".
//!
//! Why: a million `SET key:<i> <3 bytes>` used to cost 151 bytes a key of resident memory, 1.53×
//! Redis 7. Each entry was a 40-byte table slot (a `Box<[u8]>` key, a 24-byte `Data`) plus two
//! heap blocks (key bytes, value bytes) of 32 bytes each in glibc's allocator (its smallest
//! chunk), so two thirds of the cost were allocator padding and pointers to a dozen bytes. Redis
//! saves the same way (`embstr`, the `OBJ_ENCODING_INT` trick). Here both types keep the bytes
//! inline when they fit and fall back to an ordinary heap buffer when they do not; neither needs
//! `unsafe`: the compiler packs each enum's tag into a byte its heap variant leaves free, which
//! the unit tests below pin (24 bytes each).

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

// ANCHOR: inline_sizes
/// Bytes an [`InlineBytes`] holds without a heap allocation: the 24-byte enum minus its tag and
/// length bytes. Keys such as `user:1000:profile` (17 bytes) fit.
const KEY_INLINE: usize = 22;

/// Bytes a [`Str`] holds inline. Smaller than [`KEY_INLINE`] because the heap variant is a
/// `Vec` (24 bytes: `APPEND` needs amortised growth), and the inline variant must fit around
/// the `Vec`'s one spare niche: 15 bytes plus a length byte still give a 24-byte enum. Every
/// integer counter up to 15 digits, flags, and short tokens fit.
const STR_INLINE: usize = 15;
// ANCHOR_END: inline_sizes

// ANCHOR: inline_bytes
/// An immutable byte string, inline up to 22 bytes, boxed beyond: a key in the slot tables, a
/// member of a set or sorted set, a field or value of a hash.
///
/// It hashes and compares exactly as the `[u8]` it holds (and implements `Borrow<[u8]>`), so
/// the tables are searched with a plain `&[u8]` and a lookup never builds an `InlineBytes`.
#[derive(Clone)]
pub enum InlineBytes {
    /// Short bytes, kept in the entry: `bytes[..len]`.
    Inline {
        /// How many bytes of `bytes` are used.
        len: u8,
        /// The bytes, zero-padded.
        bytes: [u8; KEY_INLINE],
    },
    /// Longer bytes in their own heap block.
    Heap(Box<[u8]>),
}
// ANCHOR_END: inline_bytes

impl InlineBytes {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            InlineBytes::Inline { len, bytes } => &bytes[..*len as usize],
            InlineBytes::Heap(b) => b,
        }
    }

    /// The bytes as an owned `Vec`: free for boxed bytes, one copy for inline ones.
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            InlineBytes::Inline { .. } => self.as_bytes().to_vec(),
            InlineBytes::Heap(b) => b.into_vec(),
        }
    }
}

impl Default for InlineBytes {
    /// The empty byte string.
    fn default() -> Self {
        InlineBytes::from(&[][..])
    }
}

impl From<Vec<u8>> for InlineBytes {
    fn from(v: Vec<u8>) -> Self {
        if v.len() <= KEY_INLINE {
            InlineBytes::from(&v[..])
        } else {
            InlineBytes::Heap(v.into_boxed_slice())
        }
    }
}

impl From<&Vec<u8>> for InlineBytes {
    fn from(v: &Vec<u8>) -> Self {
        InlineBytes::from(&v[..])
    }
}

impl AsRef<[u8]> for InlineBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

// Ordered as the bytes are, so that a sorted set's (score, member) order is Redis's.
impl PartialOrd for InlineBytes {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for InlineBytes {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl From<&[u8]> for InlineBytes {
    fn from(key: &[u8]) -> Self {
        if key.len() <= KEY_INLINE {
            let mut bytes = [0; KEY_INLINE];
            bytes[..key.len()].copy_from_slice(key);
            InlineBytes::Inline {
                len: key.len() as u8,
                bytes,
            }
        } else {
            InlineBytes::Heap(key.into())
        }
    }
}

impl Deref for InlineBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for InlineBytes {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

// `Borrow` demands that `InlineBytes` and `[u8]` hash and compare alike, so both go through the
// bytes: an inline and a boxed copy of the same key are the same key.
impl Hash for InlineBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialEq for InlineBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for InlineBytes {}

impl fmt::Debug for InlineBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

// ANCHOR: str
/// The bytes of a string value: inline up to 15 bytes, a `Vec` beyond.
///
/// It reads as a `[u8]` (`Deref`); [`Str::as_mut_vec`] gives a growable buffer for `APPEND` and
/// `SETRANGE`, moving a short string to the heap first, as Redis turns an `embstr` into a raw
/// string on its first modification.
#[derive(Clone)]
pub enum Str {
    /// A short string in the entry: `bytes[..len]`.
    Inline {
        /// How many bytes of `bytes` are the string.
        len: u8,
        /// The string, zero-padded.
        bytes: [u8; STR_INLINE],
    },
    /// A longer (or modified-in-place) string in its own growable heap buffer.
    Heap(Vec<u8>),
}
// ANCHOR_END: str

impl Str {
    /// The string's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Str::Inline { len, bytes } => &bytes[..*len as usize],
            Str::Heap(v) => v,
        }
    }

    /// The string as a growable buffer, moved to the heap first if it was inline.
    pub fn as_mut_vec(&mut self) -> &mut Vec<u8> {
        if let Str::Inline { .. } = self {
            *self = Str::Heap(self.as_bytes().to_vec());
        }
        match self {
            Str::Heap(v) => v,
            // Just replaced by `Heap` above.
            Str::Inline { .. } => unreachable!("inline string was moved to the heap"),
        }
    }

    /// The bytes as an owned `Vec`: free for a heap string, one copy for an inline one.
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            Str::Inline { .. } => self.as_bytes().to_vec(),
            Str::Heap(v) => v,
        }
    }

    /// Heap bytes this value owns beyond its table entry (its buffer's capacity), 0 inline.
    pub fn heap_capacity(&self) -> usize {
        match self {
            Str::Inline { .. } => 0,
            Str::Heap(v) => v.capacity(),
        }
    }
}

impl From<&[u8]> for Str {
    fn from(s: &[u8]) -> Self {
        if s.len() <= STR_INLINE {
            let mut bytes = [0; STR_INLINE];
            bytes[..s.len()].copy_from_slice(s);
            Str::Inline {
                len: s.len() as u8,
                bytes,
            }
        } else {
            Str::Heap(s.to_vec())
        }
    }
}

impl From<Vec<u8>> for Str {
    /// Keeps a long `Vec` (no copy), giving back its spare room if that is more than a tenth
    /// of its length, as Redis trims a string it takes from a query buffer: a value read into
    /// a buffer once sized for a bigger one must not keep that size. A short one moves inline
    /// and frees its buffer.
    fn from(mut v: Vec<u8>) -> Self {
        if v.len() <= STR_INLINE {
            Str::from(&v[..])
        } else {
            if v.capacity() - v.len() > v.len() / 10 {
                v.shrink_to_fit();
            }
            Str::Heap(v)
        }
    }
}

impl Deref for Str {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Str {}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    // ANCHOR: size_test
    #[test]
    fn both_types_fit_in_24_bytes() {
        // The whole point of the module: if a compiler stopped packing the tags, each entry
        // would grow by 8 bytes and this would say so.
        assert_eq!(std::mem::size_of::<InlineBytes>(), 24);
        assert_eq!(std::mem::size_of::<Str>(), 24);
        assert_eq!(std::mem::size_of::<super::super::Data>(), 24);
    }
    // ANCHOR_END: size_test

    #[test]
    fn keys_inline_and_boxed_are_found_by_their_bytes() {
        let mut m: HashMap<InlineBytes, u32> = HashMap::new();
        let short = b"key:1".as_slice();
        let exact = [b'x'; KEY_INLINE];
        let long = [b'y'; KEY_INLINE + 1];
        m.insert(InlineBytes::from(short), 1);
        m.insert(InlineBytes::from(&exact[..]), 2);
        m.insert(InlineBytes::from(&long[..]), 3);
        assert!(matches!(
            InlineBytes::from(&exact[..]),
            InlineBytes::Inline { .. }
        ));
        assert!(matches!(InlineBytes::from(&long[..]), InlineBytes::Heap(_)));
        assert_eq!(m.get(short), Some(&1));
        assert_eq!(m.get(&exact[..]), Some(&2));
        assert_eq!(m.get(&long[..]), Some(&3));
        assert_eq!(m.get(b"".as_slice()), None);
        // The empty key is a key like any other.
        m.insert(InlineBytes::from(b"".as_slice()), 4);
        assert_eq!(m.get(b"".as_slice()), Some(&4));
    }

    #[test]
    fn strings_spill_to_the_heap_when_modified_or_long() {
        let mut s = Str::from(b"abc".as_slice());
        assert!(matches!(s, Str::Inline { .. }));
        assert_eq!(s.heap_capacity(), 0);
        s.as_mut_vec().extend_from_slice(b"def");
        assert!(matches!(s, Str::Heap(_)));
        assert_eq!(&s[..], b"abcdef");
        assert_eq!(s.clone().into_vec(), b"abcdef".to_vec());
        let long = Str::from(vec![7u8; STR_INLINE + 1]);
        assert!(matches!(long, Str::Heap(_)));
        assert_eq!(Str::from(vec![1, 2]), Str::from(&[1u8, 2][..]));
        assert_eq!(Str::from(Vec::new()).len(), 0);
    }
}
