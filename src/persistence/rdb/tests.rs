//! Tests of the writer and the loader together: round trips, files Redis wrote, hand-made
//! files in the encodings Redis no longer writes, and damaged files.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rand::{Rng, SeedableRng};

use super::*;
use crate::engine::store::{Bytes, List, MemberSet, Str, ZSet};

/// A value in a form that compares by content (sets and hashes unordered).
#[derive(Debug, PartialEq)]
enum Model {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    ZSet(Vec<(Vec<u8>, u64)>),
    /// Entries, counters and groups, compared by their debug text.
    Stream(String),
}

fn model(data: &Data) -> Model {
    match data {
        Data::Str(s) => Model::Str(s.to_vec()),
        Data::List(l) => Model::List(l.iter().map(|e| e.to_vec()).collect()),
        Data::Set(s) => Model::Set(s.iter().map(|m| m.to_vec()).collect()),
        Data::Hash(h) => Model::Hash(h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()),
        // Scores by their bits, so that -0 and 0, or a rounding, would show.
        Data::ZSet(z) => Model::ZSet(z.iter().map(|(m, s)| (m.to_vec(), s.to_bits())).collect()),
        Data::Stream(s) => Model::Stream(format!(
            "{:?}",
            (
                s.iter().collect::<Vec<_>>(),
                s.last_id,
                s.max_deleted_id,
                s.entries_added,
                &s.groups
            )
        )),
    }
}

type Keyspace = BTreeMap<(usize, Vec<u8>), (Model, Option<u64>)>;

fn load_all(file: &[u8]) -> Result<(Keyspace, RdbSummary), RdbError> {
    let mut keys = Keyspace::new();
    let summary = load(file, |k| {
        keys.insert((k.db, k.key.to_vec()), (model(&k.data), k.deadline_ms));
        Ok(())
    })?;
    Ok((keys, summary))
}

fn string(s: &[u8]) -> Data {
    Data::Str(Str::from(s))
}

fn list(items: &[&[u8]]) -> Data {
    Data::from(items.iter().copied().collect::<List>())
}

fn set(items: &[&[u8]]) -> Data {
    Data::from(items.iter().map(|m| Bytes::from(*m)).collect::<MemberSet>())
}

fn hash(pairs: &[(&[u8], &[u8])]) -> Data {
    Data::from(
        pairs
            .iter()
            .map(|(f, v)| (Bytes::from(*f), Bytes::from(*v)))
            .collect::<HashMap<_, _>>(),
    )
}

fn zset(pairs: &[(&[u8], f64)]) -> Data {
    let mut z = ZSet::new();
    for (m, s) in pairs {
        z.insert(m, *s);
    }
    Data::from(z)
}

/// One key of every type and shape, in three databases, some with deadlines.
fn sample() -> Vec<(usize, Vec<u8>, Data, Option<u64>)> {
    let long = vec![b'L'; 100_000];
    let many: Vec<Vec<u8>> = (0..3000)
        .map(|i| match i % 4 {
            0 => i.to_string().into_bytes(),
            1 => format!("element-{i}").into_bytes(),
            2 => Vec::new(),
            _ => (-(i as i64) * 1_000_003).to_string().into_bytes(),
        })
        .collect();
    let mut big_list: Vec<&[u8]> = many.iter().map(|e| e.as_slice()).collect();
    big_list.insert(1500, &long[..20_000]);
    let members: Vec<Vec<u8>> = (0..1000).map(|i| format!("m{i}").into_bytes()).collect();
    let big_set: Vec<&[u8]> = members.iter().map(|m| m.as_slice()).collect();
    let big_hash: Vec<(&[u8], &[u8])> = members
        .iter()
        .map(|m| (m.as_slice(), &long[..300]))
        .collect();
    let big_zset: Vec<(&[u8], f64)> = members
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_slice(), i as f64 / 7.0))
        .collect();
    vec![
        (0, b"empty".to_vec(), string(b""), None),
        (
            0,
            b"int".to_vec(),
            string(b"12345"),
            Some(4_000_000_000_000),
        ),
        (0, b"negative".to_vec(), string(b"-7"), None),
        (0, b"int64".to_vec(), string(b"-9223372036854775808"), None),
        (0, b"not-int".to_vec(), string(b"007"), None),
        (0, b"plus".to_vec(), string(b"+1"), None),
        (
            0,
            b"binary\x00\xff".to_vec(),
            string(b"\x00\x01\xfe\xff\r\n"),
            None,
        ),
        (
            0,
            b"long".to_vec(),
            Data::Str(Str::from(long.clone())),
            Some(1),
        ),
        (
            0,
            b"12".to_vec(),
            list(&[b"a", b"1", b"", b"-300", b"70000"]),
            Some(1_700_000_000_123),
        ),
        (0, b"biglist".to_vec(), list(&big_list), None),
        (
            0,
            b"intset".to_vec(),
            set(&[b"1", b"2", b"-3", b"100000"]),
            None,
        ),
        (0, b"set".to_vec(), set(&big_set), Some(u64::MAX >> 1)),
        (
            5,
            b"hash".to_vec(),
            hash(&[(b"f", b"v"), (b"n", b"1"), (b"", b"")]),
            None,
        ),
        (5, b"bighash".to_vec(), hash(&big_hash), None),
        (
            5,
            b"zset".to_vec(),
            zset(&[
                (b"a", 1.5),
                (b"b", -2.0),
                (b"inf", f64::INFINITY),
                (b"-inf", f64::NEG_INFINITY),
                (b"tiny", 5e-324),
                (b"zero", -0.0),
                (b"third", 1.0 / 3.0),
            ]),
            Some(99),
        ),
        (15, b"bigzset".to_vec(), zset(&big_zset), None),
        (15, b"k".to_vec(), string(b"in the last database"), None),
    ]
}

fn write_sample(keys: &[(usize, Vec<u8>, Data, Option<u64>)]) -> Vec<u8> {
    let mut w = RdbWriter::new(Vec::new(), &[("extra", b"value")]).unwrap();
    let mut current = None;
    for (db, key, data, deadline) in keys {
        if current != Some(*db) {
            let in_db = keys.iter().filter(|k| k.0 == *db);
            let expires = in_db.clone().filter(|k| k.3.is_some()).count();
            w.select_db(*db, in_db.count(), expires).unwrap();
            current = Some(*db);
        }
        w.entry(key, data, *deadline).unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn every_type_and_deadline_round_trips() {
    let keys = sample();
    let file = write_sample(&keys);
    let (loaded, summary) = load_all(&file).unwrap();
    let expected: Keyspace = keys
        .iter()
        .map(|(db, k, d, t)| ((*db, k.clone()), (model(d), *t)))
        .collect();
    assert_eq!(loaded.len(), expected.len());
    for (key, value) in &expected {
        assert_eq!(loaded.get(key), Some(value), "key {key:?}");
    }
    assert_eq!(summary.version, 10);
    assert_eq!(
        summary.keys_per_db,
        BTreeMap::from([(0, 12), (5, 3), (15, 2)])
    );
    assert_eq!(summary.aux_value("extra"), Some(&b"value"[..]));
    assert_eq!(summary.aux_value("redis-bits"), Some(&b"64"[..]));
    assert!(summary.checksum.is_some());
}

#[test]
fn empty_collections_are_not_written() {
    let file = write_sample(&[
        (0, b"gone".to_vec(), list(&[]), None),
        (0, b"kept".to_vec(), string(b"x"), None),
    ]);
    let (loaded, _) = load_all(&file).unwrap();
    assert_eq!(loaded.len(), 1);
}

/// A small file of every type, for the damage tests.
fn small_file() -> Vec<u8> {
    write_sample(&[
        (0, b"s".to_vec(), string(b"hello"), Some(1_700_000_000_000)),
        (0, b"i".to_vec(), string(b"-300"), None),
        (1, b"l".to_vec(), list(&[b"a", b"7", b""]), None),
        (1, b"t".to_vec(), set(&[b"x", b"1"]), None),
        (2, b"h".to_vec(), hash(&[(b"f", b"v")]), None),
        (2, b"z".to_vec(), zset(&[(b"m", 2.5)]), Some(5)),
    ])
}

#[test]
fn every_truncation_is_an_error() {
    let file = small_file();
    assert!(load_all(&file).is_ok());
    for n in 0..file.len() {
        let err = load_all(&file[..n]).expect_err("a prefix must not load");
        assert!(err.offset <= n as u64, "{err} for a prefix of {n} bytes");
    }
    let err = load_all(&file[..file.len() - 3]).unwrap_err();
    assert!(err.message.contains("truncated"), "{err}");
}

#[test]
fn every_flipped_byte_is_an_error() {
    let file = small_file();
    for i in 0..file.len() {
        for x in [0x01u8, 0x80, 0xff] {
            let mut bad = file.clone();
            bad[i] ^= x;
            assert!(load_all(&bad).is_err(), "byte {i} xor {x:#x} loaded");
        }
    }
}

#[test]
fn damage_without_a_checksum_never_panics() {
    // With the checksum zeroed ("not computed"), the parser itself meets every damaged byte.
    let mut file = small_file();
    let n = file.len();
    file[n - 8..].fill(0);
    assert!(load_all(&file).is_ok());
    for i in 0..n - 8 {
        for x in [0x01u8, 0x3f, 0x40, 0x80, 0xc0, 0xff] {
            let mut bad = file.clone();
            bad[i] ^= x;
            let _ = load_all(&bad);
        }
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..2000 {
        let mut bad = file[..9].to_vec();
        let len = rng.random_range(0..64);
        bad.extend((0..len).map(|_| rng.random::<u8>()));
        let _ = load_all(&bad);
    }
}

/// `REDIS` `version`, then `body`, `EOF` and the checksum.
fn file(version: &str, body: &[u8]) -> Vec<u8> {
    let mut f = format!("REDIS{version}").into_bytes();
    f.extend_from_slice(body);
    f.push(OPCODE_EOF);
    let sum = crc64::crc64(&f);
    f.extend_from_slice(&sum.to_le_bytes());
    f
}

/// A length-prefixed string (under 64 bytes).
fn s(bytes: &[u8]) -> Vec<u8> {
    let mut v = vec![bytes.len() as u8];
    v.extend_from_slice(bytes);
    v
}

/// A string of any length up to 16 KiB, 14-bit length.
fn s14(bytes: &[u8]) -> Vec<u8> {
    let mut v = vec![0x40 | (bytes.len() >> 8) as u8, bytes.len() as u8];
    v.extend_from_slice(bytes);
    v
}

fn one_key(kind: u8, key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut body = vec![kind];
    body.extend(s(key));
    body.extend_from_slice(value);
    file("0010", &body)
}

fn only(file: &[u8]) -> (Model, Option<u64>) {
    let (loaded, _) = load_all(file).unwrap();
    assert_eq!(loaded.len(), 1);
    loaded.into_values().next().unwrap()
}

fn bytes_list(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|i| i.as_bytes().to_vec()).collect()
}

#[test]
fn a_file_redis_wrote_loads() {
    // Redis 7.0.15 after `SET lzf abc…(60)`, `SET n 12345`, `SET neg -7`, `RPUSH l a 1 -300 70000 ""`,
    // `SADD s 3 1 2`, `HSET h f v`, `ZADD z 1.5 a -2 b`, `SET t x PX 100000000000`, `SET k2 v2` in
    // database 2, and `SAVE`: LZF, integer strings, a listpack quicklist node, an intset, a hash
    // and a sorted set as listpacks, a deadline.
    let hex = "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473c040fa056374\
        696d65c2085b106bfa08757365642d6d656dc268bc1100fa08616f662d62617365c000fe00fb080100016ec1393000036e65\
        67c0f900036c7a66c30b3c0361626361e02d020162631001680d0d0000000200816602817602fffc85805a80b90100000001\
        74017811017a15150000000400816202dffe0281610283312e3504ff0b01730e02000000030000000100020003001201\
        6c0102161600000005008161020101ded402f2701101048001fffe02fb010000026b32027632ff3096795a7524795c";
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let (loaded, summary) = load_all(&bytes).unwrap();
    assert_eq!(summary.aux_value("redis-ver"), Some(&b"7.0.15"[..]));
    assert_eq!(summary.keys_per_db, BTreeMap::from([(0, 8), (2, 1)]));
    let get = |db: usize, k: &str| loaded.get(&(db, k.as_bytes().to_vec())).unwrap();
    assert_eq!(get(0, "lzf").0, Model::Str(b"abc".repeat(20)));
    assert_eq!(get(0, "n").0, Model::Str(b"12345".to_vec()));
    assert_eq!(get(0, "neg").0, Model::Str(b"-7".to_vec()));
    assert_eq!(
        get(0, "l").0,
        Model::List(bytes_list(&["a", "1", "-300", "70000", ""]))
    );
    assert_eq!(
        get(0, "s").0,
        Model::Set(bytes_list(&["1", "2", "3"]).into_iter().collect())
    );
    assert_eq!(
        get(0, "h").0,
        Model::Hash(BTreeMap::from([(b"f".to_vec(), b"v".to_vec())]))
    );
    assert_eq!(
        get(0, "z").0,
        Model::ZSet(vec![
            (b"b".to_vec(), (-2.0f64).to_bits()),
            (b"a".to_vec(), 1.5f64.to_bits())
        ])
    );
    assert_eq!(
        get(0, "t"),
        &(Model::Str(b"x".to_vec()), Some(1_896_233_992_325))
    );
    assert_eq!(get(2, "k2").0, Model::Str(b"v2".to_vec()));
}

#[test]
fn old_list_encodings_load() {
    let linked = one_key(TYPE_LIST, b"l", &[vec![2], s(b"x"), s(b"y")].concat());
    assert_eq!(only(&linked).0, Model::List(bytes_list(&["x", "y"])));
    let zl = compact_ziplist(&[b"a", b"12", b"-5", &[b'w'; 100]]);
    let single = one_key(TYPE_LIST_ZIPLIST, b"l", &s14(&zl));
    let expected = vec![
        b"a".to_vec(),
        b"12".to_vec(),
        b"-5".to_vec(),
        vec![b'w'; 100],
    ];
    assert_eq!(only(&single).0, Model::List(expected.clone()));
    // A quicklist of two ziplists, one of them empty (skipped, as Redis does).
    let empty = compact_ziplist(&[]);
    let quick = one_key(
        TYPE_LIST_QUICKLIST,
        b"l",
        &[vec![2], s14(&zl), s(&empty)].concat(),
    );
    assert_eq!(only(&quick).0, Model::List(expected));
    // A QUICKLIST_2 with a plain node between listpack nodes.
    let mut lp = compact::ListpackBuilder::new();
    lp.push(b"first");
    let lp = lp.finish();
    let body = [vec![3, 2], s(&lp), vec![1], s(b"plain"), vec![2], s(&lp)].concat();
    let q2 = one_key(TYPE_LIST_QUICKLIST_2, b"l", &body);
    assert_eq!(
        only(&q2).0,
        Model::List(bytes_list(&["first", "plain", "first"]))
    );
}

/// A ziplist of `entries`, strings and small integers, built by hand as Redis 6 lays it out.
pub(super) fn ziplist(entries: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    let (mut prev, mut last) = (0usize, 10usize);
    for e in entries {
        let start = body.len();
        last = 10 + start;
        if prev < 254 {
            body.push(prev as u8);
        } else {
            body.push(0xfe);
            body.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        match compact::canonical_int(e) {
            Some(n @ 0..=12) => body.push(0xf1 + n as u8),
            Some(n) if i16::try_from(n).is_ok() => {
                body.push(0xc0);
                body.extend_from_slice(&(n as i16).to_le_bytes());
            }
            Some(n) => {
                body.push(0xe0);
                body.extend_from_slice(&n.to_le_bytes());
            }
            None if e.len() < 64 => {
                body.push(e.len() as u8);
                body.extend_from_slice(e);
            }
            None => {
                body.push(0x80);
                body.extend_from_slice(&(e.len() as u32).to_be_bytes());
                body.extend_from_slice(e);
            }
        }
        prev = body.len() - start;
    }
    let mut zl = Vec::new();
    zl.extend_from_slice(&((body.len() + 11) as u32).to_le_bytes());
    zl.extend_from_slice(&(last as u32).to_le_bytes());
    zl.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    zl.extend_from_slice(&body);
    zl.push(0xff);
    zl
}

fn compact_ziplist(items: &[&[u8]]) -> Vec<u8> {
    ziplist(items)
}

#[test]
fn old_set_hash_and_zset_encodings_load() {
    let intset = [2u8, 0, 0, 0, 2, 0, 0, 0, 0xff, 0xff, 5, 0];
    let set = one_key(TYPE_SET_INTSET, b"s", &s(&intset));
    assert_eq!(
        only(&set).0,
        Model::Set(bytes_list(&["-1", "5"]).into_iter().collect())
    );

    let zipmap = b"\x02\x03foo\x03\x02barXY\x05hello\x05\x00world\xff";
    let h = one_key(TYPE_HASH_ZIPMAP, b"h", &s(zipmap));
    let expected = Model::Hash(BTreeMap::from([
        (b"foo".to_vec(), b"bar".to_vec()),
        (b"hello".to_vec(), b"world".to_vec()),
    ]));
    assert_eq!(only(&h).0, expected);
    let zl = compact_ziplist(&[b"foo", b"bar", b"hello", b"world"]);
    assert_eq!(only(&one_key(TYPE_HASH_ZIPLIST, b"h", &s(&zl))).0, expected);

    let zl = compact_ziplist(&[b"a", b"1", b"b", b"2.5", b"c", b"-inf"]);
    let z = one_key(TYPE_ZSET_ZIPLIST, b"z", &s(&zl));
    let scores = [(b"c", f64::NEG_INFINITY), (b"a", 1.0), (b"b", 2.5)];
    let expected = Model::ZSet(
        scores
            .iter()
            .map(|(m, s)| (m.to_vec(), s.to_bits()))
            .collect(),
    );
    assert_eq!(only(&z).0, expected);
    // Text scores (type 3): a length and ASCII, or 253-255 for NaN and the infinities.
    let body = [
        vec![3],
        s(b"a"),
        s(b"1"),
        s(b"b"),
        s(b"2.5"),
        s(b"c"),
        vec![255],
    ]
    .concat();
    assert_eq!(only(&one_key(TYPE_ZSET, b"z", &body)).0, expected);
}

#[test]
fn opcodes_before_a_key_are_understood_or_skipped() {
    let mut body = vec![OPCODE_AUX];
    body.extend(s(b"lua"));
    body.extend(s(b"x"));
    body.push(OPCODE_FUNCTION2);
    body.extend(s(b"#!lua name=lib\n..."));
    body.extend([OPCODE_SELECTDB, 3, OPCODE_RESIZEDB, 1, 1]);
    body.push(OPCODE_EXPIRETIME);
    body.extend(1_000_000u32.to_le_bytes());
    body.extend([OPCODE_IDLE, 0x40, 0x10, OPCODE_FREQ, 5, TYPE_STRING]);
    body.extend(s(b"k"));
    body.extend([0xc0, 0x80]);
    let (loaded, summary) = load_all(&file("0010", &body)).unwrap();
    assert_eq!(
        loaded.get(&(3, b"k".to_vec())),
        Some(&(Model::Str(b"-128".to_vec()), Some(1_000_000_000)))
    );
    assert_eq!(summary.functions_skipped, 1);
}

#[test]
fn unsupported_and_unknown_things_are_refused_clearly() {
    let err = load_all(&one_key(99, b"k", b"")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad RDB at offset 9: unknown value type 99"
    );
    let err = load_all(&one_key(TYPE_STREAM_LISTPACKS_3, b"k", b"")).unwrap_err();
    assert!(err.message.contains("Redis 7.2"), "{err}");
    let err = load_all(&file("0010", &[OPCODE_MODULE_AUX, 1, 2, 3])).unwrap_err();
    assert!(err.message.contains("module"), "{err}");
    let err = load_all(&file("0011", b"")).unwrap_err();
    assert!(err.message.contains("version 11"), "{err}");
    let err = load_all(b"REDIX0010\xff").unwrap_err();
    assert!(err.message.contains("not an RDB file"), "{err}");
}

#[test]
fn checksums_are_verified_and_zero_means_none() {
    let mut f = one_key(TYPE_STRING, b"k", &s(b"v"));
    assert!(load_all(&f).is_ok());
    let n = f.len();
    f[n - 1] ^= 1;
    assert!(load_all(&f).unwrap_err().message.contains("checksum"));
    f[n - 8..].fill(0);
    assert_eq!(load_all(&f).unwrap().1.checksum, None);
    // Before version 5 there is no checksum at all.
    let mut old = b"REDIS0004".to_vec();
    old.extend([TYPE_STRING, 1, b'k', 1, b'v', OPCODE_EOF]);
    assert_eq!(load_all(&old).unwrap().0.len(), 1);
}

#[test]
fn huge_lengths_in_a_damaged_file_allocate_nothing_big() {
    // A string of 2^60 bytes, a list of 2^62 elements, an LZF string claiming 2^40 bytes: each
    // ends at the end of the file, with an error, having reserved no more than it read.
    let mut huge = vec![0x81];
    huge.extend((1u64 << 60).to_be_bytes());
    assert!(load_all(&one_key(TYPE_STRING, b"k", &huge)).is_err());
    let mut many = vec![0x81];
    many.extend((1u64 << 62).to_be_bytes());
    many.extend(s(b"x"));
    assert!(load_all(&one_key(TYPE_LIST, b"k", &many)).is_err());
    assert!(load_all(&one_key(TYPE_HASH, b"k", &many)).is_err());
    let mut lzf = vec![0xc3, 2, 0x81];
    lzf.extend((1u64 << 40).to_be_bytes());
    lzf.extend([0x00, b'a']);
    assert!(load_all(&one_key(TYPE_STRING, b"k", &lzf)).is_err());
}

#[test]
fn duplicates_and_nan_are_refused() {
    let dup_set = one_key(TYPE_SET, b"s", &[vec![2], s(b"x"), s(b"x")].concat());
    assert!(
        load_all(&dup_set)
            .unwrap_err()
            .message
            .contains("duplicate")
    );
    let nan = one_key(TYPE_ZSET, b"z", &[vec![1], s(b"m"), vec![253]].concat());
    assert!(load_all(&nan).unwrap_err().message.contains("NaN"));
    let zl = compact_ziplist(&[b"f", b"v", b"f", b"w"]);
    assert!(load_all(&one_key(TYPE_HASH_ZIPLIST, b"h", &s(&zl))).is_err());
}

#[test]
fn the_sinks_refusal_stops_the_load_at_that_key() {
    let file = small_file();
    let mut seen = 0;
    let err = load(&file[..], |k| {
        seen += 1;
        if k.db == 1 {
            Err("no database 1 here".into())
        } else {
            Ok(())
        }
    })
    .unwrap_err();
    assert_eq!(seen, 3);
    assert_eq!(err.message, "no database 1 here");
    assert!(err.offset > 9);
}
