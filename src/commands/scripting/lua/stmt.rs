//! Statements: assignment, loops, `if`, `local`, `return` — the evaluator's other half.
//!
//! Go original: none. Explained in: book chapter "Scripts".
//!
//! Every loop iteration counts as a step ([`Interp::step`]), so an endless loop reaches the
//! host's interrupt check. Each iteration gets fresh cells for its loop variables, so closures
//! made in different iterations do not share them (Lua's semantics).

use super::ast::{Block, Expr, StmtKind};
use super::interp::{Flow, Frame, Interp, LuaError, cell, describe, lookup};
use super::value::{Function, Val};
use std::rc::Rc;
use std::sync::Arc;

impl Interp<'_> {
    pub(super) fn exec(
        &mut self,
        stmt: &StmtKind,
        line: u32,
        frame: &mut Frame,
    ) -> Result<Flow, LuaError> {
        match stmt {
            StmtKind::Local(names, exprs) => {
                let mut values = self.eval_list(exprs, frame)?.into_iter();
                for n in names {
                    frame
                        .vars
                        .push((n.clone(), cell(values.next().unwrap_or_default())));
                }
            }
            StmtKind::LocalFunction(name, body) => {
                let slot = cell(Val::Nil);
                frame.vars.push((name.clone(), slot.clone()));
                *slot.borrow_mut() =
                    Val::Func(Rc::new(Function::Lua(body.clone(), frame.vars.clone())));
            }
            StmtKind::Assign(targets, exprs) => self.assign(targets, exprs, frame)?,
            StmtKind::Call(e) => {
                self.eval_multi(e, frame)?;
            }
            StmtKind::Do(b) => return self.exec_block(b, frame),
            StmtKind::While(cond, body) => {
                while self.eval(cond, frame)?.truthy() {
                    self.step()?;
                    match self.exec_block(body, frame)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        Flow::Normal => {}
                    }
                }
            }
            StmtKind::Repeat(body, cond) => return self.repeat(body, cond, frame),
            StmtKind::If(arms, otherwise) => {
                for (cond, body) in arms {
                    if self.eval(cond, frame)?.truthy() {
                        return self.exec_block(body, frame);
                    }
                }
                if let Some(b) = otherwise {
                    return self.exec_block(b, frame);
                }
            }
            StmtKind::NumFor(name, start, limit, step, body) => {
                return self.num_for(name, start, limit, step.as_ref(), body, line, frame);
            }
            StmtKind::GenFor(names, exprs, body) => {
                return self.gen_for(names, exprs, body, line, frame);
            }
            StmtKind::Return(exprs) => {
                // A lone call in return position keeps all its results.
                return Ok(Flow::Return(self.eval_list(exprs, frame)?));
            }
            StmtKind::Break => return Ok(Flow::Break),
        }
        Ok(Flow::Normal)
    }

    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn num_for(
        &mut self,
        name: &Arc<str>,
        start: &Expr,
        limit: &Expr,
        step: Option<&Expr>,
        body: &Block,
        line: u32,
        frame: &mut Frame,
    ) -> Result<Flow, LuaError> {
        let num = |me: &mut Self, v: Val, what: &str| {
            v.to_num()
                .ok_or_else(|| me.error_at(line, &format!("'for' {what} must be a number")))
        };
        let v = self.eval(start, frame)?;
        let mut i = num(self, v, "initial value")?;
        let v = self.eval(limit, frame)?;
        let limit = num(self, v, "limit")?;
        let step = match step {
            Some(e) => {
                let v = self.eval(e, frame)?;
                num(self, v, "step")?
            }
            None => 1.0,
        };
        while (step > 0.0 && i <= limit) || (step <= 0.0 && i >= limit) {
            self.step()?;
            frame.vars.push((name.clone(), cell(Val::Num(i))));
            let flow = self.exec_block(body, frame);
            frame.vars.pop();
            match flow? {
                Flow::Break => break,
                Flow::Return(v) => return Ok(Flow::Return(v)),
                Flow::Normal => {}
            }
            i += step;
        }
        Ok(Flow::Normal)
    }

    #[inline(never)]
    fn gen_for(
        &mut self,
        names: &[Arc<str>],
        exprs: &[Expr],
        body: &Block,
        line: u32,
        frame: &mut Frame,
    ) -> Result<Flow, LuaError> {
        let mut init = self.eval_list(exprs, frame)?.into_iter();
        let f = init.next().unwrap_or_default();
        let state = init.next().unwrap_or_default();
        let mut control = init.next().unwrap_or_default();
        loop {
            self.line = line;
            let mut r = self
                .call_described(&f, vec![state.clone(), control.clone()], "")?
                .into_iter();
            let first = r.next().unwrap_or_default();
            if matches!(first, Val::Nil) {
                break;
            }
            control = first.clone();
            let mark = frame.vars.len();
            let mut values = std::iter::once(first).chain(r);
            for n in names {
                frame
                    .vars
                    .push((n.clone(), cell(values.next().unwrap_or_default())));
            }
            let flow = self.exec_block(body, frame);
            frame.vars.truncate(mark);
            match flow? {
                Flow::Break => break,
                Flow::Return(v) => return Ok(Flow::Return(v)),
                Flow::Normal => {}
            }
        }
        Ok(Flow::Normal)
    }

    #[inline(never)]
    fn repeat(&mut self, body: &Block, cond: &Expr, frame: &mut Frame) -> Result<Flow, LuaError> {
        loop {
            self.step()?;
            // The condition sees the body's locals, so the scope is handled here.
            let mark = frame.vars.len();
            let flow = self.exec_stmts(body, frame)?;
            let done = match flow {
                Flow::Normal => self.eval(cond, frame)?.truthy(),
                Flow::Break => true,
                Flow::Return(v) => {
                    frame.vars.truncate(mark);
                    return Ok(Flow::Return(v));
                }
            };
            frame.vars.truncate(mark);
            if done {
                break;
            }
        }
        Ok(Flow::Normal)
    }

    #[inline(never)]
    fn assign(
        &mut self,
        targets: &[Expr],
        exprs: &[Expr],
        frame: &mut Frame,
    ) -> Result<(), LuaError> {
        // Lua evaluates the target tables and keys before the values.
        let mut places = Vec::with_capacity(targets.len());
        for t in targets {
            places.push(match t {
                Expr::Index(obj, key, line) => {
                    let o = self.eval(obj, frame)?;
                    let k = self.eval(key, frame)?;
                    Some((o, k, *line, describe(obj, frame)))
                }
                _ => None,
            });
        }
        let mut values = self.eval_list(exprs, frame)?.into_iter();
        for (t, place) in targets.iter().zip(places) {
            let v = values.next().unwrap_or_default();
            match (t, place) {
                (_, Some((o, k, line, what))) => {
                    self.line = line;
                    self.set_index(&o, k, v, &what)?;
                }
                (Expr::Name(n, line), None) => {
                    if let Some(slot) = lookup(frame, n) {
                        *slot.borrow_mut() = v;
                    } else {
                        self.line = *line;
                        let g = Val::Table(self.globals.clone());
                        self.set_index(&g, Val::str(n.as_bytes()), v, "")?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}
