//! The `redis` table scripts talk to the server through, and Redis's reply ↔ Lua conversions.
//!
//! Go original: none. Explained in: book chapter "Scripts".
//!
//! The conversions follow Redis 7's RESP2 rules (`script_lua.c`): a nil reply becomes `false`
//! (not `nil`, which would end an array table), a status becomes `{ok=...}` and an error
//! `{err=...}`; back the other way, a table with `err` or `ok` becomes that reply again, so
//! `return redis.call(...)` passes a reply through unchanged.

use super::interp::{Interp, LuaError};
use super::stdlib::{arg, check_str, reg, table_ref};
use super::value::{Function, Table, TableRef, Val, fmt_g};
use super::{Mode, Registered, sha1_hex};
use crate::protocol::resp::{Value, format_double};
use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

/// Builds the `redis` global for `vm`'s mode.
pub fn install(vm: &mut Interp<'_>) {
    let t = table_ref();
    if vm.mode != Mode::Library {
        reg(&t, "call", call);
        reg(&t, "pcall", pcall);
    }
    if vm.mode != Mode::Eval {
        reg(&t, "register_function", register_function);
        // Loading a library, Redis answers a missing field (`redis.call`) as a missing global.
        let meta = table_ref();
        reg(&meta, "__index", missing_field);
        t.borrow_mut().meta = Some(meta);
    }
    reg(&t, "error_reply", error_reply);
    reg(&t, "status_reply", status_reply);
    reg(&t, "sha1hex", sha1hex);
    reg(&t, "log", log);
    reg(&t, "setresp", setresp);
    {
        let mut m = t.borrow_mut();
        for (name, level) in [
            ("LOG_DEBUG", 0.0),
            ("LOG_VERBOSE", 1.0),
            ("LOG_NOTICE", 2.0),
            ("LOG_WARNING", 3.0),
        ] {
            let _ = m.set(Val::str(name.as_bytes()), Val::Num(level));
        }
        let _ = m.set(Val::str(b"REDIS_VERSION"), Val::str(b"7.0.15"));
        let _ = m.set(
            Val::str(b"REDIS_VERSION_NUM"),
            Val::Num(f64::from(0x0007_000F)),
        );
        m.readonly = true;
    }
    let _ = vm
        .globals
        .borrow_mut()
        .set(Val::str(b"redis"), Val::Table(t));
}

/// A Lua array table of byte strings (KEYS, ARGV).
pub fn array(items: &[Vec<u8>]) -> Val {
    let t = Table::from_array(items.iter().map(|i| Val::str(i)).collect());
    Val::Table(Rc::new(RefCell::new(t)))
}

fn tagged(field: &str, text: &[u8]) -> Val {
    let t = table_ref();
    let _ = t
        .borrow_mut()
        .set(Val::str(field.as_bytes()), Val::str(text));
    Val::Table(t)
}

/// A string field of a table, if the value is a table holding one.
fn str_field(v: &Val, field: &str) -> Option<Vec<u8>> {
    match v {
        Val::Table(t) => match t.borrow().get_str(field) {
            Val::Str(s) => Some(s.to_vec()),
            _ => None,
        },
        _ => None,
    }
}

/// A raised value as an error text: a table's `err` field as is (`true`), else the message.
pub fn error_text(v: &Val) -> (Vec<u8>, bool) {
    if let Some(e) = str_field(v, "err") {
        return (e, true);
    }
    match v.to_bytes() {
        Some(b) => (b, false),
        None => (
            format!("(error object is a {} value)", v.type_name()).into_bytes(),
            false,
        ),
    }
}

/// A script's return value as a reply (Redis's Lua → RESP2 rules).
pub fn to_reply(v: &Val) -> Value {
    to_reply_depth(v, 0)
}

fn to_reply_depth(v: &Val, depth: usize) -> Value {
    match v {
        Val::Num(n) => Value::Integer(num_to_int(*n)),
        Val::Str(s) => Value::Bulk(s.to_vec()),
        Val::Bool(true) => Value::Integer(1),
        Val::Table(t) => {
            // A status or error reply is one line: CR and LF become spaces, as in Redis, or a
            // script could write frames of its own into the reply stream.
            let one_line = |text: Vec<u8>| {
                Cow::Owned(String::from_utf8_lossy(&text).replace(['\r', '\n'], " "))
            };
            if let Some(e) = str_field(v, "err") {
                return Value::Error(one_line(e));
            }
            if let Some(ok) = str_field(v, "ok") {
                return Value::Simple(one_line(ok));
            }
            // Redis refuses to nest replies without bound; a table containing itself would
            // otherwise never end.
            if depth > 64 {
                return Value::Error(Cow::Borrowed("ERR reached lua stack limit"));
            }
            let items: Vec<Val> = t
                .borrow()
                .arr
                .iter()
                .take_while(|x| !matches!(x, Val::Nil))
                .cloned()
                .collect();
            Value::Array(items.iter().map(|x| to_reply_depth(x, depth + 1)).collect())
        }
        _ => Value::Null,
    }
}

/// Truncates toward zero; NaN and out-of-range numbers give `i64::MIN`, as C's cast does on x86.
fn num_to_int(n: f64) -> i64 {
    // 2^63 is exactly representable; the NaN test is implied by the range test.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n) {
        i64::MIN
    } else {
        n.trunc() as i64
    }
}

// ANCHOR: from_reply
/// A command's reply as a Lua value (Redis's RESP2 → Lua rules); errors become `{err=...}`.
pub fn from_reply(v: Value) -> Val {
    match v {
        Value::Integer(i) => Val::Num(i as f64),
        Value::Bulk(b) | Value::Verbatim(b) => Val::str(&b),
        Value::BigNumber(s) => Val::str(s.as_bytes()),
        Value::Null | Value::NullArray => Val::Bool(false),
        Value::Simple(s) => tagged("ok", s.as_bytes()),
        Value::Error(e) => tagged("err", e.as_bytes()),
        Value::Array(items) | Value::Set(items) | Value::Push(items) => {
            list(items.into_iter().map(from_reply))
        }
        Value::Map(pairs) | Value::PairMap(pairs) => list(
            pairs
                .into_iter()
                .flat_map(|(k, v)| [from_reply(k), from_reply(v)]),
        ),
        // RESP2 sends a double as a bulk string, in the server's own format.
        Value::Double(d) => Val::str(format_double(d).as_bytes()),
        Value::Boolean(b) => Val::Num(if b { 1.0 } else { 0.0 }),
        Value::Attributed(inner) => from_reply(inner.1),
        Value::Bulks(b) => list(b.iter().map(Val::str)),
    }
}
// ANCHOR_END: from_reply

fn list(items: impl Iterator<Item = Val>) -> Val {
    Val::Table(Rc::new(RefCell::new(Table::from_array(items.collect()))))
}

fn argv(vm: &mut Interp<'_>, args: &[Val]) -> Result<Vec<Vec<u8>>, LuaError> {
    if args.is_empty() {
        return Err(LuaError::Throw(
            tagged(
                "err",
                b"ERR Please specify at least one argument for this redis lib call",
            ),
            vm.line,
        ));
    }
    let mut out = Vec::with_capacity(args.len());
    for a in args {
        match a {
            Val::Str(s) => out.push(s.to_vec()),
            // Redis formats numbers with `%.17g`; integers print without a fraction.
            Val::Num(n) => out.push(fmt_g(*n, 17, false).into_bytes()),
            _ => {
                let msg = b"ERR Lua redis lib command arguments must be strings or integers";
                return Err(LuaError::Throw(tagged("err", msg), vm.line));
            }
        }
    }
    Ok(out)
}

fn call(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let argv = argv(vm, &args)?;
    match vm.host.call(argv) {
        Value::Error(e) => Err(LuaError::Throw(tagged("err", e.as_bytes()), vm.line)),
        reply => Ok(vec![from_reply(reply)]),
    }
}

fn pcall(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let argv = match argv(vm, &args) {
        Ok(a) => a,
        Err(LuaError::Throw(v, _)) => return Ok(vec![v]),
        Err(e) => return Err(e),
    };
    Ok(vec![from_reply(vm.host.call(argv))])
}

fn error_reply(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let s = check_str(vm, &args, 0, "error_reply")?;
    // As Redis 7 (`luaPushErrorBuff`): one leading '-' goes; a text without a space has no
    // error code, so it gets "ERR": `error_reply('x')` is `{err='ERR x'}`, while
    // `error_reply('MY code')` stays `{err='MY code'}`.
    let text = s.strip_prefix(b"-").unwrap_or(&s);
    if !text.contains(&b' ') {
        let mut with_code = b"ERR ".to_vec();
        with_code.extend_from_slice(text);
        return Ok(vec![tagged("err", &with_code)]);
    }
    Ok(vec![tagged("err", text)])
}

fn status_reply(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let s = check_str(vm, &args, 0, "status_reply")?;
    Ok(vec![tagged("ok", &s)])
}

fn sha1hex(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    if args.len() != 1 {
        return Err(LuaError::Throw(
            tagged("err", b"ERR wrong number of arguments"),
            vm.line,
        ));
    }
    let s = check_str(vm, &args, 0, "sha1hex")?;
    Ok(vec![Val::str(sha1_hex(&s).as_bytes())])
}

fn log(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    if args.len() < 2 {
        return Err(LuaError::Throw(
            tagged("err", b"ERR redis.log() requires two arguments or more."),
            vm.line,
        ));
    }
    let Some(level) = arg(&args, 0).to_num() else {
        return Err(LuaError::Throw(
            tagged("err", b"ERR First argument must be a number (log level)."),
            vm.line,
        ));
    };
    if !(0.0..=3.0).contains(&level) {
        return Err(LuaError::Throw(
            tagged("err", b"ERR Invalid debug level."),
            vm.line,
        ));
    }
    let mut msg = Vec::new();
    for (i, a) in args.iter().enumerate().skip(1) {
        if i > 1 {
            msg.push(b' ');
        }
        msg.extend(a.to_bytes().unwrap_or_default());
    }
    vm.host.log(level as i64, &msg);
    Ok(Vec::new())
}

fn setresp(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    match arg(&args, 0).to_num() {
        Some(2.0) => Ok(Vec::new()),
        Some(3.0) => Err(vm.error("RESP3 replies are not supported by this server's scripts")),
        _ => Err(LuaError::Throw(
            tagged("err", b"ERR RESP version must be 2 or 3."),
            vm.line,
        )),
    }
}

fn missing_field(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let name = arg(&args, 1).to_bytes().unwrap_or_default();
    let msg = format!(
        "Script attempted to access nonexistent global variable '{}'",
        String::from_utf8_lossy(&name)
    );
    Err(vm.error(&msg))
}

fn register_function(vm: &mut Interp<'_>, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
    let fail = |vm: &Interp<'_>, m: &str| LuaError::Throw(tagged("err", m.as_bytes()), vm.line);
    let (name, callback, flags) = match args.as_slice() {
        [Val::Table(t)] => {
            let t: TableRef = t.clone();
            let t = t.borrow();
            let mut k = Val::Nil;
            while let Ok(Some((key, _))) = t.next(&k) {
                let known = matches!(&key, Val::Str(s) if matches!(&s[..], b"function_name" | b"callback" | b"flags" | b"description"));
                if !known {
                    return Err(fail(
                        vm,
                        "ERR unknown argument given to redis.register_function",
                    ));
                }
                k = key;
            }
            let mut flags = Vec::new();
            match t.get_str("flags") {
                Val::Nil => {}
                Val::Table(f) => {
                    for v in &f.borrow().arr {
                        match v {
                            Val::Str(s) => flags.push(s.to_vec()),
                            _ => {
                                return Err(fail(
                                    vm,
                                    "ERR flags argument to redis.register_function must be a table representing function flags",
                                ));
                            }
                        }
                    }
                }
                _ => {
                    return Err(fail(
                        vm,
                        "ERR flags argument to redis.register_function must be a table representing function flags",
                    ));
                }
            }
            (t.get_str("function_name"), t.get_str("callback"), flags)
        }
        [name, callback] => {
            if !matches!(callback, Val::Func(_)) {
                return Err(fail(
                    vm,
                    "ERR second argument to redis.register_function must be a function",
                ));
            }
            (name.clone(), callback.clone(), Vec::new())
        }
        [_] => {
            let msg = "ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).";
            return Err(fail(vm, msg));
        }
        _ => {
            return Err(fail(
                vm,
                "ERR wrong number of arguments to redis.register_function",
            ));
        }
    };
    let Val::Str(name) = name else {
        return Err(fail(
            vm,
            "ERR function_name argument given to redis.register_function must be a string",
        ));
    };
    if !matches!(callback, Val::Func(ref f) if matches!(**f, Function::Lua(..))) {
        return Err(fail(
            vm,
            "ERR callback argument given to redis.register_function must be a function",
        ));
    }
    if name.is_empty() || !name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_') {
        return Err(fail(
            vm,
            "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        ));
    }
    for f in &flags {
        if !matches!(
            &f[..],
            b"no-writes" | b"allow-oom" | b"allow-stale" | b"no-cluster" | b"allow-cross-slot-keys"
        ) {
            return Err(fail(vm, "ERR unknown flag given"));
        }
    }
    if vm.registered.iter().any(|(r, _)| r.name == *name) {
        return Err(fail(vm, "ERR Function already exists in the library"));
    }
    let id = vm.registered.len();
    vm.registered.push((
        Registered {
            name: name.to_vec(),
            flags,
            id,
        },
        callback,
    ));
    Ok(Vec::new())
}
