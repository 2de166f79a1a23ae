//! Lua values at run time: nil, booleans, numbers, byte strings, tables and functions.
//!
//! Go original: none. Explained in: book chapter "Scripts".
//!
//! Run-time values use `Rc`, not `Arc`: one script runs on one thread, and only the compiled
//! [`super::Chunk`] is shared. Tables keep an array part (keys 1..n) and an insertion-ordered
//! hash part, so `next` can resume from any key in O(1) and `pairs` is deterministic — Redis
//! requires scripts to be replayable.
//!
//! The interpreter's state, [`Interp`], is declared here too: a builtin function is a value and
//! takes that state, so the two types belong together.

use super::ast::FuncBody;
use super::{Host, Mode, Registered};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

/// A shared, mutable table.
pub type TableRef = Rc<RefCell<Table>>;

/// A builtin function: gets its arguments, returns its results.
pub type Builtin = fn(&mut Interp<'_>, Vec<Val>) -> Result<Vec<Val>, LuaError>;

/// One Lua value.
#[derive(Clone, Debug, Default)]
pub enum Val {
    /// `nil`
    #[default]
    Nil,
    /// `true` / `false`
    Bool(bool),
    /// Every Lua 5.1 number is a double.
    Num(f64),
    /// A byte string.
    Str(Rc<[u8]>),
    /// A table.
    Table(TableRef),
    /// A function.
    Func(Rc<Function>),
}

/// A local variable's cell; closures share it with the scope that declared it.
pub type Slot = Rc<RefCell<Val>>;

/// A callable value.
pub enum Function {
    /// A closure: its code and the variables it can see from enclosing scopes.
    Lua(Arc<FuncBody>, Vec<(Arc<str>, Slot)>),
    /// A function of the standard library, with its name for messages.
    Builtin(&'static str, Builtin),
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Function::Lua(..) => write!(f, "function"),
            Function::Builtin(n, _) => write!(f, "builtin {n}"),
        }
    }
}

impl Val {
    /// A string value from bytes.
    pub fn str(b: &[u8]) -> Val {
        Val::Str(Rc::from(b))
    }

    /// Lua's truth: everything but `nil` and `false`.
    pub fn truthy(&self) -> bool {
        !matches!(self, Val::Nil | Val::Bool(false))
    }

    /// The name `type()` returns.
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Nil => "nil",
            Val::Bool(_) => "boolean",
            Val::Num(_) => "number",
            Val::Str(_) => "string",
            Val::Table(_) => "table",
            Val::Func(_) => "function",
        }
    }

    /// The number this value is or coerces to (strings as Lua reads them).
    pub fn to_num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            Val::Str(s) => parse_number(s),
            _ => None,
        }
    }

    /// The string this value is or coerces to (numbers formatted `%.14g`).
    pub fn to_bytes(&self) -> Option<Vec<u8>> {
        match self {
            Val::Str(s) => Some(s.to_vec()),
            Val::Num(n) => Some(fmt_num(*n).into_bytes()),
            _ => None,
        }
    }

    /// Raw equality (`rawequal`): by value for scalars, by identity for tables and functions.
    pub fn raw_eq(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::Nil, Val::Nil) => true,
            (Val::Bool(a), Val::Bool(b)) => a == b,
            (Val::Num(a), Val::Num(b)) => a == b,
            (Val::Str(a), Val::Str(b)) => a == b,
            (Val::Table(a), Val::Table(b)) => Rc::ptr_eq(a, b),
            (Val::Func(a), Val::Func(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }
}

// The interpreter's state is defined here, beside the values, because builtins (values) take
// it as an argument; its behaviour is in `interp.rs` and `stmt.rs`.

/// Why evaluation stopped early.
#[derive(Debug)]
pub enum LuaError {
    /// A Lua error: the value raised (a message string or any value) and the line then.
    Throw(Val, u32),
    /// The host asked to stop; `pcall` does not catch this.
    Interrupt(String),
}

/// One run of Lua: the globals, the host, and the run-time budgets.
pub struct Interp<'h> {
    pub(super) host: &'h mut dyn Host,
    pub(super) globals: TableRef,
    pub(super) string_lib: TableRef,
    pub(super) mode: Mode,
    pub(super) source: String,
    pub(super) line: u32,
    pub(super) registered: Vec<(Registered, Val)>,
    pub(super) rng: u64,
    pub(super) depth: usize,
    pub(super) steps: u32,
    pub(super) stack_base: usize,
}

/// A hashable table key (any value but nil and NaN).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// A boolean key.
    Bool(bool),
    /// A number key by its bits (`-0.0` folded into `0.0`).
    Num(u64),
    /// A string key.
    Str(Rc<[u8]>),
    /// A table or function key, by address.
    Ref(usize),
}

/// A Lua table.
#[derive(Default, Debug)]
pub struct Table {
    /// Values for keys 1..=arr.len().
    pub arr: Vec<Val>,
    // The hash part: entries in insertion order, with their index. A removed entry's value
    // becomes nil and stays, so a traversal in progress can continue past it.
    entries: Vec<(Key, Val, Val)>,
    index: HashMap<Key, usize>,
    /// The metatable, if any.
    pub meta: Option<TableRef>,
    /// Set on the globals and library tables: Redis forbids scripts to change them.
    pub readonly: bool,
}

fn key_of(k: &Val) -> Option<Key> {
    Some(match k {
        Val::Nil => return None,
        Val::Bool(b) => Key::Bool(*b),
        Val::Num(n) if n.is_nan() => return None,
        Val::Num(n) => Key::Num(if *n == 0.0 { 0 } else { n.to_bits() }),
        Val::Str(s) => Key::Str(s.clone()),
        Val::Table(t) => Key::Ref(Rc::as_ptr(t) as *const u8 as usize),
        Val::Func(f) => Key::Ref(Rc::as_ptr(f) as *const u8 as usize),
    })
}

/// The array index a key maps to, when it is a positive integer.
fn arr_index(k: &Val) -> Option<usize> {
    match k {
        Val::Num(n) if n.fract() == 0.0 && *n >= 1.0 && *n < 9.0e15 => Some(*n as usize),
        _ => None,
    }
}

impl Table {
    /// A table whose array part holds `items` (trailing nils dropped).
    pub fn from_array(mut items: Vec<Val>) -> Table {
        while matches!(items.last(), Some(Val::Nil)) {
            items.pop();
        }
        Table {
            arr: items,
            ..Table::default()
        }
    }

    /// Reads `t[k]` without metamethods.
    pub fn get(&self, k: &Val) -> Val {
        if let Some(v) = arr_index(k).and_then(|i| self.arr.get(i - 1)) {
            return v.clone();
        }
        match key_of(k).and_then(|k| self.index.get(&k)) {
            Some(&i) => self.entries.get(i).map_or(Val::Nil, |e| e.2.clone()),
            None => Val::Nil,
        }
    }

    /// Reads `t[name]` for a string key.
    pub fn get_str(&self, name: &str) -> Val {
        self.get(&Val::str(name.as_bytes()))
    }

    /// Writes `t[k] = v` without metamethods. Errors on a nil or NaN key, with Lua's text.
    pub fn set(&mut self, k: Val, v: Val) -> Result<(), &'static str> {
        if let Some(i) = arr_index(&k) {
            if i <= self.arr.len() {
                self.arr[i - 1] = v;
                while matches!(self.arr.last(), Some(Val::Nil)) {
                    self.arr.pop();
                }
                return Ok(());
            }
            if i == self.arr.len() + 1 && !matches!(v, Val::Nil) {
                self.arr.push(v);
                self.remove_hash(&k);
                // Keys that now continue the array move into it.
                loop {
                    let next = Val::Num((self.arr.len() + 1) as f64);
                    let moved = self.remove_hash(&next);
                    if matches!(moved, Val::Nil) {
                        break;
                    }
                    self.arr.push(moved);
                }
                return Ok(());
            }
        }
        let key = match (&k, key_of(&k)) {
            (_, Some(key)) => key,
            (Val::Nil, None) => return Err("table index is nil"),
            _ => return Err("table index is NaN"),
        };
        match self.index.get(&key) {
            Some(&i) => {
                if let Some(e) = self.entries.get_mut(i) {
                    e.2 = v;
                }
            }
            None if matches!(v, Val::Nil) => {}
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((key, k, v));
            }
        }
        Ok(())
    }

    fn remove_hash(&mut self, k: &Val) -> Val {
        let Some(key) = key_of(k) else {
            return Val::Nil;
        };
        match self.index.get(&key).and_then(|&i| self.entries.get_mut(i)) {
            Some(e) => std::mem::take(&mut e.2),
            None => Val::Nil,
        }
    }

    #[allow(clippy::len_without_is_empty)]
    /// `#t`: a border (here the length of the array part).
    pub fn len(&self) -> usize {
        self.arr.len()
    }

    /// `next(t, k)`: the entry after `k` (the first for nil); Err when `k` is not a key.
    pub fn next(&self, k: &Val) -> Result<Option<(Val, Val)>, ()> {
        let mut hash_from = 0;
        // Where to resume in the array part: the start for nil, after `k` for an array key.
        let arr_from = match k {
            Val::Nil => Some(0),
            _ => arr_index(k).filter(|i| *i <= self.arr.len()),
        };
        match arr_from {
            Some(from) => {
                for (j, v) in self.arr.iter().enumerate().skip(from) {
                    if !matches!(v, Val::Nil) {
                        return Ok(Some((Val::Num((j + 1) as f64), v.clone())));
                    }
                }
            }
            None => {
                let key = key_of(k).ok_or(())?;
                hash_from = *self.index.get(&key).ok_or(())? + 1;
            }
        }
        Ok(self
            .entries
            .iter()
            .skip(hash_from)
            .find(|e| !matches!(e.2, Val::Nil))
            .map(|e| (e.1.clone(), e.2.clone())))
    }
}

/// Formats a number as Lua 5.1 does (`%.14g`).
pub fn fmt_num(n: f64) -> String {
    fmt_g(n, 14, false)
}

/// C's `%.<prec>g` (with `alt`, the `#` flag: keep trailing zeros).
pub fn fmt_g(n: f64, prec: usize, alt: bool) -> String {
    if n.is_nan() {
        // glibc prints the sign bit of NaN; 0/0 on x86 is a negative NaN, hence "-nan" in Redis.
        return if n.is_sign_negative() {
            "-nan".into()
        } else {
            "nan".into()
        };
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf".into() } else { "inf".into() };
    }
    let p = prec.max(1);
    let e = format!("{:.*e}", p - 1, n);
    let exp: i32 = e
        .rsplit('e')
        .next()
        .and_then(|x| x.parse().ok())
        .unwrap_or(0);
    let mut s = if exp < -4 || exp >= p as i32 {
        let (mant, _) = e.split_once('e').unwrap_or((&e, ""));
        let mant = if alt {
            mant.to_string()
        } else {
            strip_zeros(mant)
        };
        format!(
            "{}e{}{:02}",
            mant,
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        format!("{:.*}", decimals, n)
    };
    if !alt && !s.contains('e') {
        s = strip_zeros(&s);
    }
    s
}

fn strip_zeros(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Reads a number as Lua's `tonumber` does: decimal (with exponent) or `0x` hex, spaces around.
pub fn parse_number(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b)
        .ok()?
        .trim_matches(|c: char| c.is_ascii_whitespace());
    let (neg, body) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        if hex.is_empty() || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let v = hex.bytes().fold(0.0, |acc, c| {
            acc * 16.0 + f64::from((c as char).to_digit(16).unwrap_or(0))
        });
        return Some(if neg { -v } else { v });
    }
    // Rust accepts "inf" and "nan"; Lua's strtod path does too, but Lua 5.1 scripts never
    // rely on it and Redis's Lua rejects them, so only digits, '.', and exponents pass.
    let ok = !body.is_empty()
        && body
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        && body
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == b'.');
    if !ok {
        return None;
    }
    let v: f64 = body.parse().ok()?;
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formatting() {
        assert_eq!(fmt_num(1.0), "1");
        assert_eq!(fmt_num(0.1), "0.1");
        assert_eq!(fmt_num(1e15), "1e+15");
        assert_eq!(fmt_num(123456789012345.0), "1.2345678901234e+14");
        assert_eq!(fmt_num(-2.5), "-2.5");
        assert_eq!(fmt_num(1e-5), "1e-05");
        assert_eq!(fmt_num(f64::INFINITY), "inf");
        assert_eq!(fmt_g(100.0, 6, false), "100");
    }

    #[test]
    fn number_parsing() {
        assert_eq!(parse_number(b" 10 "), Some(10.0));
        assert_eq!(parse_number(b"0x1F"), Some(31.0));
        assert_eq!(parse_number(b"1e3"), Some(1000.0));
        assert_eq!(parse_number(b"abc"), None);
        assert_eq!(parse_number(b"inf"), None);
        assert_eq!(parse_number(b""), None);
    }

    #[test]
    fn table_parts() {
        let mut t = Table::default();
        t.set(Val::Num(2.0), Val::Num(20.0)).unwrap();
        t.set(Val::Num(1.0), Val::Num(10.0)).unwrap();
        assert_eq!(t.len(), 2);
        t.set(Val::str(b"k"), Val::Bool(true)).unwrap();
        let mut k = Val::Nil;
        let mut n = 0;
        while let Ok(Some((nk, _))) = t.next(&k) {
            k = nk;
            n += 1;
        }
        assert_eq!(n, 3);
        assert!(t.set(Val::Nil, Val::Nil).is_err());
    }
}
