//! The benchmark's command line: the `--help` text and the [`Options`] its flags set.
//!
//! Go original: `cmd/benchmark/main.go` (its flag definitions). Explained in: book chapter
//! "Benchmarks".
//!
//! The flags are `redis-benchmark`'s, so one command line runs against either tool's target. A
//! value out of range is an error that names the flag and the range, never a silent default.

use anyhow::{anyhow, bail};

use crate::workload::Test;

/// The `--help` text, printed as it stands.
pub(crate) const USAGE: &str = "\
Usage: benchmark [-h host] [-p port] [-c clients] [-n requests] [-d size] [-t tests]
                 [-P pipeline] [-r keyspace] [-q] [--csv]

A load generator for this server and for real Redis: the same commands and key shapes as
redis-benchmark, one OS thread per client, latency percentiles from a histogram.

Options:
  -h <host>      server host (default 127.0.0.1)
  -p <port>      server port (default 6379)
  -c <clients>   parallel connections, one thread each (default 50)
  -n <requests>  total requests per test (default 100000)
  -d <size>      value size in bytes for SET, LPUSH, HSET, MSET... (default 3)
  -t <tests>     comma-separated tests, or `all` (default all):
                 ping, set, get, incr, lpush, rpush, lpop, rpop, sadd, hset,
                 spop, zadd, zpopmin, lrange_100, mset
  -P <pipeline>  requests in flight per connection (default 1: no pipelining)
  -r <keyspace>  random keys: __rand_int__ in key names becomes a random 12-digit
                 number below <keyspace> (default: one fixed key per test)
  -q             quiet: one line per test
  --csv          CSV output, one line per test
  --help         this text

Tests run in the order above, whatever the order in -t. Error replies are counted
and reported; a connection that fails or stays silent for 10 s stops the run.
";

/// Everything the command line sets.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Options {
    /// `-h`: the server's host name or address.
    pub(crate) host: String,
    /// `-p`: the server's port.
    pub(crate) port: u16,
    /// `-c`: parallel connections, one thread each.
    pub(crate) clients: usize,
    /// `-n`: requests per test, over all connections.
    pub(crate) requests: u64,
    /// `-d`: the value size in bytes.
    pub(crate) data_size: usize,
    /// `-t`: the tests to run, in [`Test::ALL`]'s order.
    pub(crate) tests: Vec<Test>,
    /// `-P`: requests in flight per connection.
    pub(crate) pipeline: usize,
    /// `-r`; 0: no `-r`, the placeholder stays in the key names (one fixed key, as `redis-benchmark`).
    pub(crate) keyspace: u64,
    /// `-q`: one line per test.
    pub(crate) quiet: bool,
    /// `--csv`: one CSV line per test.
    pub(crate) csv: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            // Go parity: go-redis dials "localhost", which may resolve to ::1 first while servers
            // listen on 127.0.0.1; we name the address the servers actually use.
            host: "127.0.0.1".into(),
            port: 6379,
            clients: 50,
            // Go parity: go-redis defaults to 10,000 requests, a run of a few hundredths of a
            // second against Redis; 100,000 is redis-benchmark's default and gives stable figures.
            requests: 100_000,
            data_size: 3,
            tests: Test::ALL.to_vec(),
            pipeline: 1,
            keyspace: 0,
            quiet: false,
            csv: false,
        }
    }
}

impl Options {
    /// Parses the arguments (without the program name); `None` when `--help` was asked for.
    pub(crate) fn parse(args: &[String]) -> anyhow::Result<Option<Options>> {
        let mut o = Options::default();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || {
                it.next()
                    .ok_or_else(|| anyhow!("option {flag} needs a value (see --help)"))
            };
            match flag.as_str() {
                "--help" | "-?" => return Ok(None),
                "-q" => o.quiet = true,
                "--csv" => o.csv = true,
                "-h" => o.host = value()?.clone(),
                "-p" => o.port = number(flag, value()?, 1, u16::MAX as u64)? as u16,
                "-c" => o.clients = number(flag, value()?, 1, 100_000)? as usize,
                "-n" => o.requests = number(flag, value()?, 1, 1 << 48)?,
                "-d" => o.data_size = number(flag, value()?, 0, 512 * 1024 * 1024)? as usize,
                "-P" => o.pipeline = number(flag, value()?, 1, 1_000_000)? as usize,
                // 12 digits replace the placeholder, so the keyspace ends at 10^12.
                "-r" => o.keyspace = number(flag, value()?, 1, 1_000_000_000_000)?,
                "-t" => o.tests = Test::parse_list(value()?)?,
                other => bail!("unknown option {other} (see --help)"),
            }
        }
        Ok(Some(o))
    }
}

/// Parses a decimal flag value within `min..=max`.
fn number(flag: &str, s: &str, min: u64, max: u64) -> anyhow::Result<u64> {
    match s.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => bail!("option {flag}: expected a whole number from {min} to {max}, got {s:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::Test;

    #[test]
    fn options_parse_like_the_go_tool() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let o = Options::parse(&args(
            "-h localhost -p 7000 -c 4 -n 10 -d 8 -t GET,set -P 16 -r 100 -q",
        ))
        .unwrap();
        let o = o.unwrap();
        assert_eq!(
            (o.host.as_str(), o.port, o.clients, o.requests),
            ("localhost", 7000, 4, 10)
        );
        assert_eq!(
            (o.data_size, o.pipeline, o.keyspace, o.quiet),
            (8, 16, 100, true)
        );
        assert_eq!(o.tests, vec![Test::Set, Test::Get]);
        assert_eq!(Options::parse(&args("--help")).unwrap(), None);
        assert_eq!(Options::parse(&[]).unwrap(), Some(Options::default()));
        for bad in ["-c 0", "-p", "-t nope", "-x 1", "-n -5", "-r 1000000000001"] {
            assert!(Options::parse(&args(bad)).is_err(), "{bad}");
        }
    }
}
