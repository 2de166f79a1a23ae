//! `SORT` and `SORT_RO`: the elements of a list, set or sorted set, sorted as numbers or as
//! strings, by themselves or by other keys, and what other keys hold for each.
//!
//! Go original: none (go-redis had no `SORT`). Explained in: book chapter "Exercises" (ex09).
//!
//! `BY pattern` sorts by the value of the key made by putting the element in place of the
//! pattern's first `*` (`weight_*`), or of a hash field (`data_*->weight`); a pattern without
//! `*` means "do not sort". `GET pattern` answers such a value instead of the element, and
//! `GET #` the element itself. Numbers are read with C's `strtod`, as Redis reads them.

use std::cmp::Ordering;

use super::{parse_i64, strtod};
use crate::commands::acl::may_name_any_key;
use crate::commands::registry::{KEY1, flags::*};
use crate::commands::{Context, Effect, ReadContext, Registry};
use crate::engine::store::{Data, Db, List, StoreError};
use crate::protocol::resp::Value;

/// Registers `SORT` and `SORT_RO`.
pub fn register(r: &mut Registry) {
    // A write because of STORE; without it nothing is logged.
    r.write("sort", sort, -2, DENYOOM, KEY1);
    r.read("sort_ro", sort_ro, -2, 0, KEY1);
}

/// The parsed options.
struct Options<'a> {
    desc: bool,
    alpha: bool,
    /// `LIMIT offset count`; a negative count means "all the rest".
    limit: (i64, i64),
    store: Option<&'a [u8]>,
    by: Option<&'a [u8]>,
    gets: Vec<&'a [u8]>,
}

/// Parses `[BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE dst]`,
/// in any order; `STORE` only if `can_store`. A pattern reads keys no ACL check saw, so, as in
/// Redis, `GET` and a `BY` with a `*` need a user who may name any key (`any_key`).
fn options(args: &[Vec<u8>], can_store: bool, any_key: bool) -> Result<Options<'_>, Value> {
    let mut o = Options {
        desc: false,
        alpha: false,
        limit: (0, -1),
        store: None,
        by: None,
        gets: Vec::new(),
    };
    let mut i = 0;
    while i < args.len() {
        let more = args.len() - i - 1;
        match args[i].to_ascii_lowercase().as_slice() {
            b"asc" => o.desc = false,
            b"desc" => o.desc = true,
            b"alpha" => o.alpha = true,
            b"limit" if more >= 2 => {
                match (parse_i64(&args[i + 1]), parse_i64(&args[i + 2])) {
                    (Some(offset), Some(count)) => o.limit = (offset, count),
                    _ => return Err(Value::not_integer()),
                }
                i += 2;
            }
            b"store" if can_store && more >= 1 => {
                o.store = Some(&args[i + 1]);
                i += 1;
            }
            b"by" if more >= 1 => {
                if !any_key && args[i + 1].contains(&b'*') {
                    return Err(Value::error(
                        "ERR BY option of SORT denied due to insufficient ACL permissions.",
                    ));
                }
                o.by = Some(&args[i + 1]);
                i += 1;
            }
            b"get" if more >= 1 => {
                if !any_key {
                    return Err(Value::error(
                        "ERR GET option of SORT denied due to insufficient ACL permissions.",
                    ));
                }
                o.gets.push(&args[i + 1]);
                i += 1;
            }
            _ => return Err(Value::syntax_error()),
        }
        i += 1;
    }
    Ok(o)
}

// ANCHOR: lookup
/// What `pattern` points at for `element`: the string at the key made by replacing the first
/// `*` with the element, or the field after `->` of the hash there; `#` is the element itself.
/// Like Redis (which reads the pattern as a C string), a NUL byte ends the pattern's search.
fn lookup<'s>(store: &'s Db, now: u64, pattern: &[u8], element: &'s [u8]) -> Option<&'s [u8]> {
    let text = c_str(pattern);
    if text == b"#" {
        return Some(element);
    }
    let star = text.iter().position(|&b| b == b'*')?;
    // `->` after the star, followed by at least one byte, names a hash field.
    let arrow = text[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|p| star + 1 + p);
    let (key_end, field) = match arrow {
        Some(a) if a + 2 < text.len() => (a, Some(&pattern[a + 2..])),
        _ => (pattern.len(), None),
    };
    let key = [&pattern[..star], element, &pattern[star + 1..key_end]].concat();
    match (store.get(&key, now)?, field) {
        (Data::Str(s), None) => Some(s),
        (Data::Hash(h), Some(f)) => h.get(f).map(|v| &v[..]),
        _ => None,
    }
}
// ANCHOR_END: lookup

/// The bytes before the first NUL: what C sees of a pattern.
fn c_str(pattern: &[u8]) -> &[u8] {
    pattern.split(|&b| b == 0).next().unwrap_or_default()
}

/// One element to sort, with what it sorts by.
struct Item<'s> {
    element: &'s [u8],
    score: f64,
    /// For `ALPHA` with `BY`: the value looked up (`None` sorts first).
    by: Option<&'s [u8]>,
}

// ANCHOR: sorted
/// The reply's entries, in order: the elements, or with `GET` what each pattern finds for each
/// (`None` where it finds nothing).
fn sorted<'s>(
    store: &'s Db,
    now: u64,
    key: &[u8],
    o: &Options<'_>,
) -> Result<Vec<Option<&'s [u8]>>, Value> {
    let value = store.get(key, now);
    let mut items: Vec<Item<'s>> = match value {
        None => Vec::new(),
        Some(Data::List(l)) => l.iter().map(item).collect(),
        Some(Data::Set(s)) => s.iter().map(|m| item(m)).collect(),
        Some(Data::ZSet(z)) => z.iter().map(|(m, _)| item(m)).collect(),
        Some(_) => return Err(StoreError::WrongType.into()),
    };
    // A BY pattern without `*` means "no sorting": lists and sorted sets keep their own order
    // (reversed by DESC). A set has none, so when it is stored it is sorted ALPHA instead, or
    // the stored list would depend on the set's internal order.
    let mut by = o.by;
    let mut alpha = o.alpha;
    let mut dont_sort = by.is_some_and(|p| !c_str(p).contains(&b'*'));
    let is_set = matches!(value, Some(Data::Set(_)));
    if dont_sort && is_set && o.store.is_some() {
        (dont_sort, alpha, by) = (false, true, None);
    }
    if dont_sort && !is_set && o.desc {
        items.reverse();
    }
    if !dont_sort {
        for it in &mut items {
            let by_value = match by {
                Some(pattern) => lookup(store, now, pattern, it.element),
                None => Some(it.element),
            };
            if alpha {
                it.by = by_value;
            } else if let Some(v) = by_value {
                // A missing BY key sorts as 0; a value that is not a number fails the command.
                match strtod(v) {
                    Some((score, false)) => it.score = score,
                    _ => {
                        return Err(Value::error(
                            "ERR One or more scores can't be converted into double",
                        ));
                    }
                }
            }
        }
        // Redis compares strings with the C library's `strcoll` for a reply (in the C locale:
        // byte by byte up to the first NUL) and as whole byte strings for STORE.
        let text = |s: &'s [u8]| if o.store.is_some() { s } else { c_str(s) };
        let compare = |a: &Item<'s>, b: &Item<'s>| {
            let order = match (alpha, by) {
                // Equal numbers are ordered by their bytes, so the answer never depends on a
                // set's iteration order.
                (false, _) => a
                    .score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then(a.element.cmp(b.element)),
                (true, None) => text(a.element).cmp(text(b.element)),
                (true, Some(_)) => a.by.map(text).cmp(&b.by.map(text)),
            };
            if o.desc { order.reverse() } else { order }
        };
        items.sort_by(compare);
    }
    // LIMIT: a negative offset counts as 0, a negative count as "all the rest".
    let (offset, count) = o.limit;
    let start = usize::try_from(offset.max(0))
        .unwrap_or(usize::MAX)
        .min(items.len());
    let take = usize::try_from(count).unwrap_or(usize::MAX);
    let chosen = items.iter().skip(start).take(take);
    Ok(if o.gets.is_empty() {
        chosen.map(|it| Some(it.element)).collect()
    } else {
        chosen
            .flat_map(|it| o.gets.iter().map(|p| lookup(store, now, p, it.element)))
            .collect()
    })
}
// ANCHOR_END: sorted

/// An element not yet sorted.
fn item(element: &[u8]) -> Item<'_> {
    Item {
        element,
        score: 0.0,
        by: None,
    }
}

/// The entries as a reply: bulk strings, nil where a `GET` found nothing.
fn reply(entries: Vec<Option<&[u8]>>) -> Value {
    Value::Array(
        entries
            .into_iter()
            .map(|e| e.map_or(Value::Null, Value::bulk))
            .collect(),
    )
}

/// `SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]`: `SORT`
/// without `STORE`, so it may run on a read-only replica.
pub fn sort_ro(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let any_key = may_name_any_key(&ctx.client.user);
    match options(&args[1..], false, any_key).and_then(|o| sorted(ctx.db, ctx.now, &args[0], &o)) {
        Ok(entries) => reply(entries),
        Err(e) => e,
    }
}

// ANCHOR: sort
/// `SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
/// [STORE destination]`: the elements in numeric (or with `ALPHA` byte-wise) order. With `STORE`
/// the result becomes a list at `destination` (a `GET` that finds nothing stores an empty
/// string; an empty result deletes `destination`), logged as `DEL` plus `RPUSH`, and the reply
/// is its length.
pub fn sort(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let o = match options(&args[1..], true, may_name_any_key(&ctx.client.user)) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let entries = match sorted(ctx.db, ctx.now, &args[0], &o) {
        Ok(entries) => entries,
        Err(e) => return e,
    };
    let Some(dst) = o.store else {
        return reply(entries);
    };
    let len = entries.len() as i64;
    let mut effect: Effect = vec![b"RPUSH".to_vec(), dst.to_vec()];
    effect.extend(entries.iter().map(|e| e.unwrap_or_default().to_vec()));
    let list: List = entries.into_iter().map(Option::unwrap_or_default).collect();
    let stored = (len > 0).then(|| (Data::from(list), effect));
    ctx.store_result(
        dst,
        stored,
        crate::config::KeyspaceEvents::LIST,
        "sortstore",
    );
    Value::Integer(len)
}
// ANCHOR_END: sort
