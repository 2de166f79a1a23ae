//! The list type: elements packed end to end in byte chunks of up to 4 KiB, like Redis's
//! quicklist of listpacks.
//!
//! Go original: go-redis keeps a `container/list` of strings. Explained in: book chapter 4,
//! "What a key costs".
//!
//! Why not a `VecDeque<Box<[u8]>>`: each element then costs a 16-byte pointer in the deque plus
//! its own heap block, which glibc rounds up to at least 32 bytes. A million `item:<i>` elements
//! took 48 bytes each, 3.6× Redis 7's 13.4. Packed, an element costs its bytes plus a length
//! before and after it (one byte each below 128 bytes), about 13 bytes for the same data.
//!
//! The price: an element is not an addressable value any more. Pushes and pops at either end
//! stay O(1) (a push at the head moves the bytes of one chunk, at most 4 KiB); reaching the
//! element at index `i` walks the chunks' counts and then the entries of one chunk, as in Redis;
//! edits in the middle (`LSET`, `LINSERT`, `LREM`) rewrite the chunks they touch.
//!
//! Entry layout: `[len as LEB128][bytes][len as LEB128, reversed]`. The leading length lets an
//! iterator walk forward; the trailing one, written backwards, lets it walk backward from the
//! end of a chunk (listpack's `backlen` does the same).

use std::collections::VecDeque;
use std::fmt;

// ANCHOR: chunk
/// A chunk stops growing at this many bytes (an element larger than that gets a chunk of its
/// own). 4 KiB keeps a head push cheap and the per-chunk overhead (32 bytes) under 1 %.
const CHUNK_BYTES: usize = 4096;

/// A run of packed entries.
#[derive(Clone, Default)]
struct Chunk {
    bytes: Vec<u8>,
    count: usize,
}
// ANCHOR_END: chunk

// ANCHOR: list
/// A list of byte strings, packed; see the module documentation.
#[derive(Clone, Default)]
pub struct List {
    chunks: VecDeque<Chunk>,
    len: usize,
}
// ANCHOR_END: list

/// Writes `n` as LEB128 (7 bits a byte, low bits first, high bit = "more follows") into `buf`,
/// returning how many bytes it used.
fn leb128(mut n: usize, buf: &mut [u8; 10]) -> usize {
    let mut i = 0;
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            buf[i] = low;
            return i + 1;
        }
        buf[i] = low | 0x80;
        i += 1;
    }
}

// ANCHOR: encode_into
/// Appends the entry for `element` to `out`.
fn encode_into(out: &mut Vec<u8>, element: &[u8]) {
    let mut len = [0u8; 10];
    let k = leb128(element.len(), &mut len);
    out.extend_from_slice(&len[..k]);
    out.extend_from_slice(element);
    out.extend(len[..k].iter().rev());
}
// ANCHOR_END: encode_into

/// Bytes the entry for an element of `n` bytes takes.
fn entry_size(n: usize) -> usize {
    let mut buf = [0u8; 10];
    n + 2 * leb128(n, &mut buf)
}

/// The element whose entry starts at `at`, and where the next entry starts.
#[inline]
fn read_forward(bytes: &[u8], at: usize) -> (&[u8], usize) {
    // Fast path: elements under 128 bytes have one-byte lengths (LRANGE of small elements
    // spends a fifth of its time here without it).
    let first = bytes[at];
    if first < 0x80 {
        let start = at + 1;
        let end = start + first as usize;
        return (&bytes[start..end], end + 1);
    }
    let (mut n, mut shift, mut i) = (0usize, 0, at);
    loop {
        let b = bytes[i];
        n |= ((b & 0x7f) as usize) << shift;
        shift += 7;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
    }
    let k = i - at;
    (&bytes[i..i + n], i + n + k)
}

/// The element whose entry ends at `end` (exclusive), and where that entry starts.
fn read_backward(bytes: &[u8], end: usize) -> (&[u8], usize) {
    let (mut n, mut shift, mut i) = (0usize, 0, end);
    loop {
        i -= 1;
        let b = bytes[i];
        n |= ((b & 0x7f) as usize) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            break;
        }
    }
    let k = end - i;
    (&bytes[i - n..i], i - n - k)
}

impl Chunk {
    fn with(element: &[u8]) -> Chunk {
        let mut bytes = Vec::with_capacity(entry_size(element.len()));
        encode_into(&mut bytes, element);
        Chunk { bytes, count: 1 }
    }

    /// Makes room for `extra` more bytes. Doubling as `Vec` does, but capped at [`CHUNK_BYTES`]:
    /// doubling alone from an odd first size overshoots (13, 26, ... 3,328, 6,656) and left a
    /// third of every full chunk unused (21 bytes an element instead of 13, measured).
    fn reserve(&mut self, extra: usize) {
        let (len, cap) = (self.bytes.len(), self.bytes.capacity());
        if len + extra > cap {
            let target = (cap * 2).clamp(len + extra, CHUNK_BYTES.max(len + extra));
            self.bytes.reserve_exact(target - len);
        }
    }

    fn has_room(&self, element: &[u8]) -> bool {
        self.bytes.len() + entry_size(element.len()) <= CHUNK_BYTES
    }

    /// Start offsets of the entry at index `i` and of the one after it.
    fn span(&self, i: usize) -> (usize, usize) {
        let mut at = 0;
        for _ in 0..i {
            at = read_forward(&self.bytes, at).1;
        }
        (at, read_forward(&self.bytes, at).1)
    }
}

impl List {
    /// An empty list.
    pub fn new() -> List {
        List::default()
    }

    /// How many chunks hold the elements: the allocations dropping the list frees.
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the list has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `element` at the tail.
    pub fn push_back(&mut self, element: &[u8]) {
        match self.chunks.back_mut() {
            Some(c) if c.has_room(element) => {
                c.reserve(entry_size(element.len()));
                encode_into(&mut c.bytes, element);
                c.count += 1;
            }
            _ => self.chunks.push_back(Chunk::with(element)),
        }
        self.len += 1;
    }

    // ANCHOR: push_front
    /// Adds `element` at the head.
    pub fn push_front(&mut self, element: &[u8]) {
        match self.chunks.front_mut() {
            Some(c) if c.has_room(element) => {
                let mut entry = Vec::with_capacity(entry_size(element.len()));
                encode_into(&mut entry, element);
                c.reserve(entry.len());
                c.bytes.splice(0..0, entry);
                c.count += 1;
            }
            _ => self.chunks.push_front(Chunk::with(element)),
        }
        self.len += 1;
    }
    // ANCHOR_END: push_front

    /// Removes and returns the head element.
    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let c = self.chunks.front_mut()?;
        let (element, next) = read_forward(&c.bytes, 0);
        let element = element.to_vec();
        c.bytes.drain(..next);
        c.count -= 1;
        if c.count == 0 {
            self.chunks.pop_front();
        }
        self.len -= 1;
        Some(element)
    }

    /// Removes and returns the tail element.
    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let c = self.chunks.back_mut()?;
        let (element, start) = read_backward(&c.bytes, c.bytes.len());
        let element = element.to_vec();
        c.bytes.truncate(start);
        c.count -= 1;
        if c.count == 0 {
            self.chunks.pop_back();
        }
        self.len -= 1;
        Some(element)
    }

    /// Removes the first `n` elements (or all), without copying them out: whole chunks are
    /// dropped, the last one is cut.
    pub fn remove_front(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(c) = self.chunks.front_mut() else {
                return;
            };
            if n >= c.count {
                n -= c.count;
                self.chunks.pop_front();
            } else {
                let (cut, _) = c.span(n);
                c.bytes.drain(..cut);
                c.count -= n;
                return;
            }
        }
    }

    /// Removes the last `n` elements (or all), without copying them out.
    pub fn remove_back(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(c) = self.chunks.back_mut() else {
                return;
            };
            if n >= c.count {
                n -= c.count;
                self.chunks.pop_back();
            } else {
                let keep = c.count - n;
                let (cut, _) = c.span(keep);
                c.bytes.truncate(cut);
                c.count = keep;
                return;
            }
        }
    }

    /// Removes every element.
    pub fn clear(&mut self) {
        self.chunks.clear();
        self.len = 0;
    }

    /// Which chunk holds index `i`, and the index inside it. Walks from the nearer end.
    fn locate(&self, i: usize) -> Option<(usize, usize)> {
        if i >= self.len {
            return None;
        }
        if i < self.len / 2 {
            let mut i = i;
            for (ci, c) in self.chunks.iter().enumerate() {
                if i < c.count {
                    return Some((ci, i));
                }
                i -= c.count;
            }
        } else {
            let mut from_end = self.len - 1 - i;
            for (ci, c) in self.chunks.iter().enumerate().rev() {
                if from_end < c.count {
                    return Some((ci, c.count - 1 - from_end));
                }
                from_end -= c.count;
            }
        }
        None
    }

    /// The element at index `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let (ci, j) = self.locate(i)?;
        let c = &self.chunks[ci];
        let (at, _) = c.span(j);
        Some(read_forward(&c.bytes, at).0)
    }

    /// Replaces the element at index `i`; returns false if there is none.
    pub fn set(&mut self, i: usize, element: &[u8]) -> bool {
        let Some((ci, j)) = self.locate(i) else {
            return false;
        };
        let c = &mut self.chunks[ci];
        let (at, next) = c.span(j);
        let mut entry = Vec::with_capacity(entry_size(element.len()));
        encode_into(&mut entry, element);
        c.bytes.splice(at..next, entry);
        // A chunk may now exceed its size; that only makes it larger, never wrong.
        true
    }

    /// Inserts `element` before index `i` (`i == len` appends).
    pub fn insert(&mut self, i: usize, element: &[u8]) {
        if i >= self.len {
            return self.push_back(element);
        }
        let Some((ci, j)) = self.locate(i) else {
            return;
        };
        let c = &mut self.chunks[ci];
        let (at, _) = c.span(j);
        let mut entry = Vec::with_capacity(entry_size(element.len()));
        encode_into(&mut entry, element);
        c.bytes.splice(at..at, entry);
        c.count += 1;
        self.len += 1;
        if c.bytes.len() > 2 * CHUNK_BYTES && c.count > 1 {
            // Repeated inserts into one chunk would make every later edit of it slower: split
            // it in two halves by count.
            let (mid, _) = c.span(c.count / 2);
            let tail = Chunk {
                bytes: c.bytes.split_off(mid),
                count: c.count - c.count / 2,
            };
            c.count /= 2;
            c.bytes.shrink_to_fit();
            self.chunks.insert(ci + 1, tail);
        }
    }

    /// Keeps only the elements for which `keep` is true, in order (the list is rebuilt).
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8]) -> bool) {
        let mut kept = List::new();
        for e in self.iter() {
            if keep(e) {
                kept.push_back(e);
            }
        }
        *self = kept;
    }

    /// The elements from head to tail (`.rev()` walks from the tail).
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            list: self,
            front: (0, 0),
            back: (self.chunks.len(), 0),
            remaining: self.len,
        }
    }

    /// The elements from index `from` to the tail; cheaper than `iter().skip(from)`, as whole
    /// chunks are skipped by their counts.
    pub fn iter_from(&self, from: usize) -> Iter<'_> {
        let mut it = self.iter();
        let Some((ci, j)) = self.locate(from) else {
            it.remaining = 0;
            return it;
        };
        it.front = (ci, self.chunks[ci].span(j).0);
        it.remaining = self.len - from;
        it
    }

    /// Heap bytes the list holds (for `INFO memory`'s estimate).
    pub fn heap_bytes(&self) -> usize {
        self.chunks.capacity() * std::mem::size_of::<Chunk>()
            + self
                .chunks
                .iter()
                .map(|c| c.bytes.capacity())
                .sum::<usize>()
    }
}

impl<'a> FromIterator<&'a [u8]> for List {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(items: I) -> List {
        let mut list = List::new();
        for e in items {
            list.push_back(e);
        }
        list
    }
}

impl fmt::Debug for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

impl PartialEq for List {
    fn eq(&self, other: &List) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

/// Iterator over a [`List`], from either end.
pub struct Iter<'a> {
    list: &'a List,
    /// Chunk index and byte offset of the next entry from the front.
    front: (usize, usize),
    /// Chunk index and byte offset just past the next entry from the back; a chunk index of
    /// `chunks.len()` means "the end of the last chunk".
    back: (usize, usize),
    /// Elements not yet returned from either end: the two cursors never cross.
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        let list: &'a List = self.list;
        let mut bytes = &list.chunks[self.front.0].bytes;
        while self.front.1 >= bytes.len() {
            self.front = (self.front.0 + 1, 0);
            bytes = &list.chunks[self.front.0].bytes;
        }
        let (element, next) = read_forward(bytes, self.front.1);
        self.front.1 = next;
        self.remaining -= 1;
        Some(element)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let chunks = &self.list.chunks;
        if self.back.0 == chunks.len() {
            self.back = (chunks.len() - 1, chunks[chunks.len() - 1].bytes.len());
        }
        while self.back.1 == 0 {
            let ci = self.back.0 - 1;
            self.back = (ci, chunks[ci].bytes.len());
        }
        let (element, start) = read_backward(&chunks[self.back.0].bytes, self.back.1);
        self.back.1 = start;
        self.remaining -= 1;
        Some(element)
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Applies the same random operations to a `List` and to a `VecDeque`, comparing after each.
    #[test]
    fn behaves_like_a_vecdeque() {
        let mut rng = rand::rng();
        let mut list = List::new();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        for step in 0..20_000 {
            // Lengths across the one-byte/two-byte length boundary and past a whole chunk.
            let size = match rng.random_range(0..10) {
                0 => rng.random_range(100..300),
                1 if step % 50 == 0 => rng.random_range(4000..5000),
                _ => rng.random_range(0..20),
            };
            let e: Vec<u8> = (0..size).map(|_| rng.random()).collect();
            match rng.random_range(0..12) {
                0..=2 => {
                    list.push_back(&e);
                    model.push_back(e);
                }
                3..=5 => {
                    list.push_front(&e);
                    model.push_front(e);
                }
                6 => assert_eq!(list.pop_front(), model.pop_front()),
                7 => assert_eq!(list.pop_back(), model.pop_back()),
                8 if !model.is_empty() => {
                    let i = rng.random_range(0..model.len());
                    assert!(list.set(i, &e));
                    model[i] = e;
                }
                9 => {
                    let i = rng.random_range(0..=model.len());
                    list.insert(i, &e);
                    model.insert(i, e);
                }
                10 => {
                    let n = rng.random_range(0..3);
                    list.remove_front(n);
                    model.drain(..n.min(model.len()));
                    let n = rng.random_range(0..3);
                    list.remove_back(n);
                    model.truncate(model.len().saturating_sub(n));
                }
                _ if step % 100 == 0 => {
                    list.retain(|x| x.len() % 3 != 0);
                    model.retain(|x| x.len() % 3 != 0);
                }
                _ => {}
            }
            assert_eq!(list.len(), model.len());
            if step % 97 == 0 {
                assert!(list.iter().eq(model.iter().map(|v| &v[..])));
                assert!(list.iter().rev().eq(model.iter().rev().map(|v| &v[..])));
                let from = rng.random_range(0..=model.len());
                assert!(
                    list.iter_from(from)
                        .eq(model.iter().skip(from).map(|v| &v[..]))
                );
                if let Some(i) = (!model.is_empty()).then(|| rng.random_range(0..model.len())) {
                    assert_eq!(list.get(i), Some(&model[i][..]));
                }
            }
        }
    }

    #[test]
    fn iterators_from_both_ends_meet_without_crossing() {
        let strings: Vec<String> = (0..1000).map(|i: u32| i.to_string()).collect();
        let list: List = strings.iter().map(|s| s.as_bytes()).collect();
        let mut it = list.iter();
        let mut seen = 0;
        while let (Some(_), Some(_)) = (it.next(), it.next_back()) {
            seen += 2;
        }
        assert_eq!(seen, 1000);
        assert_eq!(list.get(999), Some(&b"999"[..]));
        assert_eq!(list.get(1000), None);
    }

    #[test]
    fn small_elements_cost_their_bytes_plus_two() {
        let mut list = List::new();
        for i in 0..100_000 {
            list.push_back(format!("item:{i:06}").as_bytes());
        }
        // 11 bytes + 2 length bytes, plus chunk slack and headers.
        let per = list.heap_bytes() as f64 / 100_000.0;
        assert!(per < 14.0, "{per} bytes per element");
    }
}
