//! Lua parser: recursive descent from tokens to the syntax tree of [`super::ast`].
//!
//! Go original: none. Explained in: book chapter "Scripts".
//!
//! It follows the grammar and the error texts of Lua 5.1's `lparser.c`. One addition for
//! safety: every nesting — a parenthesis, a table inside a table, but also each link of a long
//! left-associative chain like `1+1+...` or `a.b.c...` — counts as a syntax level, and past
//! [`MAX_LEVELS`] the chunk is refused ("chunk has too many syntax levels"). The tree can thus
//! never be deeper than that, which bounds the stack of the parser, of the evaluator walking it
//! and of the `Drop` freeing it.

use super::ast::{BinOp, Block, Expr, Field, FuncBody, Name, Stmt, StmtKind, UnOp};
use super::lexer::{Tok, tokenize};
use std::sync::Arc;

/// Deepest nesting accepted in a chunk; Lua 5.1's `LUAI_MAXCCALLS` is 200 too.
pub const MAX_LEVELS: usize = 200;

/// Parses a whole chunk; the main chunk is a vararg function with no parameters.
///
/// # Errors
/// Lua's compile message, e.g. `name:1: unexpected symbol near '<eof>'`.
pub fn parse(src: &[u8], name: &str) -> Result<FuncBody, String> {
    let toks = tokenize(src, name)?;
    let mut p = Parser {
        toks,
        pos: 0,
        name,
        level: 0,
        loops: 0,
        vararg: true,
    };
    let body = p.block()?;
    if p.peek() != &Tok::Eof {
        return Err(p.err_near("'<eof>' expected"));
    }
    Ok(FuncBody {
        params: Vec::new(),
        is_vararg: true,
        body,
    })
}

struct Parser<'a> {
    toks: Vec<(Tok, u32)>,
    pos: usize,
    name: &'a str,
    level: usize,
    loops: usize,
    vararg: bool,
}

/// Left and right binding power of each binary operator (Lua 5.1's `priority` table).
fn binop(t: &Tok) -> Option<(BinOp, u8, u8)> {
    let Tok::Sym(s) = t else { return None };
    Some(match *s {
        "+" => (BinOp::Add, 6, 6),
        "-" => (BinOp::Sub, 6, 6),
        "*" => (BinOp::Mul, 7, 7),
        "/" => (BinOp::Div, 7, 7),
        "%" => (BinOp::Mod, 7, 7),
        "^" => (BinOp::Pow, 10, 9),
        ".." => (BinOp::Concat, 5, 4),
        "==" => (BinOp::Eq, 3, 3),
        "~=" => (BinOp::Ne, 3, 3),
        "<" => (BinOp::Lt, 3, 3),
        "<=" => (BinOp::Le, 3, 3),
        ">" => (BinOp::Gt, 3, 3),
        ">=" => (BinOp::Ge, 3, 3),
        "and" => (BinOp::And, 2, 2),
        "or" => (BinOp::Or, 1, 1),
        _ => return None,
    })
}

const UNARY_PRIORITY: u8 = 8;

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::Eof, |t| &t.0)
    }

    fn line(&self) -> u32 {
        self.toks
            .get(self.pos)
            .or(self.toks.last())
            .map_or(1, |t| t.1)
    }

    fn advance(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn is(&self, sym: &str) -> bool {
        matches!(self.peek(), Tok::Sym(s) if *s == sym)
    }

    fn accept(&mut self, sym: &str) -> bool {
        let yes = self.is(sym);
        if yes {
            self.advance();
        }
        yes
    }

    fn err_near(&self, msg: &str) -> String {
        format!(
            "{}:{}: {} near '{}'",
            self.name,
            self.line(),
            msg,
            self.peek().text()
        )
    }

    fn expect(&mut self, sym: &str) -> Result<(), String> {
        if self.accept(sym) {
            Ok(())
        } else {
            Err(self.err_near(&format!("'{sym}' expected")))
        }
    }

    /// Expects `what` closing `who` opened at `line`; Lua names the opener when lines differ.
    fn expect_match(&mut self, what: &str, who: &str, line: u32) -> Result<(), String> {
        if self.accept(what) {
            return Ok(());
        }
        if line == self.line() {
            Err(self.err_near(&format!("'{what}' expected")))
        } else {
            let msg = format!("'{what}' expected (to close '{who}' at line {line})");
            Err(self.err_near(&msg))
        }
    }

    fn name(&mut self) -> Result<Name, String> {
        match self.peek().clone() {
            Tok::Name(n) => {
                self.advance();
                Ok(n)
            }
            _ => Err(self.err_near("'<name>' expected")),
        }
    }

    fn enter(&mut self) -> Result<(), String> {
        self.level += 1;
        if self.level > MAX_LEVELS {
            return Err(format!(
                "{}:{}: chunk has too many syntax levels",
                self.name,
                self.line()
            ));
        }
        Ok(())
    }

    fn block_ends(&self) -> bool {
        matches!(
            self.peek(),
            Tok::Eof | Tok::Sym("end" | "else" | "elseif" | "until")
        )
    }

    fn block(&mut self) -> Result<Block, String> {
        self.enter()?;
        let mut stmts = Vec::new();
        while !self.block_ends() {
            if self.is("return") {
                let line = self.line();
                self.advance();
                let values = if self.block_ends() || self.is(";") {
                    Vec::new()
                } else {
                    self.exprlist()?
                };
                self.accept(";");
                stmts.push(Stmt {
                    line,
                    kind: StmtKind::Return(values),
                });
                break;
            }
            if self.is("break") {
                let line = self.line();
                self.advance();
                if self.loops == 0 {
                    return Err(format!(
                        "{}:{}: no loop to break near '{}'",
                        self.name,
                        line,
                        self.peek().text()
                    ));
                }
                self.accept(";");
                stmts.push(Stmt {
                    line,
                    kind: StmtKind::Break,
                });
                break;
            }
            let s = self.statement()?;
            stmts.push(s);
            self.accept(";");
        }
        self.level -= 1;
        Ok(stmts)
    }

    fn loop_body(&mut self) -> Result<Block, String> {
        self.loops += 1;
        let b = self.block();
        self.loops -= 1;
        b
    }

    fn statement(&mut self) -> Result<Stmt, String> {
        let line = self.line();
        let kind = match self.peek() {
            Tok::Sym("if") => self.if_stat(line)?,
            Tok::Sym("while") => {
                self.advance();
                let cond = self.expr()?;
                self.expect("do")?;
                let body = self.loop_body()?;
                self.expect_match("end", "while", line)?;
                StmtKind::While(cond, body)
            }
            Tok::Sym("do") => {
                self.advance();
                let body = self.block()?;
                self.expect_match("end", "do", line)?;
                StmtKind::Do(body)
            }
            Tok::Sym("for") => self.for_stat(line)?,
            Tok::Sym("repeat") => {
                self.advance();
                let body = self.loop_body()?;
                self.expect_match("until", "repeat", line)?;
                StmtKind::Repeat(body, self.expr()?)
            }
            Tok::Sym("function") => {
                self.advance();
                let mut target = Expr::Name(self.name()?, line);
                let mut method = false;
                let mut links = 0;
                while self.is(".") || self.is(":") {
                    method = self.is(":");
                    self.advance();
                    self.enter()?;
                    links += 1;
                    let key = Expr::Str(Arc::from(self.name()?.as_bytes()));
                    target = Expr::Index(Box::new(target), Box::new(key), line);
                    if method {
                        break;
                    }
                }
                let f = self.func_body(method, line)?;
                self.level -= links;
                StmtKind::Assign(vec![target], vec![Expr::Function(f)])
            }
            Tok::Sym("local") => {
                self.advance();
                if self.accept("function") {
                    let n = self.name()?;
                    StmtKind::LocalFunction(n, self.func_body(false, line)?)
                } else {
                    let mut names = vec![self.name()?];
                    while self.accept(",") {
                        names.push(self.name()?);
                    }
                    let values = if self.accept("=") {
                        self.exprlist()?
                    } else {
                        Vec::new()
                    };
                    StmtKind::Local(names, values)
                }
            }
            _ => self.expr_stat()?,
        };
        Ok(Stmt { line, kind })
    }

    fn if_stat(&mut self, line: u32) -> Result<StmtKind, String> {
        let mut arms = Vec::new();
        let mut otherwise = None;
        self.advance();
        loop {
            let cond = self.expr()?;
            self.expect("then")?;
            arms.push((cond, self.block()?));
            if self.accept("elseif") {
                continue;
            }
            if self.accept("else") {
                otherwise = Some(self.block()?);
            }
            self.expect_match("end", "if", line)?;
            return Ok(StmtKind::If(arms, otherwise));
        }
    }

    fn for_stat(&mut self, line: u32) -> Result<StmtKind, String> {
        self.advance();
        let first = self.name()?;
        if self.accept("=") {
            let start = self.expr()?;
            self.expect(",")?;
            let limit = self.expr()?;
            let step = if self.accept(",") {
                Some(self.expr()?)
            } else {
                None
            };
            self.expect("do")?;
            let body = self.loop_body()?;
            self.expect_match("end", "for", line)?;
            return Ok(StmtKind::NumFor(first, start, limit, step, body));
        }
        if !self.is(",") && !self.is("in") {
            return Err(self.err_near("'=' or 'in' expected"));
        }
        let mut names = vec![first];
        while self.accept(",") {
            names.push(self.name()?);
        }
        self.expect("in")?;
        let exprs = self.exprlist()?;
        self.expect("do")?;
        let body = self.loop_body()?;
        self.expect_match("end", "for", line)?;
        Ok(StmtKind::GenFor(names, exprs, body))
    }

    fn expr_stat(&mut self) -> Result<StmtKind, String> {
        let first = self.suffixed()?;
        if matches!(first, Expr::Call(..) | Expr::Method(..)) {
            return Ok(StmtKind::Call(first));
        }
        let mut targets = vec![first];
        while self.accept(",") {
            targets.push(self.suffixed()?);
        }
        if targets
            .iter()
            .any(|t| !matches!(t, Expr::Name(..) | Expr::Index(..)))
        {
            return Err(self.err_near("syntax error"));
        }
        self.expect("=")?;
        Ok(StmtKind::Assign(targets, self.exprlist()?))
    }

    fn func_body(&mut self, method: bool, line: u32) -> Result<Arc<FuncBody>, String> {
        self.enter()?;
        let mut params: Vec<Name> = if method {
            vec![Arc::from("self")]
        } else {
            Vec::new()
        };
        let mut is_vararg = false;
        self.expect("(")?;
        if !self.is(")") {
            loop {
                if self.accept("...") {
                    is_vararg = true;
                    break;
                }
                match self.peek().clone() {
                    Tok::Name(n) => {
                        self.advance();
                        params.push(n);
                    }
                    _ => return Err(self.err_near("<name> or '...' expected")),
                }
                if !self.accept(",") {
                    break;
                }
            }
        }
        self.expect(")")?;
        let saved = (self.loops, self.vararg);
        self.loops = 0;
        self.vararg = is_vararg;
        let body = self.block()?;
        (self.loops, self.vararg) = saved;
        self.expect_match("end", "function", line)?;
        self.level -= 1;
        Ok(Arc::new(FuncBody {
            params,
            is_vararg,
            body,
        }))
    }

    fn exprlist(&mut self) -> Result<Vec<Expr>, String> {
        let mut v = vec![self.expr()?];
        while self.accept(",") {
            v.push(self.expr()?);
        }
        Ok(v)
    }

    fn expr(&mut self) -> Result<Expr, String> {
        self.subexpr(0)
    }

    /// Operator precedence climbing, as `lparser.c`'s `subexpr`.
    fn subexpr(&mut self, limit: u8) -> Result<Expr, String> {
        self.enter()?;
        let line = self.line();
        let unary = match self.peek() {
            Tok::Sym("not") => Some(UnOp::Not),
            Tok::Sym("-") => Some(UnOp::Neg),
            Tok::Sym("#") => Some(UnOp::Len),
            _ => None,
        };
        let mut left = match unary {
            Some(op) => {
                self.advance();
                Expr::Un(op, Box::new(self.subexpr(UNARY_PRIORITY)?), line)
            }
            None => self.simple()?,
        };
        let mut links = 0;
        while let Some((op, lp, rp)) = binop(self.peek()) {
            if lp <= limit {
                break;
            }
            let line = self.line();
            self.advance();
            // Each link deepens the left-leaning tree by one: count it as a level.
            self.enter()?;
            links += 1;
            let right = self.subexpr(rp)?;
            left = Expr::Bin(op, Box::new(left), Box::new(right), line);
        }
        self.level -= links + 1;
        Ok(left)
    }

    fn simple(&mut self) -> Result<Expr, String> {
        let line = self.line();
        let e = match self.peek().clone() {
            Tok::Num(n) => Expr::Num(n),
            Tok::Str(s) => Expr::Str(Arc::from(s)),
            Tok::Sym("nil") => Expr::Nil,
            Tok::Sym("true") => Expr::Bool(true),
            Tok::Sym("false") => Expr::Bool(false),
            Tok::Sym("...") => {
                if !self.vararg {
                    return Err(self.err_near("cannot use '...' outside a vararg function"));
                }
                Expr::Vararg
            }
            Tok::Sym("{") => return self.table(),
            Tok::Sym("function") => {
                self.advance();
                return Ok(Expr::Function(self.func_body(false, line)?));
            }
            _ => return self.suffixed(),
        };
        self.advance();
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let line = self.line();
        match self.peek().clone() {
            Tok::Name(n) => {
                self.advance();
                Ok(Expr::Name(n, line))
            }
            Tok::Sym("(") => {
                self.advance();
                let e = self.expr()?;
                self.expect_match(")", "(", line)?;
                Ok(Expr::Paren(Box::new(e)))
            }
            _ => Err(self.err_near("unexpected symbol")),
        }
    }

    fn suffixed(&mut self) -> Result<Expr, String> {
        let mut e = self.primary()?;
        let mut links = 0;
        loop {
            let line = self.line();
            let next = match self.peek() {
                Tok::Sym(".") => {
                    self.advance();
                    let key = Expr::Str(Arc::from(self.name()?.as_bytes()));
                    Expr::Index(Box::new(e), Box::new(key), line)
                }
                Tok::Sym("[") => {
                    self.advance();
                    let key = self.expr()?;
                    self.expect("]")?;
                    Expr::Index(Box::new(e), Box::new(key), line)
                }
                Tok::Sym(":") => {
                    self.advance();
                    let m = self.name()?;
                    let args = self.call_args()?;
                    Expr::Method(Box::new(e), m, args, line)
                }
                Tok::Sym("(" | "{") | Tok::Str(_) => {
                    Expr::Call(Box::new(e), self.call_args()?, line)
                }
                _ => break,
            };
            self.enter()?;
            links += 1;
            e = next;
        }
        self.level -= links;
        Ok(e)
    }

    fn call_args(&mut self) -> Result<Vec<Expr>, String> {
        match self.peek().clone() {
            Tok::Str(s) => {
                self.advance();
                Ok(vec![Expr::Str(Arc::from(s))])
            }
            Tok::Sym("{") => Ok(vec![self.table()?]),
            Tok::Sym("(") => {
                let line = self.line();
                self.advance();
                if self.accept(")") {
                    return Ok(Vec::new());
                }
                let args = self.exprlist()?;
                self.expect_match(")", "(", line)?;
                Ok(args)
            }
            _ => Err(self.err_near("function arguments expected")),
        }
    }

    fn table(&mut self) -> Result<Expr, String> {
        let line = self.line();
        self.enter()?;
        self.expect("{")?;
        let mut fields = Vec::new();
        while !self.is("}") {
            let is_named = matches!(self.peek(), Tok::Name(_))
                && matches!(self.toks.get(self.pos + 1), Some((Tok::Sym("="), _)));
            if is_named {
                let n = self.name()?;
                self.advance();
                fields.push(Field::Named(
                    Expr::Str(Arc::from(n.as_bytes())),
                    self.expr()?,
                ));
            } else if self.accept("[") {
                let k = self.expr()?;
                self.expect("]")?;
                self.expect("=")?;
                fields.push(Field::Named(k, self.expr()?));
            } else {
                fields.push(Field::Pos(self.expr()?));
            }
            if !self.accept(",") && !self.accept(";") {
                break;
            }
        }
        self.expect_match("}", "{", line)?;
        self.level -= 1;
        Ok(Expr::Table(fields, line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> String {
        parse(src.as_bytes(), "user_script").unwrap_err()
    }

    #[test]
    fn parses_statements() {
        let src = "local a, b = 1, 2\nfunction t.x.y:m(p, ...) return p end\n\
                   for i = 1, 10, 2 do if i then break elseif a then else end end\n\
                   for k, v in pairs(t) do end repeat local z = 1 until z\n\
                   while false do end do end f'x' f{1} a.b[c] = 1, 2; return";
        let f = parse(src.as_bytes(), "s").unwrap();
        assert_eq!(f.body.len(), 11);
    }

    #[test]
    fn precedence() {
        let f = parse(b"return 1 + 2 * 3 ^ 2 ^ 1 .. 'x' .. 'y'", "s").unwrap();
        let StmtKind::Return(v) = &f.body[0].kind else {
            panic!()
        };
        // `..` binds loosest here, and is right associative.
        let Expr::Bin(BinOp::Concat, l, r, _) = &v[0] else {
            panic!("{:?}", v[0])
        };
        assert!(matches!(**l, Expr::Bin(BinOp::Add, ..)));
        assert!(matches!(**r, Expr::Bin(BinOp::Concat, ..)));
    }

    #[test]
    fn error_texts() {
        assert_eq!(
            err("return 1 +"),
            "user_script:1: unexpected symbol near '<eof>'"
        );
        assert_eq!(err("local a\nb x"), "user_script:2: '=' expected near 'x'");
        assert_eq!(
            err("function f()\nreturn"),
            "user_script:2: 'end' expected (to close 'function' at line 1) near '<eof>'"
        );
        assert_eq!(err("break"), "user_script:1: no loop to break near '<eof>'");
        assert_eq!(err("x"), "user_script:1: '=' expected near '<eof>'");
    }

    #[test]
    fn nesting_is_bounded() {
        for src in [
            "return ".to_string() + &"(".repeat(100_000),
            "return 1".to_string() + &"+1".repeat(100_000),
            "return ".to_string() + &"{".repeat(100_000),
            "return a".to_string() + &".b".repeat(100_000),
        ] {
            // Run on a thread with the stack `compile` gives the parser.
            let e = std::thread::Builder::new()
                .stack_size(16 * 1024 * 1024)
                .spawn(move || parse(src.as_bytes(), "user_script").unwrap_err())
                .unwrap()
                .join()
                .unwrap();
            assert_eq!(e, "user_script:1: chunk has too many syntax levels");
        }
    }
}
