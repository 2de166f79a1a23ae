//! Lua 5.1 patterns and the functions using them: `string.find`, `match`, `gmatch`, `gsub`.
//!
//! Go original: none. Explained in: book chapter "Scripts".
//!
//! A backtracking matcher, a transcription of `lstrlib.c`'s `match`. Two guards it lacks: the
//! recursion is capped ("pattern too complex"), and every attempt counts as an evaluation step,
//! so a pattern that backtracks exponentially can still be interrupted.

use super::interp::{Interp, LuaError, MAX_STRING};
use super::stdlib::{arg, bad_arg, check_str, opt_int, position, string_result, tostring_val};
use super::value::{Function, Val};
use std::rc::Rc;

/// A match: its start, its end, and the captures.
type Found = (usize, usize, Vec<(usize, Cap)>);

const MAX_CAPTURES: usize = 32;
const MAX_RECURSION: usize = 150;

#[derive(Clone, Copy)]
enum Cap {
    Len(usize),
    Position,
    Open,
}

struct Matcher<'a, 'v, 'h> {
    vm: &'v mut Interp<'h>,
    src: &'a [u8],
    pat: &'a [u8],
    caps: Vec<(usize, Cap)>,
    depth: usize,
}

fn class_matches(class: u8, c: u8) -> bool {
    let yes = match class.to_ascii_lowercase() {
        b'a' => c.is_ascii_alphabetic(),
        b'd' => c.is_ascii_digit(),
        b'l' => c.is_ascii_lowercase(),
        b's' => c.is_ascii_whitespace() || c == 0x0b,
        b'u' => c.is_ascii_uppercase(),
        b'w' => c.is_ascii_alphanumeric(),
        b'x' => c.is_ascii_hexdigit(),
        b'p' => c.is_ascii_punctuation(),
        b'c' => c.is_ascii_control(),
        b'z' => c == 0,
        _ => return class == c,
    };
    if class.is_ascii_uppercase() {
        !yes
    } else {
        yes
    }
}

impl Matcher<'_, '_, '_> {
    fn err(&self, msg: &str) -> LuaError {
        self.vm.error(msg)
    }

    fn pat_at(&self, p: usize) -> u8 {
        self.pat.get(p).copied().unwrap_or(0)
    }

    /// The end of the single-character class starting at `p`.
    fn class_end(&self, p: usize) -> Result<usize, LuaError> {
        let c = self.pat_at(p);
        let mut p = p + 1;
        if c == b'%' {
            if p >= self.pat.len() {
                return Err(self.err("malformed pattern (ends with '%')"));
            }
            return Ok(p + 1);
        }
        if c == b'[' {
            if self.pat_at(p) == b'^' {
                p += 1;
            }
            loop {
                if p >= self.pat.len() {
                    return Err(self.err("malformed pattern (missing ']')"));
                }
                let cc = self.pat_at(p);
                p += 1;
                if cc == b'%' {
                    p += 1;
                }
                if self.pat_at(p) == b']' {
                    return Ok(p + 1);
                }
            }
        }
        Ok(p)
    }

    fn in_set(&self, c: u8, start: usize, end: usize) -> bool {
        // `start` is at '[', `end - 1` at ']'.
        let mut p = start + 1;
        let negate = self.pat_at(p) == b'^';
        if negate {
            p += 1;
        }
        while p < end - 1 {
            let pc = self.pat_at(p);
            if pc == b'%' && p + 1 < end - 1 {
                p += 1;
                if class_matches(self.pat_at(p), c) {
                    return !negate;
                }
                p += 1;
            } else if self.pat_at(p + 1) == b'-' && p + 2 < end - 1 {
                if pc <= c && c <= self.pat_at(p + 2) {
                    return !negate;
                }
                p += 3;
            } else {
                if pc == c {
                    return !negate;
                }
                p += 1;
            }
        }
        negate
    }

    fn single(&self, s: usize, p: usize, ep: usize) -> bool {
        let Some(&c) = self.src.get(s) else {
            return false;
        };
        match self.pat_at(p) {
            b'.' => true,
            b'%' => class_matches(self.pat_at(p + 1), c),
            b'[' => self.in_set(c, p, ep),
            pc => pc == c,
        }
    }

    fn do_match(&mut self, s: usize, p: usize) -> Result<Option<usize>, LuaError> {
        self.vm.step()?;
        if self.depth >= MAX_RECURSION {
            return Err(self.err("pattern too complex"));
        }
        self.depth += 1;
        let r = self.match_here(s, p);
        self.depth -= 1;
        r
    }

    fn match_here(&mut self, mut s: usize, mut p: usize) -> Result<Option<usize>, LuaError> {
        loop {
            if p >= self.pat.len() {
                return Ok(Some(s));
            }
            match self.pat_at(p) {
                b'(' => {
                    let what = if self.pat_at(p + 1) == b')' {
                        (Cap::Position, p + 2)
                    } else {
                        (Cap::Open, p + 1)
                    };
                    if self.caps.len() >= MAX_CAPTURES {
                        return Err(self.err("too many captures"));
                    }
                    self.caps.push((s, what.0));
                    let r = self.do_match(s, what.1)?;
                    if r.is_none() {
                        self.caps.pop();
                    }
                    return Ok(r);
                }
                b')' => {
                    let Some(i) = self.caps.iter().rposition(|c| matches!(c.1, Cap::Open)) else {
                        return Err(self.err("invalid pattern capture"));
                    };
                    let start = self.caps[i].0;
                    self.caps[i].1 = Cap::Len(s - start);
                    let r = self.do_match(s, p + 1)?;
                    if r.is_none() {
                        self.caps[i].1 = Cap::Open;
                    }
                    return Ok(r);
                }
                b'$' if p + 1 == self.pat.len() => return Ok((s == self.src.len()).then_some(s)),
                b'%' if self.pat_at(p + 1) == b'b' => {
                    let (open, close) = (self.pat_at(p + 2), self.pat_at(p + 3));
                    if p + 3 >= self.pat.len() {
                        return Err(self.err("unbalanced pattern"));
                    }
                    if self.src.get(s) != Some(&open) {
                        return Ok(None);
                    }
                    let mut depth = 1;
                    let mut e = s + 1;
                    loop {
                        let Some(&c) = self.src.get(e) else {
                            return Ok(None);
                        };
                        if c == close {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        } else if c == open {
                            depth += 1;
                        }
                        e += 1;
                    }
                    s = e + 1;
                    p += 4;
                    continue;
                }
                b'%' if self.pat_at(p + 1) == b'f' => {
                    p += 2;
                    if self.pat_at(p) != b'[' {
                        return Err(self.err("missing '[' after '%f' in pattern"));
                    }
                    let ep = self.class_end(p)?;
                    let prev = if s == 0 { 0 } else { self.src[s - 1] };
                    let cur = self.src.get(s).copied().unwrap_or(0);
                    if self.in_set(prev, p, ep) || !self.in_set(cur, p, ep) {
                        return Ok(None);
                    }
                    p = ep;
                    continue;
                }
                b'%' if self.pat_at(p + 1).is_ascii_digit() => {
                    let n = usize::from(self.pat_at(p + 1) - b'0');
                    let Some(&(start, Cap::Len(len))) =
                        n.checked_sub(1).and_then(|i| self.caps.get(i))
                    else {
                        return Err(self.err("invalid capture index"));
                    };
                    let cap = &self.src[start..start + len];
                    if !self.src[s..].starts_with(cap) {
                        return Ok(None);
                    }
                    s += len;
                    p += 2;
                    continue;
                }
                _ => {}
            }
            let ep = self.class_end(p)?;
            let matched = self.single(s, p, ep);
            match self.pat_at(ep) {
                b'?' => {
                    let rest = if matched {
                        self.do_match(s + 1, ep + 1)?
                    } else {
                        None
                    };
                    if rest.is_some() {
                        return Ok(rest);
                    }
                    p = ep + 1;
                }
                b'*' | b'+' => {
                    let min = usize::from(self.pat_at(ep) == b'+');
                    let mut n = 0;
                    while self.single(s + n, p, ep) {
                        n += 1;
                    }
                    // Longest first, giving back one character at a time.
                    loop {
                        if n < min {
                            return Ok(None);
                        }
                        if let Some(r) = self.do_match(s + n, ep + 1)? {
                            return Ok(Some(r));
                        }
                        if n == 0 {
                            return Ok(None);
                        }
                        n -= 1;
                    }
                }
                b'-' => loop {
                    if let Some(r) = self.do_match(s, ep + 1)? {
                        return Ok(Some(r));
                    }
                    if !self.single(s, p, ep) {
                        return Ok(None);
                    }
                    s += 1;
                },
                _ => {
                    if !matched {
                        return Ok(None);
                    }
                    s += 1;
                    p = ep;
                }
            }
        }
    }

    /// Capture `i` as a value (the whole match when the pattern has none).
    fn capture(&self, i: usize, s: usize, e: usize) -> Result<Val, LuaError> {
        match self.caps.get(i) {
            None if i == 0 => Ok(Val::str(&self.src[s..e])),
            Some(&(start, Cap::Len(len))) => Ok(Val::str(&self.src[start..start + len])),
            Some(&(start, Cap::Position)) => Ok(Val::Num((start + 1) as f64)),
            _ => Err(self.err("unfinished capture")),
        }
    }

    fn captures(&self, s: usize, e: usize, whole_if_none: bool) -> Result<Vec<Val>, LuaError> {
        let n = if self.caps.is_empty() && whole_if_none {
            1
        } else {
            self.caps.len()
        };
        (0..n).map(|i| self.capture(i, s, e)).collect()
    }
}

/// Tries the pattern at each start from `init`; returns (start, end) and the matcher's captures.
fn search(
    vm: &mut Interp<'_>,
    src: &[u8],
    pat: &[u8],
    init: usize,
) -> Result<Option<Found>, LuaError> {
    let (anchored, pat) = match pat.strip_prefix(b"^") {
        Some(rest) => (true, rest),
        None => (false, pat),
    };
    let mut m = Matcher {
        vm,
        src,
        pat,
        caps: Vec::new(),
        depth: 0,
    };
    let mut s = init;
    loop {
        m.caps.clear();
        if let Some(e) = m.do_match(s, 0)? {
            return Ok(Some((s, e, std::mem::take(&mut m.caps))));
        }
        s += 1;
        if anchored || s > src.len() {
            return Ok(None);
        }
    }
}

fn capture_vals(
    vm: &mut Interp<'_>,
    src: &[u8],
    caps: Vec<(usize, Cap)>,
    s: usize,
    e: usize,
    whole: bool,
) -> Result<Vec<Val>, LuaError> {
    let m = Matcher {
        vm,
        src,
        pat: b"",
        caps,
        depth: 0,
    };
    m.captures(s, e, whole)
}

fn find_or_match(vm: &mut Interp<'_>, args: Vec<Val>, find: bool) -> Result<Vec<Val>, LuaError> {
    let name = if find { "find" } else { "match" };
    let src = check_str(vm, &args, 0, name)?;
    let pat = check_str(vm, &args, 1, name)?;
    let init = position(opt_int(vm, &args, 2, name, 1)?, src.len()).max(1);
    if init > src.len() as i64 + 1 {
        return Ok(vec![Val::Nil]);
    }
    let init = (init - 1) as usize;
    let special = pat.iter().any(|c| b"^$*+?.([%-".contains(c));
    if find && (arg(&args, 3).truthy() || !special) {
        return Ok(
            match src[init..]
                .windows(pat.len().max(1))
                .position(|w| w == &pat[..])
            {
                _ if pat.is_empty() => vec![Val::Num((init + 1) as f64), Val::Num(init as f64)],
                Some(i) => vec![
                    Val::Num((init + i + 1) as f64),
                    Val::Num((init + i + pat.len()) as f64),
                ],
                None => vec![Val::Nil],
            },
        );
    }
    match search(vm, &src, &pat, init)? {
        None => Ok(vec![Val::Nil]),
        Some((s, e, caps)) if find => {
            let mut out = vec![Val::Num((s + 1) as f64), Val::Num(e as f64)];
            out.extend(capture_vals(vm, &src, caps, s, e, false)?);
            Ok(out)
        }
        Some((s, e, caps)) => capture_vals(vm, &src, caps, s, e, true),
    }
}

/// `string.find(s, pattern [, init [, plain]])`
pub fn find(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    find_or_match(vm, args, true)
}

/// `string.match(s, pattern [, init])`
pub fn match_(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    find_or_match(vm, args, false)
}

fn gmatch_step(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    // The iterator's state is a table {s, pattern, position}.
    let Val::Table(state) = arg(&args, 0) else {
        return Ok(vec![Val::Nil]);
    };
    let (src, pat, pos) = {
        let t = state.borrow();
        (
            t.get(&Val::Num(1.0)).to_bytes().unwrap_or_default(),
            t.get(&Val::Num(2.0)).to_bytes().unwrap_or_default(),
            t.get(&Val::Num(3.0)).to_num().unwrap_or(0.0) as usize,
        )
    };
    if pos > src.len() {
        return Ok(vec![Val::Nil]);
    }
    match search(vm, &src, &pat, pos)? {
        None => {
            let _ = state
                .borrow_mut()
                .set(Val::Num(3.0), Val::Num((src.len() + 1) as f64));
            Ok(vec![Val::Nil])
        }
        Some((s, e, caps)) => {
            let next = if e == s { e + 1 } else { e };
            let _ = state.borrow_mut().set(Val::Num(3.0), Val::Num(next as f64));
            capture_vals(vm, &src, caps, s, e, true)
        }
    }
}

/// `string.gmatch(s, pattern)`: an iterator over the matches.
pub fn gmatch(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let src = check_str(vm, &args, 0, "gmatch")?;
    let pat = check_str(vm, &args, 1, "gmatch")?;
    let state =
        super::value::Table::from_array(vec![Val::str(&src), Val::str(&pat), Val::Num(0.0)]);
    let state = Val::Table(Rc::new(std::cell::RefCell::new(state)));
    let step = Val::Func(Rc::new(Function::Builtin("gmatch_iterator", gmatch_step)));
    // A closure over the state would need a Lua function; a builtin with the state as its
    // first argument does the same through the generic `for`.
    Ok(vec![step, state])
}

/// `string.gsub(s, pattern, repl [, n])`: repl is a string (with `%1`), a table or a function.
pub fn gsub(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let src = check_str(vm, &args, 0, "gsub")?;
    let pat = check_str(vm, &args, 1, "gsub")?;
    let repl = arg(&args, 2);
    if !matches!(
        repl,
        Val::Str(_) | Val::Num(_) | Val::Table(_) | Val::Func(_)
    ) {
        return Err(bad_arg(vm, 2, "gsub", "string/function/table expected"));
    }
    let max = opt_int(vm, &args, 3, "gsub", i64::MAX)?;
    let anchored = pat.first() == Some(&b'^');
    let mut out = Vec::new();
    let mut pos = 0;
    let mut count = 0i64;
    while count < max {
        let found = search(vm, &src, &pat, pos)?.filter(|(s, _, _)| !anchored || *s == pos);
        let Some((s, e, caps)) = found else { break };
        // `search` scans forward; copy the skipped text.
        out.extend_from_slice(&src[pos..s]);
        count += 1;
        let whole = Val::str(&src[s..e]);
        let vals = capture_vals(vm, &src, caps, s, e, true)?;
        let first = vals.first().cloned().unwrap_or(whole.clone());
        let replacement = match &repl {
            Val::Table(t) => t.borrow().get(&first),
            Val::Func(_) => vm
                .call(&repl, vals.clone())?
                .into_iter()
                .next()
                .unwrap_or_default(),
            _ => Val::str(&expand(
                vm,
                &repl.to_bytes().unwrap_or_default(),
                &whole,
                &vals,
            )?),
        };
        match replacement {
            Val::Nil | Val::Bool(false) => out.extend_from_slice(&src[s..e]),
            v => match v.to_bytes() {
                Some(b) => out.extend_from_slice(&b),
                None => {
                    let shown = tostring_val(vm, &v)?;
                    let _ = shown;
                    return Err(
                        vm.error(&format!("invalid replacement value (a {})", v.type_name()))
                    );
                }
            },
        }
        if out.len() > MAX_STRING {
            return Err(vm.error("not enough memory"));
        }
        if e > s {
            pos = e;
        } else {
            if let Some(&c) = src.get(s) {
                out.push(c);
            }
            pos = s + 1;
        }
        if pos > src.len() || anchored {
            break;
        }
    }
    if pos < src.len() {
        out.extend_from_slice(&src[pos..]);
    }
    let mut r = string_result(vm, out)?;
    r.push(Val::Num(count as f64));
    Ok(r)
}

/// A replacement string with `%0`..`%9` and `%%` expanded.
fn expand(vm: &Interp<'_>, repl: &[u8], whole: &Val, caps: &[Val]) -> Result<Vec<u8>, LuaError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < repl.len() {
        let c = repl[i];
        if c != b'%' {
            out.push(c);
            i += 1;
            continue;
        }
        let d = repl.get(i + 1).copied().unwrap_or(0);
        i += 2;
        if !d.is_ascii_digit() {
            out.push(d);
            continue;
        }
        let v = if d == b'0' {
            whole.clone()
        } else {
            match caps.get(usize::from(d - b'1')) {
                Some(v) => v.clone(),
                None => return Err(vm.error("invalid capture index")),
            }
        };
        out.extend(v.to_bytes().unwrap_or_default());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{err, ok};
    use crate::protocol::resp::Value;

    fn bulk(s: &str) -> Value {
        Value::Bulk(s.as_bytes().to_vec())
    }

    #[test]
    fn find_and_match() {
        assert_eq!(
            ok("return string.find('hello world', 'o w')"),
            Value::Integer(5)
        );
        assert_eq!(
            ok("return {string.find('a.b', '.', 1, true)}"),
            Value::Array(vec![Value::Integer(2), Value::Integer(2)])
        );
        assert_eq!(
            ok("return string.match('key:123', '%a+:(%d+)')"),
            bulk("123")
        );
        assert_eq!(
            ok("return string.match('  x  ', '^%s*(.-)%s*$')"),
            bulk("x")
        );
        assert_eq!(
            ok("return {string.match('2024-01', '(%d+)-(%d+)')}"),
            Value::Array(vec![bulk("2024"), bulk("01")])
        );
        assert_eq!(ok("return string.match('abc', '()b')"), Value::Integer(2));
        assert_eq!(
            ok("return string.match('f(a(b)c)', '%b()')"),
            bulk("(a(b)c)")
        );
        assert_eq!(
            ok("return string.match('THE (quick) fox', '%f[%a]%a+', 5)"),
            bulk("quick")
        );
        assert_eq!(ok("return string.find('abc', 'x')"), Value::Null);
        assert_eq!(ok("return string.match('aaa', 'a-b')"), Value::Null);
        assert_eq!(ok("return string.match('[x]', '[%[]')"), bulk("["));
        assert_eq!(
            ok("return string.match('hello', '[^aeiou]+', 2)"),
            bulk("ll")
        );
        assert_eq!(
            err("return string.find('a', '[a')"),
            "user_script:1: malformed pattern (missing ']')"
        );
    }

    #[test]
    fn gmatch_and_gsub() {
        assert_eq!(
            ok(
                "local t = {} for w in string.gmatch('one two  three', '%a+') do t[#t+1] = w end return t"
            ),
            Value::Array(vec![bulk("one"), bulk("two"), bulk("three")])
        );
        assert_eq!(
            ok(
                "local n = 0 for k, v in ('a=1,b=2'):gmatch('(%w+)=(%w+)') do n = n + v end return n"
            ),
            Value::Integer(3)
        );
        assert_eq!(
            ok("return string.gsub('hello world', 'o', '0')"),
            bulk("hell0 w0rld")
        );
        assert_eq!(
            ok("return select(2, string.gsub('hello', 'l', 'L'))"),
            Value::Integer(2)
        );
        assert_eq!(
            ok("return string.gsub('abc', '%w', '%0%0')"),
            bulk("aabbcc")
        );
        assert_eq!(
            ok("return string.gsub('$x $y', '%$(%w+)', {x='1', y=2})"),
            bulk("1 2")
        );
        assert_eq!(
            ok("return string.gsub('abc', '.', function(c) return c:upper() end, 2)"),
            bulk("ABc")
        );
        assert_eq!(ok("return string.gsub('abc', '', '-')"), bulk("-a-b-c-"));
        assert_eq!(ok("return string.gsub('aaa', '^a', 'b')"), bulk("baa"));
    }

    #[test]
    fn backtracking_is_bounded() {
        let src = "return string.find(string.rep('a', 5000), string.rep('a?', 5000) .. string.rep('a', 5000))";
        assert_eq!(err(src), "user_script:1: pattern too complex");
    }
}
