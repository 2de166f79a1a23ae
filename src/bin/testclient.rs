//! `testclient`: a tiny Redis client for the classroom, one-shot or interactive.
//!
//! Go original: `cmd/testclient/main.go`. Explained in: book chapter 2.
//!
//! ```text
//! testclient [-h host] [-p port] [command args...]
//! ```
//!
//! With a command, it sends it, prints the reply and exits. Without one, it reads lines from
//! standard input, splits each with the server's own inline quoting rules (`SET "a b" 'c'`), sends
//! it as a RESP array and prints the reply the way `redis-cli` does in a terminal. It is built on
//! the same [`Reader`] and [`Writer`] as the server, so it doubles as a demonstration of both ends
//! of the protocol.
//!
//! Go parity: the Go test client sends five fixed frames and prints the first line of each
//! reply; this one is a small general client, because students need one that understands every
//! reply type.

use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::net::TcpStream;

use anyhow::{Context, Result, bail};
use rust_redis::protocol::resp::{Limits, Reader, Value, Writer, format_double, split_args};

const USAGE: &str = "usage: testclient [-h host] [-p port] [command args...]";

/// Where to connect, and what to send (nothing: read commands from standard input).
struct Options {
    host: String,
    port: u16,
    command: Vec<Vec<u8>>,
}

fn parse_options(args: impl IntoIterator<Item = String>) -> Result<Options> {
    let mut options = Options {
        host: "127.0.0.1".to_string(),
        port: 6379,
        command: Vec::new(),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" => options.host = args.next().context(USAGE)?,
            "-p" => {
                let port = args.next().context(USAGE)?;
                options.port = port
                    .parse()
                    .with_context(|| format!("invalid port '{port}'"))?;
            }
            "--help" => bail!(USAGE),
            // The first word that is not an option starts the command; everything after it
            // belongs to the command, even words that look like options (`SET k -p`).
            _ => {
                options.command.push(arg.into_bytes());
                options
                    .command
                    .extend(args.by_ref().map(String::into_bytes));
            }
        }
    }
    Ok(options)
}

/// One connection: the server's reader for replies, the server's writer for requests.
struct Connection {
    reader: Reader<BufReader<TcpStream>>,
    writer: Writer<TcpStream>,
}

impl Connection {
    fn open(host: &str, port: u16) -> Result<Connection> {
        let stream = TcpStream::connect((host, port))
            .with_context(|| format!("Could not connect to Redis at {host}:{port}"))?;
        stream.set_nodelay(true)?;
        // Replies may be far bigger than any request the server would accept: `KEYS *` on a
        // large database is one array of millions of elements.
        let limits = Limits {
            max_multibulk_len: i32::MAX as usize,
            ..Limits::default()
        };
        // A client may spend a second descriptor on its one connection; the server may not.
        let writer = Writer::new(stream.try_clone()?);
        Ok(Connection {
            reader: Reader::with_limits(BufReader::new(stream), limits),
            writer,
        })
    }

    /// Sends one command and waits for its reply; `None` if the server hung up instead.
    fn call(&mut self, args: &[Vec<u8>]) -> Result<Option<Value>> {
        self.writer.write_command(args);
        self.writer.flush()?;
        self.next_reply()
    }

    fn next_reply(&mut self) -> Result<Option<Value>> {
        self.reader.read_value().context("reading the reply")
    }
}

/// After these commands the server keeps sending, so the client keeps printing until it closes.
fn is_streaming(command: &[u8]) -> bool {
    [&b"subscribe"[..], b"psubscribe", b"ssubscribe", b"monitor"]
        .iter()
        .any(|c| command.eq_ignore_ascii_case(c))
}

fn main() {
    // Errors read like redis-cli's ("Could not connect to Redis at 127.0.0.1:6379: Connection
    // refused"), one line, rather than anyhow's multi-line report.
    if let Err(e) = try_main() {
        eprintln!("{e:#}");
        std::process::exit(1);
    }
}

fn try_main() -> Result<()> {
    let options = parse_options(std::env::args().skip(1))?;
    let mut out = io::stdout().lock();
    if !options.command.is_empty() {
        let mut conn = Connection::open(&options.host, options.port)?;
        return run(&mut conn, &options.command, &mut out);
    }
    let interactive = io::stdin().is_terminal();
    let prompt = format!("{}:{}> ", options.host, options.port);
    let mut conn = Connection::open(&options.host, options.port)?;
    let mut stdin = io::stdin().lock();
    let mut line = Vec::new();
    loop {
        if interactive {
            out.write_all(prompt.as_bytes())?;
            out.flush()?;
        }
        line.clear();
        if stdin.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let args = match split_args(&line) {
            Ok(args) if args.is_empty() => continue,
            Ok(args) => args,
            Err(_) => {
                writeln!(out, "Invalid argument(s)")?;
                continue;
            }
        };
        if args[0].eq_ignore_ascii_case(b"quit") || args[0].eq_ignore_ascii_case(b"exit") {
            return Ok(());
        }
        if let Err(e) = run(&mut conn, &args, &mut out) {
            writeln!(out, "Error: {e:#}")?;
            // Like redis-cli, try a fresh connection for the next command.
            conn = Connection::open(&options.host, options.port)?;
        }
    }
}

/// Sends `args`, prints the reply (every reply, after a subscribe), and fails if the server
/// closed the connection instead of answering.
fn run(conn: &mut Connection, args: &[Vec<u8>], out: &mut impl Write) -> Result<()> {
    let Some(reply) = conn.call(args)? else {
        bail!("Server closed the connection");
    };
    let streaming = is_streaming(&args[0]) && !reply.is_error();
    if streaming {
        writeln!(out, "Reading messages... (press Ctrl-C to quit)")?;
    }
    out.write_all(&format_reply(&reply))?;
    if streaming {
        while let Some(reply) = conn.next_reply()? {
            out.write_all(&format_reply(&reply))?;
            out.flush()?;
        }
    }
    out.flush()?;
    Ok(())
}

// ANCHOR: format_reply
/// A reply as `redis-cli` prints it in a terminal: `(integer) 1`, `"quoted"`, `1) ...`.
fn format_reply(reply: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    format_into(reply, "", &mut out);
    out
}
// ANCHOR_END: format_reply

/// `cliFormatReplyTTY`: `prefix` is the indentation of nested elements after the first (the
/// first goes on the line its parent's index already started).
fn format_into(reply: &Value, prefix: &str, out: &mut Vec<u8>) {
    match reply {
        Value::Simple(s) => out.extend_from_slice(s.as_bytes()),
        Value::Error(s) => {
            out.extend_from_slice(b"(error) ");
            out.extend_from_slice(s.as_bytes());
        }
        Value::Integer(n) => out.extend_from_slice(format!("(integer) {n}").as_bytes()),
        Value::Double(d) => {
            out.extend_from_slice(format!("(double) {}", format_double(*d)).as_bytes())
        }
        Value::Boolean(b) => out.extend_from_slice(if *b { b"(true)" } else { b"(false)" }),
        Value::Bulk(b) => quote(b, out),
        // Only a server builds these; shown as the array of bulks they encode.
        Value::Bulks(b) => {
            let array = Value::Array(b.iter().map(|item| Value::Bulk(item.to_vec())).collect());
            return format_into(&array, prefix, out);
        }
        // Verbatim text is printed as it is: it is meant for humans (`INFO`, `LATENCY DOCTOR`).
        Value::Verbatim(text) => out.extend_from_slice(text),
        Value::BigNumber(digits) => {
            out.extend_from_slice(format!("(big number) {digits}").as_bytes())
        }
        // The reader drops attributes; a server-built one shows its reply alone.
        Value::Attributed(both) => return format_into(&both.1, prefix, out),
        // Only a server builds these; shown as the map it is in RESP3.
        Value::PairMap(pairs) => return format_into(&Value::Map(pairs.clone()), prefix, out),
        Value::Null | Value::NullArray => out.extend_from_slice(b"(nil)"),
        Value::Array(items) | Value::Push(items) if items.is_empty() => {
            out.extend_from_slice(b"(empty array)")
        }
        Value::Set(items) if items.is_empty() => out.extend_from_slice(b"(empty set)"),
        Value::Map(pairs) if pairs.is_empty() => out.extend_from_slice(b"(empty hash)"),
        Value::Array(items) | Value::Push(items) => format_list(
            items.iter().map(|v| (v, None)),
            items.len(),
            ')',
            prefix,
            out,
        ),
        Value::Set(items) => format_list(
            items.iter().map(|v| (v, None)),
            items.len(),
            '~',
            prefix,
            out,
        ),
        Value::Map(pairs) => format_list(
            pairs.iter().map(|(k, v)| (k, Some(v))),
            pairs.len(),
            '#',
            prefix,
            out,
        ),
    }
    out.push(b'\n');
}

/// Numbered elements, right-aligned indexes (` 9)`, `10)`), nested ones indented under them.
fn format_list<'a>(
    items: impl Iterator<Item = (&'a Value, Option<&'a Value>)>,
    len: usize,
    separator: char,
    prefix: &str,
    out: &mut Vec<u8>,
) {
    let width = len.to_string().len();
    let nested = format!("{prefix}{}", " ".repeat(width + 2));
    for (i, (item, map_value)) in items.enumerate() {
        let indent = if i == 0 { "" } else { prefix };
        out.extend_from_slice(format!("{indent}{:>width$}{separator} ", i + 1).as_bytes());
        format_into(item, &nested, out);
        if let Some(value) = map_value {
            out.pop(); // the key's newline: its value goes on the same line
            out.extend_from_slice(b" => ");
            format_into(value, &nested, out);
        }
    }
    out.pop(); // the caller adds the final newline
}

/// `sdscatrepr`: a bulk string in double quotes, escaped so that every byte is visible and the
/// text can be pasted back into an inline command.
fn quote(bytes: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in bytes {
        match b {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\x07' => out.extend_from_slice(b"\\a"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b' '..=b'~' => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(v: &Value) -> String {
        String::from_utf8(format_reply(v)).unwrap()
    }

    #[test]
    fn scalars_print_like_redis_cli() {
        assert_eq!(shown(&Value::OK), "OK\n");
        assert_eq!(shown(&Value::error("ERR bad")), "(error) ERR bad\n");
        assert_eq!(shown(&Value::Integer(-3)), "(integer) -3\n");
        assert_eq!(shown(&Value::Double(1.5)), "(double) 1.5\n");
        assert_eq!(shown(&Value::Boolean(true)), "(true)\n");
        assert_eq!(shown(&Value::Null), "(nil)\n");
        assert_eq!(shown(&Value::NullArray), "(nil)\n");
        assert_eq!(
            shown(&Value::bulk(b"a\r\n\x01\x7f\xff\"\\")),
            "\"a\\r\\n\\x01\\x7f\\xff\\\"\\\\\"\n"
        );
        assert_eq!(
            shown(&Value::Verbatim(b"# Server\r\nx:1".to_vec())),
            "# Server\r\nx:1\n"
        );
    }

    #[test]
    fn aggregates_print_like_redis_cli() {
        assert_eq!(shown(&Value::Array(vec![])), "(empty array)\n");
        assert_eq!(shown(&Value::Set(vec![])), "(empty set)\n");
        assert_eq!(shown(&Value::Map(vec![])), "(empty hash)\n");
        assert_eq!(
            shown(&Value::bulk_array(["a", "1.5"])),
            "1) \"a\"\n2) \"1.5\"\n"
        );
        // As `redis-cli --no-raw command info get` prints the start of its reply.
        let inner: Vec<Value> = (0..10)
            .map(|i| match i {
                0 => Value::bulk("get"),
                2 => Value::Array(vec![Value::simple("readonly"), Value::simple("fast")]),
                _ => Value::Integer(i),
            })
            .collect();
        assert_eq!(
            shown(&Value::Array(vec![Value::Array(inner)])),
            "1)  1) \"get\"\n    2) (integer) 1\n    3) 1) readonly\n       2) fast\n    4) (integer) 3\n    \
             5) (integer) 4\n    6) (integer) 5\n    7) (integer) 6\n    8) (integer) 7\n    9) (integer) 8\n   \
             10) (integer) 9\n"
        );
        assert_eq!(
            shown(&Value::Map(vec![
                (Value::bulk("proto"), Value::Integer(3)),
                (Value::bulk("modules"), Value::Array(vec![])),
            ])),
            "1# \"proto\" => (integer) 3\n2# \"modules\" => (empty array)\n"
        );
        assert_eq!(
            shown(&Value::Set(vec![
                Value::bulk("m"),
                Value::Map(vec![(Value::bulk("k"), Value::bulk("v"))])
            ])),
            "1~ \"m\"\n2~ 1# \"k\" => \"v\"\n"
        );
    }

    #[test]
    fn options_then_command() {
        let args = |s: &[&str]| s.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        let o = parse_options(args(&["-p", "7000", "-h", "localhost", "SET", "k", "-p"])).unwrap();
        assert_eq!((o.host.as_str(), o.port), ("localhost", 7000));
        assert_eq!(
            o.command,
            vec![b"SET".to_vec(), b"k".to_vec(), b"-p".to_vec()]
        );
        let o = parse_options(args(&[])).unwrap();
        assert_eq!(
            (o.host.as_str(), o.port, o.command.len()),
            ("127.0.0.1", 6379, 0)
        );
        assert!(parse_options(args(&["-p", "x"])).is_err());
        assert!(parse_options(args(&["-h"])).is_err());
    }
}
