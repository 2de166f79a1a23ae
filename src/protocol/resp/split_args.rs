//! Redis's quoting rules for inline commands and config files (`sdssplitargs`).
//!
//! Go original: part of `internal/protocol/resp/reader.go`. Explained in: book chapter 2.
//!
//! Redis splits both an inline request (`PING`, `SET k "a b"` typed into telnet) and every line
//! of `redis.conf` with the one function `sdssplitargs` in `sds.c`; so do we, with
//! [`split_args()`], so that a quoted word means the same thing in both places.

use super::ProtocolError;

/// C's `isspace` in the "C" locale: what `sdssplitargs` skips between arguments.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

// ANCHOR: split_args
/// Splits an inline command line, or a config file line, into arguments with Redis's quoting
/// rules (`sdssplitargs`).
///
/// Arguments are separated by whitespace. In `"double quotes"`, `\n \r \t \b \a` are control
/// characters, `\xHH` is a byte, and a backslash before anything else stands for that thing
/// (`\"`, `\\`). In `'single quotes'`, only `\'` is special. A quote may start in the middle of
/// an argument (`a"b c"` is `ab c`), but a closing quote must be followed by whitespace or the end.
///
/// # Errors
/// [`ProtocolError::UnbalancedQuotes`] for an unterminated quote or a closing quote followed by
/// something other than whitespace.
pub fn split_args(line: &[u8]) -> Result<Vec<Vec<u8>>, ProtocolError> {
    // Redis parity: Redis scans the line as a C string, so a NUL byte ends it there
    // (and an inline request containing one is never answered). We treat NUL as an ordinary
    // byte: keys and values stay binary safe even inline.
    let mut args = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && is_space(line[i]) {
            i += 1;
        }
        if i == n {
            return Ok(args);
        }
        let mut arg = Vec::new();
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = line.get(i).copied();
            if in_double {
                match c {
                    None => return Err(ProtocolError::UnbalancedQuotes),
                    Some(b'\\') if line.get(i + 1) == Some(&b'x') => {
                        let hi = line.get(i + 2).copied().and_then(hex_value);
                        let lo = line.get(i + 3).copied().and_then(hex_value);
                        if let (Some(hi), Some(lo)) = (hi, lo) {
                            arg.push(hi * 16 + lo);
                            i += 4;
                        } else {
                            arg.push(b'x'); // `\x` without two hex digits is a plain `x`
                            i += 2;
                        }
                    }
                    Some(b'\\') if i + 1 < n => {
                        arg.push(match line[i + 1] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => b'\x08',
                            b'a' => b'\x07',
                            other => other,
                        });
                        i += 2;
                    }
                    Some(b'"') => {
                        if i + 1 < n && !is_space(line[i + 1]) {
                            return Err(ProtocolError::UnbalancedQuotes);
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        arg.push(other);
                        i += 1;
                    }
                }
            } else if in_single {
                match c {
                    None => return Err(ProtocolError::UnbalancedQuotes),
                    Some(b'\\') if line.get(i + 1) == Some(&b'\'') => {
                        arg.push(b'\'');
                        i += 2;
                    }
                    Some(b'\'') => {
                        if i + 1 < n && !is_space(line[i + 1]) {
                            return Err(ProtocolError::UnbalancedQuotes);
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        arg.push(other);
                        i += 1;
                    }
                }
            } else {
                match c {
                    // Only these four end an unquoted argument; a vertical tab or form feed is
                    // part of it (though skipped between arguments), exactly as in Redis.
                    None | Some(b' ' | b'\n' | b'\r' | b'\t') => break,
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(_) => {
                        // Copy the whole run of plain bytes at once rather than byte by byte.
                        let run = line[i..]
                            .iter()
                            .position(|&b| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'"' | b'\''))
                            .unwrap_or(n - i);
                        arg.extend_from_slice(&line[i..i + run]);
                        i += run;
                        continue;
                    }
                }
                i += 1;
            }
        }
        args.push(arg);
    }
}
// ANCHOR_END: split_args

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    type Args = Vec<Vec<u8>>;

    fn args(words: &[&[u8]]) -> Args {
        words.iter().map(|w| w.to_vec()).collect()
    }

    #[test]
    fn inline_quoting_follows_sdssplitargs() {
        let split = |s: &[u8]| split_args(s).unwrap();
        assert_eq!(split(b"ECHO \"a b\""), args(&[b"ECHO", b"a b"]));
        assert_eq!(
            split(br#"ECHO "a\x41\n\r\t\b\a\\\"\q""#),
            args(&[b"ECHO", b"aA\n\r\t\x08\x07\\\"q"])
        );
        assert_eq!(split(br"ECHO 'a\'b\n'"), args(&[b"ECHO", b"a'b\\n"]));
        assert_eq!(split(br#"ECHO a"b c""#), args(&[b"ECHO", b"ab c"]));
        assert_eq!(
            split(br#"ECHO "\x4" "\xZZ" "\xfF""#),
            args(&[b"ECHO", b"x4", b"xZZ", b"\xff"])
        );
        assert_eq!(split(b"ECHO \"\" ''"), args(&[b"ECHO", b"", b""]));
        // Vertical tab and form feed separate arguments only where blanks are skipped.
        assert_eq!(split(b"ECHO a\x0bb"), args(&[b"ECHO", b"a\x0bb"]));
        assert_eq!(split(b"\x0bECHO\x0ca"), args(&[b"ECHO\x0ca"]));
        assert_eq!(split(b"ECHO \"a\"\x0b"), args(&[b"ECHO", b"a"]));
        assert_eq!(split(b"ECHO a\rb\tc"), args(&[b"ECHO", b"a", b"b", b"c"]));
        assert_eq!(split(b"ECHO \"a\"\tb"), args(&[b"ECHO", b"a", b"b"]));
        assert_eq!(split(b"SET a\0b c"), args(&[b"SET", b"a\0b", b"c"]));
        assert_eq!(split(b"   "), Args::new());
        assert_eq!(split(b""), Args::new());
    }

    // One test per rule of `sdssplitargs` (Redis 7, `sds.c`). Each expected value is what the C
    // code gives, traced in the comment beside it.

    #[track_caller]
    fn unbalanced(line: &[u8]) {
        assert!(
            matches!(split_args(line), Err(ProtocolError::UnbalancedQuotes)),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }

    #[test]
    fn blanks_separate_arguments() {
        // Between arguments the C code skips every `isspace` byte; an unquoted argument ends only
        // at one of ` \n\r\t`, so a vertical tab or form feed inside a word belongs to it.
        assert_eq!(split_args(b" a \t b\r\n").unwrap(), args(&[b"a", b"b"]));
        assert_eq!(split_args(b"a\x0cb \x0b").unwrap(), args(&[b"a\x0cb"]));
        assert_eq!(split_args(b" \t\r\n\x0b\x0c").unwrap(), Args::new());
    }

    #[test]
    fn a_quote_may_open_in_the_middle_of_a_word() {
        // `a"b c"`: the unquoted branch appends `a`, then on `"` sets `inq = 1` whatever the word
        // holds so far: quoting is not only for the start of a token. In quotes, `b`, ` ` and `c`
        // are appended; the closing `"` is followed by the end of the line, so the word is done.
        // One argument: `ab c` (not `a"b` and `c"`).
        assert_eq!(split_args(br#"a"b c""#).unwrap(), args(&[b"ab c"]));
        // The same for single quotes, and an empty quoted part adds nothing.
        assert_eq!(split_args(b"a'b c' d\"\"").unwrap(), args(&[b"ab c", b"d"]));
    }

    #[test]
    fn single_quotes_escape_only_the_quote() {
        // `'it\'s'`: in single quotes, `\` followed by `'` appends `'` and steps over both; the
        // last `'` closes, followed by the end. One argument: `it's`.
        assert_eq!(split_args(br"'it\'s'").unwrap(), args(&[b"it's"]));
        // Any other backslash is an ordinary byte: `'a\nb'` is `a`, `\`, `n`, `b`.
        assert_eq!(split_args(br"'a\nb'").unwrap(), args(&[br"a\nb"]));
        // A double quote inside single quotes is an ordinary byte too.
        assert_eq!(
            split_args(br#"'say "hi"'"#).unwrap(),
            args(&[br#"say "hi""#])
        );
    }

    #[test]
    fn double_quotes_take_hex_escapes() {
        // `"\xff"`: `\` then `x` then two hex digits (`is_hex_digit` both) make one byte, 0xff;
        // the closing `"` is followed by the end. One argument of the single byte 0xff.
        assert_eq!(split_args(br#""\xff""#).unwrap(), args(&[b"\xff"]));
        // Either case of hex digit; with fewer than two, `\x` is the other-escape rule: `x`.
        assert_eq!(
            split_args(br#""\x41\x6a\xfF""#).unwrap(),
            args(&[b"Aj\xff"])
        );
        assert_eq!(
            split_args(br#""\x4" "\xZZ""#).unwrap(),
            args(&[b"x4", b"xZZ"])
        );
    }

    #[test]
    fn double_quotes_take_control_escapes() {
        // `"\a"`: `\` followed by `a` is the `case 'a': c = '\a'` of the switch: one argument of
        // the single byte 7 (BEL). `\n \r \t \b` are the other four cases.
        assert_eq!(split_args(br#""\a""#).unwrap(), args(&[b"\x07"]));
        assert_eq!(
            split_args(br#""\n\r\t\b""#).unwrap(),
            args(&[b"\n\r\t\x08"])
        );
    }

    #[test]
    fn any_other_escaped_byte_in_double_quotes_is_itself() {
        // The switch's `default: c = *p`: `\q` is `q`, `\"` is `"`, `\\` is `\`, `\'` is `'`.
        assert_eq!(split_args(br#""\q\"\\\'""#).unwrap(), args(&[br#"q"\'"#]));
    }

    #[test]
    fn a_closing_quote_must_end_the_word() {
        // "closing quote must be followed by a space or nothing at all": `isspace` after it.
        unbalanced(br#""a"b"#);
        unbalanced(b"'a'b");
        unbalanced(br#"a"b"c"#);
        assert_eq!(
            split_args(b"\"a\"\x0bb 'c'\td").unwrap(),
            args(&[b"a", b"b", b"c", b"d"])
        );
    }

    #[test]
    fn an_unterminated_quote_is_an_error() {
        // Reaching the end of the line inside quotes is `goto err`. An escaped quote does not
        // close, and a backslash at the very end escapes nothing.
        for line in [
            &b"\"ab"[..],
            b"'ab",
            br#""a\""#,
            br"'a\'",
            br#""a\"#,
            b"'",
            br#""\x"#,
        ] {
            unbalanced(line);
        }
    }

    /// Quotes `arg` so that `split_args` gives it back, as `redis-cli` prints a bulk string.
    fn quote(arg: &[u8]) -> Vec<u8> {
        let mut out = b"\"".to_vec();
        for &b in arg {
            match b {
                b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                0x20..=0x7e => out.push(b),
                _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            }
        }
        out.push(b'"');
        out
    }

    #[test]
    fn quoted_arguments_round_trip() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..2000 {
            let argv: Args = (0..rng.random_range(1..5))
                .map(|_| {
                    (0..rng.random_range(0..12))
                        .map(|_| rng.random::<u8>())
                        .collect()
                })
                .collect();
            let mut line = Vec::new();
            for a in &argv {
                line.extend(quote(a));
                line.push(b' ');
            }
            assert_eq!(split_args(&line).unwrap(), argv);
        }
    }
}
