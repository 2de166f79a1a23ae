//! A small Lua 5.1, written for Redis's scripts: what `EVAL` and `FUNCTION LOAD` run.
//!
//! Go original: none (go-redis had no scripting). Explained in: book chapter "Scripts".
//!
//! The classic pipeline of a tree-walking interpreter, one stage per file:
//!
//! | file        | stage                                                        |
//! |-------------|--------------------------------------------------------------|
//! | `lexer.rs`  | bytes → tokens                                               |
//! | `parser.rs` | tokens → syntax tree (`ast.rs`), nesting bounded             |
//! | `interp.rs` | walks the tree: expressions, calls, errors, budgets          |
//! | `stmt.rs`   | walks the tree: statements and loops                         |
//! | `value.rs`  | run-time values and tables                                   |
//! | `stdlib.rs` | the base library and `table`                                 |
//! | `mathlib.rs`| `math`, with a deterministic `random`                        |
//! | `strlib.rs` | the `string` library                                         |
//! | `pattern.rs`| Lua patterns: `find`, `match`, `gmatch`, `gsub`              |
//! | `format.rs` | `string.format`                                              |
//! | `redis.rs`  | the `redis` table and the Redis ↔ Lua reply conversions      |
//! | `sha1.rs`   | SHA-1, for script digests and `redis.sha1hex`                |
//!
//! A [`Chunk`] is plain shared data; an [`Interp`] is one run, talking to the server only
//! through [`Host`]. Known gaps against Redis's Lua: no `cjson`, `cmsgpack`, `bit` or
//! `struct` libraries, no coroutines, no `loadstring`, RESP3 conversion (`redis.setresp(3)`)
//! refused, metatables limited to `__index`, `__newindex` and `__call`, and no tail calls
//! (deep tail recursion ends in "stack overflow").

mod ast;
mod format;
mod interp;
mod lexer;
mod mathlib;
mod parser;
mod pattern;
mod redis;
mod sha1;
mod stdlib;
mod stmt;
mod strlib;
mod value;

use crate::protocol::resp::Value;
use std::sync::Arc;

pub use sha1::sha1_hex;

/// A parsed script: plain data (Send + Sync), cached and shared between client threads.
pub struct Chunk {
    body: Arc<ast::FuncBody>,
    name: String,
}

/// Parses `source`; `name` is the chunk name used in messages ("user_script" or "user_function").
///
/// # Errors
/// Lua 5.1's compile message, e.g. `user_script:1: unexpected symbol near '<eof>'`.
pub fn compile(source: &[u8], name: &str) -> Result<Chunk, String> {
    // Recursive descent over 200 levels needs more stack (about 6 KiB a level in a debug
    // build) than a 256 KiB client thread has, so parsing runs on a thread of its own. A
    // script is compiled once and then cached, so the thread's cost is paid once per script.
    let parsed = std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(PARSER_STACK)
            .spawn_scoped(s, || parser::parse(source, name))
            .map(|h| h.join())
    });
    let body = match parsed {
        Ok(Ok(r)) => r?,
        _ => return Err(format!("{name}: not enough memory")),
    };
    Ok(Chunk {
        body: Arc::new(body),
        name: name.to_string(),
    })
}

/// The parsing thread's stack: room for [`parser::MAX_LEVELS`] levels with a wide margin.
const PARSER_STACK: usize = 16 * 1024 * 1024;

// ANCHOR: host
/// What the interpreter asks of the server.
pub trait Host {
    /// Runs one command for redis.call/redis.pcall and returns its reply as the server
    /// would send it; an error reply is Value::Error.
    fn call(&mut self, argv: Vec<Vec<u8>>) -> Value;
    /// Asked every few thousand evaluation steps (loop iterations, calls); Some(message)
    /// stops the script at once with that message; pcall cannot catch it.
    fn interrupt(&mut self) -> Option<String>;
    /// `redis.log(level, message ...)`: level is `redis.LOG_DEBUG` (0), `LOG_VERBOSE` (1),
    /// `LOG_NOTICE` (2) or `LOG_WARNING` (3).
    fn log(&mut self, level: i64, message: &[u8]);
}
// ANCHOR_END: host

/// Why a script stopped with an error.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptError {
    /// For an error raised with a table holding `err` (redis.call's error replies, error({err=...}),
    /// error(redis.error_reply(..))): that field's text as is. For anything else: the Lua message,
    /// e.g. "user_script:3: attempt to index field 'a' (a nil value)", "user_script:1: boom".
    /// For a stop asked by [`Host::interrupt`]: the host's message, with `is_reply` set.
    pub message: Vec<u8>,
    /// True when `message` came from a table's `err` field (it is already a Redis error text).
    pub is_reply: bool,
    /// The source line being run when it was raised.
    pub line: u32,
    /// The chunk name.
    pub source: String,
}

/// Which globals a fresh state offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `EVAL`: `redis.call` and friends, no `redis.register_function`.
    Eval,
    /// Loading a `FUNCTION` library: `redis.register_function`, no `redis.call`.
    Library,
    /// Running a library's function (`FCALL`): the library is loaded again in a fresh state,
    /// so both are there; the server checks at `FUNCTION LOAD` that loading calls nothing.
    Function,
}

/// A function a library registered with `redis.register_function`.
#[derive(Debug, Clone, PartialEq)]
pub struct Registered {
    /// Its name, `[A-Za-z0-9_]+`.
    pub name: Vec<u8>,
    /// Its flags (`no-writes`, `allow-oom`, ...), as given.
    pub flags: Vec<Vec<u8>>,
    /// What [`Interp::call_registered`] takes.
    pub id: usize,
}

/// One run of Lua: globals with the standard library and the `redis` table.
pub struct Interp<'h> {
    inner: interp::Interp<'h>,
}

impl<'h> Interp<'h> {
    /// A fresh state for `EVAL` (mode Eval: redis.call etc. available, register_function not)
    /// or for loading a `FUNCTION` library (mode Library: redis.register_function available,
    /// redis.call/pcall absent: reading them raises "Script attempted to access nonexistent global
    /// variable 'call'", as Redis 7 does).
    pub fn new(host: &'h mut dyn Host, mode: Mode) -> Self {
        let mut inner = interp::Interp::bare(host, mode);
        stdlib::install(&mut inner);
        mathlib::install(&mut inner);
        strlib::install(&mut inner);
        redis::install(&mut inner);
        // Redis 7 makes the globals read-only once the libraries are in place.
        inner.globals.borrow_mut().readonly = true;
        Interp { inner }
    }

    /// Sets global array `name` (KEYS, ARGV) to these strings, 1-based.
    pub fn set_array(&mut self, name: &str, items: &[Vec<u8>]) {
        let t = redis::array(items);
        // The server, not the script, writes here: past the read-only flag on purpose.
        let _ = self
            .inner
            .globals
            .borrow_mut()
            .set(value::Val::str(name.as_bytes()), t);
    }

    /// Runs a chunk's body; returns the script's first return value converted to a reply.
    ///
    /// # Errors
    /// The error the script raised, or the host's interrupt message.
    pub fn run(&mut self, chunk: &Chunk) -> Result<Value, ScriptError> {
        self.inner.source = chunk.name.clone();
        self.inner.mark_stack();
        let r = self.inner.call_lua(&chunk.body, &[], Vec::new());
        self.finish(r)
    }

    /// After a Library-mode run: the functions it registered, in order.
    pub fn registered(&self) -> Vec<Registered> {
        self.inner
            .registered
            .iter()
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// Calls registered function `id` with (KEYS, ARGV) as two array tables; result converted
    /// like [`Interp::run`]'s.
    ///
    /// # Errors
    /// As [`Interp::run`]; an unknown `id` is an error too.
    pub fn call_registered(
        &mut self,
        id: usize,
        keys: &[Vec<u8>],
        args: &[Vec<u8>],
    ) -> Result<Value, ScriptError> {
        let Some(f) = self.inner.registered.get(id).map(|(_, f)| f.clone()) else {
            let e = self.inner.error("no such registered function");
            return self.finish(Err(e));
        };
        self.inner.mark_stack();
        let r = self
            .inner
            .call(&f, vec![redis::array(keys), redis::array(args)]);
        self.finish(r)
    }

    fn finish(
        &mut self,
        r: Result<Vec<value::Val>, interp::LuaError>,
    ) -> Result<Value, ScriptError> {
        let source = self.inner.source.clone();
        match r {
            Ok(vals) => Ok(redis::to_reply(vals.first().unwrap_or(&value::Val::Nil))),
            Err(interp::LuaError::Interrupt(msg)) => Err(ScriptError {
                message: msg.into_bytes(),
                is_reply: true,
                line: self.inner.line,
                source,
            }),
            Err(interp::LuaError::Throw(v, line)) => {
                let (message, is_reply) = redis::error_text(&v);
                Err(ScriptError {
                    message,
                    is_reply,
                    line,
                    source,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A host that echoes commands: `echo x` gives `x`, `err` an error, `ok` a status.
    struct TestHost {
        logs: Vec<(i64, Vec<u8>)>,
        steps_left: Option<u32>,
    }

    impl Host for TestHost {
        fn call(&mut self, argv: Vec<Vec<u8>>) -> Value {
            match argv.first().map(|a| &a[..]) {
                Some(b"echo") => Value::Bulk(argv.get(1).cloned().unwrap_or_default()),
                Some(b"ok") => Value::simple("OK"),
                Some(b"nil") => Value::Null,
                Some(b"list") => Value::Array(vec![
                    Value::Integer(1),
                    Value::Bulk(b"a".to_vec()),
                    Value::Null,
                ]),
                Some(b"double") => Value::Double(1.5),
                _ => Value::error("ERR Unknown Redis command called from script"),
            }
        }
        fn interrupt(&mut self) -> Option<String> {
            match &mut self.steps_left {
                Some(0) => Some("BUSY stop".into()),
                Some(n) => {
                    *n -= 1;
                    None
                }
                None => None,
            }
        }
        fn log(&mut self, level: i64, message: &[u8]) {
            self.logs.push((level, message.to_vec()));
        }
    }

    fn host() -> TestHost {
        TestHost {
            logs: Vec::new(),
            steps_left: None,
        }
    }

    /// Runs `src` as EVAL with KEYS = {k1}, ARGV = {a1, a2}.
    pub(crate) fn eval(src: &str) -> Result<Value, ScriptError> {
        let chunk = compile(src.as_bytes(), "user_script").map_err(|m| ScriptError {
            message: m.into_bytes(),
            is_reply: false,
            line: 0,
            source: String::new(),
        })?;
        let mut h = host();
        let mut vm = Interp::new(&mut h, Mode::Eval);
        vm.set_array("KEYS", &[b"k1".to_vec()]);
        vm.set_array("ARGV", &[b"a1".to_vec(), b"a2".to_vec()]);
        vm.run(&chunk)
    }

    pub(crate) fn ok(src: &str) -> Value {
        match eval(src) {
            Ok(v) => v,
            Err(e) => panic!("{src}: {}", String::from_utf8_lossy(&e.message)),
        }
    }

    pub(crate) fn err(src: &str) -> String {
        match eval(src) {
            Ok(v) => panic!("{src}: expected an error, got {v:?}"),
            Err(e) => String::from_utf8_lossy(&e.message).into_owned(),
        }
    }

    fn bulk(s: &str) -> Value {
        Value::Bulk(s.as_bytes().to_vec())
    }

    #[test]
    fn basics() {
        assert_eq!(ok("return 1 + 2 * 3"), Value::Integer(7));
        assert_eq!(ok("return KEYS[1] .. ARGV[2]"), bulk("k1a2"));
        assert_eq!(
            ok("local t = {} for i = 1, 10 do t[#t + 1] = i end return #t"),
            Value::Integer(10)
        );
        assert_eq!(
            ok(
                "local function f(n) if n < 2 then return n end return f(n-1) + f(n-2) end return f(10)"
            ),
            Value::Integer(55)
        );
        assert_eq!(ok("return 7 / 2"), Value::Integer(3));
        assert_eq!(ok("return -7 / 2"), Value::Integer(-3));
        assert_eq!(ok("return 0/0"), Value::Integer(i64::MIN));
        assert_eq!(ok("return '10' + 5"), Value::Integer(15));
        assert_eq!(ok("return 1 .. 2"), bulk("12"));
        assert_eq!(ok("return 2^3^2"), Value::Integer(512));
        assert_eq!(ok("return nil or false and 1 or 'x'"), bulk("x"));
        assert_eq!(
            ok("return {1, 'a', true, false, 4, nil, 5}"),
            Value::Array(vec![
                Value::Integer(1),
                bulk("a"),
                Value::Integer(1),
                Value::Null,
                Value::Integer(4)
            ])
        );
        assert_eq!(ok("return"), Value::Null);
        assert_eq!(ok("return {ok='FINE'}"), Value::simple("FINE"));
        assert_eq!(ok("return {err='ERR bad'}"), Value::error("ERR bad"));
        assert_eq!(
            ok("local a, b, c = (function() return 1, 2, 3 end)() return {a, b, c}"),
            Value::Array(vec![
                Value::Integer(1),
                Value::Integer(2),
                Value::Integer(3)
            ])
        );
        assert_eq!(
            ok("local function f(...) return select('#', ...) end return f(1, nil, 3)"),
            Value::Integer(3)
        );
        assert_eq!(
            ok("local n = 0 for k, v in pairs({a=1, b=2, 3}) do n = n + v end return n"),
            Value::Integer(6)
        );
        assert_eq!(
            ok("local s = 0 for i, v in ipairs({5, 6, nil, 7}) do s = s + v end return s"),
            Value::Integer(11)
        );
        assert_eq!(
            ok("local i = 0 repeat local j = i i = i + 1 until j >= 3 return i"),
            Value::Integer(4)
        );
        assert_eq!(
            ok("local i = 0 while true do i = i + 1 if i > 5 then break end end return i"),
            Value::Integer(6)
        );
        assert_eq!(
            ok(
                "local t = {a={}} function t.a.m(x) return x end function t.a:n(x) return self == t.a end return {t.a.m(3), t.a:n()}"
            ),
            Value::Array(vec![Value::Integer(3), Value::Integer(1)])
        );
        assert_eq!(
            ok("for i = 10, 1, -3 do if i < 5 then return i end end"),
            Value::Integer(4)
        );
        assert_eq!(
            ok("local fs = {} for i = 1, 3 do fs[i] = function() return i end end return fs[2]()"),
            Value::Integer(2)
        );
        assert_eq!(
            ok(
                "local function c() local n = 0 return function() n = n + 1 return n end end local f = c() f() return f()"
            ),
            Value::Integer(2)
        );
        assert_eq!(ok("return 5 % -3"), Value::Integer(-1));
        assert_eq!(ok("return #{1, 2, nil, 4}"), Value::Integer(4));
        assert_eq!(
            ok("local n = 0 for _ in pairs({nil, 2, nil, x = 1}) do n = n + 1 end return n"),
            Value::Integer(2)
        );
        assert_eq!(ok("return #'abc' == 3 and 1 ~= 2"), Value::Integer(1));
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            err("x = 1"),
            "user_script:1: Attempt to modify a readonly table"
        );
        assert_eq!(
            err("return y"),
            "user_script:1: Script attempted to access nonexistent global variable 'y'"
        );
        assert_eq!(
            err("local t = {}\nt.a.b = 1"),
            "user_script:2: attempt to index field 'a' (a nil value)"
        );
        assert_eq!(
            err("local x\nreturn x + 1"),
            "user_script:2: attempt to perform arithmetic on local 'x' (a nil value)"
        );
        assert_eq!(
            err("return {} .. 'a'"),
            "user_script:1: attempt to concatenate a table value"
        );
        assert_eq!(
            err("return 1 < 'a'"),
            "user_script:1: attempt to compare number with string"
        );
        assert_eq!(
            err("local t = {} t.f()"),
            "user_script:1: attempt to call field 'f' (a nil value)"
        );
        assert_eq!(
            err("local f\nf()"),
            "user_script:2: attempt to call local 'f' (a nil value)"
        );
        assert_eq!(err("error('boom')"), "user_script:1: boom");
        assert_eq!(err("error('boom', 0)"), "boom");
        assert_eq!(
            err("string.x = 1"),
            "user_script:1: Attempt to modify a readonly table"
        );
        assert_eq!(
            err("return redis.call('nope')"),
            "ERR Unknown Redis command called from script"
        );
        assert_eq!(err("error({err='MY thing'})"), "MY thing");
        assert_eq!(err("error(redis.error_reply('-E x'))"), "E x");
        assert_eq!(
            err("return redis.call()"),
            "ERR Please specify at least one argument for this redis lib call"
        );
        assert_eq!(
            err("return 1 +"),
            "user_script:1: unexpected symbol near '<eof>'"
        );
    }

    #[test]
    fn pcall_and_error_values() {
        assert_eq!(
            ok("local ok, e = pcall(error, {x=1}) return type(e)"),
            bulk("table")
        );
        assert_eq!(
            ok("local ok, e = pcall(function() error('m') end) return e"),
            bulk("user_script:1: m")
        );
        assert_eq!(
            ok("return select(2, pcall(function() local x = nil; return x.y end))"),
            bulk("user_script:1: attempt to index local 'x' (a nil value)")
        );
        assert_eq!(
            ok("return redis.pcall('nope')"),
            Value::error("ERR Unknown Redis command called from script")
        );
        assert_eq!(
            ok("local r = redis.pcall('nope') return r.err"),
            bulk("ERR Unknown Redis command called from script")
        );
        assert_eq!(ok("local ok = pcall(assert, false) return ok"), Value::Null);
        assert_eq!(err("assert(false, 'nope')"), "nope");
        assert_eq!(err("assert(1 == 2)"), "user_script:1: assertion failed!");
    }

    #[test]
    fn redis_bridge() {
        assert_eq!(ok("return redis.call('echo', 'hi')"), bulk("hi"));
        assert_eq!(ok("return redis.call('echo', 3)"), bulk("3"));
        assert_eq!(ok("return redis.call('ok')"), Value::simple("OK"));
        assert_eq!(ok("return redis.call('ok').ok"), bulk("OK"));
        assert_eq!(ok("return redis.call('nil') == false"), Value::Integer(1));
        assert_eq!(
            ok("return redis.call('list')"),
            Value::Array(vec![Value::Integer(1), bulk("a"), Value::Null])
        );
        assert_eq!(ok("return redis.call('double')"), bulk("1.5"));
        assert_eq!(
            ok("return redis.status_reply('PONG')"),
            Value::simple("PONG")
        );
        assert_eq!(
            ok("return redis.sha1hex('abc')"),
            bulk("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(
            ok("return redis.REDIS_VERSION_NUM"),
            Value::Integer(0x0007_000F)
        );
        assert_eq!(ok("return redis.LOG_WARNING"), Value::Integer(3));
        assert_eq!(ok("return 3.99"), Value::Integer(3));
        assert_eq!(ok("return 1e300"), Value::Integer(i64::MIN));
        let mut h = host();
        let chunk = compile(b"redis.log(redis.LOG_NOTICE, 'a', 1)", "user_script").unwrap();
        Interp::new(&mut h, Mode::Eval).run(&chunk).unwrap();
        assert_eq!(h.logs, vec![(2, b"a 1".to_vec())]);
    }

    #[test]
    fn library_mode() {
        let src = "redis.register_function('f1', function(keys, args) return keys[1] .. args[1] end)\n\
                   redis.register_function{function_name='f2', callback=function() return 2 end, flags={'no-writes'}}";
        let chunk = compile(src.as_bytes(), "user_function").unwrap();
        let mut h = host();
        let mut vm = Interp::new(&mut h, Mode::Library);
        assert_eq!(vm.run(&chunk), Ok(Value::Null));
        let regs = vm.registered();
        assert_eq!(regs.len(), 2);
        assert_eq!(
            regs[1],
            Registered {
                name: b"f2".to_vec(),
                flags: vec![b"no-writes".to_vec()],
                id: 1
            }
        );
        assert_eq!(
            vm.call_registered(0, &[b"k".to_vec()], &[b"v".to_vec()]),
            Ok(bulk("kv"))
        );
        let chunk = compile(b"redis.call('echo', 'x')", "user_function").unwrap();
        let e = vm.run(&chunk).unwrap_err();
        assert_eq!(
            e.message,
            b"user_function:1: Script attempted to access nonexistent global variable 'call'"
                .as_slice()
        );
        assert_eq!(e.source, "user_function");
        for (src, msg) in [
            (
                "redis.register_function('a-b', function() end)",
                "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
            ),
            (
                "redis.register_function('a', 5)",
                "ERR second argument to redis.register_function must be a function",
            ),
            (
                "redis.register_function{function_name='a', callback=function() end, flags={'bogus'}}",
                "ERR unknown flag given",
            ),
            (
                "redis.register_function{function_name='a', callback=function() end, bad=1}",
                "ERR unknown argument given to redis.register_function",
            ),
            (
                "redis.register_function('f1', function() end)",
                "ERR Function already exists in the library",
            ),
        ] {
            let chunk = compile(src.as_bytes(), "user_function").unwrap();
            let e = vm.run(&chunk).unwrap_err();
            assert_eq!(String::from_utf8_lossy(&e.message), msg, "{src}");
        }
    }

    #[test]
    fn interrupt_stops_endless_loops() {
        let chunk = compile(
            b"local ok = pcall(function() while true do end end) return 1",
            "user_script",
        )
        .unwrap();
        let mut h = TestHost {
            logs: Vec::new(),
            steps_left: Some(3),
        };
        let e = Interp::new(&mut h, Mode::Eval).run(&chunk).unwrap_err();
        assert_eq!(e.message, b"BUSY stop");
    }

    /// Runs `src` on a thread with the stack of a client thread.
    fn on_small_stack(src: String) -> String {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || match eval(&src) {
                Ok(v) => format!("{v:?}"),
                Err(e) => String::from_utf8_lossy(&e.message).into_owned(),
            })
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn deep_scripts_fit_a_client_stack() {
        let overflow = "user_script:1: stack overflow";
        assert_eq!(
            on_small_stack("local function f(n) return f(n+1)+1 end return f(1)".into()),
            overflow
        );
        assert!(
            on_small_stack("local function f() return pcall(f) end return f()".into())
                .contains("stack overflow")
                || on_small_stack("local function f() return pcall(f) end return f()".into())
                    .contains("Integer")
        );
        let levels = "user_script:1: chunk has too many syntax levels";
        assert_eq!(
            on_small_stack(
                "return ".to_string() + &"(".repeat(100_000) + "1" + &")".repeat(100_000)
            ),
            levels
        );
        assert_eq!(
            on_small_stack("return 1".to_string() + &"+1".repeat(100_000)),
            levels
        );
        assert_eq!(
            on_small_stack("return ".to_string() + &"{".repeat(100_000) + &"}".repeat(100_000)),
            levels
        );
        // The deepest syntax the parser accepts still evaluates inside the budget.
        // The deepest syntax the parser accepts fails cleanly when run.
        let deep = "return ".to_string() + &"(".repeat(190) + "1" + &")".repeat(190);
        assert_eq!(on_small_stack(deep), overflow);
        let deep =
            "local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(8)";
        assert_eq!(on_small_stack(deep.into()), "Integer(8)");
        let gsub = "local function g(c) return (string.gsub('x', '.', g)) end return g('x')";
        assert_eq!(on_small_stack(gsub.into()), overflow);
        let ts = "local t = setmetatable({}, {}) getmetatable(t).__tostring = function() return tostring(t) end return tostring(t)";
        assert_eq!(on_small_stack(ts.into()), overflow);
        let pc = "local f, g f = function() return pcall(g) end g = function() local ok, e = f() error(e, 0) end return f()";
        assert_eq!(on_small_stack(pc.into()), "Null");
        // How deep a plain recursion gets inside the budget (at least a dozen levels in debug).
        let depth = "local n = 0 local function f() n = n + 1 f() end pcall(f) return n";
        let reached: i64 = on_small_stack(depth.into())
            .trim_start_matches("Integer(")
            .trim_end_matches(')')
            .parse()
            .unwrap();
        assert!(reached >= 12, "{reached}");
        let sort = "local t = {3, 2, 1} local function c(a, b) table.sort({2, 1}, c) return a < b end table.sort(t, c)";
        assert_eq!(on_small_stack(sort.into()), overflow);
    }
}
