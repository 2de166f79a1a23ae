//! `DUMP` and `RESTORE`: a value as an opaque, checksummed byte string, and back.
//!
//! Go original: none (go-redis had no `DUMP`). Explained in: book chapter "Exercises" (ex06).
//!
//! The payload is our own format, not Redis's RDB encoding, shaped like Redis's: the value, then
//! a 2-byte format version and an 8-byte checksum, so a payload from elsewhere or a damaged one is
//! refused instead of loaded. All numbers are little-endian.
//!
//! ```text
//! type (1 byte: 0 string, 1 list, 2 set, 3 hash, 4 zset, 5 stream: see `stream_out`)
//! string: len (u64) bytes            collection: count (u64), then count items
//! item:   len (u64) bytes            hash item: field, value      zset item: member, score (f64 bits)
//! version (u16) = 1, checksum (u64) = FNV-1a 64 of everything before it
//! ```

use std::collections::HashMap;

use super::parse_i64;
use crate::commands::registry::{KEY1, flags::*};
use crate::commands::{Context, ReadContext, Registry};
use crate::engine::store::stream::{Group, NodeLimits, StreamId};
use crate::engine::store::{Bytes, Data, List, MemberSet, Stream, ZSet};
use crate::protocol::resp::Value;

/// The version written into (and required of) every payload.
const VERSION: u16 = 1;

/// Registers `DUMP` and `RESTORE`.
pub fn register(r: &mut Registry) {
    r.read("dump", dump, 2, 0, KEY1);
    r.write("restore", restore, -4, DENYOOM, KEY1);
}

/// FNV-1a, 64 bits: enough to catch damage, not meant to resist forgery (nor is Redis's CRC).
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

// ANCHOR: serialize
/// The payload of `data`.
pub fn serialize(data: &Data) -> Vec<u8> {
    let mut out = Vec::new();
    let count = |out: &mut Vec<u8>, n: usize| out.extend_from_slice(&(n as u64).to_le_bytes());
    match data {
        Data::Str(s) => {
            out.push(0);
            put(&mut out, s);
        }
        Data::List(l) => {
            out.push(1);
            count(&mut out, l.len());
            l.iter().for_each(|e| put(&mut out, e));
        }
        Data::Set(s) => {
            out.push(2);
            count(&mut out, s.len());
            s.iter().for_each(|m| put(&mut out, m));
        }
        Data::Hash(h) => {
            out.push(3);
            count(&mut out, h.len());
            for (f, v) in h.iter() {
                put(&mut out, f);
                put(&mut out, v);
            }
        }
        Data::ZSet(z) => {
            out.push(4);
            count(&mut out, z.len());
            for (m, s) in z.iter() {
                put(&mut out, m);
                out.extend_from_slice(&s.to_bits().to_le_bytes());
            }
        }
        Data::Stream(s) => {
            out.push(5);
            stream_out(&mut out, s);
        }
    }
    out.extend_from_slice(&VERSION.to_le_bytes());
    let sum = checksum(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}
// ANCHOR_END: serialize

/// Reads a payload's body front to back; every read fails softly on a short or bad input.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8)?.try_into().ok().map(u64::from_le_bytes)
    }

    /// A count of items, refused if the rest of the input could not hold that many: a forged
    /// count must not make us reserve memory for billions of items.
    fn count(&mut self) -> Option<usize> {
        let n = self.u64()?;
        (n > 0 && n <= self.0.len() as u64 / 8).then_some(n as usize)
    }

    /// A length-prefixed byte string.
    fn bytes(&mut self) -> Option<&[u8]> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n)
    }

    fn item(&mut self) -> Option<Bytes> {
        self.bytes().map(Bytes::from)
    }
}

/// A stream's body: its entries (ID, element count, elements), its counters, then each group
/// (name, last ID, read counter, consumers with their seen time, pending entries with owner,
/// delivery time and count).
fn stream_out(out: &mut Vec<u8>, s: &Stream) {
    let num = |out: &mut Vec<u8>, n: u64| out.extend_from_slice(&n.to_le_bytes());
    let id = |out: &mut Vec<u8>, id: StreamId| {
        out.extend_from_slice(&id.ms.to_le_bytes());
        out.extend_from_slice(&id.seq.to_le_bytes());
    };
    num(out, s.len() as u64);
    for e in s.iter() {
        id(out, e.id);
        num(out, e.elements().count() as u64);
        e.elements().for_each(|el| put(out, el));
    }
    id(out, s.last_id);
    id(out, s.max_deleted_id);
    num(out, s.entries_added);
    num(out, s.groups.len() as u64);
    for (name, g) in &s.groups {
        put(out, name);
        id(out, g.last_id);
        num(out, g.entries_read as u64);
        num(out, g.consumers.len() as u64);
        for (cname, c) in &g.consumers {
            put(out, cname);
            num(out, c.seen_time);
        }
        num(out, g.pending.len() as u64);
        for (pid, p) in &g.pending {
            id(out, *pid);
            put(out, &p.consumer);
            num(out, p.delivery_time);
            num(out, p.delivery_count);
        }
    }
}

/// The stream [`stream_out`] wrote; `None` for anything malformed (IDs out of order, a pending
/// entry of an unknown consumer).
fn stream_in(c: &mut Cursor<'_>) -> Option<Stream> {
    // A count may be 0 here, but never more than the bytes left could hold.
    let small = |c: &mut Cursor<'_>| {
        c.u64()
            .filter(|&n| n <= c.0.len() as u64)
            .map(|n| n as usize)
    };
    let id = |c: &mut Cursor<'_>| Some(StreamId::new(c.u64()?, c.u64()?));
    let mut s = Stream::new();
    for _ in 0..small(c)? {
        let eid = id(c)?;
        let n = small(c)?;
        (n >= 2 && n % 2 == 0 && eid > s.last_id).then_some(())?;
        let mut elements: Vec<Vec<u8>> = Vec::with_capacity(n);
        for _ in 0..n {
            elements.push(c.bytes()?.to_vec());
        }
        s.append(eid, &elements, NodeLimits::default());
    }
    s.last_id = id(c)?.max(s.last_id);
    s.max_deleted_id = id(c)?;
    s.entries_added = c.u64()?;
    for _ in 0..small(c)? {
        let name = c.item()?;
        let mut g = Group::new(id(c)?, c.u64()? as i64);
        for _ in 0..small(c)? {
            let cname = c.item()?;
            let seen = c.u64()?;
            g.consumer(&cname, seen);
        }
        for _ in 0..small(c)? {
            let pid = id(c)?;
            let owner = c.item()?;
            g.consumers.contains_key(&owner[..]).then_some(())?;
            let (time, count) = (c.u64()?, c.u64()?);
            g.assign(pid, &owner, time, count);
        }
        s.groups.insert(name, g);
    }
    Some(s)
}

/// Why a payload was refused, as Redis words it.
enum Refused {
    Checksum,
    Format,
}

// ANCHOR: deserialize
/// The value in `payload`. Refuses a wrong version or checksum, then any malformed body
/// (truncated, trailing bytes, an empty collection, a duplicate member, a NaN score).
fn deserialize(payload: &[u8]) -> Result<Data, Refused> {
    let Some(body_len) = payload.len().checked_sub(10) else {
        return Err(Refused::Checksum);
    };
    let (body, footer) = payload.split_at(body_len);
    let (version, sum) = footer.split_at(2);
    if version != VERSION.to_le_bytes() || sum != checksum(&payload[..body_len + 2]).to_le_bytes() {
        return Err(Refused::Checksum);
    }
    let mut c = Cursor(body);
    let data = (|| {
        let data = match c.take(1)?[0] {
            0 => Data::Str(c.bytes()?.into()),
            1 => {
                // Pushed one by one into the packed list: no intermediate `Vec` of elements.
                let mut list = List::new();
                for _ in 0..c.count()? {
                    list.push_back(c.bytes()?);
                }
                Data::from(list)
            }
            2 => {
                let n = c.count()?;
                let set: MemberSet = (0..n).map(|_| c.item()).collect::<Option<_>>()?;
                (set.len() == n).then_some(())?;
                Data::from(set)
            }
            3 => {
                let n = c.count()?;
                let hash: HashMap<Bytes, Bytes> = (0..n)
                    .map(|_| Some((c.item()?, c.item()?)))
                    .collect::<Option<_>>()?;
                (hash.len() == n).then_some(())?;
                Data::from(hash)
            }
            4 => {
                let mut z = ZSet::new();
                for _ in 0..c.count()? {
                    let member = c.item()?;
                    let score = f64::from_bits(c.u64()?);
                    (!score.is_nan() && z.score(&member).is_none()).then_some(())?;
                    z.insert(&member, score);
                }
                Data::from(z)
            }
            5 => Data::from(stream_in(&mut c)?),
            _ => return None,
        };
        c.0.is_empty().then_some(data)
    })();
    data.ok_or(Refused::Format)
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
    let at = deadline.unwrap_or(0);
    if let Some(at) = deadline {
        ctx.db.set_deadline(key, at, ctx.now);
    }
    // As Redis propagates it: the deadline made absolute, `REPLACE` only if it was asked for
    // (without it the key was missing, in the log's order as in the store's).
    let at = at.to_string();
    let mut effect: Vec<&[u8]> = vec![b"RESTORE", key, at.as_bytes(), payload];
    if replace {
        effect.push(b"REPLACE");
    }
    effect.push(b"ABSTTL");
    ctx.log(&effect);
    Value::OK
}
// ANCHOR_END: restore
