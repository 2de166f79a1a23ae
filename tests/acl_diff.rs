//! ACL against a real `redis-server`: the same requests to both, the replies compared byte for
//! byte — command categories (`COMMAND INFO`, `ACL CAT`), every `ACL` subcommand and rule form,
//! `AUTH` and `HELLO ... AUTH`, refused commands, keys and channels, and `ACL LOG`.
//!
//! What may legitimately differ is masked, and each mask says why. Skips (with a note) where
//! `redis-server` is not installed.

mod common;

use common::{Client, RealRedis, TestServer, start};
use std::collections::BTreeSet;

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

/// The rules of one `commands` description with each run of single-command rules sorted:
/// Redis lists those in its command dictionary's order, which is a hash order seeded anew at
/// every start (two runs of the same `redis-server` print `+get +set` and `+set +get`).
fn sort_single_commands(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut run: Vec<String> = Vec::new();
    let single = |w: &str| (w.starts_with('+') || w.starts_with('-')) && !w[1..].starts_with('@');
    for word in text.split(' ') {
        if single(word.trim_end_matches(')')) && !word.ends_with(')') {
            run.push(word.to_string());
            continue;
        }
        run.sort();
        out.append(&mut run);
        out.push(word.to_string());
    }
    run.sort();
    out.append(&mut run);
    out.join(" ")
}

/// What legitimately differs in the reply to `cmd`, masked.
fn mask(cmd: &[&str], reply: Reply) -> Reply {
    let sub = |i: usize| {
        cmd.get(i)
            .map(|w| w.to_ascii_lowercase())
            .unwrap_or_default()
    };
    match (sub(0).as_str(), sub(1).as_str(), reply) {
        // A generated password is random: only its length and alphabet can agree.
        ("acl", "genpass", Reply::Bulk(Some(p))) => {
            assert!(p.iter().all(u8::is_ascii_hexdigit), "{p:?}");
            Reply::Bulk(Some(format!("<{} hex digits>", p.len()).into_bytes()))
        }
        // An entry's age depends on when it is read, and its client line on ids, ports, file
        // descriptors and buffer sizes that no two servers share.
        ("acl", "log", Reply::Array(Some(entries))) => Reply::Array(Some(
            entries
                .into_iter()
                .map(|e| match e {
                    Reply::Array(Some(mut fields)) if fields.len() == 14 => {
                        fields[11] = Reply::Bulk(Some(b"<age>".to_vec()));
                        fields[13] = Reply::Bulk(Some(b"<client-info>".to_vec()));
                        Reply::Array(Some(fields))
                    }
                    other => other,
                })
                .collect(),
        )),
        ("acl", "list", Reply::Array(Some(lines))) => Reply::Array(Some(
            lines
                .into_iter()
                .map(|l| match l {
                    Reply::Bulk(Some(b)) => Reply::Bulk(Some(
                        sort_single_commands(&String::from_utf8_lossy(&b)).into_bytes(),
                    )),
                    other => other,
                })
                .collect(),
        )),
        ("acl", "getuser", Reply::Array(Some(fields))) => {
            Reply::Array(Some(fields.into_iter().map(mask_commands).collect()))
        }
        (_, _, reply) => reply,
    }
}

/// Sorts the single-command rules inside every bulk of a `GETUSER` reply (see
/// [`sort_single_commands`]).
fn mask_commands(r: Reply) -> Reply {
    match r {
        Reply::Bulk(Some(b)) => Reply::Bulk(Some(
            sort_single_commands(&String::from_utf8_lossy(&b)).into_bytes(),
        )),
        Reply::Array(Some(items)) => {
            Reply::Array(Some(items.into_iter().map(mask_commands).collect()))
        }
        other => other,
    }
}

/// Sends each command to both connections and asserts the (masked) replies are equal.
#[track_caller]
fn same(ours: &mut Client, real: &mut Client, cmds: &[&[&str]]) {
    for cmd in cmds {
        let theirs = mask(cmd, parse(&real.cmd(cmd)));
        let mine = mask(cmd, parse(&ours.cmd(cmd)));
        assert_eq!(show(&mine), show(&theirs), "reply to {cmd:?}");
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

#[test]
fn acl_cat_lists_the_categories_and_their_commands_as_redis_does() {
    let Some(pair) = Pair::start("acl_cat") else {
        return;
    };
    let (mut ours, mut real) = pair.clients();
    same(&mut ours, &mut real, &[&["ACL", "CAT"]]);
    let categories = names(&parse(&real.cmd(&["ACL", "CAT"])));
    let all = |c: &mut Client| -> BTreeSet<String> {
        categories
            .iter()
            .flat_map(|cat| names(&parse(&c.cmd(&["ACL", "CAT", cat]))))
            .collect()
    };
    let (known_here, known_there) = (all(&mut ours), all(&mut real));
    let mut differ = Vec::new();
    for cat in &categories {
        let mine: BTreeSet<String> = names(&parse(&ours.cmd(&["ACL", "CAT", cat])))
            .into_iter()
            .filter(|n| known_there.contains(n))
            .collect();
        let theirs: BTreeSet<String> = names(&parse(&real.cmd(&["ACL", "CAT", cat])))
            .into_iter()
            .filter(|n| known_here.contains(n))
            .collect();
        for n in mine.symmetric_difference(&theirs) {
            let side = if mine.contains(n) {
                "only ours"
            } else {
                "only redis"
            };
            differ.push(format!("@{cat} {n}: {side}"));
        }
    }
    assert!(differ.is_empty(), "ACL CAT differs:\n{}", differ.join("\n"));
    same(
        &mut ours,
        &mut real,
        &[&["ACL", "CAT", "nosuch"], &["ACL", "CAT", "a", "b"]],
    );
}

// ---------------------------------------------------------------------------- users and rules

#[test]
fn setuser_rules_read_back_as_redis_reads_them() {
    let Some(pair) = Pair::start("setuser_rules") else {
        return;
    };
    let (mut ours, mut real) = pair.clients();
    same(
        &mut ours,
        &mut real,
        &[
            &["ACL", "USERS"],
            &["ACL", "LIST"],
            &["ACL", "GETUSER", "default"],
            &["ACL", "GETUSER", "nosuch"],
            &["ACL", "SETUSER", "alice"],
            &["ACL", "GETUSER", "alice"],
            &[
                "ACL", "SETUSER", "alice", "on", ">p1", ">p2", "<p1", "~cache:*", "&news.*",
            ],
            &[
                "ACL",
                "SETUSER",
                "alice",
                "+get",
                "+set",
                "+client|list",
                "-client|list",
            ],
            &["ACL", "GETUSER", "alice"],
            &[
                "ACL",
                "SETUSER",
                "bob",
                "on",
                "nopass",
                "allkeys",
                "allchannels",
                "allcommands",
            ],
            &[
                "ACL",
                "SETUSER",
                "bob",
                "-@dangerous",
                "-flushall",
                "+select|0",
            ],
            &["ACL", "GETUSER", "bob"],
            &[
                "ACL", "SETUSER", "carol", "reset", "+@hash", "+@list", "+@set", "-@write",
            ],
            &[
                "ACL", "SETUSER", "carol", "%R~r:*", "%W~w:*", "%RW~rw:*", "%R~both", "%W~both",
            ],
            &["ACL", "GETUSER", "carol"],
            &[
                "ACL",
                "SETUSER",
                "dave",
                "on",
                "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
            ],
            &[
                "ACL",
                "SETUSER",
                "dave",
                "!5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
            ],
            &[
                "ACL",
                "SETUSER",
                "dave",
                "resetpass",
                "nopass",
                "resetkeys",
                "~a",
                "resetkeys",
            ],
            &["ACL", "SETUSER", "dave", "+@string -@fast"],
            &[
                "ACL",
                "SETUSER",
                "dave",
                "+@string",
                "-@fast",
                "(+get ~x:*)",
                "(+set",
                "~y:*)",
            ],
            &["ACL", "GETUSER", "dave"],
            &[
                "ACL",
                "SETUSER",
                "dave",
                "clearselectors",
                "skip-sanitize-payload",
                "nocommands",
            ],
            &["ACL", "GETUSER", "dave"],
            &[
                "ACL",
                "SETUSER",
                "erin",
                "+@all",
                "-@admin",
                "+config|get",
                "off",
            ],
            &["ACL", "GETUSER", "erin"],
            &["ACL", "LIST"],
            &["ACL", "USERS"],
        ],
    );
}

#[test]
fn setuser_refuses_what_redis_refuses_with_its_words() {
    let Some(pair) = Pair::start("setuser_errors") else {
        return;
    };
    let (mut ours, mut real) = pair.clients();
    same(
        &mut ours,
        &mut real,
        &[
            &["ACL", "SETUSER", "u", "nosuchrule"],
            &["ACL", "SETUSER", "u", "+nosuch"],
            &["ACL", "SETUSER", "u", "-nosuch"],
            &["ACL", "SETUSER", "u", "+@nosuch"],
            &["ACL", "SETUSER", "u", "+client|nosuch"],
            &["ACL", "SETUSER", "u", "+client|list|x"],
            &["ACL", "SETUSER", "u", "+get|"],
            &["ACL", "SETUSER", "u", "~*", "~a"],
            &["ACL", "SETUSER", "u", "&*", "&a"],
            &["ACL", "SETUSER", "u", "%X~a"],
            &["ACL", "SETUSER", "u", "%~a"],
            &["ACL", "SETUSER", "u", "%RR~a"],
            &["ACL", "SETUSER", "u", "%R"],
            &["ACL", "SETUSER", "u", "~a b"],
            &["ACL", "SETUSER", "u", "#abc"],
            &["ACL", "SETUSER", "u", "<nosuch"],
            &["ACL", "SETUSER", "u", "!nosuch"],
            &["ACL", "SETUSER", "u", "(+get"],
            &["ACL", "SETUSER", "u", "(+nosuch)"],
            &["ACL", "SETUSER", "a b"],
            &["ACL", "SETUSER", "u", "on", "+nosuch"],
            // Nothing applied: the user was never made.
            &["ACL", "GETUSER", "u"],
            &["ACL", "DELUSER", "default"],
            &["ACL", "DELUSER", "nosuch", "u"],
            &["ACL", "GENPASS"],
            &["ACL", "GENPASS", "5"],
            &["ACL", "GENPASS", "0"],
            &["ACL", "GENPASS", "4097"],
            &["ACL", "GENPASS", "x"],
            &["ACL", "LOG", "x"],
            &["ACL", "LOG", "-1"],
            &["ACL", "WHOAMI"],
            &["ACL", "HELP"],
            &["ACL", "LOAD"],
            &["ACL", "SAVE"],
            &["ACL", "NOSUCH"],
            &["ACL", "GETUSER"],
            &["ACL", "LIST", "x"],
        ],
    );
}

// ---------------------------------------------------------------------------- logging in

#[test]
fn auth_and_hello_auth_answer_as_redis_answers() {
    let Some(pair) = Pair::start("auth") else {
        return;
    };
    let (mut ours, mut real) = pair.clients();
    same(
        &mut ours,
        &mut real,
        &[
            &["AUTH", "x"],
            &["AUTH", "default", "anything"],
            &["AUTH", "nosuch", "x"],
            &["ACL", "SETUSER", "u", "on", ">pw", "+@all", "~*"],
            &["AUTH", "u", "wrong"],
            &["HELLO", "2", "AUTH", "u", "wrong"],
            &["AUTH", "u", "pw"],
            &["ACL", "WHOAMI"],
            &["ACL", "SETUSER", "v", "off", ">pw", "+@all"],
            &["AUTH", "v", "pw"],
            &["ACL", "WHOAMI"],
            &["RESET"],
            &["ACL", "WHOAMI"],
            &["CONFIG", "SET", "requirepass", "secret"],
            &["AUTH", "wrong"],
            &["AUTH", "secret"],
            &["ACL", "GETUSER", "default"],
        ],
    );
    let (mut ours2, mut real2) = pair.clients();
    same(
        &mut ours2,
        &mut real2,
        &[
            &["GET", "k"],
            &["ACL", "WHOAMI"],
            &["HELLO", "2", "AUTH", "default", "wrong"],
            &["AUTH", "u", "pw"],
            &["ACL", "WHOAMI"],
        ],
    );
    same(
        &mut ours,
        &mut real,
        &[
            &["CONFIG", "SET", "requirepass", ""],
            &["ACL", "GETUSER", "default"],
            &["ACL", "LOG", "3"],
            &["ACL", "LOG", "RESET"],
            &["ACL", "LOG"],
        ],
    );
}

// ---------------------------------------------------------------------------- refusals

#[test]
fn a_restricted_user_is_refused_what_redis_refuses_it() {
    let Some(pair) = Pair::start("refusals") else {
        return;
    };
    let (mut admin, mut admin_real) = pair.clients();
    same(
        &mut admin,
        &mut admin_real,
        &[
            &["SET", "k1", "v"],
            &["SET", "r1", "v"],
            &[
                "ACL", "SETUSER", "u", "on", ">pw", "~k*", "%R~r*", "%W~w*", "&ch*",
            ],
            &[
                "ACL", "SETUSER", "u", "+get", "+set", "+del", "+exists", "+mget", "+lmove",
            ],
            &[
                "ACL",
                "SETUSER",
                "u",
                "+publish",
                "+subscribe",
                "+psubscribe",
                "+multi",
                "+exec",
            ],
            &[
                "ACL",
                "SETUSER",
                "u",
                "+zunionstore",
                "+sort",
                "+copy",
                "+object|encoding",
            ],
        ],
    );
    let (mut ours, mut real) = pair.clients();
    same(
        &mut ours,
        &mut real,
        &[
            &["AUTH", "u", "pw"],
            &["GET", "k1"],
            &["GET", "x"],
            &["GET", "r1"],
            &["SET", "r1", "v"],
            &["SET", "w1", "v"],
            &["GET", "w1"],
            &["SET", "w1", "v", "GET"],
            &["DEL", "k1", "w1"],
            &["DEL", "k1", "r1"],
            &["EXISTS", "r1", "w1", "k1"],
            &["MGET", "k1", "r1", "x"],
            &["LMOVE", "r1", "w1", "LEFT", "LEFT"],
            &["LMOVE", "k1", "r1", "LEFT", "LEFT"],
            &["ZUNIONSTORE", "w1", "2", "r1", "k1"],
            &["ZUNIONSTORE", "w1", "2", "r1", "x"],
            &["SORT", "r1", "BY", "nosort", "STORE", "r2"],
            &["SORT", "k1", "BY", "w*"],
            &["SORT", "k1", "GET", "#"],
            &["SORT", "k1", "BY", "nosort"],
            &["COPY", "r1", "w2"],
            &["OBJECT", "ENCODING", "x"],
            &["HGET", "k1", "f"],
            &["CLIENT", "LIST"],
            &["PUBLISH", "ch1", "m"],
            &["PUBLISH", "other", "m"],
            &["SUBSCRIBE", "ch1", "other"],
            &["PSUBSCRIBE", "ch*"],
        ],
    );
    let (mut ours, mut real) = pair.clients();
    same(
        &mut ours,
        &mut real,
        &[
            &["AUTH", "u", "pw"],
            &["PSUBSCRIBE", "c*"],
            &["ACL", "WHOAMI"],
            &["MULTI"],
            &["GET", "k1"],
            &["GET", "x"],
            &["HGET", "k1", "f"],
            &["EXEC"],
            &["MULTI"],
            &["GET", "k1"],
            &["EXEC"],
        ],
    );
    same(
        &mut admin,
        &mut admin_real,
        &[
            &["ACL", "LOG"],
            &["ACL", "LOG", "2"],
            &["ACL", "DRYRUN", "u", "get", "k1"],
            &["ACL", "DRYRUN", "u", "get", "x"],
            &["ACL", "DRYRUN", "u", "hget", "k1", "f"],
            &["ACL", "DRYRUN", "u", "publish", "zz", "m"],
            &["ACL", "DRYRUN", "u", "get"],
            &["ACL", "DRYRUN", "u", "nosuch"],
            &["ACL", "DRYRUN", "u", "client", "nosuch"],
            &["ACL", "DRYRUN", "u", "client", "list"],
            &["ACL", "DRYRUN", "nosuch", "get", "k"],
            &["ACL", "DRYRUN", "default", "flushall"],
        ],
    );
}

#[test]
fn rules_changed_after_queueing_refuse_inside_exec_as_redis_does() {
    let Some(pair) = Pair::start("exec_recheck") else {
        return;
    };
    let (mut admin, mut admin_real) = pair.clients();
    let (mut ours, mut real) = pair.clients();
    same(
        &mut admin,
        &mut admin_real,
        &[&["ACL", "SETUSER", "u", "on", ">pw", "~*", "+@all"]],
    );
    same(
        &mut ours,
        &mut real,
        &[
            &["AUTH", "u", "pw"],
            &["MULTI"],
            &["SET", "a", "1"],
            &["GET", "a"],
        ],
    );
    same(
        &mut admin,
        &mut admin_real,
        &[&["ACL", "SETUSER", "u", "-get"]],
    );
    same(&mut ours, &mut real, &[&["EXEC"]]);
}

#[test]
fn a_script_is_refused_what_its_user_is_refused() {
    let Some(pair) = Pair::start("script_refusals") else {
        return;
    };
    let (mut admin, mut admin_real) = pair.clients();
    let (mut ours, mut real) = pair.clients();
    same(
        &mut admin,
        &mut admin_real,
        &[
            &[
                "ACL",
                "SETUSER",
                "s",
                "on",
                ">pw",
                "~k*",
                "+@all",
                "-flushall",
            ],
            &["ACL", "LOG", "RESET"],
        ],
    );
    // `redis.call` raises the refusal, `redis.pcall` returns it; either way it is logged with
    // the context `lua`.
    same(
        &mut ours,
        &mut real,
        &[
            &["AUTH", "s", "pw"],
            &["EVAL", "return redis.call('get', 'secret')", "0"],
            &["EVAL", "return redis.call('get', 'k1')", "0"],
            &["EVAL", "return redis.call('flushall')", "0"],
            &["EVAL", "return redis.pcall('flushall')", "0"],
            &["EVAL", "return redis.call('publish', 'ch', 'm')", "0"],
            &["EVAL", "return redis.call('acl', 'whoami')", "0"],
        ],
    );
    same(&mut admin, &mut admin_real, &[&["ACL", "LOG"]]);
}

#[test]
fn a_refused_exec_discards_the_transaction_as_in_redis() {
    let Some(pair) = Pair::start("exec_refused") else {
        return;
    };
    let (mut admin, mut admin_real) = pair.clients();
    let (mut ours, mut real) = pair.clients();
    same(
        &mut admin,
        &mut admin_real,
        &[&["ACL", "SETUSER", "x", "on", ">pw", "~*", "+@all", "-exec"]],
    );
    // Refused before it runs, `EXEC` ends the transaction: what was queued is gone, and the
    // next command runs at once.
    same(
        &mut ours,
        &mut real,
        &[
            &["MULTI"],
            &["SET", "a", "1"],
            &["EXEC", "extra"],
            &["GET", "a"],
            &["AUTH", "x", "pw"],
            &["MULTI"],
            &["SET", "a", "2"],
            &["EXEC"],
            &["EXEC"],
            &["GET", "a"],
        ],
    );
}

/// A closed connection, seen from the test: the next read finds the end (the client's read
/// timeout bounds the wait).
fn closed(c: &mut Client) -> bool {
    c.is_closed()
}

#[test]
fn deleting_a_user_or_taking_its_channels_closes_its_connections_as_in_redis() {
    let Some(pair) = Pair::start("deluser_closes") else {
        return;
    };
    let (mut admin, mut admin_real) = pair.clients();
    same(
        &mut admin,
        &mut admin_real,
        &[
            &["ACL", "SETUSER", "u", "on", ">pw", "~*", "&*", "+@all"],
            &[
                "ACL",
                "SETUSER",
                "s",
                "on",
                ">pw",
                "~*",
                "resetchannels",
                "&a*",
                "&b",
                "+@all",
            ],
        ],
    );
    let (mut ours, mut real) = pair.clients();
    let (mut sub, mut sub_real) = pair.clients();
    let (mut kept, mut kept_real) = pair.clients();
    same(&mut ours, &mut real, &[&["AUTH", "u", "pw"], &["PING"]]);
    same(
        &mut sub,
        &mut sub_real,
        &[&["AUTH", "s", "pw"], &["SUBSCRIBE", "a1"]],
    );
    same(
        &mut kept,
        &mut kept_real,
        &[&["AUTH", "s", "pw"], &["SUBSCRIBE", "b"]],
    );
    same(
        &mut admin,
        &mut admin_real,
        &[
            &["ACL", "DELUSER", "u"],
            &["ACL", "SETUSER", "s", "resetchannels", "&b"],
        ],
    );
    assert!(closed(&mut real) && closed(&mut ours), "DELUSER closes");
    assert!(
        closed(&mut sub_real) && closed(&mut sub),
        "a revoked channel closes"
    );
    same(&mut kept, &mut kept_real, &[&["PING"]]);
}
