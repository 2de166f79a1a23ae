//! Geo commands: points on the map kept in a sorted set, their geohash as the score.
//!
//! Go original: none (go-redis had no geo commands). Explained in: book chapter "Geo".
//!
//! There is no geo type: `GEOADD` turns each longitude/latitude into a 52-bit geohash
//! (`hash.rs`) and hands the pairs to `ZADD`, so a geo key *is* a sorted set (`TYPE` says
//! `zset`, `ZRANGE` and `ZREM` work on it) and the effect logged is that `ZADD`, scores
//! computed, which replays exactly. The searches (`search.rs`) turn a circle or a box into at
//! most nine score ranges of the set.
//!
//! `GEODIST` and `GEOHASH` are the classroom exercise ex14, in `handlers/geodist.rs`.
//!
//! Replies print as Redis prints them: distances with four decimals (`%.4f`), coordinates
//! with up to 17 decimals and no trailing zeros.

use super::hashes::parse_float;
use super::zsets::zadd;
use crate::commands::registry::{KEY1, KeySpec, flags::*};
use crate::commands::{Context, ReadContext, Registry};
use crate::engine::store::{Data, Db, StoreError, ZSet};
use crate::protocol::resp::{Protocol, Value};

pub mod hash;
mod search;

pub use search::{
    georadius, georadius_ro, georadiusbymember, georadiusbymember_ro, geosearch, geosearchstore,
};

/// `GEOSEARCHSTORE dst src ...`: the two keys.
const TWO_KEYS: KeySpec = (1, 2, 1);

/// Registers the geo commands.
pub fn register(r: &mut Registry) {
    r.write("geoadd", geoadd, -5, DENYOOM, KEY1);
    r.read("geopos", geopos, -2, 0, KEY1);
    r.write("georadius", georadius, -6, DENYOOM, KEY1);
    r.read("georadius_ro", georadius_ro, -6, 0, KEY1);
    r.write("georadiusbymember", georadiusbymember, -5, DENYOOM, KEY1);
    r.read("georadiusbymember_ro", georadiusbymember_ro, -5, 0, KEY1);
    r.read("geosearch", geosearch, -7, 0, KEY1);
    r.write("geosearchstore", geosearchstore, -8, DENYOOM, TWO_KEYS);
}

/// The sorted set at `key`, if any.
pub(super) fn zset_at<'s>(db: &'s Db, key: &[u8], now: u64) -> Result<Option<&'s ZSet>, Value> {
    match db.get(key, now) {
        None => Ok(None),
        Some(Data::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(StoreError::WrongType.into()),
    }
}

/// Parses a longitude and a latitude and checks them against the limits a score can encode.
///
/// # Errors
/// `ERR value is not a valid float`, or `ERR invalid longitude,latitude pair` with the pair
/// printed as C's `%f` prints it.
fn parse_lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), Value> {
    let (Some(x), Some(y)) = (parse_float(lon), parse_float(lat)) else {
        return Err(StoreError::NotFloat.into());
    };
    if !(hash::LON_MIN..=hash::LON_MAX).contains(&x)
        || !(hash::LAT_MIN..=hash::LAT_MAX).contains(&y)
    {
        return Err(Value::error_owned(format!(
            "ERR invalid longitude,latitude pair {x:.6},{y:.6}"
        )));
    }
    Ok((x, y))
}

/// Metres per unit: `m`, `km`, `ft`, `mi`, any case.
pub(super) fn parse_unit(unit: &[u8]) -> Result<f64, Value> {
    match unit.to_ascii_lowercase().as_slice() {
        b"m" => Ok(1.0),
        b"km" => Ok(1000.0),
        b"ft" => Ok(0.3048),
        b"mi" => Ok(1609.34),
        _ => Err(Value::error(
            "ERR unsupported unit provided. please use M, KM, FT, MI",
        )),
    }
}

/// A distance as Redis prints it: `%.4f`, a bulk string in both protocols.
pub(super) fn distance_reply(d: f64) -> Value {
    Value::bulk(format!("{d:.4}"))
}

/// A coordinate as Redis prints it: 17 decimals, trailing zeros (and a bare point) dropped.
fn coord_text(c: f64) -> String {
    let s = format!("{c:.17}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A member's position as a reply: `[longitude, latitude]`, bulk strings in RESP2 and
/// doubles in RESP3, as Redis answers.
///
/// Redis writes its RESP3 doubles here with the RESP2 text, rounded to 17 decimals; ours are
/// that rounded value, printed like every other double (`%.17g`): a client reads the very
/// same `f64` from both, though the texts differ (`1.2673605809299999e-06`, `0.00000126736058093`).
fn position_reply(lon: f64, lat: f64, proto: Protocol) -> Value {
    let coord = |c: f64| match proto {
        Protocol::Resp2 => Value::bulk(coord_text(c)),
        Protocol::Resp3 => Value::Double(coord_text(c).parse().unwrap_or(c)),
    };
    Value::Array(vec![coord(lon), coord(lat)])
}

// ANCHOR: geoadd
/// `GEOADD key [NX|XX] [CH] longitude latitude member [...]`: how many members were added (with
/// `CH`: added or moved). Every pair is checked first; then the request becomes the `ZADD`
/// that stores each point's geohash as its score, and `ZADD` does the rest: the flags, the
/// reply, the notification, and the effect logged.
pub fn geoadd(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    let mut first = 1;
    let (mut nx, mut xx) = (false, false);
    while let Some(word) = args.get(first) {
        match word.to_ascii_lowercase().as_slice() {
            b"nx" => nx = true,
            b"xx" => xx = true,
            b"ch" => {}
            _ => break,
        }
        first += 1;
    }
    let triples = &args[first..];
    if triples.is_empty() || !triples.len().is_multiple_of(3) || (nx && xx) {
        return Value::syntax_error();
    }
    let mut zadd_args: Vec<Vec<u8>> = Vec::with_capacity(first + triples.len() / 3 * 2);
    zadd_args.extend_from_slice(&args[..first]);
    for t in triples.chunks_exact(3) {
        let (lon, lat) = match parse_lon_lat(&t[0], &t[1]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let Some(score) = hash::score_of(lon, lat) else {
            return Value::error("ERR invalid longitude,latitude pair");
        };
        // A whole number below 2^54: `ZADD` reads it back as the very same double.
        zadd_args.push((score as u64).to_string().into_bytes());
        zadd_args.push(t[2].clone());
    }
    zadd(ctx, &zadd_args)
}
// ANCHOR_END: geoadd

/// `GEOPOS key member [member ...]`: each member's `[longitude, latitude]`, or a nil array.
pub fn geopos(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    let z = match zset_at(ctx.db, &args[0], ctx.now) {
        Ok(z) => z,
        Err(e) => return e,
    };
    let proto = ctx.client.protocol;
    let at = |m: &[u8]| z.and_then(|z| z.score(m)).map(hash::decode_score);
    Value::Array(
        args[1..]
            .iter()
            .map(|m| {
                at(m).map_or(Value::NullArray, |(lon, lat)| {
                    position_reply(lon, lat, proto)
                })
            })
            .collect(),
    )
}
