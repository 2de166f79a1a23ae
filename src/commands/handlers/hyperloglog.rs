//! `PFADD`, `PFCOUNT`, `PFDEBUG`, `PFSELFTEST`: HyperLogLog on string values. (`PFMERGE` is the
//! classroom exercise ex15, in `handlers/pfmerge.rs`.)
//!
//! Go original: none (go-redis had no HyperLogLog). Explained in: book chapter "HyperLogLog".
//!
//! The value is an ordinary string in Redis's layout (see `engine::hyperloglog`), edited in
//! place so that a TTL on the key survives, as in Redis.
//!
//! What goes to the AOF and the replicas, and why:
//! - `PFADD` on a dense value is logged as itself: setting a register to the max of itself and
//!   a hash is deterministic and needs nothing else, and the elements are far smaller than the
//!   12 KB value. On a sparse value the result depends on `hll-sparse-max-bytes` (when it turns
//!   dense), which a replica or a later start may have set differently, so the result is
//!   logged as `SET key <bytes> KEEPTTL`: a sparse value is at most that setting's size, and a
//!   promotion is logged once per key.
//! - `PFCOUNT` of one key that had no valid cache stores the count in the header, a change of
//!   the string. It is logged as `PFCOUNT key`: the count is a pure function of the registers,
//!   so replaying it writes the same eight bytes, for a few bytes of log instead of 12 KB.
//! - `PFMERGE`, `PFDEBUG TODENSE` and `PFDEBUG GETREG` (which turns a value dense, as Redis's
//!   does) log the resulting bytes with `SET ... KEEPTTL`, since they can depend on the setting.

use crate::commands::registry::{KeySpec, flags::*};
use crate::commands::{Context, Handler, Registry};
use crate::config::KeyspaceEvents;
use crate::engine::hyperloglog::{self as hll, Encoding, HllError, REGISTERS};
use crate::engine::store::{Data, StoreError};
use crate::protocol::resp::Value;

/// `PFCOUNT key [key ...]` and `PFMERGE destkey [sourcekey ...]`: every word is a key.
pub(super) const ALL_KEYS: KeySpec = (1, -1, 1);
/// `PFDEBUG subcommand key`: the key is the second word.
const KEY2: KeySpec = (2, 2, 1);

/// Registers the HyperLogLog commands.
pub fn register(r: &mut Registry) {
    r.write("pfadd", pfadd, -2, DENYOOM | FAST, (1, 1, 1));
    // A count may store itself in the value's cache, so it runs under the write guard; but
    // for clients it is a read, `readonly` and `may_replicate` as in Redis: a read-only
    // replica answers it, and a read-only script does not.
    let count = Handler::Write(pfcount);
    r.add("pfcount", count, -2, READONLY | MAY_REPLICATE, ALL_KEYS);
    r.write("pfdebug", pfdebug, 3, DENYOOM | ADMIN, KEY2);
    // Touches no key, so it is not a write either.
    let selftest = Handler::Write(pfselftest);
    r.add("pfselftest", selftest, 1, ADMIN, (0, 0, 0));
}

fn hll_error(e: HllError) -> Value {
    match e {
        HllError::NotHll => Value::error("WRONGTYPE Key is not a valid HyperLogLog string value."),
        HllError::Corrupt => Value::error("INVALIDOBJ Corrupted HLL object detected"),
    }
}

/// The string at `key` checked as a HyperLogLog: `Ok(None)` if missing.
fn lookup(ctx: &mut Context<'_>, key: &[u8]) -> Result<Option<Encoding>, Value> {
    match ctx.db.get(key, ctx.now) {
        None => Ok(None),
        Some(Data::Str(s)) => hll::check(s).map(Some).map_err(hll_error),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

pub(super) fn sparse_max(ctx: &Context<'_>) -> u64 {
    ctx.shared
        .config
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .hll_sparse_max_bytes
}

/// The mutable bytes of a string the caller has checked exists.
pub(super) fn bytes_mut<'a>(ctx: &'a mut Context<'_>, key: &[u8]) -> Option<&'a mut Vec<u8>> {
    match ctx.db.get_mut(key, ctx.now) {
        Some(Data::Str(s)) => Some(s.as_mut_vec()),
        _ => None,
    }
}

pub(super) fn log_bytes(ctx: &mut Context<'_>, key: &[u8]) {
    let value = bytes_mut(ctx, key).map(|v| v.clone()).unwrap_or_default();
    ctx.log(&[b"SET", key, &value, b"KEEPTTL"]);
}

// ANCHOR: pfadd
/// `PFADD key [element ...]`: adds the elements' hashes to the registers, creating the key
/// (even with no element); 1 if the key was created or a register grew, else 0.
pub fn pfadd(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, elements @ ..] = args else {
        return Value::wrong_arity("pfadd");
    };
    let encoding = match lookup(ctx, key) {
        Ok(e) => e,
        Err(e) => return e,
    };
    let created = encoding.is_none();
    if created {
        ctx.db
            .set(key, Data::Str(hll::new_sparse().into()), ctx.now);
    }
    let max = sparse_max(ctx);
    let Some(value) = bytes_mut(ctx, key) else {
        return StoreError::WrongType.into();
    };
    let changed = match hll::add(value, elements.iter().map(|e| e.as_slice()), max) {
        Ok(changed) => changed,
        Err(e) => return hll_error(e),
    };
    if !(created || changed) {
        return Value::Integer(0);
    }
    if encoding == Some(Encoding::Dense) {
        let mut argv: Vec<&[u8]> = vec![b"PFADD", key];
        argv.extend(elements.iter().map(|e| e.as_slice()));
        ctx.log(&argv);
    } else {
        log_bytes(ctx, key);
    }
    ctx.notify_added(created, KeyspaceEvents::STRING, "pfadd", key);
    Value::Integer(1)
}
// ANCHOR_END: pfadd

/// `PFCOUNT key [key ...]`: the estimated cardinality of one key (cached in its header), or of
/// the union of several, which changes none of them. Missing keys count as empty.
pub fn pfcount(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    if let [key] = args {
        match lookup(ctx, key) {
            Ok(Some(_)) => {}
            Ok(None) => return Value::Integer(0),
            Err(e) => return e,
        }
        let Some(value) = bytes_mut(ctx, key) else {
            return Value::Integer(0);
        };
        if let Some(card) = hll::cached(value) {
            return Value::Integer(card as i64);
        }
        let card = match hll::registers(value) {
            Ok(regs) => hll::count(&regs),
            Err(e) => return hll_error(e),
        };
        hll::set_cached(value, card);
        ctx.log(&[b"PFCOUNT", key]);
        return Value::Integer(card as i64);
    }
    match union(ctx, args) {
        Ok((regs, _)) => Value::Integer(hll::count(&regs) as i64),
        Err(e) => e,
    }
}

/// The register-wise maximum of every existing key in `keys`, and whether one was dense.
pub(super) fn union(
    ctx: &mut Context<'_>,
    keys: &[Vec<u8>],
) -> Result<(hll::Registers, bool), Value> {
    let mut max: hll::Registers = Box::new([0u8; REGISTERS]);
    let mut dense = false;
    for key in keys {
        let Some(encoding) = lookup(ctx, key)? else {
            continue;
        };
        dense |= encoding == Encoding::Dense;
        let Some(Data::Str(s)) = ctx.db.get(key, ctx.now) else {
            continue;
        };
        let regs = hll::registers(s).map_err(hll_error)?;
        for (m, r) in max.iter_mut().zip(regs.iter()) {
            *m = (*m).max(*r);
        }
    }
    Ok((max, dense))
}

/// `PFDEBUG GETREG|DECODE|ENCODING|TODENSE key`: the internals, for tests.
pub fn pfdebug(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [sub, key] = args else {
        return Value::wrong_arity("pfdebug");
    };
    let sub = sub.to_ascii_lowercase();
    let encoding = match lookup(ctx, key) {
        Ok(Some(e)) => e,
        Ok(None) => return Value::error("ERR The specified key does not exist"),
        Err(e) => return e,
    };
    let Some(value) = bytes_mut(ctx, key) else {
        return Value::error("ERR The specified key does not exist");
    };
    match sub.as_slice() {
        b"getreg" | b"todense" => {
            let regs = match hll::registers(value) {
                Ok(r) => r,
                Err(e) => return hll_error(e),
            };
            if encoding == Encoding::Sparse {
                let mut card = [0u8; 8];
                card.copy_from_slice(&value[8..16]);
                *value = hll::encode_dense(&regs, card);
                log_bytes(ctx, key);
            }
            if sub == b"todense" {
                return Value::Integer((encoding == Encoding::Sparse) as i64);
            }
            Value::Array(regs.iter().map(|&r| Value::Integer(r as i64)).collect())
        }
        b"decode" => {
            if encoding != Encoding::Sparse {
                return Value::error("ERR HLL encoding is not sparse");
            }
            match hll::decode_sparse_text(value) {
                Some(text) => Value::Simple(text.into()),
                None => hll_error(HllError::Corrupt),
            }
        }
        b"encoding" => Value::Simple(match encoding {
            Encoding::Dense => "dense".into(),
            Encoding::Sparse => "sparse".into(),
        }),
        _ => Value::error_owned(format!(
            "ERR Unknown PFDEBUG subcommand '{}'",
            String::from_utf8_lossy(&args[0])
        )),
    }
}

/// `PFSELFTEST`: checks the dense register packing and that the sparse and dense encodings of
/// the same elements count alike and close to the truth; `OK` or the first failure.
pub fn pfselftest(_ctx: &mut Context<'_>, _args: &[Vec<u8>]) -> Value {
    let mut regs: hll::Registers = Box::new([0u8; REGISTERS]);
    for (i, r) in regs.iter_mut().enumerate() {
        *r = (i.wrapping_mul(2_654_435_761) >> 7) as u8 & 63;
    }
    let dense = hll::encode_dense(&regs, [0; 8]);
    if hll::registers(&dense).map(|r| *r == *regs) != Ok(true) {
        return Value::error("ERR TESTFAILED Register error");
    }
    let mut sparse = hll::new_sparse();
    let mut dense = hll::encode_dense(&Box::new([0u8; REGISTERS]), [0; 8]);
    let mut from = 1u32;
    for n in [10u32, 100, 1000, 5000, 10_000, 20_000] {
        let elements: Vec<[u8; 4]> = (from..=n).map(|i| i.to_le_bytes()).collect();
        from = n + 1;
        let _ = hll::add(&mut sparse, elements.iter().map(|e| e.as_slice()), u64::MAX);
        let _ = hll::add(&mut dense, elements.iter().map(|e| e.as_slice()), u64::MAX);
        let (Ok(a), Ok(b)) = (hll::registers(&sparse), hll::registers(&dense)) else {
            return Value::error("ERR TESTFAILED corrupt value");
        };
        let (a, b) = (hll::count(&a), hll::count(&b));
        let err = (a as f64 - n as f64).abs() / n as f64;
        if a != b || (n >= 100 && err > 0.05) {
            return Value::error_owned(format!(
                "ERR TESTFAILED cardinality {a}/{b} for {n} elements"
            ));
        }
    }
    Value::OK
}
