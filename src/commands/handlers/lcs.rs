//! `LCS`: the longest common subsequence of two strings.
//!
//! Go original: none (go-redis had no `LCS`). Explained in: book chapter "Exercises" (ex05).
//!
//! The classic dynamic programme: a table of `(a.len() + 1) × (b.len() + 1)` lengths, filled row
//! by row, then walked back from the corner to spell the subsequence. O(n·m) time and memory,
//! like Redis; the `IDX` form (match positions) is left out.

use crate::commands::registry::KeySpec;
use crate::commands::{ReadContext, Registry};
use crate::engine::store::Data;
use crate::protocol::resp::Value;

/// `LCS key1 key2 ...`: the two keys.
const TWO_KEYS: KeySpec = (1, 2, 1);

/// Registers `LCS`.
pub fn register(r: &mut Registry) {
    r.read("lcs", lcs, -3, 0, TWO_KEYS);
}

// ANCHOR: lcs
/// `LCS key1 key2 [LEN]`: the longest common subsequence of the two strings (a missing key is
/// the empty string), or with `LEN` only its length.
pub fn lcs(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let [k1, k2, opts @ ..] = args else {
        return Value::wrong_arity("lcs");
    };
    let len_only = match opts {
        [] => false,
        [o] if o.eq_ignore_ascii_case(b"len") => true,
        _ => return Value::syntax_error(),
    };
    let mut strings: [&[u8]; 2] = [&[], &[]];
    for (slot, key) in strings.iter_mut().zip([k1, k2]) {
        match ctx.store.get(key, ctx.now) {
            None => {}
            Some(Data::Str(s)) => *slot = s,
            Some(_) => return Value::error("ERR The specified keys must contain string values"),
        }
    }
    let [a, b] = strings;
    // The table costs 4 bytes a cell; Redis refuses one larger than a bulk string may be
    // (512 MB) rather than let two long strings exhaust memory.
    let cells = (a.len() as u64 + 1).saturating_mul(b.len() as u64 + 1);
    if cells.saturating_mul(4) > 512 * 1024 * 1024 {
        return Value::error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    }
    // table[i][j]: the LCS length of a[..i] and b[..j], in one flat row-major vector.
    let w = b.len() + 1;
    let mut table = vec![0u32; (a.len() + 1) * w];
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            table[i * w + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * w + j - 1] + 1
            } else {
                table[(i - 1) * w + j].max(table[i * w + j - 1])
            };
        }
    }
    let len = table[a.len() * w + b.len()] as usize;
    if len_only {
        return Value::Integer(len as i64);
    }
    // Walk back from the corner: a match is part of the answer, otherwise follow the larger cell.
    let mut out = vec![0u8; len];
    let (mut i, mut j, mut k) = (a.len(), b.len(), len);
    while k > 0 {
        if a[i - 1] == b[j - 1] {
            k -= 1;
            out[k] = a[i - 1];
            i -= 1;
            j -= 1;
        } else if table[(i - 1) * w + j] >= table[i * w + j - 1] {
            i -= 1;
        } else {
            j -= 1;
        }
    }
    Value::Bulk(out)
}
// ANCHOR_END: lcs
