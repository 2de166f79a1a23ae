//! Command handlers, one module per family, each registering its own commands.
//!
//! Go original: `internal/commands/handlers`. Explained in: book chapters 3–8.

pub mod bitfield;
pub mod client;
pub mod connection;
pub mod databases;
pub mod geo;
pub mod hashes;
pub mod hyperloglog;
pub mod keys;
pub mod lists;
pub mod persistence;
pub mod pubsub;
pub mod scan;
pub mod server;
pub mod sets;
pub mod streams;
pub mod strings;
pub mod transactions;
pub mod zsets;

// The classroom exercises (book chapter "Exercises"): one module each, and one `register`
// call in `register_all`, each line below the comment that names its exercise.
// `tests/exercises/start.sh exNN` takes that exercise's two lines and its file out. The comments
// are what keeps the exercises apart: no exercise's line is another one's context in
// `book/solutions/`, so each can be taken out and put back whatever the others are doing.
// ex01: OBJECT
pub mod object;
// ex02: SETBIT, GETBIT
pub mod bits;
// ex03: BITCOUNT
pub mod bitcount;
// ex04: BITOP
pub mod bitop;
// ex05: LCS
pub mod lcs;
// ex06: DUMP, RESTORE
pub mod dump;
// ex07: ZRANGESTORE
pub mod zrangestore;
// ex08: ZDIFF, ZDIFFSTORE
pub mod zdiff;
// ex09: SORT, SORT_RO
pub mod sort;
// ex10: ZMPOP, BZMPOP
pub mod zmpop;
// ex11: WAIT
pub mod wait;
// ex12: ROLE
pub mod role;
// ex13: BITPOS
pub mod bitpos;
// ex14: GEODIST, GEOHASH
pub mod geodist;
// ex15: PFMERGE
pub mod pfmerge;
// ex16: XSETID
pub mod xsetid;
// ex17: AUTH
pub mod auth;
// ex18: RESET
pub mod reset;
// (end of the exercises)

use super::Registry;

/// Registers every command of every family.
pub fn register_all(r: &mut Registry) {
    crate::commands::scripting::commands::register(r);
    bitfield::register(r);
    connection::register(r);
    client::register(r);
    databases::register(r);
    strings::register(r);
    keys::register(r);
    lists::register(r);
    sets::register(r);
    hashes::register(r);
    hyperloglog::register(r);
    zsets::register(r);
    geo::register(r);
    streams::register(r);
    transactions::register(r);
    pubsub::register(r);
    server::register(r);
    persistence::register(r);
    // The classroom exercises, one call each (see the module list above).
    // ex01
    object::register(r);
    // ex02
    bits::register(r);
    // ex03
    bitcount::register(r);
    // ex04
    bitop::register(r);
    // ex05
    lcs::register(r);
    // ex06
    dump::register(r);
    // ex07
    zrangestore::register(r);
    // ex08
    zdiff::register(r);
    // ex09
    sort::register(r);
    // ex10
    zmpop::register(r);
    // ex11
    wait::register(r);
    // ex12
    role::register(r);
    // ex13
    bitpos::register(r);
    // ex14
    geodist::register(r);
    // ex15
    pfmerge::register(r);
    // ex16
    xsetid::register(r);
    // ex17
    auth::register(r);
    // ex18
    reset::register(r);
    // (end of the exercises)
}

/// Parses a whole argument as a signed 64-bit integer, as Redis's `string2ll` does: no spaces,
/// no `+`, no leading zeros except `0` itself.
pub fn parse_i64(arg: &[u8]) -> Option<i64> {
    if arg.is_empty() || arg.len() > 20 {
        return None;
    }
    let (neg, digits) = match arg[0] {
        b'-' => (true, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() || (digits[0] == b'0' && digits.len() > 1) || (neg && digits == b"0") {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        let d = (d - b'0') as i64;
        v = if neg {
            v.checked_mul(10)?.checked_sub(d)?
        } else {
            v.checked_mul(10)?.checked_add(d)?
        };
    }
    Some(v)
}

// ANCHOR: parse_f64
/// Parses a whole argument as a double, as Redis's `string2ld` does: no spaces around it,
/// `inf` and `-inf` allowed, `nan` refused, and a finite literal too big for a double (`1e400`)
/// refused rather than turned into infinity. (C's `strtold` also reads hexadecimal floats such
/// as `0x1p4`; we do not.)
pub fn parse_f64(arg: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(arg).ok()?;
    // Rust's parser already refuses surrounding spaces, as Redis does.
    let v: f64 = text.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    if v.is_infinite() {
        let digits = text.trim_start_matches(['+', '-']);
        if !digits
            .get(..3)
            .is_some_and(|s| s.eq_ignore_ascii_case("inf"))
        {
            return None;
        }
    }
    Some(v)
}
// ANCHOR_END: parse_f64

// ANCHOR: strtod
/// Reads a whole argument as C's `strtod` does where Redis calls it directly (score ranges,
/// `SORT`): leading white space skipped, decimal or hexadecimal (`0x1p4`) notation, `inf` and
/// `infinity`, and the empty string read as 0. The text stops at a NUL byte, as a C string does;
/// anything else left over refuses the argument, and so does NaN, which every such caller in
/// Redis refuses. Returns the value and whether C would set `ERANGE` (a finite literal too large
/// for a double, or a non-zero one too small).
pub fn strtod(arg: &[u8]) -> Option<(f64, bool)> {
    let s = arg.split(|&b| b == 0).next().unwrap_or_default();
    if s.is_empty() {
        return Some((0.0, false));
    }
    let mut i = s
        .iter()
        .take_while(|b| b" \t\n\x0b\x0c\r".contains(b))
        .count();
    let negative = s.get(i) == Some(&b'-');
    i += matches!(s.get(i), Some(b'+' | b'-')) as usize;
    let rest = &s[i..];
    let starts = |word: &str| {
        rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word.as_bytes())
    };
    let (magnitude, used, nonzero) = if starts("infinity") {
        (f64::INFINITY, 8, false)
    } else if starts("inf") {
        (f64::INFINITY, 3, false)
    } else if (starts("0x") || starts("0X"))
        && rest
            .get(2)
            .is_some_and(|b| b.is_ascii_hexdigit() || *b == b'.')
    {
        hex_float(&rest[2..]).map(|(v, n, nz)| (v, n + 2, nz))?
    } else {
        decimal_float(rest)?
    };
    if i + used != s.len() {
        return None;
    }
    let value = if negative { -magnitude } else { magnitude };
    let erange =
        (value.is_infinite() && !starts("inf")) || (nonzero && value.abs() < f64::MIN_POSITIVE);
    Some((value, erange))
}

/// The decimal number at the start of `s`: its value, how many bytes it took, and whether any
/// digit was non-zero. `None` if there is no digit.
fn decimal_float(s: &[u8]) -> Option<(f64, usize, bool)> {
    let digits = |from: usize| s[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let int = digits(0);
    let mut end = int;
    let mut frac = 0;
    if s.get(end) == Some(&b'.') {
        frac = digits(end + 1);
        end += 1 + frac;
    }
    if int + frac == 0 {
        return None;
    }
    let nonzero = s[..end].iter().any(|b| (b'1'..=b'9').contains(b));
    // An exponent counts only with at least one digit: `1e` is `1` followed by garbage.
    if matches!(s.get(end), Some(b'e' | b'E')) {
        let sign = matches!(s.get(end + 1), Some(b'+' | b'-')) as usize;
        let exp = digits(end + 1 + sign);
        if exp > 0 {
            end += 1 + sign + exp;
        }
    }
    let text = std::str::from_utf8(&s[..end]).ok()?;
    Some((text.parse().ok()?, end, nonzero))
}

/// The hexadecimal number after a `0x`: digits, an optional fraction, an optional binary
/// exponent (`p` and decimal digits). Returns what [`decimal_float`] returns.
fn hex_float(s: &[u8]) -> Option<(f64, usize, bool)> {
    let (mut mantissa, mut scale, mut end, mut any, mut point) = (0u64, 0i64, 0, false, false);
    while let Some(&b) = s.get(end) {
        if b == b'.' && !point {
            point = true;
        } else if let Some(d) = (b as char).to_digit(16) {
            any = true;
            // Past 60 bits the digits only round; count them in the exponent instead.
            if mantissa >> 60 == 0 {
                mantissa = mantissa * 16 + d as u64;
                scale -= 4 * point as i64;
            } else {
                scale += 4 * !point as i64;
            }
        } else {
            break;
        }
        end += 1;
    }
    if !any {
        return None;
    }
    if matches!(s.get(end), Some(b'p' | b'P')) {
        let sign = matches!(s.get(end + 1), Some(b'+' | b'-')) as usize;
        let digits = s[end + 1 + sign..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits > 0 {
            let text = std::str::from_utf8(&s[end + 1 + sign..end + 1 + sign + digits]).ok()?;
            let exp = text.parse::<i64>().unwrap_or(i64::MAX / 2).min(100_000);
            scale += if s[end + 1] == b'-' { -exp } else { exp };
            end += 1 + sign + digits;
        }
    }
    let value = mantissa as f64 * 2f64.powi(scale.clamp(-100_000, 100_000) as i32);
    Some((value, end, mantissa != 0))
}
// ANCHOR_END: strtod

// ANCHOR: format_incr_float
/// Formats the result of `INCRBYFLOAT` (and `HINCRBYFLOAT`) as Redis 7.0 stores it: plain
/// decimal notation, never an exponent (`3.0e3` + 0 is `3000`), no trailing zeros, `0` not `-0`.
///
/// Redis adds in C's 80-bit `long double` and prints 17 decimals, so the binary rounding error
/// of an `f64` sum stays invisible there: `0.1 + 0.2` answers `0.3`, not `0.30000000000000004`.
/// We add in `f64` (std has no wider float) and hide that error the same way: when the number
/// rounded to 15 significant digits lies within two units in the last place of the sum, we print
/// that shorter decimal; otherwise (a genuinely long value like `1234567890123457`) the shortest
/// text that reads back as the exact sum. Results agree with Redis to the digits an `f64` holds;
/// past 17 significant digits Redis prints the long double's extra digits and we print zeros.
pub fn format_incr_float(v: f64) -> String {
    let rounded: f64 = format!("{v:.14e}").parse().unwrap_or(v);
    let close = rounded.is_sign_negative() == v.is_sign_negative()
        && rounded.to_bits().abs_diff(v.to_bits()) <= 2;
    let text = format!("{}", if close { rounded } else { v });
    if text == "-0" { "0".to_string() } else { text }
}
// ANCHOR_END: format_incr_float

#[cfg(test)]
mod tests {
    use super::{format_incr_float, parse_f64, parse_i64, strtod};

    #[test]
    fn integers_parse_like_redis() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"9223372036854775808",
            b"01",
            b"+1",
            b" 1",
            b"1.0",
            b"-",
            b"-0",
            b"abc",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn floats_parse_like_redis() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"5."), Some(5.0));
        assert_eq!(parse_f64(b"3.0e3"), Some(3000.0));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+Infinity"), Some(f64::INFINITY));
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"nan",
            b"1e400",
            b"abc",
            b"1,5",
            b"\xff",
        ] {
            assert_eq!(parse_f64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn strtod_reads_like_c() {
        let ok = strtod;
        assert_eq!(ok(b""), Some((0.0, false)));
        assert_eq!(ok(b" 1.5"), Some((1.5, false)));
        assert_eq!(ok(b"\t-2"), Some((-2.0, false)));
        assert_eq!(ok(b"+.5"), Some((0.5, false)));
        assert_eq!(ok(b"5."), Some((5.0, false)));
        assert_eq!(ok(b"1e3"), Some((1000.0, false)));
        assert_eq!(ok(b"0x10"), Some((16.0, false)));
        assert_eq!(ok(b"0x1p4"), Some((16.0, false)));
        assert_eq!(ok(b"0x.8"), Some((0.5, false)));
        assert_eq!(ok(b"-Infinity"), Some((f64::NEG_INFINITY, false)));
        assert_eq!(ok(b"inf"), Some((f64::INFINITY, false)));
        assert_eq!(ok(b"1e400"), Some((f64::INFINITY, true)));
        assert_eq!(ok(b"1e-400"), Some((0.0, true)));
        assert_eq!(ok(b"0e-400"), Some((0.0, false)));
        assert_eq!(ok(b"1\x00junk"), Some((1.0, false)));
        for bad in [
            &b" "[..],
            b"-",
            b"1 ",
            b"1e",
            b"0x",
            b"infin",
            b"abc",
            b"1,5",
            b"nan",
            b"-nan",
            b".",
        ] {
            assert_eq!(strtod(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn incr_float_results_print_like_redis_7_0() {
        assert_eq!(format_incr_float(10.5 + 0.1), "10.6");
        assert_eq!(format_incr_float(0.1 + 0.2), "0.3");
        assert_eq!(format_incr_float(10.5 + 3.0e3), "3010.5");
        assert_eq!(format_incr_float(1.5e-10), "0.00000000015");
        assert_eq!(format_incr_float(-0.0), "0");
        assert_eq!(format_incr_float(1234567890123457.0), "1234567890123457");
        assert_eq!(format_incr_float(1e20), "100000000000000000000");
        assert_eq!(format_incr_float(-2.5), "-2.5");
    }
}
