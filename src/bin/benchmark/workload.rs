//! The workloads: each test's command, and the RESP template every request is copied from.
//!
//! Go original: `cmd/benchmark/main.go` (its test types). Explained in: book chapter "Benchmarks".
//!
//! A [`Test`] names one of `redis-benchmark`'s tests and knows its command word by word; a
//! [`Template`] is that command encoded once, so that sending a request costs one copy and a few
//! digits, not an encoding.

use anyhow::bail;
use rand::Rng;

/// What `redis-benchmark` writes in key names where a random number goes; exactly 12 bytes, the
/// width of the zero-padded number that replaces it.
const PLACEHOLDER: &[u8] = b"__rand_int__";

// ANCHOR: test
/// One benchmark, named as `redis-benchmark -t` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Test {
    Ping,
    Set,
    Get,
    Incr,
    Lpush,
    Rpush,
    Lpop,
    Rpop,
    Sadd,
    Hset,
    Spop,
    Zadd,
    Zpopmin,
    Lrange100,
    Mset,
}

impl Test {
    /// Every test, in the order they run (`redis-benchmark`'s order).
    pub(crate) const ALL: [Test; 15] = [
        Test::Ping,
        Test::Set,
        Test::Get,
        Test::Incr,
        Test::Lpush,
        Test::Rpush,
        Test::Lpop,
        Test::Rpop,
        Test::Sadd,
        Test::Hset,
        Test::Spop,
        Test::Zadd,
        Test::Zpopmin,
        Test::Lrange100,
        Test::Mset,
    ];

    /// The `-t` name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Test::Ping => "ping",
            Test::Set => "set",
            Test::Get => "get",
            Test::Incr => "incr",
            Test::Lpush => "lpush",
            Test::Rpush => "rpush",
            Test::Lpop => "lpop",
            Test::Rpop => "rpop",
            Test::Sadd => "sadd",
            Test::Hset => "hset",
            Test::Spop => "spop",
            Test::Zadd => "zadd",
            Test::Zpopmin => "zpopmin",
            Test::Lrange100 => "lrange_100",
            Test::Mset => "mset",
        }
    }

    /// The title in reports: `redis-benchmark`'s, except `PING` (its `PING_MBULK`).
    pub(crate) fn title(self) -> &'static str {
        match self {
            Test::Lrange100 => "LRANGE_100 (first 100 elements)",
            Test::Mset => "MSET (10 keys)",
            Test::Ping => "PING",
            Test::Set => "SET",
            Test::Get => "GET",
            Test::Incr => "INCR",
            Test::Lpush => "LPUSH",
            Test::Rpush => "RPUSH",
            Test::Lpop => "LPOP",
            Test::Rpop => "RPOP",
            Test::Sadd => "SADD",
            Test::Hset => "HSET",
            Test::Spop => "SPOP",
            Test::Zadd => "ZADD",
            Test::Zpopmin => "ZPOPMIN",
        }
    }

    /// Parses `-t`: comma-separated names or `all`, case-insensitive; runs keep [`Test::ALL`]'s order.
    pub(crate) fn parse_list(s: &str) -> anyhow::Result<Vec<Test>> {
        let mut wanted = Vec::new();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let name = name.to_ascii_lowercase();
            if name == "all" {
                return Ok(Test::ALL.to_vec());
            }
            // Go parity: go-redis knows five tests and prints "Unknown test type"; redis-benchmark
            // silently skips names it does not know. A typo here is an error, not an empty run.
            let Some(t) = Test::ALL.iter().find(|t| t.name() == name) else {
                let names: Vec<&str> = Test::ALL.iter().map(|t| t.name()).collect();
                bail!(
                    "unknown test {name:?} (tests: {}, or all)",
                    names.join(", ")
                );
            };
            wanted.push(*t);
        }
        if wanted.is_empty() {
            bail!("option -t: no test named");
        }
        Ok(Test::ALL
            .iter()
            .copied()
            .filter(|t| wanted.contains(t))
            .collect())
    }

    /// The command, word by word, with `__rand_int__` where `-r` puts a random number.
    /// `value` is the `-d` payload; `random` says whether `-r` was given (it changes `ZADD`'s score).
    pub(crate) fn argv(self, value: &[u8], random: bool) -> Vec<Vec<u8>> {
        // Go parity: go-redis uses its own keys (`key:<request number>`, GET on 1,000 keys it
        // pre-populates, `counter:<n % 100>`); we send redis-benchmark's, so that both tools, and
        // both servers, do the same work. As in redis-benchmark, GET reads what SET wrote before
        // it (run `-t get` alone and every GET is a miss).
        let words: Vec<&[u8]> = match self {
            Test::Ping => vec![b"PING"],
            Test::Set => vec![b"SET", b"key:__rand_int__", value],
            Test::Get => vec![b"GET", b"key:__rand_int__"],
            Test::Incr => vec![b"INCR", b"counter:__rand_int__"],
            Test::Lpush => vec![b"LPUSH", b"mylist", value],
            Test::Rpush => vec![b"RPUSH", b"mylist", value],
            Test::Lpop => vec![b"LPOP", b"mylist"],
            Test::Rpop => vec![b"RPOP", b"mylist"],
            Test::Sadd => vec![b"SADD", b"myset", b"element:__rand_int__"],
            Test::Hset => vec![b"HSET", b"myhash", b"element:__rand_int__", value],
            Test::Spop => vec![b"SPOP", b"myset"],
            // As redis-benchmark: score 0 unless -r, then a random score as well.
            Test::Zadd => vec![
                b"ZADD",
                b"myzset",
                if random { PLACEHOLDER } else { b"0" },
                b"element:__rand_int__",
            ],
            Test::Zpopmin => vec![b"ZPOPMIN", b"myzset"],
            Test::Lrange100 => vec![b"LRANGE", b"mylist", b"0", b"99"],
            Test::Mset => {
                let mut w: Vec<&[u8]> = vec![b"MSET"];
                for _ in 0..10 {
                    w.push(b"key:__rand_int__");
                    w.push(value);
                }
                w
            }
        };
        words.into_iter().map(<[u8]>::to_vec).collect()
    }
}
// ANCHOR_END: test

// ANCHOR: template
/// A request encoded once as RESP, plus where its `__rand_int__` placeholders sit.
///
/// Encoding a command costs formatting lengths and copying every word; doing it per request
/// would make the client, not the server, the bottleneck. Instead each request is one
/// `extend_from_slice` of this template, then 12 digits overwritten per placeholder (the trick
/// `redis-benchmark` uses, which is why its placeholder is exactly 12 bytes long).
pub(crate) struct Template {
    /// The request, with the placeholders still in it.
    pub(crate) bytes: Vec<u8>,
    /// The offset in `bytes` of every placeholder.
    holes: Vec<usize>,
}

impl Template {
    /// Encodes `argv` as a RESP array of bulk strings and records every placeholder's offset.
    pub(crate) fn new(argv: &[Vec<u8>]) -> Template {
        let mut bytes = format!("*{}\r\n", argv.len()).into_bytes();
        let mut holes = Vec::new();
        for word in argv {
            bytes.extend_from_slice(format!("${}\r\n", word.len()).as_bytes());
            let mut i = 0;
            while i + PLACEHOLDER.len() <= word.len() {
                if &word[i..i + PLACEHOLDER.len()] == PLACEHOLDER {
                    holes.push(bytes.len() + i);
                    i += PLACEHOLDER.len();
                } else {
                    i += 1;
                }
            }
            bytes.extend_from_slice(word);
            bytes.extend_from_slice(b"\r\n");
        }
        Template { bytes, holes }
    }

    /// Appends one request to `out`; with a `keyspace` (`-r`), every placeholder gets its own
    /// random number in `0..keyspace`, zero-padded to 12 digits.
    pub(crate) fn append_to(&self, out: &mut Vec<u8>, keyspace: u64, rng: &mut impl Rng) {
        let start = out.len();
        out.extend_from_slice(&self.bytes);
        if keyspace == 0 {
            return;
        }
        for &hole in &self.holes {
            let mut n = rng.random_range(0..keyspace);
            for digit in out[start + hole..start + hole + PLACEHOLDER.len()]
                .iter_mut()
                .rev()
            {
                *digit = b'0' + (n % 10) as u8;
                n /= 10;
            }
        }
    }
}
// ANCHOR_END: template

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_every_placeholder_with_twelve_digits() {
        let argv = Test::Mset.argv(b"v", true);
        let t = Template::new(&argv);
        assert_eq!(t.holes.len(), 10);
        let mut out = Vec::new();
        t.append_to(&mut out, 0, &mut rand::rng());
        assert!(out.starts_with(b"*21\r\n$4\r\nMSET\r\n$16\r\nkey:__rand_int__\r\n$1\r\nv\r\n"));
        out.clear();
        t.append_to(&mut out, 1000, &mut rand::rng());
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("__rand_int__"));
        for key in text.split("\r\n").filter(|w| w.starts_with("key:")) {
            let n = &key[4..];
            assert_eq!(n.len(), 12);
            assert!(
                n.starts_with("000000000") && n.parse::<u64>().unwrap() < 1000,
                "{key}"
            );
        }
        let zadd = Template::new(&Test::Zadd.argv(b"", false));
        assert_eq!(
            zadd.bytes,
            b"*4\r\n$4\r\nZADD\r\n$6\r\nmyzset\r\n$1\r\n0\r\n$20\r\nelement:__rand_int__\r\n"
        );
    }
}
