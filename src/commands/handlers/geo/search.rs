//! The geo searches: `GEOSEARCH`, `GEOSEARCHSTORE`, `GEORADIUS`, `GEORADIUSBYMEMBER` and the
//! two `_RO` forms, one parser and one search behind all six.
//!
//! Go original: none. Explained in: book chapter "Geo".
//!
//! Arguments are read as Redis 7.0 reads them, in the same order, so the same request fails
//! with the same error: the key's type first, then the centre and shape of the older commands,
//! then the options left to right, then the checks across options.

use super::hash::{self, Shape};
use super::{distance_reply, parse_lon_lat, parse_unit, position_reply, zset_at};
use crate::commands::handlers::hashes::parse_float;
use crate::commands::handlers::parse_i64;
use crate::commands::handlers::zsets::zadd_effect;
use crate::commands::{Context, ReadContext};
use crate::config::KeyspaceEvents as Class;
use crate::engine::store::zset::ScoreBound;
use crate::engine::store::{Data, Db, ZSet};
use crate::protocol::resp::{Protocol, Value};

/// Which command is asking: where its arguments start and which options it takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `GEORADIUS key lon lat radius unit ...`; `store`: whether `STORE` is allowed.
    Radius { store: bool },
    /// `GEORADIUSBYMEMBER key member radius unit ...`.
    ByMember { store: bool },
    /// `GEOSEARCH key ...`.
    Search,
    /// `GEOSEARCHSTORE dst key ...`.
    SearchStore,
}

/// A member found: where it is and how far from the centre (in the client's unit).
struct Found {
    member: Vec<u8>,
    score: f64,
    lon: f64,
    lat: f64,
    dist: f64,
}

/// What the search finished with: the members to reply with or store, and how.
struct Outcome {
    found: Vec<Found>,
    with_dist: bool,
    with_hash: bool,
    with_coord: bool,
    /// The destination and whether it stores distances (`STOREDIST`) rather than geohashes.
    store: Option<(Vec<u8>, bool)>,
}

/// A radius with its unit: metres per unit.
fn parse_radius(r: &[u8], unit: &[u8]) -> Result<(f64, f64), Value> {
    let radius = parse_float(r).ok_or(Value::error("ERR need numeric radius"))?;
    if radius < 0.0 {
        return Err(Value::error("ERR radius cannot be negative"));
    }
    Ok((radius, parse_unit(unit)?))
}

/// A box's width and height with their unit.
fn parse_box(w: &[u8], h: &[u8], unit: &[u8]) -> Result<(Shape, f64), Value> {
    let width = parse_float(w).ok_or(Value::error("ERR need numeric width"))?;
    let height = parse_float(h).ok_or(Value::error("ERR need numeric height"))?;
    if width < 0.0 || height < 0.0 {
        return Err(Value::error("ERR height or width cannot be negative"));
    }
    Ok((Shape::Rect { width, height }, parse_unit(unit)?))
}

/// A member's position, for `FROMMEMBER` and `GEORADIUSBYMEMBER`.
fn member_position(z: &ZSet, member: &[u8]) -> Result<(f64, f64), Value> {
    z.score(member)
        .map(hash::decode_score)
        .ok_or(Value::error("ERR could not decode requested zset member"))
}

/// Sort order of the results.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// Parses the request and runs the search; `Ok` carries what to reply or store.
fn prepare(db: &Db, now: u64, args: &[Vec<u8>], kind: Kind) -> Result<Outcome, Value> {
    let (src, mut store) = match kind {
        Kind::SearchStore => (&args[1], Some((args[0].clone(), false))),
        _ => (&args[0], None),
    };
    let z = zset_at(db, src, now)?;
    let mut center = None;
    let mut shape = None;
    let base = match kind {
        Kind::Radius { .. } => {
            center = Some(parse_lon_lat(&args[1], &args[2])?);
            let (radius, unit) = parse_radius(&args[3], &args[4])?;
            shape = Some((Shape::Circle { radius }, unit));
            5
        }
        Kind::ByMember { .. } => {
            // Without a set there is nothing to measure from; Redis parses on, to learn which
            // empty reply to give.
            if let Some(z) = z {
                center = Some(member_position(z, &args[1])?);
                let (radius, unit) = parse_radius(&args[2], &args[3])?;
                shape = Some((Shape::Circle { radius }, unit));
            }
            4
        }
        Kind::Search => 1,
        Kind::SearchStore => 2,
    };
    let searching = matches!(kind, Kind::Search | Kind::SearchStore);
    let may_store = matches!(
        kind,
        Kind::Radius { store: true } | Kind::ByMember { store: true }
    );
    let (mut with_dist, mut with_hash, mut with_coord, mut any) = (false, false, false, false);
    let (mut from_member, mut from_lonlat, mut by_radius, mut by_box) =
        (false, false, false, false);
    let mut sort = Sort::None;
    let mut count: i64 = 0;
    let opts = &args[base..];
    let mut i = 0;
    while i < opts.len() {
        let left = opts.len() - i - 1;
        match opts[i].to_ascii_lowercase().as_slice() {
            b"withdist" => with_dist = true,
            b"withhash" => with_hash = true,
            b"withcoord" => with_coord = true,
            b"any" => any = true,
            b"asc" => sort = Sort::Asc,
            b"desc" => sort = Sort::Desc,
            b"count" if left >= 1 => {
                count = parse_i64(&opts[i + 1]).ok_or_else(Value::not_integer)?;
                if count <= 0 {
                    return Err(Value::error("ERR COUNT must be > 0"));
                }
                i += 1;
            }
            w @ (b"store" | b"storedist") if left >= 1 && may_store => {
                store = Some((opts[i + 1].clone(), w == b"storedist"));
                i += 1;
            }
            b"storedist" if kind == Kind::SearchStore => {
                if let Some((_, dist)) = store.as_mut() {
                    *dist = true;
                }
            }
            b"frommember" if left >= 1 && searching && !from_lonlat => {
                if let Some(z) = z {
                    center = Some(member_position(z, &opts[i + 1])?);
                }
                from_member = true;
                i += 1;
            }
            b"fromlonlat" if left >= 2 && searching && !from_member => {
                center = Some(parse_lon_lat(&opts[i + 1], &opts[i + 2])?);
                from_lonlat = true;
                i += 2;
            }
            b"byradius" if left >= 2 && searching && !by_box => {
                let (radius, unit) = parse_radius(&opts[i + 1], &opts[i + 2])?;
                shape = Some((Shape::Circle { radius }, unit));
                by_radius = true;
                i += 2;
            }
            b"bybox" if left >= 3 && searching && !by_radius => {
                shape = Some(parse_box(&opts[i + 1], &opts[i + 2], &opts[i + 3])?);
                by_box = true;
                i += 3;
            }
            _ => return Err(Value::syntax_error()),
        }
        i += 1;
    }
    let name = if kind == Kind::SearchStore {
        "geosearchstore"
    } else {
        "geosearch"
    };
    if store.is_some() && (with_dist || with_hash || with_coord) {
        let what = if kind == Kind::SearchStore {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(Value::error_owned(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    if searching && !(from_member || from_lonlat) {
        return Err(Value::error_owned(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if searching && !(by_radius || by_box) {
        return Err(Value::error_owned(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if any && count == 0 {
        return Err(Value::error("ERR the ANY argument requires COUNT argument"));
    }
    let outcome = |found| Outcome {
        found,
        with_dist,
        with_hash,
        with_coord,
        store: store.clone(),
    };
    let (Some(z), Some((lon, lat)), Some((shape, metres))) = (z, center, shape) else {
        return Ok(outcome(Vec::new()));
    };
    // COUNT means "the nearest n": without ANY it needs an order, nearest first by default.
    if count > 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let limit = if any { count as usize } else { 0 };
    let mut found = search(z, lon, lat, shape, metres, limit);
    // A stable sort keeps equal distances in the order found. Redis's qsort and its partial
    // sort for COUNT may order such ties differently.
    match sort {
        Sort::Asc => found.sort_by(|a, b| a.dist.total_cmp(&b.dist)),
        Sort::Desc => found.sort_by(|a, b| b.dist.total_cmp(&a.dist)),
        Sort::None => {}
    }
    if count > 0 {
        found.truncate(count as usize);
    }
    for f in &mut found {
        f.dist /= metres;
    }
    Ok(outcome(found))
}

// ANCHOR: search
/// The members within `shape` around `(lon, lat)`: the nine boxes' score ranges, each point
/// in them measured; unsorted, in the order the boxes and the scores give. `limit` (`ANY`)
/// stops at that many; 0 finds all. Distances in metres.
fn search(z: &ZSet, lon: f64, lat: f64, shape: Shape, metres: f64, limit: usize) -> Vec<Found> {
    let boxes = hash::search_boxes(lon, lat, shape, metres);
    let mut found = Vec::new();
    let mut last: Option<hash::Hash> = None;
    for b in boxes {
        if b == hash::Hash::NONE {
            continue;
        }
        // With a huge radius neighbours can be one and the same box: look at it once.
        if last == Some(b) {
            continue;
        }
        if limit > 0 && found.len() >= limit {
            break;
        }
        last = Some(b);
        let (lo, hi) = hash::score_range(b);
        let (min, max) = (
            ScoreBound {
                value: lo as f64,
                exclusive: false,
            },
            ScoreBound {
                value: hi as f64,
                exclusive: true,
            },
        );
        for (member, score) in z.range_by_score(min, max, false, 0, None) {
            let (plon, plat) = hash::decode_score(score);
            if let Some(dist) = shape.contains(metres, lon, lat, plon, plat) {
                found.push(Found {
                    member: member.to_vec(),
                    score,
                    lon: plon,
                    lat: plat,
                    dist,
                });
                if limit > 0 && found.len() >= limit {
                    break;
                }
            }
        }
    }
    found
}
// ANCHOR_END: search

/// The reply: members alone, or each with the extras asked for (distance, hash, position).
fn reply(o: Outcome, proto: Protocol) -> Value {
    let extras = usize::from(o.with_dist) + usize::from(o.with_hash) + usize::from(o.with_coord);
    let items = o.found.into_iter().map(|f| {
        if extras == 0 {
            return Value::Bulk(f.member);
        }
        let mut item = Vec::with_capacity(extras + 1);
        item.push(Value::Bulk(f.member));
        if o.with_dist {
            item.push(distance_reply(f.dist));
        }
        if o.with_hash {
            item.push(Value::Integer(f.score as i64));
        }
        if o.with_coord {
            item.push(position_reply(f.lon, f.lat, proto));
        }
        Value::Array(item)
    });
    Value::Array(items.collect())
}

/// Runs a search that may store (`GEORADIUS ... STORE`, `GEOSEARCHSTORE`): a stored result
/// replaces `dst` and is logged as `DEL dst` and the `ZADD` that rebuilds it.
fn run_write(ctx: &mut Context<'_>, args: &[Vec<u8>], kind: Kind) -> Value {
    let o = match prepare(ctx.db, ctx.now, args, kind) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let Some((dst, store_dist)) = o.store.clone() else {
        return reply(o, ctx.client.protocol);
    };
    let mut result = ZSet::new();
    for f in &o.found {
        result.insert(&f.member, if store_dist { f.dist } else { f.score });
    }
    let n = result.len() as i64;
    let stored = (n > 0).then(|| {
        let effect = zadd_effect(&dst, &result);
        (Data::from(result), effect)
    });
    let event = if kind == Kind::SearchStore {
        "geosearchstore"
    } else {
        "georadiusstore"
    };
    ctx.store_result(&dst, stored, Class::ZSET, event);
    Value::Integer(n)
}

/// Runs a search that only reads.
fn run_read(ctx: &mut ReadContext<'_>, args: &[Vec<u8>], kind: Kind) -> Value {
    match prepare(ctx.db, ctx.now, args, kind) {
        Ok(o) => reply(o, ctx.client.protocol),
        Err(e) => e,
    }
}

/// `GEOSEARCH key FROMMEMBER m | FROMLONLAT lon lat BYRADIUS r unit | BYBOX w h unit [ASC|DESC]
/// [COUNT n [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]`.
pub fn geosearch(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    run_read(ctx, args, Kind::Search)
}

/// `GEOSEARCHSTORE dst src ... [STOREDIST]`: `GEOSEARCH`'s members stored in `dst`, scored by
/// geohash (or distance); replies with their number.
pub fn geosearchstore(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    run_write(ctx, args, Kind::SearchStore)
}

/// `GEORADIUS key lon lat radius unit [...] [STORE k | STOREDIST k]`.
pub fn georadius(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    run_write(ctx, args, Kind::Radius { store: true })
}

/// `GEORADIUS_RO`: `GEORADIUS` without `STORE`.
pub fn georadius_ro(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    run_read(ctx, args, Kind::Radius { store: false })
}

/// `GEORADIUSBYMEMBER key member radius unit [...] [STORE k | STOREDIST k]`.
pub fn georadiusbymember(ctx: &mut Context<'_>, args: &[Vec<u8>]) -> Value {
    run_write(ctx, args, Kind::ByMember { store: true })
}

/// `GEORADIUSBYMEMBER_RO`: `GEORADIUSBYMEMBER` without `STORE`.
pub fn georadiusbymember_ro(ctx: &mut ReadContext<'_>, args: &[Vec<u8>]) -> Value {
    run_read(ctx, args, Kind::ByMember { store: false })
}
