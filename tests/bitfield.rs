//! `BITFIELD` and `BITFIELD_RO`: Redis 7.0's replies byte for byte (error texts and
//! the nil of a write refused by `OVERFLOW FAIL` included), what they log for the AOF and
//! replicas, and a differential test against a real `redis-server`: random sequences sent to
//! both, every reply and the final strings compared byte for byte, and then our AOF replayed.
//!
//! Explained in: book "Bitmaps and bitfields". Without `redis-server` the differential test
//! passes with a note, unless `CI` is set: there a skipped comparison would prove nothing.
//!
//! These tests use no `SETBIT`, `GETBIT`, `BITCOUNT` or `BITOP`, and `BITPOS` only where the
//! server has it: those are classroom exercises that a student takes out of the server, and this
//! file must pass while they are out. (`BITPOS`'s own tests are the exercise's, ex13.)

mod common;

use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_redis::config::FsyncPolicy;
use rust_redis::server::Config;

const BAD_TYPE: &str = "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n";
const BAD_OFFSET: &str = "-ERR bit offset is not an integer or out of range\r\n";

/// An array of integer replies, as text; `None` is a nil.
fn ints(items: &[Option<i64>]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    for item in items {
        out.push_str(&item.map_or(NIL.to_string(), int));
    }
    out
}

#[test]
fn set_get_and_incrby_answer_like_redis() {
    let s = start();
    let mut c = s.client();
    c.assert(
        &["BITFIELD", "b", "SET", "i8", "0", "-100"],
        &ints(&[Some(0)]),
    );
    c.assert(
        &["BITFIELD", "b", "SET", "i8", "0", "101", "GET", "u8", "0"],
        &ints(&[Some(-100), Some(101)]),
    );
    // u5 = 23 at offset 7 straddles two bytes: 0000000|1 0111|0000.
    c.assert(&["DEL", "b"], ":1\r\n");
    c.assert(
        &["BITFIELD", "b", "SET", "u5", "7", "23"],
        &ints(&[Some(0)]),
    );
    c.assert(&["GET", "b"], "$2\r\n\x01\x70\r\n");
    // `#N` counts fields of the type's width.
    c.assert(
        &[
            "BITFIELD", "b", "SET", "u8", "#0", "65", "SET", "u8", "#1", "66",
        ],
        &ints(&[Some(1), Some(112)]),
    );
    c.assert(&["GET", "b"], &bulk("AB"));
    // INCRBY answers the new value; the rule applies to the operations after it.
    c.assert(
        &[
            "BITFIELD", "b", "INCRBY", "u8", "#0", "200", "OVERFLOW", "SAT", "INCRBY", "u8", "#0",
            "200",
        ],
        &ints(&[Some(9), Some(209)]),
    );
    c.assert(
        &[
            "BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", "#0", "100", "OVERFLOW", "WRAP",
            "INCRBY", "u8", "#0", "100",
        ],
        &ints(&[None, Some(53)]),
    );
    c.assert(
        &[
            "BITFIELD", "b", "OVERFLOW", "SAT", "INCRBY", "i8", "#0", "-1000",
        ],
        &ints(&[Some(-128)]),
    );
    // 0x80 0x42 as an i64 (the string grows to 8 bytes), plus i64::MAX, is 0x0041ff...ff.
    c.assert(
        &["BITFIELD", "b", "INCRBY", "i64", "0", "9223372036854775807"],
        &ints(&[Some(0x0041_ffff_ffff_ffff)]),
    );
    // Redis's readings of out-of-range SET values: -1 is 2^64-1 to an unsigned field.
    c.assert(
        &[
            "BITFIELD", "b", "OVERFLOW", "SAT", "SET", "u8", "0", "-1", "GET", "u8", "0",
        ],
        &ints(&[Some(0), Some(255)]),
    );
    c.assert(
        &[
            "BITFIELD",
            "b",
            "OVERFLOW",
            "SAT",
            "SET",
            "i8",
            "0",
            "-9223372036854775808",
            "GET",
            "i8",
            "0",
        ],
        &ints(&[Some(-1), Some(127)]),
    );
    // Fields read past the end are zeros, from missing keys too.
    c.assert(&["BITFIELD", "b", "GET", "i64", "100"], &ints(&[Some(0)]));
    c.assert(
        &["BITFIELD_RO", "nokey", "GET", "u63", "#3"],
        &ints(&[Some(0)]),
    );
    c.assert(&["BITFIELD", "b"], "*0\r\n");
    c.assert(
        &["BITFIELD_RO", "b", "GET", "u8", "#1"],
        &ints(&[Some(0x41)]),
    );
    // A string holding an integer is still a string of digits.
    c.assert(&["SET", "n", "1"], OK);
    c.assert(
        &["BITFIELD", "n", "GET", "u8", "0", "GET", "u1", "0"],
        &ints(&[Some(49), Some(0)]),
    );
}

#[test]
fn every_error_text_is_redis_s() {
    let s = start();
    let mut c = s.client();
    make_list(&s, "list");
    for (args, reply) in [
        (
            &["BITFIELD"][..],
            "-ERR wrong number of arguments for 'bitfield' command\r\n",
        ),
        (&["BITFIELD", "k", "GET", "u8"], SYNTAX),
        (&["BITFIELD", "k", "FOO"], SYNTAX),
        (&["BITFIELD", "k", "OVERFLOW"], SYNTAX),
        (&["BITFIELD", "k", "SET", "u8", "0"], SYNTAX),
        (
            &["BITFIELD", "k", "OVERFLOW", "FOO", "GET", "u8", "0"],
            "-ERR Invalid OVERFLOW type specified\r\n",
        ),
        (&["BITFIELD", "k", "GET", "u64", "0"], BAD_TYPE),
        (&["BITFIELD", "k", "GET", "i65", "0"], BAD_TYPE),
        (&["BITFIELD", "k", "GET", "u0", "0"], BAD_TYPE),
        (&["BITFIELD", "k", "GET", "U8", "0"], BAD_TYPE),
        (&["BITFIELD", "k", "GET", "u08", "0"], BAD_TYPE),
        (&["BITFIELD", "k", "GET", "u8", "-1"], BAD_OFFSET),
        (&["BITFIELD", "k", "GET", "u8", "#-1"], BAD_OFFSET),
        (&["BITFIELD", "k", "GET", "u8", "4294967296"], BAD_OFFSET),
        (&["BITFIELD", "k", "GET", "u8", "#536870912"], BAD_OFFSET),
        (&["BITFIELD", "k", "SET", "u8", "0", "x"], NOT_INT),
        (&["BITFIELD", "k", "INCRBY", "u8", "0", "1.5"], NOT_INT),
        // The first bad word wins, before the key is looked at.
        (
            &["BITFIELD", "list", "GET", "x8", "0", "SET", "u8", "0", "x"],
            BAD_TYPE,
        ),
        (&["BITFIELD", "list", "GET", "u8", "0"], WRONGTYPE),
        (&["BITFIELD", "list"], WRONGTYPE),
        (
            &["BITFIELD_RO", "k", "SET", "u8", "0", "1"],
            "-ERR BITFIELD_RO only supports the GET subcommand\r\n",
        ),
        (
            &["BITFIELD_RO", "list", "INCRBY", "u8", "0", "1"],
            "-ERR BITFIELD_RO only supports the GET subcommand\r\n",
        ),
        (
            &["BITFIELD_RO", "k", "GET", "u8", "0", "SET", "x", "0", "1"],
            BAD_TYPE,
        ),
        (&["BITFIELD_RO", "list", "GET", "u8", "0"], WRONGTYPE),
    ] {
        c.assert(args, reply);
    }
    c.assert(&["EXISTS", "k"], ":0\r\n");
}

fn aof_on(c: &mut Config) {
    c.appendonly = true;
    c.appendfsync = FsyncPolicy::Always;
}

/// AOF on, written by the OS when it likes: the differential test sends many writes, and a
/// clean stop writes everything out anyway.
fn aof_lazy(c: &mut Config) {
    c.appendonly = true;
    c.appendfsync = FsyncPolicy::No;
}

fn aof_text(dir: &TempDir) -> String {
    String::from_utf8_lossy(&std::fs::read(dir.0.join("appendonly.aof")).unwrap_or_default())
        .into_owned()
}

#[test]
fn the_log_holds_each_changed_field_and_nothing_else() {
    let s = start_with(aof_on);
    let mut c = s.client();
    c.assert(
        &["BITFIELD", "k", "INCRBY", "u8", "#0", "5"],
        &ints(&[Some(5)]),
    );
    let after_first = aof_text(&s.dir);
    assert!(
        after_first.ends_with(
            "*6\r\n$8\r\nBITFIELD\r\n$1\r\nk\r\n$3\r\nSET\r\n$2\r\nu8\r\n$1\r\n0\r\n$1\r\n5\r\n"
        ),
        "{after_first:?}"
    );
    // GETs, a SET to the value already there and a failed INCRBY change nothing: no record.
    c.assert(&["BITFIELD", "k", "GET", "u8", "0"], &ints(&[Some(5)]));
    c.assert(&["BITFIELD", "k", "SET", "u8", "0", "5"], &ints(&[Some(5)]));
    c.assert(
        &[
            "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "251",
        ],
        &ints(&[None]),
    );
    assert_eq!(aof_text(&s.dir), after_first);
    // A write that fails still grows the string, as in Redis, and that is logged: the growth
    // rides on the record of the write that succeeded.
    c.assert(
        &[
            "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1", "SET", "u2", "100", "9",
        ],
        &ints(&[Some(6), None]),
    );
    c.assert(&["STRLEN", "k"], &int(13));
    let grown = aof_text(&s.dir);
    assert!(
        grown.ends_with(
            "$3\r\nSET\r\n$2\r\nu1\r\n$3\r\n103\r\n$1\r\n0\r\n$3\r\nSET\r\n$2\r\nu8\r\n$1\r\n0\r\n$1\r\n6\r\n"
        )
    );
    // A new key made only by a failed write exists, empty of bits, and survives a restart.
    c.assert(
        &["BITFIELD", "z", "OVERFLOW", "FAIL", "SET", "u2", "20", "4"],
        &ints(&[None]),
    );
    c.assert(&["GET", "z"], "$3\r\n\0\0\0\r\n");
    let dir = s.stop();
    let s = start_in(dir, aof_on);
    let mut c = s.client();
    c.assert(&["GET", "z"], "$3\r\n\0\0\0\r\n");
    c.assert(&["GET", "k"], "$13\r\n\x06\0\0\0\0\0\0\0\0\0\0\0\0\r\n");
}

#[test]
fn changes_count_like_redis_dirty_counter() {
    let s = start();
    let mut c = s.client();
    let dirty = |c: &mut Client| {
        let info = String::from_utf8(c.cmd(&["INFO", "persistence"])).unwrap();
        let line = info
            .lines()
            .find(|l| l.starts_with("rdb_changes_since_last_save:"))
            .unwrap();
        line.split(':').nth(1).unwrap().parse::<i64>().unwrap()
    };
    let d0 = dirty(&mut c);
    c.cmd(&["BITFIELD", "k", "SET", "i5", "0", "0"]); // new key: a change
    c.cmd(&["BITFIELD", "k", "SET", "i5", "0", "0"]); // the same value: none
    c.cmd(&[
        "BITFIELD", "k", "SET", "i5", "0", "1", "INCRBY", "u3", "5", "1", "GET", "u8", "0",
    ]); // two
    c.cmd(&["BITFIELD", "k", "SET", "i5", "90", "0"]); // grows the string only: one
    assert_eq!(dirty(&mut c), d0 + 4);
}

/// A field type, mostly valid, now and then not.
fn random_type(rng: &mut StdRng) -> String {
    match rng.random_range(0..40) {
        0 => ["u64", "i65", "u0", "x8", "i", "U8"][rng.random_range(0..6)].to_string(),
        1..=20 => format!("i{}", rng.random_range(1..=64)),
        _ => format!("u{}", rng.random_range(1..=63)),
    }
}

/// An offset near the start of the string, as a bit number or `#N`, now and then out of range.
fn random_offset(rng: &mut StdRng) -> String {
    match rng.random_range(0..30) {
        0 => ["-1", "#-2", "4294967296", "abc", "#4294967296"][rng.random_range(0..5)].to_string(),
        1..=8 => format!("#{}", rng.random_range(0..6)),
        _ => rng.random_range(0..160).to_string(),
    }
}

/// A value: small, near a power of two, or anything a 64-bit integer holds.
fn random_value(rng: &mut StdRng) -> String {
    match rng.random_range(0..10) {
        0 => rng.random::<i64>().to_string(),
        1 => ["9223372036854775807", "-9223372036854775808", "x", "1.5"][rng.random_range(0..4)]
            .to_string(),
        2..=5 => {
            let p = 1i128 << rng.random_range(0..64);
            let v = if rng.random_bool(0.5) { -p } else { p } + rng.random_range(-2..=2);
            v.clamp(i64::MIN as i128, i64::MAX as i128).to_string()
        }
        _ => rng.random_range(-300..300).to_string(),
    }
}

/// One random command among BITFIELD, BITFIELD_RO, BITPOS (if `bitpos`) and the writes that
/// make strings.
fn random_command(rng: &mut StdRng, bitpos: bool) -> Vec<String> {
    let key = ["k0", "k1", "k2", "list"][rng.random_range(0..4)].to_string();
    let mut cmd = Vec::new();
    // `BITPOS` is a classroom exercise: while a student has it out, its share goes to BITFIELD.
    let roll = match rng.random_range(0..20) {
        r @ 11..=16 if !bitpos => r - 11,
        r => r,
    };
    match roll {
        0..=10 => {
            cmd.push(
                if rng.random_range(0..8) == 0 {
                    "BITFIELD_RO"
                } else {
                    "BITFIELD"
                }
                .to_string(),
            );
            cmd.push(key);
            for _ in 0..rng.random_range(0..5) {
                match rng.random_range(0..10) {
                    0 => {
                        cmd.push("OVERFLOW".into());
                        cmd.push(
                            ["WRAP", "sat", "FAIL", "fail", "nope"][rng.random_range(0..5)].into(),
                        );
                    }
                    1..=3 => cmd.extend(["GET".into(), random_type(rng), random_offset(rng)]),
                    4..=6 => cmd.extend([
                        "SET".into(),
                        random_type(rng),
                        random_offset(rng),
                        random_value(rng),
                    ]),
                    _ => cmd.extend([
                        "INCRBY".into(),
                        random_type(rng),
                        random_offset(rng),
                        random_value(rng),
                    ]),
                }
            }
            // Now and then a word short.
            if rng.random_range(0..25) == 0 {
                cmd.pop();
            }
        }
        11..=16 => {
            cmd.extend([
                "BITPOS".into(),
                key,
                ["0", "1", "1", "0", "2"][rng.random_range(0..5)].into(),
            ]);
            let words = rng.random_range(0..4);
            let index = |rng: &mut StdRng| rng.random_range(-30..30).to_string();
            if words >= 1 {
                cmd.push(index(rng));
            }
            if words >= 2 {
                cmd.push(index(rng));
            }
            if words >= 3 {
                cmd.push(["BIT", "byte", "bit", "BYTE", "word"][rng.random_range(0..5)].into());
            }
        }
        17 => {
            let len = rng.random_range(0..12);
            let bytes = [0u8, 0xff, 0x80, 0x01, 0x55];
            let value: String = (0..len)
                .map(|_| bytes[rng.random_range(0..5)] as char)
                .collect();
            cmd.extend(["SET".into(), key, value]);
        }
        18 => cmd.extend(["DEL".into(), key]),
        _ => cmd.extend(["GET".into(), key]),
    }
    cmd
}

/// Bytes of a command's words: the random strings use only chars below 256, one byte each.
fn words_bytes(cmd: &[String]) -> Vec<Vec<u8>> {
    cmd.iter()
        .map(|w| w.chars().map(|ch| ch as u32 as u8).collect())
        .collect()
}

#[test]
fn random_sequences_answer_exactly_as_real_redis_and_replay_exactly() {
    let Some(redis) = RealRedis::start("the comparison with real Redis") else {
        return;
    };
    let ours = start_with(aof_lazy);
    let mut a = ours.client();
    let mut b = Client::connect(redis.addr);
    let seed = rand::random::<u64>();
    eprintln!("seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    for c in [&mut a, &mut b] {
        c.assert(&["RPUSH", "list", "x"], ":1\r\n");
    }
    let bitpos = knows(&mut a, "bitpos");
    for i in 0..3000 {
        let cmd = random_command(&mut rng, bitpos);
        let words = words_bytes(&cmd);
        let args: Vec<&[u8]> = words.iter().map(|w| w.as_slice()).collect();
        let (mine, theirs) = (a.cmd_bytes(&args), b.cmd_bytes(&args));
        assert_eq!(
            String::from_utf8_lossy(&mine),
            String::from_utf8_lossy(&theirs),
            "seed {seed}, command {i}: {cmd:?} (left ours, right Redis)"
        );
    }
    let finals = |c: &mut Client| -> Vec<Vec<u8>> {
        ["k0", "k1", "k2"]
            .iter()
            .map(|k| c.cmd(&["GET", k]))
            .collect()
    };
    let expected = finals(&mut b);
    assert_eq!(finals(&mut a), expected, "seed {seed}: final strings");
    // What we logged replays to the very same strings.
    let dir = ours.stop();
    let ours = start_in(dir, aof_lazy);
    assert_eq!(
        finals(&mut ours.client()),
        expected,
        "seed {seed}: after replaying the AOF"
    );
}
