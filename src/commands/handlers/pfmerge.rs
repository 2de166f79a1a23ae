//! `PFMERGE`: the union of HyperLogLogs, stored.
//!
//! Go original: none (go-redis had no HyperLogLog). Explained in: book chapters "HyperLogLog"
//! and "Exercises" (ex15).
//!
//! A HyperLogLog of a union is the register-wise maximum of the operands' registers, so the
//! merge is exact: the merged sketch is the very one that adding every element to one key would
//! have built. The result is dense if any input was, and logged as its bytes (`SET ... KEEPTTL`),
//! since sparse or dense depends on `hll-sparse-max-bytes`, which a replica may set otherwise.

use super::hyperloglog::{ALL_KEYS, bytes_mut, log_bytes, sparse_max, union};
use crate::commands::registry::flags::*;
use crate::commands::{Context, Registry};
use crate::config::KeyspaceEvents;
use crate::engine::hyperloglog as hll;
use crate::engine::store::Data;
use crate::protocol::resp::Value;

/// Registers `PFMERGE`.
pub fn register(r: &mut Registry) {
    r.write("pfmerge", pfmerge, -2, DENYOOM, ALL_KEYS);
}

/// `PFMERGE destkey [sourcekey ...]`: stores the union of the sources and of `destkey` itself
/// in `destkey`, dense if any input was; replies `OK`.
pub fn pfmerge(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let Some(dest) = args.first() else {
        return Value::wrong_arity("pfmerge");
    };
    let (regs, dense) = match union(ctx, args) {
        Ok(u) => u,
        Err(e) => return e,
    };
    let mut value = hll::store(&regs, [0; 8], dense, sparse_max(ctx));
    hll::invalidate(&mut value);
    let created = ctx.creates(dest);
    match bytes_mut(ctx, dest) {
        Some(old) => *old = value,
        None => {
            ctx.db.set(dest, Data::Str(value.into()), ctx.now);
        }
    }
    log_bytes(ctx, dest);
    ctx.notify_added(created, KeyspaceEvents::STRING, "pfadd", dest);
    Value::OK
}
