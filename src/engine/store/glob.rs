//! Redis glob-style pattern matching, for `KEYS`, `SCAN MATCH`, `PSUBSCRIBE` and `CONFIG GET`.
//!
//! Go original: none (go-redis had no `KEYS`). Explained in: book chapter 4.
//!
//! The rules are those of Redis's `stringmatchlen` (in `util.c`), quirks included: `*`, `?`,
//! `[abc]`, `[^abc]`, `[a-z]` (a reversed range `[z-a]` means the same), `\x` for a literal `x`
//! inside or outside brackets, an unclosed `[` that runs to the end of the pattern, and range
//! bounds compared as C's signed `char`, so `[a-\xff]` is really `[\xff-a]`.
//!
//! Redis matches recursively: every `*` recurses once per byte it might swallow. Patterns come
//! from clients, so we match iteratively instead. Every token but `*` consumes exactly one byte,
//! so when the rest of the pattern fails after a star, only the *last* star needs to swallow one
//! more byte (an earlier star swallowing more could only push the same rest further right). That
//! gives O(pattern × text) time in the worst case, constant stack, and the same answers; the unit
//! tests below check that against a port of the recursive original.

// ANCHOR: glob_match
/// True if `text` matches the Redis glob `pattern` (`*`, `?`, `[abc]`, `[^a]`, `[a-z]`, `\x`).
///
/// As in Redis, the empty text matches only the empty pattern (not even `*`): `KEYS *` and
/// `SCAN` without `MATCH` skip the matcher, so they still list the empty key.
pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    matches(pattern, text, false)
}
// ANCHOR_END: glob_match

/// Like [`glob_match`], ignoring ASCII case (`CONFIG GET`).
pub fn glob_match_nocase(pattern: &[u8], text: &[u8]) -> bool {
    matches(pattern, text, true)
}

// ANCHOR: matches
fn matches(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    if text.is_empty() {
        // Redis's loop runs only while both sides have bytes left, then asks for both to be used
        // up: an empty text is matched by the empty pattern alone.
        return pattern.is_empty();
    }
    let (mut p, mut s) = (0, 0);
    // Where to resume when the rest fails: just after the last star, and the text position
    // that star's match currently ends at.
    let mut star: Option<(usize, usize)> = None;
    while s < text.len() {
        if pattern.get(p) == Some(&b'*') {
            p += 1;
            star = Some((p, s));
            continue;
        }
        if p < pattern.len() {
            let (hit, next) = token(pattern, p, text[s], nocase);
            if hit {
                p = next;
                s += 1;
                continue;
            }
        }
        match star {
            // Let the last star swallow one more byte and try the rest again from there.
            Some((after_star, end)) => {
                p = after_star;
                s = end + 1;
                star = Some((after_star, end + 1));
            }
            None => return false,
        }
    }
    // The text is used up: only stars may remain.
    pattern[p..].iter().all(|&b| b == b'*')
}
// ANCHOR_END: matches

/// Matches byte `c` against the one-byte token that starts at `pattern[p]` (anything but `*`).
/// Returns whether it matched and where the next token starts; where a token ends never depends
/// on `c`, which is what makes the single backtrack point above enough.
fn token(pattern: &[u8], mut p: usize, c: u8, nocase: bool) -> (bool, usize) {
    let end = pattern.len();
    let eq = |a: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&c)
        } else {
            a == c
        }
    };
    match pattern[p] {
        b'?' => (true, p + 1),
        b'\\' if end - p >= 2 => (eq(pattern[p + 1]), p + 2),
        b'[' => {
            p += 1;
            let negate = pattern.get(p) == Some(&b'^');
            if negate {
                p += 1;
            }
            let mut hit = false;
            loop {
                if p >= end {
                    // An unclosed class runs to the end of the pattern, as in Redis.
                    return (hit != negate, end);
                }
                if pattern[p] == b'\\' && end - p >= 2 {
                    p += 1;
                    hit |= eq(pattern[p]);
                } else if pattern[p] == b']' {
                    return (hit != negate, p + 1);
                } else if end - p >= 3 && pattern[p + 1] == b'-' {
                    hit |= in_range(pattern[p], pattern[p + 2], c, nocase);
                    p += 2;
                } else {
                    hit |= eq(pattern[p]);
                }
                p += 1;
            }
        }
        literal => (eq(literal), p + 1),
    }
}

/// `c` in the range `a-b` (either order). Redis compares the bounds as C `char`, which is signed
/// on the machines it runs on, so bytes from 0x80 sort below `\0`; we keep that, so a pattern
/// selects the same keys here as there.
fn in_range(a: u8, b: u8, c: u8, nocase: bool) -> bool {
    let fold = |x: u8| if nocase { x.to_ascii_lowercase() } else { x };
    let (a, b, c) = (fold(a) as i8, fold(b) as i8, fold(c) as i8);
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    (lo..=hi).contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn m(p: &str, t: &str) -> bool {
        glob_match(p.as_bytes(), t.as_bytes())
    }

    #[test]
    fn stars_and_questions() {
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h*llo", "hllo"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("*a*b*", "xxbxxaxx"));
        assert!(m("a**", "a"));
        assert!(!m("a", "ab"));
        assert!(!m("ab", "a"));
    }

    #[test]
    fn empty_text_matches_only_the_empty_pattern() {
        assert!(m("", ""));
        assert!(!m("*", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn classes_ranges_and_negation() {
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(
            m("h[z-a]llo", "hqllo"),
            "a reversed range is the same range"
        );
        assert!(!m("h[a-c]llo", "hdllo"));
        // `[a-]` takes the `]` as the end of the range `]`..`a`, and the class never closes.
        assert!(m("[a-]", "]"));
        assert!(!m("[a-]", "b"));
        // An unclosed class runs to the end of the pattern.
        assert!(m("[ab", "b"));
        assert!(!m("[", "x"));
    }

    #[test]
    fn backslash_escapes() {
        assert!(m(r"\*", "*"));
        assert!(!m(r"\*", "a"));
        assert!(m(r"a\?", "a?"));
        assert!(m(r"[\]]", "]"));
        assert!(m(r"[\-]", "-"));
        // A trailing backslash is a literal backslash, inside a class or out.
        assert!(m(r"b\", r"b\"));
        assert!(m(r"b[\", r"b\"));
    }

    #[test]
    fn binary_bytes_and_signed_ranges() {
        assert!(glob_match(b"a\0*", b"a\0\r\n"));
        // Bounds compare as signed chars: 0xc3 is below 'a', so it is not in [a-\xff].
        assert!(!glob_match(b"[a-\xff]", b"\xc3"));
        assert!(glob_match(b"[\x80-\xff]", b"\xc3"));
    }

    #[test]
    fn nocase() {
        assert!(glob_match_nocase(b"MAX*", b"maxclients"));
        assert!(glob_match_nocase(b"[A-C]x", b"bX"));
        assert!(!glob_match(b"MAX*", b"maxclients"));
    }

    #[test]
    fn adversarial_patterns_stay_fast() {
        let text = vec![b'a'; 10_000];
        let mut pattern = b"*a".repeat(50);
        pattern.extend_from_slice(b"b");
        // The naive recursive matcher would not finish this before the age of the universe.
        assert!(!glob_match(&pattern, &text));
        let deep = b"*".repeat(100_000);
        assert!(
            glob_match(&deep, &text),
            "no recursion: a long run of stars cannot blow the stack"
        );
    }

    /// A direct port of Redis 7's recursive `stringmatchlen`, the reference for the fuzz test.
    fn redis_match(p: &[u8], s: &[u8], skip: &mut bool) -> bool {
        let (mut p, mut s) = (p, s);
        while !p.is_empty() && !s.is_empty() {
            match p[0] {
                b'*' => {
                    while p.len() > 1 && p[1] == b'*' {
                        p = &p[1..];
                    }
                    if p.len() == 1 {
                        return true;
                    }
                    while !s.is_empty() {
                        if redis_match(&p[1..], s, skip) {
                            return true;
                        }
                        if *skip {
                            return false;
                        }
                        s = &s[1..];
                    }
                    *skip = true;
                    return false;
                }
                b'?' => s = &s[1..],
                b'[' => {
                    let mut i = 1;
                    let not = p.get(i) == Some(&b'^');
                    if not {
                        i += 1;
                    }
                    let mut hit = false;
                    loop {
                        if i < p.len() && p[i] == b'\\' && p.len() - i >= 2 {
                            i += 1;
                            hit |= p[i] == s[0];
                        } else if i < p.len() && p[i] == b']' {
                            break;
                        } else if i >= p.len() {
                            i -= 1;
                            break;
                        } else if p.len() - i >= 3 && p[i + 1] == b'-' {
                            let (mut a, mut b) = (p[i] as i8, p[i + 2] as i8);
                            if a > b {
                                std::mem::swap(&mut a, &mut b);
                            }
                            let c = s[0] as i8;
                            i += 2;
                            hit |= c >= a && c <= b;
                        } else {
                            hit |= p[i] == s[0];
                        }
                        i += 1;
                    }
                    if not {
                        hit = !hit;
                    }
                    if !hit {
                        return false;
                    }
                    s = &s[1..];
                    p = &p[i..];
                }
                _ => {
                    if p[0] == b'\\' && p.len() >= 2 {
                        p = &p[1..];
                    }
                    if p[0] != s[0] {
                        return false;
                    }
                    s = &s[1..];
                }
            }
            p = &p[1..];
            if s.is_empty() {
                while p.first() == Some(&b'*') {
                    p = &p[1..];
                }
                break;
            }
        }
        p.is_empty() && s.is_empty()
    }

    #[test]
    fn agrees_with_the_recursive_original_on_random_input() {
        let mut rng = rand::rng();
        let pattern_bytes = b"ab*?[]^-\\\xc3";
        let text_bytes = b"ab]-^\\*\xc3";
        for _ in 0..50_000 {
            let p: Vec<u8> = (0..rng.random_range(0..8))
                .map(|_| pattern_bytes[rng.random_range(0..pattern_bytes.len())])
                .collect();
            let t: Vec<u8> = (0..rng.random_range(0..7))
                .map(|_| text_bytes[rng.random_range(0..text_bytes.len())])
                .collect();
            assert_eq!(
                glob_match(&p, &t),
                redis_match(&p, &t, &mut false),
                "pattern {:?} text {:?}",
                String::from_utf8_lossy(&p),
                String::from_utf8_lossy(&t)
            );
        }
    }
}
