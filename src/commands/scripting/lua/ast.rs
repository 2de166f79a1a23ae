//! The syntax tree of a Lua chunk: what the parser builds and the evaluator walks.
//!
//! Go original: none. Explained in: book chapter "Scripts".
//!
//! Plain data with `Arc` and no `Rc`, so a compiled script is `Send + Sync` and the script cache
//! can share it between client threads. Nesting is bounded by the parser (see
//! [`super::parser::MAX_LEVELS`]), so the compiler-generated recursive `Drop` is safe.

use std::sync::Arc;

/// A name as written in the source.
pub type Name = Arc<str>;

/// A sequence of statements.
pub type Block = Vec<Stmt>;

/// A statement and the line it starts on.
#[derive(Debug)]
pub struct Stmt {
    /// Source line, for error messages.
    pub line: u32,
    /// What the statement does.
    pub kind: StmtKind,
}

/// The kinds of Lua statement.
#[derive(Debug)]
pub enum StmtKind {
    /// `local a, b = e1, e2`
    Local(Vec<Name>, Vec<Expr>),
    /// `a, t.x, t[i] = e1, e2, e3` (targets are `Name` or `Index` expressions).
    Assign(Vec<Expr>, Vec<Expr>),
    /// A call used as a statement; its results are dropped.
    Call(Expr),
    /// `do ... end`
    Do(Block),
    /// `while cond do ... end`
    While(Expr, Block),
    /// `repeat ... until cond` (the condition sees the body's locals).
    Repeat(Block, Expr),
    /// `if c1 then b1 elseif c2 then b2 else b3 end`
    If(Vec<(Expr, Block)>, Option<Block>),
    /// `for v = start, limit, step do ... end`
    NumFor(Name, Expr, Expr, Option<Expr>, Block),
    /// `for k, v in explist do ... end`
    GenFor(Vec<Name>, Vec<Expr>, Block),
    /// `local function f() ... end` (the name is in scope inside the body).
    LocalFunction(Name, Arc<FuncBody>),
    /// `return e1, e2`
    Return(Vec<Expr>),
    /// `break`
    Break,
}

/// A function's parameters and body, shared by every closure made from it.
#[derive(Debug)]
pub struct FuncBody {
    /// Named parameters, in order.
    pub params: Vec<Name>,
    /// Whether the parameter list ends in `...`.
    pub is_vararg: bool,
    /// The statements.
    pub body: Block,
}

/// An expression. Nodes that can fail carry their line.
#[derive(Debug)]
pub enum Expr {
    /// `nil`
    Nil,
    /// `true` / `false`
    Bool(bool),
    /// A number literal.
    Num(f64),
    /// A string literal.
    Str(Arc<[u8]>),
    /// `...`
    Vararg,
    /// `function (...) ... end`
    Function(Arc<FuncBody>),
    /// `{ ... }`
    Table(Vec<Field>, u32),
    /// A variable: local, upvalue or global, resolved when run.
    Name(Name, u32),
    /// `obj[key]` and `obj.key`.
    Index(Box<Expr>, Box<Expr>, u32),
    /// `f(args)`
    Call(Box<Expr>, Vec<Expr>, u32),
    /// `obj:name(args)`
    Method(Box<Expr>, Name, Vec<Expr>, u32),
    /// `(e)`: truncates a multi-value expression to one value.
    Paren(Box<Expr>),
    /// A binary operator (`and`/`or` included; they short-circuit).
    Bin(BinOp, Box<Expr>, Box<Expr>, u32),
    /// A unary operator.
    Un(UnOp, Box<Expr>, u32),
}

/// One entry of a table constructor.
#[derive(Debug)]
pub enum Field {
    /// `e` — the next array slot.
    Pos(Expr),
    /// `[k] = v` and `name = v`.
    Named(Expr, Expr),
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq)]
#[allow(missing_docs)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq)]
#[allow(missing_docs)]
pub enum UnOp {
    Neg,
    Not,
    Len,
}

impl Expr {
    /// Whether the expression can produce several values (a call or `...`).
    pub fn is_multi(&self) -> bool {
        matches!(self, Expr::Call(..) | Expr::Method(..) | Expr::Vararg)
    }
}
