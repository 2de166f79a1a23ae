//! Randomized model tests: thousands of random operations applied both to the server and to a
//! plain in-test model (`VecDeque`, `BTreeSet`, `BTreeMap`); every reply must agree. The seed
//! is fixed, so a failure replays exactly.

mod common;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const OPS: usize = 2000;

/// A parsed reply, just enough to compare with a model.
#[derive(Debug, PartialEq)]
enum R {
    Int(i64),
    Bulk(Option<String>),
    Arr(Vec<R>),
    Status(String),
}

fn parse(bytes: &[u8]) -> R {
    fn one(b: &[u8], i: &mut usize) -> R {
        let end = *i
            + b[*i..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("line end");
        let line = std::str::from_utf8(&b[*i + 1..end]).unwrap().to_string();
        let tag = b[*i];
        *i = end + 2;
        match tag {
            b':' => R::Int(line.parse().unwrap()),
            b'+' => R::Status(line),
            b'-' => R::Status(format!("-{line}")),
            b'$' => {
                let n: i64 = line.parse().unwrap();
                if n < 0 {
                    return R::Bulk(None);
                }
                let s = String::from_utf8(b[*i..*i + n as usize].to_vec()).unwrap();
                *i += n as usize + 2;
                R::Bulk(Some(s))
            }
            b'*' => {
                let n: i64 = line.parse().unwrap();
                R::Arr((0..n.max(0)).map(|_| one(b, i)).collect())
            }
            t => panic!("unexpected reply type {}", t as char),
        }
    }
    one(bytes, &mut 0)
}

fn bulks<I: IntoIterator<Item = S>, S: ToString>(items: I) -> R {
    R::Arr(
        items
            .into_iter()
            .map(|s| R::Bulk(Some(s.to_string())))
            .collect(),
    )
}

fn ask(c: &mut Client, args: &[&str]) -> R {
    parse(&c.cmd(args))
}

#[test]
fn lists_agree_with_a_vecdeque() {
    let s = start();
    let mut c = s.client();
    let mut rng = StdRng::seed_from_u64(7);
    let mut model: VecDeque<String> = VecDeque::new();
    for step in 0..OPS {
        let v = format!("v{}", rng.random_range(0..8));
        let len = model.len() as i64;
        let idx = rng.random_range(-len - 2..len + 2);
        match rng.random_range(0..10) {
            0 | 1 => {
                model.push_front(v.clone());
                assert_eq!(ask(&mut c, &["LPUSH", "l", &v]), R::Int(model.len() as i64));
            }
            2 | 3 => {
                model.push_back(v.clone());
                assert_eq!(ask(&mut c, &["RPUSH", "l", &v]), R::Int(model.len() as i64));
            }
            4 => assert_eq!(ask(&mut c, &["LPOP", "l"]), R::Bulk(model.pop_front())),
            5 => assert_eq!(ask(&mut c, &["RPOP", "l"]), R::Bulk(model.pop_back())),
            6 => {
                let i = if idx < 0 { idx + len } else { idx };
                let want = (0..len).contains(&i).then(|| model[i as usize].clone());
                assert_eq!(
                    ask(&mut c, &["LINDEX", "l", &idx.to_string()]),
                    R::Bulk(want)
                );
            }
            7 => {
                let count = rng.random_range(-2..3i64);
                let mut removed = 0;
                let limit = if count == 0 {
                    usize::MAX
                } else {
                    count.unsigned_abs() as usize
                };
                let positions: Vec<usize> = (0..model.len()).filter(|&i| model[i] == v).collect();
                let doomed: Vec<usize> = if count >= 0 {
                    positions.into_iter().take(limit).collect()
                } else {
                    positions.into_iter().rev().take(limit).collect()
                };
                let mut sorted = doomed.clone();
                sorted.sort_unstable_by(|a, b| b.cmp(a));
                for i in sorted {
                    model.remove(i);
                    removed += 1;
                }
                assert_eq!(
                    ask(&mut c, &["LREM", "l", &count.to_string(), &v]),
                    R::Int(removed)
                );
            }
            8 => {
                let i = if idx < 0 { idx + len } else { idx };
                let reply = ask(&mut c, &["LSET", "l", &idx.to_string(), &v]);
                if len == 0 {
                    assert_eq!(reply, R::Status("-ERR no such key".into()));
                } else if (0..len).contains(&i) {
                    model[i as usize] = v.clone();
                    assert_eq!(reply, R::Status("OK".into()));
                } else {
                    assert_eq!(reply, R::Status("-ERR index out of range".into()));
                }
            }
            _ => {
                let (a, b) = (rng.random_range(-5..5i64), rng.random_range(-5..5i64));
                let (sa, sb) = (
                    if a < 0 { (a + len).max(0) } else { a },
                    if b < 0 { b + len } else { b.min(len - 1) },
                );
                let want: Vec<String> = if sa > sb || sa >= len {
                    Vec::new()
                } else {
                    model.range(sa as usize..=sb as usize).cloned().collect()
                };
                assert_eq!(
                    ask(&mut c, &["LRANGE", "l", &a.to_string(), &b.to_string()]),
                    bulks(want),
                    "step {step}"
                );
            }
        }
        assert_eq!(
            ask(&mut c, &["LLEN", "l"]),
            R::Int(model.len() as i64),
            "step {step}"
        );
    }
}

#[test]
fn sets_agree_with_a_btreeset() {
    let s = start();
    let mut c = s.client();
    let mut rng = StdRng::seed_from_u64(11);
    let mut model: BTreeSet<String> = BTreeSet::new();
    let mut other: BTreeSet<String> = BTreeSet::new();
    for step in 0..OPS {
        let m = format!("m{}", rng.random_range(0..40));
        match rng.random_range(0..7) {
            0 | 1 => assert_eq!(
                ask(&mut c, &["SADD", "s", &m]),
                R::Int(model.insert(m) as i64)
            ),
            2 => assert_eq!(
                ask(&mut c, &["SREM", "s", &m]),
                R::Int(model.remove(&m) as i64)
            ),
            3 => assert_eq!(
                ask(&mut c, &["SISMEMBER", "s", &m]),
                R::Int(model.contains(&m) as i64)
            ),
            4 => assert_eq!(
                ask(&mut c, &["SADD", "o", &m]),
                R::Int(other.insert(m) as i64)
            ),
            5 => {
                let reply = ask(&mut c, &["SPOP", "s"]);
                match reply {
                    R::Bulk(Some(x)) => assert!(model.remove(&x), "popped a non-member {x}"),
                    R::Bulk(None) => assert!(model.is_empty()),
                    r => panic!("{r:?}"),
                }
            }
            _ => {
                let R::Arr(items) = ask(&mut c, &["SINTER", "s", "o"]) else {
                    panic!()
                };
                let mut got: Vec<R> = items;
                got.sort_by_key(|r| format!("{r:?}"));
                let want = bulks(model.intersection(&other));
                let R::Arr(mut want) = want else { panic!() };
                want.sort_by_key(|r| format!("{r:?}"));
                assert_eq!(got, want, "step {step}");
            }
        }
        assert_eq!(
            ask(&mut c, &["SCARD", "s"]),
            R::Int(model.len() as i64),
            "step {step}"
        );
    }
}

#[test]
fn hashes_agree_with_a_btreemap() {
    let s = start();
    let mut c = s.client();
    let mut rng = StdRng::seed_from_u64(13);
    let mut model: BTreeMap<String, i64> = BTreeMap::new();
    for step in 0..OPS {
        let f = format!("f{}", rng.random_range(0..30));
        let n = rng.random_range(-100..100i64);
        match rng.random_range(0..6) {
            0 | 1 => {
                let new = model.insert(f.clone(), n).is_none();
                assert_eq!(
                    ask(&mut c, &["HSET", "h", &f, &n.to_string()]),
                    R::Int(new as i64)
                );
            }
            2 => assert_eq!(
                ask(&mut c, &["HDEL", "h", &f]),
                R::Int(model.remove(&f).is_some() as i64)
            ),
            3 => {
                let v = model.entry(f.clone()).or_insert(0);
                *v += n;
                assert_eq!(
                    ask(&mut c, &["HINCRBY", "h", &f, &n.to_string()]),
                    R::Int(*v)
                );
            }
            4 => assert_eq!(
                ask(&mut c, &["HGET", "h", &f]),
                R::Bulk(model.get(&f).map(|v| v.to_string()))
            ),
            _ => {
                let R::Arr(flat) = ask(&mut c, &["HGETALL", "h"]) else {
                    panic!()
                };
                let mut got: Vec<(String, String)> = flat
                    .chunks(2)
                    .map(|p| match p {
                        [R::Bulk(Some(a)), R::Bulk(Some(b))] => (a.clone(), b.clone()),
                        _ => panic!("{p:?}"),
                    })
                    .collect();
                got.sort();
                let want: Vec<(String, String)> = model
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_string()))
                    .collect();
                assert_eq!(got, want, "step {step}");
            }
        }
        assert_eq!(
            ask(&mut c, &["HLEN", "h"]),
            R::Int(model.len() as i64),
            "step {step}"
        );
    }
}

#[test]
fn sorted_sets_agree_with_a_btreemap() {
    let s = start();
    let mut c = s.client();
    let mut rng = StdRng::seed_from_u64(17);
    // member → score; the order is derived from it.
    let mut model: BTreeMap<String, i64> = BTreeMap::new();
    let ordered = |m: &BTreeMap<String, i64>| {
        let mut v: Vec<(i64, String)> = m.iter().map(|(k, s)| (*s, k.clone())).collect();
        v.sort();
        v
    };
    for step in 0..OPS {
        let m = format!("m{}", rng.random_range(0..30));
        let score = rng.random_range(-10..10i64);
        match rng.random_range(0..8) {
            0 | 1 => {
                let new = model.insert(m.clone(), score).is_none();
                assert_eq!(
                    ask(&mut c, &["ZADD", "z", &score.to_string(), &m]),
                    R::Int(new as i64)
                );
            }
            2 => assert_eq!(
                ask(&mut c, &["ZREM", "z", &m]),
                R::Int(model.remove(&m).is_some() as i64)
            ),
            3 => {
                let v = model.entry(m.clone()).or_insert(0);
                *v += score;
                assert_eq!(
                    ask(&mut c, &["ZINCRBY", "z", &score.to_string(), &m]),
                    R::Bulk(Some(v.to_string()))
                );
            }
            4 => {
                let want = ordered(&model)
                    .iter()
                    .position(|(_, k)| *k == m)
                    .map(|r| r as i64);
                let got = ask(&mut c, &["ZRANK", "z", &m]);
                assert_eq!(got, want.map_or(R::Bulk(None), R::Int), "step {step}");
            }
            5 => {
                let (lo, hi) = (score, score + rng.random_range(0..6));
                let want = model.values().filter(|s| (lo..=hi).contains(*s)).count() as i64;
                assert_eq!(
                    ask(&mut c, &["ZCOUNT", "z", &lo.to_string(), &hi.to_string()]),
                    R::Int(want)
                );
            }
            6 => {
                let first = ordered(&model).into_iter().next();
                let want = match &first {
                    Some((s, k)) => {
                        model.remove(k);
                        bulks([k.clone(), s.to_string()])
                    }
                    None => R::Arr(Vec::new()),
                };
                assert_eq!(ask(&mut c, &["ZPOPMIN", "z"]), want, "step {step}");
            }
            _ => {
                let want: Vec<String> = ordered(&model)
                    .into_iter()
                    .flat_map(|(s, k)| [k, s.to_string()])
                    .collect();
                assert_eq!(
                    ask(&mut c, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
                    bulks(want),
                    "step {step}"
                );
                let by_score: Vec<String> = ordered(&model)
                    .into_iter()
                    .filter(|(s, _)| (-3..=3).contains(s))
                    .rev()
                    .map(|(_, k)| k)
                    .collect();
                assert_eq!(
                    ask(&mut c, &["ZRANGE", "z", "3", "-3", "BYSCORE", "REV"]),
                    bulks(by_score),
                    "step {step}"
                );
            }
        }
        assert_eq!(
            ask(&mut c, &["ZCARD", "z"]),
            R::Int(model.len() as i64),
            "step {step}"
        );
    }
}

/// A stream entry as `XRANGE` answers it: its ID, then its fields and values.
fn stream_entry(id: (u64, u64), elements: &[String]) -> R {
    R::Arr(vec![
        R::Bulk(Some(format!("{}-{}", id.0, id.1))),
        bulks(elements),
    ])
}

#[test]
fn streams_agree_with_a_btreemap_through_reloads() {
    let s = start_with(|c| c.enable_debug_command = rust_redis::config::DebugCommand::Local);
    let mut c = s.client();
    let mut rng = StdRng::seed_from_u64(13);
    let mut model: BTreeMap<(u64, u64), Vec<String>> = BTreeMap::new();
    // The last ID ever added: it stays when its entry is deleted, and survives a reload.
    let mut last = (0u64, 0u64);
    let text = |id: (u64, u64)| format!("{}-{}", id.0, id.1);
    for step in 0..OPS {
        let len = model.len() as u64;
        let some_id = |rng: &mut StdRng| (rng.random_range(0..last.0 + 2), rng.random_range(0..4));
        match rng.random_range(0..20) {
            0..=6 => {
                // Mostly after the last ID, sometimes not: then Redis's error, and no change.
                let id = (
                    last.0.max(1) + rng.random_range(0..3),
                    rng.random_range(0..3),
                );
                let n = rng.random_range(1..5);
                let elements: Vec<String> = (0..n)
                    .flat_map(|i| {
                        [
                            format!("f{}", rng.random_range(0..3) + i),
                            format!("v{step}"),
                        ]
                    })
                    .collect();
                let maxlen = rng.random_bool(0.2).then(|| rng.random_range(0..8u64));
                let mut args = vec!["XADD".to_string(), "s".into()];
                if let Some(m) = maxlen {
                    args.extend(["MAXLEN".into(), "=".into(), m.to_string()]);
                }
                args.push(text(id));
                args.extend(elements.iter().cloned());
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let reply = ask(&mut c, &args);
                if id > last {
                    model.insert(id, elements);
                    last = id;
                    while maxlen.is_some_and(|m| model.len() as u64 > m) {
                        model.pop_first();
                    }
                    assert_eq!(reply, R::Bulk(Some(text(id))), "step {step}");
                } else {
                    let err = "-ERR The ID specified in XADD is equal or smaller than the target \
                               stream top item";
                    assert_eq!(reply, R::Status(err.into()), "step {step}");
                }
            }
            7 | 8 => {
                let ids: Vec<(u64, u64)> = (0..rng.random_range(1..4))
                    .map(
                        |_| match model.keys().nth(rng.random_range(0..len.max(1)) as usize) {
                            Some(id) if rng.random_bool(0.7) => *id,
                            _ => some_id(&mut rng),
                        },
                    )
                    .collect();
                let mut args = vec!["XDEL".to_string(), "s".into()];
                args.extend(ids.iter().map(|id| text(*id)));
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let gone = ids.iter().filter(|id| model.remove(*id).is_some()).count();
                assert_eq!(ask(&mut c, &args), R::Int(gone as i64), "step {step}");
            }
            9 => {
                let keep = rng.random_range(0..len + 2);
                let gone = len.saturating_sub(keep);
                for _ in 0..gone {
                    model.pop_first();
                }
                let reply = ask(&mut c, &["XTRIM", "s", "MAXLEN", "=", &keep.to_string()]);
                assert_eq!(reply, R::Int(gone as i64), "step {step}");
            }
            10 => {
                let min = some_id(&mut rng);
                let before = model.len();
                model.retain(|id, _| *id >= min);
                let reply = ask(&mut c, &["XTRIM", "s", "MINID", "=", &text(min)]);
                assert_eq!(reply, R::Int((before - model.len()) as i64), "step {step}");
            }
            11..=15 => {
                let (a, b) = (some_id(&mut rng), some_id(&mut rng));
                let count = rng.random_range(1..6usize);
                let (start, end) = match rng.random_range(0..3) {
                    0 => ("-".to_string(), "+".to_string()),
                    _ => (text(a.min(b)), text(a.max(b))),
                };
                let (lo, hi) = if start == "-" {
                    ((0, 0), (u64::MAX, u64::MAX))
                } else {
                    (a.min(b), a.max(b))
                };
                let inside = || model.range(lo..=hi).map(|(id, e)| stream_entry(*id, e));
                if rng.random_bool(0.5) {
                    let want = R::Arr(inside().take(count).collect());
                    let reply = ask(
                        &mut c,
                        &["XRANGE", "s", &start, &end, "COUNT", &count.to_string()],
                    );
                    assert_eq!(reply, want, "step {step}");
                } else {
                    let want = R::Arr(inside().rev().take(count).collect());
                    let reply = ask(
                        &mut c,
                        &["XREVRANGE", "s", &end, &start, "COUNT", &count.to_string()],
                    );
                    assert_eq!(reply, want, "step {step}");
                }
            }
            16 if step % 5 == 0 => {
                // Through the RDB file and back: entries, IDs and the last ID all survive.
                assert_eq!(ask(&mut c, &["DEBUG", "RELOAD"]), R::Status("OK".into()));
            }
            _ => {
                let all = R::Arr(model.iter().map(|(id, e)| stream_entry(*id, e)).collect());
                assert_eq!(ask(&mut c, &["XRANGE", "s", "-", "+"]), all, "step {step}");
            }
        }
        assert_eq!(
            ask(&mut c, &["XLEN", "s"]),
            R::Int(model.len() as i64),
            "step {step}"
        );
    }
}
