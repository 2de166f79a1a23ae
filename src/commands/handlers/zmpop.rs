//! `ZMPOP`: pops the lowest or highest members of the first non-empty sorted set of several.
//!
//! Go original: none (go-redis had no `ZMPOP`). Explained in: book chapter "Exercises" (ex10).

use super::parse_i64;
use crate::commands::registry::NO_KEYS;
use crate::commands::{Context, Effect, Registry};
use crate::engine::store::{Data, StoreError};
use crate::protocol::resp::Value;

/// Registers `ZMPOP`.
pub fn register(r: &mut Registry) {
    // The keys follow `numkeys`, which a fixed key spec cannot describe; the `ZREM` effect
    // names the key that changed, which is what WATCH needs.
    r.write("zmpop", zmpop, -4, 0, NO_KEYS);
}

// ANCHOR: zmpop
/// `ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]`: from the first key holding a sorted
/// set, pops up to `count` (default 1) members with the lowest (`MIN`) or highest (`MAX`)
/// scores; replies `[key, [[member, score], ...]]`, or a nil array when every key is empty.
/// Logged as `ZREM key member ...`: replaying a pop must remove exactly what was popped.
pub fn zmpop(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let numkeys = match parse_i64(&args[0]) {
        Some(n) if n > 0 => n as usize,
        _ => return Value::error("ERR numkeys should be greater than 0"),
    };
    // After the keys there must be at least the MIN|MAX word.
    if numkeys >= args.len() - 1 {
        return Value::syntax_error();
    }
    let (keys, rest) = args[1..].split_at(numkeys);
    let min = match rest[0].to_ascii_lowercase().as_slice() {
        b"min" => true,
        b"max" => false,
        _ => return Value::syntax_error(),
    };
    let count = match &rest[1..] {
        [] => 1,
        [word, n] if word.eq_ignore_ascii_case(b"count") => match parse_i64(n) {
            Some(n) if n > 0 => n as usize,
            _ => return Value::error("ERR count should be greater than 0"),
        },
        _ => return Value::syntax_error(),
    };
    for key in keys {
        let z = match ctx.store.get_mut(key, ctx.now) {
            None => continue,
            Some(Data::ZSet(z)) => z,
            Some(_) => return StoreError::WrongType.into(),
        };
        let mut popped = Vec::with_capacity(count.min(z.len()));
        let mut effect: Effect = vec![b"ZREM".to_vec(), key.clone()];
        while popped.len() < count
            && let Some((member, score)) = z.pop(min)
        {
            effect.push(member.to_vec());
            popped.push(Value::Array(vec![Value::Bulk(member.into_vec()), Value::Double(score)]));
        }
        ctx.store.remove_if_empty(key);
        ctx.log_with(|| effect);
        return Value::Array(vec![Value::bulk(key), Value::Array(popped)]);
    }
    Value::NullArray
}
// ANCHOR_END: zmpop
