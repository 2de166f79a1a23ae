//! The cursor of `SSCAN`, `HSCAN` and `ZSCAN`: where a scan of one collection stopped, in a
//! form that stays meaningful while the collection changes between calls.
//!
//! Go original: none (go-redis had no `*SCAN`). Explained in: book chapter 4.

use super::parse_i64;
use crate::engine::store::{fnv1a, glob_match};
use crate::protocol::resp::Value;

// ANCHOR: scan_cursor
/// The parsed tail of `SSCAN`/`HSCAN`/`ZSCAN key cursor [MATCH pattern] [COUNT count]`.
pub(crate) struct ScanArgs {
    /// Where to resume.
    pub cursor: u64,
    /// How many elements to look at (a hint, as in Redis).
    pub count: usize,
    /// Only return elements matching this glob.
    pub pattern: Option<Vec<u8>>,
}

/// Parses `cursor [MATCH pattern] [COUNT count]`.
pub(crate) fn parse_scan(args: &[Vec<u8>]) -> Result<ScanArgs, Value> {
    let cursor = std::str::from_utf8(&args[0])
        .ok()
        .and_then(|s| {
            s.parse::<u64>()
                .ok()
                .or_else(|| s.parse::<i64>().ok().map(|n| n as u64))
        })
        .ok_or(Value::error("ERR invalid cursor"))?;
    let mut scan = ScanArgs {
        cursor,
        count: 10,
        pattern: None,
    };
    let mut rest = &args[1..];
    while !rest.is_empty() {
        match rest {
            [word, v, tail @ ..] if word.eq_ignore_ascii_case(b"count") => {
                match parse_i64(v) {
                    Some(n) if n >= 1 => scan.count = n as usize,
                    Some(_) => return Err(Value::syntax_error()),
                    None => return Err(Value::not_integer()),
                }
                rest = tail;
            }
            [word, v, tail @ ..] if word.eq_ignore_ascii_case(b"match") => {
                scan.pattern = Some(v.clone());
                rest = tail;
            }
            _ => return Err(Value::syntax_error()),
        }
    }
    Ok(scan)
}

/// Collections this small answer a scan in one reply with cursor 0, as Redis does for its
/// compact (listpack) encodings.
const SCAN_ALL_BELOW: usize = 128;

/// A member's place in scan order: a fixed hash (FNV-1a) mapped into `1..u64::MAX`, so that
/// cursor 0 stays free to mean "start" and "done".
fn scan_position(member: &[u8]) -> u64 {
    fnv1a(member) % (u64::MAX - 1) + 1
}

/// One page of a collection scan. The cursor is a position in a fixed hash order: a page
/// returns the `count` members with the lowest positions at or above the cursor (and every
/// member tied with the last), and the next cursor is just past them. A member present for
/// the whole scan is so returned exactly once, whatever is added or removed meanwhile — the
/// guarantee Redis gives. The cost is O(n) per page (Redis: O(count)), as std's maps expose no
/// bucket order to resume from.
pub(crate) fn scan_page<'a, T>(
    items: impl Iterator<Item = (&'a [u8], T)>,
    len: usize,
    scan: &ScanArgs,
) -> (u64, Vec<(&'a [u8], T)>) {
    let matches = |m: &[u8]| scan.pattern.as_ref().is_none_or(|p| glob_match(p, m));
    if len <= SCAN_ALL_BELOW {
        return (0, items.filter(|(m, _)| matches(m)).collect());
    }
    let from = scan.cursor.max(1);
    let mut page: Vec<(u64, (&'a [u8], T))> = items
        .map(|it| (scan_position(it.0), it))
        .filter(|(p, _)| *p >= from)
        .collect();
    let next = if page.len() <= scan.count {
        0
    } else {
        page.select_nth_unstable_by_key(scan.count - 1, |(p, _)| *p);
        let last = page[scan.count - 1].0;
        page.retain(|(p, _)| *p <= last);
        last + 1
    };
    let found = page
        .into_iter()
        .map(|(_, it)| it)
        .filter(|(m, _)| matches(m))
        .collect();
    (next, found)
}
// ANCHOR_END: scan_cursor

/// The reply of every `*SCAN`: `[cursor, [elements...]]`.
pub(crate) fn scan_reply(cursor: u64, items: Vec<Value>) -> Value {
    Value::Array(vec![Value::bulk(cursor.to_string()), Value::Array(items)])
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn scan_pages_return_every_stable_member_once() {
        let mut members: Vec<Vec<u8>> = (0..1000).map(|i| format!("m{i}").into_bytes()).collect();
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            let scan = ScanArgs {
                cursor,
                count: 37,
                pattern: None,
            };
            let (next, page) =
                scan_page(members.iter().map(|m| (&m[..], ())), members.len(), &scan);
            for (m, _) in page {
                if m.starts_with(b"m") {
                    assert!(seen.insert(m.to_vec()), "returned twice");
                }
            }
            members.push(format!("churn{round}").into_bytes());
            round += 1;
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 1000);
    }
}
