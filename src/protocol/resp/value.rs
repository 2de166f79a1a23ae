//! RESP values: every reply a handler can build, and how each is encoded.
//!
//! Go original: `internal/protocol/resp/types.go` and `writer.go`. Explained in: book chapter 2.
//!
//! Handlers build protocol-neutral replies (a `Map`, a `Double`, a `Null`); [`Value::encode`]
//! turns them into RESP2 or RESP3 bytes for the connection that asked. RESP2 has no map or double,
//! so a map becomes a flat array and a double a bulk string, exactly as Redis 7 does.

use std::borrow::Cow;

/// Which protocol a connection speaks: RESP2 until the client sends `HELLO 3`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Protocol {
    /// RESP2, the default of every new connection.
    #[default]
    Resp2,
    /// RESP3, chosen by `HELLO 3`.
    Resp3,
}

// ANCHOR: value
/// One RESP value: a request frame, or a reply.
///
/// The four empties are four different replies, as in Redis: `Null` (`$-1`), `NullArray`
/// (`*-1`), an empty `Bulk` (`$0`) and an empty `Array` (`*0`).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `+OK` — a short status line with no CR or LF inside.
    Simple(Cow<'static, str>),
    /// `-ERR ...` — the text after the dash, prefix (`ERR`, `WRONGTYPE`, ...) included.
    Error(Cow<'static, str>),
    /// `:42`
    Integer(i64),
    /// `$3\r\nfoo` — binary safe.
    Bulk(Vec<u8>),
    // Go parity: go-redis encoded "" as `$-1` (nil); here an empty `Bulk` (`$0`) and `Null`
    // stay two different replies, as in Redis. Book appendix A lists every such difference.
    /// The nil bulk string: `$-1` in RESP2, `_` in RESP3.
    Null,
    /// The nil array: `*-1` in RESP2, `_` in RESP3.
    NullArray,
    /// `*2\r\n...`
    Array(Vec<Value>),
    // Go parity: go-redis spoke RESP2 with arrays of bulk strings only; the RESP3 types below
    // (chosen per connection by `HELLO 3`) follow Redis 7, which current clients require.
    /// RESP3 map (`%`); a flat array of key, value, key, value in RESP2.
    Map(Vec<(Value, Value)>),
    /// RESP3 map (`%`); in RESP2 an array of `[key, value]` pairs rather than a flat one: how
    /// `XREAD` answers, stream name beside its entries.
    PairMap(Vec<(Value, Value)>),
    /// RESP3 set (`~`); an array in RESP2.
    Set(Vec<Value>),
    /// RESP3 double (`,`); a bulk string in RESP2.
    Double(f64),
    /// RESP3 boolean (`#t`/`#f`); the integer 1 or 0 in RESP2.
    Boolean(bool),
    /// RESP3 push (`>`), used for Pub/Sub messages; an array in RESP2.
    Push(Vec<Value>),
    /// RESP3 verbatim text (`=len\r\ntxt:...`), used by `INFO`; a bulk string in RESP2.
    Verbatim(Vec<u8>),
    /// RESP3 big number (`(` and the decimal digits), an integer past 64 bits; a bulk string of
    /// the digits in RESP2.
    BigNumber(String),
    /// A reply with RESP3 attributes before it (`|`): a map *about* the reply, which a client
    /// may read or skip. RESP2 has no attributes, so there only the reply is sent.
    Attributed(Box<(Vec<(Value, Value)>, Value)>),
    /// An array of bulk strings kept already encoded, for replies of many elements (`LRANGE`).
    Bulks(Bulks),
}
// ANCHOR_END: value

// ANCHOR: bulks
/// An array of bulk strings, encoded as it is built: the same bytes as an `Array` of `Bulk`s
/// (in RESP2 and RESP3 alike), without a `Vec` and a `Value` per element.
///
/// `LRANGE list 0 99` as an `Array` allocated 100 buffers under the read guard and freed them
/// after the write: a fifth of the command's instructions. Here the elements are copied once,
/// into one buffer that grows by doubling.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bulks {
    count: usize,
    encoded: Vec<u8>,
}

impl Bulks {
    /// Appends one bulk string.
    pub fn push(&mut self, item: &[u8]) {
        self.count += 1;
        bulk(&mut self.encoded, b'$', item);
    }

    /// How many elements.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The elements, decoded back from their encoding (for tools and tests).
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let mut rest = &self.encoded[..];
        std::iter::from_fn(move || {
            // Each element is `$<len>\r\n<bytes>\r\n`, as `push` wrote it.
            let digits_end = rest.iter().position(|&b| b == b'\r')?;
            let len: usize = std::str::from_utf8(&rest[1..digits_end])
                .ok()?
                .parse()
                .ok()?;
            let item = &rest[digits_end + 2..digits_end + 2 + len];
            rest = &rest[digits_end + 4 + len..];
            Some(item)
        })
    }
}

impl<'a> FromIterator<&'a [u8]> for Bulks {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(items: I) -> Bulks {
        let mut bulks = Bulks::default();
        items.into_iter().for_each(|item| bulks.push(item));
        bulks
    }
}
// ANCHOR_END: bulks

impl Value {
    /// `+OK`.
    pub const OK: Value = Value::Simple(Cow::Borrowed("OK"));

    /// A status reply from a static string.
    pub const fn simple(s: &'static str) -> Value {
        Value::Simple(Cow::Borrowed(s))
    }

    /// An error reply from a static string (`"ERR syntax error"`).
    pub const fn error(s: &'static str) -> Value {
        Value::Error(Cow::Borrowed(s))
    }

    /// An error reply from a formatted string.
    pub fn error_owned(s: String) -> Value {
        Value::Error(Cow::Owned(s))
    }

    /// A bulk string copied from bytes.
    pub fn bulk(b: impl AsRef<[u8]>) -> Value {
        Value::Bulk(b.as_ref().to_vec())
    }

    /// `-ERR wrong number of arguments for 'name' command`.
    pub fn wrong_arity(name: &str) -> Value {
        Value::error_owned(format!(
            "ERR wrong number of arguments for '{}' command",
            name.to_ascii_lowercase()
        ))
    }

    /// `-ERR syntax error`.
    pub const fn syntax_error() -> Value {
        Value::error("ERR syntax error")
    }

    /// `-ERR value is not an integer or out of range`.
    pub const fn not_integer() -> Value {
        Value::error("ERR value is not an integer or out of range")
    }

    /// True for an error reply.
    pub fn is_error(&self) -> bool {
        matches!(self, Value::Error(_))
    }

    /// An array of bulk strings, one per item.
    pub fn bulk_array<I, B>(items: I) -> Value
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        Value::Array(items.into_iter().map(Value::bulk).collect())
    }

    // ANCHOR: encode
    /// Appends this value's bytes for `proto` to `out`.
    pub fn encode(&self, proto: Protocol, out: &mut Vec<u8>) {
        let resp3 = proto == Protocol::Resp3;
        match self {
            Value::Simple(s) => line(out, b'+', s.as_bytes()),
            Value::Error(s) => line(out, b'-', s.as_bytes()),
            Value::Integer(n) => {
                out.push(b':');
                push_int(out, *n);
                out.extend_from_slice(b"\r\n");
            }
            Value::Bulk(b) => bulk(out, b'$', b),
            Value::Null if resp3 => out.extend_from_slice(b"_\r\n"),
            Value::Null => out.extend_from_slice(b"$-1\r\n"),
            Value::NullArray if resp3 => out.extend_from_slice(b"_\r\n"),
            Value::NullArray => out.extend_from_slice(b"*-1\r\n"),
            Value::Array(items) => aggregate(out, b'*', items, proto),
            Value::Set(items) => aggregate(out, if resp3 { b'~' } else { b'*' }, items, proto),
            Value::Push(items) => aggregate(out, if resp3 { b'>' } else { b'*' }, items, proto),
            Value::Map(pairs) => {
                if resp3 {
                    header(out, b'%', pairs.len());
                } else {
                    header(out, b'*', pairs.len() * 2);
                }
                for (k, v) in pairs {
                    k.encode(proto, out);
                    v.encode(proto, out);
                }
            }
            Value::PairMap(pairs) => {
                header(out, if resp3 { b'%' } else { b'*' }, pairs.len());
                for (k, v) in pairs {
                    if !resp3 {
                        header(out, b'*', 2);
                    }
                    k.encode(proto, out);
                    v.encode(proto, out);
                }
            }
            Value::Double(d) => {
                let text = format_double(*d);
                if resp3 {
                    line(out, b',', text.as_bytes());
                } else {
                    bulk(out, b'$', text.as_bytes());
                }
            }
            Value::Boolean(b) if resp3 => {
                out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" })
            }
            Value::Boolean(b) => out.extend_from_slice(if *b { b":1\r\n" } else { b":0\r\n" }),
            Value::Verbatim(text) if resp3 => {
                header(out, b'=', text.len() + 4);
                out.extend_from_slice(b"txt:");
                out.extend_from_slice(text);
                out.extend_from_slice(b"\r\n");
            }
            Value::Verbatim(text) => bulk(out, b'$', text),
            Value::BigNumber(digits) if resp3 => line(out, b'(', digits.as_bytes()),
            Value::BigNumber(digits) => bulk(out, b'$', digits.as_bytes()),
            Value::Attributed(both) => {
                let (attributes, reply) = &**both;
                if resp3 {
                    header(out, b'|', attributes.len());
                    for (k, v) in attributes {
                        k.encode(proto, out);
                        v.encode(proto, out);
                    }
                }
                reply.encode(proto, out);
            }
            Value::Bulks(b) => {
                header(out, b'*', b.count);
                out.extend_from_slice(&b.encoded);
            }
        }
    }
    // ANCHOR_END: encode

    /// The RESP2 bytes of this value (handy in tests and tools).
    pub fn to_resp2(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(Protocol::Resp2, &mut out);
        out
    }

    /// The RESP3 bytes of this value.
    pub fn to_resp3(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(Protocol::Resp3, &mut out);
        out
    }
}

fn line(out: &mut Vec<u8>, tag: u8, text: &[u8]) {
    out.push(tag);
    out.extend_from_slice(text);
    out.extend_from_slice(b"\r\n");
}

fn header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    push_int(out, len as i64);
    out.extend_from_slice(b"\r\n");
}

fn bulk(out: &mut Vec<u8>, tag: u8, data: &[u8]) {
    header(out, tag, data.len());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

fn aggregate(out: &mut Vec<u8>, tag: u8, items: &[Value], proto: Protocol) {
    header(out, tag, items.len());
    for item in items {
        item.encode(proto, out);
    }
}

/// Appends the decimal digits of `n` without going through `format!`: this runs for every
/// integer reply and every length header, so it stays allocation-free.
pub fn push_int(out: &mut Vec<u8>, n: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let negative = n < 0;
    // Work on the unsigned magnitude so i64::MIN does not overflow.
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if negative {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

// ANCHOR: format_double
/// Formats a double the way Redis 7.0 replies with one (`ZSCORE`, `INCRBYFLOAT`, ...):
/// integers without a fraction (`3`), `inf`/`-inf`, otherwise the shortest text of at most
/// 17 significant digits that reads back as the same number, like C's `%.17g`.
pub fn format_double(d: f64) -> String {
    if d.is_nan() {
        return "nan".to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if d == d.trunc() && d.abs() < 1e17 {
        // Exact integers print without a decimal point ("-0" stays "-0", as in C).
        if d == 0.0 && d.is_sign_negative() {
            return "-0".to_string();
        }
        return format!("{}", d as i64);
    }
    format_g17(d)
}
// ANCHOR_END: format_double

/// C's `%.17g`: 17 significant digits, trailing zeros removed, exponent form outside 1e-5..1e17.
fn format_g17(d: f64) -> String {
    let sci = format!("{:.16e}", d); // d.ddddddddddddddddde±x
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..17).contains(&exp) {
        let m = trim_fraction(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (16 - exp).max(0) as usize;
        trim_fraction(&format!("{:.*}", decimals, d)).to_string()
    }
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_distinct_empties() {
        assert_eq!(Value::Null.to_resp2(), b"$-1\r\n");
        assert_eq!(Value::NullArray.to_resp2(), b"*-1\r\n");
        assert_eq!(Value::Bulk(vec![]).to_resp2(), b"$0\r\n\r\n");
        assert_eq!(Value::Array(vec![]).to_resp2(), b"*0\r\n");
        assert_eq!(Value::Null.to_resp3(), b"_\r\n");
        assert_eq!(Value::NullArray.to_resp3(), b"_\r\n");
    }

    #[test]
    fn scalars() {
        assert_eq!(Value::OK.to_resp2(), b"+OK\r\n");
        assert_eq!(Value::error("ERR x").to_resp2(), b"-ERR x\r\n");
        assert_eq!(Value::Integer(-2).to_resp2(), b":-2\r\n");
        assert_eq!(
            Value::Integer(i64::MIN).to_resp2(),
            b":-9223372036854775808\r\n"
        );
        assert_eq!(Value::bulk("a\r\nb").to_resp2(), b"$4\r\na\r\nb\r\n");
    }

    #[test]
    fn resp3_shapes_and_their_resp2_fallbacks() {
        let map = Value::Map(vec![(Value::bulk("k"), Value::Integer(1))]);
        assert_eq!(map.to_resp3(), b"%1\r\n$1\r\nk\r\n:1\r\n");
        assert_eq!(map.to_resp2(), b"*2\r\n$1\r\nk\r\n:1\r\n");
        let set = Value::Set(vec![Value::bulk("m")]);
        assert_eq!(set.to_resp3(), b"~1\r\n$1\r\nm\r\n");
        assert_eq!(set.to_resp2(), b"*1\r\n$1\r\nm\r\n");
        assert_eq!(Value::Double(1.5).to_resp3(), b",1.5\r\n");
        assert_eq!(Value::Double(1.5).to_resp2(), b"$3\r\n1.5\r\n");
        assert_eq!(Value::Double(f64::INFINITY).to_resp3(), b",inf\r\n");
        assert_eq!(Value::Boolean(true).to_resp3(), b"#t\r\n");
        assert_eq!(Value::Boolean(false).to_resp2(), b":0\r\n");
        let push = Value::Push(vec![Value::bulk("message")]);
        assert_eq!(push.to_resp3(), b">1\r\n$7\r\nmessage\r\n");
        assert_eq!(push.to_resp2(), b"*1\r\n$7\r\nmessage\r\n");
        assert_eq!(
            Value::Verbatim(b"a".to_vec()).to_resp3(),
            b"=5\r\ntxt:a\r\n"
        );
        assert_eq!(Value::Verbatim(b"a".to_vec()).to_resp2(), b"$1\r\na\r\n");
        let big = Value::BigNumber("12345678901234567890".into());
        assert_eq!(big.to_resp3(), b"(12345678901234567890\r\n");
        assert_eq!(big.to_resp2(), b"$20\r\n12345678901234567890\r\n");
        let attributed = Value::Attributed(Box::new((
            vec![(Value::bulk("ttl"), Value::Integer(3))],
            Value::bulk("v"),
        )));
        assert_eq!(
            attributed.to_resp3(),
            b"|1\r\n$3\r\nttl\r\n:3\r\n$1\r\nv\r\n"
        );
        assert_eq!(attributed.to_resp2(), b"$1\r\nv\r\n");
        // Pre-encoded bulks are the bytes of the equivalent array, in both protocols.
        let items: [&[u8]; 3] = [b"a", b"", b"\r\n"];
        let array = Value::Array(items.iter().map(|i| Value::Bulk(i.to_vec())).collect());
        let bulks = Value::Bulks(items.into_iter().collect());
        assert_eq!(bulks.to_resp2(), array.to_resp2());
        assert_eq!(bulks.to_resp3(), array.to_resp3());
        let Value::Bulks(b) = &bulks else {
            unreachable!()
        };
        assert_eq!(b.iter().collect::<Vec<_>>(), items);
        assert_eq!(b.len(), 3);
        assert_eq!(Value::Bulks(Bulks::default()).to_resp2(), b"*0\r\n");
    }

    #[test]
    fn doubles_print_like_redis() {
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(-2.5), "-2.5");
        assert_eq!(format_double(1.1), "1.1000000000000001");
        assert_eq!(format_double(0.1), "0.10000000000000001");
        assert_eq!(format_double(10.5), "10.5");
        assert_eq!(format_double(1e20), "1e+20");
        assert_eq!(format_double(1.5e-7), "1.4999999999999999e-07");
        assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn doubles_match_c_printf_17g() {
        // Expected texts from C's `printf("%.17g")`, which Redis 7.0 uses for double replies.
        let cases: &[(f64, &str)] = &[
            (1e17, "1e+17"),
            (1.2345678901234568e17, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (1e-5, "1.0000000000000001e-05"),
            (-1e-300, "-1e-300"),
            (5e-324, "4.9406564584124654e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (123.456, "123.456"),
            (2.5e16, "25000000000000000"),
            (99999999999999984.0, "99999999999999984"),
            (0.3, "0.29999999999999999"),
            (1.0 / 3.0, "0.33333333333333331"),
            (-0.5, "-0.5"),
            (0.0, "0"),
            (-0.0, "-0"),
        ];
        for (d, text) in cases {
            assert_eq!(format_double(*d), *text, "{d:e}");
        }
        assert_eq!(format_double(f64::NAN), "nan");
    }

    #[test]
    fn integers_encode_without_format() {
        let text = |n: i64| {
            let mut out = Vec::new();
            push_int(&mut out, n);
            String::from_utf8(out).unwrap()
        };
        for n in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            1234567890,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            assert_eq!(text(n), n.to_string());
        }
    }

    #[test]
    fn aggregates_nest_and_keep_their_protocol() {
        let nested = Value::Array(vec![
            Value::Map(vec![(Value::bulk("k"), Value::Double(2.0))]),
            Value::Set(vec![Value::Null, Value::Boolean(true)]),
            Value::Array(vec![]),
            Value::NullArray,
        ]);
        assert_eq!(
            nested.to_resp2(),
            b"*4\r\n*2\r\n$1\r\nk\r\n$1\r\n2\r\n*2\r\n$-1\r\n:1\r\n*0\r\n*-1\r\n"
        );
        assert_eq!(
            nested.to_resp3(),
            b"*4\r\n%1\r\n$1\r\nk\r\n,2\r\n~2\r\n_\r\n#t\r\n*0\r\n_\r\n"
        );
    }

    #[test]
    fn helpers_build_redis_replies() {
        assert_eq!(
            Value::wrong_arity("GET").to_resp2(),
            b"-ERR wrong number of arguments for 'get' command\r\n"
        );
        assert_eq!(Value::syntax_error().to_resp2(), b"-ERR syntax error\r\n");
        assert_eq!(
            Value::not_integer().to_resp2(),
            b"-ERR value is not an integer or out of range\r\n"
        );
        assert!(Value::error("ERR x").is_error());
        assert!(!Value::OK.is_error());
        assert_eq!(
            Value::bulk_array(["a", ""]).to_resp2(),
            b"*2\r\n$1\r\na\r\n$0\r\n\r\n"
        );
        assert_eq!(Value::bulk(b"\0\xff").to_resp2(), b"$2\r\n\0\xff\r\n");
    }
}
