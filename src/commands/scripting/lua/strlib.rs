//! The `string` library. Patterns (`find`, `match`, `gmatch`, `gsub`) live in `pattern.rs`,
//! `string.format` in `format.rs`.
//!
//! Go original: none. Explained in: book chapter "Scripts".
//!
//! Strings are bytes: `upper` and `lower` change ASCII letters only, as Lua in the C locale.

use super::interp::{Interp, LuaError, MAX_STRING};
use super::stdlib::{
    bad_arg, check_num, check_str, library, opt_int, position, reg, string_result,
};
use super::value::{Builtin, Val};

/// Installs `string` into the globals; strings index it for methods (`s:upper()`).
pub fn install(vm: &mut Interp<'_>) {
    let t = vm.string_lib.clone();
    let funcs: [(&'static str, Builtin); 14] = [
        ("len", len),
        ("sub", sub),
        ("upper", |vm, a| {
            map_bytes(vm, a, "upper", |c| c.to_ascii_uppercase())
        }),
        ("lower", |vm, a| {
            map_bytes(vm, a, "lower", |c| c.to_ascii_lowercase())
        }),
        ("rep", rep),
        ("reverse", reverse),
        ("byte", byte),
        ("char", char),
        ("format", super::format::format),
        ("find", super::pattern::find),
        ("match", super::pattern::match_),
        ("gmatch", super::pattern::gmatch),
        ("gsub", super::pattern::gsub),
        ("gfind", super::pattern::gmatch),
    ];
    for (name, f) in funcs {
        reg(&t, name, f);
    }
    library(&vm.globals, "string", t);
}

fn len(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    Ok(vec![Val::Num(check_str(vm, &args, 0, "len")?.len() as f64)])
}

fn sub(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let s = check_str(vm, &args, 0, "sub")?;
    let i = position(opt_int(vm, &args, 1, "sub", 1)?, s.len()).max(1);
    let j = position(opt_int(vm, &args, 2, "sub", -1)?, s.len()).min(s.len() as i64);
    if i > j {
        return Ok(vec![Val::str(b"")]);
    }
    Ok(vec![Val::str(&s[(i - 1) as usize..j as usize])])
}

fn map_bytes(
    vm: &mut Interp<'_>,
    args: Vec<Val>,
    name: &str,
    f: fn(u8) -> u8,
) -> Result<Vec<Val>, LuaError> {
    let s = check_str(vm, &args, 0, name)?;
    Ok(vec![Val::str(
        &s.iter().map(|c| f(*c)).collect::<Vec<u8>>(),
    )])
}

fn rep(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let s = check_str(vm, &args, 0, "rep")?;
    let n = check_num(vm, &args, 1, "rep")?;
    if n.is_nan() || n < 1.0 || s.is_empty() {
        return Ok(vec![Val::str(b"")]);
    }
    // Checked before allocating: `string.rep('x', 1e18)` must fail, not exhaust memory.
    if n * s.len() as f64 > MAX_STRING as f64 {
        return Err(vm.error("not enough memory"));
    }
    string_result(vm, s.repeat(n as usize))
}

fn reverse(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let mut s = check_str(vm, &args, 0, "reverse")?;
    s.reverse();
    Ok(vec![Val::str(&s)])
}

fn byte(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let s = check_str(vm, &args, 0, "byte")?;
    let i = position(opt_int(vm, &args, 1, "byte", 1)?, s.len()).max(1);
    let j = position(opt_int(vm, &args, 2, "byte", i)?, s.len()).min(s.len() as i64);
    if i > j {
        return Ok(Vec::new());
    }
    Ok(s[(i - 1) as usize..j as usize]
        .iter()
        .map(|c| Val::Num(f64::from(*c)))
        .collect())
}

fn char(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let mut out = Vec::with_capacity(args.len());
    for i in 0..args.len() {
        let c = check_num(vm, &args, i, "char")?;
        if !(0.0..=255.0).contains(&c) {
            return Err(bad_arg(vm, i, "char", "invalid value"));
        }
        out.push(c as u8);
    }
    Ok(vec![Val::str(&out)])
}

#[cfg(test)]
mod tests {
    use super::super::tests::{err, ok};
    use crate::protocol::resp::Value;

    fn bulk(s: &str) -> Value {
        Value::Bulk(s.as_bytes().to_vec())
    }

    #[test]
    fn basics() {
        assert_eq!(ok("return string.sub('hello', 2, -2)"), bulk("ell"));
        assert_eq!(ok("return ('hello'):sub(-3)"), bulk("llo"));
        assert_eq!(ok("return ('x'):sub(1e300, -1e300)"), bulk(""));
        assert_eq!(
            ok("return ('abc'):upper() .. string.lower('DEF')"),
            bulk("ABCdef")
        );
        assert_eq!(ok("return string.rep('ab', 3)"), bulk("ababab"));
        assert_eq!(ok("return string.rep('ab', -3)"), bulk(""));
        assert_eq!(ok("return string.byte('A')"), Value::Integer(65));
        assert_eq!(
            ok("return {string.byte('abc', 1, -1)}"),
            Value::Array(vec![
                Value::Integer(97),
                Value::Integer(98),
                Value::Integer(99)
            ])
        );
        assert_eq!(ok("return string.char(104, 105)"), bulk("hi"));
        assert_eq!(ok("return #('abc'):reverse()"), Value::Integer(3));
        assert_eq!(
            err("return string.rep('x', 1e10)"),
            "user_script:1: not enough memory"
        );
    }
}
