//! Lua lexer: turns a script's bytes into tokens, each with the line it starts on.
//!
//! Go original: none. Explained in: book chapter "Scripts".
//!
//! The whole script is tokenized up front: scripts are small, and a vector of tokens lets the
//! parser look one token ahead without any buffering logic.

use std::sync::Arc;

/// One token of Lua source.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An identifier such as `redis` or `KEYS`.
    Name(Arc<str>),
    /// A string literal, escapes already decoded (bytes, not UTF-8).
    Str(Vec<u8>),
    /// A numeric literal.
    Num(f64),
    /// A reserved word (`and`, `while`, ...) or a symbol (`==`, `..`, `(`, ...).
    Sym(&'static str),
    /// End of the source.
    Eof,
}

const KEYWORDS: [&str; 21] = [
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "if", "in", "local",
    "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
];

// Longest symbols first, so `...` wins over `..` and `==` over `=`.
const SYMBOLS: [&str; 24] = [
    "...", "..", "==", "~=", "<=", ">=", "+", "-", "*", "/", "%", "^", "#", "<", ">", "=", "(",
    ")", "{", "}", "[", "]", ";", ":",
];

impl Tok {
    /// How Lua shows the token in "near '...'" messages.
    pub fn text(&self) -> String {
        match self {
            Tok::Name(n) => n.to_string(),
            Tok::Str(s) => String::from_utf8_lossy(s).into_owned(),
            Tok::Num(n) => super::value::fmt_num(*n),
            Tok::Sym(s) => s.to_string(),
            Tok::Eof => "<eof>".to_string(),
        }
    }
}

/// Splits `src` into tokens. `name` prefixes error messages as Lua does: `name:LINE: ...`.
///
/// # Errors
/// Lua 5.1's messages for malformed numbers, unfinished strings and long strings.
pub fn tokenize(src: &[u8], name: &str) -> Result<Vec<(Tok, u32)>, String> {
    let mut lx = Lexer {
        src,
        pos: 0,
        line: 1,
        name,
    };
    let mut out = Vec::new();
    loop {
        let tok = lx.next()?;
        let done = tok.0 == Tok::Eof;
        out.push(tok);
        if done {
            return Ok(out);
        }
    }
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: u32,
    name: &'a str,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> u8 {
        self.src.get(self.pos + ahead).copied().unwrap_or(0)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn err(&self, msg: &str, near: &[u8]) -> String {
        format!(
            "{}:{}: {} near '{}'",
            self.name,
            self.line,
            msg,
            String::from_utf8_lossy(near)
        )
    }

    fn next(&mut self) -> Result<(Tok, u32), String> {
        self.skip_space_and_comments()?;
        let line = self.line;
        if self.at_end() {
            return Ok((Tok::Eof, line));
        }
        let c = self.peek(0);
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = self.pos;
            while self.peek(0).is_ascii_alphanumeric() || self.peek(0) == b'_' {
                self.pos += 1;
            }
            let word = String::from_utf8_lossy(&self.src[start..self.pos]).into_owned();
            return Ok(match KEYWORDS.iter().find(|k| **k == word) {
                Some(k) => (Tok::Sym(k), line),
                None => (Tok::Name(Arc::from(word)), line),
            });
        }
        if c.is_ascii_digit() || (c == b'.' && self.peek(1).is_ascii_digit()) {
            return Ok((self.number()?, line));
        }
        if c == b'"' || c == b'\'' {
            return Ok((self.string(c)?, line));
        }
        let long = if c == b'[' {
            self.long_bracket_level()
        } else {
            None
        };
        if let Some(level) = long {
            let s = self.long_string(level, "string")?;
            return Ok((Tok::Str(s), line));
        }
        for sym in SYMBOLS {
            if self.src[self.pos..].starts_with(sym.as_bytes()) {
                self.pos += sym.len();
                return Ok((Tok::Sym(sym), line));
            }
        }
        // Any other byte is a one-character token that no grammar rule accepts; the parser
        // reports it as "unexpected symbol near 'c'", like Lua.
        self.pos += 1;
        Ok((Tok::Sym(leak_char(c)), line))
    }

    fn skip_space_and_comments(&mut self) -> Result<(), String> {
        loop {
            let c = self.peek(0);
            if self.at_end() {
                return Ok(());
            }
            if c == b'\n' {
                self.line += 1;
                self.pos += 1;
            } else if c.is_ascii_whitespace() {
                self.pos += 1;
            } else if c == b'-' && self.peek(1) == b'-' {
                self.pos += 2;
                let long = if self.peek(0) == b'[' {
                    self.long_bracket_level()
                } else {
                    None
                };
                if let Some(level) = long {
                    self.long_string(level, "comment")?;
                    continue;
                }
                while !self.at_end() && self.peek(0) != b'\n' {
                    self.pos += 1;
                }
            } else {
                return Ok(());
            }
        }
    }

    /// At `[`: the number of `=` in `[==[`, or None when this is not a long bracket.
    fn long_bracket_level(&self) -> Option<usize> {
        let mut n = 1;
        while self.peek(n) == b'=' {
            n += 1;
        }
        (self.peek(n) == b'[').then_some(n - 1)
    }

    fn long_string(&mut self, level: usize, what: &str) -> Result<Vec<u8>, String> {
        let start = self.pos;
        self.pos += level + 2;
        // A newline right after the opening bracket is not part of the string.
        if self.peek(0) == b'\r' {
            self.pos += 1;
        }
        if self.peek(0) == b'\n' {
            self.line += 1;
            self.pos += 1;
        }
        let body = self.pos;
        loop {
            if self.at_end() {
                let msg = format!("unfinished long {what}");
                return Err(self.err(&msg, &self.src[start..]));
            }
            let c = self.peek(0);
            if c == b']' {
                let mut n = 1;
                while self.peek(n) == b'=' {
                    n += 1;
                }
                if n - 1 == level && self.peek(n) == b']' {
                    let s = self.src[body..self.pos].to_vec();
                    self.pos += n + 1;
                    return Ok(s);
                }
            } else if c == b'\n' {
                self.line += 1;
            }
            self.pos += 1;
        }
    }

    fn number(&mut self) -> Result<Tok, String> {
        let start = self.pos;
        // Lua 5.1 reads [0-9.eE] and, after an exponent mark, a sign; then alphanumerics.
        loop {
            let c = self.peek(0);
            let sign_of_exponent = (c == b'+' || c == b'-')
                && matches!(self.src.get(self.pos.wrapping_sub(1)), Some(b'e' | b'E'))
                && !self.src[start..self.pos].starts_with(b"0x");
            if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || sign_of_exponent {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = &self.src[start..self.pos];
        match super::value::parse_number(text) {
            Some(n) => Ok(Tok::Num(n)),
            None => Err(self.err("malformed number", text)),
        }
    }

    fn string(&mut self, quote: u8) -> Result<Tok, String> {
        let start = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            if self.at_end() {
                return Err(self.err("unfinished string", &self.src[start..]));
            }
            let c = self.peek(0);
            if c == quote {
                self.pos += 1;
                return Ok(Tok::Str(out));
            }
            if c == b'\n' {
                return Err(self.err("unfinished string", &self.src[start..self.pos]));
            }
            if c != b'\\' {
                out.push(c);
                self.pos += 1;
                continue;
            }
            self.pos += 1;
            let e = self.peek(0);
            let decoded = match e {
                b'n' => b'\n',
                b't' => b'\t',
                b'r' => b'\r',
                b'a' => 7,
                b'b' => 8,
                b'f' => 12,
                b'v' => 11,
                b'\n' => {
                    self.line += 1;
                    b'\n'
                }
                b'0'..=b'9' => {
                    let mut v: u32 = 0;
                    let mut n = 0;
                    while n < 3 && self.peek(0).is_ascii_digit() {
                        v = v * 10 + u32::from(self.peek(0) - b'0');
                        self.pos += 1;
                        n += 1;
                    }
                    let Ok(b) = u8::try_from(v) else {
                        return Err(
                            self.err("escape sequence too large", &self.src[start..self.pos])
                        );
                    };
                    out.push(b);
                    continue;
                }
                _ if self.at_end() => continue,
                other => other,
            };
            out.push(decoded);
            self.pos += 1;
        }
    }
}

/// A stray byte as a `&'static str` token, without leaking: one static string per ASCII byte.
fn leak_char(c: u8) -> &'static str {
    const ALL: &str = "\0\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\x7f";
    let i = usize::from(c);
    ALL.get(i..i + 1).unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s.as_bytes(), "t")
            .unwrap()
            .into_iter()
            .map(|t| t.0)
            .collect()
    }

    #[test]
    fn words_numbers_strings() {
        assert_eq!(
            toks("local x = 0x10 .. 'a\\n' -- c\n"),
            vec![
                Tok::Sym("local"),
                Tok::Name("x".into()),
                Tok::Sym("="),
                Tok::Num(16.0),
                Tok::Sym(".."),
                Tok::Str(b"a\n".to_vec()),
                Tok::Eof
            ]
        );
        assert_eq!(toks("[==[a]]b]==]")[0], Tok::Str(b"a]]b".to_vec()));
        assert_eq!(toks("'\\65\\0'")[0], Tok::Str(vec![65, 0]));
        assert_eq!(toks("1e-2")[0], Tok::Num(0.01));
    }

    #[test]
    fn errors() {
        assert_eq!(
            tokenize(b"x = 'abc", "user_script").unwrap_err(),
            "user_script:1: unfinished string near ''abc'"
        );
        assert!(
            tokenize(b"--[[ open", "s")
                .unwrap_err()
                .contains("unfinished long comment")
        );
        assert!(
            tokenize(b"3x", "s")
                .unwrap_err()
                .contains("malformed number near '3x'")
        );
    }
}
