//! `LCS`: the longest common subsequence of two strings, its length, or where it matches.
//!
//! Go original: none (go-redis had no `LCS`). Explained in: book chapter "Exercises" (ex05).
//!
//! The classic dynamic programme: a table of `(a.len() + 1) × (b.len() + 1)` lengths, filled row
//! by row, then walked back from the corner to spell the subsequence. O(n·m) time and memory,
//! like Redis, and refused in the same case: a table larger than `proto-max-bulk-len`.

use super::parse_i64;
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

/// What the caller asked for.
#[derive(Default)]
struct Options {
    len: bool,
    idx: bool,
    with_match_len: bool,
    min_match_len: u64,
}

/// Parses `[LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]`, in any order.
fn options(args: &[Vec<u8>]) -> Result<Options, Value> {
    let mut o = Options::default();
    let mut i = 0;
    while i < args.len() {
        match args[i].to_ascii_lowercase().as_slice() {
            b"len" => o.len = true,
            b"idx" => o.idx = true,
            b"withmatchlen" => o.with_match_len = true,
            b"minmatchlen" if i + 1 < args.len() => {
                i += 1;
                // A negative minimum means no minimum.
                o.min_match_len = parse_i64(&args[i]).ok_or(Value::not_integer())?.max(0) as u64;
            }
            _ => return Err(Value::syntax_error()),
        }
        i += 1;
    }
    if o.len && o.idx {
        return Err(Value::error(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    Ok(o)
}

// ANCHOR: lcs
/// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]`: the longest common subsequence
/// of the two strings (a missing key is the empty string), or with `LEN` only its length, or with
/// `IDX` the ranges where it matches, last first.
pub fn lcs(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let [k1, k2, opts @ ..] = args else {
        return Value::wrong_arity("lcs");
    };
    // Redis checks the types before the options.
    let mut strings: [&[u8]; 2] = [&[], &[]];
    for (slot, key) in strings.iter_mut().zip([k1, k2]) {
        match ctx.db.get(key, ctx.now) {
            None => {}
            Some(Data::Str(s)) => *slot = s,
            Some(_) => return Value::error("ERR The specified keys must contain string values"),
        }
    }
    let opts = match options(opts) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let [a, b] = strings;
    // The table costs 4 bytes a cell; Redis refuses one larger than a bulk string may be
    // rather than let two long strings exhaust memory.
    let max = ctx
        .shared
        .config
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .proto_max_bulk_len;
    let cells = (a.len() as u64 + 1).saturating_mul(b.len() as u64 + 1);
    if cells.saturating_mul(4) > max {
        return Value::error(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        );
    }
    // table[i * w + j]: the LCS length of a[..i] and b[..j], in one flat row-major vector.
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
    if opts.len {
        return Value::Integer(len as i64);
    }
    // Walk back from the corner: a match is part of the answer; otherwise step towards the
    // larger neighbour, and on a tie along `b`, as Redis does, so that the same subsequence is
    // chosen among equally long ones.
    let mut out = vec![0u8; len];
    let mut matches = Vec::new();
    // The contiguous run being collected: (start in a, end in a, start in b, end in b).
    let mut run: Option<(usize, usize, usize, usize)> = None;
    let (mut i, mut j, mut k) = (a.len(), b.len(), len);
    while i > 0 && j > 0 {
        let emit = if a[i - 1] == b[j - 1] {
            k -= 1;
            out[k] = a[i - 1];
            run = match run {
                Some((sa, ea, sb, eb)) if sa == i && sb == j => Some((i - 1, ea, j - 1, eb)),
                _ => Some((i - 1, i - 1, j - 1, j - 1)),
            };
            i -= 1;
            j -= 1;
            // A run that reached the start of either string is complete.
            i == 0 || j == 0
        } else {
            if table[(i - 1) * w + j] > table[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            run.is_some()
        };
        if emit && let Some((sa, ea, sb, eb)) = run.take() {
            let run_len = (ea - sa + 1) as u64;
            if run_len >= opts.min_match_len {
                let range = |s: usize, e: usize| {
                    Value::Array(vec![Value::Integer(s as i64), Value::Integer(e as i64)])
                };
                let mut m = vec![range(sa, ea), range(sb, eb)];
                if opts.with_match_len {
                    m.push(Value::Integer(run_len as i64));
                }
                matches.push(Value::Array(m));
            }
        }
    }
    if !opts.idx {
        return Value::Bulk(out);
    }
    Value::Map(vec![
        (Value::bulk("matches"), Value::Array(matches)),
        (Value::bulk("len"), Value::Integer(len as i64)),
    ])
}
// ANCHOR_END: lcs
