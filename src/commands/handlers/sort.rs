//! `SORT`: the elements of a list, set or sorted set, sorted as numbers or as strings.
//!
//! Go original: none (go-redis had no `SORT`). Explained in: book chapter "Exercises" (ex09).
//!
//! The `BY pattern` and `GET pattern` options, which read other keys for each element, are left
//! out: they answer `ERR syntax error` here.

use std::cmp::Ordering;

use super::{parse_f64, parse_i64};
use crate::commands::registry::{KEY1, flags::*};
use crate::commands::{Context, Effect, Registry};
use crate::engine::store::{Data, List, StoreError};
use crate::protocol::resp::Value;

/// Registers `SORT`.
pub fn register(r: &mut Registry) {
    // A write because of STORE; without it nothing is logged.
    r.write("sort", sort, -2, DENYOOM, KEY1);
}

// ANCHOR: sort
/// `SORT key [LIMIT offset count] [ASC|DESC] [ALPHA] [STORE destination]`: the elements in
/// numeric (or with `ALPHA` byte-wise) order; equal numbers are ordered by their bytes, so the
/// answer never depends on a set's iteration order. With `STORE` the result becomes a list at
/// `destination` (logged as `DEL` plus `RPUSH`) and the reply is its length.
pub fn sort(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let key = &args[0];
    let (mut desc, mut alpha, mut limit, mut store) = (false, false, None, None);
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - i - 1;
        match args[i].to_ascii_lowercase().as_slice() {
            b"asc" => desc = false,
            b"desc" => desc = true,
            b"alpha" => alpha = true,
            b"limit" if more >= 2 => {
                match (parse_i64(&args[i + 1]), parse_i64(&args[i + 2])) {
                    (Some(o), Some(c)) => limit = Some((o, c)),
                    _ => return Value::not_integer(),
                }
                i += 2;
            }
            b"store" if more >= 1 => {
                store = Some(&args[i + 1]);
                i += 1;
            }
            _ => return Value::syntax_error(),
        }
        i += 1;
    }
    let mut items: Vec<&[u8]> = match ctx.store.get(key, ctx.now) {
        None => Vec::new(),
        Some(Data::List(l)) => l.iter().collect(),
        Some(Data::Set(s)) => s.iter().map(|b| &b[..]).collect(),
        Some(Data::ZSet(z)) => z.iter().map(|(m, _)| m).collect(),
        Some(_) => return StoreError::WrongType.into(),
    };
    if alpha {
        items.sort_unstable();
    } else {
        let mut scored = Vec::with_capacity(items.len());
        for item in items {
            match parse_f64(item) {
                Some(score) => scored.push((score, item)),
                None => return Value::error("ERR One or more scores can't be converted into double"),
            }
        }
        scored.sort_unstable_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal).then(a.1.cmp(b.1)));
        items = scored.into_iter().map(|(_, item)| item).collect();
    }
    if desc {
        items.reverse();
    }
    // LIMIT: a negative offset counts as 0, a negative count as "all the rest".
    if let Some((offset, count)) = limit {
        let start = (offset.max(0) as usize).min(items.len());
        let count = if count < 0 { items.len() } else { count as usize };
        items = items.into_iter().skip(start).take(count).collect();
    }
    let Some(dst) = store else {
        return Value::bulk_array(items);
    };
    let len = items.len() as i64;
    let mut effect: Effect = vec![b"RPUSH".to_vec(), dst.clone()];
    effect.extend(items.iter().map(|b| b.to_vec()));
    let list: List = items.into_iter().collect();
    if ctx.store.remove(dst, ctx.now).is_some() || len > 0 {
        ctx.log(&[b"DEL", dst]);
    }
    if len > 0 {
        ctx.store.set(dst, Data::List(Box::new(list)), ctx.now);
        ctx.log_with(|| effect);
    }
    Value::Integer(len)
}
// ANCHOR_END: sort
