//! `DUMP` and `RESTORE`: a value as an opaque, checksummed byte string, and back.
//!
//! Go original: none (go-redis had no `DUMP`). Explained in: book chapter "Exercises" (ex06).
//!
//! The payload is Redis's, so that one `DUMP`ed by Redis 7.0 restores here and ours restores
//! there: the value in its RDB encoding (its type byte, then the value, as a snapshot holds it
//! after the key), the format's version, and a checksum that refuses a damaged payload or one
//! from a newer Redis instead of loading garbage. The numbers are little-endian.
//!
//! ```text
//! <type u8> <value>       the RDB encoding: rdb::encode_value and rdb::decode_value
//! <version u16> = 10      RDB_VERSION; a payload of a newer version is refused
//! <checksum u64>          CRC-64 (the RDB file's) of the type, the value and the version
//! ```

use super::parse_i64;
use crate::commands::registry::{KEY1, flags::*};
use crate::commands::{Context, ReadContext, Registry};
use crate::engine::store::Data;
use crate::persistence::rdb::{self, RDB_VERSION, crc64::crc64};
use crate::protocol::resp::Value;

/// Registers `DUMP` and `RESTORE`.
pub fn register(r: &mut Registry) {
    r.read("dump", dump, 2, 0, KEY1);
    r.write("restore", restore, -4, DENYOOM, KEY1);
}

// ANCHOR: serialize
/// The payload of `data`: its RDB encoding, the version, the checksum.
pub fn serialize(data: &Data) -> Vec<u8> {
    let mut out = rdb::encode_value(data);
    out.extend_from_slice(&(RDB_VERSION as u16).to_le_bytes());
    let sum = crc64(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}
// ANCHOR_END: serialize

/// Why a payload was refused, as Redis words it.
enum Refused {
    Checksum,
    Format,
}

// ANCHOR: deserialize
/// The value in `payload`. Refuses a version newer than ours or a wrong checksum first (as
/// Redis does, older versions are read: the RDB reader knows them all), then any malformed
/// value: truncated, bytes left over, an empty collection, a duplicate member, a NaN score.
fn deserialize(payload: &[u8]) -> Result<Data, Refused> {
    let Some(body_len) = payload.len().checked_sub(10) else {
        return Err(Refused::Checksum);
    };
    let (body, footer) = payload.split_at(body_len);
    let [v0, v1, sum @ ..] = footer else {
        return Err(Refused::Checksum);
    };
    let version = u16::from_le_bytes([*v0, *v1]);
    if u32::from(version) > RDB_VERSION || sum != crc64(&payload[..body_len + 2]).to_le_bytes() {
        return Err(Refused::Checksum);
    }
    rdb::decode_value(body).map_err(|_| Refused::Format)
}
// ANCHOR_END: deserialize

/// `DUMP key`: the value at `key` as a payload for `RESTORE`, or nil. The TTL is not included.
pub fn dump(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    match ctx.db.get(&args[0], ctx.now) {
        None => Value::Null,
        Some(data) => Value::Bulk(serialize(data)),
    }
}

// ANCHOR: restore
/// `RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]`: creates
/// `key` from a `DUMP` payload, with a TTL in milliseconds (0: none; with `ABSTTL` a Unix time
/// in ms). Logged with an absolute TTL, so the log replays to the same deadline.
///
/// `IDLETIME` and `FREQ` set Redis's eviction clocks; they are checked as Redis checks them and
/// then have nothing to set here (see `OBJECT`).
pub fn restore(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let [key, ttl, payload, opts @ ..] = args else {
        return Value::wrong_arity("restore");
    };
    let (mut replace, mut absttl, mut idle, mut freq) = (false, false, false, false);
    let mut i = 0;
    while i < opts.len() {
        let has_value = i + 1 < opts.len();
        match opts[i].to_ascii_lowercase().as_slice() {
            b"replace" => replace = true,
            b"absttl" => absttl = true,
            // The two clocks exclude each other: a second one is a syntax error.
            b"idletime" if has_value && !freq => {
                i += 1;
                match parse_i64(&opts[i]) {
                    None => return Value::not_integer(),
                    Some(n) if n < 0 => {
                        return Value::error("ERR Invalid IDLETIME value, must be >= 0");
                    }
                    Some(_) => idle = true,
                }
            }
            b"freq" if has_value && !idle => {
                i += 1;
                match parse_i64(&opts[i]) {
                    None => return Value::not_integer(),
                    Some(n) if !(0..=255).contains(&n) => {
                        return Value::error("ERR Invalid FREQ value, must be >= 0 and <= 255");
                    }
                    Some(_) => freq = true,
                }
            }
            _ => return Value::syntax_error(),
        }
        i += 1;
    }
    // Redis's order: the options, then the existing key, then the TTL, then the payload.
    if !replace && ctx.db.contains(key, ctx.now) {
        return Value::error("BUSYKEY Target key name already exists.");
    }
    let Some(ttl) = parse_i64(ttl) else {
        return Value::not_integer();
    };
    if ttl < 0 {
        return Value::error("ERR Invalid TTL value, must be >= 0");
    }
    let data = match deserialize(payload) {
        Ok(d) => d,
        Err(Refused::Checksum) => {
            return Value::error("ERR DUMP payload version or checksum are wrong");
        }
        Err(Refused::Format) => return Value::error("ERR Bad data format"),
    };
    // A relative TTL so large that the deadline overflows counts as past, as in Redis (where the
    // sum wraps negative).
    let deadline = match (ttl, absttl) {
        (0, _) => None,
        (t, true) => Some(t as u64),
        (t, false) => Some(t.checked_add(ctx.now as i64).map_or(0, |at| at as u64)),
    };
    if deadline.is_some_and(|at| at <= ctx.now) {
        // Already expired: Redis answers OK and leaves no key (deleting one it replaced).
        if ctx.db.remove(key, ctx.now).is_some() {
            ctx.log(&[b"DEL", key]);
            ctx.notify(crate::config::KeyspaceEvents::GENERIC, "del", key);
        }
        return Value::OK;
    }
    let created = ctx.creates(key);
    ctx.db.set(key, data, ctx.now);
    ctx.notify_added(
        created,
        crate::config::KeyspaceEvents::GENERIC,
        "restore",
        key,
    );
    if let Some(at) = deadline {
        ctx.db.set_deadline(key, at, ctx.now);
    }
    // As Redis propagates it: a relative TTL made absolute, with `ABSTTL` after the client's
    // options; no TTL, or one already absolute, as the client sent it.
    let mut effect: Vec<&[u8]> = vec![b"RESTORE"];
    match deadline {
        Some(at) if !absttl => {
            let at = at.to_string();
            effect.extend([&key[..], at.as_bytes(), payload]);
            effect.extend(opts.iter().map(Vec::as_slice));
            effect.push(b"ABSTTL");
            ctx.log(&effect);
        }
        _ => {
            effect.extend(args.iter().map(Vec::as_slice));
            ctx.log(&effect);
        }
    }
    Value::OK
}
// ANCHOR_END: restore
