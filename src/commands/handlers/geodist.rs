//! `GEODIST` and `GEOHASH`: reading back what `GEOADD` stored.
//!
//! Go original: none (go-redis had no geo commands). Explained in: book chapters "Geo" and
//! "Exercises" (ex14).
//!
//! A geo key is a sorted set whose scores are 52-bit geohashes (`geo/hash.rs`). Both commands
//! only read scores: `GEODIST` decodes two of them to the centres of their cells and measures
//! the great-circle distance between those, with Redis's formula and Earth radius; `GEOHASH`
//! re-encodes one as the standard 11-character base-32 geohash other tools read.

use super::geo::hash;
use super::geo::{distance_reply, parse_unit, zset_at};
use crate::commands::registry::KEY1;
use crate::commands::{ReadContext, Registry};
use crate::protocol::resp::Value;

/// Registers `GEODIST` and `GEOHASH`.
pub fn register(r: &mut Registry) {
    r.read("geodist", geodist, -4, 0, KEY1);
    r.read("geohash", geohash, -2, 0, KEY1);
}

/// `GEODIST key member1 member2 [M|KM|FT|MI]`: the distance between two members, or nil if
/// either is missing.
pub fn geodist(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let to_metres = match args.get(3) {
        None => 1.0,
        Some(_) if args.len() > 4 => return Value::syntax_error(),
        Some(u) => match parse_unit(u) {
            Ok(f) => f,
            Err(e) => return e,
        },
    };
    let z = match zset_at(ctx.db, &args[0], ctx.now) {
        Ok(Some(z)) => z,
        Ok(None) => return Value::Null,
        Err(e) => return e,
    };
    match (z.score(&args[1]), z.score(&args[2])) {
        (Some(a), Some(b)) => {
            let ((lon1, lat1), (lon2, lat2)) = (hash::decode_score(a), hash::decode_score(b));
            distance_reply(hash::distance(lon1, lat1, lon2, lat2) / to_metres)
        }
        _ => Value::Null,
    }
}

/// `GEOHASH key member [member ...]`: each member's 11-character standard geohash, or nil.
pub fn geohash(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let z = match zset_at(ctx.db, &args[0], ctx.now) {
        Ok(z) => z,
        Err(e) => return e,
    };
    Value::Array(
        args[1..]
            .iter()
            .map(|m| {
                z.and_then(|z| z.score(m))
                    .and_then(hash::geohash_string)
                    .map_or(Value::Null, Value::bulk)
            })
            .collect(),
    )
}
