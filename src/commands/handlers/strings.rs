//! String commands.
//!
//! Go original: `internal/commands/handlers/strings.go`. Explained in: book chapter 4.

use crate::commands::registry::{KEY1, flags::*};
use crate::commands::{Context, ReadContext, Registry};
use crate::engine::store::Data;
use crate::protocol::resp::Value;

/// Registers this family's commands.
pub fn register(r: &mut Registry) {
    r.read("get", get, 2, FAST, KEY1);
    r.write("set", set, -3, DENYOOM, KEY1);
}

/// `GET key`.
pub fn get(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match ctx.store.get(&args[0], ctx.now) {
        None => Value::Null,
        Some(Data::Str(s)) => Value::Bulk(s.clone()),
        Some(_) => crate::engine::store::StoreError::WrongType.into(),
    }
}

/// `SET key value` (options arrive with the string commands work).
pub fn set(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    ctx.store.set(&args[0], Data::Str(args[1].clone()), ctx.now);
    ctx.log(&[b"SET", &args[0], &args[1]]);
    Value::OK
}
