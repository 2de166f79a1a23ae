//! `LATENCY`: the latency monitor's events and the per-command latency histograms, in the
//! shapes Redis 7.0.15 answers them (read off a real `redis-server`, RESP2 and RESP3).
//!
//! Explained in: book chapter "Talking to real clients", section "The latency monitor".
//!
//! The monitor is process-wide, and every server these tests start sets its threshold: they all
//! start with the same one, and only one test makes events and resets them.

mod common;

use common::*;
use rust_redis::config::{Config, DebugCommand};

const THRESHOLD_MS: u64 = 200;

fn start_latency(tweak: impl FnOnce(&mut Config)) -> TestServer {
    start_with(|c| {
        c.latency.monitor_threshold_ms = THRESHOLD_MS;
        c.enable_debug_command = DebugCommand::Yes;
        tweak(c);
    })
}

/// A reply, parsed just enough to look inside aggregates.
#[derive(Debug, PartialEq)]
enum R {
    Int(i64),
    Text(String),
    Agg(u8, Vec<R>),
}

fn parse(bytes: &[u8]) -> R {
    fn one(b: &[u8], i: &mut usize) -> R {
        let nl = *i + b[*i..].iter().position(|&c| c == b'\n').unwrap();
        let head = std::str::from_utf8(&b[*i + 1..nl - 1]).unwrap().to_string();
        let tag = b[*i];
        *i = nl + 1;
        match tag {
            b':' => R::Int(head.parse().unwrap()),
            b'+' | b'-' => R::Text(head),
            b'$' | b'=' => {
                let n: usize = head.parse().unwrap();
                let text = String::from_utf8_lossy(&b[*i..*i + n]).into_owned();
                *i += n + 2;
                R::Text(text)
            }
            b'*' | b'%' => {
                let n: usize = head.parse().unwrap();
                let n = if tag == b'%' { n * 2 } else { n };
                R::Agg(tag, (0..n).map(|_| one(b, i)).collect())
            }
            other => panic!("unexpected reply type {}", other as char),
        }
    }
    one(bytes, &mut 0)
}

impl R {
    fn items(&self) -> &[R] {
        match self {
            R::Agg(_, items) => items,
            other => panic!("not an aggregate: {other:?}"),
        }
    }

    fn int(&self) -> i64 {
        match self {
            R::Int(n) => *n,
            other => panic!("not an integer: {other:?}"),
        }
    }
}

/// The `(name, calls)` pairs of a `LATENCY HISTOGRAM` reply, checking each entry's shape:
/// `calls N histogram_usec {label cumulative ...}`, labels rising, counts rising to N.
fn histogram_calls(reply: &R) -> Vec<(String, i64)> {
    let items = reply.items();
    items
        .chunks(2)
        .map(|pair| {
            let R::Text(name) = &pair[0] else {
                panic!("name: {pair:?}")
            };
            let fields = pair[1].items();
            assert_eq!(fields[0], R::Text("calls".into()));
            assert_eq!(fields[2], R::Text("histogram_usec".into()));
            let calls = fields[1].int();
            let buckets: Vec<i64> = fields[3].items().iter().map(R::int).collect();
            let (labels, counts): (Vec<i64>, Vec<i64>) =
                buckets.chunks(2).map(|p| (p[0], p[1])).unzip();
            assert!(labels.windows(2).all(|w| w[0] < w[1]), "{labels:?}");
            assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
            assert_eq!(
                counts.last(),
                Some(&calls),
                "the last bucket counts every call"
            );
            (name.clone(), calls)
        })
        .collect()
}

#[test]
fn a_slow_command_is_a_latency_event() {
    let s = start_latency(|_| {});
    let mut c = s.client();
    c.assert(
        &["CONFIG", "GET", "latency-monitor-threshold"],
        "*2\r\n$25\r\nlatency-monitor-threshold\r\n$3\r\n200\r\n",
    );
    c.assert(&["DEBUG", "SLEEP", "0.3"], OK);
    let latest = parse(&c.cmd(&["LATENCY", "LATEST"]));
    let command = latest
        .items()
        .iter()
        .find(|e| e.items()[0] == R::Text("command".into()))
        .expect("a command event");
    let [_, time, last, max] = command.items() else {
        panic!("{command:?}")
    };
    assert!(last.int() >= 300 && max.int() >= last.int(), "{command:?}");
    let history = parse(&c.cmd(&["LATENCY", "HISTORY", "command"]));
    let [sample] = history.items() else {
        panic!("{history:?}")
    };
    assert_eq!(sample.items(), [R::Int(time.int()), R::Int(last.int())]);
    c.assert(&["LATENCY", "HISTORY", "nosuch"], "*0\r\n");

    let R::Text(doctor) = parse(&c.cmd(&["LATENCY", "DOCTOR"])) else {
        panic!()
    };
    assert!(doctor.contains(". command: 1 sample(s)"), "{doctor}");
    assert!(
        doctor.contains(&format!("worst {} ms", max.int())),
        "{doctor}"
    );
    let R::Text(graph) = parse(&c.cmd(&["LATENCY", "GRAPH", "command"])) else {
        panic!()
    };
    assert!(
        graph.starts_with(&format!("command - high {0} ms, low {0} ms", last.int())),
        "{graph}"
    );
    c.assert(
        &["LATENCY", "GRAPH", "nosuch"],
        "-ERR No samples available for event 'nosuch'\r\n",
    );
    // Text for people: verbatim in RESP3.
    c.cmd(&["HELLO", "3"]);
    assert!(c.cmd(&["LATENCY", "DOCTOR"]).starts_with(b"="));
    c.cmd(&["HELLO", "2"]);

    c.assert(&["LATENCY", "RESET", "nosuch"], ":0\r\n");
    c.assert(&["LATENCY", "RESET", "command", "command"], ":1\r\n");
    c.assert(&["LATENCY", "HISTORY", "command"], "*0\r\n");
    c.assert(&["DEBUG", "SLEEP", "0.21"], OK);
    assert!(parse(&c.cmd(&["LATENCY", "RESET"])).int() >= 1);
    c.assert(&["LATENCY", "LATEST"], "*0\r\n");
}

#[test]
fn latency_help_and_refusals_are_redis_s() {
    let s = start_latency(|_| {});
    let mut c = s.client();
    let help = parse(&c.cmd(&["LATENCY", "HELP"]));
    assert_eq!(help.items().len(), 17);
    assert_eq!(
        help.items()[0],
        R::Text("LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:".into())
    );
    c.assert(
        &["LATENCY", "HELP", "xxx"],
        "-ERR wrong number of arguments for 'latency|help' command\r\n",
    );
    c.assert(
        &["LATENCY", "foo"],
        "-ERR unknown subcommand 'foo'. Try LATENCY HELP.\r\n",
    );
    c.assert(
        &["LATENCY"],
        "-ERR wrong number of arguments for 'latency' command\r\n",
    );
    c.assert(
        &["LATENCY", "HISTORY"],
        "-ERR wrong number of arguments for 'latency|history' command\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "latency-monitor-threshold", "-1"],
        "-ERR CONFIG SET failed (possibly related to argument 'latency-monitor-threshold') - argument must be \
         between 0 and 9223372036854775807 inclusive\r\n",
    );
    c.assert(
        &["CONFIG", "SET", "latency-tracking-info-percentiles", "50 101"],
        "-ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - \
         latency-tracking-info-percentiles parameters should sit between [0.0,100.0]\r\n",
    );
}

#[test]
fn latency_histogram_answers_redis_s_shapes() {
    let s = start_latency(|_| {});
    let mut c = s.client();
    c.assert(&["CONFIG", "RESETSTAT"], OK);
    let all = parse(&c.cmd(&["LATENCY", "HISTOGRAM"]));
    assert_eq!(histogram_calls(&all), [("config|resetstat".to_string(), 1)]);
    c.assert(&["SET", "a", "b"], OK);
    c.assert(&["MULTI"], OK);
    c.assert(&["SET", "c", "d"], "+QUEUED\r\n");
    c.assert(&["EXEC"], "*1\r\n+OK\r\n");
    c.assert(&["GET", "a"], &bulk("b"));
    c.cmd(&["CLIENT", "ID"]);
    c.cmd(&["CLIENT", "GETNAME"]);

    let some = parse(&c.cmd(&["LATENCY", "HISTOGRAM", "blabla", "set", "GET", "set"]));
    let calls = histogram_calls(&some);
    let want = [("set", 2), ("get", 1), ("set", 2)].map(|(n, c)| (n.to_string(), c));
    assert_eq!(
        calls, want,
        "unknown names skipped, each name answered as often as asked"
    );
    assert!(
        c.cmd(&["LATENCY", "HISTOGRAM", "set"]).starts_with(
            b"*2\r\n$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n*"
        )
    );
    c.assert(&["LATENCY", "HISTOGRAM", "blabla", "zadd"], "*0\r\n");

    // A container stands for its subcommands; `client|id` for one.
    let client = histogram_calls(&parse(&c.cmd(&["LATENCY", "HISTOGRAM", "client"])));
    let names: Vec<&str> = client.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["client|getname", "client|id"]);
    let one = histogram_calls(&parse(&c.cmd(&["LATENCY", "HISTOGRAM", "client|id"])));
    assert_eq!(one, [("client|id".to_string(), 1)]);
    c.assert(
        &["LATENCY", "HISTOGRAM", "client|nosuch", "set|x"],
        "*0\r\n",
    );

    c.cmd(&["HELLO", "3"]);
    assert!(
        c.cmd(&["LATENCY", "HISTOGRAM", "set"]).starts_with(
            b"%1\r\n$3\r\nset\r\n%2\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n%"
        )
    );
    c.assert(&["LATENCY", "HISTOGRAM", "blabla"], "%0\r\n");
    c.cmd(&["HELLO", "2"]);

    // `INFO latencystats` prints the configured percentiles of each histogram.
    let info = String::from_utf8(c.cmd(&["INFO", "latencystats"])).unwrap();
    let line = info
        .lines()
        .find(|l| l.starts_with("latency_percentiles_usec_set:"))
        .expect(&info);
    let figures: Vec<&str> = line.split_once(':').unwrap().1.split(',').collect();
    assert_eq!(figures.len(), 3, "{line}");
    for (f, p) in figures.iter().zip(["p50=", "p99=", "p99.9="]) {
        let value = f.strip_prefix(p).expect(line);
        assert!(
            value.split_once('.').is_some_and(|(_, d)| d.len() == 3),
            "{line}"
        );
    }

    // Without tracking, calls are no longer counted in the histograms.
    c.assert(&["CONFIG", "SET", "latency-tracking", "no"], OK);
    c.assert(&["SET", "a", "b"], OK);
    assert_eq!(
        histogram_calls(&parse(&c.cmd(&["LATENCY", "HISTOGRAM", "set"])))[0].1,
        2
    );
    let info = String::from_utf8(c.cmd(&["INFO", "latencystats"])).unwrap();
    assert!(!info.contains("latency_percentiles_usec_"), "{info}");
    c.assert(&["CONFIG", "SET", "latency-tracking", "yes"], OK);

    c.assert(&["CONFIG", "RESETSTAT"], OK);
    c.assert(&["LATENCY", "HISTOGRAM", "set"], "*0\r\n");
}

#[test]
fn latency_settings_are_taken_at_start_up() {
    let words: Vec<String> = [
        "--latency-monitor-threshold",
        "150",
        "--latency-tracking",
        "no",
    ]
    .map(String::from)
    .into();
    let config = Config::from_args(&words).unwrap();
    assert_eq!(config.latency.monitor_threshold_ms, 150);
    assert!(!config.latency.tracking);
    let s = start_latency(|c| {
        c.set("latency-tracking-info-percentiles", "50 99.99")
            .unwrap()
    });
    let mut c = s.client();
    c.assert(
        &["CONFIG", "GET", "latency-tracking*"],
        "*4\r\n$16\r\nlatency-tracking\r\n$3\r\nyes\r\n$33\r\nlatency-tracking-info-percentiles\r\n$8\r\n50 99.99\r\n",
    );
}
