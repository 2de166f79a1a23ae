//! The evaluator: walks the syntax tree, statement by statement, expression by expression.
//!
//! Go original: none. Explained in: book chapter "Scripts".
//!
//! Locals live in a per-call [`Frame`]: a stack of (name, cell) pairs searched from the top,
//! which gives Lua's shadowing rules for free. A closure copies the visible pairs when it is
//! created; the cells are shared, so closures and their defining scope see each other's writes.
//! Slower than resolving slots at compile time, but each step is easy to follow.
//!
//! Two budgets keep a script from hurting the server: `depth` counts nested evaluation (calls
//! and sub-expressions) and turns into Lua's "stack overflow" long before the thread's stack
//! runs out; `steps` counts loop iterations and calls and asks [`Host::interrupt`] regularly.

use super::ast::{BinOp, Block, Expr, Field, FuncBody, UnOp};
use super::value::{Function, Slot, Table, TableRef, Val};
pub use super::value::{Interp, LuaError};
use super::{Host, Mode};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// Deepest evaluation nesting (calls, blocks and sub-expressions) before "stack overflow",
/// whatever the stack: a bound that does not depend on the build. The stack budget below is
/// usually reached first (a debug build recurses about 21 Lua levels, a release build 116).
pub const MAX_DEPTH: usize = 1000;
/// Stack the evaluator may use below the frame that started the run, before "stack overflow".
///
/// A count of levels alone cannot be sized right for both builds: a debug build spends about
/// 3 KiB of stack per level (12 KiB per Lua-level recursion `f(n - 1)`), a release build a
/// fraction of that. So every level also compares the current stack position with the one at
/// the start of the run. 150 KiB leaves a client thread's 256 KiB room for the server's own
/// frames and for one more level past the check.
pub const STACK_BUDGET: usize = 150 * 1024;
/// Evaluation steps between two calls of [`Host::interrupt`].
const STEPS_PER_CHECK: u32 = 1000;
/// The longest string a script may build; Lua's "not enough memory" past it.
pub const MAX_STRING: usize = 512 * 1024 * 1024;

/// The locals of one function call.
pub struct Frame {
    pub(super) vars: Vec<(Arc<str>, Slot)>,
    // Entries below `base` are the closure's upvalues; at and above it, its own locals.
    pub(super) base: usize,
    pub(super) varargs: Vec<Val>,
}

/// How a statement finished.
pub(super) enum Flow {
    /// On to the next statement.
    Normal,
    /// Leave the innermost loop.
    Break,
    /// Leave the function with these values.
    Return(Vec<Val>),
}

impl<'h> Interp<'h> {
    pub(super) fn bare(host: &'h mut dyn Host, mode: Mode) -> Self {
        Interp {
            host,
            globals: Rc::new(RefCell::new(Table::default())),
            string_lib: Rc::new(RefCell::new(Table::default())),
            mode,
            source: String::from("user_script"),
            line: 0,
            registered: Vec::new(),
            rng: 0,
            depth: 0,
            steps: 0,
            stack_base: stack_position(),
        }
    }

    /// A Lua error carrying `name:line: msg`, as `luaG_runerror` builds it.
    pub fn error(&self, msg: &str) -> LuaError {
        let text = format!("{}:{}: {}", self.source, self.line, msg);
        LuaError::Throw(Val::str(text.as_bytes()), self.line)
    }

    pub(super) fn error_at(&mut self, line: u32, msg: &str) -> LuaError {
        self.line = line;
        self.error(msg)
    }

    /// Counts one step and, every few thousand, asks the host whether to stop.
    pub fn step(&mut self) -> Result<(), LuaError> {
        self.steps += 1;
        if self.steps >= STEPS_PER_CHECK {
            self.steps = 0;
            if let Some(msg) = self.host.interrupt() {
                return Err(LuaError::Interrupt(msg));
            }
        }
        Ok(())
    }

    fn enter(&mut self) -> Result<(), LuaError> {
        if self.depth >= MAX_DEPTH || self.stack_base.abs_diff(stack_position()) > STACK_BUDGET {
            return Err(self.error("stack overflow"));
        }
        self.depth += 1;
        Ok(())
    }

    /// Marks the current stack position as the start of a run: [`STACK_BUDGET`] counts from here.
    pub fn mark_stack(&mut self) {
        self.stack_base = stack_position();
    }

    /// Calls any value with `args`; the entry point for builtins that call back (pcall, sort).
    pub fn call(&mut self, f: &Val, args: Vec<Val>) -> Result<Vec<Val>, LuaError> {
        self.call_described(f, args, "")
    }

    pub(super) fn call_described(
        &mut self,
        f: &Val,
        mut args: Vec<Val>,
        what: &str,
    ) -> Result<Vec<Val>, LuaError> {
        let func = match f {
            Val::Func(func) => func.clone(),
            Val::Table(t) => {
                let handler = meta_field(t, "__call");
                if matches!(handler, Val::Func(_)) {
                    args.insert(0, f.clone());
                    return self.call_described(&handler, args, what);
                }
                return Err(self.error(&type_error("call", what, f)));
            }
            _ => return Err(self.error(&type_error("call", what, f))),
        };
        self.step()?;
        self.enter()?;
        let line = self.line;
        let result = match &*func {
            Function::Builtin(_, b) => b(self, args),
            Function::Lua(body, upvals) => self.call_lua(body, upvals, args),
        };
        self.line = line;
        self.depth -= 1;
        result
    }

    /// Runs a Lua function body with fresh locals.
    pub(super) fn call_lua(
        &mut self,
        body: &Arc<FuncBody>,
        upvals: &[(Arc<str>, Slot)],
        args: Vec<Val>,
    ) -> Result<Vec<Val>, LuaError> {
        let mut frame = Frame {
            vars: upvals.to_vec(),
            base: upvals.len(),
            varargs: Vec::new(),
        };
        let mut args = args.into_iter();
        for p in &body.params {
            frame
                .vars
                .push((p.clone(), cell(args.next().unwrap_or_default())));
        }
        if body.is_vararg {
            frame.varargs = args.collect();
        }
        match self.exec_block(&body.body, &mut frame)? {
            Flow::Return(v) => Ok(v),
            _ => Ok(Vec::new()),
        }
    }

    pub(super) fn exec_block(
        &mut self,
        block: &Block,
        frame: &mut Frame,
    ) -> Result<Flow, LuaError> {
        self.enter()?;
        let mark = frame.vars.len();
        let flow = self.exec_stmts(block, frame)?;
        frame.vars.truncate(mark);
        self.depth -= 1;
        Ok(flow)
    }

    /// Runs the statements of `block` until one leaves it (`break`, `return`); the caller
    /// keeps the block's scope. Inlined, so a nested block costs no extra stack frame.
    #[inline(always)]
    pub(super) fn exec_stmts(
        &mut self,
        block: &Block,
        frame: &mut Frame,
    ) -> Result<Flow, LuaError> {
        for stmt in block {
            self.line = stmt.line;
            let flow = self.exec(&stmt.kind, stmt.line, frame)?;
            if !matches!(flow, Flow::Normal) {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    /// `t[k]` with `__index`, and strings indexing the string library.
    pub fn index(&mut self, obj: &Val, key: &Val, what: &str) -> Result<Val, LuaError> {
        let mut obj = obj.clone();
        for _ in 0..100 {
            let t = match &obj {
                Val::Table(t) => t.clone(),
                Val::Str(_) => return Ok(self.string_lib.borrow().get(key)),
                _ => return Err(self.error(&type_error("index", what, &obj))),
            };
            let v = t.borrow().get(key);
            if !matches!(v, Val::Nil) {
                return Ok(v);
            }
            match meta_field(&t, "__index") {
                Val::Nil => return Ok(Val::Nil),
                h @ Val::Func(_) => {
                    let r = self.call(&h, vec![obj.clone(), key.clone()])?;
                    return Ok(r.into_iter().next().unwrap_or_default());
                }
                next => obj = next,
            }
        }
        Err(self.error("loop in gettable"))
    }

    /// `t[k] = v` with `__newindex`; refuses read-only tables as Redis does.
    pub fn set_index(&mut self, obj: &Val, key: Val, v: Val, what: &str) -> Result<(), LuaError> {
        let mut obj = obj.clone();
        for _ in 0..100 {
            let Val::Table(t) = &obj else {
                return Err(self.error(&type_error("index", what, &obj)));
            };
            let t = t.clone();
            if t.borrow().readonly {
                return Err(self.error("Attempt to modify a readonly table"));
            }
            let handler = if matches!(t.borrow().get(&key), Val::Nil) {
                meta_field(&t, "__newindex")
            } else {
                Val::Nil
            };
            match handler {
                Val::Nil => {
                    let r = t.borrow_mut().set(key, v);
                    return r.map_err(|m| self.error(m));
                }
                h @ Val::Func(_) => {
                    self.call(&h, vec![obj.clone(), key, v])?;
                    return Ok(());
                }
                next => obj = next,
            }
        }
        Err(self.error("loop in settable"))
    }

    /// Evaluates a list of expressions; the last one, if a call or `...`, gives all its values.
    pub(super) fn eval_list(
        &mut self,
        exprs: &[Expr],
        frame: &mut Frame,
    ) -> Result<Vec<Val>, LuaError> {
        let mut out = Vec::with_capacity(exprs.len());
        for (i, e) in exprs.iter().enumerate() {
            if i + 1 == exprs.len() && e.is_multi() {
                out.extend(self.eval_multi(e, frame)?);
            } else {
                out.push(self.eval(e, frame)?);
            }
        }
        Ok(out)
    }

    /// All values of a call or `...`; one value for anything else.
    pub(super) fn eval_multi(&mut self, e: &Expr, frame: &mut Frame) -> Result<Vec<Val>, LuaError> {
        match e {
            Expr::Vararg => Ok(frame.varargs.clone()),
            Expr::Call(f, args, line) => {
                let fv = self.eval(f, frame)?;
                let argv = self.eval_list(args, frame)?;
                self.line = *line;
                self.call_described(&fv, argv, &describe(f, frame))
            }
            Expr::Method(obj, name, args, line) => {
                let o = self.eval(obj, frame)?;
                self.line = *line;
                let f = self.index(&o, &Val::str(name.as_bytes()), &describe(obj, frame))?;
                let mut argv = vec![o];
                argv.extend(self.eval_list(args, frame)?);
                self.line = *line;
                self.call_described(&f, argv, &format!("method '{name}'"))
            }
            _ => Ok(vec![self.eval(e, frame)?]),
        }
    }

    /// Evaluates one expression to one value.
    pub(super) fn eval(&mut self, e: &Expr, frame: &mut Frame) -> Result<Val, LuaError> {
        self.enter()?;
        let r = self.eval_inner(e, frame);
        self.depth -= 1;
        r
    }

    fn eval_inner(&mut self, e: &Expr, frame: &mut Frame) -> Result<Val, LuaError> {
        Ok(match e {
            Expr::Nil => Val::Nil,
            Expr::Bool(b) => Val::Bool(*b),
            Expr::Num(n) => Val::Num(*n),
            Expr::Str(s) => Val::str(s),
            Expr::Vararg => frame.varargs.first().cloned().unwrap_or_default(),
            Expr::Function(body) => {
                Val::Func(Rc::new(Function::Lua(body.clone(), frame.vars.clone())))
            }
            Expr::Name(n, line) => match lookup(frame, n) {
                Some(slot) => slot.borrow().clone(),
                None => {
                    let v = self.globals.borrow().get(&Val::str(n.as_bytes()));
                    if matches!(v, Val::Nil) {
                        let msg =
                            format!("Script attempted to access nonexistent global variable '{n}'");
                        return Err(self.error_at(*line, &msg));
                    }
                    v
                }
            },
            Expr::Index(obj, key, line) => self.eval_index(obj, key, *line, frame)?,
            Expr::Call(..) | Expr::Method(..) => self
                .eval_multi(e, frame)?
                .into_iter()
                .next()
                .unwrap_or_default(),
            Expr::Paren(inner) => self.eval(inner, frame)?,
            Expr::Table(fields, line) => self.table(fields, *line, frame)?,
            Expr::Un(op, operand, line) => self.unary(*op, operand, *line, frame)?,
            Expr::Bin(..) => self.eval_bin(e, frame)?,
        })
    }

    #[inline(never)]
    fn eval_index(
        &mut self,
        obj: &Expr,
        key: &Expr,
        line: u32,
        frame: &mut Frame,
    ) -> Result<Val, LuaError> {
        let o = self.eval(obj, frame)?;
        let k = self.eval(key, frame)?;
        self.line = line;
        self.index(&o, &k, &describe(obj, frame))
    }

    #[inline(never)]
    fn unary(
        &mut self,
        op: UnOp,
        operand: &Expr,
        line: u32,
        frame: &mut Frame,
    ) -> Result<Val, LuaError> {
        let v = self.eval(operand, frame)?;
        self.line = line;
        let what = match (op, &v) {
            (UnOp::Not, _) => return Ok(Val::Bool(!v.truthy())),
            (UnOp::Len, Val::Str(s)) => return Ok(Val::Num(s.len() as f64)),
            (UnOp::Len, Val::Table(t)) => return Ok(Val::Num(t.borrow().len() as f64)),
            (UnOp::Len, _) => "get length of",
            (UnOp::Neg, _) => match v.to_num() {
                Some(n) => return Ok(Val::Num(-n)),
                None => "perform arithmetic on",
            },
        };
        Err(self.error(&type_error(what, &describe(operand, frame), &v)))
    }

    #[inline(never)]
    fn eval_bin(&mut self, e: &Expr, frame: &mut Frame) -> Result<Val, LuaError> {
        let Expr::Bin(op, l, r, line) = e else {
            return Ok(Val::Nil);
        };
        let a = self.eval(l, frame)?;
        match op {
            BinOp::And if !a.truthy() => Ok(a),
            BinOp::Or if a.truthy() => Ok(a),
            BinOp::And | BinOp::Or => self.eval(r, frame),
            _ => {
                let b = self.eval(r, frame)?;
                self.line = *line;
                self.binary(*op, a, b, l, r, frame)
            }
        }
    }

    #[inline(never)]
    fn table(&mut self, fields: &[Field], line: u32, frame: &mut Frame) -> Result<Val, LuaError> {
        // Positional items go straight into the array part, holes included, as Lua sizes the
        // array for them up front: `#{1, nil, 3}` is 3 there too.
        let mut items = Vec::new();
        let mut named = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            match f {
                Field::Pos(e) if i + 1 == fields.len() && e.is_multi() => {
                    items.extend(self.eval_multi(e, frame)?)
                }
                Field::Pos(e) => items.push(self.eval(e, frame)?),
                Field::Named(k, v) => {
                    let k = self.eval(k, frame)?;
                    let v = self.eval(v, frame)?;
                    named.push((k, v));
                }
            }
        }
        let mut t = Table::from_array(items);
        for (k, v) in named {
            if let Err(m) = t.set(k, v) {
                return Err(self.error_at(line, m));
            }
        }
        Ok(Val::Table(Rc::new(RefCell::new(t))))
    }

    #[inline(never)]
    fn binary(
        &mut self,
        op: BinOp,
        a: Val,
        b: Val,
        l: &Expr,
        r: &Expr,
        frame: &Frame,
    ) -> Result<Val, LuaError> {
        let arith = |f: fn(f64, f64) -> f64| match (a.to_num(), b.to_num()) {
            (Some(x), Some(y)) => Ok(Val::Num(f(x, y))),
            (None, _) => Err(type_error("perform arithmetic on", &describe(l, frame), &a)),
            _ => Err(type_error("perform arithmetic on", &describe(r, frame), &b)),
        };
        let result = match op {
            BinOp::Add => arith(|x, y| x + y),
            BinOp::Sub => arith(|x, y| x - y),
            BinOp::Mul => arith(|x, y| x * y),
            BinOp::Div => arith(|x, y| x / y),
            BinOp::Mod => arith(|x, y| x - (x / y).floor() * y),
            BinOp::Pow => arith(f64::powf),
            BinOp::Concat => match (a.to_bytes(), b.to_bytes()) {
                (Some(mut x), Some(y)) => {
                    if x.len() + y.len() > MAX_STRING {
                        return Err(self.error("not enough memory"));
                    }
                    x.extend_from_slice(&y);
                    Ok(Val::str(&x))
                }
                (None, _) => Err(type_error("concatenate", &describe(l, frame), &a)),
                _ => Err(type_error("concatenate", &describe(r, frame), &b)),
            },
            BinOp::Eq => Ok(Val::Bool(a.raw_eq(&b))),
            BinOp::Ne => Ok(Val::Bool(!a.raw_eq(&b))),
            BinOp::Lt => less(&a, &b, false).map(Val::Bool),
            BinOp::Le => less(&a, &b, true).map(Val::Bool),
            BinOp::Gt => less(&b, &a, false).map(Val::Bool),
            BinOp::Ge => less(&b, &a, true).map(Val::Bool),
            BinOp::And | BinOp::Or => Ok(Val::Nil),
        };
        result.map_err(|m| self.error(&m))
    }
}

/// `a < b` (or `<=`) for numbers and strings; Lua's message for anything else.
pub fn less(a: &Val, b: &Val, or_equal: bool) -> Result<bool, String> {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => Ok(if or_equal { x <= y } else { x < y }),
        (Val::Str(x), Val::Str(y)) => Ok(if or_equal { x <= y } else { x < y }),
        _ if a.type_name() == b.type_name() => {
            Err(format!("attempt to compare two {} values", a.type_name()))
        }
        _ => Err(format!(
            "attempt to compare {} with {}",
            a.type_name(),
            b.type_name()
        )),
    }
}

/// An address inside the current stack frame (the stack grows down on every supported target).
#[inline(never)]
fn stack_position() -> usize {
    let probe = 0u8;
    std::hint::black_box(&probe) as *const u8 as usize
}

pub(super) fn cell(v: Val) -> Slot {
    Rc::new(RefCell::new(v))
}

pub(super) fn lookup<'f>(frame: &'f Frame, name: &str) -> Option<&'f Slot> {
    frame
        .vars
        .iter()
        .rev()
        .find(|(n, _)| &**n == name)
        .map(|(_, s)| s)
}

/// A field of a table's metatable (nil when it has none).
pub fn meta_field(t: &TableRef, name: &str) -> Val {
    match &t.borrow().meta {
        Some(m) => m.borrow().get_str(name),
        None => Val::Nil,
    }
}

/// How Lua names the variable an expression reads: "local 'x'", "global 'f'", "field 'a'".
pub(super) fn describe(e: &Expr, frame: &Frame) -> String {
    match e {
        Expr::Name(n, _) => match frame.vars.iter().rposition(|(v, _)| v == n) {
            Some(i) if i >= frame.base => format!("local '{n}'"),
            Some(_) => format!("upvalue '{n}'"),
            None => format!("global '{n}'"),
        },
        Expr::Index(_, key, _) => match &**key {
            Expr::Str(s) => format!("field '{}'", String::from_utf8_lossy(s)),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// "attempt to <what> <variable> (a <type> value)", or "... a <type> value" without a name.
fn type_error(action: &str, what: &str, v: &Val) -> String {
    if what.is_empty() {
        format!("attempt to {action} a {} value", v.type_name())
    } else {
        format!("attempt to {action} {what} (a {} value)", v.type_name())
    }
}
