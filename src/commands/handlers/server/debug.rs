//! `DEBUG`: the subcommands Redis's own test suite and client libraries' tests rely on.
//!
//! Go original: none (go-redis had no `DEBUG`). Explained in: book chapter "When clients
//! misbehave" (`PANIC`) and "Talking to real clients".
//!
//! Redis's `DEBUG` pokes at its internals; the subcommands here are the ones that mean something
//! in this server too: a slow command on demand (`SLEEP`), a bug on demand (`PANIC`), every
//! RESP3 reply type on demand (`PROTOCOL`), the persistence round trips (`RELOAD`, `LOADAOF`),
//! and the switches tests
//! flip (`SET-ACTIVE-EXPIRE`, `QUICKLIST-PACKED-THRESHOLD`, `CHANGE-REPL-ID`). The dispatcher
//! refuses the whole command unless `enable-debug-command` allows the caller, as Redis does.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::commands::dispatcher::{Access, Call, invoke};
use crate::commands::pubsub::multi_reply;
use crate::commands::{ClientContext, Shared};
use crate::engine::store::glob_match;
use crate::protocol::resp::{Protocol, Value};

/// The longest `DEBUG SLEEP` honoured: Redis has no bound, but a thread parked for days helps
/// no one, and inside `EXEC` it would hold the store's write guard all that time.
const MAX_SLEEP: Duration = Duration::from_secs(3600);

// ANCHOR: debug
/// `DEBUG subcommand ...`; see the module comment for what each is for.
pub fn debug(shared: &Shared, client: &mut ClientContext, args: &[Vec<u8>]) -> Value {
    let sub = args[0].to_ascii_lowercase();
    let takes_guard = [&b"panic"[..], b"reload", b"loadaof", b"object"].contains(&&sub[..]);
    if takes_guard && client.in_exec {
        return Value::error(crate::commands::errors::GUARD_HELD);
    }
    match (sub.as_slice(), args.len()) {
        (b"panic", 1) => {
            // Under the store's write guard, as a buggy write handler would be: the test proves
            // the poisoned lock is recovered, not just that the thread's panic was caught.
            let _guard = shared.write_store();
            panic!("DEBUG PANIC");
        }
        (b"sleep", 2) => sleep(shared, client, strtod(&args[1])),
        (b"protocol", 2) => protocol(client, &args[1]),
        (b"reload", _) => super::super::persistence::debug_reload(shared, &args[1..]),
        (b"loadaof", 1) => super::super::persistence::debug_loadaof(shared),
        (b"object", 2) => object(shared, client, &args[1]),
        (b"set-active-expire", 2) => {
            shared
                .active_expire
                .store(atoi(&args[1]) != 0, Ordering::Relaxed);
            Value::OK
        }
        (b"pause-cron", 2) => {
            shared
                .cron_paused
                .store(atoi(&args[1]) != 0, Ordering::Relaxed);
            Value::OK
        }
        (b"quicklist-packed-threshold", 2) => match memtoull(&args[1]) {
            // Redis's lists switch a huge element to a node of its own past this size. Lists
            // here keep every element in one ring buffer, so the value is checked and dropped.
            Some(size) if size <= (1 << 32) - (1 << 20) => Value::OK,
            _ => Value::error(
                "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
            ),
        },
        (b"change-repl-id", 1) => {
            crate::warn!(
                "server",
                "Changing replication IDs after receiving DEBUG change-repl-id"
            );
            shared.change_replid();
            Value::OK
        }
        (b"stringmatch-test", 1) => {
            stringmatch_test();
            Value::simple("Apparently Redis did not crash: test passed")
        }
        (b"help", 1) => super::help_reply("DEBUG", HELP),
        _ => Value::error_owned(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            String::from_utf8_lossy(&args[0][..args[0].len().min(128)])
        )),
    }
}
// ANCHOR_END: debug

/// `DEBUG HELP`'s lines for the subcommands this server has, in Redis's words and order.
const HELP: &[&str] = &[
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "OBJECT <key>",
    "    Show low level info about the key and associated value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "PANIC",
    "    Panic in the calling client's thread: its connection closes, the server goes on.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the dataset as a rewritten AOF, flush it and load it back (there are no RDB",
    "    files here). The options MERGE, NOFLUSH and NOSAVE are accepted and ignored.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
];

// ANCHOR: debug_object
/// `DEBUG OBJECT key`: where the value lives, and what `OBJECT` says of it, in Redis's line
/// (`Value at:0x… refcount:1 encoding:listpack serializedlength:… lru:0 lru_seconds_idle:0`).
/// The encoding and the count come from the `OBJECT` command itself, looked up by name like
/// any client's command, so this works, saying `unknown`, in a tree whose `OBJECT` a student
/// has taken out to write again. The serialized length is that of the commands a rewrite
/// writes for the key; there is no access clock, so `lru` is 0.
fn object(shared: &Shared, client: &mut ClientContext, key: &[u8]) -> Value {
    let store = shared.read_store();
    let now = crate::engine::store::now_ms();
    let (at, serialized) = {
        let db = store.db(client.db);
        let Some(data) = db.get(key, now) else {
            return Value::error("ERR no such key");
        };
        let mut bytes = Vec::new();
        crate::persistence::rewrite::write_entry(&mut bytes, key, data, None);
        (format!("{:p}", data), bytes.len())
    };
    let mut ask = |sub: &[u8]| -> Option<Value> {
        let spec = shared.registry.lookup(b"object")?;
        let args = [sub.to_vec(), key.to_vec()];
        let call = Call::new(shared, client, now);
        Some(invoke(spec, &args, call, Access::Read(&store)).0)
    };
    let encoding = match ask(b"encoding") {
        Some(Value::Bulk(e)) => String::from_utf8_lossy(&e).into_owned(),
        _ => "unknown".to_string(),
    };
    let refcount = match ask(b"refcount") {
        Some(Value::Integer(n)) => n,
        _ => 1,
    };
    Value::Simple(format!(
        "Value at:{at} refcount:{refcount} encoding:{encoding} serializedlength:{serialized} lru:0 lru_seconds_idle:0"
    ).into())
}
// ANCHOR_END: debug_object

/// `DEBUG SLEEP seconds`. Redis stops the whole server; here a client handler holds no guard,
/// so only the caller waits, except inside `EXEC`, which holds the write guard for the whole
/// transaction, so there every other client waits too, as in Redis. The wait is cut short when
/// the server shuts down or the client is killed.
fn sleep(shared: &Shared, client: &ClientContext, secs: f64) -> Value {
    // Redis converts to whole microseconds; a negative or NaN time sleeps not at all.
    let micros = secs * 1e6;
    if micros >= 1.0 {
        let total = Duration::from_micros(micros as u64).min(MAX_SLEEP);
        let until = Instant::now() + total;
        loop {
            let now = Instant::now();
            if now >= until
                || shared.shutting_down.load(Ordering::Relaxed)
                || client.handle.killed.load(Ordering::Relaxed)
            {
                break;
            }
            std::thread::sleep((until - now).min(Duration::from_millis(100)));
        }
    }
    Value::OK
}

// ANCHOR: debug_protocol
/// `DEBUG PROTOCOL type`: one reply of each RESP3 type, as Redis builds them, for testing
/// clients. In RESP2 each becomes its RESP2 form, as every reply does, and `push`, which has
/// none, is refused.
fn protocol(client: &ClientContext, kind: &[u8]) -> Value {
    let three = || Value::Array((0..3).map(Value::Integer).collect());
    match kind.to_ascii_lowercase().as_slice() {
        b"string" => Value::bulk("Hello World"),
        b"integer" => Value::Integer(12345),
        // Redis's test value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        b"double" => Value::Double(3.141),
        b"bignum" => Value::BigNumber("1234567999999999999999999999999999999".into()),
        b"null" => Value::Null,
        b"array" => three(),
        b"set" => Value::Set((0..3).map(Value::Integer).collect()),
        b"map" => Value::Map(
            (0..3)
                .map(|j| (Value::Integer(j), Value::Boolean(j == 1)))
                .collect(),
        ),
        b"attrib" => Value::Attributed(Box::new((
            vec![(
                Value::bulk("key-popularity"),
                Value::Array(vec![Value::bulk("key:123"), Value::Integer(90)]),
            )],
            Value::bulk("Some real reply following the attribute"),
        ))),
        b"push" if client.protocol == Protocol::Resp2 => {
            Value::error("ERR RESP2 is not supported by this command")
        }
        // A push is not the command's reply: a normal reply follows it, as in Redis, so a
        // client that discards pushes still reads an answer.
        b"push" => multi_reply(vec![
            Value::Push(vec![Value::bulk("server-cpu-usage"), Value::Integer(42)]),
            Value::bulk("Some real reply following the push reply"),
        ]),
        b"true" => Value::Boolean(true),
        b"false" => Value::Boolean(false),
        b"verbatim" => Value::Verbatim(b"This is a verbatim\nstring".to_vec()),
        _ => Value::error(
            "ERR Wrong protocol type name. Please use one of the following: \
             string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
        ),
    }
}
// ANCHOR_END: debug_protocol

/// C's `strtod` as Redis calls it: the longest number at the start of the text (after spaces),
/// and 0 when there is none. `inf` and `nan` count as numbers.
fn strtod(arg: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(arg);
    let text = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let bytes = text.as_bytes();
    let mut end = 0;
    let digits = |from: usize| {
        from + bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        end = 1;
    }
    let lower = text[end..].to_ascii_lowercase();
    for word in ["infinity", "inf", "nan"] {
        if lower.starts_with(word) {
            return text[..end + word.len()].parse().unwrap_or(0.0);
        }
    }
    let int_end = digits(end);
    let mut num_end = int_end;
    if bytes.get(int_end) == Some(&b'.') {
        num_end = digits(int_end + 1);
    }
    if num_end == end || (num_end == end + 1 && int_end == end) {
        return 0.0; // no digit at all
    }
    if matches!(bytes.get(num_end), Some(b'e' | b'E')) {
        let mut at = num_end + 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exp_end = digits(at);
        if exp_end > at {
            num_end = exp_end;
        }
    }
    text[..num_end].parse().unwrap_or(0.0)
}

/// C's `atoi`: an optional sign and the digits at the start of the text, after spaces; 0 if none.
fn atoi(arg: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(arg);
    let text = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let n = rest
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    if neg { -n } else { n }
}

/// Redis's `memtoull`: digits and an optional unit (`b`, `k`, `kb`, `m`, `mb`, `g`, `gb`, any
/// case); `None` for anything else. Digits past 64 bits saturate and the product wraps, as in C.
fn memtoull(arg: &[u8]) -> Option<u64> {
    let digits = arg.iter().take_while(|b| b.is_ascii_digit()).count();
    let mul: u64 = match arg[digits..].to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let value = arg[..digits]
        .iter()
        .try_fold(0u64, |n, d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .unwrap_or(u64::MAX);
    Some(value.wrapping_mul(mul))
}

/// `DEBUG STRINGMATCH-TEST`: glob patterns and texts of random bytes, matched against each
/// other; passing means nothing panicked.
fn stringmatch_test() {
    use rand::Rng;
    let mut rng = rand::rng();
    let mut matches = 0u64;
    for _ in 0..1_000_000 {
        let text: Vec<u8> = (0..rng.random_range(0..32))
            .map(|_| rng.random_range(0..128))
            .collect();
        let pattern: Vec<u8> = (0..rng.random_range(0..32))
            .map(|_| rng.random_range(0..128))
            .collect();
        matches += u64::from(glob_match(&pattern, &text));
    }
    crate::verbose!("server", "DEBUG STRINGMATCH-TEST: {matches} matches");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_as_c_reads_them() {
        assert_eq!(strtod(b"0.2"), 0.2);
        assert_eq!(strtod(b" 1.5xyz"), 1.5);
        assert_eq!(strtod(b"abc"), 0.0);
        assert_eq!(strtod(b"-2"), -2.0);
        assert_eq!(strtod(b"1e3s"), 1000.0);
        assert_eq!(strtod(b"1e"), 1.0);
        assert_eq!(strtod(b".5"), 0.5);
        assert_eq!(strtod(b"."), 0.0);
        assert!(strtod(b"inf").is_infinite());
        assert_eq!(atoi(b"1"), 1);
        assert_eq!(atoi(b" 12abc"), 12);
        assert_eq!(atoi(b"-0"), 0);
        assert_eq!(atoi(b"x1"), 0);
    }

    #[test]
    fn memory_sizes_parse_as_redis_reads_them() {
        assert_eq!(memtoull(b"1"), Some(1));
        assert_eq!(memtoull(b"1b"), Some(1));
        assert_eq!(memtoull(b"2k"), Some(2000));
        assert_eq!(memtoull(b"2KB"), Some(2048));
        assert_eq!(memtoull(b"1gb"), Some(1 << 30));
        assert_eq!(memtoull(b"0"), Some(0));
        assert_eq!(memtoull(b"1.5mb"), None);
        assert_eq!(memtoull(b"-1"), None);
        assert_eq!(memtoull(b"1tb"), None);
    }
}
