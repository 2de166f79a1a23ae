//! The scripting commands: `EVAL`, `EVALSHA`, their `_RO` forms, `SCRIPT`, `FUNCTION`, `FCALL`.
//!
//! Go original: none. Explained in: book chapter "Scripts".

use std::sync::Arc;

use super::lua::{self, Mode};
use super::{
    ALLOW_OOM, Guarded, Library, NO_WRITES, Run, error_reply, one_line, parse_flags, running,
};
use crate::commands::registry::{NO_KEYS, Subcommand, flags::*};
use crate::commands::{ClientContext, Context, Handler, Registry, Shared};
use crate::protocol::resp::Value;

/// The subcommands of `SCRIPT`.
const SCRIPT_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("script|exists", -3),
    Subcommand::new("script|flush", -2),
    Subcommand::new("script|help", 2),
    Subcommand::new("script|kill", 2),
    Subcommand::new("script|load", 3),
];

/// The subcommands of `FUNCTION`.
const FUNCTION_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("function|delete", 3),
    Subcommand::new("function|flush", -2),
    Subcommand::new("function|help", 2),
    Subcommand::new("function|kill", 2),
    Subcommand::new("function|list", -2),
    Subcommand::new("function|load", -3),
];

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    let runner = NOSCRIPT | STALE | SKIP_SLOWLOG;
    r.add(
        "eval",
        Handler::Script(eval),
        -3,
        runner | MAY_REPLICATE,
        NO_KEYS,
    );
    r.add(
        "evalsha",
        Handler::Script(evalsha),
        -3,
        runner | MAY_REPLICATE,
        NO_KEYS,
    );
    r.add(
        "eval_ro",
        Handler::Script(eval_ro),
        -3,
        runner | READONLY,
        NO_KEYS,
    );
    r.add(
        "evalsha_ro",
        Handler::Script(evalsha_ro),
        -3,
        runner | READONLY,
        NO_KEYS,
    );
    r.add(
        "fcall",
        Handler::Script(fcall),
        -3,
        runner | MAY_REPLICATE,
        NO_KEYS,
    );
    r.add(
        "fcall_ro",
        Handler::Script(fcall_ro),
        -3,
        runner | READONLY,
        NO_KEYS,
    );
    r.client("script", script, -2, NOSCRIPT, NO_KEYS);
    r.subcommands("script", SCRIPT_SUBCOMMANDS);
    // A write handler for `LOAD`, `DELETE` and `FLUSH`, which the AOF and replicas must see.
    r.add("function", Handler::Write(function), -2, NOSCRIPT, NO_KEYS);
    r.subcommands("function", FUNCTION_SUBCOMMANDS);
}

/// `EVAL script numkeys [key ...] [arg ...]`.
fn eval(g: Guarded<'_>, args: &[Vec<u8>]) -> Value {
    eval_generic(g, args, false, false)
}

/// `EVALSHA sha1 numkeys [key ...] [arg ...]`.
fn evalsha(g: Guarded<'_>, args: &[Vec<u8>]) -> Value {
    eval_generic(g, args, true, false)
}

/// `EVAL_RO`: as `EVAL`, refusing every write.
fn eval_ro(g: Guarded<'_>, args: &[Vec<u8>]) -> Value {
    eval_generic(g, args, false, true)
}

/// `EVALSHA_RO`.
fn evalsha_ro(g: Guarded<'_>, args: &[Vec<u8>]) -> Value {
    eval_generic(g, args, true, true)
}

/// `FCALL function numkeys [key ...] [arg ...]`.
fn fcall(g: Guarded<'_>, args: &[Vec<u8>]) -> Value {
    fcall_generic(g, args, false)
}

/// `FCALL_RO`.
fn fcall_ro(g: Guarded<'_>, args: &[Vec<u8>]) -> Value {
    fcall_generic(g, args, true)
}

/// A script's `KEYS` and `ARGV`.
type KeysAndArgs<'a> = (&'a [Vec<u8>], &'a [Vec<u8>]);

/// Splits `numkeys key... arg...` as Redis does, with its errors.
fn keys_and_args(rest: &[Vec<u8>]) -> Result<KeysAndArgs<'_>, Value> {
    let n: i64 = std::str::from_utf8(&rest[0])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(Value::error("ERR value is not an integer or out of range"))?;
    if n < 0 {
        return Err(Value::error("ERR Number of keys can't be negative"));
    }
    let n = n as usize;
    if n > rest.len() - 1 {
        return Err(Value::error(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    Ok((&rest[1..1 + n], &rest[1 + n..]))
}

// ANCHOR: eval_generic
/// The body of the four `EVAL` forms: find or compile the script, then run it.
fn eval_generic(g: Guarded<'_>, args: &[Vec<u8>], by_sha: bool, ro: bool) -> Value {
    // Redis reads `numkeys` first: a bad count is refused before any lookup or compilation.
    let (keys, argv) = match keys_and_args(&args[1..]) {
        Ok(split) => split,
        Err(e) => return e,
    };
    let found = if by_sha {
        let sha = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
        g.shared.scripts.get(&sha).map(|script| (sha, script))
    } else {
        match g.shared.scripts.load(&args[0]) {
            Ok(found) => Some(found),
            Err(e) => return e,
        }
    };
    let Some((sha, script)) = found else {
        return Value::error("NOSCRIPT No matching script. Please use EVAL.");
    };
    let read_only = ro || script.flags.is_some_and(|f| f & NO_WRITES != 0);
    run(g, keys, argv, read_only, sha, Mode::Eval, |vm| {
        vm.run(&script.chunk)
    })
}
// ANCHOR_END: eval_generic

/// The body of `FCALL` and `FCALL_RO`: load the function's library in a fresh state, then
/// call the function.
fn fcall_generic(g: Guarded<'_>, args: &[Vec<u8>], ro: bool) -> Value {
    let found = g.shared.scripts.libraries().values().find_map(|lib| {
        let (_, flags) = lib.functions.iter().find(|(n, _)| *n == args[0])?;
        Some((lib.chunk.clone(), *flags))
    });
    let Some((chunk, flags)) = found else {
        return Value::error("ERR Function not found");
    };
    let (keys, argv) = match keys_and_args(&args[1..]) {
        Ok(split) => split,
        Err(e) => return e,
    };
    if ro && flags & NO_WRITES == 0 {
        return Value::error("ERR Can not execute a script with write flag using *_ro command.");
    }
    let name = String::from_utf8_lossy(&args[0]).into_owned();
    let wanted = args[0].clone();
    let read_only = flags & NO_WRITES != 0;
    run(g, keys, argv, read_only, name, Mode::Function, |vm| {
        vm.run(&chunk)?;
        let id = vm
            .registered()
            .into_iter()
            .find(|r| r.name == wanted)
            .map_or(usize::MAX, |r| r.id);
        vm.call_registered(id, keys, argv)
    })
}

// ANCHOR: run
/// Runs a script for `g.client`: a fresh Lua state with `KEYS` and `ARGV`, commands checked
/// and run through [`Run`], the client's database put back afterwards (a script's `SELECT`
/// stays inside it), and its declared keys tracked if it read anything.
#[allow(clippy::too_many_arguments)]
fn run(
    g: Guarded<'_>,
    keys: &[Vec<u8>],
    args: &[Vec<u8>],
    read_only: bool,
    name: String,
    mode: Mode,
    body: impl FnOnce(&mut lua::Interp<'_>) -> Result<Value, lua::ScriptError>,
) -> Value {
    let shared = g.shared;
    let (db, was_in_exec) = (g.client.db, g.client.in_exec);
    g.client.in_exec = true;
    running(shared, true, mode == Mode::Function);
    let mut host = Run {
        g,
        read_only,
        read_any: false,
        name,
    };
    let result = {
        let mut vm = lua::Interp::new(&mut host, mode);
        vm.set_array("KEYS", keys);
        vm.set_array("ARGV", args);
        body(&mut vm)
    };
    running(shared, false, false);
    let Run {
        g: Guarded { client, .. },
        read_any,
        name,
        ..
    } = host;
    client.in_exec = was_in_exec;
    client.db = db;
    if read_any && client.tracking && !keys.is_empty() {
        // Redis 7.0 tracks a script's declared keys once it ran a read.
        shared.tracking.remember(client, "mget", keys);
    }
    match result {
        Ok(reply) => reply,
        Err(e) => error_reply(e, &name),
    }
}
// ANCHOR_END: run

/// `SCRIPT LOAD | EXISTS | FLUSH | KILL | HELP`.
fn script(shared: &Shared, _: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let sub = args[0].to_ascii_lowercase();
    match (sub.as_slice(), args.len()) {
        (b"load", 2) => match shared.scripts.load(&args[1]) {
            Ok((sha, _)) => Value::bulk(sha.as_bytes()),
            Err(e) => e,
        },
        (b"exists", n) if n >= 2 => Value::Array(
            args[1..]
                .iter()
                .map(|sha| {
                    let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
                    Value::Integer(i64::from(shared.scripts.get(&sha).is_some()))
                })
                .collect(),
        ),
        (b"flush", 1 | 2) => {
            if let Some(mode) = args.get(1)
                && !mode.eq_ignore_ascii_case(b"sync")
                && !mode.eq_ignore_ascii_case(b"async")
            {
                return Value::error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
            }
            shared.scripts.flush();
            Value::OK
        }
        (b"kill", 1) => shared.scripts.kill(),
        (b"help", 1) => Value::Array(
            [
                "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "EXISTS <sha1> [<sha1> ...]",
                "FLUSH [ASYNC|SYNC]",
                "KILL",
                "LOAD <script>",
                "HELP",
            ]
            .into_iter()
            .map(Value::simple)
            .collect(),
        ),
        _ => unknown_subcommand("SCRIPT", &args[0]),
    }
}

// ANCHOR: function
/// `FUNCTION LOAD [REPLACE] code | DELETE name | FLUSH | LIST | KILL | HELP`.
fn function(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let sub = args[0].to_ascii_lowercase();
    let shared = ctx.shared;
    match (sub.as_slice(), args.len()) {
        (b"load", 2 | 3) => {
            let replace = args.len() == 3;
            if replace && !args[1].eq_ignore_ascii_case(b"replace") {
                return Value::error_owned(format!(
                    "ERR Unknown option given: {}",
                    one_line(&args[1])
                ));
            }
            let code = &args[args.len() - 1];
            match load_library(shared, code, replace) {
                Ok(name) => {
                    ctx.log(&[b"FUNCTION", b"LOAD", b"REPLACE", code]);
                    Value::bulk(&name)
                }
                Err(e) => e,
            }
        }
        (b"delete", 2) => {
            if shared.scripts.libraries().remove(&args[1]).is_none() {
                return Value::error("ERR Library not found");
            }
            ctx.log(&[b"FUNCTION", b"DELETE", &args[1]]);
            Value::OK
        }
        (b"flush", 1 | 2) => {
            shared.scripts.libraries().clear();
            ctx.log(&[b"FUNCTION", b"FLUSH"]);
            Value::OK
        }
        (b"list", _) => list(shared, &args[1..]),
        (b"kill", 1) => shared.scripts.kill(),
        _ => unknown_subcommand("FUNCTION", &args[0]),
    }
}
// ANCHOR_END: function

/// Compiles and loads a library: its `#!lua name=` header, a run that registers its functions
/// (and may call no command), and the checks that no name is taken.
fn load_library(shared: &Shared, code: &[u8], replace: bool) -> Result<Vec<u8>, Value> {
    let end = super::line_end(code);
    let header = String::from_utf8_lossy(&code[..end]).into_owned();
    let mut words = header.split_ascii_whitespace();
    if words.next().is_none_or(|w| !w.starts_with("#!")) {
        return Err(Value::error("ERR Missing library metadata"));
    }
    let mut name = None;
    for word in words {
        match word.strip_prefix("name=") {
            Some(n) => name = Some(n.as_bytes().to_vec()),
            None => {
                return Err(Value::error_owned(format!(
                    "ERR Invalid metadata value given: {}",
                    one_line(word.as_bytes())
                )));
            }
        }
    }
    let Some(name) = name else {
        return Err(Value::error("ERR Library name was not given"));
    };
    if shared.scripts.libraries().contains_key(&name) && !replace {
        return Err(Value::error_owned(format!(
            "ERR Library '{}' already exists",
            one_line(&name)
        )));
    }
    let body = &code[end..];
    let chunk = lua::compile(body, "user_function").map_err(|e| {
        Value::error_owned(format!(
            "ERR Error compiling function: {}",
            one_line(e.as_bytes())
        ))
    })?;
    let mut host = Loader;
    let registered = {
        let mut vm = lua::Interp::new(&mut host, Mode::Library);
        vm.run(&chunk).map_err(|e| {
            Value::error_owned(format!(
                "ERR Error registering functions: {}",
                one_line(&e.message)
            ))
        })?;
        vm.registered()
    };
    if registered.is_empty() {
        return Err(Value::error("ERR No functions registered"));
    }
    let mut functions = Vec::new();
    for r in registered {
        let flags = parse_flags(
            r.flags
                .iter()
                .map(|f| std::str::from_utf8(f).unwrap_or("?")),
        )
        .map_err(|_| Value::error("ERR Unknown flag given"))?;
        functions.push((r.name, flags & (NO_WRITES | ALLOW_OOM | super::ALLOW_STALE)));
    }
    let mut libraries = shared.scripts.libraries();
    for (fname, _) in &functions {
        let taken = libraries
            .iter()
            .filter(|(lib, _)| **lib != name)
            .any(|(_, lib)| lib.functions.iter().any(|(n, _)| n == fname));
        if taken {
            return Err(Value::error_owned(format!(
                "ERR Function {} already exists",
                one_line(fname)
            )));
        }
    }
    let library = Library {
        code: code.to_vec(),
        chunk: Arc::new(chunk),
        functions,
    };
    libraries.insert(name.clone(), library);
    Ok(name)
}

/// The host of a library's load: it may call no command.
struct Loader;

impl lua::Host for Loader {
    fn call(&mut self, _: Vec<Vec<u8>>) -> Value {
        Value::error("ERR redis.call is not available while a library loads")
    }
    fn interrupt(&mut self) -> Option<String> {
        None
    }
    fn log(&mut self, _: i64, _: &[u8]) {}
}

/// `FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]`.
fn list(shared: &Shared, args: &[Vec<u8>]) -> Value {
    let with_code = args.iter().any(|a| a.eq_ignore_ascii_case(b"withcode"));
    let libraries = shared.scripts.libraries();
    let flag_names = |f: u32| -> Vec<Value> {
        [
            (NO_WRITES, "no-writes"),
            (ALLOW_OOM, "allow-oom"),
            (super::ALLOW_STALE, "allow-stale"),
        ]
        .into_iter()
        .filter(|(bit, _)| f & bit != 0)
        .map(|(_, n)| Value::simple(n))
        .collect()
    };
    Value::Array(
        libraries
            .iter()
            .map(|(name, lib)| {
                let mut fields = vec![
                    (Value::simple("library_name"), Value::bulk(name)),
                    (Value::simple("engine"), Value::bulk(b"LUA")),
                    (
                        Value::simple("functions"),
                        Value::Array(
                            lib.functions
                                .iter()
                                .map(|(n, f)| {
                                    Value::Map(vec![
                                        (Value::simple("name"), Value::bulk(n)),
                                        (Value::simple("description"), Value::Null),
                                        (Value::simple("flags"), Value::Set(flag_names(*f))),
                                    ])
                                })
                                .collect(),
                        ),
                    ),
                ];
                if with_code {
                    fields.push((Value::simple("library_code"), Value::bulk(&lib.code)));
                }
                Value::Map(fields)
            })
            .collect(),
    )
}

/// Redis's reply to a subcommand it does not know.
fn unknown_subcommand(cmd: &str, sub: &[u8]) -> Value {
    Value::error_owned(format!(
        "ERR unknown subcommand '{}'. Try {cmd} HELP.",
        one_line(sub)
    ))
}
