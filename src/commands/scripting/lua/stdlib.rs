//! The base library (`pcall`, `pairs`, `tostring`, ...), `table` and `math`.
//!
//! Go original: none. Explained in: book chapter "Scripts".
//!
//! Each builtin takes its arguments as a vector and returns its results; the small helpers at
//! the top give Lua's "bad argument #n to 'f' (... expected, got ...)" messages.

use super::interp::{Interp, LuaError, MAX_STRING, less};
use super::value::{Builtin, Function, Table, TableRef, Val, fmt_num};
use std::cell::RefCell;
use std::rc::Rc;

/// A new empty table.
pub fn table_ref() -> TableRef {
    Rc::new(RefCell::new(Table::default()))
}

/// Puts builtin `f` into `t` under `name`.
pub fn reg(t: &TableRef, name: &'static str, f: Builtin) {
    let _ = t.borrow_mut().set(
        Val::str(name.as_bytes()),
        Val::Func(Rc::new(Function::Builtin(name, f))),
    );
}

/// Argument `i` (0-based), nil when absent.
pub fn arg(args: &[Val], i: usize) -> Val {
    args.get(i).cloned().unwrap_or_default()
}

/// "bad argument #n to 'f' (msg)".
pub fn bad_arg(vm: &Interp<'_>, i: usize, fname: &str, msg: &str) -> LuaError {
    vm.error(&format!("bad argument #{} to '{}' ({})", i + 1, fname, msg))
}

fn expected(vm: &Interp<'_>, args: &[Val], i: usize, fname: &str, what: &str) -> LuaError {
    let got = match args.get(i) {
        None => "no value",
        Some(v) => v.type_name(),
    };
    bad_arg(vm, i, fname, &format!("{what} expected, got {got}"))
}

/// Argument `i` as a string (numbers converted).
pub fn check_str(
    vm: &Interp<'_>,
    args: &[Val],
    i: usize,
    fname: &str,
) -> Result<Vec<u8>, LuaError> {
    arg(args, i)
        .to_bytes()
        .ok_or_else(|| expected(vm, args, i, fname, "string"))
}

/// Argument `i` as a number (strings converted).
pub fn check_num(vm: &Interp<'_>, args: &[Val], i: usize, fname: &str) -> Result<f64, LuaError> {
    arg(args, i)
        .to_num()
        .ok_or_else(|| expected(vm, args, i, fname, "number"))
}

/// Argument `i` as a number, or `default` when nil or absent.
pub fn opt_num(
    vm: &Interp<'_>,
    args: &[Val],
    i: usize,
    fname: &str,
    default: f64,
) -> Result<f64, LuaError> {
    match arg(args, i) {
        Val::Nil => Ok(default),
        _ => check_num(vm, args, i, fname),
    }
}

/// Argument `i` as an integer (truncated, saturating), or `default`.
pub fn opt_int(
    vm: &Interp<'_>,
    args: &[Val],
    i: usize,
    fname: &str,
    default: i64,
) -> Result<i64, LuaError> {
    let n = opt_num(vm, args, i, fname, default as f64)?;
    Ok(if n.is_nan() { 0 } else { n as i64 })
}

/// Argument `i` as a table.
pub fn check_table(
    vm: &Interp<'_>,
    args: &[Val],
    i: usize,
    fname: &str,
) -> Result<TableRef, LuaError> {
    match args.get(i) {
        Some(Val::Table(t)) => Ok(t.clone()),
        _ => Err(expected(vm, args, i, fname, "table")),
    }
}

/// A string result, refusing sizes past [`MAX_STRING`] as Lua does when memory runs out.
pub fn string_result(vm: &Interp<'_>, s: Vec<u8>) -> Result<Vec<Val>, LuaError> {
    if s.len() > MAX_STRING {
        return Err(vm.error("not enough memory"));
    }
    Ok(vec![Val::str(&s)])
}

/// Installs the base library, `table` and `math` into the globals.
pub fn install(vm: &mut Interp<'_>) {
    let g = vm.globals.clone();
    let base: [(&'static str, Builtin); 18] = [
        ("assert", assert),
        ("error", error),
        ("ipairs", ipairs),
        ("next", next),
        ("pairs", pairs),
        ("pcall", pcall),
        ("rawequal", rawequal),
        ("rawget", rawget),
        ("rawset", rawset),
        ("select", select),
        ("setmetatable", setmetatable),
        ("getmetatable", getmetatable),
        ("tonumber", tonumber),
        ("tostring", tostring),
        ("type", type_),
        ("unpack", unpack),
        ("xpcall", xpcall),
        ("gcinfo", gcinfo),
    ];
    for (name, f) in base {
        reg(&g, name, f);
    }
    let _ = g.borrow_mut().set(Val::str(b"_G"), Val::Table(g.clone()));
    let _ = g
        .borrow_mut()
        .set(Val::str(b"_VERSION"), Val::str(b"Lua 5.1"));
    let table = table_ref();
    for (name, f) in [
        ("concat", concat as Builtin),
        ("insert", insert),
        ("remove", remove),
        ("sort", sort),
        ("getn", getn),
        ("maxn", maxn),
    ] {
        reg(&table, name, f);
    }
    library(&g, "table", table);
}

/// Adds a library table to the globals and freezes it, as Redis 7 does.
pub fn library(g: &TableRef, name: &str, t: TableRef) {
    t.borrow_mut().readonly = true;
    let _ = g.borrow_mut().set(Val::str(name.as_bytes()), Val::Table(t));
}

fn assert(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    if arg(&args, 0).truthy() {
        return Ok(args);
    }
    match args.get(1) {
        Some(m) => Err(LuaError::Throw(m.clone(), vm.line)),
        None if args.is_empty() => Err(expected(vm, &args, 0, "assert", "value")),
        None => Err(vm.error("assertion failed!")),
    }
}

fn error(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let v = arg(&args, 0);
    let level = opt_num(vm, &args, 1, "error", 1.0)?;
    // Level 1 (the default) names the line that called `error`; level 0 adds nothing.
    if let (Val::Str(s), true) = (&v, level > 0.0) {
        let mut text = format!("{}:{}: ", vm.source, vm.line).into_bytes();
        text.extend_from_slice(s);
        return Err(LuaError::Throw(Val::str(&text), vm.line));
    }
    Err(LuaError::Throw(v, vm.line))
}

fn pcall(vm: &mut Interp<'_>, mut args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    if args.is_empty() {
        return Err(expected(vm, &args, 0, "pcall", "value"));
    }
    let f = args.remove(0);
    match vm.call(&f, args) {
        Ok(mut r) => {
            r.insert(0, Val::Bool(true));
            Ok(r)
        }
        Err(LuaError::Throw(v, _)) => Ok(vec![Val::Bool(false), v]),
        Err(e) => Err(e),
    }
}

fn xpcall(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let f = arg(&args, 0);
    let handler = arg(&args, 1);
    match vm.call(&f, Vec::new()) {
        Ok(mut r) => {
            r.insert(0, Val::Bool(true));
            Ok(r)
        }
        Err(LuaError::Throw(v, _)) => {
            let mut r = vm.call(&handler, vec![v])?;
            r.truncate(1);
            r.insert(0, Val::Bool(false));
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

fn next(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let t = check_table(vm, &args, 0, "next")?;
    let r = t.borrow().next(&arg(&args, 1));
    match r {
        Ok(Some((k, v))) => Ok(vec![k, v]),
        Ok(None) => Ok(vec![Val::Nil]),
        Err(()) => Err(vm.error("invalid key to 'next'")),
    }
}

fn pairs(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let t = check_table(vm, &args, 0, "pairs")?;
    let next = vm.globals.borrow().get_str("next");
    Ok(vec![next, Val::Table(t), Val::Nil])
}

fn ipairs_step(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let t = check_table(vm, &args, 0, "ipairs")?;
    let i = check_num(vm, &args, 1, "ipairs")? + 1.0;
    let v = t.borrow().get(&Val::Num(i));
    Ok(if matches!(v, Val::Nil) {
        vec![Val::Nil]
    } else {
        vec![Val::Num(i), v]
    })
}

fn ipairs(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let t = check_table(vm, &args, 0, "ipairs")?;
    let step = Val::Func(Rc::new(Function::Builtin("ipairs_iterator", ipairs_step)));
    Ok(vec![step, Val::Table(t), Val::Num(0.0)])
}

fn rawequal(_: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    Ok(vec![Val::Bool(arg(&args, 0).raw_eq(&arg(&args, 1)))])
}

fn rawget(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let t = check_table(vm, &args, 0, "rawget")?;
    let v = t.borrow().get(&arg(&args, 1));
    Ok(vec![v])
}

fn rawset(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let t = check_table(vm, &args, 0, "rawset")?;
    if t.borrow().readonly {
        return Err(vm.error("Attempt to modify a readonly table"));
    }
    let r = t.borrow_mut().set(arg(&args, 1), arg(&args, 2));
    r.map_err(|m| vm.error(m))?;
    Ok(vec![Val::Table(t)])
}

fn select(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    if matches!(arg(&args, 0), Val::Str(s) if &*s == b"#") {
        return Ok(vec![Val::Num((args.len().saturating_sub(1)) as f64)]);
    }
    let n = check_num(vm, &args, 0, "select")?;
    let count = args.len() as f64 - 1.0;
    let start = if n < 0.0 { count + n } else { n - 1.0 };
    if start.is_nan() || start < 0.0 || n == 0.0 {
        return Err(bad_arg(vm, 0, "select", "index out of range"));
    }
    Ok(args.into_iter().skip(1).skip(start as usize).collect())
}

fn setmetatable(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let t = check_table(vm, &args, 0, "setmetatable")?;
    let meta = match arg(&args, 1) {
        Val::Nil => None,
        Val::Table(m) => Some(m),
        _ => return Err(bad_arg(vm, 1, "setmetatable", "nil or table expected")),
    };
    if t.borrow().readonly {
        return Err(vm.error("Attempt to modify a readonly table"));
    }
    t.borrow_mut().meta = meta;
    Ok(vec![Val::Table(t)])
}

fn getmetatable(_: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    Ok(vec![match arg(&args, 0) {
        Val::Table(t) => t.borrow().meta.clone().map_or(Val::Nil, Val::Table),
        _ => Val::Nil,
    }])
}

fn tonumber(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let base = opt_num(vm, &args, 1, "tonumber", 10.0)?;
    if base == 10.0 {
        return Ok(vec![arg(&args, 0).to_num().map_or(Val::Nil, Val::Num)]);
    }
    if !(2.0..=36.0).contains(&base) {
        return Err(bad_arg(vm, 1, "tonumber", "base out of range"));
    }
    let s = check_str(vm, &args, 0, "tonumber")?;
    let text = String::from_utf8_lossy(&s);
    let text = text.trim();
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    let mut v = 0.0;
    for c in digits.chars() {
        match c.to_digit(base as u32) {
            Some(d) => v = v * base + f64::from(d),
            None => return Ok(vec![Val::Nil]),
        }
    }
    if digits.is_empty() {
        return Ok(vec![Val::Nil]);
    }
    Ok(vec![Val::Num(if neg { -v } else { v })])
}

/// `tostring`: how `print` and `..` show a value.
pub fn tostring_val(vm: &mut Interp<'_>, v: &Val) -> Result<Vec<u8>, LuaError> {
    Ok(match v {
        Val::Nil => b"nil".to_vec(),
        Val::Bool(b) => b.to_string().into_bytes(),
        Val::Num(n) => fmt_num(*n).into_bytes(),
        Val::Str(s) => s.to_vec(),
        Val::Table(t) => {
            let h = super::interp::meta_field(t, "__tostring");
            if matches!(h, Val::Func(_)) {
                let r = vm.call(&h, vec![v.clone()])?;
                return match r.first() {
                    Some(Val::Str(s)) => Ok(s.to_vec()),
                    _ => Err(vm.error("'__tostring' must return a string")),
                };
            }
            format!("table: {:p}", Rc::as_ptr(t)).into_bytes()
        }
        Val::Func(f) => match &**f {
            Function::Builtin(..) => format!("function: builtin: {:p}", Rc::as_ptr(f)).into_bytes(),
            Function::Lua(..) => format!("function: {:p}", Rc::as_ptr(f)).into_bytes(),
        },
    })
}

fn tostring(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    if args.is_empty() {
        return Err(expected(vm, &args, 0, "tostring", "value"));
    }
    let s = tostring_val(vm, &args[0])?;
    Ok(vec![Val::str(&s)])
}

fn type_(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    match args.first() {
        Some(v) => Ok(vec![Val::str(v.type_name().as_bytes())]),
        None => Err(expected(vm, &args, 0, "type", "value")),
    }
}

fn gcinfo(_: &mut Interp<'_>, _: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    Ok(vec![Val::Num(0.0)])
}

/// Integer range `[i, j]` of a table call; refuses ranges too long to materialize.
fn range(vm: &Interp<'_>, i: i64, j: i64, fname: &str) -> Result<Vec<i64>, LuaError> {
    if i > j {
        return Ok(Vec::new());
    }
    // Lua's own bound on values a call may return (`LUAI_MAXCSTACK`); `concat` takes more.
    let max = if fname == "unpack" {
        8_000
    } else {
        100_000_000
    };
    match j.checked_sub(i) {
        Some(n) if n < max => Ok((i..=j).collect()),
        _ => Err(vm.error(&format!("too many results to unpack ({fname})"))),
    }
}

fn unpack(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let t = check_table(vm, &args, 0, "unpack")?;
    let n = t.borrow().len() as i64;
    let i = opt_int(vm, &args, 1, "unpack", 1)?;
    let j = opt_int(vm, &args, 2, "unpack", n)?;
    let t = t.borrow();
    Ok(range(vm, i, j, "unpack")?
        .into_iter()
        .map(|k| t.get(&Val::Num(k as f64)))
        .collect())
}

fn concat(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let t = check_table(vm, &args, 0, "concat")?;
    let sep = match arg(&args, 1) {
        Val::Nil => Vec::new(),
        _ => check_str(vm, &args, 1, "concat")?,
    };
    let n = t.borrow().len() as i64;
    let i = opt_int(vm, &args, 2, "concat", 1)?;
    let j = opt_int(vm, &args, 3, "concat", n)?;
    let mut out = Vec::new();
    for k in range(vm, i, j, "concat")? {
        let v = t.borrow().get(&Val::Num(k as f64));
        let Some(b) = v.to_bytes() else {
            return Err(vm.error(&format!(
                "invalid value (at index {k}) in table for 'concat'"
            )));
        };
        if k > i {
            out.extend_from_slice(&sep);
        }
        out.extend_from_slice(&b);
        if out.len() > MAX_STRING {
            return Err(vm.error("not enough memory"));
        }
    }
    Ok(vec![Val::str(&out)])
}

fn writable(vm: &Interp<'_>, t: &TableRef) -> Result<(), LuaError> {
    if t.borrow().readonly {
        return Err(vm.error("Attempt to modify a readonly table"));
    }
    Ok(())
}

fn insert(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let t = check_table(vm, &args, 0, "insert")?;
    writable(vm, &t)?;
    let n = t.borrow().len();
    match args.len() {
        2 => {
            let _ = t.borrow_mut().set(Val::Num((n + 1) as f64), arg(&args, 1));
        }
        3 => {
            let pos = check_num(vm, &args, 1, "insert")?;
            let mut tb = t.borrow_mut();
            if pos >= 1.0 && pos <= (n + 1) as f64 && pos.fract() == 0.0 {
                tb.arr.insert(pos as usize - 1, arg(&args, 2));
            } else {
                let _ = tb.set(Val::Num(pos), arg(&args, 2));
            }
        }
        _ => return Err(vm.error("wrong number of arguments to 'insert'")),
    }
    Ok(Vec::new())
}

fn remove(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let t = check_table(vm, &args, 0, "remove")?;
    writable(vm, &t)?;
    let n = t.borrow().len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let pos = opt_num(vm, &args, 1, "remove", n as f64)?;
    let mut tb = t.borrow_mut();
    if pos >= 1.0 && pos <= n as f64 && pos.fract() == 0.0 {
        let v = tb.arr.remove(pos as usize - 1);
        while matches!(tb.arr.last(), Some(Val::Nil)) {
            tb.arr.pop();
        }
        return Ok(vec![v]);
    }
    Ok(vec![Val::Nil])
}

fn getn(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let t = check_table(vm, &args, 0, "getn")?;
    let n = t.borrow().len();
    Ok(vec![Val::Num(n as f64)])
}

fn maxn(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let t = check_table(vm, &args, 0, "maxn")?;
    let mut best = 0.0f64;
    let mut k = Val::Nil;
    while let Ok(Some((nk, _))) = t.borrow().next(&k) {
        if let Val::Num(n) = nk {
            best = best.max(n);
        }
        k = nk;
    }
    Ok(vec![Val::Num(best)])
}

fn sort(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let t = check_table(vm, &args, 0, "sort")?;
    writable(vm, &t)?;
    let cmp = arg(&args, 1);
    let mut items = t.borrow().arr.clone();
    // A merge sort over our own loop: an inconsistent comparator can give a strange order but
    // never a panic or an endless loop, and every comparison may raise a Lua error.
    let mut width = 1;
    while width < items.len() {
        let mut merged = Vec::with_capacity(items.len());
        for chunk in items.chunks(width * 2) {
            let (a, b) = chunk.split_at(width.min(chunk.len()));
            let (mut i, mut j) = (0, 0);
            while i < a.len() && j < b.len() {
                let b_first = match &cmp {
                    Val::Nil => less(&b[j], &a[i], false).map_err(|m| vm.error(&m))?,
                    f => vm
                        .call(f, vec![b[j].clone(), a[i].clone()])?
                        .first()
                        .is_some_and(Val::truthy),
                };
                if b_first {
                    merged.push(b[j].clone());
                    j += 1;
                } else {
                    merged.push(a[i].clone());
                    i += 1;
                }
            }
            merged.extend_from_slice(&a[i..]);
            merged.extend_from_slice(&b[j..]);
        }
        items = merged;
        width *= 2;
    }
    t.borrow_mut().arr = items;
    Ok(Vec::new())
}

/// Lua's relative string positions: negative counts from the end (saturating).
pub fn position(i: i64, len: usize) -> i64 {
    if i < 0 {
        (len as i64).saturating_add(i).saturating_add(1)
    } else {
        i
    }
}
