//! RESP reply parser: one RESP2 or RESP3 reply of any type, for clients, tools and tests.
//!
//! Go original: part of `internal/protocol/resp/reader.go`. Explained in: book chapter 2.
//!
//! [`Reader::read_value`] reads what a server sends back: scalars, nested aggregates, RESP3's
//! maps, sets, pushes and attributes. It shares the [`Reader`]'s line and bulk primitives, so a
//! reply split across any number of reads parses the same as one that arrived whole. Nesting is
//! tracked on an explicit stack of bounded depth, never by recursion: a hostile peer cannot
//! overflow the call stack.

use std::borrow::Cow;
use std::io::BufRead;

use super::reader::{Reader, at_most, fill, string_to_i64, strip_cr};
use super::{ProtocolError, Value};

impl<R: BufRead> Reader<R> {
    // ANCHOR: read_value
    /// Reads one RESP2 or RESP3 reply of any type, nested aggregates included.
    ///
    /// Returns `Ok(None)` when the peer closed the connection between replies. RESP3 nulls
    /// (`_`) read as [`Value::Null`], big numbers (`(`) as bulk strings, blob errors (`!`) as
    /// errors; attributes (`|`) are read and dropped. Nesting is tracked on an explicit stack
    /// bounded by `max_depth`, so a hostile peer cannot overflow the call stack.
    ///
    /// # Errors
    /// A [`ProtocolError`] for a malformed or over-limit reply, or an I/O failure.
    pub fn read_value(&mut self) -> Result<Option<Value>, ProtocolError> {
        let mut stack: Vec<Aggregate> = Vec::new();
        loop {
            if stack.is_empty() && fill(&mut self.inner)?.is_empty() {
                return Ok(None);
            }
            let mut value = match self.read_item()? {
                Item::Value(v) => v,
                Item::Open(kind, n) => {
                    let aggregate = Aggregate {
                        kind,
                        remaining: n,
                        items: Vec::with_capacity(n.min(1024)),
                    };
                    if n == 0 {
                        match aggregate.finish() {
                            Some(v) => v,
                            None => continue, // an empty attribute: nothing to keep
                        }
                    } else {
                        if stack.len() >= self.limits.max_depth {
                            return Err(ProtocolError::TooDeep);
                        }
                        stack.push(aggregate);
                        continue;
                    }
                }
            };
            // Hand the finished value to its parent; a parent that is thereby complete becomes
            // the value handed to its own parent, and so on up.
            loop {
                let Some(top) = stack.last_mut() else {
                    return Ok(Some(value));
                };
                top.items.push(value);
                top.remaining -= 1;
                if top.remaining > 0 {
                    break;
                }
                let Some(done) = stack.pop() else { break };
                match done.finish() {
                    Some(v) => value = v,
                    None => break, // an attribute: dropped, it is not an element of anything
                }
            }
        }
    }
    // ANCHOR_END: read_value

    /// Reads one reply header, and the payload of a scalar.
    fn read_item(&mut self) -> Result<Item, ProtocolError> {
        self.read_line_into_scratch(b'\n', ProtocolError::InvalidReply("line too long"))?;
        let line = strip_cr(&self.line);
        let Some((&tag, body)) = line.split_first() else {
            return Err(ProtocolError::InvalidReply("empty line"));
        };
        let text = |body: &[u8]| Cow::Owned(String::from_utf8_lossy(body).into_owned());
        let item = match tag {
            b'+' => Item::Value(Value::Simple(text(body))),
            b'-' => Item::Value(Value::Error(text(body))),
            b':' => Item::Value(Value::Integer(
                string_to_i64(body).ok_or(ProtocolError::InvalidReply("invalid integer"))?,
            )),
            b'(' if !body.is_empty()
                && body
                    .iter()
                    .enumerate()
                    .all(|(i, &b)| b.is_ascii_digit() || (i == 0 && b == b'-')) =>
            {
                Item::Value(Value::Bulk(body.to_vec()))
            }
            b'(' => return Err(ProtocolError::InvalidReply("invalid big number")),
            b',' => Item::Value(Value::Double(
                parse_double(body).ok_or(ProtocolError::InvalidReply("invalid double"))?,
            )),
            b'#' => match body {
                b"t" => Item::Value(Value::Boolean(true)),
                b"f" => Item::Value(Value::Boolean(false)),
                _ => return Err(ProtocolError::InvalidReply("invalid boolean")),
            },
            b'_' if body.is_empty() => Item::Value(Value::Null),
            b'_' => return Err(ProtocolError::InvalidReply("invalid null")),
            b'$' | b'=' | b'!' => {
                let len = match string_to_i64(body) {
                    Some(-1) if tag == b'$' => return Ok(Item::Value(Value::Null)),
                    Some(n) if at_most(n, self.limits.max_bulk_len) => n as usize,
                    _ => return Err(ProtocolError::InvalidBulkLength),
                };
                let data = self.read_bulk(len)?;
                match tag {
                    b'$' => Item::Value(Value::Bulk(data)),
                    b'!' => Item::Value(Value::Error(text(&data))),
                    // Verbatim text starts with a three-letter format and a colon (`txt:`).
                    _ if data.len() >= 4 && data[3] == b':' => {
                        Item::Value(Value::Verbatim(data[4..].to_vec()))
                    }
                    _ => return Err(ProtocolError::InvalidReply("invalid verbatim string")),
                }
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let kind = match tag {
                    b'*' => Kind::Array,
                    b'~' => Kind::Set,
                    b'>' => Kind::Push,
                    b'%' => Kind::Map,
                    _ => Kind::Attribute,
                };
                let n = match string_to_i64(body) {
                    Some(-1) if tag == b'*' => return Ok(Item::Value(Value::NullArray)),
                    Some(n) if at_most(n, self.limits.max_multibulk_len) => n as usize,
                    _ => return Err(ProtocolError::InvalidMultibulkLength),
                };
                // A map of n pairs holds 2n values.
                let n = if matches!(kind, Kind::Map | Kind::Attribute) {
                    n.checked_mul(2)
                        .ok_or(ProtocolError::InvalidMultibulkLength)?
                } else {
                    n
                };
                Item::Open(kind, n)
            }
            other => return Err(ProtocolError::UnknownReplyType(other)),
        };
        Ok(item)
    }
}

/// One step of [`Reader::read_value`]: a complete value, or the start of an aggregate of `n`.
enum Item {
    Value(Value),
    Open(Kind, usize),
}

#[derive(Clone, Copy)]
enum Kind {
    Array,
    Set,
    Push,
    Map,
    Attribute,
}

/// An aggregate reply being filled in by [`Reader::read_value`].
struct Aggregate {
    kind: Kind,
    remaining: usize,
    items: Vec<Value>,
}

impl Aggregate {
    /// The finished value, or `None` for an attribute, which is metadata and not a value.
    fn finish(self) -> Option<Value> {
        Some(match self.kind {
            Kind::Array => Value::Array(self.items),
            Kind::Set => Value::Set(self.items),
            Kind::Push => Value::Push(self.items),
            Kind::Map => {
                let mut pairs = Vec::with_capacity(self.items.len() / 2);
                let mut items = self.items.into_iter();
                while let (Some(k), Some(v)) = (items.next(), items.next()) {
                    pairs.push((k, v));
                }
                Value::Map(pairs)
            }
            Kind::Attribute => return None,
        })
    }
}

/// A RESP3 double: `inf`, `-inf`, `nan`, or a decimal number.
fn parse_double(s: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(s).ok()?;
    match s {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" | "-nan" => Some(f64::NAN),
        // Rust would also take "infinity" and "NaN"; Redis never sends those, so refuse them.
        _ if s
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') =>
        {
            None
        }
        _ => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::resp::Limits;
    use crate::protocol::resp::test_peers::OneByte;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use std::io::BufReader;

    // ---- replies ----

    fn value(input: &[u8]) -> Result<Option<Value>, ProtocolError> {
        Reader::new(input).read_value()
    }

    fn ok(input: &[u8]) -> Value {
        value(input).unwrap().unwrap()
    }

    #[test]
    fn every_reply_type() {
        assert_eq!(ok(b"+OK\r\n"), Value::OK);
        assert_eq!(ok(b"-ERR bad\r\n"), Value::error("ERR bad"));
        assert_eq!(ok(b":-42\r\n"), Value::Integer(-42));
        assert_eq!(ok(b"$5\r\na\r\n\0b\r\n"), Value::bulk(b"a\r\n\0b"));
        assert_eq!(ok(b"$0\r\n\r\n"), Value::bulk(b""));
        assert_eq!(ok(b"$-1\r\n"), Value::Null);
        assert_eq!(ok(b"*-1\r\n"), Value::NullArray);
        assert_eq!(ok(b"*0\r\n"), Value::Array(vec![]));
        assert_eq!(ok(b"_\r\n"), Value::Null);
        assert_eq!(ok(b"#t\r\n"), Value::Boolean(true));
        assert_eq!(ok(b"#f\r\n"), Value::Boolean(false));
        assert_eq!(ok(b",1.5\r\n"), Value::Double(1.5));
        assert_eq!(ok(b",-inf\r\n"), Value::Double(f64::NEG_INFINITY));
        assert_eq!(ok(b",1e+20\r\n"), Value::Double(1e20));
        assert!(matches!(ok(b",nan\r\n"), Value::Double(d) if d.is_nan()));
        assert_eq!(
            ok(b"(-1234567890123456789012\r\n"),
            Value::bulk("-1234567890123456789012")
        );
        assert_eq!(
            ok(b"=8\r\ntxt:a\r\nb\r\n"),
            Value::Verbatim(b"a\r\nb".to_vec())
        );
        assert_eq!(ok(b"!8\r\nERR a\r\nb\r\n"), Value::error("ERR a\r\nb"));
        assert_eq!(
            ok(b"*3\r\n:1\r\n*1\r\n+x\r\n$1\r\ny\r\n"),
            Value::Array(vec![
                Value::Integer(1),
                Value::Array(vec![Value::simple("x")]),
                Value::bulk("y")
            ])
        );
        assert_eq!(
            ok(b"%2\r\n+a\r\n:1\r\n+b\r\n%0\r\n"),
            Value::Map(vec![
                (Value::simple("a"), Value::Integer(1)),
                (Value::simple("b"), Value::Map(vec![]))
            ])
        );
        assert_eq!(
            ok(b"~2\r\n:1\r\n:2\r\n"),
            Value::Set(vec![Value::Integer(1), Value::Integer(2)])
        );
        assert_eq!(
            ok(b">2\r\n$7\r\nmessage\r\n~0\r\n"),
            Value::Push(vec![Value::bulk("message"), Value::Set(vec![])])
        );
    }

    #[test]
    fn attributes_are_read_and_dropped() {
        assert_eq!(ok(b"|1\r\n+key\r\n+val\r\n:7\r\n"), Value::Integer(7));
        assert_eq!(ok(b"|0\r\n|0\r\n:7\r\n"), Value::Integer(7));
        assert_eq!(
            ok(b"*2\r\n|1\r\n+k\r\n*1\r\n:0\r\n:1\r\n:2\r\n"),
            Value::Array(vec![Value::Integer(1), Value::Integer(2)])
        );
    }

    #[test]
    fn replies_in_a_stream_and_split_byte_by_byte() {
        let input = b"+OK\r\n%1\r\n$1\r\nk\r\n*2\r\n:1\r\n_\r\n$3\r\nend\r\n";
        let mut r = Reader::new(BufReader::new(OneByte(input)));
        assert_eq!(r.read_value().unwrap(), Some(Value::OK));
        assert_eq!(
            r.read_value().unwrap(),
            Some(Value::Map(vec![(
                Value::bulk("k"),
                Value::Array(vec![Value::Integer(1), Value::Null])
            )]))
        );
        assert_eq!(r.read_value().unwrap(), Some(Value::bulk("end")));
        assert_eq!(r.read_value().unwrap(), None);
        // End of stream inside an aggregate is an error, not a clean end.
        assert!(matches!(value(b"*2\r\n:1\r\n"), Err(ProtocolError::Io(_))));
    }

    #[test]
    fn malformed_replies() {
        let cases: &[(&[u8], &str)] = &[
            (b"?\r\n", "Protocol error: unknown reply type byte 0x3f"),
            (b"\r\n", "Protocol error: empty line"),
            (b":x\r\n", "Protocol error: invalid integer"),
            (b":01\r\n", "Protocol error: invalid integer"),
            (b",x\r\n", "Protocol error: invalid double"),
            (b",infinity\r\n", "Protocol error: invalid double"),
            (b"#x\r\n", "Protocol error: invalid boolean"),
            (b"_x\r\n", "Protocol error: invalid null"),
            (b"(1x\r\n", "Protocol error: invalid big number"),
            (b"$-2\r\n", "Protocol error: invalid bulk length"),
            (b"=-1\r\n", "Protocol error: invalid bulk length"),
            (b"=3\r\ntxt\r\n", "Protocol error: invalid verbatim string"),
            (b"%-1\r\n", "Protocol error: invalid multibulk length"),
            (b"*x\r\n", "Protocol error: invalid multibulk length"),
        ];
        for (input, text) in cases {
            let e = value(input).unwrap_err();
            assert_eq!(e.to_string(), *text, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn reply_nesting_is_bounded_without_recursion() {
        let deep = b"*1\r\n".repeat(100_000);
        assert!(matches!(value(&deep), Err(ProtocolError::TooDeep)));
        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        let mut r = Reader::with_limits(&b"*1\r\n*1\r\n*1\r\n:1\r\n"[..], limits);
        assert!(r.read_value().is_ok());
        let mut r = Reader::with_limits(&b"*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n"[..], limits);
        assert!(matches!(r.read_value(), Err(ProtocolError::TooDeep)));
        // Attributes in a row are dropped one by one, not nested.
        let mut attrs = b"|0\r\n".repeat(100_000);
        attrs.extend_from_slice(b":1\r\n");
        assert_eq!(ok(&attrs), Value::Integer(1));
    }

    /// A random reply of at most `depth` levels, of the shapes RESP3 carries unchanged.
    fn random_value(rng: &mut StdRng, depth: u32) -> Value {
        let bytes = |rng: &mut StdRng| -> Vec<u8> {
            (0..rng.random_range(0..10)).map(|_| rng.random()).collect()
        };
        let text = |rng: &mut StdRng| -> String {
            (0..rng.random_range(0..10))
                .map(|_| rng.random_range(b' '..=b'~') as char)
                .collect()
        };
        let kinds = if depth == 0 { 9 } else { 13 };
        match rng.random_range(0..kinds) {
            0 => Value::Simple(Cow::Owned(text(rng))),
            1 => Value::Error(Cow::Owned(text(rng))),
            2 => Value::Integer(rng.random()),
            3 => Value::Bulk(bytes(rng)),
            4 => Value::Null,
            5 => Value::Double(rng.random_range(-1e6..1e6) * 10f64.powi(rng.random_range(-20..20))),
            6 => Value::Boolean(rng.random()),
            7 => Value::Verbatim(bytes(rng)),
            8 => Value::Double(f64::INFINITY),
            k => {
                let items: Vec<Value> = (0..rng.random_range(0..4))
                    .map(|_| random_value(rng, depth - 1))
                    .collect();
                match k {
                    9 => Value::Array(items),
                    10 => Value::Set(items),
                    11 => Value::Push(items),
                    _ => Value::Map(items.into_iter().map(|v| (Value::Integer(1), v)).collect()),
                }
            }
        }
    }

    #[test]
    fn encoded_replies_read_back_as_themselves() {
        let mut rng = StdRng::seed_from_u64(42);
        let mut stream = Vec::new();
        let mut values = Vec::new();
        for _ in 0..3000 {
            let v = random_value(&mut rng, 4);
            v.encode(crate::protocol::resp::Protocol::Resp3, &mut stream);
            values.push(v);
        }
        let mut r = Reader::new(&stream[..]);
        for v in &values {
            assert_eq!(r.read_value().unwrap().as_ref(), Some(v));
        }
        assert_eq!(r.read_value().unwrap(), None);
    }
}
