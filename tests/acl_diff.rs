//! ACL against a real `redis-server`: the same requests to both, the replies compared byte for
//! byte — for now the command categories `COMMAND INFO` prints.
//!
//! What may legitimately differ is masked, and each mask says why. Skips (with a note) where
//! `redis-server` is not installed.

mod common;

use common::{Client, RealRedis, TestServer, start};
/// A reply, read far enough to mask parts of it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reply {
    Line(Vec<u8>),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

fn parse(bytes: &[u8]) -> Reply {
    fn one(b: &[u8], at: &mut usize) -> Reply {
        let end = *at
            + b[*at..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("a line");
        let (kind, line) = (b[*at], b[*at + 1..end].to_vec());
        *at = end + 2;
        let n = || {
            String::from_utf8_lossy(&line)
                .parse::<i64>()
                .expect("a length")
        };
        match kind {
            b'$' if n() < 0 => Reply::Bulk(None),
            b'$' => {
                let len = n() as usize;
                let data = b[*at..*at + len].to_vec();
                *at += len + 2;
                Reply::Bulk(Some(data))
            }
            b'*' if n() < 0 => Reply::Array(None),
            b'*' => Reply::Array(Some((0..n()).map(|_| one(b, at)).collect())),
            _ => Reply::Line(b[*at - line.len() - 3..end].to_vec()),
        }
    }
    one(bytes, &mut 0)
}

fn show(r: &Reply) -> String {
    match r {
        Reply::Line(l) => String::from_utf8_lossy(l).into_owned(),
        Reply::Bulk(None) | Reply::Array(None) => "(nil)".into(),
        Reply::Bulk(Some(b)) => format!("{:?}", String::from_utf8_lossy(b)),
        Reply::Array(Some(items)) => {
            format!(
                "[{}]",
                items.iter().map(show).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

/// Both servers, fresh.
struct Pair {
    ours: TestServer,
    real: RealRedis,
}

impl Pair {
    fn start(test: &str) -> Option<Pair> {
        let real = RealRedis::start(test)?;
        Some(Pair {
            ours: start(),
            real,
        })
    }

    fn clients(&self) -> (Client, Client) {
        (self.ours.client(), Client::connect(self.real.addr))
    }
}

// ---------------------------------------------------------------------------- categories

fn names(reply: &Reply) -> Vec<String> {
    match reply {
        Reply::Array(Some(items)) => items
            .iter()
            .filter_map(|i| match i {
                Reply::Bulk(Some(b)) => Some(String::from_utf8_lossy(b).into_owned()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn command_info_gives_every_command_the_categories_redis_gives_it() {
    let Some(pair) = Pair::start("command_info_categories") else {
        return;
    };
    let (mut ours, mut real) = pair.clients();
    let mut differ = Vec::new();
    for name in names(&parse(&ours.cmd(&["COMMAND", "LIST"]))) {
        let theirs = parse(&real.cmd(&["COMMAND", "INFO", &name]));
        let mine = parse(&ours.cmd(&["COMMAND", "INFO", &name]));
        let categories = |r: &Reply| match r {
            Reply::Array(Some(entries)) => match entries.first() {
                Some(Reply::Array(Some(fields))) => fields.get(6).map(show),
                _ => None,
            },
            _ => None,
        };
        if let (Some(want), Some(got)) = (categories(&theirs), categories(&mine))
            && want != got
        {
            differ.push(format!("{name}: redis {want}, ours {got}"));
        }
    }
    assert!(
        differ.is_empty(),
        "categories differ:\n{}",
        differ.join("\n")
    );
}
