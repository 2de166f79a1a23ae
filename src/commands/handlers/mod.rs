//! Command handlers, one module per family, each registering its own commands.
//!
//! Go original: `internal/commands/handlers`. Explained in: book chapters 3–8.

pub mod connection;
pub mod hashes;
pub mod keys;
pub mod lists;
pub mod persistence;
pub mod pubsub;
pub mod server;
pub mod sets;
pub mod strings;
pub mod transactions;
pub mod zsets;

use super::Registry;

/// Registers every command of every family.
pub fn register_all(r: &mut Registry) {
    connection::register(r);
    strings::register(r);
    keys::register(r);
    lists::register(r);
    sets::register(r);
    hashes::register(r);
    zsets::register(r);
    transactions::register(r);
    pubsub::register(r);
    server::register(r);
    persistence::register(r);
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

#[cfg(test)]
mod tests {
    use super::parse_i64;

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
}
